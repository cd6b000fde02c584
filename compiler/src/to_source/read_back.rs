//! Reading written source back: compile it and compare the result with the catalog it was
//! written from, table by table. `to_source` uses this to choose names where its guess of the
//! compiler's default was wrong, to accept a recognised tenancy only when it reads back at least as
//! well as plain tables, and to warn about whatever still does not read back.

use std::collections::BTreeMap;

use crate::catalog::{current_tenant_sql, normalize_enums, Catalog, QualifiedName, Table, Tenancy};
use crate::compile::{compile, Compiled};
use crate::source::SourceSet;

/// How written source compares with the catalog it was written from.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ReadBack {
    /// The text does not compile: the first error's message.
    Invalid(String),
    /// It compiles; these tables differ (with the parts that differ), and the enums differ or not.
    Compiled {
        tables: BTreeMap<QualifiedName, Vec<&'static str>>,
        enums_differ: bool,
        /// The compiled catalog as compared (normalised), for names the compiler chose differently.
        catalog: Box<Catalog>,
    },
}

impl ReadBack {
    /// Tables (or enums) that do not read back; `None` when the text does not compile.
    pub(super) fn mismatches(&self) -> Option<Vec<String>> {
        match self {
            ReadBack::Invalid(_) => None,
            ReadBack::Compiled {
                tables,
                enums_differ,
                ..
            } => {
                let mut names: Vec<String> = tables.keys().map(|t| t.to_string()).collect();
                if *enums_differ {
                    names.push("enums".into());
                }
                Some(names)
            }
        }
    }
}

/// The size of the files the read-back compiles (see [`read_back`]).
const PIECE: usize = 64 * 1024;

/// `text` cut at item starts into pieces of at least [`PIECE`] bytes (the last may be shorter;
/// an empty text is one empty piece).
fn pieces<'a>(text: &'a str, item_starts: &[usize]) -> Vec<&'a str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for &at in item_starts {
        if at >= start + PIECE {
            pieces.push(&text[start..at]);
            start = at;
        }
    }
    pieces.push(&text[start..]);
    pieces
}

/// Compiles `text` and compares it with `catalog`. `item_starts` are where its items start: the
/// text is compiled as files of about [`PIECE`] bytes, split there (files of one schema are merged
/// as one file is), because the parser holds a file's whole syntax tree at once, some 25 bytes
/// per byte of text: 42 MB, the peak of `introspect`, for the 1 MB of 2,000 tables.
pub(super) fn read_back(catalog: &Catalog, text: &str, item_starts: &[usize]) -> ReadBack {
    let mut sources = SourceSet::default();
    for (n, piece) in pieces(text, item_starts).into_iter().enumerate() {
        sources.add(format!("introspected-{n}.schema"), piece);
    }
    let compiled = compile(&sources);
    let clean = !compiled.has_errors();
    let Compiled {
        catalog: lowered,
        diagnostics,
        model,
    } = compiled;
    // Not needed: freed now, not at the end of the function (a `model: _` pattern would keep it).
    drop((model, sources));
    let Some(lowered) = lowered.filter(|_| clean) else {
        let first = diagnostics
            .first()
            .map_or_else(|| "no catalog".to_string(), |d| d.message.clone());
        return ReadBack::Invalid(first);
    };
    let tenancy = lowered.tenancy.clone();
    let tenant_defaults = tenant_defaults(tenancy.as_ref());
    let actual = comparable(lowered, &tenant_defaults);
    // The catalog's tables are compared one copy at a time: a copy of the whole catalog was a
    // fifth of `introspect`'s peak of memory.
    let mut tables = BTreeMap::new();
    for table in &catalog.tables {
        let parts = match actual.table(&table.name) {
            Some(other) => {
                differing_parts(&comparable_table(table.clone(), &tenant_defaults), other)
            }
            None => vec!["the whole table"],
        };
        if !parts.is_empty() {
            tables.insert(table.name.clone(), parts);
        }
    }
    for table in &actual.tables {
        if catalog.table(&table.name).is_none() {
            tables.insert(table.name.clone(), vec!["the whole table"]);
        }
    }
    let mut expected_enums = catalog.enums.clone();
    normalize_enums(&mut expected_enums);
    ReadBack::Compiled {
        tables,
        enums_differ: expected_enums != actual.enums,
        catalog: Box::new(actual),
    }
}

/// The tenant column's name and the two spellings of its `<current tenant>` default.
type TenantDefaults<'a> = Option<(&'a str, [String; 2])>;

fn tenant_defaults(tenancy: Option<&Tenancy>) -> TenantDefaults<'_> {
    tenancy.and_then(|t| {
        let setting = t.setting.as_deref()?;
        Some((
            t.column.as_str(),
            [
                current_tenant_sql(setting, &t.key_type),
                super::tenancy_pattern::current_tenant_text(setting, &t.key_type),
            ],
        ))
    })
}

/// What is compared: the normalised catalog without roles (cluster-wide), extensions and
/// namespaces (implied), and without the text of the generated tenancy policies: the compiler
/// writes them as the language says and the database prints them its own way, and
/// `tenancy_pattern` has already checked the printed text is exactly what the server prints for
/// them. The tenant column's `<current tenant>` default is left out for the same reason.
fn comparable(catalog: Catalog, tenant_defaults: &TenantDefaults) -> Catalog {
    let mut catalog = catalog.into_normalized();
    catalog.roles.clear();
    catalog.extensions.clear();
    catalog.extension_schemas.clear();
    catalog.namespaces.clear();
    for table in &mut catalog.tables {
        leave_out_tenancy(table, tenant_defaults);
    }
    catalog
}

/// One table of a catalog as [`comparable`] leaves it.
fn comparable_table(mut table: Table, tenant_defaults: &TenantDefaults) -> Table {
    table.normalize();
    leave_out_tenancy(&mut table, tenant_defaults);
    table
}

fn leave_out_tenancy(table: &mut Table, tenant_defaults: &TenantDefaults) {
    if let Some((column, defaults)) = tenant_defaults {
        for c in table.columns.iter_mut().filter(|c| c.name == *column) {
            if c.default.as_ref().is_some_and(|d| defaults.contains(d)) {
                c.default = None;
            }
        }
    }
    for policy in &mut table.policies {
        if policy.name == "tenant_isolation" {
            policy.using = None;
            policy.with_check = None;
        }
    }
}

fn differing_parts(expected: &Table, actual: &Table) -> Vec<&'static str> {
    let mut parts = Vec::new();
    let mut check = |same: bool, part: &'static str| {
        if !same {
            parts.push(part);
        }
    };
    check(expected.columns == actual.columns, "columns");
    check(expected.primary_key == actual.primary_key, "primary key");
    check(expected.uniques == actual.uniques, "unique constraints");
    check(expected.foreign_keys == actual.foreign_keys, "foreign keys");
    check(expected.checks == actual.checks, "checks");
    check(expected.indexes == actual.indexes, "indexes");
    check(
        (expected.rls_enabled, expected.rls_forced) == (actual.rls_enabled, actual.rls_forced),
        "row level security",
    );
    check(expected.policies == actual.policies, "policies");
    check(expected.grants == actual.grants, "grants");
    check(expected.comment == actual.comment, "comment");
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_cut_only_where_an_item_starts_and_hold_the_whole_text() {
        // 300 items of 1,000 bytes: 300 KB, four pieces of 64 KB or more and the rest.
        let items: Vec<String> = (0..300).map(|n| format!("{n:0>998}\n")).collect();
        let mut text = String::new();
        let mut starts = Vec::new();
        for item in &items {
            starts.push(text.len());
            text.push_str(item);
        }
        let cut = pieces(&text, &starts);
        assert_eq!(cut.concat(), text);
        assert_eq!(cut.len(), 300_000 / 66_000 + 1);
        let mut at = 0;
        for (n, piece) in cut.iter().enumerate() {
            assert!(starts.contains(&at), "piece {n} starts inside an item");
            if n + 1 < cut.len() {
                assert!(piece.len() >= PIECE, "piece {n} is {} bytes", piece.len());
            }
            at += piece.len();
        }
        assert_eq!(pieces(&text[..0], &[]), [""]);
        assert_eq!(pieces("one item", &[0]), ["one item"]);
    }
}
