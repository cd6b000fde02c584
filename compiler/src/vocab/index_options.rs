//! What an index key has besides its column or expression: collation, operator class, order, and
//! the index's `INCLUDE` columns and `NULLS NOT DISTINCT` — words the model and the catalog share.

/// What an index has besides its keys, as `pg_index` holds it (see `IndexOptions::new`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexOptions {
    /// One entry per key, or empty when every key has the defaults (so an index written without
    /// options compares equal to one read back).
    pub keys: Vec<KeyOptions>,
    /// `INCLUDE (cols)`: non-key columns stored in the index.
    pub include: Vec<String>,
    /// `NULLS NOT DISTINCT` on a unique index (PostgreSQL 15+).
    pub nulls_not_distinct: bool,
}

impl IndexOptions {
    /// Options with `keys` cleared when every key has the defaults.
    pub fn new(keys: Vec<KeyOptions>, include: Vec<String>, nulls_not_distinct: bool) -> Self {
        let keys = if keys.iter().all(KeyOptions::is_default) {
            Vec::new()
        } else {
            keys
        };
        IndexOptions {
            keys,
            include,
            nulls_not_distinct,
        }
    }

    /// The options of key `i` (the defaults where none are recorded).
    pub fn key(&self, i: usize) -> KeyOptions {
        self.keys.get(i).cloned().unwrap_or_default()
    }
}

/// One index key's operator class and order. `nulls_first` is always explicit: PostgreSQL's
/// default is `NULLS FIRST` for `DESC` and `NULLS LAST` otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyOptions {
    /// `COLLATE c` where it is not the column's own collation, as SQL text (`"C"`, quoted as
    /// PostgreSQL's `quote_ident` does). Column keys only: an expression key's collation is not read.
    pub collation: Option<String>,
    /// A non-default operator class (`gin_trgm_ops`, `text_pattern_ops`), schema-qualified when
    /// it is not in `pg_catalog` or `public`.
    pub opclass: Option<String>,
    pub descending: bool,
    pub nulls_first: bool,
}

impl KeyOptions {
    pub fn is_default(&self) -> bool {
        self.collation.is_none() && self.opclass.is_none() && !self.descending && !self.nulls_first
    }

    /// What follows the key in SQL and in `.schema` text: ` gin_trgm_ops DESC NULLS LAST`
    /// (uppercase for SQL, lowercase for the source), each part only where it is not the default.
    pub fn suffix(&self, upper: bool) -> String {
        let mut out = String::new();
        if let Some(collation) = &self.collation {
            out.push_str(if upper { " COLLATE " } else { " collate " });
            out.push_str(collation);
        }
        if let Some(opclass) = &self.opclass {
            out.push(' ');
            out.push_str(opclass);
        }
        let word = |w: &str| {
            if upper {
                w.to_uppercase()
            } else {
                w.to_string()
            }
        };
        if self.descending {
            out.push(' ');
            out.push_str(&word("desc"));
        }
        if self.nulls_first != self.descending {
            out.push(' ');
            out.push_str(&word(if self.nulls_first {
                "nulls first"
            } else {
                "nulls last"
            }));
        }
        out
    }
}
