//! Facts about the data that choose between recipes: a table with no rows needs no backfill, a
//! column with no NULLs needs no source. The planner lists what it needs (`FactQuery`); the caller
//! reads it from the database (`introspect::facts`) or assumes an empty database.

use std::collections::BTreeSet;

use crate::catalog::{Catalog, QualifiedName};
use crate::diff::Change;
use crate::pair::Pair;

/// What to ask the database before planning.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactQuery {
    /// Tables (by their name in the database) whose emptiness matters.
    pub tables: BTreeSet<QualifiedName>,
    /// Columns (table in the database, column in the database) whose NULLs matter.
    pub null_columns: BTreeSet<(QualifiedName, String)>,
}

/// What the database said. Unknown tables are taken as empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// Tables that hold at least one row (named as in the database).
    pub tables_with_rows: BTreeSet<QualifiedName>,
    /// Columns that hold at least one NULL.
    pub columns_with_nulls: BTreeSet<(QualifiedName, String)>,
}

impl Facts {
    /// Facts for a database with no rows anywhere (`plan --from-empty`).
    pub fn empty() -> Facts {
        Facts::default()
    }

    pub fn has_rows(&self, table: &QualifiedName) -> bool {
        self.tables_with_rows.contains(table)
    }

    pub fn has_nulls(&self, table: &QualifiedName, column: &str) -> bool {
        self.columns_with_nulls
            .contains(&(table.clone(), column.to_string()))
    }
}

/// The current (database) name of a desired table: its `renamed from` while that still exists.
pub fn current_table_name(catalogs: Pair<&Catalog>, desired: &QualifiedName) -> QualifiedName {
    if catalogs.current.table(desired).is_some() {
        return desired.clone();
    }
    catalogs
        .desired
        .table(desired)
        .and_then(|t| t.renamed_from.clone())
        .filter(|old| catalogs.current.table(old).is_some())
        .unwrap_or_else(|| desired.clone())
}

pub fn needed(changes: &[Change], catalogs: Pair<&Catalog>) -> FactQuery {
    let mut query = FactQuery::default();
    for change in changes {
        match change {
            Change::AddColumn { table, column } if !column.nullable => {
                query.tables.insert(current_table_name(catalogs, table));
            }
            Change::SetNotNull { table, column } => {
                let current_table = current_table_name(catalogs, table);
                let current_column = current_column_name(catalogs, table, &column.name);
                query.tables.insert(current_table.clone());
                query.null_columns.insert((current_table, current_column));
            }
            Change::AlterColumnType { table, .. } | Change::DropColumn { table, .. } => {
                query.tables.insert(current_table_name(catalogs, table));
            }
            Change::DropTable(table) => {
                query.tables.insert(table.name.clone());
            }
            Change::AddObject { table, .. } => {
                query.tables.insert(current_table_name(catalogs, table));
            }
            _ => {}
        }
    }
    // Only tables that exist in the database can have rows.
    query.tables.retain(|t| catalogs.current.table(t).is_some());
    query
        .null_columns
        .retain(|(t, _)| catalogs.current.table(t).is_some());
    query
}

/// The current name of a desired column (through `renamed from`).
pub fn current_column_name(
    catalogs: Pair<&Catalog>,
    table: &QualifiedName,
    column: &str,
) -> String {
    let current_table = current_table_name(catalogs, table);
    let Some(current) = catalogs.current.table(&current_table) else {
        return column.to_string();
    };
    if current.column(column).is_some() {
        return column.to_string();
    }
    catalogs
        .desired
        .table(table)
        .and_then(|t| t.column(column))
        .and_then(|c| c.renamed_from.clone())
        .filter(|old| current.column(old).is_some())
        .unwrap_or_else(|| column.to_string())
}
