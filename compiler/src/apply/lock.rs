//! The advisory lock that keeps two applies from interleaving: the second waits, then plans against
//! what the first left.
//!
//! The wait polls `pg_try_advisory_lock` between sleeps, outside any transaction, and never blocks
//! in `pg_advisory_lock`: a session blocked in that call is a transaction that the first apply's
//! `CREATE INDEX CONCURRENTLY` must wait for, while it waits for the lock that session holds — a
//! deadlock that the server breaks by failing one of them (ONLINE-SAFETY.md, R10).

use std::time::Duration;

use sqlx::PgConnection;

/// Key of schemac's session-level advisory lock (an arbitrary constant, the same for every run).
const APPLY_LOCK_KEY: i64 = 0x5c4e_3a1c_0000_0001;

/// Pause between two attempts to take the lock while another apply holds it.
const POLL: Duration = Duration::from_millis(250);

/// The session holding the apply lock, as `pg_stat_activity` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Holder {
    pub pid: i32,
    /// `active`, `idle`, `idle in transaction`, ...
    pub state: String,
    /// Its current (or last) statement, cut to 200 characters.
    pub query: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {} ({}): {}", self.pid, self.state, self.query)
    }
}

/// Waits for and takes the apply lock for this session, polling; `on_wait` is called once, with the
/// holder (when it can be named), if the lock is not free at the first attempt.
pub async fn acquire(
    conn: &mut PgConnection,
    on_wait: &mut (dyn FnMut(Option<Holder>) + Send),
) -> Result<(), sqlx::Error> {
    let mut told = false;
    loop {
        if try_acquire(conn).await? {
            return Ok(());
        }
        if !told {
            told = true;
            on_wait(holder(conn).await?);
        }
        // Jitter keeps several waiting applies from polling in step.
        tokio::time::sleep(POLL.mul_f64(0.75 + fastrand::f64() / 2.0)).await;
    }
}

/// Takes the lock if free; false when another apply holds it.
pub async fn try_acquire(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(APPLY_LOCK_KEY)
        .fetch_one(conn)
        .await
}

/// The other session holding the apply lock in this database, if any. A killed apply's server
/// session keeps the lock until it notices its client is gone (ONLINE-SAFETY.md, R9), so the waiter
/// names it.
pub async fn holder(conn: &mut PgConnection) -> Result<Option<Holder>, sqlx::Error> {
    // A bigint key is stored as classid = high 32 bits, objid = low 32 bits, objsubid = 1.
    let row: Option<(i32, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT l.pid, a.state, left(a.query, 200)
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
           AND l.classid = ($1 >> 32)::oid AND l.objid = ($1 & 4294967295)::oid
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.pid <> pg_backend_pid()
         LIMIT 1",
    )
    .bind(APPLY_LOCK_KEY)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(pid, state, query)| Holder {
        pid,
        state: state.unwrap_or_default(),
        query: query.unwrap_or_default(),
    }))
}

pub async fn release(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(APPLY_LOCK_KEY)
        .execute(conn)
        .await?;
    Ok(())
}
