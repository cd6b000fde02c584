//! PostgreSQL's default names for constraints, indexes and sequences, reproduced exactly so that a
//! database created by hand (or by another tool) from the same schema compares equal.
//! The rules are those of `makeObjectName`, `ChooseRelationName`, `ChooseConstraintName`,
//! `ChooseIndexNameAddition` and `ChooseIndexColumnNames` / `FigureIndexColname` in
//! src/backend/commands/indexcmds.c and src/backend/catalog/pg_constraint.c (PostgreSQL 15).

use std::collections::{BTreeSet, HashSet};

use foldhash::fast::FixedState;

use super::IndexKey;
use crate::lexer::{self, Kind};

/// PostgreSQL's NAMEDATALEN; names are at most `NAMEDATALEN - 1` = 63 bytes.
pub const NAMEDATALEN: usize = 64;

/// `makeObjectName`: `name1[_name2][_label]`, shortening the longer of `name1`/`name2` one byte at
/// a time until the whole fits in 63 bytes (the label is never shortened).
pub fn make_object_name(name1: &str, name2: Option<&str>, label: Option<&str>) -> String {
    let mut overhead = 0;
    let mut name1_len = name1.len();
    let mut name2_len = 0;
    if let Some(name2) = name2 {
        name2_len = name2.len();
        overhead += 1;
    }
    if let Some(label) = label {
        overhead += label.len() + 1;
    }
    let available = (NAMEDATALEN - 1).saturating_sub(overhead);
    while name1_len + name2_len > available {
        if name1_len > name2_len {
            name1_len -= 1;
        } else {
            name2_len -= 1;
        }
    }
    // pg_mbcliplen: never cut a multi-byte character in half.
    let mut name = String::with_capacity(name1_len + name2_len + overhead);
    name.push_str(clip(name1, name1_len));
    if let Some(name2) = name2 {
        name.push('_');
        name.push_str(clip(name2, name2_len));
    }
    if let Some(label) = label {
        name.push('_');
        name.push_str(label);
    }
    name
}

/// The longest prefix of `text` of at most `len` bytes that ends on a character boundary.
fn clip(text: &str, len: usize) -> &str {
    let mut end = len.min(text.len());
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `ChooseIndexNameAddition` (also `ChooseForeignKeyConstraintNameAddition`): the column names
/// joined with `_`, stopping once the text reaches NAMEDATALEN bytes.
pub fn name_addition<S: AsRef<str>>(columns: &[S]) -> String {
    let mut text = String::new();
    for column in columns {
        if !text.is_empty() {
            text.push('_');
        }
        text.push_str(clip(column.as_ref(), NAMEDATALEN - 1));
        if text.len() >= NAMEDATALEN {
            break;
        }
    }
    text
}

/// The column names of an index's default name: its keys, then its `INCLUDE` columns, as
/// `ChooseIndexColumnNames` reads every column of the index (`(a) include (b)` is `t_a_b_idx`).
pub fn index_name_columns(index: &super::Index) -> Vec<String> {
    let keys: Vec<IndexKey> = index
        .keys
        .iter()
        .cloned()
        .chain(index.options.include.iter().cloned().map(IndexKey::Column))
        .collect();
    index_column_names(&keys)
}

/// `ChooseIndexColumnNames`: one name per index key — the column, or for an expression the name
/// `FigureIndexColname` gives it (a function's name, else `expr`) — made unique by appending
/// 1, 2, ...
pub fn index_column_names(keys: &[IndexKey]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for key in keys {
        let original = match key {
            IndexKey::Column(name) => name.clone(),
            IndexKey::Expr(expr) => figure_colname(expr).unwrap_or_else(|| "expr".to_string()),
        };
        let mut current = original.clone();
        let mut i = 1;
        while names.contains(&current) {
            let suffix = i.to_string();
            current = format!(
                "{}{suffix}",
                clip(&original, NAMEDATALEN - 1 - suffix.len())
            );
            i += 1;
        }
        names.push(current);
    }
    names
}

/// Names taken in one schema: relations (tables, indexes, sequences) and constraints.
/// Only membership is ever asked, so hash sets are fine: no iteration order reaches output.
#[derive(Debug, Clone, Default)]
pub struct Namespace {
    relations: HashSet<String, FixedState>,
    constraints: HashSet<String, FixedState>,
}

impl Namespace {
    /// Marks a relation name (table, index, sequence) as taken.
    pub fn reserve_relation(&mut self, name: &str) {
        self.relations.insert(name.to_string());
    }

    /// Marks a constraint name as taken.
    pub fn reserve_constraint(&mut self, name: &str) {
        self.constraints.insert(name.to_string());
    }

    /// `ChooseRelationName`: the first of `label`, `label1`, `label2`, ... whose name is not a
    /// relation (nor, for an index backing a constraint, a constraint); the name is then taken.
    pub fn choose_relation_name(
        &mut self,
        name1: &str,
        name2: Option<&str>,
        label: &str,
        is_constraint: bool,
    ) -> String {
        let mut pass = 0;
        loop {
            let name = match pass {
                0 => make_object_name(name1, name2, Some(label)),
                _ => make_object_name(name1, name2, Some(&format!("{label}{pass}"))),
            };
            let taken = self.relations.contains(&name)
                || (is_constraint && self.constraints.contains(&name));
            if !taken {
                if is_constraint {
                    self.constraints.insert(name.clone());
                }
                self.relations.insert(name.clone());
                return name;
            }
            pass += 1;
        }
    }

    /// `ChooseConstraintName`: like `choose_relation_name`, among constraint names only.
    pub fn choose_constraint_name(
        &mut self,
        name1: &str,
        name2: Option<&str>,
        label: &str,
    ) -> String {
        let mut pass = 0;
        loop {
            let name = match pass {
                0 => make_object_name(name1, name2, Some(label)),
                _ => make_object_name(name1, name2, Some(&format!("{label}{pass}"))),
            };
            if !self.constraints.contains(&name) {
                self.constraints.insert(name.clone());
                return name;
            }
            pass += 1;
        }
    }
}

/// A token of an SQL expression, as far as naming needs to see it.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// An identifier or keyword; `quoted` ones keep their case.
    Word {
        text: String,
        quoted: bool,
    },
    /// String or number literal.
    Literal,
    Open,
    Close,
    /// `::`
    Cast,
    Dot,
    Comma,
    /// Any other operator character run.
    Operator,
}

/// The shared lexer's tokens, as far as naming needs to tell them apart.
fn tokenize(expr: &str) -> Vec<Token> {
    lexer::lex(expr)
        .iter()
        .map(|token| match token.kind {
            Kind::Word | Kind::QuotedWord => Token::Word {
                text: token.name().unwrap_or_default(),
                quoted: token.kind == Kind::QuotedWord,
            },
            Kind::Str | Kind::Num => Token::Literal,
            Kind::Open | Kind::OpenBracket => Token::Open,
            Kind::Close | Kind::CloseBracket => Token::Close,
            Kind::Cast => Token::Cast,
            Kind::Dot => Token::Dot,
            Kind::Comma => Token::Comma,
            Kind::Op | Kind::Other => Token::Operator,
        })
        .collect()
}

/// Keywords that are operators at the top of an expression (the expression is then not a
/// column, call or cast, and gets no name).
const OPERATOR_WORDS: &[&str] = &[
    "and", "or", "not", "is", "in", "like", "ilike", "similar", "between", "isnull", "notnull",
    "collate", "at", "overlaps",
];

/// Constant keywords: an expression that is one of them has no name.
const CONSTANT_WORDS: &[&str] = &["true", "false", "null"];

/// SQL-standard type keywords and the internal names PostgreSQL gives them (`SystemTypeName`),
/// which is what a cast to them is named after.
fn system_type_name(words: &[String]) -> Option<String> {
    let text = words.join(" ");
    let name = match text.as_str() {
        "int" | "integer" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "real" => "float4",
        "float" | "double precision" => "float8",
        "decimal" | "dec" | "numeric" => "numeric",
        "boolean" => "bool",
        "character varying" | "varchar" | "char varying" => "varchar",
        "character" | "char" => "bpchar",
        "timestamp with time zone" => "timestamptz",
        "timestamp without time zone" | "timestamp" => "timestamp",
        "time with time zone" => "timetz",
        "time without time zone" | "time" => "time",
        _ => return words.last().cloned(),
    };
    Some(name.to_string())
}

/// Splits `tokens` at depth 0 wherever `is_split` holds; returns the depth-0 positions.
fn top_level_positions(tokens: &[Token], is_split: impl Fn(&Token) -> bool) -> Vec<usize> {
    let mut depth = 0usize;
    let mut positions = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            t if depth == 0 && is_split(t) => positions.push(i),
            _ => {}
        }
    }
    positions
}

/// True when `tokens[0]` is `(` and its matching `)` is the last token.
fn wrapped(tokens: &[Token]) -> bool {
    if tokens.first() != Some(&Token::Open) || tokens.last() != Some(&Token::Close) {
        return false;
    }
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Open => depth += 1,
            Token::Close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i == tokens.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

/// `FigureColname` over an expression's text: the name PostgreSQL gives an index column on it
/// (`lower(email)` → `lower`, `a::text` → `a`, `'x'::text` → `text`), or `None` (PostgreSQL then
/// says `expr`).
pub fn figure_colname(expr: &str) -> Option<String> {
    let tokens = tokenize(expr);
    figure_tokens(&tokens).map(|(name, _)| name)
}

/// Returns the name and its strength (2 = a real name, 1 = a fallback such as a type or `case`).
fn figure_tokens(tokens: &[Token]) -> Option<(String, u8)> {
    let mut tokens = tokens;
    while wrapped(tokens) {
        tokens = &tokens[1..tokens.len() - 1];
    }
    if tokens.is_empty() {
        return None;
    }
    // Any top-level operator other than `::` makes this an operator expression: no name.
    let operators = top_level_positions(tokens, |t| match t {
        Token::Operator | Token::Comma => true,
        Token::Word {
            text,
            quoted: false,
        } => OPERATOR_WORDS.contains(&text.as_str()),
        _ => false,
    });
    if !operators.is_empty() {
        return None;
    }
    // `x::a::b` is a cast of a cast: named after `x` when `x` has a real name, else after the
    // last type. Walked without recursion so that a long chain of casts cannot overflow.
    let casts = top_level_positions(tokens, |t| *t == Token::Cast);
    if let (Some(&first), Some(&last)) = (casts.first(), casts.last()) {
        if let Some((name, 2)) = figure_tokens(&tokens[..first]) {
            return Some((name, 2));
        }
        let words: Vec<String> = tokens[last + 1..]
            .iter()
            .take_while(|t| !matches!(t, Token::Open))
            .filter_map(|t| match t {
                Token::Word { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect();
        // A qualified type name `pg_catalog.text` is named after its last part.
        let name = if tokens[last + 1..].contains(&Token::Dot) {
            words.last().cloned()
        } else {
            system_type_name(&words)
        };
        return name.map(|n| (n, 1));
    }
    match tokens {
        [Token::Word {
            text,
            quoted: false,
        }, ..]
            if text == "case" =>
        {
            Some(("case".to_string(), 1))
        }
        [Token::Word {
            text,
            quoted: false,
        }, Token::Open, ..]
            if text == "array" =>
        {
            Some(("array".to_string(), 2))
        }
        [Token::Word {
            text,
            quoted: false,
        }, Token::Open, ..]
            if text == "row" =>
        {
            Some(("row".to_string(), 2))
        }
        _ => {
            // A column reference or a function call: words joined by dots, then maybe `( ... )`.
            let mut i = 0;
            loop {
                let Some(Token::Word { text, quoted }) = tokens.get(i) else {
                    return None;
                };
                if !quoted && CONSTANT_WORDS.contains(&text.as_str()) && tokens.len() == 1 {
                    return None;
                }
                i += 1;
                match tokens.get(i) {
                    Some(Token::Dot) => i += 1,
                    None => return Some((text.clone(), 2)),
                    Some(Token::Open) if wrapped(&tokens[i..]) => return Some((text.clone(), 2)),
                    _ => return None,
                }
            }
        }
    }
}

/// The one column of `columns` that a check expression mentions, if it mentions exactly one
/// (PostgreSQL then names the check `<table>_<column>_check`, else `<table>_check`).
pub fn check_column(expr: &str, columns: &[String]) -> Option<String> {
    let tokens = tokenize(expr);
    let mut found: BTreeSet<String> = BTreeSet::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Word { text, .. } = token else {
            continue;
        };
        let next = tokens.get(i + 1);
        let previous = i.checked_sub(1).and_then(|p| tokens.get(p));
        // `f(`: a function; `t.`: a qualifier; `::t`: a type.
        if matches!(next, Some(Token::Open) | Some(Token::Dot)) || previous == Some(&Token::Cast) {
            continue;
        }
        // Unquoted words were folded to lower case by `tokenize`, as PostgreSQL folds them.
        let matched = columns.iter().find(|c| *c == text);
        if let Some(column) = matched {
            found.insert(column.clone());
        }
    }
    if found.len() == 1 {
        found.into_iter().next()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_joined() {
        assert_eq!(make_object_name("users", None, Some("pkey")), "users_pkey");
        assert_eq!(
            make_object_name("users", Some("email"), Some("key")),
            "users_email_key"
        );
        assert_eq!(name_addition(&["a", "b"]), "a_b");
    }

    #[test]
    fn long_names_shorten_the_longer_part_first() {
        let table = "a".repeat(40);
        let column = "b".repeat(30);
        let name = make_object_name(&table, Some(&column), Some("key"));
        assert_eq!(name.len(), 63);
        // 63 - 5 overhead = 58 chars for both parts: 29 + 29 after shortening the longer first.
        assert_eq!(name, format!("{}_{}_key", "a".repeat(29), "b".repeat(29)));
        let name = make_object_name(&"t".repeat(70), None, Some("pkey"));
        assert_eq!(name, format!("{}_pkey", "t".repeat(58)));
        // Unequal parts: only the longer is cut until they tie.
        let name = make_object_name(&"x".repeat(60), Some("short"), Some("idx"));
        assert_eq!(name, format!("{}_short_idx", "x".repeat(53)));
    }

    #[test]
    fn addition_stops_at_namedatalen() {
        let columns: Vec<String> = (0..10).map(|i| format!("column_number_{i}")).collect();
        let addition = name_addition(&columns);
        assert!(addition.len() >= NAMEDATALEN);
        assert!(addition.len() < NAMEDATALEN + 17);
        assert!(addition.starts_with("column_number_0_column_number_1"));
    }

    #[test]
    fn collisions_append_numbers_to_the_label() {
        let mut namespace = Namespace::default();
        namespace.reserve_relation("t");
        assert_eq!(
            namespace.choose_relation_name("t", Some("a"), "idx", false),
            "t_a_idx"
        );
        assert_eq!(
            namespace.choose_relation_name("t", Some("a"), "idx", false),
            "t_a_idx1"
        );
        assert_eq!(
            namespace.choose_relation_name("t", Some("a"), "idx", false),
            "t_a_idx2"
        );
        assert_eq!(
            namespace.choose_constraint_name("t", Some("a"), "check"),
            "t_a_check"
        );
        assert_eq!(
            namespace.choose_constraint_name("t", Some("a"), "check"),
            "t_a_check1"
        );
        // A unique constraint's index must avoid constraint names too.
        namespace.reserve_constraint("t_b_key");
        assert_eq!(
            namespace.choose_relation_name("t", Some("b"), "key", true),
            "t_b_key1"
        );
        // A plain index only avoids relations.
        assert_eq!(
            namespace.choose_relation_name("t", Some("b"), "idx", false),
            "t_b_idx"
        );
    }

    #[test]
    fn collisions_on_truncated_names() {
        let mut namespace = Namespace::default();
        let table = "t".repeat(60);
        let first = namespace.choose_relation_name(&table, Some("col"), "idx", false);
        let second = namespace.choose_relation_name(&table, Some("col"), "idx", false);
        assert_eq!(first.len(), 63);
        assert_eq!(second.len(), 63);
        assert!(second.ends_with("_col_idx1"), "{second}");
    }

    #[test]
    fn index_expressions_are_named_like_postgres() {
        assert_eq!(figure_colname("lower(email)").as_deref(), Some("lower"));
        assert_eq!(
            figure_colname("public.lower(email)").as_deref(),
            Some("lower")
        );
        assert_eq!(figure_colname("(a + b)"), None);
        assert_eq!(figure_colname("a::text").as_deref(), Some("a"));
        assert_eq!(figure_colname("'x'::text").as_deref(), Some("text"));
        assert_eq!(
            figure_colname("(data->>'k')::integer").as_deref(),
            Some("int4")
        );
        assert_eq!(
            figure_colname("coalesce(a, b)").as_deref(),
            Some("coalesce")
        );
        assert_eq!(
            figure_colname("case when a then 1 end").as_deref(),
            Some("case")
        );
        assert_eq!(figure_colname("t.col").as_deref(), Some("col"));
        assert_eq!(figure_colname("'1'::text::int").as_deref(), Some("int4"));
        assert_eq!(figure_colname("a::text::int").as_deref(), Some("a"));
        let chain = format!("a{}", "::text".repeat(20_000));
        assert_eq!(figure_colname(&chain).as_deref(), Some("a"));
        let keys = vec![
            IndexKey::Expr("lower(a)".into()),
            IndexKey::Expr("lower(b)".into()),
            IndexKey::Expr("a + 1".into()),
            IndexKey::Column("c".into()),
        ];
        assert_eq!(index_column_names(&keys), ["lower", "lower1", "expr", "c"]);
    }

    #[test]
    fn check_names_one_column_or_none() {
        let columns = vec![
            "status".to_string(),
            "a".to_string(),
            "b".to_string(),
            "Mixed".to_string(),
        ];
        assert_eq!(
            check_column("status in ('open', 'closed')", &columns).as_deref(),
            Some("status")
        );
        assert_eq!(check_column("a > b", &columns), None);
        assert_eq!(
            check_column("length(a) > 0 and a <> 'b'", &columns).as_deref(),
            Some("a")
        );
        assert_eq!(
            check_column("\"Mixed\" > 0", &columns).as_deref(),
            Some("Mixed")
        );
        assert_eq!(
            check_column("a::text <> 'x'", &columns).as_deref(),
            Some("a")
        );
        assert_eq!(check_column("now() > '2020-01-01'", &columns), None);
    }
}
