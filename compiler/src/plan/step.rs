//! `Step`: one unit of a plan — what it does (`kind`, `target`), what it runs (`action`), what it
//! costs (lock, rewrite, scan, transaction) and what a reviewer should know (`hazards`); plus the
//! `Resource`s it needs and provides, from which `graph.rs` derives the order.

use super::deliberate::{Break, Deliberate, TypeChoice};
use super::hazards::Hazard;
use crate::catalog::QualifiedName;

/// What a step does, named verb + object in PostgreSQL terms. `as_str` is the stable JSON `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StepKind {
    CreateSchema,
    CreateExtension,
    CreateRole,
    CreateEnum,
    RenameEnum,
    AddEnumValue,
    ReplaceEnum,
    DropEnum,
    CreateSequence,
    AlterSequence,
    DropSequence,
    CreateView,
    ReplaceView,
    DropView,
    CreateViewIndex,
    DropViewIndex,
    CreateFunction,
    ReplaceFunction,
    DropFunction,
    CreateTrigger,
    ReplaceTrigger,
    DropTrigger,
    CreateDomain,
    AlterDomain,
    DropDomain,
    CreateTable,
    RenameTable,
    DropTable,
    AddColumn,
    RenameColumn,
    DropColumn,
    AlterColumnType,
    SetDefault,
    DropDefault,
    AlterIdentity,
    DropNotNull,
    CreateFillTrigger,
    Backfill,
    Verify,
    AddCheckNotValid,
    ValidateConstraint,
    SetNotNull,
    DropFillTrigger,
    CreateSyncTrigger,
    SwapColumn,
    AddPrimaryKey,
    AddUnique,
    AddCheck,
    AddForeignKey,
    CreateIndex,
    CreateIndexConcurrently,
    DropConstraint,
    DropIndex,
    RenameConstraint,
    RenameIndex,
    EnableRowLevelSecurity,
    DisableRowLevelSecurity,
    ForceRowLevelSecurity,
    NoForceRowLevelSecurity,
    CreatePolicy,
    AlterPolicy,
    DropPolicy,
    Grant,
    Revoke,
    Comment,
    CreatePartition,
    AttachPartition,
    DropPartition,
    AttachIndex,
}

impl StepKind {
    /// Every kind, for parsing saved plans.
    pub const ALL: &'static [StepKind] = &[
        StepKind::CreateSchema,
        StepKind::CreateExtension,
        StepKind::CreateRole,
        StepKind::CreateEnum,
        StepKind::RenameEnum,
        StepKind::AddEnumValue,
        StepKind::ReplaceEnum,
        StepKind::DropEnum,
        StepKind::CreateSequence,
        StepKind::AlterSequence,
        StepKind::DropSequence,
        StepKind::CreateView,
        StepKind::ReplaceView,
        StepKind::DropView,
        StepKind::CreateViewIndex,
        StepKind::DropViewIndex,
        StepKind::CreateFunction,
        StepKind::ReplaceFunction,
        StepKind::DropFunction,
        StepKind::CreateTrigger,
        StepKind::ReplaceTrigger,
        StepKind::DropTrigger,
        StepKind::CreateDomain,
        StepKind::AlterDomain,
        StepKind::DropDomain,
        StepKind::CreateTable,
        StepKind::RenameTable,
        StepKind::DropTable,
        StepKind::AddColumn,
        StepKind::RenameColumn,
        StepKind::DropColumn,
        StepKind::AlterColumnType,
        StepKind::SetDefault,
        StepKind::DropDefault,
        StepKind::AlterIdentity,
        StepKind::DropNotNull,
        StepKind::CreateFillTrigger,
        StepKind::Backfill,
        StepKind::Verify,
        StepKind::AddCheckNotValid,
        StepKind::ValidateConstraint,
        StepKind::SetNotNull,
        StepKind::DropFillTrigger,
        StepKind::CreateSyncTrigger,
        StepKind::SwapColumn,
        StepKind::AddPrimaryKey,
        StepKind::AddUnique,
        StepKind::AddCheck,
        StepKind::AddForeignKey,
        StepKind::CreateIndex,
        StepKind::CreateIndexConcurrently,
        StepKind::DropConstraint,
        StepKind::DropIndex,
        StepKind::RenameConstraint,
        StepKind::RenameIndex,
        StepKind::EnableRowLevelSecurity,
        StepKind::DisableRowLevelSecurity,
        StepKind::ForceRowLevelSecurity,
        StepKind::NoForceRowLevelSecurity,
        StepKind::CreatePolicy,
        StepKind::AlterPolicy,
        StepKind::DropPolicy,
        StepKind::Grant,
        StepKind::Revoke,
        StepKind::Comment,
        StepKind::CreatePartition,
        StepKind::AttachPartition,
        StepKind::DropPartition,
        StepKind::AttachIndex,
    ];

    /// The kind named by `as_str`.
    pub fn parse(name: &str) -> Option<StepKind> {
        StepKind::ALL.iter().copied().find(|k| k.as_str() == name)
    }

    /// Stable snake_case name (JSON `kind`, human output).
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::CreateSchema => "create_schema",
            StepKind::CreateExtension => "create_extension",
            StepKind::CreateRole => "create_role",
            StepKind::CreateEnum => "create_enum",
            StepKind::CreateSequence => "create_sequence",
            StepKind::AlterSequence => "alter_sequence",
            StepKind::DropSequence => "drop_sequence",
            StepKind::CreateView => "create_view",
            StepKind::ReplaceView => "replace_view",
            StepKind::DropView => "drop_view",
            StepKind::CreateViewIndex => "create_view_index",
            StepKind::DropViewIndex => "drop_view_index",
            StepKind::CreateFunction => "create_function",
            StepKind::ReplaceFunction => "replace_function",
            StepKind::DropFunction => "drop_function",
            StepKind::CreateTrigger => "create_trigger",
            StepKind::ReplaceTrigger => "replace_trigger",
            StepKind::DropTrigger => "drop_trigger",
            StepKind::CreateDomain => "create_domain",
            StepKind::AlterDomain => "alter_domain",
            StepKind::DropDomain => "drop_domain",
            StepKind::RenameEnum => "rename_enum",
            StepKind::AddEnumValue => "add_enum_value",
            StepKind::ReplaceEnum => "replace_enum",
            StepKind::DropEnum => "drop_enum",
            StepKind::CreateTable => "create_table",
            StepKind::RenameTable => "rename_table",
            StepKind::DropTable => "drop_table",
            StepKind::AddColumn => "add_column",
            StepKind::RenameColumn => "rename_column",
            StepKind::DropColumn => "drop_column",
            StepKind::AlterColumnType => "alter_column_type",
            StepKind::SetDefault => "set_default",
            StepKind::DropDefault => "drop_default",
            StepKind::AlterIdentity => "alter_identity",
            StepKind::DropNotNull => "drop_not_null",
            StepKind::CreateFillTrigger => "create_fill_trigger",
            StepKind::Backfill => "backfill",
            StepKind::Verify => "verify",
            StepKind::AddCheckNotValid => "add_check_not_valid",
            StepKind::ValidateConstraint => "validate_constraint",
            StepKind::SetNotNull => "set_not_null",
            StepKind::DropFillTrigger => "drop_fill_trigger",
            StepKind::CreateSyncTrigger => "create_sync_trigger",
            StepKind::SwapColumn => "swap_column",
            StepKind::AddPrimaryKey => "add_primary_key",
            StepKind::AddUnique => "add_unique",
            StepKind::AddCheck => "add_check",
            StepKind::AddForeignKey => "add_foreign_key",
            StepKind::CreateIndex => "create_index",
            StepKind::CreateIndexConcurrently => "create_index_concurrently",
            StepKind::DropConstraint => "drop_constraint",
            StepKind::DropIndex => "drop_index",
            StepKind::RenameConstraint => "rename_constraint",
            StepKind::RenameIndex => "rename_index",
            StepKind::EnableRowLevelSecurity => "enable_row_level_security",
            StepKind::DisableRowLevelSecurity => "disable_row_level_security",
            StepKind::ForceRowLevelSecurity => "force_row_level_security",
            StepKind::NoForceRowLevelSecurity => "no_force_row_level_security",
            StepKind::CreatePolicy => "create_policy",
            StepKind::AlterPolicy => "alter_policy",
            StepKind::DropPolicy => "drop_policy",
            StepKind::Grant => "grant",
            StepKind::Revoke => "revoke",
            StepKind::Comment => "comment",
            StepKind::CreatePartition => "create_partition",
            StepKind::AttachPartition => "attach_partition",
            StepKind::DropPartition => "drop_partition",
            StepKind::AttachIndex => "attach_index",
        }
    }
}

/// The strongest table lock a step takes, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockLevel {
    /// No table lock (roles, types, schemas).
    None,
    /// Row locks only (batched updates).
    RowExclusive,
    /// SHARE UPDATE EXCLUSIVE for the whole statement (VALIDATE, CREATE INDEX CONCURRENTLY): writes go on.
    ShareUpdateExclusive,
    /// ACCESS SHARE on the tables a query reads, for as long as it runs (a materialized view
    /// built `WITH DATA`): reads and writes go on.
    AccessShareScan,
    /// SHARE ROW EXCLUSIVE, brief (adding a foreign key NOT VALID; blocks writes for an instant).
    ShareRowExclusiveInstant,
    /// SHARE for the whole build (CREATE INDEX without CONCURRENTLY): blocks writes.
    ShareForScan,
    /// ACCESS EXCLUSIVE, brief (catalog-only change).
    AccessExclusiveInstant,
    /// ACCESS EXCLUSIVE while the table is scanned (blocks reads and writes).
    AccessExclusiveScan,
    /// ACCESS EXCLUSIVE while the table is rewritten.
    AccessExclusiveRewrite,
}

impl LockLevel {
    /// Every level, for parsing saved plans.
    pub const ALL: &'static [LockLevel] = &[
        LockLevel::None,
        LockLevel::RowExclusive,
        LockLevel::ShareUpdateExclusive,
        LockLevel::AccessShareScan,
        LockLevel::ShareRowExclusiveInstant,
        LockLevel::ShareForScan,
        LockLevel::AccessExclusiveInstant,
        LockLevel::AccessExclusiveScan,
        LockLevel::AccessExclusiveRewrite,
    ];

    /// The level whose `describe` is `text`.
    pub fn parse(text: &str) -> Option<LockLevel> {
        LockLevel::ALL
            .iter()
            .copied()
            .find(|l| l.describe() == text)
    }

    /// Human text, also the JSON `lock` value.
    pub fn describe(self) -> &'static str {
        match self {
            LockLevel::None => "none",
            LockLevel::RowExclusive => "ROW EXCLUSIVE (row locks, per batch)",
            LockLevel::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE (reads and writes continue)",
            LockLevel::AccessShareScan => {
                "ACCESS SHARE (while the query runs; reads and writes continue)"
            }
            LockLevel::ShareRowExclusiveInstant => "SHARE ROW EXCLUSIVE (instant)",
            LockLevel::ShareForScan => "SHARE (for the whole build; blocks writes)",
            LockLevel::AccessExclusiveInstant => "ACCESS EXCLUSIVE (instant)",
            LockLevel::AccessExclusiveScan => "ACCESS EXCLUSIVE (while the table is scanned)",
            LockLevel::AccessExclusiveRewrite => "ACCESS EXCLUSIVE (while the table is rewritten)",
        }
    }

    /// Whether the step waits in the lock queue briefly enough to run under a short `lock_timeout`.
    /// Long, non-blocking steps (validation, concurrent builds) run without one: their waits do not
    /// block writes.
    pub fn wants_lock_timeout(self) -> bool {
        !matches!(
            self,
            LockLevel::None
                | LockLevel::ShareUpdateExclusive
                | LockLevel::RowExclusive
                | LockLevel::AccessShareScan
        )
    }
    /// Whether the step only touches the catalog, so it should finish in milliseconds: such steps
    /// run under a `statement_timeout` that stops a surprise scan from holding its lock.
    pub fn is_brief(self) -> bool {
        matches!(
            self,
            LockLevel::None
                | LockLevel::AccessExclusiveInstant
                | LockLevel::ShareRowExclusiveInstant
        )
    }
}

/// The `statement_timeout` of brief DDL: it stops a surprise scan from holding its lock.
pub const BRIEF_STATEMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// `SET` (or, inside a transaction, `SET LOCAL`) of `lock_timeout` and `statement_timeout`;
/// `None` is no limit (`0`). Every timeout `apply` sets and the SQL script shows is written here.
pub fn timeout_settings(
    local: bool,
    lock_timeout: Option<std::time::Duration>,
    statement_timeout: Option<std::time::Duration>,
) -> Vec<String> {
    let scope = if local { "SET LOCAL" } else { "SET" };
    vec![
        format!(
            "{scope} lock_timeout = {}",
            timeout_value(lock_timeout, TimeoutUnit::Millis)
        ),
        format!(
            "{scope} statement_timeout = {}",
            timeout_value(statement_timeout, TimeoutUnit::Seconds)
        ),
    ]
}

/// The settings of brief DDL in a transaction: the short `lock_timeout` and
/// [`BRIEF_STATEMENT_TIMEOUT`].
pub fn brief_settings(lock_timeout: std::time::Duration) -> Vec<String> {
    timeout_settings(true, Some(lock_timeout), Some(BRIEF_STATEMENT_TIMEOUT))
}

/// A timeout as a setting's value; `0` for none. Lock timeouts are written in milliseconds (at
/// least 1: `0` would mean none), statement timeouts in whole seconds.
fn timeout_value(timeout: Option<std::time::Duration>, unit: TimeoutUnit) -> String {
    match (timeout, unit) {
        (None, _) => "0".to_string(),
        (Some(t), TimeoutUnit::Millis) => format!("'{}ms'", t.as_millis().max(1)),
        (Some(t), TimeoutUnit::Seconds) => format!("'{}s'", t.as_secs().max(1)),
    }
}

#[derive(Clone, Copy)]
enum TimeoutUnit {
    Millis,
    Seconds,
}

/// `SET lock_timeout` alone, outside a transaction (a backfill's batches).
pub fn lock_timeout_setting(lock_timeout: std::time::Duration) -> String {
    format!(
        "SET lock_timeout = {}",
        timeout_value(Some(lock_timeout), TimeoutUnit::Millis)
    )
}

/// A batched backfill, run by `apply` as many short transactions.
#[derive(Debug, Clone, PartialEq)]
pub struct Backfill {
    pub table: QualifiedName,
    pub column: String,
    /// One batch: takes `$1` (the last key done, as text, NULL at the start) and `$2` (batch size);
    /// returns one row: the batch's last key as text (NULL when no rows are left) and the number of
    /// rows it updated.
    pub batch_sql: String,
    /// Counts the rows still NULL (the verification query).
    pub remaining_sql: String,
}

/// What `apply` runs for a step.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Statements, in order.
    Sql(Vec<String>),
    /// A batched backfill.
    Backfill(Backfill),
    /// `sql` returns a count; anything but zero stops the plan with `message`.
    Verify { sql: String, message: String },
    /// `CREATE [UNIQUE] INDEX CONCURRENTLY`: an INVALID index of that name left by an earlier failed
    /// build is dropped first, and the new index is checked for `indisvalid` afterwards.
    ConcurrentIndex { index: QualifiedName, sql: String },
}

impl Action {
    /// The SQL text of the action (for output): statements joined by `;\n`.
    pub fn sql_text(&self) -> String {
        match self {
            Action::Sql(statements) => statements.join(";\n"),
            Action::Backfill(backfill) => backfill.batch_sql.clone(),
            Action::Verify { sql, .. } => sql.clone(),
            Action::ConcurrentIndex { sql, .. } => sql.clone(),
        }
    }
}

/// Something a step needs to exist, or makes exist, or removes; the order of steps follows from these.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    Namespace(String),
    Extension(String),
    Role(String),
    Type(QualifiedName),
    /// A standalone sequence (what a `nextval` default reads).
    Sequence(QualifiedName),
    /// A function or procedure (every overload of the name).
    Function(QualifiedName),
    Table(QualifiedName),
    Column(QualifiedName, String),
    /// A primary key or unique constraint over these columns (what a foreign key references).
    Key(QualifiedName, Vec<String>),
    /// A named constraint or index on a table.
    Object(QualifiedName, String),
    /// Every existing row of the table has a value in this column (its backfill is done).
    Filled(QualifiedName, String),
    Policy(QualifiedName, String),
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    /// What the step changes: `schema.table`, `schema.table.column` or `schema.table.object`.
    pub target: String,
    /// The table the step belongs to, for grouping in human output.
    pub table: Option<QualifiedName>,
    pub action: Action,
    /// Runs inside a transaction (false for `CONCURRENTLY` builds and batched backfills).
    pub transactional: bool,
    pub destructive: bool,
    pub lock: LockLevel,
    /// Rewrites every row of a table that holds rows.
    pub rewrites: bool,
    /// Reads every row of a table that holds rows.
    pub scans: bool,
    pub hazards: Vec<Hazard>,
    /// Statements that break a linter rule on purpose, and why (the SQL script names them). Not
    /// kept in plan files.
    pub breaks: Vec<Break>,
    /// Column types the step writes that the schema chose against a linter's preference. Not
    /// kept in plan files.
    pub type_choices: Vec<TypeChoice>,
    /// Ordering: a rough stage number, used only to break ties between independent steps.
    pub phase: u8,
    pub needs: Vec<Resource>,
    pub provides: Vec<Resource>,
    /// Resources this step removes: it runs after every step that `releases` them.
    pub removes: Vec<Resource>,
    /// Resources this step stops depending on (a dropped foreign key releases its referenced key).
    pub releases: Vec<Resource>,
    /// Resources this step had better run after, where that orders nothing into a cycle: an index
    /// or key dropped after its replacement is built (expand, then contract).
    pub prefers_after: Vec<Resource>,
}

impl Step {
    /// A transactional, non-destructive step with no lock, to be refined by the builder methods.
    pub fn new(kind: StepKind, target: impl Into<String>, phase: u8, action: Action) -> Step {
        Step {
            kind,
            target: target.into(),
            table: None,
            action,
            transactional: true,
            destructive: false,
            lock: LockLevel::None,
            rewrites: false,
            scans: false,
            hazards: Vec::new(),
            breaks: Vec::new(),
            type_choices: Vec::new(),
            phase,
            needs: Vec::new(),
            provides: Vec::new(),
            removes: Vec::new(),
            releases: Vec::new(),
            prefers_after: Vec::new(),
        }
    }

    /// The `SET` statements `apply` runs before the step's own (shown in the SQL script too):
    /// brief steps under the short `lock_timeout` and a `statement_timeout`, long ones (validation,
    /// concurrent builds, rewrites) with neither, since their waits do not block writes or they are
    /// expected to take long. `SET LOCAL` inside a transaction.
    pub fn settings(&self, lock_timeout: std::time::Duration) -> Vec<String> {
        timeout_settings(
            self.transactional,
            self.lock.wants_lock_timeout().then_some(lock_timeout),
            self.lock.is_brief().then_some(BRIEF_STATEMENT_TIMEOUT),
        )
    }

    pub fn sql(
        kind: StepKind,
        target: impl Into<String>,
        phase: u8,
        statements: Vec<String>,
    ) -> Step {
        Step::new(kind, target, phase, Action::Sql(statements))
    }

    pub fn on_table(mut self, table: &QualifiedName) -> Step {
        self.table = Some(table.clone());
        self
    }

    pub fn lock(mut self, lock: LockLevel) -> Step {
        self.lock = lock;
        self
    }

    /// When `rewrites`, the step rewrites every row of `table` while it holds ACCESS EXCLUSIVE
    /// (lock, `rewrites` and the hazard); else it is a brief ACCESS EXCLUSIVE catalog change.
    pub fn rewrites_if(mut self, rewrites: bool, table: &QualifiedName) -> Step {
        if rewrites {
            self.lock = LockLevel::AccessExclusiveRewrite;
            self.rewrites = true;
            self.hazards.push(Hazard::rewrites_table(&table.name));
        } else {
            self.lock = LockLevel::AccessExclusiveInstant;
        }
        self
    }

    pub fn destructive(mut self) -> Step {
        self.destructive = true;
        self
    }

    pub fn outside_transaction(mut self) -> Step {
        self.transactional = false;
        self
    }

    pub fn hazard(mut self, hazard: Hazard) -> Step {
        self.hazards.push(hazard);
        self
    }

    /// Statement `statement` (an index into the statements) breaks a linter rule on purpose.
    pub fn breaking(mut self, statement: usize, why: impl Into<Option<Deliberate>>) -> Step {
        if let Some(why) = why.into() {
            self.breaks.push(Break { statement, why });
        }
        self
    }

    /// Each of these statements breaks a linter rule on purpose, for the same reason.
    pub fn breaking_each(
        mut self,
        statements: impl IntoIterator<Item = usize>,
        why: Deliberate,
    ) -> Step {
        self.breaks.extend(
            statements
                .into_iter()
                .map(|statement| Break { statement, why }),
        );
        self
    }

    /// These statements break linter rules on purpose.
    pub fn breaks(mut self, breaks: impl IntoIterator<Item = Break>) -> Step {
        self.breaks.extend(breaks);
        self
    }

    /// The step writes columns of these types.
    pub fn choosing(mut self, choices: impl IntoIterator<Item = TypeChoice>) -> Step {
        self.type_choices.extend(choices);
        self
    }

    /// Puts `statement` before the statements of an `Action::Sql` step (the breaks of the others
    /// move with them); does nothing for other actions.
    pub fn prepend(&mut self, statement: String, why: Option<Deliberate>) {
        let Action::Sql(statements) = &mut self.action else {
            return;
        };
        statements.insert(0, statement);
        for existing in &mut self.breaks {
            existing.statement += 1;
        }
        if let Some(why) = why {
            self.breaks.insert(0, Break { statement: 0, why });
        }
    }

    /// Adds a statement after the step's own (an SQL step only).
    pub fn push_statement(&mut self, statement: String) {
        if let Action::Sql(statements) = &mut self.action {
            statements.push(statement);
        }
    }

    pub fn needs(mut self, resources: impl IntoIterator<Item = Resource>) -> Step {
        self.needs.extend(resources);
        self
    }

    pub fn provides(mut self, resources: impl IntoIterator<Item = Resource>) -> Step {
        self.provides.extend(resources);
        self
    }

    pub fn removes(mut self, resources: impl IntoIterator<Item = Resource>) -> Step {
        self.removes.extend(resources);
        self
    }

    pub fn releases(mut self, resources: impl IntoIterator<Item = Resource>) -> Step {
        self.releases.extend(resources);
        self
    }

    pub fn prefers_after(mut self, resources: impl IntoIterator<Item = Resource>) -> Step {
        self.prefers_after.extend(resources);
        self
    }
}
