//! `Change`: one difference between the database (`current`) and the schema (`desired`), in
//! PostgreSQL terms. Changes carry owned copies of the objects involved so the planner needs no
//! lookups back into either catalog for the common cases.

use crate::catalog::{
    CheckConstraint, Column, EnumType, ForeignKey, Grant, Identity, Index, Partition, Partitioning,
    Policy, PrimaryKey, QualifiedName, Sequence, SqlType, Table, UniqueConstraint, View,
};

/// Where a new enum value goes, relative to an existing value.
#[derive(Debug, Clone, PartialEq)]
pub enum EnumPosition {
    Before(String),
    After(String),
    /// The type has no values yet.
    End,
}

/// A constraint or index that a table carries, for the changes that add, drop or rename one.
#[derive(Debug, Clone, PartialEq)]
pub enum TableObject {
    PrimaryKey(PrimaryKey),
    Unique(UniqueConstraint),
    ForeignKey(ForeignKey),
    Check(CheckConstraint),
    Index(Index),
}

impl TableObject {
    pub fn name(&self) -> &str {
        match self {
            TableObject::PrimaryKey(pk) => &pk.name,
            TableObject::Unique(unique) => &unique.name,
            TableObject::ForeignKey(fk) => &fk.name,
            TableObject::Check(check) => &check.name,
            TableObject::Index(index) => &index.name,
        }
    }

    /// Columns of this table the object depends on (expression keys are not parsed).
    pub fn columns(&self) -> Vec<&str> {
        match self {
            TableObject::PrimaryKey(pk) => pk.columns.iter().map(String::as_str).collect(),
            TableObject::Unique(unique) => unique.columns.iter().map(String::as_str).collect(),
            TableObject::ForeignKey(fk) => fk.columns.iter().map(String::as_str).collect(),
            TableObject::Check(_) => Vec::new(),
            TableObject::Index(index) => index
                .keys
                .iter()
                .filter_map(|key| match key {
                    crate::catalog::IndexKey::Column(column) => Some(column.as_str()),
                    crate::catalog::IndexKey::Expr(_) => None,
                })
                .collect(),
        }
    }

    /// Whether this is an index (renamed with `ALTER INDEX`) rather than a constraint.
    pub fn is_index(&self) -> bool {
        matches!(self, TableObject::Index(_))
    }
}

/// One difference between the two catalogs.
// A plan has tens to thousands of changes, built once: boxing the large variants would buy nothing
// but noisier matching.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    CreateSchema(String),
    CreateExtension(String),
    CreateRole(String),

    CreateEnum(EnumType),
    /// A `sequence` item the database lacks.
    CreateSequence(Sequence),
    /// A sequence whose options differ (type, start, increment, bounds, cache, cycle).
    AlterSequence {
        current: Sequence,
        desired: Sequence,
    },
    /// A standalone sequence the schema does not declare.
    DropSequence(Sequence),
    /// A view or materialized view the database lacks.
    CreateView(View),
    /// A view whose query or options change in a way `CREATE OR REPLACE VIEW` can make (same
    /// leading columns, new ones only at the end).
    ReplaceView {
        current: View,
        desired: View,
    },
    /// A view dropped and created again in the same plan: a materialized view that changes, a
    /// view whose columns change otherwise, or one that reads a column (or a view) this plan
    /// changes, which PostgreSQL would refuse to change under it.
    RecreateView {
        current: View,
        desired: View,
        because: String,
    },
    /// A view the schema does not declare.
    DropView(View),
    /// An index of a materialized view that the database lacks.
    CreateViewIndex {
        view: QualifiedName,
        index: Index,
    },
    /// An index of a materialized view that the schema does not declare (or declares otherwise).
    DropViewIndex {
        view: QualifiedName,
        index: Index,
    },
    /// A `function`/`procedure` the database lacks (or one dropped to be made again).
    CreateFunction(crate::catalog::Function),
    /// Same name, arguments and result, other body or attributes: `CREATE OR REPLACE`.
    ReplaceFunction(crate::catalog::Function),
    DropFunction(crate::catalog::Function),
    /// Same name and argument types, another result or argument list: dropped and created again.
    RecreateFunction {
        current: crate::catalog::Function,
        desired: crate::catalog::Function,
    },
    CreateTrigger(crate::catalog::Trigger),
    /// Same table and name, other definition: `CREATE OR REPLACE TRIGGER`.
    ReplaceTrigger(crate::catalog::Trigger),
    DropTrigger(crate::catalog::Trigger),
    CreateDomain(crate::catalog::Domain),
    /// Default, `not null` or checks differ (a base type change as well).
    AlterDomain {
        current: crate::catalog::Domain,
        desired: crate::catalog::Domain,
    },
    DropDomain(crate::catalog::Domain),
    RenameEnum {
        from: QualifiedName,
        to: QualifiedName,
    },
    AddEnumValue {
        name: QualifiedName,
        value: String,
        position: EnumPosition,
    },
    /// Values removed or reordered: a new type replaces the old one (destructive).
    ReplaceEnum {
        current: EnumType,
        desired: EnumType,
    },
    DropEnum(EnumType),
    CommentEnum {
        name: QualifiedName,
        comment: Option<String>,
    },

    CreateTable(Table),
    RenameTable {
        from: QualifiedName,
        to: QualifiedName,
    },
    DropTable(Table),
    CommentTable {
        table: QualifiedName,
        comment: Option<String>,
    },
    /// A partition of a partitioned table the database lacks (catalog/partitions.rs).
    AddPartition {
        table: QualifiedName,
        partition: Partition,
    },
    /// A partition the schema does not declare, or whose bound changed (destructive).
    DropPartition {
        table: QualifiedName,
        partition: Partition,
    },
    /// A partition whose bound changed, moved in place with its rows (a range or list bound over
    /// one plain column; any other change of bound is a drop and an add).
    AlterPartitionBound {
        table: QualifiedName,
        current: Partition,
        desired: Partition,
    },
    /// The partition key or strategy differs, or one side is not partitioned: PostgreSQL cannot
    /// change it in place (the planner refuses it).
    AlterPartitioning {
        table: QualifiedName,
        current: Option<Partitioning>,
        desired: Option<Partitioning>,
    },

    AddColumn {
        table: QualifiedName,
        column: Column,
    },
    RenameColumn {
        table: QualifiedName,
        from: String,
        to: String,
    },
    DropColumn {
        table: QualifiedName,
        column: Column,
    },
    AlterColumnType {
        table: QualifiedName,
        column: String,
        from: SqlType,
        to: SqlType,
        using: Option<String>,
    },
    /// The column becomes NOT NULL; existing rows may need a backfill (`column` is the desired one).
    SetNotNull {
        table: QualifiedName,
        column: Column,
    },
    DropNotNull {
        table: QualifiedName,
        column: String,
    },
    SetDefault {
        table: QualifiedName,
        column: String,
        default: String,
    },
    DropDefault {
        table: QualifiedName,
        column: String,
    },
    /// The column becomes an identity column, stops being one, or changes between `ALWAYS` and
    /// `BY DEFAULT`. A default the column has is dropped before it becomes one (PostgreSQL refuses
    /// both); `default` is the desired default, set after it stops being one.
    AlterIdentity {
        table: QualifiedName,
        column: String,
        current: Option<Identity>,
        desired: Option<Identity>,
        drop_default: bool,
        default: Option<String>,
    },
    /// A generated column's expression changed (or a column became/stopped being generated): the
    /// column is dropped and added again.
    ReplaceGeneratedColumn {
        table: QualifiedName,
        current: Column,
        desired: Column,
    },
    CommentColumn {
        table: QualifiedName,
        column: String,
        comment: Option<String>,
    },

    AddObject {
        table: QualifiedName,
        object: TableObject,
    },
    DropObject {
        table: QualifiedName,
        object: TableObject,
    },
    /// A foreign key or check that exists `NOT VALID` (an interrupted apply): validate it.
    ValidateObject {
        table: QualifiedName,
        object: TableObject,
    },
    RenameObject {
        table: QualifiedName,
        object: TableObject,
        from: String,
    },

    SetRowLevelSecurity {
        table: QualifiedName,
        enabled: bool,
    },
    SetForceRowLevelSecurity {
        table: QualifiedName,
        forced: bool,
    },
    CreatePolicy {
        table: QualifiedName,
        policy: Policy,
    },
    AlterPolicy {
        table: QualifiedName,
        current: Policy,
        desired: Policy,
    },
    DropPolicy {
        table: QualifiedName,
        policy: Policy,
    },
    Grant {
        table: QualifiedName,
        grants: Vec<Grant>,
    },
    Revoke {
        table: QualifiedName,
        grants: Vec<Grant>,
    },
}
