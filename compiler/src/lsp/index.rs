//! Every name in the syntax trees that stands for a table, column, enum or role, bound to what it
//! names: the definitions and the references (`references`, `index`, `unique`, `primary key`,
//! `foreign key`, `backfill ... from`, policies, grants, the tenancy's root and bypass role, column
//! types naming an enum). Definition, references, rename and hover all start here.
//! In: the syntax trees of one schema. Out: `Index`. Names are bound as written, like `resolve`
//! does (an unqualified name is in `public`), so it works on a schema that has errors too.

use std::collections::BTreeSet;

use crate::source::Span;
use crate::syntax::ast::{self, Item, TableEntryKind};

/// What a name stands for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Symbol {
    /// A table, by its qualified name (`public.users`).
    Table(String),
    /// A column of a table.
    Column(String, String),
    Enum(String),
    Role(String),
}

/// One name in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub symbol: Symbol,
    /// The identifier itself (for a qualified name, its last part).
    pub span: Span,
    pub definition: bool,
}

/// Every occurrence of every symbol of a schema.
#[derive(Debug, Default)]
pub struct Index {
    pub occurrences: Vec<Occurrence>,
}

/// The qualified key of a name as written.
pub fn qualified(name: &ast::QualName) -> String {
    let schema = name.schema.as_ref().map_or("public", |s| s.name.as_str());
    format!("{schema}.{}", name.name.name)
}

impl Index {
    pub fn build(files: &[ast::File]) -> Index {
        let mut enums = BTreeSet::new();
        for file in files {
            for item in &file.items {
                if let Item::Enum(def) = item {
                    enums.insert(qualified(&def.name));
                }
            }
        }
        let mut index = Index::default();
        for file in files {
            for item in &file.items {
                index.item(item, &enums);
            }
        }
        index
    }

    /// The occurrence whose identifier contains (or ends at) a byte offset of a file.
    pub fn at(&self, file: crate::source::FileId, offset: u32) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .find(|o| o.span.file == file && o.span.start <= offset && offset <= o.span.end)
    }

    /// Every occurrence of a symbol, definitions first.
    pub fn of<'a>(&'a self, symbol: &'a Symbol) -> impl Iterator<Item = &'a Occurrence> + 'a {
        let definitions = self
            .occurrences
            .iter()
            .filter(move |o| &o.symbol == symbol && o.definition);
        let uses = self
            .occurrences
            .iter()
            .filter(move |o| &o.symbol == symbol && !o.definition);
        definitions.chain(uses)
    }

    fn push(&mut self, symbol: Symbol, span: Span, definition: bool) {
        self.occurrences.push(Occurrence {
            symbol,
            span,
            definition,
        });
    }

    fn column(&mut self, table: &str, ident: &ast::Ident, definition: bool) {
        self.push(
            Symbol::Column(table.to_string(), ident.name.clone()),
            ident.span,
            definition,
        );
    }

    fn table_ref(&mut self, name: &ast::QualName) {
        self.push(Symbol::Table(qualified(name)), name.name.span, false);
    }

    fn role(&mut self, ident: &ast::Ident, definition: bool) {
        self.push(Symbol::Role(ident.name.clone()), ident.span, definition);
    }

    fn item(&mut self, item: &Item, enums: &BTreeSet<String>) {
        match item {
            Item::Tenancy(tenancy) => {
                for entry in &tenancy.entries {
                    match &entry.kind {
                        ast::TenancyEntryKind::Root(name) => self.table_ref(name),
                        ast::TenancyEntryKind::Bypass(role) => self.role(role, false),
                        _ => {}
                    }
                }
            }
            Item::Enum(def) => {
                self.push(Symbol::Enum(qualified(&def.name)), def.name.name.span, true);
            }
            Item::Table(def) => self.table(def, enums),
            Item::Role(def) => {
                for name in &def.names {
                    self.role(name, true);
                }
            }
            Item::Grant(def) => {
                if let ast::GrantTargets::Tables(tables) = &def.targets {
                    for table in tables {
                        self.table_ref(table);
                    }
                }
                for role in &def.roles {
                    self.role(role, false);
                }
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }

    fn table(&mut self, def: &ast::TableDef, enums: &BTreeSet<String>) {
        let table = qualified(&def.name);
        self.push(Symbol::Table(table.clone()), def.name.name.span, true);
        for entry in &def.entries {
            match &entry.kind {
                TableEntryKind::Column(column) => {
                    self.column(&table, &column.name, true);
                    if let ast::TypeName::Named { name, .. } = &column.ty.name {
                        let key = qualified(name);
                        if enums.contains(&key) {
                            self.push(Symbol::Enum(key), name.name.span, false);
                        }
                    }
                    for attribute in &column.attributes {
                        if let ast::AttributeKind::References(target) = &attribute.kind {
                            self.table_ref(&target.table);
                            if let Some(col) = &target.column {
                                self.column(&qualified(&target.table), col, false);
                            }
                        }
                    }
                }
                TableEntryKind::PrimaryKey { columns, .. }
                | TableEntryKind::Unique { columns, .. } => {
                    for col in columns {
                        self.column(&table, col, false);
                    }
                }
                TableEntryKind::Index(index) => {
                    for key in &index.keys {
                        if let ast::IndexKey::Column(col) = key {
                            self.column(&table, col, false);
                        }
                    }
                    for col in &index.include {
                        self.column(&table, col, false);
                    }
                }
                TableEntryKind::ForeignKey(fk) => {
                    for col in &fk.columns {
                        self.column(&table, col, false);
                    }
                    self.table_ref(&fk.table);
                    for col in fk.referenced_columns.iter().flatten() {
                        self.column(&qualified(&fk.table), col, false);
                    }
                }
                TableEntryKind::Policy(policy) => {
                    for role in &policy.roles {
                        self.role(role, false);
                    }
                }
                TableEntryKind::Backfill { column, source } => {
                    self.column(&table, column, false);
                    if let ast::BackfillSource::From(from) = source {
                        self.column(&table, from, false);
                    }
                }
                _ => {}
            }
        }
    }
}
