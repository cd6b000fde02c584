//! What a statement does on purpose that a migration linter flags, and why: decided by the recipe
//! that writes the statement (it knows it drops schemac's own NOT NULL check, or builds an index on
//! a table without rows), carried by the `Step` as typed data, and rendered by the SQL script as
//! a `-- squawk-ignore` comment with the reason. Nothing here reads SQL text.
//!
//! The rule names are those of squawk (https://squawkhq.com/docs/rules), the linter CI runs over
//! every plan of the test suite (`.ci/squawk.sh`).

use crate::catalog::{BaseType, Column, SqlType};

/// Why a statement breaks a linter rule on purpose. Each variant names its rules and its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deliberate {
    /// `DROP TABLE` of a table the schema no longer has.
    DropsTable,
    /// `DROP COLUMN` of a column the schema no longer has (or a generated column made again).
    DropsColumn,
    /// `DROP CONSTRAINT` of schemac's own check on a default partition, after the attach.
    DropsOwnBoundCheck,
    /// `DROP CONSTRAINT` of schemac's own `IS NOT NULL` check, once `SET NOT NULL` holds.
    DropsOwnNotNullCheck,
    /// `DROP CONSTRAINT` of a constraint the schema no longer has, or replaces.
    DropsConstraint,
    /// `DROP CONSTRAINT` of a foreign key tied to a key being replaced, added back in the same
    /// transaction.
    DropsForeignKeyOfReplacedKey,
    /// `DROP FUNCTION IF EXISTS` of schemac's own fill or sync function.
    DropsFillFunction,
    /// `DROP FUNCTION` / `DROP PROCEDURE` of a routine the schema no longer has or recreates.
    DropsRoutine,
    /// `DROP DOMAIN`.
    DropsDomain,
    /// `CREATE DOMAIN ... CHECK`.
    CreatesDomainWithCheck,
    /// `ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID`, validated in a later step.
    AddsDomainCheckNotValid,
    /// `DETACH PARTITION` in a transaction (beside a default partition).
    DetachesInTransaction,
    /// `DETACH PARTITION ... CONCURRENTLY`, outside a transaction.
    DetachesConcurrently,
    /// `DROP TYPE`.
    DropsType,
    /// `DROP DEFAULT`.
    DropsDefault,
    /// `DROP NOT NULL`.
    DropsNotNull,
    /// `ADD GENERATED ... AS IDENTITY`, `SET GENERATED`, `DROP IDENTITY`.
    AltersIdentity,
    /// `DROP VIEW` / `DROP MATERIALIZED VIEW`.
    DropsView,
    /// `DROP SEQUENCE`.
    DropsSequence,
    /// `ADD COLUMN ... DEFAULT nextval(...)`: every row takes a number.
    AddsNumberedColumn,
    /// `ADD COLUMN ... GENERATED` (stored, or an identity): computed for every row.
    AddsGeneratedColumn,
    /// A generated column computed from a retyped column, dropped to be added again after it.
    RecomputesGeneratedColumn,
    /// An index or check on such a generated column, made again with it (no concurrent build).
    RebuiltWithGeneratedColumn,
    /// `ADD COLUMN ... GENERATED ... VIRTUAL`: computed when read.
    AddsVirtualColumn,
    /// `RENAME COLUMN` the schema asks for with `renamed from`.
    RenamesColumn,
    /// `ALTER TABLE ... RENAME TO` the schema asks for with `renamed from`.
    RenamesTable,
    /// A constraint, index, type or sequence renamed to the name the schema gives it.
    RenamesObject,
    /// `ALTER COLUMN ... TYPE`.
    ChangesType,
    /// A validated foreign key added where there are no rows to scan.
    ForeignKeyWithoutRows,
    /// A validated foreign key on a partitioned table, where PostgreSQL refuses `NOT VALID`.
    ForeignKeyOnPartitionedTable,
    /// A validated check added where there are no rows to scan.
    CheckWithoutRows,
    /// `CREATE INDEX` without `CONCURRENTLY` on a table without rows.
    IndexWithoutRows,
    /// `CREATE INDEX ... ON ONLY` a partitioned parent.
    IndexOnPartitionedParent,
    /// `CREATE INDEX` without `CONCURRENTLY` on a materialized view.
    IndexOnMaterializedView,
    /// `ADD CONSTRAINT ... UNIQUE (...)` / `PRIMARY KEY (...)` on a table without rows.
    KeyWithoutRows,
    /// A partitioned parent's key, adopting the partitions' constraints built concurrently.
    KeyAdoptsPartitions,
    /// The swap of an online type change drops the old column.
    SwapDropsColumn,
    /// The swap of an online type change renames the converted copy.
    SwapRenamesColumn,
    /// The swap of an online type change drops the old column's key.
    SwapDropsKey,
}

/// No rows means nothing to scan: the plain forms are what the table needs.
const WITHOUT_ROWS: &str =
    "the table holds no rows (it is new or empty), so there is nothing to scan";
const CONSENT: &str = "`renamed from` in the schema is the consent to rename";
/// The swap drops and renames on purpose, not because the schema lost anything.
const SWAP: &str = "online type change: schemac's converted copy, verified to hold every value, replaces the column";

impl Deliberate {
    /// The squawk rules the statement breaks.
    pub fn rules(self) -> &'static [&'static str] {
        match self {
            Deliberate::DropsTable => &["ban-drop-table"],
            Deliberate::DropsColumn
            | Deliberate::SwapDropsColumn
            | Deliberate::RecomputesGeneratedColumn => &["ban-drop-column"],
            Deliberate::DropsOwnBoundCheck
            | Deliberate::DropsOwnNotNullCheck
            | Deliberate::DropsConstraint
            | Deliberate::DropsForeignKeyOfReplacedKey
            | Deliberate::SwapDropsKey => &["ban-drop-constraint"],
            Deliberate::DropsFillFunction | Deliberate::DropsRoutine => &["ban-drop-function"],
            Deliberate::DropsDomain => &["ban-drop-domain"],
            Deliberate::CreatesDomainWithCheck => &["ban-create-domain-with-constraint"],
            Deliberate::AddsDomainCheckNotValid => &["ban-alter-domain-with-add-constraint"],
            Deliberate::DetachesInTransaction => &["require-concurrent-partition-detach"],
            Deliberate::DetachesConcurrently => &["prefer-robust-stmts"],
            Deliberate::DropsType => &["ban-drop-type"],
            Deliberate::DropsDefault => &["ban-drop-default"],
            Deliberate::DropsNotNull => &["ban-drop-not-null"],
            Deliberate::AltersIdentity => &["ban-alter-identity"],
            Deliberate::DropsView => &["ban-drop-view"],
            Deliberate::DropsSequence => &["ban-drop-sequence"],
            Deliberate::AddsNumberedColumn
            | Deliberate::AddsGeneratedColumn
            | Deliberate::AddsVirtualColumn => &["adding-field-with-default"],
            Deliberate::RenamesColumn | Deliberate::SwapRenamesColumn => &["renaming-column"],
            Deliberate::RenamesTable => &["renaming-table"],
            Deliberate::RenamesObject => &["renaming-object"],
            Deliberate::ChangesType => &["changing-column-type"],
            Deliberate::ForeignKeyWithoutRows | Deliberate::ForeignKeyOnPartitionedTable => &[
                "constraint-missing-not-valid",
                "adding-foreign-key-constraint",
            ],
            Deliberate::CheckWithoutRows => &["constraint-missing-not-valid"],
            Deliberate::RebuiltWithGeneratedColumn => &[
                "require-concurrent-index-creation",
                "constraint-missing-not-valid",
            ],
            Deliberate::IndexWithoutRows
            | Deliberate::IndexOnPartitionedParent
            | Deliberate::IndexOnMaterializedView => &["require-concurrent-index-creation"],
            Deliberate::KeyWithoutRows => &["disallowed-unique-constraint"],
            Deliberate::KeyAdoptsPartitions => &[
                "disallowed-unique-constraint",
                "constraint-missing-not-valid",
            ],
        }
    }

    /// Why, for the reader of the SQL script.
    pub fn reason(self) -> &'static str {
        match self {
            Deliberate::DropsTable => {
                "the schema no longer has this table; apply refuses it without --allow-destructive"
            }
            Deliberate::DropsColumn => {
                "the schema no longer has this column; apply refuses it without --allow-destructive"
            }
            Deliberate::DropsOwnBoundCheck => {
                "schemac's own check on the default partition: the attached partition now holds those rows"
            }
            Deliberate::DropsOwnNotNullCheck => {
                "schemac's own NOT NULL check: SET NOT NULL now holds the guarantee"
            }
            Deliberate::DropsConstraint => {
                "the schema no longer has this constraint, or a stricter one replaces it"
            }
            Deliberate::DropsForeignKeyOfReplacedKey => {
                "tied to the index of the key replaced here; added back NOT VALID in this transaction"
            }
            Deliberate::DropsFillFunction => {
                "schemac's own fill function, no longer needed once the column is NOT NULL"
            }
            Deliberate::DropsRoutine => {
                "the schema no longer has this routine, or creates it again with another signature"
            }
            Deliberate::DropsDomain => "the schema no longer has this domain",
            Deliberate::CreatesDomainWithCheck => "the schema declares the domain with this check",
            Deliberate::AddsDomainCheckNotValid => {
                "added NOT VALID, then validated in its own step after a preflight found no violating row"
            }
            Deliberate::DetachesInTransaction => {
                "CONCURRENTLY is refused inside a transaction and beside a default partition: the \
                 detach waits at most lock_timeout and holds its lock for an instant"
            }
            Deliberate::DetachesConcurrently => {
                "DETACH CONCURRENTLY cannot run in a transaction; apply records each step and \
                 resumes after the last one done"
            }
            Deliberate::DropsType => {
                "the schema no longer has this type, or a rebuilt one replaces it"
            }
            Deliberate::DropsDefault => {
                "the schema removes the default (or sets it again after a type change)"
            }
            Deliberate::DropsNotNull => "the schema makes the column nullable",
            Deliberate::AltersIdentity => {
                "the schema changes the identity; a step that stops numbering lists the hazard"
            }
            Deliberate::DropsView => {
                "the schema no longer has this view, or it is created again later in this plan (the step's hazard says why)"
            }
            Deliberate::DropsSequence => {
                "the schema no longer declares the sequence, or an identity column replaces a serial"
            }
            Deliberate::AddsNumberedColumn => {
                "each row takes its number from the sequence; the step lists the rewrite"
            }
            Deliberate::AddsGeneratedColumn => {
                "a generated column is computed for every row; the step lists the rewrite"
            }
            Deliberate::RebuiltWithGeneratedColumn => {
                "made again with the generated column it reads, in the same transaction: the table \
                 is being rewritten under ACCESS EXCLUSIVE anyway"
            }
            Deliberate::RecomputesGeneratedColumn => {
                "PostgreSQL cannot retype a column a generated column reads: the generated column \
                 is added again below, in the same transaction, its values computed again"
            }
            Deliberate::AddsVirtualColumn => {
                "a virtual generated column is computed when read: nothing is written"
            }
            Deliberate::RenamesColumn | Deliberate::RenamesTable => CONSENT,
            Deliberate::RenamesObject => {
                "the schema names it so (a rename, or the name PostgreSQL gives a rebuilt object)"
            }
            Deliberate::ChangesType => {
                "the schema changes the type; the step lists any rewrite as a hazard"
            }
            Deliberate::ForeignKeyWithoutRows
            | Deliberate::CheckWithoutRows
            | Deliberate::IndexWithoutRows
            | Deliberate::KeyWithoutRows => WITHOUT_ROWS,
            Deliberate::ForeignKeyOnPartitionedTable => {
                "PostgreSQL refuses NOT VALID for a foreign key on a partitioned table: it is \
                 added validated, scanning every partition while writes wait (the hazard)"
            }
            Deliberate::IndexOnPartitionedParent => {
                "the partitioned parent's own index builds nothing: each partition's is built \
                 concurrently and attached"
            }
            Deliberate::IndexOnMaterializedView => {
                "a materialized view takes no writes: a plain index build blocks only REFRESH"
            }
            Deliberate::KeyAdoptsPartitions => {
                "each partition's index was built concurrently and is its constraint already: the \
                 parent's constraint adopts them without a scan"
            }
            Deliberate::SwapDropsColumn
            | Deliberate::SwapRenamesColumn
            | Deliberate::SwapDropsKey => SWAP,
        }
    }

    /// What `ADD COLUMN` of this column does on purpose: a generated or identity column is
    /// computed for every row, a `nextval` default numbers every row.
    pub fn of_added_column(column: &Column) -> Option<Deliberate> {
        if column.generated.is_some() && column.generated_virtual {
            Some(Deliberate::AddsVirtualColumn)
        } else if column.generated.is_some() || column.identity.is_some() {
            Some(Deliberate::AddsGeneratedColumn)
        } else if !column.serial
            && column
                .default
                .as_deref()
                .is_some_and(|d| crate::sql::ddl::nextval_sequence(d, "").is_some())
        {
            Some(Deliberate::AddsNumberedColumn)
        } else {
            None
        }
    }
}

/// A statement of a step that breaks a linter rule on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Break {
    /// Index into the step's `Action::Sql` statements.
    pub statement: usize,
    pub why: Deliberate,
}

impl Break {
    /// The statement about to be pushed onto `statements` breaks a rule, for `why`.
    pub fn next(statements: &[String], why: Deliberate) -> Break {
        Break {
            statement: statements.len(),
            why,
        }
    }
}

/// A column type the schema chose that a linter would choose otherwise: squawk's rules about
/// which types a schema should use, not about how a plan changes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TypeChoice {
    /// `integer`, `smallint` (and their serials) rather than `bigint`.
    Int,
    /// `serial` types rather than identity columns.
    Serial,
    /// `varchar(n)` or `char(n)` rather than `text`.
    BoundedText,
    /// `timestamp` rather than `timestamptz`.
    Timestamp,
}

impl TypeChoice {
    /// The squawk rule.
    pub fn rule(self) -> &'static str {
        match self {
            TypeChoice::Int => "prefer-bigint-over-int",
            TypeChoice::Serial => "prefer-identity",
            TypeChoice::BoundedText => "prefer-text-field",
            TypeChoice::Timestamp => "prefer-timestamptz",
        }
    }

    /// The choices a column of this type makes (`serial`: written as a serial type).
    pub fn of(ty: &SqlType, serial: bool) -> Vec<TypeChoice> {
        let serial = serial && !ty.array && ty.base.serial_name().is_some();
        let mut choices = Vec::new();
        if matches!(ty.base, BaseType::Integer | BaseType::SmallInt) {
            choices.push(TypeChoice::Int);
        }
        if serial {
            choices.push(TypeChoice::Serial);
        }
        if matches!(ty.base, BaseType::Varchar(Some(_)) | BaseType::Char(_)) {
            choices.push(TypeChoice::BoundedText);
        }
        if ty.base == BaseType::Timestamp {
            choices.push(TypeChoice::Timestamp);
        }
        choices
    }

    /// The choices of a column as `CREATE TABLE` or `ADD COLUMN` writes it.
    pub fn of_column(column: &Column) -> Vec<TypeChoice> {
        TypeChoice::of(&column.ty, column.serial)
    }
}
