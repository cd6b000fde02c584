//! `schemac apply`: plan (after taking the advisory lock, so a second apply plans against what the
//! first left) and run it, or run a saved plan file if the database has not changed since. A run
//! of the same schema or plan file that was interrupted is continued from its first incomplete step
//! first; what interrupted runs leave behind is cleared.

use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgConnection;

use crate::apply::history::{self, Interrupted};
use crate::apply::{self, ApplyError, ApplyOptions, ApplyReport, Event};
use crate::diagnostics::{codes, Diagnostic};
use crate::plan::{Plan, PlanOptions};
use crate::source::SourceSet;

use super::plan::report_failure;
use super::{human, json, runtime, schema, ApplyArgs, DatabaseUrl, Output};
use crate::introspect::Printer;
use crate::live::{make_plan_with, PlanFailure};

/// What `apply` was given.
pub(super) enum Input {
    Schema(SourceSet, Box<crate::catalog::Catalog>),
    /// The plan, the fingerprint it was made against, and the file's text (kept in the history).
    PlanFile(Plan, Option<String>, String),
}

/// How running one plan ended.
enum Outcome {
    Applied(ApplyReport),
    /// Refused, not confirmed, failed, or a dry run.
    Stopped(Ending),
}

/// How an apply to one database ended: what a fleet's summary shows, and the exit code.
pub(super) enum Ending {
    /// Every step ran, or there was nothing to do (`steps_run + steps_already_done == 0`).
    Done(ApplyReport),
    /// A dry run (preflight passed).
    DryRun,
    /// Nothing was changed: why.
    Refused(String),
    /// A step (named, when one was running) or the work around it failed.
    Failed {
        step: Option<String>,
        message: String,
    },
    /// No connection.
    Unreachable(String),
}

impl Ending {
    /// The contract's exit code for one database.
    fn code(&self) -> u8 {
        match self {
            Ending::Done(_) | Ending::DryRun => 0,
            _ => 1,
        }
    }

    fn failed(message: String) -> Ending {
        Ending::Failed {
            step: None,
            message,
        }
    }
}

fn is_plan_file(path: &Path) -> bool {
    path.is_file() && path.extension().is_none_or(|ext| ext != "schema")
}

pub fn run(args: ApplyArgs, out: &mut Output) -> u8 {
    let input = match &args.path {
        Some(path) if is_plan_file(path) => {
            let read = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    json::read_plan_file(&text).map(|(plan, fingerprint)| (plan, fingerprint, text))
                });
            match read {
                Ok((plan, fingerprint, text)) => Input::PlanFile(plan, fingerprint, text),
                Err(error) => {
                    out.error(&format!("`{}`: {error}", path.display()));
                    return 1;
                }
            }
        }
        path => match schema::load(out, path.as_deref()) {
            Some((sources, catalog)) => Input::Schema(sources, Box::new(catalog)),
            None => return 1,
        },
    };
    let Some(url) = DatabaseUrl::from_args(args.database_url.as_deref()) else {
        out.error("no database: pass --database-url URL or set DATABASE_URL");
        return 1;
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(error) => {
            out.error(&error.to_string());
            return 1;
        }
    };
    rt.block_on(apply_database(input, &args, &url, out)).code()
}

/// Connects, takes the apply lock, applies and lets go: one database, start to end.
pub(super) async fn apply_database(
    input: Input,
    args: &ApplyArgs,
    url: &DatabaseUrl,
    out: &mut Output,
) -> Ending {
    {
        let mut conn = match url.connect().await {
            Ok(conn) => conn,
            Err(message) => {
                out.error(&message);
                return Ending::Unreachable(message);
            }
        };
        // If this client dies, its server session notices within a second even while a statement
        // runs (a backfill batch, a concurrent build), ends it and frees the apply lock, instead of
        // holding locks until the statement is done (ONLINE-SAFETY.md, R9). Not every platform has
        // it; without it apply still works.
        let _ = sqlx::raw_sql("SET client_connection_check_interval = '1s'")
            .execute(&mut conn)
            .await;
        let ending = apply_locked(&mut conn, input, args, url, out).await;
        let _ = apply::lock::release(&mut conn).await;
        ending
    }
}

async fn apply_locked(
    conn: &mut PgConnection,
    input: Input,
    args: &ApplyArgs,
    url: &DatabaseUrl,
    out: &mut Output,
) -> Ending {
    let waited = {
        let stderr = &mut out.stderr;
        let mut on_wait = |holder: Option<apply::lock::Holder>| {
            let who = holder.map_or(String::new(), |h| format!(" ({h})"));
            let _ = writeln!(
                stderr,
                "another schemac apply is running on this database{who}; waiting for it to finish"
            );
        };
        apply::lock::acquire(conn, &mut on_wait).await
    };
    if let Err(error) = waited {
        let message = url.scrub(&error.to_string());
        out.error(&message);
        return Ending::failed(message);
    }
    let options = ApplyOptions {
        lock_timeout: args.lock_timeout,
        lock_attempts: args.lock_attempts,
        batch_size: args.batch_size,
        ..ApplyOptions::default()
    };
    let mut total = ApplyReport::default();
    let (plan, sources, origin) = match input {
        Input::Schema(sources, desired) => {
            let schema_hash = history::schema_hash(&desired);
            match continue_interrupted(conn, &schema_hash, args, url, out).await {
                Ok(Some(report)) => add(&mut total, report),
                Ok(None) => {}
                Err(ending) => return ending,
            }
            if !args.dry_run {
                if let Err(ending) = clear_leftovers_before_planning(conn, &options, url, out).await
                {
                    return ending;
                }
            }
            let plan_options = PlanOptions {
                batch_size: args.batch_size,
                lock_timeout: args.lock_timeout,
            };
            // apply writes to the target anyway: expressions schemac cannot print are printed there,
            // in scratch schemas that are rolled back.
            match make_plan_with(conn, None, &desired, &plan_options, &Printer::Target).await {
                Ok(planned) => {
                    let plan_file =
                        json::plan_json(&planned.plan, Some(&planned.current.fingerprint()));
                    (
                        planned.plan,
                        sources,
                        history::Origin {
                            plan_file: Some(plan_file),
                            schema_hash: Some(schema_hash),
                        },
                    )
                }
                Err(failure) => {
                    let message = failure_text(&failure, url);
                    report_failure(out, failure, &sources, Some(url));
                    return Ending::failed(message);
                }
            }
        }
        Input::PlanFile(plan, fingerprint, text) => {
            if let Err(message) = check_fingerprint(conn, &plan, fingerprint.as_deref()).await {
                let message = url.scrub(&message);
                out.error(&message);
                return Ending::Refused(message);
            }
            (
                plan,
                SourceSet::default(),
                history::Origin {
                    plan_file: Some(text),
                    schema_hash: None,
                },
            )
        }
    };
    if plan.is_empty() {
        if total.steps_run == 0 {
            out.note("nothing to do: the database already matches the schema");
        }
    } else {
        let _ = out
            .stderr
            .write_all(human::plan(&plan, out.colour_stderr).as_bytes());
        match run_plan(conn, &plan, origin, &sources, args, url, out).await {
            Outcome::Applied(report) => add(&mut total, report),
            Outcome::Stopped(ending) => return ending,
        }
    }
    if args.dry_run {
        return Ending::DryRun;
    }
    if let Err(error) = drop_leftover_triggers(conn, &options, out).await {
        return report_error(out, error, url);
    }
    if total.steps_run > 0 || total.steps_already_done > 0 {
        out.result(&format!(
            "applied {} step{}{}{}\n",
            total.steps_run,
            if total.steps_run == 1 { "" } else { "s" },
            if total.steps_already_done > 0 {
                format!(" ({} done by an earlier run)", total.steps_already_done)
            } else {
                String::new()
            },
            if total.rows_backfilled > 0 {
                format!(
                    ", {} row{} backfilled",
                    total.rows_backfilled,
                    if total.rows_backfilled == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        ));
    }
    Ending::Done(total)
}

/// A planning failure in one line, password scrubbed.
fn failure_text(failure: &PlanFailure, url: &DatabaseUrl) -> String {
    match failure {
        PlanFailure::Diagnostics(diagnostics) => format!(
            "planning failed: {}",
            diagnostics
                .iter()
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        PlanFailure::Message(message) => url.scrub(message),
    }
}

fn add(total: &mut ApplyReport, report: ApplyReport) {
    total.steps_run += report.steps_run;
    total.steps_already_done += report.steps_already_done;
    total.rows_backfilled += report.rows_backfilled;
}

/// A run of this same schema that died (killed, crashed, or stopped by a failed step) is continued
/// from its first incomplete step, with its own plan: the database is part-way through that plan,
/// and a plan made afresh from that state could not see schemac's own objects in it. A run made
/// from another schema or a plan file is left to be superseded by the new plan. `Ok(None)` when
/// nothing was continued.
async fn continue_interrupted(
    conn: &mut PgConnection,
    schema_hash: &str,
    args: &ApplyArgs,
    url: &DatabaseUrl,
    out: &mut Output,
) -> Result<Option<ApplyReport>, Ending> {
    let interrupted = match history::latest_unfinished(conn).await {
        Ok(Some(interrupted)) => interrupted,
        Ok(None) => return Ok(None),
        Err(error) => {
            let message = url.scrub(&error.to_string());
            out.error(&message);
            return Err(Ending::failed(message));
        }
    };
    let Interrupted {
        run,
        plan_hash,
        total_steps,
        origin,
    } = interrupted;
    let described = format!(
        "run {} stopped after {} of {total_steps} steps",
        run.id, run.completed_steps
    );
    let plan = match (&origin.schema_hash, &origin.plan_file) {
        (Some(hash), Some(text)) if hash == schema_hash => match json::read_plan_file(text) {
            Ok((plan, _)) if history::plan_hash(&plan) == plan_hash => plan,
            _ => {
                out.note(&format!("an interrupted apply ({described}) cannot be read back; planning anew from the database as it is"));
                return Ok(None);
            }
        },
        _ => {
            out.note(&format!(
                "an interrupted apply ({described}) was made from another schema or a plan file; planning anew from the database as it is"
            ));
            return Ok(None);
        }
    };
    if args.dry_run {
        out.note(&format!(
            "dry run: an interrupted apply of this schema ({described}) would be continued first"
        ));
        return Ok(None);
    }
    out.note(&format!(
        "continuing an interrupted apply of this schema ({described})"
    ));
    match run_plan(conn, &plan, origin, &SourceSet::default(), args, url, out).await {
        Outcome::Applied(report) => Ok(Some(report)),
        Outcome::Stopped(ending) => Err(ending),
    }
}

/// Before planning from the schema: schemac's own checks left by a superseded run are dropped, so
/// that the plan does not meet them as constraints the schema lacks.
async fn clear_leftovers_before_planning(
    conn: &mut PgConnection,
    options: &ApplyOptions,
    url: &DatabaseUrl,
    out: &mut Output,
) -> Result<(), Ending> {
    let result = {
        let stderr = &mut out.stderr;
        let mut on_retry = retry_note(stderr);
        apply::leftovers::drop_leftover_checks(conn, options, &mut on_retry).await
    };
    match result {
        Ok(checks) => {
            for check in checks {
                out.note(&format!(
                    "dropped check {check}, left by an interrupted apply"
                ));
            }
            Ok(())
        }
        Err(error) => Err(report_error(out, error, url)),
    }
}

/// Tells of a lock retry while leftovers are cleared.
fn retry_note(stderr: &mut (impl Write + Send)) -> impl FnMut(u32, Duration) + Send + '_ {
    move |attempt, wait| {
        let _ = writeln!(
            stderr,
            "  lock not granted in time (attempt {attempt}); retrying in {} ms",
            wait.as_millis()
        );
    }
}

/// After a successful apply, fill functions that no trigger uses any more are dropped (fill
/// triggers themselves are desired state: the plan makes and drops them).
async fn drop_leftover_triggers(
    conn: &mut PgConnection,
    options: &ApplyOptions,
    out: &mut Output,
) -> Result<(), ApplyError> {
    let dropped = {
        let stderr = &mut out.stderr;
        let mut on_retry = retry_note(stderr);
        apply::leftovers::drop_leftover_triggers(conn, options, &mut on_retry).await?
    };
    for object in dropped {
        out.note(&format!("dropped {object}, left by an interrupted apply"));
    }
    Ok(())
}

/// Refuses destructive steps without `--allow-destructive`, runs only preflight on `--dry-run`,
/// asks when interactive, then runs the plan with progress on stderr.
async fn run_plan(
    conn: &mut PgConnection,
    plan: &Plan,
    origin: history::Origin,
    sources: &SourceSet,
    args: &ApplyArgs,
    url: &DatabaseUrl,
    out: &mut Output,
) -> Outcome {
    let destructive: Vec<String> = plan
        .destructive_steps()
        .map(|s| format!("{} {}", s.kind.as_str(), s.target))
        .collect();
    if !destructive.is_empty() && !args.allow_destructive {
        let refusal = Diagnostic::error(
            codes::PLAN_DESTRUCTIVE_REFUSED,
            format!(
                "the plan has {} destructive step(s) and none was run: {}",
                destructive.len(),
                destructive.join(", ")
            ),
        )
        .with_help("review them, then run again with `--allow-destructive`".to_string());
        let reason = refusal.message.clone();
        schema::print_diagnostics(out, &[refusal], sources);
        return Outcome::Stopped(Ending::Refused(reason));
    }
    if args.dry_run {
        return match apply::preflight(conn, plan).await {
            Ok(failures) if failures.is_empty() => {
                out.note("dry run: preflight checks passed; nothing was changed");
                Outcome::Stopped(Ending::DryRun)
            }
            Ok(failures) => {
                Outcome::Stopped(report_error(out, ApplyError::Preflight(failures), url))
            }
            Err(error) => Outcome::Stopped(report_error(out, error, url)),
        };
    }
    if out.interactive && !args.yes && !confirm(out, plan.steps.len()) {
        out.note("not applied");
        return Outcome::Stopped(Ending::Refused("not confirmed".to_string()));
    }
    // Kept for options other branches may add to `ApplyOptions`.
    #[allow(clippy::needless_update)]
    let options = ApplyOptions {
        lock_timeout: args.lock_timeout,
        lock_attempts: args.lock_attempts,
        batch_size: args.batch_size,
        origin,
        ..ApplyOptions::default()
    };
    let terminal = out.stderr_is_terminal;
    let mut bar: Option<ProgressBar> = None;
    let result = {
        // Progress is printed as it comes, so a long backfill is visibly alive.
        let stderr = &mut out.stderr;
        let mut on_event = |event: Event| match event {
            Event::Resumed { completed } => {
                let _ = writeln!(
                    stderr,
                    "continuing an interrupted run after step {completed}"
                );
            }
            Event::StepStarted {
                index,
                total,
                kind,
                target,
            } => {
                if let Some(bar) = bar.take() {
                    bar.finish_and_clear();
                }
                let _ = writeln!(stderr, "[{}/{total}] {kind} {target}", index + 1);
            }
            Event::StepFinished { .. } => {}
            Event::LockRetry { attempt, wait, .. } => {
                let _ = writeln!(
                    stderr,
                    "  lock not granted in time (attempt {attempt}); retrying in {} ms",
                    wait.as_millis()
                );
            }
            Event::BackfillProgress {
                done,
                total,
                elapsed,
                ..
            } => {
                if terminal {
                    bar.get_or_insert_with(|| backfill_bar(total))
                        .set_position(done);
                } else if elapsed > Duration::from_secs(5)
                    && done % 100_000 < u64::from(options.batch_size)
                {
                    let _ = writeln!(stderr, "  {done}/{total} rows");
                }
            }
        };
        apply::run(conn, plan, &options, &mut on_event).await
    };
    if let Some(bar) = bar.take() {
        bar.finish_and_clear();
    }
    match result {
        Ok(report) => Outcome::Applied(report),
        Err(error) => {
            let stopped_in_a_step = !matches!(
                error,
                ApplyError::Preflight(_) | ApplyError::Database(_) | ApplyError::Cleanup { .. }
            );
            let ending = report_error(out, error, url);
            if stopped_in_a_step {
                report_what_ran(conn, plan, out).await;
            }
            Outcome::Stopped(ending)
        }
    }
}

/// After a step failed for a cause preflight could not know (a row written since, a lock that was
/// never granted): which steps ran and stay done, and that `apply` of the same schema or plan file
/// continues from the first that did not (the history table records them).
async fn report_what_ran(conn: &mut PgConnection, plan: &Plan, out: &mut Output) {
    let completed = match history::unfinished(conn, &history::plan_hash(plan)).await {
        Ok(Some(run)) => run.completed_steps,
        _ => return,
    };
    let total = plan.steps.len();
    let done = match completed {
        0 => "no step of the plan ran".to_string(),
        1 => format!("step 1 of {total} ran and stays done"),
        n => format!("steps 1-{n} of {total} ran and stay done"),
    };
    out.note(&format!(
        "{done}; fix the cause, then run the same `apply` again: it continues from step {}",
        completed + 1
    ));
}

fn backfill_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("  backfill {bar:40} {pos}/{len} rows, {per_sec}, eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

fn confirm(out: &mut Output, steps: usize) -> bool {
    let _ = write!(out.stderr, "Apply {steps} step(s)? [y/N] ");
    let _ = out.stderr.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes")
}

/// A saved plan runs only against the database it was made for (or continues its own interrupted run).
async fn check_fingerprint(
    conn: &mut PgConnection,
    plan: &Plan,
    fingerprint: Option<&str>,
) -> Result<(), String> {
    let hash = history::plan_hash(plan);
    if history::unfinished(conn, &hash)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(());
    }
    let current = crate::introspect::catalog(conn)
        .await
        .map_err(|e| e.to_string())?;
    let now = current.fingerprint();
    match fingerprint {
        Some(expected)
            if crate::catalog::hash::version_of(expected) != crate::catalog::hash::version_of(&now) =>
        {
            Err(format!(
                "refused: the plan file was made by a schemac version that fingerprints the database another way (fingerprint {}, this version writes {}), so it cannot tell whether the database changed; make the plan again with this version: `schemac plan -o FILE`",
                crate::catalog::hash::version_of(expected).unwrap_or("without a version"),
                crate::catalog::hash::VERSION,
            ))
        }
        Some(expected) if expected != now => Err(
            "refused: the database schema changed since this plan was made; make a new plan with `schemac plan -o FILE`".to_string(),
        ),
        None => Err("refused: the plan file has no fingerprint of the database it was made for".to_string()),
        _ => Ok(()),
    }
}

/// Prints why apply stopped; returns it as an ending (preflight: refused; else failed, with the
/// step when one was running).
fn report_error(out: &mut Output, error: ApplyError, url: &DatabaseUrl) -> Ending {
    let ending = match &error {
        ApplyError::Preflight(failures) => Ending::Refused(url.scrub(&format!(
            "preflight: {}",
            failures
                .iter()
                .map(|f| {
                    let rows = if f.count > 0 {
                        format!(" ({} row{})", f.count, if f.count == 1 { "" } else { "s" })
                    } else {
                        String::new()
                    };
                    format!("{}: {}{rows}", f.target, f.message)
                })
                .collect::<Vec<_>>()
                .join("; ")
        ))),
        ApplyError::Step {
            index,
            kind,
            target,
            message,
            ..
        } => Ending::Failed {
            step: Some(format!("step {index} ({kind} {target})")),
            message: url.scrub(message),
        },
        ApplyError::Verify {
            index,
            kind,
            target,
            ..
        }
        | ApplyError::LockTimeout {
            index,
            kind,
            target,
            ..
        } => Ending::Failed {
            step: Some(format!("step {index} ({kind} {target})")),
            message: url.scrub(&error.to_string()),
        },
        other => Ending::failed(url.scrub(&other.to_string())),
    };
    match error {
        ApplyError::Preflight(failures) => {
            out.error("refused: the plan cannot finish; nothing was changed");
            for failure in failures {
                let mut line = format!("  {}: {}", failure.target, failure.message);
                if failure.count > 0 {
                    line.push_str(&format!(
                        " ({} row{}",
                        failure.count,
                        if failure.count == 1 { "" } else { "s" }
                    ));
                    if let Some(example) = &failure.example {
                        line.push_str(&format!(", e.g. key {example}"));
                    }
                    line.push(')');
                }
                if let Some(error) = &failure.error {
                    line.push_str(&format!(": {error}"));
                }
                out.note(&url.scrub(&line));
                if let Some(help) = &failure.help {
                    out.note(&format!("    help: {help}"));
                }
            }
        }
        ApplyError::Step { ref statement, .. } => {
            out.error(&url.scrub(&error.to_string()));
            // A transactional step reaches the server as one string, whose error does not say
            // which of its statements failed: the executor found it again; name it.
            if !statement.is_empty() {
                out.note(&format!(
                    "  the statement that failed: {}",
                    url.scrub(statement).replace('\n', "\n    ")
                ));
            }
        }
        other => out.error(&url.scrub(&other.to_string())),
    }
    ending
}
