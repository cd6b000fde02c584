//! `schemac apply`: plan (after taking the advisory lock, so a second apply plans against what the
//! first left) and run it, or run a saved plan file if the database has not changed since.

use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgConnection;

use crate::apply::{self, ApplyError, ApplyOptions, Event};
use crate::diagnostics::{codes, Diagnostic};
use crate::plan::{Plan, PlanOptions};
use crate::source::SourceSet;

use super::plan::{make_plan, report_failure};
use super::{human, json, runtime, schema, ApplyArgs, DatabaseUrl, Output};

/// What `apply` was given.
enum Input {
    Schema(SourceSet, Box<crate::catalog::Catalog>),
    PlanFile(Plan, Option<String>),
}

fn is_plan_file(path: &Path) -> bool {
    path.is_file() && path.extension().is_none_or(|ext| ext != "schema")
}

pub fn run(args: ApplyArgs, out: &mut Output) -> u8 {
    let input = match &args.path {
        Some(path) if is_plan_file(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| json::read_plan_file(&t))
        {
            Ok((plan, fingerprint)) => Input::PlanFile(plan, fingerprint),
            Err(error) => {
                out.error(&format!("`{}`: {error}", path.display()));
                return 1;
            }
        },
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
    rt.block_on(async {
        let mut conn = match url.connect().await {
            Ok(conn) => conn,
            Err(message) => {
                out.error(&message);
                return 1;
            }
        };
        let code = apply_locked(&mut conn, input, &args, &url, out).await;
        let _ = apply::lock::release(&mut conn).await;
        code
    })
}

async fn apply_locked(
    conn: &mut PgConnection,
    input: Input,
    args: &ApplyArgs,
    url: &DatabaseUrl,
    out: &mut Output,
) -> u8 {
    match apply::lock::try_acquire(conn).await {
        Ok(true) => {}
        Ok(false) => {
            out.note("another schemac apply is running on this database; waiting for it to finish");
            if let Err(error) = apply::lock::acquire(conn).await {
                out.error(&url.scrub(&error.to_string()));
                return 1;
            }
        }
        Err(error) => {
            out.error(&url.scrub(&error.to_string()));
            return 1;
        }
    }
    let plan_options = PlanOptions {
        batch_size: args.batch_size,
        lock_timeout: args.lock_timeout,
    };
    let (plan, sources) = match input {
        Input::Schema(sources, desired) => match make_plan(conn, &desired, &plan_options).await {
            Ok(planned) => (planned.plan, sources),
            Err(failure) => return report_failure(out, failure, &sources, Some(url)),
        },
        Input::PlanFile(plan, fingerprint) => {
            if let Err(message) = check_fingerprint(conn, &plan, fingerprint.as_deref()).await {
                out.error(&url.scrub(&message));
                return 1;
            }
            (plan, SourceSet::default())
        }
    };
    if plan.is_empty() {
        out.note("nothing to do: the database already matches the schema");
        return 0;
    }
    let destructive: Vec<String> = plan
        .destructive_steps()
        .map(|s| format!("{} {}", s.kind.as_str(), s.target))
        .collect();
    let _ = out
        .stderr
        .write_all(human::plan(&plan, out.colour_stderr).as_bytes());
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
        schema::print_diagnostics(out, &[refusal], &sources);
        return 1;
    }
    if args.dry_run {
        return match apply::preflight(conn, &plan).await {
            Ok(failures) if failures.is_empty() => {
                out.note("dry run: preflight checks passed; nothing was changed");
                0
            }
            Ok(failures) => {
                report_error(out, ApplyError::Preflight(failures), url);
                1
            }
            Err(error) => {
                report_error(out, error, url);
                1
            }
        };
    }
    if out.interactive && !args.yes && !confirm(out, plan.steps.len()) {
        out.note("not applied");
        return 1;
    }
    let options = ApplyOptions {
        lock_timeout: args.lock_timeout,
        batch_size: args.batch_size,
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
        apply::run(conn, &plan, &options, &mut on_event).await
    };
    if let Some(bar) = bar.take() {
        bar.finish_and_clear();
    }
    match result {
        Ok(report) => {
            out.result(&format!(
                "applied {} step{}{}{}\n",
                report.steps_run,
                if report.steps_run == 1 { "" } else { "s" },
                if report.steps_already_done > 0 {
                    format!(" ({} done by an earlier run)", report.steps_already_done)
                } else {
                    String::new()
                },
                if report.rows_backfilled > 0 {
                    format!(
                        ", {} row{} backfilled",
                        report.rows_backfilled,
                        if report.rows_backfilled == 1 { "" } else { "s" }
                    )
                } else {
                    String::new()
                }
            ));
            0
        }
        Err(error) => {
            report_error(out, error, url);
            1
        }
    }
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
    let hash = apply::history::plan_hash(plan);
    if apply::history::unfinished(conn, &hash)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(());
    }
    let current = crate::introspect::catalog(conn)
        .await
        .map_err(|e| e.to_string())?;
    match fingerprint {
        Some(expected) if expected != current.fingerprint() => Err(
            "refused: the database schema changed since this plan was made; make a new plan with `schemac plan -o FILE`".to_string(),
        ),
        None => Err("refused: the plan file has no fingerprint of the database it was made for".to_string()),
        _ => Ok(()),
    }
}

fn report_error(out: &mut Output, error: ApplyError, url: &DatabaseUrl) {
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
        other => out.error(&url.scrub(&other.to_string())),
    }
}
