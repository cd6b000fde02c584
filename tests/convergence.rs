//! Convergence: every example, the reference schema and every valid check fixture is applied to an
//! empty database; then a second plan is empty, `drift` exits 0, and the database introspected back
//! to `.schema` source plans empty against itself (adoption in one command round-trips).

mod support;

use std::path::{Path, PathBuf};

use support::cli::schemac_async;
use support::TestDb;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Schemas to converge: `schema/`, each `examples/<name>/` (its `schema/` directory where it has
/// one, as `tenant-isolation` does beside its `before.sql` and expand-phase schema), each valid
/// check fixture.
fn schemas() -> Vec<PathBuf> {
    let root = workspace();
    let mut list = vec![root.join("schema")];
    for dir in [
        root.join("examples"),
        root.join("tests/fixtures/check/valid"),
    ] {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "schema"))
                .map(|p| {
                    let nested = p.join("schema");
                    if nested.is_dir() {
                        nested
                    } else {
                        p
                    }
                })
                .collect();
            found.sort();
            list.extend(found);
        }
    }
    list
}

async fn converge(schema: PathBuf) {
    let label = schema
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("schema")
        .to_string();
    let db = TestDb::named(&format!("conv_{label}")).await;
    let url = db.url();
    let path = schema.display().to_string();
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    schemac_async(args(&["apply", &path, "--database-url", &url, "--yes"]))
        .await
        .expect(0);
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
    let json: serde_json::Value = serde_json::from_str(&again.stdout).expect("plan JSON");
    assert_eq!(
        json["steps"],
        serde_json::json!([]),
        "{path}: second plan must be empty:\n{}",
        again.stdout
    );
    schemac_async(args(&["drift", &path, "--database-url", &url]))
        .await
        .expect(0);
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("introspected");
    schemac_async(args(&[
        "introspect",
        "--database-url",
        &url,
        "-o",
        &out.display().to_string(),
    ]))
    .await
    .expect(0);
    let round = schemac_async(args(&[
        "plan",
        &out.display().to_string(),
        "--database-url",
        &url,
        "--format",
        "json",
    ]))
    .await;
    let source = std::fs::read_to_string(out.join("schema.schema")).unwrap_or_default();
    let round = round.expect(0);
    let json: serde_json::Value = serde_json::from_str(&round.stdout).expect("plan JSON");
    assert_eq!(
        json["steps"],
        serde_json::json!([]),
        "{path}: the introspected source must plan empty:\n{}\n--- source\n{source}",
        round.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_schema_converges_and_round_trips_through_introspect() {
    let mut tasks = tokio::task::JoinSet::new();
    for schema in schemas() {
        if tasks.len() >= 4 {
            tasks
                .join_next()
                .await
                .expect("a task")
                .expect("schema failed to converge");
        }
        tasks.spawn(converge(schema));
    }
    while let Some(result) = tasks.join_next().await {
        result.expect("schema failed to converge");
    }
}
