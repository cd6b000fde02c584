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
mod retype_dependents;
mod routines;
mod security;
mod sequences;
mod server_version;
mod views;

use std::collections::BTreeMap;

use super::facts::{current_column_name, current_table_name};
use super::step::Step;
use super::{Facts, PlanOptions, Preflight};
use crate::catalog::{Catalog, Column, QualifiedName};
use crate::diagnostics::Diagnostic;
use crate::diff::{Change, TableObject};
use crate::pair::Pair;

/// Everything a recipe may read.
pub struct Context<'a> {
    pub catalogs: Pair<&'a Catalog>,
    pub facts: &'a Facts,
    pub options: &'a PlanOptions,
    pub changes: &'a [Change],
    /// The table objects `changes` drop and add, by table and name: recipes ask for each object
    /// whether it is replaced, and a scan of every change per object made planning 10,000 new
    /// tables take seconds.
    dropped: ObjectsByName<'a>,
    added: ObjectsByName<'a>,
}

type ObjectsByName<'a> = BTreeMap<&'a QualifiedName, BTreeMap<&'a str, Vec<&'a TableObject>>>;

impl<'a> Context<'a> {
    pub fn new(
        catalogs: Pair<&'a Catalog>,
        facts: &'a Facts,
        options: &'a PlanOptions,
        changes: &'a [Change],
    ) -> Context<'a> {
        let mut dropped: ObjectsByName = BTreeMap::new();
        let mut added: ObjectsByName = BTreeMap::new();
        for change in changes {
            let (by_name, table, object) = match change {
                Change::DropObject { table, object } => (&mut dropped, table, object),
                Change::AddObject { table, object } => (&mut added, table, object),
                _ => continue,
            };
            by_name
                .entry(table)
                .or_default()
                .entry(object.name())
                .or_default()
                .push(object);
        }
        Context {
            catalogs,
            facts,
            options,
            changes,
            dropped,
            added,
        }
    }

    /// The objects named `name` of `table` that the plan drops.
    pub fn dropped(&self, table: &QualifiedName, name: &str) -> &[&'a TableObject] {
        named(&self.dropped, table, name)
    }

    /// The objects named `name` of `table` that the plan adds.
    pub fn added(&self, table: &QualifiedName, name: &str) -> &[&'a TableObject] {
        named(&self.added, table, name)
    }
}

fn named<'m, 'a>(
    objects: &'m ObjectsByName<'a>,
    table: &QualifiedName,
    name: &str,
) -> &'m [&'a TableObject] {
    objects
        .get(table)
        .and_then(|names| names.get(name))
        .map_or(&[], Vec::as_slice)
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
        if let Err(mut errors) = plan_change(ctx, change, &mut planned) {
            diagnostics.append(&mut errors);
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

/// The one dispatch: every `Change` variant to the recipe that makes it. Exhaustive and without a
/// wildcard, so a new variant does not compile until it is routed here.
fn plan_change(
    ctx: &Context,
    change: &Change,
    planned: &mut Planned,
) -> Result<(), Vec<Diagnostic>> {
    match change {
        Change::CreateSchema(name) => create::create_schema(name, planned),
        Change::CreateExtension(name) => create::create_extension(ctx, name, planned),
        Change::CreateRole(name) => create::create_role(name, planned),
        Change::CreateEnum(enum_type) => create::create_enum(enum_type, planned),
        Change::RenameEnum { from, to } => create::rename_enum(from, to, planned),
        Change::AddEnumValue {
            name,
            value,
            position,
        } => create::add_enum_value(name, value, position, planned),
        Change::ReplaceEnum { current, desired } => {
            create::replace_enum(ctx, current, desired, planned)
        }
        Change::DropEnum(enum_type) => create::drop_enum(enum_type, planned),
        Change::CommentEnum { name, comment } => create::comment_enum(name, comment, planned),
        Change::CreateSequence(sequence) => sequences::create_sequence(sequence, planned),
        Change::AlterSequence {
            current: _,
            desired,
        } => sequences::alter_sequence(desired, planned),
        Change::DropSequence(sequence) => sequences::drop_sequence(sequence, planned),
        Change::CreateFunction(f) => routines::create_function(f, false, planned),
        Change::ReplaceFunction(f) => routines::create_function(f, true, planned),
        Change::RecreateFunction { current, desired } => {
            routines::recreate_function(current, desired, planned)
        }
        Change::DropFunction(f) => routines::drop_function(f, planned),
        Change::CreateTrigger(t) => routines::create_trigger(t, false, planned),
        Change::ReplaceTrigger(t) => routines::create_trigger(t, true, planned),
        Change::DropTrigger(t) => routines::drop_trigger(t, planned),
        Change::CreateDomain(d) => planned.steps.push(routines::create_domain(d)),
        Change::AlterDomain { current, desired } => {
            routines::alter_domain(ctx, current, desired, planned)
        }
        Change::DropDomain(d) => planned.steps.push(routines::drop_domain(d)),
        Change::CreateView(view) => views::create_view(view, planned),
        Change::ReplaceView {
            current: _,
            desired,
        } => views::replace_view(desired, planned),
        Change::RecreateView {
            current,
            desired,
            because,
        } => views::recreate_view(current, desired, because, planned),
        Change::DropView(view) => views::drop_view(view, planned),
        Change::CreateViewIndex { view, index } => views::create_view_index(view, index, planned),
        Change::DropViewIndex { view, index } => views::drop_view_index(view, index, planned),
        Change::CreateTable(table) => create::create_table(table, planned),
        Change::RenameTable { from, to } => create::rename_table(ctx, from, to, planned),
        Change::DropTable(table) => create::drop_table(ctx, table, planned),
        Change::AddPartition { table, partition } => {
            partitions::add_partition(ctx, table, partition, planned)
        }
        Change::DropPartition { table, partition } => {
            partitions::drop_partition(ctx, table, partition, planned)
        }
        Change::AlterPartitionBound {
            table,
            current,
            desired,
        } => partitions::rebound(ctx, table, current, desired, planned),
        Change::AlterPartitioning { table, .. } => {
            return Err(vec![partitions::repartition_refused(ctx, table)])
        }
        Change::CommentTable { table, comment } => create::comment_table(table, comment, planned),
        Change::AddColumn { table, column } => return add_column(ctx, table, column, planned),
        Change::SetNotNull { table, column } => {
            return not_null::plan_set_not_null(ctx, table, column, planned)
        }
        Change::RenameColumn { table, from, to } => {
            columns::rename_column(ctx, table, from, to, planned)
        }
        Change::DropColumn { table, column } => columns::drop_column(table, column, planned),
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
            using,
        } => columns::alter_type(ctx, table, column, from, to, using.as_deref(), planned),
        Change::DropNotNull { table, column } => columns::drop_not_null(table, column, planned),
        Change::SetDefault {
            table,
            column,
            default,
        } => columns::set_default(ctx, table, column, default, planned),
        Change::DropDefault { table, column } => columns::drop_default(ctx, table, column, planned),
        Change::ReplaceGeneratedColumn {
            table,
            current,
            desired,
        } => columns::replace_generated_column(ctx, table, current, desired, planned),
        Change::CommentColumn {
            table,
            column,
            comment,
        } => columns::comment_column(table, column, comment, planned),
        Change::AlterIdentity {
            table,
            column,
            current,
            desired,
            drop_default,
            default,
        } => identity::alter_identity(
            ctx,
            table,
            column,
            Pair::new(current, desired),
            *drop_default,
            default.as_deref(),
            planned,
        ),
        Change::AddObject { table, object } => objects::add_object(ctx, table, object, planned),
        Change::DropObject { table, object } => objects::drop_object(ctx, table, object, planned),
        Change::RenameObject {
            table,
            object,
            from,
        } => objects::rename_object(table, object, from, planned),
        Change::ValidateObject { table, object } => {
            objects::validate_object(table, object, planned)
        }
        Change::SetRowLevelSecurity {
            table,
            enabled: true,
        } => security::enable_rls(ctx, table, planned),
        Change::SetRowLevelSecurity {
            table,
            enabled: false,
        } => security::disable_rls(ctx, table, planned),
        Change::SetForceRowLevelSecurity { table, forced } => {
            security::force_rls(table, *forced, planned)
        }
        Change::CreatePolicy { table, policy } => planned
            .steps
            .push(security::create_policy(ctx, table, policy)),
        Change::AlterPolicy {
            table,
            current,
            desired,
        } => security::alter_policy(ctx, table, current, desired, planned),
        Change::DropPolicy { table, policy } => security::drop_policy(table, policy, planned),
        Change::Grant { table, grants } => security::grant(ctx, table, grants, planned),
        Change::Revoke { table, grants } => security::revoke(ctx, table, grants, planned),
    }
    Ok(())
}

/// A NOT NULL column added to a table with rows goes through the backfill recipe (`not_null`);
/// any other is one `ADD COLUMN`. A generated or identity column computes its own value for every
/// row (a rewrite, listed as such).
fn add_column(
    ctx: &Context,
    table: &QualifiedName,
    column: &Column,
    planned: &mut Planned,
) -> Result<(), Vec<Diagnostic>> {
    if !column.nullable
        && column.generated.is_none()
        && column.identity.is_none()
        && ctx.has_rows(table)
    {
        return not_null::plan_new_column(ctx, table, column, planned);
    }
    planned.steps.push(columns::add_column(ctx, table, column));
    Ok(())
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
