//! `Catalog` → `.schema` source text, so that a team adopts schemac for an existing database in one
//! command. In: an introspected `Catalog`. Out: `Source` (text and warnings). Pure.
//! The contract is the round trip: parsing and lowering the text gives back the input `Catalog`.
//! So names that are PostgreSQL's defaults use the short forms (`primary`, `unique`, `index`,
//! `references`) and any other name is written explicitly; the `tenancy` block is written only when
//! the database follows its pattern exactly (`tenancy_pattern`); names the language cannot spell
//! are left out with a warning instead of being written wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use self::read_back::ReadBack;
use self::spelling::{default_name, spellable};
use self::tenancy_pattern::TenancyPattern;
use crate::catalog::names;
use crate::catalog::{
    BaseType, Catalog, CheckConstraint, Column, EnumType, FkAction, ForeignKey, Index, IndexKey,
    Policy, Privilege, QualifiedName, Table,
};

/// `.schema` text for a database, and what could not be written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    pub text: String,
    /// One line per object that is left out or will not read back exactly, in output order.
    pub warnings: Vec<String>,
}

/// Writes `catalog` as `.schema` source, with a `tenancy` block when the database follows the
/// tenancy pattern exactly (and it reads back at least as well as plain tables), else with plain
/// tables. The text is compiled and compared with `catalog`; what does not read back is warned of.
pub fn to_source(catalog: &Catalog) -> Source {
    let mut source = written(catalog);
    // Named one by one: the source leaves them out, and no plan touches them.
    source
        .warnings
        .extend(catalog.unmanaged.iter().map(|object| {
            let mut warning = format!(
                "{} `{}` is not managed: the schema language does not declare it; \
                 plans leave it as it is and never drop it",
                object.kind, object.name
            );
            if let Some(note) = &object.note {
                warning.push_str(&format!("; {note}"));
            }
            warning
        }));
    source
}

fn written(catalog: &Catalog) -> Source {
    let plain = write_checked(catalog, None);
    if let Some(pattern) = tenancy_pattern::recognise(catalog) {
        let tenancy = write_checked(catalog, Some(&pattern));
        if let (Some(with_tenancy), Some(without)) =
            (tenancy.read_back.mismatches(), plain.read_back.mismatches())
        {
            if with_tenancy.iter().all(|t| without.contains(t)) {
                return finish(tenancy);
            }
        }
    }
    finish(plain)
}

/// Written source and how it reads back.
struct Checked {
    source: Source,
    read_back: ReadBack,
}

/// Writes, reads back, and where the compiler named a unique constraint, index or check other
/// than the short form assumed (a name collision, an expression key), writes those names out.
fn write_checked(catalog: &Catalog, tenancy: Option<&TenancyPattern>) -> Checked {
    let none = BTreeSet::new();
    let (source, read) = read_back::written_and_read_back(catalog, &|emit| {
        Writer::new(catalog, tenancy, &none).write(emit)
    });
    let explicit = named_differently(catalog, &read);
    if explicit.is_empty() {
        return Checked {
            source,
            read_back: read,
        };
    }
    let (source, read_back) = read_back::written_and_read_back(catalog, &|emit| {
        Writer::new(catalog, tenancy, &explicit).write(emit)
    });
    Checked { source, read_back }
}

/// `(table, name)` of every unique constraint, index and check of `catalog` that the compiled
/// catalog does not have under that name.
fn named_differently(catalog: &Catalog, read: &ReadBack) -> BTreeSet<(QualifiedName, String)> {
    let mut names = BTreeSet::new();
    let ReadBack::Compiled {
        catalog: compiled, ..
    } = read
    else {
        return names;
    };
    for table in &catalog.tables {
        let Some(other) = compiled.table(&table.name) else {
            continue;
        };
        for unique in &table.uniques {
            if !other.uniques.iter().any(|u| u.name == unique.name) {
                names.insert((table.name.clone(), unique.name.clone()));
            }
        }
        for index in &table.indexes {
            if !other.indexes.iter().any(|i| i.name == index.name) {
                names.insert((table.name.clone(), index.name.clone()));
            }
        }
        for check in &table.checks {
            if !other.checks.iter().any(|c| c.name == check.name) {
                names.insert((table.name.clone(), check.name.clone()));
            }
        }
        for fk in &table.foreign_keys {
            if !other.foreign_keys.iter().any(|f| f.name == fk.name) {
                names.insert((table.name.clone(), fk.name.clone()));
            }
        }
    }
    names
}

/// The chosen source, with a warning for every table that does not read back exactly and is not
/// explained by an earlier warning.
fn finish(checked: Checked) -> Source {
    let mut source = checked.source;
    match checked.read_back {
        ReadBack::Invalid(message) => source.warnings.push(format!(
            "the written schema does not compile ({message}); please report this as a bug"
        )),
        ReadBack::Compiled {
            tables,
            enums_differ,
            catalog,
        } => {
            // Freed on a thread of its own: nothing waits for it, and freeing 2,000 tables'
            // small allocations one by one was ~24 M instructions before `introspect` could print.
            drop_aside(catalog);
            for (table, parts) in tables {
                let mentioned = format!("`{table}`");
                if !source.warnings.iter().any(|w| w.contains(&mentioned)) {
                    source.warnings.push(format!(
                        "table `{table}` does not read back exactly: {} differ",
                        parts.join(", ")
                    ));
                }
            }
            if enums_differ && !source.warnings.iter().any(|w| w.starts_with("enum ")) {
                source
                    .warnings
                    .push("the enums do not read back exactly".to_string());
            }
        }
    }
    source
}

/// Drops `value` on a new thread of its own, or here if none can start (the thread's closure,
/// and `value` with it, is then dropped by `spawn`).
fn drop_aside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// Whether `name` is the name PostgreSQL gives the primary key of `table` (and `lower` reproduces):
/// `<table>_pkey`, or `<table>_pkey<N>` when each of `<table>_pkey`, `<table>_pkey1`, ... up to
/// N - 1 is the name of another relation or constraint of the same schema (`ChooseRelationName`).
/// https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/commands/indexcmds.c
fn is_default_pkey_name(catalog: &Catalog, table: &Table, name: &str) -> bool {
    let candidate = |pass: usize| match pass {
        0 => default_name::<&str>(&table.name.name, &[], "pkey"),
        _ => names::make_object_name(&table.name.name, None, Some(&format!("pkey{pass}"))),
    };
    let taken = |candidate: &str| {
        catalog
            .tables
            .iter()
            .filter(|t| t.name.schema == table.name.schema)
            .any(|t| {
                t.name.name == candidate
                    || (t.name != table.name
                        && t.primary_key
                            .as_ref()
                            .is_some_and(|pk| pk.name == candidate))
                    || t.uniques.iter().any(|u| u.name == candidate)
                    || t.indexes.iter().any(|i| i.name == candidate)
                    || t.foreign_keys.iter().any(|f| f.name == candidate)
                    || t.checks.iter().any(|c| c.name == candidate)
            })
    };
    // Numbered candidates, as `ChooseRelationName` tries them; give up well before any real case.
    for pass in 0..100 {
        let this = candidate(pass);
        if this == name {
            return true;
        }
        if !taken(&this) {
            return false;
        }
    }
    false
}

/// The default name of a check as PostgreSQL picks it, and the column it belongs to if it names
/// exactly one.
fn check_default(check: &CheckConstraint, table: &Table) -> (String, Option<String>) {
    let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let column = names::check_column(&check.expr, &columns);
    let name = match &column {
        Some(column) => default_name(&table.name.name, &[column], "check"),
        None => default_name::<&str>(&table.name.name, &[], "check"),
    };
    (name, column)
}

fn action_source(action: FkAction) -> &'static str {
    match action {
        FkAction::NoAction => "no action",
        FkAction::Restrict => "restrict",
        FkAction::Cascade => "cascade",
        FkAction::SetNull => "set null",
        FkAction::SetDefault => "set default",
    }
}

fn fk_rules(fk: &ForeignKey) -> String {
    let mut rules = String::new();
    if fk.on_delete != FkAction::NoAction {
        rules.push_str(" on delete ");
        rules.push_str(action_source(fk.on_delete));
    }
    if fk.on_update != FkAction::NoAction {
        rules.push_str(" on update ");
        rules.push_str(action_source(fk.on_update));
    }
    rules
}

/// A `.schema` string: `"..."` with `"` doubled.
fn string(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

struct Writer<'a> {
    catalog: &'a Catalog,
    tenancy: Option<&'a TenancyPattern>,
    warnings: Vec<String>,
    /// Enums and tables that cannot be written; whatever refers to them is left out too.
    skipped_enums: BTreeSet<QualifiedName>,
    skipped_tables: BTreeSet<QualifiedName>,
    /// Roles named by what was written, declared at the end.
    roles: BTreeSet<String>,
    /// `(table, name)` of objects to write with their name even where it looks like the default.
    explicit: &'a BTreeSet<(QualifiedName, String)>,
}

/// One column line: (doc comment, name, type, attributes).
struct ColumnLine {
    comment: Option<String>,
    name: String,
    ty: String,
    attributes: Vec<String>,
}

impl<'a> Writer<'a> {
    fn new(
        catalog: &'a Catalog,
        tenancy: Option<&'a TenancyPattern>,
        explicit: &'a BTreeSet<(QualifiedName, String)>,
    ) -> Writer<'a> {
        Writer {
            catalog,
            tenancy,
            explicit,
            warnings: Vec::new(),
            skipped_enums: BTreeSet::new(),
            skipped_tables: BTreeSet::new(),
            roles: BTreeSet::new(),
        }
    }

    /// Whether `name` on `table` is written as a default (short form) name.
    fn is_default(&self, table: &Table, name: &str, default: &str) -> bool {
        name == default
            && !self
                .explicit
                .contains(&(table.name.clone(), name.to_string()))
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }

    /// `name` or `ns.name`; `None` when a part cannot be spelt.
    fn qname(name: &QualifiedName) -> Option<String> {
        if !spellable(&name.schema) || !spellable(&name.name) {
            return None;
        }
        Some(if name.schema == "public" {
            name.name.clone()
        } else {
            format!("{}.{}", name.schema, name.name)
        })
    }

    /// Writes the items in order, each handed to `emit` as soon as it is written; returns the
    /// warnings.
    fn write(mut self, emit: &mut dyn FnMut(String)) -> Vec<String> {
        self.find_skipped();
        let extensions = self.check_extensions_and_namespaces();
        if !extensions.is_empty() {
            emit(extensions.join("\n"));
        }
        if let Some(tenancy) = self.tenancy {
            emit(self.tenancy_block(tenancy));
        }
        for enum_type in &self.catalog.enums {
            if !self.skipped_enums.contains(&enum_type.name) {
                emit(self.enum_item(enum_type));
            }
        }
        let sequences: Vec<String> = self
            .catalog
            .sequences
            .iter()
            .filter_map(|s| self.sequence_item(s))
            .collect();
        if !sequences.is_empty() {
            emit(sequences.join("\n"));
        }
        let domains: Vec<String> = self
            .catalog
            .domains
            .iter()
            .filter_map(|d| self.domain_item(d))
            .collect();
        if !domains.is_empty() {
            emit(domains.join("\n"));
        }
        for table in &self.catalog.tables {
            if !self.skipped_tables.contains(&table.name) {
                emit(self.table_item(table));
            }
        }
        // Views after the tables, each after the views it reads (the order they can be created).
        for view in crate::catalog::views::creation_order(&self.catalog.views) {
            if let Some(item) = self.view_item(view) {
                emit(item);
            }
        }
        for function in &self.catalog.functions {
            if let Some(item) = self.function_item(function) {
                emit(item);
            }
        }
        let grants = self.grant_items();
        let roles: Vec<String> = self.roles.iter().map(|r| format!("role {r}")).collect();
        if !roles.is_empty() {
            emit(roles.join("\n"));
        }
        if !grants.is_empty() {
            emit(grants.join("\n"));
        }
        self.warnings
    }

    /// `sequence name [options]`, each option only where it is not PostgreSQL's default.
    fn sequence_item(&mut self, sequence: &crate::catalog::Sequence) -> Option<String> {
        let Some(name) = Self::qname(&sequence.name) else {
            self.warn(format!(
                "sequence `{}` is left out: the schema language cannot spell its name",
                sequence.name
            ));
            return None;
        };
        let mut text = format!("sequence {name}");
        let (type_min, type_max) = sequence
            .ty
            .base
            .integer_range()
            .unwrap_or((i64::MIN, i64::MAX));
        match sequence.ty.base {
            BaseType::SmallInt => text.push_str(" as smallint"),
            BaseType::Integer => text.push_str(" as int"),
            _ => {}
        }
        let ascending = sequence.increment > 0;
        let default_min = if ascending { 1 } else { type_min };
        let default_max = if ascending { type_max } else { -1 };
        let default_start = if ascending {
            sequence.min
        } else {
            sequence.max
        };
        if sequence.start != default_start {
            let _ = write!(text, " start {}", sequence.start);
        }
        if sequence.increment != 1 {
            let _ = write!(text, " increment {}", sequence.increment);
        }
        if sequence.min != default_min {
            let _ = write!(text, " minvalue {}", sequence.min);
        }
        if sequence.max != default_max {
            let _ = write!(text, " maxvalue {}", sequence.max);
        }
        if sequence.cache != 1 {
            let _ = write!(text, " cache {}", sequence.cache);
        }
        if sequence.cycle {
            text.push_str(" cycle");
        }
        Some(text)
    }

    fn find_skipped(&mut self) {
        for enum_type in &self.catalog.enums {
            if Self::qname(&enum_type.name).is_none() {
                self.warn(format!(
                    "enum `{}` is left out: the schema language cannot spell its name",
                    enum_type.name
                ));
                self.skipped_enums.insert(enum_type.name.clone());
            } else if enum_type.values.iter().any(|v| v.contains(['\n', '\r'])) {
                self.warn(format!(
                    "enum `{}` is left out: a value contains a line break",
                    enum_type.name
                ));
                self.skipped_enums.insert(enum_type.name.clone());
            }
        }
        for table in &self.catalog.tables {
            if Self::qname(&table.name).is_none() {
                self.warn(format!(
                    "table `{}` is left out: the schema language cannot spell its name",
                    table.name
                ));
                self.skipped_tables.insert(table.name.clone());
            }
        }
    }

    /// `extension` items for the extensions, and warnings for what cannot be written.
    fn check_extensions_and_namespaces(&mut self) -> Vec<String> {
        let mut items = Vec::new();
        let uses_citext = self
            .catalog
            .tables
            .iter()
            .flat_map(|t| &t.columns)
            .any(|c| c.ty.base == BaseType::Citext);
        for extension in &self.catalog.extensions {
            let schema = self.catalog.extension_schemas.get(extension);
            // A citext column declares the extension itself (in the default schema).
            if extension == "citext" && uses_citext && schema.is_none() {
                continue;
            }
            let name_ok = extension
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && extension
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !name_ok || schema.is_some_and(|s| !spellable(s)) {
                self.warn(format!(
                    "extension `{extension}` is not written: the schema language cannot spell its \
                     name or schema; keep creating it outside schemac"
                ));
                continue;
            }
            items.push(match schema {
                Some(schema) => format!("extension {extension} schema {schema}"),
                None => format!("extension {extension}"),
            });
        }
        for namespace in &self.catalog.namespaces {
            let used = self
                .catalog
                .tables
                .iter()
                .any(|t| &t.name.schema == namespace)
                || self
                    .catalog
                    .enums
                    .iter()
                    .any(|e| &e.name.schema == namespace)
                || self
                    .catalog
                    .extension_schemas
                    .values()
                    .any(|s| s == namespace)
                || self
                    .catalog
                    .sequences
                    .iter()
                    .any(|s| &s.name.schema == namespace)
                || self
                    .catalog
                    .views
                    .iter()
                    .any(|v| &v.name.schema == namespace)
                || self.routines_use_schema(namespace);
            if !used {
                self.warn(format!(
                    "schema `{namespace}` is not written: it holds no table or enum"
                ));
            }
        }
        items
    }

    fn tenancy_block(&mut self, tenancy: &TenancyPattern) -> String {
        let mut lines = vec![
            format!(
                "  root    {}",
                Self::qname(&tenancy.root).unwrap_or_default()
            ),
            format!("  column  {}", tenancy.column),
            format!("  setting {}", string(&tenancy.setting)),
        ];
        if let Some(bypass) = &tenancy.bypass {
            lines.push(format!("  bypass  {bypass}"));
            self.roles.insert(bypass.clone());
        }
        // Fill triggers are schemac's own objects, never written as source: only the setting says
        // whether there are any. A database without one, whose tenant tables reach a parent through
        // a foreign key (where `fill on` would add them), says `fill off`.
        let could_fill = tenancy.tenant_tables.iter().any(|name| {
            self.catalog.table(name).is_some_and(|table| {
                table.foreign_keys.iter().any(|fk| {
                    fk.referenced_table != tenancy.root
                        && fk.referenced_table != table.name
                        && fk.columns.iter().any(|c| c != &tenancy.column)
                })
            })
        });
        if could_fill && self.catalog.fill_triggers.is_empty() {
            lines.push("  fill    off".to_string());
        }
        format!("tenancy {{\n{}\n}}", lines.join("\n"))
    }

    fn doc_comment(comment: &str, indent: &str) -> String {
        comment
            .lines()
            .map(|line| {
                if line.is_empty() {
                    format!("{indent}///\n")
                } else {
                    format!("{indent}/// {line}\n")
                }
            })
            .collect()
    }

    fn enum_item(&mut self, enum_type: &EnumType) -> String {
        let values: Vec<String> = enum_type
            .values
            .iter()
            .map(|v| if spellable(v) { v.clone() } else { string(v) })
            .collect();
        let mut text = enum_type
            .comment
            .as_deref()
            .map(|c| Self::doc_comment(c, ""))
            .unwrap_or_default();
        let name = Self::qname(&enum_type.name).unwrap_or_default();
        let _ = write!(text, "enum {name} {{ {} }}", values.join(", "));
        text
    }

    /// Why a column cannot be written, if it cannot.
    fn column_problem(&self, column: &Column) -> Option<&'static str> {
        if !spellable(&column.name) {
            return Some("the schema language cannot spell its name");
        }
        if let BaseType::Enum(name) = &column.ty.base {
            if self.skipped_enums.contains(name) {
                return Some("its enum type is left out");
            }
        }
        if let BaseType::Other(text) = &column.ty.base {
            if text.contains(['\n', '\r']) {
                return Some("its type cannot be written");
            }
        }
        None
    }

    fn column_type(column: &Column) -> String {
        if let Some(serial) = column.ty.base.serial_name() {
            if column.serial && !column.ty.array {
                return serial.to_string();
            }
        }
        let mut ty = column.ty.source();
        if column.nullable {
            ty.push('?');
        }
        ty
    }

    /// `references t[(col)]`, as written on a column.
    /// `references t[(col)] [name NAME] [rules]`; `named`: write the key's own name.
    fn references(&self, fk: &ForeignKey, referenced_column: &str, named: bool) -> Option<String> {
        let target = Self::qname(&fk.referenced_table)?;
        let pk_is_column = self
            .catalog
            .table(&fk.referenced_table)
            .and_then(|t| t.primary_key.as_ref())
            .is_some_and(|pk| pk.columns == [referenced_column.to_string()]);
        let mut text = format!("references {target}");
        if !pk_is_column {
            let _ = write!(text, "({referenced_column})");
        }
        if named {
            let _ = write!(text, " name {}", fk.name);
        }
        text.push_str(&fk_rules(fk));
        Some(text)
    }

    /// `backfill <column> from <fk column>` where the table's fill trigger follows a foreign key
    /// that the shortest-path rule would not choose by itself (two equally short paths, or a
    /// longer one): the trigger's `UPDATE OF` columns say which key it follows.
    fn fill_path_entry(&self, table: &Table, column: &str) -> Option<String> {
        use crate::catalog::backfill_path::{self, PathSearch};
        let trigger = self
            .catalog
            .fill_triggers
            .iter()
            .find(|t| t.table == table.name)?;
        let [fk_column] = trigger.update_of.as_slice() else {
            return None;
        };
        let chosen = match backfill_path::find(self.catalog, &table.name, column) {
            PathSearch::Found(path) => path
                .first()
                .is_some_and(|hop| hop.child_columns == trigger.update_of),
            PathSearch::Ambiguous(_) | PathSearch::NotFound => false,
        };
        (!chosen).then(|| format!("backfill {column} from {fk_column}"))
    }

    /// `[materialized] view name [with (options)] as (query) [{ indexes }]`, the query as the
    /// server prints it.
    fn view_item(&mut self, view: &crate::catalog::View) -> Option<String> {
        let Some(name) = Self::qname(&view.name) else {
            self.warn(format!(
                "{} `{}` is left out: the schema language cannot spell its name",
                view.kind(),
                view.name
            ));
            return None;
        };
        let mut text = String::new();
        if view.materialized {
            text.push_str("materialized ");
        }
        let _ = write!(text, "view {name}");
        if !view.options.is_empty() {
            let _ = write!(text, " with ({})", view.options.join(", "));
        }
        let query: Vec<String> = view
            .definition
            .trim_end()
            .lines()
            .map(|line| format!("  {line}"))
            .collect();
        let _ = write!(text, " as (\n{}\n)", query.join("\n"));
        if view.materialized && !view.indexes.is_empty() {
            let table = Table::new(view.name.clone());
            let entries: Vec<String> = view
                .indexes
                .iter()
                .filter_map(|index| self.index_entry(&table, index, &BTreeSet::new()))
                .collect();
            text.push_str(" {\n");
            for entry in entries {
                let _ = writeln!(text, "  {entry}");
            }
            text.push('}');
        }
        Some(text)
    }

    fn index_entry(
        &mut self,
        table: &Table,
        index: &Index,
        skipped_columns: &BTreeSet<String>,
    ) -> Option<String> {
        let problem = if !spellable(&index.name) || !spellable(&index.method) {
            Some("the schema language cannot spell its name")
        } else if index.keys.iter().any(|k| match k {
            IndexKey::Column(c) => skipped_columns.contains(c) || !spellable(c),
            IndexKey::Expr(e) => e.contains(['\n', '\r']),
        }) || index
            .options
            .include
            .iter()
            .any(|c| skipped_columns.contains(c) || !spellable(c))
        {
            Some("it names a column left out")
        } else {
            None
        };
        if let Some(problem) = problem {
            self.warn(format!(
                "index `{}` of `{}` is left out: {problem}",
                index.name, table.name
            ));
            return None;
        }
        let keys: Vec<String> = index
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| match k {
                IndexKey::Column(c) | IndexKey::Expr(c) => {
                    crate::model::index_keys::source_text(c, &index.options.key(i))
                }
            })
            .collect();
        let default = self.is_default(
            table,
            &index.name,
            &default_name(&table.name.name, &names::index_name_columns(index), "idx"),
        );
        let kind = if index.unique {
            "unique index"
        } else {
            "index"
        };
        let mut entry = if default {
            format!("{kind} ({})", keys.join(", "))
        } else {
            format!("{kind} {} ({})", index.name, keys.join(", "))
        };
        if index.method != "btree" {
            let _ = write!(entry, " using {}", index.method);
        }
        if !index.options.include.is_empty() {
            let _ = write!(entry, " include ({})", index.options.include.join(", "));
        }
        if index.options.nulls_not_distinct {
            entry.push_str(" nulls not distinct");
        }
        if let Some(predicate) = &index.predicate {
            let _ = write!(entry, " where ({predicate})");
        }
        Some(entry)
    }

    fn foreign_key_entry(
        &mut self,
        table: &Table,
        fk: &ForeignKey,
        skipped_columns: &BTreeSet<String>,
    ) -> Option<String> {
        let target = Self::qname(&fk.referenced_table);
        let referenced_ok = fk.referenced_columns.iter().all(|c| spellable(c));
        let Some(target) = target
            .filter(|_| !self.skipped_tables.contains(&fk.referenced_table))
            .filter(|_| referenced_ok && fk.columns.iter().all(|c| !skipped_columns.contains(c)))
        else {
            self.warn(format!(
                "foreign key `{}` of `{}` is left out: it names a table or column left out",
                fk.name, table.name
            ));
            return None;
        };
        let columns: Vec<&str> = fk.columns.iter().map(String::as_str).collect();
        let default = default_name(&table.name.name, &columns, "fkey");
        let named = !self.is_default(table, &fk.name, &default);
        if named && !spellable(&fk.name) {
            self.warn(format!(
                "foreign key `{}` of `{}` cannot be named in the schema language; it reads back \
                 as `{default}`",
                fk.name, table.name
            ));
        }
        if !fk.on_delete_columns.is_empty() {
            self.warn(format!(
                "foreign key `{}` of `{}` sets only ({}) on delete; the schema language says that \
                 only for tenant tables, so it reads back setting every column",
                fk.name,
                table.name,
                fk.on_delete_columns.join(", ")
            ));
        }
        let name = if named && spellable(&fk.name) {
            format!(" {}", fk.name)
        } else {
            String::new()
        };
        Some(format!(
            "foreign key{name} ({}) references {target} ({}){}",
            columns.join(", "),
            fk.referenced_columns.join(", "),
            fk_rules(fk)
        ))
    }

    /// `partition by ...` and one `partition` entry per partition (in name order).
    fn partition_entries(
        &mut self,
        table: &Table,
        partitioning: &crate::catalog::Partitioning,
    ) -> Vec<String> {
        use crate::catalog::PartitionBound;
        let mut entries = vec![format!(
            "partition by {} ({})",
            partitioning.strategy.source(),
            partitioning.keys
        )];
        let Some(partitions) = &partitioning.partitions else {
            entries.push("partitions unmanaged".to_string());
            return entries;
        };
        let mut partitions: Vec<_> = partitions.iter().collect();
        partitions.sort_by(|a, b| a.name.cmp(&b.name));
        for partition in partitions {
            if partition.name.schema != table.name.schema {
                self.warn(format!(
                    "partition `{}` of `{}` is in another schema; the schema language puts \
                     partitions in their table's schema, so it is left out",
                    partition.name, table.name
                ));
                continue;
            }
            if partition.subpartitioned {
                self.warn(format!(
                    "partition `{}` of `{}` is itself partitioned; the schema language cannot say \
                     that, so it is written as a plain partition and its own partitions are left out",
                    partition.name, table.name
                ));
            }
            let bound = match &partition.bound {
                PartitionBound::Range { from, to } => {
                    format!("from ({}) to ({})", from.join(", "), to.join(", "))
                }
                PartitionBound::List(values) => format!("in ({})", values.join(", ")),
                PartitionBound::Hash { modulus, remainder } => {
                    format!("with (modulus {modulus}, remainder {remainder})")
                }
                PartitionBound::Default => "default".to_string(),
            };
            entries.push(format!("partition {} {bound}", partition.name.name));
        }
        entries
    }

    fn policy_entry(&mut self, table: &Table, policy: &Policy) -> Option<String> {
        if !spellable(&policy.name) || policy.roles.iter().any(|r| !spellable(r)) {
            self.warn(format!(
                "policy `{}` of `{}` is left out: the schema language cannot spell its name or roles",
                policy.name, table.name
            ));
            return None;
        }
        let command = policy.command.sql().to_lowercase();
        let mut entry = format!("policy {} for {command}", policy.name);
        if !policy.roles.is_empty() {
            let _ = write!(entry, " to {}", policy.roles.join(", "));
            self.roles.extend(policy.roles.iter().cloned());
        }
        if let Some(using) = &policy.using {
            let _ = write!(entry, " using ({using})");
        }
        if let Some(check) = &policy.with_check {
            let _ = write!(entry, " with check ({check})");
        }
        Some(entry)
    }

    /// `grant p, q on a, b to role`: one line per role and privilege set, its tables in order.
    fn grant_items(&mut self) -> Vec<String> {
        let mut by_role: BTreeMap<(String, Vec<Privilege>), Vec<String>> = BTreeMap::new();
        for table in &self.catalog.tables {
            if self.skipped_tables.contains(&table.name) {
                continue;
            }
            let mut privileges: BTreeMap<&str, Vec<Privilege>> = BTreeMap::new();
            for grant in &table.grants {
                privileges
                    .entry(grant.role.as_str())
                    .or_default()
                    .push(grant.privilege);
            }
            for (role, mut privileges) in privileges {
                if !spellable(role) {
                    self.warn(format!(
                        "grants on `{}` to `{role}` are left out: the schema language cannot \
                         spell the role",
                        table.name
                    ));
                    continue;
                }
                privileges.sort();
                privileges.dedup();
                let name = Self::qname(&table.name).unwrap_or_default();
                by_role
                    .entry((role.to_string(), privileges))
                    .or_default()
                    .push(name);
            }
        }
        by_role
            .into_iter()
            .map(|((role, privileges), tables)| {
                if role != "public" {
                    self.roles.insert(role.clone());
                }
                let privileges: Vec<String> =
                    privileges.iter().map(|p| p.sql().to_lowercase()).collect();
                format!(
                    "grant {} on {} to {role}",
                    privileges.join(", "),
                    tables.join(", ")
                )
            })
            .collect()
    }
}

mod read_back;
mod routines;
mod spelling;
mod table;
mod tenancy_pattern;
#[cfg(test)]
mod tests;
