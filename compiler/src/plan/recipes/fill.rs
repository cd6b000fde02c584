//! Fill triggers as desired state (LANGUAGE.md, "Fill triggers"): with `fill on`, every tenant
//! table whose tenant column can be derived from a parent row keeps `schemac_<table>_<column>_fill`,
//! `BEFORE INSERT OR UPDATE OF <first hop's columns> ... WHEN (NEW.<column> IS NULL)`, so writers
//! that leave the column out keep working during and after a migration (expand/contract).
//! In: both catalogs (the database's triggers are `Catalog::fill_triggers`) and the steps planned
//! so far. Out: steps that create the missing or changed triggers and drop the unwanted ones (the
//! drop is marked `requires-application-deploy`). Pure.

use super::not_null::{fill_body, fill_statements, own_name, Source};
use super::{phase, target, Context, Planned};
use crate::catalog::backfill_path::{self, Hop, PathSearch};
use crate::catalog::{Backfill, Catalog, QualifiedName, TableKind};
use crate::own_names::ColumnObject;
use crate::plan::deliberate::Deliberate;
use crate::plan::hazards::Hazard;
use crate::plan::step::{LockLevel, Resource, Step, StepKind};

/// One fill trigger the schema wants.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    pub table: QualifiedName,
    pub column: String,
    /// Trigger and function name.
    pub name: String,
    pub path: Vec<Hop>,
}

impl Wanted {
    /// The columns of `UPDATE OF`: the first hop's foreign-key columns.
    pub(super) fn update_of(&self) -> Vec<String> {
        self.path
            .first()
            .map(|hop| hop.child_columns.clone())
            .unwrap_or_default()
    }
}

/// The fill triggers `desired` wants: none without `tenancy` or with `fill off`; one per tenant
/// table with a path to a parent that has the tenant column (its `backfill <column> from <fk>`
/// entry, else the one shortest foreign-key path).
pub fn wanted(desired: &Catalog) -> Vec<Wanted> {
    let Some(tenancy) = desired.tenancy.as_ref().filter(|t| t.fill) else {
        return Vec::new();
    };
    let column = &tenancy.column;
    let mut wanted = Vec::new();
    for table in &desired.tables {
        if table.kind != TableKind::Tenant || table.name == tenancy.root {
            continue;
        }
        let Some(tenant_column) = table.column(column) else {
            continue;
        };
        let path = match &tenant_column.backfill {
            Some(Backfill::FromForeignKey { fk_column, .. }) => table
                .foreign_keys
                .iter()
                .filter(|fk| fk.columns.contains(fk_column))
                .find_map(|fk| backfill_path::hop(&table.name, fk, column))
                .filter(|hop| {
                    desired
                        .table(&hop.parent)
                        .is_some_and(|p| p.column(column).is_some())
                })
                .map(|hop| vec![hop]),
            _ => match backfill_path::find(desired, &table.name, column) {
                PathSearch::Found(path) => Some(path),
                PathSearch::Ambiguous(_) | PathSearch::NotFound => None,
            },
        };
        if let Some(path) = path.filter(|p| !p.is_empty()) {
            wanted.push(Wanted {
                table: table.name.clone(),
                column: column.clone(),
                name: own_name(&table.name, column, ColumnObject::Fill),
                path,
            });
        }
    }
    wanted
}

/// Whether `table.column` keeps a fill trigger once the plan has run (so the NOT NULL recipe
/// neither creates nor drops it: this recipe owns it).
pub fn is_wanted(ctx: &Context, table: &QualifiedName, column: &str) -> bool {
    wanted(ctx.catalogs.desired)
        .iter()
        .any(|w| &w.table == table && w.column == column)
}

/// The resource a fill trigger's creation provides; backfills of its table wait for it.
pub fn trigger_ready(table: &QualifiedName, name: &str) -> Resource {
    Resource::Object(table.clone(), format!("{name} trigger"))
}

/// Steps for the fill triggers: runs after every other recipe, so it can see which columns are
/// only added (not yet NOT NULL) in this plan.
pub fn plan(ctx: &Context, planned: &mut Planned) {
    let wanted = wanted(ctx.catalogs.desired);
    let current = ctx.catalogs.current;
    let provided =
        |resource: &Resource| planned.steps.iter().any(|s| s.provides.contains(resource));
    let mut steps = Vec::new();
    for want in &wanted {
        let current_table = super::current_table_name(ctx.catalogs, &want.table);
        let source = Source::Path(want.path.clone());
        let body = fill_body(&want.column, &source, &want.table);
        let mut update_of = want.update_of();
        update_of.sort();
        let up_to_date = current.fill_triggers.iter().any(|t| {
            let mut have = t.update_of.clone();
            have.sort();
            t.table == current_table && t.name == want.name && t.body == body && have == update_of
        });
        if up_to_date {
            continue;
        }
        // The column exists already, or from its `AddColumn` on (it is filled and made NOT NULL
        // later in the plan), or from the table's creation.
        let column_exists = |table: &QualifiedName, column: &str| {
            let added = Resource::Object(table.clone(), format!("{column} added"));
            let existing = current
                .table(&super::current_table_name(ctx.catalogs, table))
                .is_some_and(|t| {
                    t.column(&super::current_column_name(ctx.catalogs, table, column))
                        .is_some()
                });
            if provided(&added) {
                Some(added)
            } else if existing {
                None
            } else {
                Some(Resource::Column(table.clone(), column.to_string()))
            }
        };
        let mut needs = vec![Resource::Table(want.table.clone())];
        needs.extend(column_exists(&want.table, &want.column));
        needs.extend(
            update_of
                .iter()
                .map(|c| Resource::Column(want.table.clone(), c.clone())),
        );
        if let Some(last) = want.path.last() {
            needs.push(Resource::Table(last.parent.clone()));
            needs.extend(column_exists(&last.parent, &want.column));
        }
        let function = QualifiedName::new(want.table.schema.clone(), want.name.clone());
        planned.notes.push(format!(
            "trigger `{}` on `{}` stays after the apply: with `fill on` it gives writes that leave `{}` NULL the parent row's value",
            want.name, want.table, want.column
        ));
        steps.push(
            Step::sql(
                StepKind::CreateFillTrigger,
                target(&want.table, &want.column),
                phase::BACKFILL,
                fill_statements(
                    &want.table,
                    &want.column,
                    &source,
                    &function,
                    Some(&want.update_of()),
                ),
            )
            .on_table(&want.table)
            .lock(LockLevel::ShareRowExclusiveInstant)
            .needs(needs)
            .provides([trigger_ready(&want.table, &want.name)]),
        );
    }
    for trigger in &current.fill_triggers {
        // The table as the schema names it; a table the schema drops takes its trigger with it.
        let desired_name = ctx
            .catalogs
            .desired
            .tables
            .iter()
            .find(|t| super::current_table_name(ctx.catalogs, &t.name) == trigger.table)
            .map(|t| t.name.clone());
        let Some(desired_name) = desired_name else {
            continue;
        };
        if wanted
            .iter()
            .any(|w| w.table == desired_name && w.name == trigger.name)
        {
            continue;
        }
        // The NOT NULL recipe drops its own temporary trigger (same name) at its end.
        let dropped_by_recipe = planned.steps.iter().any(|s| {
            s.kind == StepKind::DropFillTrigger && s.table.as_ref() == Some(&desired_name)
        });
        if dropped_by_recipe {
            continue;
        }
        let column = ctx
            .catalogs
            .desired
            .tenancy
            .as_ref()
            .map_or_else(String::new, |t| t.column.clone());
        let function = QualifiedName::new(desired_name.schema.clone(), trigger.name.clone());
        steps.push(
            Step::sql(
                StepKind::DropFillTrigger,
                target(&desired_name, &trigger.name),
                phase::CLEANUP,
                super::not_null::own_trigger_drops(&desired_name, &function),
            )
            .breaking(1, Deliberate::DropsFillFunction)
            .on_table(&desired_name)
            .hazard(Hazard::writes_must_set(&desired_name.name, &column))
            .lock(LockLevel::AccessExclusiveInstant)
            // A renamed table is dropped from under its new name only after the rename.
            .needs([Resource::Table(desired_name.clone())]),
        );
    }
    planned.steps.extend(steps);
}
