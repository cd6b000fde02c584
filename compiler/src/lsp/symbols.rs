//! Document symbols (the outline): tables with their columns, enums with their values, roles and
//! the tenancy block, each with its whole range and its name's range.
//! In: one file's syntax tree. Out: `DocumentSymbol`s in source order.

use lsp_types::{DocumentSymbol, SymbolKind};

use crate::source::Span;
use crate::syntax::ast::{self, Item, TableEntryKind, TableKind};

use super::diagnostics::range;
use super::workspace::Analysis;

pub fn outline(analysis: &Analysis, tree: &ast::File) -> Vec<DocumentSymbol> {
    let symbol = |name: String,
                  detail: Option<String>,
                  kind: SymbolKind,
                  span: Span,
                  name_span: Span,
                  children: Vec<DocumentSymbol>| {
        #[allow(deprecated)]
        DocumentSymbol {
            name,
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: range(analysis, span),
            selection_range: range(analysis, name_span),
            children: (!children.is_empty()).then_some(children),
        }
    };
    let mut out = Vec::new();
    for item in &tree.items {
        match item {
            Item::Tenancy(tenancy) => {
                out.push(symbol(
                    "tenancy".into(),
                    None,
                    SymbolKind::NAMESPACE,
                    tenancy.span,
                    tenancy.span,
                    Vec::new(),
                ));
            }
            Item::Enum(def) => {
                let values = def
                    .values
                    .iter()
                    .map(|v| {
                        symbol(
                            v.value.clone(),
                            None,
                            SymbolKind::ENUM_MEMBER,
                            v.span,
                            v.span,
                            Vec::new(),
                        )
                    })
                    .collect();
                out.push(symbol(
                    def.name.text(),
                    Some("enum".into()),
                    SymbolKind::ENUM,
                    def.span,
                    def.name.span,
                    values,
                ));
            }
            Item::Table(def) => {
                let columns = def
                    .entries
                    .iter()
                    .filter_map(|entry| match &entry.kind {
                        TableEntryKind::Column(column) => Some(symbol(
                            column.name.name.clone(),
                            Some(format!(
                                "{}{}",
                                column.ty.name.text(),
                                if column.nullable { "?" } else { "" }
                            )),
                            SymbolKind::FIELD,
                            column.span,
                            column.name.span,
                            Vec::new(),
                        )),
                        _ => None,
                    })
                    .collect();
                let kind = match def.kind {
                    TableKind::Plain => "table",
                    TableKind::Tenant => "tenant table",
                    TableKind::Global => "global table",
                };
                out.push(symbol(
                    def.name.text(),
                    Some(kind.into()),
                    SymbolKind::CLASS,
                    def.span,
                    def.name.span,
                    columns,
                ));
            }
            Item::Role(def) => {
                for name in &def.names {
                    out.push(symbol(
                        name.name.clone(),
                        Some("role".into()),
                        SymbolKind::CONSTANT,
                        def.span,
                        name.span,
                        Vec::new(),
                    ));
                }
            }
            Item::View(def) => out.push(symbol(
                def.name.text(),
                Some(
                    if def.materialized {
                        "materialized view"
                    } else {
                        "view"
                    }
                    .into(),
                ),
                SymbolKind::INTERFACE,
                def.span,
                def.name.span,
                Vec::new(),
            )),
            _ => {}
        }
    }
    out
}
