//! One `table` item: which columns can be written, which constraints and indexes go on a column
//! line (the short forms), the column lines, the table-level entries, and the layout. Each is its
//! own decision, taken in that order (the order of the warnings follows it).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::spelling::{default_name, spellable};
use super::tenancy_pattern::{self, Generated};
use super::{check_default, is_default_pkey_name, ColumnLine, Writer};
use crate::catalog::{Identity, IndexKey, Table};

/// What the writer knows about one table while writing it.
struct TableContext<'t> {
    table: &'t Table,
    /// What the tenancy block generates for this table, left out of the item.
    generated: Generated,
    is_tenant: bool,
    tenant_column: Option<String>,
    /// Columns that cannot be written, and so everything naming them.
    skipped_columns: BTreeSet<String>,
}

impl TableContext<'_> {
    fn writable(&self, columns: &[String]) -> bool {
        columns.iter().all(|c| !self.skipped_columns.contains(c))
    }

    fn name(&self) -> &str {
        &self.table.name.name
    }
}

/// Constraints and indexes written on a column line: the attributes of each column, and the names
/// of the objects placed there (left out of the table-level entries).
#[derive(Default)]
struct Placed {
    attributes: BTreeMap<String, Vec<String>>,
    names: BTreeSet<String>,
}

impl Placed {
    fn has(&self, column: &str, attribute: &str) -> bool {
        self.attributes
            .get(column)
            .is_some_and(|a| a.iter().any(|a| a == attribute))
    }

    fn place(&mut self, column: &str, attribute: String, name: &str) {
        self.attributes
            .entry(column.to_string())
            .or_default()
            .push(attribute);
        self.names.insert(name.to_string());
    }
}

impl Writer<'_> {
    pub(super) fn table_item(&mut self, table: &Table) -> String {
        let generated = match self.tenancy {
            Some(tenancy) => tenancy_pattern::generated(self.catalog, table, tenancy),
            None => Generated::default(),
        };
        let is_tenant = self
            .tenancy
            .is_some_and(|t| t.tenant_tables.contains(&table.name));
        let context = TableContext {
            table,
            generated,
            is_tenant,
            tenant_column: self.tenancy.filter(|_| is_tenant).map(|t| t.column.clone()),
            skipped_columns: self.skipped_columns(table),
        };
        let mut placed = Placed::default();
        self.place_primary_key(&context, &mut placed);
        self.place_uniques(&context, &mut placed);
        self.place_indexes(&context, &mut placed);
        self.place_foreign_keys(&context, &mut placed);
        self.place_checks(&context, &mut placed);
        let names = placed.names.clone();
        let lines = self.column_lines(&context, placed.attributes);
        let mut entries = self.key_entries(&context, &names);
        entries.extend(self.object_entries(&context, &names));
        entries.extend(self.security_entries(&context));
        Self::layout(&context, &lines, &entries)
    }

    /// Columns the language cannot write, each warned of.
    fn skipped_columns(&mut self, table: &Table) -> BTreeSet<String> {
        let mut skipped = BTreeSet::new();
        for column in &table.columns {
            if let Some(problem) = self.column_problem(column) {
                self.warn(format!(
                    "column `{}.{}` is left out: {problem}",
                    table.name, column.name
                ));
                skipped.insert(column.name.clone());
            }
        }
        skipped
    }

    /// A one-column primary key of the default name: `primary` on the column.
    fn place_primary_key(&self, context: &TableContext, placed: &mut Placed) {
        let table = context.table;
        if let Some(pk) = &table.primary_key {
            if pk.columns.len() == 1
                && is_default_pkey_name(self.catalog, table, &pk.name)
                && context.writable(&pk.columns)
            {
                placed.place(&pk.columns[0], "primary".into(), &pk.name);
            }
        }
    }

    /// A one-column unique constraint of the default name: `unique` on the column.
    fn place_uniques(&self, context: &TableContext, placed: &mut Placed) {
        let table = context.table;
        for unique in &table.uniques {
            if context.generated.uniques.contains(&unique.name) {
                continue;
            }
            if let ([column], false) = (unique.columns.as_slice(), unique.nulls_not_distinct) {
                if self.is_default(
                    table,
                    &unique.name,
                    &default_name(context.name(), &[column], "key"),
                ) && !placed.has(column, "unique")
                    && !context.skipped_columns.contains(column)
                {
                    placed.place(column, "unique".into(), &unique.name);
                }
            }
        }
    }

    /// A plain btree index on one column, of the default name: `index` on the column.
    fn place_indexes(&self, context: &TableContext, placed: &mut Placed) {
        let table = context.table;
        for index in &table.indexes {
            if context.generated.indexes.contains(&index.name) {
                continue;
            }
            if let [IndexKey::Column(column)] = index.keys.as_slice() {
                if !index.unique
                    && index.method == "btree"
                    && index.predicate.is_none()
                    && index.options == Default::default()
                    && self.is_default(
                        table,
                        &index.name,
                        &default_name(context.name(), &[column], "idx"),
                    )
                    && !placed.has(column, "index")
                    && !context.skipped_columns.contains(column)
                {
                    placed.place(column, "index".into(), &index.name);
                }
            }
        }
    }

    /// `references` on the column: a composite same-tenant key the tenancy generates, or a
    /// one-column foreign key.
    fn place_foreign_keys(&self, context: &TableContext, placed: &mut Placed) {
        let table = context.table;
        for fk in &table.foreign_keys {
            if let Some(column) = context
                .generated
                .column_references
                .iter()
                .find(|(_, key)| key.name == fk.name)
                .map(|(column, _)| column.clone())
            {
                let referenced = fk.referenced_columns.get(1).cloned().unwrap_or_default();
                if let Some(text) = self.references(fk, &referenced, false) {
                    placed.attributes.entry(column).or_default().push(text);
                }
                continue;
            }
            if context.generated.foreign_keys.contains(&fk.name) {
                continue;
            }
            if let ([column], [referenced]) =
                (fk.columns.as_slice(), fk.referenced_columns.as_slice())
            {
                let has_reference = placed
                    .attributes
                    .get(column)
                    .is_some_and(|a| a.iter().any(|a| a.starts_with("references ")));
                // A name other than PostgreSQL's default (Rails' `fk_rails_<hash>`) is kept.
                let named = !self.is_default(
                    table,
                    &fk.name,
                    &default_name(context.name(), &[column], "fkey"),
                );
                if fk.on_delete_columns.is_empty()
                    && !has_reference
                    && spellable(&fk.name)
                    && !context.skipped_columns.contains(column)
                    && !self.skipped_tables.contains(&fk.referenced_table)
                {
                    if let Some(text) = self.references(fk, referenced, named) {
                        placed.place(column, text, &fk.name);
                    }
                }
            }
        }
    }

    /// A check on one column, of the default name: `check (...)` on the column.
    fn place_checks(&self, context: &TableContext, placed: &mut Placed) {
        let table = context.table;
        for check in &table.checks {
            let (name, column) = check_default(check, table);
            if let Some(column) = column {
                if self.is_default(table, &check.name, &name)
                    && !context.skipped_columns.contains(&column)
                {
                    placed.place(&column, format!("check ({})", check.expr), &check.name);
                }
            }
        }
    }

    /// One line per written column: its type, then the placed keys, its own attributes (default,
    /// generation, identity), then the other placed attributes.
    fn column_lines(
        &self,
        context: &TableContext,
        mut attributes: BTreeMap<String, Vec<String>>,
    ) -> Vec<ColumnLine> {
        let tenant_column = context.tenant_column.as_deref();
        let mut lines: Vec<ColumnLine> = Vec::new();
        for column in &context.table.columns {
            if context.skipped_columns.contains(&column.name) {
                continue;
            }
            let mut attrs = Vec::new();
            // The tenant column's default is `<current tenant>` unless the schema says otherwise.
            let is_tenant_column = tenant_column == Some(column.name.as_str());
            let tenant_default = self
                .tenancy
                .filter(|_| is_tenant_column)
                .map(|t| tenancy_pattern::current_tenant_text(&t.setting, &t.key_type));
            if !column.serial && column.default != tenant_default {
                if let Some(default) = &column.default {
                    attrs.push(format!("default({default})"));
                }
            }
            if let Some(generated) = &column.generated {
                let storage = if column.generated_virtual {
                    " virtual"
                } else {
                    ""
                };
                attrs.push(format!("generated ({generated}){storage}"));
            }
            match column.identity {
                Some(Identity::ByDefault) => attrs.push("identity".to_string()),
                Some(Identity::Always) => attrs.push("identity always".to_string()),
                None => {}
            }
            let placed_attrs = attributes.remove(&column.name).unwrap_or_default();
            // The compiler writes the tenant column itself; write it only to keep its default.
            if is_tenant_column
                && attrs.is_empty()
                && placed_attrs.is_empty()
                && column.comment.is_none()
            {
                continue;
            }
            // `primary`, `unique`, `index` read best first, then references, checks, default.
            let (keys, rest): (Vec<String>, Vec<String>) = placed_attrs
                .into_iter()
                .partition(|a| a == "primary" || a == "unique" || a == "index");
            let mut all = keys;
            all.extend(attrs);
            all.extend(rest);
            lines.push(ColumnLine {
                comment: column.comment.clone(),
                name: column.name.clone(),
                ty: Self::column_type(column),
                attributes: all,
            });
        }
        lines
    }

    /// `primary key (...)` and `unique (...)` entries for the keys not placed on a column.
    fn key_entries(&mut self, context: &TableContext, placed: &BTreeSet<String>) -> Vec<String> {
        let table = context.table;
        let mut entries = Vec::new();
        if let Some(pk) = &table.primary_key {
            if !placed.contains(&pk.name) {
                if !context.writable(&pk.columns) {
                    self.warn(format!(
                        "primary key `{}` of `{}` is left out: it names a column left out",
                        pk.name, table.name
                    ));
                } else if !is_default_pkey_name(self.catalog, table, &pk.name)
                    && spellable(&pk.name)
                {
                    // A non-default name is written at table level, even for one column.
                    entries.push(format!(
                        "primary key {} ({})",
                        pk.name,
                        pk.columns.join(", ")
                    ));
                } else {
                    if !is_default_pkey_name(self.catalog, table, &pk.name) {
                        self.warn(format!(
                            "primary key `{}` of `{}` cannot be named in the schema language; \
                             it reads back as `{}`",
                            pk.name,
                            table.name,
                            default_name::<&str>(context.name(), &[], "pkey")
                        ));
                    }
                    entries.push(format!("primary key ({})", pk.columns.join(", ")));
                }
            }
        }
        for unique in &table.uniques {
            if placed.contains(&unique.name) || context.generated.uniques.contains(&unique.name) {
                continue;
            }
            if !context.writable(&unique.columns) || !spellable(&unique.name) {
                self.warn(format!(
                    "unique constraint `{}` of `{}` is left out: the schema language cannot spell it",
                    unique.name, table.name
                ));
                continue;
            }
            let columns: Vec<&str> = unique.columns.iter().map(String::as_str).collect();
            let nulls = if unique.nulls_not_distinct {
                " nulls not distinct"
            } else {
                ""
            };
            if self.is_default(
                table,
                &unique.name,
                &default_name(context.name(), &columns, "key"),
            ) {
                entries.push(format!("unique ({}){nulls}", columns.join(", ")));
            } else {
                entries.push(format!(
                    "unique {} ({}){nulls}",
                    unique.name,
                    columns.join(", ")
                ));
            }
        }
        entries
    }

    /// Index, check and foreign key entries for the objects not placed on a column.
    fn object_entries(&mut self, context: &TableContext, placed: &BTreeSet<String>) -> Vec<String> {
        let table = context.table;
        let mut entries = Vec::new();
        for index in &table.indexes {
            if placed.contains(&index.name) || context.generated.indexes.contains(&index.name) {
                continue;
            }
            if let Some(entry) = self.index_entry(table, index, &context.skipped_columns) {
                entries.push(entry);
            }
        }
        for check in &table.checks {
            if placed.contains(&check.name) {
                continue;
            }
            if !spellable(&check.name) {
                self.warn(format!(
                    "check `{}` of `{}` is left out: the schema language cannot spell its name",
                    check.name, table.name
                ));
                continue;
            }
            if self.is_default(table, &check.name, &check_default(check, table).0) {
                entries.push(format!("check ({})", check.expr));
            } else {
                entries.push(format!("check {} ({})", check.name, check.expr));
            }
        }
        for fk in &table.foreign_keys {
            if placed.contains(&fk.name) || context.generated.foreign_keys.contains(&fk.name) {
                continue;
            }
            if let Some(entry) = self.foreign_key_entry(table, fk, &context.skipped_columns) {
                entries.push(entry);
            }
        }
        entries
    }

    /// Row level security (a tenant table's comes with the tenancy), partitions, triggers,
    /// policies, and the fill path of a tenant table.
    fn security_entries(&mut self, context: &TableContext) -> Vec<String> {
        let table = context.table;
        let mut entries = Vec::new();
        if !context.is_tenant {
            match (table.rls_enabled, table.rls_forced) {
                (true, true) => entries.push("row level security forced".into()),
                (true, false) => entries.push("row level security".into()),
                (false, true) => self.warn(format!(
                    "`{}` forces row level security without enabling it; the schema language \
                     cannot say that, so it is left out",
                    table.name
                )),
                (false, false) => {}
            }
        }
        if let Some(partitioning) = &table.partitioning {
            entries.extend(self.partition_entries(table, partitioning));
        }
        for trigger in self
            .catalog
            .triggers
            .iter()
            .filter(|t| t.table == table.name)
        {
            entries.push(Self::trigger_entry(trigger));
        }
        for policy in &table.policies {
            if context.generated.policies.contains(&policy.name) {
                continue;
            }
            if let Some(entry) = self.policy_entry(table, policy) {
                entries.push(entry);
            }
        }
        if let Some(entry) = context
            .tenant_column
            .as_deref()
            .and_then(|column| self.fill_path_entry(table, column))
        {
            entries.push(entry);
        }
        entries
    }

    /// Aligned column lines, a blank line, then the table-level entries.
    fn layout(context: &TableContext, lines: &[ColumnLine], entries: &[String]) -> String {
        let table = context.table;
        let name_width = lines.iter().map(|l| l.name.len()).max().unwrap_or(0);
        let type_width = lines.iter().map(|l| l.ty.len()).max().unwrap_or(0);
        let mut text = table
            .comment
            .as_deref()
            .map(|c| Self::doc_comment(c, ""))
            .unwrap_or_default();
        let keyword = if context.is_tenant {
            "tenant table"
        } else {
            "table"
        };
        let name = Self::qname(&table.name).unwrap_or_default();
        let _ = writeln!(text, "{keyword} {name} {{");
        for line in lines {
            if let Some(comment) = &line.comment {
                text.push_str(&Self::doc_comment(comment, "  "));
            }
            let row = if line.attributes.is_empty() {
                format!("  {:<name_width$}  {}", line.name, line.ty)
            } else {
                format!(
                    "  {:<name_width$}  {:<type_width$}  {}",
                    line.name,
                    line.ty,
                    line.attributes.join(" ")
                )
            };
            text.push_str(row.trim_end());
            text.push('\n');
        }
        if !entries.is_empty() {
            if !lines.is_empty() {
                text.push('\n');
            }
            for entry in entries {
                let _ = writeln!(text, "  {entry}");
            }
        }
        text.push('}');
        text
    }
}
