//! What a database holds that the language does not manage (LANGUAGE.md, "What else real
//! databases hold"): aggregates, operators, casts, event triggers, publications, foreign tables and
//! the like, and every object in a schema the source does not mention. `introspect` names each in
//! a warning, `drift` lists them under "not managed" without failing, and no plan drops one.

use super::{Catalog, QualifiedName};

/// One object left alone, as `pg_identify_object` names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unmanaged {
    /// `aggregate`, `operator`, `cast`, `event trigger`, `foreign table`, `table`, ...
    pub kind: String,
    /// Qualified identity: `public.total(integer)`, `(text AS public.tag)`.
    pub name: String,
    /// What leaving it alone means for what the language does manage, when that is worth a word
    /// (`introspect` adds it to the warning).
    pub note: Option<String>,
}

impl Unmanaged {
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Unmanaged {
        Unmanaged {
            kind: kind.into(),
            name: name.into(),
            note: None,
        }
    }
}

impl std::fmt::Display for Unmanaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

impl Catalog {
    /// The database side as the schema manages it: tables, enums and sequences in schemas that
    /// `desired` does not mention (`public` is always mentioned) move to `unmanaged`, so they are
    /// never compared, reported as drift or dropped. Takes the catalog: a copy of a large one
    /// was the peak of `plan`'s memory.
    pub fn managed_by(self, desired: &Catalog) -> Catalog {
        let mentioned = |schema: &str| schema == "public" || desired.namespaces.contains(schema);
        let mut catalog = self;
        let mut moved = Vec::new();
        let mut keep = |kind: &str, name: &QualifiedName| {
            let managed = mentioned(&name.schema);
            if !managed {
                moved.push(Unmanaged::new(kind, name.to_string()));
            }
            managed
        };
        catalog.tables.retain(|t| keep("table", &t.name));
        catalog.enums.retain(|e| keep("type", &e.name));
        catalog.sequences.retain(|s| keep("sequence", &s.name));
        catalog.fill_triggers.retain(|t| mentioned(&t.table.schema));
        catalog.namespaces.retain(|n| {
            let managed = mentioned(n);
            if !managed {
                moved.push(Unmanaged::new("schema", n.clone()));
            }
            managed
        });
        catalog.unmanaged.extend(moved);
        catalog.unmanaged.sort();
        catalog
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Table;

    #[test]
    fn objects_in_schemas_the_source_does_not_mention_are_left_alone() {
        let mut current = Catalog::default();
        current.namespaces.insert("legacy".into());
        current.namespaces.insert("app".into());
        current
            .tables
            .push(Table::new(QualifiedName::new("legacy", "old")));
        current
            .tables
            .push(Table::new(QualifiedName::new("app", "users")));
        current
            .tables
            .push(Table::new(QualifiedName::public("plain")));
        let mut desired = Catalog::default();
        desired.namespaces.insert("app".into());
        let managed = current.managed_by(&desired);
        let names: Vec<String> = managed.tables.iter().map(|t| t.name.to_string()).collect();
        assert_eq!(names, ["app.users", "public.plain"]);
        let unmanaged: Vec<String> = managed.unmanaged.iter().map(|u| u.to_string()).collect();
        assert_eq!(unmanaged, ["schema legacy", "table legacy.old"]);
    }
}
