//! `schemac verify` against PostgreSQL: every proof holds on `schema/` applied with two tenants'
//! rows; then, one break at a time, the way real databases are broken, `verify` fails naming the
//! table and the proof, and leaves data and schema exactly as they were (a catalog and row
//! fingerprint before and after). Also: the refusal of a drifting database, the output formats,
//! the pgTAP files under `pg_prove`, and `--audit` on a hand-made database (snapshot).

mod support;

use std::path::{Path, PathBuf};

use sqlx::PgConnection;
use support::cli::{schemac_async, Run};
use support::TestDb;

const A: &str = "00000000-0000-0000-0000-00000000000a";
const B: &str = "00000000-0000-0000-0000-00000000000b";
const USER_A: &str = "00000000-0000-0000-0000-0000000000a1";
const USER_B: &str = "00000000-0000-0000-0000-0000000000b1";

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema")
}

/// A database applied from `schema` (default `schema/`) with rows of two accounts.
async fn seeded(schema: &Path) -> TestDb {
    let db = TestDb::new().await;
    let url = db.url();
    schemac_async(args(&[
        "apply",
        &schema.display().to_string(),
        "--database-url",
        &url,
        "--yes",
    ]))
    .await
    .expect(0);
    db.execute(&format!(
        "INSERT INTO accounts (id, name, slug) VALUES ('{A}', 'A', 'a'), ('{B}', 'B', 'b');
         INSERT INTO users (id, account_id, email) VALUES
           ('{USER_A}', '{A}', 'a@example.com'), ('{USER_B}', '{B}', 'b@example.com');
         INSERT INTO trees (account_id, name, created_by) VALUES
           ('{A}', 'tree of A', '{USER_A}'), ('{B}', 'tree of B', '{USER_B}');"
    ))
    .await;
    db
}

/// The catalog (tables, columns, constraints, policies, grants, owners, RLS flags, roles made by
/// verify) and every row of every table in `public`, hashed.
pub async fn fingerprint(conn: &mut PgConnection) -> String {
    let catalog: String = sqlx::query_scalar(
        "SELECT md5(string_agg(x, E'\\n' ORDER BY x)) FROM (
           SELECT format('class %s %s %s %s %s %s', c.oid::regclass, c.relkind, c.relrowsecurity,
                         c.relforcerowsecurity, c.relacl, c.relowner::regrole) AS x
           FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
           UNION ALL
           SELECT format('column %s %s %s %s', a.attrelid::regclass, a.attname, a.atttypid::regtype, a.attnotnull)
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
           UNION ALL
           SELECT format('constraint %s %s %s', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid))
           FROM pg_constraint k WHERE k.connamespace = 'public'::regnamespace
           UNION ALL
           SELECT format('policy %s %s %s %s', p.polrelid::regclass, p.polname,
                         pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
           FROM pg_policy p
           UNION ALL
           SELECT format('role %s %s', rolname, rolbypassrls) FROM pg_roles
           WHERE rolname LIKE 'schemac\\_verify%') s",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("catalog fingerprint");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT oid::regclass::text FROM pg_class
         WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("tables");
    let mut text = catalog;
    for table in tables {
        let rows: Option<String> = sqlx::query_scalar(&format!(
            "SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {table} t"
        ))
        .fetch_one(&mut *conn)
        .await
        .expect("row fingerprint");
        text.push_str(&format!("\n{table} {}", rows.unwrap_or_default()));
    }
    text
}

/// Runs `schemac verify` on `db` with `extra` arguments, checking that nothing changed.
async fn verify(db: &TestDb, schema: &Path, extra: &[&str]) -> Run {
    let mut conn = db.connect().await;
    let before = fingerprint(&mut conn).await;
    let url = db.url();
    let schema = schema.display().to_string();
    let mut list = vec!["verify", schema.as_str(), "--database-url", url.as_str()];
    list.extend_from_slice(extra);
    let run = schemac_async(args(&list)).await;
    let after = fingerprint(&mut conn).await;
    assert_eq!(before, after, "verify changed the database\n{}", run.stdout);
    run
}

/// Applies `schema/` with two accounts' rows, runs `break_it`, and asserts that verify fails
/// naming `table` and `proof` (and that the database is unchanged).
async fn broken(break_it: &str, table: &str, proof: &str) -> Run {
    let db = seeded(&schema_dir()).await;
    db.execute(break_it).await;
    let run = verify(&db, &schema_dir(), &["--allow-drift"])
        .await
        .expect(1);
    let failing: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("FAIL"))
        .collect();
    let in_table = run
        .stdout
        .split("\n")
        .skip_while(|l| *l != table)
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .any(|l| l.trim_start().starts_with(&format!("FAIL {proof}")));
    assert!(
        in_table,
        "expected `FAIL {proof}` under {table}; failures:\n{}",
        failing.join("\n")
    );
    run
}

#[tokio::test]
async fn every_proof_holds_on_schema_with_real_rows() {
    let db = seeded(&schema_dir()).await;
    let run = verify(&db, &schema_dir(), &[]).await.expect(0);
    assert!(run.stdout.contains("public.trees\n"), "{}", run.stdout);
    assert!(
        run.stdout.contains("ok   same-tenant-key"),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("ok   no-setting-read (as app_user, fresh session)"));
    assert!(run
        .stdout
        .contains("ok   no-setting-read (as app_user, pooled session)"));
    assert!(run.stdout.contains(" 0 failed"), "{}", run.stdout);
    // The proofs ran on the database's own two accounts, not on synthetic ones.
    assert!(
        run.stdout.contains(&format!(
            "note: tenants A and B are the database's first two tenants ({A} and {B})"
        )),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn a_drifting_database_is_refused_unless_allowed() {
    let db = seeded(&schema_dir()).await;
    db.execute("ALTER TABLE trees ADD COLUMN extra integer")
        .await;
    let run = verify(&db, &schema_dir(), &[]).await.expect(2);
    assert!(
        run.stderr.contains("drifts from the schema"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--allow-drift"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    verify(&db, &schema_dir(), &["--allow-drift"])
        .await
        .expect(0);
}

#[tokio::test]
async fn no_database_could_not_run() {
    let run = schemac_async(args(&[
        "verify",
        &schema_dir().display().to_string(),
        "--database-url",
        "postgres://postgres@127.0.0.1:1/none",
    ]))
    .await
    .expect(2);
    assert!(run.stderr.contains("error"), "{}", run.stderr);
}

#[tokio::test]
async fn rls_disabled_fails() {
    broken(
        "ALTER TABLE trees DISABLE ROW LEVEL SECURITY",
        "public.trees",
        "rls-enabled",
    )
    .await;
}

#[tokio::test]
async fn force_missing_fails() {
    let run = broken(
        "ALTER TABLE trees NO FORCE ROW LEVEL SECURITY",
        "public.trees",
        "rls-forced",
    )
    .await;
    // The owner is no longer bound: it sees the other tenant's rows.
    assert!(
        run.stdout.contains("FAIL read-others (as owner)"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn a_policy_using_true_fails() {
    let run = broken(
        "DROP POLICY tenant_isolation ON trees;
         CREATE POLICY tenant_isolation ON trees USING (true) WITH CHECK (true)",
        "public.trees",
        "isolation-policy",
    )
    .await;
    assert!(run.stdout.contains("FAIL read-others (as app_user)"));
    // The failing query and the other tenant's row are shown.
    assert!(run
        .stdout
        .contains("query: SELECT count(*) FROM public.trees"));
    assert!(run.stdout.contains("tree of B"), "{}", run.stdout);
}

#[tokio::test]
async fn a_misspelt_setting_fails() {
    let run = broken(
        "DROP POLICY tenant_isolation ON trees;
         CREATE POLICY tenant_isolation ON trees
           USING (account_id = NULLIF(current_setting('app.current_acount_id', true), '')::uuid)
           WITH CHECK (account_id = NULLIF(current_setting('app.current_acount_id', true), '')::uuid)",
        "public.trees",
        "isolation-policy",
    )
    .await;
    assert!(run.stdout.contains("FAIL read-own (as app_user)"));
}

#[tokio::test]
async fn a_single_column_foreign_key_fails_and_shows_the_cross_tenant_row() {
    let run = broken(
        &format!(
            "ALTER TABLE trees DROP CONSTRAINT trees_account_id_created_by_fkey;
             ALTER TABLE trees ADD CONSTRAINT trees_account_id_created_by_fkey
               FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL;
             INSERT INTO trees (account_id, name, created_by) VALUES ('{A}', 'crossing', '{USER_B}')"
        ),
        "public.trees",
        "same-tenant-key",
    )
    .await;
    assert!(
        run.stdout.contains("FAIL cross-tenant-rows"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("crossing"), "{}", run.stdout);
}

#[tokio::test]
async fn a_grant_to_public_fails() {
    broken(
        "GRANT SELECT, DELETE ON trees TO PUBLIC",
        "public.trees",
        "public-grant",
    )
    .await;
}

/// `schema/` with `app_user` renamed to a role of this test only (roles are cluster-wide: making
/// the shared `app_user` BYPASSRLS would break other tests).
fn schema_with_role(role: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(schema_dir()).expect("schema/") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("schema file");
        std::fs::write(
            dir.path().join(path.file_name().expect("file name")),
            text.replace("app_user", role),
        )
        .expect("write");
    }
    dir
}

#[tokio::test]
async fn a_bypassrls_app_role_fails() {
    let suffix: String = (0..8)
        .map(|_| char::from_digit(fastrand::u32(..36), 36).unwrap_or('x'))
        .collect();
    let role = format!("verify_app_{suffix}");
    let schema = schema_with_role(&role);
    let db = seeded(schema.path()).await;
    verify(&db, schema.path(), &[]).await.expect(0);
    db.execute(&format!("ALTER ROLE {role} BYPASSRLS")).await;
    let run = verify(&db, schema.path(), &[]).await.expect(1);
    assert!(
        run.stdout
            .contains(&format!("role {role}\n  FAIL app-role")),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains(&format!("FAIL read-others (as {role})")));
    // The role (made by apply for this test only) is left NOLOGIN without privileges once the
    // database is dropped; drop it too.
    drop(db);
    let admin = TestDb::new().await;
    admin.execute(&format!("DROP ROLE IF EXISTS {role}")).await;
}

#[tokio::test]
async fn formats_tap_junit_json() {
    let db = seeded(&schema_dir()).await;
    db.execute("ALTER TABLE trees NO FORCE ROW LEVEL SECURITY")
        .await;
    let tap = verify(&db, &schema_dir(), &["--allow-drift", "--format", "tap"])
        .await
        .expect(1);
    assert!(
        tap.stdout.starts_with("TAP version 13\n1.."),
        "{}",
        tap.stdout
    );
    assert!(tap.stdout.contains("\nnot ok "));
    assert!(tap
        .stdout
        .contains(" - public.trees: rls-forced\n  ---\n  message: "));
    let junit = verify(&db, &schema_dir(), &["--allow-drift", "--format", "junit"])
        .await
        .expect(1);
    assert!(junit.stdout.contains("<testsuite name=\"public.trees\""));
    assert!(junit
        .stdout
        .contains("<testcase classname=\"public.trees\" name=\"rls-forced\">"));
    let json = verify(&db, &schema_dir(), &["--allow-drift", "--format", "json"])
        .await
        .expect(1);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(value["ok"], false);
    let checks = value["checks"].as_array().expect("checks");
    assert!(checks
        .iter()
        .any(|c| c["table"] == "public.trees" && c["proof"] == "rls-forced" && c["ok"] == false));
}

/// `pg_prove` on the files `--emit-pgtap` wrote: (exit success, output).
fn pg_prove(url: &str, dir: &Path) -> (bool, String) {
    let parsed = url::Url::parse(url).expect("database URL");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("pgTAP directory")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut command = std::process::Command::new("pg_prove");
    command
        .arg("-h")
        .arg(parsed.host_str().unwrap_or("127.0.0.1"))
        .arg("-p")
        .arg(parsed.port().unwrap_or(5432).to_string())
        .arg("-U")
        .arg(parsed.username())
        .arg("-d")
        .arg(parsed.path().trim_start_matches('/'))
        .args(&files);
    if let Some(password) = parsed.password() {
        command.env("PGPASSWORD", password);
    }
    let output = command
        .output()
        .expect("pg_prove (Debian: libtap-parser-sourcehandler-pgtap-perl) is installed");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[tokio::test]
async fn pgtap_files_pass_under_pg_prove_and_fail_when_broken() {
    let db = seeded(&schema_dir()).await;
    db.execute("CREATE EXTENSION IF NOT EXISTS pgtap").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("pgtap");
    let out_arg = out.display().to_string();
    verify(&db, &schema_dir(), &["--emit-pgtap", &out_arg])
        .await
        .expect(0);
    assert!(out.join("public.trees.sql").is_file());
    let (ok, output) = pg_prove(&db.url(), &out);
    assert!(ok, "pg_prove on a good database:\n{output}");
    assert!(output.contains("All tests successful"), "{output}");

    for (break_it, repair, test) in [
        (
            "ALTER TABLE trees NO FORCE ROW LEVEL SECURITY",
            "ALTER TABLE trees FORCE ROW LEVEL SECURITY",
            "rls-forced",
        ),
        (
            "GRANT SELECT ON trees TO PUBLIC",
            "REVOKE SELECT ON trees FROM PUBLIC",
            "public-grant",
        ),
        (
            "DROP POLICY tenant_isolation ON trees; \
             CREATE POLICY tenant_isolation ON trees USING (true) WITH CHECK (true)",
            "DROP POLICY tenant_isolation ON trees; \
             CREATE POLICY tenant_isolation ON trees \
               USING (account_id = NULLIF(current_setting('app.current_account_id', true), '')::uuid) \
               WITH CHECK (account_id = NULLIF(current_setting('app.current_account_id', true), '')::uuid)",
            "isolation-policy",
        ),
    ] {
        db.execute(break_it).await;
        let (ok, output) = pg_prove(&db.url(), &out);
        assert!(!ok, "pg_prove passed on a broken database ({break_it}):\n{output}");
        assert!(output.contains("public.trees.sql"), "{output}");
        assert!(output.contains(test), "{test} not named:\n{output}");
        db.execute(repair).await;
    }
    let (ok, output) = pg_prove(&db.url(), &out);
    assert!(ok, "pg_prove after the repairs:\n{output}");
}

/// A database made by hand, the way the seed reports' tenant tables were: a nullable tenant
/// column without RLS, RLS without FORCE and with a policy `USING (true)`, single-column keys
/// between tenant tables, one table done right, a BYPASSRLS role and a grant to PUBLIC.
const HANDMADE: &str = "
CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (
  id bigint PRIMARY KEY,
  tenant_id bigint REFERENCES orgs,
  name text
);
CREATE TABLE tasks (
  id bigint PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES orgs,
  project_id bigint REFERENCES projects (id),
  title text,
  UNIQUE (tenant_id, id)
);
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY open ON tasks USING (true);
CREATE TABLE notes (
  id bigint PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES orgs,
  task_id bigint NOT NULL,
  FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id)
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON notes
  USING (tenant_id = current_setting('app.tenant')::bigint)
  WITH CHECK (tenant_id = current_setting('app.tenant')::bigint);
GRANT SELECT, INSERT ON projects TO verify_audit_bypass;
GRANT SELECT ON notes TO verify_audit_bypass;
GRANT SELECT ON tasks TO PUBLIC;
";

#[tokio::test]
async fn audit_lists_every_problem_of_a_handmade_database() {
    let db = TestDb::new().await;
    // Roles are cluster-wide: this one is only used here, created idempotently, never dropped.
    db.execute(
        "DO $$ BEGIN
           CREATE ROLE verify_audit_bypass NOLOGIN BYPASSRLS;
         EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    )
    .await;
    db.execute(HANDMADE).await;
    let url = db.url();
    let mut conn = db.connect().await;
    let before = fingerprint(&mut conn).await;
    let run = schemac_async(args(&["verify", "--audit", "--database-url", &url]))
        .await
        .expect(1);
    assert_eq!(before, fingerprint(&mut conn).await);
    insta::assert_snapshot!("audit_handmade", run.stdout);

    let named = schemac_async(args(&[
        "verify",
        "--audit",
        "--tenant-column",
        "org_ref",
        "--database-url",
        &url,
    ]))
    .await
    .expect(0);
    assert!(named
        .stdout
        .contains("no table has a tenant column (looked for org_ref)"));
}
