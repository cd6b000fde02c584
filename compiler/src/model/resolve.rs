//! ASTs → `Model`: binds every name (tables, columns, enums, the tenancy root), normalises types,
//! and reports everything that parses but cannot be created — in every file, not only the first
//! problem. Nothing PostgreSQL would default is applied here (see `catalog::lower`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use foldhash::fast::FixedState;

use super::types;
use super::*;
use crate::diagnostics::{suggest, Diagnostic};
use crate::source::Span;
use crate::syntax::ast;
use crate::vocab::{self, BaseType, Identity};

mod routines;
pub(crate) use routines::domain_type_name;

/// Column attribute keywords, which may also be column names.
const ATTRIBUTE_WORDS: &[&str] = &[
    "primary",
    "unique",
    "index",
    "default",
    "references",
    "check",
    "renamed",
    "using",
    "backfill",
    "generated",
];

/// PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1).
pub const MAX_NAME_BYTES: usize = 63;

/// Resolves the ASTs of every file of a schema (in file order) into one `Model`.
/// The model is complete only when no diagnostic is an error.
pub fn resolve(files: &[ast::File]) -> (Model, Vec<Diagnostic>) {
    let mut resolver = Resolver::default();
    resolver.run(files);
    // Report in reading order (files, then position), whatever check found the problem first.
    let mut diagnostics = resolver.diagnostics;
    diagnostics.sort_by_key(|d| d.span().map(|s| (s.file, s.start)));
    (resolver.model, diagnostics)
}

/// `ns.name` as a `QualifiedName` (`public` by default).
pub(crate) fn qualified(name: &ast::QualName) -> QualifiedName {
    QualifiedName::new(
        name.schema.as_ref().map_or("public", |s| s.name.as_str()),
        name.name.name.clone(),
    )
}

/// A name as users write it: `users`, or `app.users` outside `public`.
pub(crate) fn display_name(name: &QualifiedName) -> String {
    if name.schema == "public" {
        name.name.clone()
    } else {
        format!("{}.{}", name.schema, name.name)
    }
}

#[derive(Default)]
struct Resolver {
    model: Model,
    diagnostics: Vec<Diagnostic>,
    /// Where each table was declared, by name.
    table_ids: BTreeMap<QualifiedName, TableId>,
    enum_spans: BTreeMap<QualifiedName, Span>,
}

/// A list of columns written somewhere (a key, an index), before the names are checked.
struct KeyRef<'a> {
    name: Option<&'a ast::Ident>,
    columns: Vec<&'a ast::Ident>,
    nulls_not_distinct: bool,
    span: Span,
}

/// One index key with its options split off (`model::index_keys`).
enum KeyPart {
    Column(ast::Ident),
    Expr(String),
}

struct IndexRef<'a> {
    unique: bool,
    name: Option<&'a ast::Ident>,
    keys: Vec<KeyPart>,
    /// One per key.
    key_options: Vec<vocab::KeyOptions>,
    include: Vec<&'a ast::Ident>,
    nulls_not_distinct: bool,
    method: Option<&'a ast::Ident>,
    predicate: Option<&'a ast::Expr>,
    span: Span,
}

struct ForeignKeyRef<'a> {
    name: Option<&'a ast::Ident>,
    columns: Vec<&'a ast::Ident>,
    table: &'a ast::QualName,
    referenced: Option<Vec<&'a ast::Ident>>,
    on_delete: vocab::FkAction,
    on_update: vocab::FkAction,
    /// Where the `on delete` rule is, for the set-null warning.
    on_delete_span: Option<Span>,
    span: Span,
}

/// What a table declares, gathered from columns and table-level entries, before binding.
#[derive(Default)]
struct Pending<'a> {
    primary_keys: Vec<KeyRef<'a>>,
    uniques: Vec<KeyRef<'a>>,
    indexes: Vec<IndexRef<'a>>,
    checks: Vec<(Option<&'a ast::Ident>, &'a ast::Expr, Span)>,
    foreign_keys: Vec<ForeignKeyRef<'a>>,
    backfills: Vec<(&'a ast::Ident, &'a ast::BackfillSource, Span)>,
    policies: Vec<&'a ast::PolicyDef>,
    policy_spans: Vec<Span>,
}

fn fk_action(action: ast::FkAction) -> vocab::FkAction {
    match action {
        ast::FkAction::Cascade => vocab::FkAction::Cascade,
        ast::FkAction::Restrict => vocab::FkAction::Restrict,
        ast::FkAction::SetNull => vocab::FkAction::SetNull,
        ast::FkAction::SetDefault => vocab::FkAction::SetDefault,
        ast::FkAction::NoAction => vocab::FkAction::NoAction,
    }
}

fn rules(rules: &[ast::FkRule]) -> (vocab::FkAction, vocab::FkAction, Option<Span>) {
    let mut on_delete = vocab::FkAction::NoAction;
    let mut on_update = vocab::FkAction::NoAction;
    let mut on_delete_span = None;
    for rule in rules {
        match rule.event {
            ast::FkEvent::Delete => {
                on_delete = fk_action(rule.action);
                on_delete_span = Some(rule.span);
            }
            ast::FkEvent::Update => on_update = fk_action(rule.action),
        }
    }
    (on_delete, on_update, on_delete_span)
}

fn trimmed(expr: &ast::Expr) -> String {
    expr.text.trim().to_string()
}

/// An index key as written, split into the key and its operator class and order.
fn key_part(key: &ast::IndexKey) -> (KeyPart, vocab::KeyOptions) {
    match key {
        ast::IndexKey::Column(c) => (KeyPart::Column(c.clone()), vocab::KeyOptions::default()),
        ast::IndexKey::Expr(e) => {
            let split = super::index_keys::split(&e.text);
            let part = if split.column {
                let start = e.span.start as usize + (e.text.len() - e.text.trim_start().len());
                KeyPart::Column(ast::Ident {
                    name: split.key.to_string(),
                    span: Span::new(e.span.file, start, start + split.key.len()),
                })
            } else {
                KeyPart::Expr(split.key.to_string())
            };
            (part, split.options)
        }
    }
}

impl Resolver {
    fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn check_length_into(&self, name: &str, at: Span, diagnostics: &mut Vec<Diagnostic>) {
        if name.len() > MAX_NAME_BYTES {
            diagnostics.push(Diagnostic::name_too_long(name, at));
        }
    }

    fn check_length(&mut self, name: &str, at: Span) {
        if name.len() > MAX_NAME_BYTES {
            self.error(Diagnostic::name_too_long(name, at));
        }
    }

    fn run(&mut self, files: &[ast::File]) {
        let mut tenancy_blocks: Vec<&ast::Tenancy> = Vec::new();
        let mut tables: Vec<&ast::TableDef> = Vec::new();
        for file in files {
            for item in &file.items {
                match item {
                    ast::Item::Tenancy(block) => {
                        if let Some(first) = tenancy_blocks.first() {
                            self.error(Diagnostic::duplicate_tenancy(block.span, first.span));
                        }
                        tenancy_blocks.push(block);
                    }
                    ast::Item::Enum(def) => self.enum_def(def),
                    ast::Item::Table(def) => tables.push(def),
                    ast::Item::Role(def) => {
                        for name in &def.names {
                            self.check_length(&name.name, name.span);
                            if !self.model.roles.iter().any(|r| r.name == name.name) {
                                self.model.roles.push(Role {
                                    name: name.name.clone(),
                                    span: name.span,
                                });
                            }
                        }
                    }
                    ast::Item::Grant(_) => {}
                    ast::Item::Sequence(def) => self.sequence_def(def),
                    ast::Item::View(def) => self.view_def(def),
                    ast::Item::Routine(def) => self.routine_def(def),
                    ast::Item::Domain(def) => self.domain_def(def),
                    ast::Item::Extension(def) => {
                        if !self
                            .model
                            .extensions
                            .iter()
                            .any(|e| e.name == def.name.name)
                        {
                            self.model.extensions.push(Extension {
                                name: def.name.name.clone(),
                                schema: def.schema.as_ref().map(|s| s.name.clone()),
                                span: def.span,
                            });
                        }
                    }
                }
            }
        }

        // Tables: names first, so that references can point forward and across files.
        let mut accepted: Vec<&ast::TableDef> = Vec::new();
        for def in tables {
            let name = qualified(&def.name);
            self.check_length(&name.name, def.name.name.span);
            if let Some(&first) = self.table_ids.get(&name) {
                let first_span = self.model.tables[first.0 as usize].name_span;
                self.error(Diagnostic::duplicate_table(
                    &def.name.text(),
                    def.name.span,
                    first_span,
                ));
                continue;
            }
            let id = TableId(self.model.tables.len() as u32);
            self.table_ids.insert(name.clone(), id);
            self.model.tables.push(Table {
                id,
                name,
                kind: match def.kind {
                    ast::TableKind::Plain => vocab::TableKind::Plain,
                    ast::TableKind::Tenant => vocab::TableKind::Tenant,
                    ast::TableKind::Global => vocab::TableKind::Global,
                },
                doc: def.doc.as_ref().map(|d| d.text.clone()),
                renamed_from: def.renamed_from.as_ref().map(qualified),
                columns: Vec::new(),
                primary_key: None,
                uniques: Vec::new(),
                indexes: Vec::new(),
                checks: Vec::new(),
                foreign_keys: Vec::new(),
                policies: Vec::new(),
                row_level_security: None,
                partitioning: None,
                span: def.span,
                name_span: def.name.span,
            });
            accepted.push(def);
        }

        let mut pending: Vec<Pending<'_>> = Vec::new();
        for (index, def) in accepted.iter().enumerate() {
            pending.push(self.table_columns(index, def));
        }

        // The tenancy needs the root's primary key; the tenant columns need the tenancy.
        let tenancy = tenancy_blocks.first().and_then(|block| {
            tenancy::resolve_block(
                block,
                &self.model.tables,
                &self.table_ids,
                &mut self.diagnostics,
            )
        });
        match &tenancy {
            Some(tenancy) => {
                tenancy::add_tenant_columns(&mut self.model.tables, tenancy, &mut self.diagnostics)
            }
            None if tenancy_blocks.is_empty() => {
                let orphans: Vec<(String, Span)> = self
                    .model
                    .tables
                    .iter()
                    .filter(|t| t.kind == vocab::TableKind::Tenant)
                    .map(|t| (display_name(&t.name), t.name_span))
                    .collect();
                for (name, span) in orphans {
                    self.error(Diagnostic::tenant_table_without_tenancy(&name, span));
                }
            }
            // A broken tenancy block was reported; do not blame every tenant table for it.
            None => {}
        }
        self.model.tenancy = tenancy;

        for (index, pending) in pending.iter().enumerate() {
            self.bind_keys(index, pending);
        }
        for table in &self.model.tables {
            let display = display_name(&table.name);
            super::partitions::check_keys(table, &display, &mut self.diagnostics);
        }
        for (index, pending) in pending.iter().enumerate() {
            self.bind_foreign_keys(index, pending);
        }
        for (index, pending) in pending.iter().enumerate() {
            self.bind_backfills(index, pending);
            self.bind_policies(index, pending);
        }
        for file in files {
            for item in &file.items {
                if let ast::Item::Grant(grant) = item {
                    self.grant(grant);
                }
            }
        }
        self.check_relation_names(&pending);
        self.check_triggers();
    }

    /// A `view` item: its query is checked by the server (canonicalisation), not here; a plain view
    /// has no indexes; a name is declared once.
    fn view_def(&mut self, def: &ast::ViewDef) {
        let name = qualified(&def.name);
        self.check_length(&name.name, def.name.name.span);
        if let Some(first) = self.model.views.iter().find(|v| v.name == name) {
            let first = first.span;
            self.error(Diagnostic::duplicate_view(
                &def.name.text(),
                def.name.span,
                first,
            ));
            return;
        }
        if def.query.text.trim().is_empty() {
            self.error(Diagnostic::empty_view_query(
                &def.name.text(),
                def.query.span,
            ));
            return;
        }
        if !def.materialized && def.indexes.is_some() {
            self.error(Diagnostic::view_with_indexes(&def.name.text(), def.span));
            return;
        }
        let mut options: Vec<String> = def
            .options
            .iter()
            .map(|o| match o.name.split_once('=') {
                Some((key, value)) => format!("{}={}", key.to_lowercase(), value.to_lowercase()),
                None => format!("{}=true", o.name.to_lowercase()),
            })
            .collect();
        options.sort();
        let indexes = def
            .indexes
            .iter()
            .flatten()
            .zip(&def.index_spans)
            .map(|(index, span)| Index {
                unique: index.unique,
                name: index.name.as_ref().map(|n| n.name.clone()),
                keys: index
                    .keys
                    .iter()
                    .map(|k| match key_part(k).0 {
                        KeyPart::Column(c) => vocab::IndexKey::Column(c.name),
                        KeyPart::Expr(e) => vocab::IndexKey::Expr(e.trim().to_string()),
                    })
                    .collect(),
                options: vocab::IndexOptions::new(
                    index.keys.iter().map(|k| key_part(k).1).collect(),
                    index.include.iter().map(|c| c.name.clone()).collect(),
                    index.nulls_not_distinct,
                ),
                method: index.method.as_ref().map(|m| m.name.clone()),
                predicate: index.predicate.as_ref().map(trimmed),
                span: *span,
            })
            .collect();
        self.model.views.push(View {
            name,
            materialized: def.materialized,
            options,
            query: trimmed(&def.query),
            indexes,
            span: def.span,
        });
    }

    /// A `sequence` item with PostgreSQL's defaults for what it does not say (CREATE SEQUENCE: an
    /// ascending one runs from 1 to its type's maximum, a descending one from -1 down to its minimum,
    /// and starts at the end it moves away from).
    /// https://www.postgresql.org/docs/current/sql-createsequence.html
    fn sequence_def(&mut self, def: &ast::SequenceDef) {
        let name = qualified(&def.name);
        self.check_length(&name.name, def.name.name.span);
        if self.model.sequences.iter().any(|s| s.name == name) {
            return;
        }
        let mut ty = BaseType::BigInt;
        let (mut start, mut increment, mut min, mut max, mut cache, mut cycle) =
            (None, 1, None, None, 1, false);
        for option in &def.options {
            match option {
                ast::SequenceOption::As(written) => {
                    // The integer types by any of their names, as a column type reads them.
                    ty = match types::builtin(&written.name, &[]) {
                        Some(Ok((
                            base @ (BaseType::SmallInt | BaseType::Integer | BaseType::BigInt),
                            false,
                        ))) => base,
                        _ => {
                            self.error(Diagnostic::invalid_type_arguments(
                                &written.name,
                                "a sequence is `smallint`, `int` or `bigint`",
                                written.span,
                            ));
                            BaseType::BigInt
                        }
                    }
                }
                ast::SequenceOption::Start(n) => start = Some(*n),
                ast::SequenceOption::Increment(n) => increment = *n,
                ast::SequenceOption::MinValue(n) => min = Some(*n),
                ast::SequenceOption::MaxValue(n) => max = Some(*n),
                ast::SequenceOption::Cache(n) => cache = *n,
                ast::SequenceOption::Cycle => cycle = true,
            }
        }
        let (type_min, type_max) = ty.integer_range().unwrap_or((i64::MIN, i64::MAX));
        let ascending = increment > 0;
        let min = min.unwrap_or(if ascending { 1 } else { type_min });
        let max = max.unwrap_or(if ascending { type_max } else { -1 });
        let start = start.unwrap_or(if ascending { min } else { max });
        self.model.sequences.push(Sequence {
            name,
            ty,
            start,
            increment,
            min,
            max,
            cache,
            cycle,
            span: def.span,
        });
    }

    fn enum_def(&mut self, def: &ast::EnumDef) {
        let name = qualified(&def.name);
        self.check_length(&name.name, def.name.name.span);
        if let Some(&first) = self.enum_spans.get(&name) {
            self.error(Diagnostic::duplicate_enum(
                &def.name.text(),
                def.name.span,
                first,
            ));
            return;
        }
        self.enum_spans.insert(name.clone(), def.name.span);
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        let mut values = Vec::new();
        for value in &def.values {
            if let Some(first) = seen.get(value.value.as_str()) {
                self.error(Diagnostic::duplicate_enum_value(
                    &def.name.text(),
                    &value.value,
                    value.span,
                    *first,
                ));
                continue;
            }
            if value.value.len() > MAX_NAME_BYTES {
                self.error(Diagnostic::enum_value_too_long(&value.value, value.span));
            }
            seen.insert(&value.value, value.span);
            values.push(value.value.clone());
        }
        self.model.enums.push(Enum {
            name,
            values,
            doc: def.doc.as_ref().map(|d| d.text.clone()),
            renamed_from: def.renamed_from.as_ref().map(qualified),
            span: def.span,
        });
    }

    /// Resolves a column type; `None` after reporting an unknown type or bad arguments.
    fn column_type(&mut self, ty: &ast::TypeRef) -> Option<(SqlType, bool)> {
        let (base, serial, array) = match &ty.name {
            ast::TypeName::Quoted(text) => types::quoted(&text.value),
            ast::TypeName::Named { name, args } => {
                let builtin = if name.schema.is_none() {
                    types::builtin(&name.name.name, args)
                } else {
                    None
                };
                match builtin {
                    Some(Ok((base, serial))) => (base, serial, false),
                    Some(Err(reason)) => {
                        self.error(Diagnostic::invalid_type_arguments(
                            &ty.name.text(),
                            reason,
                            ty.span,
                        ));
                        return None;
                    }
                    None => {
                        let enum_name = qualified(name);
                        if let Some(domain) = self.domain_type(&enum_name) {
                            return Some((domain, false));
                        }
                        if !self.enum_spans.contains_key(&enum_name) {
                            let mut candidates: Vec<String> =
                                types::BUILTIN_NAMES.iter().map(|s| s.to_string()).collect();
                            candidates.extend(self.enum_spans.keys().map(display_name));
                            let closest = suggest::closest(
                                &name.text(),
                                candidates.iter().map(String::as_str),
                            );
                            self.error(Diagnostic::unknown_type(&name.text(), name.span, closest));
                            return None;
                        }
                        if !args.is_empty() {
                            self.error(Diagnostic::invalid_type_arguments(
                                &ty.name.text(),
                                "an enum takes no arguments",
                                ty.span,
                            ));
                            return None;
                        }
                        (BaseType::Enum(enum_name), false, false)
                    }
                }
            }
        };
        let array = array || ty.array;
        if serial && array {
            self.error(Diagnostic::serial_array(ty.span));
            return None;
        }
        Some((SqlType { base, array }, serial))
    }

    /// Columns of one table, and everything its entries declare, still unbound.
    fn table_columns<'a>(&mut self, index: usize, def: &'a ast::TableDef) -> Pending<'a> {
        let mut pending = Pending::default();
        // At its exact size: the model of every table lives as long as the run.
        let column_count = def
            .entries
            .iter()
            .filter(|e| matches!(e.kind, ast::TableEntryKind::Column(_)))
            .count();
        let mut columns: Vec<Column> = Vec::with_capacity(column_count);
        let mut column_spans: HashMap<&str, Span, FixedState> =
            HashMap::with_capacity_and_hasher(column_count, FixedState::default());
        let table_name = display_name(&self.model.tables[index].name);
        let mut row_level_security = None;
        for entry in &def.entries {
            match &entry.kind {
                ast::TableEntryKind::Trigger(trigger) => {
                    let table = self.model.tables[index].name.clone();
                    self.trigger_entry(&table, trigger, entry.span);
                }
                ast::TableEntryKind::Column(column) => {
                    let name = &column.name;
                    self.check_length(&name.name, name.span);
                    if let Some(first) = column_spans.get(name.name.as_str()) {
                        self.error(Diagnostic::duplicate_column(
                            &table_name,
                            &name.name,
                            name.span,
                            *first,
                        ));
                        continue;
                    }
                    column_spans.insert(name.name.as_str(), name.span);
                    if let Some(resolved) = self.column(column, &mut pending) {
                        columns.push(resolved);
                    }
                }
                ast::TableEntryKind::PrimaryKey { name, columns } => {
                    pending.primary_keys.push(KeyRef {
                        name: name.as_ref(),
                        columns: columns.iter().collect(),
                        nulls_not_distinct: false,
                        span: entry.span,
                    })
                }
                ast::TableEntryKind::Unique {
                    name,
                    columns,
                    nulls_not_distinct,
                } => pending.uniques.push(KeyRef {
                    name: name.as_ref(),
                    columns: columns.iter().collect(),
                    nulls_not_distinct: *nulls_not_distinct,
                    span: entry.span,
                }),
                ast::TableEntryKind::Index(index) => pending.indexes.push(IndexRef {
                    unique: index.unique,
                    name: index.name.as_ref(),
                    keys: index.keys.iter().map(|k| key_part(k).0).collect(),
                    key_options: index.keys.iter().map(|k| key_part(k).1).collect(),
                    include: index.include.iter().collect(),
                    nulls_not_distinct: index.nulls_not_distinct,
                    method: index.method.as_ref(),
                    predicate: index.predicate.as_ref(),
                    span: entry.span,
                }),
                ast::TableEntryKind::Check { name, expr } => {
                    pending.checks.push((name.as_ref(), expr, entry.span))
                }
                ast::TableEntryKind::ForeignKey(fk) => {
                    let (on_delete, on_update, on_delete_span) = rules(&fk.rules);
                    pending.foreign_keys.push(ForeignKeyRef {
                        name: fk.name.as_ref(),
                        columns: fk.columns.iter().collect(),
                        table: &fk.table,
                        referenced: fk.referenced_columns.as_ref().map(|c| c.iter().collect()),
                        on_delete,
                        on_update,
                        on_delete_span,
                        span: entry.span,
                    });
                }
                ast::TableEntryKind::Policy(policy) => {
                    pending.policies.push(policy);
                    pending.policy_spans.push(entry.span);
                }
                ast::TableEntryKind::Backfill { column, source } => {
                    pending.backfills.push((column, source, entry.span))
                }
                ast::TableEntryKind::RowLevelSecurity { forced } => {
                    row_level_security = Some(row_level_security.unwrap_or(false) || *forced)
                }
                ast::TableEntryKind::PartitionBy { .. }
                | ast::TableEntryKind::Partition { .. }
                | ast::TableEntryKind::PartitionsUnmanaged => {}
            }
        }
        let partitioning = super::partitions::partitioning(
            &self.model.tables[index].name,
            &table_name,
            &def.entries,
            &mut self.diagnostics,
        );
        if let Some(partitioning) = &partitioning {
            for key in partitioning.key_columns() {
                if !columns.iter().any(|c| c.name == key) {
                    let at = def
                        .entries
                        .iter()
                        .find(|e| matches!(e.kind, ast::TableEntryKind::PartitionBy { .. }))
                        .map_or(def.name.span, |e| e.span);
                    let closest = suggest::closest(&key, columns.iter().map(|c| c.name.as_str()));
                    self.error(Diagnostic::unknown_column(&table_name, &key, at, closest));
                }
            }
        }
        let table = &mut self.model.tables[index];
        table.partitioning = partitioning;
        table.columns = columns;
        table.row_level_security = row_level_security;
        // The first primary key stands; others are reported.
        let mut first_key: Option<Span> = None;
        let mut duplicates = Vec::new();
        for key in &pending.primary_keys {
            match first_key {
                None => {
                    first_key = Some(key.span);
                    table.primary_key = Some(Key {
                        name: key.name.map(|n| n.name.clone()),
                        columns: key.columns.iter().map(|c| c.name.clone()).collect(),
                        nulls_not_distinct: false,
                        span: key.span,
                    });
                }
                Some(first) => duplicates.push(Diagnostic::duplicate_primary_key(
                    &table_name,
                    key.span,
                    first,
                )),
            }
        }
        self.diagnostics.extend(duplicates);
        pending
    }

    fn column<'a>(&mut self, def: &'a ast::ColumnDef, pending: &mut Pending<'a>) -> Option<Column> {
        let errors_before = self.diagnostics.len();
        let resolved = self.column_type(&def.ty);
        // `references users` alone on a line reads as a column `references` of type `users`:
        // most likely an attribute that was meant to continue the column above.
        if resolved.is_none() && ATTRIBUTE_WORDS.contains(&def.name.name.as_str()) {
            if let Some(diagnostic) = self.diagnostics.get_mut(errors_before) {
                let line = format!("{} {}", def.name.name, def.ty.name.text());
                diagnostic.help = Some(format!(
                    "a column ends at the end of its line: if `{line}` belongs to the column \
                     above, move it onto that line"
                ));
            }
        }
        let mut column = Column {
            name: def.name.name.clone(),
            ty: resolved
                .as_ref()
                .map_or(SqlType::scalar(BaseType::Text), |(t, _)| t.clone()),
            serial: resolved.as_ref().is_some_and(|(_, s)| *s),
            nullable: def.nullable,
            default: None,
            generated: None,
            generated_virtual: false,
            identity: None,
            doc: def.doc.as_ref().map(|d| d.text.clone()),
            renamed_from: None,
            using: None,
            backfill: None,
            tenant: false,
            implicit: false,
            span: def.span,
        };
        let mut default_span = None;
        let mut generated_span = None;
        let mut identity_span = None;
        // Several checks on one column are fine; any other attribute twice is a mistake.
        let repeatable = |a: &ast::Attribute| matches!(a.kind, ast::AttributeKind::Check(_));
        for (n, attribute) in def.attributes.iter().enumerate() {
            let keyword = attribute.kind.keyword();
            if !repeatable(attribute) {
                // A column has a handful of attributes: looking back is cheaper than a map.
                let earlier = def.attributes[..n]
                    .iter()
                    .find(|a| !repeatable(a) && a.kind.keyword() == keyword);
                if let Some(first) = earlier {
                    self.error(Diagnostic::duplicate_attribute(
                        keyword,
                        attribute.span,
                        first.span,
                    ));
                    continue;
                }
            }
            let name_only = || KeyRef {
                name: None,
                columns: vec![&def.name],
                nulls_not_distinct: false,
                span: attribute.span,
            };
            match &attribute.kind {
                ast::AttributeKind::Primary => pending.primary_keys.push(name_only()),
                ast::AttributeKind::Unique => pending.uniques.push(name_only()),
                ast::AttributeKind::Index => pending.indexes.push(IndexRef {
                    unique: false,
                    name: None,
                    keys: vec![KeyPart::Column(def.name.clone())],
                    key_options: vec![vocab::KeyOptions::default()],
                    include: Vec::new(),
                    nulls_not_distinct: false,
                    method: None,
                    predicate: None,
                    span: attribute.span,
                }),
                ast::AttributeKind::Default(expr) => {
                    column.default = Some(trimmed(expr));
                    default_span = Some(attribute.span);
                }
                ast::AttributeKind::References(references) => {
                    let (on_delete, on_update, on_delete_span) = rules(&references.rules);
                    pending.foreign_keys.push(ForeignKeyRef {
                        name: references.name.as_ref(),
                        columns: vec![&def.name],
                        table: &references.table,
                        referenced: references.column.as_ref().map(|c| vec![c]),
                        on_delete,
                        on_update,
                        on_delete_span,
                        span: attribute.span,
                    });
                }
                ast::AttributeKind::Check(expr) => {
                    pending.checks.push((None, expr, attribute.span))
                }
                ast::AttributeKind::RenamedFrom(old) => {
                    column.renamed_from = Some(old.name.clone())
                }
                ast::AttributeKind::Using(expr) => column.using = Some(trimmed(expr)),
                ast::AttributeKind::Backfill(expr) => {
                    column.backfill = Some(Backfill::Expr {
                        expr: trimmed(expr),
                        span: attribute.span,
                    })
                }
                ast::AttributeKind::Generated { expr, virtual_kind } => {
                    column.generated = Some(trimmed(expr));
                    column.generated_virtual = *virtual_kind == Some(true);
                    generated_span = Some(attribute.span);
                }
                ast::AttributeKind::Identity { always } => {
                    column.identity = Some(if *always {
                        Identity::Always
                    } else {
                        Identity::ByDefault
                    });
                    identity_span = Some(attribute.span);
                }
            }
        }
        if let Some(at) = identity_span {
            self.check_identity(&column, default_span.is_some(), at);
        }
        if let (Some(generated), Some(default)) = (generated_span, default_span) {
            self.error(Diagnostic::generated_with_default(
                &column.name,
                generated,
                default,
            ));
        }
        if let (true, Some(default)) = (column.serial, default_span) {
            self.error(Diagnostic::serial_with_default(&column.name, default));
        }
        Some(column)
    }

    /// PostgreSQL makes an identity column `NOT NULL` itself and refuses one with a default, a
    /// generation expression, or a type other than the integers (the sequence's types).
    /// https://www.postgresql.org/docs/current/sql-createtable.html
    fn check_identity(&mut self, column: &Column, has_default: bool, at: Span) {
        let reason = if column.ty.array
            || !matches!(
                column.ty.base,
                BaseType::SmallInt | BaseType::Integer | BaseType::BigInt
            ) {
            Some("its type is not `smallint`, `int` or `bigint`")
        } else if column.serial {
            Some("a serial column already takes its values from a sequence")
        } else if column.nullable {
            Some("an identity column is never NULL (remove `?`)")
        } else if has_default {
            Some("it also has a default")
        } else if column.generated.is_some() {
            Some("it is also generated")
        } else {
            None
        };
        if let Some(reason) = reason {
            self.error(Diagnostic::invalid_identity(&column.name, reason, at));
        }
    }

    /// Checks that every column a key or index names exists in its table (the tenant column
    /// included), and fills the table's keys, indexes and checks.
    fn bind_keys(&mut self, index: usize, pending: &Pending<'_>) {
        let table = &self.model.tables[index];
        let table_name = display_name(&table.name);
        let known: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        let mut diagnostics = Vec::new();
        let check_columns = |columns: &[&ast::Ident], diagnostics: &mut Vec<Diagnostic>| -> bool {
            let mut ok = true;
            let mut seen = BTreeSet::new();
            for column in columns {
                if !known.contains(&column.name.as_str()) {
                    let closest = suggest::closest(&column.name, known.iter().copied());
                    diagnostics.push(Diagnostic::unknown_column(
                        &table_name,
                        &column.name,
                        column.span,
                        closest,
                    ));
                    ok = false;
                } else if !seen.insert(column.name.as_str()) {
                    diagnostics.push(Diagnostic::duplicate_key_column(&column.name, column.span));
                    ok = false;
                }
            }
            ok
        };
        let mut primary_key = None;
        if let Some(key) = pending.primary_keys.first() {
            if check_columns(&key.columns, &mut diagnostics) {
                for column in &key.columns {
                    if table.column(&column.name).is_some_and(|c| c.nullable) {
                        let span = table.column(&column.name).map_or(column.span, |c| c.span);
                        diagnostics.push(Diagnostic::nullable_primary_key(&column.name, span));
                    }
                }
                primary_key = Some(Key {
                    name: key.name.map(|n| n.name.clone()),
                    columns: key.columns.iter().map(|c| c.name.clone()).collect(),
                    nulls_not_distinct: false,
                    span: key.span,
                });
            }
        }
        let mut uniques = Vec::new();
        for key in &pending.uniques {
            if check_columns(&key.columns, &mut diagnostics) {
                uniques.push(Key {
                    name: key.name.map(|n| n.name.clone()),
                    columns: key.columns.iter().map(|c| c.name.clone()).collect(),
                    nulls_not_distinct: key.nulls_not_distinct,
                    span: key.span,
                });
            }
        }
        let mut indexes = Vec::new();
        for index_ref in &pending.indexes {
            let columns: Vec<&ast::Ident> = index_ref
                .keys
                .iter()
                .filter_map(|k| match k {
                    KeyPart::Column(c) => Some(c),
                    KeyPart::Expr(_) => None,
                })
                .chain(index_ref.include.iter().copied())
                .collect();
            let mut ok = true;
            if let Some(method) = index_ref.method {
                const BUILT_IN: [&str; 6] = ["btree", "hash", "gist", "spgist", "gin", "brin"];
                if !BUILT_IN.contains(&method.name.as_str()) {
                    if let Some(closest) = suggest::closest(&method.name, BUILT_IN) {
                        diagnostics.push(Diagnostic::unknown_index_method(
                            &method.name,
                            method.span,
                            closest,
                        ));
                        ok = false;
                    }
                }
            }
            for column in columns {
                if !known.contains(&column.name.as_str()) {
                    let closest = suggest::closest(&column.name, known.iter().copied());
                    diagnostics.push(Diagnostic::unknown_column(
                        &table_name,
                        &column.name,
                        column.span,
                        closest,
                    ));
                    ok = false;
                }
            }
            if ok {
                indexes.push(Index {
                    unique: index_ref.unique,
                    name: index_ref.name.map(|n| n.name.clone()),
                    keys: index_ref
                        .keys
                        .iter()
                        .map(|k| match k {
                            KeyPart::Column(c) => vocab::IndexKey::Column(c.name.clone()),
                            KeyPart::Expr(e) => vocab::IndexKey::Expr(e.trim().to_string()),
                        })
                        .collect(),
                    options: vocab::IndexOptions::new(
                        index_ref.key_options.clone(),
                        index_ref.include.iter().map(|c| c.name.clone()).collect(),
                        index_ref.nulls_not_distinct,
                    ),
                    method: index_ref.method.map(|m| m.name.clone()),
                    predicate: index_ref.predicate.map(trimmed),
                    span: index_ref.span,
                });
            }
        }
        let checks = pending
            .checks
            .iter()
            .map(|(name, expr, span)| Check {
                name: name.map(|n| n.name.clone()),
                expr: trimmed(expr),
                span: *span,
            })
            .collect();
        self.diagnostics.extend(diagnostics);
        let table = &mut self.model.tables[index];
        table.primary_key = primary_key;
        table.uniques = uniques;
        table.indexes = indexes;
        table.checks = checks;
    }

    fn lookup_table(&mut self, name: &ast::QualName) -> Option<TableId> {
        let qualified_name = qualified(name);
        if let Some(id) = self.table_ids.get(&qualified_name) {
            return Some(*id);
        }
        let names: Vec<String> = self.table_ids.keys().map(display_name).collect();
        let closest = suggest::closest(&name.text(), names.iter().map(String::as_str));
        self.error(Diagnostic::unknown_table(&name.text(), name.span, closest));
        None
    }

    /// True when `columns` (as a set) is the primary key or a unique constraint of `table`.
    fn is_key(table: &Table, columns: &[String]) -> bool {
        let wanted: BTreeSet<&String> = columns.iter().collect();
        let same = |key: &Key| key.columns.iter().collect::<BTreeSet<_>>() == wanted;
        // PostgreSQL also accepts a unique index over exactly these columns, without a predicate
        // or expression keys, as what a foreign key references.
        // https://www.postgresql.org/docs/current/sql-createtable.html#SQL-CREATETABLE-PARMS-REFERENCES
        let unique_index = |index: &Index| {
            index.unique
                && index.predicate.is_none()
                && index.keys.len() == wanted.len()
                && index
                    .keys
                    .iter()
                    .all(|k| matches!(k, vocab::IndexKey::Column(c) if wanted.contains(c)))
        };
        table.primary_key.as_ref().is_some_and(same)
            || table.uniques.iter().any(same)
            || table.indexes.iter().any(unique_index)
    }

    fn bind_foreign_keys(&mut self, index: usize, pending: &Pending<'_>) {
        let mut foreign_keys = Vec::new();
        for fk in &pending.foreign_keys {
            if let Some(bound) = self.foreign_key(index, fk) {
                foreign_keys.push(bound);
            }
        }
        self.model.tables[index].foreign_keys = foreign_keys;
    }

    fn foreign_key(&mut self, index: usize, fk: &ForeignKeyRef<'_>) -> Option<ForeignKey> {
        let columns_ok = Self::own_columns(&self.model.tables[index], fk, &mut self.diagnostics);
        let target_id = self.lookup_table(fk.table)?;
        let table = &self.model.tables[index];
        let target = &self.model.tables[target_id.0 as usize];
        let direction_ok = Self::tenancy_direction(table, target, fk, &mut self.diagnostics);
        let (referenced, referenced_ok) =
            Self::referenced_columns(target, fk, &mut self.diagnostics)?;
        let valid = columns_ok
            && direction_ok
            && referenced_ok
            && Self::references_a_key(table, target, fk, &referenced, &mut self.diagnostics)
            && Self::column_pairs_match(table, target, fk, &referenced, &mut self.diagnostics);
        if !valid {
            return None;
        }
        Some(ForeignKey {
            name: fk.name.map(|n| n.name.clone()),
            columns: fk.columns.iter().map(|c| c.name.clone()).collect(),
            referenced_table: target_id,
            referenced_columns: referenced,
            on_delete: fk.on_delete,
            on_update: fk.on_update,
            span: fk.span,
        })
    }

    /// The key's own columns exist, each once.
    fn own_columns(
        table: &Table,
        fk: &ForeignKeyRef<'_>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> bool {
        let table_name = display_name(&table.name);
        let mut ok = true;
        let mut seen = BTreeSet::new();
        let known: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        for column in &fk.columns {
            if !known.contains(&column.name.as_str()) {
                let closest = suggest::closest(&column.name, known.iter().copied());
                diagnostics.push(Diagnostic::unknown_column(
                    &table_name,
                    &column.name,
                    column.span,
                    closest,
                ));
                ok = false;
            } else if !seen.insert(column.name.as_str()) {
                diagnostics.push(Diagnostic::duplicate_key_column(&column.name, column.span));
                ok = false;
            }
        }
        ok
    }

    /// A global table must not point at one tenant's rows (an error); a plain table probably
    /// should not (a warning).
    fn tenancy_direction(
        table: &Table,
        target: &Table,
        fk: &ForeignKeyRef<'_>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> bool {
        if target.kind != vocab::TableKind::Tenant {
            return true;
        }
        let (table_name, target_name) = (display_name(&table.name), display_name(&target.name));
        match table.kind {
            vocab::TableKind::Global => {
                diagnostics.push(Diagnostic::global_references_tenant(
                    &table_name,
                    &target_name,
                    fk.span,
                ));
                false
            }
            vocab::TableKind::Plain => {
                diagnostics.push(Diagnostic::plain_references_tenant(
                    &table_name,
                    &target_name,
                    fk.span,
                ));
                true
            }
            vocab::TableKind::Tenant => true,
        }
    }

    /// The referenced columns: as written (whether each exists), else the target's primary key;
    /// `None` when there is neither.
    fn referenced_columns(
        target: &Table,
        fk: &ForeignKeyRef<'_>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<(Vec<String>, bool)> {
        let target_name = display_name(&target.name);
        match &fk.referenced {
            Some(columns) => {
                let target_known: Vec<&str> =
                    target.columns.iter().map(|c| c.name.as_str()).collect();
                let mut ok = true;
                for column in columns {
                    if !target_known.contains(&column.name.as_str()) {
                        let closest = suggest::closest(&column.name, target_known.iter().copied());
                        diagnostics.push(Diagnostic::unknown_column(
                            &target_name,
                            &column.name,
                            column.span,
                            closest,
                        ));
                        ok = false;
                    }
                }
                Some((columns.iter().map(|c| c.name.clone()).collect(), ok))
            }
            None => match &target.primary_key {
                Some(key) => Some((key.columns.clone(), true)),
                None => {
                    diagnostics.push(Diagnostic::referenced_table_without_key(
                        &target_name,
                        fk.span,
                    ));
                    None
                }
            },
        }
    }

    /// As many referenced columns as the key has, and they are the target's primary key or a
    /// unique constraint.
    fn references_a_key(
        table: &Table,
        target: &Table,
        fk: &ForeignKeyRef<'_>,
        referenced: &[String],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> bool {
        let target_name = display_name(&target.name);
        if referenced.len() != fk.columns.len() {
            diagnostics.push(Diagnostic::foreign_key_column_count(
                fk.columns.len(),
                &target_name,
                referenced.len(),
                fk.span,
            ));
            return false;
        }
        // Between tenant tables the key may also be written with the tenant column in it:
        // `lower` adds `unique (tenant, key)` on the parent.
        let tenant_pair =
            table.kind == vocab::TableKind::Tenant && target.kind == vocab::TableKind::Tenant;
        let without_tenant: Vec<String> = referenced
            .iter()
            .filter(|c| !(tenant_pair && target.column(c).is_some_and(|col| col.tenant)))
            .cloned()
            .collect();
        if !(Self::is_key(target, referenced)
            || tenant_pair && Self::is_key(target, &without_tenant))
        {
            diagnostics.push(Diagnostic::referenced_columns_not_unique(
                &target_name,
                referenced,
                fk.span,
                target.name_span,
            ));
            return false;
        }
        true
    }

    /// Each column has its referenced column's type, and `ON DELETE SET NULL` only on nullable
    /// columns.
    fn column_pairs_match(
        table: &Table,
        target: &Table,
        fk: &ForeignKeyRef<'_>,
        referenced: &[String],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> bool {
        let target_name = display_name(&target.name);
        let mut mismatches = Vec::new();
        for (column, referenced_column) in fk.columns.iter().zip(referenced) {
            let (Some(mine), Some(theirs)) =
                (table.column(&column.name), target.column(referenced_column))
            else {
                continue;
            };
            if mine.ty != theirs.ty {
                mismatches.push(Diagnostic::foreign_key_type_mismatch(
                    &column.name,
                    &mine.ty.source(),
                    &target_name,
                    referenced_column,
                    &theirs.ty.source(),
                    fk.span,
                    theirs.span,
                ));
            }
            if matches!(fk.on_delete, vocab::FkAction::SetNull) && !mine.nullable {
                mismatches.push(Diagnostic::set_null_on_not_null_column(
                    &column.name,
                    fk.on_delete_span.unwrap_or(fk.span),
                ));
            }
        }
        let failed = mismatches.iter().any(Diagnostic::is_error);
        diagnostics.extend(mismatches);
        !failed
    }

    fn bind_backfills(&mut self, index: usize, pending: &Pending<'_>) {
        for (column, source, span) in &pending.backfills {
            let table = &self.model.tables[index];
            let table_name = display_name(&table.name);
            let known: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
            let Some(position) = table.columns.iter().position(|c| c.name == column.name) else {
                let closest = suggest::closest(&column.name, known.iter().copied());
                self.error(Diagnostic::unknown_column(
                    &table_name,
                    &column.name,
                    column.span,
                    closest,
                ));
                continue;
            };
            if let Some(existing) = &table.columns[position].backfill {
                let first = match existing {
                    Backfill::Expr { span, .. } | Backfill::FromForeignKey { span, .. } => *span,
                };
                self.error(Diagnostic::duplicate_backfill(&column.name, *span, first));
                continue;
            }
            let backfill = match source {
                ast::BackfillSource::Expr(expr) => Backfill::Expr {
                    expr: trimmed(expr),
                    span: *span,
                },
                ast::BackfillSource::From(fk_column) => {
                    if !known.contains(&fk_column.name.as_str()) {
                        let closest = suggest::closest(&fk_column.name, known.iter().copied());
                        self.error(Diagnostic::unknown_column(
                            &table_name,
                            &fk_column.name,
                            fk_column.span,
                            closest,
                        ));
                        continue;
                    }
                    let fk = table
                        .foreign_keys
                        .iter()
                        .find(|fk| fk.columns.len() == 1 && fk.columns[0] == fk_column.name);
                    let Some(fk) = fk else {
                        self.error(Diagnostic::backfill_from_not_foreign_key(
                            &table_name,
                            &fk_column.name,
                            fk_column.span,
                        ));
                        continue;
                    };
                    let parent = &self.model.tables[fk.referenced_table.0 as usize];
                    if parent.column(&column.name).is_none() {
                        let parent_name = display_name(&parent.name);
                        let names: Vec<String> =
                            parent.columns.iter().map(|c| c.name.clone()).collect();
                        let closest =
                            suggest::closest(&column.name, names.iter().map(String::as_str));
                        self.error(Diagnostic::unknown_column(
                            &parent_name,
                            &column.name,
                            column.span,
                            closest,
                        ));
                        continue;
                    }
                    Backfill::FromForeignKey {
                        fk_column: fk_column.name.clone(),
                        span: *span,
                    }
                }
            };
            self.model.tables[index].columns[position].backfill = Some(backfill);
        }
    }

    fn bind_policies(&mut self, index: usize, pending: &Pending<'_>) {
        let table = &self.model.tables[index];
        let table_name = display_name(&table.name);
        let tenancy_rls = table.kind == vocab::TableKind::Tenant
            && self.model.tenancy.as_ref().is_some_and(|t| t.rls);
        let rls = tenancy_rls || table.row_level_security.is_some();
        // Names the tenancy gives its own policies on this table.
        let mut reserved: Vec<String> = Vec::new();
        if tenancy_rls {
            reserved.push("tenant_isolation".to_string());
            if let Some(bypass) = self.model.tenancy.as_ref().and_then(|t| t.bypass.as_ref()) {
                reserved.push(format!("{bypass}_bypass"));
            }
        }
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        let mut policies = Vec::new();
        let mut diagnostics = Vec::new();
        for (policy, span) in pending.policies.iter().zip(&pending.policy_spans) {
            let name = policy.name.name.as_str();
            if name.len() > MAX_NAME_BYTES {
                diagnostics.push(Diagnostic::name_too_long(name, policy.name.span));
            }
            if let Some(first) = seen.get(name) {
                diagnostics.push(Diagnostic::duplicate_policy(
                    name,
                    policy.name.span,
                    Some(*first),
                ));
                continue;
            }
            if reserved.iter().any(|r| r == name) {
                diagnostics.push(Diagnostic::duplicate_policy(name, policy.name.span, None));
                continue;
            }
            seen.insert(name, policy.name.span);
            if let (ast::PolicyCommand::Insert, Some(using)) = (policy.command, &policy.using) {
                diagnostics.push(Diagnostic::insert_policy_with_using(name, using.span));
                continue;
            }
            if policy.using.is_none() && policy.with_check.is_none() {
                diagnostics.push(Diagnostic::policy_without_expression(name, *span));
                continue;
            }
            if !rls {
                diagnostics.push(Diagnostic::policy_without_row_level_security(
                    name,
                    &table_name,
                    *span,
                ));
            }
            policies.push(Policy {
                name: name.to_string(),
                command: match policy.command {
                    ast::PolicyCommand::Select => vocab::PolicyCommand::Select,
                    ast::PolicyCommand::Insert => vocab::PolicyCommand::Insert,
                    ast::PolicyCommand::Update => vocab::PolicyCommand::Update,
                    ast::PolicyCommand::Delete => vocab::PolicyCommand::Delete,
                    ast::PolicyCommand::All => vocab::PolicyCommand::All,
                },
                roles: policy.roles.iter().map(|r| r.name.clone()).collect(),
                using: policy.using.as_ref().map(trimmed),
                with_check: policy.with_check.as_ref().map(trimmed),
                span: *span,
            });
        }
        self.diagnostics.extend(diagnostics);
        self.model.tables[index].policies = policies;
    }

    fn grant(&mut self, grant: &ast::GrantDef) {
        let tables: Vec<TableId> = match &grant.targets {
            ast::GrantTargets::Tables(names) => {
                let mut ids = Vec::new();
                for name in names {
                    if let Some(id) = self.lookup_table(name) {
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                }
                ids
            }
            ast::GrantTargets::TenantTables(_) => self.tables_of(Some(vocab::TableKind::Tenant)),
            ast::GrantTargets::GlobalTables(_) => self.tables_of(Some(vocab::TableKind::Global)),
            ast::GrantTargets::AllTables(_) => self.tables_of(None),
        };
        let mut privileges: Vec<vocab::Privilege> = Vec::new();
        for privilege in &grant.privileges {
            let expanded: &[vocab::Privilege] = match privilege.privilege {
                ast::Privilege::Select => &[vocab::Privilege::Select],
                ast::Privilege::Insert => &[vocab::Privilege::Insert],
                ast::Privilege::Update => &[vocab::Privilege::Update],
                ast::Privilege::Delete => &[vocab::Privilege::Delete],
                ast::Privilege::Truncate => &[vocab::Privilege::Truncate],
                ast::Privilege::References => &[vocab::Privilege::References],
                ast::Privilege::Trigger => &[vocab::Privilege::Trigger],
                ast::Privilege::All => &vocab::Privilege::ALL,
            };
            for p in expanded {
                if !privileges.contains(p) {
                    privileges.push(*p);
                }
            }
        }
        let roles = grant.roles.iter().map(|r| r.name.clone()).collect();
        self.model.grants.push(Grant {
            privileges,
            tables,
            roles,
            span: grant.span,
        });
    }

    fn tables_of(&self, kind: Option<vocab::TableKind>) -> Vec<TableId> {
        self.model
            .tables
            .iter()
            .filter(|t| kind.is_none_or(|k| k == t.kind))
            .map(|t| t.id)
            .collect()
    }

    /// Explicit index and unique names share the relation namespace of their schema with the
    /// tables; explicit check names must differ within their table.
    fn check_relation_names(&mut self, pending: &[Pending<'_>]) {
        let mut relations: HashMap<(&str, &str), Span, FixedState> =
            HashMap::with_capacity_and_hasher(self.model.tables.len(), FixedState::default());
        for table in &self.model.tables {
            relations.insert(
                (table.name.schema.as_str(), table.name.name.as_str()),
                table.name_span,
            );
        }
        let mut diagnostics = Vec::new();
        // A partition is a relation too: its name may not be another table's.
        for table in &self.model.tables {
            let partitions = table
                .partitioning
                .iter()
                .flat_map(|p| p.partitions.iter().flatten());
            for partition in partitions {
                let key = (partition.name.schema.as_str(), partition.name.name.as_str());
                let at = partition.origin.unwrap_or(table.name_span);
                self.check_length_into(&partition.name.name, at, &mut diagnostics);
                if let Some(first) = relations.get(&key) {
                    diagnostics.push(Diagnostic::duplicate_constraint_name(
                        &partition.name.name,
                        at,
                        *first,
                    ));
                } else {
                    relations.insert(key, at);
                }
            }
        }
        for (table, pending) in self.model.tables.iter().zip(pending) {
            let names = pending
                .uniques
                .iter()
                .filter_map(|k| k.name)
                .chain(pending.indexes.iter().filter_map(|i| i.name));
            for name in names {
                if name.name.len() > MAX_NAME_BYTES {
                    diagnostics.push(Diagnostic::name_too_long(&name.name, name.span));
                }
                let key = (table.name.schema.as_str(), name.name.as_str());
                if let Some(first) = relations.get(&key) {
                    diagnostics.push(Diagnostic::duplicate_constraint_name(
                        &name.name, name.span, *first,
                    ));
                } else {
                    relations.insert(key, name.span);
                }
            }
            let mut checks: BTreeMap<&str, Span> = BTreeMap::new();
            for name in pending.checks.iter().filter_map(|(n, _, _)| *n) {
                if name.name.len() > MAX_NAME_BYTES {
                    diagnostics.push(Diagnostic::name_too_long(&name.name, name.span));
                }
                if let Some(first) = checks.get(name.name.as_str()) {
                    diagnostics.push(Diagnostic::duplicate_constraint_name(
                        &name.name, name.span, *first,
                    ));
                } else {
                    checks.insert(&name.name, name.span);
                }
            }
        }
        self.diagnostics.extend(diagnostics);
    }
}
