//! Change pairs, applied for real: for every `fixtures/changes/<case>/`, the `before` schema is
//! applied to a fresh database, `data.sql` fills it, then the `after` schema is planned (the SQL
//! script is snapshot-tested) and applied. Afterwards the database must equal `after` (a second
//! plan is empty, `drift` exits 0) and every query in `expect.sql` must return true — the rows
//! survived and hold what they should.
//!
//! A case directory: `before/` and `after/` (directories of `.schema` files, or `before.schema` /
//! `after.schema`), optional `data.sql`, optional `expect.sql` (one boolean query per `;`).

mod support;

use std::path::{Path, PathBuf};

use support::cli::schemac_async;
use support::TestDb;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/changes");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/fixtures/changes exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

fn side(case: &Path, name: &str) -> String {
    let dir = case.join(name);
    let path = if dir.is_dir() {
        dir
    } else {
        case.join(format!("{name}.schema"))
    };
    assert!(path.exists(), "{} has no `{name}` schema", case.display());
    path.display().to_string()
}

fn statements(path: &Path) -> Vec<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .split(";\n")
            .map(|s| {
                s.lines()
                    .filter(|l| !l.trim_start().starts_with("--"))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .map(|s| s.trim().trim_end_matches(';').to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Runs one case; returns the `after` plan as an SQL script for the snapshot.
async fn run_case(case: PathBuf) -> (String, String) {
    let name = case
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("case")
        .to_string();
    let db = TestDb::named(&name).await;
    let url = db.url();
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let before = side(&case, "before");
    let after = side(&case, "after");
    schemac_async(args(&[
        "apply",
        &before,
        "--database-url",
        &url,
        "--yes",
        "--allow-destructive",
    ]))
    .await
    .expect(0);
    let data = case.join("data.sql");
    if data.exists() {
        db.execute(&std::fs::read_to_string(&data).expect("data.sql readable"))
            .await;
    }
    let plan = schemac_async(args(&[
        "plan",
        &after,
        "--database-url",
        &url,
        "--format",
        "sql",
    ]))
    .await
    .expect(0);
    schemac_async(args(&[
        "apply",
        &after,
        "--database-url",
        &url,
        "--yes",
        "--allow-destructive",
    ]))
    .await
    .expect(0);
    let again = schemac_async(args(&[
        "plan",
        &after,
        "--database-url",
        &url,
        "--format",
        "json",
    ]))
    .await
    .expect(0);
    let json: serde_json::Value = serde_json::from_str(&again.stdout).expect("plan JSON");
    assert_eq!(
        json["steps"],
        serde_json::json!([]),
        "{name}: a second plan must be empty:\n{}",
        again.stdout
    );
    schemac_async(args(&["drift", &after, "--database-url", &url]))
        .await
        .expect(0);
    let mut conn = db.connect().await;
    for query in statements(&case.join("expect.sql")) {
        let ok: bool = sqlx::query_scalar(&query)
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{name}: expect query failed: {query}\n{e}"));
        assert!(ok, "{name}: expected true: {query}");
    }
    (name, plan.stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_change_pair_applies_and_converges() {
    let cases = cases();
    assert!(!cases.is_empty(), "no change fixtures found");
    let mut tasks = tokio::task::JoinSet::new();
    let mut results = Vec::new();
    for case in cases {
        // A few cases at a time: each holds a database and runs several plans.
        if tasks.len() >= 4 {
            results.push(
                tasks
                    .join_next()
                    .await
                    .expect("a task")
                    .expect("case panicked"),
            );
        }
        tasks.spawn(run_case(case));
    }
    while let Some(result) = tasks.join_next().await {
        results.push(result.expect("case panicked"));
    }
    results.sort();
    for (name, plan) in results {
        insta::assert_snapshot!(name, plan);
    }
}
