//! `schemac verify`: proves tenant isolation on a live database, for every tenant table and every
//! role the schema grants on it (what `tests/isolation.rs` proves for the repository's schemas,
//! which uses this module).
//!
//! Everything runs in one transaction that is rolled back. Tenants A and B are the database's
//! first two tenants where it has two (their rows are used, rows are generated only where they
//! have none), else two synthetic ones; every read proof also covers all other tenants' rows. A
//! role is created to own each table for the owner proofs, and every proof runs in a savepoint
//! that is rolled back. The database is left as it was found.
//!
//! Proof families, one file each: `tenant.rs` (a tenant table: RLS, policies, reads, writes, the
//! bypass role, the owner, same-tenant keys), `global.rs` (global tables, the roles the schema
//! grants, grants to PUBLIC), `audit.rs` (a database without a schema), `report.rs` (output
//! formats), `pgtap.rs` (the proofs as pgTAP files).

pub mod audit;
pub mod data;
pub mod db;
pub mod global;
pub mod pgtap;
pub mod report;
pub mod tenant;

use sqlx::PgConnection;

use crate::catalog::{Catalog, TableKind, Tenancy};
use crate::sql::{ident, literal};

use data::{Data, Generator};
use db::exec;

/// One proof about one table (or role), held or not.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    /// The table (`public.projects`), or `role <name>` for role proofs.
    pub table: String,
    /// The proof's stable kebab-case name (`rls-forced`, `read`, `same-tenant-key`, ...).
    pub proof: String,
    /// Who the proof ran as, where a role matters (`app_user`, `owner`, ...).
    pub role: Option<String>,
    /// Which connection state: `fresh` (the setting never set) or `pooled` (set by an earlier
    /// transaction, so it reads `''`), where that matters.
    pub session: Option<String>,
    pub ok: bool,
    /// What was found (on failure: what was wrong).
    pub detail: String,
    /// The query that showed it, on failure.
    pub query: Option<String>,
    /// Rows that show the failure (as JSON text), when there are any.
    pub rows: Vec<String>,
}

/// Every proof's outcome, in the order they ran, and notes about what could not be proven.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }

    /// Records a proof and returns it, to add the role, session or query.
    pub fn check(
        &mut self,
        table: &str,
        proof: &str,
        ok: bool,
        detail: impl Into<String>,
    ) -> &mut Check {
        self.checks.push(Check {
            table: table.to_string(),
            proof: proof.to_string(),
            role: None,
            session: None,
            ok,
            detail: detail.into(),
            query: None,
            rows: Vec::new(),
        });
        // Just pushed: the vector is not empty.
        let last = self.checks.len() - 1;
        &mut self.checks[last]
    }
}

impl Check {
    pub fn role(&mut self, role: &str) -> &mut Check {
        self.role = Some(role.to_string());
        self
    }

    pub fn session(&mut self, session: Option<&str>) -> &mut Check {
        self.session = session.map(str::to_string);
        self
    }

    pub fn query(&mut self, query: &str) -> &mut Check {
        if !self.ok {
            self.query = Some(query.to_string());
        }
        self
    }
}

/// Why the proofs could not run (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the schema has no tenancy with `rls on`: there is no tenant isolation to prove")]
    NoTenancy,
    #[error("{0}")]
    Setup(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// The session setting the isolation policy reads.
pub fn setting(tenancy: &Tenancy) -> String {
    tenancy
        .setting
        .clone()
        .unwrap_or_else(|| format!("app.current_{}", tenancy.column))
}

/// Proves isolation on the database `conn` is connected to (as a superuser), for the schema's
/// `catalog`. Runs inside one transaction that is rolled back, whatever happens.
pub async fn verify(conn: &mut PgConnection, catalog: &Catalog) -> Result<Report, VerifyError> {
    let tenancy = catalog
        .tenancy
        .clone()
        .filter(|t| t.rls)
        .ok_or(VerifyError::NoTenancy)?;
    let superuser: bool =
        sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or(false);
    if !superuser {
        return Err(VerifyError::Setup(
            "verify needs a superuser connection: it switches to every role the schema grants \
             (SET ROLE) and creates a role to own each table, all inside a rolled-back transaction"
                .into(),
        ));
    }
    exec(conn, "SET row_security = on").await?;
    exec(conn, "BEGIN").await?;
    let result = prove(conn, catalog, &tenancy).await;
    // Whatever happened, nothing is kept.
    let rolled_back = exec(conn, "ROLLBACK").await;
    let report = result?;
    rolled_back?;
    Ok(report)
}

/// The keys of tenants A and B, and a note of where they come from.
fn tenants(
    data: &Data,
    catalog: &Catalog,
    tenancy: &Tenancy,
    report: &mut Report,
) -> Result<[String; 2], VerifyError> {
    let keys = match (
        data.tenant_key(tenancy, catalog, 0),
        data.tenant_key(tenancy, catalog, 1),
    ) {
        (Some(a), Some(b)) => [a, b],
        _ => {
            return Err(VerifyError::Setup(
                "no row for the synthetic tenants".into(),
            ))
        }
    };
    report.notes.push(if data.real {
        format!(
            "tenants A and B are the database's first two tenants ({} and {}); rows generated only where they have none",
            keys[0], keys[1]
        )
    } else {
        "tenants A and B are synthetic (the database has fewer than two tenants)".to_string()
    });
    Ok(keys)
}

/// The fresh-session proofs run first, before anything sets the setting on this connection; a
/// connection that already had it set is noted.
async fn note_a_used_session(
    conn: &mut PgConnection,
    tenancy: &Tenancy,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let state: Option<String> = sqlx::query_scalar(&format!(
        "SELECT current_setting({}, true)",
        literal(&setting(tenancy))
    ))
    .fetch_one(&mut *conn)
    .await?;
    if state.is_some() {
        report.notes.push(format!(
            "the setting {} was already set on the connection: the fresh-session proofs ran on a pooled session",
            setting(tenancy)
        ));
    }
    Ok(())
}

/// A transaction that set the setting has ended: from now on it reads as `''`, as on a pooled
/// connection (noted if it does not).
async fn end_a_transaction_that_set_it(
    conn: &mut PgConnection,
    tenancy: &Tenancy,
    key: &str,
    report: &mut Report,
) -> Result<(), VerifyError> {
    exec(conn, "SAVEPOINT pooled").await?;
    exec(
        conn,
        &format!(
            "SELECT set_config({}, {}, true)",
            literal(&setting(tenancy)),
            literal(key)
        ),
    )
    .await?;
    exec(conn, "ROLLBACK TO SAVEPOINT pooled").await?;
    exec(conn, "RELEASE SAVEPOINT pooled").await?;
    let pooled: Option<String> = sqlx::query_scalar(&format!(
        "SELECT current_setting({}, true)",
        literal(&setting(tenancy))
    ))
    .fetch_one(&mut *conn)
    .await?;
    if pooled.as_deref() != Some("") {
        report.notes.push(format!(
            "after a transaction that set {}, it reads {pooled:?}, not '' as on a pooled connection",
            setting(tenancy)
        ));
    }
    Ok(())
}

/// Every proof, in one transaction the caller rolls back: tenants chosen (rows generated where
/// needed), a role to own each table, the application roles, each tenant table on a fresh and a
/// pooled session, then the global tables.
async fn prove(
    conn: &mut PgConnection,
    catalog: &Catalog,
    tenancy: &Tenancy,
) -> Result<Report, VerifyError> {
    let mut report = Report::default();
    let mut generator = Generator::new(catalog, tenancy);
    let data: Data = generator.fill(conn).await.map_err(VerifyError::Setup)?;
    let keys = tenants(&data, catalog, tenancy, &mut report)?;
    let suffix: String = (0..8)
        .map(|_| char::from_digit(fastrand::u32(..36), 36).unwrap_or('x'))
        .collect();
    let owner = format!("schemac_verify_owner_{suffix}");
    exec(conn, &format!("CREATE ROLE {} NOLOGIN", ident(&owner))).await?;

    global::roles(conn, catalog, tenancy, &mut report).await?;
    let tenant_tables: Vec<_> = catalog
        .tables
        .iter()
        .filter(|t| t.kind == TableKind::Tenant)
        .collect();
    // The fresh session first: nothing has set the setting on this connection yet.
    note_a_used_session(conn, tenancy, &mut report).await?;
    let mut probes: Vec<tenant::Probe> = tenant_tables
        .iter()
        .map(|table| tenant::Probe {
            catalog,
            tenancy,
            table,
            data: &data,
            keys: keys.clone(),
            owner: owner.clone(),
        })
        .collect();
    for probe in &probes {
        probe
            .unset(conn, &mut generator, &mut report, "fresh")
            .await?;
    }
    end_a_transaction_that_set_it(conn, tenancy, &keys[0], &mut report).await?;
    for probe in &mut probes {
        probe
            .unset(conn, &mut generator, &mut report, "pooled")
            .await?;
        probe.run(conn, &mut generator, &mut report).await?;
    }
    for table in catalog
        .tables
        .iter()
        .filter(|t| t.kind == TableKind::Global)
    {
        global::global_table(conn, tenancy, table, &keys, &mut report).await?;
    }
    Ok(report)
}
