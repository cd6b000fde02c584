//! Views canonicalised: each view query as the server prints it (`pg_get_viewdef`), its output
//! columns and what it reads. The views cannot go to scratch schemas as other expressions do: a
//! query names its tables (and other views) by their real names. So a dev database gets, inside a
//! transaction that is rolled back, the schemas, extensions, enums and sequences of the schema, the
//! tables the queries name (columns and keys only), and the views in an order that works (each is
//! retried until those it reads exist); then the ordinary introspection queries read them back.
//! The dev database is `--dev-url`, else a database of its own on the throwaway cluster, dropped
//! afterwards; never the target, whose tables may not have their new columns yet. Runs only when
//! the schema has a view the database does not already print exactly as written: a view whose
//! query is the database's own `pg_get_viewdef` text (same kind, options and indexes) is unchanged
//! and is taken as the database has it, so a view reading an object the dev database lacks (an
//! aggregate schemac does not manage) plans without one.

use sqlx::{Connection, PgConnection};

use super::canonicalize::{CanonicalizeError, InvalidExpression};
use super::expressions::Printer;
use super::queries::{Reader, Scope};
use crate::catalog::views::mentions;
use crate::catalog::{Catalog, Index, Table, View};
use crate::lexer;
use crate::sql::{ddl, ident, views as view_ddl};

/// The desired views with their printed definitions, columns and dependencies.
pub(super) async fn print(
    desired: &Catalog,
    current: Option<&Catalog>,
    printer: &Printer,
) -> Result<Vec<View>, CanonicalizeError> {
    let unchanged: Vec<Option<View>> = desired
        .views
        .iter()
        .map(|view| printed_already(view, current))
        .collect();
    let Some(first) = desired
        .views
        .iter()
        .zip(&unchanged)
        .find_map(|(view, same)| same.is_none().then_some(view))
    else {
        return Ok(unchanged.into_iter().flatten().collect());
    };
    let printed = print_changed(desired, current, printer, first).await?;
    Ok(printed
        .into_iter()
        .zip(unchanged)
        .map(|(printed, same)| same.unwrap_or(printed))
        .collect())
}

/// Whether some view of `desired` is not printed by the database exactly as the schema writes it,
/// so that printing the views needs a dev database.
pub(super) fn need_printing(desired: &Catalog, current: Option<&Catalog>) -> bool {
    desired
        .views
        .iter()
        .any(|view| printed_already(view, current).is_none())
}

/// The database's view, with the schema's text and place, when the schema writes its query exactly
/// as `pg_get_viewdef` prints it, with the same kind, options and indexes: then the server would
/// print nothing else, and there is nothing to print.
fn printed_already(view: &View, current: Option<&Catalog>) -> Option<View> {
    let live = current?.view(&view.name)?;
    let unchanged = live.materialized == view.materialized
        && same_tokens(&live.definition, view.query())
        && live.normalized().options == view.normalized().options
        && live.indexes.len() == view.indexes.len()
        && view.indexes.iter().all(|index| {
            live.indexes.iter().any(|l| {
                let mut l = l.clone();
                l.origin = index.origin;
                &l == index
            })
        });
    unchanged.then(|| View {
        source: view.source.clone(),
        origin: view.origin,
        indexes: with_origins(&live.indexes, view),
        ..live.clone()
    })
}

/// Whether two queries are the same tokens: `introspect` indents the printed query it writes, and
/// whitespace between tokens means nothing to the server.
fn same_tokens(a: &str, b: &str) -> bool {
    let tokens = |text| lexer::lex(text).into_iter().map(|t| t.text);
    tokens(a).eq(tokens(b))
}

/// Every desired view printed on a dev database; `first` is the first one that needs it (named
/// when there is no dev database). Only the views the database does not print as written are
/// reported when the server refuses them.
async fn print_changed(
    desired: &Catalog,
    current: Option<&Catalog>,
    printer: &Printer,
    first: &View,
) -> Result<Vec<View>, CanonicalizeError> {
    let no_dev = |reason: String| CanonicalizeError::NoDevDatabase {
        expression: first.query().chars().take(60).collect(),
        object: format!("{} `{}`", first.kind(), first.name),
        reason,
    };
    match printer {
        Printer::Dev(url) => {
            let mut dev = PgConnection::connect(url).await.map_err(|error| {
                no_dev(format!("the dev database given does not answer: {error}"))
            })?;
            let printed = print_on(&mut dev, desired, current).await;
            let _ = dev.close().await;
            printed
        }
        Printer::Throwaway | Printer::Target => {
            let dir = crate::cluster::shared().map_err(no_dev)?;
            let mut admin = PgConnection::connect(&crate::cluster::socket_url(dir, "postgres"))
                .await
                .map_err(|error| {
                    no_dev(format!("the throwaway cluster does not answer: {error}"))
                })?;
            // A database per call: concurrent plans in one process never see each other's tables.
            let database = scratch_database_name();
            run(
                &mut admin,
                &format!("CREATE DATABASE {} TEMPLATE template0", ident(&database)),
            )
            .await?;
            let printed =
                match PgConnection::connect(&crate::cluster::socket_url(dir, &database)).await {
                    Ok(mut dev) => {
                        let printed = print_on(&mut dev, desired, current).await;
                        let _ = dev.close().await;
                        printed
                    }
                    Err(error) => Err(no_dev(format!(
                        "the throwaway cluster does not answer: {error}"
                    ))),
                };
            let _ = run(
                &mut admin,
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(&database)),
            )
            .await;
            let _ = admin.close().await;
            printed
        }
        Printer::LocalOnly => Err(no_dev("no dev database may be used".into())),
    }
}

fn scratch_database_name() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "schemac_views_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

async fn run(conn: &mut PgConnection, sql: &str) -> Result<(), CanonicalizeError> {
    sqlx::query(sql)
        .persistent(false)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(|source| CanonicalizeError::Database {
            doing: "printing views",
            source,
        })
}

/// `sql` in a savepoint: its error message, with the savepoint rolled back, if the server refuses.
async fn attempt(conn: &mut PgConnection, sql: &str) -> Result<Option<String>, CanonicalizeError> {
    run(conn, "SAVEPOINT schemac_view").await?;
    match sqlx::query(sql).persistent(false).execute(&mut *conn).await {
        Ok(_) => {
            run(conn, "RELEASE SAVEPOINT schemac_view").await?;
            Ok(None)
        }
        Err(error) => {
            run(conn, "ROLLBACK TO SAVEPOINT schemac_view").await?;
            Ok(Some(match error.as_database_error() {
                Some(db) => db.message().to_string(),
                None => error.to_string(),
            }))
        }
    }
}

async fn print_on(
    conn: &mut PgConnection,
    desired: &Catalog,
    current: Option<&Catalog>,
) -> Result<Vec<View>, CanonicalizeError> {
    run(conn, "BEGIN").await?;
    let printed = build_and_read(conn, desired, current).await;
    let _ = run(conn, "ROLLBACK").await;
    printed
}

/// A table as a view needs it: columns with their types and nullability, primary key and unique
/// constraints (a `GROUP BY` of the key may list other columns), nothing that could fail for a
/// reason that has nothing to do with views.
fn bare_table(table: &Table) -> Table {
    let mut bare = table.clone();
    for column in &mut bare.columns {
        column.default = None;
        column.generated = None;
        column.identity = None;
        column.serial = false;
    }
    bare.checks.clear();
    bare.foreign_keys.clear();
    bare
}

async fn build_and_read(
    conn: &mut PgConnection,
    desired: &Catalog,
    current: Option<&Catalog>,
) -> Result<Vec<View>, CanonicalizeError> {
    // The search_path the target is read with by default, so that names print alike.
    run(conn, "SET LOCAL search_path = public").await?;
    for schema in &desired.namespaces {
        run(
            conn,
            &format!("CREATE SCHEMA IF NOT EXISTS {}", ident(schema)),
        )
        .await?;
    }
    // An extension the dev server lacks only matters if a view uses it: the view then says so.
    for extension in &desired.extensions {
        let sql = match desired.extension_schemas.get(extension) {
            Some(schema) => ddl::create_extension_in(extension, schema),
            None => ddl::create_extension(extension),
        };
        attempt(conn, &sql).await?;
    }
    for enum_type in &desired.enums {
        attempt(conn, &ddl::create_enum(enum_type)).await?;
    }
    for sequence in &desired.sequences {
        attempt(conn, &ddl::create_sequence_item(sequence)).await?;
    }
    // Domains before the tables whose columns use them.
    for domain in &desired.domains {
        attempt(conn, &crate::sql::routines::create_domain(domain)).await?;
    }
    let queries: Vec<&str> = desired.views.iter().map(View::query).collect();
    let mut invalid = Vec::new();
    for table in &desired.tables {
        if !queries.iter().any(|q| mentions(q, &table.name.name)) {
            continue;
        }
        if let Some(message) = attempt(conn, &ddl::create_table(&bare_table(table))).await? {
            invalid.push(InvalidExpression {
                origin: table.origin,
                message: format!("table `{}` (read by a view): {message}", table.name),
            });
        }
    }
    // Functions a view may call; their bodies are not checked here (nor by `apply`).
    run(conn, "SET LOCAL check_function_bodies = off").await?;
    for function in &desired.functions {
        attempt(
            conn,
            &crate::sql::routines::create_function(function, false),
        )
        .await?;
    }
    run(conn, "SAVEPOINT schemac_views").await?;
    let views: Vec<&View> = desired.views.iter().collect();
    // A view the database prints as written is kept as it is there: only its readers need it here.
    for (view, refused) in create_views(conn, &views).await? {
        if printed_already(view, current).is_none() {
            invalid.push(naming_unmanaged(refused, view, current));
        }
    }
    if !invalid.is_empty() {
        return Err(CanonicalizeError::Invalid(invalid));
    }
    let mut schemas = vec!["public".to_string()];
    schemas.extend(desired.namespaces.iter().cloned());
    let read = Reader::new(conn)
        .read(&Scope::Schemas(schemas.clone()))
        .await?;
    // The database's own queries printed by this server, where they can be created here.
    let mut theirs = Catalog::default();
    if let Some(current) = current.filter(|c| !c.views.is_empty()) {
        run(conn, "ROLLBACK TO SAVEPOINT schemac_views").await?;
        let views: Vec<&View> = current.views.iter().collect();
        create_views(conn, &views).await?;
        theirs = Reader::new(conn).read(&Scope::Schemas(schemas)).await?;
    }
    let align = |printed: &View| -> View {
        let mut printed = printed.clone();
        let (Some(db), Some(here)) = (
            current.and_then(|c| c.view(&printed.name)),
            theirs.view(&printed.name),
        ) else {
            return printed;
        };
        if here.definition == printed.definition {
            printed.definition.clone_from(&db.definition);
        }
        for index in &mut printed.indexes {
            let same = |i: &&Index| i.name == index.name;
            if let (Some(db_index), Some(here_index)) =
                (db.indexes.iter().find(same), here.indexes.iter().find(same))
            {
                let mut compared = here_index.clone();
                compared.origin = index.origin;
                if &compared == index {
                    *index = db_index.clone();
                }
            }
        }
        printed
    };
    Ok(desired
        .views
        .iter()
        .map(|view| match read.view(&view.name) {
            Some(printed) => View {
                source: view.source.clone(),
                origin: view.origin,
                ..align(printed)
            },
            None => view.clone(),
        })
        .map(|view| match desired.view(&view.name) {
            Some(written) => View {
                indexes: with_origins(&view.indexes, written),
                ..view
            },
            None => view,
        })
        .collect())
}

/// `indexes` (printed) with the places of the schema's indexes of the same names in `written`.
fn with_origins(indexes: &[Index], written: &View) -> Vec<Index> {
    indexes
        .iter()
        .map(|index| {
            let mut index = index.clone();
            index.origin = written
                .indexes
                .iter()
                .find(|i| i.name == index.name)
                .and_then(|i| i.origin);
            index
        })
        .collect()
}

/// `refused`, naming the objects schemac does not manage that `view` reads, if any: the dev
/// database lacks them unless someone made them there, and the error must say how to go on.
fn naming_unmanaged(
    mut refused: InvalidExpression,
    view: &View,
    current: Option<&Catalog>,
) -> InvalidExpression {
    let read: Vec<String> = current
        .map(|c| c.unmanaged.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|object| {
            // `public.f(pg_catalog.text)` → `f`; `t_fkey on public.t` → `t_fkey`.
            let name = object.name.split(" on ").next().unwrap_or(&object.name);
            let name = name.split('(').next().unwrap_or(name);
            let bare = name.rsplit('.').next().unwrap_or(name);
            !bare.is_empty() && mentions(view.query(), bare)
        })
        .map(|object| format!("{} `{}`", object.kind, object.name))
        .collect();
    if !read.is_empty() {
        refused.message.push_str(&format!(
            "; it reads {}, which schemac does not manage: create {} on a dev database and pass \
             --dev-url URL",
            read.join(", "),
            if read.len() == 1 { "it" } else { "them" }
        ));
    }
    refused
}

/// Creates the views, in rounds until no more can be created (each after those it reads), with a
/// materialized view's indexes; returns what the server refused, with the view refused.
async fn create_views<'v>(
    conn: &mut PgConnection,
    views: &[&'v View],
) -> Result<Vec<(&'v View, InvalidExpression)>, CanonicalizeError> {
    let mut invalid = Vec::new();
    let mut pending: Vec<&View> = views.to_vec();
    let mut errors: Vec<String> = Vec::new();
    loop {
        errors.clear();
        let mut left = Vec::new();
        for view in &pending {
            match attempt(conn, &view_ddl::create_view(view, false, false)).await? {
                None => {
                    for index in &view.indexes {
                        if let Some(message) =
                            attempt(conn, &ddl::create_index(&view.name, index, false)).await?
                        {
                            invalid.push((
                                *view,
                                InvalidExpression {
                                    origin: index.origin,
                                    message: format!(
                                        "index `{}` on `{}`: {message}",
                                        index.name, view.name
                                    ),
                                },
                            ));
                        }
                    }
                }
                Some(message) => {
                    errors.push(message);
                    left.push(*view);
                }
            }
        }
        let progress = left.len() < pending.len();
        pending = left;
        if pending.is_empty() || !progress {
            break;
        }
    }
    for (view, message) in pending.iter().zip(&errors) {
        invalid.push((
            *view,
            InvalidExpression {
                origin: view.origin,
                message: format!("{} `{}`: {message}", view.kind(), view.name),
            },
        ));
    }
    Ok(invalid)
}
