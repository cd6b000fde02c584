//! How `.schema` source spells names: which identifiers the language can write bare, and the
//! default names it may leave out. Shared by the writer and the tenancy recogniser.

use crate::catalog::names;
pub(super) use crate::catalog::spellable;

/// PostgreSQL's default name for a constraint or index of `table` on `columns` with `label`
/// (`pkey`, `key`, `fkey`, `idx`, `check`): `<table>_<col>_<col>_<label>` shortened to 63 bytes,
/// as `catalog::names` (and so the compiler) chooses it when there is no collision.
pub(super) fn default_name<S: AsRef<str>>(table: &str, columns: &[S], label: &str) -> String {
    let addition = (!columns.is_empty()).then(|| names::name_addition(columns));
    names::make_object_name(table, addition.as_deref(), Some(label))
}
