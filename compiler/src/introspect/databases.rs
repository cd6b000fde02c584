//! The databases of a server whose names are `LIKE` a pattern (a fleet's `[[server]]` entry):
//! those that accept connections and are not templates, by name.

use sqlx::PgConnection;

/// Names of the server's databases that match `pattern` (SQL `LIKE`), sorted by name.
pub async fn databases(conn: &mut PgConnection, pattern: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT datname::text FROM pg_catalog.pg_database
         WHERE datname LIKE $1 AND datallowconn AND NOT datistemplate
         ORDER BY datname COLLATE \"C\"",
    )
    .bind(pattern)
    .fetch_all(conn)
    .await
}
