//! Views and materialized views: created (a materialized one `WITH DATA`, with its indexes, in one
//! transaction), replaced in place (`CREATE OR REPLACE VIEW`, an instant ACCESS EXCLUSIVE lock on
//! the view only), dropped, or dropped and created again around the steps that change what they
//! read. `order` ties them to those steps: a view is dropped before any step on a table it reads
//! now, and created after every step on a table it will read; views among themselves follow
//! their dependencies (`Resource::Table` of a view is provided by its creation, released by the
//! drop of a view that reads it).

use super::{phase, Planned};
use crate::catalog::{Index, QualifiedName, View};
use crate::plan::deliberate::Deliberate;
use crate::plan::hazards::Hazard;
use crate::plan::step::{LockLevel, Resource, Step, StepKind};
use crate::sql::{ddl, views as view_ddl};

/// Provided by the drop of a view reading the table: steps on the table wait for it.
const VIEWS_DROPPED: &str = "views reading it dropped";
/// Provided by every step on the table: views created reading it wait for them.
const TABLE_DONE: &str = "table steps done";
/// Provided by a view's drop, needed by its creation again.
const VIEW_DROPPED: &str = "view dropped";

/// A view or materialized view the database lacks.
pub fn create_view(view: &View, planned: &mut Planned) {
    planned.steps.push(create(view, None));
}

/// `CREATE OR REPLACE VIEW`: same leading columns, new ones only at the end.
pub fn replace_view(desired: &View, planned: &mut Planned) {
    planned.steps.push(
        Step::sql(
            StepKind::ReplaceView,
            desired.name.to_string(),
            phase::FOREIGN_KEYS,
            vec![view_ddl::create_view(desired, true, true)],
        )
        .lock(LockLevel::AccessExclusiveInstant)
        .needs(reads(desired))
        .provides([Resource::Table(desired.name.clone())]),
    );
}

/// Dropped and created again, saying why.
pub fn recreate_view(current: &View, desired: &View, because: &str, planned: &mut Planned) {
    planned
        .steps
        .push(drop(current).hazard(Hazard::recreates_view(
            current.kind(),
            &current.name.to_string(),
            because,
        )));
    planned.steps.push(create(desired, Some(because)));
}

/// A view the schema does not declare.
pub fn drop_view(view: &View, planned: &mut Planned) {
    planned
        .steps
        .push(drop(view).hazard(Hazard::drops_view(view.kind(), &view.name.to_string())));
}

/// An index of a materialized view that the database lacks.
pub fn create_view_index(view: &QualifiedName, index: &Index, planned: &mut Planned) {
    planned.steps.push(
        // A materialized view takes no writes but `REFRESH`: a plain build blocks only that.
        Step::sql(
            StepKind::CreateViewIndex,
            format!("{view}.{}", index.name),
            phase::KEYS,
            vec![ddl::create_index(view, index, false)],
        )
        .breaking(0, Deliberate::IndexOnMaterializedView)
        .lock(LockLevel::ShareForScan)
        .needs([
            Resource::Table(view.clone()),
            Resource::Object(view.clone(), format!("{} dropped", index.name)),
        ]),
    );
}

/// An index of a materialized view that the schema does not declare (or declares otherwise).
pub fn drop_view_index(view: &QualifiedName, index: &Index, planned: &mut Planned) {
    let name = QualifiedName::new(view.schema.clone(), index.name.clone());
    planned.steps.push(
        Step::sql(
            StepKind::DropViewIndex,
            format!("{view}.{}", index.name),
            phase::DETACH,
            vec![ddl::drop_index(&name, false)],
        )
        .lock(LockLevel::AccessExclusiveInstant)
        .hazard(if index.unique {
            Hazard::removes_uniqueness("index", &index.name)
        } else {
            Hazard::drops_index(&index.name)
        })
        .provides([Resource::Object(
            view.clone(),
            format!("{} dropped", index.name),
        )]),
    )
}

/// What a view's creation waits for: the relations it reads and every step on them, its schema.
fn reads(view: &View) -> Vec<Resource> {
    let mut needs: Vec<Resource> = view
        .depends_on
        .iter()
        .filter(|d| **d != view.name)
        .flat_map(|d| {
            [
                Resource::Table(d.clone()),
                Resource::Object(d.clone(), TABLE_DONE.to_string()),
            ]
        })
        .collect();
    if view.name.schema != "public" {
        needs.push(Resource::Namespace(view.name.schema.clone()));
    }
    needs
}

/// `CREATE [MATERIALIZED] VIEW` (and a materialized view's indexes, built before anyone reads it).
fn create(view: &View, again: Option<&str>) -> Step {
    let mut statements = vec![view_ddl::create_view(view, false, true)];
    statements.extend(
        view.indexes
            .iter()
            .map(|index| ddl::create_index(&view.name, index, false)),
    );
    let indexes = 1..statements.len();
    let mut step = Step::sql(
        StepKind::CreateView,
        view.name.to_string(),
        phase::FOREIGN_KEYS,
        statements,
    )
    .breaking_each(indexes, Deliberate::IndexOnMaterializedView)
    .needs(reads(view))
    .provides([Resource::Table(view.name.clone())]);
    if again.is_some() {
        step = step.needs([Resource::Object(
            view.name.clone(),
            VIEW_DROPPED.to_string(),
        )]);
    }
    if view.materialized {
        // Reads every row its query reads: no statement_timeout, and never one transaction with
        // the brief steps.
        step.lock = LockLevel::AccessShareScan;
        step.scans = true;
        step = step.hazard(Hazard::builds_materialized_view(&view.name.to_string()));
    }
    step
}

/// `DROP [MATERIALIZED] VIEW`, after every view that reads it is dropped, before any step on the
/// tables it reads.
fn drop(view: &View) -> Step {
    // Last among the steps that are ready: a view that is recreated is missing for as short a
    // time as the graph allows (after a backfill, right before the swap that needs it gone).
    Step::sql(
        StepKind::DropView,
        view.name.to_string(),
        phase::CLEANUP,
        vec![view_ddl::drop_view(&view.name, view.materialized)],
    )
    .breaking(0, Deliberate::DropsView)
    .lock(LockLevel::AccessExclusiveInstant)
    .removes([Resource::Table(view.name.clone())])
    .releases(view.depends_on.iter().cloned().map(Resource::Table))
    .provides(
        view.depends_on
            .iter()
            .map(|d| Resource::Object(d.clone(), VIEWS_DROPPED.to_string())),
    )
    .provides([Resource::Object(
        view.name.clone(),
        VIEW_DROPPED.to_string(),
    )])
}

fn is_view_step(kind: StepKind) -> bool {
    matches!(
        kind,
        StepKind::CreateView
            | StepKind::ReplaceView
            | StepKind::DropView
            | StepKind::CreateViewIndex
            | StepKind::DropViewIndex
    )
}

/// Ties the other steps on a table to the views that read it: they wait for those views' drops
/// and are waited for by their creations. Only tables some view step reads get the resources.
pub fn order(planned: &mut Planned) {
    let mut read: std::collections::BTreeSet<QualifiedName> = std::collections::BTreeSet::new();
    for step in planned.steps.iter().filter(|s| is_view_step(s.kind)) {
        for resource in step.needs.iter().chain(&step.provides) {
            if let Resource::Object(table, what) = resource {
                if what == TABLE_DONE || what == VIEWS_DROPPED {
                    read.insert(table.clone());
                }
            }
        }
    }
    if read.is_empty() {
        return;
    }
    for step in &mut planned.steps {
        if is_view_step(step.kind) {
            continue;
        }
        let Some(table) = step.table.clone() else {
            continue;
        };
        if read.contains(&table) {
            // Only what PostgreSQL refuses under a view waits for its drop.
            if matches!(
                step.kind,
                StepKind::AlterColumnType
                    | StepKind::DropColumn
                    | StepKind::RenameColumn
                    | StepKind::SwapColumn
                    | StepKind::DropTable
            ) {
                step.needs
                    .push(Resource::Object(table.clone(), VIEWS_DROPPED.to_string()));
            }
            step.provides
                .push(Resource::Object(table, TABLE_DONE.to_string()));
        }
    }
}
