//! Recipes: each `Change` becomes the steps that make it while keeping the database available
//! (facts and measurements in ONLINE-SAFETY.md). One file per family of changes.

mod columns;
mod create;
mod fill;
mod identity;
mod not_null;
mod objects;
mod partitions;
mod retype;
mod routines;
mod security;
mod sequences;
mod server_version;
mod views;

use super::facts::{current_column_name, current_table_name};
use super::step::Step;
use super::{Facts, PlanOptions, Preflight};
use crate::catalog::{Catalog, QualifiedName};
use crate::diagnostics::Diagnostic;
use crate::diff::Change;
use crate::pair::Pair;

/// Everything a recipe may read.
pub struct Context<'a> {
    pub catalogs: Pair<&'a Catalog>,
    pub facts: &'a Facts,
    pub options: &'a PlanOptions,
    pub changes: &'a [Change],
}

impl Context<'_> {
    /// Whether the table (named as in the schema) holds rows in the database now.
    pub fn has_rows(&self, table: &QualifiedName) -> bool {
        self.facts
            .has_rows(&current_table_name(self.catalogs, table))
    }

    /// Whether the column (named as in the schema) holds a NULL in the database now.
    pub fn has_nulls(&self, table: &QualifiedName, column: &str) -> bool {
        let current = current_table_name(self.catalogs, table);
        self.facts
            .has_nulls(&current, &current_column_name(self.catalogs, table, column))
    }
}

/// Steps and checks for a whole change list, not yet ordered.
#[derive(Default)]
pub struct Planned {
    pub steps: Vec<Step>,
    pub preflight: Vec<Preflight>,
    pub notes: Vec<String>,
}

pub fn steps_for(ctx: &Context) -> Result<Planned, Vec<Diagnostic>> {
    let mut planned = Planned::default();
    let mut diagnostics = server_version::check(ctx.changes, ctx.facts.server_version);
    for change in ctx.changes {
        match change {
            Change::CreateSchema(_)
            | Change::CreateExtension(_)
            | Change::CreateRole(_)
            | Change::CreateEnum(_)
            | Change::RenameEnum { .. }
            | Change::AddEnumValue { .. }
            | Change::ReplaceEnum { .. }
            | Change::DropEnum(_)
            | Change::CommentEnum { .. }
            | Change::CreateTable(_)
            | Change::RenameTable { .. }
            | Change::DropTable(_)
            | Change::CommentTable { .. } => create::plan(ctx, change, &mut planned),
            Change::AddPartition { .. }
            | Change::DropPartition { .. }
            | Change::AlterPartitionBound { .. } => partitions::plan(ctx, change, &mut planned),
            Change::AlterPartitioning { table, .. } => {
                diagnostics.push(partitions::repartition_refused(ctx, table))
            }
            Change::CreateSequence(_) | Change::AlterSequence { .. } | Change::DropSequence(_) => {
                sequences::plan(change, &mut planned)
            }
            Change::CreateView(_)
            | Change::ReplaceView { .. }
            | Change::RecreateView { .. }
            | Change::DropView(_)
            | Change::CreateViewIndex { .. }
            | Change::DropViewIndex { .. } => views::plan(ctx, change, &mut planned),
            Change::CreateFunction(_)
            | Change::ReplaceFunction(_)
            | Change::DropFunction(_)
            | Change::RecreateFunction { .. }
            | Change::CreateTrigger(_)
            | Change::ReplaceTrigger(_)
            | Change::DropTrigger(_)
            | Change::CreateDomain(_)
            | Change::AlterDomain { .. }
            | Change::DropDomain(_) => routines::plan(ctx, change, &mut planned),
            // A generated column computes its own value for every row (a rewrite, listed as such).
            Change::AddColumn { table, column }
                if !column.nullable
                    && column.generated.is_none()
                    && column.identity.is_none()
                    && ctx.has_rows(table) =>
            {
                if let Err(mut errors) = not_null::plan_new_column(ctx, table, column, &mut planned)
                {
                    diagnostics.append(&mut errors);
                }
            }
            Change::SetNotNull { table, column } => {
                if let Err(mut errors) =
                    not_null::plan_set_not_null(ctx, table, column, &mut planned)
                {
                    diagnostics.append(&mut errors);
                }
            }
            Change::AddColumn { .. }
            | Change::RenameColumn { .. }
            | Change::DropColumn { .. }
            | Change::AlterColumnType { .. }
            | Change::DropNotNull { .. }
            | Change::SetDefault { .. }
            | Change::DropDefault { .. }
            | Change::ReplaceGeneratedColumn { .. }
            | Change::CommentColumn { .. } => columns::plan(ctx, change, &mut planned),
            Change::AlterIdentity { .. } => identity::plan(ctx, change, &mut planned),
            Change::AddObject { .. }
            | Change::DropObject { .. }
            | Change::RenameObject { .. }
            | Change::ValidateObject { .. } => objects::plan(ctx, change, &mut planned),
            Change::SetRowLevelSecurity { .. }
            | Change::SetForceRowLevelSecurity { .. }
            | Change::CreatePolicy { .. }
            | Change::AlterPolicy { .. }
            | Change::DropPolicy { .. }
            | Change::Grant { .. }
            | Change::Revoke { .. } => security::plan(ctx, change, &mut planned),
        }
    }
    // Last: the fill triggers depend on which columns the other recipes add.
    fill::plan(ctx, &mut planned);
    // Views are dropped before, and created after, every step on the tables they read.
    views::order(&mut planned);
    if diagnostics.is_empty() {
        Ok(planned)
    } else {
        Err(diagnostics)
    }
}

/// `schema.table.name` for step targets.
pub fn target(table: &QualifiedName, name: &str) -> String {
    format!("{table}.{name}")
}

/// Phases: only a tie-break between independent steps (the graph decides real order).
pub mod phase {
    pub const SETUP: u8 = 0;
    pub const TYPES: u8 = 1;
    pub const RENAME: u8 = 2;
    pub const DETACH: u8 = 3;
    pub const TABLES: u8 = 4;
    pub const COLUMNS: u8 = 5;
    pub const BACKFILL: u8 = 6;
    pub const KEYS: u8 = 7;
    pub const FOREIGN_KEYS: u8 = 8;
    pub const SECURITY: u8 = 9;
    pub const DROP_COLUMNS: u8 = 10;
    pub const DROP_TABLES: u8 = 11;
    pub const DROP_TYPES: u8 = 12;
    pub const CLEANUP: u8 = 13;
}
