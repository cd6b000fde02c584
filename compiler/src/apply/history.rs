//! `schemac_migrations`: one row per plan run, with its hash, its statements, the plan itself (as a
//! plan file) and how many steps are done, so a run that died is continued where it stopped — by
//! `apply` of the same plan file, or of the same schema. schemac's own table: never drift.

use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use crate::plan::Plan;

const CREATE: &str = concat!(
    "CREATE TABLE IF NOT EXISTS ",
    crate::own_names::history_table!(),
    " (
    id bigserial PRIMARY KEY,
    plan_hash text NOT NULL,
    status text NOT NULL DEFAULT 'running',
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    steps jsonb NOT NULL,
    completed_steps integer NOT NULL DEFAULT 0,
    backfill_cursor text,
    plan_file text,
    schema_hash text
)"
);

/// Tables made by earlier versions lack the columns that make a run resumable from its schema.
const UPGRADE: &str = concat!(
    "ALTER TABLE ",
    crate::own_names::history_table!(),
    "
    ADD COLUMN IF NOT EXISTS plan_file text,
    ADD COLUMN IF NOT EXISTS schema_hash text"
);

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

/// What a run was made from, kept with it so that it can be continued later.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origin {
    /// The plan as a plan file (`schemac plan -o`), to run the rest of it again.
    pub plan_file: Option<String>,
    /// A hash of the schema the plan was made from ([`schema_hash`]); `None` for a plan file.
    pub schema_hash: Option<String>,
}

/// The latest run that neither finished nor was superseded: it died, was killed or failed a step.
#[derive(Debug, Clone, PartialEq)]
pub struct Interrupted {
    pub run: Run,
    pub plan_hash: String,
    /// Steps in its plan.
    pub total_steps: usize,
    pub origin: Origin,
}

/// A stable hash of a schema as written (intent such as `backfill` and `renamed from` included,
/// which the catalog fingerprint leaves out; source positions, comments and layout not): equal
/// hashes mean the same plan would be made from the same database.
pub fn schema_hash(desired: &crate::catalog::Catalog) -> String {
    crate::catalog::hash::hash(desired)
}

pub async fn ensure_table(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(CREATE).execute(&mut *conn).await?;
    // `ADD COLUMN IF NOT EXISTS` takes the table's exclusive lock even when there is nothing to
    // add: only an old table is altered.
    let current: bool = sqlx::query_scalar(concat!(
        "SELECT count(*) = 2 FROM pg_attribute
         WHERE attrelid = '",
        crate::own_names::history_table!(),
        "'::regclass
           AND attname IN ('plan_file', 'schema_hash') AND NOT attisdropped"
    ))
    .fetch_one(&mut *conn)
    .await?;
    if !current {
        sqlx::raw_sql(UPGRADE).execute(conn).await?;
    }
    Ok(())
}

/// Whether the history table exists (a database schemac never applied to has none).
async fn table_exists(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(concat!(
        "SELECT to_regclass('",
        crate::own_names::history_table!(),
        "') IS NOT NULL"
    ))
    .fetch_one(conn)
    .await
}

/// The latest interrupted run, of any plan. Reads the row as JSON so that a table made by an
/// earlier version (without `plan_file`) is read too.
pub async fn latest_unfinished(
    conn: &mut PgConnection,
) -> Result<Option<Interrupted>, sqlx::Error> {
    if !table_exists(conn).await? {
        return Ok(None);
    }
    type Row = (
        i64,
        i32,
        Option<String>,
        String,
        i32,
        Option<String>,
        Option<String>,
    );
    let row: Option<Row> = sqlx::query_as(concat!(
        "SELECT id, completed_steps, backfill_cursor, plan_hash, jsonb_array_length(steps),
                to_jsonb(m) ->> 'plan_file', to_jsonb(m) ->> 'schema_hash'
         FROM ",
        crate::own_names::history_table!(),
        " m WHERE status = 'running' ORDER BY id DESC LIMIT 1"
    ))
    .fetch_optional(conn)
    .await?;
    Ok(row.map(
        |(id, completed, cursor, plan_hash, total, plan_file, schema_hash)| Interrupted {
            run: Run {
                id,
                completed_steps: completed.max(0) as usize,
                backfill_cursor: cursor,
            },
            plan_hash,
            total_steps: total.max(0) as usize,
            origin: Origin {
                plan_file,
                schema_hash,
            },
        },
    ))
}

/// The unfinished run of this plan, if one died part-way.
pub async fn unfinished(conn: &mut PgConnection, hash: &str) -> Result<Option<Run>, sqlx::Error> {
    if !table_exists(conn).await? {
        return Ok(None);
    }
    let row: Option<(i64, i32, Option<String>)> = sqlx::query_as(concat!(
        "SELECT id, completed_steps, backfill_cursor FROM ",
        crate::own_names::history_table!(),
        "
         WHERE plan_hash = $1 AND status = 'running' ORDER BY id DESC LIMIT 1"
    ))
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
    origin: &Origin,
) -> Result<Run, sqlx::Error> {
    sqlx::query(concat!(
        "UPDATE ",
        crate::own_names::history_table!(),
        " SET status = 'superseded' WHERE status = 'running'"
    ))
    .execute(&mut *conn)
    .await?;
    let id: i64 = sqlx::query_scalar(concat!(
        "INSERT INTO ",
        crate::own_names::history_table!(),
        " (plan_hash, steps, plan_file, schema_hash) VALUES ($1, $2, $3, $4) RETURNING id"
    ))
    .bind(hash)
    .bind(statements)
    .bind(origin.plan_file.as_deref())
    .bind(origin.schema_hash.as_deref())
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
    sqlx::raw_sql(&step_done_sql(run, index))
        .execute(conn)
        .await?;
    Ok(())
}

/// The statement that records step `index` (0-based) of `run` as done, for a transaction that
/// sends it with the step's own statements (two integers: nothing to quote).
pub fn step_done_sql(run: i64, index: usize) -> String {
    format!(
        concat!(
            "UPDATE ",
            crate::own_names::history_table!(),
            " SET completed_steps = {}, backfill_cursor = NULL WHERE id = {}"
        ),
        index + 1,
        run
    )
}

/// Saves the backfill cursor after a committed batch.
pub async fn save_cursor(
    conn: &mut PgConnection,
    run: i64,
    cursor: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(concat!(
        "UPDATE ",
        crate::own_names::history_table!(),
        " SET backfill_cursor = $2 WHERE id = $1"
    ))
    .bind(run)
    .bind(cursor)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn finish(conn: &mut PgConnection, run: i64, status: &str) -> Result<(), sqlx::Error> {
    sqlx::query(concat!(
        "UPDATE ",
        crate::own_names::history_table!(),
        " SET status = $2, finished_at = now() WHERE id = $1"
    ))
    .bind(run)
    .bind(status)
    .execute(conn)
    .await?;
    Ok(())
}
