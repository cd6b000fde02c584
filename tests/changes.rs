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
//! Each case is a test of its own, named after its directory (`cargo test --test changes --
//! rename` runs the cases whose names contain `rename`), and its plan snapshot is
//! `<case>/plan.snap`.
//! A case that needs a newer server holds `min_server_version` (`server_version_num`, e.g.
//! `180000`) and is skipped, with a note, on an older one.
//! Cases under `fixtures/changes-pending/` wait for a bug fix (fixtures-bugs notes) and are not run.

mod support;
#[path = "support/trials.rs"]
mod trials;

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed};
use sqlx::Connection;
use support::cli::schemac_async;
use support::TestDb;

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
async fn run_case(case: PathBuf) -> String {
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
    plan
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
            keep_snapshot(case);
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
fn keep_snapshot(case: &Path) {
    let Ok(references) = std::env::var("INSTA_SNAPSHOT_REFERENCES_FILE") else {
        return;
    };
    let snapshot = case.join("plan.snap");
    if snapshot.exists() {
        use std::io::Write;
        if let Ok(mut file) = std::fs::OpenOptions::new().append(true).open(references) {
            let _ = writeln!(file, "{}", snapshot.display());
        }
    }
}

/// One case, on a runtime of its own; its plan is compared with `<case>/plan.snap`.
fn trial(case: PathBuf) -> Result<(), Failed> {
    let name = case.file_name().and_then(|n| n.to_str()).unwrap_or("case");
    trials::not_in_old_place(&format!("changes__{name}"), &case.join("plan.snap"))?;
    trials::on_runtime(async {
        let plan = run_case(case.clone()).await;
        // A case skipped on an older server has no plan to compare.
        if plan.is_empty() {
            return;
        }
        assert_snapshot_in!(&case, "plan", plan);
    })
}

fn main() {
    let mut args = Arguments::from_args();
    // A few cases at a time: each holds a database and runs several plans.
    args.test_threads.get_or_insert(4);
    let tests = trials::per_case_directory("changes", trial);
    libtest_mimic::run(&args, tests).exit();
}
