//! What interrupted runs leave behind, found in the live database and removed.
//!
//! A run that is continued finishes its own plan and leaves nothing. A run that is superseded (the
//! schema changed before `apply` ran again) may leave schemac's own objects, which introspection
//! does not see or would drop as a destructive change: fill functions whose trigger is gone
//! (`schemac_*_fill`; the triggers themselves are planned), NOT VALID checks (`schemac_*_not_null`) (ONLINE-SAFETY.md, R4). INVALID
//! indexes are not here: introspection marks them and the plan rebuilds them.

use std::time::Duration;

use sqlx::{Connection, PgConnection};

use super::error::ApplyError;
use super::executor::{database_message, execute_all, ApplyOptions};
use super::retry::{is_lock_timeout, LockRetry};
use crate::catalog::QualifiedName;
use crate::plan::brief_settings;
use crate::sql;

/// `schemac_*_not_null` checks left NOT VALID or not yet dropped by a superseded run; the plan made
/// next adds its own where it needs one. Returns `table.check` for each one dropped.
pub async fn drop_leftover_checks(
    conn: &mut PgConnection,
    options: &ApplyOptions,
    on_retry: &mut (dyn FnMut(u32, Duration) + Send),
) -> Result<Vec<String>, ApplyError> {
    let checks: Vec<(String, String, String)> = sqlx::query_as(concat!(
        "SELECT n.nspname::text, t.relname::text, con.conname::text
         FROM pg_constraint con
         JOIN pg_class t ON t.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE con.contype = 'c' AND con.conname LIKE '",
        crate::own_names::own_not_null_like!(),
        "'
         ORDER BY 1, 2, 3",
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut dropped = Vec::new();
    for (schema, table, check) in checks {
        let table = QualifiedName::new(schema, table);
        let object = format!("{table}.{check}");
        let statement = format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
            sql::qualified(&table),
            sql::ident(&check)
        );
        brief(conn, &[statement], &object, options, on_retry).await?;
        dropped.push(object);
    }
    Ok(dropped)
}

/// Fill functions (`schemac_*_fill`) that no trigger uses any more (their table was dropped, or
/// an interrupted run's trigger was dropped by a later plan): called after a run finished. Fill
/// triggers themselves are desired state with `fill on` (LANGUAGE.md, "Fill triggers"), so the
/// plan creates and drops them; none is dropped here. Returns what was dropped.
pub async fn drop_leftover_triggers(
    conn: &mut PgConnection,
    options: &ApplyOptions,
    on_retry: &mut (dyn FnMut(u32, Duration) + Send),
) -> Result<Vec<String>, ApplyError> {
    let mut dropped = Vec::new();
    let functions: Vec<(String, String)> = sqlx::query_as(concat!(
        "SELECT n.nspname::text, p.proname::text
         FROM pg_proc p
         JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.proname LIKE '",
        crate::own_names::own_fill_like!(),
        "' AND p.pronargs = 0 AND p.prorettype = 'trigger'::regtype
           AND NOT EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgfoid = p.oid)
         ORDER BY 1, 2",
    ))
    .fetch_all(&mut *conn)
    .await?;
    for (schema, function) in functions {
        let function = QualifiedName::new(schema, function);
        let statement = format!("DROP FUNCTION IF EXISTS {}()", sql::qualified(&function));
        let object = format!("function {function}()");
        brief(conn, &[statement], &object, options, on_retry).await?;
        dropped.push(object);
    }
    Ok(dropped)
}

/// Brief DDL in one transaction under the run's lock timeout, retried with backoff within the same
/// bounded number of attempts as a step.
async fn brief(
    conn: &mut PgConnection,
    statements: &[String],
    object: &str,
    options: &ApplyOptions,
    on_retry: &mut (dyn FnMut(u32, Duration) + Send),
) -> Result<(), ApplyError> {
    let mut retry = LockRetry::new(options.lock_attempts);
    loop {
        let mut tx = conn.begin().await?;
        for setting in brief_settings(options.lock_timeout) {
            sqlx::raw_sql(&setting).execute(&mut *tx).await?;
        }
        let Some((_, error)) = execute_all(&mut tx, statements).await else {
            tx.commit().await?;
            return Ok(());
        };
        tx.rollback().await?;
        if !is_lock_timeout(&error) {
            return Err(cleanup_error(object, &error));
        }
        if !retry.wait(&mut *on_retry).await {
            return Err(ApplyError::Cleanup {
                object: object.to_string(),
                message: format!(
                    "its lock was not granted within {} attempts ({} ms in all)",
                    retry.attempts(),
                    retry.waited_ms()
                ),
            });
        }
    }
}

fn cleanup_error(object: &str, error: &sqlx::Error) -> ApplyError {
    ApplyError::Cleanup {
        object: object.to_string(),
        message: database_message(error),
    }
}
