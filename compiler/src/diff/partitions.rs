//! Partitioned tables: the partitions are paired by name; a changed bound is a partition dropped
//! and made again (PostgreSQL cannot alter a bound in place). A table whose partition key or
//! strategy changes is reported as such. `partitions unmanaged` compares no partitions at all.

use super::Change;
use crate::catalog::{Partition, Partitioning, QualifiedName};
use crate::pair::Pair;

pub fn diff_partitions(
    table: &QualifiedName,
    partitionings: Pair<Option<&Partitioning>>,
    changes: &mut Vec<Change>,
) {
    let Pair { current, desired } = partitionings;
    let same_key = match (current, desired) {
        (None, None) => return,
        (Some(current), Some(desired)) => {
            current.strategy == desired.strategy && current.keys == desired.keys
        }
        _ => false,
    };
    // A new table (no current side) is created partitioned; only its partitions follow.
    if !same_key && current.is_some() {
        changes.push(Change::AlterPartitioning {
            table: table.clone(),
            current: current.cloned(),
            desired: desired.cloned(),
        });
        return;
    }
    let Some(wanted) = desired.and_then(|d| d.partitions.as_ref()) else {
        return;
    };
    let existing = current
        .and_then(|c| c.partitions.as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let Some(partitioning) = desired else {
        return;
    };
    // Same name, new bound, and PostgreSQL can be shown the rows fit: moved in place.
    let rebound = |current: &Partition| {
        wanted.iter().find(|w| {
            w.name == current.name
                && w.bound != current.bound
                && partitioning.can_rebound(current, w)
        })
    };
    for partition in existing {
        if let Some(desired) = rebound(partition) {
            changes.push(Change::AlterPartitionBound {
                table: table.clone(),
                current: partition.clone(),
                desired: desired.clone(),
            });
            continue;
        }
        let kept = wanted
            .iter()
            .any(|w| w.name == partition.name && w.bound == partition.bound);
        if !kept {
            changes.push(Change::DropPartition {
                table: table.clone(),
                partition: partition.clone(),
            });
        }
    }
    for partition in wanted {
        let there = existing.iter().any(|e| {
            e.name == partition.name && (e.bound == partition.bound || rebound(e).is_some())
        });
        if !there {
            changes.push(Change::AddPartition {
                table: table.clone(),
                partition: partition.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{PartitionBound, PartitionStrategy};

    fn partition(name: &str, bound: PartitionBound) -> Partition {
        Partition {
            name: QualifiedName::public(name),
            bound,
            subpartitioned: false,
            origin: None,
        }
    }

    fn range(from: &str, to: &str) -> PartitionBound {
        PartitionBound::Range {
            from: vec![from.into()],
            to: vec![to.into()],
        }
    }

    fn by(
        strategy: PartitionStrategy,
        keys: &str,
        partitions: Option<Vec<Partition>>,
    ) -> Partitioning {
        Partitioning {
            strategy,
            keys: keys.into(),
            partitions,
        }
    }

    fn diff(current: &Partitioning, desired: &Partitioning) -> Vec<Change> {
        let mut changes = Vec::new();
        diff_partitions(
            &QualifiedName::public("t"),
            Pair::new(Some(current), Some(desired)),
            &mut changes,
        );
        changes
    }

    #[test]
    fn unmanaged_partitions_are_never_compared() {
        let current = by(
            PartitionStrategy::Range,
            "n",
            Some(vec![partition("t_1", range("1", "10"))]),
        );
        assert!(diff(&current, &by(PartitionStrategy::Range, "n", None)).is_empty());
    }

    #[test]
    fn a_new_range_bound_moves_in_place_and_a_hash_one_is_made_again() {
        let current = by(
            PartitionStrategy::Range,
            "n",
            Some(vec![partition("t_1", range("1", "10"))]),
        );
        let desired = by(
            PartitionStrategy::Range,
            "n",
            Some(vec![partition("t_1", range("1", "20"))]),
        );
        let changes = diff(&current, &desired);
        assert!(
            matches!(changes.as_slice(), [Change::AlterPartitionBound { .. }]),
            "{changes:?}"
        );
        let hash = |r| {
            by(
                PartitionStrategy::Hash,
                "n",
                Some(vec![partition(
                    "t_0",
                    PartitionBound::Hash {
                        modulus: 2,
                        remainder: r,
                    },
                )]),
            )
        };
        let changes = diff(&hash(0), &hash(1));
        assert!(
            matches!(
                changes.as_slice(),
                [Change::DropPartition { .. }, Change::AddPartition { .. }]
            ),
            "{changes:?}"
        );
    }

    #[test]
    fn another_key_is_a_change_of_partitioning() {
        let current = by(PartitionStrategy::Range, "n", Some(Vec::new()));
        let desired = by(PartitionStrategy::Range, "m", Some(Vec::new()));
        assert!(matches!(
            diff(&current, &desired).as_slice(),
            [Change::AlterPartitioning { .. }]
        ));
    }
}
