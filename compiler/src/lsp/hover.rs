//! Hover text: what a name becomes in PostgreSQL. A table shows its `CREATE TABLE` with its keys,
//! indexes, row-level security and policies as lowered (tenant column and composite same-tenant
//! keys included) and, for a tenant table, the tenant column and the backfill path `plan` would
//! use; a column shows its type, nullability, default and what the tenancy adds; a referenced
//! table shows the target column; enums and roles their SQL.
//! In: an `Analysis` and a `Symbol`. Out: Markdown. Needs the lowered `Catalog`, so on a schema
//! with errors it says so instead.

use crate::catalog::backfill_path::{self, PathSearch};
use crate::catalog::{Backfill, Catalog, QualifiedName, Table, TableKind};
use crate::sql::ddl;

use super::index::Symbol;
use super::workspace::Analysis;

/// Markdown for a symbol; `reference` is true when hovering a use rather than the definition.
pub fn hover(analysis: &Analysis, symbol: &Symbol, reference: bool) -> Option<String> {
    let Some(catalog) = &analysis.compiled.catalog else {
        return Some(format!(
            "{}\n\n_The schema has errors: fix them to see the SQL this becomes._",
            title(symbol)
        ));
    };
    match symbol {
        Symbol::Table(key) => {
            let table = catalog.table(&name(key))?;
            let mut text = String::new();
            if reference {
                if let Some(pk) = &table.primary_key {
                    let columns: Vec<String> = pk
                        .columns
                        .iter()
                        .filter_map(|c| table.columns.iter().find(|col| &col.name == c))
                        .map(ddl::column_definition)
                        .collect();
                    text.push_str(&format!(
                        "references `{}` by its primary key:\n\n```sql\n{}\n```\n\n",
                        table.name,
                        columns.join(",\n")
                    ));
                }
            }
            text.push_str(&table_sql(table));
            text.push_str(&tenancy_note(catalog, table));
            Some(text)
        }
        Symbol::Column(key, column_name) => {
            let table = catalog.table(&name(key))?;
            let column = table.columns.iter().find(|c| &c.name == column_name)?;
            let mut text = format!(
                "```sql\n{}\n```\n\n- type: `{}`\n- {}\n",
                ddl::column_definition(column),
                column.ty.sql(),
                if column.nullable {
                    "nullable"
                } else {
                    "`NOT NULL`"
                }
            );
            if let Some(default) = &column.default {
                text.push_str(&format!("- default: `{default}`\n"));
            }
            if let Some(tenancy) = &catalog.tenancy {
                if table.kind == TableKind::Tenant && column.name == tenancy.column {
                    text.push_str(&format!(
                        "- the tenant column of `{}`: added by the tenancy (root `{}`), read by its policies\n",
                        table.name, tenancy.root
                    ));
                }
            }
            for fk in &table.foreign_keys {
                if fk.columns.contains(column_name) {
                    text.push_str(&format!(
                        "\n```sql\n{}\n```\n",
                        ddl::add_foreign_key(&table.name, fk, false)
                    ));
                    if fk.columns.len() > 1 && catalog.tenancy.is_some() {
                        text.push_str(
                            "\nThe tenancy makes this key composite: a row can only point at a row of its own tenant.\n",
                        );
                    }
                }
            }
            Some(text)
        }
        Symbol::Enum(key) => {
            let enum_type = catalog.enum_type(&name(key))?;
            Some(format!("```sql\n{}\n```", ddl::create_enum(enum_type)))
        }
        Symbol::Role(role) => Some(format!(
            "role `{role}`\n\n```sql\n{}\n```",
            ddl::create_role_if_missing(role)
        )),
    }
}

fn title(symbol: &Symbol) -> String {
    match symbol {
        Symbol::Table(key) => format!("table `{key}`"),
        Symbol::Column(table, column) => format!("column `{table}.{column}`"),
        Symbol::Enum(key) => format!("enum `{key}`"),
        Symbol::Role(role) => format!("role `{role}`"),
    }
}

/// `public.users` (as `index::qualified` writes keys) back to a `QualifiedName`.
fn name(key: &str) -> QualifiedName {
    let (schema, name) = key.split_once('.').unwrap_or(("public", key));
    QualifiedName {
        schema: schema.to_string(),
        name: name.to_string(),
    }
}

/// The statements that make the table, as `plan --from-empty` would write them.
fn table_sql(table: &Table) -> String {
    let mut statements = vec![ddl::create_table(table)];
    for fk in &table.foreign_keys {
        statements.push(ddl::add_foreign_key(&table.name, fk, false));
    }
    for index in &table.indexes {
        statements.push(ddl::create_index(&table.name, index, false));
    }
    if table.rls_enabled {
        statements.push(ddl::enable_rls(&table.name));
    }
    if table.rls_forced {
        statements.push(ddl::force_rls(&table.name));
    }
    for policy in &table.policies {
        statements.push(ddl::create_policy(&table.name, policy));
    }
    format!("```sql\n{};\n```\n", statements.join(";\n"))
}

/// For a tenant table: its tenant column, its policies and the backfill path.
fn tenancy_note(catalog: &Catalog, table: &Table) -> String {
    let Some(tenancy) = &catalog.tenancy else {
        return String::new();
    };
    if table.kind != TableKind::Tenant {
        return String::new();
    }
    let mut text = format!("\ntenant column: `{}`", tenancy.column);
    let policies: Vec<&str> = table.policies.iter().map(|p| p.name.as_str()).collect();
    if !policies.is_empty() {
        text.push_str(&format!("; policies: `{}`", policies.join("`, `")));
    }
    let explicit = table
        .columns
        .iter()
        .find(|c| c.name == tenancy.column)
        .and_then(|c| c.backfill.as_ref());
    let path = match explicit {
        Some(Backfill::FromForeignKey { fk_column, .. }) => {
            format!("`backfill {} from {fk_column}` (written)", tenancy.column)
        }
        Some(Backfill::Expr { expr, .. }) => format!("`backfill {} ({expr})`", tenancy.column),
        None => match backfill_path::find(catalog, &table.name, &tenancy.column) {
            PathSearch::Found(hops) if hops.is_empty() => "none needed".to_string(),
            PathSearch::Found(hops) => describe(&hops),
            PathSearch::Ambiguous(paths) => format!(
                "ambiguous, write `backfill {} from ...`: {}",
                tenancy.column,
                paths
                    .iter()
                    .map(|p| describe(p))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
            PathSearch::NotFound => "none (the column's default, or an explicit `backfill`)".into(),
        },
    };
    text.push_str(&format!("\n\nbackfill path: {path}\n"));
    text
}

fn describe(hops: &[backfill_path::Hop]) -> String {
    hops.iter()
        .map(backfill_path::Hop::describe)
        .collect::<Vec<_>>()
        .join(", then ")
}
