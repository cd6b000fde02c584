//! Online migrations, second step (issue 13), against PostgreSQL: fill triggers are desired state
//! (LANGUAGE.md, "Fill triggers") and `apply --lock-attempts` bounds the lock retries (CLI.md).

mod support;

use std::time::{Duration, Instant};

use sqlx::Executor;
use support::cli::schemac_async;
use support::TestDb;

/// Writes `source` as `schema.schema` in a fresh directory.
fn schema_dir(source: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.schema"), source).unwrap();
    dir
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn apply(db: &TestDb, dir: &tempfile::TempDir, extra: &[&str]) -> support::cli::Run {
    let path = dir.path().to_string_lossy().to_string();
    let url = db.url();
    let mut list = vec![
        "apply",
        path.as_str(),
        "--database-url",
        url.as_str(),
        "--yes",
    ];
    list.extend_from_slice(extra);
    schemac_async(args(&list)).await
}

async fn plan_json(db: &TestDb, dir: &tempfile::TempDir) -> serde_json::Value {
    let path = dir.path().to_string_lossy().to_string();
    let url = db.url();
    let run = schemac_async(args(&[
        "plan",
        &path,
        "--database-url",
        &url,
        "--format",
        "json",
    ]))
    .await
    .expect(0);
    serde_json::from_str(&run.stdout).unwrap()
}

/// Three tenant tables in a chain: `attachments → sessions → users`, each reaching its tenant
/// through its parent. Row-level security is off so the test's own writes need no setting.
const CHAIN: &str = r#"
tenancy { root accounts  column account_id  setting "app.current_account_id"  rls off }

table accounts {
  id    bigserial primary
  name  text
}

tenant table users {
  id    bigserial primary
  name  text
}

tenant table sessions {
  id       bigserial primary
  user_id  bigint references users on delete cascade
  note     text?
}

tenant table attachments {
  id          bigserial primary
  session_id  bigint references sessions on delete cascade
  name        text
}
"#;

async fn trigger_count(db: &TestDb) -> i64 {
    db.count("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'schemac\\_%\\_fill'")
        .await
}

#[tokio::test]
async fn fill_triggers_fill_inserts_and_updates_through_a_two_hop_chain() {
    let db = TestDb::new().await;
    let dir = schema_dir(CHAIN);
    apply(&db, &dir, &[]).await.expect(0);
    // One trigger per table with a parent: sessions and attachments (users reach only the root).
    assert_eq!(trigger_count(&db).await, 2);
    let definition: String = sqlx::query_scalar(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'schemac_attachments_account_id_fill'",
    )
    .fetch_one(&mut db.connect().await)
    .await
    .unwrap();
    assert!(
        definition.contains("BEFORE INSERT OR UPDATE OF session_id ON public.attachments")
            && definition.contains("WHEN ((new.account_id IS NULL))"),
        "{definition}"
    );

    db.execute(
        "INSERT INTO accounts (name) VALUES ('a'), ('b');
         INSERT INTO users (account_id, name) VALUES (1, 'u1'), (2, 'u2');
         -- Writers that leave the tenant column out: filled from the parent, hop by hop.
         INSERT INTO sessions (user_id) VALUES (1), (2);
         INSERT INTO attachments (session_id, name) VALUES (1, 'x'), (2, 'y');",
    )
    .await;
    assert_eq!(
        db.count("SELECT count(*) FROM sessions WHERE account_id = user_id")
            .await,
        2
    );
    assert_eq!(
        db.count("SELECT count(*) FROM attachments WHERE account_id = session_id")
            .await,
        2
    );
    // An update that moves the row and leaves the tenant column NULL is filled too.
    db.execute("UPDATE attachments SET session_id = 2, account_id = NULL WHERE id = 1")
        .await;
    assert_eq!(
        db.count("SELECT account_id FROM attachments WHERE id = 1")
            .await,
        2
    );
    // A value the writer sets is left alone (and the same-tenant key still checks it).
    db.execute("INSERT INTO sessions (user_id, account_id) VALUES (2, 2)")
        .await;
    assert_eq!(
        db.count("SELECT account_id FROM sessions WHERE id = 3")
            .await,
        2
    );
    let mut conn = db.connect().await;
    let mismatch = conn
        .execute("INSERT INTO sessions (user_id, account_id) VALUES (2, 1)")
        .await;
    assert!(
        mismatch.is_err(),
        "a tenant that disagrees with the parent must be rejected"
    );

    // Desired state: a second plan is empty, drift is clean, introspect shows no trigger.
    let plan = plan_json(&db, &dir).await;
    assert_eq!(plan["steps"].as_array().map(Vec::len), Some(0), "{plan}");
    let path = dir.path().to_string_lossy().to_string();
    let url = db.url();
    schemac_async(args(&["drift", &path, "--database-url", &url]))
        .await
        .expect(0);
    let source = schemac_async(args(&["introspect", "--database-url", &url]))
        .await
        .expect(0)
        .stdout;
    assert!(!source.contains("schemac_"), "{source}");
    assert!(!source.contains("fill"), "{source}");
}

#[tokio::test]
async fn fill_off_drops_the_triggers_and_writes_without_the_column_fail() {
    let db = TestDb::new().await;
    apply(&db, &schema_dir(CHAIN), &[]).await.expect(0);
    assert_eq!(trigger_count(&db).await, 2);

    let off = schema_dir(&CHAIN.replace("rls off", "rls off  fill off"));
    let plan = plan_json(&db, &off).await;
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{plan}");
    for step in steps {
        assert_eq!(step["kind"], "drop_fill_trigger", "{plan}");
        assert!(
            step["hazards"]
                .to_string()
                .contains("requires-application-deploy"),
            "{plan}"
        );
    }
    apply(&db, &off, &[]).await.expect(0);
    assert_eq!(trigger_count(&db).await, 0);
    assert_eq!(
        db.count("SELECT count(*) FROM pg_proc WHERE proname LIKE 'schemac\\_%\\_fill'")
            .await,
        0,
        "the functions go with the triggers"
    );
    db.execute(
        "INSERT INTO accounts (name) VALUES ('a');
         INSERT INTO users (account_id, name) VALUES (1, 'u1');",
    )
    .await;
    let mut conn = db.connect().await;
    let error = conn
        .execute("INSERT INTO sessions (user_id) VALUES (1)")
        .await
        .expect_err("without the trigger the tenant column must be set");
    assert!(error.to_string().contains("account_id"), "{error}");
    // And the plan of `fill off` is now empty.
    let plan = plan_json(&db, &off).await;
    assert_eq!(plan["steps"].as_array().map(Vec::len), Some(0), "{plan}");
}

/// A tenant column added to tables with rows: the trigger made for the migration stays, so the
/// application that does not write the column yet keeps working after the apply.
#[tokio::test]
async fn fill_trigger_made_for_a_backfill_stays_after_the_apply() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL);
         CREATE TABLE users (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE, name text NOT NULL);
         CREATE TABLE sessions (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE, note text);
         CREATE TABLE attachments (id bigserial PRIMARY KEY, session_id bigint NOT NULL REFERENCES sessions ON DELETE CASCADE, name text NOT NULL);
         INSERT INTO accounts (name) SELECT 'a' || i FROM generate_series(1, 3) i;
         INSERT INTO users (account_id, name) SELECT 1 + i % 3, 'u' || i FROM generate_series(1, 30) i;
         INSERT INTO sessions (user_id) SELECT 1 + i % 30 FROM generate_series(1, 300) i;
         INSERT INTO attachments (session_id, name) SELECT 1 + i % 300, 'f' FROM generate_series(1, 3000) i;",
    )
    .await;
    let dir = schema_dir(CHAIN);
    let plan = plan_json(&db, &dir).await;
    let kinds: Vec<String> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        kinds.iter().any(|k| k == "create_fill_trigger"),
        "{kinds:?}"
    );
    assert!(!kinds.iter().any(|k| k == "drop_fill_trigger"), "{kinds:?}");
    apply(&db, &dir, &[]).await.expect(0);
    assert_eq!(
        db.count("SELECT count(*) FROM attachments a JOIN sessions s ON s.id = a.session_id JOIN users u ON u.id = s.user_id WHERE a.account_id = u.account_id")
            .await,
        3000
    );
    assert_eq!(trigger_count(&db).await, 2);
    // The old application, which never names the column, still writes.
    db.execute("INSERT INTO sessions (user_id) VALUES (4); INSERT INTO attachments (session_id, name) VALUES (301, 'new')")
        .await;
    assert_eq!(
        db.count("SELECT account_id FROM attachments WHERE name = 'new'")
            .await,
        2
    );
    let plan = plan_json(&db, &dir).await;
    assert_eq!(plan["steps"].as_array().map(Vec::len), Some(0), "{plan}");
}

/// `--lock-attempts N`: a brief step whose lock is held elsewhere gives up after N tries, each
/// bounded by `--lock-timeout`, and changes nothing.
#[tokio::test]
async fn lock_attempts_bound_the_retries_of_a_blocked_step() {
    let db = TestDb::new().await;
    db.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL)")
        .await;
    let dir = schema_dir("table items {\n  id    bigint primary\n  name  text\n  note  text?\n}\n");
    // A reader that keeps its transaction open holds ACCESS SHARE, which ADD COLUMN waits for.
    let mut blocker = db.connect().await;
    blocker.execute("BEGIN; SELECT * FROM items").await.unwrap();
    let started = Instant::now();
    let run = apply(
        &db,
        &dir,
        &["--lock-timeout", "50ms", "--lock-attempts", "2"],
    )
    .await
    .expect(1);
    assert!(run.stderr.contains("within 2 attempts"), "{}", run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "two attempts must not take {:?}",
        started.elapsed()
    );
    blocker.execute("ROLLBACK").await.unwrap();
    assert_eq!(
        db.count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'")
            .await,
        0
    );
    apply(&db, &dir, &["--lock-attempts", "1"]).await.expect(0);
    // Zero attempts is a usage error.
    let run = apply(&db, &dir, &["--lock-attempts", "0"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// A table without a single-column key is filled by ranges of pages (a TID range scan), each
/// batch starting where the last one ended, not by rescanning from the first page.
#[tokio::test]
async fn backfill_without_a_key_walks_the_table_by_page_ranges() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE events (kind text NOT NULL, size int);
         INSERT INTO events (kind) SELECT 'k' || (i % 7) FROM generate_series(1, 20000) i;
         ANALYZE events;",
    )
    .await;
    let dir = schema_dir("table events {\n  kind  text\n  size  int  backfill (length(kind))\n}\n");
    let plan = plan_json(&db, &dir).await;
    let batch = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "backfill")
        .and_then(|s| s["action"]["sql"].as_str().or(s["sql"].as_str()))
        .unwrap_or_else(|| panic!("no backfill step: {plan}"))
        .to_string();
    let mut conn = db.connect().await;
    sqlx::raw_sql(&format!("PREPARE batch(text, bigint) AS {batch}"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{batch}"));
    let explain: Vec<String> = sqlx::query_scalar("EXPLAIN EXECUTE batch('40', 1000)")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let explain = explain.join("\n");
    assert!(explain.contains("Tid Range Scan"), "{explain}");
    sqlx::raw_sql("DEALLOCATE batch")
        .execute(&mut conn)
        .await
        .unwrap();

    let run = apply(&db, &dir, &["--batch-size", "500"]).await.expect(0);
    assert!(
        run.stdout.contains("20000 rows backfilled"),
        "{}",
        run.stdout
    );
    assert_eq!(
        db.count("SELECT count(*) FROM events WHERE size = length(kind)")
            .await,
        20000
    );
    let plan = plan_json(&db, &dir).await;
    assert_eq!(plan["steps"].as_array().map(Vec::len), Some(0), "{plan}");
}

/// `int` → `bigint` on a table with rows runs online (ONLINE-SAFETY.md recipe E): a shadow column
/// kept in sync by a trigger, a batched backfill, then a brief swap. The applier is killed with
/// SIGKILL in the middle of the backfill; writes go on meanwhile; the rerun converges with every
/// value kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_type_change_survives_kill_9_and_converges() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE readings (id bigint PRIMARY KEY, value int NOT NULL, note text);
         INSERT INTO readings SELECT i, (i * 7919) % 2147483647, 'r' || i FROM generate_series(1, 100000) i;
         ANALYZE readings;",
    )
    .await;
    let dir = schema_dir(
        "table readings {\n  id     bigint primary\n  value  bigint\n  note   text?\n}\n",
    );
    let plan = plan_json(&db, &dir).await;
    let kinds: Vec<String> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "add_column",
            "create_sync_trigger",
            "backfill",
            "verify",
            "add_check_not_valid",
            "validate_constraint",
            "swap_column"
        ],
        "{plan}"
    );
    let sum_before = db.count("SELECT sum(value)::bigint FROM readings").await;

    // The real binary, killed in the middle of the backfill.
    support::interrupt::kill_apply_mid_backfill(&db, &dir.path().to_string_lossy()).await;
    let unfilled = db
        .count("SELECT count(*) FROM readings WHERE schemac_new_value IS NULL")
        .await;
    assert!(unfilled > 0, "killed before the backfill finished");
    // The application writes meanwhile: the trigger keeps the copy in sync.
    db.execute(
        "INSERT INTO readings VALUES (100001, 2147483647, 'new');
         UPDATE readings SET value = value + 1 WHERE id = 99999",
    )
    .await;
    // Rows the backfill already copied, written again: the trigger, called only when the copy
    // would differ (`WHEN`), brings the copy of a changed value up to date, and a write that
    // leaves the column alone keeps a right copy.
    db.execute(
        "UPDATE readings SET value = value - 3 WHERE id = (SELECT min(id) FROM readings WHERE schemac_new_value IS NOT NULL);
         UPDATE readings SET note = 'touched' WHERE id = (SELECT max(id) FROM readings WHERE schemac_new_value IS NOT NULL)",
    )
    .await;
    assert_eq!(
        db.count("SELECT count(*) FROM readings WHERE schemac_new_value IS NOT NULL AND schemac_new_value <> value")
            .await,
        0
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM readings WHERE note = 'touched' AND schemac_new_value = value"
        )
        .await,
        1
    );

    let run = apply(&db, &dir, &[]).await.expect(0);
    assert!(
        run.stderr.contains("continuing an interrupted apply"),
        "{}",
        run.stderr
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'readings'::regclass \
             AND attname = 'value' AND atttypid = 'bigint'::regtype AND attnotnull"
        )
        .await,
        1
    );
    assert_eq!(
        db.count("SELECT sum(value)::bigint FROM readings").await,
        sum_before + 2147483647 + 1 - 3
    );
    assert_eq!(db.count("SELECT count(*) FROM readings").await, 100001);
    for leftover in [
        "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'schemac%'",
        "SELECT count(*) FROM pg_attribute WHERE attrelid = 'readings'::regclass AND attname LIKE 'schemac%' AND NOT attisdropped",
        "SELECT count(*) FROM pg_constraint WHERE conname LIKE 'schemac%' AND conrelid = 'readings'::regclass",
        "SELECT count(*) FROM pg_proc WHERE proname LIKE 'schemac%'",
    ] {
        assert_eq!(db.count(leftover).await, 0, "{leftover}");
    }
    db.execute("UPDATE readings SET value = 9000000000 WHERE id = 1")
        .await;
    let plan = plan_json(&db, &dir).await;
    assert_eq!(plan["steps"].as_array().map(Vec::len), Some(0), "{plan}");
}
