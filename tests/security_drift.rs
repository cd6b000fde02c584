//! Row-level security, policies and grants changed by hand are drift: `drift` reports each one
//! (exit 1, naming the table and the policy or grant), `apply` undoes it, and `drift` then exits 0.
//! And a database with policies, roles and grants made by hand introspects to source that plans
//! empty against it.

mod support;

use std::path::{Path, PathBuf};

use sqlx::{Connection, Executor, PgConnection};

use support::cli::{schemac_async, Run};
use support::TestDb;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn drift(schema: &str, url: &str) -> Run {
    schemac_async(args(&["drift", schema, "--database-url", url])).await
}

async fn apply(schema: &str, url: &str, extra: &[&str]) -> Run {
    let mut list = args(&["apply", schema, "--database-url", url, "--yes"]);
    list.extend(args(extra));
    schemac_async(list).await
}

/// One change made by hand, and what `drift` must say about it.
struct Case {
    what: &'static str,
    sql: &'static str,
    /// Every string must appear on one line of drift's entries.
    entry: &'static [&'static str],
    /// Undoing it drops something (a policy): `apply` needs `--allow-destructive`.
    destructive: bool,
}

const REFERENCE_CASES: &[Case] = &[
    Case {
        what: "tenant_isolation altered to show every row",
        sql: "ALTER POLICY tenant_isolation ON public.users USING (true)",
        entry: &["`public.users`", "policy `tenant_isolation` differs"],
        destructive: false,
    },
    Case {
        what: "a policy's roles changed",
        sql: "ALTER POLICY own_account ON public.accounts TO app_user",
        entry: &["`public.accounts`", "policy `own_account` differs"],
        destructive: false,
    },
    Case {
        what: "RLS disabled",
        sql: "ALTER TABLE public.sessions DISABLE ROW LEVEL SECURITY",
        entry: &["`public.sessions`", "row-level security is off"],
        destructive: false,
    },
    Case {
        what: "FORCE removed",
        sql: "ALTER TABLE public.attachments NO FORCE ROW LEVEL SECURITY",
        entry: &["`public.attachments`", "not forced"],
        destructive: false,
    },
    Case {
        what: "RLS enabled on a global table",
        sql: "ALTER TABLE public.template_trees ENABLE ROW LEVEL SECURITY",
        entry: &["`public.template_trees`", "row-level security is on"],
        destructive: false,
    },
    Case {
        what: "a grant added",
        sql: "GRANT TRUNCATE ON public.role TO app_user",
        entry: &[
            "`public.role`",
            "grant not in the schema",
            "TRUNCATE to app_user",
        ],
        destructive: false,
    },
    Case {
        what: "a grant revoked",
        sql: "REVOKE DELETE ON public.role_permission FROM app_user",
        entry: &[
            "`public.role_permission`",
            "grant missing",
            "DELETE to app_user",
        ],
        destructive: false,
    },
    Case {
        what: "the sequence behind a serial key revoked (the role can no longer insert)",
        sql: "REVOKE USAGE ON SEQUENCE public.session_resolution_outputs_id_seq FROM app_user",
        entry: &[
            "`public.session_resolution_outputs`",
            "grant missing",
            "INSERT to app_user",
        ],
        destructive: false,
    },
    Case {
        what: "the bypass policy dropped",
        sql: "DROP POLICY platform_admin_bypass ON public.trees",
        entry: &[
            "`public.trees`",
            "policy `platform_admin_bypass` is missing",
        ],
        destructive: false,
    },
    Case {
        what: "a policy added",
        sql: "CREATE POLICY peek ON public.users FOR SELECT TO reporting USING (true)",
        entry: &["`public.users`", "policy `peek`"],
        destructive: true,
    },
];

/// Applies `schema/` once, then each case in turn: change by hand, drift reports it, apply
/// undoes it, drift is clean.
#[tokio::test]
async fn security_changed_by_hand_is_drift_and_apply_undoes_it() {
    let db = TestDb::new().await;
    let url = db.url();
    let schema = workspace().join("schema").display().to_string();
    apply(&schema, &url, &[]).await.expect(0);
    drift(&schema, &url).await.expect(0);
    for case in REFERENCE_CASES {
        run_case(&db, &schema, case).await;
    }
}

async fn run_case(db: &TestDb, schema: &str, case: &Case) {
    let url = db.url();
    db.execute(case.sql).await;
    let found = drift(schema, &url).await;
    assert_eq!(
        found.code, 1,
        "{}: drift must exit 1\n{}{}",
        case.what, found.stdout, found.stderr
    );
    let entries: Vec<&str> = found
        .stdout
        .lines()
        .filter(|l| l.starts_with("  - "))
        .collect();
    assert!(
        entries
            .iter()
            .any(|line| case.entry.iter().all(|part| line.contains(part))),
        "{}: no drift entry with {:?}:\n{}",
        case.what,
        case.entry,
        found.stdout
    );
    if case.destructive {
        let refused = apply(schema, &url, &[]).await;
        assert_eq!(
            refused.code, 1,
            "{}: undoing it drops something, so apply without --allow-destructive must refuse\n{}{}",
            case.what, refused.stdout, refused.stderr
        );
        apply(schema, &url, &["--allow-destructive"])
            .await
            .expect(0);
    } else {
        apply(schema, &url, &[]).await.expect(0);
    }
    let clean = drift(schema, &url).await;
    assert_eq!(
        clean.code, 0,
        "{}: after apply, drift must exit 0\n{}{}",
        case.what, clean.stdout, clean.stderr
    );
}

/// A small schema for what the reference schema does not have: a policy without WITH CHECK, a
/// policy to `public`, a grant to PUBLIC, a serial key on a table a role may insert into.
const SMALL: &str = r#"
role app_user

table notes {
  id     bigserial primary
  author text      default(current_user)
  body   text

  row level security
  policy add_own for insert to app_user with check (author = current_user)
  policy edit_own for update to app_user using (author = current_user)
  policy read_all for select to public using (true)
}

grant select, insert, update on notes to app_user
grant select on notes to public
"#;

const SMALL_CASES: &[Case] = &[
    Case {
        what: "a WITH CHECK added to a policy that has none",
        sql: "ALTER POLICY edit_own ON public.notes WITH CHECK (false)",
        entry: &["`public.notes`", "policy `edit_own` differs"],
        destructive: false,
    },
    Case {
        what: "a policy to PUBLIC narrowed to one role",
        sql: "ALTER POLICY read_all ON public.notes TO app_user",
        entry: &["`public.notes`", "policy `read_all` differs"],
        destructive: false,
    },
    Case {
        what: "a grant to PUBLIC revoked",
        sql: "REVOKE SELECT ON public.notes FROM PUBLIC",
        entry: &["`public.notes`", "grant missing", "SELECT to public"],
        destructive: false,
    },
];

#[tokio::test]
async fn policy_clauses_and_public_drift_and_converge() {
    let db = TestDb::new().await;
    let url = db.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notes.schema");
    std::fs::write(&path, SMALL).expect("schema written");
    let schema = path.display().to_string();
    apply(&schema, &url, &[]).await.expect(0);
    // `to public` reads back as no roles: not drift.
    drift(&schema, &url).await.expect(0);
    // And the role can insert: `grant insert` gave it the serial key's sequence too.
    let mut conn = db.connect().await;
    conn.execute("SET ROLE app_user; INSERT INTO public.notes (body) VALUES ('hello')")
        .await
        .expect("app_user inserts into a table with a serial key");
    let _ = conn.close().await;
    for case in SMALL_CASES {
        run_case(&db, &schema, case).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Round trip.

/// Roles made for one test, one with a name SQL must quote (upper case); dropped after the test's database
/// (they own privileges and policies in it until then).
struct Roles {
    names: Vec<String>,
    admin_url: String,
}

impl Drop for Roles {
    fn drop(&mut self) {
        let url = self.admin_url.clone();
        let names = self.names.clone();
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                for name in names {
                    let sql = format!("DROP ROLE IF EXISTS {}", schemac::sql::ident(&name));
                    conn.execute(sql.as_str())
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok::<(), String>(())
            })
        })
        .join();
        if !matches!(outcome, Ok(Ok(()))) {
            eprintln!("test roles {:?} were not dropped: {outcome:?}", self.names);
        }
    }
}

/// A database made by hand, in the tenancy pattern, with explicit policies for every command,
/// policies to PUBLIC and to several roles, FORCE on a plain table, grants to PUBLIC and to roles
/// whose names need quoting, and a serial key: `introspect` writes source that plans empty.
#[tokio::test]
async fn a_database_with_policies_roles_and_grants_introspects_to_source_that_plans_empty() {
    let server = support::server();
    let suffix: String = (0..6)
        .map(|_| char::from_digit(fastrand::u32(..36), 36).unwrap_or('x'))
        .collect();
    // Declared before the database: dropped after it.
    let roles = Roles {
        names: vec![
            format!("rt_app_{suffix}"),
            format!("RtAuditor_{suffix}"),
            format!("rt_admin_{suffix}"),
        ],
        admin_url: server.admin_url.clone(),
    };
    let db = TestDb::new().await;
    let url = db.url();
    let app = schemac::sql::ident(&roles.names[0]);
    let auditor = schemac::sql::ident(&roles.names[1]);
    let admin = schemac::sql::ident(&roles.names[2]);
    let admin_name = &roles.names[2];
    for role in [&app, &auditor, &admin] {
        db.execute(&format!("CREATE ROLE {role} NOLOGIN")).await;
    }
    let setting = "app.tenant";
    let isolation = format!("account_id = NULLIF(current_setting('{setting}', true), '')::bigint");
    let mut sql = format!(
        r#"
        CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL);
        CREATE TABLE projects (
          id bigserial PRIMARY KEY,
          account_id bigint NOT NULL DEFAULT NULLIF(current_setting('{setting}', true), '')::bigint REFERENCES accounts ON DELETE CASCADE,
          name text NOT NULL,
          public boolean NOT NULL DEFAULT false,
          UNIQUE (account_id, id)
        );
        CREATE TABLE tasks (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          account_id bigint NOT NULL DEFAULT NULLIF(current_setting('{setting}', true), '')::bigint REFERENCES accounts ON DELETE CASCADE,
          project_id bigint NOT NULL,
          title text NOT NULL,
          FOREIGN KEY (account_id, project_id) REFERENCES projects (account_id, id) ON DELETE CASCADE
        );
        CREATE INDEX ON tasks (account_id);
        CREATE TABLE audit_log (
          id bigserial PRIMARY KEY,
          actor text NOT NULL DEFAULT current_user,
          entry text NOT NULL
        );
        ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
        ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
        CREATE POLICY read_own ON audit_log FOR SELECT TO {app}, {auditor} USING (actor = current_user);
        CREATE POLICY write_any ON audit_log FOR INSERT TO {app} WITH CHECK (actor = current_user);
        CREATE POLICY fix_own ON audit_log FOR UPDATE TO {app} USING (actor = current_user) WITH CHECK (entry <> '');
        CREATE POLICY purge ON audit_log FOR DELETE TO {admin} USING (true);
        CREATE POLICY everyone_sees_nothing_extra ON audit_log AS PERMISSIVE FOR SELECT TO PUBLIC USING (false);
        GRANT SELECT, INSERT, UPDATE, DELETE ON projects, tasks TO {app};
        GRANT SELECT ON accounts TO PUBLIC;
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO {auditor};
        GRANT SELECT, INSERT, UPDATE ON audit_log TO {app};
        GRANT DELETE, TRUNCATE ON audit_log TO {admin};
        GRANT USAGE ON SEQUENCE projects_id_seq, audit_log_id_seq TO {app};
        "#
    );
    for table in ["projects", "tasks"] {
        sql.push_str(&format!(
            "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
             ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
             CREATE POLICY tenant_isolation ON {table} USING ({isolation}) WITH CHECK ({isolation});
             CREATE POLICY {bypass} ON {table} TO {admin} USING (true) WITH CHECK (true);",
            bypass = schemac::sql::ident(&format!("{admin_name}_bypass")),
        ));
    }
    db.execute(&sql).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("introspected");
    let out_arg = out.display().to_string();
    schemac_async(args(&[
        "introspect",
        "--database-url",
        &url,
        "-o",
        &out_arg,
    ]))
    .await
    .expect(0);
    let source = std::fs::read_to_string(out.join("schema.schema")).expect("introspected source");
    for expected in [
        "tenancy {",
        "tenant table projects",
        "tenant table tasks",
        "row level security forced",
        "policy read_own for select to",
        "policy write_any for insert",
        "policy purge for delete",
        "RtAuditor_",
        "grant select on accounts to public",
    ] {
        assert!(
            source.contains(expected),
            "introspected source lacks `{expected}`:\n{source}"
        );
    }
    let plan = schemac_async(args(&[
        "plan",
        &out_arg,
        "--database-url",
        &url,
        "--format",
        "json",
    ]))
    .await
    .expect(0);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    assert_eq!(
        json["steps"],
        serde_json::json!([]),
        "the introspected source must plan empty:\n{}\n--- source\n{source}",
        plan.stdout
    );
    drift(&out_arg, &url).await.expect(0);
    drop(db);
    drop(roles);
}
