//! Running the steps of a plan, one at a time, each as the recipe says: in a transaction or not,
//! under a short lock timeout or none, batched or whole.

use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};

use super::error::{ApplyError, PreflightFailure};
use super::history;
use super::retry::{is_lock_timeout, LockRetry};
use crate::plan::{brief_settings, lock_timeout_setting};
use crate::plan::{Action, Backfill, Plan, Resource, Step, StepKind};

/// How steps are run.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// `lock_timeout` for brief DDL; a step that times out is retried.
    pub lock_timeout: Duration,
    /// Attempts per step when its lock times out (the last attempt still has the timeout).
    pub lock_attempts: u32,
    /// The most rows a backfill batch may update: batches start at 1,000 rows (or this, if
    /// smaller) and adapt to take about `BATCH_TARGET` each, up to this cap.
    pub batch_size: u32,
    /// What the plan was made from, recorded with a new run so that it can be continued.
    pub origin: history::Origin,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            lock_timeout: Duration::from_secs(2),
            lock_attempts: 8,
            batch_size: 20_000,
            origin: history::Origin::default(),
        }
    }
}

/// How long one backfill batch should take. A batch holds its rows' locks until it commits, so
/// this bounds how long an application write to one of those rows can wait (issue 13 asks for at
/// most 50 ms); on a fast machine it lets batches grow past a fixed 1,000 rows, so fewer
/// statements and commits do the same work.
pub const BATCH_TARGET: Duration = Duration::from_millis(30);

/// How often a backfill records where it is (after its first batch, then at most this often). A
/// rerun after a crash starts from the last saved cursor: the batches it repeats, at most this
/// much time's worth, find their rows filled and change nothing. Saving after every batch cost a
/// second round trip and commit per batch: on the shared 2-core machine of `bench/online.sh`,
/// batches aiming at 30 ms took 35 ms from one to the next.
pub const CURSOR_SAVE_INTERVAL: Duration = Duration::from_millis(250);

/// Rows for the next batch, from the last one's size and duration: scaled towards `BATCH_TARGET`,
/// at most doubled or halved at a time (one slow or fast batch, e.g. a lock wait or a cached
/// page, does not swing it), between 100 rows and `cap`.
pub fn next_batch_size(size: u32, took: Duration, cap: u32) -> u32 {
    let floor = 100.min(cap).max(1);
    let took = took.as_secs_f64().max(0.000_1);
    let ratio = (BATCH_TARGET.as_secs_f64() / took).clamp(0.5, 2.0);
    let next = (f64::from(size) * ratio).round();
    // `next` is at most twice a u32, so it fits an f64 exactly; clamped into [floor, cap].
    (next.min(f64::from(cap)) as u32).clamp(floor, cap.max(floor))
}

/// What happened, for progress output.
#[derive(Debug, Clone)]
pub enum Event {
    /// The run continues an earlier one that stopped after `completed` steps.
    Resumed {
        completed: usize,
    },
    StepStarted {
        index: usize,
        total: usize,
        kind: &'static str,
        target: String,
    },
    StepFinished {
        index: usize,
        elapsed: Duration,
    },
    /// A brief step could not get its lock in time; it waits `wait` and tries again.
    LockRetry {
        index: usize,
        attempt: u32,
        wait: Duration,
    },
    /// Rows filled so far by a backfill, of about `total`.
    BackfillProgress {
        index: usize,
        done: u64,
        total: u64,
        elapsed: Duration,
    },
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplyReport {
    pub steps_run: usize,
    /// Steps an earlier, interrupted run had already completed.
    pub steps_already_done: usize,
    pub rows_backfilled: u64,
}

/// Runs the plan (or what is left of it after an interrupted run of the same plan).
pub async fn run(
    conn: &mut PgConnection,
    plan: &Plan,
    options: &ApplyOptions,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<ApplyReport, ApplyError> {
    let mut report = ApplyReport::default();
    if plan.steps.is_empty() {
        return Ok(report);
    }
    let hash = history::plan_hash(plan);
    let mut resumed = false;
    let run = match history::unfinished(conn, &hash).await? {
        Some(run) => {
            resumed = true;
            on_event(Event::Resumed {
                completed: run.completed_steps,
            });
            report.steps_already_done = run.completed_steps;
            run
        }
        None => {
            let failures = preflight(conn, plan).await?;
            if !failures.is_empty() {
                return Err(ApplyError::Preflight(failures));
            }
            history::ensure_table(conn).await?;
            history::start(conn, &hash, statements_json(plan), &options.origin).await?
        }
    };
    let total = plan.steps.len();
    if run.completed_steps == 0 && runs_as_one_transaction(plan) {
        run_as_one_transaction(conn, plan, run.id, options, on_event).await?;
        history::finish(conn, run.id, "done").await?;
        report.steps_run = total;
        return Ok(report);
    }
    for (index, step) in plan.steps.iter().enumerate().skip(run.completed_steps) {
        on_event(Event::StepStarted {
            index,
            total,
            kind: step.kind.as_str(),
            target: step.target.clone(),
        });
        let started = Instant::now();
        let cursor = if index == run.completed_steps {
            run.backfill_cursor.clone()
        } else {
            None
        };
        match &step.action {
            Action::Sql(statements) if step.transactional => {
                run_in_transaction(conn, index, step, statements, run.id, options, on_event)
                    .await?;
            }
            Action::Sql(statements) => {
                // The step a killed run was in may have committed without being recorded.
                let maybe_done = resumed && index == run.completed_steps;
                run_outside_transaction(
                    conn, index, step, statements, maybe_done, options, on_event,
                )
                .await?;
                history::step_done(conn, run.id, index).await?;
            }
            Action::Backfill(backfill) => {
                report.rows_backfilled +=
                    run_backfill(conn, index, backfill, cursor, run.id, options, on_event).await?;
                history::step_done(conn, run.id, index).await?;
            }
            Action::Verify { sql, message } => {
                let count: i64 = sqlx::query_scalar(sql)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(|e| step_error(index, step, sql, e))?;
                if count > 0 {
                    return Err(ApplyError::Verify {
                        index: index + 1,
                        kind: step.kind.as_str(),
                        target: step.target.clone(),
                        count,
                        message: message.clone(),
                    });
                }
                history::step_done(conn, run.id, index).await?;
            }
            Action::ConcurrentIndex { index: name, sql } => {
                build_index_concurrently(conn, index, step, name, sql, options).await?;
                history::step_done(conn, run.id, index).await?;
            }
        }
        report.steps_run += 1;
        on_event(Event::StepFinished {
            index,
            elapsed: started.elapsed(),
        });
    }
    history::finish(conn, run.id, "done").await?;
    Ok(report)
}

fn statements_json(plan: &Plan) -> serde_json::Value {
    serde_json::Value::Array(
        plan.steps
            .iter()
            .map(|s| serde_json::json!({ "kind": s.kind.as_str(), "target": s.target, "sql": s.action.sql_text() }))
            .collect(),
    )
}

/// Runs every preflight check, changing nothing (each in a read-only transaction that is rolled
/// back); the failures (empty when the plan can finish).
pub async fn preflight(
    conn: &mut PgConnection,
    plan: &Plan,
) -> Result<Vec<PreflightFailure>, ApplyError> {
    let mut failures = Vec::new();
    for check in &plan.preflight {
        let failure = |count, example, error| PreflightFailure {
            target: check.target.clone(),
            message: check.message.clone(),
            count,
            example,
            help: check.help.clone(),
            error,
        };
        let mut tx = read_only(conn).await?;
        let result: Result<(i64, Option<String>), sqlx::Error> =
            sqlx::query_as(&check.sql).fetch_one(&mut *tx).await;
        tx.rollback().await?;
        // A check that names an enum value this plan adds cannot run before the value exists:
        // it is left to the step itself (a check is validated after it is added NOT VALID; a
        // conversion fails in its transaction), which names any row that still fails.
        if result
            .as_ref()
            .is_err_and(|e| names_a_new_enum_value(plan, &check.sql, e))
        {
            continue;
        }
        match (result, &check.per_row) {
            (Ok((0, _)), _) => {}
            (Ok((count, example)), _) => failures.push(failure(count, example, None)),
            // The check raised on some row (a value that does not convert): find the rows one at
            // a time, to name them.
            (Err(_), Some(per_row)) => {
                let mut tx = read_only(conn).await?;
                let outcome = sqlx::raw_sql(per_row).execute(&mut *tx).await.map(|_| ());
                tx.rollback().await?;
                match per_row_outcome(outcome) {
                    Ok((0, _, _)) => {}
                    Ok((count, example, error)) => failures.push(failure(count, example, error)),
                    Err(error) => failures.push(failure(0, None, Some(database_message(&error)))),
                }
            }
            // A check whose query fails refuses the plan too.
            (Err(error), None) => failures.push(failure(0, None, Some(database_message(&error)))),
        }
    }
    Ok(failures)
}

/// Whether `error` is the server refusing a literal (22P02, invalid text representation) where
/// `sql` names a value that a step of `plan` adds to an enum (its target is `<enum>.<value>`).
/// Decided from the SQLSTATE and the plan, not the message, which the server translates.
fn names_a_new_enum_value(plan: &Plan, sql: &str, error: &sqlx::Error) -> bool {
    let refused_literal = error
        .as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| code == "22P02");
    refused_literal
        && plan
            .steps
            .iter()
            .filter(|step| step.kind == StepKind::AddEnumValue)
            .any(|step| {
                step.provides.iter().any(|resource| match resource {
                    Resource::Type(name) => step
                        .target
                        .strip_prefix(&format!("{name}."))
                        .is_some_and(|value| sql.contains(&crate::sql::literal(value))),
                    _ => false,
                })
            })
}

/// A transaction that cannot write: preflight checks read only, whatever their SQL says.
async fn read_only(
    conn: &mut PgConnection,
) -> Result<sqlx::Transaction<'_, sqlx::Postgres>, ApplyError> {
    let mut tx = conn.begin().await?;
    sqlx::raw_sql("SET TRANSACTION READ ONLY")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// What a `Preflight::per_row` block reported: it always ends by raising `SC001` with the count as
/// message, the first failing row as detail and that row's error as hint.
fn per_row_outcome(
    outcome: Result<(), sqlx::Error>,
) -> Result<(i64, Option<String>, Option<String>), sqlx::Error> {
    let error = match outcome {
        Ok(()) => return Ok((0, None, None)),
        Err(error) => error,
    };
    let report = error
        .as_database_error()
        .filter(|e| e.code().as_deref() == Some("SC001"))
        .and_then(|e| e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>())
        .and_then(|e| {
            let count = e.message().parse::<i64>().ok()?;
            let text = |t: Option<&str>| t.filter(|t| !t.is_empty()).map(str::to_string);
            Some((count, text(e.detail()), text(e.hint())))
        });
    report.ok_or(error)
}

/// What a statement outside a transaction reports when an earlier, killed run already ran it: an
/// enum value that exists (`ADD VALUE`, 42710), an index that is gone (`DROP INDEX CONCURRENTLY`,
/// 42704). Such statements cannot be guarded by a transaction, and the step was not recorded.
fn already_done(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "42710" || code == "42704")
}

/// The server's message without sqlx's prefix.
pub fn database_message(error: &sqlx::Error) -> String {
    match error.as_database_error() {
        Some(db) => db.message().to_string(),
        None => error.to_string(),
    }
}

fn step_error(index: usize, step: &Step, statement: &str, error: sqlx::Error) -> ApplyError {
    ApplyError::Step {
        index: index + 1,
        kind: step.kind.as_str(),
        target: step.target.clone(),
        statement: statement.to_string(),
        message: database_message(&error),
    }
}

/// Who holds or waits for locks on the step's table, for the lock-timeout message.
async fn lock_holders(conn: &mut PgConnection, step: &Step) -> String {
    let Some(table) = &step.table else {
        return "another session holds a conflicting lock".into();
    };
    let holders: Result<Option<String>, sqlx::Error> = sqlx::query_scalar(
        "SELECT string_agg(DISTINCT format('pid %s (%s, for %s)', a.pid, a.state, date_trunc('second', now() - a.xact_start)), '; ')
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.relation = to_regclass($1) AND l.pid <> pg_backend_pid()",
    )
    .bind(crate::sql::qualified(table))
    .fetch_one(conn)
    .await;
    match holders {
        Ok(Some(list)) => format!("held by {list}"),
        _ => "another session holds a conflicting lock".into(),
    }
}

async fn run_in_transaction(
    conn: &mut PgConnection,
    index: usize,
    step: &Step,
    statements: &[String],
    run: i64,
    options: &ApplyOptions,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<(), ApplyError> {
    // The whole transaction goes to the server in one round trip: its first statement takes the
    // step's lock, held until COMMIT, so a round trip per statement would add the client's
    // turnaround to the hold, several milliseconds each on a loaded machine (an online type
    // change's swap, ten round trips, held ACCESS EXCLUSIVE up to 63 ms under `bench/online.sh`'s
    // load; 5 ms in one). An error skips the rest of the string and leaves the block aborted.
    let script = transaction_script(&step.settings(options.lock_timeout), statements, run, index);
    let mut retry = LockRetry::new(options.lock_attempts);
    loop {
        let Err(error) = sqlx::raw_sql(&script).execute(&mut *conn).await else {
            return Ok(());
        };
        sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await?;
        let statement = if is_lock_timeout(&error) {
            statements.first().cloned().unwrap_or_default()
        } else {
            failing_statement(conn, step, statements, options).await?
        };
        retry_or_fail(conn, (index, step, &statement), error, &mut retry, on_event).await?;
    }
}

/// `BEGIN`, the step's settings and statements, its record in the history, `COMMIT`: one string.
/// Each statement ends on a line of its own, so a trailing comment cannot swallow the `;`.
fn transaction_script(
    settings: &[String],
    statements: &[String],
    run: i64,
    index: usize,
) -> String {
    let mut script = String::from("BEGIN;\n");
    for statement in settings
        .iter()
        .chain(statements)
        .chain([&history::step_done_sql(run, index)])
    {
        script.push_str(statement);
        script.push_str("\n;\n");
    }
    script.push_str("COMMIT");
    script
}

/// Which statement of a failed transaction failed (the server's error does not say): the
/// statements again, one at a time, in a transaction that is rolled back; all of them if none
/// fails this time.
async fn failing_statement(
    conn: &mut PgConnection,
    step: &Step,
    statements: &[String],
    options: &ApplyOptions,
) -> Result<String, ApplyError> {
    if let [only] = statements {
        return Ok(only.clone());
    }
    let mut tx = conn.begin().await?;
    for setting in step.settings(options.lock_timeout) {
        sqlx::raw_sql(&setting).execute(&mut *tx).await?;
    }
    let failed = execute_all(&mut tx, statements)
        .await
        .map(|(statement, _)| statement.to_string());
    tx.rollback().await?;
    Ok(failed.unwrap_or_else(|| statements.join(";\n")))
}

/// Runs the statements in order until one fails: that one, with its error.
pub(super) async fn execute_all<'a>(
    conn: &mut PgConnection,
    statements: &'a [String],
) -> Option<(&'a str, sqlx::Error)> {
    for statement in statements {
        if let Err(error) = sqlx::raw_sql(statement).execute(&mut *conn).await {
            return Some((statement, error));
        }
    }
    None
}

/// After `statement` of step `index` failed and its transaction was rolled back: waits for the
/// next attempt if its lock timed out and attempts are left, else the step's error.
async fn retry_or_fail(
    conn: &mut PgConnection,
    (index, step, statement): (usize, &Step, &str),
    error: sqlx::Error,
    retry: &mut LockRetry,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<(), ApplyError> {
    if !is_lock_timeout(&error) {
        return Err(step_error(index, step, statement, error));
    }
    if !retry.wait(lock_retry_event(index, on_event)).await {
        return Err(lock_timeout_error(conn, index, step, retry).await);
    }
    Ok(())
}

/// Reports a lock retry of step `index`.
fn lock_retry_event(
    index: usize,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> impl FnOnce(u32, Duration) + '_ {
    move |attempt, wait| {
        on_event(Event::LockRetry {
            index,
            attempt,
            wait,
        })
    }
}

/// A step whose lock was not granted within every attempt, with who holds it.
async fn lock_timeout_error(
    conn: &mut PgConnection,
    index: usize,
    step: &Step,
    retry: &LockRetry,
) -> ApplyError {
    ApplyError::LockTimeout {
        index: index + 1,
        kind: step.kind.as_str(),
        target: step.target.clone(),
        attempts: retry.attempts(),
        waited_ms: retry.waited_ms(),
        holders: lock_holders(conn, step).await,
    }
}

async fn run_outside_transaction(
    conn: &mut PgConnection,
    index: usize,
    step: &Step,
    statements: &[String],
    maybe_done: bool,
    options: &ApplyOptions,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<(), ApplyError> {
    for setting in step.settings(options.lock_timeout) {
        sqlx::raw_sql(&setting).execute(&mut *conn).await?;
    }
    for statement in statements {
        let mut retry = LockRetry::new(options.lock_attempts);
        loop {
            match sqlx::raw_sql(statement).execute(&mut *conn).await {
                Ok(_) => break,
                Err(error) if maybe_done && already_done(&error) => break,
                Err(error) if is_lock_timeout(&error) => {
                    if !retry.wait(lock_retry_event(index, on_event)).await {
                        return Err(lock_timeout_error(conn, index, step, &retry).await);
                    }
                }
                Err(error) => return Err(step_error(index, step, statement, error)),
            }
        }
    }
    sqlx::raw_sql("RESET lock_timeout; RESET statement_timeout")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Batches until none is left; each batch commits on its own, and the cursor is saved every
/// `CURSOR_SAVE_INTERVAL`.
async fn run_backfill(
    conn: &mut PgConnection,
    index: usize,
    backfill: &Backfill,
    mut cursor: Option<String>,
    run: i64,
    options: &ApplyOptions,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<u64, ApplyError> {
    let started = Instant::now();
    let fail = |error: sqlx::Error, sql: &str| ApplyError::Step {
        index: index + 1,
        kind: "backfill",
        target: format!("{}.{}", backfill.table, backfill.column),
        statement: sql.to_string(),
        message: database_message(&error),
    };
    let total: i64 = sqlx::query_scalar(&backfill.remaining_sql)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| fail(e, &backfill.remaining_sql))?;
    // `synchronous_commit = off`: a batch's commit does not wait for its WAL to reach disk. A
    // server crash can lose the last batches and their saved cursor, which only makes a rerun
    // redo them (every batch updates only rows still NULL); it never loses other data.
    // https://www.postgresql.org/docs/current/wal-async-commit.html
    let settings = format!(
        "{}; SET synchronous_commit = off",
        lock_timeout_setting(options.lock_timeout)
    );
    sqlx::raw_sql(&settings).execute(&mut *conn).await?;
    let cap = options.batch_size.max(1);
    let mut size = cap.min(1000);
    let mut done: u64 = 0;
    let mut retry = LockRetry::new(options.lock_attempts);
    let mut saved_at: Option<Instant> = None;
    loop {
        let batch_started = Instant::now();
        let batch: Result<(Option<String>, i64), sqlx::Error> = sqlx::query_as(&backfill.batch_sql)
            .bind(cursor.as_deref())
            .bind(i64::from(size))
            .fetch_one(&mut *conn)
            .await;
        match batch {
            Ok((Some(next), rows)) => {
                // A batch reads `size` keys (or pages' worth of rows) whether or not they
                // still needed a value, so its duration says how long `size` takes.
                size = next_batch_size(size, batch_started.elapsed(), cap);
                retry.reset();
                done += rows as u64;
                if saved_at.is_none_or(|at| at.elapsed() >= CURSOR_SAVE_INTERVAL) {
                    history::save_cursor(conn, run, &next).await?;
                    saved_at = Some(Instant::now());
                }
                cursor = Some(next);
                on_event(Event::BackfillProgress {
                    index,
                    done,
                    total: total.max(0) as u64,
                    elapsed: started.elapsed(),
                });
            }
            Ok(_) => break,
            // A batch waits on rows a long transaction holds: back off and try the batch again.
            Err(error) if is_lock_timeout(&error) => {
                if !retry.wait(lock_retry_event(index, on_event)).await {
                    return Err(fail(error, &backfill.batch_sql));
                }
            }
            Err(error) => return Err(fail(error, &backfill.batch_sql)),
        }
    }
    sqlx::raw_sql("RESET lock_timeout; RESET synchronous_commit")
        .execute(&mut *conn)
        .await?;
    Ok(done)
}

/// `indisvalid` of an index, `None` when there is no such index.
async fn index_validity(conn: &mut PgConnection, name: &str) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)")
        .bind(name)
        .fetch_optional(conn)
        .await
}

/// A concurrent build: a leftover INVALID index of the same name (from a build that died) is dropped
/// first; a valid one means an earlier run finished it. After the build, an INVALID result (a
/// duplicate key, a deadlock) is dropped at once: it would still enforce uniqueness on writes.
async fn build_index_concurrently(
    conn: &mut PgConnection,
    index: usize,
    step: &Step,
    name: &crate::catalog::QualifiedName,
    sql: &str,
    options: &ApplyOptions,
) -> Result<(), ApplyError> {
    let qualified = crate::sql::qualified(name);
    let drop = format!("DROP INDEX CONCURRENTLY IF EXISTS {qualified}");
    // The step's own settings, as the SQL script shows them (no lock_timeout: the build waits
    // for older transactions without blocking writes; no statement_timeout: it takes long).
    for setting in step.settings(options.lock_timeout) {
        sqlx::raw_sql(&setting).execute(&mut *conn).await?;
    }
    match index_validity(conn, &qualified).await? {
        Some(true) => return Ok(()),
        Some(false) => {
            sqlx::raw_sql(&drop)
                .execute(&mut *conn)
                .await
                .map_err(|e| step_error(index, step, &drop, e))?;
        }
        None => {}
    }
    if let Err(error) = sqlx::raw_sql(sql).execute(&mut *conn).await {
        if index_validity(conn, &qualified).await? == Some(false) {
            sqlx::raw_sql(&drop).execute(&mut *conn).await?;
        }
        return Err(step_error(index, step, sql, error));
    }
    if index_validity(conn, &qualified).await? == Some(false) {
        sqlx::raw_sql(&drop).execute(&mut *conn).await?;
        return Err(ApplyError::InvalidIndex { index: qualified });
    }
    Ok(())
}

/// A plan of brief, transactional DDL only (no batches, no concurrent builds, no scans or rewrites
/// of tables with rows) runs as one transaction: all of it or nothing, and its locks are held for
/// milliseconds. Anything longer runs step by step so no lock is held across a long operation.
fn runs_as_one_transaction(plan: &Plan) -> bool {
    plan.steps.iter().all(|step| {
        step.transactional
            && matches!(step.action, Action::Sql(_))
            && !step.rewrites
            && !step.scans
            && !matches!(
                step.lock,
                crate::plan::LockLevel::AccessExclusiveRewrite
                    | crate::plan::LockLevel::AccessExclusiveScan
                    | crate::plan::LockLevel::ShareForScan
                    | crate::plan::LockLevel::ShareUpdateExclusive
            )
    })
}

/// Runs every step in one transaction under the short lock timeout, retried whole when a lock is
/// not granted in time.
async fn run_as_one_transaction(
    conn: &mut PgConnection,
    plan: &Plan,
    run: i64,
    options: &ApplyOptions,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<(), ApplyError> {
    let total = plan.steps.len();
    let mut retry = LockRetry::new(options.lock_attempts);
    loop {
        let mut tx = conn.begin().await?;
        // Every step here is brief: one short lock timeout and statement timeout for them all.
        for setting in brief_settings(options.lock_timeout) {
            sqlx::raw_sql(&setting).execute(&mut *tx).await?;
        }
        let mut failed = None;
        'steps: for (index, step) in plan.steps.iter().enumerate() {
            on_event(Event::StepStarted {
                index,
                total,
                kind: step.kind.as_str(),
                target: step.target.clone(),
            });
            if let Action::Sql(statements) = &step.action {
                if let Some((statement, error)) = execute_all(&mut tx, statements).await {
                    failed = Some(((index, step, statement), error));
                    break 'steps;
                }
            }
            history::step_done(&mut tx, run, index).await?;
        }
        let Some((at, error)) = failed else {
            tx.commit().await?;
            return Ok(());
        };
        tx.rollback().await?;
        retry_or_fail(conn, at, error, &mut retry, on_event).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transactional_step_is_one_string_from_begin_to_commit() {
        let script = transaction_script(
            &["SET LOCAL lock_timeout = '2000ms'".into()],
            &[
                "ALTER TABLE t DROP COLUMN c".into(),
                "-- why\nALTER TABLE t RENAME COLUMN n TO c -- a trailing comment".into(),
            ],
            7,
            2,
        );
        assert_eq!(
            script,
            "BEGIN;\nSET LOCAL lock_timeout = '2000ms'\n;\nALTER TABLE t DROP COLUMN c\n;\n\
             -- why\nALTER TABLE t RENAME COLUMN n TO c -- a trailing comment\n;\n\
             UPDATE public.schemac_migrations SET completed_steps = 3, backfill_cursor = NULL WHERE id = 7\n;\n\
             COMMIT"
        );
    }

    #[test]
    fn batch_size_grows_on_fast_batches_and_shrinks_on_slow_ones() {
        let ms = Duration::from_millis;
        // Twice as fast as the target: twice the rows, never more than doubling.
        assert_eq!(next_batch_size(1000, ms(15), 50_000), 2000);
        assert_eq!(next_batch_size(1000, ms(1), 50_000), 2000);
        // At the target: unchanged. Slower: fewer rows, at most halved.
        assert_eq!(next_batch_size(1000, BATCH_TARGET, 50_000), 1000);
        assert_eq!(next_batch_size(1000, ms(45), 50_000), 667);
        assert_eq!(next_batch_size(1000, ms(5000), 50_000), 500);
        // `--batch-size` is a cap; 100 rows is the floor unless the cap is lower.
        assert_eq!(next_batch_size(40_000, ms(1), 50_000), 50_000);
        assert_eq!(next_batch_size(120, ms(5000), 50_000), 100);
        assert_eq!(next_batch_size(10, ms(1), 10), 10);
        assert_eq!(next_batch_size(1, ms(1), 1), 1);
        assert_eq!(next_batch_size(1, Duration::ZERO, 0), 1);
    }
}
