//! `schemac plan`: the schema against the database (or an empty one), printed as a human summary,
//! an SQL script or JSON; `-o` also saves a plan file that `apply` can run.

use sqlx::PgConnection;

use crate::catalog::Catalog;
use crate::diagnostics::Diagnostic;
use crate::diff::{diff, Change};
use crate::introspect::{self, CanonicalizeError, Printer};
use crate::pair::Pair;
use crate::plan::{self, Facts, Plan, PlanOptions};
use crate::source::SourceSet;

use super::{human, json, runtime, schema, DatabaseUrl, Format, Output, PlanArgs};

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
// Kept for callers that plan many targets (fleets) with the default printer.
#[allow(dead_code)]
pub async fn make_plan(
    conn: &mut PgConnection,
    desired: &Catalog,
    options: &PlanOptions,
) -> Result<Planned, PlanFailure> {
    make_plan_with(conn, desired, options, &Printer::Throwaway).await
}

/// `make_plan`, printing the expressions the local canonicaliser does not know with `printer`.
/// Only `apply` passes `Printer::Target`.
pub async fn make_plan_with(
    conn: &mut PgConnection,
    desired: &Catalog,
    options: &PlanOptions,
    printer: &Printer,
) -> Result<Planned, PlanFailure> {
    introspect::prepare(desired, printer);
    let current = introspect::catalog(conn)
        .await
        .map_err(|e| PlanFailure::Message(e.to_string()))?;
    let source = desired;
    let desired =
        match introspect::canonicalize_against(conn, desired, Some(&current), printer).await {
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

/// Where `plan` and `drift` print the expressions schemac does not know: `--dev-url`, else a
/// throwaway cluster; never the target.
pub fn printer(dev_url: Option<&str>) -> Printer {
    match dev_url {
        Some(url) => Printer::Dev(url.to_string()),
        None => Printer::Throwaway,
    }
}

/// Prints a planning failure; returns exit code 1.
pub fn report_failure(
    out: &mut Output,
    failure: PlanFailure,
    sources: &SourceSet,
    url: Option<&DatabaseUrl>,
) -> u8 {
    match failure {
        PlanFailure::Diagnostics(diagnostics) => {
            schema::print_diagnostics(out, &diagnostics, sources)
        }
        PlanFailure::Message(message) => {
            let message = url.map_or(message.clone(), |u| u.scrub(&message));
            out.error(&message);
        }
    }
    1
}

pub fn run(args: PlanArgs, out: &mut Output) -> u8 {
    let Some((sources, desired)) = schema::load(out, args.path.as_deref()) else {
        return 1;
    };
    let options = PlanOptions {
        batch_size: args.batch_size,
        ..PlanOptions::default()
    };
    let (plan, fingerprint) = if args.from_empty {
        let current = Catalog::default();
        let pair = Pair::new(&current, &desired);
        let changes = diff(pair);
        match plan::plan(&changes, pair, &Facts::empty(), &options) {
            Ok(plan) => (plan, current.fingerprint()),
            Err(diagnostics) => {
                schema::print_diagnostics(out, &diagnostics, &sources);
                return 1;
            }
        }
    } else {
        let Some(url) = DatabaseUrl::from_args(args.database_url.as_deref()) else {
            out.error(
                "no database: pass --database-url URL, set DATABASE_URL, or plan with --from-empty",
            );
            return 1;
        };
        let printer = printer(args.dev_url.as_deref());
        let result = runtime().map_err(|e| e.to_string()).and_then(|rt| {
            rt.block_on(async {
                let mut conn = url.connect_read_only().await?;
                Ok(make_plan_with(&mut conn, &desired, &options, &printer).await)
            })
        });
        match result {
            Ok(Ok(planned)) => {
                for note in &planned.notes {
                    out.note(note);
                }
                let fingerprint = planned.current.fingerprint();
                (planned.plan, fingerprint)
            }
            Ok(Err(failure)) => return report_failure(out, failure, &sources, Some(&url)),
            Err(message) => {
                out.error(&message);
                return 1;
            }
        }
    };
    let text = match args.format {
        Format::Human => human::plan(&plan, out.colour_stdout),
        Format::Sql => human::sql_script(&plan),
        Format::Json => json::plan_json(&plan, None),
    };
    out.result(&text);
    if let Some(path) = &args.output {
        if let Err(error) = std::fs::write(path, json::plan_json(&plan, Some(&fingerprint))) {
            out.error(&format!("cannot write `{}`: {error}", path.display()));
            return 1;
        }
        out.note(&format!(
            "plan saved to {}; run it with `schemac apply {}`",
            path.display(),
            path.display()
        ));
    }
    0
}
