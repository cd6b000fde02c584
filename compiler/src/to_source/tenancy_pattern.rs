//! Recognises the `tenancy` pattern in an introspected `Catalog`: a root table, tenant tables that
//! carry the tenant column (`NOT NULL`, foreign key to the root's primary key `ON DELETE CASCADE`),
//! the `tenant_isolation` policy reading one setting, an optional bypass policy, and composite
//! same-tenant foreign keys between tenant tables. Pure. Returns `None` unless every piece matches
//! exactly what the compiler would generate; `to_source` then writes plain tables.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{
    Catalog, FkAction, ForeignKey, IndexKey, Policy, PolicyCommand, QualifiedName, SqlType, Table,
};

use super::spelling::{default_name, spellable};

/// A tenancy that the database follows exactly.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TenancyPattern {
    pub root: QualifiedName,
    pub column: String,
    pub key_type: SqlType,
    pub setting: String,
    pub bypass: Option<String>,
    pub tenant_tables: BTreeSet<QualifiedName>,
}

/// What the compiler generates for one tenant table, so the writer can leave it out.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Generated {
    /// Foreign key names (the one to the root, and composite same-tenant keys).
    pub foreign_keys: BTreeSet<String>,
    /// Composite same-tenant keys, written as `col references parent` on the column: column → key.
    pub column_references: BTreeMap<String, ForeignKey>,
    pub indexes: BTreeSet<String>,
    pub uniques: BTreeSet<String>,
    pub policies: BTreeSet<String>,
}

/// `(account_id = (NULLIF(current_setting('app.current_account_id'::text, true), ''::text))::uuid)`,
/// as PostgreSQL prints the isolation policy: (column, setting, type as printed).
fn isolation_parts(expr: &str) -> Option<(String, String, String)> {
    let inner = expr.strip_prefix('(')?.strip_suffix(')')?;
    let (column, rest) = inner.split_once(" = (NULLIF(current_setting('")?;
    let (setting, rest) = rest.split_once("'::text, true), ''::text))::")?;
    if setting.contains('\'') || !spellable(column) {
        return None;
    }
    Some((column.to_string(), setting.to_string(), rest.to_string()))
}

/// `<current tenant>` as PostgreSQL prints it (`pg_get_expr` of the tenant column default).
pub(crate) fn current_tenant_text(setting: &str, key_type: &SqlType) -> String {
    format!(
        "(NULLIF(current_setting({}::text, true), ''::text))::{}",
        crate::sql::literal(setting),
        key_type.sql()
    )
}

/// The isolation policy text PostgreSQL prints for this tenancy.
fn isolation_text(column: &str, setting: &str, key_type: &SqlType) -> String {
    format!("({column} = {})", current_tenant_text(setting, key_type))
}

fn is_isolation(policy: &Policy, text: &str) -> bool {
    policy.name == "tenant_isolation"
        && policy.command == PolicyCommand::All
        && policy.roles.is_empty()
        && policy.using.as_deref() == Some(text)
        && policy.with_check.as_deref() == Some(text)
}

fn is_bypass(policy: &Policy, role: &str) -> bool {
    policy.name == format!("{role}_bypass")
        && policy.command == PolicyCommand::All
        && policy.roles == [role.to_string()]
        && policy.using.as_deref() == Some("true")
        && policy.with_check.as_deref() == Some("true")
}

/// Finds the tenancy, or `None` when the database does not follow it exactly.
pub(crate) fn recognise(catalog: &Catalog) -> Option<TenancyPattern> {
    // Tenant tables are the ones with the isolation policy; they must agree on column and setting.
    let mut found: Option<(String, String, String)> = None;
    let mut tenant_tables = BTreeSet::new();
    for table in &catalog.tables {
        let Some(policy) = table.policies.iter().find(|p| p.name == "tenant_isolation") else {
            continue;
        };
        let parts = isolation_parts(policy.using.as_deref()?)?;
        match &found {
            Some(existing) if existing != &parts => return None,
            _ => found = Some(parts),
        }
        tenant_tables.insert(table.name.clone());
    }
    let (column, setting, _) = found?;

    // The root: where every tenant column's foreign key points.
    let first = catalog.table(tenant_tables.iter().next()?)?;
    let root_fk = root_key(first, &column)?;
    let root = catalog.table(&root_fk.referenced_table)?;
    if tenant_tables.contains(&root.name) {
        return None;
    }
    let root_pk = root.primary_key.as_ref()?;
    if root_pk.columns.len() != 1 {
        return None;
    }
    let key_type = root.column(&root_pk.columns[0])?.ty.clone();
    let isolation = isolation_text(&column, &setting, &key_type);

    // A bypass role, if any, is the same on every tenant table.
    let bypass = first
        .policies
        .iter()
        .filter(|p| p.name != "tenant_isolation")
        .find_map(|p| {
            let role = p.name.strip_suffix("_bypass")?;
            is_bypass(p, role).then(|| role.to_string())
        });

    let pattern = TenancyPattern {
        root: root.name.clone(),
        column,
        key_type,
        setting,
        bypass,
        tenant_tables,
    };
    for name in &pattern.tenant_tables {
        let table = catalog.table(name)?;
        tenant_table_matches(catalog, table, &pattern, &isolation)?;
    }
    // A non-tenant table may not reference a tenant table (a `global table` must not; and a
    // plain table doing so is not what a tenancy schema would produce).
    for table in &catalog.tables {
        if pattern.tenant_tables.contains(&table.name) {
            continue;
        }
        if table.policies.iter().any(|p| p.name == "tenant_isolation")
            || table
                .foreign_keys
                .iter()
                .any(|fk| pattern.tenant_tables.contains(&fk.referenced_table))
        {
            return None;
        }
    }
    Some(pattern)
}

fn leads_with(keys: &[IndexKey], column: &str) -> bool {
    matches!(keys.first(), Some(IndexKey::Column(c)) if c == column)
}

/// Whether the primary key or a unique constraint starts with `column` (and so serves as its index).
fn key_leads_with(table: &Table, column: &str) -> bool {
    table
        .primary_key
        .iter()
        .map(|pk| &pk.columns)
        .chain(table.uniques.iter().map(|u| &u.columns))
        .any(|columns| columns.first().is_some_and(|c| c == column))
}

/// The tenant column's key to the root: `(column) references root (pk) on delete cascade`.
fn root_key<'a>(table: &'a Table, column: &str) -> Option<&'a ForeignKey> {
    table.foreign_keys.iter().find(|fk| {
        fk.columns == [column.to_string()]
            && fk.on_delete == FkAction::Cascade
            && fk.on_update == FkAction::NoAction
            && fk.on_delete_columns.is_empty()
            && fk.name == default_name(&table.name.name, &[column], "fkey")
    })
}

fn tenant_table_matches(
    catalog: &Catalog,
    table: &Table,
    pattern: &TenancyPattern,
    isolation: &str,
) -> Option<()> {
    let column = table.column(&pattern.column)?;
    if column.nullable || column.ty != pattern.key_type || column.generated.is_some() {
        return None;
    }
    let root_fk = root_key(table, &pattern.column)?;
    let root_pk = catalog.table(&pattern.root)?.primary_key.as_ref()?;
    if root_fk.referenced_table != pattern.root || root_fk.referenced_columns != root_pk.columns {
        return None;
    }
    if !table.rls_enabled || !table.rls_forced {
        return None;
    }
    if !table.policies.iter().any(|p| is_isolation(p, isolation)) {
        return None;
    }
    if let Some(role) = &pattern.bypass {
        if !table.policies.iter().any(|p| is_bypass(p, role)) {
            return None;
        }
    }
    // An index leading with the tenant column: the generated one, or one that makes it unneeded.
    if !table
        .indexes
        .iter()
        .any(|i| leads_with(&i.keys, &pattern.column) && i.predicate.is_none())
        && !key_leads_with(table, &pattern.column)
    {
        return None;
    }
    // Keys to other tenant tables must be the composite same-tenant form.
    for fk in &table.foreign_keys {
        if fk.name == root_fk.name || !pattern.tenant_tables.contains(&fk.referenced_table) {
            continue;
        }
        composite_reference(table, fk, pattern)?;
    }
    Some(())
}

/// `(tenant, col) references parent (tenant, key)`: the column it is written on, or `None` when
/// the key is not of that form.
fn composite_reference<'a>(
    table: &Table,
    fk: &'a ForeignKey,
    pattern: &TenancyPattern,
) -> Option<&'a str> {
    let tenant = pattern.column.as_str();
    if fk.columns.len() != 2
        || fk.columns[0] != tenant
        || fk.referenced_columns.len() != 2
        || fk.referenced_columns[0] != tenant
    {
        return None;
    }
    let column = fk.columns[1].as_str();
    // `on delete set null|default` touches only the referencing column, never the tenant column.
    let set_only_column = fk.on_delete_columns == [column.to_string()];
    let actions_match = match fk.on_delete {
        FkAction::SetNull | FkAction::SetDefault => set_only_column,
        _ => fk.on_delete_columns.is_empty(),
    };
    let named = fk.name == default_name(&table.name.name, &[tenant, column], "fkey")
        || fk.name == default_name(&table.name.name, &[column], "fkey");
    (actions_match && named).then_some(column)
}

/// Everything the compiler generates for `table` under `pattern`.
pub(crate) fn generated(catalog: &Catalog, table: &Table, pattern: &TenancyPattern) -> Generated {
    let mut generated = Generated::default();
    if pattern.tenant_tables.contains(&table.name) {
        if let Some(fk) = root_key(table, &pattern.column) {
            generated.foreign_keys.insert(fk.name.clone());
        }
        // The compiler adds `<table>_<column>_idx` only where no key or other full index leads
        // with the tenant column; where one does, this index is the user's and is written.
        let index_name = default_name(&table.name.name, &[&pattern.column], "idx");
        let is_generated_index = |i: &crate::catalog::Index| {
            i.name == index_name
                && i.keys == [IndexKey::Column(pattern.column.clone())]
                && !i.unique
                && i.method == "btree"
                && i.predicate.is_none()
        };
        let otherwise_covered = key_leads_with(table, &pattern.column)
            || table.indexes.iter().any(|i| {
                !is_generated_index(i)
                    && i.predicate.is_none()
                    && leads_with(&i.keys, &pattern.column)
            });
        if !otherwise_covered && table.indexes.iter().any(is_generated_index) {
            generated.indexes.insert(index_name);
        }
        generated.policies.insert("tenant_isolation".into());
        if let Some(role) = &pattern.bypass {
            generated.policies.insert(format!("{role}_bypass"));
        }
        for fk in &table.foreign_keys {
            if !pattern.tenant_tables.contains(&fk.referenced_table) {
                continue;
            }
            if let Some(column) = composite_reference(table, fk, pattern) {
                generated.foreign_keys.insert(fk.name.clone());
                generated
                    .column_references
                    .insert(column.to_string(), fk.clone());
            }
        }
    }
    // `unique (tenant, key)` on a parent that a composite same-tenant key points at.
    for other in &catalog.tables {
        if !pattern.tenant_tables.contains(&other.name) {
            continue;
        }
        for fk in &other.foreign_keys {
            if fk.referenced_table != table.name
                || composite_reference(other, fk, pattern).is_none()
            {
                continue;
            }
            let columns: Vec<&str> = fk.referenced_columns.iter().map(String::as_str).collect();
            let name = default_name(&table.name.name, &columns, "key");
            if table
                .uniques
                .iter()
                .any(|u| u.name == name && u.columns == fk.referenced_columns)
            {
                generated.uniques.insert(name);
            }
        }
    }
    generated
}
