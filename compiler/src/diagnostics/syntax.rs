//! Constructors for syntax diagnostics (stage `parse`): the words users see when a file is not
//! `.schema` syntax. Messages never name grammar rules.

use super::{codes, Diagnostic};
use crate::source::Span;

impl Diagnostic {
    /// `expected X, found Y`: what the parser wanted where the text stopped making sense.
    pub fn unexpected_token(
        expected: &str,
        found: &str,
        at: Span,
        suggestion: Option<&str>,
        help: Option<String>,
    ) -> Diagnostic {
        let help = match suggestion {
            Some(s) => Some(format!("did you mean `{s}`?")),
            None => help,
        };
        Diagnostic::error(
            codes::UNEXPECTED_TOKEN,
            format!("expected {expected}, found {found}"),
        )
        .with_label(at, format!("expected {expected}"))
        .with_help(help)
    }

    /// A top-level line that is not an item.
    pub fn unknown_item(found: &str, at: Span, suggestion: Option<&str>) -> Diagnostic {
        let help = match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                "a schema file holds `table`, `tenant table`, `global table`, `enum`, `tenancy`, \
                     `role` and `grant` items"
                    .to_string()
            }
        };
        Diagnostic::error(
            codes::UNKNOWN_ITEM,
            format!("expected a `table`, `enum`, `tenancy`, `role` or `grant` item, found {found}"),
        )
        .with_label(at, "not the start of an item")
        .with_help(help)
    }

    /// A table whose `}` is missing; `next` is where the next item starts (or the end of file).
    pub fn missing_close_brace(table: &str, open: Span, next: Span) -> Diagnostic {
        Diagnostic::error(
            codes::MISSING_CLOSE_BRACE,
            format!("expected `}}` to close table `{table}`"),
        )
        .with_label(next, "expected `}` before this")
        .with_label(open, "table opened here")
        .with_help(format!("add `}}` after the last entry of table `{table}`"))
    }

    /// An invalid UTF-8 byte at `at`.
    pub fn invalid_utf8(at: Span) -> Diagnostic {
        Diagnostic::error(codes::INVALID_UTF8, "this file is not valid UTF-8")
            .with_label(at, "invalid byte here")
            .with_help("save the file as UTF-8".to_string())
    }

    /// Nesting beyond `limit` levels of `(`, `[` or `{`.
    pub fn nesting_too_deep(at: Span, limit: usize) -> Diagnostic {
        Diagnostic::error(
            codes::NESTING_TOO_DEEP,
            format!("parentheses or braces are nested more than {limit} levels deep"),
        )
        .with_label(at, "too deep here")
        .with_help("simplify the expression, or check for unbalanced parentheses".to_string())
    }

    /// A number that does not fit in 32 bits.
    pub fn invalid_number(text: &str, at: Span) -> Diagnostic {
        Diagnostic::error(codes::INVALID_NUMBER, format!("`{text}` is too large"))
            .with_label(at, "number out of range")
            .with_help("type arguments are at most 4294967295".to_string())
    }

    /// A string without its closing quote (`"` on the same line, or `'` inside an expression).
    pub fn unterminated_string(at: Span, quote: char) -> Diagnostic {
        let help = if quote == '"' {
            "close the string with `\"` on the same line".to_string()
        } else {
            format!("close the string with `{quote}`; write `{quote}{quote}` for a quote inside it")
        };
        Diagnostic::error(codes::UNTERMINATED_STRING, "this string is not closed")
            .with_label(at, "string starts here")
            .with_help(help)
    }

    /// An expression's `(` without its `)`.
    pub fn unclosed_parenthesis(at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::UNCLOSED_PARENTHESIS,
            "this parenthesis is not closed",
        )
        .with_label(at, "opened here")
        .with_help("add the missing `)`; an expression must balance its parentheses".to_string())
    }
}
