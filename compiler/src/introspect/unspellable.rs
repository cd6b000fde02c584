//! Objects whose names the language cannot spell (`vocab::spellable`, LANGUAGE.md "Lexical"), and
//! what depends on them, are not managed: they move from the catalog to `Catalog::unmanaged`, so
//! `introspect` names each in a warning, `drift` lists them and no plan drops them. What depends on
//! one: an object in a schema so named; a column of such a type (enum or domain); a constraint,
//! index, policy or trigger on such a column or naming it in an expression; a table partitioned by
//! such a column; a view reading any of these; a trigger calling such a function; a foreign key to
//! such a table or column. A partition or a grant to a role so named is not managed either.

use std::collections::BTreeSet;

use crate::catalog::{
    spellable, BaseType, Catalog, Column, QualifiedName, SqlType, Table, Unmanaged,
};
use crate::lexer::lex;

/// Moves what the language cannot spell out of `catalog` into `catalog.unmanaged` (unsorted).
pub(super) fn set_aside(catalog: &mut Catalog) {
    let mut out: Vec<Unmanaged> = Vec::new();
    let named = |name: &QualifiedName| spellable(&name.schema) && spellable(&name.name);

    let schemas: Vec<String> = catalog
        .namespaces
        .iter()
        .filter(|s| !spellable(s))
        .cloned()
        .collect();
    for schema in schemas {
        catalog.namespaces.remove(&schema);
        out.push(Unmanaged::new("schema", schema));
    }

    // Types first: a column, domain or view of a type set aside is set aside with it.
    let mut types: BTreeSet<QualifiedName> = BTreeSet::new();
    for enum_type in take(&mut catalog.enums, |e| !named(&e.name)) {
        out.push(Unmanaged::new("type", enum_type.name.to_string()));
        types.insert(enum_type.name);
    }
    // A domain over a domain set aside comes after it (the domains query's order is by name).
    loop {
        let gone = take(&mut catalog.domains, |d| {
            !named(&d.name) || of_types(&d.ty, &types)
        });
        if gone.is_empty() {
            break;
        }
        for domain in gone {
            out.push(Unmanaged::new("domain", domain.name.to_string()));
            types.insert(domain.name);
        }
    }
    for sequence in take(&mut catalog.sequences, |s| !named(&s.name)) {
        out.push(Unmanaged::new("sequence", sequence.name.to_string()));
    }
    let mut functions: BTreeSet<QualifiedName> = BTreeSet::new();
    for function in take(&mut catalog.functions, |f| !named(&f.name)) {
        let kind = if function.procedure {
            "procedure"
        } else {
            "function"
        };
        out.push(Unmanaged::new(kind, function.display()));
        functions.insert(function.name);
    }

    // Relations (tables and views) and columns set aside.
    let mut relations: BTreeSet<QualifiedName> = BTreeSet::new();
    let mut columns: BTreeSet<(QualifiedName, String)> = BTreeSet::new();
    for table in take(&mut catalog.tables, |t| !named(&t.name)) {
        out.push(Unmanaged::new("table", table.name.to_string()));
        relations.insert(table.name);
    }
    for table in catalog.tables.iter_mut() {
        for column in take(&mut table.columns, |c| {
            !spellable(&c.name) || of_types(&c.ty, &types)
        }) {
            let mut object = Unmanaged::new("column", format!("{}.{}", table.name, column.name));
            if required(&column) {
                object.note = Some(
                    "it is NOT NULL without a default, so an insert that leaves it out (as the \
                     generated code's do) fails"
                        .to_string(),
                );
            }
            out.push(object);
            columns.insert((table.name.clone(), column.name));
        }
    }
    // A table partitioned by a column set aside cannot be declared without it.
    for table in take(&mut catalog.tables, |t| {
        t.partitioning
            .as_ref()
            .is_some_and(|p| mentions(&p.keys, &gone_columns(&columns, &t.name)))
    }) {
        out.push(Unmanaged::new("table", table.name.to_string()));
        relations.insert(table.name);
    }

    // Views, until none reads one set aside (a view may read a view).
    loop {
        let gone = take(&mut catalog.views, |v| {
            !named(&v.name)
                || v.depends_on.iter().any(|r| relations.contains(r))
                || v.depends_on_columns.iter().any(|c| columns.contains(c))
                || v.columns.iter().any(|c| of_types(&c.ty, &types))
        });
        if gone.is_empty() {
            break;
        }
        for view in gone {
            let kind = if view.materialized {
                "materialized view"
            } else {
                "view"
            };
            out.push(Unmanaged::new(kind, view.name.to_string()));
            relations.insert(view.name);
        }
    }
    for view in catalog.views.iter_mut() {
        for index in take(&mut view.indexes, |i| !spellable(&i.name)) {
            out.push(Unmanaged::new(
                "index",
                QualifiedName::new(view.name.schema.clone(), index.name).to_string(),
            ));
        }
    }

    for trigger in take(&mut catalog.triggers, |t| {
        let hit = gone_columns(&columns, &t.table);
        !spellable(&t.name)
            || !named(&t.table)
            || relations.contains(&t.table)
            || functions.contains(&t.function)
            || t.update_of.iter().any(|c| hit.contains(c))
            || t.when.as_deref().is_some_and(|w| mentions(w, &hit))
    }) {
        out.push(Unmanaged::new(
            "trigger",
            format!("{} on {}", trigger.name, trigger.table),
        ));
    }

    let all_columns = columns.clone();
    for table in catalog.tables.iter_mut() {
        set_aside_of_table(table, &relations, &all_columns, &mut out);
    }
    catalog.unmanaged.extend(out);
}

/// A table's constraints, indexes and policies that the language cannot spell or that use a
/// column set aside (its own, or for a foreign key the one it references).
fn set_aside_of_table(
    table: &mut Table,
    relations: &BTreeSet<QualifiedName>,
    columns: &BTreeSet<(QualifiedName, String)>,
    out: &mut Vec<Unmanaged>,
) {
    let hit = gone_columns(columns, &table.name);
    let uses = |list: &[String]| list.iter().any(|c| hit.contains(c));
    let on = |name: &str| format!("{name} on {}", table.name);
    let mut constraints: Vec<String> = Vec::new();
    if table
        .primary_key
        .as_ref()
        .is_some_and(|pk| !spellable(&pk.name) || uses(&pk.columns))
    {
        constraints.extend(table.primary_key.take().map(|pk| pk.name));
    }
    constraints.extend(
        take(&mut table.uniques, |u| {
            !spellable(&u.name) || uses(&u.columns)
        })
        .into_iter()
        .map(|u| u.name),
    );
    constraints.extend(
        take(&mut table.foreign_keys, |fk| {
            let referenced = gone_columns(columns, &fk.referenced_table);
            !spellable(&fk.name)
                || uses(&fk.columns)
                || uses(&fk.on_delete_columns)
                || relations.contains(&fk.referenced_table)
                || fk.referenced_columns.iter().any(|c| referenced.contains(c))
        })
        .into_iter()
        .map(|fk| fk.name),
    );
    constraints.extend(
        take(&mut table.checks, |c| {
            !spellable(&c.name) || mentions(&c.expr, &hit)
        })
        .into_iter()
        .map(|c| c.name),
    );
    let indexes: Vec<String> = take(&mut table.indexes, |i| {
        !spellable(&i.name)
            || uses(&i.options.include)
            || i.predicate.as_deref().is_some_and(|p| mentions(p, &hit))
            || i.keys.iter().any(|k| match k {
                crate::catalog::IndexKey::Column(c) => hit.contains(c),
                crate::catalog::IndexKey::Expr(e) => mentions(e, &hit),
            })
    })
    .into_iter()
    .map(|i| i.name)
    .collect();
    for name in constraints.iter().chain(&indexes) {
        table.not_valid.remove(name);
    }
    out.extend(
        constraints
            .iter()
            .map(|c| Unmanaged::new("table constraint", on(c))),
    );
    out.extend(indexes.into_iter().map(|i| {
        Unmanaged::new(
            "index",
            QualifiedName::new(table.name.schema.clone(), i).to_string(),
        )
    }));
    if let Some(partitions) = table
        .partitioning
        .as_mut()
        .and_then(|p| p.partitions.as_mut())
    {
        for partition in take(partitions, |p| {
            !spellable(&p.name.schema) || !spellable(&p.name.name)
        }) {
            out.push(Unmanaged::new("table", partition.name.to_string()));
        }
    }
    // Grants to a role the language cannot spell, one entry per role.
    let roles: BTreeSet<String> = table
        .grants
        .iter()
        .filter(|g| !spellable(&g.role))
        .map(|g| g.role.clone())
        .collect();
    for role in roles {
        let privileges: Vec<&str> = take(&mut table.grants, |g| g.role == role)
            .iter()
            .map(|g| g.privilege.sql())
            .collect();
        out.push(Unmanaged::new(
            "grant",
            format!("{} on {} to {role}", privileges.join(", "), table.name),
        ));
    }
    for policy in take(&mut table.policies, |p| {
        !spellable(&p.name)
            || p.roles.iter().any(|r| !spellable(r))
            || [&p.using, &p.with_check]
                .into_iter()
                .flatten()
                .any(|e| mentions(e, &hit))
    }) {
        out.push(Unmanaged::new("policy", on(&policy.name)));
    }
}

/// Removes the items `gone` picks from `list`, keeping the order of both.
/// In place: a list rebuilt by pushing would hold up to twice its length for the rest of the run.
fn take<T>(list: &mut Vec<T>, mut gone: impl FnMut(&T) -> bool) -> Vec<T> {
    list.extract_if(.., |t| gone(t)).collect()
}

/// The columns of `table` set aside.
fn gone_columns(columns: &BTreeSet<(QualifiedName, String)>, table: &QualifiedName) -> Vec<String> {
    columns
        .iter()
        .filter(|(t, _)| t == table)
        .map(|(_, c)| c.clone())
        .collect()
}

/// Whether `expr` names one of `names` as an identifier.
fn mentions(expr: &str, names: &[String]) -> bool {
    !names.is_empty()
        && lex(expr)
            .iter()
            .any(|t| t.name().is_some_and(|n| names.contains(&n)))
}

/// Whether `ty` is (an array of) one of `types`: an enum by name, another type (a domain) as
/// `format_type` prints it.
fn of_types(ty: &SqlType, types: &BTreeSet<QualifiedName>) -> bool {
    match &ty.base {
        BaseType::Enum(name) => types.contains(name),
        BaseType::Other(printed) => {
            let names: Vec<String> = types.iter().map(|t| t.name.clone()).collect();
            mentions(printed, &names)
        }
        _ => false,
    }
}

/// NOT NULL, and nothing fills it in: an insert that leaves the column out fails.
fn required(column: &Column) -> bool {
    !column.nullable
        && column.default.is_none()
        && column.generated.is_none()
        && column.identity.is_none()
        && !column.serial
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{CheckConstraint, EnumType, FkAction, ForeignKey, View};

    fn view(name: &str, reads: &[(&str, &str)]) -> View {
        View {
            name: QualifiedName::public(name),
            materialized: false,
            definition: String::new(),
            source: None,
            options: Vec::new(),
            columns: Vec::new(),
            indexes: Vec::new(),
            depends_on: reads
                .iter()
                .map(|(t, _)| QualifiedName::public(*t))
                .collect(),
            depends_on_columns: reads
                .iter()
                .map(|(t, c)| (QualifiedName::public(*t), c.to_string()))
                .collect(),
            origin: None,
        }
    }

    #[test]
    fn what_uses_a_name_the_language_cannot_spell_is_set_aside_with_it() {
        let mood = QualifiedName::public("mood-x");
        let mut catalog = Catalog::default();
        catalog.enums.push(EnumType {
            name: mood.clone(),
            values: vec!["a".into()],
            comment: None,
            renamed_from: None,
            origin: None,
        });
        let mut prices = Table::new(QualifiedName::public("prices"));
        prices.columns = vec![
            Column::new("id", SqlType::scalar(BaseType::Integer)),
            Column::new("unit-price", SqlType::scalar(BaseType::Integer)),
            Column {
                nullable: true,
                ..Column::new("mood", SqlType::array_of(BaseType::Enum(mood)))
            },
        ];
        prices.checks = vec![
            CheckConstraint {
                name: "prices_positive".into(),
                expr: "(\"unit-price\" > 0)".into(),
                origin: None,
            },
            CheckConstraint {
                name: "prices_id".into(),
                expr: "(id > 0)".into(),
                origin: None,
            },
        ];
        let mut refs = Table::new(QualifiedName::public("refs"));
        refs.columns = vec![Column::new("line", SqlType::scalar(BaseType::Integer))];
        refs.foreign_keys.push(ForeignKey {
            name: "refs_line_fkey".into(),
            columns: vec!["line".into()],
            referenced_table: QualifiedName::public("order-lines"),
            referenced_columns: vec!["id".into()],
            on_delete: FkAction::NoAction,
            on_delete_columns: Vec::new(),
            on_update: FkAction::NoAction,
            origin: None,
        });
        catalog.tables = vec![
            Table::new(QualifiedName::public("order-lines")),
            prices,
            refs,
        ]
        .into();
        catalog.views = vec![
            view("price_list", &[("prices", "unit-price")]),
            view("price_list_2", &[("price_list", "id")]),
            view("price_ids", &[("prices", "id")]),
        ];
        set_aside(&mut catalog);

        let unmanaged: Vec<String> = catalog.unmanaged.iter().map(|u| u.to_string()).collect();
        assert_eq!(
            unmanaged,
            [
                "type public.mood-x",
                "table public.order-lines",
                "column public.prices.unit-price",
                "column public.prices.mood",
                "view public.price_list",
                "view public.price_list_2",
                "table constraint prices_positive on public.prices",
                "table constraint refs_line_fkey on public.refs",
            ]
        );
        let notes: Vec<bool> = catalog.unmanaged.iter().map(|u| u.note.is_some()).collect();
        assert_eq!(
            notes,
            [false, false, true, false, false, false, false, false]
        );
        let prices = catalog.table(&QualifiedName::public("prices")).unwrap();
        let columns: Vec<&str> = prices.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(columns, ["id"]);
        assert_eq!(prices.checks.len(), 1);
        let views: Vec<String> = catalog.views.iter().map(|v| v.name.to_string()).collect();
        assert_eq!(views, ["public.price_ids"]);
    }
}
