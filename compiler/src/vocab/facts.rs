//! Facts about the rows, the words between the planner and the database reader: the planner lists
//! what it needs (`FactQuery`, from `plan::facts_needed`), `introspect::facts` answers (`Facts`).

use std::collections::BTreeSet;

use super::QualifiedName;

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
    /// The server's `server_version_num`, where a database was asked.
    pub server_version: Option<u32>,
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
