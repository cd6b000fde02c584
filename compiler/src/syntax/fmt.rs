//! Canonical layout for `.schema` source: 2-space indent, one entry per line, columns aligned
//! (name, type, attributes), a blank line around every block item, every `//` and `///` comment
//! kept where it was (standalone comments before the line they preceded, trailing comments at the
//! end of their line). Spellings are kept as written (`int` stays `int`); expressions are verbatim.
//! In: one `SourceFile`. Out: formatted text, or the file's syntax diagnostics when it does not
//! parse. Idempotent: formatting formatted text changes nothing.

use super::ast::*;
use super::parse::parse;
use crate::diagnostics::{has_errors, Diagnostic};
use crate::source::{SourceFile, Span};

/// Lines longer than this are broken where the language allows (policies, long enums).
const WIDTH: usize = 100;
const INDENT: &str = "  ";

/// Formats one file. Errors are the parser's diagnostics; warnings do not stop formatting.
/// A file whose text holds U+FFFD (what loading puts in place of invalid UTF-8) is refused, so
/// that formatting never rewrites bytes it could not read.
pub fn format(file: &SourceFile) -> Result<String, Vec<Diagnostic>> {
    if let Some(at) = file.text.find('\u{FFFD}') {
        return Err(vec![Diagnostic::invalid_utf8(Span::new(
            file.id,
            at,
            at + 3,
        ))]);
    }
    let parsed = parse(file);
    if has_errors(&parsed.diagnostics) {
        return Err(parsed.diagnostics);
    }
    let mut printer = Printer {
        text: &file.text,
        comments: &parsed.file.comments,
        next_comment: 0,
        out: String::new(),
    };
    printer.file(&parsed.file);
    Ok(printer.out)
}

struct Printer<'a> {
    text: &'a str,
    comments: &'a [Comment],
    /// Index of the first comment not printed yet.
    next_comment: usize,
    out: String,
}

/// A line-based node of a sequence: where it is in the source and its rendered lines.
struct Node {
    span: Span,
    lines: Vec<String>,
}

impl Printer<'_> {
    /// True when the source has an empty line between byte offsets `from` and `to`.
    fn blank_between(&self, from: usize, to: usize) -> bool {
        let Some(gap) = self.text.get(from.min(to)..to) else {
            return false;
        };
        let pieces: Vec<&str> = gap.split('\n').collect();
        // Pieces between two newlines are whole lines; an empty one is a blank line.
        pieces.len() > 2
            && pieces[1..pieces.len() - 1]
                .iter()
                .any(|p| p.trim().is_empty())
    }

    /// True when nothing but spaces separates `from` from `to` on one line.
    fn same_line(&self, from: usize, to: usize) -> bool {
        self.text
            .get(from.min(to)..to)
            .is_some_and(|gap| !gap.contains('\n'))
    }

    fn line(&mut self, indent: &str, text: &str) {
        if text.is_empty() {
            self.out.push('\n');
        } else {
            self.out.push_str(indent);
            self.out.push_str(text);
            self.out.push('\n');
        }
    }

    fn blank(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Prints the comments that start before `before` as standalone lines; `last_end` is where the
    /// previous printed thing ended (for blank-line preservation). Returns the new `last_end`.
    fn standalone_comments(
        &mut self,
        before: usize,
        mut last_end: usize,
        indent: &str,
        first: &mut bool,
    ) -> usize {
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.span.start as usize >= before {
                break;
            }
            if !*first && self.blank_between(last_end, comment.span.start as usize) {
                self.blank();
            }
            let text = comment.text.clone();
            self.line(indent, &text);
            last_end = comment.span.end as usize;
            self.next_comment += 1;
            *first = false;
        }
        last_end
    }

    /// Appends the comment that trails position `end` on its line, if any, to the last line.
    fn trailing_comment(&mut self, end: usize) {
        let Some(comment) = self.comments.get(self.next_comment) else {
            return;
        };
        let start = comment.span.start as usize;
        if comment.trailing && start >= end && self.same_line(end, start) {
            if self.out.ends_with('\n') {
                self.out.pop();
            }
            self.out.push(' ');
            self.out.push_str(&comment.text);
            self.out.push('\n');
            self.next_comment += 1;
        }
    }

    /// Prints a sequence of leaf nodes with the comments around and inside them.
    fn sequence(&mut self, nodes: Vec<Node>, indent: &str, mut last_end: usize, end: usize) {
        let mut first = true;
        for node in nodes {
            let start = node.span.start as usize;
            let node_end = node.span.end as usize;
            // Comments before the node, and any inside it (a multi-line entry), go before it.
            last_end = self.standalone_comments(node_end, last_end, indent, &mut first);
            if !first && self.blank_between(last_end, start) {
                self.blank();
            }
            for line in &node.lines {
                self.line(indent, line);
            }
            self.trailing_comment(node_end);
            last_end = node_end;
            first = false;
        }
        self.standalone_comments(end, last_end, indent, &mut first);
    }

    fn file(&mut self, file: &File) {
        let mut last_end = 0usize;
        let mut previous_block = false;
        let mut first = true;
        for item in &file.items {
            let span = item.span();
            let block = self.is_block(item);
            // Blocks always get a blank line around them; other items keep the source's.
            // Standalone comments before the item come after that separator.
            if !first
                && (block || previous_block || self.blank_between(last_end, span.start as usize))
            {
                self.blank();
            }
            let mut comments_first = true;
            last_end =
                self.standalone_comments(span.start as usize, last_end, "", &mut comments_first);
            if !comments_first && self.blank_between(last_end, span.start as usize) {
                self.blank();
            }
            match item {
                Item::Tenancy(tenancy) => self.tenancy(tenancy),
                Item::Enum(def) => self.enum_def(def),
                Item::Table(table) => self.table(table),
                Item::Role(role) => {
                    let names: Vec<&str> = role.names.iter().map(|n| n.name.as_str()).collect();
                    self.sequence(
                        vec![Node {
                            span: role.span,
                            lines: vec![format!("role {}", names.join(", "))],
                        }],
                        "",
                        last_end,
                        role.span.end as usize,
                    );
                }
                Item::Routine(routine) => {
                    // Verbatim: PostgreSQL's syntax and the body are the author's, byte for byte.
                    let text = self
                        .text
                        .get(routine.span.start as usize..routine.span.end as usize)
                        .unwrap_or_default()
                        .to_string();
                    self.sequence(
                        vec![Node {
                            span: routine.span,
                            lines: text.split('\n').map(str::to_string).collect(),
                        }],
                        "",
                        last_end,
                        routine.span.end as usize,
                    );
                }
                Item::Domain(domain) => {
                    let line = domain_line(domain);
                    self.sequence(
                        vec![Node {
                            span: domain.span,
                            lines: vec![line],
                        }],
                        "",
                        last_end,
                        domain.span.end as usize,
                    );
                }
                Item::Sequence(sequence) => {
                    let mut line = format!("sequence {}", sequence.name.text());
                    for option in &sequence.options {
                        line.push(' ');
                        line.push_str(&option.source());
                    }
                    self.sequence(
                        vec![Node {
                            span: sequence.span,
                            lines: vec![line],
                        }],
                        "",
                        last_end,
                        sequence.span.end as usize,
                    );
                }
                Item::View(view) => self.view(view, last_end),
                Item::Extension(extension) => {
                    let mut line = format!("extension {}", extension.name.name);
                    if let Some(schema) = &extension.schema {
                        line.push_str(&format!(" schema {}", schema.name));
                    }
                    self.sequence(
                        vec![Node {
                            span: extension.span,
                            lines: vec![line],
                        }],
                        "",
                        last_end,
                        extension.span.end as usize,
                    );
                }
                Item::Grant(grant) => {
                    let lines = vec![grant_line(grant)];
                    self.sequence(
                        vec![Node {
                            span: grant.span,
                            lines,
                        }],
                        "",
                        last_end,
                        grant.span.end as usize,
                    );
                }
            }
            last_end = span.end as usize;
            previous_block = block;
            first = false;
        }
        // Comments after the last item.
        if self.next_comment < self.comments.len() {
            let next = self.comments[self.next_comment].span.start as usize;
            if !first && self.blank_between(last_end, next) {
                self.blank();
            }
            let mut comments_first = first;
            self.standalone_comments(usize::MAX, last_end, "", &mut comments_first);
        }
        if self.out.is_empty() {
            return;
        }
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
    }

    /// Block items are printed on several lines and get a blank line around them.
    fn is_block(&self, item: &Item) -> bool {
        match item {
            Item::Tenancy(_) | Item::Table(_) | Item::Routine(_) => true,
            Item::Enum(def) => self.enum_one_line(def).is_none(),
            Item::View(view) => view.indexes.is_some(),
            Item::Role(_)
            | Item::Grant(_)
            | Item::Extension(_)
            | Item::Sequence(_)
            | Item::Domain(_) => false,
        }
    }

    /// `[materialized] view name [with (...)] as (query)`, the query verbatim (its own lines kept),
    /// then a materialized view's indexes in braces, one per line.
    fn view(&mut self, view: &ViewDef, last_end: usize) {
        let mut header = String::new();
        if view.materialized {
            header.push_str("materialized ");
        }
        header.push_str(&format!("view {}", view.name.text()));
        if !view.options.is_empty() {
            let options: Vec<&str> = view.options.iter().map(|o| o.name.as_str()).collect();
            header.push_str(&format!(" with ({})", options.join(", ")));
        }
        header.push_str(&format!(" as ({})", view.query.text));
        let mut lines: Vec<String> = header.split('\n').map(str::to_string).collect();
        let Some(indexes) = &view.indexes else {
            self.sequence(
                vec![Node {
                    span: view.span,
                    lines,
                }],
                "",
                last_end,
                view.span.end as usize,
            );
            return;
        };
        if let Some(last) = lines.last_mut() {
            last.push_str(" {");
        }
        let mut first = true;
        let brace = self.brace_after(view.query.span.end as usize);
        self.standalone_comments(view.query.span.start as usize, last_end, "", &mut first);
        let count = lines.len();
        for (i, line) in lines.iter().enumerate() {
            if i + 1 < count {
                self.line("", line);
            } else {
                self.header(line, brace);
            }
        }
        let nodes = indexes
            .iter()
            .zip(&view.index_spans)
            .map(|(index, span)| Node {
                span: *span,
                lines: entry_lines(&TableEntryKind::Index(index.clone())),
            })
            .collect();
        let close = (view.span.end as usize).saturating_sub(1);
        self.sequence(nodes, INDENT, brace, close);
        self.close(view.span, close);
    }

    /// The header line of a block, with the trailing comment after its `{` if there is one.
    fn header(&mut self, text: &str, brace_end: usize) {
        self.line("", text);
        self.trailing_comment(brace_end);
    }

    /// Position just after the first `{` at or after `from`.
    fn brace_after(&self, from: usize) -> usize {
        self.text
            .get(from..)
            .and_then(|rest| rest.find('{'))
            .map_or(from, |i| from + i + 1)
    }

    fn close(&mut self, span: Span, last_end: usize) {
        let close = (span.end as usize).saturating_sub(1);
        let mut first = false;
        self.standalone_comments(close, last_end, INDENT, &mut first);
        self.line("", "}");
        self.trailing_comment(span.end as usize);
    }

    fn tenancy(&mut self, tenancy: &Tenancy) {
        let brace = self.brace_after(tenancy.span.start as usize);
        self.header("tenancy {", brace);
        let nodes = tenancy
            .entries
            .iter()
            .map(|entry| {
                let value = match &entry.kind {
                    TenancyEntryKind::Root(name) => name.text(),
                    TenancyEntryKind::Column(name) | TenancyEntryKind::Bypass(name) => {
                        name.name.clone()
                    }
                    TenancyEntryKind::Setting(value) => quote(&value.value),
                    TenancyEntryKind::Rls(on) | TenancyEntryKind::Fill(on) => {
                        if *on { "on" } else { "off" }.to_string()
                    }
                };
                Node {
                    span: entry.span,
                    lines: vec![format!("{:<7} {value}", entry.kind.keyword())],
                }
            })
            .collect();
        let close = (tenancy.span.end as usize).saturating_sub(1);
        self.sequence(nodes, INDENT, brace, close);
        self.close(tenancy.span, close);
    }

    fn enum_header(def: &EnumDef) -> String {
        let mut header = format!("enum {}", def.name.text());
        if let Some(old) = &def.renamed_from {
            header.push_str(&format!(" renamed from {}", old.text()));
        }
        header
    }

    /// The enum on one line, when it fits and has no comment inside.
    fn enum_one_line(&self, def: &EnumDef) -> Option<String> {
        let brace = self.brace_after(def.name.span.end as usize);
        let inside = self
            .comments
            .iter()
            .any(|c| c.span.start as usize > brace && c.span.start < def.span.end);
        if inside {
            return None;
        }
        let values: Vec<String> = def.values.iter().map(enum_value).collect();
        let line = if values.is_empty() {
            format!("{} {{}}", Self::enum_header(def))
        } else {
            format!("{} {{ {} }}", Self::enum_header(def), values.join(", "))
        };
        (line.chars().count() <= WIDTH).then_some(line)
    }

    fn enum_def(&mut self, def: &EnumDef) {
        let brace = self.brace_after(def.name.span.end as usize);
        if let Some(line) = self.enum_one_line(def) {
            self.line("", &line);
            self.trailing_comment(def.span.end as usize);
            return;
        }
        self.header(&format!("{} {{", Self::enum_header(def)), brace);
        let nodes = def
            .values
            .iter()
            .map(|value| Node {
                span: value.span,
                lines: vec![format!("{},", enum_value(value))],
            })
            .collect();
        let close = (def.span.end as usize).saturating_sub(1);
        self.sequence(nodes, INDENT, brace, close);
        self.close(def.span, close);
    }

    fn table(&mut self, table: &TableDef) {
        let mut header = String::new();
        match table.kind {
            TableKind::Plain => {}
            TableKind::Tenant => header.push_str("tenant "),
            TableKind::Global => header.push_str("global "),
        }
        header.push_str("table ");
        header.push_str(&table.name.text());
        if let Some(old) = &table.renamed_from {
            header.push_str(&format!(" renamed from {}", old.text()));
        }
        header.push_str(" {");
        let brace = self.brace_after(table.name.span.end as usize);
        self.header(&header, brace);

        let columns: Vec<&ColumnDef> = table
            .entries
            .iter()
            .filter_map(|e| match &e.kind {
                TableEntryKind::Column(c) => Some(c),
                _ => None,
            })
            .collect();
        let name_width = columns
            .iter()
            .map(|c| c.name.name.chars().count())
            .max()
            .unwrap_or(0);
        let type_width = columns
            .iter()
            .map(|c| column_type(c).chars().count())
            .max()
            .unwrap_or(0);
        let nodes = table
            .entries
            .iter()
            .map(|entry| Node {
                span: entry.span,
                lines: match &entry.kind {
                    TableEntryKind::Column(column) => {
                        vec![column_line(column, name_width, type_width)]
                    }
                    other => entry_lines(other),
                },
            })
            .collect();
        let close = table.close.start as usize;
        self.sequence(nodes, INDENT, brace, close);
        self.close(table.span, close);
    }
}

/// A double-quoted string with `"` doubled.
fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

fn enum_value(value: &EnumValue) -> String {
    if value.quoted {
        quote(&value.value)
    } else {
        value.value.clone()
    }
}

fn column_type(column: &ColumnDef) -> String {
    let mut text = type_text(&column.ty);
    if column.nullable {
        text.push('?');
    }
    text
}

fn type_text(ty: &TypeRef) -> String {
    let mut text = match &ty.name {
        TypeName::Named { name, args } if args.is_empty() => name.text(),
        TypeName::Named { name, args } => {
            let args: Vec<String> = args.iter().map(u32::to_string).collect();
            format!("{}({})", name.text(), args.join(", "))
        }
        TypeName::Quoted(text) => quote(&text.value),
    };
    if ty.array {
        text.push_str("[]");
    }
    text
}

fn paren(expr: &Expr) -> String {
    format!("({})", expr.text)
}

fn rules(rules: &[FkRule]) -> String {
    rules
        .iter()
        .map(|rule| {
            let event = match rule.event {
                FkEvent::Delete => "delete",
                FkEvent::Update => "update",
            };
            format!(" on {event} {}", rule.action.source())
        })
        .collect()
}

fn attribute(attribute: &Attribute) -> String {
    match &attribute.kind {
        AttributeKind::Primary => "primary".to_string(),
        AttributeKind::Unique => "unique".to_string(),
        AttributeKind::Index => "index".to_string(),
        AttributeKind::Default(expr) => format!("default{}", paren(expr)),
        AttributeKind::References(references) => {
            let mut text = format!("references {}", references.table.text());
            if let Some(column) = &references.column {
                text.push_str(&format!("({})", column.name));
            }
            if let Some(name) = &references.name {
                text.push_str(&format!(" name {}", name.name));
            }
            text.push_str(&rules(&references.rules));
            text
        }
        AttributeKind::Check(expr) => format!("check {}", paren(expr)),
        AttributeKind::RenamedFrom(old) => format!("renamed from {}", old.name),
        AttributeKind::Using(expr) => format!("using {}", paren(expr)),
        AttributeKind::Backfill(expr) => format!("backfill {}", paren(expr)),
        AttributeKind::Generated { expr, virtual_kind } => format!(
            "generated {}{}",
            paren(expr),
            match virtual_kind {
                Some(true) => " virtual",
                Some(false) => " stored",
                None => "",
            }
        ),
        AttributeKind::Identity { always: false } => "identity".to_string(),
        AttributeKind::Identity { always: true } => "identity always".to_string(),
    }
}

fn column_line(column: &ColumnDef, name_width: usize, type_width: usize) -> String {
    let ty = column_type(column);
    let attributes: Vec<String> = column.attributes.iter().map(attribute).collect();
    let mut line = format!("{:<width$}  {ty}", column.name.name, width = name_width);
    if !attributes.is_empty() {
        let pad = type_width.saturating_sub(ty.chars().count());
        line.push_str(&" ".repeat(pad + 1));
        line.push_str(&attributes.join(" "));
    }
    line
}

fn names(idents: &[Ident]) -> String {
    idents
        .iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `domain name type [default (e)] [not null] [check [name] (e)]...` on one line.
fn domain_line(domain: &DomainDef) -> String {
    let mut line = format!("domain {} {}", domain.name.text(), type_text(&domain.ty));
    if let Some(default) = &domain.default {
        line.push_str(&format!(" default {}", paren(default)));
    }
    if domain.not_null {
        line.push_str(" not null");
    }
    for check in &domain.checks {
        match &check.name {
            Some(name) => line.push_str(&format!(" check {} {}", name.name, paren(&check.expr))),
            None => line.push_str(&format!(" check {}", paren(&check.expr))),
        }
    }
    line
}

/// `trigger name before update of a or insert for each row [when (e)] execute f(args)`.
fn trigger_line(trigger: &TriggerDef) -> String {
    let events: Vec<String> = trigger
        .events
        .iter()
        .map(|e| match e {
            TriggerEvent::Update if !trigger.update_of.is_empty() => {
                format!("update of {}", names(&trigger.update_of))
            }
            other => other.source().to_string(),
        })
        .collect();
    let mut line = format!(
        "trigger {} {} {} for each {}",
        trigger.name.name,
        trigger.timing.source(),
        events.join(" or "),
        if trigger.for_each_row {
            "row"
        } else {
            "statement"
        }
    );
    if let Some(when) = &trigger.when {
        line.push_str(&format!(" when {}", paren(when)));
    }
    line.push_str(&format!(
        " execute {}({})",
        trigger.function.text(),
        trigger.args.join(", ")
    ));
    line
}

fn entry_lines(entry: &TableEntryKind) -> Vec<String> {
    match entry {
        TableEntryKind::Column(_) => Vec::new(),
        TableEntryKind::Trigger(trigger) => vec![trigger_line(trigger)],
        TableEntryKind::PrimaryKey { name, columns } => vec![match name {
            Some(name) => format!("primary key {} ({})", name.name, names(columns)),
            None => format!("primary key ({})", names(columns)),
        }],
        TableEntryKind::Unique {
            name,
            columns,
            nulls_not_distinct,
        } => vec![format!(
            "unique {}({}){}",
            name.as_ref()
                .map(|n| format!("{} ", n.name))
                .unwrap_or_default(),
            names(columns),
            if *nulls_not_distinct {
                " nulls not distinct"
            } else {
                ""
            }
        )],
        TableEntryKind::Index(index) => {
            let keys: Vec<String> = index
                .keys
                .iter()
                .map(|k| match k {
                    IndexKey::Column(c) => c.name.clone(),
                    IndexKey::Expr(e) => e.text.clone(),
                })
                .collect();
            let mut line = String::from(if index.unique {
                "unique index "
            } else {
                "index "
            });
            if let Some(name) = &index.name {
                line.push_str(&name.name);
                line.push(' ');
            }
            line.push_str(&format!("({})", keys.join(", ")));
            if let Some(method) = &index.method {
                line.push_str(&format!(" using {}", method.name));
            }
            if !index.include.is_empty() {
                line.push_str(&format!(" include ({})", names(&index.include)));
            }
            if index.nulls_not_distinct {
                line.push_str(" nulls not distinct");
            }
            if let Some(predicate) = &index.predicate {
                line.push_str(&format!(" where {}", paren(predicate)));
            }
            vec![line]
        }
        TableEntryKind::Check { name, expr } => vec![match name {
            Some(name) => format!("check {} {}", name.name, paren(expr)),
            None => format!("check {}", paren(expr)),
        }],
        TableEntryKind::ForeignKey(fk) => {
            let mut line = match &fk.name {
                Some(name) => format!(
                    "foreign key {} ({}) references {}",
                    name.name,
                    names(&fk.columns),
                    fk.table.text()
                ),
                None => format!(
                    "foreign key ({}) references {}",
                    names(&fk.columns),
                    fk.table.text()
                ),
            };
            if let Some(columns) = &fk.referenced_columns {
                line.push_str(&format!(" ({})", names(columns)));
            }
            let rules = rules(&fk.rules);
            if line.len() + rules.len() + INDENT.len() <= WIDTH {
                vec![line + &rules]
            } else {
                // `on delete ...` may continue on the next lines of the entry.
                let mut lines = vec![line];
                lines.extend(
                    rules
                        .split(" on ")
                        .filter(|r| !r.is_empty())
                        .map(|r| format!("{INDENT}on {r}")),
                );
                lines
            }
        }
        TableEntryKind::Policy(policy) => {
            let mut parts = vec![format!(
                "policy {} for {}",
                policy.name.name,
                policy.command.source()
            )];
            if !policy.roles.is_empty() {
                parts[0].push_str(&format!(" to {}", names(&policy.roles)));
            }
            if let Some(using) = &policy.using {
                parts.push(format!("using {}", paren(using)));
            }
            if let Some(check) = &policy.with_check {
                parts.push(format!("with check {}", paren(check)));
            }
            let one_line = parts.join(" ");
            if one_line.chars().count() + INDENT.len() <= WIDTH && !one_line.contains('\n') {
                vec![one_line]
            } else {
                let mut lines = vec![parts[0].clone()];
                lines.extend(parts[1..].iter().map(|p| format!("{INDENT}{p}")));
                lines
            }
        }
        TableEntryKind::Backfill { column, source } => vec![match source {
            BackfillSource::From(fk) => format!("backfill {} from {}", column.name, fk.name),
            BackfillSource::Expr(expr) => format!("backfill {} {}", column.name, paren(expr)),
        }],
        TableEntryKind::RowLevelSecurity { forced } => vec![if *forced {
            "row level security forced".to_string()
        } else {
            "row level security".to_string()
        }],
        TableEntryKind::PartitionBy { strategy, keys } => {
            vec![format!(
                "partition by {} {}",
                strategy.source(),
                paren(keys)
            )]
        }
        TableEntryKind::Partition { name, bound } => vec![format!(
            "partition {} {}",
            name.name,
            match bound {
                PartitionBound::Range { from, to } =>
                    format!("from {} to {}", paren(from), paren(to)),
                PartitionBound::List(values) => format!("in {}", paren(values)),
                PartitionBound::Hash { modulus, remainder } => {
                    format!("with (modulus {modulus}, remainder {remainder})")
                }
                PartitionBound::Default => "default".to_string(),
            }
        )],
        TableEntryKind::PartitionsUnmanaged => vec!["partitions unmanaged".to_string()],
    }
}

fn grant_line(grant: &GrantDef) -> String {
    let privileges: Vec<String> = grant
        .privileges
        .iter()
        .map(|p| p.privilege.source().to_string())
        .collect();
    let targets = match &grant.targets {
        GrantTargets::Tables(tables) => tables
            .iter()
            .map(QualName::text)
            .collect::<Vec<_>>()
            .join(", "),
        GrantTargets::TenantTables(_) => "tenant tables".to_string(),
        GrantTargets::GlobalTables(_) => "global tables".to_string(),
        GrantTargets::AllTables(_) => "all tables".to_string(),
    };
    format!(
        "grant {} on {targets} to {}",
        privileges.join(", "),
        names(&grant.roles)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceSet;

    fn fmt(text: &str) -> String {
        let mut set = SourceSet::default();
        set.add("t.schema", text);
        format(&set.files[0]).expect("formats")
    }

    #[test]
    fn aligns_columns_and_keeps_comments() {
        let source = "// header\n\ntable users { // the users\n  id uuid primary   default(gen_random_uuid())\n  /// Their mail.\n  email_address text unique // trailing\n\n  // keys\n  index  (email_address)\n}\nrole a\nrole b\n";
        let expected = "// header\n\ntable users { // the users\n  id             uuid primary default(gen_random_uuid())\n  /// Their mail.\n  email_address  text unique // trailing\n\n  // keys\n  index (email_address)\n}\n\nrole a\nrole b\n";
        assert_eq!(fmt(source), expected);
        assert_eq!(fmt(expected), expected);
    }

    #[test]
    fn tenancy_is_one_entry_per_line() {
        let source = "tenancy { root accounts  column account_id  setting \"app.x\" }\ntable accounts {\n  id uuid primary\n}\n";
        let expected = "tenancy {\n  root    accounts\n  column  account_id\n  setting \"app.x\"\n}\n\ntable accounts {\n  id  uuid primary\n}\n";
        assert_eq!(fmt(source), expected);
    }

    #[test]
    fn enums_stay_on_one_line_when_they_fit() {
        let source = "enum a {x,y,\"it's\"}\nenum b renamed from c {\n  p, // first\n  q\n}\n";
        let expected =
            "enum a { x, y, \"it's\" }\n\nenum b renamed from c {\n  p, // first\n  q,\n}\n";
        assert_eq!(fmt(source), expected);
        assert_eq!(fmt(expected), expected);
    }

    #[test]
    fn refuses_files_that_do_not_parse() {
        let mut set = SourceSet::default();
        set.add("t.schema", "table {");
        assert!(format(&set.files[0]).is_err());
    }
}
