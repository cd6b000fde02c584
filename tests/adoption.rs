//! Adoption of a database made with plain SQL (LANGUAGE.md, "What else real databases hold"): for
//! every `fixtures/adoption/<case>/before.sql`, loaded with plain `psql`, `introspect` writes the
//! database as source without a warning, that source plans empty against the database and `drift`
//! exits 0; then `apply` of the source to an empty database recreates it, and the two catalogs,
//! read with plain `pg_catalog` queries independent of schemac's own introspection, do not differ
//! (tables, columns with type, default, identity and generation, constraints, indexes, sequences,
//! views, functions, triggers, domains, partition bounds). Rows (`before.sql` may insert some) must
//! not matter. A case's `copy.sql` makes, by hand as their owner would, the objects the language
//! does not manage that the source reads (an aggregate its views call): it is loaded into the
//! empty database and into the dev database its views are printed on.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sqlx::Row;
use support::cli::{schemac_async, Run};
use support::client::psql_file;
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
// (`schemac_*`) and extension members are left out. A partition's NOT NULL constraints (named in
// `pg_constraint` from PostgreSQL 18) are its parent's: named after the parent when the partition
// is made `PARTITION OF` it, after the partition when it was made apart and attached, so their
// names are not compared (the column lines compare `not null`). Sequence lines give their definition, not
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
select 'constraint ' || r.name || ' '
  || case when con.contype = 'n' and con.coninhcount > 0 and c.relispartition then '(inherited)'
          else con.conname end
  || ' ' || pg_get_constraintdef(con.oid)
from rels r join pg_constraint con on con.conrelid = r.oid join pg_class c on c.oid = r.oid
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
select 'policy ' || r.name || ' ' || p.polname
from rels r join pg_policy p on p.polrelid = r.oid
union all
select 'trigger ' || pg_get_triggerdef(t.oid)
from rels r join pg_trigger t on t.tgrelid = r.oid where not t.tgisinternal
union all
select 'function ' || pg_get_functiondef(p.oid)
from pg_proc p join user_ns n on n.oid = p.pronamespace
where p.prokind in ('f', 'p') and p.proname not like 'schemac\_%'
  and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass
                  and d.objid = p.oid and d.deptype in ('e', 'i'))
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
    adopts_leaving(case, &[]).await;
}

/// `adopts`, where the database also holds objects the language does not manage: each of
/// `unmanaged` (`kind name`, as drift lists it) is named in a warning of `introspect` and in the
/// "not managed" list of `drift`, and nothing else is warned about; applying the source to the
/// database keeps them. The copy made from the source lacks them, so lines of the catalog description that name them are not compared.
async fn adopts_leaving(case: &str, unmanaged: &[(&str, &str)]) {
    let db = TestDb::named(&format!("adopt_{case}")).await;
    psql_file(&db.url(), &case_dir(case).join("before.sql"));
    same_read_on_two_sessions(case, &db).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("introspected").display().to_string();
    let introspect = run(&db, &["introspect", "-o", &out]).await.expect(0);
    let source = std::fs::read_to_string(Path::new(&out).join("schema.schema"))
        .expect("introspect wrote schema.schema");
    let warnings: Vec<&str> = introspect
        .stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .filter(|l| {
            !unmanaged
                .iter()
                .any(|(kind, name)| l.contains(&format!("{kind} `{name}` is not managed")))
        })
        .collect();
    for (kind, name) in unmanaged {
        assert!(
            introspect
                .stderr
                .contains(&format!("{kind} `{name}` is not managed")),
            "{case}: introspect must name {kind} {name}:\n{}",
            introspect.stderr
        );
    }
    assert_eq!(
        warnings,
        Vec::<&str>::new(),
        "{case}: introspect warned\n--- source\n{source}"
    );

    let plan = run(&db, &["plan", &out, "--format", "json"])
        .await
        .expect(0);
    assert!(
        plan_steps(&plan).is_empty(),
        "{case}: the introspected source must plan empty:\n{}\n--- source\n{source}",
        plan.stdout
    );
    let drift = run(&db, &["drift", &out]).await;
    assert_eq!(
        drift.code, 0,
        "{case}: drift must find nothing:\n{}{}",
        drift.stdout, drift.stderr
    );
    for (kind, name) in unmanaged {
        assert!(
            drift.stdout.contains("not managed")
                && drift.stdout.contains(&format!("  - {kind} {name}\n")),
            "{case}: drift must list {kind} {name} as not managed:\n{}",
            drift.stdout
        );
    }

    // Applying the source to the database itself changes nothing: what is not managed is kept.
    let before = describe(&db).await;
    run(&db, &["apply", &out, "--yes"]).await.expect(0);
    assert_eq!(
        describe(&db).await,
        before,
        "{case}: applying the introspected source changed the database"
    );

    let empty = TestDb::named(&format!("adopt_{case}_copy")).await;
    let copy_sql = case_dir(case).join("copy.sql");
    if copy_sql.exists() {
        copy_reading_unmanaged(case, &empty, &out, &copy_sql, unmanaged).await;
    } else {
        run(&empty, &["apply", &out, "--yes"]).await.expect(0);
    }
    let (mut original, copy) = (describe(&db).await, describe(&empty).await);
    // What is not managed is not in the copy (unless `copy.sql` made it), nor what is part of it (a
    // range type's constructor functions); the functions it calls are plain functions, managed and
    // so recreated. `public.total(integer)` → `total`, `t_fkey on public.t` → `t_fkey`; a cast
    // keeps its whole name.
    let bare = |name: &str| -> String {
        let name = name.split(" on ").next().unwrap_or(name);
        match name.split('(').next().filter(|n| !n.is_empty()) {
            Some(head) => head.rsplit('.').next().unwrap_or(head).to_string(),
            None => name.to_string(),
        }
    };
    original.retain(|line| {
        copy.contains(line) || !unmanaged.iter().any(|(_, name)| line.contains(&bare(name)))
    });
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
    assert!(
        plan_steps(&again).is_empty(),
        "{case}: the copy must plan empty:\n{}",
        again.stdout
    );
}

/// The CLI reads the catalog on two sessions at once (the constraint and index queries on the
/// second): the catalog read so equals the one read on a single session.
async fn same_read_on_two_sessions(case: &str, db: &TestDb) {
    let one = schemac::introspect::catalog(&mut db.connect().await)
        .await
        .expect("read on one session");
    let (mut conn, mut helper) = (db.connect().await, db.connect().await);
    let mut two = schemac::introspect::catalog_with_helper(&mut conn, Some(&mut helper))
        .await
        .expect("read on two sessions");
    // Roles are the cluster's, and other tests running meanwhile create theirs.
    let mut one = one;
    one.roles.clear();
    two.roles.clear();
    assert!(
        !one.tables.is_empty() || !one.views.is_empty(),
        "{case}: the fixture holds relations"
    );
    assert_eq!(one, two, "{case}: two sessions read another catalog");
}

/// The steps of a `plan --format json`.
fn plan_steps(plan: &Run) -> Vec<serde_json::Value> {
    let value: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    value["steps"].as_array().cloned().unwrap_or_default()
}

/// A rendered diagnostic's words, one space apart: its message is wrapped to the terminal's width.
fn words(rendered: &str) -> String {
    let words = rendered.split_whitespace().filter(|w| *w != "│");
    words.collect::<Vec<_>>().join(" ")
}

/// The copy of a case whose source reads objects the language does not manage: `copy.sql` makes
/// them in the empty database first. The source's views are new there and are printed on a dev
/// database, which needs them too: without one that holds them, `apply` is refused, naming them
/// and `--dev-url`; `plan --dev-url` on a dev database made with `copy.sql`, saved and applied,
/// makes the copy.
async fn copy_reading_unmanaged(
    case: &str,
    empty: &TestDb,
    out: &str,
    copy_sql: &Path,
    unmanaged: &[(&str, &str)],
) {
    psql_file(&empty.url(), copy_sql);
    let refused = run(empty, &["apply", out, "--yes"]).await;
    let words = words(&refused.stderr);
    assert!(
        refused.code == 1
            && words.contains("which schemac does not manage")
            && words.contains("--dev-url")
            && unmanaged
                .iter()
                .any(|(kind, name)| words.contains(&format!("{kind} `{name}`"))),
        "{case}: apply without a dev database holding what the views read must be refused, \
         naming it and --dev-url:\n{}{}",
        refused.stdout,
        refused.stderr
    );
    let dev = TestDb::named(&format!("adopt_{case}_dev")).await;
    psql_file(&dev.url(), copy_sql);
    let dir = tempfile::tempdir().expect("temp dir");
    let plan_file = dir.path().join("plan.json").display().to_string();
    let dev_url = dev.url();
    run(
        empty,
        &["plan", out, "--dev-url", &dev_url, "-o", &plan_file],
    )
    .await
    .expect(0);
    run(empty, &["apply", &plan_file, "--yes"]).await.expect(0);
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
async fn index_options_and_names() {
    adopts("index_options").await;
}

/// Virtual generated columns exist from PostgreSQL 18 (run with `DATABASE_URL` on port 5418).
#[tokio::test]
async fn virtual_generated_columns() {
    if server_version().await < 180_000 {
        eprintln!("skipped: virtual generated columns need PostgreSQL 18");
        return;
    }
    adopts("virtual_generated").await;
}

async fn server_version() -> i32 {
    let db = TestDb::new().await;
    let mut conn = db.connect().await;
    let version: String = sqlx::query_scalar("select current_setting('server_version_num')")
        .fetch_one(&mut conn)
        .await
        .expect("server version");
    version.parse().expect("server_version_num")
}

/// Below PostgreSQL 18 a schema with a virtual column is refused by `plan`, with the reason.
#[tokio::test]
async fn virtual_column_needs_postgres_18() {
    if server_version().await >= 180_000 {
        eprintln!("skipped: the server has virtual generated columns");
        return;
    }
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("schema.schema"),
        "table invoices {\n  id bigint primary\n  cents bigint\n  eur numeric? generated (cents / 100.0) virtual\n}\n",
    )
    .expect("write schema");
    let schema = dir.path().display().to_string();
    let plan = run(&db, &["plan", &schema]).await;
    assert_eq!(plan.code, 1, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stderr.contains("needs PostgreSQL 18") && plan.stderr.contains("schema.schema:4"),
        "{}",
        plan.stderr
    );
    let tables: i64 =
        sqlx::query_scalar("select count(*) from pg_tables where tablename = 'invoices'")
            .fetch_one(&mut db.connect().await)
            .await
            .expect("count");
    assert_eq!(tables, 0);
}

#[tokio::test]
async fn objects_not_managed() {
    adopts_leaving(
        "not_managed",
        &[
            ("aggregate", "public.total(integer)"),
            ("operator", "public.===(integer,integer)"),
            ("type", "public.money_pair"),
            ("type", "public.float_range"),
            ("cast", "(public.money_pair AS integer)"),
            ("event trigger", "adopt_no_ddl_not_managed"),
            ("publication", "adopt_pub_not_managed"),
            ("foreign-data wrapper", "adopt_fdw_not_managed"),
            ("server", "adopt_server_not_managed"),
            ("foreign table", "public.remote_items"),
            ("statistics object", "public.items_ab"),
            ("text search configuration", "public.english_simple"),
            ("domain", "public.bıgınt"),
            ("index", "public.readings_2026_item"),
            (
                "table constraint",
                "readings_2026_item_fkey on public.readings_2026",
            ),
            ("table", "public.order-lines"),
            (
                "table constraint",
                "line_refs_line_id_fkey on public.line_refs",
            ),
            ("type", "public.mood-x"),
            ("sequence", "public.seq-x"),
            ("view", "public.v-x"),
            ("materialized view", "public.mv-x"),
            ("function", "public.f-x()"),
            ("procedure", "public.proc-x()"),
            ("schema", "odd schema"),
            ("table", "odd schema.legacy_rows"),
            ("column", "public.prices.unit-price"),
            ("column", "public.prices.mood"),
            ("column", "public.prices.big"),
            ("index", "public.prices_unit_price"),
            ("index", "public.prices-note"),
            ("table constraint", "note-short on public.prices"),
            ("table constraint", "prices_positive on public.prices"),
            ("policy", "all-rows on public.prices"),
            ("policy", "prices_cheap on public.prices"),
            ("trigger", "prices-touch on public.prices"),
            ("trigger", "prices_price_touch on public.prices"),
            ("trigger", "readings_2026_touch on public.readings_2026"),
            ("view", "public.price_list"),
            ("table", "public.readings-2027"),
            ("grant", "SELECT, INSERT on public.prices to Adopt Reader"),
        ],
    )
    .await;
}

/// An expression or view query written exactly as the database prints it is the server's text
/// already (issue 11): `plan` and `drift` need no dev database for it, so a `--dev-url` that does
/// not answer is never used, even for forms schemac cannot print itself. A view the schema
/// changes is printed on a dev database; the throwaway one lacks the aggregate it calls, which is
/// not managed, and the refusal names it and `--dev-url`.
#[tokio::test]
async fn what_the_database_prints_needs_no_dev_database() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE SEQUENCE ticket_seq;
         CREATE FUNCTION add_text(text, text) RETURNS text LANGUAGE sql IMMUTABLE
             AS 'select $1 || $2';
         CREATE AGGREGATE concat_all(text) (sfunc = add_text, stype = text);
         CREATE TABLE tickets (
             id int PRIMARY KEY DEFAULT nextval('ticket_seq'),
             code text DEFAULT md5(random()::text) CHECK (code ~ '^[0-9a-f]+$'),
             twice int GENERATED ALWAYS AS (id * 2) STORED
         );
         CREATE INDEX tickets_upper ON tickets (upper(code)) WHERE code !~ 'x';
         CREATE VIEW codes AS SELECT concat_all(code) AS all_codes FROM tickets;",
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("introspected").display().to_string();
    run(&db, &["introspect", "-o", &out]).await.expect(0);
    let nowhere = "postgres://schemac@127.0.0.1:1/nowhere";
    let plan = run(
        &db,
        &["plan", &out, "--dev-url", nowhere, "--format", "json"],
    )
    .await
    .expect(0);
    assert!(plan_steps(&plan).is_empty(), "{}", plan.stdout);
    let drift = run(&db, &["drift", &out, "--dev-url", nowhere]).await;
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);

    let file = Path::new(&out).join("schema.schema");
    let source = std::fs::read_to_string(&file).expect("schema.schema");
    assert!(source.contains("AS all_codes"), "{source}");
    std::fs::write(
        &file,
        source.replace("AS all_codes", "AS all_codes, count(*) AS n"),
    )
    .expect("write schema");
    let refused = run(&db, &["plan", &out]).await;
    let words = words(&refused.stderr);
    assert!(
        refused.code == 1
            && words.contains("aggregate `public.concat_all(")
            && words.contains("which schemac does not manage")
            && words.contains("--dev-url"),
        "{}{}",
        refused.stdout,
        refused.stderr
    );
}

/// A schema the source does not mention is not managed: `plan` leaves its tables alone (no drop)
/// and `drift` lists them under "not managed" and exits 0.
#[tokio::test]
async fn schemas_the_source_does_not_mention_are_not_managed() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE items (id int PRIMARY KEY);
         CREATE SCHEMA legacy;
         CREATE TABLE legacy.old_items (id int PRIMARY KEY);
         CREATE TYPE legacy.state AS ENUM ('a', 'b');",
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("schema.schema"),
        "table items {\n  id int primary\n}\n",
    )
    .expect("write schema");
    let schema = dir.path().display().to_string();
    let plan = run(&db, &["plan", &schema, "--format", "json"])
        .await
        .expect(0);
    let value: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    assert!(
        value["steps"].as_array().is_none_or(|s| s.is_empty()),
        "{}",
        plan.stdout
    );
    let drift = run(&db, &["drift", &schema]).await;
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);
    for line in [
        "  - schema legacy\n",
        "  - table legacy.old_items\n",
        "  - type legacy.state\n",
    ] {
        assert!(drift.stdout.contains(line), "{line}: {}", drift.stdout);
    }
    run(&db, &["apply", &schema, "--yes", "--allow-destructive"])
        .await
        .expect(0);
    let kept: i64 = sqlx::query_scalar(
        "select count(*) from pg_tables where schemaname = 'legacy' and tablename = 'old_items'",
    )
    .fetch_one(&mut db.connect().await)
    .await
    .expect("count");
    assert_eq!(kept, 1);
}

#[tokio::test]
async fn partitions() {
    adopts("partitions").await;
}

#[tokio::test]
async fn views() {
    adopts("views").await;
}

#[tokio::test]
async fn functions_triggers_and_domains() {
    adopts("routines").await;
}

/// The pagila sample database (fixtures/adoption/pagila: 70 tables, 60 of them range partitions,
/// views, a materialized view, functions, triggers, domains, sequences), PostgreSQL 18 only:
/// `uuidv7()` and a virtual generated column. Its views call the aggregate `group_concat(text)` and
/// it has a domain named `bıgınt`, which the language cannot spell (identifiers are
/// `[A-Za-z_][A-Za-z0-9_]*`, LANGUAGE.md "Lexical"): neither is managed. Nothing of it needs a dev
/// database to plan against itself: every expression and view query is written as the database
/// prints it.
#[tokio::test]
async fn pagila() {
    let version = server_version().await;
    if version < 180_000 {
        eprintln!(
            "skipped: pagila needs PostgreSQL 18 (uuidv7(), a virtual generated column); the \
             server is {version} (run with DATABASE_URL on 18, as .ci/pg18.sh does)"
        );
        return;
    }
    // The first six partitions of `payment` have indexes and foreign keys of their own, which
    // the language does not declare (a partition holds what its parent declares).
    let mut unmanaged: Vec<(&str, String)> = vec![
        ("aggregate", "public.group_concat(pg_catalog.text)".into()),
        ("domain", "public.bıgınt".into()),
    ];
    for month in 1..=6 {
        let partition = format!("payment_p2022_{month:02}");
        for index in [
            format!("idx_fk_{partition}_customer_id"),
            format!("idx_fk_{partition}_staff_id"),
            format!("{partition}_customer_id_idx"),
        ] {
            unmanaged.push(("index", format!("public.{index}")));
        }
        for column in ["customer_id", "rental_id", "staff_id"] {
            unmanaged.push((
                "table constraint",
                format!("{partition}_{column}_fkey on public.{partition}"),
            ));
        }
    }
    let unmanaged: Vec<(&str, &str)> = unmanaged.iter().map(|(k, n)| (*k, n.as_str())).collect();
    adopts_leaving("pagila", &unmanaged).await;
}
