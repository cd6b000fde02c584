//! Support shared by every integration test file (`mod support;`).
//!
//! [`TestDb`] gives each database test its own fresh PostgreSQL database, named after the test, and
//! drops it when the test ends — also when the test panics. Which server hosts those databases is
//! decided once per test process (see [`server`]): `DATABASE_URL`, else the local server on
//! 127.0.0.1:5432, else a throwaway cluster on a Unix socket; if none works, tests fail saying so.

// Every test binary compiles this module but uses only some of its helpers.
#![allow(dead_code)]

pub mod cli;
pub mod interrupt;
mod server;

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection, Executor, PgConnection, Row};

#[allow(unused_imports)] // only the fleet tests use a second server
pub use server::second_server;
#[allow(unused_imports)] // not every test binary names every type
pub use server::{server, Server, ServerKind};

/// Identifiers longer than this are silently truncated by PostgreSQL.
const MAX_IDENT_BYTES: usize = 63;
/// Marks databases made by [`TestDb`], so leftovers are easy to recognise on a shared server.
const NAME_PREFIX: &str = "st_";
const SUFFIX_LEN: usize = 8;
/// Set to keep every test database after the test (its URL is printed) for debugging.
const KEEP_ENV: &str = "SCHEMAC_TEST_KEEP_DB";

/// A fresh, uniquely named database that is dropped (`WITH (FORCE)`) when this value is dropped.
#[derive(Debug)]
pub struct TestDb {
    name: String,
    url: String,
    admin_url: String,
}

impl TestDb {
    /// Creates a database named after the current test (the test thread's name).
    pub async fn new() -> TestDb {
        let thread = std::thread::current();
        TestDb::named(thread.name().unwrap_or("test")).await
    }

    /// Creates a database whose name starts with `label`, sanitised to a valid identifier.
    pub async fn named(label: &str) -> TestDb {
        let server = server();
        let name = database_name(label, &random_suffix());
        let mut admin = connect_url(&server.admin_url).await;
        let sql = format!(
            "CREATE DATABASE {} TEMPLATE template0",
            schemac::sql::ident(&name)
        );
        if let Err(e) = admin.execute(sql.as_str()).await {
            panic!(
                "test database {name} could not be created on {}: {e}",
                server.describe()
            );
        }
        // Closing politely is best effort; the connection is dropped either way.
        let _ = admin.close().await;
        TestDb {
            url: server.database_url(&name),
            admin_url: server.admin_url.clone(),
            name,
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A connection URL for this database.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// A connection URL for the server's maintenance database (for `CREATE`/`DROP DATABASE`).
    pub fn admin_url(&self) -> String {
        self.admin_url.clone()
    }

    /// A new connection to this database.
    pub async fn connect(&self) -> PgConnection {
        connect_url(&self.url).await
    }

    /// A small connection pool for this database.
    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot open a pool to test database {}: {e}", self.name))
    }

    /// Runs `sql` (any number of `;`-separated statements) with the simple query protocol.
    pub async fn execute(&self, sql: &str) {
        let mut conn = self.connect().await;
        // A `&str` without arguments goes over the simple query protocol, so `;` lists work.
        if let Err(e) = conn.execute(sql).await {
            panic!(
                "SQL failed in test database {}: {e}\n--- SQL ---\n{sql}",
                self.name
            );
        }
    }

    /// The single integer value (`smallint`, `integer` or `bigint`, not NULL) that `sql` returns.
    pub async fn query_scalar_i64(&self, sql: &str) -> i64 {
        let mut conn = self.connect().await;
        let row = sqlx::query(sql)
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("query failed in test database {}: {e}\n{sql}", self.name));
        scalar_i64(&row).unwrap_or_else(|e| panic!("{e}\n{sql}"))
    }

    /// The count a `select count(*) ...` query returns.
    pub async fn count(&self, sql: &str) -> i64 {
        self.query_scalar_i64(sql).await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if std::env::var_os(KEEP_ENV).is_some() {
            eprintln!("{KEEP_ENV} is set: keeping test database {}", self.url);
            return;
        }
        // Drop may run inside a test's runtime, where blocking on another future is not allowed:
        // a plain thread with its own runtime does the work, and joining it is an ordinary wait.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let outcome = std::thread::spawn(move || drop_database(&admin_url, &name)).join();
        let error = match outcome {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e,
            Err(_) => "the thread dropping it panicked".to_string(),
        };
        let message = format!("test database {} was not dropped: {error}", self.name);
        // A second panic while unwinding would abort the whole test binary; only report then.
        if std::thread::panicking() {
            eprintln!("{message}");
        } else {
            panic!("{message}");
        }
    }
}

/// `st_<label>_<suffix>`: only `[a-z0-9_]`, at most 63 bytes, keeping the end of long labels
/// (the test function name comes after its module path).
pub fn database_name(label: &str, suffix: &str) -> String {
    let mut clean = String::new();
    for c in label.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if !(c == '_' && clean.ends_with('_')) {
            clean.push(c);
        }
    }
    let clean = clean.trim_matches('_');
    let room = MAX_IDENT_BYTES - NAME_PREFIX.len() - 1 - suffix.len();
    // `clean` is ASCII, so any byte offset is a char boundary.
    let clean = &clean[clean.len().saturating_sub(room)..];
    let clean = clean.trim_start_matches('_');
    if clean.is_empty() {
        format!("{NAME_PREFIX}{suffix}")
    } else {
        format!("{NAME_PREFIX}{clean}_{suffix}")
    }
}

fn random_suffix() -> String {
    (0..SUFFIX_LEN)
        .map(|_| {
            let digit = fastrand::u32(..36);
            char::from_digit(digit, 36).unwrap_or('x')
        })
        .collect()
}

async fn connect_url(url: &str) -> PgConnection {
    match tokio::time::timeout(Duration::from_secs(30), PgConnection::connect(url)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!("cannot connect to {}: {e}", server::redact(url)),
        Err(_) => panic!("timed out connecting to {}", server::redact(url)),
    }
}

fn scalar_i64(row: &PgRow) -> Result<i64, String> {
    if row.len() != 1 {
        return Err(format!("expected exactly one column, got {}", row.len()));
    }
    let value = row
        .try_get::<Option<i64>, _>(0)
        .or_else(|_| row.try_get::<Option<i32>, _>(0).map(|v| v.map(i64::from)))
        .or_else(|_| row.try_get::<Option<i16>, _>(0).map(|v| v.map(i64::from)))
        .map_err(|e| format!("the column is not an integer: {e}"))?;
    value.ok_or_else(|| "the value is NULL".to_string())
}

/// Drops database `name` from a fresh single-threaded runtime on the calling thread.
fn drop_database(admin_url: &str, name: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    runtime.block_on(async {
        let connect = PgConnection::connect(admin_url);
        let mut admin = tokio::time::timeout(Duration::from_secs(30), connect)
            .await
            .map_err(|_| "timed out connecting to the server".to_string())?
            .map_err(|e| e.to_string())?;
        // FORCE ends the test's own connections that are still open (pools, leaked connections).
        let sql = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            schemac::sql::ident(name)
        );
        admin
            .execute(sql.as_str())
            .await
            .map_err(|e| e.to_string())?;
        let _ = admin.close().await;
        Ok(())
    })
}
