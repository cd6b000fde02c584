//! Expressions canonicalised without writing to the target: `plan`, `drift` and `introspect` only
//! read the target (read-only transactions; a read-only role, a hot standby and
//! `default_transaction_read_only = on` all work). Every expression the local canonicaliser
//! (`local.rs`) knows is printed by schemac itself; only the tables that carry an expression it does
//! not know (and the tables their policies name, with the enums, roles and extensions they need) go
//! to a dev database: `--dev-url`, else a throwaway cluster started from the installed
//! `initdb`/`pg_ctl` (`crate::cluster`). `apply`, which writes to the target anyway, prints them there.
//! **Invariant:** nothing is written to the target except by `apply`.

use std::collections::BTreeSet;

use sqlx::{Connection, PgConnection};

use super::canonicalize::{canonicalize, policy_references, CanonicalizeError};
use super::local;
use crate::catalog::{Catalog, IndexKey, QualifiedName, Table};
use crate::diff::{Change, TableObject};

/// Where the expressions the local canonicaliser does not know are printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Printer {
    /// In scratch schemas on the target itself, rolled back (only `apply`, which writes anyway).
    Target,
    /// On this dev database (`--dev-url`): an empty database schemac may write to.
    Dev(String),
    /// On a throwaway cluster this process starts from the installed `initdb`/`pg_ctl`.
    Throwaway,
    /// Nowhere: an unknown expression is an error (tests of the local canonicaliser).
    LocalOnly,
}

/// The schema's expressions as the local canonicaliser prints them, and the tables it cannot
/// print: made once by `prepare` and finished by `canonicalize_prepared`.
pub struct Prepared {
    local: (Catalog, Vec<local::Unknown>),
}

/// Prints what the local canonicaliser knows, and starts the throwaway cluster in the background
/// when `desired` has an expression that neither the local canonicaliser nor the database
/// (`current`: what it prints already) gives and `printer` will need it, so that `initdb` runs while
/// the rest is done.
pub fn prepare(desired: &Catalog, current: Option<&Catalog>, printer: &Printer) -> Prepared {
    let local = local::canonicalize_against(desired, current);
    let views =
        super::view_printing::need_printing(desired, current) && *printer != Printer::LocalOnly;
    let throwaway = matches!(printer, Printer::Throwaway | Printer::Target);
    if (views && throwaway) || (*printer == Printer::Throwaway && !local.1.is_empty()) {
        std::thread::spawn(|| {
            // The outcome is kept by `shared` for the caller that needs it.
            let _ = crate::cluster::shared();
        });
    }
    Prepared { local }
}

/// `desired` with every expression as PostgreSQL prints it, without writing to `target` unless
/// `printer` is `Printer::Target`. Also says how many tables needed a server.
pub async fn canonicalize_with(
    target: &mut PgConnection,
    desired: &Catalog,
    printer: &Printer,
) -> Result<(Catalog, usize), CanonicalizeError> {
    canonicalize_against(target, desired, None, printer).await
}

/// `canonicalize_with`, also given the database's catalog: a view whose query the dev server
/// prints as it prints the database's own query for it is given the database's text, so that a
/// dev server of another major version (which prints some queries differently) finds no change.
pub async fn canonicalize_against(
    target: &mut PgConnection,
    desired: &Catalog,
    current: Option<&Catalog>,
    printer: &Printer,
) -> Result<(Catalog, usize), CanonicalizeError> {
    let prepared = Prepared {
        local: local::canonicalize_against(desired, current),
    };
    canonicalize_prepared(target, desired, current, printer, prepared).await
}

/// `canonicalize_against`, from what `prepare` printed already (printing it again was a tenth of
/// `plan`'s time on 2,000 tables).
pub async fn canonicalize_prepared(
    target: &mut PgConnection,
    desired: &Catalog,
    current: Option<&Catalog>,
    printer: &Printer,
    prepared: Prepared,
) -> Result<(Catalog, usize), CanonicalizeError> {
    let (mut result, count) = canonicalize_tables(target, desired, printer, prepared.local).await?;
    // Views are printed on a dev database only when the database does not print them as written.
    if !desired.views.is_empty() {
        result.views = super::view_printing::print(desired, current, printer).await?;
    }
    Ok((result, count))
}

/// The schema's views as a dev server prints them, with their columns (what codegen needs), without
/// any target database.
pub async fn print_views(
    desired: &Catalog,
    printer: &Printer,
) -> Result<Vec<crate::catalog::View>, CanonicalizeError> {
    super::view_printing::print(desired, None, printer).await
}

async fn canonicalize_tables(
    target: &mut PgConnection,
    desired: &Catalog,
    printer: &Printer,
    (mut result, unknown): (Catalog, Vec<local::Unknown>),
) -> Result<(Catalog, usize), CanonicalizeError> {
    if unknown.is_empty() {
        return Ok((result, 0));
    }
    // The tables to print on a server, and the tables their policies name (bare columns suffice,
    // but whole desired tables are harmless).
    let needed: BTreeSet<QualifiedName> = unknown.iter().map(|u| u.table.clone()).collect();
    let mut sub = Catalog {
        namespaces: desired.namespaces.clone(),
        extensions: desired.extensions.clone(),
        extension_schemas: desired.extension_schemas.clone(),
        // Sequences that `nextval` defaults name must exist where the defaults are printed.
        sequences: desired.sequences.clone(),
        fill_triggers: Vec::new(),
        unmanaged: Vec::new(),
        views: Vec::new(),
        functions: Vec::new(),
        triggers: Vec::new(),
        domains: desired.domains.clone(),
        enums: desired.enums.clone(),
        roles: desired.roles.clone(),
        tenancy: desired.tenancy.clone(),
        tables: desired
            .tables
            .iter()
            .filter(|t| needed.contains(&t.name))
            .cloned()
            .collect(),
    };
    let named: Vec<_> = policy_references(desired, &sub.tables)
        .into_iter()
        .cloned()
        .collect();
    sub.tables.extend(named);
    let printed = match printer {
        Printer::Target => canonicalize(target, &sub).await?,
        Printer::Dev(url) => {
            let first = &unknown[0];
            let mut dev = PgConnection::connect(url).await.map_err(|error| {
                CanonicalizeError::NoDevDatabase {
                    expression: first.expression.clone(),
                    object: first.object.clone(),
                    reason: format!("the dev database given does not answer: {error}"),
                }
            })?;
            let printed = canonicalize(&mut dev, &sub).await;
            let _ = dev.close().await;
            printed?
        }
        Printer::Throwaway => {
            let first = &unknown[0];
            let dir =
                crate::cluster::shared().map_err(|reason| CanonicalizeError::NoDevDatabase {
                    expression: first.expression.clone(),
                    object: first.object.clone(),
                    reason,
                })?;
            let url = crate::cluster::socket_url(dir, "postgres");
            let mut dev = PgConnection::connect(&url).await.map_err(|error| {
                CanonicalizeError::NoDevDatabase {
                    expression: first.expression.clone(),
                    object: first.object.clone(),
                    reason: format!("the throwaway cluster does not answer: {error}"),
                }
            })?;
            let printed = canonicalize(&mut dev, &sub).await;
            let _ = dev.close().await;
            printed?
        }
        Printer::LocalOnly => {
            let first = &unknown[0];
            return Err(CanonicalizeError::NoDevDatabase {
                expression: first.expression.clone(),
                object: first.object.clone(),
                reason: "no dev database may be used".into(),
            });
        }
    };
    for table in &mut result.tables {
        if needed.contains(&table.name) {
            if let Some(printed) = printed.table(&table.name) {
                *table = printed.clone();
            }
        }
    }
    Ok((result, needed.len()))
}

/// The changes with every expression they create put back as the schema wrote it: compared in the
/// server's printed form, created from the source text. The printed form does not always read back
/// as itself: `v in ('a', 'b')` on a varchar prints `v::text = ANY (ARRAY['a'::character varying,
/// ...]::text[])`, which, run as DDL, prints `ARRAY['a'::character varying::text, ...]`, a
/// difference on every later plan.
pub fn source_text(changes: &mut [Change], source: &Catalog) {
    for change in changes {
        match change {
            Change::CreateTable(table) => {
                if let Some(written) = source.table(&table.name) {
                    restore_table(table, written);
                }
            }
            Change::AddColumn { table, column }
            | Change::SetNotNull { table, column }
            | Change::ReplaceGeneratedColumn {
                table,
                desired: column,
                ..
            } => {
                if let Some(written) = source.table(table).and_then(|t| t.column(&column.name)) {
                    if column.default.is_some() && written.default.is_some() {
                        column.default = written.default.clone();
                    }
                    if column.generated.is_some() && written.generated.is_some() {
                        column.generated = written.generated.clone();
                    }
                }
            }
            Change::SetDefault {
                table,
                column,
                default,
            } => {
                if let Some(written) = source
                    .table(table)
                    .and_then(|t| t.column(column))
                    .and_then(|c| c.default.as_ref())
                {
                    *default = written.clone();
                }
            }
            Change::AddObject { table, object } => {
                if let Some(written) = source.table(table) {
                    restore_object(object, written);
                }
            }
            Change::CreatePolicy { table, policy }
            | Change::AlterPolicy {
                table,
                desired: policy,
                ..
            } => {
                if let Some(written) = source
                    .table(table)
                    .and_then(|t| t.policies.iter().find(|p| p.name == policy.name))
                {
                    policy.using.clone_from(&written.using);
                    policy.with_check.clone_from(&written.with_check);
                }
            }
            _ => {}
        }
    }
}

fn restore_table(table: &mut Table, written: &Table) {
    for column in &mut table.columns {
        if let Some(w) = written.column(&column.name) {
            if column.default.is_some() && w.default.is_some() {
                column.default = w.default.clone();
            }
            if column.generated.is_some() && w.generated.is_some() {
                column.generated = w.generated.clone();
            }
        }
    }
    for check in &mut table.checks {
        if let Some(w) = written.checks.iter().find(|c| c.name == check.name) {
            check.expr = w.expr.clone();
        }
    }
    for index in &mut table.indexes {
        if let Some(w) = written.indexes.iter().find(|i| i.name == index.name) {
            restore_index(index, w);
        }
    }
    for policy in &mut table.policies {
        if let Some(w) = written.policies.iter().find(|p| p.name == policy.name) {
            policy.using.clone_from(&w.using);
            policy.with_check.clone_from(&w.with_check);
        }
    }
}

fn restore_object(object: &mut TableObject, written: &Table) {
    match object {
        TableObject::Check(check) => {
            if let Some(w) = written.checks.iter().find(|c| c.name == check.name) {
                check.expr = w.expr.clone();
            }
        }
        TableObject::Index(index) => {
            if let Some(w) = written.indexes.iter().find(|i| i.name == index.name) {
                restore_index(index, w);
            }
        }
        _ => {}
    }
}

fn restore_index(index: &mut crate::catalog::Index, written: &crate::catalog::Index) {
    // Keys pair up only when they are the same number of the same kinds.
    let same_shape = index.keys.len() == written.keys.len()
        && index
            .keys
            .iter()
            .zip(&written.keys)
            .all(|(a, b)| matches!((a, b), (IndexKey::Expr(_), IndexKey::Expr(_))) || a == b);
    if same_shape {
        index.keys = written.keys.clone();
    }
    if index.predicate.is_some() && written.predicate.is_some() {
        index.predicate = written.predicate.clone();
    }
}
