//! Plan: `Vec<Change>` + both catalogs + facts about the data → an ordered `Plan` of `Step`s.
//! Each change becomes one or more steps through a recipe (`recipes/`) chosen to keep the database
//! online; steps declare what they need and provide, and `graph.rs` orders them with petgraph.
//! Pure: no IO. Facts the recipes need (does a table have rows, does a column hold NULLs) are
//! gathered beforehand by the caller through `facts_needed` + `introspect::facts`.

mod deliberate;
mod facts;
mod graph;
mod hazards;
mod recipes;
mod step;

pub use crate::vocab::{FactQuery, Facts};
pub use deliberate::{Break, Deliberate, TypeChoice};
pub use hazards::Hazard;
pub use step::{
    brief_settings, lock_timeout_setting, Action, Backfill, LockLevel, Resource, Step, StepKind,
};

use std::time::Duration;

use crate::catalog::Catalog;
use crate::diagnostics::Diagnostic;
use crate::diff::Change;
use crate::pair::Pair;

/// How plans are made and run.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Rows updated per backfill batch.
    pub batch_size: u32,
    /// `lock_timeout` for brief DDL.
    pub lock_timeout: Duration,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            batch_size: 1000,
            lock_timeout: Duration::from_secs(2),
        }
    }
}

/// A check run before any step: if `sql` returns a row, the plan cannot finish and `apply` refuses
/// with `message` and the returned example, having changed nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Preflight {
    pub target: String,
    /// Returns `(count bigint, example text)` rows; a count above zero refuses the plan.
    pub sql: String,
    /// What a non-zero count means, e.g. "rows would still be NULL after the backfill".
    pub message: String,
    pub help: Option<String>,
    /// Where `sql` itself can fail on some row (a conversion that raises, as `'Export'::int`
    /// does): a `DO` block that tests the rows one at a time and ends by raising SQLSTATE
    /// `SC001` with the count as message, the first failing row's example as detail and its error
    /// as hint. Reads only, like `sql`.
    pub per_row: Option<String>,
}

/// An ordered migration: run the steps in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub preflight: Vec<Preflight>,
    /// Objects schemac leaves in place when the plan finishes, and why.
    pub notes: Vec<String>,
    /// The `lock_timeout` the plan was made for (shown in the SQL script; `apply` may override).
    pub lock_timeout: Duration,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            steps: Vec::new(),
            preflight: Vec::new(),
            notes: Vec::new(),
            lock_timeout: PlanOptions::default().lock_timeout,
        }
    }
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn destructive_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.destructive)
    }
}

/// Plans the changes. Errors are diagnostics (ambiguous or missing backfill, a dependency cycle),
/// pointing at the schema line behind the object where known.
pub fn plan(
    changes: &[Change],
    catalogs: Pair<&Catalog>,
    facts: &Facts,
    options: &PlanOptions,
) -> Result<Plan, Vec<Diagnostic>> {
    let context = recipes::Context::new(catalogs, facts, options, changes);
    let planned = recipes::steps_for(&context)?;
    let steps = graph::order(planned.steps)?;
    Ok(Plan {
        steps,
        preflight: planned.preflight,
        notes: planned.notes,
        lock_timeout: options.lock_timeout,
    })
}

/// The facts about the data that planning these changes needs.
pub fn facts_needed(changes: &[Change], catalogs: Pair<&Catalog>) -> FactQuery {
    facts::needed(changes, catalogs)
}
