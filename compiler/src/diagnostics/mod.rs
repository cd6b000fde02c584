//! `Diagnostic`: what every stage reports about the user's input — a stable code, a message,
//! labelled spans and help — and its rendering with miette. Constructors, one per message, live
//! in the per-stage files (`syntax.rs`, `resolve.rs`, `plan.rs`); all wording lives there.

pub mod codes;
mod render;
mod resolve;
mod routines;
pub mod suggest;
mod syntax;

use crate::source::Span;

pub use render::{render, render_all};

/// How bad a diagnostic is: errors stop the pipeline, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// A labelled place in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A problem with the user's input, pointing at where it is and saying what to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code such as `schemac::resolve::unknown_table`.
    pub code: &'static str,
    pub message: String,
    /// The first label is the primary location.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a label only when the span is known (catalog objects from a database have none).
    pub fn with_optional_label(self, span: Option<Span>, message: impl Into<String>) -> Diagnostic {
        match span {
            Some(span) => self.with_label(span, message),
            None => self,
        }
    }

    pub fn with_help(mut self, help: impl Into<Option<String>>) -> Diagnostic {
        self.help = help.into();
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The primary location, if any.
    pub fn span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }
}

/// True when any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}
