//! Tenant isolation, proven against PostgreSQL for every tenant table of a schema.
//!
//! Each schema (by default `schema/` and every `examples/*` — its `schema/` directory where it has
//! one — whose tenancy has `rls on`; or the paths in `SCHEMAC_ISOLATION_SCHEMAS`, separated as in
//! `PATH`) is applied to a fresh database and proven with `schemac verify`: the proofs live once,
//! in the library (`compiler/src/verify/`, see its module documentation for the list), which
//! inserts rows for two tenants inside a rolled-back transaction and checks every tenant table as
//! every role the schema grants on it, the bypass role and the owner, on a fresh and on a pooled
//! session. `tests/verify.rs` breaks databases one way at a time and checks that the proofs fail.

mod support;

use std::path::{Path, PathBuf};

use schemac::catalog::Catalog;

use support::cli::schemac_async;
use support::TestDb;

/// Environment variable naming the schemas to check instead of the defaults.
const SCHEMAS_ENV: &str = "SCHEMAC_ISOLATION_SCHEMAS";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The schemas to prove: `$SCHEMAC_ISOLATION_SCHEMAS`, or `schema/` and the examples with tenancy.
fn schemas() -> Vec<PathBuf> {
    if let Some(list) = std::env::var_os(SCHEMAS_ENV) {
        return std::env::split_paths(&list).collect();
    }
    let root = workspace();
    let mut list = vec![root.join("schema")];
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .expect("examples/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        // An example's schema is its `schema/` directory where it has one (beside other phases).
        .map(|p| {
            let nested = p.join("schema");
            if nested.is_dir() {
                nested
            } else {
                p
            }
        })
        .filter(|p| compile(p).tenancy.is_some_and(|t| t.rls))
        .collect();
    examples.sort();
    assert!(
        !examples.is_empty(),
        "no example with a tenancy block: the suite would prove nothing about examples/"
    );
    list.extend(examples);
    list
}

fn compile(path: &Path) -> Catalog {
    let (_, compiled) = schemac::compile::check_path(path)
        .unwrap_or_else(|e| panic!("{}: cannot load: {e}", path.display()));
    compiled.catalog.unwrap_or_else(|| {
        panic!(
            "{}: does not compile: {:?}",
            path.display(),
            compiled.diagnostics
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tenant_table_isolates_tenants() {
    let mut tasks = tokio::task::JoinSet::new();
    for schema in schemas() {
        tasks.spawn(prove(schema));
    }
    let mut failures = Vec::new();
    while let Some(result) = tasks.join_next().await {
        match result {
            Ok(Ok(summary)) => eprintln!("{summary}"),
            Ok(Err(failure)) => failures.push(failure),
            Err(panic) => failures.push(format!("a schema's proof panicked: {panic}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Applies one schema and runs `schemac verify` on it; `Err` has its report.
async fn prove(path: PathBuf) -> Result<String, String> {
    // `examples/tenant-isolation/schema` is labelled by its example.
    let named = if path.ends_with("schema") && path.parent().is_some_and(|p| p != workspace()) {
        path.parent().unwrap_or(&path)
    } else {
        &path
    };
    let label = named
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("schema")
        .to_string();
    let db = TestDb::named(&format!("iso_{label}")).await;
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let url = db.url();
    let display = path.display().to_string();
    schemac_async(args(&["apply", &display, "--database-url", &url, "--yes"]))
        .await
        .expect(0);
    let run = schemac_async(args(&["verify", &display, "--database-url", &url])).await;
    let summary = run.stdout.lines().last().unwrap_or("").to_string();
    if run.code == 0 && run.stdout.contains("  ok   read-others") {
        Ok(format!("{display}: {summary}"))
    } else {
        Err(format!(
            "{display}: exit {}\n{}\n{}",
            run.code, run.stdout, run.stderr
        ))
    }
}
