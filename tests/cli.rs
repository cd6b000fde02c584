//! The command-line contract (CLI.md): exit codes, what goes to stdout and stderr, the JSON shape,
//! destructive plans refused whole, and passwords never printed.

mod support;

use std::path::{Path, PathBuf};

use support::cli::{schemac, schemac_async};
use support::TestDb;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn temp_schema(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("app.schema"), text).expect("write schema");
    let path = dir.path().display().to_string();
    (dir, path)
}

#[test]
fn check_exits_zero_on_the_reference_schema_and_one_on_errors() {
    let schema = workspace().join("schema").display().to_string();
    let clean = schemac(&["check", &schema]).expect(0);
    assert!(
        clean.stdout.is_empty(),
        "check prints nothing on stdout: {}",
        clean.stdout
    );
    let (_dir, bad) = temp_schema("table t {\n  id uuid primary\n  other nosuchtype\n}\n");
    let run = schemac(&["check", &bad]).expect(1);
    assert!(
        run.stderr.contains("app.schema:3:"),
        "diagnostic names FILE:LINE:COL: {}",
        run.stderr
    );
    assert!(run.stderr.contains("nosuchtype"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(schemac(&["plan", "--format", "yaml"]).code, 2);
    assert_eq!(schemac(&["frobnicate"]).code, 2);
    assert_eq!(
        schemac(&["plan", "--from-empty", "--database-url", "postgres://x/y"]).code,
        2
    );
}

#[test]
fn plan_from_empty_needs_no_server_and_prints_the_json_contract() {
    let schema = workspace().join("schema").display().to_string();
    let run = schemac(&["plan", &schema, "--from-empty", "--format", "json"]).expect(0);
    let json: serde_json::Value =
        serde_json::from_str(&run.stdout).expect("stdout is one JSON object");
    let steps = json["steps"].as_array().expect("steps array");
    assert!(!steps.is_empty());
    for step in steps {
        for key in ["kind", "target", "sql", "lock"] {
            assert!(step[key].is_string(), "{key} is a string in {step}");
        }
        for key in ["destructive", "transactional"] {
            assert!(step[key].is_boolean(), "{key} is a boolean in {step}");
        }
        assert!(step["hazards"].is_array());
        let kind = step["kind"].as_str().unwrap_or_default();
        assert!(
            kind.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "kind is snake_case: {kind}"
        );
    }
    assert!(steps
        .iter()
        .any(|s| s["kind"] == "create_table" && s["target"] == "public.accounts"));
}

#[test]
fn plan_without_a_database_says_how_to_give_one() {
    let schema = workspace().join("schema").display().to_string();
    // DATABASE_URL may be set in the environment of the test run; give an explicit bad flag instead
    // of relying on its absence.
    let run = schemac(&[
        "plan",
        &schema,
        "--database-url",
        "postgres://nobody:hunter2secret@127.0.0.1:1/none",
    ])
    .expect(1);
    assert!(
        !run.stderr.contains("hunter2secret"),
        "password printed: {}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn a_schema_that_does_not_compile_is_reported_before_an_unreachable_database() {
    // plan and drift compile the schema while they read the database; what they report must not
    // depend on which finishes first: the schema's errors, never the connection's.
    let (_dir, bad) = temp_schema("table t {\n  id uuid primary\n  other nosuchtype\n}\n");
    let url = "postgres://nobody@127.0.0.1:1/none";
    for (command, code) in [("plan", 1), ("drift", 2)] {
        let run = schemac(&[command, &bad, "--database-url", url]).expect(code);
        assert!(
            run.stderr.contains("app.schema:3:") && run.stderr.contains("nosuchtype"),
            "{command}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("cannot connect"),
            "{command} reported the connection: {}",
            run.stderr
        );
    }
    // With a schema that compiles, the connection is what fails.
    let schema = workspace().join("schema").display().to_string();
    for (command, code) in [("plan", 1), ("drift", 2)] {
        let run = schemac(&[command, &schema, "--database-url", url]).expect(code);
        assert!(
            run.stderr.contains("cannot connect"),
            "{command}: {}",
            run.stderr
        );
    }
}

/// A server that accepts connections and never answers, and its URL (with `query`).
fn silent_server(query: &str) -> (std::net::TcpListener, String) {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let url = format!(
        "postgres://nobody@{}/none{query}",
        silent.local_addr().expect("address")
    );
    (silent, url)
}

/// `schemac <args>`, or `None` if it has not ended within a minute.
fn schemac_within_a_minute(args: Vec<String>) -> Option<support::cli::Run> {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(schemac(&args)));
    finished
        .recv_timeout(std::time::Duration::from_secs(60))
        .ok()
}

#[test]
fn a_schema_that_does_not_compile_is_reported_without_waiting_for_a_silent_server() {
    // Connecting never ends, and plan and drift must not wait for it to report the schema's
    // errors.
    let (_silent, url) = silent_server("");
    let (_dir, bad) = temp_schema("table t {\n  id uuid primary\n  other nosuchtype\n}\n");
    for (command, code) in [("plan", 1), ("drift", 2)] {
        let args = vec![
            command.into(),
            bad.clone(),
            "--database-url".into(),
            url.clone(),
        ];
        let run = schemac_within_a_minute(args)
            .unwrap_or_else(|| panic!("{command} waited for a server that never answers"))
            .expect(code);
        assert!(
            run.stderr.contains("nosuchtype"),
            "{command}: {}",
            run.stderr
        );
    }
}

#[test]
fn connect_timeout_in_the_url_bounds_the_wait_for_a_silent_server() {
    let (_silent, url) = silent_server("?connect_timeout=2");
    let schema = workspace().join("schema").display().to_string();
    for (command, code) in [("plan", 1), ("drift", 2), ("introspect", 1)] {
        let mut args = vec![command.to_string()];
        if command != "introspect" {
            args.push(schema.clone());
        }
        args.extend(["--database-url".to_string(), url.clone()]);
        let run = schemac_within_a_minute(args)
            .unwrap_or_else(|| panic!("{command} ignored connect_timeout"))
            .expect(code);
        assert!(
            run.stderr
                .contains("no answer within 2 s (connect_timeout)"),
            "{command}: {}",
            run.stderr
        );
    }
}

#[tokio::test]
async fn a_password_is_never_printed_even_when_the_database_refuses() {
    let db = TestDb::new().await;
    // A URL with a password the trust-auth server ignores, and one for a database that is missing.
    let with_password =
        db.url()
            .replacen("postgres://postgres@", "postgres://postgres:s3cr3t-pw@", 1);
    let schema = workspace().join("schema").display().to_string();
    for url in [
        with_password.clone(),
        with_password.replace(db.name(), "no_such_database_x"),
    ] {
        for command in [
            vec!["plan", &schema],
            vec!["drift", &schema],
            vec!["introspect"],
        ] {
            let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
            args.extend(["--database-url".to_string(), url.clone()]);
            let run = schemac_async(args).await;
            assert!(
                !run.stdout.contains("s3cr3t-pw") && !run.stderr.contains("s3cr3t-pw"),
                "password printed by {command:?}"
            );
        }
    }
}

#[tokio::test]
async fn destructive_plans_are_refused_whole_without_the_flag() {
    let db = TestDb::new().await;
    let url = db.url();
    let (_dir, before) = temp_schema("table keep {\n  id bigserial primary\n}\n\ntable doomed {\n  id bigserial primary\n  note text?\n}\n");
    schemac_async(vec![
        "apply".into(),
        before.clone(),
        "--database-url".into(),
        url.clone(),
        "--yes".into(),
    ])
    .await
    .expect(0);
    let (_dir2, after) = temp_schema("table keep {\n  id bigserial primary\n  added text?\n}\n");
    let refused = schemac_async(vec![
        "apply".into(),
        after.clone(),
        "--database-url".into(),
        url.clone(),
        "--yes".into(),
    ])
    .await
    .expect(1);
    assert!(
        refused.stderr.contains("drop_table public.doomed"),
        "names the destructive step: {}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--allow-destructive"),
        "names the flag: {}",
        refused.stderr
    );
    // Refused whole: the harmless step did not run either.
    assert_eq!(db.count("select count(*) from information_schema.columns where table_name = 'keep' and column_name = 'added'").await, 0);
    assert_eq!(
        db.count("select count(*) from information_schema.tables where table_name = 'doomed'")
            .await,
        1
    );
    let json = schemac_async(vec![
        "plan".into(),
        after.clone(),
        "--database-url".into(),
        url.clone(),
        "--format".into(),
        "json".into(),
    ])
    .await
    .expect(0);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let drop = plan["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["kind"] == "drop_table"))
        .cloned()
        .expect("a drop step");
    assert_eq!(drop["destructive"], true);
    schemac_async(vec![
        "apply".into(),
        after,
        "--database-url".into(),
        url,
        "--yes".into(),
        "--allow-destructive".into(),
    ])
    .await
    .expect(0);
    assert_eq!(
        db.count("select count(*) from information_schema.tables where table_name = 'doomed'")
            .await,
        0
    );
}

#[tokio::test]
async fn drift_exits_one_and_names_the_table_and_column() {
    let db = TestDb::new().await;
    let url = db.url();
    let (_dir, schema) =
        temp_schema("table users {\n  id bigserial primary\n  email text unique\n}\n");
    schemac_async(vec![
        "apply".into(),
        schema.clone(),
        "--database-url".into(),
        url.clone(),
        "--yes".into(),
    ])
    .await
    .expect(0);
    schemac_async(vec![
        "drift".into(),
        schema.clone(),
        "--database-url".into(),
        url.clone(),
    ])
    .await
    .expect(0);
    db.execute("ALTER TABLE users ADD COLUMN nickname text; CREATE INDEX by_hand ON users (email)")
        .await;
    let drift = schemac_async(vec!["drift".into(), schema, "--database-url".into(), url])
        .await
        .expect(1);
    assert!(
        drift.stdout.contains("public.users") && drift.stdout.contains("nickname"),
        "{}",
        drift.stdout
    );
    assert!(drift.stdout.contains("by_hand"), "{}", drift.stdout);
}

/// A difference no plan can reach yet — a column the schema makes NOT NULL on a table whose rows
/// hold NULLs, with nothing to fill them — is still a difference: `drift` exits 1 and names it
/// (it compares, it does not plan), while `plan` refuses and says what is missing.
#[tokio::test]
async fn drift_reports_a_difference_that_no_plan_can_reach_yet() {
    let db = TestDb::new().await;
    let url = db.url();
    let (_dir, before) = temp_schema("table people {\n  id bigserial primary\n  nick text?\n}\n");
    schemac_async(vec![
        "apply".into(),
        before,
        "--database-url".into(),
        url.clone(),
        "--yes".into(),
    ])
    .await
    .expect(0);
    db.execute("INSERT INTO people (nick) VALUES (NULL), ('x')")
        .await;
    let (_dir2, after) = temp_schema("table people {\n  id bigserial primary\n  nick text\n}\n");
    let plan = schemac_async(vec![
        "plan".into(),
        after.clone(),
        "--database-url".into(),
        url.clone(),
    ])
    .await
    .expect(1);
    assert!(plan.stderr.contains("backfill"), "{}", plan.stderr);
    let drift = schemac_async(vec!["drift".into(), after, "--database-url".into(), url])
        .await
        .expect(1);
    assert!(
        drift.stdout.contains("nick") && drift.stdout.contains("NOT NULL"),
        "{}",
        drift.stdout
    );
}

/// A `serial` key retyped to `bigint` by hand (or by a schemac before 2026-12) keeps an `integer`
/// sequence that still stops at 2,147,483,647: that is not `bigserial`. `drift` says so, and the
/// plan alters the sequence (keeping its place) instead of dropping it.
#[tokio::test]
async fn a_serial_key_retyped_without_its_sequence_is_drift_and_the_plan_widens_the_sequence() {
    let db = TestDb::new().await;
    let url = db.url();
    let (_dir, schema) = temp_schema("table items {\n  id bigserial primary\n  name text\n}\n");
    db.execute(
        "CREATE TABLE items (id serial PRIMARY KEY, name text);
         INSERT INTO items (name) SELECT 'n' FROM generate_series(1, 10);
         ALTER TABLE items ALTER COLUMN id TYPE bigint",
    )
    .await;
    let drift = schemac_async(vec![
        "drift".into(),
        schema.clone(),
        "--database-url".into(),
        url.clone(),
    ])
    .await
    .expect(1);
    assert!(drift.stdout.contains("items_id_seq"), "{}", drift.stdout);
    let apply = schemac_async(vec![
        "apply".into(),
        schema.clone(),
        "--database-url".into(),
        url.clone(),
        "--yes".into(),
    ])
    .await
    .expect(0);
    let said = format!("{}{}", apply.stdout, apply.stderr);
    assert!(
        said.contains("alter_sequence") && !said.contains("drop_sequence"),
        "{said}"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM pg_sequence WHERE seqrelid = 'items_id_seq'::regclass \
             AND seqtypid = 'bigint'::regtype AND seqmax = 9223372036854775807"
        )
        .await,
        1
    );
    assert_eq!(
        db.query_scalar_i64("SELECT last_value FROM items_id_seq")
            .await,
        10
    );
    schemac_async(vec!["drift".into(), schema, "--database-url".into(), url])
        .await
        .expect(0);
}

/// A transactional step goes to the server as one string, whose error does not say which
/// statement failed: `apply` names it (found again in a rolled-back transaction), and the step
/// changes nothing. Here the third of four statements is refused by an event trigger.
#[tokio::test]
async fn a_failed_statement_in_a_step_of_several_is_named_and_nothing_is_kept() {
    let db = TestDb::new().await;
    let url = db.url();
    db.execute(
        "CREATE TABLE items (id serial PRIMARY KEY, name text);
         CREATE FUNCTION refuse() RETURNS event_trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'sequences are frozen here'; END $$;
         CREATE EVENT TRIGGER refuse_sequences ON ddl_command_end
           WHEN TAG IN ('ALTER SEQUENCE') EXECUTE FUNCTION refuse();",
    )
    .await;
    let (_dir, schema) = temp_schema("table items {\n  id bigserial primary\n  name text\n}\n");
    let failed = schemac_async(vec![
        "apply".into(),
        schema,
        "--database-url".into(),
        url,
        "--yes".into(),
    ])
    .await
    .expect(1);
    assert!(
        failed
            .stderr
            .contains("the statement that failed: ALTER SEQUENCE public.items_id_seq AS bigint\n")
            && failed.stderr.contains("sequences are frozen here"),
        "{}",
        failed.stderr
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'items'::regclass \
             AND attname = 'id' AND atttypid = 'integer'::regtype AND atthasdef"
        )
        .await,
        1,
        "the column keeps its type and its default"
    );
}
