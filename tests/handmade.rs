//! Adoption of a database made by hand: for every `fixtures/handmade/<case>/`, `before.sql` builds
//! a database the way people write SQL (names left to PostgreSQL, unnamed checks and indexes,
//! `REFERENCES t` without columns, aliases for types) and `schema/` says the same thing in the
//! schema language. The schema must plan empty against that database, `drift` must find nothing,
//! and the database written back as source by `introspect` must plan empty too.
//!
//! `__ROLE__` in a case's files stands for a role made for that test alone (roles are
//! cluster-wide and the tests run in parallel); it is dropped after the test's database.
//!
//! The generated database of `schemac-bench` (the benchmark's) is hand-made SQL too: one of them, with
//! more tables than canonicalisation creates at once, must plan empty as well. The last test: unique
//! indexes that are not constraints are said with `unique index`, and dropping one is a hazard.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};
use support::cli::{schemac_async, Run};
use support::TestDb;

const ROLE_PLACEHOLDER: &str = "__ROLE__";

fn case_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/handmade")
        .join(case)
}

/// A role that exists for one test and is dropped when this value is dropped. Declare it before
/// the `TestDb`, so that the database (which holds the role's grants and policies) goes first.
struct TestRole {
    name: String,
    admin_url: String,
}

impl TestRole {
    async fn new(admin_url: String) -> TestRole {
        let name = format!("hm_{:08x}", fastrand::u32(..));
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("connect to the maintenance database");
        admin
            .execute(format!("CREATE ROLE {} NOLOGIN", schemac::sql::ident(&name)).as_str())
            .await
            .unwrap_or_else(|e| panic!("cannot create role {name}: {e}"));
        let _ = admin.close().await;
        TestRole { name, admin_url }
    }
}

impl Drop for TestRole {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP ROLE IF EXISTS {}", schemac::sql::ident(&self.name));
        // Same reason as `TestDb`'s drop: no blocking on a future inside the test's runtime.
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let connect = PgConnection::connect(&admin_url);
                let mut admin = tokio::time::timeout(Duration::from_secs(30), connect)
                    .await
                    .map_err(|_| "timed out connecting".to_string())?
                    .map_err(|e| e.to_string())?;
                admin
                    .execute(sql.as_str())
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = admin.close().await;
                Ok::<(), String>(())
            })
        })
        .join();
        if !matches!(outcome, Ok(Ok(()))) {
            eprintln!("role {} was not dropped: {outcome:?}", self.name);
        }
    }
}

/// One case set up: its database built from `before.sql`, its schema copied with the role filled in.
struct Handmade {
    // Field order is drop order: the database before the role that its grants name.
    db: TestDb,
    _role: Option<TestRole>,
    /// Holds `schema/` (with `__ROLE__` replaced) and the `introspect` output.
    dir: tempfile::TempDir,
    case: String,
}

impl Handmade {
    async fn new(case: &str) -> Handmade {
        let source = case_dir(case);
        let sql = std::fs::read_to_string(source.join("before.sql"))
            .unwrap_or_else(|e| panic!("{case}/before.sql: {e}"));
        let schema_files = std::fs::read_dir(source.join("schema"))
            .unwrap_or_else(|e| panic!("{case}/schema: {e}"))
            .map(|entry| entry.expect("readable entry").path())
            .collect::<Vec<_>>();
        let uses_role = sql.contains(ROLE_PLACEHOLDER)
            || schema_files.iter().any(|path| {
                std::fs::read_to_string(path).is_ok_and(|t| t.contains(ROLE_PLACEHOLDER))
            });
        // The role first, so that on a panic below it is dropped after the database.
        let role = if uses_role {
            Some(TestRole::new(support::server().admin_url.clone()).await)
        } else {
            None
        };
        let db = TestDb::named(&format!("handmade_{case}")).await;
        let fill = |text: &str| match &role {
            Some(role) => text.replace(ROLE_PLACEHOLDER, &role.name),
            None => text.to_string(),
        };
        db.execute(&fill(&sql)).await;

        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("schema")).expect("schema dir");
        for path in schema_files {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path.file_name().expect("a file name");
            std::fs::write(dir.path().join("schema").join(name), fill(&text))
                .expect("write schema copy");
        }
        Handmade {
            db,
            _role: role,
            dir,
            case: case.to_string(),
        }
    }

    fn schema(&self) -> String {
        self.dir.path().join("schema").display().to_string()
    }

    async fn run(&self, args: &[&str]) -> Run {
        let mut argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        argv.push("--database-url".into());
        argv.push(self.db.url());
        schemac_async(argv).await
    }

    /// The steps of the plan for `path` (as JSON values), and the plan as people read it.
    async fn plan(&self, path: &str) -> (Vec<serde_json::Value>, String) {
        let json = self
            .run(&["plan", path, "--format", "json"])
            .await
            .expect(0);
        let human = self.run(&["plan", path]).await.expect(0);
        let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan JSON");
        let steps = value["steps"].as_array().cloned().unwrap_or_default();
        (steps, human.stdout)
    }

    /// `introspect -o`: the database as source; returns the directory, the source text and the
    /// warnings printed on stderr.
    async fn introspect_warnings(&self) -> (String, String, Vec<String>) {
        let out = self.dir.path().join("introspected");
        let out = out.display().to_string();
        let run = self.run(&["introspect", "-o", &out]).await.expect(0);
        let text = std::fs::read_to_string(Path::new(&out).join("schema.schema"))
            .expect("introspect wrote schema.schema");
        let warnings = run
            .stderr
            .lines()
            .filter(|line| line.contains("warning"))
            .map(str::to_string)
            .collect();
        (out, text, warnings)
    }

    /// The whole check: the hand-written schema and the introspected one both plan empty, and
    /// `drift` agrees.
    async fn assert_plans_empty(&self) {
        let case = &self.case;
        let (steps, human) = self.plan(&self.schema()).await;
        assert!(
            steps.is_empty(),
            "{case}: the hand-written schema must plan empty against the hand-made database:\n{human}"
        );
        let drift = self.run(&["drift", &self.schema()]).await;
        assert_eq!(
            drift.code, 0,
            "{case}: drift must find nothing:\n{}{}",
            drift.stdout, drift.stderr
        );
        let (introspected, source, warnings) = self.introspect_warnings().await;
        // Everything in these databases can be said in the language: nothing is left out.
        assert_eq!(warnings, Vec::<String>::new(), "{case}: introspect warned");
        let (steps, human) = self.plan(&introspected).await;
        assert!(
            steps.is_empty(),
            "{case}: the introspected source must plan empty:\n{human}\n--- source\n{source}"
        );
    }
}

async fn plans_empty(case: &str) {
    Handmade::new(case).await.assert_plans_empty().await;
}

#[tokio::test]
async fn default_constraint_names() {
    plans_empty("default_constraint_names").await;
}

#[tokio::test]
async fn truncated_names() {
    plans_empty("truncated_names").await;
}

#[tokio::test]
async fn name_collisions() {
    plans_empty("name_collisions").await;
}

#[tokio::test]
async fn unnamed_indexes() {
    plans_empty("unnamed_indexes").await;
}

#[tokio::test]
async fn expression_and_partial_indexes() {
    plans_empty("expression_and_partial_indexes").await;
}

#[tokio::test]
async fn enums_and_defaults() {
    plans_empty("enums_and_defaults").await;
}

#[tokio::test]
async fn type_spellings() {
    plans_empty("type_spellings").await;
}

#[tokio::test]
async fn comments() {
    plans_empty("comments").await;
}

#[tokio::test]
async fn composite_keys() {
    plans_empty("composite_keys").await;
}

#[tokio::test]
async fn checks() {
    plans_empty("checks").await;
}

#[tokio::test]
async fn policies() {
    plans_empty("policies").await;
}

#[tokio::test]
async fn grants() {
    plans_empty("grants").await;
}

#[tokio::test]
async fn schemas() {
    plans_empty("schemas").await;
}

#[tokio::test]
async fn tenancy_by_hand() {
    plans_empty("tenancy_by_hand").await;
}

/// More tables than `canonicalize` creates in one batch, with policies that name a table of an
/// earlier batch: the batches must not lose or misprint anything.
#[tokio::test]
async fn generated_database_larger_than_a_canonicalize_batch() {
    let generated = schemac_bench::generate(&schemac_bench::Options {
        tables: 300,
        tables_per_file: 100,
        seed: 3,
    });
    assert!(generated.sql.contains("CREATE POLICY t00300_"));
    let db = TestDb::named("handmade_generated").await;
    db.execute(&generated.sql).await;
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, files) in [
        ("schema", &generated.schema),
        ("changed", &generated.changed),
    ] {
        std::fs::create_dir(dir.path().join(name)).expect("schema dir");
        for file in files.iter() {
            std::fs::write(dir.path().join(name).join(&file.path), &file.text)
                .expect("write schema file");
        }
    }
    let plan = |name: &str| {
        let path = dir.path().join(name).display().to_string();
        let url = db.url();
        async move {
            let run = schemac_async(vec![
                "plan".into(),
                path,
                "--database-url".into(),
                url,
                "--format".into(),
                "json".into(),
            ])
            .await
            .expect(0);
            let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("plan JSON");
            json["steps"].as_array().cloned().unwrap_or_default()
        }
    };
    let steps = plan("schema").await;
    assert!(
        steps.is_empty(),
        "the generated schema must plan empty: {steps:#?}"
    );
    // The changed schema: three columns, two indexes, a table with its index and key, a check.
    let kinds: Vec<String> = plan("changed")
        .await
        .iter()
        .map(|s| s["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    for kind in [
        "add_column",
        "create_index",
        "create_table",
        "drop_constraint",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} in {kinds:?}");
    }
    assert_eq!(
        kinds.iter().filter(|k| *k == "add_column").count(),
        3,
        "{kinds:?}"
    );
}

/// Unique indexes (expression, partial, referenced by a foreign key) are said with `unique index`
/// and adopted like everything else; a schema that leaves one out plans its drop, marked as
/// removing a uniqueness guarantee rather than as a slower query.
#[tokio::test]
async fn unique_indexes() {
    let handmade = Handmade::new("unique_indexes").await;
    handmade.assert_plans_empty().await;
    let without = handmade.dir.path().join("without");
    std::fs::create_dir(&without).expect("dir");
    let text = std::fs::read_to_string(handmade.dir.path().join("schema/members.schema"))
        .expect("schema copy");
    let text = text.replace("  unique index (lower(email))\n", "");
    std::fs::write(without.join("members.schema"), text).expect("write");
    let (steps, human) = handmade.plan(&without.display().to_string()).await;
    assert!(
        steps.len() == 1
            && steps[0]["kind"] == "drop_index"
            && steps[0]["target"] == "public.members.members_lower_idx"
            && steps[0]["destructive"] == true
            && steps[0]["hazards"]
                .as_array()
                .is_some_and(|h| h.iter().any(|h| h
                    .as_str()
                    .is_some_and(|h| h.contains("removes-uniqueness-guarantee")))),
        "{human}\n{steps:#?}"
    );
}
