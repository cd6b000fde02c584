//! Proofs that are not about one tenant table's policies: the roles the schema grants (neither
//! superusers nor `BYPASSRLS`, which no policy binds), grants to `PUBLIC` on tenant tables, and
//! global tables (no RLS, readable under any tenant by every role granted SELECT).

use std::collections::BTreeSet;

use sqlx::{PgConnection, Row};

use crate::catalog::{Catalog, Privilege, Table, TableKind, Tenancy};
use crate::sql::{ident, literal, qualified};

use super::db::{count, exec, shown};
use super::{setting, Report, VerifyError};

/// The application roles (granted something, other than the bypass role) are bound by policies;
/// no tenant table grants anything to `PUBLIC` that the schema does not.
pub async fn roles(
    conn: &mut PgConnection,
    catalog: &Catalog,
    tenancy: &Tenancy,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let roles: BTreeSet<&String> = catalog
        .tables
        .iter()
        .filter(|t| t.kind == TableKind::Tenant)
        .flat_map(|t| t.grants.iter().map(|g| &g.role))
        .filter(|r| Some(*r) != tenancy.bypass.as_ref() && r.as_str() != "public")
        .collect();
    for role in roles {
        let row = sqlx::query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1")
            .bind(role)
            .fetch_optional(&mut *conn)
            .await?;
        let (superuser, bypass): (bool, bool) = match row {
            Some(row) => (row.try_get(0)?, row.try_get(1)?),
            None => {
                report.check(
                    &format!("role {role}"),
                    "app-role",
                    false,
                    "the role does not exist",
                );
                continue;
            }
        };
        report
            .check(
                &format!("role {role}"),
                "app-role",
                !superuser && !bypass,
                format!(
                    "superuser: {superuser}, BYPASSRLS: {bypass} (either one ignores every policy)"
                ),
            )
            .role(role);
    }
    for table in catalog
        .tables
        .iter()
        .filter(|t| t.kind == TableKind::Tenant)
    {
        let declared: BTreeSet<String> = table
            .grants
            .iter()
            .filter(|g| g.role == "public")
            .map(|g| g.privilege.sql().to_string())
            .collect();
        let sql = format!(
            "SELECT a.privilege_type::text FROM pg_class c, aclexplode(c.relacl) a \
             WHERE c.oid = {}::regclass AND a.grantee = 0 ORDER BY 1",
            literal(&qualified(&table.name))
        );
        let granted: Vec<String> = sqlx::query_scalar(&sql).fetch_all(&mut *conn).await?;
        let extra: Vec<&String> = granted.iter().filter(|p| !declared.contains(*p)).collect();
        report
            .check(
                &table.name.to_string(),
                "public-grant",
                extra.is_empty(),
                format!("granted to PUBLIC beyond the schema: {extra:?}"),
            )
            .query(&sql);
    }
    Ok(())
}

/// A global table: no RLS, and every role granted SELECT reads every row under any tenant.
pub async fn global_table(
    conn: &mut PgConnection,
    tenancy: &Tenancy,
    table: &Table,
    keys: &[String; 2],
    report: &mut Report,
) -> Result<(), VerifyError> {
    let t = qualified(&table.name);
    let name = table.name.to_string();
    let enabled: bool = sqlx::query_scalar(&format!(
        "SELECT relrowsecurity FROM pg_class WHERE oid = {}::regclass",
        literal(&t)
    ))
    .fetch_one(&mut *conn)
    .await?;
    report.check(
        &name,
        "global-no-rls",
        !enabled,
        format!("a global table has RLS enabled: {enabled}"),
    );
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {t}"))
        .fetch_one(&mut *conn)
        .await?;
    let readers: BTreeSet<&String> = table
        .grants
        .iter()
        .filter(|g| g.privilege == Privilege::Select && g.role != "public")
        .map(|g| &g.role)
        .collect();
    for role in readers {
        for (tenant, key) in ["A", "B"].iter().zip(keys) {
            exec(conn, "SAVEPOINT proof").await?;
            exec(conn, &format!("SET LOCAL ROLE {}", ident(role))).await?;
            exec(
                conn,
                &format!(
                    "SELECT set_config({}, {}, true)",
                    literal(&setting(tenancy)),
                    literal(key)
                ),
            )
            .await?;
            let seen = count(conn, &format!("SELECT count(*) FROM {t}")).await?;
            exec(conn, "ROLLBACK TO SAVEPOINT proof").await?;
            exec(conn, "RELEASE SAVEPOINT proof").await?;
            report
                .check(
                    &name,
                    "global-read",
                    matches!(seen, Ok(n) if n == total),
                    format!(
                        "with {tenant}'s setting sees {} of {total} rows",
                        shown(&seen)
                    ),
                )
                .role(role);
        }
    }
    Ok(())
}
