//! The database URL and the connection. `DatabaseUrl` never shows its password: its `Display` and
//! `Debug` mask it, and error text from the driver is scrubbed of it before printing.

use std::fmt;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgConnection};

use crate::catalog::Catalog;
use crate::introspect::DecodeGate;

/// A PostgreSQL URL whose password is never printed.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// A URL as written (a fleet's targets file).
    pub fn new(url: impl Into<String>) -> DatabaseUrl {
        DatabaseUrl(url.into())
    }

    /// From `--database-url`, else `DATABASE_URL`.
    pub fn from_args(flag: Option<&str>) -> Option<DatabaseUrl> {
        flag.map(str::to_string)
            .or_else(|| std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty()))
            .map(DatabaseUrl)
    }

    fn password(&self) -> Option<String> {
        url::Url::parse(&self.0)
            .ok()
            .and_then(|u| u.password().map(str::to_string))
            .filter(|p| !p.is_empty())
    }

    /// Replaces the password wherever it appears in `text`.
    pub fn scrub(&self, text: &str) -> String {
        match self.password() {
            Some(password) => text.replace(&password, "***"),
            None => text.to_string(),
        }
    }

    /// Connects with `application_name = 'schemac'`, so its waits can be told apart in
    /// `pg_stat_activity`, and `row_security = off`.
    pub async fn connect(&self) -> Result<PgConnection, String> {
        self.connect_with(false, true).await.map_err(|e| e.message)
    }

    /// `connect`, with every transaction of the session read-only
    /// (`default_transaction_read_only = on`): what `plan`, `drift` and `introspect` use, so that
    /// nothing they run can write to the target, and they work on a hot standby.
    pub async fn connect_read_only(&self) -> Result<PgConnection, String> {
        self.connect_with(true, true).await.map_err(|e| e.message)
    }

    /// `connect_read_only`, and a second read-only session opened at the same time for
    /// introspection's helper (`introspect::catalog_with_helper`), when the server gives one: a
    /// role or pooler that allows a single session gets `None`, and reads on one.
    pub async fn connect_read_only_pair(
        &self,
    ) -> Result<(PgConnection, Option<PgConnection>), String> {
        // Neither attempt waits for a free slot: where the role allows one session, one of the two
        // takes it and the other is refused at once.
        match tokio::join!(
            self.connect_with(true, false),
            self.connect_with(true, false)
        ) {
            (Ok(main), helper) => Ok((main, helper.ok())),
            (Err(_), Ok(main)) => Ok((main, None)),
            // Refused for too many connections (the previous command's session not yet gone):
            // one session, waiting for the slot. Any other failure would fail again.
            (Err(first), Err(second)) if first.too_many || second.too_many => {
                let main = self.connect_with(true, true).await;
                Ok((main.map_err(|e| e.message)?, None))
            }
            (Err(first), Err(_)) => Err(first.message),
        }
    }

    /// Connects read-only (`connect_read_only_pair`) and reads the database's catalog, decoding
    /// the columns and keys once `gate` is open; the first session is kept for what follows
    /// (canonicalising, reading facts).
    pub async fn read_catalog(&self, gate: DecodeGate) -> Result<(PgConnection, Catalog), String> {
        let (mut conn, mut helper) = self.connect_read_only_pair().await?;
        let catalog = crate::introspect::catalog_after(&mut conn, helper.as_mut(), gate)
            .await
            .map_err(|e| self.scrub(&e.to_string()))?;
        Ok((conn, catalog))
    }

    /// How long one attempt to connect may take: libpq's `connect_timeout` (seconds), from the
    /// URL's query, else `PGCONNECT_TIMEOUT`; as in libpq, none when absent or 0 and at least 2 s.
    /// Without one, a server that accepts the connection and never answers is waited for ever.
    fn connect_timeout(&self) -> Result<Option<std::time::Duration>, String> {
        let in_url = url::Url::parse(&self.0).ok().and_then(|url| {
            url.query_pairs()
                .find(|(key, _)| key == "connect_timeout")
                .map(|(_, value)| value.into_owned())
        });
        let Some(value) = in_url.or_else(|| std::env::var("PGCONNECT_TIMEOUT").ok()) else {
            return Ok(None);
        };
        let seconds: u64 = value.trim().parse().map_err(|_| {
            format!("invalid connect_timeout `{value}` for {self}: a whole number of seconds")
        })?;
        Ok((seconds > 0).then(|| std::time::Duration::from_secs(seconds.max(2))))
    }

    /// Connects; with `wait_for_slot`, a refusal for too many connections (SQLSTATE 53300) is
    /// tried again for up to ~1.5 s: PostgreSQL ends a session's server process only after its
    /// client has gone, so a role allowed one session is refused for a moment after its previous
    /// command (`plan` then `drift` in a CI job) has exited.
    async fn connect_with(
        &self,
        read_only: bool,
        wait_for_slot: bool,
    ) -> Result<PgConnection, NotConnected> {
        let mut settings = vec![("row_security", "off")];
        if read_only {
            settings.push(("default_transaction_read_only", "on"));
        }
        let options = PgConnectOptions::from_str(&self.0)
            .map_err(|e| {
                NotConnected::new(self.scrub(&format!("invalid database URL {self}: {e}")))
            })?
            .application_name("schemac")
            // Facts, preflight checks and backfills must see every row. With row security off,
            // a role that row-level security would filter gets an error instead of a silently
            // partial answer (superusers and BYPASSRLS roles are not filtered).
            .options(settings);
        let limit = self.connect_timeout().map_err(NotConnected::new)?;
        let mut wait = std::time::Duration::from_millis(50);
        let mut conn = loop {
            let attempt = match limit {
                Some(limit) => match tokio::time::timeout(limit, options.connect()).await {
                    Ok(attempt) => attempt,
                    Err(_) => {
                        return Err(NotConnected::new(self.scrub(&format!(
                            "cannot connect to {self}: no answer within {} s (connect_timeout)",
                            limit.as_secs()
                        ))))
                    }
                },
                None => options.connect().await,
            };
            match attempt {
                Ok(conn) => break conn,
                Err(sqlx::Error::Database(error))
                    if wait_for_slot
                        && error.code().as_deref() == Some("53300")
                        && wait <= std::time::Duration::from_millis(800) =>
                {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Err(e) => {
                    let too_many = matches!(&e, sqlx::Error::Database(error)
                        if error.code().as_deref() == Some("53300"));
                    let message = self.scrub(&format!("cannot connect to {self}: {e}"));
                    return Err(NotConnected { message, too_many });
                }
            }
        };
        check_version(&mut conn)
            .await
            .map_err(|e| NotConnected::new(self.scrub(&format!("{self}: {e}"))))?;
        Ok(conn)
    }
}

/// Why a connection was not made (scrubbed of the password), and whether the server refused it
/// for too many connections, which a moment's wait can cure.
struct NotConnected {
    message: String,
    too_many: bool,
}

impl NotConnected {
    fn new(message: String) -> NotConnected {
        NotConnected {
            message,
            too_many: false,
        }
    }
}

/// The oldest PostgreSQL schemac supports: `ON DELETE SET NULL (col)` and the catalog columns it
/// reads are 15's.
const MIN_SERVER_VERSION: i32 = 150_000;

/// Refuses a server older than PostgreSQL 15, saying which version it is.
async fn check_version(conn: &mut PgConnection) -> Result<(), String> {
    let (number, text): (String, String) = sqlx::query_as(
        "select pg_catalog.current_setting('server_version_num'), \
         pg_catalog.current_setting('server_version')",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| format!("cannot read the server version: {e}"))?;
    match number.trim().parse::<i32>() {
        Ok(n) if n >= MIN_SERVER_VERSION => Ok(()),
        _ => Err(format!(
            "PostgreSQL {text} is not supported: schemac needs PostgreSQL 15 or later (15, 16, 17, 18)"
        )),
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut parsed) => {
                if parsed.password().is_some() {
                    let _ = parsed.set_password(Some("***"));
                }
                write!(f, "{parsed}")
            }
            Err(_) => f.write_str("<database URL>"),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_never_shown() {
        let url = DatabaseUrl("postgres://app:s3cret@db.example:5432/prod".into());
        assert!(!format!("{url}").contains("s3cret"));
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(url.scrub("failed for s3cret"), "failed for ***");
    }

    #[test]
    fn connect_timeout_is_read_as_libpq_reads_it() {
        let timeout = |url: &str| DatabaseUrl(url.into()).connect_timeout();
        let seconds = |n| Ok(Some(std::time::Duration::from_secs(n)));
        assert_eq!(timeout("postgres://h/db?connect_timeout=5"), seconds(5));
        assert_eq!(
            timeout("postgres://h/db?sslmode=disable&connect_timeout=1"),
            seconds(2)
        );
        assert_eq!(timeout("postgres://h/db?connect_timeout=0"), Ok(None));
        assert!(timeout("postgres://h/db?connect_timeout=soon").is_err());
    }
}
