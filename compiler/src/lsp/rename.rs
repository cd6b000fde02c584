//! Rename of a table, column, enum or role: every occurrence in every file of the schema, and for
//! a table, column or enum the `renamed from <old>` hint beside the definition (unless it has one
//! already, which still names what the database has), so that the plan renames in place instead
//! of dropping and adding. Names inside verbatim SQL expressions are not touched.
//! In: the `Index`, the syntax trees and a new name. Out: text edits per file, or why not.

use std::collections::HashMap;

use lsp_types::{TextEdit, Url, WorkspaceEdit};

use crate::source::Span;
use crate::syntax::ast::{self, AttributeKind, Item, TableEntryKind};

use super::diagnostics::range;
use super::index::{qualified, Index, Symbol};
use super::workspace::Analysis;

/// The edits of a rename, or a message saying why it cannot be done.
pub fn rename(
    analysis: &Analysis,
    index: &Index,
    symbol: &Symbol,
    new_name: &str,
) -> Result<WorkspaceEdit, String> {
    let valid = new_name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && new_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "`{new_name}` is not an identifier ([A-Za-z_][A-Za-z0-9_]*)"
        ));
    }
    let mut edits: Vec<(Span, String)> = index
        .of(symbol)
        .map(|o| (o.span, new_name.to_string()))
        .collect();
    if let Some((at, old)) = hint_place(analysis.syntax(), symbol) {
        edits.push((
            Span {
                start: at.end,
                ..at
            },
            format!(" renamed from {old}"),
        ));
    }
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    for (span, text) in edits {
        let Some(file) = analysis.file(span.file) else {
            continue;
        };
        let Ok(uri) = Url::from_file_path(&file.path) else {
            continue;
        };
        let edit = TextEdit::new(range(analysis, span), text);
        let list = changes.entry(uri).or_default();
        if !list.contains(&edit) {
            list.push(edit);
        }
    }
    Ok(WorkspaceEdit::new(changes))
}

/// Where to write `renamed from <old>` (after this span) and `old`, when the definition has no
/// hint yet.
fn hint_place(files: &[ast::File], symbol: &Symbol) -> Option<(Span, String)> {
    for file in files {
        for item in &file.items {
            match (item, symbol) {
                (Item::Table(def), Symbol::Table(key)) if &qualified(&def.name) == key => {
                    return def
                        .renamed_from
                        .is_none()
                        .then(|| (def.name.span, def.name.text()));
                }
                (Item::Enum(def), Symbol::Enum(key)) if &qualified(&def.name) == key => {
                    return def
                        .renamed_from
                        .is_none()
                        .then(|| (def.name.span, def.name.text()));
                }
                (Item::Table(def), Symbol::Column(key, column)) if &qualified(&def.name) == key => {
                    for entry in &def.entries {
                        if let TableEntryKind::Column(col) = &entry.kind {
                            if &col.name.name == column {
                                let hinted = col
                                    .attributes
                                    .iter()
                                    .any(|a| matches!(a.kind, AttributeKind::RenamedFrom(_)));
                                let end = col
                                    .attributes
                                    .last()
                                    .map_or(col.ty.span.end + u32::from(col.nullable), |a| {
                                        a.span.end
                                    });
                                let at = Span {
                                    start: end,
                                    end,
                                    ..col.span
                                };
                                return (!hinted).then(|| (at, column.clone()));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    None
}
