//! SQL helpers for the proofs: every statement runs inside the proof's transaction, and a statement
//! that may fail runs in a savepoint so that the transaction carries on.

use sqlx::{Executor, PgConnection};

/// Runs a statement that must succeed.
pub async fn exec(conn: &mut PgConnection, sql: &str) -> Result<(), sqlx::Error> {
    conn.execute(sql).await.map(|_| ())
}

/// Runs `sql` in a savepoint: rows affected, or the error (the transaction carries on).
pub async fn attempt(
    conn: &mut PgConnection,
    sql: &str,
) -> Result<Result<u64, DbError>, sqlx::Error> {
    exec(conn, "SAVEPOINT attempt").await?;
    match conn.execute(sql).await {
        Ok(done) => {
            exec(conn, "RELEASE SAVEPOINT attempt").await?;
            Ok(Ok(done.rows_affected()))
        }
        Err(error) => {
            exec(conn, "ROLLBACK TO SAVEPOINT attempt").await?;
            exec(conn, "RELEASE SAVEPOINT attempt").await?;
            Ok(Err(DbError::from(&error)))
        }
    }
}

/// `count(*)` (or any single bigint) from `sql`, or the error, in a savepoint.
pub async fn count(
    conn: &mut PgConnection,
    sql: &str,
) -> Result<Result<i64, DbError>, sqlx::Error> {
    exec(conn, "SAVEPOINT attempt").await?;
    match sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&mut *conn)
        .await
    {
        Ok(n) => {
            exec(conn, "RELEASE SAVEPOINT attempt").await?;
            Ok(Ok(n))
        }
        Err(error) => {
            exec(conn, "ROLLBACK TO SAVEPOINT attempt").await?;
            exec(conn, "RELEASE SAVEPOINT attempt").await?;
            Ok(Err(DbError::from(&error)))
        }
    }
}

/// An error's SQLSTATE and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    pub code: String,
    pub message: String,
}

impl DbError {
    pub fn from(error: &sqlx::Error) -> DbError {
        match error.as_database_error() {
            Some(db) => DbError {
                code: db.code().map(|c| c.to_string()).unwrap_or_default(),
                message: db.message().to_string(),
            },
            None => DbError {
                code: String::new(),
                message: error.to_string(),
            },
        }
    }

    /// `new row violates row-level security policy ...` (SQLSTATE 42501).
    pub fn is_policy_violation(&self) -> bool {
        self.code == "42501" && self.message.contains("row-level security")
    }
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error {}: {}", self.code, self.message)
    }
}

/// A query's outcome in a message: `3` or `error 42501: ...`.
pub fn shown<T: std::fmt::Display>(result: &Result<T, DbError>) -> String {
    match result {
        Ok(v) => v.to_string(),
        Err(e) => e.to_string(),
    }
}
