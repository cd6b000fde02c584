//! The hashes `apply` compares (issue 18, item 5), against PostgreSQL: a schema's hash ignores
//! comments and layout, so an interrupted apply is continued after `schemac fmt`; a plan file's
//! fingerprint carries a version, and one of another version is refused saying so.

mod support;

use support::cli::schemac_async;
use support::TestDb;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
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

    support::interrupt::kill_apply_mid_backfill(&db, &path).await;
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
