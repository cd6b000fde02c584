//! The one lexer of SQL expression text, for every place that reads an expression without the
//! server: the local canonicaliser's parser (`introspect/local.rs`, which refuses what it does not
//! know), PostgreSQL's default names (`catalog/names.rs`), column renames inside stored
//! expressions (`diff/expr.rs`), casts rewritten for a preflight (`plan/recipes/columns.rs`),
//! scratch-schema qualification (`introspect/canonicalize.rs`), a trigger condition's `new.`/`old.`
//! (`introspect/local/triggers.rs`), a domain check's `VALUE` (`model/routines.rs`) and whether a
//! default needs parentheses (`sql/ddl.rs`).
//!
//! It is lenient: any text lexes, an unterminated quote runs to the end and says so, and each
//! token keeps its byte range, so a caller that rewrites text copies everything else as written.
//! Words fold to lower case as PostgreSQL folds unquoted identifiers (ASCII letters only), and
//! operators split as the server's scanner splits them (a run of operator characters does not end
//! in `+` or `-` unless it holds one of `~!@#%^&|`?`, so `=-1` is `=` then `-`, `1`).
//! Imports nothing.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An unquoted identifier or keyword.
    Word,
    /// A double-quoted identifier.
    QuotedWord,
    /// A single-quoted string literal.
    Str,
    /// A number: a digit, then digits, letters, `_` and `.`.
    Num,
    /// A run of operator characters.
    Op,
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Comma,
    /// `::`
    Cast,
    Dot,
    /// Any other character (`$`, `;`, a lone `:`).
    Other,
}

/// One token: its kind and where it stands in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: Kind,
    /// The token as written, quotes included.
    pub text: &'a str,
    /// Byte offsets of `text` in the lexed string.
    pub start: usize,
    pub end: usize,
    /// A quoted identifier or string that the text ends inside.
    pub unterminated: bool,
}

impl Token<'_> {
    /// The identifier a word names: an unquoted one folded to lower case, a quoted one without its
    /// quotes (`""` read as `"`); `None` for other tokens.
    pub fn name(&self) -> Option<String> {
        match self.kind {
            Kind::Word => Some(self.text.to_ascii_lowercase()),
            Kind::QuotedWord => Some(unquote(self.text, '"', self.unterminated)),
            _ => None,
        }
    }

    /// The value of a string literal (`''` read as `'`); `None` for other tokens.
    pub fn value(&self) -> Option<String> {
        (self.kind == Kind::Str).then(|| unquote(self.text, '\'', self.unterminated))
    }
}

fn unquote(text: &str, quote: char, unterminated: bool) -> String {
    let inner = &text[quote.len_utf8()..];
    let inner = if unterminated {
        inner
    } else {
        &inner[..inner.len() - quote.len_utf8()]
    };
    let doubled: String = [quote, quote].iter().collect();
    inner.replace(&doubled, &quote.to_string())
}

const OPERATOR_CHARS: &str = "+-*/<>=~!@#%^&|`?";
/// An operator holding one of these may end in `+` or `-`.
const OPERATOR_SPECIALS: &str = "~!@#%^&|`?";

/// The tokens of `text`, whitespace left out.
pub fn lex(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        let start = at;
        let (kind, end, unterminated) = token_at(text, start, c);
        at = end;
        if kind.is_none() {
            continue;
        }
        tokens.extend(kind.map(|kind| Token {
            kind,
            text: &text[start..end],
            start,
            end,
            unterminated,
        }));
    }
    tokens
}

/// The token that starts with `c` at byte `start`: its kind (`None` for whitespace), where it
/// ends, and whether it is an unterminated quote.
fn token_at(text: &str, start: usize, c: char) -> (Option<Kind>, usize, bool) {
    let next = |at: usize| text[at..].chars().next();
    let after_c = start + c.len_utf8();
    // The end of the run of characters from `from` that `keep` accepts.
    let run = |from: usize, keep: &dyn Fn(char) -> bool| {
        text[from..]
            .char_indices()
            .find(|&(_, ch)| !keep(ch))
            .map_or(text.len(), |(i, _)| from + i)
    };
    match c {
        c if c.is_whitespace() => (None, after_c, false),
        '\'' | '"' => {
            let mut at = after_c;
            loop {
                match next(at) {
                    None => break (Some(quoted_kind(c)), text.len(), true),
                    // A doubled quote stands for itself; a single one ends the token.
                    Some(q) if q == c && next(at + 1) == Some(c) => at += 2,
                    Some(q) if q == c => break (Some(quoted_kind(c)), at + 1, false),
                    Some(other) => at += other.len_utf8(),
                }
            }
        }
        c if c.is_alphabetic() || c == '_' => (
            Some(Kind::Word),
            run(after_c, &|ch| {
                ch.is_alphanumeric() || ch == '_' || ch == '$'
            }),
            false,
        ),
        c if c.is_ascii_digit() => (
            Some(Kind::Num),
            run(after_c, &|ch| {
                ch.is_alphanumeric() || ch == '_' || ch == '.'
            }),
            false,
        ),
        ':' if next(after_c) == Some(':') => (Some(Kind::Cast), after_c + 1, false),
        c if OPERATOR_CHARS.contains(c) => {
            let end = run(after_c, &|ch| OPERATOR_CHARS.contains(ch));
            let op = &text[start..end];
            let mut keep = op.len();
            if !op.contains(|ch| OPERATOR_SPECIALS.contains(ch)) {
                while keep > 1 && op[..keep].ends_with(['+', '-']) {
                    keep -= 1;
                }
            }
            // The characters cut off lex again, as operators of their own.
            (Some(Kind::Op), start + keep, false)
        }
        '(' => (Some(Kind::Open), after_c, false),
        ')' => (Some(Kind::Close), after_c, false),
        '[' => (Some(Kind::OpenBracket), after_c, false),
        ']' => (Some(Kind::CloseBracket), after_c, false),
        ',' => (Some(Kind::Comma), after_c, false),
        '.' => (Some(Kind::Dot), after_c, false),
        _ => (Some(Kind::Other), after_c, false),
    }
}

fn quoted_kind(quote: char) -> Kind {
    if quote == '"' {
        Kind::QuotedWord
    } else {
        Kind::Str
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        lex(text).into_iter().map(|t| (t.kind, t.text)).collect()
    }

    #[test]
    fn every_kind_with_its_text() {
        assert_eq!(
            kinds(r#"(Lower("My ""col""") <= 'it''s'::text) AND a.b[1], $1"#),
            vec![
                (Kind::Open, "("),
                (Kind::Word, "Lower"),
                (Kind::Open, "("),
                (Kind::QuotedWord, r#""My ""col""""#),
                (Kind::Close, ")"),
                (Kind::Op, "<="),
                (Kind::Str, "'it''s'"),
                (Kind::Cast, "::"),
                (Kind::Word, "text"),
                (Kind::Close, ")"),
                (Kind::Word, "AND"),
                (Kind::Word, "a"),
                (Kind::Dot, "."),
                (Kind::Word, "b"),
                (Kind::OpenBracket, "["),
                (Kind::Num, "1"),
                (Kind::CloseBracket, "]"),
                (Kind::Comma, ","),
                (Kind::Other, "$"),
                (Kind::Num, "1"),
            ]
        );
    }

    #[test]
    fn names_and_values_are_read_as_postgresql_reads_them() {
        let tokens = lex(r#"Total "Total" "a""b" 'it''s'"#);
        let names: Vec<Option<String>> = tokens.iter().map(Token::name).collect();
        assert_eq!(
            names,
            [
                Some("total".into()),
                Some("Total".into()),
                Some("a\"b".into()),
                None
            ]
        );
        assert_eq!(tokens[3].value().as_deref(), Some("it's"));
    }

    #[test]
    fn operators_split_as_the_server_splits_them() {
        assert_eq!(
            kinds("a=-1 b<>-2 c!=-3 d<=e"),
            vec![
                (Kind::Word, "a"),
                (Kind::Op, "="),
                (Kind::Op, "-"),
                (Kind::Num, "1"),
                (Kind::Word, "b"),
                (Kind::Op, "<>"),
                (Kind::Op, "-"),
                (Kind::Num, "2"),
                (Kind::Word, "c"),
                (Kind::Op, "!=-"),
                (Kind::Num, "3"),
                (Kind::Word, "d"),
                (Kind::Op, "<="),
                (Kind::Word, "e"),
            ]
        );
    }

    #[test]
    fn any_text_lexes_and_an_open_quote_says_so() {
        let tokens = lex("'open");
        assert_eq!(tokens.len(), 1);
        assert!(tokens[0].unterminated);
        assert_eq!(tokens[0].value().as_deref(), Some("open"));
        let tokens = lex("\"open\"\"");
        assert!(tokens[0].unterminated);
        assert_eq!(tokens[0].name().as_deref(), Some("open\""));
        assert!(lex("").is_empty());
        assert_eq!(kinds("é:"), vec![(Kind::Word, "é"), (Kind::Other, ":")]);
        // Spans cover the text between the whitespace.
        let text = "  f ( x )";
        let rebuilt: String = lex(text).iter().map(|t| &text[t.start..t.end]).collect();
        assert_eq!(rebuilt, "f(x)");
    }
}
