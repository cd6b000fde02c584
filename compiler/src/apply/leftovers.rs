//! What interrupted runs leave behind, found in the live database and removed.
//!
//! A run that is continued finishes its own plan and leaves nothing. A run that is superseded (the
//! schema changed before `apply` ran again) may leave schemac's own objects, which introspection
//! does not see and so no new plan drops: fill triggers and their functions (`schemac_*_fill`),
//! NOT VALID checks (`schemac_*_not_null`). And a concurrent index build that died leaves an
//! INVALID index that introspection reports as if it were there, so no plan would build it again
//! (ONLINE-SAFETY.md, R3 and R4).

use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};

use super::error::ApplyError;
use super::executor::{backoff, database_message, is_lock_timeout, ApplyOptions};
use crate::catalog::{Catalog, QualifiedName};
use crate::sql;

/// INVALID indexes that the schema declares (as an index, a unique or a primary key), dropped
/// concurrently so that the plan made next builds them again. Indexes still being built by some
/// session are left alone. Returns the names dropped.
pub async fn drop_invalid_indexes(
    conn: &mut PgConnection,
    desired: &Catalog,
) -> Result<Vec<QualifiedName>, ApplyError> {
    let invalid: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT n.nspname::text, t.relname::text, c.relname::text
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE NOT i.indisvalid
           AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid)
         ORDER BY 1, 2, 3",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut dropped = Vec::new();
    for (schema, table, index) in invalid {
        let declared = desired
            .table(&QualifiedName::new(schema.clone(), table))
            .is_some_and(|t| {
                t.indexes.iter().any(|i| i.name == index)
                    || t.uniques.iter().any(|u| u.name == index)
                    || t.primary_key.as_ref().is_some_and(|pk| pk.name == index)
            });
        if !declared {
            continue;
        }
        let name = QualifiedName::new(schema, index);
        // Not in a transaction, and without a lock timeout: its waits do not block reads or writes.
        sqlx::raw_sql("SET lock_timeout = 0")
            .execute(&mut *conn)
            .await?;
        let drop = format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {}",
            sql::qualified(&name)
        );
        sqlx::raw_sql(&drop)
            .execute(&mut *conn)
            .await
            .map_err(|e| cleanup_error(&name.to_string(), &e))?;
        dropped.push(name);
    }
    Ok(dropped)
}

/// `schemac_*_not_null` checks left NOT VALID or not yet dropped by a superseded run; the plan made
/// next adds its own where it needs one. Returns `table.check` for each one dropped.
pub async fn drop_leftover_checks(
    conn: &mut PgConnection,
    options: &ApplyOptions,
    on_retry: &mut (dyn FnMut(u32, Duration) + Send),
) -> Result<Vec<String>, ApplyError> {
    let checks: Vec<(String, String, String)> = sqlx::query_as(
        r"SELECT n.nspname::text, t.relname::text, con.conname::text
         FROM pg_constraint con
         JOIN pg_class t ON t.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE con.contype = 'c' AND con.conname LIKE 'schemac\_%\_not\_null'
         ORDER BY 1, 2, 3",
    )
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

/// Fill triggers (`schemac_*_fill`) and their functions that no plan needs any more: called after
/// a run finished, when every column they filled is complete. Returns what was dropped.
pub async fn drop_leftover_triggers(
    conn: &mut PgConnection,
    options: &ApplyOptions,
    on_retry: &mut (dyn FnMut(u32, Duration) + Send),
) -> Result<Vec<String>, ApplyError> {
    let triggers: Vec<(String, String, String)> = sqlx::query_as(
        r"SELECT n.nspname::text, t.relname::text, tg.tgname::text
         FROM pg_trigger tg
         JOIN pg_class t ON t.oid = tg.tgrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE NOT tg.tgisinternal AND tg.tgname LIKE 'schemac\_%\_fill'
         ORDER BY 1, 2, 3",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut dropped = Vec::new();
    for (schema, table, trigger) in triggers {
        let table = QualifiedName::new(schema, table);
        let object = format!("trigger {trigger} on {table}");
        let statement = format!(
            "DROP TRIGGER IF EXISTS {} ON {}",
            sql::ident(&trigger),
            sql::qualified(&table)
        );
        brief(conn, &[statement], &object, options, on_retry).await?;
        dropped.push(object);
    }
    let functions: Vec<(String, String)> = sqlx::query_as(
        r"SELECT n.nspname::text, p.proname::text
         FROM pg_proc p
         JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.proname LIKE 'schemac\_%\_fill' AND p.pronargs = 0 AND p.prorettype = 'trigger'::regtype
           AND NOT EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgfoid = p.oid)
         ORDER BY 1, 2",
    )
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
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut tx = conn.begin().await?;
        let setting = format!(
            "SET LOCAL lock_timeout = '{}ms'",
            options.lock_timeout.as_millis().max(1)
        );
        sqlx::raw_sql(&setting).execute(&mut *tx).await?;
        let mut failed = None;
        for statement in statements {
            if let Err(error) = sqlx::raw_sql(statement).execute(&mut *tx).await {
                failed = Some(error);
                break;
            }
        }
        let Some(error) = failed else {
            tx.commit().await?;
            return Ok(());
        };
        tx.rollback().await?;
        if !is_lock_timeout(&error) {
            return Err(cleanup_error(object, &error));
        }
        if attempt >= options.lock_attempts {
            return Err(ApplyError::Cleanup {
                object: object.to_string(),
                message: format!(
                    "its lock was not granted within {attempt} attempts ({} ms in all)",
                    started.elapsed().as_millis()
                ),
            });
        }
        let wait = backoff(attempt);
        on_retry(attempt, wait);
        tokio::time::sleep(wait).await;
    }
}

fn cleanup_error(object: &str, error: &sqlx::Error) -> ApplyError {
    ApplyError::Cleanup {
        object: object.to_string(),
        message: database_message(error),
    }
}
