//! The pipeline against a live database, as `compile` is the pipeline for source: introspect the
//! target, canonicalise the schema's expressions without writing to it, diff, read the facts the
//! recipes need, plan. `plan`, `drift`, `apply`, `verify` and fleets all plan through here.

use sqlx::PgConnection;

use crate::catalog::Catalog;
use crate::diagnostics::Diagnostic;
use crate::diff::{diff, Change};
use crate::introspect::{self, CanonicalizeError, Printer};
use crate::pair::Pair;
use crate::plan::{self, Facts, Plan, PlanOptions};

/// A plan made against a live database, with what it was made from.
pub struct Planned {
    pub plan: Plan,
    pub changes: Vec<Change>,
    pub current: Catalog,
    pub desired: Catalog,
    /// What the user should know about how the plan was made (assumed facts).
    pub notes: Vec<String>,
}

/// Why planning against a database failed.
pub enum PlanFailure {
    /// Problems in the schema, with places to point at.
    Diagnostics(Vec<Diagnostic>),
    /// Anything else (the database could not be read).
    Message(String),
}

/// Introspects, canonicalises the schema's expressions without writing to the target (locally,
/// else on a throwaway cluster), diffs, gathers the facts the recipes need and plans.
pub async fn make_plan(
    conn: &mut PgConnection,
    desired: &Catalog,
    options: &PlanOptions,
) -> Result<Planned, PlanFailure> {
    make_plan_with(conn, None, desired, options, &Printer::Throwaway).await
}

/// The database compared with the schema, before any plan is made: what `drift` reports (a
/// schema that no plan can reach yet — a column made NOT NULL with nothing to fill it — still
/// differs from the database, and says how).
pub struct Compared {
    pub changes: Vec<Change>,
    /// The database's catalog, limited to what the schema manages.
    pub current: Catalog,
    /// The schema's catalog with its expressions as the server prints them.
    pub desired: Catalog,
}

/// `make_plan`, printing the expressions the local canonicaliser does not know with `printer`,
/// and introspecting with `helper`'s session beside `conn`'s where there is one
/// (`introspect::catalog_with_helper`). Only `apply` passes `Printer::Target`.
pub async fn make_plan_with(
    conn: &mut PgConnection,
    helper: Option<&mut PgConnection>,
    desired: &Catalog,
    options: &PlanOptions,
    printer: &Printer,
) -> Result<Planned, PlanFailure> {
    let current = introspect::catalog_with_helper(conn, helper)
        .await
        .map_err(|e| PlanFailure::Message(e.to_string()))?;
    plan_against(conn, current, desired, options, printer).await
}

/// `make_plan_with`, the database already read into `current`.
pub async fn plan_against(
    conn: &mut PgConnection,
    current: Catalog,
    desired: &Catalog,
    options: &PlanOptions,
    printer: &Printer,
) -> Result<Planned, PlanFailure> {
    let Compared {
        changes,
        current,
        desired,
    } = compare_against(conn, current, desired, printer).await?;
    let pair = Pair::new(&current, &desired);
    let query = plan::facts_needed(&changes, pair);
    let mut notes = Vec::new();
    let facts = match introspect::facts(conn, &query).await {
        Ok(facts) => facts,
        // A role that may not read every row (row-level security, no SELECT): the plan assumes
        // the worst (rows, and NULLs), which is safe, and says so.
        Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("42501") => {
            notes.push(format!(
                "this role cannot read every row ({}); the plan assumes the tables hold rows \
                 and the columns NULLs",
                error.message()
            ));
            Facts {
                tables_with_rows: query.tables.iter().cloned().collect(),
                columns_with_nulls: query.null_columns.iter().cloned().collect(),
                server_version: None,
            }
        }
        Err(e) => {
            return Err(PlanFailure::Message(format!(
                "reading row facts failed: {e}"
            )))
        }
    };
    let plan = plan::plan(&changes, pair, &facts, options).map_err(PlanFailure::Diagnostics)?;
    Ok(Planned {
        plan,
        changes,
        current,
        desired,
        notes,
    })
}

/// Introspects, canonicalises the schema's expressions without writing to the target, and diffs.
pub async fn compare(
    conn: &mut PgConnection,
    helper: Option<&mut PgConnection>,
    desired: &Catalog,
    printer: &Printer,
) -> Result<Compared, PlanFailure> {
    let current = introspect::catalog_with_helper(conn, helper)
        .await
        .map_err(|e| PlanFailure::Message(e.to_string()))?;
    compare_against(conn, current, desired, printer).await
}

/// `compare`, the database already read into `current`.
pub async fn compare_against(
    conn: &mut PgConnection,
    current: Catalog,
    desired: &Catalog,
    printer: &Printer,
) -> Result<Compared, PlanFailure> {
    // After introspection: what the database already prints needs no dev database at all.
    let prepared = introspect::prepare(desired, Some(&current), printer);
    let source = desired;
    let desired =
        match introspect::canonicalize_prepared(conn, desired, Some(&current), printer, prepared)
            .await
        {
            Ok((desired, _)) => desired,
            Err(CanonicalizeError::Invalid(invalid)) => {
                return Err(PlanFailure::Diagnostics(
                    invalid
                        .into_iter()
                        .map(|i| {
                            Diagnostic::error(
                                crate::diagnostics::codes::PLAN_INVALID_EXPRESSION,
                                i.message,
                            )
                            .with_optional_label(i.origin, "rejected by the database")
                            .with_help(
                                "fix the SQL expression; it is passed to PostgreSQL verbatim"
                                    .to_string(),
                            )
                        })
                        .collect(),
                ))
            }
            Err(error) => return Err(PlanFailure::Message(error.to_string())),
        };
    // Objects in schemas the source does not mention are not managed: never compared or dropped.
    let current = current.managed_by(&desired);
    let pair = Pair::new(&current, &desired);
    let mut changes = diff(pair);
    introspect::source_text(&mut changes, source);
    Ok(Compared {
        changes,
        current,
        desired,
    })
}

/// Where `plan` and `drift` print the expressions schemac does not know: `--dev-url`, else a
/// throwaway cluster; never the target.
pub fn printer(dev_url: Option<&str>) -> Printer {
    match dev_url {
        Some(url) => Printer::Dev(url.to_string()),
        None => Printer::Throwaway,
    }
}
