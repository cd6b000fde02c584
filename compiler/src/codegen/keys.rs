//! Field types chosen per column beyond the plain type map: typed keys and typed json.
//! In: the catalog's tables, the names already chosen, the options. Out: one `Key` per table with
//! a single-column primary key of a keyable type (`UserId(Uuid)`), and per table the type of each
//! column whose field does not use the plain mapping: its own key, the key of the table a foreign
//! key references (composite same-tenant keys included: `(account_id, user_id)` → `users
//! (account_id, id)` types `user_id` as `UserId`), and `[codegen.json]` columns. A key prints as
//! its value (`Display`), for `set_config` and URLs.

use std::collections::BTreeMap;

use proc_macro2::{Ident, TokenStream};
use quote::{quote, ToTokens};

use crate::catalog::{BaseType, Column, QualifiedName, Table};

use super::CodegenOptions;

/// The newtype of a table's single-column primary key.
pub(crate) struct Key {
    /// `UserId`.
    pub(crate) ident: Ident,
    /// The module (file) of the table that declares it.
    pub(crate) module: Ident,
    /// The primary key column.
    pub(crate) column: String,
    /// The wrapped type (`uuid::Uuid`).
    pub(crate) inner: TokenStream,
    /// Whether the wrapped type is `Copy` (uuid and integers, not text).
    pub(crate) copy: bool,
}

/// The primary key column of `table` when it is a single column of a type a key newtype can wrap
/// (uuid, integers, text): `Some(copy)` with whether the type is `Copy`.
pub(crate) fn keyable(table: &Table) -> Option<(&Column, bool)> {
    let pk = table.primary_key.as_ref()?;
    let [column] = pk.columns.as_slice() else {
        return None;
    };
    let column = table.column(column)?;
    if column.ty.array || column.nullable {
        return None;
    }
    let copy = match column.ty.base {
        BaseType::Uuid | BaseType::SmallInt | BaseType::Integer | BaseType::BigInt => true,
        BaseType::Text | BaseType::Varchar(_) | BaseType::Char(_) | BaseType::Citext => false,
        _ => return None,
    };
    Some((column, copy))
}

/// The path of `key` as written in the module `from`.
pub(crate) fn key_path(key: &Key, from: &str) -> TokenStream {
    let ident = &key.ident;
    if key.module == from {
        quote!(#ident)
    } else {
        let module = &key.module;
        quote!(super::#module::#ident)
    }
}

/// The non-null field type of each column of `table` (declared in module `module`) that does not
/// use the plain type map, by column name.
pub(crate) fn column_types(
    table: &Table,
    module: &str,
    keys: &BTreeMap<QualifiedName, Key>,
    options: &CodegenOptions,
) -> BTreeMap<String, TokenStream> {
    let mut types = BTreeMap::new();
    if let Some(key) = keys.get(&table.name) {
        types.insert(key.column.clone(), key_path(key, module));
    }
    for fk in &table.foreign_keys {
        let Some(key) = keys.get(&fk.referenced_table) else {
            continue;
        };
        for (column, referenced) in fk.columns.iter().zip(&fk.referenced_columns) {
            let plain = table
                .column(column)
                .is_some_and(|c| !c.ty.array && c.generated.is_none());
            if *referenced == key.column && plain {
                types
                    .entry(column.clone())
                    .or_insert_with(|| key_path(key, module));
            }
        }
    }
    for column in &table.columns {
        if column.ty.array || !matches!(column.ty.base, BaseType::Json | BaseType::Jsonb) {
            continue;
        }
        let qualified = format!("{}.{}.{}", table.name.schema, table.name.name, column.name);
        let short = format!("{}.{}", table.name.name, column.name);
        let configured = options.json.get(&qualified).or_else(|| {
            (table.name.schema == "public")
                .then(|| options.json.get(&short))
                .flatten()
        });
        // The settings checked the path when they were read; one that still does not parse
        // keeps the untyped `serde_json::Value` rather than fail.
        if let Some(ty) = configured.and_then(|ty| syn::parse_str::<syn::Type>(ty).ok()) {
            let ty = ty.to_token_stream();
            types.insert(column.name.clone(), quote!(sqlx::types::Json<#ty>));
        }
    }
    types
}

/// The newtype item, its conversions and its doc.
pub(crate) fn key_item(key: &Key, table: &QualifiedName, derives: TokenStream) -> TokenStream {
    let Key { ident, inner, .. } = key;
    let doc = format!(
        " The primary key of `{table}` (column `{}`): a value of one table's key cannot be passed \
         where another's is expected.",
        key.column
    );
    quote! {
        #[doc = #doc]
        #derives
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct #ident(pub #inner);

        impl From<#inner> for #ident {
            fn from(value: #inner) -> Self {
                #ident(value)
            }
        }

        impl std::fmt::Display for #ident {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0, f)
            }
        }
    }
}
