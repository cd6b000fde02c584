//! `verify --audit`: for a database not managed by schemac, what endangers tenant isolation. A
//! tenant table is one that carries the tenant column (by name). Reads the catalog only.

use std::collections::BTreeSet;

use sqlx::{PgConnection, Row};

use super::{Report, VerifyError};

/// Tenant column names recognised without `--tenant-column`.
pub const DEFAULT_COLUMNS: [&str; 5] = [
    "tenant_id",
    "account_id",
    "org_id",
    "organization_id",
    "workspace_id",
];

const TABLES: &str = "
SELECT c.oid::regclass::text, a.attname::text, a.attnum, NOT a.attnotnull,
       c.relrowsecurity, c.relforcerowsecurity
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND a.attname = ANY($1)
ORDER BY 1";

const POLICIES: &str = "
SELECT polname::text, polpermissive, coalesce(pg_get_expr(polqual, polrelid), ''),
       coalesce(pg_get_expr(polwithcheck, polrelid), '')
FROM pg_policy WHERE polrelid = $1::regclass ORDER BY 1";

/// Foreign keys of the table to another tenant table: name, referenced table, whether the tenant
/// column is among both sides' columns.
const KEYS: &str = "
SELECT k.conname::text, k.confrelid::regclass::text,
       $2 = ANY(k.conkey) AND EXISTS (
         SELECT 1 FROM pg_attribute pa
         WHERE pa.attrelid = k.confrelid AND pa.attname = $3
           AND pa.attnum = k.confkey[array_position(k.conkey, $2)]),
       pg_get_constraintdef(k.oid)
FROM pg_constraint k
WHERE k.conrelid = $1::regclass AND k.contype = 'f'
ORDER BY 1";

const GRANTEES: &str = "
SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE r.rolname::text END,
       coalesce(r.rolsuper, false), coalesce(r.rolbypassrls, false)
FROM pg_class c, aclexplode(c.relacl) a
LEFT JOIN pg_roles r ON r.oid = a.grantee
WHERE c.oid = $1::regclass AND a.grantee <> c.relowner
ORDER BY 1";

pub async fn audit(conn: &mut PgConnection, columns: &[String]) -> Result<Report, VerifyError> {
    let mut report = Report::default();
    let tables = tenant_tables(conn, columns).await?;
    if tables.is_empty() {
        report.notes.push(format!(
            "no table has a tenant column (looked for {})",
            columns.join(", ")
        ));
    }
    let tenant_tables: BTreeSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let mut roles_seen: BTreeSet<String> = BTreeSet::new();
    for tenant in &tables {
        let TenantTable {
            name: table,
            column,
            nullable,
            enabled,
            forced,
            ..
        } = tenant;
        report.check(
            table,
            "tenant-column-not-null",
            !nullable,
            format!("{column} is nullable: a row without a tenant belongs to nobody and no policy shows it"),
        );
        report.check(
            table,
            "rls-enabled",
            *enabled,
            "row-level security is not enabled: every role granted on the table sees every tenant",
        );
        report.check(
            table,
            "rls-forced",
            *forced,
            "row-level security is not forced: the table's owner sees every tenant",
        );
        check_policies(conn, &mut report, tenant).await?;
        check_keys(conn, &mut report, tenant, &tenant_tables).await?;
        check_grantees(conn, &mut report, tenant, &mut roles_seen).await?;
    }
    Ok(report)
}

/// A table with a tenant column, as the catalog has it.
struct TenantTable {
    name: String,
    column: String,
    attnum: i16,
    nullable: bool,
    enabled: bool,
    forced: bool,
}

/// The tables that have one of `columns`.
async fn tenant_tables(
    conn: &mut PgConnection,
    columns: &[String],
) -> Result<Vec<TenantTable>, VerifyError> {
    let rows = sqlx::query(TABLES)
        .bind(columns)
        .fetch_all(&mut *conn)
        .await?;
    let mut tables = Vec::new();
    for row in rows {
        tables.push(TenantTable {
            name: row.try_get(0)?,
            column: row.try_get(1)?,
            attnum: row.try_get(2)?,
            nullable: row.try_get(3)?,
            enabled: row.try_get(4)?,
            forced: row.try_get(5)?,
        });
    }
    Ok(tables)
}

/// A policy compares the tenant column to a setting, and no permissive one opens the table.
async fn check_policies(
    conn: &mut PgConnection,
    report: &mut Report,
    tenant: &TenantTable,
) -> Result<(), VerifyError> {
    let (table, column) = (&tenant.name, &tenant.column);
    let policies = sqlx::query(POLICIES)
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
    let mut comparing = false;
    for policy in &policies {
        let name: String = policy.try_get(0)?;
        let permissive: bool = policy.try_get(1)?;
        let using: String = policy.try_get(2)?;
        let check: String = policy.try_get(3)?;
        let compares = |e: &str| e.contains(column.as_str()) && e.contains("current_setting");
        if compares(&using) {
            comparing = true;
        } else if permissive {
            report.check(
                table,
                "policy-compares-tenant",
                false,
                format!(
                    "permissive policy {name} USING ({using}) does not compare {column} to a setting: OR-ed with the others, it opens the table"
                ),
            );
        }
        if permissive && !check.is_empty() && !compares(&check) && compares(&using) {
            report.check(
                table,
                "policy-compares-tenant",
                false,
                format!(
                    "policy {name} WITH CHECK ({check}) does not compare {column} to a setting"
                ),
            );
        }
    }
    report.check(
        table,
        "isolation-policy",
        comparing,
        format!("no policy compares {column} to a setting (current_setting)"),
    );
    Ok(())
}

/// Each foreign key to another tenant table is same-tenant.
async fn check_keys(
    conn: &mut PgConnection,
    report: &mut Report,
    tenant: &TenantTable,
    tenant_tables: &BTreeSet<&str>,
) -> Result<(), VerifyError> {
    let (table, column, attnum) = (&tenant.name, &tenant.column, &tenant.attnum);
    let keys = sqlx::query(KEYS)
        .bind(table)
        .bind(*attnum)
        .bind(column)
        .fetch_all(&mut *conn)
        .await?;
    for key in &keys {
        let name: String = key.try_get(0)?;
        let parent: String = key.try_get(1)?;
        let same_tenant: bool = key.try_get::<Option<bool>, _>(2)?.unwrap_or(false);
        let definition: String = key.try_get(3)?;
        if !tenant_tables.contains(parent.as_str()) {
            continue;
        }
        report.check(
            table,
            "same-tenant-key",
            same_tenant,
            format!(
                "foreign key {name} to tenant table {parent} is not same-tenant ({definition}): RLS does not stop a row pointing at another tenant's row"
            ),
        );
    }
    Ok(())
}

/// The roles granted on the table ignore no policy (each role checked once), and PUBLIC has no
/// privilege.
async fn check_grantees(
    conn: &mut PgConnection,
    report: &mut Report,
    tenant: &TenantTable,
    roles_seen: &mut BTreeSet<String>,
) -> Result<(), VerifyError> {
    let table = &tenant.name;
    let grantees = sqlx::query(GRANTEES)
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
    let mut public = false;
    for grantee in &grantees {
        let name: String = grantee.try_get(0)?;
        let superuser: bool = grantee.try_get(1)?;
        let bypass: bool = grantee.try_get(2)?;
        if name == "PUBLIC" {
            public = true;
            continue;
        }
        if roles_seen.insert(name.clone()) {
            report
                .check(
                    &format!("role {name}"),
                    "app-role",
                    !superuser && !bypass,
                    format!("superuser: {superuser}, BYPASSRLS: {bypass} (either one ignores every policy)"),
                )
                .role(&name);
        }
    }
    report.check(
        table,
        "public-grant",
        !public,
        "privileges are granted to PUBLIC: every role, including ones made later, has them",
    );
    Ok(())
}
