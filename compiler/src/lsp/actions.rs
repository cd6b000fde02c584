//! Code actions for fixes that are mechanical: a diagnostic whose help is ``did you mean `x`?``
//! replaces the name; one whose help is ``add `entry` to table `t` `` adds the entry as the
//! table's last line; and a tenant table whose backfill path is ambiguous gets one action per
//! candidate path, adding `backfill <tenant column> from <fk column>`.
//! In: an `Analysis`, a file and a byte range. Out: quick fixes as workspace edits.

use std::collections::HashMap;

use lsp_types::{CodeAction, CodeActionKind, TextEdit, Url, WorkspaceEdit};

use crate::catalog::backfill_path::{self, PathSearch};
use crate::catalog::TableKind;
use crate::source::{SourceFile, Span};
use crate::syntax::ast::{self, Item};

use super::diagnostics::range;
use super::index::qualified;
use super::workspace::Analysis;

pub fn actions(analysis: &Analysis, file: &SourceFile, start: u32, end: u32) -> Vec<CodeAction> {
    let mut out = Vec::new();
    for diagnostic in &analysis.compiled.diagnostics {
        let Some(span) = diagnostic.span() else {
            continue;
        };
        if span.file != file.id || span.end < start || span.start > end {
            continue;
        }
        let Some(help) = &diagnostic.help else {
            continue;
        };
        if let Some(name) = between(help, "did you mean `", "`?") {
            out.push(action(
                analysis,
                format!("replace with `{name}`"),
                vec![(span, name.to_string())],
            ));
        } else if let Some(rest) = help.strip_prefix("add `") {
            if let Some((entry, table)) = rest.split_once("` to table `") {
                let table = table.trim_end_matches('`');
                if let Some(close) = table_close(analysis, table) {
                    out.push(action(
                        analysis,
                        format!("add `{entry}` to table `{table}`"),
                        vec![(close, format!("  {entry}\n"))],
                    ));
                }
            }
        }
    }
    out.extend(ambiguous_backfills(analysis, file, start, end));
    out
}

/// `backfill <column> from <fk>` for each shortest path of a tenant table under the cursor.
fn ambiguous_backfills(
    analysis: &Analysis,
    file: &SourceFile,
    start: u32,
    end: u32,
) -> Vec<CodeAction> {
    let mut out = Vec::new();
    let Some(catalog) = &analysis.compiled.catalog else {
        return out;
    };
    let Some(tenancy) = &catalog.tenancy else {
        return out;
    };
    for tree in analysis.syntax().iter().filter(|t| t.file == file.id) {
        for item in &tree.items {
            let Item::Table(def) = item else { continue };
            if def.span.end < start || def.span.start > end {
                continue;
            }
            let key = qualified(&def.name);
            let Some(table) = catalog.tables.iter().find(|t| t.name.to_string() == key) else {
                continue;
            };
            if table.kind != TableKind::Tenant {
                continue;
            }
            if let PathSearch::Ambiguous(paths) =
                backfill_path::find(catalog, &table.name, &tenancy.column)
            {
                let Some(close) = close_of(file, def) else {
                    continue;
                };
                for path in paths {
                    let Some(first) = path.first() else { continue };
                    let entry = format!(
                        "backfill {} from {}",
                        tenancy.column,
                        first.child_columns.join(", ")
                    );
                    out.push(action(
                        analysis,
                        format!("add `{entry}` ({})", first.describe()),
                        vec![(close, format!("  {entry}\n"))],
                    ));
                }
            }
        }
    }
    out
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let rest = text.split_once(open)?.1;
    Some(rest.split_once(close)?.0)
}

/// An empty span at the start of the line of the table's closing `}`.
fn table_close(analysis: &Analysis, table: &str) -> Option<Span> {
    for tree in analysis.syntax() {
        for item in &tree.items {
            if let Item::Table(def) = item {
                if def.name.text() == table || qualified(&def.name) == table {
                    return close_of(analysis.file(tree.file)?, def);
                }
            }
        }
    }
    None
}

fn close_of(file: &SourceFile, def: &ast::TableDef) -> Option<Span> {
    if def.close.start == def.close.end {
        return None;
    }
    let before = file.text.get(..def.close.start as usize)?;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1) as u32;
    // Only when the `}` starts its line; otherwise insert right before it.
    let at = if before[line_start as usize..].trim().is_empty() {
        line_start
    } else {
        def.close.start
    };
    Some(Span {
        start: at,
        end: at,
        ..def.close
    })
}

fn action(analysis: &Analysis, title: String, edits: Vec<(Span, String)>) -> CodeAction {
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    for (span, text) in edits {
        let Some(file) = analysis.file(span.file) else {
            continue;
        };
        let Ok(uri) = Url::from_file_path(&file.path) else {
            continue;
        };
        changes
            .entry(uri)
            .or_default()
            .push(TextEdit::new(range(analysis, span), text));
    }
    CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        edit: Some(WorkspaceEdit::new(changes)),
        ..CodeAction::default()
    }
}
