//! Views and materialized views as PostgreSQL stores them: the query as `pg_get_viewdef` prints it
//! (compared), the schema's own text (created from), options, output columns and what they read.

use super::{Column, Index, QualifiedName};
use crate::source::Span;

/// `CREATE [MATERIALIZED] VIEW name [WITH (options)] AS query`.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub name: QualifiedName,
    pub materialized: bool,
    /// The query as the server prints it (`pg_get_viewdef(oid, true)`, without its `;`): what is
    /// compared. Lowering puts the schema's text here; canonicalisation replaces it.
    pub definition: String,
    /// The query as the schema wrote it: what `CREATE VIEW` runs (a printed form does not always
    /// read back as itself). `None` on the database side.
    pub source: Option<String>,
    /// `reloptions` (`security_barrier=true`, `check_option=local`), sorted.
    pub options: Vec<String>,
    /// The output columns in order, with their types (known once printed by a server).
    pub columns: Vec<Column>,
    /// A materialized view's indexes.
    pub indexes: Vec<Index>,
    /// Relations (tables and views) the query reads, by name (pg_depend through pg_rewrite).
    pub depends_on: Vec<QualifiedName>,
    /// Columns of those relations the query reads: `(relation, column)`.
    pub depends_on_columns: Vec<(QualifiedName, String)>,
    pub origin: Option<Span>,
}

impl View {
    /// `view` or `materialized view`, for messages.
    pub fn kind(&self) -> &'static str {
        if self.materialized {
            "materialized view"
        } else {
            "view"
        }
    }

    /// The text `CREATE VIEW` runs: the schema's own where there is one.
    pub fn query(&self) -> &str {
        self.source.as_deref().unwrap_or(&self.definition)
    }

    /// The view as two catalogs compare it.
    pub fn normalized(&self) -> View {
        let mut view = self.clone();
        view.source = None;
        view.origin = None;
        view.options.sort();
        view.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        view.indexes.iter_mut().for_each(|i| i.origin = None);
        view.depends_on.sort();
        view.depends_on.dedup();
        view.depends_on_columns.sort();
        view.depends_on_columns.dedup();
        for column in &mut view.columns {
            column.origin = None;
        }
        view
    }
}

/// A `view` item as the catalog holds it before canonicalisation: the schema's query as both the
/// definition and the source; index names PostgreSQL would choose (`<view>_<cols>_idx`).
pub(super) fn lower(view: &crate::model::View, namespace: &mut super::names::Namespace) -> View {
    for index in &view.indexes {
        if let Some(name) = &index.name {
            namespace.reserve_relation(name);
        }
    }
    let indexes = view
        .indexes
        .iter()
        .map(|index| {
            let name = index.name.clone().unwrap_or_else(|| {
                let addition =
                    super::names::name_addition(&super::names::index_column_names(&index.keys));
                namespace.choose_relation_name(&view.name.name, Some(&addition), "idx", false)
            });
            Index {
                name,
                unique: index.unique,
                method: index.method.clone().unwrap_or_else(|| "btree".to_string()),
                keys: index.keys.clone(),
                predicate: index.predicate.clone(),
                origin: Some(index.span),
                options: index.options.clone(),
            }
        })
        .collect();
    View {
        name: view.name.clone(),
        materialized: view.materialized,
        definition: view.query.clone(),
        source: Some(view.query.clone()),
        options: view.options.clone(),
        columns: Vec::new(),
        indexes,
        depends_on: Vec::new(),
        depends_on_columns: Vec::new(),
        origin: Some(view.span),
    }
}

/// Whether `word` occurs in `text` as a whole identifier (case-insensitive): a guess at what a
/// query reads, for where no server has printed it yet.
pub fn mentions(text: &str, word: &str) -> bool {
    let text = text.to_lowercase();
    let word = word.to_lowercase();
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(&word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// Each view's `depends_on` guessed from its text: the tables and other views it names. A plan
/// made without a server (`plan --from-empty`) then still creates each view after what it reads;
/// canonicalisation replaces the guess with what the server records.
pub(super) fn guess_dependencies(catalog: &mut super::Catalog) {
    let relations: Vec<QualifiedName> = catalog
        .tables
        .iter()
        .map(|t| t.name.clone())
        .chain(catalog.views.iter().map(|v| v.name.clone()))
        .collect();
    for view in &mut catalog.views {
        let query = view.query().to_string();
        view.depends_on = relations
            .iter()
            .filter(|r| **r != view.name && mentions(&query, &r.name))
            .cloned()
            .collect();
        view.depends_on.sort();
    }
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn finds_whole_names() {
        assert!(mentions("select * from Users u", "users"));
        assert!(mentions("select * from public.users", "users"));
        assert!(!mentions("select * from users_archive", "users"));
        assert!(!mentions("select app_users.id from app_users", "users"));
    }
}
