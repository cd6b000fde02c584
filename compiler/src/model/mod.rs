//! `Model`: the schema with names bound and types normalised, as the user declared it. Column-level
//! `primary`, `unique`, `index`, `check` and `references` are gathered into table-level lists, the
//! tenant column is present in every tenant table (written or implicit), and every reference
//! points at a table that exists. Defaults that PostgreSQL applies (constraint names, implicit
//! indexes, policies) are NOT applied here; `catalog::lower` does that, once.
//! In: ASTs (`resolve`). Out: `Model` + diagnostics. Pure; no IO.

pub mod index_keys;
mod partitions;
mod resolve;
pub mod routines;
pub(crate) use resolve::domain_type_name;
pub mod tenancy;
pub mod types;

use crate::catalog::{
    FkAction, IndexKey, PolicyCommand, Privilege, QualifiedName, SqlType, TableKind,
};
use crate::source::Span;

pub use resolve::resolve;

/// Index of a table in `Model::tables`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId(pub u32);

/// The whole resolved schema. Tables and enums are in source order (files sorted by path).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Model {
    pub tenancy: Option<Tenancy>,
    pub enums: Vec<Enum>,
    pub tables: Vec<Table>,
    pub roles: Vec<Role>,
    pub grants: Vec<Grant>,
    /// `extension` items, in the order first declared (one per name).
    pub extensions: Vec<Extension>,
    /// `sequence` items, in the order declared (one per name).
    pub sequences: Vec<Sequence>,
    /// `function`/`procedure` items, `trigger` entries and `domain` items, already in catalog form.
    pub functions: Vec<crate::catalog::Function>,
    pub triggers: Vec<crate::catalog::Trigger>,
    pub domains: Vec<crate::catalog::Domain>,
    /// `view` and `materialized view` items, in the order declared (one per name).
    pub views: Vec<View>,
}

/// `[materialized] view name [with (options)] as (query) [{ indexes }]`.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub name: QualifiedName,
    pub materialized: bool,
    /// `name=value` (a bare option is `name=true`), sorted.
    pub options: Vec<String>,
    /// The query as written, trimmed.
    pub query: String,
    pub indexes: Vec<Index>,
    pub span: Span,
}

/// `sequence name [options]`, with PostgreSQL's defaults applied for what is not written.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    pub name: QualifiedName,
    /// `smallint`, `integer` or `bigint` (the default).
    pub ty: crate::catalog::BaseType,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    pub span: Span,
}

/// `extension name [schema s]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Extension {
    pub name: String,
    /// Where its objects go; `None` is the server's choice (the first schema on the search path).
    pub schema: Option<String>,
    pub span: Span,
}

impl Model {
    pub fn table(&self, id: TableId) -> &Table {
        &self.tables[id.0 as usize]
    }

    pub fn table_by_name(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.iter().find(|t| &t.name == name)
    }
}

/// The resolved `tenancy` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenancy {
    pub root: TableId,
    /// The tenant column (written, or `<root singular>_id`).
    pub column: String,
    /// The root's primary key type (`serial` read as `integer`, `bigserial` as `bigint`).
    pub key_type: SqlType,
    /// The session setting as written; `lower` defaults it to `app.current_<column>`.
    pub setting: Option<String>,
    pub bypass: Option<String>,
    /// `rls on` (the default) or `rls off`.
    pub rls: bool,
    /// `fill on` (the default) or `fill off`: fill triggers on tenant tables.
    pub fill: bool,
    pub span: Span,
}

/// An `enum` declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct Enum {
    pub name: QualifiedName,
    pub values: Vec<String>,
    pub doc: Option<String>,
    pub renamed_from: Option<QualifiedName>,
    pub span: Span,
}

/// A table declaration with its column-level constraints gathered into the table-level lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub id: TableId,
    pub name: QualifiedName,
    pub kind: TableKind,
    pub doc: Option<String>,
    pub renamed_from: Option<QualifiedName>,
    /// Columns in declaration order; an implicit tenant column is already in its place.
    pub columns: Vec<Column>,
    pub primary_key: Option<Key>,
    pub uniques: Vec<Key>,
    pub indexes: Vec<Index>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
    pub policies: Vec<Policy>,
    /// `row level security [forced]` written on the table: `Some(forced)`.
    pub row_level_security: Option<bool>,
    /// `partition by ...` with its partitions, bound values as written.
    pub partitioning: Option<crate::catalog::Partitioning>,
    /// Span of the whole declaration.
    pub span: Span,
    /// Span of the table's name.
    pub name_span: Span,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The tenant column, in a tenant table.
    pub fn tenant_column(&self) -> Option<&Column> {
        self.columns.iter().find(|c| c.tenant)
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    /// Normalised type; `serial` is `integer` with `serial: true`.
    pub ty: SqlType,
    /// `serial`, `smallserial` or `bigserial`: the column owns a sequence.
    pub serial: bool,
    pub nullable: bool,
    /// `default(expr)` text, verbatim and trimmed.
    pub default: Option<String>,
    /// `generated (expr)` text.
    pub generated: Option<String>,
    /// `generated (expr) virtual` (PostgreSQL 18): computed when read, not stored.
    pub generated_virtual: bool,
    /// `identity` / `identity always`.
    pub identity: Option<crate::catalog::Identity>,
    pub doc: Option<String>,
    pub renamed_from: Option<String>,
    pub using: Option<String>,
    /// From `backfill (expr)` on the column or a table-level `backfill` entry naming it.
    pub backfill: Option<Backfill>,
    /// This is the tenancy's tenant column of a tenant table.
    pub tenant: bool,
    /// Added by the compiler (an implicit tenant column), not written in the source.
    pub implicit: bool,
    pub span: Span,
}

/// Where existing rows of a column get a value from.
#[derive(Debug, Clone, PartialEq)]
pub enum Backfill {
    /// `backfill col from fk_col`: the referenced row's same-named column.
    FromForeignKey { fk_column: String, span: Span },
    /// An expression.
    Expr { expr: String, span: Span },
}

/// A primary key or unique constraint.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// Explicit name, if written.
    pub name: Option<String>,
    pub columns: Vec<String>,
    /// `unique (a) nulls not distinct` (unique constraints only).
    pub nulls_not_distinct: bool,
    pub span: Span,
}

/// A (non-unique) index.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// `unique index` (never a unique constraint).
    pub unique: bool,
    pub name: Option<String>,
    pub keys: Vec<IndexKey>,
    /// `using` method as written; `lower` defaults it to `btree`.
    pub method: Option<String>,
    pub predicate: Option<String>,
    /// Operator classes and order of the keys, `include`, `nulls not distinct`.
    pub options: crate::catalog::IndexOptions,
    pub span: Span,
}

/// A check constraint (column-level ones included).
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: Option<String>,
    pub expr: String,
    pub span: Span,
}

/// A foreign key as written (the tenancy's composite form is made by `lower`).
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub referenced_table: TableId,
    /// Written, or the referenced table's primary key.
    pub referenced_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    pub span: Span,
}

/// A row-level security policy written in the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: String,
    pub command: PolicyCommand,
    /// As written; empty means `PUBLIC`.
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub span: Span,
}

/// `role name`.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub name: String,
    pub span: Span,
}

/// A `grant` with its targets resolved to tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// `all` already expanded to every privilege.
    pub privileges: Vec<Privilege>,
    pub tables: Vec<TableId>,
    pub roles: Vec<String>,
    pub span: Span,
}
