//! `verify --emit-pgtap DIR`: the catalog-level and read proofs as pgTAP files, one per tenant
//! table, that `pg_prove` runs without schemac. Each file runs in a transaction that it rolls
//! back; queries as an application role are run through psql's `\gset` so that pgTAP's own
//! bookkeeping stays with the connecting (super)user.

use std::collections::BTreeSet;
use std::path::Path;

use crate::catalog::{Catalog, Privilege, Table, TableKind, Tenancy};
use crate::sql::{ident, literal, qualified};

use super::setting;

/// Writes one `<schema>.<table>.sql` per tenant table into `dir` (created if missing).
pub fn write(catalog: &Catalog, dir: &Path) -> Result<(), String> {
    let Some(tenancy) = catalog.tenancy.as_ref().filter(|t| t.rls) else {
        return Err("the schema has no tenancy with `rls on`: no pgTAP proofs to write".into());
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for table in catalog
        .tables
        .iter()
        .filter(|t| t.kind == TableKind::Tenant)
    {
        let path = dir.join(format!("{}.{}.sql", table.name.schema, table.name.name));
        std::fs::write(&path, file(catalog, tenancy, table))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// The pgTAP file of one tenant table.
pub fn file(catalog: &Catalog, tenancy: &Tenancy, table: &Table) -> String {
    let subject = Subject::new(table);
    let name = &subject.name;
    let mut tests = subject.policy_tests(tenancy);
    tests.push(subject.public_grant_test());
    tests.extend(subject.same_tenant_key_tests(catalog, &tenancy.column));
    let (sessions, role_tests) = subject.role_tests(catalog, tenancy);
    tests.extend(role_tests);
    format!(
        "-- Tenant isolation of {name}, written by `schemac verify --emit-pgtap`.\n\
         -- Run with pg_prove (pgTAP installed in the database); everything is rolled back.\n\
         \\set ON_ERROR_STOP 1\n\\pset tuples_only on\n\\pset format unaligned\n\
         BEGIN;\n{sessions}SELECT plan({});\n{}\nSELECT * FROM finish();\nROLLBACK;\n",
        tests.len(),
        tests.join("\n")
    )
}

/// The table the file tests, as its tests name it.
struct Subject<'t> {
    table: &'t Table,
    /// The quoted, qualified name.
    t: String,
    /// `'<t>'::regclass`.
    reg: String,
    /// `schema.table`, in test descriptions.
    name: String,
}

impl<'t> Subject<'t> {
    fn new(table: &'t Table) -> Subject<'t> {
        let t = qualified(&table.name);
        Subject {
            table,
            reg: format!("{}::regclass", literal(&t)),
            t,
            name: table.name.to_string(),
        }
    }

    /// RLS enabled and forced, the isolation policy as the compiler writes it, no unknown policy.
    fn policy_tests(&self, tenancy: &Tenancy) -> Vec<String> {
        let (table, reg, name) = (self.table, &self.reg, &self.name);
        let column = &tenancy.column;
        let setting = literal(&setting(tenancy));
        let expected = format!(
            "({} = (NULLIF(current_setting({}::text, true), ''::text))::{})",
            column,
            setting,
            tenancy.key_type.sql()
        );
        let mut tests: Vec<String> = Vec::new();
        tests.push(format!(
            "SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = {reg}), {});",
            literal(&format!("{name}: rls-enabled"))
        ));
        tests.push(format!(
            "SELECT ok((SELECT relforcerowsecurity FROM pg_class WHERE oid = {reg}), {});",
            literal(&format!("{name}: rls-forced"))
        ));
        for (field, what) in [("polqual", "USING"), ("polwithcheck", "WITH CHECK")] {
            tests.push(format!(
                "SELECT is((SELECT pg_get_expr({field}, polrelid) FROM pg_policy WHERE polrelid = {reg} \
                 AND polname = 'tenant_isolation' AND polcmd = '*' AND polpermissive AND polroles = '{{0}}'), {}, {});",
                literal(&expected),
                literal(&format!("{name}: isolation-policy {what}"))
            ));
        }
        let known: Vec<String> = table.policies.iter().map(|p| literal(&p.name)).collect();
        let known = if known.is_empty() {
            "''".to_string()
        } else {
            known.join(", ")
        };
        tests.push(format!(
            "SELECT is((SELECT count(*) FROM pg_policy WHERE polrelid = {reg} AND polpermissive \
             AND polname NOT IN ({known}, 'tenant_isolation'))::bigint, 0::bigint, {});",
            literal(&format!("{name}: unknown-policy"))
        ));
        tests
    }

    /// No privilege granted to PUBLIC beyond the schema's.
    fn public_grant_test(&self) -> String {
        let (table, reg, name) = (self.table, &self.reg, &self.name);
        let public: BTreeSet<&str> = table
            .grants
            .iter()
            .filter(|g| g.role == "public")
            .map(|g| g.privilege.sql())
            .collect();
        let public: Vec<String> = public.iter().map(|p| literal(p)).collect();
        let public = if public.is_empty() {
            "''".to_string()
        } else {
            public.join(", ")
        };
        format!(
            "SELECT is((SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = {reg} \
             AND a.grantee = 0 AND a.privilege_type NOT IN ({public}))::bigint, 0::bigint, {});",
            literal(&format!("{name}: public-grant"))
        )
    }

    /// Each foreign key to a tenant table carries the tenant column, and no row points at another
    /// tenant's parent.
    fn same_tenant_key_tests(&self, catalog: &Catalog, column: &str) -> Vec<String> {
        let (table, t, reg, name) = (self.table, &self.t, &self.reg, &self.name);
        let mut tests = Vec::new();
        for fk in &table.foreign_keys {
            let Some(parent) = catalog.table(&fk.referenced_table) else {
                continue;
            };
            if parent.kind != TableKind::Tenant {
                continue;
            }
            let p = qualified(&parent.name);
            let preg = format!("{}::regclass", literal(&p));
            tests.push(format!(
                "SELECT ok(EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = {reg} AND k.contype = 'f' \
                 AND k.conname = {} \
                 AND k.conkey[1] = (SELECT attnum FROM pg_attribute WHERE attrelid = {reg} AND attname = {col}) \
                 AND k.confkey[1] = (SELECT attnum FROM pg_attribute WHERE attrelid = {preg} AND attname = {col})), {});",
                literal(&fk.name),
                literal(&format!("{name}: same-tenant-key {}", fk.name)),
                col = literal(column),
            ));
            let joins: Vec<String> = fk
                .columns
                .iter()
                .zip(&fk.referenced_columns)
                .filter(|(c, _)| *c != column)
                .map(|(c, r)| format!("p.{} = c.{}", ident(r), ident(c)))
                .collect();
            if !joins.is_empty() {
                tests.push(format!(
                    "SELECT is((SELECT count(*) FROM {t} AS c WHERE EXISTS (SELECT 1 FROM {p} AS p WHERE {} \
                     AND p.{col} IS DISTINCT FROM c.{col}))::bigint, 0::bigint, {});",
                    joins.join(" AND "),
                    literal(&format!("{name}: cross-tenant-rows {}", fk.name)),
                    col = ident(column),
                ));
            }
        }
        tests
    }

    /// The application roles are neither superuser nor BYPASSRLS, and see no other tenant's rows
    /// with no setting, an empty one, or a tenant's: the psql session lines, and the tests.
    fn role_tests(&self, catalog: &Catalog, tenancy: &Tenancy) -> (String, Vec<String>) {
        let (table, t, name) = (self.table, &self.t, &self.name);
        let column = &tenancy.column;
        let setting = literal(&setting(tenancy));
        let mut tests = Vec::new();
        let mut vars = 0usize;
        let roles: BTreeSet<&String> = table
            .grants
            .iter()
            .filter(|g| g.privilege == Privilege::Select)
            .map(|g| &g.role)
            .filter(|r| Some(*r) != tenancy.bypass.as_ref() && r.as_str() != "public")
            .collect();
        let root = catalog.table(&tenancy.root);
        let first_tenant = root
            .and_then(|r| r.primary_key.as_ref())
            .and_then(|pk| pk.columns.first())
            .map(|pk| {
                format!(
                    "(SELECT {}::text FROM {} ORDER BY 1 LIMIT 1)",
                    ident(pk),
                    qualified(&tenancy.root)
                )
            })
            .unwrap_or_else(|| "''".into());
        let mut sessions = String::new();
        for role in &roles {
            tests.push(format!(
                "SELECT ok(NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = {}), {});",
                literal(role),
                literal(&format!("{name}: app-role {role} is neither superuser nor BYPASSRLS"))
            ));
        }
        // No setting (first: nothing has set it yet), an empty one, and a tenant's: rows of other
        // tenants visible to each role.
        for (label, value) in [
            ("no-setting-read", None),
            ("empty-setting-read", Some("''".to_string())),
            ("read-others", Some(first_tenant.clone())),
        ] {
            if let Some(value) = &value {
                sessions.push_str(&format!(
                    "SELECT set_config({setting}, {value}, true) AS schemac_ignored \\gset\n"
                ));
            }
            for role in &roles {
                vars += 1;
                let var = format!("schemac_n{vars}");
                sessions.push_str(&format!(
                "SET LOCAL ROLE {};\nSELECT count(*) AS {var} FROM {t} WHERE {} IS DISTINCT FROM \
                 NULLIF(current_setting({setting}, true), '')::{} \\gset\nRESET ROLE;\n",
                ident(role),
                ident(column),
                tenancy.key_type.sql()
            ));
                tests.push(format!(
                    "SELECT is(:{var}::bigint, 0::bigint, {});",
                    literal(&format!("{name}: {label} as {role}"))
                ));
            }
        }
        (sessions, tests)
    }
}
