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
            // Any added column: a NOT NULL one needs a source for existing rows, and a generated,
            // serial or volatile-default one rewrites a table that holds rows.
            Change::AddColumn { table, .. } => {
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
            // A partition with rows is lost data; a default partition with rows decides how a
            // new partition is attached (plan/recipes/partitions.rs).
            Change::DropPartition { partition, .. } => {
                query.tables.insert(partition.name.clone());
            }
            Change::AddPartition { table, .. } | Change::AlterPartitionBound { table, .. } => {
                let current = current_table_name(catalogs, table);
                let default = catalogs
                    .current
                    .table(&current)
                    .and_then(|t| t.partitioning.as_ref())
                    .and_then(|p| p.partitions.as_ref())
                    .and_then(|ps| {
                        ps.iter()
                            .find(|p| p.bound == crate::catalog::PartitionBound::Default)
                    });
                if let Some(default) = default {
                    query.tables.insert(default.name.clone());
                }
                query.tables.insert(current);
            }
            // Dropping an index on a table with rows is done `CONCURRENTLY`; a generated column
            // recomputed for every row is a rewrite.
            Change::AddObject { table, .. }
            | Change::DropObject { table, .. }
            | Change::ReplaceGeneratedColumn { table, .. }
            // A column becoming an identity column moves its sequence past the rows' values.
            | Change::AlterIdentity { table, .. } => {
                query.tables.insert(current_table_name(catalogs, table));
            }
            // Every column of the enum is converted to the new type: a rewrite where it has rows.
            Change::ReplaceEnum { current, .. } => {
                let enum_type = crate::catalog::BaseType::Enum(current.name.clone());
                for table in &catalogs.current.tables {
                    if table.columns.iter().any(|c| c.ty.base == enum_type) {
                        query.tables.insert(table.name.clone());
                    }
                }
            }
            // A new domain check is checked against every column of the domain first.
            Change::AlterDomain { current, .. } => {
                let domain = crate::catalog::BaseType::Other(crate::model::domain_type_name(
                    &current.name,
                ));
                for table in &catalogs.current.tables {
                    if table.columns.iter().any(|c| c.ty.base == domain) {
                        query.tables.insert(table.name.clone());
                    }
                }
            }
            _ => {}
        }
    }
    // Only tables that exist in the database can have rows (partitions are no `Table`s).
    let partitions: Vec<&QualifiedName> = catalogs
        .current
        .tables
        .iter()
        .filter_map(|t| t.partitioning.as_ref()?.partitions.as_ref())
        .flatten()
        .map(|p| &p.name)
        .collect();
    query
        .tables
        .retain(|t| catalogs.current.table(t).is_some() || partitions.contains(&t));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{BaseType, Column, EnumType, SqlType, Table};
    use crate::diff::{diff, TableObject};

    fn catalog(tables: Vec<Table>) -> Catalog {
        Catalog {
            tables,
            ..Catalog::default()
        }
    }

    fn table(name: &str, columns: Vec<Column>) -> Table {
        let mut table = Table::new(QualifiedName::public(name));
        table.columns = columns;
        table
    }

    fn text(name: &str) -> Column {
        Column::new(name, SqlType::scalar(BaseType::Text))
    }

    /// Every change whose recipe depends on whether the table holds rows asks for that fact; a
    /// table left out is taken as empty, and its steps would then claim no rewrite, or drop an
    /// index without `CONCURRENTLY`.
    #[test]
    fn tables_are_asked_about_for_every_change_that_depends_on_rows() {
        let mut generated = text("g");
        generated.nullable = true;
        generated.generated = Some("upper(a)".into());
        let mut regenerated = generated.clone();
        regenerated.generated = Some("lower(a)".into());
        let index = crate::catalog::Index {
            options: Default::default(),
            name: "t_a_idx".into(),
            unique: false,
            method: "btree".into(),
            keys: vec![crate::catalog::IndexKey::Column("a".into())],
            predicate: None,
            origin: None,
        };
        let mut nullable = text("n");
        nullable.nullable = true;
        let mut current_table = table("t", vec![text("a"), generated]);
        current_table.indexes.push(index.clone());
        let current = catalog(vec![current_table]);
        let desired = catalog(vec![table("t", vec![text("a"), regenerated, nullable])]);
        let catalogs = Pair::new(&current, &desired);
        let changes = diff(catalogs);
        assert!(changes.iter().any(|c| matches!(
            c,
            Change::DropObject {
                object: TableObject::Index(_),
                ..
            }
        )));
        assert!(changes
            .iter()
            .any(|c| matches!(c, Change::ReplaceGeneratedColumn { .. })));
        let t = QualifiedName::public("t");
        for change in &changes {
            let query = needed(std::slice::from_ref(change), catalogs);
            assert!(
                query.tables.contains(&t),
                "{change:?} does not ask whether `t` has rows"
            );
        }
    }

    #[test]
    fn a_replaced_enum_asks_about_every_table_using_it() {
        let name = QualifiedName::public("mood");
        let mut feeling = text("feeling");
        feeling.ty = SqlType::scalar(BaseType::Enum(name.clone()));
        let enum_type = |values: &[&str]| EnumType {
            name: name.clone(),
            values: values.iter().map(|v| v.to_string()).collect(),
            comment: None,
            renamed_from: None,
            origin: None,
        };
        let mut current = catalog(vec![
            table("people", vec![feeling.clone()]),
            table("other", vec![text("a")]),
        ]);
        current.enums.push(enum_type(&["happy", "sad"]));
        let mut desired = current.clone();
        desired.enums[0] = enum_type(&["happy"]);
        let query = needed(
            &diff(Pair::new(&current, &desired)),
            Pair::new(&current, &desired),
        );
        assert!(query.tables.contains(&QualifiedName::public("people")));
        assert!(!query.tables.contains(&QualifiedName::public("other")));
    }
}
