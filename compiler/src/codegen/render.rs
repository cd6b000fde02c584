//! Tokens for each generated file, built with `quote` and printed with `prettyplease`.
//! In: the `Catalog` and options. Out: `GeneratedFile`s sorted by path. Names are chosen once, up
//! front, in sorted order of the catalog's qualified names, so a name never depends on the order in
//! which the schema's files or items were read.

use std::collections::BTreeMap;
use std::path::PathBuf;

use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

use crate::catalog::{Catalog, Column, EnumType, QualifiedName, Table, TableKind};

use super::keys::{self, Key};
use super::names::{self, Scope, RESERVED_MODULE_NAMES, RESERVED_TYPE_NAMES};
use super::queries::{self, KeyFields};
use super::types::{rust_type, SupportNeeds, TypeContext};
use super::{CodegenOptions, GeneratedFile, HEADER_MARKER};

/// The Rust names of one table.
pub(super) struct TableNames {
    pub(super) module: String,
    pub(super) row: Ident,
    pub(super) insert: Ident,
    pub(super) patch: Ident,
}

pub(crate) fn render(catalog: &Catalog, options: &CodegenOptions) -> Vec<GeneratedFile> {
    let mut enums: Vec<&EnumType> = catalog.enums.iter().collect();
    enums.sort_by(|a, b| a.name.cmp(&b.name));
    // Two enums of one name cannot both exist in PostgreSQL; keep the first rather than emit two
    // Rust enums under one name.
    enums.dedup_by(|later, earlier| later.name == earlier.name);
    let mut tables: Vec<&Table> = catalog.tables.iter().collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));

    // Enums first, then row structs, then insert, patch and key structs: a table `new_users`
    // keeps `NewUser` and the insert struct of `users` becomes `NewUser2`.
    let mut types = Scope::with_reserved(RESERVED_TYPE_NAMES);
    let enum_names: BTreeMap<QualifiedName, Ident> = enums
        .iter()
        .map(|e| {
            let name = types.claim(names::upper_camel(&rust_base_name(&e.name)), "");
            (e.name.clone(), names::ident(&name))
        })
        .collect();
    let rows: Vec<String> = tables
        .iter()
        .map(|t| types.claim(row_name(t, options), ""))
        .collect();
    let inserts: Vec<String> = rows
        .iter()
        .map(|row| types.claim(format!("New{row}"), ""))
        .collect();
    let patches: Vec<String> = rows
        .iter()
        .map(|row| types.claim(format!("{row}Patch"), ""))
        .collect();
    let views = super::views::relations(catalog, options, &mut types);
    let mut modules = Scope::with_reserved(RESERVED_MODULE_NAMES);
    let table_names: Vec<TableNames> = tables
        .iter()
        .zip(rows.iter().zip(inserts.iter().zip(&patches)))
        .map(|(table, (row, (insert, patch)))| TableNames {
            module: modules.claim(names::snake(&rust_base_name(&table.name)), "_"),
            row: names::ident(row),
            insert: names::ident(insert),
            patch: names::ident(patch),
        })
        .collect();
    let mut keys: BTreeMap<QualifiedName, Key> = BTreeMap::new();
    if options.typed_keys {
        for (table, (table_names, row)) in tables.iter().zip(table_names.iter().zip(&rows)) {
            let Some((column, copy)) = keys::keyable(table) else {
                continue;
            };
            let ctx = TypeContext {
                enums: &enum_names,
                time: options.time,
            };
            let (inner, _) = rust_type(&column.ty, &ctx);
            let key = Key {
                ident: names::ident(&types.claim(format!("{row}Id"), "")),
                module: names::ident(&table_names.module),
                column: column.name.clone(),
                inner,
                copy,
            };
            keys.insert(table.name.clone(), key);
        }
    }

    let ctx = TypeContext {
        enums: &enum_names,
        time: options.time,
    };
    let context = TableContext {
        relation: "table",
        catalog,
        ctx: &ctx,
        options,
        keys: &keys,
    };
    let header = header(&options.source);
    let mut files = Vec::new();
    let mut needs = SupportNeeds::default();
    for (table, table_names) in tables.iter().zip(&table_names) {
        let (tokens, table_needs) = table_file(table, table_names, &context);
        needs.merge(table_needs);
        files.push(file(format!("{}.rs", table_names.module), &header, tokens));
    }
    let view_names = super::views::names(&views, &mut modules);
    for (view, names) in views.iter().zip(&view_names) {
        let context = TableContext {
            relation: view.1,
            ..context
        };
        let (fields, view_needs) = table_fields(&view.0, names, &context);
        needs.merge(view_needs);
        let tokens = super::views::view_file(
            &view.0,
            view.1,
            row_struct(&view.0, names, &fields, None, &context),
            columns_module(&view.0, &fields),
        );
        files.push(file(format!("{}.rs", names.module), &header, tokens));
    }
    if !enums.is_empty() {
        files.push(file(
            "enums.rs".into(),
            &header,
            enums_file(&enums, &enum_names, options),
        ));
    }
    if needs.any() {
        files.push(file("support.rs".into(), &header, support_file(needs)));
    }
    let mut root = root_file(
        options,
        &enums,
        &enum_names,
        &tables,
        &table_names,
        &keys,
        needs,
    );
    root.extend(super::views::root_items(&views, &view_names));
    files.push(file(options.root.file_name().into(), &header, root));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The row struct's name: `[codegen.names]` where it names the table, else the singular of the
/// table name in UpperCamelCase (`audit_logs` → `AuditLog`).
pub(super) fn row_name(table: &Table, options: &CodegenOptions) -> String {
    let qualified = format!("{}.{}", table.name.schema, table.name.name);
    let configured = options.names.get(&qualified).or_else(|| {
        (table.name.schema == "public")
            .then(|| options.names.get(&table.name.name))
            .flatten()
    });
    match configured {
        Some(name) => names::upper_camel(name),
        None => {
            let base = rust_base_name(&table.name);
            names::upper_camel(&names::singular(&base))
        }
    }
}

/// `users` for `public.users`, `audit_events` for `audit.events`: the schema is part of the Rust
/// name only outside `public`.
pub(super) fn rust_base_name(name: &QualifiedName) -> String {
    if name.schema == "public" {
        name.name.clone()
    } else {
        format!("{}_{}", name.schema, name.name)
    }
}

/// The header line: says the file is generated, by what and from what.
fn header(source: &str) -> String {
    // Control characters would end the comment line early and put the rest into the code.
    let source: String = source
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if source.trim().is_empty() {
        format!("{HEADER_MARKER}. Do not edit: change the schema and run `schemac codegen`.\n")
    } else {
        format!(
            "{HEADER_MARKER} from {source}. Do not edit: change the schema and run `schemac codegen`.\n"
        )
    }
}

fn file(path: String, header: &str, tokens: TokenStream) -> GeneratedFile {
    let body = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(parsed) => prettyplease::unparse(&parsed),
        // Only reachable through a bug in this module; unformatted tokens are still valid Rust
        // and just as deterministic, so prefer them to a panic.
        Err(_) => format!("{tokens}\n"),
    };
    GeneratedFile {
        path: PathBuf::from(path),
        contents: format!("{header}{}", space_items(&body)),
    }
}

/// prettyplease puts items on consecutive lines; a blank line after the module's inner attributes
/// and between top-level items (but not between a `mod` and its `use`) reads better, and so does
/// one between the items of an `impl` after a multi-line one (a method, a long array). Only lines
/// at column 0 and 4 are looked at, and string literals never span lines (they are escaped), so
/// this changes whitespace between items and nothing else.
fn space_items(body: &str) -> String {
    let mut spaced = String::with_capacity(body.len() + body.len() / 16);
    let mut previous: Option<&str> = None;
    for line in body.lines() {
        if let Some(previous) = previous {
            let after_inner = (previous.starts_with("//!") || previous.starts_with("#!["))
                && !(line.starts_with("//!") || line.starts_with("#!["));
            let top_level = !previous.starts_with(' ');
            let after_item = top_level
                && (previous.ends_with('}')
                    || (previous.ends_with(';') && !line.starts_with("pub use ")));
            let starts_item = !line.starts_with(' ') && !line.starts_with('}') && !line.is_empty();
            // Inside an `impl` (indent 4): a method's closing brace, or the end of a multi-line
            // constant, followed by the next associated item.
            let after_long_member = previous == "    }"
                || (previous.starts_with("    ")
                    && !previous.starts_with("     ")
                    && previous.ends_with("];"));
            let starts_member = ["    ///", "    #[", "    pub ", "    fn "]
                .iter()
                .any(|start| line.starts_with(start));
            if ((after_inner || after_item) && starts_item) || (after_long_member && starts_member)
            {
                spaced.push('\n');
            }
        }
        spaced.push_str(line);
        spaced.push('\n');
        previous = Some(line);
    }
    spaced
}

/// `#[doc = " line"]` per line, so prettyplease prints `/// line`.
pub(super) fn doc_attrs(lines: &[String]) -> TokenStream {
    let attrs = lines.iter().map(|line| {
        let text = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        quote!(#[doc = #text])
    });
    quote!(#(#attrs)*)
}

/// The lines of a schema doc comment, without carriage returns.
fn comment_lines(comment: Option<&str>) -> Vec<String> {
    comment
        .map(|text| {
            text.lines()
                .map(|line| line.trim_end_matches('\r').to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// `text` as inline code, or plain where a backtick inside would end the code span.
pub(super) fn code(text: &str) -> String {
    if text.contains('`') {
        text.to_string()
    } else {
        format!("`{text}`")
    }
}

/// User-provided doc lines, then a blank line, then `summary`.
pub(super) fn docs_with_summary(comment: Option<&str>, summary: String) -> Vec<String> {
    let mut lines = comment_lines(comment);
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(summary);
    lines
}

/// The built-in derives followed by the configured ones that are not already there.
pub(super) fn derives(builtin: &[&str], options: &CodegenOptions) -> TokenStream {
    let last_segment = |path: &str| path.rsplit("::").next().unwrap_or(path).trim().to_string();
    let builtin_names: Vec<String> = builtin.iter().map(|path| last_segment(path)).collect();
    let paths = builtin
        .iter()
        .map(|path| (*path).to_string())
        .chain(
            options
                .derives
                .iter()
                .map(|derive| derive.as_str().to_string())
                .filter(|path| !builtin_names.contains(&last_segment(path))),
        )
        .filter_map(|path| syn::parse_str::<syn::Path>(&path).ok());
    quote!(#[derive(#(#paths),*)])
}

/// One column as a field of the generated structs.
pub(super) struct Field<'a> {
    pub(super) column: &'a Column,
    pub(super) ident: Ident,
    /// The column name when it differs from the field name serde and sqlx would use.
    pub(super) rename: Option<String>,
    /// Type of a non-null value.
    pub(super) ty: TokenStream,
}

/// What a table file is rendered from besides the table itself.
struct TableContext<'a> {
    /// `table`, or `view` / `materialized view` for a read-only row struct.
    relation: &'a str,
    catalog: &'a Catalog,
    ctx: &'a TypeContext<'a>,
    options: &'a CodegenOptions,
    keys: &'a BTreeMap<QualifiedName, Key>,
}

fn table_file(
    table: &Table,
    table_names: &TableNames,
    context: &TableContext<'_>,
) -> (TokenStream, SupportNeeds) {
    let (fields, needs) = table_fields(table, table_names, context);
    let qualified = table.name.to_string();
    let module_doc = doc_lines_inner(&[format!("The table {}.", code(&qualified))]);
    let key_item = context.keys.get(&table.name).map(|key| {
        let mut builtin = vec!["Debug", "Clone"];
        if key.copy {
            builtin.push("Copy");
        }
        builtin.extend([
            "PartialEq",
            "Eq",
            "Hash",
            "PartialOrd",
            "Ord",
            "sqlx::Type",
            "serde::Serialize",
            "serde::Deserialize",
        ]);
        keys::key_item(key, &table.name, derives(&builtin, context.options))
    });
    let insert = insert_struct(table, table_names, &fields, context.options);
    let key_fields: Option<KeyFields> = table.primary_key.as_ref().and_then(|pk| {
        let fields: Option<Vec<&Field>> = pk
            .columns
            .iter()
            .map(|name| fields.iter().find(|field| field.column.name == *name))
            .collect();
        fields.map(|fields| KeyFields { fields })
    });
    let sql_name = crate::sql::qualified(&table.name);
    let patch = key_fields.as_ref().map(|key| {
        let updatable: Vec<&Field> = fields
            .iter()
            // The database computes a generated column, and refuses a value for an
            // `identity always` one in an UPDATE too.
            .filter(|field| {
                field.column.generated.is_none()
                    && field.column.identity != Some(crate::catalog::Identity::Always)
            })
            .filter(|field| {
                !key.fields
                    .iter()
                    .any(|k| k.column.name == field.column.name)
            })
            .collect();
        queries::patch(
            &table_names.patch,
            &table_names.row,
            key,
            &updatable,
            &sql_name,
            context.options,
        )
    });
    let queries = key_fields
        .as_ref()
        .map(|key| queries::row_queries(key, &sql_name));
    let row = row_struct(table, table_names, &fields, queries, context);
    let columns = columns_module(table, &fields);
    let tokens = quote! {
        #module_doc

        #key_item

        #row

        #insert

        #patch

        #columns
    };
    (tokens, needs)
}

/// The fields of every column, named once for all the structs of the table.
fn table_fields<'a>(
    table: &'a Table,
    table_names: &TableNames,
    context: &TableContext<'_>,
) -> (Vec<Field<'a>>, SupportNeeds) {
    let mut needs = SupportNeeds::default();
    let typed = keys::column_types(table, &table_names.module, context.keys, context.options);
    let wanted = table
        .columns
        .iter()
        .map(|column| {
            let name = names::snake(&column.name);
            let exact = name == column.name;
            (name, exact)
        })
        .collect();
    let field_names = names::claim_all(&mut Scope::default(), wanted, "_");
    let fields = table
        .columns
        .iter()
        .zip(&field_names)
        .map(|(column, name)| {
            let ident = names::ident(name);
            let rename =
                (names::unraw(&ident.to_string()) != column.name).then(|| column.name.clone());
            let ty = match typed.get(&column.name) {
                Some(ty) => ty.clone(),
                None => {
                    let (ty, column_needs) = rust_type(&column.ty, context.ctx);
                    needs.merge(column_needs);
                    ty
                }
            };
            Field {
                column,
                ident,
                rename,
                ty,
            }
        })
        .collect();
    (fields, needs)
}

/// The row struct, its name constants and `queries` (by primary key, where it has one).
fn row_struct(
    table: &Table,
    table_names: &TableNames,
    fields: &[Field],
    queries: Option<TokenStream>,
    context: &TableContext<'_>,
) -> TokenStream {
    let qualified = table.name.to_string();
    let row = &table_names.row;
    let what = context.relation;
    let mut row_summary = format!("A row of the {what} {}.", code(&qualified));
    if table.kind == TableKind::Tenant {
        if let Some(tenancy) = &context.catalog.tenancy {
            row_summary.push_str(&format!(
                " A tenant table: each row belongs to the tenant in {}.",
                code(&tenancy.column)
            ));
        }
    }
    let row_doc = doc_attrs(&docs_with_summary(table.comment.as_deref(), row_summary));
    let row_derives = derives(
        &[
            "Debug",
            "Clone",
            "PartialEq",
            "sqlx::FromRow",
            "serde::Serialize",
            "serde::Deserialize",
        ],
        context.options,
    );
    let row_fields = fields.iter().map(|field| {
        let Field { ident, ty, .. } = field;
        let doc = doc_attrs(&docs_with_summary(
            field.column.comment.as_deref(),
            column_summary(field.column),
        ));
        let rename = field
            .rename
            .as_ref()
            .map(|name| quote!(#[sqlx(rename = #name)] #[serde(rename = #name)]));
        let ty = if field.column.nullable {
            quote!(Option<#ty>)
        } else {
            ty.clone()
        };
        quote!(#doc #rename pub #ident: #ty,)
    });
    let table_name = &table.name.name;
    let schema_name = &table.name.schema;
    let sql_name = crate::sql::qualified(&table.name);
    let column_names = fields
        .iter()
        .map(|field| crate::sql::ident(&field.column.name));
    quote! {
        #row_doc
        #row_derives
        pub struct #row {
            #(#row_fields)*
        }

        impl #row {
            /// The table name, unquoted.
            pub const TABLE: &'static str = #table_name;
            /// The schema the table is in, unquoted.
            pub const SCHEMA: &'static str = #schema_name;
            /// The qualified name, quoted for SQL where needed.
            pub const SQL_NAME: &'static str = #sql_name;
            /// Every column, in table order, quoted for SQL where needed.
            pub const COLUMNS: &'static [&'static str] = &[#(#column_names),*];

            #queries
        }
    }
}

/// The `columns` module: the name of each column, unquoted.
fn columns_module(table: &Table, fields: &[Field]) -> TokenStream {
    let wanted_consts = fields
        .iter()
        .map(|field| {
            let name = names::shouty_snake(&field.column.name);
            let exact = name.to_lowercase() == field.column.name;
            (name, exact)
        })
        .collect();
    let const_names = names::claim_all(&mut Scope::default(), wanted_consts, "_");
    let column_consts = fields.iter().zip(&const_names).map(|(field, name)| {
        let name = names::ident(name);
        let value = &field.column.name;
        let doc = format!(" {}", code(value));
        quote!(#[doc = #doc] pub const #name: &str = #value;)
    });
    let columns_doc = format!(
        " Column names of {}, unquoted.",
        code(&table.name.to_string())
    );
    quote! {
        #[doc = #columns_doc]
        pub mod columns {
            #(#column_consts)*
        }
    }
}

/// Whether the insert struct requires a value for the column in `new`: not null, no default.
fn required(column: &Column) -> bool {
    !column.nullable && !has_default(column)
}

/// The insert struct: its fields, `new`, the chained setters and the insert methods.
fn insert_struct(
    table: &Table,
    table_names: &TableNames,
    fields: &[Field],
    options: &CodegenOptions,
) -> TokenStream {
    let qualified = table.name.to_string();
    let TableNames { row, insert, .. } = table_names;
    let insert_doc = doc_attrs(&[
        format!("Values for inserting a row into {}.", code(&qualified)),
        String::new(),
        format!(
            "[`{insert}::new`] takes the columns that have neither a default nor NULL; chained \
             setters give the others. A column with a default is an `Option`: `None` leaves the \
             value to the default (a nullable one is `Option<Option<_>>`, `Some(None)` for NULL). \
             Generated columns are left out."
        ),
        String::new(),
        "[`Self::insert`] inserts the row and returns it as stored; [`Self::insert_sql`] and \
         [`Self::insert_arguments`] are the statement and its bound values, for building queries \
         of your own."
            .to_string(),
    ]);
    let insertable: Vec<&Field> = fields
        .iter()
        // The database computes these: a generated column refuses a value, and an identity column
        // numbers the row itself (`ALWAYS` refuses one too).
        .filter(|field| field.column.generated.is_none() && field.column.identity.is_none())
        .collect();
    let mut builtin = vec!["Debug", "Clone"];
    if !insertable.iter().any(|field| required(field.column)) {
        builtin.push("Default");
    }
    builtin.extend(["PartialEq", "serde::Serialize", "serde::Deserialize"]);
    let insert_derives = derives(&builtin, options);
    let insert_fields = insertable.iter().map(|field| {
        let Field { ident, ty, .. } = field;
        let doc = doc_attrs(&docs_with_summary(
            field.column.comment.as_deref(),
            column_summary(field.column),
        ));
        let rename = field
            .rename
            .as_ref()
            .map(|name| quote!(#[serde(rename = #name)]));
        let mut ty = if field.column.nullable {
            quote!(Option<#ty>)
        } else {
            ty.clone()
        };
        let mut skip = None;
        if has_default(field.column) {
            ty = quote!(Option<#ty>);
            skip = Some(quote!(
                #[serde(default, skip_serializing_if = "Option::is_none")]
            ));
        }
        quote!(#doc #rename #skip pub #ident: #ty,)
    });
    let sql_name = crate::sql::qualified(&table.name);
    let insert_column_names = insertable
        .iter()
        .map(|field| crate::sql::ident(&field.column.name));
    let constructors = insert_constructors(insert, &insertable);
    let insert_methods = insert_methods(&insertable, &sql_name, row, fields.is_empty());
    quote! {
        #insert_doc
        #insert_derives
        pub struct #insert {
            #(#insert_fields)*
        }

        impl #insert {
            /// The columns this struct has a field for, in field order, quoted for SQL where
            /// needed.
            pub const COLUMNS: &'static [&'static str] = &[#(#insert_column_names),*];

            #constructors

            #insert_methods
        }
    }
}

/// Method names of the insert struct that a setter must not take.
const INSERT_METHODS: &[&str] = &["new", "insert", "insert_sql", "insert_arguments"];

/// `new(<required columns>)` and one chained setter per other column.
fn insert_constructors(insert: &Ident, insertable: &[&Field]) -> TokenStream {
    let required_fields: Vec<&&Field> = insertable
        .iter()
        .filter(|field| required(field.column))
        .collect();
    let params = required_fields.iter().map(|field| {
        let Field { ident, ty, .. } = field;
        quote!(#ident: impl Into<#ty>)
    });
    let inits = insertable.iter().map(|field| {
        let ident = &field.ident;
        if required(field.column) {
            quote!(#ident: #ident.into(),)
        } else {
            quote!(#ident: None,)
        }
    });
    let new_doc = if required_fields.is_empty() {
        format!(
            " A new row with every column left to its default or NULL; the same as \
             `{insert}::default()`."
        )
    } else {
        " A new row with the columns that have neither a default nor NULL; the setters give the \
         others."
            .to_string()
    };
    let setters = insertable
        .iter()
        .filter(|field| !required(field.column))
        .map(|field| {
            let Field { ident, ty, .. } = field;
            let plain = names::unraw(&ident.to_string()).to_string();
            let setter = if INSERT_METHODS.contains(&plain.as_str()) {
                names::ident(&format!("with_{plain}"))
            } else {
                ident.clone()
            };
            let value = if field.column.nullable && has_default(field.column) {
                quote!(Some(Some(value.into())))
            } else {
                quote!(Some(value.into()))
            };
            let doc = format!(" Sets {}.", code(&field.column.name));
            quote! {
                #[doc = #doc]
                pub fn #setter(mut self, value: impl Into<#ty>) -> Self {
                    self.#ident = #value;
                    self
                }
            }
        });
    quote! {
        #[doc = #new_doc]
        pub fn new(#(#params),*) -> Self {
            Self {
                #(#inits)*
            }
        }

        #(#setters)*
    }
}

/// `insert_sql`, `insert_arguments` and `insert` of a `New*` struct: the statement names a column
/// with a default only when its field is `Some`, so `None` leaves the value to the database, and the
/// arguments follow the same rule in the same order.
fn insert_methods(
    insertable: &[&Field],
    sql_name: &str,
    row: &Ident,
    no_columns: bool,
) -> TokenStream {
    let sql_doc = doc_attrs(&[
        format!(
            "{} for these values: a column with a default is named only when its field is `Some` \
             (`DEFAULT VALUES` when no column is).",
            code(&format!("INSERT INTO {sql_name} (...) VALUES ($1, ...)"))
        ),
        String::new(),
        "Bind [`Self::insert_arguments`] to it, or call [`Self::insert`].".to_string(),
    ]);
    let (sql_body, arguments_body) = if insertable.is_empty() {
        (
            quote!(format!("INSERT INTO {} DEFAULT VALUES", #sql_name)),
            quote!(Ok(sqlx::postgres::PgArguments::default())),
        )
    } else {
        let count = Literal::usize_unsuffixed(insertable.len());
        let columns = insertable.iter().map(|field| {
            let quoted = crate::sql::ident(&field.column.name);
            let ident = &field.ident;
            if has_default(field.column) {
                quote!((#quoted, self.#ident.is_some()))
            } else {
                quote!((#quoted, true))
            }
        });
        let adds = insertable.iter().map(|field| {
            let ident = &field.ident;
            if has_default(field.column) {
                quote! {
                    if let Some(value) = &self.#ident {
                        sqlx::Arguments::add(&mut arguments, value)?;
                    }
                }
            } else {
                quote!(sqlx::Arguments::add(&mut arguments, &self.#ident)?;)
            }
        });
        (
            quote! {
                let columns: [(&str, bool); #count] = [#(#columns),*];
                let names: Vec<&str> = columns
                    .iter()
                    .filter(|(_, named)| *named)
                    .map(|(name, _)| *name)
                    .collect();
                if names.is_empty() {
                    return format!("INSERT INTO {} DEFAULT VALUES", #sql_name);
                }
                let placeholders: Vec<String> =
                    (1..=names.len()).map(|n| format!("${n}")).collect();
                format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    #sql_name,
                    names.join(", "),
                    placeholders.join(", ")
                )
            },
            quote! {
                let mut arguments = sqlx::postgres::PgArguments::default();
                #(#adds)*
                Ok(arguments)
            },
        )
    };
    let executor_doc = "`executor` is a connection, pool or transaction (`&mut *tx`).";
    let insert_doc = doc_attrs(&[if no_columns {
        format!("Inserts the row and returns [`{row}`] (the table has no columns). {executor_doc}")
    } else {
        format!(
            "Inserts the row and returns it as stored (`RETURNING *`, as [`{row}`]): defaults, \
             serials and generated columns filled in by the database. {executor_doc}"
        )
    }]);
    let insert_body = if no_columns {
        // PostgreSQL refuses `RETURNING *` when the table has no columns ("RETURNING must have at
        // least one column"), and there is nothing to read back: the row is the empty struct.
        quote! {
            let sql = self.insert_sql();
            let arguments = self.insert_arguments().map_err(sqlx::Error::Encode)?;
            sqlx::query_with(&sql, arguments).execute(executor).await?;
            Ok(#row {})
        }
    } else {
        quote! {
            let sql = format!("{} RETURNING *", self.insert_sql());
            let arguments = self.insert_arguments().map_err(sqlx::Error::Encode)?;
            sqlx::query_as_with::<_, #row, _>(&sql, arguments)
                .fetch_one(executor)
                .await
        }
    };
    quote! {
        #sql_doc
        pub fn insert_sql(&self) -> String {
            #sql_body
        }

        /// The values for the placeholders of [`Self::insert_sql`], in order; an error when a value
        /// cannot be encoded.
        pub fn insert_arguments(
            &self,
        ) -> Result<sqlx::postgres::PgArguments, sqlx::error::BoxDynError> {
            #arguments_body
        }

        #insert_doc
        pub async fn insert<'e>(
            &self,
            executor: impl sqlx::PgExecutor<'e>,
        ) -> Result<#row, sqlx::Error> {
            #insert_body
        }
    }
}

fn has_default(column: &Column) -> bool {
    column.default.is_some() || column.serial
}

/// `` Column `email`: `text`, not null, default `now()`. ``
pub(super) fn column_summary(column: &Column) -> String {
    let mut summary = format!("Column {}: {}", code(&column.name), code(&column.ty.sql()));
    summary.push_str(if column.nullable {
        ", nullable"
    } else {
        ", not null"
    });
    if let Some(generated) = &column.generated {
        summary.push_str(&format!(", generated as {}", code(generated)));
        if column.generated_virtual {
            summary.push_str(" (virtual)");
        }
    } else if let Some(identity) = column.identity {
        summary.push_str(&format!(
            ", {}",
            code(&format!(
                "generated {} as identity",
                identity.sql().to_lowercase()
            ))
        ));
    } else if column.serial {
        summary.push_str(", serial");
    } else if let Some(default) = &column.default {
        summary.push_str(&format!(", default {}", code(default)));
    }
    summary.push('.');
    summary
}

/// `#![doc = " line"]` per line: the module's own documentation.
pub(super) fn doc_lines_inner(lines: &[String]) -> TokenStream {
    let attrs = lines.iter().map(|line| {
        let text = format!(" {line}");
        quote!(#![doc = #text])
    });
    quote!(#(#attrs)*)
}

fn enums_file(
    enums: &[&EnumType],
    enum_names: &BTreeMap<QualifiedName, Ident>,
    options: &CodegenOptions,
) -> TokenStream {
    let items = enums.iter().filter_map(|e| {
        let ident = enum_names.get(&e.name)?;
        Some(enum_item(e, ident, options))
    });
    let module_doc = doc_lines_inner(&["The enum types of the schema.".to_string()]);
    quote! {
        #module_doc
        #(#items)*
    }
}

fn enum_item(e: &EnumType, ident: &Ident, options: &CodegenOptions) -> TokenStream {
    let qualified = e.name.to_string();
    let doc = doc_attrs(&docs_with_summary(
        e.comment.as_deref(),
        format!("The PostgreSQL enum {}.", code(&qualified)),
    ));
    // sqlx's derive does not accept an enum without variants (PostgreSQL does), so such an enum
    // gets the trait impls written out; its columns can only ever hold NULL.
    let empty = e.values.is_empty();
    let mut builtin = vec!["Debug", "Clone", "Copy", "PartialEq", "Eq", "Hash"];
    if !empty {
        builtin.push("sqlx::Type");
    }
    builtin.extend(["serde::Serialize", "serde::Deserialize"]);
    let derive_attr = derives(&builtin, options);
    // sqlx compares this name with the column type as `regtype` prints it: bare (quoted where
    // needed) for a type on the search path, schema-qualified otherwise. `public` is assumed to be
    // on the search path, as it is by default.
    let type_name = if e.name.schema == "public" {
        crate::sql::ident(&e.name.name)
    } else {
        crate::sql::qualified(&e.name)
    };

    let wanted = e
        .values
        .iter()
        .map(|value| {
            let name = names::upper_camel(value);
            let exact = names::snake_case_spells(&name, value);
            (name, exact)
        })
        .collect();
    let variant_names = names::claim_all(&mut Scope::default(), wanted, "");
    let variants: Vec<(Ident, &String)> = variant_names
        .iter()
        .zip(&e.values)
        .map(|(name, value)| (names::ident(name), value))
        .collect();
    let variant_defs = variants.iter().map(|(variant, value)| {
        let doc = format!(" {}", code(&Literal::string(value).to_string()));
        let rename = (!names::snake_case_spells(&variant.to_string(), value))
            .then(|| quote!(#[sqlx(rename = #value)] #[serde(rename = #value)]));
        quote!(#[doc = #doc] #rename #variant,)
    });
    let all = variants.iter().map(|(variant, _)| quote!(Self::#variant));
    let arms = variants
        .iter()
        .map(|(variant, value)| quote!(Self::#variant => #value,));

    let sqlx_attr =
        (!empty).then(|| quote!(#[sqlx(type_name = #type_name, rename_all = "snake_case")]));
    let empty_impls = empty.then(|| {
        let no_values = format!("the enum {} has no values", code(&qualified));
        quote! {
            impl sqlx::Type<sqlx::Postgres> for #ident {
                fn type_info() -> sqlx::postgres::PgTypeInfo {
                    sqlx::postgres::PgTypeInfo::with_name(#type_name)
                }
            }

            impl sqlx::postgres::PgHasArrayType for #ident {
                fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                    sqlx::postgres::PgTypeInfo::array_of(#type_name)
                }
            }

            impl<'q> sqlx::Encode<'q, sqlx::Postgres> for #ident {
                fn encode_by_ref(
                    &self,
                    _buf: &mut sqlx::postgres::PgArgumentBuffer,
                ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                    match *self {}
                }
            }

            impl<'r> sqlx::Decode<'r, sqlx::Postgres> for #ident {
                fn decode(
                    _value: sqlx::postgres::PgValueRef<'r>,
                ) -> Result<Self, sqlx::error::BoxDynError> {
                    Err(#no_values.into())
                }
            }
        }
    });
    quote! {
        #doc
        #derive_attr
        #sqlx_attr
        #[serde(rename_all = "snake_case")]
        pub enum #ident {
            #(#variant_defs)*
        }

        #empty_impls

        impl #ident {
            /// The type name as sqlx resolves it.
            pub const TYPE_NAME: &'static str = #type_name;
            /// Every value, in declared order.
            pub const ALL: &'static [Self] = &[#(#all),*];

            /// The value as PostgreSQL spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    #(#arms)*
                }
            }
        }
    }
}

fn support_file(needs: SupportNeeds) -> TokenStream {
    let module_doc = doc_lines_inner(&[
        "Types for PostgreSQL values that no dependency maps with both sqlx and serde.".to_string(),
    ]);
    let interval = needs.interval.then(|| {
        quote! {
            /// A PostgreSQL `interval`: months, days and microseconds kept apart as PostgreSQL
            /// stores them (a month has no fixed number of days), so every value round-trips.
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
            pub struct Interval {
                /// Whole months (a year is 12).
                pub months: i32,
                /// Whole days, apart from months.
                pub days: i32,
                /// Time of day part, in microseconds.
                pub microseconds: i64,
            }

            impl From<sqlx::postgres::types::PgInterval> for Interval {
                fn from(value: sqlx::postgres::types::PgInterval) -> Self {
                    Interval { months: value.months, days: value.days, microseconds: value.microseconds }
                }
            }

            impl From<Interval> for sqlx::postgres::types::PgInterval {
                fn from(value: Interval) -> Self {
                    sqlx::postgres::types::PgInterval {
                        months: value.months,
                        days: value.days,
                        microseconds: value.microseconds,
                    }
                }
            }

            impl sqlx::Type<sqlx::Postgres> for Interval {
                fn type_info() -> sqlx::postgres::PgTypeInfo {
                    <sqlx::postgres::types::PgInterval as sqlx::Type<sqlx::Postgres>>::type_info()
                }

                fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                    <sqlx::postgres::types::PgInterval as sqlx::Type<sqlx::Postgres>>::compatible(ty)
                }
            }

            impl sqlx::postgres::PgHasArrayType for Interval {
                fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                    <sqlx::postgres::types::PgInterval as sqlx::postgres::PgHasArrayType>::array_type_info()
                }
            }

            impl<'q> sqlx::Encode<'q, sqlx::Postgres> for Interval {
                fn encode_by_ref(
                    &self,
                    buf: &mut sqlx::postgres::PgArgumentBuffer,
                ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                    let value = sqlx::postgres::types::PgInterval::from(*self);
                    <sqlx::postgres::types::PgInterval as sqlx::Encode<'q, sqlx::Postgres>>::encode_by_ref(&value, buf)
                }
            }

            impl<'r> sqlx::Decode<'r, sqlx::Postgres> for Interval {
                fn decode(
                    value: sqlx::postgres::PgValueRef<'r>,
                ) -> Result<Self, sqlx::error::BoxDynError> {
                    <sqlx::postgres::types::PgInterval as sqlx::Decode<'r, sqlx::Postgres>>::decode(value)
                        .map(Interval::from)
                }
            }
        }
    });
    let opaque = needs.opaque.then(|| {
        quote! {
            /// A value of a type schemac has no Rust mapping for, as the bytes of PostgreSQL's binary
            /// format. It decodes from a column of any type and binds back to a column of the same
            /// type: it is sent with type OID 0, so PostgreSQL takes the type from the column.
            /// Values come in binary format through prepared statements (`sqlx::query*`), which
            /// is how `FromRow` reads them; a simple-protocol query would return text instead.
            #[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
            pub struct Opaque(
                /// The value in PostgreSQL's binary format for its type.
                pub Vec<u8>,
            );

            impl sqlx::Type<sqlx::Postgres> for Opaque {
                fn type_info() -> sqlx::postgres::PgTypeInfo {
                    sqlx::postgres::PgTypeInfo::with_oid(sqlx::postgres::types::Oid(0))
                }

                fn compatible(_ty: &sqlx::postgres::PgTypeInfo) -> bool {
                    true
                }
            }

            impl<'q> sqlx::Encode<'q, sqlx::Postgres> for Opaque {
                fn encode_by_ref(
                    &self,
                    buf: &mut sqlx::postgres::PgArgumentBuffer,
                ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                    buf.extend_from_slice(&self.0);
                    Result::Ok(sqlx::encode::IsNull::No)
                }
            }

            impl<'r> sqlx::Decode<'r, sqlx::Postgres> for Opaque {
                fn decode(
                    value: sqlx::postgres::PgValueRef<'r>,
                ) -> Result<Self, sqlx::error::BoxDynError> {
                    <&[u8] as sqlx::Decode<'r, sqlx::Postgres>>::decode(value)
                        .map(|bytes| Opaque(bytes.to_vec()))
                }
            }
        }
    });
    quote! {
        #module_doc
        #interval
        #opaque
    }
}

fn root_file(
    options: &CodegenOptions,
    enums: &[&EnumType],
    enum_names: &BTreeMap<QualifiedName, Ident>,
    tables: &[&Table],
    table_names: &[TableNames],
    keys: &BTreeMap<QualifiedName, Key>,
    needs: SupportNeeds,
) -> TokenStream {
    let source = if options.source.trim().is_empty() {
        "the schema".to_string()
    } else {
        code(&options.source)
    };
    let module_doc = doc_lines_inner(&[format!(
        "Rust models of the tables and enums of {source}, generated by `schemac codegen`."
    )]);
    let enums_mod = (!enums.is_empty()).then(|| {
        let names = enums.iter().filter_map(|e| enum_names.get(&e.name));
        quote! {
            #[rustfmt::skip]
            pub mod enums;
            pub use enums::{#(#names),*};
        }
    });
    let support_mod = needs.any().then(|| {
        quote! {
            #[rustfmt::skip]
            pub mod support;
        }
    });
    let table_mods = tables.iter().zip(table_names).map(|(table, table_names)| {
        let module = names::ident(&table_names.module);
        let TableNames {
            row, insert, patch, ..
        } = table_names;
        let doc = format!(" The table {}.", code(&table.name.to_string()));
        let key = keys.get(&table.name).map(|key| &key.ident);
        // The patch struct exists where the queries do: for tables with a primary key.
        let extra: Vec<&Ident> = table
            .primary_key
            .is_some()
            .then_some(patch)
            .into_iter()
            .chain(key)
            .collect();
        quote! {
            #[doc = #doc]
            #[rustfmt::skip]
            pub mod #module;
            pub use #module::{#row, #insert #(, #extra)*};
        }
    });
    // rustfmt would reformat prettyplease's output (it formats `@generated` files too), so
    // `cargo fmt` would change the files and `check` would report them as stale. `rustfmt::skip`
    // on the root skips only the root file's own items: rustfmt still visits the modules it
    // declares unless each `mod` item carries the attribute itself. Behind `cfg_attr(rustfmt)` the
    // inner one is invisible to rustc, where a tool attribute as an inner attribute of a module is
    // not stable; the outer ones on `mod` items are stable.
    // Doc comments come from the schema and may trip documentation lints; the code itself is
    // plain data definitions, so clippy is told to leave it alone. In a binary crate, or a module
    // of one, every item and re-export the application does not use would warn: they are an API
    // to choose from, as in a library.
    quote! {
        #module_doc
        #![cfg_attr(rustfmt, rustfmt::skip)]
        #![allow(clippy::all, clippy::pedantic, dead_code, unused_imports)]

        #enums_mod
        #support_mod
        #(#table_mods)*
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::catalog::{BaseType, SqlType};

    /// Any name PostgreSQL accepts as a quoted identifier or enum label, weighted towards the
    /// troublesome ones.
    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("self".to_string()),
            Just("Self".to_string()),
            Just("type".to_string()),
            Just("crate".to_string()),
            Just("_".to_string()),
            Just("mod".to_string()),
            Just("Option".to_string()),
            Just(String::new()),
            "[a-zA-Z_][a-zA-Z0-9_]{0,6}",
            "\\PC{0,8}",
        ]
    }

    fn catalog() -> impl Strategy<Value = Catalog> {
        let column = (name(), any::<bool>(), any::<bool>(), 0usize..4).prop_map(
            |(name, nullable, array, kind)| {
                let base = match kind {
                    0 => BaseType::Text,
                    1 => BaseType::Interval,
                    2 => BaseType::Enum(QualifiedName::public("e")),
                    _ => BaseType::Other(name.clone()),
                };
                let mut column = Column::new(name, SqlType { base, array });
                column.nullable = nullable;
                column.comment = Some("doc */ with `ticks`\n    indented".into());
                column
            },
        );
        let table = (name(), name(), prop::collection::vec(column, 0..5)).prop_map(
            |(schema, name, columns)| {
                let mut table = Table::new(QualifiedName::new(schema, name));
                table.columns = columns;
                table
            },
        );
        let enum_type =
            (name(), prop::collection::vec(name(), 0..6)).prop_map(|(name, values)| EnumType {
                name: QualifiedName::public(name),
                values,
                comment: None,
                renamed_from: None,
                origin: None,
            });
        (
            prop::collection::vec(table, 0..4),
            prop::collection::vec(enum_type, 0..3),
        )
            .prop_map(|(tables, mut enums)| {
                enums.push(EnumType {
                    name: QualifiedName::public("e"),
                    values: vec!["a".into()],
                    comment: None,
                    renamed_from: None,
                    origin: None,
                });
                Catalog {
                    tables,
                    enums,
                    ..Catalog::default()
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever the names, every file is valid Rust, and no two files or items clash.
        #[test]
        fn any_catalog_renders_to_valid_rust(catalog in catalog()) {
            let options = CodegenOptions::default();
            let files = render(&catalog, &options);
            let mut paths: Vec<&PathBuf> = files.iter().map(|f| &f.path).collect();
            paths.dedup();
            prop_assert_eq!(paths.len(), files.len());
            for file in &files {
                let parsed = syn::parse_file(&file.contents);
                prop_assert!(parsed.is_ok(), "{}:\n{}", file.path.display(), file.contents);
                prop_assert!(!file.contents.contains("invalid_name"), "{}", file.contents);
            }
            prop_assert_eq!(render(&catalog, &options), files);
        }
    }
}
