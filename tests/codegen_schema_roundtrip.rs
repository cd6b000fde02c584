//! The checked-in `schemac-generated` crate against the reference schema it was generated from:
//! `schema/` is applied with the CLI to a fresh database, then every table gets a full row (every
//! field set, defaults overridden) and a row with every nullable column NULL and every default
//! left to the database, inserted through the generated `New*` struct (`insert`, and once
//! `insert_sql` + `insert_arguments` by hand), and read back with `query_as` into the generated
//! row struct. The rows must equal what went in, with the schema's defaults where it was left to
//! them; serde must round-trip them too.
//!
//! Tenant tables have row-level security FORCEd; their policies (`TO PUBLIC`) let the session see
//! and write the rows of the account named by `app.current_account_id`, which the test sets on
//! its connection the way an application does.

mod support;

use std::fmt::Debug;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use ipnetwork::IpNetwork;
use rust_decimal::Decimal;
use schemac_generated::support::Interval;
use schemac_generated::*;
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgConnection};
use support::cli::schemac_async;
use support::TestDb;
use uuid::Uuid;

/// Inserts `$new` (a `New*` value) with its generated `insert` on `$conn` and returns the row as
/// stored; panics with the statement when the database refuses it.
macro_rules! insert {
    ($conn:expr, $new:expr) => {{
        let new = &$new;
        match new.insert(&mut *$conn).await {
            Ok(row) => row,
            Err(error) => panic!("{}: {error}", new.insert_sql()),
        }
    }};
}

/// Every row of `sql_name`, read with `query_as` into `R`, must be one of `want` and every row of
/// `want` must be there; each also survives a serde round trip.
async fn assert_rows<R>(conn: &mut PgConnection, sql_name: &str, want: &[&R])
where
    R: for<'r> FromRow<'r, PgRow>
        + Send
        + Unpin
        + PartialEq
        + Debug
        + serde::Serialize
        + serde::de::DeserializeOwned,
{
    let sql = format!("SELECT * FROM {sql_name}");
    let got: Vec<R> = match sqlx::query_as(&sql).fetch_all(&mut *conn).await {
        Ok(rows) => rows,
        Err(error) => panic!("{sql}: {error}"),
    };
    assert_eq!(got.len(), want.len(), "{sql_name}: {got:#?}");
    for row in want {
        assert!(
            got.contains(row),
            "{sql_name}: {row:#?} was not read back; the table has {got:#?}"
        );
        let json = serde_json::to_value(row).expect("a row serializes");
        let back: R = serde_json::from_value(json).expect("a row deserializes");
        assert_eq!(&back, *row);
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
}

fn naive(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").expect("a timestamp")
}

fn net(text: &str) -> IpNetwork {
    IpNetwork::from_str(text).expect("a network")
}

/// A default of `now()` was filled in by the database during this test.
#[track_caller]
fn assert_recent(value: DateTime<Utc>) {
    let age = Utc::now() - value;
    assert!(age.num_minutes().abs() < 10, "{value} is not now()");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_crate_round_trips_every_table_of_the_reference_schema() {
    let db = TestDb::new().await;
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is in the workspace")
        .join("schema");
    let args = [
        "apply",
        &schema.display().to_string(),
        "--database-url",
        &db.url(),
        "--yes",
    ]
    .map(String::from)
    .to_vec();
    schemac_async(args).await.expect(0);

    let mut conn = db.connect().await;
    let conn = &mut conn;
    let account = accounts(conn).await;
    // The application's way into tenant tables: the account for this session.
    sqlx::query("SELECT set_config('app.current_account_id', $1, false)")
        .bind(account.id.to_string())
        .execute(&mut *conn)
        .await
        .expect("set the tenant");

    let [user, other_user] = users(conn, account.id).await;
    let template = template_trees(conn).await;
    let tree = trees(conn, account.id, template.id, user.id).await;
    let session = sessions(conn, account.id, user.id, tree.id).await;
    attachments(conn, account.id, session.id).await;
    let ai_session = ai_sessions(conn, account.id, user.id, session.id).await;
    session_resolution_outputs(conn, account.id, ai_session.id).await;
    let permissions = permission(conn).await;
    let roles = role(conn, account.id).await;
    role_permission(conn, account.id, &roles, &permissions).await;
    user_role_assignment(conn, account.id, [user.id, other_user.id], roles[0].id).await;
    platform_steps(conn, template.id).await;

    // A table added to schema/ must be added here too: every table now has rows.
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_catalog.pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema') \
         AND tablename NOT LIKE 'schemac\\_%' ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("list the tables");
    assert_eq!(tables.len(), 13, "{tables:?}");
    for table in tables {
        let sql = format!("SELECT count(*) FROM {table}");
        let rows: i64 = sqlx::query_scalar(&sql)
            .fetch_one(&mut *conn)
            .await
            .expect("count rows");
        assert!(rows > 0, "{table} was not round-tripped");
    }
}

async fn accounts(conn: &mut PgConnection) -> Accounts {
    let full = NewAccounts {
        id: Some(Uuid::from_u128(0xacc0_0000_0000_4000_8000_0000_0000_0001)),
        name: "Acme, \"Inc.\"".into(),
        slug: "acme-co".into(),
        plan: Some(AccountPlan::Enterprise),
        seats: Some(250),
        country: Some("DE".into()),
        billing_email: Some("Billing@Acme.example".into()),
        digest_at: NaiveTime::from_hms_micro_opt(7, 30, 15, 250_000),
        created_at: Some(at("2024-02-29T13:14:15.123456Z")),
    };
    let full_row = insert!(conn, full);
    let want = Accounts {
        id: full.id.unwrap(),
        name: full.name.clone(),
        slug: full.slug.clone(),
        plan: AccountPlan::Enterprise,
        seats: 250,
        country: full.country.clone(),
        billing_email: full.billing_email.clone(),
        digest_at: full.digest_at.unwrap(),
        created_at: full.created_at.unwrap(),
    };
    assert_eq!(full_row, want);

    let nulls = NewAccounts {
        id: None,
        name: "Other".into(),
        slug: "other".into(),
        plan: None,
        seats: None,
        country: None,
        billing_email: None,
        digest_at: None,
        created_at: None,
    };
    let nulls_row = insert!(conn, nulls);
    assert_recent(nulls_row.created_at);
    let want_nulls = Accounts {
        id: nulls_row.id,
        name: nulls.name.clone(),
        slug: nulls.slug.clone(),
        plan: AccountPlan::Free,
        seats: 5,
        country: None,
        billing_email: None,
        digest_at: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        created_at: nulls_row.created_at,
    };
    assert_eq!(nulls_row, want_nulls);
    assert_ne!(nulls_row.id, want.id);
    assert_rows(conn, Accounts::SQL_NAME, &[&want, &want_nulls]).await;
    want
}

async fn users(conn: &mut PgConnection, account_id: Uuid) -> [Users; 2] {
    let full = NewUsers {
        id: Some(Uuid::from_u128(1)),
        account_id: Some(account_id),
        email: "Ada@Example.com".into(),
        name: Some("Ada Lovelace".into()),
        locale: Some("de-DE".into()),
        is_active: Some(false),
        login_count: Some(9_000_000_000),
        last_login_at: Some(at("2024-03-01T08:00:00.000001+02:00")),
        last_login_ip: Some(net("192.0.2.10/24")),
        allowed_network: Some(net("2001:db8::/32")),
        avatar: Some(vec![0x89, b'P', b'N', b'G', 0, 255]),
        birth_date: NaiveDate::from_ymd_opt(1815, 12, 10),
        created_at: Some(at("2024-01-01T00:00:00Z")),
    };
    let want = Users {
        id: full.id.unwrap(),
        account_id,
        email: full.email.clone(),
        name: full.name.clone(),
        locale: "de-DE".into(),
        is_active: false,
        login_count: 9_000_000_000,
        last_login_at: full.last_login_at,
        last_login_ip: full.last_login_ip,
        allowed_network: full.allowed_network,
        avatar: full.avatar.clone(),
        birth_date: full.birth_date,
        created_at: full.created_at.unwrap(),
    };
    assert_eq!(insert!(conn, full), want);

    let nulls = NewUsers {
        id: None,
        account_id: Some(account_id),
        email: "nulls@example.com".into(),
        name: None,
        locale: None,
        is_active: None,
        login_count: None,
        last_login_at: None,
        last_login_ip: None,
        allowed_network: None,
        avatar: None,
        birth_date: None,
        created_at: None,
    };
    let nulls_row = insert!(conn, nulls);
    assert_recent(nulls_row.created_at);
    let want_nulls = Users {
        id: nulls_row.id,
        account_id,
        email: nulls.email.clone(),
        name: None,
        locale: "en".into(),
        is_active: true,
        login_count: 0,
        last_login_at: None,
        last_login_ip: None,
        allowed_network: None,
        avatar: None,
        birth_date: None,
        created_at: nulls_row.created_at,
    };
    assert_eq!(nulls_row, want_nulls);
    assert_rows(conn, Users::SQL_NAME, &[&want, &want_nulls]).await;
    [want, want_nulls]
}

async fn template_trees(conn: &mut PgConnection) -> TemplateTrees {
    let full = NewTemplateTrees {
        id: Some(Uuid::from_u128(2)),
        slug: "onboarding".into(),
        name: "Onboarding".into(),
        definition: Some(json!({"steps": [{"ask": "name"}, {"ask": "team", "optional": true}]})),
        tags: Some(vec!["hr".into(), String::new(), "with, comma".into()]),
        version: Some(3),
        published_at: Some(naive("2023-12-31 23:59:59.999999")),
        created_at: Some(at("2023-06-01T12:00:00Z")),
    };
    let want = TemplateTrees {
        id: full.id.unwrap(),
        slug: full.slug.clone(),
        name: full.name.clone(),
        definition: full.definition.clone().unwrap(),
        tags: full.tags.clone().unwrap(),
        version: 3,
        published_at: full.published_at,
        created_at: full.created_at.unwrap(),
    };
    assert_eq!(insert!(conn, full), want);

    let nulls = NewTemplateTrees {
        id: None,
        slug: "blank".into(),
        name: "Blank".into(),
        definition: None,
        tags: None,
        version: None,
        published_at: None,
        created_at: None,
    };
    let nulls_row = insert!(conn, nulls);
    assert_recent(nulls_row.created_at);
    let want_nulls = TemplateTrees {
        id: nulls_row.id,
        slug: nulls.slug.clone(),
        name: nulls.name.clone(),
        definition: json!({}),
        tags: Vec::new(),
        version: 1,
        published_at: None,
        created_at: nulls_row.created_at,
    };
    assert_eq!(nulls_row, want_nulls);
    assert_rows(conn, TemplateTrees::SQL_NAME, &[&want, &want_nulls]).await;
    want
}

async fn trees(
    conn: &mut PgConnection,
    account_id: Uuid,
    template_id: Uuid,
    user_id: Uuid,
) -> Trees {
    let full = NewTrees {
        id: Some(Uuid::from_u128(3)),
        account_id: Some(account_id),
        name: "Support triage".into(),
        description: Some("Routes tickets.\nTwo lines.".into()),
        template_id: Some(template_id),
        definition: Some(json!({"root": {"yes": 1, "no": [null, false, 2.5]}})),
        tags: Some(vec!["support".into()]),
        published: Some(true),
        version: Some(7),
        created_by: Some(user_id),
        created_at: Some(at("2024-01-02T03:04:05Z")),
        updated_at: Some(at("2024-01-03T03:04:05Z")),
    };
    let want = Trees {
        id: full.id.unwrap(),
        account_id,
        name: full.name.clone(),
        description: full.description.clone(),
        template_id: full.template_id,
        definition: full.definition.clone().unwrap(),
        tags: full.tags.clone().unwrap(),
        published: true,
        version: 7,
        created_by: full.created_by,
        created_at: full.created_at.unwrap(),
        updated_at: full.updated_at.unwrap(),
    };
    assert_eq!(insert!(conn, full), want);

    let nulls = NewTrees {
        id: None,
        account_id: Some(account_id),
        name: "Draft".into(),
        description: None,
        template_id: None,
        definition: None,
        tags: None,
        published: None,
        version: None,
        created_by: None,
        created_at: None,
        updated_at: None,
    };
    let nulls_row = insert!(conn, nulls);
    assert_recent(nulls_row.created_at);
    let want_nulls = Trees {
        id: nulls_row.id,
        account_id,
        name: nulls.name.clone(),
        description: None,
        template_id: None,
        definition: json!({}),
        tags: Vec::new(),
        published: false,
        version: 1,
        created_by: None,
        created_at: nulls_row.created_at,
        updated_at: nulls_row.created_at,
    };
    assert_eq!(nulls_row, want_nulls);
    assert_rows(conn, Trees::SQL_NAME, &[&want, &want_nulls]).await;
    want
}

async fn sessions(
    conn: &mut PgConnection,
    account_id: Uuid,
    user_id: Uuid,
    tree_id: Uuid,
) -> Sessions {
    let full = NewSessions {
        id: Some(Uuid::from_u128(4)),
        account_id: Some(account_id),
        user_id,
        tree_id: Some(tree_id),
        status: Some("closed".into()),
        snapshot: Some(json!({"answers": {"name": "Ada"}})),
        title: Some("First run".into()),
        opened_at: Some(at("2024-04-01T10:00:00Z")),
        closed_at: Some(at("2024-04-01T10:30:00.5Z")),
    };
    let want = Sessions {
        id: full.id.unwrap(),
        account_id,
        user_id,
        tree_id: full.tree_id,
        status: "closed".into(),
        snapshot: full.snapshot.clone().unwrap(),
        title: "First run".into(),
        opened_at: full.opened_at.unwrap(),
        closed_at: full.closed_at,
    };
    assert_eq!(insert!(conn, full), want);

    let nulls = NewSessions {
        id: None,
        account_id: Some(account_id),
        user_id,
        tree_id: None,
        status: None,
        snapshot: None,
        title: None,
        opened_at: None,
        closed_at: None,
    };
    let nulls_row = insert!(conn, nulls);
    assert_recent(nulls_row.opened_at);
    let want_nulls = Sessions {
        id: nulls_row.id,
        account_id,
        user_id,
        tree_id: None,
        status: "open".into(),
        snapshot: json!({}),
        title: String::new(),
        opened_at: nulls_row.opened_at,
        closed_at: None,
    };
    assert_eq!(nulls_row, want_nulls);
    assert_rows(conn, Sessions::SQL_NAME, &[&want, &want_nulls]).await;
    want
}

async fn attachments(conn: &mut PgConnection, account_id: Uuid, session_id: Uuid) {
    let full = NewAttachments {
        id: Some(Uuid::from_u128(5)),
        account_id: Some(account_id),
        session_id,
        file_name: "report, final.pdf".into(),
        content_type: Some("application/pdf".into()),
        byte_size: 5000,
        sha256: vec![7; 32],
        storage_key: "tenant/acme/report".into(),
        uploaded_from: Some(net("2001:db8::7/64")),
        uploaded_at: Some(at("2024-04-01T10:05:00Z")),
    };
    let want = Attachments {
        id: full.id.unwrap(),
        account_id,
        session_id,
        file_name: full.file_name.clone(),
        content_type: "application/pdf".into(),
        byte_size: 5000,
        // Generated: byte_size / 1024.
        size_kib: 4,
        sha256: full.sha256.clone(),
        storage_key: full.storage_key.clone(),
        uploaded_from: full.uploaded_from,
        uploaded_at: full.uploaded_at.unwrap(),
    };
    assert_eq!(insert!(conn, full), want);

    let nulls = NewAttachments {
        id: None,
        account_id: Some(account_id),
        session_id,
        file_name: "empty".into(),
        content_type: None,
        byte_size: 0,
        sha256: (0..32).collect(),
        storage_key: "tenant/acme/empty".into(),
        uploaded_from: None,
        uploaded_at: None,
    };
    let nulls_row = insert!(conn, nulls);
    assert_recent(nulls_row.uploaded_at);
    let want_nulls = Attachments {
        id: nulls_row.id,
        account_id,
        session_id,
        file_name: nulls.file_name.clone(),
        content_type: "application/octet-stream".into(),
        byte_size: 0,
        size_kib: 0,
        sha256: nulls.sha256.clone(),
        storage_key: nulls.storage_key.clone(),
        uploaded_from: None,
        uploaded_at: nulls_row.uploaded_at,
    };
    assert_eq!(nulls_row, want_nulls);
    assert_rows(conn, Attachments::SQL_NAME, &[&want, &want_nulls]).await;
}

async fn ai_sessions(
    conn: &mut PgConnection,
    account_id: Uuid,
    user_id: Uuid,
    session_id: Uuid,
) -> AiSessions {
    let full = NewAiSessions {
        id: Some(Uuid::from_u128(6)),
        account_id: Some(account_id),
        user_id,
        session_id: Some(session_id),
        model: "model-x".into(),
        temperature: Some(1.5),
        prompt_tokens: Some(100),
        completion_tokens: Some(23),
        cost_usd: Some(Decimal::from_str("123456.0123").unwrap()),
        latency_ms: Some(812.25),
        started_at: Some(at("2024-04-01T10:00:00Z")),
        ended_at: Some(at("2024-04-01T10:01:30.5Z")),
    };
    let want = AiSessions {
        id: full.id.unwrap(),
        account_id,
        user_id,
        session_id: full.session_id,
        model: full.model.clone(),
        temperature: 1.5,
        prompt_tokens: 100,
        completion_tokens: 23,
        // Generated: prompt_tokens + completion_tokens.
        total_tokens: 123,
        cost_usd: full.cost_usd.unwrap(),
        latency_ms: full.latency_ms,
        started_at: full.started_at.unwrap(),
        ended_at: full.ended_at,
        // Generated: ended_at - started_at.
        duration: Some(Interval {
            months: 0,
            days: 0,
            microseconds: 90_500_000,
        }),
    };
    assert_eq!(insert!(conn, full), want);

    let nulls = NewAiSessions {
        id: None,
        account_id: Some(account_id),
        user_id,
        session_id: None,
        model: "model-y".into(),
        temperature: None,
        prompt_tokens: None,
        completion_tokens: None,
        cost_usd: None,
        latency_ms: None,
        started_at: None,
        ended_at: None,
    };
    let nulls_row = insert!(conn, nulls);
    assert_recent(nulls_row.started_at);
    let want_nulls = AiSessions {
        id: nulls_row.id,
        account_id,
        user_id,
        session_id: None,
        model: nulls.model.clone(),
        temperature: 0.2,
        prompt_tokens: 0,
        completion_tokens: 0,
        total_tokens: 0,
        cost_usd: Decimal::ZERO,
        latency_ms: None,
        started_at: nulls_row.started_at,
        ended_at: None,
        duration: None,
    };
    assert_eq!(nulls_row, want_nulls);
    assert_rows(conn, AiSessions::SQL_NAME, &[&want, &want_nulls]).await;
    want
}

async fn session_resolution_outputs(conn: &mut PgConnection, account_id: Uuid, session_id: Uuid) {
    let full = NewSessionResolutionOutputs {
        id: Some(10),
        account_id: Some(account_id),
        session_id,
        position: Some(2),
        output: json!({"resolution": "restart", "steps": ["a", "b"]}),
        summary: Some("Restart it.".into()),
        confidence: 0.875,
        accepted: Some(true),
        citations: Some(vec!["kb/1".into(), "kb/2".into()]),
        created_at: Some(at("2024-04-01T10:01:00Z")),
    };
    let want = SessionResolutionOutputs {
        id: 10,
        account_id,
        session_id,
        position: 2,
        output: full.output.clone(),
        summary: full.summary.clone(),
        confidence: 0.875,
        accepted: Some(true),
        citations: full.citations.clone(),
        created_at: full.created_at.unwrap(),
    };
    assert_eq!(insert!(conn, full), want);

    let nulls = NewSessionResolutionOutputs {
        id: None,
        account_id: Some(account_id),
        session_id,
        position: None,
        output: json!(null),
        summary: None,
        confidence: 0.0,
        accepted: None,
        citations: None,
        created_at: None,
    };
    let nulls_row = insert!(conn, nulls);
    assert_recent(nulls_row.created_at);
    let want_nulls = SessionResolutionOutputs {
        // bigserial: the explicit 10 did not use the sequence.
        id: 1,
        account_id,
        session_id,
        position: 0,
        output: json!(null),
        summary: None,
        confidence: 0.0,
        accepted: None,
        citations: None,
        created_at: nulls_row.created_at,
    };
    assert_eq!(nulls_row, want_nulls);
    assert_rows(
        conn,
        SessionResolutionOutputs::SQL_NAME,
        &[&want, &want_nulls],
    )
    .await;
}

/// Inserted through `insert_sql` and `insert_arguments` with `query_as_with`, as a user building
/// a query of their own would.
async fn permission(conn: &mut PgConnection) -> [Permission; 2] {
    let full = NewPermission {
        id: Some(Uuid::from_u128(7)),
        action: PermissionAction::Delete,
        scope: PermissionScope::Global,
        description: Some("Delete anything.".into()),
    };
    let defaults = NewPermission {
        id: None,
        action: PermissionAction::Read,
        scope: PermissionScope::Flow,
        description: None,
    };
    assert_eq!(
        defaults.insert_sql(),
        "INSERT INTO public.permission (action, scope) VALUES ($1, $2)"
    );
    assert_eq!(
        full.insert_sql(),
        "INSERT INTO public.permission (id, action, scope, description) VALUES ($1, $2, $3, $4)"
    );
    let mut rows = Vec::new();
    for new in [&full, &defaults] {
        let sql = format!("{} RETURNING *", new.insert_sql());
        let arguments = new.insert_arguments().expect("the values encode");
        let row: Permission = sqlx::query_as_with(&sql, arguments)
            .fetch_one(&mut *conn)
            .await
            .unwrap_or_else(|error| panic!("{sql}: {error}"));
        rows.push(row);
    }
    let want = Permission {
        id: full.id.unwrap(),
        action: PermissionAction::Delete,
        scope: PermissionScope::Global,
        description: "Delete anything.".into(),
    };
    let want_defaults = Permission {
        id: rows[1].id,
        action: PermissionAction::Read,
        scope: PermissionScope::Flow,
        description: String::new(),
    };
    assert_eq!(rows, [want.clone(), want_defaults.clone()]);
    assert_rows(conn, Permission::SQL_NAME, &[&want, &want_defaults]).await;
    [want, want_defaults]
}

async fn role(conn: &mut PgConnection, account_id: Uuid) -> [Role; 2] {
    let full = NewRole {
        id: Some(Uuid::from_u128(8)),
        account_id: Some(account_id),
        name: "admin".into(),
        description: Some("Everything.".into()),
        is_builtin: Some(true),
        created_at: Some(at("2024-01-01T00:00:00Z")),
    };
    let want = Role {
        id: full.id.unwrap(),
        account_id,
        name: "admin".into(),
        description: full.description.clone(),
        is_builtin: true,
        created_at: full.created_at.unwrap(),
    };
    assert_eq!(insert!(conn, full), want);

    let nulls = NewRole {
        id: None,
        account_id: Some(account_id),
        name: "viewer".into(),
        description: None,
        is_builtin: None,
        created_at: None,
    };
    let nulls_row = insert!(conn, nulls);
    assert_recent(nulls_row.created_at);
    let want_nulls = Role {
        id: nulls_row.id,
        account_id,
        name: "viewer".into(),
        description: None,
        is_builtin: false,
        created_at: nulls_row.created_at,
    };
    assert_eq!(nulls_row, want_nulls);
    assert_rows(conn, Role::SQL_NAME, &[&want, &want_nulls]).await;
    [want, want_nulls]
}

/// No nullable column and no default: two rows, one per role.
async fn role_permission(
    conn: &mut PgConnection,
    account_id: Uuid,
    roles: &[Role; 2],
    permissions: &[Permission; 2],
) {
    let mut want = Vec::new();
    for (role, permission) in roles.iter().zip(permissions) {
        let new = NewRolePermission {
            role_id: role.id,
            account_id: Some(account_id),
            permission_id: permission.id,
        };
        let row = insert!(conn, new);
        assert_eq!(
            row,
            RolePermission {
                role_id: role.id,
                account_id,
                permission_id: permission.id,
            }
        );
        want.push(row);
    }
    let want: Vec<&RolePermission> = want.iter().collect();
    assert_rows(conn, RolePermission::SQL_NAME, &want).await;
}

async fn user_role_assignment(
    conn: &mut PgConnection,
    account_id: Uuid,
    [user_id, granted_by]: [Uuid; 2],
    role_id: Uuid,
) {
    let full = NewUserRoleAssignment {
        id: Some(Uuid::from_u128(9)),
        account_id: Some(account_id),
        user_id,
        role_id,
        scope_type: PermissionScope::Project,
        scope_id: Some(Uuid::from_u128(99)),
        granted_by: Some(granted_by),
        granted_at: Some(at("2024-05-01T00:00:00Z")),
        expires_at: Some(at("2025-05-01T00:00:00Z")),
    };
    let want = UserRoleAssignment {
        id: full.id.unwrap(),
        account_id,
        user_id,
        role_id,
        scope_type: PermissionScope::Project,
        scope_id: full.scope_id,
        granted_by: full.granted_by,
        granted_at: full.granted_at.unwrap(),
        expires_at: full.expires_at,
    };
    assert_eq!(insert!(conn, full), want);

    // scope_id is NULL exactly when the scope is 'global' (a table check).
    let nulls = NewUserRoleAssignment {
        id: None,
        account_id: Some(account_id),
        user_id,
        role_id,
        scope_type: PermissionScope::Global,
        scope_id: None,
        granted_by: None,
        granted_at: None,
        expires_at: None,
    };
    let nulls_row = insert!(conn, nulls);
    assert_recent(nulls_row.granted_at);
    let want_nulls = UserRoleAssignment {
        id: nulls_row.id,
        account_id,
        user_id,
        role_id,
        scope_type: PermissionScope::Global,
        scope_id: None,
        granted_by: None,
        granted_at: nulls_row.granted_at,
        expires_at: None,
    };
    assert_eq!(nulls_row, want_nulls);
    assert_rows(conn, UserRoleAssignment::SQL_NAME, &[&want, &want_nulls]).await;
}

async fn platform_steps(conn: &mut PgConnection, template_tree_id: Uuid) {
    let full = NewPlatformSteps {
        id: Some(7),
        code: "send_mail".into(),
        template_tree_id: Some(template_tree_id),
        name: "Send mail".into(),
        config: Some(json!({"to": "ops@example.com", "retry": {"after": [1, 2]}})),
        timeout: Some(Interval {
            months: 1,
            days: 2,
            microseconds: 3_000_001,
        }),
        retries: Some(10),
        required_actions: Some(vec![PermissionAction::Create, PermissionAction::Delete]),
        active: Some(false),
        updated_at: Some(naive("2024-02-29 23:59:59.5")),
    };
    let want = PlatformSteps {
        id: 7,
        code: full.code.clone(),
        template_tree_id: full.template_tree_id,
        name: full.name.clone(),
        config: full.config.clone().unwrap(),
        timeout: full.timeout.unwrap(),
        retries: 10,
        required_actions: full.required_actions.clone().unwrap(),
        active: false,
        updated_at: full.updated_at.unwrap(),
    };
    assert_eq!(insert!(conn, full), want);

    let nulls = NewPlatformSteps {
        id: None,
        code: "noop".into(),
        template_tree_id: None,
        name: "No-op".into(),
        config: None,
        timeout: None,
        retries: None,
        required_actions: None,
        active: None,
        updated_at: None,
    };
    let nulls_row = insert!(conn, nulls);
    // `now() at time zone 'utc'`: a timestamp without time zone, in UTC.
    assert_recent(nulls_row.updated_at.and_utc());
    let want_nulls = PlatformSteps {
        // serial: the explicit 7 did not use the sequence.
        id: 1,
        code: nulls.code.clone(),
        template_tree_id: None,
        name: nulls.name.clone(),
        config: json!({}),
        timeout: Interval {
            months: 0,
            days: 0,
            microseconds: 30_000_000,
        },
        retries: 3,
        required_actions: vec![PermissionAction::Read],
        active: true,
        updated_at: nulls_row.updated_at,
    };
    assert_eq!(nulls_row, want_nulls);
    assert_rows(conn, PlatformSteps::SQL_NAME, &[&want, &want_nulls]).await;
}
