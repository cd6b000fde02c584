//! Which PostgreSQL server hosts the test databases, decided once per test process.
//!
//! Order: `SCHEMAC_TEST_SERVER=cluster` forces a throwaway cluster; else `DATABASE_URL` when set;
//! else the local server at 127.0.0.1:5432 when it answers; else a throwaway cluster. When nothing
//! works every test fails with one message listing what was tried — database tests never skip.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use sqlx::{Connection, PgConnection};

use schemac::cluster;

/// The server tried when `DATABASE_URL` is not set.
pub const LOCAL_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// `cluster` forces the throwaway cluster, to prove that path works.
pub const FORCE_ENV: &str = "SCHEMAC_TEST_SERVER";

/// Where the server came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerKind {
    /// The URL in `DATABASE_URL`.
    DatabaseUrl,
    /// The server at [`LOCAL_URL`].
    Local,
    /// A cluster this process started, reachable only through a Unix socket in `dir`; it is
    /// stopped and `dir` removed after the process exits.
    Cluster { dir: PathBuf },
}

/// The server hosting this process's test databases.
#[derive(Debug, Clone)]
pub struct Server {
    pub kind: ServerKind,
    /// The maintenance database, used to create and drop test databases.
    pub admin_url: String,
}

impl Server {
    /// The URL of database `name` on this server.
    pub fn database_url(&self, name: &str) -> String {
        match &self.kind {
            ServerKind::Cluster { dir } => socket_url(dir, name),
            ServerKind::DatabaseUrl | ServerKind::Local => match url::Url::parse(&self.admin_url) {
                Ok(mut url) => {
                    url.set_path(&format!("/{name}"));
                    url.to_string()
                }
                // Discovery connected with this URL, so sqlx parsed it; url must too.
                Err(e) => panic!("cannot parse {}: {e}", redact(&self.admin_url)),
            },
        }
    }

    /// A one-line description for messages; passwords are never shown.
    pub fn describe(&self) -> String {
        let how = match &self.kind {
            ServerKind::DatabaseUrl => "DATABASE_URL",
            ServerKind::Local => "local server",
            ServerKind::Cluster { .. } => "throwaway cluster",
        };
        format!("{how} {}", redact(&self.admin_url))
    }
}

/// The server for this process, discovered on first use. Panics, saying what was tried and how to
/// fix it, when there is none.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    // Discovery runs its own runtime on its own thread, so it works from inside any test runtime.
    let found = SERVER.get_or_init(|| {
        std::thread::spawn(discover)
            .join()
            .unwrap_or_else(|_| Err("server discovery panicked".to_string()))
    });
    match found {
        Ok(server) => server,
        Err(message) => panic!("{message}"),
    }
}

fn discover() -> Result<Server, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime for server discovery: {e}"))?;
    let server = match std::env::var(FORCE_ENV)
        .ok()
        .filter(|v| !v.is_empty())
        .as_deref()
    {
        Some("cluster") => start_cluster(&runtime).map_err(|e| {
            format!("{FORCE_ENV}=cluster is set but the throwaway cluster did not start: {e}")
        })?,
        Some(other) => {
            return Err(format!(
                "{FORCE_ENV}={other:?} is not supported; the only value is `cluster`"
            ))
        }
        None => find_server(&runtime)?,
    };
    eprintln!("schemac tests use the {}", server.describe());
    Ok(server)
}

fn find_server(runtime: &tokio::runtime::Runtime) -> Result<Server, String> {
    if let Some(url) = std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty()) {
        // The user chose this server: failing loudly beats quietly testing against another one.
        return match runtime.block_on(probe(&url, Duration::from_secs(10))) {
            Ok(()) => Ok(Server {
                kind: ServerKind::DatabaseUrl,
                admin_url: url,
            }),
            Err(e) => Err(format!(
                "DATABASE_URL is set to {} but connecting failed: {e}\n\
                 fix the URL (a role that may CREATE DATABASE) or unset it to use a local server",
                redact(&url)
            )),
        };
    }
    let local = match runtime.block_on(probe(LOCAL_URL, Duration::from_secs(3))) {
        Ok(()) => {
            return Ok(Server {
                kind: ServerKind::Local,
                admin_url: LOCAL_URL.to_string(),
            })
        }
        Err(e) => e,
    };
    start_cluster(runtime).map_err(|cluster| {
        format!(
            "no PostgreSQL server for the tests. Tried, in order:\n\
             1. DATABASE_URL: not set\n\
             2. the local server {LOCAL_URL}: {local}\n\
             3. a throwaway cluster on a Unix socket: {cluster}\n\
             Fix one of them: set DATABASE_URL=postgres://USER@HOST/DB (a role that may CREATE \
             DATABASE), start PostgreSQL on 127.0.0.1:5432 with trust auth for `postgres`, or \
             install the server binaries initdb and pg_ctl (Debian: apt-get install postgresql)."
        )
    })
}

fn start_cluster(runtime: &tokio::runtime::Runtime) -> Result<Server, String> {
    let dir = cluster::start()?;
    let admin_url = socket_url(&dir, "postgres");
    runtime
        .block_on(probe(&admin_url, Duration::from_secs(10)))
        .map_err(|e| format!("it started in {} but connecting failed: {e}", dir.display()))?;
    Ok(Server {
        kind: ServerKind::Cluster { dir },
        admin_url,
    })
}

async fn probe(url: &str, timeout: Duration) -> Result<(), String> {
    let mut conn = tokio::time::timeout(timeout, PgConnection::connect(url))
        .await
        .map_err(|_| format!("no answer within {timeout:?}"))?
        .map_err(|e| e.to_string())?;
    conn.ping().await.map_err(|e| e.to_string())?;
    let _ = conn.close().await;
    Ok(())
}

fn socket_url(dir: &Path, database: &str) -> String {
    cluster::socket_url(dir, database)
}

/// `url` without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Fails only for URLs that cannot have a password, and this one has one.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => "<unparsable URL>".to_string(),
    }
}

/// A second server, for tests that need two (fleets): a throwaway cluster on a Unix socket, started
/// once per test process and removed after it exits. Its maintenance database's URL; panics saying
/// why when it cannot start.
pub fn second_server() -> &'static Server {
    static SECOND: OnceLock<Result<Server, String>> = OnceLock::new();
    let found = SECOND.get_or_init(|| {
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start a runtime: {e}"))?;
            start_cluster(&runtime)
                .map_err(|e| format!("the second server (a throwaway cluster) did not start: {e}"))
        })
        .join()
        .unwrap_or_else(|_| Err("starting the second server panicked".to_string()))
    });
    match found {
        Ok(server) => server,
        Err(message) => panic!("{message}"),
    }
}
