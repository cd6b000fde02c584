//! The proofs about one tenant table, as every role the schema grants on it, the bypass role and
//! the table's owner. Each proof runs in a savepoint that is rolled back.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{PgConnection, Row};

use crate::catalog::{
    Catalog, ForeignKey, Policy, PolicyCommand, Privilege, Table, TableKind, Tenancy,
};
use crate::sql::{ident, literal, qualified};

use super::data::{text_of, typed, Data, Generator};
use super::db::{attempt, count, exec, shown, DbError};
use super::{setting, Report, VerifyError};

type Res = Result<(), VerifyError>;

/// One tenant table under proof.
pub struct Probe<'c> {
    pub catalog: &'c Catalog,
    pub tenancy: &'c Tenancy,
    pub table: &'c Table,
    pub data: &'c Data,
    /// The tenant keys of A and B, as text.
    pub keys: [String; 2],
    /// A role made (inside the rolled-back transaction) to own the table in the owner proofs.
    pub owner: String,
}

impl<'c> Probe<'c> {
    fn name(&self) -> String {
        self.table.name.to_string()
    }

    /// `account_id = '<B>'::uuid`.
    fn of_tenant(&self, tenant: usize) -> String {
        format!(
            "{} = {}",
            ident(&self.tenancy.column),
            typed(&self.keys[tenant], &self.tenancy.key_type)
        )
    }

    fn privileges(&self, role: &str) -> BTreeSet<Privilege> {
        self.table
            .grants
            .iter()
            .filter(|g| g.role == role)
            .map(|g| g.privilege)
            .collect()
    }

    /// Roles the schema grants something on this table, other than the bypass role.
    fn app_roles(&self) -> Vec<String> {
        let roles: BTreeSet<String> = self
            .table
            .grants
            .iter()
            .map(|g| g.role.clone())
            .filter(|r| Some(r) != self.tenancy.bypass.as_ref() && r != "public")
            .collect();
        roles.into_iter().collect()
    }

    /// The USING of the explicit policies that also let `role` see rows for `command`, OR-ed;
    /// `false` when there are none. Rows they admit are visible across tenants by design.
    fn extra_visibility(&self, role: &str, command: PolicyCommand) -> String {
        let exprs: Vec<String> = self
            .extra_policies(role, command)
            .iter()
            .filter_map(|p| p.using.clone())
            .map(|e| format!("coalesce(({e}), false)"))
            .collect();
        if exprs.is_empty() {
            "false".into()
        } else {
            format!("({})", exprs.join(" or "))
        }
    }

    fn extra_policies(&self, role: &str, command: PolicyCommand) -> Vec<&'c Policy> {
        let bypass = self.tenancy.bypass.as_ref().map(|b| format!("{b}_bypass"));
        let table: &'c Table = self.table;
        table
            .policies
            .iter()
            .filter(|p| p.name != "tenant_isolation" && Some(&p.name) != bypass.as_ref())
            .filter(|p| p.command == command || p.command == PolicyCommand::All)
            .filter(|p| p.roles.is_empty() || p.roles.iter().any(|r| r == role || r == "public"))
            .collect()
    }

    /// The owner prelude: the table is given to the proof's owner role.
    fn owner_prelude(&self) -> Vec<String> {
        vec![format!(
            "ALTER TABLE {} OWNER TO {}",
            qualified(&self.table.name),
            ident(&self.owner)
        )]
    }

    /// `SAVEPOINT`, the superuser statements in `prelude`, then `SET LOCAL ROLE` and the setting.
    async fn begin(
        &self,
        conn: &mut PgConnection,
        prelude: &[String],
        role: &str,
        tenant: Option<usize>,
    ) -> Res {
        exec(conn, "SAVEPOINT proof").await?;
        for statement in prelude {
            exec(conn, statement).await?;
        }
        exec(conn, &format!("SET LOCAL ROLE {}", ident(role))).await?;
        if let Some(tenant) = tenant {
            let sql = format!(
                "SELECT set_config({}, {}, true)",
                literal(&setting(self.tenancy)),
                literal(&self.keys[tenant])
            );
            exec(conn, &sql).await?;
        }
        Ok(())
    }

    async fn rollback(&self, conn: &mut PgConnection) -> Res {
        exec(conn, "ROLLBACK TO SAVEPOINT proof").await?;
        exec(conn, "RELEASE SAVEPOINT proof").await?;
        Ok(())
    }

    /// Rows of `sql` (a query of the table) as JSON text, at most five, for a failure message.
    async fn sample(&self, conn: &mut PgConnection, condition: &str) -> Vec<String> {
        let sql = format!(
            "SELECT row_to_json(r.*)::text FROM {} AS r WHERE {condition} LIMIT 5",
            qualified(&self.table.name)
        );
        sqlx::query_scalar::<_, String>(&sql)
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default()
    }

    async fn rows_of(&self, conn: &mut PgConnection, condition: &str) -> Result<i64, VerifyError> {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE {condition}",
            qualified(&self.table.name)
        );
        Ok(sqlx::query_scalar(&sql).fetch_one(&mut *conn).await?)
    }

    /// Without a setting (`session` says whether the connection never set it, `fresh`, or an
    /// earlier transaction did, `pooled`): every role granted on the table and the owner see no
    /// row, and an insert that leaves the tenant column to its default is refused.
    pub async fn unset(
        &self,
        conn: &mut PgConnection,
        generator: &mut Generator<'c>,
        report: &mut Report,
        session: &str,
    ) -> Res {
        let table = self.name();
        let t = qualified(&self.table.name);
        let mut roles: Vec<(String, Vec<String>, String)> = self
            .app_roles()
            .into_iter()
            .map(|r| (r.clone(), Vec::new(), r))
            .collect();
        roles.push((self.owner.clone(), self.owner_prelude(), "owner".into()));
        let has_fill = self.has_fill_trigger(conn).await?;
        for (role, prelude, label) in roles {
            let owner = label == "owner";
            let privileges = if owner {
                Privilege::ALL.into_iter().collect()
            } else {
                self.privileges(&role)
            };
            if privileges.contains(&Privilege::Select) {
                let extra = self.extra_visibility(&role, PolicyCommand::Select);
                let sql = format!("SELECT count(*) FROM {t} WHERE NOT {extra}");
                self.begin(conn, &prelude, &role, None).await?;
                let seen = count(conn, &sql).await?;
                self.rollback(conn).await?;
                report
                    .check(
                        &table,
                        "no-setting-read",
                        matches!(seen, Ok(0)),
                        format!("without a setting sees {} rows", shown(&seen)),
                    )
                    .role(&label)
                    .session(Some(session))
                    .query(&sql);
            }
            if privileges.contains(&Privilege::Insert)
                && self.extra_policies(&role, PolicyCommand::Insert).is_empty()
            {
                let mut given = BTreeMap::new();
                given.insert(self.tenancy.column.clone(), "DEFAULT".to_string());
                self.begin(conn, &prelude, &role, None).await?;
                let inserted = generator
                    .insert_with(conn, self.table, Some(0), self.data, owner, &given)
                    .await;
                self.rollback(conn).await?;
                // A fill trigger (`schemac_<table>_<column>_fill`) may give the owner's row its
                // parent's tenant; the row is then A's, whose parent it points at.
                let ok = match &inserted {
                    Err(_) => true,
                    Ok(Some(row)) => {
                        owner
                            && has_fill
                            && row.values.get(&self.tenancy.column).map(text_of).as_deref()
                                == Some(self.keys[0].as_str())
                    }
                    Ok(None) => false,
                };
                let detail = match &inserted {
                    Err(e) => format!("refused: {}", DbError::from(e)),
                    Ok(Some(row)) => format!(
                        "accepted, tenant {:?}",
                        row.values.get(&self.tenancy.column).map(text_of)
                    ),
                    Ok(None) => "accepted a row without a tenant".to_string(),
                };
                report
                    .check(&table, "no-setting-insert", ok, detail)
                    .role(&label)
                    .session(Some(session));
            }
        }
        Ok(())
    }

    async fn has_fill_trigger(&self, conn: &mut PgConnection) -> Result<bool, VerifyError> {
        let sql = format!(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = {}::regclass AND NOT tgisinternal \
             AND tgname LIKE 'schemac\\_%\\_fill'",
            literal(&qualified(&self.table.name))
        );
        let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut *conn).await?;
        Ok(n > 0)
    }

    /// Every proof of the table but the ones without a setting.
    pub async fn run(
        &self,
        conn: &mut PgConnection,
        generator: &mut Generator<'c>,
        report: &mut Report,
    ) -> Res {
        self.shape(conn, report).await?;
        for role in self.app_roles() {
            self.as_role(conn, generator, report, &role, &[], &role)
                .await?;
        }
        if let Some(bypass) = self.tenancy.bypass.clone() {
            self.bypass(conn, generator, report, &bypass).await?;
        }
        let owner = self.owner.clone();
        let prelude = self.owner_prelude();
        self.as_role(conn, generator, report, &owner, &prelude, "owner")
            .await?;
        self.owner_without_force(conn, report, &owner, &prelude)
            .await?;
        self.same_tenant_keys(conn, generator, report).await?;
        Ok(())
    }

    /// RLS on and forced, and the two generated policies as LANGUAGE.md describes them.
    async fn shape(&self, conn: &mut PgConnection, report: &mut Report) -> Res {
        let table = self.name();
        let name = literal(&qualified(&self.table.name));
        let row = sqlx::query(&format!(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = {name}::regclass"
        ))
        .fetch_one(&mut *conn)
        .await?;
        let (enabled, forced): (bool, bool) = (row.try_get(0)?, row.try_get(1)?);
        report.check(
            &table,
            "rls-enabled",
            enabled,
            format!("row-level security enabled: {enabled}"),
        );
        report.check(
            &table,
            "rls-forced",
            forced,
            format!("row-level security forced (binds the owner): {forced}"),
        );
        let expected = format!(
            "({} = (NULLIF(current_setting({}::text, true), ''::text))::{})",
            self.tenancy.column,
            literal(&setting(self.tenancy)),
            self.tenancy.key_type.sql()
        );
        let policies = sqlx::query(&format!(
            "SELECT polname::text, polcmd::text, polpermissive, \
               array(SELECT rolname::text FROM pg_roles WHERE oid = any(polroles) ORDER BY 1), \
               polroles = '{{0}}', pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) \
             FROM pg_policy WHERE polrelid = {name}::regclass"
        ))
        .fetch_all(&mut *conn)
        .await?;
        type Shape = (
            String,
            bool,
            Vec<String>,
            bool,
            Option<String>,
            Option<String>,
        );
        let find = |wanted: &str| -> Option<Shape> {
            policies
                .iter()
                .find(|r| r.try_get::<String, _>(0).ok().as_deref() == Some(wanted))
                .and_then(|r| {
                    Some((
                        r.try_get(1).ok()?,
                        r.try_get(2).ok()?,
                        r.try_get(3).ok()?,
                        r.try_get(4).ok()?,
                        r.try_get(5).ok()?,
                        r.try_get(6).ok()?,
                    ))
                })
        };
        let isolation = find("tenant_isolation");
        report.check(
            &table,
            "isolation-policy",
            matches!(&isolation, Some((cmd, true, _, true, Some(u), Some(c)))
                if cmd == "*" && u == &expected && c == &expected),
            format!("tenant_isolation should be FOR ALL TO PUBLIC USING and WITH CHECK {expected}, is {isolation:?}"),
        );
        if let Some(bypass) = &self.tenancy.bypass {
            let policy = find(&format!("{bypass}_bypass"));
            report.check(
                &table,
                "bypass-policy",
                matches!(&policy, Some((cmd, true, roles, false, Some(u), Some(c)))
                    if cmd == "*" && roles.as_slice() == std::slice::from_ref(bypass) && u == "true" && c == "true"),
                format!("{bypass}_bypass should be FOR ALL TO {bypass} USING (true) WITH CHECK (true), is {policy:?}"),
            );
        }
        // Permissive policies are OR-ed: one that is not the schema's opens the table.
        let known: BTreeSet<&str> = self
            .table
            .policies
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        for row in &policies {
            let name: String = row.try_get(0)?;
            let permissive: bool = row.try_get(2)?;
            if permissive && !known.contains(name.as_str()) && name != "tenant_isolation" {
                let using: Option<String> = row.try_get(5)?;
                report.check(
                    &table,
                    "unknown-policy",
                    false,
                    format!("permissive policy {name} USING {using:?} is not in the schema; it is OR-ed with tenant_isolation"),
                );
            }
        }
        Ok(())
    }

    /// The tenant proofs as `role`: reads, writes, an empty setting. `prelude` runs first in
    /// every savepoint (as the superuser); `label` names the role in the report.
    async fn as_role(
        &self,
        conn: &mut PgConnection,
        generator: &mut Generator<'c>,
        report: &mut Report,
        role: &str,
        prelude: &[String],
        label: &str,
    ) -> Res {
        let owner = label == "owner";
        let privileges = if owner {
            Privilege::ALL.into_iter().collect()
        } else {
            self.privileges(role)
        };
        let who = Who {
            role,
            prelude,
            label,
        };
        let a = self.of_tenant(0);
        let a_rows = self.rows_of(conn, &a).await?;
        if privileges.contains(&Privilege::Select) {
            self.reads_as(conn, report, &who, a_rows).await?;
        }
        if privileges.contains(&Privilege::Insert) {
            self.inserts_as(conn, generator, report, &who).await?;
        }
        if privileges.contains(&Privilege::Update) && privileges.contains(&Privilege::Select) {
            self.updates_as(conn, report, &who, a_rows).await?;
        }
        if privileges.contains(&Privilege::Delete) && privileges.contains(&Privilege::Select) {
            self.deletes_as(conn, report, &who).await?;
        }
        Ok(())
    }

    /// Tenant A reads its own rows, and of other tenants only those an explicit policy shows; an
    /// empty setting fails closed.
    async fn reads_as(
        &self,
        conn: &mut PgConnection,
        report: &mut Report,
        who: &Who<'_>,
        a_rows: i64,
    ) -> Res {
        let Who {
            role,
            prelude,
            label,
        } = *who;
        let table = self.name();
        let t = qualified(&self.table.name);
        let (a, b) = (self.of_tenant(0), self.of_tenant(1));
        let b_rows = self.rows_of(conn, &b).await?;
        let extra = self.extra_visibility(role, PolicyCommand::Select);
        let not_a = format!(
            "{} IS DISTINCT FROM {} AND NOT {extra}",
            ident(&self.tenancy.column),
            typed(&self.keys[0], &self.tenancy.key_type)
        );
        // Tenant A sees its own rows, and of other tenants only those an explicit policy shows.
        self.begin(conn, prelude, role, Some(0)).await?;
        let own = count(conn, &format!("SELECT count(*) FROM {t} WHERE {a}")).await?;
        let others_sql = format!("SELECT count(*) FROM {t} WHERE {not_a}");
        let others = count(conn, &others_sql).await?;
        let leaked = if matches!(others, Ok(0)) {
            Vec::new()
        } else {
            self.sample(conn, &not_a).await
        };
        self.rollback(conn).await?;
        report
            .check(
                &table,
                "read-own",
                matches!(own, Ok(n) if n == a_rows),
                format!("with A's setting sees {} of A's {a_rows} rows", shown(&own)),
            )
            .role(label);
        let check = report.check(
            &table,
            "read-others",
            matches!(others, Ok(0)),
            format!(
                "with A's setting sees {} rows of other tenants (B has {b_rows})",
                shown(&others)
            ),
        );
        check.role(label).query(&others_sql);
        check.rows = leaked;

        // An empty setting fails closed: an error or no row, never another tenant's rows.
        self.begin(conn, prelude, role, None).await?;
        exec(
            conn,
            &format!(
                "SELECT set_config({}, '', true)",
                literal(&setting(self.tenancy))
            ),
        )
        .await?;
        let sql = format!("SELECT count(*) FROM {t} WHERE NOT {extra}");
        let empty = count(conn, &sql).await?;
        self.rollback(conn).await?;
        report
            .check(
                &table,
                "empty-setting-read",
                matches!(empty, Ok(0) | Err(_)),
                format!("with an empty setting sees {} rows", shown(&empty)),
            )
            .role(label)
            .query(&sql);
        Ok(())
    }

    /// A's row goes in, B's is refused, and a row without the tenant column lands in A.
    async fn inserts_as(
        &self,
        conn: &mut PgConnection,
        generator: &mut Generator<'c>,
        report: &mut Report,
        who: &Who<'_>,
    ) -> Res {
        let Who {
            role,
            prelude,
            label,
        } = *who;
        let table = self.name();
        let t = qualified(&self.table.name);
        let a = self.of_tenant(0);
        if self.extra_policies(role, PolicyCommand::Insert).is_empty() {
            // The control: A's row goes in; then B's row, the same way, is refused. The
            // table is emptied first so that no key of the existing rows gets in the way.
            let mut emptied = prelude.to_vec();
            emptied.push(format!("TRUNCATE {t} CASCADE"));
            self.begin(conn, &emptied, role, Some(0)).await?;
            let own = generator
                .insert(conn, self.table, Some(0), self.data, false)
                .await
                .map_err(|e| DbError::from(&e));
            let foreign = generator
                .insert(conn, self.table, Some(1), self.data, false)
                .await
                .map_err(|e| DbError::from(&e));
            self.rollback(conn).await?;
            // A row that leaves the tenant column to its default lands in A.
            let mut given = BTreeMap::new();
            given.insert(self.tenancy.column.clone(), "DEFAULT".to_string());
            self.begin(conn, &emptied, role, Some(0)).await?;
            let defaulted = generator
                .insert_with(conn, self.table, Some(0), self.data, false, &given)
                .await
                .map_err(|e| DbError::from(&e));
            exec(conn, "RESET ROLE").await?;
            let landed = self.rows_of(conn, &a).await?;
            self.rollback(conn).await?;
            report
                .check(
                    &table,
                    "insert-own",
                    own.is_ok(),
                    format!("with A's setting inserting A's row: {own:?}"),
                )
                .role(label);
            report
                .check(
                    &table,
                    "insert-other",
                    matches!(&foreign, Err(e) if e.is_policy_violation()),
                    format!("with A's setting inserting B's row gives {foreign:?}, not a policy violation"),
                )
                .role(label);
            report
                .check(
                    &table,
                    "insert-default-tenant",
                    defaulted.is_ok() && landed == 1,
                    format!(
                        "with A's setting a row without the tenant column: {defaulted:?}, A's rows afterwards {landed}, not 1"
                    ),
                )
                .role(label);
        } else {
            report.notes.push(format!(
                "{table} as {label}: an explicit INSERT policy applies; insert isolation not checked"
            ));
        }
        Ok(())
    }

    /// A's rows update, other tenants' rows are not touched, and a row cannot move to B.
    async fn updates_as(
        &self,
        conn: &mut PgConnection,
        report: &mut Report,
        who: &Who<'_>,
        a_rows: i64,
    ) -> Res {
        let Who {
            role,
            prelude,
            label,
        } = *who;
        let table = self.name();
        let t = qualified(&self.table.name);
        let a = self.of_tenant(0);
        if self.extra_policies(role, PolicyCommand::Update).is_empty() {
            let column = ident(&self.tenancy.column);
            self.begin(conn, prelude, role, Some(0)).await?;
            let own = attempt(
                conn,
                &format!("UPDATE {t} SET {column} = {column} WHERE {a}"),
            )
            .await?;
            let foreign_sql = format!("UPDATE {t} SET {column} = {column} WHERE NOT ({a})");
            let foreign = attempt(conn, &foreign_sql).await?;
            let moved = attempt(
                conn,
                &format!(
                    "UPDATE {t} SET {column} = {} WHERE {a}",
                    typed(&self.keys[1], &self.tenancy.key_type)
                ),
            )
            .await?;
            self.rollback(conn).await?;
            report
                .check(
                    &table,
                    "update-own",
                    matches!(own, Ok(n) if n as i64 == a_rows),
                    format!("updating A's rows affected {}, not {a_rows}", shown(&own)),
                )
                .role(label);
            report
                .check(
                    &table,
                    "update-others",
                    matches!(foreign, Ok(0)),
                    format!("updating other tenants' rows affected {}", shown(&foreign)),
                )
                .role(label)
                .query(&foreign_sql);
            report
                .check(
                    &table,
                    "update-move",
                    matches!(&moved, Err(e) if e.is_policy_violation()),
                    format!("moving A's row to B gives {moved:?}, not a policy violation"),
                )
                .role(label);
        } else {
            report.notes.push(format!(
                "{table} as {label}: an explicit UPDATE policy applies; update isolation not checked"
            ));
        }
        Ok(())
    }

    /// Other tenants' rows cannot be deleted.
    async fn deletes_as(&self, conn: &mut PgConnection, report: &mut Report, who: &Who<'_>) -> Res {
        let Who {
            role,
            prelude,
            label,
        } = *who;
        let table = self.name();
        let t = qualified(&self.table.name);
        let a = self.of_tenant(0);
        if self.extra_policies(role, PolicyCommand::Delete).is_empty() {
            let others = self.rows_of(conn, &format!("NOT ({a})")).await?;
            self.begin(conn, prelude, role, Some(0)).await?;
            let sql = format!("DELETE FROM {t} WHERE NOT ({a})");
            let foreign = attempt(conn, &sql).await?;
            exec(conn, "RESET ROLE").await?;
            let left = count(conn, &format!("SELECT count(*) FROM {t} WHERE NOT ({a})")).await?;
            self.rollback(conn).await?;
            report
                .check(
                    &table,
                    "delete-others",
                    matches!(foreign, Ok(0)) && matches!(left, Ok(n) if n == others),
                    format!(
                        "deleting other tenants' rows affected {}; {} of their {others} rows left",
                        shown(&foreign),
                        shown(&left)
                    ),
                )
                .role(label)
                .query(&sql);
        } else {
            report.notes.push(format!(
                "{table} as {label}: an explicit DELETE policy applies; delete isolation not checked"
            ));
        }
        Ok(())
    }

    /// The bypass role sees every tenant's rows, with or without a setting, and may write B's
    /// rows while the setting names A.
    async fn bypass(
        &self,
        conn: &mut PgConnection,
        generator: &mut Generator<'c>,
        report: &mut Report,
        role: &str,
    ) -> Res {
        let table = self.name();
        let t = qualified(&self.table.name);
        let total = self.rows_of(conn, "true").await?;
        let privileges = self.privileges(role);
        // Without a SELECT grant the policy cannot be observed: granted for the proof only.
        let prelude: Vec<String> = if privileges.contains(&Privilege::Select) {
            Vec::new()
        } else {
            vec![format!("GRANT SELECT ON {t} TO {}", ident(role))]
        };
        for (tenant, label) in [(None, "without a setting"), (Some(0), "with A's setting")] {
            self.begin(conn, &prelude, role, tenant).await?;
            let seen = count(conn, &format!("SELECT count(*) FROM {t}")).await?;
            self.rollback(conn).await?;
            report
                .check(
                    &table,
                    "bypass-read",
                    matches!(seen, Ok(n) if n == total),
                    format!("{label} sees {} of {total} rows", shown(&seen)),
                )
                .role(role);
        }
        if privileges.contains(&Privilege::Insert) {
            let mut emptied = prelude.clone();
            emptied.push(format!("TRUNCATE {t} CASCADE"));
            self.begin(conn, &emptied, role, Some(0)).await?;
            let foreign = generator
                .insert(conn, self.table, Some(1), self.data, false)
                .await
                .map_err(|e| DbError::from(&e));
            self.rollback(conn).await?;
            report
                .check(
                    &table,
                    "bypass-write",
                    foreign.is_ok(),
                    format!("with A's setting inserting B's row: {foreign:?}"),
                )
                .role(role);
        }
        Ok(())
    }

    /// The control for FORCE: without it the owner sees B's rows, so the owner proofs would have
    /// failed had FORCE been missing.
    async fn owner_without_force(
        &self,
        conn: &mut PgConnection,
        report: &mut Report,
        owner: &str,
        prelude: &[String],
    ) -> Res {
        let t = qualified(&self.table.name);
        let b = self.of_tenant(1);
        let mut prelude = prelude.to_vec();
        prelude.push(format!("ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY"));
        self.begin(conn, &prelude, owner, Some(0)).await?;
        let seen = count(conn, &format!("SELECT count(*) FROM {t} WHERE {b}")).await?;
        self.rollback(conn).await?;
        report
            .check(
                &self.name(),
                "owner-force-control",
                matches!(seen, Ok(n) if n > 0),
                format!(
                    "without FORCE the owner should see B's rows, saw {}",
                    shown(&seen)
                ),
            )
            .role("owner");
        Ok(())
    }

    /// A row of A cannot point at a parent row of B through a same-tenant key, as a superuser
    /// (for whom RLS does not apply, like the foreign key check itself). The table is emptied
    /// first, so that only the foreign key can refuse the row; a row pointing at A's own parent
    /// is the control. Rows already in the table that point at another tenant's parent are shown.
    async fn same_tenant_keys(
        &self,
        conn: &mut PgConnection,
        generator: &mut Generator<'c>,
        report: &mut Report,
    ) -> Res {
        for fk in &self.table.foreign_keys {
            let Some(parent) = self.catalog.table(&fk.referenced_table) else {
                continue;
            };
            if parent.kind != TableKind::Tenant {
                continue;
            }
            self.cross_tenant_rows(conn, report, fk, parent).await?;
            self.crossing_insert(conn, generator, report, fk).await?;
        }
        Ok(())
    }

    /// Rows of this table whose parent (joined without the tenant column) is another tenant's:
    /// what a single-column key lets in.
    async fn cross_tenant_rows(
        &self,
        conn: &mut PgConnection,
        report: &mut Report,
        fk: &ForeignKey,
        parent: &Table,
    ) -> Res {
        let t = qualified(&self.table.name);
        let table = self.name();
        let column = &self.tenancy.column;
        let joins: Vec<String> = fk
            .columns
            .iter()
            .zip(&fk.referenced_columns)
            .filter(|(c, _)| *c != column)
            .map(|(c, r)| format!("p.{} = c.{}", ident(r), ident(c)))
            .collect();
        if !joins.is_empty() {
            let condition = format!(
                "EXISTS (SELECT 1 FROM {} AS p WHERE {} AND p.{col} IS DISTINCT FROM c.{col})",
                qualified(&parent.name),
                joins.join(" AND "),
                col = ident(column)
            );
            let sql = format!("SELECT count(*) FROM {t} AS c WHERE {condition}");
            let crossing = count(conn, &sql).await?;
            let rows = if matches!(crossing, Ok(0)) {
                Vec::new()
            } else {
                let sample = format!(
                    "SELECT row_to_json(c.*)::text FROM {t} AS c WHERE {condition} LIMIT 5"
                );
                sqlx::query_scalar::<_, String>(&sample)
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap_or_default()
            };
            let check = report.check(
                &table,
                "cross-tenant-rows",
                matches!(crossing, Ok(0)),
                format!(
                    "{} rows point through {} at a parent of another tenant",
                    shown(&crossing),
                    fk.name
                ),
            );
            check.query(&sql);
            check.rows = rows;
        }
        Ok(())
    }

    /// A row of A pointing at A's parent goes in (the control); pointing at B's parent through
    /// the key, it is refused with a foreign key violation.
    async fn crossing_insert(
        &self,
        conn: &mut PgConnection,
        generator: &mut Generator<'c>,
        report: &mut Report,
        fk: &ForeignKey,
    ) -> Res {
        let t = qualified(&self.table.name);
        let table = self.name();
        let this: &'c Table = self.table;
        let column = &self.tenancy.column;
        let pointing_at = |tenant: usize| -> Option<BTreeMap<String, String>> {
            let parent = self.data.row(&fk.referenced_table, Some(tenant))?;
            let mut given = BTreeMap::new();
            for (c, referenced) in fk.columns.iter().zip(&fk.referenced_columns) {
                if c == column {
                    continue;
                }
                let ty = &this.column(c)?.ty;
                let value = typed(&text_of(parent.values.get(referenced.as_str())?), ty);
                given.insert(c.clone(), value);
            }
            Some(given)
        };
        let (Some(own), Some(foreign)) = (pointing_at(0), pointing_at(1)) else {
            return Ok(());
        };
        exec(conn, "SAVEPOINT proof").await?;
        if fk.referenced_table != this.name {
            exec(conn, &format!("TRUNCATE {t} CASCADE")).await?;
        }
        exec(conn, "SAVEPOINT control").await?;
        let control = generator
            .insert_with(conn, this, Some(0), self.data, false, &own)
            .await
            .map_err(|e| DbError::from(&e));
        exec(conn, "ROLLBACK TO SAVEPOINT control").await?;
        let crossed = generator
            .insert_with(conn, this, Some(0), self.data, false, &foreign)
            .await
            .map_err(|e| DbError::from(&e));
        self.rollback(conn).await?;
        report.check(
            &table,
            "same-tenant-key-control",
            control.is_ok(),
            format!(
                "a row of A pointing at A's parent through {} gave {control:?}",
                fk.name
            ),
        );
        report.check(
            &table,
            "same-tenant-key",
            matches!(&crossed, Err(e) if e.code == "23503"),
            format!(
                "a row of A pointing at B's parent through {} ({:?}) gave {crossed:?}, not a foreign key violation",
                fk.name, fk.columns
            ),
        );
        Ok(())
    }
}

/// The role a proof runs as: its name, the statements that start its session, and its label in
/// the report.
#[derive(Clone, Copy)]
struct Who<'a> {
    role: &'a str,
    prelude: &'a [String],
    label: &'a str,
}
