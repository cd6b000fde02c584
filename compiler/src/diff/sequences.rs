//! Standalone sequences (`sequence` items), paired by name: created, altered in place, dropped.
//! A `serial` or identity column's own sequence is its column's business, never listed here.

use super::Change;
use crate::catalog::Catalog;
use crate::pair::Pair;

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
        if !desired.sequences.iter().any(|s| s.name == sequence.name) {
            changes.push(Change::DropSequence(sequence.clone()));
        }
    }
}
