//! `schemac_migrations`: one row per plan run, with its hash, its statements and how many steps are
//! done, so a run that died is continued where it stopped. schemac's own table: never drift.

use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use crate::plan::Plan;

const CREATE: &str = "CREATE TABLE IF NOT EXISTS public.schemac_migrations (
    id bigserial PRIMARY KEY,
    plan_hash text NOT NULL,
    status text NOT NULL DEFAULT 'running',
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    steps jsonb NOT NULL,
    completed_steps integer NOT NULL DEFAULT 0,
    backfill_cursor text
)";

/// A run recorded in the history table.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: i64,
    pub completed_steps: usize,
    /// The cursor of the backfill in progress (the step at `completed_steps`), if any.
    pub backfill_cursor: Option<String>,
}

/// A stable hash of what the plan runs.
pub fn plan_hash(plan: &Plan) -> String {
    let mut hasher = Sha256::new();
    for step in &plan.steps {
        hasher.update(step.kind.as_str().as_bytes());
        hasher.update([0]);
        hasher.update(step.target.as_bytes());
        hasher.update([0]);
        hasher.update(step.action.sql_text().as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub async fn ensure_table(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(CREATE).execute(conn).await?;
    Ok(())
}

/// The unfinished run of this plan, if one died part-way.
pub async fn unfinished(conn: &mut PgConnection, hash: &str) -> Result<Option<Run>, sqlx::Error> {
    let exists: bool =
        sqlx::query_scalar("SELECT to_regclass('public.schemac_migrations') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        return Ok(None);
    }
    let row: Option<(i64, i32, Option<String>)> = sqlx::query_as(
        "SELECT id, completed_steps, backfill_cursor FROM public.schemac_migrations
         WHERE plan_hash = $1 AND status = 'running' ORDER BY id DESC LIMIT 1",
    )
    .bind(hash)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id, completed, cursor)| Run {
        id,
        completed_steps: completed.max(0) as usize,
        backfill_cursor: cursor,
    }))
}

/// Records a new run; earlier unfinished runs of other plans are marked superseded (the new plan
/// was made from what they left).
pub async fn start(
    conn: &mut PgConnection,
    hash: &str,
    statements: serde_json::Value,
) -> Result<Run, sqlx::Error> {
    sqlx::query(
        "UPDATE public.schemac_migrations SET status = 'superseded' WHERE status = 'running'",
    )
    .execute(&mut *conn)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO public.schemac_migrations (plan_hash, steps) VALUES ($1, $2) RETURNING id",
    )
    .bind(hash)
    .bind(statements)
    .fetch_one(conn)
    .await?;
    Ok(Run {
        id,
        completed_steps: 0,
        backfill_cursor: None,
    })
}

/// Marks step `index` (0-based) done. Run inside the step's own transaction where it has one, so
/// a step is recorded exactly when it committed.
pub async fn step_done(conn: &mut PgConnection, run: i64, index: usize) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE public.schemac_migrations SET completed_steps = $2, backfill_cursor = NULL WHERE id = $1")
        .bind(run)
        .bind(index as i32 + 1)
        .execute(conn)
        .await?;
    Ok(())
}

/// Saves the backfill cursor after a committed batch.
pub async fn save_cursor(
    conn: &mut PgConnection,
    run: i64,
    cursor: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE public.schemac_migrations SET backfill_cursor = $2 WHERE id = $1")
        .bind(run)
        .bind(cursor)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn finish(conn: &mut PgConnection, run: i64, status: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE public.schemac_migrations SET status = $2, finished_at = now() WHERE id = $1",
    )
    .bind(run)
    .bind(status)
    .execute(conn)
    .await?;
    Ok(())
}
