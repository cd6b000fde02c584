//! A throwaway PostgreSQL cluster: the test harness's server on machines without one, and the
//! dev database of `plan`, `drift` and `introspect` when an expression needs a server to print it
//! and no `--dev-url` is given (never the target: see `introspect::expressions`).
//!
//! `initdb` into a fresh temp dir (or a copy of the cluster it made last time: `template`),
//! `pg_ctl start` listening only on a Unix socket in that dir, trust
//! auth. Statics are never dropped, so cleanup cannot hang off a `Drop`: a small watchdog shell
//! waits for this process to exit, then stops the cluster and removes the dir. It starts before
//! `initdb`, so even a half-made cluster is removed. `initdb` refuses to run as root; as root the
//! server programs run as the `postgres` user, which owns the dir.

mod template;

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The socket is `<dir>/.s.PGSQL.5432`; the dir is private, so the usual port never clashes.
pub const PORT: u16 = 5432;
/// The OS user that runs the server programs when the tests run as root.
const SERVER_USER: &str = "postgres";

/// Waits for process `$1` to end, then stops the cluster in `$3` and removes `$2`.
const WATCHDOG: &str = r#"
trap '' INT HUP TERM
pid=$1 dir=$2 data=$3 pg_ctl=$4 runuser=$5 user=$6
while kill -0 "$pid" 2>/dev/null; do sleep 1; done
if [ -f "$data/postmaster.pid" ]; then
    if [ -n "$runuser" ]; then
        "$runuser" -u "$user" -- "$pg_ctl" stop -D "$data" -m immediate -s
    else
        "$pg_ctl" stop -D "$data" -m immediate -s
    fi
fi >/dev/null 2>&1
rm -rf "$dir"
"#;

/// The cluster this process shares for dev-database work, started on first use and removed when
/// the process exits (by the watchdog). Expressions are canonicalised in transactions that are
/// always rolled back, so concurrent users of it leave nothing behind for each other.
pub fn shared() -> Result<&'static Path, String> {
    static SHARED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    SHARED
        .get_or_init(start)
        .as_ref()
        .map(PathBuf::as_path)
        .map_err(Clone::clone)
}

/// `postgres:///<db>?host=<dir>&port=5432&user=postgres` for a cluster in `dir`. The port is
/// explicit so a `PGPORT` in the environment cannot point the client at a socket file the cluster
/// does not have.
pub fn socket_url(dir: &Path, database: &str) -> String {
    let dir = dir.to_string_lossy();
    let mut host = String::new();
    for b in dir.bytes() {
        if b.is_ascii_alphanumeric() || b"/_.-".contains(&b) {
            host.push(char::from(b));
        } else {
            host.push_str(&format!("%{b:02X}"));
        }
    }
    format!("postgres:///{database}?host={host}&port={PORT}&user=postgres")
}

/// Starts a cluster and returns its dir, which holds the socket; it lives until the process exits.
pub fn start() -> Result<PathBuf, String> {
    let Prepared {
        bin,
        dir,
        as_root,
        runuser,
        data,
        pg_ctl,
    } = prepare()?;

    let template = template::path(&bin, as_root);
    if let Some(template) = &template {
        if template::copy_to(template, &data) {
            match start_server(&pg_ctl, &runuser, &dir, &data) {
                Ok(()) => return Ok(dir),
                // A template that does not start is dropped; initdb makes the cluster instead.
                Err(_) => {
                    template::forget(template);
                    // In case it started after all (`pg_ctl -w` gave up waiting).
                    let _ = server_command(&pg_ctl, &runuser, &dir)
                        .arg("-D")
                        .arg(&data)
                        .args(["-m", "immediate", "-s", "stop"])
                        .output();
                    std::fs::remove_dir_all(&data)
                        .map_err(|e| format!("cannot remove {}: {e}", data.display()))?;
                }
            }
        }
    }
    let mut initdb = server_command(&bin.join("initdb"), &runuser, &dir);
    initdb
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
        .args(["--no-sync", "--no-instructions"]);
    run(&mut initdb, "initdb")?;
    if let Some(template) = &template {
        template::save(&data, template);
    }

    start_server(&pg_ctl, &runuser, &dir, &data)?;
    Ok(dir)
}

/// Starts a hot standby of the cluster in `primary` (its dir, as [`start`] returns it): a base
/// backup taken with `pg_basebackup -R`, so it streams from the primary and answers read-only
/// queries. Like [`start`], it lives until the process exits.
pub fn start_standby(primary: &Path) -> Result<PathBuf, String> {
    let Prepared {
        bin,
        dir,
        runuser,
        data,
        pg_ctl,
        ..
    } = prepare()?;
    let mut backup = server_command(&companion(&bin, "pg_basebackup"), &runuser, &dir);
    backup
        .arg("-D")
        .arg(&data)
        .arg("-h")
        .arg(primary)
        .args([
            "-p",
            &PORT.to_string(),
            "-U",
            "postgres",
            "-R",
            "-X",
            "stream",
        ])
        .args(["--no-sync", "--checkpoint=fast"]);
    run(&mut backup, "pg_basebackup")?;
    start_server(&pg_ctl, &runuser, &dir, &data)?;
    Ok(dir)
}

/// A new cluster's dir, owned by the user the server runs as, with its watchdog running.
struct Prepared {
    /// Where `initdb` and `pg_ctl` are.
    bin: PathBuf,
    dir: PathBuf,
    as_root: bool,
    /// As root, the server programs run through runuser; empty means "run them directly".
    runuser: PathBuf,
    /// `<dir>/data`, not made yet.
    data: PathBuf,
    pg_ctl: PathBuf,
}

fn prepare() -> Result<Prepared, String> {
    let bin = find_bin_dir()?;
    let dir = make_dir()?;
    let as_root = std::fs::metadata(&dir).map_err(|e| e.to_string())?.uid() == 0;
    let runuser = if as_root {
        find_runuser()?
    } else {
        PathBuf::new()
    };
    if as_root {
        run(Command::new("chown").arg(SERVER_USER).arg(&dir), "chown")?;
    }
    let data = dir.join("data");
    let pg_ctl = bin.join("pg_ctl");
    spawn_watchdog(&dir, &data, &pg_ctl, &runuser)?;
    Ok(Prepared {
        bin,
        dir,
        as_root,
        runuser,
        data,
        pg_ctl,
    })
}

/// A server program beside `initdb`: in `bin`, else beside what `bin/initdb` links to (a
/// `/usr/local/bin` of symlinks may hold only some), else by name from `PATH`.
fn companion(bin: &Path, program: &str) -> PathBuf {
    let direct = bin.join(program);
    if direct.is_file() {
        return direct;
    }
    std::fs::canonicalize(bin.join("initdb"))
        .ok()
        .and_then(|initdb| initdb.parent().map(|dir| dir.join(program)))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from(program))
}

/// Stdio goes nowhere so nothing (cargo, a parent test) waits on pipes the watchdog holds open;
/// its own process group keeps a terminal's Ctrl-C from killing it before it cleans up.
fn spawn_watchdog(dir: &Path, data: &Path, pg_ctl: &Path, runuser: &Path) -> Result<(), String> {
    Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("schemac-pg-watchdog")
        .arg(std::process::id().to_string())
        .arg(dir)
        .arg(data)
        .arg(pg_ctl)
        .arg(runuser)
        .arg(SERVER_USER)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the cleanup watchdog (sh): {e}"))?;
    Ok(())
}

/// `pg_ctl start` of the cluster in `data`, listening only on a Unix socket in `dir`.
fn start_server(pg_ctl: &Path, runuser: &Path, dir: &Path, data: &Path) -> Result<(), String> {
    let log = dir.join("postgres.log");
    // pg_ctl hands `-o` to a shell; make_dir guarantees the dir has no single quote.
    let options = format!(
        "-p {PORT} -c listen_addresses='' -c unix_socket_directories='{}' -c max_connections=200 \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        dir.display()
    );
    let mut pg_ctl_start = server_command(pg_ctl, runuser, dir);
    pg_ctl_start
        .arg("-D")
        .arg(data)
        .arg("-l")
        .arg(&log)
        .args(["-w", "-t", "60", "-s", "-o", &options, "start"]);
    run(&mut pg_ctl_start, "pg_ctl start").map_err(|e| {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        format!("{e}\n--- {} ---\n{text}", log.display())
    })?;
    Ok(())
}

/// The directory holding `initdb` and `pg_ctl`: from `PATH`, else the newest
/// `/usr/lib/postgresql/<version>/bin`.
fn find_bin_dir() -> Result<PathBuf, String> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(dir) = std::env::split_paths(&path).find(|dir| has_both(dir)) {
        return Ok(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_both(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir).ok_or_else(|| {
        "initdb and pg_ctl are neither on PATH nor in /usr/lib/postgresql/*/bin".to_string()
    })
}

/// A new empty dir under the temp dir (or `/tmp` when that is too deep), short enough for a Unix
/// socket path (at most ~107 bytes) and free of quotes, as `pg_ctl -o` hands it to a shell.
fn make_dir() -> Result<PathBuf, String> {
    let usable = |dir: &Path| dir.as_os_str().len() <= 60 && !dir.to_string_lossy().contains('\'');
    let parent = [std::env::temp_dir(), PathBuf::from("/tmp")]
        .into_iter()
        .find(|dir| usable(dir))
        .ok_or("no temp dir is short enough for a Unix socket path")?;
    for _ in 0..10 {
        let dir = parent.join(format!(
            "schemac-pg-{}-{}",
            std::process::id(),
            fastrand::u32(..)
        ));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create {}: {e}", dir.display())),
        }
    }
    Err(format!(
        "cannot find a free dir name in {}",
        parent.display()
    ))
}

/// `runuser` (util-linux), which is in `/usr/sbin`, often not on a non-root `PATH`.
fn find_runuser() -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join("runuser"))
        .find(|file| file.is_file())
        .ok_or_else(|| {
            "running as root, where initdb needs `runuser` (util-linux) to run as the postgres \
             user, but runuser was not found"
                .to_string()
        })
}

/// `program`, run through `runuser` as [`SERVER_USER`] when that is not empty (we are root), from
/// a dir that user can enter.
fn server_command(program: &Path, runuser: &Path, cwd: &Path) -> Command {
    let mut command = if !runuser.as_os_str().is_empty() {
        let mut c = Command::new(runuser);
        c.args(["-u", SERVER_USER, "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    command.current_dir(cwd).stdin(Stdio::null());
    command
}

fn run(command: &mut Command, what: &str) -> Result<Output, String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
