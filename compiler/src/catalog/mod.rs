//! `Catalog`: a schema shaped the way PostgreSQL stores it — tables, columns, constraints, indexes,
//! enums, policies, grants — with every default already applied (constraint names, implicit indexes,
//! tenant columns). Both sides of a comparison are a `Catalog`: `lower` makes one from the schema,
//! `introspect` reads one from a live database, and `diff` compares the two.
//! Fields that only the schema can carry (rename hints, `using`, `backfill`, tenancy) are intent for
//! the planner; they are never compared.

pub mod backfill_path;
pub mod hash;
pub mod lower;
pub mod names;
mod tables;
mod unmanaged;
pub mod views;

use std::collections::{BTreeMap, BTreeSet};

use crate::source::Span;

pub use lower::lower;
pub use tables::Tables;
// The shared vocabulary, re-exported: a catalog is spoken in these words.
pub use crate::vocab::spellable;
pub use crate::vocab::{
    BaseType, FkAction, Identity, IndexKey, IndexOptions, KeyOptions, PolicyCommand, Privilege,
    QualifiedName, SqlType, TableKind,
};
pub use crate::vocab::{Domain, DomainCheck, Function, RoutineArg, RoutineSignature, Trigger};
pub use crate::vocab::{Partition, PartitionBound, PartitionStrategy, Partitioning};
pub use unmanaged::Unmanaged;
pub use views::View;

/// A whole database schema, as PostgreSQL would show it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    /// Schemas (namespaces) other than `public` that the tables and enums live in.
    pub namespaces: BTreeSet<String>,
    /// Extensions the types need (`citext`), or that the database has.
    pub extensions: BTreeSet<String>,
    /// The schema of each extension that is not in `public` (declared with `extension x schema s`,
    /// or where the database has it).
    pub extension_schemas: BTreeMap<String, String>,
    pub enums: Vec<EnumType>,
    /// Sequences that no column owns as `serial` or identity (those come with their column).
    pub sequences: Vec<Sequence>,
    /// `function` and `procedure` items (not an extension's, not schemac's own).
    pub functions: Vec<Function>,
    /// User triggers on tables (schemac's fill triggers are `fill_triggers`).
    pub triggers: Vec<Trigger>,
    pub domains: Vec<Domain>,
    /// In order, indexed by name (`Catalog::table`).
    pub tables: Tables,
    /// Roles: declared by the schema (desired), or every non-system role of the cluster (current).
    /// Roles are cluster-wide, so they are created when missing and never dropped.
    pub roles: Vec<Role>,
    /// The `tenancy` block, on the schema side only.
    pub tenancy: Option<Tenancy>,
    /// schemac's own fill triggers (`schemac_*_fill`), on the database side only: the planner
    /// derives the wanted ones from `tenancy` (LANGUAGE.md, "Fill triggers"). Never compared as
    /// drift.
    pub fill_triggers: Vec<FillTrigger>,
    /// Objects the language does not manage (database side only; see `unmanaged.rs`). Never
    /// compared as drift.
    pub unmanaged: Vec<Unmanaged>,
    /// Views and materialized views.
    pub views: Vec<View>,
}

/// A fill trigger as the database has it: `BEFORE INSERT OR UPDATE OF <columns>` on `table`,
/// executing the function of the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillTrigger {
    pub table: QualifiedName,
    /// Trigger and function name, `schemac_<table>_<column>_fill`.
    pub name: String,
    /// The columns of `UPDATE OF`, in attribute order.
    pub update_of: Vec<String>,
    /// The function's body (`prosrc`), compared as text with the body schemac would write.
    pub body: String,
}

/// Enums as [`Catalog::normalized`] leaves them: in name order, no spans, no renames.
pub fn normalize_enums(enums: &mut [EnumType]) {
    enums.sort_by(|a, b| a.name.cmp(&b.name));
    for enum_type in enums {
        enum_type.renamed_from = None;
        enum_type.origin = None;
    }
}

impl Catalog {
    fn clear_routine_origins(&mut self) {
        for function in &mut self.functions {
            function.origin = None;
        }
        for trigger in &mut self.triggers {
            trigger.origin = None;
        }
        for domain in &mut self.domains {
            domain.origin = None;
        }
    }

    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.get(name)
    }

    pub fn enum_type(&self, name: &QualifiedName) -> Option<&EnumType> {
        self.enums.iter().find(|e| &e.name == name)
    }

    pub fn has_role(&self, name: &str) -> bool {
        self.roles.iter().any(|r| r.name == name)
    }

    /// A hash of the database-shaped content (roles excepted: they are cluster-wide), so a saved
    /// plan can tell whether the database changed since it was made.
    /// Versioned (`hash::VERSION`).
    /// Takes the catalog: a copy of a large one was `plan`'s peak of memory.
    pub fn fingerprint(self) -> String {
        let mut content = self.into_normalized();
        content.roles.clear();
        hash::hash(&content)
    }

    /// The catalog as two catalogs are compared: origins, intent fields (`renamed_from`, `using`,
    /// `backfill`) and `tenancy` cleared, table kinds `Plain`, and every list in name order (columns
    /// too: column order is never compared). Roles are kept as they are.
    pub fn normalized(&self) -> Catalog {
        self.clone().into_normalized()
    }

    /// [`Catalog::normalized`], in place.
    pub fn into_normalized(self) -> Catalog {
        let mut catalog = self;
        catalog.tenancy = None;
        catalog.fill_triggers.clear();
        catalog.unmanaged.clear();
        normalize_enums(&mut catalog.enums);
        catalog.sequences.sort_by(|a, b| a.name.cmp(&b.name));
        for sequence in &mut catalog.sequences {
            sequence.origin = None;
        }
        catalog
            .functions
            .sort_by_key(|f| (f.name.clone(), f.identity_types()));
        catalog
            .triggers
            .sort_by(|a, b| (&a.table, &a.name).cmp(&(&b.table, &b.name)));
        catalog.domains.sort_by(|a, b| a.name.cmp(&b.name));
        catalog.clear_routine_origins();
        catalog.tables.sort_by(|a, b| a.name.cmp(&b.name));
        catalog.tables.iter_mut().for_each(Table::normalize);
        for role in &mut catalog.roles {
            role.origin = None;
        }
        catalog.views = catalog.views.iter().map(View::normalized).collect();
        catalog.views.sort_by(|a, b| a.name.cmp(&b.name));
        catalog
    }

    pub fn view(&self, name: &QualifiedName) -> Option<&View> {
        self.views.iter().find(|v| &v.name == name)
    }

    /// Forgets every `origin` span (and the spans inside backfills), so that catalogs lowered from
    /// differently laid out sources, or read from a database, compare equal.
    pub fn clear_origins(&mut self) {
        self.clear_routine_origins();
        for item in &mut self.enums {
            item.origin = None;
        }
        for role in &mut self.roles {
            role.origin = None;
        }
        for sequence in &mut self.sequences {
            sequence.origin = None;
        }
        for view in &mut self.views {
            view.origin = None;
            view.indexes.iter_mut().for_each(|i| i.origin = None);
        }
        for table in &mut self.tables {
            table.origin = None;
            for column in &mut table.columns {
                column.origin = None;
                match &mut column.backfill {
                    Some(Backfill::FromForeignKey { origin, .. })
                    | Some(Backfill::Expr { origin, .. }) => *origin = None,
                    None => {}
                }
            }
            if let Some(key) = &mut table.primary_key {
                key.origin = None;
            }
            for unique in &mut table.uniques {
                unique.origin = None;
            }
            for fk in &mut table.foreign_keys {
                fk.origin = None;
            }
            for check in &mut table.checks {
                check.origin = None;
            }
            for index in &mut table.indexes {
                index.origin = None;
            }
            for policy in &mut table.policies {
                policy.origin = None;
            }
            if let Some(partitions) = table
                .partitioning
                .as_mut()
                .and_then(|p| p.partitions.as_mut())
            {
                partitions.iter_mut().for_each(|p| p.origin = None);
            }
        }
    }
}

/// `<current tenant>` of LANGUAGE.md: the tenant the session's setting names, or NULL when the
/// setting is unset or empty. A pooled connection whose earlier transaction ran
/// `set_config(setting, ..., true)` reads the setting as `''` afterwards; `NULLIF` turns that into
/// "no tenant" instead of a cast error. Used by the isolation policy and the tenant column default.
pub fn current_tenant_sql(setting: &str, key_type: &SqlType) -> String {
    format!(
        "NULLIF(current_setting({}, true), '')::{}",
        crate::vocab::literal(setting),
        key_type.sql()
    )
}

/// The lowered `tenancy` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenancy {
    pub root: QualifiedName,
    /// The tenant column every tenant table carries, e.g. `account_id`.
    pub column: String,
    /// Type of the root's primary key, which the tenant column shares.
    pub key_type: SqlType,
    /// The session setting the isolation policy reads, e.g. `app.current_account_id`.
    pub setting: Option<String>,
    pub bypass: Option<String>,
    pub rls: bool,
    /// `fill on`: tenant tables with a path to a parent keep schemac's fill trigger.
    pub fill: bool,
}

/// `CREATE TYPE ... AS ENUM`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumType {
    pub name: QualifiedName,
    /// Values in their declared order, spelled exactly.
    pub values: Vec<String>,
    pub comment: Option<String>,
    /// Intent: the enum's previous name (`renamed from`).
    pub renamed_from: Option<QualifiedName>,
    pub origin: Option<Span>,
}

/// `CREATE SEQUENCE`, every option explicit (as `pg_sequence` holds it).
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    pub name: QualifiedName,
    /// `smallint`, `integer` or `bigint`.
    pub ty: SqlType,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    pub origin: Option<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: QualifiedName,
    pub kind: TableKind,
    /// Columns in creation order (order is never compared).
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    pub uniques: Vec<UniqueConstraint>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<CheckConstraint>,
    /// Indexes that do not back a primary key or unique constraint.
    pub indexes: Vec<Index>,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    /// Foreign keys and checks added `NOT VALID` and not validated yet (database side only: an
    /// apply that stopped between the two steps leaves them so).
    pub not_valid: BTreeSet<String>,
    pub policies: Vec<Policy>,
    pub grants: Vec<Grant>,
    pub comment: Option<String>,
    /// `PARTITION BY ...` and the partitions (vocab/partitions.rs); `None` for a plain table.
    pub partitioning: Option<Partitioning>,
    /// Intent: the table's previous name (`renamed from`).
    pub renamed_from: Option<QualifiedName>,
    pub origin: Option<Span>,
}

impl Table {
    pub fn new(name: QualifiedName) -> Table {
        Table {
            name,
            kind: TableKind::Plain,
            columns: Vec::new(),
            primary_key: None,
            uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            indexes: Vec::new(),
            rls_enabled: false,
            rls_forced: false,
            not_valid: BTreeSet::new(),
            policies: Vec::new(),
            grants: Vec::new(),
            comment: None,
            partitioning: None,
            renamed_from: None,
            origin: None,
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether [`Table::normalize`] would change nothing but the order of the columns, as for a
    /// table read from a database (lists sorted by name, no intent, no spans): such a table can be
    /// compared with a normalised one without a normalised copy. Kept beside `normalize`, which it
    /// mirrors.
    pub fn is_normal_but_column_order(&self) -> bool {
        fn sorted<T, K: Ord + ?Sized>(items: &[T], name: impl Fn(&T) -> &K) -> bool {
            items.windows(2).all(|w| name(&w[0]) <= name(&w[1]))
        }
        let partitions_normal = self
            .partitioning
            .as_ref()
            .and_then(|p| p.partitions.as_ref())
            .is_none_or(|partitions| {
                sorted(partitions, |p| &p.name) && partitions.iter().all(|p| p.origin.is_none())
            });
        self.kind == TableKind::Plain
            && self.renamed_from.is_none()
            && self.origin.is_none()
            && self.columns.iter().all(|c| {
                c.renamed_from.is_none()
                    && c.using.is_none()
                    && c.backfill.is_none()
                    && c.origin.is_none()
            })
            && self
                .primary_key
                .as_ref()
                .is_none_or(|pk| pk.origin.is_none())
            && sorted(&self.uniques, |u| &u.name)
            && self.uniques.iter().all(|u| u.origin.is_none())
            && sorted(&self.foreign_keys, |f| &f.name)
            && self.foreign_keys.iter().all(|f| f.origin.is_none())
            && sorted(&self.checks, |c| &c.name)
            && self.checks.iter().all(|c| c.origin.is_none())
            && sorted(&self.indexes, |i| &i.name)
            && self.indexes.iter().all(|i| i.origin.is_none())
            && sorted(&self.policies, |p| &p.name)
            && self
                .policies
                .iter()
                .all(|p| p.origin.is_none() && p.roles.is_sorted())
            && self.grants.windows(2).all(|w| w[0] < w[1])
            && partitions_normal
    }

    /// One table as [`Catalog::normalized`] leaves it: lists in name order, no spans, no renames.
    pub fn normalize(&mut self) {
        self.kind = TableKind::Plain;
        self.renamed_from = None;
        self.origin = None;
        self.columns.sort_by(|a, b| a.name.cmp(&b.name));
        for column in &mut self.columns {
            column.renamed_from = None;
            column.using = None;
            column.backfill = None;
            column.origin = None;
        }
        if let Some(pk) = &mut self.primary_key {
            pk.origin = None;
        }
        self.uniques.sort_by(|a, b| a.name.cmp(&b.name));
        self.uniques.iter_mut().for_each(|u| u.origin = None);
        self.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
        self.foreign_keys.iter_mut().for_each(|f| f.origin = None);
        self.checks.sort_by(|a, b| a.name.cmp(&b.name));
        self.checks.iter_mut().for_each(|c| c.origin = None);
        self.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        self.indexes.iter_mut().for_each(|i| i.origin = None);
        self.policies.sort_by(|a, b| a.name.cmp(&b.name));
        for policy in &mut self.policies {
            policy.origin = None;
            policy.roles.sort();
        }
        self.grants.sort();
        self.grants.dedup();
        if let Some(partitions) = self
            .partitioning
            .as_mut()
            .and_then(|p| p.partitions.as_mut())
        {
            partitions.sort_by(|a, b| a.name.cmp(&b.name));
            partitions.iter_mut().for_each(|p| p.origin = None);
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: SqlType,
    pub nullable: bool,
    /// Default expression as PostgreSQL prints it (`pg_get_expr`) once canonicalised; for a
    /// `serial` column, its `nextval(...)` call.
    pub default: Option<String>,
    /// True for `serial`/`bigserial`: the column owns a sequence named `<table>_<column>_seq`.
    pub serial: bool,
    /// `GENERATED ALWAYS AS (expr) STORED`, or `VIRTUAL` with `generated_virtual`.
    pub generated: Option<String>,
    /// `GENERATED ALWAYS AS (expr) VIRTUAL` (PostgreSQL 18, `attgenerated = 'v'`).
    pub generated_virtual: bool,
    /// `GENERATED { BY DEFAULT | ALWAYS } AS IDENTITY`: the column takes its values from a sequence
    /// it owns (and has no `default`).
    pub identity: Option<Identity>,
    pub comment: Option<String>,
    /// Intent: the column's previous name (`renamed from`).
    pub renamed_from: Option<String>,
    /// Intent: conversion for a type change (`using (expr)`).
    pub using: Option<String>,
    /// Intent: how existing rows get a value when the column becomes NOT NULL.
    pub backfill: Option<Backfill>,
    pub origin: Option<Span>,
}

impl Column {
    pub fn new(name: impl Into<String>, ty: SqlType) -> Column {
        Column {
            name: name.into(),
            ty,
            nullable: false,
            default: None,
            serial: false,
            generated: None,
            generated_virtual: false,
            identity: None,
            comment: None,
            renamed_from: None,
            using: None,
            backfill: None,
            origin: None,
        }
    }
}

/// Where existing rows get a value from (see LANGUAGE.md, Backfill).
#[derive(Debug, Clone, PartialEq)]
pub enum Backfill {
    /// `backfill col from fk_col`: the parent's same-named column, through the foreign key on `fk_col`.
    FromForeignKey {
        fk_column: String,
        origin: Option<Span>,
    },
    /// `backfill (expr)` or `backfill col (expr)`.
    Expr { expr: String, origin: Option<Span> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrimaryKey {
    pub name: String,
    pub columns: Vec<String>,
    pub origin: Option<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UniqueConstraint {
    pub name: String,
    pub columns: Vec<String>,
    /// `UNIQUE NULLS NOT DISTINCT` (PostgreSQL 15+): two NULLs count as equal.
    pub nulls_not_distinct: bool,
    pub origin: Option<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub referenced_table: QualifiedName,
    pub referenced_columns: Vec<String>,
    pub on_delete: FkAction,
    /// `ON DELETE SET NULL (col, ...)` (PostgreSQL 15+): only these columns are set; empty = all.
    pub on_delete_columns: Vec<String>,
    pub on_update: FkAction,
    pub origin: Option<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckConstraint {
    pub name: String,
    /// The boolean expression, without the `CHECK (...)` wrapper.
    pub expr: String,
    pub origin: Option<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    /// Access method: `btree` (default), `gin`, `gist`, `hash`, `brin`.
    pub method: String,
    pub keys: Vec<IndexKey>,
    /// Partial index predicate (`WHERE ...`), without the keyword.
    pub predicate: Option<String>,
    /// Operator classes, order, `INCLUDE` and `NULLS NOT DISTINCT`; all default for most indexes.
    pub options: IndexOptions,
    pub origin: Option<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: String,
    pub command: PolicyCommand,
    /// Roles the policy applies to, sorted; empty means `PUBLIC`.
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub origin: Option<Span>,
}

/// One privilege on the table granted to one role (grants to the owner are not listed).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grant {
    pub role: String,
    pub privilege: Privilege,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub name: String,
    pub origin: Option<Span>,
}
