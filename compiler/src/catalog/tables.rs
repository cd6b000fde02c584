//! `Tables`: a catalog's tables in order, with an index from name to position so that
//! `Catalog::table` (called for nearly every change the planner sees) is a hash lookup rather than
//! a scan. The index is built on the first lookup and dropped by any mutable access, so it can
//! never disagree with the list. Reads and `Debug` are exactly those of the `Vec` inside.

use std::collections::HashMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use foldhash::fast::FixedState;

use super::{QualifiedName, Table};

#[derive(Default)]
pub struct Tables {
    list: Vec<Table>,
    index: OnceLock<HashMap<QualifiedName, usize, FixedState>>,
}

impl Tables {
    /// The table named `name`: its first occurrence, as a scan would find it.
    pub fn get(&self, name: &QualifiedName) -> Option<&Table> {
        let index = self.index.get_or_init(|| {
            let mut index =
                HashMap::with_capacity_and_hasher(self.list.len(), FixedState::default());
            for (position, table) in self.list.iter().enumerate() {
                index.entry(table.name.clone()).or_insert(position);
            }
            index
        });
        index.get(name).map(|&position| &self.list[position])
    }

    pub fn into_vec(self) -> Vec<Table> {
        self.list
    }
}

impl Deref for Tables {
    type Target = Vec<Table>;

    fn deref(&self) -> &Vec<Table> {
        &self.list
    }
}

impl DerefMut for Tables {
    /// Any change may add, remove or rename a table: the index is built again when next needed.
    fn deref_mut(&mut self) -> &mut Vec<Table> {
        self.index = OnceLock::new();
        &mut self.list
    }
}

impl From<Vec<Table>> for Tables {
    fn from(list: Vec<Table>) -> Tables {
        Tables {
            list,
            index: OnceLock::new(),
        }
    }
}

impl FromIterator<Table> for Tables {
    fn from_iter<I: IntoIterator<Item = Table>>(iter: I) -> Tables {
        Tables::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl Clone for Tables {
    fn clone(&self) -> Tables {
        Tables::from(self.list.clone())
    }
}

impl PartialEq for Tables {
    fn eq(&self, other: &Tables) -> bool {
        self.list == other.list
    }
}

impl fmt::Debug for Tables {
    /// As the `Vec` prints, so text derived from a catalog's `Debug` (its fingerprint) is unchanged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.list.fmt(f)
    }
}

impl IntoIterator for Tables {
    type Item = Table;
    type IntoIter = std::vec::IntoIter<Table>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

impl<'a> IntoIterator for &'a Tables {
    type Item = &'a Table;
    type IntoIter = std::slice::Iter<'a, Table>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl<'a> IntoIterator for &'a mut Tables {
    type Item = &'a mut Table;
    type IntoIter = std::slice::IterMut<'a, Table>;

    fn into_iter(self) -> Self::IntoIter {
        self.deref_mut().iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str) -> Table {
        Table::new(QualifiedName::public(name))
    }

    #[test]
    fn lookups_follow_every_change_to_the_list() {
        let mut tables = Tables::from(vec![table("a"), table("b")]);
        assert_eq!(
            tables.get(&QualifiedName::public("b")).unwrap().name.name,
            "b"
        );
        tables.push(table("c"));
        assert!(tables.get(&QualifiedName::public("c")).is_some());
        tables.retain(|t| t.name.name != "a");
        assert!(tables.get(&QualifiedName::public("a")).is_none());
        for t in &mut tables {
            if t.name.name == "b" {
                t.name.name = "renamed".into();
            }
        }
        assert!(tables.get(&QualifiedName::public("b")).is_none());
        assert_eq!(
            tables
                .get(&QualifiedName::public("renamed"))
                .unwrap()
                .name
                .name,
            "renamed"
        );
        assert_eq!(
            format!("{tables:?}"),
            format!("{:?}", tables.clone().into_vec())
        );
    }
}
