//! `examples/tenant-isolation/`, run as its README says: load `before.sql`, see the target refused
//! while platform rows have no account, apply the expand schema, move the rows with
//! `move-templates.sql`, apply the target. Afterwards the database equals the schema (a second plan
//! is empty, `drift` exits 0), no tenant column holds NULL, every backfilled `account_id` is the
//! account its row reached through the original foreign keys before the migration, and no row was
//! lost.

mod support;

use std::path::{Path, PathBuf};

use sqlx::PgConnection;
use support::cli::schemac_async;
use support::TestDb;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tenant-isolation")
}

/// Every tenant table of the target.
const TENANT_TABLES: &[&str] = &[
    "users",
    "teams",
    "projects",
    "customers",
    "email_templates",
    "team_members",
    "api_keys",
    "user_sessions",
    "notifications",
    "audit_events",
    "boards",
    "milestones",
    "labels",
    "webhooks",
    "contacts",
    "tickets",
    "invoices",
    "tasks",
    "webhook_deliveries",
    "contact_notes",
    "ticket_messages",
    "invoice_lines",
    "payments",
    "task_comments",
    "task_labels",
    "attachments",
    "time_entries",
];

/// Tables that gain `account_id`: each row's key, and the account it reaches through the original
/// single-column foreign keys, ending at a table that had `account_id` before the migration.
/// The same key, on the table itself, is read back after the migration.
const CHAINS: &[(&str, &str, &str)] = &[
    (
        "team_members",
        "x.id::text",
        "team_members x JOIN teams r ON r.id = x.team_id",
    ),
    (
        "api_keys",
        "x.id::text",
        "api_keys x JOIN users r ON r.id = x.user_id",
    ),
    (
        "user_sessions",
        "x.id::text",
        "user_sessions x JOIN users r ON r.id = x.user_id",
    ),
    (
        "notifications",
        "x.id::text",
        "notifications x JOIN users r ON r.id = x.user_id",
    ),
    (
        "audit_events",
        "x.id::text",
        "audit_events x JOIN users r ON r.id = x.user_id",
    ),
    (
        "boards",
        "x.id::text",
        "boards x JOIN projects r ON r.id = x.project_id",
    ),
    (
        "milestones",
        "x.id::text",
        "milestones x JOIN projects r ON r.id = x.project_id",
    ),
    (
        "labels",
        "x.id::text",
        "labels x JOIN projects r ON r.id = x.project_id",
    ),
    (
        "webhooks",
        "x.id::text",
        "webhooks x JOIN projects r ON r.id = x.project_id",
    ),
    (
        "contacts",
        "x.id::text",
        "contacts x JOIN customers r ON r.id = x.customer_id",
    ),
    (
        "tickets",
        "x.id::text",
        "tickets x JOIN customers r ON r.id = x.customer_id",
    ),
    (
        "invoices",
        "x.id::text",
        "invoices x JOIN customers r ON r.id = x.customer_id",
    ),
    (
        "tasks",
        "x.id::text",
        "tasks x JOIN boards b ON b.id = x.board_id JOIN projects r ON r.id = b.project_id",
    ),
    (
        "webhook_deliveries",
        "x.id::text",
        "webhook_deliveries x JOIN webhooks w ON w.id = x.webhook_id \
         JOIN projects r ON r.id = w.project_id",
    ),
    (
        "contact_notes",
        "x.id::text",
        "contact_notes x JOIN contacts c ON c.id = x.contact_id \
         JOIN customers r ON r.id = c.customer_id",
    ),
    (
        "ticket_messages",
        "x.id::text",
        "ticket_messages x JOIN tickets t ON t.id = x.ticket_id \
         JOIN customers r ON r.id = t.customer_id",
    ),
    (
        "invoice_lines",
        "x.id::text",
        "invoice_lines x JOIN invoices i ON i.id = x.invoice_id \
         JOIN customers r ON r.id = i.customer_id",
    ),
    (
        "payments",
        "x.id::text",
        "payments x JOIN invoices i ON i.id = x.invoice_id \
         JOIN customers r ON r.id = i.customer_id",
    ),
    (
        "task_comments",
        "x.id::text",
        "task_comments x JOIN tasks t ON t.id = x.task_id JOIN boards b ON b.id = t.board_id \
         JOIN projects r ON r.id = b.project_id",
    ),
    (
        "task_labels",
        "x.task_id || '/' || x.label_id",
        "task_labels x JOIN tasks t ON t.id = x.task_id JOIN boards b ON b.id = t.board_id \
         JOIN projects r ON r.id = b.project_id",
    ),
    (
        "attachments",
        "x.id::text",
        "attachments x JOIN tasks t ON t.id = x.task_id JOIN boards b ON b.id = t.board_id \
         JOIN projects r ON r.id = b.project_id",
    ),
    (
        "time_entries",
        "x.id::text",
        "time_entries x JOIN tasks t ON t.id = x.task_id JOIN boards b ON b.id = t.board_id \
         JOIN projects r ON r.id = b.project_id",
    ),
];

/// `key=account` for every row of `from`, in key order: compared as a whole, one string per table.
fn listing(key: &str, account: &str, from: &str) -> String {
    format!(
        "SELECT count(*), coalesce(string_agg({key} || '=' || coalesce({account}::text, 'NULL'), \
         ',' ORDER BY {key}), '') FROM {from}"
    )
}

async fn fetch_listing(conn: &mut PgConnection, sql: &str) -> (i64, String) {
    sqlx::query_as(sql)
        .fetch_one(conn)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{sql}"))
}

/// Rows per user table (schemac's own history table aside), by name.
async fn row_counts(db: &TestDb) -> Vec<(String, i64)> {
    let mut conn = db.connect().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' \
         AND tablename <> 'schemac_migrations' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .expect("list tables");
    let mut counts = Vec::new();
    for table in tables {
        let count = db
            .count(&format!(
                "SELECT count(*) FROM public.{}",
                schemac::sql::ident(&table)
            ))
            .await;
        counts.push((table, count));
    }
    counts
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_isolation_walkthrough_converges_with_every_row_in_its_account() {
    let dir = example();
    let db = TestDb::new().await;
    let url = db.url();
    let target = dir.join("schema").display().to_string();
    let expand = dir.join("expand").display().to_string();
    let before = std::fs::read_to_string(dir.join("before.sql")).expect("before.sql");
    db.execute(&before).await;

    let counts_before = row_counts(&db).await;
    assert!(
        counts_before.len() >= 25,
        "before.sql makes the tables: {counts_before:?}"
    );
    for (table, count) in &counts_before {
        assert!(*count > 0, "before.sql leaves `{table}` empty");
    }
    let mut conn = db.connect().await;
    let mut expected = Vec::new();
    for (table, key, from) in CHAINS {
        expected.push(fetch_listing(&mut conn, &listing(key, "r.account_id", from)).await);
        assert!(
            expected.last().is_some_and(|(n, _)| *n > 0),
            "{table} has rows"
        );
    }

    // Foreign keys between tenant tables (not to the root or a global table): each must become a
    // composite, same-account key.
    let tenant_keys = "SELECT count(*) FROM pg_constraint WHERE contype = 'f' \
         AND confrelid NOT IN ('accounts'::regclass, 'plans'::regclass)";
    let keys_before = db.count(tenant_keys).await;
    assert!(
        keys_before > 20,
        "before.sql has keys between tenant tables"
    );

    // The target straight away is refused: the platform templates have no account to backfill.
    let refused = schemac_async(args(&["plan", &target, "--database-url", &url]))
        .await
        .expect(1);
    assert!(
        refused.stderr.contains("schemac::plan::missing_backfill")
            && refused.stderr.contains("email_templates"),
        "the target must be refused for email_templates:\n{}",
        refused.stderr
    );

    // Expand: every tenant table but email_templates, and the new global table.
    let plan = schemac_async(args(&["plan", &expand, "--database-url", &url]))
        .await
        .expect(0);
    for (table, _, _) in CHAINS {
        assert!(
            plan.stdout
                .contains(&format!("backfill public.{table}.account_id")),
            "the expand plan backfills {table}:\n{}",
            plan.stdout
        );
    }
    schemac_async(args(&[
        "apply",
        &expand,
        "--database-url",
        &url,
        "--yes",
        "--allow-destructive",
    ]))
    .await
    .expect(0);

    // The data step, as the README runs it.
    let move_sql = std::fs::read_to_string(dir.join("move-templates.sql")).expect("move sql");
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("README.md");
    assert!(
        readme.contains(move_sql.trim()),
        "README.md shows move-templates.sql as it is"
    );
    db.execute(&move_sql).await;

    // Contract: the target, now with nothing destructive left to do.
    schemac_async(args(&["apply", &target, "--database-url", &url, "--yes"]))
        .await
        .expect(0);

    let again = schemac_async(args(&[
        "plan",
        &target,
        "--database-url",
        &url,
        "--format",
        "json",
    ]))
    .await
    .expect(0);
    let json: serde_json::Value = serde_json::from_str(&again.stdout).expect("plan JSON");
    assert_eq!(
        json["steps"],
        serde_json::json!([]),
        "a second plan must be empty"
    );
    schemac_async(args(&["drift", &target, "--database-url", &url]))
        .await
        .expect(0);

    // No NULL tenant values, and the column is NOT NULL everywhere.
    for table in TENANT_TABLES {
        let nulls = db
            .count(&format!(
                "SELECT count(*) FROM {table} WHERE account_id IS NULL"
            ))
            .await;
        assert_eq!(nulls, 0, "{table} has rows without account_id");
        let not_null = db
            .count(&format!(
                "SELECT count(*) FROM pg_attribute WHERE attrelid = '{table}'::regclass \
                 AND attname = 'account_id' AND attnotnull"
            ))
            .await;
        assert_eq!(not_null, 1, "{table}.account_id is NOT NULL");
    }

    // Each backfilled value is the account its row reached through the original keys before.
    for ((table, key, _), (count, rows)) in CHAINS.iter().zip(&expected) {
        let from = format!("{table} x");
        let (after_count, after) =
            fetch_listing(&mut conn, &listing(key, "x.account_id", &from)).await;
        assert_eq!(after_count, *count, "{table}: row count");
        assert!(
            after == *rows,
            "{table}: account_id differs from the account along its chain"
        );
    }
    // And still agrees with a join on the original foreign keys now (the composite keys prove it
    // too; this does not rely on them).
    for (table, _, from) in CHAINS {
        let mismatched = db
            .count(&format!(
                "SELECT count(*) FROM {from} WHERE x.account_id IS DISTINCT FROM r.account_id"
            ))
            .await;
        assert_eq!(
            mismatched, 0,
            "{table}: rows in another account than their chain's"
        );
    }

    // Rows: unchanged, except the ten platform templates, which moved to the global table.
    let counts_after = row_counts(&db).await;
    let count_of = |counts: &[(String, i64)], name: &str| {
        counts
            .iter()
            .find(|(t, _)| t == name)
            .map(|(_, n)| *n)
            .unwrap_or_else(|| panic!("no table {name}"))
    };
    let platform = db
        .count("SELECT count(*) FROM default_email_templates")
        .await;
    assert_eq!(platform, 10, "the platform templates moved");
    assert_eq!(
        count_of(&counts_after, "email_templates") + platform,
        count_of(&counts_before, "email_templates")
    );
    let unchanged = |counts: &[(String, i64)]| -> Vec<(String, i64)> {
        counts
            .iter()
            .filter(|(t, _)| t != "email_templates" && t != "default_email_templates")
            .cloned()
            .collect()
    };
    assert_eq!(unchanged(&counts_after), unchanged(&counts_before));

    let composite = db
        .count(&format!("{tenant_keys} AND array_length(conkey, 1) = 2"))
        .await;
    assert_eq!(
        composite, keys_before,
        "every key between tenant tables is (account_id, ...)"
    );
    assert_eq!(
        db.count(tenant_keys).await,
        keys_before,
        "no key is left single-column"
    );

    // Nothing of schemac's own is left but the fill triggers, which stay (LANGUAGE.md, "Fill
    // triggers"), and every constraint and index is valid.
    for (what, sql) in [
        (
            "fill functions without their trigger",
            "SELECT count(*) FROM pg_proc p WHERE proname LIKE 'schemac%' \
             AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgfoid = p.oid)",
        ),
        (
            "NOT VALID constraints",
            "SELECT count(*) FROM pg_constraint WHERE NOT convalidated",
        ),
        (
            "invalid indexes",
            "SELECT count(*) FROM pg_index WHERE NOT indisvalid",
        ),
    ] {
        assert_eq!(db.count(sql).await, 0, "left over: {what}");
    }
}
