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
        .with_help(format!(
            "write what follows `CREATE {kind}` in PostgreSQL, attributes before the body: \
             `{kind} {name}(a int) returns int language sql immutable as $$ select a $$`",
            kind = kind,
        ))
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
            "write `trigger name before update of col for each row execute function_name()`"
                .to_string(),
        )
    }
}
