//! Change pairs, applied for real: for every `fixtures/changes/<case>/`, the `before` schema is
//! applied to a fresh database, `data.sql` fills it, then the `after` schema is planned (the SQL
//! script is snapshot-tested) and applied. Afterwards the database must equal `after` (a second
//! plan is empty, `drift` exits 0) and every query in `expect.sql` must return true — the rows
//! survived and hold what they should.
//!
//! A case directory: `before/` and `after/` (directories of `.schema` files, or `before.schema` /
//! `after.schema`), optional `data.sql`, optional `expect.sql` (one boolean query per `;`).
//! A case whose schemas declare roles lists them in `roles` (one per line): roles are cluster-wide,
//! so the runner drops them before the case (for a plan that does not depend on earlier runs) and
//! after it. Their names must be unique to the case, as cases run in parallel.
//! `SCHEMAC_CASES=rename,enum` runs only the cases whose names contain one of the substrings.
//! A case that needs a newer server holds `min_server_version` (`server_version_num`, e.g.
//! `180000`) and is skipped, with a note, on an older one.
//! Cases under `fixtures/changes-pending/` wait for a bug fix (fixtures-bugs notes) and are not run.

mod support;

use std::path::{Path, PathBuf};

use sqlx::Connection;
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

/// The cluster-wide roles a case creates (its `roles` file).
fn case_roles(case: &Path) -> Vec<String> {
    std::fs::read_to_string(case.join("roles"))
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Drops the roles (best effort: a role still used by a database left over from an interrupted
/// run stays, and the case then plans without creating it).
async fn drop_roles(admin_url: &str, roles: &[String]) {
    if roles.is_empty() {
        return;
    }
    let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await else {
        return;
    };
    for role in roles {
        let sql = format!("DROP ROLE IF EXISTS {}", schemac::sql::ident(role));
        let _ = sqlx::Executor::execute(&mut admin, sql.as_str()).await;
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
    let roles = case_roles(&case);
    let admin_url = db.admin_url();
    drop_roles(&admin_url, &roles).await;
    let plan = check_case(&case, &name, &db).await;
    // The database goes first: the roles hold privileges in it until then.
    drop(db);
    drop_roles(&admin_url, &roles).await;
    (name, plan)
}

/// Applies, plans and checks one case in its database; returns the `after` plan.
async fn check_case(case: &Path, name: &str, db: &TestDb) -> String {
    let url = db.url();
    if let Ok(text) = std::fs::read_to_string(case.join("min_server_version")) {
        let needed: i32 = text.trim().parse().expect("min_server_version is a number");
        let mut conn = db.connect().await;
        let version: String = sqlx::query_scalar("select current_setting('server_version_num')")
            .fetch_one(&mut conn)
            .await
            .expect("server version");
        if version.parse::<i32>().expect("server_version_num") < needed {
            eprintln!("{name}: skipped, needs server_version_num {needed}");
            keep_snapshot(name);
            return String::new();
        }
    }
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let before = side(case, "before");
    let after = side(case, "after");
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
    plan.stdout
}

/// A case skipped on an older server keeps its snapshot: CI's unreferenced-snapshot check reads
/// the file insta appends each asserted snapshot to (`.ci/run`), so the path is added there.
fn keep_snapshot(name: &str) {
    let Ok(references) = std::env::var("INSTA_SNAPSHOT_REFERENCES_FILE") else {
        return;
    };
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(format!("changes__{name}.snap"));
    if snapshot.exists() {
        use std::io::Write;
        if let Ok(mut file) = std::fs::OpenOptions::new().append(true).open(references) {
            let _ = writeln!(file, "{}", snapshot.display());
        }
    }
}

/// Set to a comma-separated list of substrings to run only the cases whose names contain one.
const FILTER_ENV: &str = "SCHEMAC_CASES";

fn selected(case: &Path) -> bool {
    let Ok(filter) = std::env::var(FILTER_ENV) else {
        return true;
    };
    let name = case.file_name().and_then(|n| n.to_str()).unwrap_or("");
    filter.split(',').any(|f| !f.is_empty() && name.contains(f))
}

/// The panic message of a failed case.
fn panic_message(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panicked".to_string()),
        Err(error) => error.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_change_pair_applies_and_converges() {
    let cases: Vec<PathBuf> = cases().into_iter().filter(|c| selected(c)).collect();
    assert!(!cases.is_empty(), "no change fixtures found");
    let mut tasks = tokio::task::JoinSet::new();
    let mut outcomes = Vec::new();
    for case in cases {
        // A few cases at a time: each holds a database and runs several plans.
        if tasks.len() >= 4 {
            outcomes.push(tasks.join_next().await.expect("a task"));
        }
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("case")
            .to_string();
        // Each case in its own task, so that one failing case still lets the others report.
        tasks.spawn(async move {
            tokio::spawn(run_case(case))
                .await
                .map_err(|e| (name, panic_message(e)))
        });
    }
    while let Some(outcome) = tasks.join_next().await {
        outcomes.push(outcome);
    }
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for outcome in outcomes {
        match outcome.expect("case task") {
            Ok(result) => results.push(result),
            Err(failure) => failures.push(failure),
        }
    }
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|(name, message)| format!("=== {name}\n{message}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    results.sort();
    // Skipped cases (an older server) have no plan to compare.
    results.retain(|(_, plan)| !plan.is_empty());
    for (name, plan) in results {
        insta::assert_snapshot!(name, plan);
    }
}
