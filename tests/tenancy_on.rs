//! Turning tenancy on for existing tables that hold rows and serve traffic: the plan adds and
//! backfills the tenant column, converts single-column foreign keys between tenant tables to
//! composite same-tenant keys online (unique index built concurrently, new key NOT VALID, then
//! validated, then the old key dropped), and creates the policies before it enables row-level
//! security, each step brief and transactional, saying per table which roles will see which rows.
//! The order is asserted on the plan JSON; then the plan is applied with the rows present, and the
//! rows survive, filled and isolated.

mod support;

use serde_json::Value;
use sqlx::{Connection, Executor};

use support::cli::schemac_async;
use support::TestDb;

const BEFORE: &str = r#"
table accounts {
  id   uuid primary default(gen_random_uuid())
  name text
}

table users {
  id         uuid primary default(gen_random_uuid())
  account_id uuid references accounts on delete cascade
  email      text
}

table trees {
  id         uuid primary default(gen_random_uuid())
  account_id uuid references accounts on delete cascade
  name       text
}

table sessions {
  id      uuid primary default(gen_random_uuid())
  user_id uuid references users on delete cascade
  tree_id uuid? references trees on delete set null
  title   text
}

table attachments {
  id         uuid primary default(gen_random_uuid())
  session_id uuid references sessions on delete cascade
  file_name  text
}

role app_user
grant select, insert, update, delete on users, trees, sessions, attachments to app_user
"#;

const AFTER: &str = r#"
tenancy {
  root    accounts
  column  account_id
  setting "app.current_account_id"
  bypass  platform_admin
}

table accounts {
  id   uuid primary default(gen_random_uuid())
  name text
}

tenant table users {
  id    uuid primary default(gen_random_uuid())
  email text
}

tenant table trees {
  id   uuid primary default(gen_random_uuid())
  name text
}

tenant table sessions {
  id      uuid primary default(gen_random_uuid())
  user_id uuid references users on delete cascade
  tree_id uuid? references trees on delete set null
  title   text

  backfill account_id from user_id
}

tenant table attachments {
  id         uuid primary default(gen_random_uuid())
  session_id uuid references sessions on delete cascade
  file_name  text
}

role app_user
grant select, insert, update, delete on tenant tables to app_user
"#;

/// Two accounts; per account two users and a tree; per user two sessions on the account's tree;
/// per session two attachments.
const DATA: &str = r#"
INSERT INTO accounts (name) VALUES ('a'), ('b');
INSERT INTO users (account_id, email) SELECT a.id, a.name || n || '@example.com' FROM accounts a, generate_series(1, 2) n;
INSERT INTO trees (account_id, name) SELECT id, 'tree of ' || name FROM accounts;
INSERT INTO sessions (user_id, tree_id, title)
  SELECT u.id, t.id, 'session ' || n FROM users u JOIN trees t ON t.account_id = u.account_id, generate_series(1, 2) n;
INSERT INTO attachments (session_id, file_name) SELECT s.id, 'file' || n FROM sessions s, generate_series(1, 2) n;
"#;

const TENANT_TABLES: [&str; 4] = ["users", "trees", "sessions", "attachments"];

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The plan's steps, with the position of each.
struct Steps(Vec<Value>);

impl Steps {
    /// Position of the one step of `kind` on `target`; panics if there is none.
    #[track_caller]
    fn at(&self, kind: &str, target: &str) -> usize {
        self.0
            .iter()
            .position(|s| s["kind"] == kind && s["target"] == target)
            .unwrap_or_else(|| {
                panic!(
                    "no `{kind}` step on `{target}` in the plan:\n{}",
                    self.list()
                )
            })
    }

    fn step(&self, kind: &str, target: &str) -> &Value {
        &self.0[self.at(kind, target)]
    }

    #[track_caller]
    fn before(&self, first: (&str, &str), then: (&str, &str)) {
        let (a, b) = (self.at(first.0, first.1), self.at(then.0, then.1));
        assert!(
            a < b,
            "`{} {}` (step {}) must come before `{} {}` (step {}):\n{}",
            first.0,
            first.1,
            a + 1,
            then.0,
            then.1,
            b + 1,
            self.list()
        );
    }

    fn list(&self) -> String {
        self.0
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{:>3}. {} {}", i + 1, s["kind"], s["target"]))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[tokio::test]
async fn turning_tenancy_on_for_tables_with_rows_is_planned_online_and_applies() {
    let db = TestDb::new().await;
    let url = db.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let before = dir.path().join("before.schema");
    let after = dir.path().join("after.schema");
    std::fs::write(&before, BEFORE).expect("before written");
    std::fs::write(&after, AFTER).expect("after written");
    let (before, after) = (before.display().to_string(), after.display().to_string());
    schemac_async(args(&["apply", &before, "--database-url", &url, "--yes"]))
        .await
        .expect(0);
    db.execute(DATA).await;

    let planned = schemac_async(args(&[
        "plan",
        &after,
        "--database-url",
        &url,
        "--format",
        "json",
    ]))
    .await
    .expect(0);
    let json: Value = serde_json::from_str(&planned.stdout).expect("plan JSON");
    let steps = Steps(json["steps"].as_array().expect("steps").clone());
    let isolation =
        "(account_id = (NULLIF(current_setting('app.current_account_id'::text, true), ''::text))::uuid)";

    // Nothing in it is destructive: the old keys are replaced by stronger ones.
    for step in &steps.0 {
        assert_eq!(
            step["destructive"], false,
            "{step}: turning tenancy on drops nothing the schema had"
        );
    }

    for table in TENANT_TABLES {
        let t = format!("public.{table}");
        let enable = ("enable_row_level_security", t.as_str());
        let isolation_policy = format!("{t}.tenant_isolation");
        let bypass_policy = format!("{t}.platform_admin_bypass");
        // Policies first, RLS last: no moment with RLS on and no policy to let rows through.
        steps.before(("create_policy", &isolation_policy), enable);
        steps.before(("create_policy", &bypass_policy), enable);
        steps.before(enable, ("force_row_level_security", &t));
        // The policy filters on the tenant column: filled and NOT NULL first, and indexed.
        let column = format!("{t}.account_id");
        if table == "sessions" || table == "attachments" {
            steps.before(
                ("set_not_null", &column),
                ("create_policy", &isolation_policy),
            );
        }
        // Parents of composite keys get `unique (account_id, id)`, which serves as the index.
        let index = if table == "attachments" {
            format!("{t}.{table}_account_id_idx")
        } else {
            format!("{t}.{table}_account_id_id_key")
        };
        steps.before(("create_index_concurrently", &index), enable);
        // Each step is brief, in its own transaction, under the lock timeout.
        for (kind, target) in [
            ("create_policy", isolation_policy.as_str()),
            ("create_policy", bypass_policy.as_str()),
            enable,
            ("force_row_level_security", t.as_str()),
        ] {
            let step = steps.step(kind, target);
            assert_eq!(step["transactional"], true, "{step}");
            assert_eq!(step["lock"], "ACCESS EXCLUSIVE (instant)", "{step}");
        }
        // Who will see what, per role, on the step that turns it on.
        let hazards = steps.step(enable.0, enable.1)["hazards"].to_string();
        for expected in [
            "row-visibility".to_string(),
            format!("app_user reads and writes rows where {isolation}").replace('"', "\\\""),
            "the owner is subject to the policies too (FORCE)".to_string(),
        ] {
            assert!(
                hazards.contains(&expected),
                "enabling RLS on {table} should say `{expected}`: {hazards}"
            );
        }
    }

    // Composite same-tenant keys replace the single-column ones online.
    for (child, column, parent) in [
        ("sessions", "user_id", "users"),
        ("sessions", "tree_id", "trees"),
        ("attachments", "session_id", "sessions"),
    ] {
        let unique_index = format!("public.{parent}.{parent}_account_id_id_key");
        let new_key = format!("public.{child}.{child}_account_id_{column}_fkey");
        let old_key = format!("public.{child}.{child}_{column}_fkey");
        let build = steps.step("create_index_concurrently", &unique_index);
        assert_eq!(build["transactional"], false, "{build}");
        assert!(
            build["sql"]
                .as_str()
                .is_some_and(|s| s.starts_with("CREATE UNIQUE INDEX CONCURRENTLY")),
            "{build}"
        );
        let add = steps.step("add_foreign_key", &new_key);
        assert!(
            add["sql"]
                .as_str()
                .is_some_and(|s| s.ends_with("NOT VALID")),
            "{add}"
        );
        steps.before(
            ("create_index_concurrently", &unique_index),
            ("add_unique", &unique_index),
        );
        steps.before(("add_unique", &unique_index), ("add_foreign_key", &new_key));
        steps.before(
            ("add_foreign_key", &new_key),
            ("validate_constraint", &new_key),
        );
        steps.before(
            ("validate_constraint", &new_key),
            ("drop_constraint", &old_key),
        );
        // The new key reads the child's tenant column: only once every row has it.
        steps.before(
            ("set_not_null", &format!("public.{child}.account_id")),
            ("validate_constraint", &new_key),
        );
    }
    // `attachments` is filled from `sessions`, which is filled from `users`.
    steps.before(
        ("backfill", "public.sessions.account_id"),
        ("backfill", "public.attachments.account_id"),
    );

    // Applied with the rows present (the plan is made again, and must be the same one).
    schemac_async(args(&["apply", &after, "--database-url", &url, "--yes"]))
        .await
        .expect(0);
    schemac_async(args(&["drift", &after, "--database-url", &url]))
        .await
        .expect(0);

    for (table, rows) in [
        ("users", 4),
        ("trees", 2),
        ("sessions", 8),
        ("attachments", 16),
    ] {
        assert_eq!(
            db.count(&format!("SELECT count(*) FROM {table}")).await,
            rows,
            "{table} kept its rows"
        );
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) FROM pg_class WHERE oid = '{table}'::regclass \
                 AND relrowsecurity AND relforcerowsecurity"
            ))
            .await,
            1,
            "{table}: RLS enabled and forced"
        );
    }
    assert_eq!(
        db.count(
            "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.account_id IS DISTINCT FROM u.account_id"
        )
        .await,
        0,
        "every session has its user's account"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM attachments a JOIN sessions s ON s.id = a.session_id \
             WHERE a.account_id IS DISTINCT FROM s.account_id"
        )
        .await,
        0,
        "every attachment has its session's account"
    );
    // Only the composite keys remain between tenant tables.
    assert_eq!(
        db.count(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conname IN \
             ('sessions_user_id_fkey', 'sessions_tree_id_fkey', 'attachments_session_id_fkey')"
        )
        .await,
        0,
        "the single-column keys are dropped"
    );
    // No fill trigger or function left behind.
    assert_eq!(
        db.count(
            "SELECT (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'schemac%') \
             + (SELECT count(*) FROM pg_proc WHERE proname LIKE 'schemac%')"
        )
        .await,
        0
    );

    // And the application, which sets the account, now sees only its own rows.
    let mut conn = db.connect().await;
    let account: String = sqlx::query_scalar("SELECT id::text FROM accounts WHERE name = 'a'")
        .fetch_one(&mut conn)
        .await
        .expect("account a");
    conn.execute(
        format!(
            "BEGIN; SET LOCAL ROLE app_user; \
             SELECT set_config('app.current_account_id', '{account}', true)"
        )
        .as_str(),
    )
    .await
    .expect("switch to app_user in account a");
    for (table, rows) in [("users", 2), ("sessions", 4), ("attachments", 8)] {
        let seen: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .expect("count as app_user");
        assert_eq!(seen, rows, "app_user in account a sees only a's {table}");
    }
    conn.execute("ROLLBACK").await.expect("rollback");
}

/// Existing rows that already point across tenants (a session of account a on a tree of account
/// b) cannot get a same-tenant key: `apply` finds them before it changes anything, names the key
/// and an example row, and leaves the database as it was.
#[tokio::test]
async fn rows_pointing_across_tenants_stop_the_plan_before_any_change() {
    let db = TestDb::new().await;
    let url = db.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let before = dir.path().join("before.schema");
    let after = dir.path().join("after.schema");
    // Here `sessions` has the tenant column already, so the composite key's columns all exist.
    let with_column = BEFORE.replace(
        "  user_id uuid references users on delete cascade\n  tree_id",
        "  account_id uuid references accounts on delete cascade\n  user_id uuid references users on delete cascade\n  tree_id",
    );
    assert_ne!(
        with_column, BEFORE,
        "the before schema has the expected shape"
    );
    std::fs::write(&before, with_column).expect("before written");
    std::fs::write(&after, AFTER).expect("after written");
    let (before, after) = (before.display().to_string(), after.display().to_string());
    schemac_async(args(&["apply", &before, "--database-url", &url, "--yes"]))
        .await
        .expect(0);
    db.execute(
        "INSERT INTO accounts (name) VALUES ('a'), ('b');
         INSERT INTO users (account_id, email) SELECT id, name || '@example.com' FROM accounts;
         INSERT INTO trees (account_id, name) SELECT id, 'tree of ' || name FROM accounts;
         INSERT INTO sessions (account_id, user_id, tree_id, title)
           SELECT a.id, u.id, t.id, 'crossing'
           FROM accounts a JOIN users u ON u.account_id = a.id, trees t
           WHERE a.name = 'a' AND t.account_id = (SELECT id FROM accounts WHERE name = 'b');",
    )
    .await;
    let crossing: String = {
        let mut conn = db.connect().await;
        sqlx::query_scalar("SELECT id::text FROM sessions")
            .fetch_one(&mut conn)
            .await
            .expect("the crossing session")
    };
    let fingerprint = |db: &TestDb| {
        let url = db.url();
        async move {
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
            schemac::introspect::catalog(&mut conn)
                .await
                .expect("introspect")
                .fingerprint()
        }
    };
    let unchanged = fingerprint(&db).await;
    let refused = schemac_async(args(&["apply", &after, "--database-url", &url, "--yes"])).await;
    assert_eq!(
        refused.code, 1,
        "apply must refuse\n{}{}",
        refused.stdout, refused.stderr
    );
    assert!(
        refused.stderr.contains("sessions_account_id_tree_id_fkey")
            && refused.stderr.contains(&crossing),
        "the refusal names the key and the row:\n{}",
        refused.stderr
    );
    assert_eq!(
        fingerprint(&db).await,
        unchanged,
        "nothing was changed:\n{}",
        refused.stderr
    );
}
