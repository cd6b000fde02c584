//! Views and materialized views as read-only row structs: the row struct (with `TABLE`, `SCHEMA`,
//! `SQL_NAME`, `COLUMNS`) and the `columns` module, as for a table, but no insert struct, no
//! patch and no queries. Every field is an `Option`: PostgreSQL does not know a view column to be
//! NOT NULL. The columns come from the catalog, so the schema's views must have been printed by a
//! server first (`schemac codegen` does that).

use proc_macro2::TokenStream;
use quote::quote;

use super::names::{self, Scope};
use super::render::{code, doc_lines_inner, row_name, rust_base_name, TableNames};
use super::CodegenOptions;
use crate::catalog::{Catalog, Table};

/// A view as the table the row struct is rendered from, with its kind and row struct name.
pub(super) type Relation = (Table, &'static str, String);

/// Every view with columns, in name order, its row struct name claimed in `types`.
pub(super) fn relations(
    catalog: &Catalog,
    options: &CodegenOptions,
    types: &mut Scope,
) -> Vec<Relation> {
    let mut views: Vec<&crate::catalog::View> = catalog
        .views
        .iter()
        .filter(|v| !v.columns.is_empty())
        .collect();
    views.sort_by(|a, b| a.name.cmp(&b.name));
    views
        .into_iter()
        .map(|view| {
            let mut table = Table::new(view.name.clone());
            table.columns = view.columns.clone();
            for column in &mut table.columns {
                column.nullable = true;
            }
            let row = types.claim(row_name(&table, options), "");
            (table, view.kind(), row)
        })
        .collect()
}

/// The module and row struct names of each view.
pub(super) fn names(views: &[Relation], modules: &mut Scope) -> Vec<TableNames> {
    views
        .iter()
        .map(|(table, _, row)| TableNames {
            module: modules.claim(names::snake(&rust_base_name(&table.name)), "_"),
            row: names::ident(row),
            insert: names::ident(row),
            patch: names::ident(row),
        })
        .collect()
}

/// The file of one view: its row struct and `columns` module.
pub(super) fn view_file(
    table: &Table,
    kind: &str,
    row: TokenStream,
    columns: TokenStream,
) -> TokenStream {
    let module_doc = doc_lines_inner(&[format!(
        "The {kind} {}: read-only (no insert, update or delete).",
        code(&table.name.to_string())
    )]);
    quote! {
        #module_doc

        #row

        #columns
    }
}

/// The root file's `mod` and `pub use` of each view.
pub(super) fn root_items(views: &[Relation], names: &[TableNames]) -> TokenStream {
    let items = views.iter().zip(names).map(|((table, kind, _), names)| {
        let module = names::ident(&names.module);
        let row = &names.row;
        let doc = format!(" The {kind} {}.", code(&table.name.to_string()));
        quote! {
            #[doc = #doc]
            #[rustfmt::skip]
            pub mod #module;
            pub use #module::#row;
        }
    });
    quote!(#(#items)*)
}

#[cfg(test)]
mod tests {
    use crate::catalog::{BaseType, Catalog, Column, QualifiedName, SqlType, Table, View};
    use crate::codegen::{rust_models, CodegenOptions};

    #[test]
    fn views_become_read_only_row_structs() {
        let mut table = Table::new(QualifiedName::new("public", "users"));
        table.columns = vec![Column::new("id", SqlType::scalar(BaseType::BigInt))];
        let view = View {
            name: QualifiedName::new("public", "active_users"),
            materialized: false,
            definition: "SELECT users.id FROM users".into(),
            source: None,
            options: Vec::new(),
            columns: vec![Column::new("id", SqlType::scalar(BaseType::BigInt))],
            indexes: Vec::new(),
            depends_on: Vec::new(),
            depends_on_columns: Vec::new(),
            origin: None,
        };
        let catalog = Catalog {
            tables: vec![table],
            views: vec![view],
            ..Catalog::default()
        };
        let files = rust_models(&catalog, &CodegenOptions::default());
        let file = |name: &str| {
            files
                .iter()
                .find(|f| f.path.to_str() == Some(name))
                .map(|f| f.contents.clone())
                .unwrap_or_else(|| panic!("{name} generated"))
        };
        let view = file("active_users.rs");
        assert!(view.contains("pub struct ActiveUser {"), "{view}");
        assert!(view.contains("pub id: Option<i64>,"), "{view}");
        assert!(view.contains("read-only"), "{view}");
        for absent in [
            "NewActiveUser",
            "ActiveUserPatch",
            "fn insert",
            "fn delete",
            "fn find",
        ] {
            assert!(!view.contains(absent), "{absent} in\n{view}");
        }
        assert!(file("mod.rs").contains("pub use active_users::ActiveUser;"));
        assert!(file("users.rs").contains("pub struct NewUser"));
    }
}
