//! PostgreSQL's routine syntax after the name (`(a int, b text default 'x') returns setof t
//! language sql stable strict ... as`), parsed into a `RoutineSignature`. The same parser reads the
//! schema's text and the server's `pg_get_functiondef`, so both sides normalise alike: types as
//! `format_type` prints them (aliases resolved, modifiers dropped as PostgreSQL drops them for
//! arguments), keywords in any case, PostgreSQL's defaults left implicit.

use crate::vocab::{RoutineArg, RoutineSignature};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An unquoted word, lowercased.
    Word(String),
    /// A `"quoted"` identifier, unquoted.
    Quoted(String),
    /// A `'string'` literal, as written (quotes included).
    Str(String),
    Num(String),
    Punct(char),
    /// Any other run of operator characters (`::`, `>=`).
    Op(String),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Word(w) | Tok::Num(w) | Tok::Op(w) | Tok::Str(w) => w.clone(),
            Tok::Quoted(q) => format!("\"{}\"", q.replace('"', "\"\"")),
            Tok::Punct(c) => c.to_string(),
        }
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self, Tok::Word(w) if w == word)
    }
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            tokens.push(Tok::Word(word.to_lowercase()));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            tokens.push(Tok::Num(chars[start..i].iter().collect()));
        } else if c == '"' || c == '\'' {
            let start = i;
            let mut value = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(format!("an unterminated {c}quote{c}")),
                    Some(&q) if q == c && chars.get(i + 1) == Some(&c) => {
                        value.push(c);
                        i += 2;
                    }
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(&other) => {
                        value.push(other);
                        i += 1;
                    }
                }
            }
            if c == '"' {
                tokens.push(Tok::Quoted(value));
            } else {
                tokens.push(Tok::Str(chars[start..i].iter().collect()));
            }
        } else if "(),[].;".contains(c) {
            tokens.push(Tok::Punct(c));
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && "+-*/<>=~!@#%^&|`?:".contains(chars[i]) {
                i += 1;
            }
            if i == start {
                return Err(format!("an unexpected `{c}`"));
            }
            tokens.push(Tok::Op(chars[start..i].iter().collect()));
        }
    }
    Ok(tokens)
}

/// SQL text with its tokens normalised: unquoted words lowercased, one space between two words,
/// none around punctuation, comments dropped. Two spellings of one expression that differ only
/// in case or spacing compare equal.
pub fn normalize_sql(text: &str) -> String {
    let Ok(tokens) = tokenize(text) else {
        return text.split_whitespace().collect::<Vec<_>>().join(" ");
    };
    join_tokens(&tokens)
}

fn join_tokens(tokens: &[Tok]) -> String {
    let mut out = String::new();
    let mut prev_wordy = false;
    for tok in tokens {
        let wordy = matches!(
            tok,
            Tok::Word(_) | Tok::Quoted(_) | Tok::Num(_) | Tok::Str(_)
        );
        if (wordy && prev_wordy || matches!(tok, Tok::Op(_)) || prev_op(&out))
            && !out.is_empty()
            && !out.ends_with('(')
        {
            out.push(' ');
        }
        out.push_str(&tok.text());
        prev_wordy = wordy;
    }
    out
}

fn prev_op(out: &str) -> bool {
    out.ends_with(|c: char| "+-*/<>=~!@#%^&|`?:".contains(c))
}

/// A type name as `format_type` prints it for an argument or result: aliases resolved, the
/// modifier dropped, `pg_catalog.`/`public.` left off (they are on the default search_path).
fn normal_type(tokens: &[Tok]) -> Result<String, String> {
    let mut words: Vec<String> = Vec::new();
    let mut array = String::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => depth -= 1,
            _ if depth > 0 => {}
            Tok::Punct('[') => array.push_str("[]"),
            Tok::Punct(']') => {}
            Tok::Punct('.') => {
                if let Some(last) = words.pop() {
                    words.push(format!("{last}."));
                }
            }
            Tok::Word(w) => match words.last_mut() {
                Some(last) if last.ends_with('.') => last.push_str(w),
                _ => words.push(w.clone()),
            },
            Tok::Quoted(q) => {
                let q = crate::vocab::ident(q);
                match words.last_mut() {
                    Some(last) if last.ends_with('.') => last.push_str(&q),
                    _ => words.push(q),
                }
            }
            Tok::Num(_) if !array.is_empty() => {}
            other => return Err(format!("`{}` in a type", other.text())),
        }
        i += 1;
    }
    let joined = words.join(" ");
    let joined = joined
        .strip_prefix("pg_catalog.")
        .or_else(|| joined.strip_prefix("public."))
        .unwrap_or(&joined)
        .to_string();
    if joined.is_empty() {
        return Err("a missing type".into());
    }
    let base = match joined.as_str() {
        "int" | "int4" | "integer" => "integer",
        "int2" | "smallint" => "smallint",
        "int8" | "bigint" => "bigint",
        "bool" | "boolean" => "boolean",
        "float8" | "float" | "double precision" => "double precision",
        "float4" | "real" => "real",
        "varchar" | "character varying" => "character varying",
        "char" | "character" | "bpchar" => "character",
        "decimal" | "numeric" => "numeric",
        "timestamptz" | "timestamp with time zone" => "timestamp with time zone",
        "timestamp" | "timestamp without time zone" => "timestamp without time zone",
        "timetz" | "time with time zone" => "time with time zone",
        "time" | "time without time zone" => "time without time zone",
        "varbit" | "bit varying" => "bit varying",
        other => other,
    };
    Ok(format!("{base}{array}"))
}

const MULTIWORD_TYPES: &[&str] = &[
    "double precision",
    "character varying",
    "bit varying",
    "timestamp with time zone",
    "timestamp without time zone",
    "time with time zone",
    "time without time zone",
];

fn split_top(tokens: &[Tok], sep: char) -> Vec<&[Tok]> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, tok) in tokens.iter().enumerate() {
        match tok {
            Tok::Punct('(') | Tok::Punct('[') => depth += 1,
            Tok::Punct(')') | Tok::Punct(']') => depth -= 1,
            Tok::Punct(c) if *c == sep && depth == 0 => {
                parts.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < tokens.len() {
        parts.push(&tokens[start..]);
    }
    parts
}

fn arg(tokens: &[Tok], procedure: bool) -> Result<RoutineArg, String> {
    let mut rest = tokens;
    let mut mode = String::new();
    if let Some(Tok::Word(w)) = rest.first() {
        if ["in", "out", "inout", "variadic"].contains(&w.as_str()) && rest.len() > 1 {
            mode = if w == "in" { String::new() } else { w.clone() };
            rest = &rest[1..];
        }
    }
    let _ = procedure;
    let default_at = rest
        .iter()
        .position(|t| t.is_word("default") || matches!(t, Tok::Op(o) if o == "="));
    let (decl, default) = match default_at {
        Some(at) => (&rest[..at], Some(join_tokens(&rest[at + 1..]))),
        None => (rest, None),
    };
    let whole_is_type = decl.len() == 1
        || MULTIWORD_TYPES.contains(&normal_words(decl).as_str())
        || matches!(
            decl.get(1),
            Some(Tok::Punct('.') | Tok::Punct('(') | Tok::Punct('['))
        );
    let (name, ty) = if whole_is_type {
        (None, normal_type(decl)?)
    } else {
        let name = match &decl[0] {
            Tok::Word(w) => w.clone(),
            Tok::Quoted(q) => q.clone(),
            other => return Err(format!("`{}` where an argument name goes", other.text())),
        };
        (Some(name), normal_type(&decl[1..])?)
    };
    Ok(RoutineArg {
        mode,
        name,
        ty,
        default,
    })
}

fn normal_words(tokens: &[Tok]) -> String {
    tokens.iter().map(Tok::text).collect::<Vec<_>>().join(" ")
}

/// Words that start a routine attribute (and so end a `returns` type).
const ATTRIBUTE_WORDS: &[&str] = &[
    "language",
    "immutable",
    "stable",
    "volatile",
    "strict",
    "called",
    "returns",
    "security",
    "external",
    "leakproof",
    "not",
    "parallel",
    "cost",
    "rows",
    "window",
    "set",
    "support",
    "as",
    "transform",
];

/// Parses `(args) attributes... as` (the text between a routine's name and its body).
pub fn parse_header(text: &str, procedure: bool) -> Result<RoutineSignature, String> {
    let tokens = tokenize(text)?;
    if tokens.first() != Some(&Tok::Punct('(')) {
        return Err("the argument list `( ... )` must follow the name".into());
    }
    let mut depth = 0;
    let mut close = None;
    for (i, tok) in tokens.iter().enumerate() {
        match tok {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close.ok_or("the argument list is not closed")?;
    let mut signature = RoutineSignature {
        volatility: "volatile".into(),
        parallel: "unsafe".into(),
        ..RoutineSignature::default()
    };
    for part in split_top(&tokens[1..close], ',') {
        signature.args.push(arg(part, procedure)?);
    }
    let rest = &tokens[close + 1..];
    if !rest.last().is_some_and(|t| t.is_word("as")) {
        return Err("the body must follow `as`: `as $$ ... $$`".into());
    }
    let rest = &rest[..rest.len() - 1];
    let mut i = 0;
    let word = |i: usize| match rest.get(i) {
        Some(Tok::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    let mut cost = None;
    let mut rows = None;
    while i < rest.len() {
        let Some(w) = word(i) else {
            return Err(format!("`{}` where an attribute goes", rest[i].text()));
        };
        match w {
            "returns" if word(i + 1) == Some("null") => {
                // `returns null on null input` = `strict`
                signature.strict = true;
                i += 5;
            }
            "returns" => {
                let start = i + 1;
                let mut end = start;
                let mut depth = 0;
                while end < rest.len() {
                    match &rest[end] {
                        Tok::Punct('(') => depth += 1,
                        Tok::Punct(')') => depth -= 1,
                        Tok::Word(w) if depth == 0 && ATTRIBUTE_WORDS.contains(&w.as_str()) => {
                            break
                        }
                        _ => {}
                    }
                    end += 1;
                }
                signature.returns = Some(returns(&rest[start..end])?);
                i = end;
            }
            "language" => {
                signature.language = match rest.get(i + 1) {
                    Some(Tok::Word(l) | Tok::Quoted(l)) => l.to_lowercase(),
                    Some(Tok::Str(l)) => l.trim_matches('\'').to_lowercase(),
                    _ => return Err("`language` needs a name".into()),
                };
                i += 2;
            }
            "immutable" | "stable" | "volatile" => {
                signature.volatility = w.to_string();
                i += 1;
            }
            "strict" => {
                signature.strict = true;
                i += 1;
            }
            "called" => {
                signature.strict = false;
                i += 4;
            }
            "external" => i += 1,
            "security" => {
                signature.security_definer = word(i + 1) == Some("definer");
                i += 2;
            }
            "leakproof" => {
                signature.leakproof = true;
                i += 1;
            }
            "not" if word(i + 1) == Some("leakproof") => {
                signature.leakproof = false;
                i += 2;
            }
            "parallel" => {
                signature.parallel = word(i + 1).unwrap_or("unsafe").to_string();
                i += 2;
            }
            "cost" | "rows" => {
                let value = match rest.get(i + 1) {
                    Some(Tok::Num(n)) => n.trim_end_matches(".0").to_string(),
                    _ => return Err(format!("`{w}` needs a number")),
                };
                if w == "cost" {
                    cost = Some(value);
                } else {
                    rows = Some(value);
                }
                i += 2;
            }
            "window" => {
                signature.window = true;
                i += 1;
            }
            "support" => {
                let mut end = i + 1;
                while end < rest.len() && !word(end).is_some_and(|w| ATTRIBUTE_WORDS.contains(&w)) {
                    end += 1;
                }
                signature.support = Some(join_tokens(&rest[i + 1..end]));
                i = end;
            }
            "set" => {
                let name = match rest.get(i + 1) {
                    Some(Tok::Word(n)) => n.clone(),
                    _ => return Err("`set` needs a setting name".into()),
                };
                match rest.get(i + 2) {
                    Some(t) if t.is_word("to") || matches!(t, Tok::Op(o) if o == "=") => {}
                    _ => return Err("only `set name to value` is supported".into()),
                }
                let mut values = Vec::new();
                let mut j = i + 3;
                loop {
                    match rest.get(j) {
                        Some(Tok::Str(s)) => {
                            values.push(s[1..s.len() - 1].replace("''", "'"));
                        }
                        Some(Tok::Word(v) | Tok::Quoted(v) | Tok::Num(v)) => values.push(v.clone()),
                        _ => return Err(format!("`set {name}` needs a value")),
                    }
                    j += 1;
                    if rest.get(j) == Some(&Tok::Punct(',')) {
                        j += 1;
                    } else {
                        break;
                    }
                }
                signature.config.push((name, values));
                i = j;
            }
            other => {
                return Err(format!(
                    "`{other}` is not a routine attribute schemac knows"
                ))
            }
        }
    }
    if signature.language.is_empty() {
        return Err("`language` is missing".into());
    }
    if procedure && signature.returns.is_some() {
        return Err("a procedure has no `returns`".into());
    }
    if !procedure && signature.returns.is_none() {
        return Err("`returns` is missing".into());
    }
    let default_cost = if ["c", "internal"].contains(&signature.language.as_str()) {
        "1"
    } else {
        "100"
    };
    signature.cost = cost.filter(|c| c != default_cost);
    let sets = signature
        .returns
        .as_deref()
        .is_some_and(|r| r.starts_with("setof ") || r.starts_with("table("));
    // PostgreSQL's defaults: 1000 rows for a set-returning function, 0 (none) for any other.
    let default_rows = if sets { "1000" } else { "0" };
    signature.rows = rows.filter(|r| r != default_rows);
    Ok(signature)
}

fn returns(tokens: &[Tok]) -> Result<String, String> {
    match tokens.first() {
        Some(t) if t.is_word("setof") => Ok(format!("setof {}", normal_type(&tokens[1..])?)),
        Some(t) if t.is_word("table") => {
            let inner = tokens
                .get(2..tokens.len().saturating_sub(1))
                .filter(|_| tokens.get(1) == Some(&Tok::Punct('(')))
                .ok_or("`returns table (...)` needs its columns")?;
            let columns = split_top(inner, ',')
                .into_iter()
                .map(|c| {
                    let a = arg(c, false)?;
                    Ok(format!(
                        "{} {}",
                        crate::vocab::ident(a.name.as_deref().unwrap_or("")),
                        a.ty
                    ))
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(format!("table({})", columns.join(", ")))
        }
        _ => normal_type(tokens),
    }
}

/// Text of an expression for comparison: normalised tokens, outer parentheses removed.
pub fn comparable_expr(text: &str) -> String {
    let mut text = normalize_sql(text);
    while let Some(inner) = crate::vocab::sql_text::unparen(&text) {
        text = inner.to_string();
    }
    text
}

/// Replaces the word `value` (any case, outside quotes) with `to`, reading the text through the
/// shared lexer.
pub fn replace_value(text: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for token in crate::lexer::lex(text) {
        if token.kind == crate::lexer::Kind::Word && token.text.eq_ignore_ascii_case("value") {
            out.push_str(&text[copied..token.start]);
            out.push_str(to);
            copied = token.end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// An argument default for comparison: token-normalised, with the casts the server adds to a
/// literal (`'x'::text`, `'1 day'::interval`) left off.
pub fn comparable_default(text: &str) -> String {
    let text = comparable_expr(text);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("::") {
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        let tail = &tail[2..];
        let end = tail
            .find(|c: char| {
                !(c.is_alphanumeric()
                    || c == '_'
                    || c == '.'
                    || c == '"'
                    || c == ' '
                    || c == '['
                    || c == ']')
            })
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schemas_text_and_the_servers_read_alike() {
        let ours = parse_header(
            "(a int, b varchar(20) default 'x', variadic c text[]) returns setof bigint language SQL immutable strict as",
            false,
        )
        .unwrap();
        let theirs = parse_header(
            "(a integer, b character varying DEFAULT 'x', VARIADIC c text[])\n RETURNS SETOF bigint\n LANGUAGE sql\n IMMUTABLE STRICT\nAS",
            false,
        )
        .unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(ours.args[1].ty, "character varying");
        assert_eq!(ours.args[2].mode, "variadic");
    }

    #[test]
    fn attributes_and_defaults() {
        let s = parse_header(
            "() returns trigger language plpgsql security definer set search_path = public, pg_temp cost 100 parallel safe as",
            false,
        )
        .unwrap();
        assert!(s.security_definer);
        assert_eq!(s.cost, None);
        assert_eq!(s.parallel, "safe");
        assert_eq!(
            s.config,
            vec![(
                "search_path".into(),
                vec!["public".into(), "pg_temp".into()]
            )]
        );
        let server = parse_header(
            "()\n RETURNS trigger\n LANGUAGE plpgsql\n PARALLEL SAFE SECURITY DEFINER\n SET search_path TO 'public', 'pg_temp'\nAS",
            false,
        )
        .unwrap();
        assert_eq!(s, server);
        let t = parse_header(
            "(x timestamptz) returns table (a int, \"B\" text) language sql as",
            false,
        )
        .unwrap();
        assert_eq!(t.returns.as_deref(), Some("table(a integer, \"B\" text)"));
        assert_eq!(t.args[0].ty, "timestamp with time zone");
        assert!(parse_header("(a int) language sql as", true).is_ok());
        assert!(parse_header("(a int) returns int as", false).is_err());
        assert!(parse_header("(a int returns int language sql as", false).is_err());
    }

    #[test]
    fn defaults_compare_without_the_servers_casts() {
        assert_eq!(
            comparable_default("'world'::text"),
            comparable_default("'world'")
        );
        assert_eq!(comparable_default("1"), "1");
        assert_ne!(comparable_default("'a'::text"), comparable_default("'b'"));
    }

    #[test]
    fn sql_text_normalises_case_and_spaces() {
        assert_eq!(
            normalize_sql("NEW.a IS DISTINCT FROM  OLD.a"),
            normalize_sql("new.a is distinct from old.a")
        );
        assert_eq!(normalize_sql("(a>=1)"), normalize_sql("( a >= 1 )"));
        assert_eq!(normalize_sql("'A b'"), "'A b'");
    }
}
