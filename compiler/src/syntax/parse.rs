//! Text → AST. `parse` never fails and never panics: whatever does not parse becomes a diagnostic
//! (one per bad line or item, in words users know) and parsing goes on with the next line or item.
//! In: one `SourceFile`. Out: `Parsed { file, diagnostics }`. No name binding happens here.

use std::collections::BTreeMap;

use pest::error::InputLocation;
use pest::iterators::Pair;
use pest::Parser;

use super::ast::{self, *};
use super::grammar::{Rule, SchemaParser};
use crate::diagnostics::{suggest, Diagnostic};
use crate::source::{FileId, SourceFile, Span};

mod routines;

/// The result of parsing one file: always an AST (possibly partial) and its diagnostics.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub file: ast::File,
    pub diagnostics: Vec<Diagnostic>,
}

/// How deep `(`, `[` and `{` may nest. pest parses nesting by recursion, so a limit checked before
/// pest runs is what keeps 10,000 nested parentheses from overflowing the stack.
pub const MAX_NESTING: usize = 100;

/// Parses one file. See the module docs.
pub fn parse(file: &SourceFile) -> Parsed {
    let text = file.text.as_str();
    let mut empty = ast::File {
        file: file.id,
        ..ast::File::default()
    };
    if let Some(at) = nesting_overflow(text) {
        return Parsed {
            file: empty,
            diagnostics: vec![Diagnostic::nesting_too_deep(
                Span::new(file.id, at, at + 1),
                MAX_NESTING,
            )],
        };
    }
    let comments = scan_comments(text, file.id);
    let docs = doc_blocks(&comments, text);
    let mut builder = Builder {
        file: file.id,
        text,
        docs,
        diagnostics: Vec::new(),
    };
    match SchemaParser::parse(Rule::file, text) {
        Ok(pairs) => {
            for pair in pairs.flatten().take(1) {
                for child in pair.into_inner() {
                    builder.item(child, &mut empty.items);
                }
            }
        }
        // `file` accepts anything through `bad_item`; this is a safety net only.
        Err(error) => {
            let at = match error.location {
                InputLocation::Pos(p) => p,
                InputLocation::Span((s, _)) => s,
            };
            let (found, span) = builder.found(at, false);
            builder.diagnostics.push(Diagnostic::unexpected_token(
                "an item", &found, span, None, None,
            ));
        }
    }
    empty.comments = comments;
    Parsed {
        file: empty,
        diagnostics: builder.diagnostics,
    }
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    /// Doc comment blocks keyed by the offset of the item or column they document.
    docs: BTreeMap<usize, Doc>,
    diagnostics: Vec<Diagnostic>,
}

/// The rule a bad fragment is re-parsed with to explain what is wrong with it.
#[derive(Clone, Copy, PartialEq)]
enum Context {
    Item,
    Entry,
    Tenancy,
}

impl<'t> Builder<'t> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn qname(&self, pair: Pair<'_, Rule>) -> QualName {
        let span = self.span(&pair);
        // `name` or `schema.name`: the last ident is the name, one before it the schema.
        let (mut schema, mut name) = (None, None);
        for part in pair.into_inner() {
            schema = name.take();
            name = Some(self.ident(part));
        }
        QualName {
            schema,
            name: name.unwrap_or(Ident {
                name: String::new(),
                span,
            }),
            span,
        }
    }

    fn string(&self, pair: Pair<'_, Rule>) -> StringLit {
        let span = self.span(&pair);
        let raw = pair.into_inner().next().map_or("", |p| p.as_str());
        StringLit {
            value: raw.replace("\"\"", "\""),
            span,
        }
    }

    fn expr(&self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        // `expr` wraps `expr_text`; `policy_check` wraps `expr`.
        let mut inner = pair;
        loop {
            if inner.as_rule() == Rule::expr_text {
                break;
            }
            match inner.clone().into_inner().next() {
                Some(next) => inner = next,
                None => break,
            }
        }
        let text = if inner.as_rule() == Rule::expr_text {
            inner.as_str().to_string()
        } else {
            String::new()
        };
        Expr { text, span }
    }

    fn doc(&self, start: usize) -> Option<Doc> {
        self.docs.get(&start).cloned()
    }

    fn item(&mut self, pair: Pair<'_, Rule>, items: &mut Vec<Item>) {
        match pair.as_rule() {
            Rule::tenancy => items.push(Item::Tenancy(self.tenancy(pair))),
            Rule::enum_def => items.push(Item::Enum(self.enum_def(pair))),
            Rule::table_def => items.push(Item::Table(self.table_def(pair))),
            Rule::role_def => {
                let span = self.span(&pair);
                let names = pair
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::ident)
                    .map(|p| self.ident(p))
                    .collect();
                items.push(Item::Role(RoleDef { names, span }));
            }
            Rule::grant_def => items.push(Item::Grant(self.grant_def(pair))),
            Rule::view_def => items.push(Item::View(self.view_def(pair))),
            Rule::routine_def => items.extend(self.routine_def(pair).map(Item::Routine)),
            Rule::domain_def => items.extend(self.domain_def(pair).map(Item::Domain)),
            Rule::sequence_def => {
                let span = self.span(&pair);
                let mut name = None;
                let mut options = Vec::new();
                for child in pair.into_inner() {
                    let rule = child.as_rule();
                    if rule == Rule::qname {
                        name = Some(self.qname(child));
                        continue;
                    }
                    let number = || {
                        child
                            .clone()
                            .into_inner()
                            .find(|p| p.as_rule() == Rule::signed_number)
                            .map(|p| (p.as_str().parse::<i64>(), self.span(&p), p.as_str()))
                    };
                    let option = match rule {
                        Rule::seq_as => child
                            .clone()
                            .into_inner()
                            .find(|p| p.as_rule() == Rule::ident)
                            .map(|p| SequenceOption::As(self.ident(p))),
                        Rule::seq_cycle => Some(SequenceOption::Cycle),
                        _ => match number() {
                            Some((Ok(n), _, _)) => match rule {
                                Rule::seq_start => Some(SequenceOption::Start(n)),
                                Rule::seq_increment => Some(SequenceOption::Increment(n)),
                                Rule::seq_minvalue => Some(SequenceOption::MinValue(n)),
                                Rule::seq_maxvalue => Some(SequenceOption::MaxValue(n)),
                                Rule::seq_cache => Some(SequenceOption::Cache(n)),
                                _ => None,
                            },
                            Some((Err(_), at, text)) => {
                                self.diagnostics.push(Diagnostic::invalid_number(text, at));
                                None
                            }
                            None => None,
                        },
                    };
                    options.extend(option);
                }
                if let Some(name) = name {
                    items.push(Item::Sequence(SequenceDef {
                        name,
                        options,
                        span,
                    }));
                }
            }
            Rule::extension_def => {
                let span = self.span(&pair);
                let mut name = None;
                let mut schema = None;
                for child in pair.into_inner() {
                    match child.as_rule() {
                        Rule::extension_name => {
                            name = Some(Ident {
                                name: child.as_str().to_string(),
                                span: self.span(&child),
                            })
                        }
                        Rule::ident => schema = Some(self.ident(child)),
                        _ => {}
                    }
                }
                if let Some(name) = name {
                    items.push(Item::Extension(ExtensionDef { name, schema, span }));
                }
            }
            Rule::bad_item => self.explain(&pair, Context::Item),
            _ => {}
        }
    }

    fn tenancy(&mut self, pair: Pair<'_, Rule>) -> Tenancy {
        let span = self.span(&pair);
        let mut entries = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::tenancy_entry => {
                    let entry_span = self.span(&child);
                    let Some(inner) = child.into_inner().next() else {
                        continue;
                    };
                    let rule = inner.as_rule();
                    let value = inner.into_inner().nth(1);
                    let Some(value) = value else { continue };
                    let kind = match rule {
                        Rule::tenancy_root => TenancyEntryKind::Root(self.qname(value)),
                        Rule::tenancy_column => TenancyEntryKind::Column(self.ident(value)),
                        Rule::tenancy_setting => TenancyEntryKind::Setting(self.string(value)),
                        Rule::tenancy_bypass => TenancyEntryKind::Bypass(self.ident(value)),
                        Rule::tenancy_rls => TenancyEntryKind::Rls(value.as_rule() == Rule::rls_on),
                        Rule::tenancy_fill => {
                            TenancyEntryKind::Fill(value.as_rule() == Rule::fill_on)
                        }
                        _ => continue,
                    };
                    entries.push(TenancyEntry {
                        kind,
                        span: entry_span,
                    });
                }
                Rule::bad_tenancy_entry => self.explain(&child, Context::Tenancy),
                _ => {}
            }
        }
        Tenancy { entries, span }
    }

    fn enum_def(&mut self, pair: Pair<'_, Rule>) -> EnumDef {
        let span = self.span(&pair);
        let doc = self.doc(pair.as_span().start());
        let mut name = None;
        let mut renamed_from = None;
        let mut values = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::qname => name = Some(self.qname(child)),
                Rule::renamed_from => renamed_from = self.renamed_from(child),
                Rule::enum_value => {
                    let value_span = self.span(&child);
                    if let Some(inner) = child.into_inner().next() {
                        let (value, quoted) = if inner.as_rule() == Rule::string {
                            (self.string(inner).value, true)
                        } else {
                            (inner.as_str().to_string(), false)
                        };
                        values.push(EnumValue {
                            value,
                            quoted,
                            span: value_span,
                        });
                    }
                }
                _ => {}
            }
        }
        EnumDef {
            doc,
            name: name.unwrap_or_else(|| self.missing_name(span)),
            renamed_from,
            values,
            span,
        }
    }

    fn missing_name(&self, span: Span) -> QualName {
        QualName {
            schema: None,
            name: Ident {
                name: String::new(),
                span,
            },
            span,
        }
    }

    fn renamed_from(&self, pair: Pair<'_, Rule>) -> Option<QualName> {
        pair.into_inner()
            .find(|p| p.as_rule() == Rule::qname)
            .map(|p| self.qname(p))
    }

    fn table_def(&mut self, pair: Pair<'_, Rule>) -> TableDef {
        let span = self.span(&pair);
        let doc = self.doc(pair.as_span().start());
        let mut kind = TableKind::Plain;
        let mut name = None;
        let mut renamed_from = None;
        let mut entries = Vec::new();
        let mut close = Span::new(self.file, span.end as usize, span.end as usize);
        let mut body = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::table_kind => {
                    kind = match child.into_inner().next().map(|p| p.as_rule()) {
                        Some(Rule::k_tenant) => TableKind::Tenant,
                        Some(Rule::k_global) => TableKind::Global,
                        _ => TableKind::Plain,
                    }
                }
                Rule::qname => name = Some(self.qname(child)),
                Rule::renamed_from => renamed_from = self.renamed_from(child),
                Rule::table_body => body = Some(child),
                _ => {}
            }
        }
        let name = name.unwrap_or_else(|| self.missing_name(span));
        if let Some(body) = body {
            for child in body.into_inner() {
                match child.as_rule() {
                    Rule::table_entry => {
                        if let Some(entry) = self.table_entry(child) {
                            entries.push(entry);
                        }
                    }
                    Rule::bad_entry => self.explain(&child, Context::Entry),
                    Rule::table_close => {
                        close = self.span(&child);
                        if child
                            .into_inner()
                            .any(|p| p.as_rule() == Rule::missing_close)
                        {
                            let (_, next) = self.found(close.start as usize, false);
                            let open =
                                Span::new(self.file, span.start as usize, name.span.end as usize);
                            self.diagnostics.push(Diagnostic::missing_close_brace(
                                &name.text(),
                                open,
                                next,
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        // Lists grown by pushing hold up to twice their length, and the syntax trees of every
        // file live until the model is built: at their exact size, `check`'s peak is a third lower.
        entries.shrink_to_fit();
        TableDef {
            doc,
            kind,
            name,
            renamed_from,
            entries,
            close,
            span,
        }
    }

    fn table_entry(&mut self, pair: Pair<'_, Rule>) -> Option<TableEntry> {
        let inner = pair.into_inner().next()?;
        let span = self.span(&inner);
        let rule = inner.as_rule();
        let kind = match rule {
            Rule::column => TableEntryKind::Column(self.column(inner)?),
            Rule::primary_key_entry | Rule::unique_entry => {
                let mut name = None;
                let mut columns = Vec::new();
                let mut nulls_not_distinct = false;
                for child in inner.into_inner() {
                    match child.as_rule() {
                        Rule::constraint_name => {
                            name = child.into_inner().next().map(|p| self.ident(p))
                        }
                        Rule::column_list => columns = self.column_list(child),
                        Rule::nulls_not_distinct => nulls_not_distinct = true,
                        _ => {}
                    }
                }
                if rule == Rule::primary_key_entry {
                    TableEntryKind::PrimaryKey { name, columns }
                } else {
                    TableEntryKind::Unique {
                        name,
                        columns,
                        nulls_not_distinct,
                    }
                }
            }
            Rule::index_entry => TableEntryKind::Index(self.index_entry(inner)),
            Rule::unique_index_entry => TableEntryKind::Index(IndexDef {
                unique: true,
                ..self.index_entry(inner)
            }),
            Rule::check_entry => {
                let mut name = None;
                let mut expr = None;
                for child in inner.into_inner() {
                    match child.as_rule() {
                        Rule::constraint_name => {
                            name = child.into_inner().next().map(|p| self.ident(p))
                        }
                        Rule::expr => expr = Some(self.expr(child)),
                        _ => {}
                    }
                }
                TableEntryKind::Check { name, expr: expr? }
            }
            Rule::foreign_key_entry => TableEntryKind::ForeignKey(self.foreign_key_entry(inner)?),
            Rule::policy_entry => TableEntryKind::Policy(self.policy_entry(inner)?),
            Rule::backfill_entry => {
                let mut column = None;
                let mut source = None;
                for child in inner.into_inner() {
                    match child.as_rule() {
                        Rule::ident => column = Some(self.ident(child)),
                        Rule::backfill_from => {
                            source = child
                                .into_inner()
                                .next()
                                .map(|p| BackfillSource::From(self.ident(p)))
                        }
                        Rule::expr => source = Some(BackfillSource::Expr(self.expr(child))),
                        _ => {}
                    }
                }
                TableEntryKind::Backfill {
                    column: column?,
                    source: source?,
                }
            }
            Rule::trigger_entry => TableEntryKind::Trigger(self.trigger_entry(inner)?),
            Rule::rls_entry => TableEntryKind::RowLevelSecurity {
                forced: inner.into_inner().any(|p| p.as_rule() == Rule::rls_forced),
            },
            Rule::partition_by_entry => self.partition_by_entry(inner)?,
            Rule::partition_entry => self.partition_entry(inner)?,
            Rule::partitions_unmanaged => TableEntryKind::PartitionsUnmanaged,
            _ => return None,
        };
        Some(TableEntry { kind, span })
    }

    fn partition_by_entry(&self, pair: Pair<'_, Rule>) -> Option<TableEntryKind> {
        let mut strategy = None;
        let mut keys = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::partition_strategy => {
                    strategy = match child.as_str().trim() {
                        "range" => Some(PartitionStrategy::Range),
                        "list" => Some(PartitionStrategy::List),
                        _ => Some(PartitionStrategy::Hash),
                    }
                }
                Rule::expr => keys = Some(self.expr(child)),
                _ => {}
            }
        }
        Some(TableEntryKind::PartitionBy {
            strategy: strategy?,
            keys: keys?,
        })
    }

    fn partition_entry(&self, pair: Pair<'_, Rule>) -> Option<TableEntryKind> {
        let mut name = None;
        let mut bound = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::ident => name = Some(self.ident(child)),
                Rule::bound_range => {
                    let mut exprs = child
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::expr)
                        .map(|p| self.expr(p));
                    let from = exprs.next()?;
                    let to = exprs.next()?;
                    bound = Some(PartitionBound::Range { from, to });
                }
                Rule::bound_list => {
                    let expr = child.into_inner().find(|p| p.as_rule() == Rule::expr)?;
                    bound = Some(PartitionBound::List(self.expr(expr)));
                }
                Rule::bound_hash => {
                    let mut numbers = child
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::number)
                        .map(|p| p.as_str().parse::<u32>().ok());
                    let modulus = numbers.next()??;
                    let remainder = numbers.next()??;
                    bound = Some(PartitionBound::Hash { modulus, remainder });
                }
                Rule::bound_default => bound = Some(PartitionBound::Default),
                _ => {}
            }
        }
        Some(TableEntryKind::Partition {
            name: name?,
            bound: bound?,
        })
    }

    fn column_list(&self, pair: Pair<'_, Rule>) -> Vec<Ident> {
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::ident)
            .map(|p| self.ident(p))
            .collect()
    }

    fn view_def(&mut self, pair: Pair<'_, Rule>) -> ViewDef {
        let span = self.span(&pair);
        let mut view = ViewDef {
            materialized: false,
            name: QualName {
                schema: None,
                name: Ident {
                    name: String::new(),
                    span,
                },
                span,
            },
            options: Vec::new(),
            query: Expr {
                text: String::new(),
                span,
            },
            indexes: None,
            index_spans: Vec::new(),
            span,
        };
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::view_materialized => view.materialized = true,
                Rule::qname => view.name = self.qname(child),
                Rule::view_options => {
                    for option in child.into_inner() {
                        if option.as_rule() == Rule::view_option {
                            let text: String = option
                                .as_str()
                                .chars()
                                .filter(|c| *c != ' ' && *c != '\t')
                                .collect();
                            view.options.push(Ident {
                                name: text,
                                span: self.span(&option),
                            });
                        }
                    }
                }
                Rule::expr => view.query = self.expr(child),
                Rule::view_body => {
                    let mut indexes = Vec::new();
                    for entry in child.into_inner() {
                        let unique = match entry.as_rule() {
                            Rule::unique_index_entry => true,
                            Rule::index_entry => false,
                            _ => continue,
                        };
                        view.index_spans.push(self.span(&entry));
                        indexes.push(IndexDef {
                            unique,
                            ..self.index_entry(entry)
                        });
                    }
                    view.indexes = Some(indexes);
                }
                _ => {}
            }
        }
        view
    }

    fn index_entry(&mut self, pair: Pair<'_, Rule>) -> IndexDef {
        let mut index = IndexDef {
            unique: false,
            name: None,
            keys: Vec::new(),
            method: None,
            include: Vec::new(),
            nulls_not_distinct: false,
            predicate: None,
        };
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::constraint_name => {
                    index.name = child.into_inner().next().map(|p| self.ident(p))
                }
                Rule::index_keys => {
                    for key in child.into_inner() {
                        match key.as_rule() {
                            Rule::key_column => index.keys.push(IndexKey::Column(self.ident(key))),
                            Rule::key_expr => {
                                let raw = key.as_str();
                                let text = raw.trim_end().to_string();
                                let start = key.as_span().start();
                                index.keys.push(IndexKey::Expr(Expr {
                                    span: Span::new(self.file, start, start + text.len()),
                                    text,
                                }));
                            }
                            _ => {}
                        }
                    }
                }
                Rule::index_method => index.method = Some(self.ident(child)),
                Rule::include_columns => {
                    if let Some(list) = child.into_inner().next() {
                        index.include = self.column_list(list);
                    }
                }
                Rule::nulls_not_distinct => index.nulls_not_distinct = true,
                Rule::expr => index.predicate = Some(self.expr(child)),
                _ => {}
            }
        }
        index
    }

    fn fk_rule(&self, pair: Pair<'_, Rule>) -> Option<FkRule> {
        let span = self.span(&pair);
        let event_pair = pair
            .into_inner()
            .find(|p| matches!(p.as_rule(), Rule::on_delete | Rule::on_update))?;
        let event = if event_pair.as_rule() == Rule::on_delete {
            FkEvent::Delete
        } else {
            FkEvent::Update
        };
        let action_pair = event_pair
            .into_inner()
            .find(|p| p.as_rule() == Rule::fk_action)?;
        let action = match action_pair.into_inner().next()?.as_rule() {
            Rule::act_cascade => FkAction::Cascade,
            Rule::act_restrict => FkAction::Restrict,
            Rule::act_set_null => FkAction::SetNull,
            Rule::act_set_default => FkAction::SetDefault,
            _ => FkAction::NoAction,
        };
        Some(FkRule {
            event,
            action,
            span,
        })
    }

    fn foreign_key_entry(&mut self, pair: Pair<'_, Rule>) -> Option<ForeignKeyDef> {
        let mut lists = Vec::new();
        let mut table = None;
        let mut rules = Vec::new();
        let mut name = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::constraint_name => name = child.into_inner().next().map(|p| self.ident(p)),
                Rule::column_list => lists.push(self.column_list(child)),
                Rule::qname => table = Some(self.qname(child)),
                Rule::fk_rule => rules.extend(self.fk_rule(child)),
                _ => {}
            }
        }
        let mut lists = lists.into_iter();
        Some(ForeignKeyDef {
            name,
            columns: lists.next()?,
            table: table?,
            referenced_columns: lists.next(),
            rules,
        })
    }

    fn policy_entry(&mut self, pair: Pair<'_, Rule>) -> Option<PolicyDef> {
        let mut name = None;
        let mut command = PolicyCommand::All;
        let mut roles = Vec::new();
        let mut using = None;
        let mut with_check = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::ident if name.is_none() => name = Some(self.ident(child)),
                Rule::ident => roles.push(self.ident(child)),
                Rule::policy_command => {
                    command = match child.into_inner().next().map(|p| p.as_rule()) {
                        Some(Rule::k_select) => PolicyCommand::Select,
                        Some(Rule::k_insert) => PolicyCommand::Insert,
                        Some(Rule::k_update) => PolicyCommand::Update,
                        Some(Rule::k_delete) => PolicyCommand::Delete,
                        _ => PolicyCommand::All,
                    }
                }
                Rule::expr => using = Some(self.expr(child)),
                Rule::policy_check => with_check = Some(self.expr(child)),
                _ => {}
            }
        }
        Some(PolicyDef {
            name: name?,
            command,
            roles,
            using,
            with_check,
        })
    }

    fn column(&mut self, pair: Pair<'_, Rule>) -> Option<ColumnDef> {
        let span = self.span(&pair);
        let doc = self.doc(pair.as_span().start());
        let mut children = pair.into_inner();
        let name = self.ident(children.next()?);
        let mut ty = None;
        let mut nullable = false;
        let mut attributes = Vec::new();
        for child in children {
            match child.as_rule() {
                Rule::column_type => {
                    let (t, n) = self.column_type(child)?;
                    ty = Some(t);
                    nullable = n;
                }
                Rule::type_sep => {}
                _ => {
                    if let Some(attribute) = self.attribute(child) {
                        // Grown one at a time, so never larger than needed: most columns have
                        // one attribute or none, and a first push makes room for four (then
                        // shrinking it was a second allocation per column).
                        attributes.reserve_exact(1);
                        attributes.push(attribute);
                    }
                }
            }
        }
        Some(ColumnDef {
            doc,
            name,
            ty: ty?,
            nullable,
            attributes,
            span,
        })
    }

    fn column_type(&mut self, pair: Pair<'_, Rule>) -> Option<(TypeRef, bool)> {
        let mut name = None;
        let mut array = false;
        let mut nullable = false;
        let start = pair.as_span().start();
        let mut end = start;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::quoted_type => {
                    end = child.as_span().end();
                    let string = child.into_inner().next()?;
                    name = Some(TypeName::Quoted(self.string(string)));
                }
                Rule::named_type => {
                    end = child.as_span().end();
                    let mut qname = None;
                    let mut args = Vec::new();
                    for part in child.into_inner() {
                        match part.as_rule() {
                            Rule::qname => qname = Some(self.qname(part)),
                            Rule::number => match part.as_str().parse::<u32>() {
                                Ok(n) => args.push(n),
                                Err(_) => {
                                    let at = self.span(&part);
                                    self.diagnostics
                                        .push(Diagnostic::invalid_number(part.as_str(), at));
                                    args.push(u32::MAX);
                                }
                            },
                            _ => {}
                        }
                    }
                    name = Some(TypeName::Named { name: qname?, args });
                }
                Rule::array => {
                    array = true;
                    end = child.as_span().end();
                }
                Rule::nullable => nullable = true,
                _ => {}
            }
        }
        Some((
            TypeRef {
                name: name?,
                array,
                span: Span::new(self.file, start, end),
            },
            nullable,
        ))
    }

    fn attribute(&mut self, pair: Pair<'_, Rule>) -> Option<Attribute> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let first_expr = |this: &Self, pair: Pair<'_, Rule>| {
            pair.into_inner()
                .find(|p| p.as_rule() == Rule::expr)
                .map(|p| this.expr(p))
        };
        let kind = match rule {
            Rule::attr_primary => AttributeKind::Primary,
            Rule::attr_unique => AttributeKind::Unique,
            Rule::attr_index => AttributeKind::Index,
            Rule::attr_default => AttributeKind::Default(first_expr(self, pair)?),
            Rule::attr_check => AttributeKind::Check(first_expr(self, pair)?),
            Rule::attr_using => AttributeKind::Using(first_expr(self, pair)?),
            Rule::attr_backfill => AttributeKind::Backfill(first_expr(self, pair)?),
            Rule::attr_generated => {
                let virtual_kind = pair.clone().into_inner().find_map(|p| match p.as_rule() {
                    Rule::generated_virtual => Some(true),
                    Rule::generated_stored => Some(false),
                    _ => None,
                });
                AttributeKind::Generated {
                    expr: first_expr(self, pair)?,
                    virtual_kind,
                }
            }
            Rule::attr_identity => AttributeKind::Identity {
                always: pair.into_inner().any(|p| p.as_rule() == Rule::k_always),
            },
            Rule::attr_renamed => AttributeKind::RenamedFrom(
                self.ident(pair.into_inner().find(|p| p.as_rule() == Rule::ident)?),
            ),
            Rule::attr_references => {
                let mut table = None;
                let mut column = None;
                let mut name = None;
                let mut rules = Vec::new();
                for child in pair.into_inner() {
                    match child.as_rule() {
                        Rule::qname => table = Some(self.qname(child)),
                        Rule::ident => column = Some(self.ident(child)),
                        Rule::fk_rule => rules.extend(self.fk_rule(child)),
                        Rule::fk_name => {
                            name = child
                                .into_inner()
                                .find(|p| p.as_rule() == Rule::constraint_name)
                                .and_then(|p| p.into_inner().next())
                                .map(|p| self.ident(p))
                        }
                        _ => {}
                    }
                }
                AttributeKind::References(Box::new(References {
                    table: table?,
                    column,
                    name,
                    rules,
                }))
            }
            _ => return None,
        };
        Some(Attribute { kind, span })
    }

    fn grant_def(&mut self, pair: Pair<'_, Rule>) -> GrantDef {
        let span = self.span(&pair);
        let mut privileges = Vec::new();
        let mut targets = GrantTargets::Tables(Vec::new());
        let mut roles = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::privilege => {
                    let privilege_span = self.span(&child);
                    let privilege = match child.into_inner().next().map(|p| p.as_rule()) {
                        Some(Rule::k_select) => Privilege::Select,
                        Some(Rule::k_insert) => Privilege::Insert,
                        Some(Rule::k_update) => Privilege::Update,
                        Some(Rule::k_delete) => Privilege::Delete,
                        Some(Rule::k_truncate) => Privilege::Truncate,
                        Some(Rule::k_references) => Privilege::References,
                        Some(Rule::k_trigger) => Privilege::Trigger,
                        _ => Privilege::All,
                    };
                    privileges.push(PrivilegeRef {
                        privilege,
                        span: privilege_span,
                    });
                }
                Rule::grant_targets => {
                    let mut tables = Vec::new();
                    for target in child.into_inner() {
                        let target_span = self.span(&target);
                        match target.as_rule() {
                            Rule::targets_tenant => {
                                targets = GrantTargets::TenantTables(target_span)
                            }
                            Rule::targets_global => {
                                targets = GrantTargets::GlobalTables(target_span)
                            }
                            Rule::targets_all => targets = GrantTargets::AllTables(target_span),
                            Rule::qname => tables.push(self.qname(target)),
                            _ => {}
                        }
                    }
                    if !tables.is_empty() {
                        targets = GrantTargets::Tables(tables);
                    }
                }
                Rule::ident => roles.push(self.ident(child)),
                _ => {}
            }
        }
        GrantDef {
            privileges,
            targets,
            roles,
            span,
        }
    }

    /// Reports a fragment that did not parse: re-parses it alone with the rule of its context to
    /// learn how far it gets and what was expected there.
    fn explain(&mut self, pair: &Pair<'_, Rule>, context: Context) {
        let start = pair.as_span().start();
        let fragment = pair.as_str();
        // Skip what the replacement of an invalid UTF-8 byte produced: that byte is reported once.
        if fragment.starts_with('\u{FFFD}') {
            return;
        }
        let rule = match context {
            Context::Item => Rule::item_probe,
            Context::Entry => Rule::entry_probe,
            Context::Tenancy => Rule::tenancy_probe,
        };
        let (at, positives) = match SchemaParser::parse(rule, fragment) {
            Err(error) => {
                let at = match error.location {
                    InputLocation::Pos(p) => p,
                    InputLocation::Span((s, _)) => s,
                };
                let positives = match error.variant {
                    pest::error::ErrorVariant::ParsingError { positives, .. } => positives,
                    pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
                };
                (at, positives)
            }
            // The fragment parses alone but not where it stands: blame its first token.
            Ok(_) => (0, Vec::new()),
        };
        let absolute = start + at.min(fragment.len());
        let line_bound = context != Context::Item;
        let (found, span) = self.found(absolute, line_bound);
        if let Some(unterminated) = self.unterminated_string(absolute) {
            self.diagnostics
                .push(Diagnostic::unterminated_string(unterminated, '"'));
            return;
        }
        if let Some(problem) = self.expression_problem(absolute, start + fragment.len()) {
            self.diagnostics.push(problem);
            return;
        }
        let word = found.trim_matches('`').to_string();
        let keywords: Vec<&'static str> = positives.iter().filter_map(|r| keyword(*r)).collect();
        if context == Context::Item && at == 0 {
            let suggestion = suggest::closest(&word, ITEM_KEYWORDS.iter().copied());
            self.diagnostics
                .push(Diagnostic::unknown_item(&found, span, suggestion));
            return;
        }
        let suggestion = if found.starts_with('`') {
            suggest::closest(&word, keywords.iter().copied())
        } else {
            None
        };
        let expected = if context == Context::Entry && at == 0 {
            // Nothing of the line made sense: say what a line of a table can be.
            "a column or a table entry".to_string()
        } else {
            expected_phrase(&positives, context)
        };
        let help = Some(help_for(&positives, context, fragment));
        self.diagnostics.push(Diagnostic::unexpected_token(
            &expected, &found, span, suggestion, help,
        ));
    }

    /// Describes the token at `at` (after spaces) for a message, with its span.
    fn found(&self, at: usize, line_bound: bool) -> (String, Span) {
        let bytes = self.text.as_bytes();
        let mut i = at.min(bytes.len());
        loop {
            match bytes.get(i) {
                Some(b' ' | b'\t' | b'\r') => i += 1,
                Some(b'\n') if !line_bound => i += 1,
                _ => break,
            }
        }
        let point = Span::new(self.file, i, i);
        let Some(&byte) = bytes.get(i) else {
            return ("the end of the file".to_string(), point);
        };
        if byte == b'\n' {
            return ("the end of the line".to_string(), point);
        }
        if byte.is_ascii_alphanumeric() || byte == b'_' {
            let end = bytes[i..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                .map_or(bytes.len(), |n| i + n);
            let word = &self.text[i..end];
            return (format!("`{word}`"), Span::new(self.file, i, end));
        }
        let ch = self.text[i..].chars().next().unwrap_or(' ');
        let end = i + ch.len_utf8();
        let shown = if ch == '`' {
            "a backtick".to_string()
        } else {
            format!("`{ch}`")
        };
        (shown, Span::new(self.file, i, end))
    }

    /// When the parser stopped at the `(` of an expression that does not close before `end`: an
    /// unclosed string inside it, or the parenthesis itself.
    fn expression_problem(&self, at: usize, end: usize) -> Option<Diagnostic> {
        let bytes = self.text.as_bytes();
        let end = end.min(bytes.len());
        let mut i = at;
        while i < end && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        if bytes.get(i) != Some(&b'(') {
            return None;
        }
        let open = i;
        let mut depth = 0usize;
        while i < end {
            match bytes[i] {
                b'(' => depth += 1,
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return None;
                    }
                }
                quote @ (b'\'' | b'"') => match closing_quote(&bytes[..end], i + 1, quote) {
                    Some(close) => i = close,
                    None => {
                        return Some(Diagnostic::unterminated_string(
                            Span::new(self.file, i, i + 1),
                            char::from(quote),
                        ))
                    }
                },
                _ => {}
            }
            i += 1;
        }
        Some(Diagnostic::unclosed_parenthesis(Span::new(
            self.file,
            open,
            open + 1,
        )))
    }

    /// If a `"` at `at` (after spaces) has no closing quote on its line, the span of that quote.
    fn unterminated_string(&self, at: usize) -> Option<Span> {
        let rest = self.text.get(at..)?;
        let offset = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let start = at + offset;
        let line = self.text[start..].split('\n').next()?;
        let after = line.strip_prefix('"')?;
        let quotes = after.matches('"').count();
        // `""` is an escaped quote: an even count leaves the string open.
        (quotes % 2 == 0).then(|| Span::new(self.file, start, start + 1))
    }
}

const ITEM_KEYWORDS: &[&str] = &[
    "table", "tenant", "global", "enum", "tenancy", "role", "grant",
];

/// The keyword a `k_*` rule matches.
fn keyword(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::k_tenancy => "tenancy",
        Rule::k_root => "root",
        Rule::k_column => "column",
        Rule::k_setting => "setting",
        Rule::k_bypass => "bypass",
        Rule::k_rls => "rls",
        Rule::k_fill => "fill",
        Rule::k_on => "on",
        Rule::k_off => "off",
        Rule::k_enum => "enum",
        Rule::k_renamed => "renamed",
        Rule::k_from => "from",
        Rule::k_table => "table",
        Rule::k_tenant => "tenant",
        Rule::k_global => "global",
        Rule::k_primary => "primary",
        Rule::k_key => "key",
        Rule::k_unique => "unique",
        Rule::k_index => "index",
        Rule::k_default => "default",
        Rule::k_references => "references",
        Rule::k_check => "check",
        Rule::k_using => "using",
        Rule::k_backfill => "backfill",
        Rule::k_generated => "generated",
        Rule::k_identity => "identity",
        Rule::k_name => "name",
        Rule::k_extension => "extension",
        Rule::k_schema => "schema",
        Rule::k_sequence => "sequence",
        Rule::k_as => "as",
        Rule::k_start => "start",
        Rule::k_increment => "increment",
        Rule::k_minvalue => "minvalue",
        Rule::k_maxvalue => "maxvalue",
        Rule::k_cache => "cache",
        Rule::k_cycle => "cycle",
        Rule::k_view => "view",
        Rule::k_materialized => "materialized",
        Rule::k_function => "function",
        Rule::k_procedure => "procedure",
        Rule::k_domain => "domain",
        Rule::k_not => "not",
        Rule::k_before => "before",
        Rule::k_after => "after",
        Rule::k_instead => "instead",
        Rule::k_of => "of",
        Rule::k_or => "or",
        Rule::k_each => "each",
        Rule::k_statement => "statement",
        Rule::k_when => "when",
        Rule::k_execute => "execute",
        Rule::k_always => "always",
        Rule::k_delete => "delete",
        Rule::k_update => "update",
        Rule::k_cascade => "cascade",
        Rule::k_restrict => "restrict",
        Rule::k_set => "set",
        Rule::k_null => "null",
        Rule::k_no => "no",
        Rule::k_action => "action",
        Rule::k_where => "where",
        Rule::k_foreign => "foreign",
        Rule::k_policy => "policy",
        Rule::k_for => "for",
        Rule::k_to => "to",
        Rule::k_with => "with",
        Rule::k_select => "select",
        Rule::k_insert => "insert",
        Rule::k_all => "all",
        Rule::k_row => "row",
        Rule::k_level => "level",
        Rule::k_security => "security",
        Rule::k_forced => "forced",
        Rule::k_role => "role",
        Rule::k_grant => "grant",
        Rule::k_truncate => "truncate",
        Rule::k_trigger => "trigger",
        Rule::k_privileges => "privileges",
        Rule::k_tables => "tables",
        _ => return None,
    })
}

const ATTRIBUTE_RULES: &[Rule] = &[
    Rule::k_primary,
    Rule::k_unique,
    Rule::k_index,
    Rule::k_default,
    Rule::k_references,
    Rule::k_check,
    Rule::k_renamed,
    Rule::k_using,
    Rule::k_backfill,
    Rule::k_generated,
    Rule::k_identity,
];

/// What the parser expected, in words: "a column type", "`)`", "`on delete` or `on update`".
fn expected_phrase(positives: &[Rule], context: Context) -> String {
    let attribute_list = ATTRIBUTE_RULES
        .iter()
        .filter(|r| positives.contains(r))
        .count()
        >= 4;
    let mut phrases: Vec<String> = Vec::new();
    let mut push = |phrase: String| {
        if !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
    };
    for rule in positives {
        if attribute_list && ATTRIBUTE_RULES.contains(rule) {
            push("a column attribute".to_string());
            continue;
        }
        let phrase = match rule {
            Rule::EOI => match context {
                Context::Entry => "the end of the line".to_string(),
                _ => "the end of the item".to_string(),
            },
            Rule::ident | Rule::qname | Rule::constraint_name | Rule::backfill_from => {
                "a name".to_string()
            }
            Rule::type_sep | Rule::column_type | Rule::named_type | Rule::quoted_type => {
                "a column type".to_string()
            }
            Rule::expr | Rule::policy_check => "an expression in parentheses".to_string(),
            Rule::string => "a string in double quotes".to_string(),
            Rule::number => "a number".to_string(),
            Rule::column_list => "a list of columns in parentheses".to_string(),
            Rule::index_keys => "a list of index keys in parentheses".to_string(),
            Rule::key_column | Rule::key_expr => "a column or an expression".to_string(),
            Rule::index_method => {
                "an index method (`btree`, `hash`, `gist`, `spgist`, `gin`, `brin` or an extension's)".to_string()
            }
            Rule::fk_action
            | Rule::act_cascade
            | Rule::act_restrict
            | Rule::act_set_null
            | Rule::act_set_default
            | Rule::act_no_action => {
                "`cascade`, `restrict`, `set null`, `set default` or `no action`".to_string()
            }
            Rule::on_delete | Rule::on_update => "`delete` or `update`".to_string(),
            Rule::fk_rule => "`on delete` or `on update`".to_string(),
            Rule::policy_command => "`select`, `insert`, `update`, `delete` or `all`".to_string(),
            Rule::privilege | Rule::priv_all => "a privilege (`select`, `insert`, `update`, \
                `delete`, `truncate`, `references`, `trigger` or `all`)"
                .to_string(),
            Rule::grant_targets
            | Rule::targets_tenant
            | Rule::targets_global
            | Rule::targets_all => {
                "a list of tables, `tenant tables`, `global tables` or `all tables`".to_string()
            }
            Rule::table_body => "`{`".to_string(),
            Rule::enum_value => "an enum value (a name or a string in double quotes)".to_string(),
            Rule::rls_on | Rule::rls_off | Rule::fill_on | Rule::fill_off => {
                "`on` or `off`".to_string()
            }
            Rule::array => "`[]`".to_string(),
            Rule::nullable => "`?`".to_string(),
            Rule::tenancy_entry => {
                "a tenancy entry (`root`, `column`, `setting`, `bypass`, `rls` or `fill`)"
                    .to_string()
            }
            Rule::table_entry | Rule::column => "a column or a table entry".to_string(),
            Rule::item_probe | Rule::file => "an item".to_string(),
            Rule::renamed_from => "`renamed from`".to_string(),
            Rule::table_kind => "`tenant` or `global`".to_string(),
            other => match keyword(*other) {
                Some(word) => format!("`{word}`"),
                None => continue,
            },
        };
        push(phrase);
    }
    if phrases.is_empty() {
        return match context {
            Context::Entry => "a column (`name type attributes...`) or a table entry".to_string(),
            Context::Tenancy => {
                "a tenancy entry (`root`, `column`, `setting`, `bypass`, `rls` or `fill`)"
                    .to_string()
            }
            Context::Item => "an item".to_string(),
        };
    }
    match phrases.len() {
        1 => phrases.remove(0),
        _ => {
            let last = phrases.pop().unwrap_or_default();
            format!("{} or {last}", phrases.join(", "))
        }
    }
}

/// Help that says what to write, from what was expected and how the fragment starts.
fn help_for(positives: &[Rule], context: Context, fragment: &str) -> String {
    let first_word: String = fragment
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    match context {
        Context::Tenancy => "a `tenancy` block holds `root <table>`, `column <name>`, \
                             `setting \"<name>\"`, `bypass <role>`, `rls on|off` and `fill on|off`"
            .to_string(),
        Context::Entry => {
            if positives.contains(&Rule::type_sep) || positives.contains(&Rule::column_type) {
                return "write a column as `name type`, e.g. `email text`".to_string();
            }
            if ATTRIBUTE_RULES
                .iter()
                .filter(|r| positives.contains(r))
                .count()
                >= 4
            {
                return "column attributes are `primary`, `unique`, `index`, `default(expr)`, \
                        `references table`, `check (expr)`, `renamed from name`, `using (expr)`, \
                        `backfill (expr)` and `generated (expr)`; a column ends at the end of its line or where the next column starts"
                    .to_string();
            }
            match first_word.as_str() {
                "index" => {
                    "write `index [name] (column, ...) [using method] [where (expr)]`".to_string()
                }
                "unique" => "write `unique [name] (column, ...)`".to_string(),
                "primary" => "write `primary key (column, ...)`".to_string(),
                "check" => "write `check [name] (expr)`".to_string(),
                "foreign" => {
                    "write `foreign key (a, b) references table (x, y) [on delete action]`"
                        .to_string()
                }
                "policy" => {
                    "write `policy name for select|insert|update|delete|all [to role, ...] \
                             using (expr) [with check (expr)]`"
                        .to_string()
                }
                "backfill" => {
                    "write `backfill column from fk_column` or `backfill column (expr)`".to_string()
                }
                _ if positives.contains(&Rule::fk_rule)
                    || positives.contains(&Rule::on_delete)
                    || positives.contains(&Rule::fk_action) =>
                {
                    "write `on delete` or `on update` followed by `cascade`, `restrict`, \
                     `set null`, `set default` or `no action`"
                        .to_string()
                }
                _ => "a table holds columns (`name type attributes...`, one per line) and entries \
                      such as `primary key (a, b)`, `unique (a)`, `index (a)`, `check (expr)`"
                    .to_string(),
            }
        }
        Context::Item => match first_word.as_str() {
            "grant" => {
                "write `grant select, insert on <tables> to <role>`; the tables are a list, \
                        `tenant tables`, `global tables` or `all tables`"
                    .to_string()
            }
            "role" => "write `role <name>`".to_string(),
            "enum" => "write `enum <name> { a, b, \"not a name\" }`".to_string(),
            "tenancy" => "write `tenancy { root <table> }`".to_string(),
            _ => "write `table <name> { ... }`, `tenant table <name> { ... }` or \
                  `global table <name> { ... }`"
                .to_string(),
        },
    }
}

/// Offset of the first `(`, `[` or `{` nested deeper than `MAX_NESTING`, skipping strings and
/// comments the way the grammar does. Iterative, so any input is safe.
fn nesting_overflow(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut paren_depth = 0usize;
    // Once a quote of a kind has no closing partner after offset n, none after n has one either
    // (for our purpose); remembering it keeps the scan linear.
    let mut unclosed_after: [Option<usize>; 2] = [None, None];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                let slot = usize::from(quote == b'"');
                let known_open = unclosed_after[slot].is_some_and(|n| i >= n);
                if !known_open {
                    match closing_quote(bytes, i + 1, quote) {
                        Some(end) => {
                            i = end + 1;
                            continue;
                        }
                        None => unclosed_after[slot] = Some(i),
                    }
                }
            }
            b'/' if paren_depth == 0 && bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if bytes[i] == b'(' {
                    paren_depth += 1;
                }
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if bytes[i] == b')' {
                    paren_depth = paren_depth.saturating_sub(1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Offset of the quote closing a string whose body starts at `from` (`''` / `""` escape).
fn closing_quote(bytes: &[u8], from: usize, quote: u8) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Every `//` comment outside strings and parentheses (inside parentheses is verbatim SQL).
pub(crate) fn scan_comments(text: &str, file: FileId) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut depth = 0usize;
    let mut line_start = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        match byte {
            b'\n' => line_start = i + 1,
            b'"' if depth == 0 => {
                // A `"` string outside an expression ends on its line.
                let close = bytes[i + 1..]
                    .iter()
                    .position(|b| *b == b'"' || *b == b'\n')
                    .map(|n| i + 1 + n);
                if let Some(end) = close.filter(|e| bytes[*e] == b'"') {
                    i = end + 1;
                    continue;
                }
            }
            b'\'' | b'"' if depth > 0 => {
                if let Some(end) = closing_quote(bytes, i + 1, byte) {
                    // Keep line starts right across multi-line strings.
                    if let Some(nl) = bytes[i..end].iter().rposition(|b| *b == b'\n') {
                        line_start = i + nl + 1;
                    }
                    i = end + 1;
                    continue;
                }
            }
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'/' if depth == 0 && bytes.get(i + 1) == Some(&b'/') => {
                let end = bytes[i..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(bytes.len(), |n| i + n);
                let raw = &text[i..end];
                let trimmed = raw.trim_end();
                let doc = trimmed.starts_with("///") && !trimmed.starts_with("////");
                let trailing = !text[line_start..i].trim().is_empty();
                comments.push(Comment {
                    span: Span::new(file, i, i + trimmed.len()),
                    text: trimmed.to_string(),
                    doc,
                    trailing,
                });
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    comments
}

/// Groups consecutive `///` lines into doc blocks, keyed by the offset of what follows them.
fn doc_blocks(comments: &[Comment], text: &str) -> BTreeMap<usize, Doc> {
    let mut blocks = BTreeMap::new();
    let mut i = 0;
    while i < comments.len() {
        if !comments[i].doc || comments[i].trailing {
            i += 1;
            continue;
        }
        let first = i;
        // Consecutive: only one line break between one doc line and the next.
        while i + 1 < comments.len()
            && comments[i + 1].doc
            && !comments[i + 1].trailing
            && text
                .get(comments[i].span.end as usize..comments[i + 1].span.start as usize)
                .is_some_and(|gap| gap.trim().is_empty() && gap.matches('\n').count() == 1)
        {
            i += 1;
        }
        let last = i;
        i += 1;
        let end = comments[last].span.end as usize;
        let rest = &text[end..];
        let next = end + (rest.len() - rest.trim_start().len());
        // A doc block followed by another comment documents nothing.
        if text[next..].starts_with("//") {
            continue;
        }
        let lines: Vec<&str> = comments[first..=last]
            .iter()
            .map(|c| {
                let body = &c.text[3..];
                body.strip_prefix(' ').unwrap_or(body)
            })
            .collect();
        blocks.insert(
            next,
            Doc {
                text: lines.join("\n"),
                span: comments[first].span.to(comments[last].span),
            },
        );
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceSet;

    fn parse_text(text: &str) -> Parsed {
        let mut set = SourceSet::default();
        set.add("test.schema", text);
        parse(&set.files[0])
    }

    fn messages(text: &str) -> Vec<String> {
        parse_text(text)
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.code, d.message))
            .collect()
    }

    #[test]
    fn parses_the_reference_example() {
        let parsed = parse_text(
            "tenancy { root accounts  column account_id  setting \"app.current_account_id\"  bypass platform_admin }\n\
             /// The accounts.\ntable accounts {\n  id    uuid primary default(gen_random_uuid())\n  name  text\n}\n\
             tenant table sessions {\n  id uuid primary\n  user_id uuid references users on delete cascade\n  index (user_id)\n}\n\
             role app_user\ngrant select, insert on tenant tables to app_user\n",
        );
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert_eq!(parsed.file.items.len(), 5);
        let Item::Table(accounts) = &parsed.file.items[1] else {
            panic!("not a table")
        };
        assert_eq!(
            accounts.doc.as_ref().map(|d| d.text.as_str()),
            Some("The accounts.")
        );
        assert_eq!(accounts.entries.len(), 2);
    }

    #[test]
    fn keywords_are_not_reserved() {
        let parsed = parse_text(
            "table action {\n  index text\n  user int? index\n  role text unique\n  primary bool\n  table text\n  check text?\n}\n\
             enum role { table, user, \"won't ship\" }\n",
        );
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let Item::Table(table) = &parsed.file.items[0] else {
            panic!("not a table")
        };
        let names: Vec<String> = table
            .entries
            .iter()
            .filter_map(|e| match &e.kind {
                TableEntryKind::Column(c) => Some(c.name.name.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            names,
            ["index", "user", "role", "primary", "table", "check"]
        );
    }

    #[test]
    fn each_bad_line_is_one_diagnostic() {
        let found = messages(
            "table a {\n  id uuid primray\n  name\n  x text default('a)')) \n  ok text\n}\n",
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("found `primray`"), "{found:?}");
        assert!(found[1].contains("expected a column type"), "{found:?}");
    }

    #[test]
    fn bad_items_are_reported_and_skipped() {
        let found = messages(
            "tabel a {\n  id uuid\n}\n\ntable b {\n  id uuid\n}\ngrant select on b\nrole x\n",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("unknown_item"), "{found:?}");
        assert!(found[1].contains("expected `to`"), "{found:?}");
    }

    #[test]
    fn missing_close_brace_is_reported_once() {
        let found = messages("table a {\n  id uuid\n\ntable b {\n  id uuid\n}\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("missing_close_brace"), "{found:?}");
    }

    #[test]
    fn deep_nesting_is_a_diagnostic() {
        let text = format!(
            "table a {{\n  x int check {}{}\n}}\n",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        let found = messages(&text);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("nesting_too_deep"));
    }

    #[test]
    fn comments_inside_strings_and_expressions_are_not_comments() {
        let parsed = parse_text(
            "// top\ntable a { // trailing\n  x text default('http://x') // after\n  y text default(\"a//b\")\n}\n",
        );
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let texts: Vec<(&str, bool)> = parsed
            .file
            .comments
            .iter()
            .map(|c| (c.text.as_str(), c.trailing))
            .collect();
        assert_eq!(
            texts,
            [("// top", false), ("// trailing", true), ("// after", true)]
        );
    }

    #[test]
    fn index_keys_may_be_expressions() {
        let parsed = parse_text("table a {\n  email text\n  index (lower(email), (a + b), email) using btree where (email <> '')\n}\n");
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let Item::Table(table) = &parsed.file.items[0] else {
            panic!("not a table")
        };
        let TableEntryKind::Index(index) = &table.entries[1].kind else {
            panic!("not an index")
        };
        let keys: Vec<String> = index
            .keys
            .iter()
            .map(|k| match k {
                IndexKey::Column(c) => c.name.clone(),
                IndexKey::Expr(e) => format!("expr:{}", e.text),
            })
            .collect();
        assert_eq!(keys, ["expr:lower(email)", "expr:(a + b)", "email"]);
        assert_eq!(
            index.predicate.as_ref().map(|p| p.text.as_str()),
            Some("email <> ''")
        );
    }
}
