//! Unit tests of the differ on small hand-built catalogs.

use super::*;
use crate::catalog::{BaseType, Column, EnumType, Index, IndexKey, QualifiedName, SqlType, Table};

fn column(name: &str, base: BaseType) -> Column {
    Column::new(name, SqlType::scalar(base))
}

fn table(name: &str, columns: Vec<Column>) -> Table {
    let mut table = Table::new(QualifiedName::public(name));
    table.columns = columns;
    table
}

fn catalog(tables: Vec<Table>) -> Catalog {
    Catalog {
        tables,
        ..Catalog::default()
    }
}

#[test]
fn equal_catalogs_have_no_changes() {
    let a = catalog(vec![table("users", vec![column("id", BaseType::Uuid)])]);
    assert!(diff(Pair::new(&a, &a.clone())).is_empty());
}

#[test]
fn column_order_is_never_drift() {
    let current = catalog(vec![table(
        "t",
        vec![column("a", BaseType::Text), column("b", BaseType::Text)],
    )]);
    let desired = catalog(vec![table(
        "t",
        vec![column("b", BaseType::Text), column("a", BaseType::Text)],
    )]);
    assert!(diff(Pair::new(&current, &desired)).is_empty());
}

#[test]
fn rename_hint_is_honoured_only_while_the_old_column_exists() {
    let current = catalog(vec![table("t", vec![column("name", BaseType::Text)])]);
    let mut renamed = column("title", BaseType::Text);
    renamed.renamed_from = Some("name".into());
    let desired = catalog(vec![table("t", vec![renamed.clone()])]);
    let changes = diff(Pair::new(&current, &desired));
    assert!(
        matches!(changes.as_slice(), [Change::RenameColumn { from, to, .. }] if from == "name" && to == "title")
    );
    // Once `name` is gone the hint is a no-op.
    let done = catalog(vec![table("t", vec![column("title", BaseType::Text)])]);
    assert!(diff(Pair::new(&done, &desired)).is_empty());
}

#[test]
fn nullability_type_and_default_changes_are_separate() {
    let current = catalog(vec![table(
        "t",
        vec![{
            let mut c = column("n", BaseType::Integer);
            c.nullable = true;
            c
        }],
    )]);
    let desired = catalog(vec![table(
        "t",
        vec![{
            let mut c = column("n", BaseType::BigInt);
            c.default = Some("0".into());
            c
        }],
    )]);
    let changes = diff(Pair::new(&current, &desired));
    assert!(changes
        .iter()
        .any(|c| matches!(c, Change::AlterColumnType { .. })));
    assert!(changes
        .iter()
        .any(|c| matches!(c, Change::SetDefault { .. })));
    assert!(changes
        .iter()
        .any(|c| matches!(c, Change::SetNotNull { .. })));
    assert_eq!(changes.len(), 3);
}

#[test]
fn enum_values_added_in_position_or_replaced() {
    let make = |values: &[&str]| Catalog {
        enums: vec![EnumType {
            name: QualifiedName::public("status"),
            values: values.iter().map(|v| v.to_string()).collect(),
            comment: None,
            renamed_from: None,
            origin: None,
        }],
        ..Catalog::default()
    };
    let changes = diff(Pair::new(
        &make(&["open", "closed"]),
        &make(&["open", "pending", "closed"]),
    ));
    assert!(matches!(
        changes.as_slice(),
        [Change::AddEnumValue { value, position: EnumPosition::After(after), .. }] if value == "pending" && after == "open"
    ));
    let changes = diff(Pair::new(
        &make(&["open", "closed"]),
        &make(&["closed", "open"]),
    ));
    assert!(matches!(changes.as_slice(), [Change::ReplaceEnum { .. }]));
    let changes = diff(Pair::new(
        &make(&["open", "closed"]),
        &make(&["new", "open", "closed"]),
    ));
    assert!(matches!(
        changes.as_slice(),
        [Change::AddEnumValue { value, position: EnumPosition::Before(before), .. }] if value == "new" && before == "open"
    ));
}

#[test]
fn an_index_renamed_by_hand_is_renamed_back_not_rebuilt() {
    let index = |name: &str| Index {
        options: Default::default(),
        name: name.into(),
        unique: false,
        method: "btree".into(),
        keys: vec![IndexKey::Column("a".into())],
        predicate: None,
        origin: None,
    };
    let mut current = table("t", vec![column("a", BaseType::Text)]);
    current.indexes.push(index("by_hand"));
    let mut desired = table("t", vec![column("a", BaseType::Text)]);
    desired.indexes.push(index("t_a_idx"));
    let changes = diff(Pair::new(&catalog(vec![current]), &catalog(vec![desired])));
    assert!(matches!(changes.as_slice(), [Change::RenameObject { from, .. }] if from == "by_hand"));
}

#[test]
fn tables_missing_from_the_schema_are_dropped() {
    let current = catalog(vec![table("old", vec![]), table("kept", vec![])]);
    let desired = catalog(vec![table("kept", vec![])]);
    let changes = diff(Pair::new(&current, &desired));
    assert!(matches!(changes.as_slice(), [Change::DropTable(t)] if t.name.name == "old"));
}

/// PostgreSQL keeps a foreign key pointing at its table (and column) through a rename: the key is
/// unchanged, not dropped and added again (which would be destructive and leave rows unchecked).
#[test]
fn a_foreign_key_to_a_renamed_table_and_column_is_unchanged() {
    use crate::catalog::{FkAction, ForeignKey};
    let fk = |table: &str, column: &str| ForeignKey {
        name: "invoices_client_id_fkey".into(),
        columns: vec!["client_id".into()],
        referenced_table: QualifiedName::public(table),
        referenced_columns: vec![column.into()],
        on_delete: FkAction::NoAction,
        on_delete_columns: Vec::new(),
        on_update: FkAction::NoAction,
        origin: None,
    };
    let mut invoices = table("invoices", vec![column("client_id", BaseType::BigInt)]);
    invoices.foreign_keys.push(fk("clients", "uid"));
    let current = catalog(vec![
        table("clients", vec![column("uid", BaseType::BigInt)]),
        invoices.clone(),
    ]);
    let mut id = column("id", BaseType::BigInt);
    id.renamed_from = Some("uid".into());
    let mut customers = table("customers", vec![id]);
    customers.renamed_from = Some(QualifiedName::public("clients"));
    invoices.foreign_keys = vec![fk("customers", "id")];
    let desired = catalog(vec![customers, invoices]);
    let changes = diff(Pair::new(&current, &desired));
    assert!(
        changes
            .iter()
            .all(|c| matches!(c, Change::RenameTable { .. } | Change::RenameColumn { .. })),
        "{changes:#?}"
    );
    assert_eq!(changes.len(), 2);
    // A key to another table is still a change.
    let mut elsewhere = desired.clone();
    elsewhere.tables[1].foreign_keys = vec![fk("other", "id")];
    let changes = diff(Pair::new(&current, &elsewhere));
    assert!(changes.iter().any(|c| matches!(
        c,
        Change::DropObject {
            object: TableObject::ForeignKey(_),
            ..
        }
    )));
}

/// `RENAME COLUMN` rewrites the checks and index expressions that name the column: a check or
/// partial index that only follows the rename is renamed (or kept), not dropped and validated anew.
#[test]
fn checks_and_index_predicates_follow_a_column_rename() {
    use crate::catalog::CheckConstraint;
    let check = |name: &str, column: &str| CheckConstraint {
        name: name.into(),
        expr: format!("(length({column}) > 0)"),
        origin: None,
    };
    let partial = |column: &str| Index {
        options: Default::default(),
        name: "t_live".into(),
        unique: false,
        method: "btree".into(),
        keys: vec![IndexKey::Expr(format!("lower({column})"))],
        predicate: Some(format!("({column} IS NOT NULL)")),
        origin: None,
    };
    let mut current = table("t", vec![column("fullname", BaseType::Text)]);
    current.checks.push(check("t_fullname_check", "fullname"));
    current.indexes.push(partial("fullname"));
    let mut renamed = column("display_name", BaseType::Text);
    renamed.renamed_from = Some("fullname".into());
    let mut desired = table("t", vec![renamed]);
    desired
        .checks
        .push(check("t_display_name_check", "display_name"));
    desired.indexes.push(partial("display_name"));
    let changes = diff(Pair::new(&catalog(vec![current]), &catalog(vec![desired])));
    assert!(
        matches!(
            changes.as_slice(),
            [Change::RenameColumn { .. }, Change::RenameObject { from, .. }] if from == "t_fullname_check"
        ),
        "{changes:#?}"
    );
}

/// A column keeps its type through `ALTER TYPE ... RENAME` (the type is referenced by oid): renaming
/// an enum changes no column.
#[test]
fn a_column_of_a_renamed_enum_is_unchanged() {
    let enum_type = |name: &str, renamed_from: Option<&str>| EnumType {
        name: QualifiedName::public(name),
        values: vec!["a".into()],
        comment: None,
        renamed_from: renamed_from.map(QualifiedName::public),
        origin: None,
    };
    let of = |name: &str| column("scope", BaseType::Enum(QualifiedName::public(name)));
    let mut current = catalog(vec![table("grants", vec![of("perm_scope")])]);
    current.enums.push(enum_type("perm_scope", None));
    let mut desired = catalog(vec![table("grants", vec![of("permission_scope")])]);
    desired
        .enums
        .push(enum_type("permission_scope", Some("perm_scope")));
    let changes = diff(Pair::new(&current, &desired));
    assert!(
        matches!(changes.as_slice(), [Change::RenameEnum { .. }]),
        "{changes:#?}"
    );
}
