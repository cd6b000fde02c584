//! Reading a query's rows by position: where each field is in the rows is found by name once per
//! query (`fields!`), and values are read without sqlx's per-value type check. A lookup by name
//! hashes the name for every value, and the type check compares type descriptions for every
//! value: together most of the time spent decoding 20,000 columns and 11,000 constraints and
//! indexes. The queries cast every field to the type it is read as, and the tests read every
//! query from a real server.

use sqlx::postgres::PgRow;
use sqlx::Row;

use super::IntrospectError;

/// `fields!(Name, "what", { field, ... })`: a struct with the position of each named field in
/// the rows of query `what`, from `Name::of(&first_row)`.
macro_rules! fields {
    ($name:ident, $what:literal, { $($field:ident),* $(,)? }) => {
        struct $name {
            $($field: usize,)*
        }

        impl $name {
            fn of(row: &sqlx::postgres::PgRow) -> Result<$name, super::IntrospectError> {
                Ok($name {
                    $($field: super::fields::position(row, $what, stringify!($field))?,)*
                })
            }
        }
    };
}
pub(super) use fields;

/// Where the field `name` is in `row`, a row of query `what`.
pub(super) fn position(
    row: &PgRow,
    what: &'static str,
    name: &'static str,
) -> Result<usize, IntrospectError> {
    row.try_column(name)
        .map(sqlx::Column::ordinal)
        .map_err(|source| IntrospectError::Query { what, source })
}

/// The value at position `at` of `row`, a row of query `what`; a `&str` borrows from the row.
/// NULL read as a type other than an `Option` is an error, as with a checked read.
pub(super) fn value<'r, T>(
    row: &'r PgRow,
    what: &'static str,
    at: usize,
) -> Result<T, IntrospectError>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get_unchecked(at)
        .map_err(|source| IntrospectError::Query { what, source })
}
