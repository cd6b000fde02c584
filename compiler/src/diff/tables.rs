//! Tables and what they hold: columns, keys, constraints, indexes (policies and grants are in
//! `security.rs`).

use super::pair::pair_by_key;
use super::{security, Change, TableObject};
use crate::catalog::{Catalog, Column, QualifiedName, Table};
use crate::pair::Pair;

pub fn diff_tables(catalogs: Pair<&Catalog>, changes: &mut Vec<Change>) {
    let pairs = pair_by_key(
        &catalogs.current.tables,
        &catalogs.desired.tables,
        |t| &t.name,
        |t| t.renamed_from.as_ref(),
    );
    let mut renames = Renames::of(&pairs);
    renames.enums = pair_by_key(
        &catalogs.current.enums,
        &catalogs.desired.enums,
        |e| &e.name,
        |e| e.renamed_from.as_ref(),
    )
    .into_iter()
    .filter_map(|pair| match (pair.current, pair.desired) {
        (Some(current), Some(desired)) if current.name != desired.name => {
            Some((current.name.clone(), desired.name.clone()))
        }
        _ => None,
    })
    .collect();
    for pair in pairs {
        match (pair.current, pair.desired) {
            (None, Some(desired)) => create_table(desired, changes),
            (Some(current), None) => changes.push(Change::DropTable(current.clone())),
            (Some(current), Some(desired)) => {
                diff_table(Pair::new(current, desired), &renames, changes)
            }
            (None, None) => {}
        }
    }
}

/// The table and column renames this diff makes, so that the database's objects can be read under
/// their schema names: a foreign key to a renamed table (or a renamed column of it) is the same
/// foreign key, which PostgreSQL keeps pointing at the table through the rename.
struct Renames {
    /// (name in the database, name in the schema).
    tables: Vec<(QualifiedName, QualifiedName)>,
    /// (table in the schema, column in the database, column in the schema).
    columns: Vec<(QualifiedName, String, String)>,
    /// Enum types: (name in the database, name in the schema). A column of a renamed enum keeps
    /// its type through `ALTER TYPE ... RENAME`.
    enums: Vec<(QualifiedName, QualifiedName)>,
}

impl Renames {
    fn of(pairs: &[Pair<Option<&Table>>]) -> Renames {
        let mut renames = Renames {
            tables: Vec::new(),
            columns: Vec::new(),
            enums: Vec::new(),
        };
        for pair in pairs {
            let (Some(current), Some(desired)) = (pair.current, pair.desired) else {
                continue;
            };
            if current.name != desired.name {
                renames
                    .tables
                    .push((current.name.clone(), desired.name.clone()));
            }
            let columns = pair_by_key(
                &current.columns,
                &desired.columns,
                |c| c.name.as_str(),
                |c| c.renamed_from.as_deref(),
            );
            for column in columns {
                if let (Some(old), Some(new)) = (column.current, column.desired) {
                    if old.name != new.name {
                        renames.columns.push((
                            desired.name.clone(),
                            old.name.clone(),
                            new.name.clone(),
                        ));
                    }
                }
            }
        }
        renames
    }

    /// A column type of the database, as it reads once the enum renames are made.
    fn ty(&self, current: &crate::catalog::SqlType) -> crate::catalog::SqlType {
        let mut ty = current.clone();
        if let crate::catalog::BaseType::Enum(name) = &current.base {
            if let Some((_, new)) = self.enums.iter().find(|(old, _)| old == name) {
                ty.base = crate::catalog::BaseType::Enum(new.clone());
            }
        }
        ty
    }

    /// The schema name of a table named `current` in the database.
    fn table(&self, current: &QualifiedName) -> QualifiedName {
        self.tables
            .iter()
            .find(|(old, _)| old == current)
            .map_or_else(|| current.clone(), |(_, new)| new.clone())
    }

    /// A stored expression of the table named `table` in the schema, as the database prints it
    /// once this diff's column renames are made.
    fn expr(&self, table: &QualifiedName, expr: &str) -> String {
        self.columns
            .iter()
            .filter(|(t, _, _)| t == table)
            .fold(expr.to_string(), |e, (_, old, new)| {
                super::expr::rename_column(&e, old, new)
            })
    }

    /// The schema name of column `current` of the table named `table` in the schema.
    fn column(&self, table: &QualifiedName, current: &str) -> String {
        self.columns
            .iter()
            .find(|(t, old, _)| t == table && old == current)
            .map_or_else(|| current.to_string(), |(_, _, new)| new.clone())
    }
}

/// A new table: the table with its columns, keys and checks in one statement; foreign keys,
/// indexes, policies, grants and comments as their own changes so they can be ordered.
fn create_table(table: &Table, changes: &mut Vec<Change>) {
    let mut bare = table.clone();
    if let Some(partitioning) = &mut bare.partitioning {
        partitioning.partitions = None;
    }
    bare.foreign_keys.clear();
    bare.indexes.clear();
    bare.policies.clear();
    bare.grants.clear();
    bare.rls_enabled = false;
    bare.rls_forced = false;
    changes.push(Change::CreateTable(bare));
    let name = &table.name;
    super::partitions::diff_partitions(name, Pair::new(None, table.partitioning.as_ref()), changes);
    for fk in &table.foreign_keys {
        changes.push(Change::AddObject {
            table: name.clone(),
            object: TableObject::ForeignKey(fk.clone()),
        });
    }
    for index in &table.indexes {
        changes.push(Change::AddObject {
            table: name.clone(),
            object: TableObject::Index(index.clone()),
        });
    }
    let empty = Table::new(name.clone());
    security::diff_security(Pair::new(&empty, table), changes);
}

fn diff_table(tables: Pair<&Table>, renames: &Renames, changes: &mut Vec<Change>) {
    let Pair { current, desired } = tables;
    let name = &desired.name;
    if current.name != desired.name {
        changes.push(Change::RenameTable {
            from: current.name.clone(),
            to: desired.name.clone(),
        });
    }
    let columns = pair_by_key(
        &current.columns,
        &desired.columns,
        |c| c.name.as_str(),
        |c| c.renamed_from.as_deref(),
    );
    for pair in columns {
        match (pair.current, pair.desired) {
            (None, Some(column)) => changes.push(Change::AddColumn {
                table: name.clone(),
                column: column.clone(),
            }),
            (Some(column), None) => changes.push(Change::DropColumn {
                table: name.clone(),
                column: column.clone(),
            }),
            (Some(current_column), Some(desired_column)) => diff_column(
                name,
                Pair::new(current_column, desired_column),
                renames,
                changes,
            ),
            (None, None) => {}
        }
    }
    super::partitions::diff_partitions(
        name,
        Pair::new(current.partitioning.as_ref(), desired.partitioning.as_ref()),
        changes,
    );
    diff_objects(tables, renames, changes);
    security::diff_security(tables, changes);
    if current.comment != desired.comment {
        changes.push(Change::CommentTable {
            table: name.clone(),
            comment: desired.comment.clone(),
        });
    }
}

fn diff_column(
    table: &crate::catalog::QualifiedName,
    columns: Pair<&Column>,
    renames: &Renames,
    changes: &mut Vec<Change>,
) {
    let Pair { current, desired } = columns;
    let column = || desired.name.clone();
    if current.name != desired.name {
        changes.push(Change::RenameColumn {
            table: table.clone(),
            from: current.name.clone(),
            to: desired.name.clone(),
        });
    }
    // Stored ↔ virtual cannot be altered in place (PostgreSQL 18): the column is replaced.
    if current.generated != desired.generated
        || current.generated_virtual != desired.generated_virtual
    {
        changes.push(Change::ReplaceGeneratedColumn {
            table: table.clone(),
            current: current.clone(),
            desired: desired.clone(),
        });
        return;
    }
    if renames.ty(&current.ty) != desired.ty {
        changes.push(Change::AlterColumnType {
            table: table.clone(),
            column: column(),
            from: current.ty.clone(),
            to: desired.ty.clone(),
            using: desired.using.clone(),
        });
    }
    // A serial column's default is its sequence; comparing the text is enough because both sides
    // print `nextval('<table>_<column>_seq'::regclass)` — except after a table or column rename,
    // where the plan renames the sequence (and the default, which holds its oid, follows).
    let serial_on_both_sides = current.serial && desired.serial;
    // An identity column has no default: the identity change drops or sets it in its own step.
    let identity_changes = current.identity != desired.identity;
    if identity_changes {
        changes.push(Change::AlterIdentity {
            table: table.clone(),
            column: column(),
            current: current.identity,
            desired: desired.identity,
            drop_default: current.identity.is_none() && current.default.is_some(),
            default: desired
                .default
                .clone()
                .filter(|_| desired.identity.is_none()),
        });
    }
    if current.default != desired.default && !serial_on_both_sides && !identity_changes {
        match &desired.default {
            Some(default) => changes.push(Change::SetDefault {
                table: table.clone(),
                column: column(),
                default: default.clone(),
            }),
            None => changes.push(Change::DropDefault {
                table: table.clone(),
                column: column(),
            }),
        }
    }
    match (current.nullable, desired.nullable) {
        (true, false) => changes.push(Change::SetNotNull {
            table: table.clone(),
            column: desired.clone(),
        }),
        (false, true) => changes.push(Change::DropNotNull {
            table: table.clone(),
            column: column(),
        }),
        _ => {}
    }
    if current.comment != desired.comment {
        changes.push(Change::CommentColumn {
            table: table.clone(),
            column: column(),
            comment: desired.comment.clone(),
        });
    }
}

/// Keys, constraints and indexes, paired by name; an object whose definition is unchanged but whose
/// name differs is renamed rather than rebuilt.
fn diff_objects(tables: Pair<&Table>, renames: &Renames, changes: &mut Vec<Change>) {
    let objects = tables.map(table_objects);
    let name = &tables.desired.name;
    let mut added = Vec::new();
    let mut dropped: Vec<TableObject> = Vec::new();
    for desired in &objects.desired {
        match objects.current.iter().find(|c| c.name() == desired.name()) {
            // An INVALID index is rebuilt: dropped, then built again.
            Some(current)
                if current.is_index() && tables.current.not_valid.contains(current.name()) =>
            {
                dropped.push(current.clone());
                added.push(desired.clone());
            }
            Some(current) if same_definition(current, desired, name, renames) => {
                if tables.current.not_valid.contains(current.name()) {
                    changes.push(Change::ValidateObject {
                        table: name.clone(),
                        object: desired.clone(),
                    });
                }
            }
            Some(current) => {
                dropped.push(current.clone());
                added.push(desired.clone());
            }
            None => added.push(desired.clone()),
        }
    }
    for current in &objects.current {
        if !objects.desired.iter().any(|d| d.name() == current.name()) {
            dropped.push(current.clone());
        }
    }
    // Same definition under another name: a rename, not a rebuild.
    let mut renamed_objects = Vec::new();
    added.retain(|desired| {
        let found = dropped.iter().position(|current| {
            current.name() != desired.name() && same_definition(current, desired, name, renames)
        });
        match found {
            Some(index) => {
                let current = dropped.remove(index);
                renamed_objects.push((current.name().to_string(), desired.clone()));
                false
            }
            None => true,
        }
    });
    for object in dropped {
        changes.push(Change::DropObject {
            table: name.clone(),
            object,
        });
    }
    for (from, object) in renamed_objects {
        changes.push(Change::RenameObject {
            table: name.clone(),
            object,
            from,
        });
    }
    for object in added {
        changes.push(Change::AddObject {
            table: name.clone(),
            object,
        });
    }
}

fn table_objects(table: &Table) -> Vec<TableObject> {
    let mut objects = Vec::new();
    objects.extend(
        table
            .primary_key
            .iter()
            .cloned()
            .map(TableObject::PrimaryKey),
    );
    objects.extend(table.uniques.iter().cloned().map(TableObject::Unique));
    objects.extend(
        table
            .foreign_keys
            .iter()
            .cloned()
            .map(TableObject::ForeignKey),
    );
    objects.extend(table.checks.iter().cloned().map(TableObject::Check));
    objects.extend(table.indexes.iter().cloned().map(TableObject::Index));
    objects
}

/// Whether two objects are the same but for their names and source spans. Names on the current
/// side (columns of this table; a referenced table and its columns) are read through the renames
/// of this diff; `table` is this table's name in the schema.
fn same_definition(
    current: &TableObject,
    desired: &TableObject,
    table: &QualifiedName,
    renames: &Renames,
) -> bool {
    let rename = |column: &String| -> String { renames.column(table, column) };
    let columns = |list: &[String]| list.iter().map(rename).collect::<Vec<_>>();
    match (current, desired) {
        (TableObject::PrimaryKey(a), TableObject::PrimaryKey(b)) => {
            columns(&a.columns) == b.columns
        }
        (TableObject::Unique(a), TableObject::Unique(b)) => {
            columns(&a.columns) == b.columns && a.nulls_not_distinct == b.nulls_not_distinct
        }
        (TableObject::ForeignKey(a), TableObject::ForeignKey(b)) => {
            let referenced = renames.table(&a.referenced_table);
            let referenced_columns: Vec<String> = a
                .referenced_columns
                .iter()
                .map(|c| renames.column(&referenced, c))
                .collect();
            columns(&a.columns) == b.columns
                && referenced == b.referenced_table
                && referenced_columns == b.referenced_columns
                && a.on_delete == b.on_delete
                && columns(&a.on_delete_columns) == b.on_delete_columns
                && a.on_update == b.on_update
        }
        (TableObject::Check(a), TableObject::Check(b)) => renames.expr(table, &a.expr) == b.expr,
        (TableObject::Index(a), TableObject::Index(b)) => {
            let keys = |index: &crate::catalog::Index| {
                index
                    .keys
                    .iter()
                    .map(|key| match key {
                        crate::catalog::IndexKey::Column(c) => {
                            crate::catalog::IndexKey::Column(rename(c))
                        }
                        crate::catalog::IndexKey::Expr(e) => {
                            crate::catalog::IndexKey::Expr(renames.expr(table, e))
                        }
                    })
                    .collect::<Vec<_>>()
            };
            a.unique == b.unique
                && a.method == b.method
                && keys(a) == b.keys
                && a.options.keys == b.options.keys
                && columns(&a.options.include) == b.options.include
                && a.options.nulls_not_distinct == b.options.nulls_not_distinct
                && a.predicate.as_deref().map(|p| renames.expr(table, p)) == b.predicate
        }
        _ => false,
    }
}
