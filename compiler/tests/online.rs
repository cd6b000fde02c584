//! The online-safe migration engine against a real PostgreSQL: a tenant column added to populated
//! tables and backfilled through foreign-key chains, with the real `schemac` binary spawned, killed
//! and run twice at once, application writes running throughout, and locks held by other sessions.
//!
//! Each test has its own database (`TestDb`). The common case is the accounts → users → sessions →
//! attachments schema of `tests/fixtures/changes/tenant_column_backfilled_through_fk_chain`: before,
//! only `users` has `account_id`; after, `sessions` and `attachments` are tenant tables and get it
//! from `users` through the chain. Every attachment's `name` holds its account's id, written when the
//! data was made, so the filled values are checked against something the backfill never read.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor, PgConnection};
use support::cli::{schemac_async, Run};
use support::TestDb;

const BEFORE: &str = "
table accounts {
  id   uuid primary default(gen_random_uuid())
  name text
}

table users {
  id         uuid primary default(gen_random_uuid())
  account_id uuid references accounts on delete cascade
  email      text
}

table sessions {
  id      uuid primary default(gen_random_uuid())
  user_id uuid references users on delete cascade
}

table attachments {
  id         bigserial primary
  session_id uuid? references sessions on delete cascade
  name       text
}
";

const AFTER: &str = r#"
tenancy { root accounts  column account_id  setting "app.current_account_id"  rls off }

table accounts {
  id   uuid primary default(gen_random_uuid())
  name text
}

tenant table users {
  id    uuid primary default(gen_random_uuid())
  email text
}

tenant table sessions {
  id      uuid primary default(gen_random_uuid())
  user_id uuid references users on delete cascade
}

tenant table attachments {
  id         bigserial primary
  session_id uuid? references sessions on delete cascade
  name       text
}
"#;

/// How long any one wait in these tests may take before the test fails saying what it waited for.
const PATIENCE: Duration = Duration::from_secs(90);

/// A test database with the schemas written to a temporary directory.
struct Fixture {
    db: TestDb,
    dir: tempfile::TempDir,
}

impl Fixture {
    /// A database with `before` applied and no rows.
    async fn new(label: &str, before: &str, after: &str) -> Fixture {
        let db = TestDb::named(label).await;
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("before.schema"), before).expect("write before.schema");
        std::fs::write(dir.path().join("after.schema"), after).expect("write after.schema");
        let fixture = Fixture { db, dir };
        fixture
            .cli(&["apply", &fixture.before(), "--yes"])
            .await
            .expect(0);
        fixture
    }

    /// The chain schema with 2 accounts, 4 users, 20 sessions and `per_session` attachments each.
    async fn chain(label: &str, per_session: usize) -> Fixture {
        let fixture = Fixture::new(label, BEFORE, AFTER).await;
        fixture
            .db
            .execute(&format!(
                "INSERT INTO accounts (id, name) VALUES
                   ('00000000-0000-0000-0000-00000000000a', 'A'),
                   ('00000000-0000-0000-0000-00000000000b', 'B');
                 INSERT INTO users (account_id, email)
                   SELECT CASE WHEN g % 2 = 0 THEN '00000000-0000-0000-0000-00000000000a'::uuid
                               ELSE '00000000-0000-0000-0000-00000000000b'::uuid END,
                          'user' || g || '@example.com'
                   FROM generate_series(1, 4) g;
                 INSERT INTO sessions (user_id) SELECT u.id FROM users u, generate_series(1, 5);
                 INSERT INTO attachments (session_id, name)
                   SELECT s.id, u.account_id::text
                   FROM sessions s JOIN users u ON u.id = s.user_id, generate_series(1, {per_session});
                 ANALYZE"
            ))
            .await;
        fixture
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn before(&self) -> String {
        self.path("before.schema")
    }

    fn after(&self) -> String {
        self.path("after.schema")
    }

    /// `schemac <args> --database-url <this database>`, in-process.
    async fn cli(&self, args: &[&str]) -> Run {
        let mut list: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        list.push("--database-url".into());
        list.push(self.db.url());
        schemac_async(list).await
    }

    /// The real binary, `schemac apply <schema> --yes --database-url <this database> <extra>`,
    /// with its output going to files in the fixture's directory.
    fn spawn_apply(&self, schema: &str, extra: &[&str], label: &str) -> Proc {
        let out = self.dir.path().join(format!("{label}.stdout"));
        let err = self.dir.path().join(format!("{label}.stderr"));
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_schemac"))
            .args(["apply", schema, "--yes", "--database-url", &self.db.url()])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&err).expect("stderr file"))
            .kill_on_drop(true)
            .spawn()
            .expect("spawn schemac");
        Proc { child, out, err }
    }
}

/// A spawned `schemac` process.
struct Proc {
    child: tokio::process::Child,
    out: PathBuf,
    err: PathBuf,
}

/// How a spawned `schemac` ended.
#[derive(Debug)]
struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ended {
    #[track_caller]
    fn expect(self, code: i32) -> Ended {
        assert_eq!(
            self.code,
            Some(code),
            "exit code of schemac\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

impl Proc {
    fn output(&self, code: Option<i32>) -> Ended {
        Ended {
            code,
            stdout: std::fs::read_to_string(&self.out).unwrap_or_default(),
            stderr: std::fs::read_to_string(&self.err).unwrap_or_default(),
        }
    }

    /// Panics with the output if the process has already ended.
    fn still_running(&mut self, waiting_for: &str) {
        if let Ok(Some(status)) = self.child.try_wait() {
            let ended = self.output(status.code());
            panic!(
                "schemac ended before {waiting_for}\n--- stdout\n{}\n--- stderr\n{}",
                ended.stdout, ended.stderr
            );
        }
    }

    async fn finish(mut self) -> Ended {
        let status = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("schemac did not finish in time")
            .expect("wait for schemac");
        self.output(status.code())
    }

    /// SIGKILL, as a crash or an OOM kill would end it.
    async fn kill(mut self) -> Ended {
        self.child.kill().await.expect("kill schemac");
        self.output(None)
    }
}

/// Polls `sql` (a boolean query) until it is true, while `proc` is still running.
async fn wait_until(conn: &mut PgConnection, proc: &mut Proc, sql: &str, what: &str) {
    let started = Instant::now();
    loop {
        proc.still_running(what);
        let ok: bool = sqlx::query_scalar(sql)
            .fetch_one(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        if ok {
            return;
        }
        assert!(started.elapsed() < PATIENCE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until the latest running apply is in the backfill of `target` with a batch committed.
async fn wait_for_backfill(conn: &mut PgConnection, proc: &mut Proc, target: &str) {
    let started = Instant::now();
    loop {
        proc.still_running("the backfill");
        let exists: bool =
            sqlx::query_scalar("SELECT to_regclass('public.schemac_migrations') IS NOT NULL")
                .fetch_one(&mut *conn)
                .await
                .expect("history table query");
        if exists {
            let under_way: Option<bool> = sqlx::query_scalar(
                "SELECT backfill_cursor IS NOT NULL
                        AND steps -> completed_steps ->> 'kind' = 'backfill'
                        AND steps -> completed_steps ->> 'target' = $1
                 FROM schemac_migrations WHERE status = 'running' ORDER BY id DESC LIMIT 1",
            )
            .bind(target)
            .fetch_optional(&mut *conn)
            .await
            .expect("history query");
            if under_way == Some(true) {
                return;
            }
        }
        assert!(
            started.elapsed() < PATIENCE,
            "timed out waiting for the backfill of {target}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until no server session of a `schemac` client is left in this database (a killed
/// client's session ends once the server notices, within `client_connection_check_interval`).
async fn wait_for_no_schemac_session(db: &TestDb) {
    let mut conn = db.connect().await;
    let started = Instant::now();
    loop {
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'schemac'",
        )
        .fetch_one(&mut conn)
        .await
        .expect("pg_stat_activity");
        if left == 0 {
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the killed apply's server session did not end"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The number of steps `plan` gives for the `after` schema now.
async fn planned_steps(fixture: &Fixture) -> usize {
    let plan = fixture
        .cli(&["plan", &fixture.after(), "--format", "json"])
        .await
        .expect(0);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    json["steps"].as_array().map_or(0, Vec::len)
}

/// `applied N steps ..., M rows backfilled`: M (0 when not printed).
fn rows_backfilled(stdout: &str) -> u64 {
    stdout
        .split(", ")
        .find_map(|part| {
            part.strip_suffix(" rows backfilled\n")
                .or(part.strip_suffix(" rows backfilled"))
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// The database equals the `after` schema and holds what it should: a second plan is empty, `drift`
/// exits 0, no tenant value is NULL or wrong, nothing half-done or of schemac's own is left.
async fn assert_converged(fixture: &Fixture) {
    let again = fixture
        .cli(&["plan", &fixture.after(), "--format", "json"])
        .await
        .expect(0);
    let json: serde_json::Value = serde_json::from_str(&again.stdout).expect("plan JSON");
    assert_eq!(
        json["steps"],
        serde_json::json!([]),
        "a second plan must be empty:\n{}",
        again.stdout
    );
    fixture.cli(&["drift", &fixture.after()]).await.expect(0);
    let db = &fixture.db;
    for table in ["sessions", "attachments"] {
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) FROM {table} WHERE account_id IS NULL"
            ))
            .await,
            0,
            "{table} has NULL account_id"
        );
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) FROM pg_attribute
                 WHERE attrelid = '{table}'::regclass AND attname = 'account_id' AND attnotnull"
            ))
            .await,
            1,
            "{table}.account_id is not NOT NULL"
        );
    }
    assert_eq!(
        db.count(
            "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.account_id <> u.account_id"
        )
        .await,
        0,
        "sessions with another account than their user"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM attachments a JOIN sessions s ON s.id = a.session_id
             WHERE a.account_id <> s.account_id OR a.account_id::text <> a.name"
        )
        .await,
        0,
        "attachments with another account than their session, or than the one they were made for"
    );
    assert_no_leftovers(db).await;
}

/// Nothing half-done and nothing of schemac's own but the fill triggers, which stay (LANGUAGE.md,
/// "Fill triggers"): no INVALID index, no NOT VALID constraint, no other `schemac_*` trigger, no
/// function without its trigger, no `schemac_*` check, no run still marked running.
async fn assert_no_leftovers(db: &TestDb) {
    let checks = [
        (
            "INVALID indexes",
            "SELECT count(*) FROM pg_index WHERE NOT indisvalid",
        ),
        (
            "NOT VALID constraints",
            "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
             WHERE n.nspname = 'public' AND NOT c.convalidated",
        ),
        (
            "schemac_* triggers other than fill triggers",
            "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'schemac%' AND tgname NOT LIKE 'schemac\\_%\\_fill'",
        ),
        (
            "schemac_* functions without their trigger",
            "SELECT count(*) FROM pg_proc p WHERE proname LIKE 'schemac%'
             AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgfoid = p.oid)",
        ),
        (
            "schemac_* checks",
            "SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conname LIKE 'schemac%'",
        ),
        (
            "unfinished runs",
            "SELECT count(*) FROM schemac_migrations WHERE status = 'running'",
        ),
    ];
    for (what, sql) in checks {
        assert_eq!(db.count(sql).await, 0, "{what} left: {sql}");
    }
}

/// A text fingerprint of everything in `public` (columns, constraints, indexes, triggers,
/// functions, tables) and of the rows of table `rows_of`, to show that nothing changed.
async fn database_state(db: &TestDb, rows_of: &str) -> String {
    let mut conn = db.connect().await;
    let sql = "SELECT concat_ws(' | ',
        (SELECT string_agg(format('%s.%s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull), ', ' ORDER BY 1)
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped),
        (SELECT string_agg(conname || ' ' || convalidated, ', ' ORDER BY 1) FROM pg_constraint c
           JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'),
        (SELECT string_agg(indexrelid::regclass::text, ', ' ORDER BY 1) FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public'),
        (SELECT string_agg(tgname, ', ' ORDER BY 1) FROM pg_trigger WHERE NOT tgisinternal),
        (SELECT string_agg(proname, ', ' ORDER BY 1) FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'),
        (SELECT string_agg(relname, ', ' ORDER BY 1) FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND relkind = 'r'),
        (SELECT md5(string_agg(r::text, ',' ORDER BY id)) FROM {rows_of} r))";
    sqlx::query_scalar(&sql.replace("{rows_of}", rows_of))
        .fetch_one(&mut conn)
        .await
        .expect("state query")
}

fn schema_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write schema");
    path.display().to_string()
}

// ---------------------------------------------------------------------------------------------
// Backfill paths
// ---------------------------------------------------------------------------------------------

/// `level0` has the tenant column; `level1` → `level0`, ..., `level4` → `level3` gain it, so their
/// paths are 1 to 4 hops long. Every row's `owner` says which account it belongs to.
fn chain_schema(tenant: bool) -> String {
    let mut text = String::new();
    if tenant {
        text.push_str(
            "tenancy { root accounts  column account_id  setting \"app.current_account_id\"  rls off }\n\n",
        );
    }
    text.push_str("table accounts {\n  id uuid primary default(gen_random_uuid())\n}\n\n");
    let kind = if tenant { "tenant table" } else { "table" };
    text.push_str(&format!(
        "{kind} level0 {{\n  id uuid primary default(gen_random_uuid())\n{}  owner text\n}}\n\n",
        if tenant {
            ""
        } else {
            "  account_id uuid references accounts on delete cascade\n"
        }
    ));
    for level in 1..=4 {
        text.push_str(&format!(
            "{kind} level{level} {{\n  id uuid primary default(gen_random_uuid())\n  parent_id uuid references level{} on delete cascade\n  owner text\n}}\n\n",
            level - 1
        ));
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_column_backfills_through_chains_of_depth_1_to_4() {
    let fixture = Fixture::new("online_chains", &chain_schema(false), &chain_schema(true)).await;
    let mut data = String::from(
        "INSERT INTO accounts (id) VALUES ('00000000-0000-0000-0000-00000000000a'), ('00000000-0000-0000-0000-00000000000b');
         INSERT INTO level0 (account_id, owner)
           SELECT a.id, a.id::text FROM accounts a, generate_series(1, 3);\n",
    );
    for level in 1..=4 {
        data.push_str(&format!(
            "INSERT INTO level{level} (parent_id, owner) SELECT p.id, p.owner FROM level{} p, generate_series(1, 3);\n",
            level - 1
        ));
    }
    fixture.db.execute(&data).await;
    let plan = fixture
        .cli(&["plan", &fixture.after(), "--format", "json"])
        .await
        .expect(0);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    let backfills: Vec<&str> = json["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["kind"] == "backfill")
        .map(|s| s["target"].as_str().expect("target"))
        .collect();
    // Each level is filled after the level it reads from.
    assert_eq!(
        backfills,
        [1, 2, 3, 4].map(|l| format!("public.level{l}.account_id")),
        "backfill order:\n{}",
        plan.stdout
    );

    let applied = fixture
        .cli(&["apply", &fixture.after(), "--yes", "--batch-size", "50"])
        .await
        .expect(0);
    // 2 accounts × 3 rows at level 0, times 3 per level: 18 + 54 + 162 + 486.
    assert!(
        applied.stdout.contains("720 rows backfilled"),
        "{}",
        applied.stdout
    );
    for level in 1..=4 {
        let db = &fixture.db;
        assert_eq!(
            db.count(&format!("SELECT count(*) FROM level{level}"))
                .await,
            6 * 3i64.pow(level)
        );
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) FROM level{level} WHERE account_id IS NULL OR account_id::text <> owner"
            ))
            .await,
            0,
            "level{level} (depth {level}) has wrong tenant values"
        );
    }
    let again = fixture
        .cli(&["plan", &fixture.after(), "--format", "json"])
        .await
        .expect(0);
    let json: serde_json::Value = serde_json::from_str(&again.stdout).expect("plan JSON");
    assert_eq!(json["steps"], serde_json::json!([]), "{}", again.stdout);
    assert_no_leftovers(&fixture.db).await;
}

/// `comments` reference both `sessions` and `documents`, which have the tenant column: two paths of
/// one hop each. `choice` goes at the end of the `comments` table of the `after` schema.
fn two_paths_schemas(choice: &str) -> (String, String) {
    let before = "
table accounts {
  id uuid primary default(gen_random_uuid())
}

table sessions {
  id         uuid primary default(gen_random_uuid())
  account_id uuid references accounts on delete cascade
}

table documents {
  id         uuid primary default(gen_random_uuid())
  account_id uuid references accounts on delete cascade
}

table comments {
  id          uuid primary default(gen_random_uuid())
  session_id  uuid references sessions on delete cascade
  document_id uuid references documents on delete cascade
}
";
    let after = format!(
        r#"
tenancy {{ root accounts  column account_id  setting "app.current_account_id"  rls off }}

table accounts {{
  id uuid primary default(gen_random_uuid())
}}

tenant table sessions {{
  id uuid primary default(gen_random_uuid())
}}

tenant table documents {{
  id uuid primary default(gen_random_uuid())
}}

tenant table comments {{
  id          uuid primary default(gen_random_uuid())
  session_id  uuid references sessions on delete cascade
  document_id uuid references documents on delete cascade
{choice}}}
"#
    );
    (before.to_string(), after)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_paths_of_equal_length_are_a_diagnostic_until_the_schema_chooses() {
    let (before, after) = two_paths_schemas("");
    let fixture = Fixture::new("online_two_paths", &before, &after).await;
    fixture
        .db
        .execute(
            "INSERT INTO accounts (id) VALUES ('00000000-0000-0000-0000-00000000000a'), ('00000000-0000-0000-0000-00000000000b');
             INSERT INTO sessions (account_id) VALUES ('00000000-0000-0000-0000-00000000000a');
             INSERT INTO sessions (account_id) VALUES ('00000000-0000-0000-0000-00000000000b');
             INSERT INTO documents (account_id) VALUES ('00000000-0000-0000-0000-00000000000a');
             INSERT INTO documents (account_id) VALUES ('00000000-0000-0000-0000-00000000000b');
             INSERT INTO comments (session_id, document_id)
               SELECT s.id, d.id FROM sessions s JOIN documents d USING (account_id), generate_series(1, 5)",
        )
        .await;
    let state = database_state(&fixture.db, "comments").await;
    let after_path = fixture.after();
    for args in [
        vec!["plan", &after_path],
        vec!["apply", &after_path, "--yes"],
    ] {
        let command = args[0];
        let run = fixture.cli(&args).await.expect(1);
        assert!(
            run.stderr.contains("ambiguous_backfill")
                && run.stderr.contains("comments.session_id → sessions")
                && run.stderr.contains("comments.document_id → documents")
                && run.stderr.contains("backfill account_id from"),
            "{command}: expected the ambiguous-path diagnostic naming both paths:\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("after.schema:"),
            "the diagnostic points into the schema:\n{}",
            run.stderr
        );
    }
    assert_eq!(
        database_state(&fixture.db, "comments").await,
        state,
        "a refused plan changed the database"
    );

    let chosen = schema_file(
        fixture.dir.path(),
        "chosen.schema",
        &two_paths_schemas("  backfill account_id from document_id\n").1,
    );
    fixture.cli(&["apply", &chosen, "--yes"]).await.expect(0);
    assert_eq!(
        fixture
            .db
            .count("SELECT count(*) FROM comments c JOIN documents d ON d.id = c.document_id WHERE c.account_id = d.account_id")
            .await,
        10,
        "the chosen path (documents) gives every comment its value"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_whose_parents_belong_to_different_tenants_are_refused_before_any_change() {
    let (before, after) = two_paths_schemas("  backfill account_id from document_id\n");
    let fixture = Fixture::new("online_tenant_conflict", &before, &after).await;
    fixture
        .db
        .execute(
            "INSERT INTO accounts (id) VALUES ('00000000-0000-0000-0000-00000000000a'), ('00000000-0000-0000-0000-00000000000b');
             INSERT INTO sessions (account_id) VALUES ('00000000-0000-0000-0000-00000000000a');
             INSERT INTO documents (account_id) VALUES ('00000000-0000-0000-0000-00000000000a'), ('00000000-0000-0000-0000-00000000000b');
             INSERT INTO comments (id, session_id, document_id)
               SELECT gen_random_uuid(), s.id, d.id FROM sessions s, documents d",
        )
        .await;
    let state = database_state(&fixture.db, "comments").await;
    // The comment on account B's document in account A's session would get B from the document,
    // and then fail `(account_id, session_id) references sessions`.
    let refused = fixture
        .cli(&["apply", &fixture.after(), "--yes"])
        .await
        .expect(1);
    assert!(
        refused.stderr.contains("refused")
            && refused.stderr.contains("public.comments")
            && refused.stderr.contains("another tenant")
            && refused
                .stderr
                .contains("comments_account_id_session_id_fkey")
            && refused.stderr.contains("(1 row"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        database_state(&fixture.db, "comments").await,
        state,
        "the database changed"
    );
    fixture
        .db
        .execute("DELETE FROM comments c USING documents d WHERE d.id = c.document_id AND d.account_id = '00000000-0000-0000-0000-00000000000b'")
        .await;
    fixture
        .cli(&["apply", &fixture.after(), "--yes"])
        .await
        .expect(0);
    assert_no_leftovers(&fixture.db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_row_is_refused_and_the_database_is_unchanged() {
    let fixture = Fixture::chain("online_orphan", 5).await;
    fixture
        .db
        .execute("INSERT INTO attachments (id, session_id, name) VALUES (424242, NULL, 'orphan')")
        .await;
    let state = database_state(&fixture.db, "attachments").await;
    let run = fixture
        .cli(&["apply", &fixture.after(), "--yes"])
        .await
        .expect(1);
    assert!(
        run.stderr.contains("refused")
            && run.stderr.contains("public.attachments.account_id")
            && run.stderr.contains("1 row")
            && run.stderr.contains("424242"),
        "the refusal names the table, the column, the count and the row:\n{}",
        run.stderr
    );
    assert_eq!(
        database_state(&fixture.db, "attachments").await,
        state,
        "the database changed"
    );
    assert_eq!(
        fixture
            .db
            .count("SELECT count(*) FROM schemac_migrations")
            .await,
        1,
        "a refused apply records no run (the one there applied `before`)"
    );
    // Once the row is fixed, the same schema applies.
    fixture
        .db
        .execute("DELETE FROM attachments WHERE id = 424242")
        .await;
    fixture
        .cli(&["apply", &fixture.after(), "--yes"])
        .await
        .expect(0);
    assert_converged(&fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_rows_are_backfilled_in_batches() {
    let fixture = Fixture::chain("online_100k", 5000).await;
    assert_eq!(
        fixture.db.count("SELECT count(*) FROM attachments").await,
        100_000
    );
    let ended = fixture
        .spawn_apply(&fixture.after(), &["--batch-size", "2000"], "apply")
        .finish()
        .await
        .expect(0);
    assert_eq!(
        rows_backfilled(&ended.stdout),
        100_020,
        "every attachment and session filled once:\n{}",
        ended.stdout
    );
    // Each batch commits on its own: the rows were written by at least 100000 / 2000
    // transactions (`--batch-size` caps a batch), not one; batches adapt their size to their
    // duration but never go below 100 rows, so not one per row either.
    let writers = fixture
        .db
        .count("SELECT count(DISTINCT xmin::text) FROM attachments")
        .await;
    assert!(
        (50..=1000).contains(&writers),
        "attachments were filled by {writers} transactions; batches of 100 to 2000 rows make 50 to 1000"
    );
    assert_converged(&fixture).await;
}

// ---------------------------------------------------------------------------------------------
// Killed, failed, concurrent
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_killed_during_the_backfill_is_continued_from_its_cursor() {
    let fixture = Fixture::chain("online_kill_backfill", 5000).await;
    let mut conn = fixture.db.connect().await;
    let mut first = fixture.spawn_apply(&fixture.after(), &["--batch-size", "200"], "first");
    wait_for_backfill(&mut conn, &mut first, "public.attachments.account_id").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.kill().await;
    wait_for_no_schemac_session(&fixture.db).await;

    let (run, completed, cursor): (i64, i32, Option<String>) = sqlx::query_as(
        "SELECT id, completed_steps, backfill_cursor FROM schemac_migrations WHERE status = 'running'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("the killed run is recorded as running");
    let cursor: i64 = cursor
        .expect("a cursor was saved")
        .parse()
        .expect("bigint key");
    let left = fixture
        .db
        .count("SELECT count(*) FROM attachments WHERE account_id IS NULL")
        .await;
    assert!(
        left > 0 && left < 100_000,
        "killed part-way: {left} rows still NULL"
    );
    assert!(
        fixture
            .db
            .count(&format!(
                "SELECT count(*) FROM attachments WHERE id <= {cursor} AND account_id IS NULL"
            ))
            .await
            == 0,
        "every row up to the cursor was filled"
    );

    // The batch size is not part of the plan: the rest goes faster.
    let second = fixture
        .spawn_apply(&fixture.after(), &["--batch-size", "2000"], "second")
        .finish()
        .await
        .expect(0);
    assert!(
        second.stderr.contains(&format!(
            "continuing an interrupted run after step {completed}"
        )),
        "the second apply continues the first run:\n{}",
        second.stderr
    );
    // It filled only what was left, from the cursor on.
    assert_eq!(
        rows_backfilled(&second.stdout),
        left as u64,
        "{}",
        second.stdout
    );
    let statuses: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, status FROM schemac_migrations ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .expect("history");
    assert_eq!(
        statuses.last(),
        Some(&(run, "done".to_string())),
        "the interrupted run itself was finished: {statuses:?}"
    );
    assert_converged(&fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_killed_during_a_concurrent_index_build_leaves_no_invalid_index() {
    let fixture = Fixture::chain("online_kill_index", 200).await;
    // A transaction with an old snapshot, on an unrelated table: a concurrent build waits for it to
    // end before it can finish (it never blocks the build's start, or any other step).
    let mut blocker = fixture.db.connect().await;
    blocker
        .execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM accounts")
        .await
        .expect("blocker");
    let mut conn = fixture.db.connect().await;
    let mut first = fixture.spawn_apply(&fixture.after(), &[], "first");
    wait_until(
        &mut conn,
        &mut first,
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = 'schemac'
             AND query LIKE 'CREATE%INDEX CONCURRENTLY%' AND wait_event_type = 'Lock')",
        "a concurrent index build waiting for the old snapshot",
    )
    .await;
    first.kill().await;
    // The server session notices its client is gone and abandons the build, leaving the index
    // INVALID: the state a crash of the whole machine would leave too.
    wait_for_no_schemac_session(&fixture.db).await;
    let invalid = fixture
        .db
        .count("SELECT count(*) FROM pg_index WHERE NOT indisvalid")
        .await;
    assert_eq!(invalid, 1, "the killed build left an INVALID index");
    blocker.execute("COMMIT").await.expect("end the blocker");

    let second = fixture
        .spawn_apply(&fixture.after(), &[], "second")
        .finish()
        .await
        .expect(0);
    assert!(
        second
            .stderr
            .contains("continuing an interrupted run after step"),
        "{}",
        second.stderr
    );
    assert_converged(&fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_index_left_by_a_failed_build_is_dropped_and_rebuilt() {
    let with_index = |text: &str| {
        text.replace(
            "  name       text\n}",
            "  name       text\n\n  index (name)\n}",
        )
    };
    let fixture = Fixture::new("online_invalid_index", BEFORE, &with_index(AFTER)).await;
    fixture
        .db
        .execute(
            "INSERT INTO accounts (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'A');
             INSERT INTO users (account_id, email) SELECT '00000000-0000-0000-0000-00000000000a', 'u' || g FROM generate_series(1, 2) g;
             INSERT INTO sessions (user_id) SELECT id FROM users;
             INSERT INTO attachments (session_id, name) SELECT s.id, '00000000-0000-0000-0000-00000000000a' FROM sessions s, generate_series(1, 100)",
        )
        .await;
    // A concurrent build of the very index the schema declares fails (its lock wait times out
    // behind a transaction that wrote to the table) and leaves it INVALID, under its final name.
    let mut writer = fixture.db.connect().await;
    writer
        .execute("BEGIN; UPDATE attachments SET name = name WHERE id = 1")
        .await
        .expect("writer");
    let mut builder = fixture.db.connect().await;
    builder
        .execute("SET lock_timeout = '200ms'")
        .await
        .expect("set lock_timeout");
    let failed = builder
        .execute("CREATE INDEX CONCURRENTLY attachments_name_idx ON attachments (name)")
        .await;
    assert!(failed.is_err(), "the build should have timed out");
    writer.execute("COMMIT").await.expect("writer commit");
    assert_eq!(
        fixture
            .db
            .count("SELECT count(*) FROM pg_index WHERE indexrelid = 'attachments_name_idx'::regclass AND NOT indisvalid")
            .await,
        1
    );
    // The name is there, but not a usable index: `drift` says so and the plan rebuilds it.
    let drift = fixture.cli(&["drift", &fixture.after()]).await.expect(1);
    assert!(
        drift.stdout.contains("attachments_name_idx")
            || drift.stderr.contains("attachments_name_idx"),
        "{drift:?}"
    );
    let applied = fixture
        .cli(&["apply", &fixture.after(), "--yes"])
        .await
        .expect(0);
    assert!(
        applied
            .stderr
            .contains("drop_index public.attachments.attachments_name_idx")
            && applied
                .stderr
                .contains("create_index_concurrently public.attachments.attachments_name_idx"),
        "{}",
        applied.stderr
    );
    assert_eq!(
        fixture
            .db
            .count("SELECT count(*) FROM pg_index WHERE indexrelid = 'attachments_name_idx'::regclass AND indisvalid")
            .await,
        1,
        "the index was built again, valid"
    );
    assert_no_leftovers(&fixture.db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_step_is_continued_once_its_cause_is_fixed() {
    let fixture = Fixture::chain("online_failed_step", 1000).await;
    let mut conn = fixture.db.connect().await;
    let mut first = fixture.spawn_apply(&fixture.after(), &["--batch-size", "200"], "first");
    wait_for_backfill(&mut conn, &mut first, "public.attachments.account_id").await;
    // The application writes a row with no session while the backfill runs: no path gives it a
    // tenant, so the verification after the backfill stops the run.
    conn.execute("INSERT INTO attachments (id, session_id, name) VALUES (0, NULL, 'orphan')")
        .await
        .expect("insert orphan");
    let failed = first.finish().await.expect(1);
    assert!(
        failed
            .stderr
            .contains("verify public.attachments.account_id")
            && failed.stderr.contains("found 1 rows"),
        "{}",
        failed.stderr
    );
    let completed: i32 = sqlx::query_scalar(
        "SELECT completed_steps FROM schemac_migrations WHERE status = 'running'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("the failed run is still open");
    conn.execute("DELETE FROM attachments WHERE id = 0")
        .await
        .expect("fix the row");
    let second = fixture
        .spawn_apply(&fixture.after(), &[], "second")
        .finish()
        .await
        .expect(0);
    assert!(
        second.stderr.contains(&format!(
            "continuing an interrupted run after step {completed}"
        )),
        "{}",
        second.stderr
    );
    assert!(
        !second.stderr.contains("backfill public.attachments"),
        "the completed backfill is not run again:\n{}",
        second.stderr
    );
    assert_converged(&fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_superseded_by_a_changed_schema_leaves_nothing_behind() {
    let fixture = Fixture::chain("online_superseded", 2000).await;
    let mut conn = fixture.db.connect().await;
    let mut first = fixture.spawn_apply(&fixture.after(), &["--batch-size", "200"], "first");
    wait_for_backfill(&mut conn, &mut first, "public.attachments.account_id").await;
    first.kill().await;
    wait_for_no_schemac_session(&fixture.db).await;
    assert_eq!(
        fixture
            .db
            .count("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'schemac%'")
            .await,
        2,
        "the killed run left both fill triggers"
    );
    // As if it had been killed later, with the NOT VALID check of sessions already added.
    conn.execute(
        "ALTER TABLE sessions ADD CONSTRAINT schemac_sessions_account_id_not_null CHECK (account_id IS NOT NULL) NOT VALID",
    )
    .await
    .expect("add the check");
    // The schema changes before apply runs again: the old plan is not continued.
    let changed = AFTER.replace(
        "  name       text\n}",
        "  name       text\n  note       text?\n}",
    );
    let changed = schema_file(fixture.dir.path(), "after.schema", &changed);
    let second = fixture
        .spawn_apply(&changed, &[], "second")
        .finish()
        .await
        .expect(0);
    assert!(
        second.stderr.contains("made from another schema"),
        "{}",
        second.stderr
    );
    assert!(
        second
            .stderr
            .contains("dropped check public.sessions.schemac_sessions_account_id_not_null"),
        "{}",
        second.stderr
    );
    assert_eq!(
        fixture
            .db
            .count("SELECT count(*) FROM schemac_migrations WHERE status = 'superseded'")
            .await,
        1
    );
    assert_converged(&fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_applies_run_the_plan_once() {
    let fixture = Fixture::chain("online_concurrent", 1000).await;
    let steps = planned_steps(&fixture).await;
    assert!(steps > 20, "the plan has its steps: {steps}");
    let mut conn = fixture.db.connect().await;
    let mut first = fixture.spawn_apply(&fixture.after(), &["--batch-size", "100"], "first");
    wait_for_backfill(&mut conn, &mut first, "public.attachments.account_id").await;
    let second = fixture.spawn_apply(&fixture.after(), &["--batch-size", "100"], "second");
    // The second waits through the first's concurrent index builds: it must not be a transaction
    // they wait for.
    let (first, second) = tokio::join!(first.finish(), second.finish());
    let first = first.expect(0);
    let second = second.expect(0);
    assert!(
        first.stdout.contains(&format!("applied {steps} steps")),
        "the first apply runs the plan:\n{}",
        first.stdout
    );
    assert!(
        second.stderr.contains("another schemac apply is running")
            && second.stderr.contains("pid ")
            && second.stderr.contains("nothing to do"),
        "the second waits, naming the holder, then finds nothing to do:\n{}",
        second.stderr
    );
    assert_eq!(second.stdout, "", "the second applied nothing");
    let runs: Vec<(String, i32)> =
        sqlx::query_as("SELECT status, completed_steps FROM schemac_migrations ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .expect("history");
    // The `before` schema's run, then this plan, once.
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[1], ("done".to_string(), steps as i32), "{runs:?}");
    assert_converged(&fixture).await;
}

// ---------------------------------------------------------------------------------------------
// Application traffic and other sessions' locks
// ---------------------------------------------------------------------------------------------

/// What the writer did.
#[derive(Debug, Default)]
struct Writes {
    done: AtomicU64,
    failed: AtomicU64,
    errors: std::sync::Mutex<Vec<String>>,
}

/// One write of the old application (which never writes `account_id`), inside a transaction that
/// first takes the table's ROW EXCLUSIVE lock and looks for the fill trigger. Once the trigger
/// has come and gone the migration is complete, and from then on the application must write the
/// column itself: the writer stops writing that table (`Ok(false)`). Holding the lock while it
/// looks makes the check exact: the trigger cannot be dropped between the look and the write.
async fn old_app_write(
    conn: &mut PgConnection,
    table: &str,
    seen: &AtomicBool,
    write: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = conn.begin().await?;
    tx.execute(format!("LOCK TABLE {table} IN ROW EXCLUSIVE MODE").as_str())
        .await?;
    let present: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname LIKE 'schemac%')",
    )
    .bind(table)
    .fetch_one(&mut *tx)
    .await?;
    if present {
        seen.store(true, Ordering::SeqCst);
    } else if seen.load(Ordering::SeqCst) {
        tx.rollback().await?;
        return Ok(false);
    }
    tx.execute(write).await?;
    tx.commit().await?;
    Ok(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_without_the_tenant_column_succeed_throughout_apply() {
    let fixture = Fixture::chain("online_writer", 1000).await;
    let writes = Arc::new(Writes::default());
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let writes = writes.clone();
        let stop = stop.clone();
        let mut conn = fixture.db.connect().await;
        tokio::spawn(async move {
            let attachments_seen = AtomicBool::new(false);
            let sessions_seen = AtomicBool::new(false);
            let (mut attachments_open, mut sessions_open) = (true, true);
            let mut n: u64 = 0;
            while !stop.load(Ordering::SeqCst) && (attachments_open || sessions_open) {
                n += 1;
                let (table, seen, write) = match n % 4 {
                    // A new attachment of a random session, with its account in `name` for the
                    // final check: the tenant column comes from the fill trigger.
                    0 | 1 if attachments_open => (
                        "attachments",
                        &attachments_seen,
                        "INSERT INTO attachments (session_id, name)
                         SELECT s.id, u.account_id::text FROM sessions s JOIN users u ON u.id = s.user_id
                         ORDER BY random() LIMIT 1"
                            .to_string(),
                    ),
                    // An update of a random old row, maybe not backfilled yet.
                    2 if attachments_open => (
                        "attachments",
                        &attachments_seen,
                        format!("UPDATE attachments SET name = name WHERE id = {}", 1 + fastrand::u64(..20_000)),
                    ),
                    _ if sessions_open => (
                        "sessions",
                        &sessions_seen,
                        if fastrand::bool() {
                            "INSERT INTO sessions (user_id) SELECT id FROM users ORDER BY random() LIMIT 1".to_string()
                        } else {
                            "UPDATE sessions SET user_id = user_id WHERE id = (SELECT id FROM sessions ORDER BY random() LIMIT 1)".to_string()
                        },
                    ),
                    _ => continue,
                };
                match old_app_write(&mut conn, table, seen, &write).await {
                    Ok(true) => {
                        writes.done.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(false) if table == "attachments" => attachments_open = false,
                    Ok(false) => sessions_open = false,
                    Err(error) => {
                        writes.failed.fetch_add(1, Ordering::SeqCst);
                        if let Ok(mut errors) = writes.errors.lock() {
                            errors.push(format!("{write}: {error}"));
                        }
                        // Leave the connection usable after a failed transaction.
                        let _ = conn.execute("ROLLBACK").await;
                    }
                }
            }
            (attachments_seen.into_inner(), sessions_seen.into_inner())
        })
    };
    // Let the writer get going on the old schema first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = writes.done.load(Ordering::SeqCst);
    let applied = fixture
        .spawn_apply(&fixture.after(), &["--batch-size", "200"], "apply")
        .finish()
        .await;
    stop.store(true, Ordering::SeqCst);
    let (attachments_seen, sessions_seen) = writer.await.expect("writer task");
    let applied = applied.expect(0);
    let errors = writes.errors.lock().map(|e| e.clone()).unwrap_or_default();
    assert_eq!(
        writes.failed.load(Ordering::SeqCst),
        0,
        "application writes failed during apply: {errors:#?}"
    );
    let during = writes.done.load(Ordering::SeqCst) - before;
    assert!(
        during >= 50 && attachments_seen && sessions_seen,
        "the writer ran throughout the migration ({during} writes during apply; triggers seen: {attachments_seen}, {sessions_seen})\n{}",
        applied.stderr
    );
    assert!(
        fixture.db.count("SELECT count(*) FROM attachments").await > 20_000,
        "the writer's rows were kept"
    );
    assert_converged(&fixture).await;
}

/// Samples, every 20 ms, the longest lock wait of a `schemac` session and of the reader. A
/// concurrent build's waits for other transactions are left out: they block no one and are meant
/// to wait (its statement time is not a lock wait).
async fn sample_lock_waits(url: String, stop: Arc<AtomicBool>) -> (Duration, Duration) {
    let mut conn = PgConnection::connect(&url).await.expect("sampler");
    let (mut schemac, mut others) = (0.0f64, 0.0f64);
    while !stop.load(Ordering::SeqCst) {
        let rows: Vec<(Option<String>, Option<f64>)> = sqlx::query_as(
            "SELECT application_name, extract(epoch FROM now() - query_start)::float8
             FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'
               AND query NOT LIKE 'CREATE%INDEX CONCURRENTLY%'",
        )
        .fetch_all(&mut conn)
        .await
        .expect("sample");
        for (name, waited) in rows {
            let waited = waited.unwrap_or(0.0);
            if name.as_deref() == Some("schemac") {
                schemac = schemac.max(waited);
            } else if name.as_deref() == Some("reader") {
                others = others.max(waited);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (
        Duration::from_secs_f64(schemac),
        Duration::from_secs_f64(others),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn brief_ddl_behind_a_long_transaction_retries_under_its_lock_timeout() {
    let fixture = Fixture::chain("online_lock_retry", 50).await;
    // A long transaction that only read the table: it holds ACCESS SHARE until it ends.
    let mut blocker = fixture.db.connect().await;
    blocker
        .execute("BEGIN; SELECT count(*) FROM attachments")
        .await
        .expect("blocker");
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(sample_lock_waits(fixture.db.url(), stop.clone()));
    // Readers keep reading the table: with no lock timeout, the first queued ALTER would stall
    // them for as long as the blocker lasts.
    let reader = {
        let stop = stop.clone();
        let base = fixture.db.url();
        let url = format!(
            "{base}{}application_name=reader",
            if base.contains('?') { '&' } else { '?' }
        );
        tokio::spawn(async move {
            let mut conn = PgConnection::connect(&url).await.expect("reader");
            let mut slowest = Duration::ZERO;
            while !stop.load(Ordering::SeqCst) {
                let started = Instant::now();
                sqlx::query("SELECT name FROM attachments WHERE id = 7")
                    .fetch_optional(&mut conn)
                    .await
                    .expect("read");
                slowest = slowest.max(started.elapsed());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            slowest
        })
    };
    let apply = fixture.spawn_apply(&fixture.after(), &["--lock-timeout", "100ms"], "apply");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    blocker.execute("COMMIT").await.expect("end the blocker");
    let ended = apply.finish().await;
    stop.store(true, Ordering::SeqCst);
    let (schemac_wait, reader_wait) = sampler.await.expect("sampler");
    let slowest_read = reader.await.expect("reader");
    let ended = ended.expect(0);
    assert!(
        ended
            .stderr
            .contains("lock not granted in time (attempt 1); retrying in"),
        "the blocked step retried:\n{}",
        ended.stderr
    );
    // Each attempt gave up after about 100 ms; the blocker lasted 1.5 s.
    let bound = Duration::from_millis(750);
    assert!(
        schemac_wait < bound,
        "a schemac statement waited {schemac_wait:?} for a lock"
    );
    assert!(
        reader_wait < bound && slowest_read < bound,
        "a reader queued behind schemac for {reader_wait:?} (slowest read {slowest_read:?})"
    );
    assert_converged(&fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_retries_are_bounded_and_name_the_blocker() {
    let fixture = Fixture::chain("online_lock_budget", 50).await;
    let plan_file = fixture.path("plan.json");
    fixture
        .cli(&["plan", &fixture.after(), "-o", &plan_file])
        .await
        .expect(0);
    let (plan, _) = schemac::cli::json::read_plan_file(
        &std::fs::read_to_string(&plan_file).expect("plan file"),
    )
    .expect("plan file reads back");
    let mut blocker = fixture.db.connect().await;
    blocker
        .execute("BEGIN; SELECT count(*) FROM attachments")
        .await
        .expect("blocker");
    let blocker_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut blocker)
        .await
        .expect("pid");
    let mut conn = fixture.db.connect().await;
    let options = schemac::apply::ApplyOptions {
        lock_timeout: Duration::from_millis(50),
        lock_attempts: 3,
        ..Default::default()
    };
    let mut retries = Vec::new();
    let started = Instant::now();
    let result = schemac::apply::run(&mut conn, &plan, &options, &mut |event| {
        if let schemac::apply::Event::LockRetry { attempt, .. } = event {
            retries.push(attempt);
        }
    })
    .await;
    let elapsed = started.elapsed();
    match result {
        Err(error @ schemac::apply::ApplyError::LockTimeout { attempts: 3, .. }) => {
            let message = error.to_string();
            assert!(
                message.contains("public.attachments")
                    && message.contains(&format!("pid {blocker_pid}")),
                "the message names the table and the blocking session: {message}"
            );
        }
        other => panic!("expected a lock timeout after 3 attempts, got {other:?}"),
    }
    assert_eq!(retries, [1, 2], "two waits between three attempts");
    assert!(
        elapsed < Duration::from_secs(5),
        "the retry budget is bounded: {elapsed:?}"
    );
    blocker.execute("COMMIT").await.expect("end the blocker");
    // Nothing ran without a timeout while the blocker held on: the column is not there.
    assert_eq!(
        fixture
            .db
            .count("SELECT count(*) FROM pg_attribute WHERE attrelid = 'attachments'::regclass AND attname = 'account_id'")
            .await,
        0
    );
}

// ---------------------------------------------------------------------------------------------
// Plan files
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_file_is_refused_when_the_database_changed_since() {
    let fixture = Fixture::chain("online_plan_file", 10).await;
    let steps = planned_steps(&fixture).await;
    let plan_file = fixture.path("plan.json");
    fixture
        .cli(&["plan", &fixture.after(), "-o", &plan_file])
        .await
        .expect(0);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).expect("plan file"))
            .expect("plan file JSON");
    assert!(
        saved["fingerprint"]
            .as_str()
            .and_then(|f| f.strip_prefix("v1:"))
            .is_some_and(|f| f.len() == 64),
        "the plan file records the database's fingerprint: {}",
        saved["fingerprint"]
    );

    fixture
        .db
        .execute("ALTER TABLE sessions ADD COLUMN note text")
        .await;
    let state = database_state(&fixture.db, "attachments").await;
    let refused = fixture.cli(&["apply", &plan_file, "--yes"]).await.expect(1);
    assert!(
        refused
            .stderr
            .contains("refused: the database schema changed since this plan was made"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        database_state(&fixture.db, "attachments").await,
        state,
        "the database changed"
    );

    // Back to what the plan was made against: it applies.
    fixture
        .db
        .execute("ALTER TABLE sessions DROP COLUMN note")
        .await;
    let applied = fixture.cli(&["apply", &plan_file, "--yes"]).await.expect(0);
    assert!(
        applied.stdout.contains(&format!("applied {steps} steps")),
        "{}",
        applied.stdout
    );
    assert_converged(&fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enum_value_added_by_a_killed_run_counts_as_done() {
    let schema = |values: &str| {
        format!("enum ticket_state {{ {values} }}\n\ntable tickets {{\n  id    bigserial primary\n  state ticket_state\n}}\n")
    };
    let fixture = Fixture::new(
        "online_enum_resume",
        &schema("open, closed"),
        &schema("open, closed, archived"),
    )
    .await;
    let plan_file = fixture.path("plan.json");
    fixture
        .cli(&["plan", &fixture.after(), "-o", &plan_file])
        .await
        .expect(0);
    let text = std::fs::read_to_string(&plan_file).expect("plan file");
    let (plan, _) = schemac::cli::json::read_plan_file(&text).expect("plan file reads back");
    assert_eq!(
        plan.steps
            .iter()
            .map(|s| s.kind.as_str())
            .collect::<Vec<_>>(),
        ["add_enum_value"]
    );
    // A run that was killed after `ADD VALUE` committed (it cannot run in a transaction with the
    // step's record) and before the step was recorded: the value is there, the step is not done.
    let mut conn = fixture.db.connect().await;
    conn.execute("ALTER TYPE ticket_state ADD VALUE 'archived'")
        .await
        .expect("add the value");
    schemac::apply::history::ensure_table(&mut conn)
        .await
        .expect("history table");
    schemac::apply::history::start(
        &mut conn,
        &schemac::apply::history::plan_hash(&plan),
        serde_json::json!([{ "kind": "add_enum_value" }]),
        &schemac::apply::history::Origin::default(),
    )
    .await
    .expect("record the run");
    let applied = fixture.cli(&["apply", &plan_file, "--yes"]).await.expect(0);
    assert!(
        applied
            .stderr
            .contains("continuing an interrupted run after step 0"),
        "{}",
        applied.stderr
    );
    assert_eq!(
        fixture
            .db
            .count("SELECT count(*) FROM schemac_migrations WHERE status = 'running'")
            .await,
        0
    );
    fixture.cli(&["drift", &fixture.after()]).await.expect(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_table_of_an_earlier_version_is_upgraded() {
    let fixture = Fixture::chain("online_history_upgrade", 10).await;
    // The table as versions without resumable schema runs made it.
    fixture
        .db
        .execute("ALTER TABLE schemac_migrations DROP COLUMN plan_file, DROP COLUMN schema_hash")
        .await;
    fixture
        .cli(&["apply", &fixture.after(), "--yes"])
        .await
        .expect(0);
    assert_eq!(
        fixture
            .db
            .count(
                "SELECT count(*) FROM schemac_migrations
                 WHERE status = 'done' AND plan_file IS NOT NULL AND schema_hash IS NOT NULL"
            )
            .await,
        1,
        "the new run is recorded with its plan and schema"
    );
    assert_converged(&fixture).await;
}
