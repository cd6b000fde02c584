//! Constructors for diagnostics on `function`, `procedure`, `domain` items and `trigger` entries.

use super::{codes, Diagnostic};
use crate::source::Span;

impl Diagnostic {
    pub fn invalid_routine(kind: &str, name: &str, reason: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::INVALID_ROUTINE,
            format!("{kind} `{name}` does not read as PostgreSQL's syntax: {reason}"),
        )
        .with_label(at, "here")
        .with_help(if kind == "procedure" {
            format!(
                "write what follows `CREATE PROCEDURE` in PostgreSQL, attributes before the body: \
                 `procedure {name}(a int) language sql as $$ ... $$`"
            )
        } else {
            format!(
                "write what follows `CREATE FUNCTION` in PostgreSQL, attributes before the body: \
                 `function {name}(a int) returns int language sql immutable as $$ select a $$`"
            )
        })
    }

    pub fn duplicate_routine(what: &str, at: Span, first: Span) -> Diagnostic {
        Diagnostic::error(
            codes::DUPLICATE_ROUTINE,
            format!("{what} is declared twice"),
        )
        .with_label(at, "declared again here")
        .with_label(first, "first declared here")
        .with_help("remove one of them, or give the overload other argument types".to_string())
    }

    pub fn invalid_trigger(trigger: &str, reason: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::INVALID_TRIGGER,
            format!("trigger `{trigger}`: {reason}"),
        )
        .with_label(at, "here")
        .with_help(
            "`update of` lists columns of the trigger's own table: declare the column, or leave it \
             out of the list"
                .to_string(),
        )
    }
}
