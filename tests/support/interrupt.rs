//! An apply killed with SIGKILL in the middle of its backfill: the real binary (an in-process run
//! cannot be killed), stopped once the history says a batch committed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::TestDb;

/// The `schemac` binary of this workspace, built first if needed.
pub fn schemac_binary() -> PathBuf {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let built = std::process::Command::new(env!("CARGO"))
        .args([
            "build", "-q", "--locked", "-p", "schemac", "--bin", "schemac",
        ])
        .current_dir(&workspace)
        .status()
        .expect("cargo build");
    assert!(built.success());
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(|| workspace.join("target"), |dir| workspace.join(dir));
    target.join("debug/schemac")
}

/// Runs `schemac apply <schema> --yes --batch-size 100` on `db` and kills it once a backfill
/// batch has committed (its cursor is saved); panics if the apply ends first.
pub async fn kill_apply_mid_backfill(db: &TestDb, schema: &str) {
    let mut child = std::process::Command::new(schemac_binary())
        .args(["apply", schema, "--database-url", &db.url(), "--yes"])
        .args(["--batch-size", "100"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("schemac runs");
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the backfill never started"
        );
        let history = db
            .count("SELECT count(*) FROM pg_class WHERE relname = 'schemac_migrations'")
            .await;
        if history > 0
            && db
                .count(
                    "SELECT count(*) FROM public.schemac_migrations \
                     WHERE status = 'running' AND backfill_cursor IS NOT NULL",
                )
                .await
                > 0
        {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("schemac finished before it could be killed: {status}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
}
