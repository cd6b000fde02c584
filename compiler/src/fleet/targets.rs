//! The targets file (CLI.md, "Fleets"): TOML with `[[target]]` entries (a database by URL, with an
//! optional name) and `[[server]]` entries (every database on a server whose name is LIKE a
//! pattern). In: the file's text; out: `TargetsFile`, then `Target`s once each server's databases
//! are known. URLs are kept as written: passwords come from them or from PGPASSWORD/.pgpass at
//! connect time, and nothing here ever formats a URL into a message.

use std::fmt;

use serde::Deserialize;

/// A targets file as written.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetsFile {
    /// Databases named one by one.
    #[serde(default, rename = "target")]
    pub targets: Vec<TargetEntry>,
    /// Servers whose matching databases are all targets.
    #[serde(default, rename = "server")]
    pub servers: Vec<Server>,
}

/// One `[[target]]` entry.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetEntry {
    /// Defaults to `host/dbname`.
    pub name: Option<String>,
    pub url: String,
}

/// One `[[server]]` entry.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// Prefix of its targets' names (`<name>/<dbname>`); defaults to the host.
    pub name: Option<String>,
    /// Any database on the server, to list the others from.
    pub url: String,
    /// A `LIKE` pattern over database names (`tenant_%`).
    pub databases: String,
}

/// One database of the fleet.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    /// Unique in the fleet; what every report shows.
    pub name: String,
    /// Its URL, as written or derived from a server's; may hold a password: never print it.
    pub url: String,
    /// The server it lives on (`host:port`), for per-server connection limits.
    pub server: String,
    /// The database's name on that server.
    pub database: String,
}

impl fmt::Debug for Target {
    // The URL may hold a password; leave it out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("name", &self.name)
            .field("server", &self.server)
            .finish()
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("name", &self.label())
            .field("databases", &self.databases)
            .finish()
    }
}

/// A targets file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TargetsError {
    #[error("the targets file is not valid TOML: {0}")]
    Toml(String),
    #[error("`{url}` is not a PostgreSQL URL (in {entry})")]
    BadUrl { entry: String, url: String },
    #[error("target name `{0}` is used twice")]
    DuplicateName(String),
    #[error("the targets file names no target and no server")]
    Empty,
}

impl TargetsFile {
    /// Parses a targets file. Error text never shows a password, even one in a URL near the error.
    pub fn parse(text: &str) -> Result<TargetsFile, TargetsError> {
        let file: TargetsFile = toml::from_str(text)
            .map_err(|e| TargetsError::Toml(scrub_passwords(&e.to_string())))?;
        if file.targets.is_empty() && file.servers.is_empty() {
            return Err(TargetsError::Empty);
        }
        for (index, entry) in file.targets.iter().enumerate() {
            check_url(&entry.url, || format!("target {}", index + 1))?;
        }
        for (index, server) in file.servers.iter().enumerate() {
            check_url(&server.url, || format!("server {}", index + 1))?;
        }
        Ok(file)
    }

    /// The `[[target]]` entries as targets (servers are expanded by [`server_targets`]).
    pub fn named_targets(&self) -> Vec<Target> {
        self.targets
            .iter()
            .map(|entry| {
                let parts = UrlParts::of(&entry.url);
                Target {
                    name: entry
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("{}/{}", parts.host, parts.database)),
                    url: entry.url.clone(),
                    server: parts.server(),
                    database: parts.database,
                }
            })
            .collect()
    }
}

impl Server {
    /// The server's name in reports: its `name`, else its host.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| UrlParts::of(&self.url).host)
    }

    /// The server's key for per-server limits (`host:port`).
    pub fn key(&self) -> String {
        UrlParts::of(&self.url).server()
    }
}

/// The targets of a server, given the names of its databases that match its pattern (in the order
/// given): `<server label>/<dbname>`, with the server's URL pointed at each database.
pub fn server_targets(server: &Server, databases: &[String]) -> Vec<Target> {
    let label = server.label();
    databases
        .iter()
        .filter_map(|database| {
            let mut url = url::Url::parse(&server.url).ok()?;
            url.set_path(&format!("/{}", encode_path(database)));
            Some(Target {
                name: format!("{label}/{database}"),
                url: url.to_string(),
                server: server.key(),
                database: database.clone(),
            })
        })
        .collect()
}

/// Joins named targets and server targets: the same database (server and name) listed twice is
/// kept once (first wins); two different databases under one name are an error.
pub fn merge(lists: Vec<Vec<Target>>) -> Result<Vec<Target>, TargetsError> {
    let mut merged: Vec<Target> = Vec::new();
    for target in lists.into_iter().flatten() {
        if merged
            .iter()
            .any(|t| t.server == target.server && t.database == target.database)
        {
            continue;
        }
        if merged.iter().any(|t| t.name == target.name) {
            return Err(TargetsError::DuplicateName(target.name));
        }
        merged.push(target);
    }
    Ok(merged)
}

/// Percent-encodes what a URL path cannot hold as is, so any database name survives.
fn encode_path(name: &str) -> String {
    let mut out = String::new();
    for byte in name.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'~' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn check_url(url: &str, entry: impl Fn() -> String) -> Result<(), TargetsError> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "postgres" | "postgresql") => Ok(()),
        _ => Err(TargetsError::BadUrl {
            entry: entry(),
            url: scrub_passwords(url),
        }),
    }
}

/// What names a database in a URL.
struct UrlParts {
    /// The host, the `host` query parameter (a socket dir), else `localhost`.
    host: String,
    port: u16,
    database: String,
}

impl UrlParts {
    fn of(url: &str) -> UrlParts {
        let parsed = url::Url::parse(url).ok();
        let query_host = parsed.as_ref().and_then(|u| {
            u.query_pairs()
                .find(|(key, _)| key == "host")
                .map(|(_, value)| value.into_owned())
        });
        let host = parsed
            .as_ref()
            .and_then(|u| u.host_str().filter(|h| !h.is_empty()).map(str::to_string))
            .or(query_host)
            .unwrap_or_else(|| "localhost".to_string());
        let port = parsed.as_ref().and_then(url::Url::port).unwrap_or(5432);
        // As libpq: the database defaults to the user's name.
        let database = parsed
            .as_ref()
            .map(|u| u.path().trim_start_matches('/').to_string())
            .filter(|d| !d.is_empty())
            .or_else(|| {
                parsed
                    .as_ref()
                    .map(|u| u.username().to_string())
                    .filter(|user| !user.is_empty())
            })
            .unwrap_or_else(|| "postgres".to_string());
        let database = percent_decode(&database);
        UrlParts {
            host,
            port,
            database,
        }
    }

    fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 3 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap_or("");
            if let Ok(byte) = u8::from_str_radix(hex, 16) {
                out.push(byte);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Masks the password of every `scheme://user:password@` in `text` as `***`.
pub fn scrub_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends at the first character a URL cannot have in it unencoded.
        let end = after
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\''
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at_sign), Some(colon)) if colon < at_sign => {
                out.push_str(&authority[..=colon]);
                out.push_str("***");
                out.push_str(&authority[at_sign..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[target]]
name = "eu-1/acme"
url  = "postgres://app@db-eu-1:5432/acme"

[[target]]
url  = "postgres://app:s3cret@db-eu-1/globex"

[[server]]
name      = "eu-2"
url       = "postgres://app@db-eu-2:6432/postgres"
databases = "tenant_%"
"#;

    #[test]
    fn targets_are_named_and_keyed_by_server() {
        let file = TargetsFile::parse(FILE).unwrap();
        let named = file.named_targets();
        assert_eq!(named[0].name, "eu-1/acme");
        assert_eq!(named[0].server, "db-eu-1:5432");
        assert_eq!(named[1].name, "db-eu-1/globex");
        let servers = server_targets(&file.servers[0], &["tenant_1".into(), "tenant 2".into()]);
        assert_eq!(servers[0].name, "eu-2/tenant_1");
        assert_eq!(servers[0].url, "postgres://app@db-eu-2:6432/tenant_1");
        assert_eq!(servers[1].url, "postgres://app@db-eu-2:6432/tenant%202");
        assert_eq!(servers[1].server, "db-eu-2:6432");
        assert!(!format!("{named:?}").contains("s3cret"));
    }

    #[test]
    fn socket_urls_keep_their_host_parameter() {
        let server = Server {
            name: None,
            url: "postgres:///postgres?host=/tmp/pg".into(),
            databases: "%".into(),
        };
        assert_eq!(server.label(), "/tmp/pg");
        let targets = server_targets(&server, &["t1".into()]);
        assert_eq!(targets[0].url, "postgres:///t1?host=/tmp/pg");
    }

    #[test]
    fn the_same_database_twice_is_kept_once_and_names_must_be_unique() {
        let file = TargetsFile::parse(FILE).unwrap();
        let named = file.named_targets();
        let merged = merge(vec![named.clone(), named.clone()]).unwrap();
        assert_eq!(merged.len(), 2);
        let mut renamed = named[1].clone();
        renamed.name = "eu-1/acme".into();
        renamed.database = "other".into();
        assert!(matches!(
            merge(vec![named, vec![renamed]]),
            Err(TargetsError::DuplicateName(_))
        ));
    }

    #[test]
    fn errors_never_show_a_password() {
        let error =
            TargetsFile::parse("[[target]]\nurl = \"postgres://a:hunter2@h/db\"\nport = 1\n")
                .err()
                .unwrap()
                .to_string();
        assert!(!error.contains("hunter2"), "{error}");
        let error = TargetsFile::parse("[[target]]\nurl = \"mysql://a:hunter2@h/db\"\n")
            .err()
            .unwrap()
            .to_string();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(matches!(TargetsFile::parse(""), Err(TargetsError::Empty)));
        assert_eq!(
            scrub_passwords("at postgres://u:p@ss@h:1/d and http://x/y"),
            "at postgres://u:***@h:1/d and http://x/y"
        );
    }
}
