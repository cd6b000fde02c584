//! `plan`, `drift` and `introspect` only read the target (issue 11, CLI.md): the same result as on
//! a read-write connection, and success with a role that may only read, with
//! `default_transaction_read_only = on`, and with DDL on the target refused outright; expressions
//! schemac cannot print itself go to a throwaway cluster or `--dev-url`, never the target.

mod support;

use support::cli::schemac_async;
use support::TestDb;

/// A role that may only read: created idempotently (roles are cluster-wide and shared with other
/// tests), never dropped.
const READER: &str = "schemac_readonly_reader";

/// Known forms (printed by schemac) and one it does not know (`~`), which needs a dev database.
const SCHEMA: &str = r#"
tenancy { root accounts  column account_id  setting "app.current_account_id" }

enum state { open, closed }

table accounts {
  id    uuid primary default(gen_random_uuid())
  name  text check (length(name) > 0) check (name ~ '^[a-z]')
}

tenant table users {
  id     uuid primary default(gen_random_uuid())
  email  varchar(200) unique
  st     state default('open') check (st in ('open', 'closed'))
  n      numeric(12,2) default(0) check (n >= 0)
  at     timestamptz default(now())
  index (lower(email)) where (n > 0)
}

role schemac_readonly_reader
grant select on all tables to schemac_readonly_reader
"#;

/// The same schema with a change: a column and a check.
fn changed() -> String {
    SCHEMA.replace(
        "  at     timestamptz default(now())\n",
        "  at     timestamptz default(now())\n  nick   text? check (nick <> '')\n",
    )
}

fn write_schema(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("app.schema"), text).expect("write schema");
    let path = dir.path().display().to_string();
    (dir, path)
}

async fn run(args: &[&str]) -> support::cli::Run {
    schemac_async(args.iter().map(|a| a.to_string()).collect()).await
}

/// A database made from `SCHEMA` by `apply`, with the reader allowed to connect and read.
async fn applied() -> TestDb {
    let db = TestDb::new().await;
    db.execute(&format!(
        "DO $$ BEGIN CREATE ROLE {READER} LOGIN; \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    ))
    .await;
    let (_dir, path) = write_schema(SCHEMA);
    let url = db.url();
    run(&["apply", &path, "--database-url", &url, "--yes"])
        .await
        .expect(0);
    db.execute(&format!(
        "GRANT CONNECT ON DATABASE {} TO {READER}; GRANT USAGE ON SCHEMA public TO {READER}",
        schemac::sql::ident(db.name())
    ))
    .await;
    db
}

/// `url` with the user replaced by the reader (no password: the test server trusts).
fn as_reader(url: &str) -> String {
    as_role(url, READER)
}

fn as_role(url: &str, role: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("test URL");
    parsed.set_username(role).expect("set user");
    let _ = parsed.set_password(None);
    parsed.to_string()
}

#[tokio::test]
async fn a_read_only_role_gets_the_same_plan_drift_and_introspection() {
    let db = applied().await;
    // Rows, so that the writer's facts equal what a reader that row-level security hides them
    // from assumes.
    db.execute(
        "INSERT INTO accounts (name) VALUES ('acme'); \
         INSERT INTO users (account_id, email) SELECT id, 'a@example.com' FROM accounts",
    )
    .await;
    let writer = db.url();
    let reader = as_reader(&writer);
    let (_dir, same) = write_schema(SCHEMA);
    let (_dir2, change) = write_schema(&changed());
    for url in [&writer, &reader] {
        let drift = run(&["drift", &same, "--database-url", url])
            .await
            .expect(0);
        assert!(drift.stdout.is_empty(), "{}", drift.stdout);
        let plan = run(&["plan", &same, "--database-url", url, "--format", "json"])
            .await
            .expect(0);
        assert_eq!(steps(&plan.stdout), 0, "{}", plan.stdout);
    }
    let plans: Vec<String> = plans_of(&change, &writer, &reader).await;
    assert_eq!(plans[0], plans[1], "the reader's plan equals the writer's");
    assert!(plans[0].contains("add_column"), "{}", plans[0]);
    let drifts = [
        run(&["drift", &change, "--database-url", &writer])
            .await
            .expect(1),
        run(&["drift", &change, "--database-url", &reader])
            .await
            .expect(1),
    ];
    assert_eq!(drifts[0].stdout, drifts[1].stdout);
    assert!(drifts[0].stdout.contains("nick"), "{}", drifts[0].stdout);
    let introspected = [
        run(&["introspect", "--database-url", &writer])
            .await
            .expect(0),
        run(&["introspect", "--database-url", &reader])
            .await
            .expect(0),
    ];
    assert_eq!(introspected[0].stdout, introspected[1].stdout);
}

/// The URL of `role`, a role that may only read `db` and is allowed a single session
/// (`CONNECTION LIMIT 1`): created idempotently (roles are cluster-wide), one name per test, since
/// tests that share one would take each other's session.
async fn single_session_role(db: &TestDb, role: &str) -> String {
    db.execute(&format!(
        "DO $$ BEGIN CREATE ROLE {role} LOGIN CONNECTION LIMIT 1; \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$; \
         GRANT CONNECT ON DATABASE {db} TO {role}; GRANT USAGE ON SCHEMA public TO {role}; \
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
        db = schemac::sql::ident(db.name())
    ))
    .await;
    as_role(&db.url(), role)
}

/// `plan`, `drift` and `introspect` read with a second session where the server gives one; a role
/// allowed a single session (`CONNECTION LIMIT 1`, or a pooler of one) reads on that one.
#[tokio::test]
async fn a_role_allowed_one_session_reads_on_one() {
    let db = applied().await;
    let single = single_session_role(&db, "schemac_single_session_reader").await;
    // Rows, as in the test above: row-level security hides them from this role, which then
    // assumes rows, as the writer must see them to plan alike.
    db.execute(
        "INSERT INTO accounts (name) VALUES ('acme'); \
         INSERT INTO users (account_id, email) SELECT id, 'a@example.com' FROM accounts",
    )
    .await;
    let writer = db.url();
    let (_dir, change) = write_schema(&changed());
    let plans = plans_of(&change, &writer, &single).await;
    assert_eq!(plans[0], plans[1], "one session plans as two do");
    assert!(plans[0].contains("add_column"), "{}", plans[0]);
    let drift = run(&["drift", &change, "--database-url", &single])
        .await
        .expect(1);
    assert!(drift.stdout.contains("nick"), "{}", drift.stdout);
    let introspected = [
        run(&["introspect", "--database-url", &writer])
            .await
            .expect(0),
        run(&["introspect", "--database-url", &single])
            .await
            .expect(0),
    ];
    assert_eq!(introspected[0].stdout, introspected[1].stdout);
}

/// A role allowed one session is refused for a moment after its previous command's session has
/// ended (the server process outlives its client briefly): the next command waits for the slot
/// instead of failing. Here the session is held for 300 ms while `drift` starts.
#[tokio::test]
async fn a_role_whose_only_session_is_still_in_use_is_waited_for() {
    let db = applied().await;
    let single = single_session_role(&db, "schemac_single_session_waiter").await;
    let (_dir, change) = write_schema(&changed());
    let holder = <sqlx::PgConnection as sqlx::Connection>::connect(&single)
        .await
        .expect("the role's one session");
    let release = async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        sqlx::Connection::close(holder)
            .await
            .expect("close the held session");
    };
    let args = ["drift", &change, "--database-url", &single];
    let (drift, ()) = tokio::join!(run(&args), release);
    let drift = drift.expect(1);
    assert!(drift.stdout.contains("nick"), "{}", drift.stdout);
}

async fn plans_of(schema: &str, writer: &str, reader: &str) -> Vec<String> {
    let mut plans = Vec::new();
    for url in [writer, reader] {
        let plan = run(&["plan", schema, "--database-url", url, "--format", "json"])
            .await
            .expect(0);
        plans.push(plan.stdout);
    }
    plans
}

fn steps(json: &str) -> usize {
    let value: serde_json::Value = serde_json::from_str(json).expect("plan JSON");
    value["steps"].as_array().expect("steps").len()
}

#[tokio::test]
async fn default_transaction_read_only_on_the_database_is_no_obstacle() {
    let db = applied().await;
    db.execute(&format!(
        "ALTER DATABASE {} SET default_transaction_read_only = on",
        schemac::sql::ident(db.name())
    ))
    .await;
    let url = db.url();
    let (_dir, same) = write_schema(SCHEMA);
    let (_dir2, change) = write_schema(&changed());
    run(&["drift", &same, "--database-url", &url])
        .await
        .expect(0);
    let plan = run(&["plan", &change, "--database-url", &url, "--format", "json"])
        .await
        .expect(0);
    assert!(steps(&plan.stdout) > 0, "{}", plan.stdout);
    run(&["drift", &change, "--database-url", &url])
        .await
        .expect(1);
    run(&["introspect", "--database-url", &url]).await.expect(0);
}

/// An event trigger on the target refuses every DDL statement, as a read-only target would: `plan`
/// and `drift` of a schema with an expression schemac cannot print itself still succeed (it went to
/// a throwaway cluster), and no `schemac_scratch_*` schema ever appears on the target.
#[tokio::test]
async fn no_ddl_reaches_the_target_even_for_unknown_expressions() {
    let db = applied().await;
    db.execute(
        "CREATE FUNCTION public.refuse_ddl() RETURNS event_trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'DDL reached the target: %', tg_tag; END $$; \
         CREATE EVENT TRIGGER refuse_ddl ON ddl_command_start EXECUTE FUNCTION public.refuse_ddl()",
    )
    .await;
    let url = db.url();
    let (_dir, same) = write_schema(SCHEMA);
    let (_dir2, change) = write_schema(&changed());
    run(&["plan", &same, "--database-url", &url])
        .await
        .expect(0);
    run(&["plan", &change, "--database-url", &url])
        .await
        .expect(0);
    let drift = run(&["drift", &change, "--database-url", &url]).await;
    assert_eq!(drift.code, 1, "{}{}", drift.stdout, drift.stderr);
    // apply may write, and prints unknown expressions on the target: the trigger refuses it.
    let apply = run(&["apply", &change, "--database-url", &url, "--yes"]).await;
    assert_ne!(apply.code, 0, "the guard works: {}", apply.stderr);
    db.execute("DROP EVENT TRIGGER refuse_ddl; DROP FUNCTION public.refuse_ddl()")
        .await;
    assert_eq!(
        db.count("select count(*) from pg_namespace where nspname like 'schemac_scratch%'")
            .await,
        0
    );
}

/// `--dev-url` is used instead of a throwaway cluster, and a dev URL that does not answer is an
/// error that says what was being done, exit 2 for drift.
#[tokio::test]
async fn dev_url_is_where_unknown_expressions_go() {
    let db = applied().await;
    let dev = TestDb::new().await;
    let url = db.url();
    let dev_url = dev.url();
    let (_dir, same) = write_schema(SCHEMA);
    run(&[
        "drift",
        &same,
        "--database-url",
        &url,
        "--dev-url",
        &dev_url,
    ])
    .await
    .expect(0);
    let bad = "postgres://postgres@127.0.0.1:1/nowhere";
    let drift = run(&["drift", &same, "--database-url", &url, "--dev-url", bad])
        .await
        .expect(2);
    assert!(drift.stderr.contains("--dev-url"), "{}", drift.stderr);
}

#[tokio::test]
async fn drift_exits_two_when_it_cannot_tell() {
    let (_dir, same) = write_schema(SCHEMA);
    let unreachable = "postgres://postgres@127.0.0.1:1/nowhere";
    run(&["drift", &same, "--database-url", unreachable])
        .await
        .expect(2);
    let (_dir2, bad) = write_schema("table t {\n  id nosuchtype\n}\n");
    run(&["drift", &bad, "--database-url", unreachable])
        .await
        .expect(2);
    let (_dir3, broken) = write_schema("table t {\n  id uuid primary\n");
    run(&["fmt", &broken, "--check"]).await.expect(2);
}

/// A real hot standby: a throwaway primary, a `pg_basebackup -R` standby of it; the schema is
/// applied on the primary, and `plan`, `drift` and `introspect` of the standby give what they give
/// on the primary.
#[tokio::test]
async fn a_hot_standby_plans_and_drifts_like_its_primary() {
    use sqlx::Connection;
    let primary = schemac::cluster::start().expect("throwaway primary");
    let primary_url = schemac::cluster::socket_url(&primary, "postgres");
    let mut admin = sqlx::PgConnection::connect(&primary_url)
        .await
        .expect("primary answers");
    sqlx::raw_sql("CREATE DATABASE app")
        .execute(&mut admin)
        .await
        .expect("create database");
    let primary_app = schemac::cluster::socket_url(&primary, "app");
    let (_dir, same) = write_schema(SCHEMA);
    let (_dir2, change) = write_schema(&changed());
    run(&["apply", &same, "--database-url", &primary_app, "--yes"])
        .await
        .expect(0);

    let standby = schemac::cluster::start_standby(&primary).expect("standby");
    let standby_app = schemac::cluster::socket_url(&standby, "app");
    let mut replica = sqlx::PgConnection::connect(&standby_app)
        .await
        .expect("standby answers");
    let in_recovery: bool = sqlx::query_scalar("select pg_is_in_recovery()")
        .fetch_one(&mut replica)
        .await
        .expect("pg_is_in_recovery");
    assert!(in_recovery, "the standby is a standby");

    let on_standby = run(&["drift", &same, "--database-url", &standby_app]).await;
    assert_eq!(on_standby.code, 0, "{}", on_standby.stderr);
    let plans = plans_of(&change, &primary_app, &standby_app).await;
    assert_eq!(
        plans[0], plans[1],
        "the standby's plan equals the primary's"
    );
    assert!(steps(&plans[0]) > 0);
    run(&["drift", &change, "--database-url", &standby_app])
        .await
        .expect(1);
    let introspected = [
        run(&["introspect", "--database-url", &primary_app])
            .await
            .expect(0),
        run(&["introspect", "--database-url", &standby_app])
            .await
            .expect(0),
    ];
    assert_eq!(introspected[0].stdout, introspected[1].stdout);
}

/// Where no dev database can be had, the error names the expression, its object and the flag.
#[tokio::test]
async fn without_a_dev_database_the_error_names_the_expression_and_the_flag() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("app.schema"), SCHEMA).expect("write schema");
    let sources = schemac::source::SourceSet::load(dir.path()).expect("load");
    let desired = schemac::compile::compile(&sources)
        .catalog
        .expect("compiles");
    let mut conn = db.connect().await;
    let error = schemac::introspect::canonicalize_with(
        &mut conn,
        &desired,
        &schemac::introspect::Printer::LocalOnly,
    )
    .await
    .expect_err("the regular expression check needs a server");
    let message = error.to_string();
    for needle in ["name ~ '^[a-z]'", "accounts", "--dev-url"] {
        assert!(message.contains(needle), "{needle} in: {message}");
    }
}

/// The target is untouched (issue 11, "Done means"): on a private cluster with autovacuum off, where
/// nothing else runs, `plan`, `drift` and `introspect` (a schema with an expression that needs a dev
/// database among them) assign no transaction id at all — the cluster's next transaction id is the
/// same before and after, which no `CREATE`, even rolled back, and no write of any session allows —
/// and the catalogs hold as many rows as before. `apply` afterwards moves the counter: the measure
/// can fail.
#[tokio::test]
async fn plan_drift_and_introspect_assign_no_transaction_id_on_the_target() {
    use sqlx::Connection;
    let primary = schemac::cluster::start().expect("throwaway cluster");
    let admin_url = schemac::cluster::socket_url(&primary, "postgres");
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("cluster answers");
    // One statement at a time: ALTER SYSTEM and CREATE DATABASE refuse a multi-statement string.
    for sql in [
        "ALTER SYSTEM SET autovacuum = off",
        "SELECT pg_reload_conf()",
        "CREATE DATABASE app",
    ] {
        sqlx::raw_sql(sql)
            .execute(&mut admin)
            .await
            .expect("set up the cluster");
    }
    let app = schemac::cluster::socket_url(&primary, "app");
    let (_dir, same) = write_schema(SCHEMA);
    let (_dir2, change) = write_schema(&changed());
    run(&["apply", &same, "--database-url", &app, "--yes"])
        .await
        .expect(0);
    let mut observer = sqlx::PgConnection::connect(&app).await.expect("observer");
    // Reading the snapshot assigns no transaction id; its xmax is the next one to be assigned once
    // every transaction has ended.
    const NEXT_XID: &str = "select pg_snapshot_xmax(pg_current_snapshot())::text";
    const CATALOG_ROWS: &str = "select (select count(*) from pg_class) + \
        (select count(*) from pg_attribute) + (select count(*) from pg_namespace) + \
        (select count(*) from pg_constraint) + (select count(*) from pg_depend)";
    let before = next_xid(&mut observer, NEXT_XID).await;
    let rows_before: i64 = sqlx::query_scalar(CATALOG_ROWS)
        .fetch_one(&mut observer)
        .await
        .expect("catalog rows");

    run(&["plan", &same, "--database-url", &app])
        .await
        .expect(0);
    let plan = run(&["plan", &change, "--database-url", &app, "--format", "json"])
        .await
        .expect(0);
    assert!(steps(&plan.stdout) > 0, "{}", plan.stdout);
    run(&["drift", &same, "--database-url", &app])
        .await
        .expect(0);
    run(&["drift", &change, "--database-url", &app])
        .await
        .expect(1);
    run(&["introspect", "--database-url", &app]).await.expect(0);

    assert_eq!(
        next_xid(&mut observer, NEXT_XID).await,
        before,
        "plan, drift or introspect assigned a transaction id on the target"
    );
    let rows_after: i64 = sqlx::query_scalar(CATALOG_ROWS)
        .fetch_one(&mut observer)
        .await
        .expect("catalog rows");
    assert_eq!(rows_after, rows_before);
    let scratch: i64 = sqlx::query_scalar(
        "select count(*) from pg_namespace where nspname like 'schemac\\_scratch%'",
    )
    .fetch_one(&mut observer)
    .await
    .expect("scratch schemas");
    assert_eq!(scratch, 0);

    run(&["apply", &change, "--database-url", &app, "--yes"])
        .await
        .expect(0);
    assert_ne!(
        next_xid(&mut observer, NEXT_XID).await,
        before,
        "apply writes, so the measure moves"
    );
}

async fn next_xid(conn: &mut sqlx::PgConnection, sql: &str) -> String {
    sqlx::query_scalar(sql)
        .fetch_one(conn)
        .await
        .expect("next xid")
}
const VIEWS: &str = r#"
table orders {
  id     bigint primary
  cents  bigint
  at     timestamptz
}

view big_orders as (select id, cents from orders where cents > 1000)
view big_order_ids as (select id from big_orders)
materialized view daily as (select date_trunc('day', at) as day, sum(cents) as cents from orders group by 1) {
  unique index (day)
}
"#;

/// View queries are printed on a dev database, never on the target: with every DDL statement
/// refused on the target, a schema with stacked views and a materialized view plans empty and
/// drifts clean, through the throwaway cluster and through `--dev-url`, and a changed view is
/// planned as a replacement.
#[tokio::test]
async fn views_are_printed_off_the_target() {
    let db = TestDb::new().await;
    let url = db.url();
    let (_dir, same) = write_schema(VIEWS);
    run(&["apply", &same, "--database-url", &url, "--yes"])
        .await
        .expect(0);
    db.execute(
        "CREATE FUNCTION public.refuse_ddl() RETURNS event_trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'DDL reached the target: %', tg_tag; END $$; \
         CREATE EVENT TRIGGER refuse_ddl ON ddl_command_start EXECUTE FUNCTION public.refuse_ddl()",
    )
    .await;
    let plan = run(&["plan", &same, "--database-url", &url, "--format", "json"])
        .await
        .expect(0);
    assert_eq!(steps(&plan.stdout), 0, "{}", plan.stdout);
    run(&["drift", &same, "--database-url", &url])
        .await
        .expect(0);
    let dev = TestDb::new().await;
    let dev_url = dev.url();
    run(&[
        "drift",
        &same,
        "--database-url",
        &url,
        "--dev-url",
        &dev_url,
    ])
    .await
    .expect(0);
    let (_dir2, change) = write_schema(&VIEWS.replace("cents > 1000", "cents > 2000"));
    let plan = run(&["plan", &change, "--database-url", &url, "--format", "json"])
        .await
        .expect(0);
    assert_eq!(steps(&plan.stdout), 1, "{}", plan.stdout);
    assert!(plan.stdout.contains("replace_view"), "{}", plan.stdout);
    db.execute("DROP EVENT TRIGGER refuse_ddl; DROP FUNCTION public.refuse_ddl()")
        .await;
    // Nothing the printing made is left on the dev database either.
    assert_eq!(
        dev.count(
            "select count(*) from pg_class where relname in ('orders', 'big_orders', 'daily')"
        )
        .await,
        0
    );
}

/// A dev database URL that does not answer: a command given it must need none.
const NOWHERE: &str = "postgres://schemac@127.0.0.1:1/nowhere";

/// `plan --format json` with an unreachable dev database; it must succeed.
async fn plan_without_dev_database(schema: &str, url: &str) -> support::cli::Run {
    run(&[
        "plan",
        schema,
        "--database-url",
        url,
        "--dev-url",
        NOWHERE,
        "--format",
        "json",
    ])
    .await
    .expect(0)
}

/// A policy whose subquery the local printer cannot print, written by hand (not as the server
/// prints it), needs a dev database only until the database holds it: then `plan` and `drift`
/// compare its meaning with the database's text and need none, also when the policy's table gains
/// a column; a change to a column its subquery reads needs the dev database again.
#[tokio::test]
async fn a_subquery_policy_the_database_holds_needs_no_dev_database() {
    const POLICY_SCHEMA: &str = r#"
table members {
  id      bigserial primary
  login   text
  team_id bigint
}

table notes {
  id      bigserial primary
  team_id bigint
  body    text
  policy notes_of_my_teams for all using (team_id in (select m.team_id from members as m where m.login = current_user) or body = 'public')
}
"#;
    let db = TestDb::new().await;
    let url = db.url();
    let nowhere = NOWHERE;
    let (_dir, schema) = write_schema(POLICY_SCHEMA);
    run(&["apply", &schema, "--database-url", &url, "--yes"])
        .await
        .expect(0);
    let held: String = {
        let mut conn = db.connect().await;
        sqlx::query_scalar("select pg_get_expr(polqual, polrelid) from pg_policy")
            .fetch_one(&mut conn)
            .await
            .expect("the policy")
    };
    assert!(held.contains("SELECT m.team_id"), "{held}");

    let plan = plan_without_dev_database(&schema, &url).await;
    assert_eq!(steps(&plan.stdout), 0, "{}", plan.stdout);
    run(&[
        "drift",
        &schema,
        "--database-url",
        &url,
        "--dev-url",
        nowhere,
    ])
    .await
    .expect(0);

    let (_dir2, wider) = write_schema(
        &POLICY_SCHEMA.replace("  body    text\n", "  body    text\n  title   text?\n"),
    );
    let plan = plan_without_dev_database(&wider, &url).await;
    assert_eq!(steps(&plan.stdout), 1, "{}", plan.stdout);
    assert!(plan.stdout.contains("add_column"), "{}", plan.stdout);

    let (_dir3, retyped) =
        write_schema(&POLICY_SCHEMA.replace("  login   text\n", "  login   varchar(100)\n"));
    let refused = run(&[
        "plan",
        &retyped,
        "--database-url",
        &url,
        "--dev-url",
        nowhere,
    ])
    .await;
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("notes_of_my_teams") && refused.stderr.contains("--dev-url"),
        "{}",
        refused.stderr
    );
}
