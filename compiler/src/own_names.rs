//! The names of schemac's own objects, every one built here: fill triggers and functions, the
//! temporary sync triggers, checks and indexes of the online recipes, shadow columns, enums and
//! objects renamed out of the way, the history table and the scratch schemas of canonicalisation.
//! All but a domain's replacement check start with `schemac_`, so introspection leaves them out
//! and `apply` finds what an interrupted run left; the `LIKE` patterns that find them are here too (as macros, so that they
//! can be spliced into `const` SQL with `concat!`, as `crate::own_names::own_like!()`; the
//! introspection queries, which every new object kind edits, keep theirs written out, and a test
//! here holds each to one of these). Imports nothing.

/// The prefix of every object schemac makes for itself.
pub const PREFIX: &str = "schemac_";

/// PostgreSQL truncates longer identifiers (`NAMEDATALEN - 1`).
const MAX_IDENT_BYTES: usize = 63;

/// `LIKE` pattern of every schemac object name (`schemac_%`, `_` escaped).
// Written out in the introspection queries (see the module comment); spliced nowhere yet.
#[allow(unused_macros)]
macro_rules! own_like {
    () => {
        r"schemac\_%"
    };
}
#[allow(unused_imports)]
pub(crate) use own_like;

/// `LIKE` pattern of fill triggers and their functions (`schemac_*_fill`).
macro_rules! own_fill_like {
    () => {
        r"schemac\_%\_fill"
    };
}
pub(crate) use own_fill_like;

/// `LIKE` pattern of the NOT NULL checks of the NOT NULL recipe (`schemac_*_not_null`).
macro_rules! own_not_null_like {
    () => {
        r"schemac\_%\_not\_null"
    };
}
pub(crate) use own_not_null_like;

/// The history table, schema-qualified (a macro, for `concat!` into the history's SQL).
macro_rules! history_table {
    () => {
        "public.schemac_migrations"
    };
}
pub(crate) use history_table;

/// What an object made for one column is for: the last part of its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnObject {
    /// The fill trigger and its function (`fill on`, and the NOT NULL recipe).
    Fill,
    /// The check the NOT NULL recipe adds `NOT VALID` and validates before `SET NOT NULL`.
    NotNull,
    /// The trigger and function that keep an online type change's copy in sync.
    Sync,
    /// The unique index built concurrently for a primary key's converted copy.
    Pkey,
    /// The check a default partition with rows gets before a partition takes some of its values
    /// (named after the table and the partition, not a column).
    Bound,
}

impl ColumnObject {
    fn suffix(self) -> &'static str {
        match self {
            ColumnObject::Fill => "fill",
            ColumnObject::NotNull => "not_null",
            ColumnObject::Sync => "sync",
            ColumnObject::Pkey => "pkey",
            ColumnObject::Bound => "bound",
        }
    }
}

/// `schemac_<table>_<column>_<suffix>`, cut from the middle to PostgreSQL's 63-byte limit so the
/// suffix (what the object is) survives.
pub fn column_object(table: &str, column: &str, what: ColumnObject) -> String {
    let suffix = what.suffix();
    let mut name = format!("{PREFIX}{table}_{column}_{suffix}");
    while name.len() > MAX_IDENT_BYTES {
        let cut = name.len() - suffix.len() - 2;
        name.remove(cut);
    }
    name
}

/// `schemac_<name>`, cut to 63 bytes: a replacement built while the old object holds the name.
pub fn temporary(name: &str) -> String {
    truncated(format!("{PREFIX}{name}"))
}

/// `schemac_new_<column>`, cut to 63 bytes: an online type change's converted copy.
pub fn shadow_column(column: &str) -> String {
    truncated(format!("{PREFIX}new_{column}"))
}

/// `<name>_schemac_new`: a domain check added `NOT VALID` beside the one it replaces, renamed to
/// `name` once that one is dropped. The prefix ends the name here, so `is_own` does not see it.
pub fn replacement_check(name: &str) -> String {
    format!("{name}_{PREFIX}new")
}

/// `schemac_old_<name>`: an enum renamed out of the way while its replacement takes the name.
pub fn old_enum(name: &str) -> String {
    format!("{PREFIX}old_{name}")
}

/// `schemac_scratch_<schema>`: where canonicalisation creates a schema's tables. A name longer
/// than PostgreSQL keeps could collide with another once truncated: [`numbered_scratch_schema`].
pub fn scratch_schema(schema: &str) -> String {
    format!("{PREFIX}scratch_{schema}")
}

/// `schemac_scratch_<n>`: the scratch schema of a schema whose name is too long.
pub fn numbered_scratch_schema(n: usize) -> String {
    format!("{PREFIX}scratch_{n}")
}

/// Whether `name` is one schemac makes for itself.
pub fn is_own(name: &str) -> bool {
    name.starts_with(PREFIX)
}

/// Cut at the end to PostgreSQL's limit, on a character boundary.
fn truncated(mut name: String) -> String {
    while name.len() > MAX_IDENT_BYTES {
        name.pop();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_keep_what_they_are_for() {
        let long = "x".repeat(80);
        let name = column_object("t", &long, ColumnObject::NotNull);
        assert_eq!(name.len(), 63);
        assert!(
            name.starts_with("schemac_t_") && name.ends_with("_not_null"),
            "{name}"
        );
        assert_eq!(temporary(&long).len(), 63);
        assert_eq!(shadow_column(&long).len(), 63);
        assert_eq!(scratch_schema("app"), "schemac_scratch_app");
    }

    /// The `LIKE` patterns match exactly the names built here, as PostgreSQL reads them.
    #[test]
    fn like_patterns_match_the_names() {
        let like = |pattern: &str, name: &str| {
            let regex: String = pattern
                .replace(r"\_", "\u{1}")
                .replace('_', ".")
                .replace('%', ".*")
                .replace('\u{1}', "_");
            let (prefix, rest) = regex.split_once(".*").unwrap_or((&regex, ""));
            name.starts_with(prefix) && name.ends_with(rest)
        };
        let fill = column_object("users", "account_id", ColumnObject::Fill);
        let check = column_object("users", "account_id", ColumnObject::NotNull);
        assert!(like(own_fill_like!(), &fill));
        assert!(!like(own_fill_like!(), &check));
        assert!(like(own_not_null_like!(), &check));
        assert!(!like(own_not_null_like!(), &fill));
        for name in [
            fill,
            check,
            temporary("t_pkey"),
            shadow_column("v"),
            old_enum("e"),
        ] {
            assert!(like(own_like!(), &name) && is_own(&name), "{name}");
        }
        assert!(!like(own_like!(), "schemacx"));
    }

    /// Every `like 'schemac…'` of the introspection queries is a pattern of this module.
    #[test]
    fn introspection_searches_with_these_patterns() {
        let queries = include_str!("introspect/queries.rs").to_ascii_lowercase();
        let patterns = [own_like!(), own_fill_like!(), own_not_null_like!()];
        let mut found = 0;
        for (at, _) in queries.match_indices("like 'schemac") {
            let rest = &queries[at + "like '".len()..];
            let pattern = &rest[..rest.find('\'').unwrap_or(rest.len())];
            assert!(
                patterns.contains(&pattern),
                "introspect/queries.rs: {pattern}"
            );
            found += 1;
        }
        assert!(found >= 4, "{found}");
    }
}
