//! Queries by primary key on a row struct (`find`, `delete`, `list`) and the `<Row>Patch` update
//! struct with its `apply`. In: the table's fields and names. Out: tokens; each query is one
//! statement on any `sqlx::PgExecutor`, every identifier quoted through `sql::ident`. Tables
//! without a primary key get none of these.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::render::{derives, doc_attrs, docs_with_summary, Field};
use super::CodegenOptions;

/// Parameter names the generated functions use themselves; a key column named like one is
/// renamed (`limit` → `limit_key`).
const TAKEN_PARAMETERS: &[&str] = &["executor", "limit", "after", "self"];

/// The primary key of a table as the queries see it: its fields, in key order.
pub(crate) struct KeyFields<'a> {
    pub(crate) fields: Vec<&'a Field<'a>>,
}

impl KeyFields<'_> {
    fn params(&self) -> Vec<Ident> {
        self.fields
            .iter()
            .map(|field| {
                let name = super::names::unraw(&field.ident.to_string()).to_string();
                if TAKEN_PARAMETERS.contains(&name.as_str()) {
                    format_ident!("{name}_key")
                } else {
                    field.ident.clone()
                }
            })
            .collect()
    }

    /// `a = $1 AND b = $2`, numbering from `first`.
    fn where_sql(&self, first: usize) -> String {
        self.fields
            .iter()
            .enumerate()
            .map(|(index, field)| {
                format!(
                    "{} = ${}",
                    crate::sql::ident(&field.column.name),
                    first + index
                )
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    fn order_sql(&self) -> String {
        self.fields
            .iter()
            .map(|field| crate::sql::ident(&field.column.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `find`, `delete` and `list` inside `impl <Row>`.
pub(crate) fn row_queries(key: &KeyFields<'_>, sql_name: &str) -> TokenStream {
    let params = key.params();
    let types: Vec<&TokenStream> = key.fields.iter().map(|field| &field.ty).collect();
    let find_sql = format!("SELECT * FROM {sql_name} WHERE {}", key.where_sql(1));
    let delete_sql = format!("DELETE FROM {sql_name} WHERE {}", key.where_sql(1));
    let order = key.order_sql();
    let count = key.fields.len();
    let after_placeholders: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
    let (after_where, after_type, after_pattern) = if count == 1 {
        let ty = types[0];
        (format!("{order} > $1"), quote!(#ty), quote!(Some(after)))
    } else {
        let names: Vec<Ident> = (0..count).map(|n| format_ident!("after_{n}")).collect();
        (
            format!("({order}) > ({})", after_placeholders.join(", ")),
            quote!((#(#types),*)),
            quote!(Some((#(#names),*))),
        )
    };
    let after_binds: Vec<Ident> = if count == 1 {
        vec![format_ident!("after")]
    } else {
        (0..count).map(|n| format_ident!("after_{n}")).collect()
    };
    let list_after_sql = format!(
        "SELECT * FROM {sql_name} WHERE {after_where} ORDER BY {order} LIMIT ${}",
        count + 1
    );
    let list_first_sql = format!("SELECT * FROM {sql_name} ORDER BY {order} LIMIT $1");
    let executor_doc = " `executor` is a connection, pool or transaction (`&mut *tx`).";
    quote! {
        /// The row with this primary key, or `None` when there is none (or row-level security
        /// hides it).
        #[doc = #executor_doc]
        pub async fn find<'e>(
            executor: impl sqlx::PgExecutor<'e>,
            #(#params: #types),*
        ) -> Result<Option<Self>, sqlx::Error> {
            sqlx::query_as::<_, Self>(#find_sql)
                #(.bind(#params))*
                .fetch_optional(executor)
                .await
        }

        /// Deletes the row with this primary key; `true` when there was one.
        #[doc = #executor_doc]
        pub async fn delete<'e>(
            executor: impl sqlx::PgExecutor<'e>,
            #(#params: #types),*
        ) -> Result<bool, sqlx::Error> {
            let done = sqlx::query(#delete_sql)
                #(.bind(#params))*
                .execute(executor)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        /// At most `limit` rows in primary key order, starting after the key `after` (keyset
        /// pagination: pass the last key of a page to get the next one, `None` for the first).
        #[doc = #executor_doc]
        pub async fn list<'e>(
            executor: impl sqlx::PgExecutor<'e>,
            limit: i64,
            after: Option<#after_type>,
        ) -> Result<Vec<Self>, sqlx::Error> {
            match after {
                #after_pattern => {
                    sqlx::query_as::<_, Self>(#list_after_sql)
                        #(.bind(#after_binds))*
                        .bind(limit)
                        .fetch_all(executor)
                        .await
                }
                None => {
                    sqlx::query_as::<_, Self>(#list_first_sql)
                        .bind(limit)
                        .fetch_all(executor)
                        .await
                }
            }
        }
    }
}

/// The `<Row>Patch` struct and its `apply`: every column but the key and generated ones, each an
/// `Option` that is written only when `Some` (a nullable column's is `Option<Option<_>>`, with
/// `Some(None)` for NULL).
pub(crate) fn patch(
    patch: &Ident,
    row: &Ident,
    key: &KeyFields<'_>,
    updatable: &[&Field<'_>],
    sql_name: &str,
    options: &CodegenOptions,
) -> TokenStream {
    let doc = doc_attrs(&[
        format!("Changes to a row of [`{row}`]: only the fields that are `Some` are written."),
        String::new(),
        format!(
            "Set the fields to change and leave the rest to `Default`: `{patch} {{ field: \
             Some(value), ..Default::default() }}`; a nullable column's field is \
             `Option<Option<_>>`, with `Some(None)` for NULL. [`Self::apply`] writes it."
        ),
    ]);
    let patch_derives = derives(
        &[
            "Debug",
            "Clone",
            "Default",
            "PartialEq",
            "serde::Serialize",
            "serde::Deserialize",
        ],
        options,
    );
    let fields = updatable.iter().map(|field| patch_field(field));
    let params = key.params();
    let types: Vec<&TokenStream> = key.fields.iter().map(|field| &field.ty).collect();
    let body = apply_body(row, key, updatable, sql_name);
    quote! {
        #doc
        #patch_derives
        pub struct #patch {
            #(#fields)*
        }

        impl #patch {
            /// Writes the fields that are `Some` to the row with this primary key in one
            /// `UPDATE ... RETURNING *`, and returns the row as stored; `None` when there is no
            /// such row (or row-level security hides it). With no field set, it reads the row.
            /// `executor` is a connection, pool or transaction (`&mut *tx`).
            pub async fn apply<'e>(
                &self,
                executor: impl sqlx::PgExecutor<'e>,
                #(#params: #types),*
            ) -> Result<Option<#row>, sqlx::Error> {
                #body
            }
        }
    }
}

/// One field of the patch struct: `Option<_>` of the row's type (`Option<Option<_>>` for a
/// nullable column), left out of the JSON when `None`.
fn patch_field(field: &Field<'_>) -> TokenStream {
    let Field { ident, ty, .. } = field;
    let doc = doc_attrs(&docs_with_summary(
        field.column.comment.as_deref(),
        super::render::column_summary(field.column),
    ));
    let rename = field
        .rename
        .as_ref()
        .map(|name| quote!(#[serde(rename = #name)]));
    let ty = if field.column.nullable {
        quote!(Option<Option<#ty>>)
    } else {
        quote!(Option<#ty>)
    };
    quote! {
        #doc
        #rename
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub #ident: #ty,
    }
}

/// The body of `apply`: one `UPDATE ... SET <the fields that are Some> WHERE <key> RETURNING *`,
/// or a read of the row when there is nothing to write.
fn apply_body(
    row: &Ident,
    key: &KeyFields<'_>,
    updatable: &[&Field<'_>],
    sql_name: &str,
) -> TokenStream {
    let params = key.params();
    if updatable.is_empty() {
        quote!(#row::find(executor, #(#params),*).await)
    } else {
        let sets = updatable.iter().map(|field| {
            let ident = &field.ident;
            let column = crate::sql::ident(&field.column.name);
            quote! {
                if let Some(value) = &self.#ident {
                    sqlx::Arguments::add(&mut arguments, value).map_err(sqlx::Error::Encode)?;
                    sets.push(format!("{} = ${}", #column, sets.len() + 1));
                }
            }
        });
        let key_columns: Vec<String> = key
            .fields
            .iter()
            .map(|field| crate::sql::ident(&field.column.name))
            .collect();
        quote! {
            let mut sets: Vec<String> = Vec::new();
            let mut arguments = sqlx::postgres::PgArguments::default();
            #(#sets)*
            if sets.is_empty() {
                return #row::find(executor, #(#params),*).await;
            }
            let key_columns: &[&str] = &[#(#key_columns),*];
            let conditions: Vec<String> = key_columns
                .iter()
                .enumerate()
                .map(|(index, column)| format!("{} = ${}", column, sets.len() + 1 + index))
                .collect();
            #(sqlx::Arguments::add(&mut arguments, #params).map_err(sqlx::Error::Encode)?;)*
            let sql = format!(
                "UPDATE {} SET {} WHERE {} RETURNING *",
                #sql_name,
                sets.join(", "),
                conditions.join(" AND ")
            );
            sqlx::query_as_with::<_, #row, _>(&sql, arguments)
                .fetch_optional(executor)
                .await
        }
    }
}
