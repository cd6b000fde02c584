//! Row-level security on pooled connections (LANGUAGE.md, tenant table: `<current tenant>`).
//!
//! A connection whose earlier transaction ran `set_config(setting, ..., true)` reads the setting as
//! `''` afterwards. The isolation policy and the tenant column default read it through `NULLIF`, so
//! the next transaction without a setting sees no rows and gets no error, and a row inserted
//! without the tenant column takes the session's tenant.

mod support;

use sqlx::{Connection, Executor, PgConnection, Row};
use support::cli::schemac_async;
use support::TestDb;

const SETTING: &str = "app.current_account_id";

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn schema_dir() -> String {
    format!("{}/../schema", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `body` as `app_user` in one transaction (with the tenant setting when given) and commits.
async fn as_app_user(
    conn: &mut PgConnection,
    tenant: Option<&str>,
    body: &str,
) -> Result<Vec<sqlx::postgres::PgRow>, sqlx::Error> {
    let mut tx = conn.begin().await?;
    tx.execute("SET LOCAL ROLE app_user").await?;
    if let Some(tenant) = tenant {
        sqlx::query("SELECT set_config($1, $2, true)")
            .bind(SETTING)
            .bind(tenant)
            .execute(&mut *tx)
            .await?;
    }
    let rows = sqlx::query(body).fetch_all(&mut *tx).await;
    match rows {
        Ok(rows) => {
            tx.commit().await?;
            Ok(rows)
        }
        Err(error) => {
            tx.rollback().await?;
            Err(error)
        }
    }
}

#[tokio::test]
async fn a_pooled_connection_without_a_setting_sees_no_rows_and_gets_no_error() {
    let db = TestDb::new().await;
    let url = db.url();
    schemac_async(args(&[
        "apply",
        &schema_dir(),
        "--database-url",
        &url,
        "--yes",
    ]))
    .await
    .expect(0);

    // Two accounts, one user each (as the owner, who sets the setting to pass FORCE).
    let mut conn = db.connect().await;
    let accounts: Vec<String> = sqlx::query_scalar(
        "INSERT INTO accounts (name, slug) VALUES ('A', 'a'), ('B', 'b') RETURNING id::text",
    )
    .fetch_all(&mut conn)
    .await
    .expect("accounts");
    let (a, b) = (&accounts[0], &accounts[1]);

    // An insert without the tenant column lands in the session's tenant.
    let inserted = as_app_user(
        &mut conn,
        Some(a),
        "INSERT INTO users (email) VALUES ('ada@example.com') RETURNING account_id::text",
    )
    .await
    .expect("insert under tenant A without account_id");
    assert_eq!(inserted[0].get::<String, _>(0), *a);
    as_app_user(
        &mut conn,
        Some(b),
        "INSERT INTO users (email) VALUES ('bob@example.com') RETURNING account_id::text",
    )
    .await
    .expect("insert under tenant B without account_id");

    // The same connection, next transaction, no setting: the setting now reads as ''.
    let leftover: String = sqlx::query_scalar("SELECT current_setting($1, true)")
        .bind(SETTING)
        .fetch_one(&mut conn)
        .await
        .expect("setting");
    assert_eq!(leftover, "", "set_config(..., true) leaves '' behind");
    for query in [
        "SELECT count(*) FROM users",
        "SELECT count(*) FROM accounts",
    ] {
        let rows = as_app_user(&mut conn, None, query)
            .await
            .unwrap_or_else(|e| panic!("{query} on a pooled connection must not fail: {e}"));
        assert_eq!(rows[0].get::<i64, _>(0), 0, "{query} sees no tenant's rows");
    }
    // An explicitly empty setting is the same.
    let rows = as_app_user(&mut conn, Some(""), "SELECT count(*) FROM users")
        .await
        .expect("an empty setting must not fail");
    assert_eq!(rows[0].get::<i64, _>(0), 0);

    // With a setting, exactly that tenant's rows.
    let rows = as_app_user(&mut conn, Some(a), "SELECT account_id::text FROM users")
        .await
        .expect("select under A");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<String, _>(0), *a);

    // Without a setting, an insert that does not name the tenant is refused (no tenant to take).
    let refused = as_app_user(
        &mut conn,
        None,
        "INSERT INTO users (email) VALUES ('eve@example.com') RETURNING 1",
    )
    .await;
    assert!(refused.is_err(), "an insert with no tenant must be refused");
    assert_eq!(
        db.count("SELECT count(*) FROM users WHERE email = 'eve@example.com'")
            .await,
        0
    );

    // The schema and the database agree: a second plan is empty.
    let plan = schemac_async(args(&[
        "plan",
        &schema_dir(),
        "--database-url",
        &url,
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
}
