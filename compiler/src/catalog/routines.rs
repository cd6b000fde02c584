//! Functions and procedures, triggers and domains as the catalog holds them. A routine's
//! signature and attributes are compared as parsed (`model::routines::parse_header`, applied to the
//! schema's text and to `pg_get_functiondef` alike); its body verbatim (`pg_proc.prosrc`).

use super::{QualifiedName, SqlType};
use crate::source::Span;

/// One argument of a routine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoutineArg {
    /// `in` (the default, stored as empty), `out`, `inout`, `variadic`.
    pub mode: String,
    pub name: Option<String>,
    /// The type as `format_type` prints it without a modifier (`integer`, `character varying`).
    pub ty: String,
    /// The default expression, token-normalised.
    pub default: Option<String>,
}

/// Everything of a routine but its name and body, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoutineSignature {
    pub args: Vec<RoutineArg>,
    /// `integer`, `setof text`, `table(a integer, b text)`; `None` for a procedure.
    pub returns: Option<String>,
    pub language: String,
    /// `immutable`, `stable` or `volatile`.
    pub volatility: String,
    pub strict: bool,
    pub security_definer: bool,
    pub leakproof: bool,
    /// `safe`, `restricted` or `unsafe`.
    pub parallel: String,
    /// `cost N` where N is not PostgreSQL's default.
    pub cost: Option<String>,
    /// `rows N` where N is not PostgreSQL's default.
    pub rows: Option<String>,
    pub window: bool,
    /// `set name to value`: (name, values).
    pub config: Vec<(String, Vec<String>)>,
    pub support: Option<String>,
}

/// A `function` or `procedure`.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub name: QualifiedName,
    pub procedure: bool,
    pub signature: RoutineSignature,
    /// `prosrc`: the text between the dollar quotes, byte for byte.
    pub body: String,
    /// An object schemac does not manage (an event trigger, operator, cast, aggregate, type)
    /// calls it, so no plan drops it (LANGUAGE.md: what is not managed is never dropped).
    /// Database side only.
    pub used_by_unmanaged: bool,
    pub origin: Option<Span>,
}

impl Function {
    /// The types that identify an overload (`in`, `inout` and `variadic` arguments).
    pub fn identity_types(&self) -> Vec<String> {
        self.signature
            .args
            .iter()
            .filter(|a| a.mode != "out" && a.mode != "table")
            .map(|a| a.ty.clone())
            .collect()
    }

    /// `schema.name(integer, text)`, for messages and step targets.
    pub fn display(&self) -> String {
        format!("{}({})", self.name, self.identity_types().join(", "))
    }

    /// Same name and argument types: the same object in PostgreSQL.
    pub fn same_object(&self, other: &Function) -> bool {
        self.name == other.name
            && self.procedure == other.procedure
            && self.identity_types() == other.identity_types()
    }
}

/// `trigger name before|after|instead of EVENTS ... execute f(args)` on a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub table: QualifiedName,
    pub name: String,
    /// `before`, `after` or `instead of`.
    pub timing: String,
    /// In PostgreSQL's order: `insert`, `delete`, `update`, `truncate`.
    pub events: Vec<String>,
    pub update_of: Vec<String>,
    pub for_each_row: bool,
    /// The `when` condition, as printed (`pg_get_triggerdef`) or token-normalised.
    pub when: Option<String>,
    pub function: QualifiedName,
    /// Argument values (string literals unquoted).
    pub args: Vec<String>,
    pub origin: Option<Span>,
}

/// One `check` of a domain.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainCheck {
    pub name: String,
    /// The condition, as PostgreSQL prints it where known.
    pub expr: String,
}

/// `domain name type [default] [not null] [check ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    pub name: QualifiedName,
    pub ty: SqlType,
    pub default: Option<String>,
    pub not_null: bool,
    pub checks: Vec<DomainCheck>,
    pub origin: Option<Span>,
}
