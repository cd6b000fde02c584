//! The convergence matrix of the local canonicaliser (issue 11): every expression form it knows ×
//! every column type of LANGUAGE.md, applied to a database, introspected, and canonicalised again
//! with schemac's own printer alone (`Printer::LocalOnly`: no dev database, no server round trip).
//! The result must equal the database exactly: an empty diff, an empty plan, `drift` exit 0 with a
//! `--dev-url` that does not answer (so it was never used). A form the local canonicaliser prints
//! differently from the server fails here, not for a user.

mod support;

use schemac::introspect::{self, Printer};
use schemac::pair::Pair;
use schemac::source::SourceSet;

use support::cli::schemac_async;
use support::TestDb;

/// One column type with a default, two values of it, and whether it has `lower()`/`length()`.
struct Case {
    name: &'static str,
    ty: &'static str,
    default: &'static str,
    a: &'static str,
    b: &'static str,
    text_like: bool,
    ordered: bool,
}

const fn case(
    name: &'static str,
    ty: &'static str,
    default: &'static str,
    a: &'static str,
    b: &'static str,
    text_like: bool,
    ordered: bool,
) -> Case {
    Case {
        name,
        ty,
        default,
        a,
        b,
        text_like,
        ordered,
    }
}

const UUID_A: &str = "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'";
const UUID_B: &str = "'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12'";

const CASES: &[Case] = &[
    case("text", "text", "'a'", "'a'", "'b'", true, true),
    case("varchar", "varchar(20)", "'a'", "'a'", "'b'", true, true),
    case("char", "char(3)", "'abc'", "'abc'", "'xyz'", false, true),
    case("citext", "citext", "'a'", "'a'", "'b'", false, true),
    case("smallint", "smallint", "0", "1", "2", false, true),
    case("int", "int", "-1", "1", "2", false, true),
    case("bigint", "bigint", "10000000000", "1", "2", false, true),
    case("numeric", "numeric(12,2)", "1.5", "1", "2", false, true),
    case("numeric0", "numeric", "0", "0.5", "1.5", false, true),
    case("bool", "bool", "true", "", "", false, false),
    case(
        "uuid",
        "uuid",
        "gen_random_uuid()",
        UUID_A,
        UUID_B,
        false,
        true,
    ),
    case(
        "date",
        "date",
        "current_date",
        "'2020-01-01'",
        "'2021-06-15'",
        false,
        true,
    ),
    case("timestamptz", "timestamptz", "now()", "", "", false, false),
    case("jsonb", "jsonb", "'{}'", "", "", false, false),
    case(
        "enum", "state", "'open'", "'open'", "'closed'", false, false,
    ),
    case("array", "text[]", "'{}'", "", "", false, false),
    case("intarray", "int[]", "'{}'", "", "", false, false),
];

/// One table per type, every form that applies to it.
fn schema() -> String {
    let mut text = String::from("enum state { open, closed }\n\n");
    for c in CASES {
        let t = format!("m_{}", c.name);
        text.push_str(&format!("table {t} {{\n  id int primary\n"));
        text.push_str(&format!("  v {}? default({})\n", c.ty, c.default));
        text.push_str(&format!("  w {}?\n", c.ty));
        text.push_str("  k bool?\n  row level security\n");
        text.push_str("  s text? default(nullif(current_setting('app.s', true), ''))\n");
        text.push_str(&format!(
            "  check nn_{} (v is not null or w is null)\n",
            c.name
        ));
        text.push_str("  index (id) where (v is not null and k)\n");
        if !c.a.is_empty() {
            text.push_str(&format!(
                "  check in_{} (v in ({}, {}))\n",
                c.name, c.a, c.b
            ));
            text.push_str(&format!("  check one_{} (w in ({}))\n", c.name, c.a));
            text.push_str(&format!(
                "  check eq_{} (v = {} or v <> {} and not k)\n",
                c.name, c.a, c.b
            ));
            text.push_str(&format!("  check vw_{} (v = w or w is null)\n", c.name));
            text.push_str(&format!("  index (id) where (w = {})\n", c.b));
            text.push_str(&format!(
                "  policy p_{} for all using (v = {} and k is not null) with check (w in ({}, {}))\n",
                c.name, c.a, c.a, c.b
            ));
            text.push_str(&format!(
                "  policy q_{} for update using (true) with check ((v = {} or v is null) and k)\n",
                c.name, c.b
            ));
        }
        if c.ordered {
            text.push_str(&format!(
                "  check range_{} (v >= {} and v <= {} or v is null)\n",
                c.name, c.a, c.b
            ));
        }
        if c.text_like {
            text.push_str("  index (lower(v))\n");
            text.push_str(&format!("  check len_{} (length(v) > 0)\n", c.name));
            text.push_str(&format!("  check low_{} (lower(v) <> '')\n", c.name));
        }
        text.push_str("}\n\n");
    }
    // The server's own text, as `introspect` writes it, read back.
    text.push_str(
        "table m_printed {\n  id int primary\n  st state default('open'::state)\n  \
         j jsonb default('{}'::jsonb)\n  t text default('x'::text)\n  n numeric(12,2)\n  \
         check (n >= 0::numeric)\n  check (n < 1000000::numeric OR t IS NOT NULL)\n}\n\n",
    );
    text.push_str("table m_serial {\n  id bigserial primary\n  n serial\n}\n\n");
    text.push_str("table app.m_serial {\n  id serial primary\n}\n\n");
    text.push_str(
        "table m_tenant {\n  id uuid primary\n  \
         account uuid? default(nullif(current_setting('app.account', true), '')::uuid)\n  \
         org bigint? default(current_setting('app.org', true)::bigint)\n  \
         row level security\n  \
         policy iso for all using (account = nullif(current_setting('app.account', true), '')::uuid) \
         with check (account = nullif(current_setting('app.account', true), '')::uuid)\n}\n",
    );
    text
}

#[tokio::test]
async fn every_known_form_on_every_type_plans_empty_with_the_local_canonicaliser_alone() {
    let db = TestDb::new().await;
    db.execute("CREATE EXTENSION IF NOT EXISTS citext").await;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("matrix.schema"), schema()).expect("write schema");
    let path = dir.path().display().to_string();
    let url = db.url();
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    schemac_async(args(&["apply", &path, "--database-url", &url, "--yes"]))
        .await
        .expect(0);

    let sources = SourceSet::load(dir.path()).expect("load");
    let compiled = schemac::compile::compile(&sources);
    let desired = compiled.catalog.expect("the matrix schema compiles");
    let mut conn = db.connect().await;
    let current = introspect::catalog(&mut conn).await.expect("introspect");
    let (local, printed_by_server) =
        introspect::canonicalize_with(&mut conn, &desired, &Printer::LocalOnly)
            .await
            .expect("every form of the matrix is known to the local canonicaliser");
    assert_eq!(printed_by_server, 0);
    let changes = schemac::diff::diff(Pair::new(&current, &local));
    assert!(
        changes.is_empty(),
        "the local canonicaliser printed differently from the server: {changes:?}"
    );

    // The command line, with a dev database that does not answer: it is never needed.
    let nowhere = "postgres://postgres@127.0.0.1:1/nowhere";
    let plan = schemac_async(args(&[
        "plan",
        &path,
        "--database-url",
        &url,
        "--dev-url",
        nowhere,
        "--format",
        "json",
    ]))
    .await
    .expect(0);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    assert_eq!(
        json["steps"].as_array().map(Vec::len),
        Some(0),
        "{}",
        plan.stdout
    );
    schemac_async(args(&[
        "drift",
        &path,
        "--database-url",
        &url,
        "--dev-url",
        nowhere,
    ]))
    .await
    .expect(0);
}
