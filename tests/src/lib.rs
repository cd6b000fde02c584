//! Integration tests for schemac live under `tests/`; this library holds the doc tests that
//! compile code against the generated `schemac-generated` crate.

/// Typed keys: every primary key of the reference schema has its own type, so a tree's id cannot
/// be passed where a user's is expected. This does not compile:
///
/// ```compile_fail,E0308
/// # async fn example(pool: sqlx::PgPool, tree: schemac_generated::Tree) -> Result<(), sqlx::Error> {
/// let user = schemac_generated::User::find(&pool, tree.id).await?;
/// # let _ = user;
/// # Ok(())
/// # }
/// ```
///
/// while the same call with a user's id, or a foreign key column that references `users`, does:
///
/// ```
/// # async fn example(pool: sqlx::PgPool, tree: schemac_generated::Tree) -> Result<(), sqlx::Error> {
/// if let Some(author) = tree.created_by {
///     let user = schemac_generated::User::find(&pool, author).await?;
/// #   let _ = user;
/// }
/// # Ok(())
/// # }
/// ```
pub mod typed_keys {}

/// The Rust example of `README.md` ("Rust models"), compiled; `tests/codegen.rs` checks that the
/// README shows these lines (those not hidden with `#`).
#[doc = include_str!("readme_example.md")]
pub mod readme_example {}
