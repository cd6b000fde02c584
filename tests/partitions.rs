//! Partitioned tables beyond the change fixtures: a plan that would change how a table is
//! partitioned is refused with its reason, and generated Rust has one row struct for a
//! partitioned table, none per partition.

mod support;

use schemac::codegen::{self, CodegenOptions};
use schemac::compile::compile;
use schemac::source::SourceSet;
use support::cli::schemac_async;
use support::TestDb;

const RANGE: &str = "table events {
  id bigint
  at timestamptz

  primary key (id, at)
  partition by range (at)
  partition events_2026 from ('2026-01-01') to ('2027-01-01')
}
";

const BY_ID: &str = "table events {
  id bigint
  at timestamptz

  primary key (id, at)
  partition by hash (id)
  partition events_0 with (modulus 1, remainder 0)
}
";

async fn apply(db: &TestDb, dir: &std::path::Path, text: &str) -> support::cli::Run {
    std::fs::write(dir.join("schema.schema"), text).unwrap();
    schemac_async(vec![
        "apply".into(),
        dir.display().to_string(),
        "--database-url".into(),
        db.url(),
        "--yes".into(),
    ])
    .await
}

#[tokio::test]
async fn changing_the_partition_key_is_refused() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    apply(&db, dir.path(), RANGE).await.expect(0);
    db.execute("INSERT INTO events VALUES (1, '2026-05-01')")
        .await;
    let refused = apply(&db, dir.path(), BY_ID).await;
    assert_ne!(refused.code, 0, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("schemac::plan::repartition")
            && refused.stderr.contains("cannot do in place"),
        "{}",
        refused.stderr
    );
    // Nothing was changed: the table is still range-partitioned with its row.
    assert_eq!(db.count("SELECT count(*) FROM events_2026").await, 1);
    let drift = schemac_async(vec![
        "drift".into(),
        dir.path().display().to_string(),
        "--database-url".into(),
        db.url(),
    ])
    .await;
    // `drift` compares, it does not plan: the database differs from the schema, and says how.
    assert_eq!(drift.code, 1, "{}{}", drift.stdout, drift.stderr);
    assert!(
        drift.stdout.contains("partitioned by range (at)")
            && drift.stdout.contains("partitioned by hash (id)"),
        "{}",
        drift.stdout
    );
}

#[test]
fn codegen_writes_one_struct_for_a_partitioned_table() {
    let mut sources = SourceSet::default();
    sources.add("schema.schema", RANGE);
    let compiled = compile(&sources);
    let catalog = compiled.catalog.expect("compiles");
    let files = codegen::rust_models(&catalog, &CodegenOptions::default());
    let all: String = files.iter().map(|f| f.contents.as_str()).collect();
    assert!(all.contains("pub struct Event "), "{all}");
    assert!(!all.to_lowercase().contains("events_2026"), "{all}");
    assert!(!all.contains("Events2026"), "{all}");
}

#[tokio::test]
async fn introspect_warns_about_a_partition_that_is_itself_partitioned() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE m (region text NOT NULL, at date NOT NULL) PARTITION BY LIST (region);
         CREATE TABLE m_eu PARTITION OF m FOR VALUES IN ('eu') PARTITION BY RANGE (at);
         CREATE TABLE m_eu_2026 PARTITION OF m_eu FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
         CREATE TABLE m_us PARTITION OF m FOR VALUES IN ('us');",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out").display().to_string();
    let run = schemac_async(vec![
        "introspect".into(),
        "--database-url".into(),
        db.url(),
        "-o".into(),
        out.clone(),
    ])
    .await
    .expect(0);
    assert!(
        run.stderr
            .contains("partition `public.m_eu` of `public.m` is itself partitioned"),
        "{}",
        run.stderr
    );
    let source = std::fs::read_to_string(std::path::Path::new(&out).join("schema.schema")).unwrap();
    assert!(source.contains("partition m_us in ('us')"), "{source}");
    assert!(!source.contains("m_eu_2026"), "{source}");
}
