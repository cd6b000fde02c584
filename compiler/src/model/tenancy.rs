//! The `tenancy` block: which table is the tenant root, what the tenant column is called and what
//! type it has, and the tenant column of every tenant table (checked where written by hand, added
//! where not). Policies, indexes and composite keys are `catalog::lower`'s job.

use std::collections::BTreeMap;

use super::{Column, Table, TableId, Tenancy};
use crate::catalog::{QualifiedName, SqlType, TableKind};
use crate::diagnostics::{suggest, Diagnostic};
use crate::source::Span;
use crate::syntax::ast;

/// English singular of a table name, for the default tenant column (`accounts` → `account`).
pub fn singular(word: &str) -> String {
    let irregular = [
        ("people", "person"),
        ("children", "child"),
        ("men", "man"),
        ("women", "woman"),
    ];
    for (plural, single) in irregular {
        if word == plural {
            return single.to_string();
        }
        if let Some(stem) = word.strip_suffix(&format!("_{plural}")) {
            return format!("{stem}_{single}");
        }
    }
    if let Some(stem) = word.strip_suffix("ies") {
        if !stem.is_empty() {
            return format!("{stem}y");
        }
    }
    for suffix in ["sses", "xes", "ches", "shes", "zzes"] {
        if let Some(stem) = word.strip_suffix(suffix) {
            return format!("{stem}{}", &suffix[..suffix.len() - 2]);
        }
    }
    if word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") && word.len() > 1 {
        return word[..word.len() - 1].to_string();
    }
    word.to_string()
}

/// The default tenant column for a root table: `<root singular>_id`.
pub fn default_column(root: &str) -> String {
    format!("{}_id", singular(root))
}

/// Resolves the first `tenancy` block (later ones were already reported as duplicates).
pub(super) fn resolve_block(
    block: &ast::Tenancy,
    tables: &[Table],
    by_name: &BTreeMap<QualifiedName, TableId>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Tenancy> {
    let mut root: Option<&ast::QualName> = None;
    let mut column: Option<&ast::Ident> = None;
    let mut setting: Option<&ast::StringLit> = None;
    let mut bypass: Option<&ast::Ident> = None;
    let mut rls = true;
    let mut fill = true;
    let mut seen: BTreeMap<&'static str, Span> = BTreeMap::new();
    for entry in &block.entries {
        let keyword = entry.kind.keyword();
        if let Some(first) = seen.get(keyword) {
            diagnostics.push(Diagnostic::duplicate_tenancy_entry(
                keyword, entry.span, *first,
            ));
            continue;
        }
        seen.insert(keyword, entry.span);
        match &entry.kind {
            ast::TenancyEntryKind::Root(name) => root = Some(name),
            ast::TenancyEntryKind::Column(name) => column = Some(name),
            ast::TenancyEntryKind::Setting(value) => setting = Some(value),
            ast::TenancyEntryKind::Bypass(name) => bypass = Some(name),
            ast::TenancyEntryKind::Rls(on) => rls = *on,
            ast::TenancyEntryKind::Fill(on) => fill = *on,
        }
    }
    let Some(root) = root else {
        diagnostics.push(Diagnostic::tenancy_without_root(block.span));
        return None;
    };
    let root_name = super::resolve::qualified(root);
    let Some(&root_id) = by_name.get(&root_name) else {
        let names: Vec<String> = tables
            .iter()
            .map(|t| super::resolve::display_name(&t.name))
            .collect();
        let closest = suggest::closest(&root.text(), names.iter().map(String::as_str));
        diagnostics.push(Diagnostic::unknown_tenancy_root(
            &root.text(),
            root.span,
            closest,
        ));
        return None;
    };
    let root_table = &tables[root_id.0 as usize];
    if root_table.kind == TableKind::Tenant {
        diagnostics.push(Diagnostic::tenancy_root_is_tenant(
            &root.text(),
            root.span,
            root_table.name_span,
        ));
        return None;
    }
    let key_columns = root_table
        .primary_key
        .as_ref()
        .map_or(0, |k| k.columns.len());
    let key_type = match &root_table.primary_key {
        Some(key) if key.columns.len() == 1 => {
            root_table.column(&key.columns[0]).map(|c| c.ty.clone())
        }
        _ => None,
    };
    let Some(key_type) = key_type else {
        diagnostics.push(Diagnostic::tenancy_root_without_key(
            &root.text(),
            root.span,
            root_table.name_span,
            key_columns,
        ));
        return None;
    };
    Some(Tenancy {
        root: root_id,
        column: column.map_or_else(|| default_column(&root_name.name), |c| c.name.clone()),
        key_type,
        setting: setting.map(|s| s.value.clone()),
        bypass: bypass.map(|b| b.name.clone()),
        rls,
        fill,
        span: block.span,
    })
}

/// Marks or adds the tenant column of every tenant table; a hand-written one must have the key
/// type and be `NOT NULL`.
pub(super) fn add_tenant_columns(
    tables: &mut [Table],
    tenancy: &Tenancy,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for table in tables.iter_mut().filter(|t| t.kind == TableKind::Tenant) {
        if let Some(column) = table.columns.iter_mut().find(|c| c.name == tenancy.column) {
            column.tenant = true;
            let wrong_type = column.ty != tenancy.key_type || column.serial;
            if wrong_type || column.nullable {
                let found = format!(
                    "{}{}",
                    if column.serial {
                        serial_spelling(&column.ty)
                    } else {
                        column.ty.source()
                    },
                    if column.nullable { "?" } else { "" }
                );
                diagnostics.push(Diagnostic::tenant_column_mismatch(
                    &super::resolve::display_name(&table.name),
                    &tenancy.column,
                    &tenancy.key_type.source(),
                    &found,
                    column.span,
                ));
            }
            continue;
        }
        let column = Column {
            name: tenancy.column.clone(),
            ty: tenancy.key_type.clone(),
            serial: false,
            nullable: false,
            default: None,
            generated: None,
            generated_virtual: false,
            identity: None,
            doc: None,
            renamed_from: None,
            using: None,
            backfill: None,
            tenant: true,
            implicit: true,
            span: table.name_span,
        };
        let position = tenant_column_position(table);
        table.columns.insert(position, column);
    }
}

fn serial_spelling(ty: &SqlType) -> String {
    ty.base.serial_name().unwrap_or("serial").to_string()
}

/// Where an implicit tenant column goes: right after the leading primary-key column, or first
/// when the table does not start with its primary key.
pub fn tenant_column_position(table: &Table) -> usize {
    let leads_with_key = match (&table.primary_key, table.columns.first()) {
        (Some(key), Some(first)) => key.columns.contains(&first.name),
        _ => false,
    };
    usize::from(leads_with_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_handles_common_plurals() {
        assert_eq!(singular("accounts"), "account");
        assert_eq!(singular("companies"), "company");
        assert_eq!(singular("boxes"), "box");
        assert_eq!(singular("branches"), "branch");
        assert_eq!(singular("addresses"), "address");
        assert_eq!(singular("status"), "status");
        assert_eq!(singular("people"), "person");
        assert_eq!(singular("org"), "org");
        assert_eq!(default_column("tenants"), "tenant_id");
    }
}
