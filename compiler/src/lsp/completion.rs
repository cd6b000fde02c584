//! Completion: what may stand at the cursor, judged from the text of the line before it and the
//! item around it — item keywords at the top level, entry keywords, types and attributes in a
//! table body, tables after `references` (and `root`, `grant ... on`), columns inside
//! `index (...)`, `unique (...)`, `primary key (...)`, `foreign key (...)` and after
//! `backfill ... from`, the referenced table's columns in `references t(...)`, enum values in a
//! `default(...)` of an enum column, actions after `on delete`, roles after `to` and `bypass`.
//! In: an `Analysis`, a file and a byte offset. Out: completion items. Keywords come from the
//! grammar (`keywords`), names from the `Index`.

use lsp_types::{CompletionItem, CompletionItemKind};

use crate::model::types::BUILTIN_NAMES;
use crate::source::SourceFile;
use crate::syntax::ast::{self, Item};

use super::index::{qualified, Index, Symbol};
use super::keywords;
use super::workspace::Analysis;

/// Where the cursor is, as far as completion cares.
enum Around<'a> {
    Table(&'a ast::TableDef),
    Tenancy,
    Enum,
    TopLevel,
}

pub fn complete(
    analysis: &Analysis,
    index: &Index,
    file: &SourceFile,
    offset: usize,
) -> Vec<CompletionItem> {
    let text = &file.text;
    let line_start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let before = &text[line_start..offset];
    let word_start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |at| at + 1);
    let head = &before[..word_start];
    let around = around(analysis.syntax(), file, offset);
    let names = Names { index, analysis };

    // Inside parentheses opened on this line.
    if let Some(open) = unclosed_paren(head) {
        return in_parentheses(analysis, &names, &around, &head[..open]);
    }
    let head_words = words(head);
    if let Some(items) = after_keyword(&names, &around, &head_words) {
        return items;
    }
    match around {
        Around::Table(table) => in_table(&names, table, &head_words),
        Around::Tenancy => in_tenancy(&names, &head_words),
        Around::Enum => Vec::new(),
        Around::TopLevel => at_top_level(&names, &head_words),
    }
}

/// Inside parentheses opened on this line, after `pre`: the columns of a referenced table, an
/// enum's values after `default`, else the table's own columns.
fn in_parentheses(
    analysis: &Analysis,
    names: &Names,
    around: &Around,
    pre: &str,
) -> Vec<CompletionItem> {
    let pre: Vec<&str> = words(pre);
    if let Around::Table(table) = around {
        let key = qualified(&table.name);
        if let Some(at) = pre.iter().rposition(|w| *w == "references") {
            if let Some(target) = pre.get(at + 1) {
                return names.columns(&qualify(target));
            }
        }
        if pre.last() == Some(&"default") || pre.iter().rev().nth(1) == Some(&"default") {
            if let Some(values) = enum_values_of_line(analysis, table, &pre) {
                return values;
            }
        }
        return names.columns(&key);
    }
    Vec::new()
}

/// What follows a keyword wherever it is written (`references`, `on delete`, `to`, ...).
fn after_keyword(
    names: &Names,
    around: &Around,
    head_words: &[&str],
) -> Option<Vec<CompletionItem>> {
    let last = head_words.last().copied();
    let previous = head_words.iter().rev().nth(1).copied();
    match last {
        Some("references") => Some(names.tables()),
        Some("delete" | "update") if previous == Some("on") => Some(keyword_items(&[
            "cascade",
            "restrict",
            "set null",
            "set default",
            "no action",
        ])),
        Some("on") if !matches!(around, Around::TopLevel) => {
            Some(keyword_items(&["delete", "update"]))
        }
        Some("to") => Some(names.roles()),
        Some("for") if head_words.first() == Some(&"policy") => Some(keyword_items(&[
            "select", "insert", "update", "delete", "all",
        ])),
        Some("from") if head_words.first() == Some(&"backfill") => match around {
            Around::Table(table) => Some(names.columns(&qualified(&table.name))),
            _ => None,
        },
        _ => None,
    }
}

/// In a table: an entry or attribute keyword, a type, or the columns a `backfill` reads.
fn in_table(names: &Names, table: &ast::TableDef, head_words: &[&str]) -> Vec<CompletionItem> {
    let first = head_words.first().copied();
    let is_entry = first.is_some_and(|w| keywords::entries().iter().any(|e| e == w));
    match head_words.len() {
        0 => {
            let mut items = keyword_items_owned(&keywords::entries());
            items.extend(keyword_items(&[
                "primary key",
                "foreign key",
                "row level security",
            ]));
            items
        }
        1 if first == Some("backfill") => names.columns(&qualified(&table.name)),
        1 if !is_entry => names.types(),
        _ if !is_entry => keyword_items_owned(&keywords::attributes()),
        _ => Vec::new(),
    }
}

/// In the tenancy block: its keywords, the root table, the bypass role, `on`/`off`.
fn in_tenancy(names: &Names, head_words: &[&str]) -> Vec<CompletionItem> {
    let last = head_words.last().copied();
    match last {
        None => keyword_items_owned(&tenancy_keywords()),
        Some("root") => names.tables(),
        Some("bypass") => names.roles(),
        Some(_) if head_words.len() == 1 && matches!(last, Some("rls" | "fill")) => {
            keyword_items(&["on", "off"])
        }
        _ => Vec::new(),
    }
}

/// Between items: the item keywords, `table` after `tenant`/`global`, and a grant's privileges
/// and targets.
fn at_top_level(names: &Names, head_words: &[&str]) -> Vec<CompletionItem> {
    let last = head_words.last().copied();
    match (head_words.first().copied(), last) {
        (None, _) => keyword_items_owned(&keywords::items()),
        (_, Some("tenant" | "global")) if head_words.len() == 1 => keyword_items(&["table"]),
        (Some("grant"), Some("on")) => {
            let mut items = names.tables();
            items.extend(keyword_items(&[
                "tenant tables",
                "global tables",
                "all tables",
            ]));
            items
        }
        (Some("grant"), _) if !head_words.contains(&"on") => keyword_items(&[
            "select",
            "insert",
            "update",
            "delete",
            "truncate",
            "references",
            "trigger",
            "all",
        ]),
        _ => Vec::new(),
    }
}

/// The words of the tenancy block's entries (`root`, `column`, `setting`, ...), from the grammar.
fn tenancy_keywords() -> Vec<String> {
    let mut words = Vec::new();
    for word in keywords::all() {
        let rule = format!("tenancy_{word}");
        if keywords::rule_exists(&rule) {
            words.push(word);
        }
    }
    words
}

fn around<'a>(files: &'a [ast::File], file: &SourceFile, offset: usize) -> Around<'a> {
    let offset = offset as u32;
    let Some(tree) = files.iter().find(|f| f.file == file.id) else {
        return Around::TopLevel;
    };
    for item in &tree.items {
        let span = item.span();
        let inside = span.start < offset && offset < span.end.max(span.start + 1);
        match item {
            Item::Table(table) => {
                let body_open = file
                    .text
                    .get(table.name.span.end as usize..)
                    .and_then(|rest| rest.find('{'))
                    .map(|at| table.name.span.end as usize + at);
                let after_open = body_open.is_some_and(|open| open < offset as usize);
                let before_close =
                    table.close.start >= offset || table.close.start == table.close.end;
                if span.start < offset
                    && after_open
                    && before_close
                    && offset <= span.end.max(table.close.end)
                {
                    return Around::Table(table);
                }
            }
            Item::Tenancy(_) if inside => return Around::Tenancy,
            Item::Enum(_) if inside => return Around::Enum,
            _ => {}
        }
    }
    Around::TopLevel
}

/// The byte offset of the last `(` not closed before the end.
fn unclosed_paren(text: &str) -> Option<usize> {
    let mut open = Vec::new();
    let mut quote: Option<char> = None;
    for (at, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => open.push(at),
            (None, ')') => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}

fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect()
}

/// An unqualified name is in `public`, as `index::qualified` keys it.
fn qualify(name: &str) -> String {
    let name = name.trim_end_matches('(');
    if name.contains('.') {
        name.to_string()
    } else {
        format!("public.{name}")
    }
}

/// In `name type ... default(`: the quoted values of `type` when it is an enum.
fn enum_values_of_line(
    analysis: &Analysis,
    _table: &ast::TableDef,
    pre: &[&str],
) -> Option<Vec<CompletionItem>> {
    let ty = pre.get(1)?.trim_end_matches('?').trim_end_matches("[]");
    let key = qualify(ty);
    for file in analysis.syntax() {
        for item in &file.items {
            if let Item::Enum(def) = item {
                if qualified(&def.name) == key {
                    return Some(
                        def.values
                            .iter()
                            .map(|v| CompletionItem {
                                label: format!("'{}'", v.value.replace('\'', "''")),
                                kind: Some(CompletionItemKind::ENUM_MEMBER),
                                detail: Some(format!("value of enum `{key}`")),
                                ..CompletionItem::default()
                            })
                            .collect(),
                    );
                }
            }
        }
    }
    None
}

fn keyword_items(words: &[&str]) -> Vec<CompletionItem> {
    words
        .iter()
        .map(|w| CompletionItem {
            label: (*w).to_string(),
            kind: Some(CompletionItemKind::KEYWORD),
            ..CompletionItem::default()
        })
        .collect()
}

fn keyword_items_owned(words: &[String]) -> Vec<CompletionItem> {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    keyword_items(&words)
}

/// Names known to the schema.
struct Names<'a> {
    index: &'a Index,
    analysis: &'a Analysis,
}

impl Names<'_> {
    fn tables(&self) -> Vec<CompletionItem> {
        let mut items: Vec<CompletionItem> = Vec::new();
        for occurrence in self.index.occurrences.iter().filter(|o| o.definition) {
            if let Symbol::Table(key) = &occurrence.symbol {
                let label = key.strip_prefix("public.").unwrap_or(key).to_string();
                if !items.iter().any(|i| i.label == label) {
                    items.push(CompletionItem {
                        label,
                        kind: Some(CompletionItemKind::CLASS),
                        detail: Some(format!("table `{key}`")),
                        ..CompletionItem::default()
                    });
                }
            }
        }
        items
    }

    fn columns(&self, table: &str) -> Vec<CompletionItem> {
        let mut items: Vec<CompletionItem> = Vec::new();
        for occurrence in self.index.occurrences.iter().filter(|o| o.definition) {
            if let Symbol::Column(owner, column) = &occurrence.symbol {
                if owner == table && !items.iter().any(|i| &i.label == column) {
                    items.push(CompletionItem {
                        label: column.clone(),
                        kind: Some(CompletionItemKind::FIELD),
                        detail: Some(format!("column of `{owner}`")),
                        ..CompletionItem::default()
                    });
                }
            }
        }
        // The tenant column of a tenant table, written or not.
        if let Some(catalog) = &self.analysis.compiled.catalog {
            if let (Some(tenancy), Some(found)) = (
                &catalog.tenancy,
                catalog.tables.iter().find(|t| t.name.to_string() == table),
            ) {
                if found.columns.iter().any(|c| c.name == tenancy.column)
                    && !items.iter().any(|i| i.label == tenancy.column)
                {
                    items.push(CompletionItem {
                        label: tenancy.column.clone(),
                        kind: Some(CompletionItemKind::FIELD),
                        detail: Some("tenant column (added by the tenancy)".into()),
                        ..CompletionItem::default()
                    });
                }
            }
        }
        items
    }

    fn roles(&self) -> Vec<CompletionItem> {
        let mut items: Vec<CompletionItem> = Vec::new();
        for occurrence in &self.index.occurrences {
            if let Symbol::Role(role) = &occurrence.symbol {
                if !items.iter().any(|i| &i.label == role) {
                    items.push(CompletionItem {
                        label: role.clone(),
                        kind: Some(CompletionItemKind::CONSTANT),
                        detail: Some("role".into()),
                        ..CompletionItem::default()
                    });
                }
            }
        }
        items
    }

    fn types(&self) -> Vec<CompletionItem> {
        let mut items: Vec<CompletionItem> = BUILTIN_NAMES
            .iter()
            .map(|name| CompletionItem {
                label: (*name).to_string(),
                kind: Some(CompletionItemKind::TYPE_PARAMETER),
                detail: Some("PostgreSQL type".into()),
                ..CompletionItem::default()
            })
            .collect();
        for occurrence in self.index.occurrences.iter().filter(|o| o.definition) {
            if let Symbol::Enum(key) = &occurrence.symbol {
                items.push(CompletionItem {
                    label: key.strip_prefix("public.").unwrap_or(key).to_string(),
                    kind: Some(CompletionItemKind::ENUM),
                    detail: Some(format!("enum `{key}`")),
                    ..CompletionItem::default()
                });
            }
        }
        items
    }
}
