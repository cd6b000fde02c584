//! PostgreSQL's client programs (`psql`, `pg_dump`), found as a user's shell finds them: on
//! `PATH`, else the newest that PostgreSQL's Debian packages install.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `program` on PATH, else in the newest `/usr/lib/postgresql/<version>/bin`.
pub fn program(program: &str) -> PathBuf {
    let on_path = Command::new(program).arg("--version").output();
    if on_path.is_ok_and(|o| o.status.success()) {
        return PathBuf::from(program);
    }
    let mut installed: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin").join(program)))
        })
        .filter(|(_, p)| p.exists())
        .collect();
    installed.sort();
    installed
        .pop()
        .map(|(_, path)| path)
        .unwrap_or_else(|| panic!("{program} is installed (postgresql-client)"))
}

/// Runs the SQL file `path` on the database at `url` with plain `psql`, stopping at the first
/// error, as a user loads a dump.
pub fn psql_file(url: &str, path: &Path) {
    let output = Command::new(program("psql"))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "--dbname", url, "-f"])
        .arg(path)
        .output()
        .expect("psql runs");
    assert!(
        output.status.success(),
        "psql -f {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}
