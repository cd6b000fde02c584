//! The hashes `apply` compares (issue 18, item 5), against PostgreSQL: a schema's hash ignores
//! comments and layout, so an interrupted apply is continued after `schemac fmt`; a plan file's
//! fingerprint carries a version, and one of another version is refused saying so.

mod support;

use std::time::{Duration, Instant};

use support::cli::schemac_async;
use support::TestDb;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The real binary (built if needed), so that an apply can be killed.
fn binary() -> std::path::PathBuf {
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
        .map(std::path::PathBuf::from)
        .map_or_else(|| workspace.join("target"), |dir| workspace.join(dir));
    target.join("debug/schemac")
}

/// Written loosely on purpose: `schemac fmt` rewrites its layout.
const SCHEMA: &str = "table readings {\n  id bigint primary\n  value bigint\n  note text?\n}\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_killed_mid_backfill_continues_after_a_comment_and_fmt() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE readings (id bigint PRIMARY KEY, value int NOT NULL, note text);
         INSERT INTO readings SELECT i, i % 1000, 'r' || i FROM generate_series(1, 100000) i;
         ANALYZE readings;",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schema.schema");
    std::fs::write(&file, SCHEMA).unwrap();
    let path = dir.path().to_string_lossy().to_string();
    let url = db.url();

    let mut child = std::process::Command::new(binary())
        .args(["apply", &path, "--database-url", &url, "--yes"])
        .args(["--batch-size", "100"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("schemac runs");
    // Kill it once the backfill has committed some batches.
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
    let unfilled = db
        .count("SELECT count(*) FROM readings WHERE schemac_new_value IS NULL")
        .await;
    assert!(unfilled > 0, "killed before the backfill finished");

    // A comment, then `schemac fmt`: every source position moves, nothing the plan reads changes.
    std::fs::write(&file, format!("// Sensor readings.\n\n{SCHEMA}")).unwrap();
    schemac_async(args(&["fmt", &path])).await.expect(0);
    let formatted = std::fs::read_to_string(&file).unwrap();
    assert_ne!(formatted, format!("// Sensor readings.\n\n{SCHEMA}"));
    assert!(formatted.contains("// Sensor readings."), "{formatted}");

    let run = schemac_async(args(&["apply", &path, "--database-url", &url, "--yes"]))
        .await
        .expect(0);
    assert!(
        run.stderr.contains("continuing an interrupted apply"),
        "{}",
        run.stderr
    );
    // One run, continued and finished: no new plan superseded it.
    assert_eq!(
        db.count("SELECT count(*) FROM public.schemac_migrations")
            .await,
        1
    );
    assert_eq!(
        db.count("SELECT count(*) FROM public.schemac_migrations WHERE status = 'done'")
            .await,
        1
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'readings'::regclass \
             AND attname = 'value' AND atttypid = 'bigint'::regtype AND attnotnull"
        )
        .await,
        1
    );
    let again = schemac_async(args(&[
        "plan",
        &path,
        "--database-url",
        &url,
        "--format",
        "json",
    ]))
    .await
    .expect(0);
    let json: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(json["steps"], serde_json::json!([]), "{}", again.stdout);
}

/// Plans a schema of `other` and a new table `notes` into a plan file.
async fn plan_file(db: &TestDb, dir: &tempfile::TempDir) -> std::path::PathBuf {
    std::fs::write(
        dir.path().join("schema.schema"),
        "table other {\n  id  bigint primary\n}\n\ntable notes {\n  id    bigint primary\n  body  text\n}\n",
    )
    .unwrap();
    let out = dir.path().join("plan.json");
    schemac_async(args(&[
        "plan",
        &dir.path().to_string_lossy(),
        "--database-url",
        &db.url(),
        "-o",
        &out.to_string_lossy(),
    ]))
    .await
    .expect(0);
    out
}

#[tokio::test]
async fn a_plan_file_carries_a_versioned_fingerprint_and_applies() {
    let db = TestDb::new().await;
    db.execute("CREATE TABLE other (id bigint PRIMARY KEY)")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let out = plan_file(&db, &dir).await;
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let fingerprint = json["fingerprint"].as_str().unwrap_or_default();
    assert!(fingerprint.starts_with("v1:"), "{fingerprint}");
    schemac_async(args(&[
        "apply",
        &out.to_string_lossy(),
        "--database-url",
        &db.url(),
        "--yes",
    ]))
    .await
    .expect(0);
    assert_eq!(
        db.count("SELECT count(*) FROM pg_class WHERE relname = 'notes'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_plan_file_fingerprinted_another_way_is_refused_saying_why() {
    let db = TestDb::new().await;
    db.execute("CREATE TABLE other (id bigint PRIMARY KEY)")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let out = plan_file(&db, &dir).await;
    // What an earlier version wrote: a bare SHA-256 of Debug text, no version.
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    json["fingerprint"] = serde_json::json!("0".repeat(64));
    std::fs::write(&out, json.to_string()).unwrap();
    let run = schemac_async(args(&[
        "apply",
        &out.to_string_lossy(),
        "--database-url",
        &db.url(),
        "--yes",
    ]))
    .await
    .expect(1);
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(
        text.contains("fingerprints the database another way") && text.contains("schemac plan -o"),
        "{text}"
    );
    assert!(!text.contains("schema changed since"), "{text}");
    assert_eq!(
        db.count("SELECT count(*) FROM pg_class WHERE relname = 'notes'")
            .await,
        0
    );
}
