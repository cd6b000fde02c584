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
