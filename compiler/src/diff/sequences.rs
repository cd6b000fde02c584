//! Standalone sequences (`sequence` items), paired by name: created, altered in place, dropped.
//! A `serial` or identity column's own sequence is its column's business, never listed here,
//! except where the database's is of another type than its column (`serial` retyped to `bigint`
//! by hand or by an older schemac): introspection then reads it as standalone, and it is altered
//! to the column's type rather than dropped.

use super::Change;
use crate::catalog::{Catalog, Sequence, SqlType};
use crate::pair::Pair;
use crate::sql::ddl;

pub fn diff_sequences(catalogs: Pair<&Catalog>, changes: &mut Vec<Change>) {
    let Pair { current, desired } = catalogs;
    for sequence in &desired.sequences {
        match current.sequences.iter().find(|s| s.name == sequence.name) {
            None => changes.push(Change::CreateSequence(sequence.clone())),
            Some(existing) => {
                let mut compared = existing.clone();
                compared.origin = sequence.origin;
                if &compared != sequence {
                    changes.push(Change::AlterSequence {
                        current: existing.clone(),
                        desired: sequence.clone(),
                    });
                }
            }
        }
    }
    for sequence in &current.sequences {
        if desired.sequences.iter().any(|s| s.name == sequence.name) {
            continue;
        }
        match serial_type(desired, sequence) {
            Some(ty) => changes.push(Change::AlterSequence {
                current: sequence.clone(),
                desired: retyped(sequence, ty),
            }),
            None => changes.push(Change::DropSequence(sequence.clone())),
        }
    }
}

/// The type of the desired `serial` column whose default reads `sequence`, where that differs
/// from the sequence's own.
fn serial_type(desired: &Catalog, sequence: &Sequence) -> Option<SqlType> {
    desired
        .tables
        .iter()
        .filter(|t| t.name.schema == sequence.name.schema)
        .flat_map(|t| t.columns.iter().map(move |c| (t, c)))
        .find(|(table, column)| {
            column.serial
                && column
                    .default
                    .as_deref()
                    .and_then(|d| ddl::nextval_sequence(d, &table.name.schema))
                    .is_some_and(|name| name == sequence.name)
        })
        .map(|(_, column)| SqlType::scalar(column.ty.base.clone()))
        .filter(|ty| *ty != sequence.ty)
}

/// `sequence` as its column's new type makes it: a maximum that was the old type's own becomes the
/// new type's, as `ALTER SEQUENCE ... AS` does.
fn retyped(sequence: &Sequence, ty: SqlType) -> Sequence {
    let max = |ty: &SqlType| ty.base.integer_range().map(|(_, max)| max);
    let mut retyped = sequence.clone();
    if Some(sequence.max) == max(&sequence.ty) {
        retyped.max = max(&ty).unwrap_or(sequence.max);
    }
    retyped.ty = ty;
    retyped
}
