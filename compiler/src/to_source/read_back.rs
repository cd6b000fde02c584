//! Reading written source back: compile it and compare the result with the catalog it was
//! written from, table by table. `to_source` uses this to choose names where its guess of the
//! compiler's default was wrong, to accept a recognised tenancy only when it reads back at least as
//! well as plain tables, and to warn about whatever still does not read back.

use std::collections::BTreeMap;

use super::Source;
use crate::catalog::{
    current_tenant_sql, normalize_enums, Catalog, Column, QualifiedName, Table, Tenancy,
};
use crate::compile::{compile_trees, Compiled};
use crate::source::{FileId, SourceFile, SourceSet};
use crate::syntax::Parsed;

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

/// The size of the files the read-back compiles: the parser holds a file's whole syntax tree at
/// once, some 25 bytes per byte of text (42 MB, the peak of `introspect`, when the 1 MB of 2,000
/// tables was one file), and a piece can be parsed as soon as it is written.
const PIECE: usize = 64 * 1024;

/// Written items joined as the text joins them (a blank line between two, a newline at the end),
/// cut where an item starts into pieces of at least [`PIECE`] bytes (the last may be shorter; no
/// item at all is one empty piece), each handed to `send` when complete.
struct Pieces<F: FnMut(String)> {
    piece: String,
    any: bool,
    send: F,
}

impl<F: FnMut(String)> Pieces<F> {
    fn new(send: F) -> Self {
        Pieces {
            piece: String::new(),
            any: false,
            send,
        }
    }

    fn item(&mut self, item: String) {
        if self.any {
            self.piece.push_str("\n\n");
            if self.piece.len() >= PIECE {
                (self.send)(std::mem::take(&mut self.piece));
            }
        }
        self.piece.push_str(&item);
        self.any = true;
    }

    fn finish(mut self) {
        if self.any {
            self.piece.push('\n');
        }
        (self.send)(self.piece);
    }
}

/// What writes the source: hands each item to the function it is given, in order, and returns the
/// warnings.
pub(super) type Write<'a> = dyn Fn(&mut dyn FnMut(String)) -> Vec<String> + Sync + 'a;

/// Writes the source with `write` on a second thread while this one parses each piece of it as
/// soon as it is complete (writing took half as long as parsing, one after the other), then
/// compiles the pieces and compares the result with `catalog`. The syntax trees are made and
/// freed by this thread, whose memory the rest of the run reuses: trees parsed on a second thread
/// stay in that thread's allocator arena once freed, and put `introspect`'s peak at 61-62 MB.
pub(super) fn written_and_read_back(catalog: &Catalog, write: &Write) -> (Source, ReadBack) {
    let written = |send: &mut dyn FnMut(String)| {
        let mut pieces = Pieces::new(send);
        let warnings = write(&mut |item| pieces.item(item));
        pieces.finish();
        warnings
    };
    let mut parsed = Vec::new();
    let warnings = std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::channel::<String>();
        let writer = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn_scoped(scope, move || {
                // The receiver lives until this thread is joined.
                written(&mut |piece| drop(sender.send(piece)))
            });
        let Ok(writer) = writer else {
            // No second thread: this one writes, then parses.
            let mut pieces = Vec::new();
            let warnings = written(&mut |piece| pieces.push(piece));
            parsed.extend(pieces.into_iter().enumerate().map(parse_piece));
            return warnings;
        };
        // Ends when the writer is done, or has panicked, and its sender is dropped.
        parsed.extend(receiver.into_iter().enumerate().map(parse_piece));
        writer.join().unwrap_or_else(|panic| {
            // A panic in the writer is a bug; let it surface as the panic it is.
            std::panic::resume_unwind(panic)
        })
    });
    let mut text = String::new();
    let mut sources = SourceSet::default();
    let mut trees = Vec::with_capacity(parsed.len());
    for (file, tree) in parsed {
        text.push_str(&file.text);
        sources.files.push(file);
        trees.push(tree);
    }
    let read = compared(catalog, compile_trees(&sources, trees));
    (Source { text, warnings }, read)
}

/// Piece `n` of the text as file `introspected-<n>.schema`, and its syntax tree.
fn parse_piece((n, text): (usize, String)) -> (SourceFile, Parsed) {
    let file = SourceFile {
        id: FileId(u32::try_from(n).unwrap_or(u32::MAX)),
        path: format!("introspected-{n}.schema").into(),
        text,
    };
    let parsed = crate::syntax::parse(&file);
    (file, parsed)
}

/// `compiled` (the written text) compared with `catalog`, table by table.
fn compared(catalog: &Catalog, compiled: Compiled) -> ReadBack {
    let clean = !compiled.has_errors();
    let Compiled {
        catalog: lowered,
        diagnostics,
    } = compiled;
    let Some(lowered) = lowered.filter(|_| clean) else {
        let first = diagnostics
            .first()
            .map_or_else(|| "no catalog".to_string(), |d| d.message.clone());
        return ReadBack::Invalid(first);
    };
    let tenancy = lowered.tenancy.clone();
    let tenant_defaults = tenant_defaults(tenancy.as_ref());
    let actual = comparable(lowered, &tenant_defaults);
    // The catalog's tables are compared one at a time, without a copy where they need none
    // (`differing_from`; a copy of the whole catalog was a fifth of `introspect`'s peak of
    // memory), half of them on a second thread.
    let differing_tables = |tables: &[Table]| {
        let mut differing = Vec::new();
        for table in tables {
            let parts = match actual.table(&table.name) {
                Some(other) => differing_from(table, other, &tenant_defaults),
                None => vec!["the whole table"],
            };
            if !parts.is_empty() {
                differing.push((table.name.clone(), parts));
            }
        }
        differing
    };
    let (first, second) = catalog.tables.split_at(catalog.tables.len() / 2);
    let mut tables: BTreeMap<QualifiedName, Vec<&'static str>> = std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .spawn_scoped(scope, || differing_tables(second))
            .ok();
        let mut all = differing_tables(first);
        match helper.map(|helper| helper.join()) {
            Some(Ok(rest)) => all.extend(rest),
            // A panic in the helper is a bug; let it surface as the panic it is.
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            // No second thread: this one compares the rest.
            None => all.extend(differing_tables(second)),
        }
        all.into_iter().collect()
    });
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

/// Whether [`leave_out_tenancy`] may change `table` (it mirrors that function's conditions,
/// taking any tenancy as a change).
fn has_tenancy_to_leave_out(table: &Table, tenant_defaults: &TenantDefaults) -> bool {
    tenant_defaults.is_some() || table.policies.iter().any(|p| p.name == TENANT_ISOLATION)
}

/// The name of the tenancy's own policy, whose expressions are not compared.
const TENANT_ISOLATION: &str = "tenant_isolation";

fn leave_out_tenancy(table: &mut Table, tenant_defaults: &TenantDefaults) {
    if let Some((column, defaults)) = tenant_defaults {
        for c in table.columns.iter_mut().filter(|c| c.name == *column) {
            if c.default.as_ref().is_some_and(|d| defaults.contains(d)) {
                c.default = None;
            }
        }
    }
    for policy in &mut table.policies {
        if policy.name == TENANT_ISOLATION {
            policy.using = None;
            policy.with_check = None;
        }
    }
}

/// The parts of `expected`, a table of the catalog written, that differ from `actual`, its
/// compiled and normalised counterpart, compared as [`comparable_table`] leaves `expected`. A
/// table read from a database is in that form but for the order of its columns and is compared
/// as it is: copying and sorting every table was most of the comparison's time.
fn differing_from(
    expected: &Table,
    actual: &Table,
    tenant_defaults: &TenantDefaults,
) -> Vec<&'static str> {
    if !has_tenancy_to_leave_out(expected, tenant_defaults) && expected.is_normal_but_column_order()
    {
        let same = same_columns(&expected.columns, &actual.columns);
        return differing_parts(expected, actual, same);
    }
    let expected = comparable_table(expected.clone(), tenant_defaults);
    let same = expected.columns == actual.columns;
    differing_parts(&expected, actual, same)
}

/// Whether `columns`, in any order, are `sorted` (in name order): each found there, once.
fn same_columns(columns: &[Column], sorted: &[Column]) -> bool {
    let mut found = vec![false; sorted.len()];
    columns.len() == sorted.len()
        && columns.iter().all(|column| {
            match sorted.binary_search_by(|c| c.name.as_str().cmp(&column.name)) {
                Ok(at) if !found[at] && sorted[at] == *column => {
                    found[at] = true;
                    true
                }
                _ => false,
            }
        })
}

/// The parts that differ, `columns_same` saying whether the columns do.
fn differing_parts(expected: &Table, actual: &Table, columns_same: bool) -> Vec<&'static str> {
    let mut parts = Vec::new();
    let mut check = |same: bool, part: &'static str| {
        if !same {
            parts.push(part);
        }
    };
    check(columns_same, "columns");
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
    use crate::catalog::{
        BaseType, CheckConstraint, Policy, PolicyCommand, SqlType, UniqueConstraint,
    };
    use crate::source::{FileId, Span};

    /// A table as a database read gives it: lists in name order, columns in creation order.
    fn read_table() -> Table {
        let mut table = Table::new(QualifiedName::new("public", "t"));
        for (name, base) in [
            ("id", BaseType::BigInt),
            ("name", BaseType::Text),
            ("at", BaseType::Date),
        ] {
            table.columns.push(Column::new(name, SqlType::scalar(base)));
        }
        table.checks.push(CheckConstraint {
            name: "t_id_check".into(),
            expr: "id > 0".into(),
            origin: None,
        });
        table.uniques.push(UniqueConstraint {
            name: "t_name_key".into(),
            columns: vec!["name".into()],
            nulls_not_distinct: false,
            origin: None,
        });
        table
    }

    /// `differing_from` against the table compiled back, normalised: nothing differs when it is
    /// the same, and each part that differs is named, by the copy-free comparison and by the one
    /// that normalises a copy alike.
    #[test]
    fn a_table_read_from_a_database_is_compared_without_a_copy_and_alike() {
        let read = read_table();
        assert!(read.is_normal_but_column_order());
        let compiled = comparable_table(read.clone(), &None);
        assert_eq!(differing_from(&read, &compiled, &None), Vec::<&str>::new());

        let mut other_type = compiled.clone();
        other_type.columns[0].ty = SqlType::scalar(BaseType::Integer);
        assert_eq!(differing_from(&read, &other_type, &None), ["columns"]);
        let mut column_missing = compiled.clone();
        column_missing.columns.pop();
        assert_eq!(differing_from(&read, &column_missing, &None), ["columns"]);
        let mut renamed = compiled.clone();
        renamed.columns[1].name = "zz".into();
        renamed.normalize();
        assert_eq!(differing_from(&read, &renamed, &None), ["columns"]);
        let mut check_missing = compiled.clone();
        check_missing.checks.clear();
        assert_eq!(differing_from(&read, &check_missing, &None), ["checks"]);

        // Not in normal form (a span, lists out of order): compared through a normalised copy.
        let mut written = read.clone();
        written.origin = Some(Span::new(FileId(0), 0, 1));
        written.uniques.insert(
            0,
            UniqueConstraint {
                name: "t_z_key".into(),
                columns: vec!["at".into()],
                nulls_not_distinct: false,
                origin: None,
            },
        );
        assert!(!written.is_normal_but_column_order());
        let mut normalized = written.clone();
        normalized.normalize();
        normalized.columns.reverse();
        assert!(normalized.is_normal_but_column_order());
        let compiled = comparable_table(written.clone(), &None);
        assert_eq!(
            differing_from(&written, &compiled, &None),
            Vec::<&str>::new()
        );
        assert_eq!(
            differing_from(&written, &check_missing, &None),
            ["unique constraints", "checks"]
        );

        // The tenancy's own policy is compared without its expressions, as `comparable` leaves it.
        let mut tenant = read.clone();
        tenant.policies.push(Policy {
            name: "tenant_isolation".into(),
            command: PolicyCommand::All,
            roles: Vec::new(),
            using: Some("as the database prints it".into()),
            with_check: None,
            origin: None,
        });
        let compiled = comparable_table(tenant.clone(), &None);
        assert_eq!(compiled.policies[0].using, None);
        assert_eq!(
            differing_from(&tenant, &compiled, &None),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn same_columns_is_the_same_set_each_column_once() {
        let column = |name: &str| Column::new(name, SqlType::scalar(BaseType::Text));
        let sorted = [column("a"), column("b")];
        assert!(same_columns(&[column("b"), column("a")], &sorted));
        assert!(!same_columns(&[column("a"), column("a")], &sorted));
        assert!(!same_columns(&[column("a")], &sorted));
        assert!(!same_columns(&[column("b"), column("c")], &sorted));
    }

    /// Items joined as the whole text joins them, cut only where an item starts, every piece but
    /// the last at least [`PIECE`] bytes.
    #[test]
    fn pieces_are_cut_only_where_an_item_starts_and_hold_the_whole_text() {
        // 300 items of 999 bytes: ~300 KB, four pieces of 64 KB or more and the rest.
        let items: Vec<String> = (0..300).map(|n| format!("{n:0>999}")).collect();
        let mut cut = Vec::new();
        let mut pieces = Pieces::new(|piece| cut.push(piece));
        for item in &items {
            pieces.item(item.clone());
        }
        pieces.finish();
        assert_eq!(cut.concat(), format!("{}\n", items.join("\n\n")));
        assert_eq!(cut.len(), 300 * 1001 / 66_000 + 1);
        for (n, piece) in cut.iter().enumerate() {
            assert!(
                items.iter().any(|item| piece.starts_with(item.as_str())),
                "piece {n} starts inside an item"
            );
            if n + 1 < cut.len() {
                assert!(piece.len() >= PIECE, "piece {n} is {} bytes", piece.len());
            }
        }
        let cut_alone = |items: &[&str]| {
            let mut cut = Vec::new();
            let mut pieces = Pieces::new(|piece| cut.push(piece));
            for item in items {
                pieces.item(item.to_string());
            }
            pieces.finish();
            cut
        };
        assert_eq!(cut_alone(&[]), [""]);
        assert_eq!(cut_alone(&["one item"]), ["one item\n"]);
        assert_eq!(cut_alone(&["a", "b"]), ["a\n\nb\n"]);
    }
}
