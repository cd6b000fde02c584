//! Syntax of `function`/`procedure` and `domain` items and of `trigger` table entries, as written.

use super::ast::{Expr, Ident, QualName, TypeRef};
use crate::source::Span;

/// `function` or `procedure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoutineKind {
    Function,
    Procedure,
}

impl RoutineKind {
    pub fn keyword(self) -> &'static str {
        match self {
            RoutineKind::Function => "function",
            RoutineKind::Procedure => "procedure",
        }
    }
}

/// `function name(args) returns t language l ... as $tag$ body $tag$`: everything between the
/// name and the body is PostgreSQL's own syntax, kept as written (`model::routines` reads it).
#[derive(Debug, Clone, PartialEq)]
pub struct RoutineDef {
    pub kind: RoutineKind,
    pub name: QualName,
    /// From just after the name up to the body's opening dollar quote, verbatim.
    pub header: String,
    pub header_span: Span,
    /// The dollar quote's tag (`fn` for `$fn$`, empty for `$$`).
    pub tag: String,
    /// Between the dollar quotes, byte for byte.
    pub body: String,
    pub span: Span,
}

/// `domain name type [default (e)] [not null] [check [name] (e)]...`.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainDef {
    pub name: QualName,
    pub ty: TypeRef,
    pub default: Option<Expr>,
    pub not_null: bool,
    pub checks: Vec<DomainCheck>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DomainCheck {
    pub name: Option<Ident>,
    pub expr: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TriggerTiming {
    Before,
    After,
    InsteadOf,
}

impl TriggerTiming {
    pub fn source(self) -> &'static str {
        match self {
            TriggerTiming::Before => "before",
            TriggerTiming::After => "after",
            TriggerTiming::InsteadOf => "instead of",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TriggerEvent {
    Insert,
    Update,
    Delete,
    Truncate,
}

impl TriggerEvent {
    pub fn source(self) -> &'static str {
        match self {
            TriggerEvent::Insert => "insert",
            TriggerEvent::Update => "update",
            TriggerEvent::Delete => "delete",
            TriggerEvent::Truncate => "truncate",
        }
    }
}

/// `trigger name before update of a or insert for each row [when (e)] execute f('x')`.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerDef {
    pub name: Ident,
    pub timing: TriggerTiming,
    pub events: Vec<TriggerEvent>,
    /// `update of a, b`.
    pub update_of: Vec<Ident>,
    pub for_each_row: bool,
    pub when: Option<Expr>,
    pub function: QualName,
    /// Arguments as written (string literals with their quotes).
    pub args: Vec<String>,
}
