//! Enum types: create, rename, add values in position, replace (value removed or reordered), drop.

use super::pair::pair_by_key;
use super::{Change, EnumPosition};
use crate::catalog::{Catalog, EnumType};
use crate::pair::Pair;

pub fn diff_enums(catalogs: Pair<&Catalog>, changes: &mut Vec<Change>) {
    let pairs = pair_by_key(
        &catalogs.current.enums,
        &catalogs.desired.enums,
        |e| &e.name,
        |e| e.renamed_from.as_ref(),
    );
    for pair in pairs {
        match (pair.current, pair.desired) {
            (None, Some(desired)) => changes.push(Change::CreateEnum(desired.clone())),
            (Some(current), None) => changes.push(Change::DropEnum(current.clone())),
            (Some(current), Some(desired)) => diff_enum(current, desired, changes),
            (None, None) => {}
        }
    }
}

fn diff_enum(current: &EnumType, desired: &EnumType, changes: &mut Vec<Change>) {
    if current.name != desired.name {
        changes.push(Change::RenameEnum {
            from: current.name.clone(),
            to: desired.name.clone(),
        });
    }
    match added_values(&current.values, &desired.values) {
        Some(additions) => {
            for (value, position) in additions {
                changes.push(Change::AddEnumValue {
                    name: desired.name.clone(),
                    value,
                    position,
                });
            }
        }
        None => changes.push(Change::ReplaceEnum {
            current: current.clone(),
            desired: desired.clone(),
        }),
    }
    if current.comment != desired.comment {
        changes.push(Change::CommentEnum {
            name: desired.name.clone(),
            comment: desired.comment.clone(),
        });
    }
}

/// The values to add, each placed next to a value that exists by then, when `desired` keeps every
/// current value in the same relative order; `None` when a value was removed or moved.
fn added_values(current: &[String], desired: &[String]) -> Option<Vec<(String, EnumPosition)>> {
    let kept: Vec<&String> = desired.iter().filter(|v| current.contains(v)).collect();
    if kept.len() != current.len() || kept.iter().zip(current).any(|(a, b)| *a != b) {
        return None;
    }
    let mut additions = Vec::new();
    for (index, value) in desired.iter().enumerate() {
        if current.contains(value) {
            continue;
        }
        // Anchor on the previous value in the desired order (it exists by now: either it was there,
        // or it was added just before); the first value anchors on its successor.
        let position = match index.checked_sub(1).map(|i| &desired[i]) {
            Some(previous) => EnumPosition::After(previous.clone()),
            None => match desired.iter().find(|v| current.contains(v)) {
                Some(next) => EnumPosition::Before(next.clone()),
                None => EnumPosition::End,
            },
        };
        additions.push((value.clone(), position));
    }
    Some(additions)
}
