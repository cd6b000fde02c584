//! Live database → `Catalog`. In: a `PgConnection`. Out: the `Catalog` the database holds, shaped
//! so that a database created from a schema reads back equal to that schema's lowered (and
//! canonicalised) `Catalog`. Reads pg_catalog with a fixed number of queries, one per object kind.
//! Also: `canonicalize` (expressions as the server prints them, via scratch schemas in a
//! rolled-back transaction). `.schema` text for an existing database is `crate::to_source`, which is
//! pure.
//! Never writes anything that outlives the call.

mod canonicalize;
mod databases;
mod expressions;
mod facts;
mod fields;
mod gate;
mod keys;
mod local;
mod queries;
mod routines;
mod types;
mod unspellable;
mod view_printing;
mod views;

use sqlx::PgConnection;

use crate::catalog::Catalog;

pub use canonicalize::{canonicalize, CanonicalizeError, InvalidExpression};
pub use databases::databases;
pub use expressions::{
    canonicalize_against, canonicalize_prepared, canonicalize_with, prepare, print_views,
    source_text, Prepared, Printer,
};
pub use facts::facts;
pub use gate::{DecodeGate, GateOpener};

/// Reading the catalog failed.
#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    #[error("reading {what} from the database failed: {source}")]
    Query {
        /// The object kind being read (`tables`, `columns`, ...).
        what: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// A constraint or index names a column the columns query did not see: the schema changed
    /// between the two (each query reads its own snapshot).
    #[error(
        "reading {what} from the database failed: one of them names a column that the columns \
         query did not see, so the schema changed while it was being read; run the command again"
    )]
    Changed { what: &'static str },
}

/// How an introspection went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Round trips to the server; fixed, whatever the number of tables.
    pub queries: usize,
}

/// Reads every user schema of the database the connection is on.
pub async fn catalog(conn: &mut PgConnection) -> Result<Catalog, IntrospectError> {
    Ok(catalog_with_stats(conn).await?.0)
}

/// `catalog`, with the constraint, index and database-wide queries sent on `helper`, a second
/// session on the same database, while `conn` sends the others (about half the wall time on two
/// cores and more). The queries are read-only and each sees its own snapshot, as they do on one
/// session.
pub async fn catalog_with_helper(
    conn: &mut PgConnection,
    helper: Option<&mut PgConnection>,
) -> Result<Catalog, IntrospectError> {
    catalog_after(conn, helper, DecodeGate::open()).await
}

/// `catalog_with_helper`, decoding the columns and keys only once `gate` is open: for a read
/// beside a compile (`DecodeGate`).
pub async fn catalog_after(
    conn: &mut PgConnection,
    helper: Option<&mut PgConnection>,
    gate: DecodeGate,
) -> Result<Catalog, IntrospectError> {
    queries::Reader::with_helper(conn, helper)
        .after(gate)
        .read(&queries::Scope::User)
        .await
}

/// `catalog`, also saying how many queries it took.
pub async fn catalog_with_stats(
    conn: &mut PgConnection,
) -> Result<(Catalog, Stats), IntrospectError> {
    let mut reader = queries::Reader::new(conn);
    let catalog = reader.read(&queries::Scope::User).await?;
    Ok((
        catalog,
        Stats {
            queries: reader.queries,
        },
    ))
}
