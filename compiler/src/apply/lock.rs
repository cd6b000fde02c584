//! The advisory lock that keeps two applies from interleaving: the second waits, then plans against
//! what the first left.

use sqlx::PgConnection;

/// Key of schemac's session-level advisory lock (an arbitrary constant, the same for every run).
const APPLY_LOCK_KEY: i64 = 0x5c4e_3a1c_0000_0001;

/// Waits for and takes the apply lock for this session.
pub async fn acquire(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(APPLY_LOCK_KEY)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the lock if free; false when another apply holds it.
pub async fn try_acquire(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(APPLY_LOCK_KEY)
        .fetch_one(conn)
        .await
}

pub async fn release(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(APPLY_LOCK_KEY)
        .execute(conn)
        .await?;
    Ok(())
}
