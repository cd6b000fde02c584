//! Plans that cannot finish stop before they change anything (LANGUAGE.md, Plans): for every
//! `fixtures/refusals/<case>/`, the `before` schema is applied to a fresh database and `data.sql`
//! fills it; `apply` of `after` must then exit 1 with a message naming the table, the column, the
//! count and an example row (snapshot-tested), and the database must be byte-for-byte what it was:
//! `pg_dump` of the whole database (tables, columns, constraints, indexes, types, policies, grants
//! and rows) before and after must be equal.
//!
//! A case directory: `before.schema`, `data.sql`, `after.schema`, and the refusal's snapshot,
//! `refusal.snap`. The tenant cases grant to the role `realdata_refusal_app`, which schemac creates
//! when it is missing (idempotently, so cases may run at once) and no test drops. Each case is a
//! test of its own, named after its directory (`cargo test --test refusals -- unique` runs the
//! cases whose names contain `unique`).
//!
//! The last test is a failure no preflight can know (a row written after the checks ran): the
//! step stops, the error names it and the steps that ran, and the same `apply` finishes the rest.

mod support;
#[path = "support/trials.rs"]
mod trials;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};
use sqlx::{Connection, Executor};
use support::cli::schemac_async;
use support::TestDb;

/// The whole database as `pg_dump` prints it: every object, privilege and row.
fn dump(url: &str) -> String {
    let output = Command::new(support::client::program("pg_dump"))
        .args(["--no-sync", "--quote-all-identifiers", "--dbname", url])
        .output()
        .expect("pg_dump runs");
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("pg_dump prints UTF-8");
    // Newer pg_dump brackets its output with `\restrict KEY` / `\unrestrict KEY`, a random key.
    text.lines()
        .filter(|l| !l.starts_with("\\restrict ") && !l.starts_with("\\unrestrict "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first line where two dumps differ, for the failure message.
fn first_difference(before: &str, after: &str) -> String {
    before
        .lines()
        .zip(after.lines())
        .find(|(b, a)| b != a)
        .map(|(b, a)| format!("before: {b}\nafter:  {a}"))
        .unwrap_or_else(|| "one dump is a prefix of the other".to_string())
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Runs one case; returns the refusal it printed.
async fn refuse(case: &Path) -> String {
    let name = case
        .file_name()
        .and_then(|n| n.to_str())
        .expect("case name")
        .to_string();
    let db = TestDb::named(&name).await;
    let url = db.url();
    let schema = |side: &str| case.join(format!("{side}.schema")).display().to_string();
    schemac_async(args(&[
        "apply",
        &schema("before"),
        "--database-url",
        &url,
        "--yes",
    ]))
    .await
    .expect(0);
    db.execute(&std::fs::read_to_string(case.join("data.sql")).expect("data.sql"))
        .await;
    let before = dump(&url);
    let refused = schemac_async(args(&[
        "apply",
        &schema("after"),
        "--database-url",
        &url,
        "--yes",
        "--allow-destructive",
    ]))
    .await
    .expect(1);
    let after = dump(&url);
    assert!(
        before == after,
        "{name}: the refused apply changed the database:\n{}",
        first_difference(&before, &after)
    );
    // The refusal, without the plan printed before it.
    let refusal = refused
        .stderr
        .split_once("error: refused")
        .map(|(_, rest)| format!("error: refused{rest}"))
        .unwrap_or_else(|| panic!("{name}: no refusal in:\n{}", refused.stderr));
    // `--dry-run` runs the same checks and says the same.
    let dry = schemac_async(args(&[
        "apply",
        &schema("after"),
        "--database-url",
        &url,
        "--dry-run",
        "--allow-destructive",
    ]))
    .await
    .expect(1);
    assert!(dry.stderr.ends_with(&refusal), "{name}: {}", dry.stderr);
    refusal
}

const ORDERS_BEFORE: &str = "table orders {\n  id     bigint primary\n  amount int\n}\n";
const ORDERS_AFTER: &str =
    "table orders {\n  id     bigint primary\n  amount int check (amount >= 0)\n  note   text?\n}\n";

/// Waits until another session waits for a lock on `orders`.
async fn until_someone_waits_for_orders(url: &str) {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connects");
    for _ in 0..600 {
        let waiting: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'orders'::regclass)",
        )
        .fetch_one(&mut conn)
        .await
        .expect("pg_locks");
        if waiting {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("apply never waited for its lock on `orders`");
}

async fn a_row_written_after_preflight_stops_its_step_and_the_same_apply_finishes_the_rest() {
    let db = TestDb::new().await;
    let url = db.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let before = dir.path().join("before.schema");
    let after = dir.path().join("after.schema");
    std::fs::write(&before, ORDERS_BEFORE).expect("writes");
    std::fs::write(&after, ORDERS_AFTER).expect("writes");
    let (before, after) = (before.display().to_string(), after.display().to_string());
    schemac_async(args(&["apply", &before, "--database-url", &url, "--yes"]))
        .await
        .expect(0);
    db.execute("INSERT INTO orders SELECT g, g FROM generate_series(1, 20) g")
        .await;

    // A writer's transaction inserts a row the new check rejects; preflight cannot see it yet. Its
    // lock makes apply's first step wait; it commits as soon as apply waits.
    let mut writer = db.connect().await;
    writer.execute("BEGIN").await.expect("begin");
    writer
        .execute("INSERT INTO orders VALUES (21, -5)")
        .await
        .expect("insert");
    let apply = tokio::spawn(schemac_async(args(&[
        "apply",
        &after,
        "--database-url",
        &url,
        "--yes",
    ])));
    until_someone_waits_for_orders(&url).await;
    writer.execute("COMMIT").await.expect("commit");
    let stopped = apply.await.expect("apply task").expect(1);
    assert!(
        stopped.stderr.contains(
            "error: step 3 (validate_constraint public.orders.orders_amount_check) failed: \
             check constraint \"orders_amount_check\" of relation \"orders\" is violated by some row"
        ),
        "{}",
        stopped.stderr
    );
    assert!(
        stopped.stderr.contains(
            "steps 1-2 of 3 ran and stay done; fix the cause, then run the same `apply` again: \
             it continues from step 3"
        ),
        "{}",
        stopped.stderr
    );
    // What ran stays: the column and the check, not yet validated.
    let mut conn = db.connect().await;
    let state: (bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'note'),
                (SELECT convalidated FROM pg_constraint WHERE conname = 'orders_amount_check')",
    )
    .fetch_one(&mut conn)
    .await
    .expect("state");
    assert_eq!(state, (true, false));

    // The cause fixed, the same apply continues from the step that failed.
    db.execute("UPDATE orders SET amount = 5 WHERE id = 21")
        .await;
    let finished = schemac_async(args(&["apply", &after, "--database-url", &url, "--yes"]))
        .await
        .expect(0);
    assert!(
        finished.stderr.contains(
            "continuing an interrupted apply of this schema (run 2 stopped after 2 of 3 steps)"
        ),
        "{}",
        finished.stderr
    );
    assert!(finished
        .stdout
        .contains("applied 1 step (2 done by an earlier run)"));
    let validated: bool = sqlx::query_scalar(
        "SELECT convalidated FROM pg_constraint WHERE conname = 'orders_amount_check'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("validated");
    assert!(validated);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE amount >= 0")
        .fetch_one(&mut conn)
        .await
        .expect("rows");
    assert_eq!(rows, 21);
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
    assert_eq!(json["steps"], serde_json::json!([]), "{}", again.stdout);
    schemac_async(args(&["drift", &after, "--database-url", &url]))
        .await
        .expect(0);
}

/// One case: refused, the database unchanged, the refusal compared with `<case>/refusal.snap`.
fn refusal_trial(case: PathBuf) -> Result<(), Failed> {
    let name = case.file_name().and_then(|n| n.to_str()).unwrap_or("case");
    trials::not_in_old_place(&format!("refusals__{name}"), &case.join("refusal.snap"))?;
    trials::on_runtime(async {
        let refusal = refuse(&case).await;
        assert_snapshot_in!(&case, "refusal", refusal);
    })
}

fn main() {
    let mut args = Arguments::from_args();
    // A few cases at a time, each in its own database.
    args.test_threads.get_or_insert(3);
    let mut tests = trials::per_case_directory("refusals", refusal_trial);
    tests.push(Trial::test(
        "a_row_written_after_preflight_stops_its_step_and_the_same_apply_finishes_the_rest",
        || {
            trials::on_runtime(
                a_row_written_after_preflight_stops_its_step_and_the_same_apply_finishes_the_rest(),
            )
        },
    ));
    libtest_mimic::run(&args, tests).exit();
}
