//! Adoption of a database made with plain SQL (LANGUAGE.md, "What else real databases hold"): for
//! every `fixtures/adoption/<case>/before.sql`, `introspect` writes the database as source without
//! a warning, that source plans empty against the database and `drift` exits 0; then `apply` of the
//! source to an empty database recreates it, and the two catalogs, read with plain `pg_catalog`
//! queries independent of schemac's own introspection, do not differ (tables, columns with type,
//! default, identity and generation, constraints, indexes, sequences, views, functions, triggers,
//! domains, partition bounds). Rows (`before.sql` may insert some) must not matter.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sqlx::Row;
use support::cli::{schemac_async, Run};
use support::TestDb;

fn case_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/adoption")
        .join(case)
}

async fn run(db: &TestDb, args: &[&str]) -> Run {
    let mut argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    argv.push("--database-url".into());
    argv.push(db.url());
    schemac_async(argv).await
}

// Every user object, one line each, spelled as the server prints it; schemac's own objects
// (`schemac_*`) and extension members are left out. Sequence lines give their definition, not
// their position (`last_value`), which rows move.
const DESCRIBE: &str = r#"
with user_ns as (
  select n.oid, n.nspname from pg_namespace n
  where n.nspname !~ '^pg_' and n.nspname <> 'information_schema' and n.nspname not like 'schemac\_%'
),
rels as (
  select c.oid, c.relkind, n.nspname || '.' || c.relname as name
  from pg_class c join user_ns n on n.oid = c.relnamespace
  where c.relname not like 'schemac\_%'
    and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass
                    and d.objid = c.oid and d.deptype = 'e')
)
select 'relation ' || r.relkind::text || ' ' || r.name from rels r
union all
select 'column ' || r.name || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
  || case when a.attnotnull then ' not null' else '' end
  || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
  || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
from rels r join pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
where r.relkind in ('r', 'p', 'v', 'm', 'f')
union all
select 'constraint ' || r.name || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid)
from rels r join pg_constraint con on con.conrelid = r.oid
union all
select 'index ' || pg_get_indexdef(i.indexrelid)
from rels r join pg_index i on i.indexrelid = r.oid
union all
select 'sequence ' || r.name || ' ' || format_type(s.seqtypid, null) || ' start ' || s.seqstart
  || ' increment ' || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax
  || ' cache ' || s.seqcache || ' cycle ' || s.seqcycle::text
  || coalesce(' owned by ' || (select dr.relname || '.' || da.attname || ' ' || d.deptype::text
      from pg_depend d join pg_class dr on dr.oid = d.refobjid
      join pg_attribute da on da.attrelid = d.refobjid and da.attnum = d.refobjsubid
      where d.classid = 'pg_class'::regclass and d.objid = r.oid
        and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')), '')
from rels r join pg_sequence s on s.seqrelid = r.oid
union all
select 'view ' || r.name || ' ' || pg_get_viewdef(r.oid)
from rels r where r.relkind in ('v', 'm')
union all
select 'partition ' || r.name || ' ' || pg_get_expr(c.relpartbound, c.oid)
from rels r join pg_class c on c.oid = r.oid where c.relispartition
union all
select 'trigger ' || pg_get_triggerdef(t.oid)
from rels r join pg_trigger t on t.tgrelid = r.oid where not t.tgisinternal
union all
select 'function ' || pg_get_functiondef(p.oid)
from pg_proc p join user_ns n on n.oid = p.pronamespace
where p.prokind in ('f', 'p') and p.proname not like 'schemac\_%'
  and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass
                  and d.objid = p.oid and d.deptype = 'e')
union all
select 'type ' || n.nspname || '.' || t.typname || ' ' || t.typtype::text
  || coalesce(' ' || format_type(t.typbasetype, t.typtypmod), '')
  || case when t.typnotnull then ' not null' else '' end
  || coalesce(' default ' || t.typdefault, '')
  || coalesce((select string_agg(' ' || pg_get_constraintdef(c.oid), '' order by c.conname)
               from pg_constraint c where c.contypid = t.oid), '')
  || coalesce((select string_agg(' ' || e.enumlabel, '' order by e.enumsortorder)
               from pg_enum e where e.enumtypid = t.oid), '')
from pg_type t join user_ns n on n.oid = t.typnamespace
where t.typtype in ('d', 'e')
union all
select 'extension ' || e.extname from pg_extension e where e.extname <> 'plpgsql'
"#;

async fn describe(db: &TestDb) -> BTreeSet<String> {
    let mut conn = db.connect().await;
    let rows = sqlx::query(DESCRIBE)
        .fetch_all(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("describe {}: {e}", db.name()));
    rows.iter()
        .map(|row| row.get::<Option<String>, _>(0).unwrap_or_default())
        .collect()
}

/// The whole adoption check for one case.
async fn adopts(case: &str) {
    let sql = std::fs::read_to_string(case_dir(case).join("before.sql"))
        .unwrap_or_else(|e| panic!("{case}/before.sql: {e}"));
    let db = TestDb::named(&format!("adopt_{case}")).await;
    db.execute(&sql).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("introspected").display().to_string();
    let introspect = run(&db, &["introspect", "-o", &out]).await.expect(0);
    let source = std::fs::read_to_string(Path::new(&out).join("schema.schema"))
        .expect("introspect wrote schema.schema");
    let warnings: Vec<&str> = introspect
        .stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .collect();
    assert_eq!(
        warnings,
        Vec::<&str>::new(),
        "{case}: introspect warned\n--- source\n{source}"
    );

    let plan = run(&db, &["plan", &out, "--format", "json"])
        .await
        .expect(0);
    let value: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    let steps = value["steps"].as_array().cloned().unwrap_or_default();
    assert!(
        steps.is_empty(),
        "{case}: the introspected source must plan empty:\n{}\n--- source\n{source}",
        plan.stdout
    );
    let drift = run(&db, &["drift", &out]).await;
    assert_eq!(
        drift.code, 0,
        "{case}: drift must find nothing:\n{}{}",
        drift.stdout, drift.stderr
    );

    let empty = TestDb::named(&format!("adopt_{case}_copy")).await;
    run(&empty, &["apply", &out, "--yes"]).await.expect(0);
    let (original, copy) = (describe(&db).await, describe(&empty).await);
    let missing: Vec<&String> = original.difference(&copy).collect();
    let extra: Vec<&String> = copy.difference(&original).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{case}: the database made from the introspected source differs\n\
         --- only in the original\n{missing:#?}\n--- only in the copy\n{extra:#?}\n--- source\n{source}"
    );
    let again = run(&empty, &["plan", &out, "--format", "json"])
        .await
        .expect(0);
    let value: serde_json::Value = serde_json::from_str(&again.stdout).expect("plan JSON");
    assert!(
        value["steps"].as_array().is_none_or(|s| s.is_empty()),
        "{case}: the copy must plan empty:\n{}",
        again.stdout
    );
}

#[tokio::test]
async fn identity_and_sequences() {
    adopts("identity_and_sequences").await;
}

#[tokio::test]
async fn unique_indexes() {
    adopts("unique_indexes").await;
}

#[tokio::test]
async fn constraint_names() {
    adopts("constraint_names").await;
}

#[tokio::test]
async fn extensions() {
    adopts("extensions").await;
}

#[tokio::test]
async fn standalone_sequences() {
    adopts("standalone_sequences").await;
}

#[tokio::test]
async fn functions_triggers_and_domains() {
    adopts("routines").await;
}
