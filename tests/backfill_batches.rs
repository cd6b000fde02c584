//! Backfill batches read only their own key range, whatever plan PostgreSQL picks.
//!
//! A column that was just added has no statistics, so the server guesses that few rows hold NULL;
//! a batch written as "the next N keys, joined back to the table" then invited a sequential scan of
//! the whole table with a hash join, in every batch (measured: ~500 ms per 1000-row batch on a
//! 300,000-row table, i.e. a quadratic backfill). And sqlx prepares the statement: after five runs
//! PostgreSQL may switch to a generic plan, where `$1 IS NULL OR key > $1` can't bound an index
//! scan (measured: 2.4 s per batch on 2,000,000 rows). Both plans must scan the table by its key.

mod support;

use support::cli::schemac_async;
use support::TestDb;

const SCHEMA: &str = r#"
tenancy { root accounts  column account_id  setting "app.current_account_id"  rls off }

table accounts {
  id   bigserial primary
  name text
}

tenant table parents {
  id   bigserial primary
  name text
}

tenant table children {
  id        bigserial primary
  parent_id bigint    references parents on delete cascade
  note      text
}

tenant table grandchildren {
  code     text   primary
  child_id bigint references children on delete cascade
}
"#;

const BEFORE: &str = "
CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE parents (
  id bigserial PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
  name text NOT NULL
);
CREATE TABLE children (
  id bigserial PRIMARY KEY,
  parent_id bigint NOT NULL REFERENCES parents ON DELETE CASCADE,
  note text NOT NULL
);
CREATE TABLE grandchildren (
  code text PRIMARY KEY,
  child_id bigint NOT NULL REFERENCES children ON DELETE CASCADE
);
INSERT INTO accounts (name) SELECT 'a' || i FROM generate_series(1, 10) i;
INSERT INTO parents (account_id, name) SELECT 1 + i % 10, 'p' || i FROM generate_series(1, 1000) i;
INSERT INTO children (parent_id, note) SELECT 1 + i % 1000, 'c' || i FROM generate_series(1, 60000) i;
INSERT INTO grandchildren (code, child_id) SELECT 'g' || lpad(i::text, 6, '0'), i FROM generate_series(1, 60000) i;
ANALYZE;
";

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The plan PostgreSQL would run for one batch of `table` in the middle of the backfill.
async fn explain_batch(db: &TestDb, batch_sql: &str, cursor: &str, mode: &str) -> String {
    let mut conn = db.connect().await;
    let prepare = format!("PREPARE schemac_test_batch(text, bigint) AS {batch_sql}");
    let setup = format!("SET plan_cache_mode = {mode}");
    for statement in [setup.as_str(), prepare.as_str()] {
        sqlx::raw_sql(statement)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{statement}"));
    }
    let explain = format!("EXPLAIN EXECUTE schemac_test_batch('{cursor}', 1000)");
    let lines: Vec<String> = sqlx::query_scalar(&explain)
        .fetch_all(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{explain}"));
    lines.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_batches_scan_only_their_key_range() {
    let db = TestDb::new().await;
    let url = db.url();
    db.execute(BEFORE).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = dir.path().join("schema.schema");
    std::fs::write(&schema, SCHEMA).expect("write schema");
    let schema = schema.display().to_string();

    // Add the columns (and nothing else) the way apply does, so the batches see what they would
    // see: new columns without statistics, the parents' column already filled.
    db.execute(
        "ALTER TABLE children ADD COLUMN account_id bigint; \
         ALTER TABLE grandchildren ADD COLUMN account_id bigint; \
         UPDATE children c SET account_id = p.account_id FROM parents p \
           WHERE p.id = c.parent_id AND c.id <= 30000",
    )
    .await;
    let plan = schemac_async(args(&[
        "plan",
        &schema,
        "--database-url",
        &url,
        "--format",
        "json",
    ]))
    .await
    .expect(0);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    let batch = |table: &str| -> String {
        json["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| {
                s["kind"] == "backfill" && s["target"] == format!("public.{table}.account_id")
            })
            .and_then(|s| s["sql"].as_str())
            .unwrap_or_else(|| panic!("no backfill of {table}:\n{}", plan.stdout))
            .to_string()
    };
    for (table, cursor) in [("children", "30000"), ("grandchildren", "g030000")] {
        let sql = batch(table);
        for mode in ["force_custom_plan", "force_generic_plan"] {
            let explained = explain_batch(&db, &sql, cursor, mode).await;
            assert!(
                !explained.contains(&format!("Seq Scan on {table}")),
                "{table}, {mode}: a batch must not scan the whole table\n{explained}\n{sql}"
            );
            assert!(
                explained.contains(&format!("using {table}_pkey on {table}")),
                "{table}, {mode}: a batch reads its rows through the key\n{explained}"
            );
        }
    }

    // And the rewritten batches still fill every row, with the right values.
    schemac_async(args(&["apply", &schema, "--database-url", &url, "--yes"]))
        .await
        .expect(0);
    let wrong = db
        .count(
            "SELECT count(*) FROM grandchildren g JOIN children c ON c.id = g.child_id \
             JOIN parents p ON p.id = c.parent_id \
             WHERE g.account_id IS DISTINCT FROM p.account_id OR c.account_id IS DISTINCT FROM p.account_id",
        )
        .await;
    assert_eq!(wrong, 0, "every row has its parent's account");
    let rows = db.count("SELECT count(*) FROM grandchildren").await;
    assert_eq!(rows, 60000);
}

/// Rows written while the backfill runs get their value from the fill trigger, which only fires
/// (`WHEN`) for rows still without one, on inserts and on updates that name the foreign key: a
/// value the application writes is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_trigger_fills_only_rows_without_a_value() {
    let db = TestDb::new().await;
    let url = db.url();
    db.execute(BEFORE).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = dir.path().join("schema.schema");
    std::fs::write(&schema, SCHEMA).expect("write schema");
    let plan = schemac_async(args(&[
        "plan",
        &schema.display().to_string(),
        "--database-url",
        &url,
        "--format",
        "json",
    ]))
    .await
    .expect(0);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    let steps = json["steps"].as_array().cloned().unwrap_or_default();
    let children = |kind: &str| -> String {
        steps
            .iter()
            .find(|s| s["kind"] == kind && s["target"] == "public.children.account_id")
            .and_then(|s| s["sql"].as_str())
            .unwrap_or_else(|| panic!("no {kind} step for children:\n{}", plan.stdout))
            .to_string()
    };
    // The plan's own statements, as apply runs them before the backfill.
    db.execute(&children("add_column")).await;
    db.execute(&children("create_fill_trigger")).await;
    let has_when = db
        .count(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'children'::regclass \
             AND tgname LIKE 'schemac_%' AND tgqual IS NOT NULL",
        )
        .await;
    assert_eq!(has_when, 1, "the fill trigger has a WHEN condition");

    db.execute(
        "INSERT INTO children (id, parent_id, note) VALUES (100001, 7, 'new'); \
         INSERT INTO children (id, parent_id, note, account_id) VALUES (100002, 7, 'given', 3); \
         UPDATE children SET note = 'touched', parent_id = parent_id WHERE id = 5; \
         UPDATE children SET note = 'not a move' WHERE id = 6",
    )
    .await;
    let filled = db
        .count(
            "SELECT count(*) FROM children c JOIN parents p ON p.id = c.parent_id \
             WHERE c.id IN (100001, 5) AND c.account_id = p.account_id",
        )
        .await;
    assert_eq!(
        filled, 2,
        "an insert and an update of the foreign key without a value get the parent's"
    );
    // `UPDATE OF parent_id` (LANGUAGE.md, "Fill triggers"): other updates are left to the backfill.
    let left = db
        .count("SELECT count(*) FROM children WHERE id = 6 AND account_id IS NULL")
        .await;
    assert_eq!(
        left, 1,
        "an update that does not name the foreign key is not filled"
    );
    let kept = db
        .count("SELECT account_id FROM children WHERE id = 100002")
        .await;
    assert_eq!(kept, 3, "a value written by the application is kept");
    let untouched = db
        .count("SELECT count(*) FROM children WHERE account_id IS NOT NULL")
        .await;
    assert_eq!(untouched, 3, "other rows wait for the backfill");
}
