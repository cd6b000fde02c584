//! Targets with identical results, grouped: a fleet of 500 in sync is one group of 500. Groups come
//! in the order their first member appears, members in target order, so output is stable.

use std::hash::Hash;

use indexmap::IndexMap;

/// Targets (by index) that share one key (a plan's hash, a drift's description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<K> {
    pub key: K,
    pub members: Vec<usize>,
}

/// Groups `(target index, key)` pairs by key.
pub fn group<K: Eq + Hash>(keyed: impl IntoIterator<Item = (usize, K)>) -> Vec<Group<K>> {
    let mut groups: IndexMap<K, Vec<usize>> = IndexMap::new();
    for (index, key) in keyed {
        groups.entry(key).or_default().push(index);
    }
    groups
        .into_iter()
        .map(|(key, members)| Group { key, members })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keep_first_appearance_order() {
        let groups = group([(0, "b"), (1, "a"), (2, "b"), (3, "c"), (4, "a")]);
        assert_eq!(
            groups,
            vec![
                Group {
                    key: "b",
                    members: vec![0, 2]
                },
                Group {
                    key: "a",
                    members: vec![1, 4]
                },
                Group {
                    key: "c",
                    members: vec![3]
                },
            ]
        );
    }
}
