//! Model → Catalog: the schema as PostgreSQL would show it after creating it. Every default is
//! applied here and only here: constraint and index names (`names.rs`), `serial` sequences, the
//! tenancy's tenant column key, composite foreign keys, parent uniques, tenant indexes and
//! row-level security policies, grant expansion, extensions and namespaces.
//! Pure and deterministic: tables and enums in model order, constraints in a stable order.

use std::collections::{BTreeMap, BTreeSet};

use super::names::{self, Namespace};
use super::*;
use crate::model::{self, Model, TableId};

/// Lowers a resolved model (one without errors) to a `Catalog`. The model is taken, not
/// borrowed: its names, types and expressions move into the catalog instead of being copied
/// (no caller needs the model after, and copying then freeing 2,000 tables' strings was a
/// third of lowering).
pub fn lower(model: Model) -> Catalog {
    let Model {
        tenancy,
        enums,
        tables: sources,
        roles,
        grants: model_grants,
        extensions,
        sequences,
        functions,
        triggers,
        domains,
        views,
    } = model;
    let mut catalog = Catalog::default();
    let mut namespaces: BTreeMap<String, Namespace> = BTreeMap::new();

    for extension in extensions {
        if let Some(schema) = extension.schema.filter(|s| *s != "public") {
            note_schema(&mut catalog, &schema);
            catalog
                .extension_schemas
                .insert(extension.name.clone(), schema);
        }
        catalog.extensions.insert(extension.name);
    }
    for schema in functions
        .iter()
        .map(|f| &f.name.schema)
        .chain(domains.iter().map(|d| &d.name.schema))
    {
        note_schema(&mut catalog, schema);
    }
    catalog.functions = functions;
    catalog.triggers = triggers;
    catalog.domains = domains;
    for sequence in sequences {
        note_schema(&mut catalog, &sequence.name.schema);
        catalog.sequences.push(Sequence {
            name: sequence.name,
            ty: SqlType::scalar(sequence.ty),
            start: sequence.start,
            increment: sequence.increment,
            min: sequence.min,
            max: sequence.max,
            cache: sequence.cache,
            cycle: sequence.cycle,
            origin: Some(sequence.span),
        });
    }
    for item in enums {
        note_schema(&mut catalog, &item.name.schema);
        catalog.enums.push(EnumType {
            name: item.name,
            values: item.values,
            comment: item.doc,
            renamed_from: item.renamed_from,
            origin: Some(item.span),
        });
    }

    // Every table name is taken before any constraint or index is named.
    for table in &sources {
        namespaces
            .entry(table.name.schema.clone())
            .or_default()
            .reserve_relation(&table.name.name);
    }
    for view in &views {
        namespaces
            .entry(view.name.schema.clone())
            .or_default()
            .reserve_relation(&view.name.name);
    }
    // Explicit names too: generated names avoid them, as they would in a database that has them.
    for table in &sources {
        let namespace = namespaces.entry(table.name.schema.clone()).or_default();
        for unique in &table.uniques {
            if let Some(name) = &unique.name {
                namespace.reserve_relation(name);
                namespace.reserve_constraint(name);
            }
        }
        for index in &table.indexes {
            if let Some(name) = &index.name {
                namespace.reserve_relation(name);
            }
        }
        for check in &table.checks {
            if let Some(name) = &check.name {
                namespace.reserve_constraint(name);
            }
        }
        for fk in &table.foreign_keys {
            if let Some(name) = &fk.name {
                namespace.reserve_constraint(name);
            }
        }
    }

    let tenancy = tenancy.as_ref();
    // Foreign keys name the table they reference; the tables themselves move into the drafts.
    let names: Vec<QualifiedName> = sources.iter().map(|t| t.name.clone()).collect();
    let mut tables: Vec<Draft> = Vec::with_capacity(sources.len());
    for source in sources {
        tables.push(draft(&names, source, &mut catalog));
    }
    drop(names);

    if let Some(tenancy) = tenancy {
        apply_tenancy(tenancy, &mut tables);
        let setting = tenancy
            .setting
            .clone()
            .unwrap_or_else(|| format!("app.current_{}", tenancy.column));
        catalog.tenancy = Some(Tenancy {
            root: tables[tenancy.root.0 as usize].table.name.clone(),
            column: tenancy.column.clone(),
            key_type: tenancy.key_type.clone(),
            setting: Some(setting.clone()),
            bypass: tenancy.bypass.clone(),
            rls: tenancy.rls,
            fill: tenancy.fill,
        });
        let current_tenant = super::current_tenant_sql(&setting, &tenancy.key_type);
        // A row inserted without the tenant column takes the session's tenant; a tenant column
        // written with a default of its own keeps that default.
        for draft in &mut tables {
            if draft.table.kind != TableKind::Tenant {
                continue;
            }
            if let Some(column) = draft
                .table
                .columns
                .iter_mut()
                .find(|c| c.name == tenancy.column)
            {
                if column.default.is_none() && column.generated.is_none() {
                    column.default = Some(current_tenant.clone());
                }
            }
        }
        if tenancy.rls {
            for draft in &mut tables {
                if draft.table.kind == TableKind::Tenant {
                    add_tenancy_policies(&mut draft.table, tenancy, &setting, draft.span);
                }
            }
        }
        if let Some(bypass) = &tenancy.bypass {
            if tenancy.rls && !catalog.has_role(bypass) {
                catalog.roles.push(Role {
                    name: bypass.clone(),
                    origin: Some(tenancy.span),
                });
            }
        }
    }

    for role in roles {
        if !catalog.has_role(&role.name) {
            catalog.roles.push(Role {
                name: role.name,
                origin: Some(role.span),
            });
        }
    }

    // Grants: one entry per table, role and privilege, sorted and without repeats.
    let mut grants: Vec<BTreeSet<Grant>> = vec![BTreeSet::new(); tables.len()];
    for grant in &model_grants {
        for table in &grant.tables {
            for role in &grant.roles {
                for privilege in &grant.privileges {
                    grants[table.0 as usize].insert(Grant {
                        role: role_name(role),
                        privilege: *privilege,
                    });
                }
            }
        }
    }
    for (draft, granted) in tables.iter_mut().zip(grants) {
        draft.table.grants = granted.into_iter().collect();
    }

    for draft in &mut tables {
        let namespace = namespaces
            .entry(draft.table.name.schema.clone())
            .or_default();
        name_objects(draft, namespace);
    }
    catalog.tables = tables.into_iter().map(|d| d.table).collect();
    for view in &views {
        note_schema(&mut catalog, &view.name.schema);
        let namespace = namespaces.entry(view.name.schema.clone()).or_default();
        catalog.views.push(super::views::lower(view, namespace));
    }
    super::views::guess_dependencies(&mut catalog);
    catalog
}

/// A table being lowered: the catalog table with empty names where PostgreSQL will choose them,
/// and what the tenancy needs of the model's table.
struct Draft {
    table: Table,
    /// The table each foreign key references, in `table.foreign_keys` order.
    referenced: Vec<TableId>,
    /// The declaration's span.
    span: crate::source::Span,
    /// The tenant column's span, in a tenant table.
    tenant_column: Option<crate::source::Span>,
}

fn note_schema(catalog: &mut Catalog, schema: &str) {
    if schema != "public" {
        catalog.namespaces.insert(schema.to_string());
    }
}

/// The table as written: columns, keys, checks, indexes, foreign keys and policies. `names[i]` is
/// the name of the model's table `i`.
fn draft(names: &[QualifiedName], source: model::Table, catalog: &mut Catalog) -> Draft {
    note_schema(catalog, &source.name.schema);
    let tenant_column = source.tenant_column().map(|c| c.span);
    let model::Table {
        name,
        kind,
        doc,
        renamed_from,
        columns,
        primary_key,
        uniques,
        indexes,
        checks,
        foreign_keys,
        policies,
        row_level_security,
        partitioning,
        span,
        ..
    } = source;
    let mut table = Table::new(name);
    table.kind = kind;
    table.comment = doc;
    table.renamed_from = renamed_from;
    table.origin = Some(span);
    table.columns.reserve_exact(columns.len());
    for column in columns {
        if column.ty.base == BaseType::Citext {
            catalog.extensions.insert("citext".to_string());
        }
        table.columns.push(Column {
            name: column.name,
            ty: column.ty,
            nullable: column.nullable,
            default: column.default,
            serial: column.serial,
            generated: column.generated,
            generated_virtual: column.generated_virtual,
            identity: column.identity,
            comment: column.doc,
            renamed_from: column.renamed_from,
            using: column.using,
            backfill: column.backfill.map(|b| match b {
                model::Backfill::FromForeignKey { fk_column, span } => Backfill::FromForeignKey {
                    fk_column,
                    origin: Some(span),
                },
                model::Backfill::Expr { expr, span } => Backfill::Expr {
                    expr,
                    origin: Some(span),
                },
            }),
            origin: Some(column.span),
        });
    }
    // CREATE TABLE drops a unique key identical to the primary key or to an earlier unique key
    // (same columns in the same order), keeping a name if only the dropped one had it
    // (transformIndexConstraints in src/backend/parser/parse_utilcmd.c).
    for key in uniques {
        if primary_key
            .as_ref()
            .is_some_and(|k| k.columns == key.columns)
        {
            continue;
        }
        if let Some(prior) = table.uniques.iter_mut().find(|u| u.columns == key.columns) {
            if prior.name.is_empty() {
                prior.name = key.name.unwrap_or_default();
            }
            continue;
        }
        table.uniques.push(UniqueConstraint {
            name: key.name.unwrap_or_default(),
            columns: key.columns,
            nulls_not_distinct: key.nulls_not_distinct,
            origin: Some(key.span),
        });
    }
    table.primary_key = primary_key.map(|key| PrimaryKey {
        name: key.name.unwrap_or_default(),
        columns: key.columns,
        origin: Some(key.span),
    });
    table.checks = checks
        .into_iter()
        .map(|check| CheckConstraint {
            name: check.name.unwrap_or_default(),
            expr: check.expr,
            origin: Some(check.span),
        })
        .collect();
    table.indexes = indexes
        .into_iter()
        .map(|index| Index {
            name: index.name.unwrap_or_default(),
            unique: index.unique,
            method: index.method.unwrap_or_else(|| "btree".to_string()),
            keys: index.keys,
            predicate: index.predicate,
            options: index.options,
            origin: Some(index.span),
        })
        .collect();
    let referenced = foreign_keys.iter().map(|fk| fk.referenced_table).collect();
    table.foreign_keys = foreign_keys
        .into_iter()
        .map(|fk| ForeignKey {
            name: fk.name.unwrap_or_default(),
            columns: fk.columns,
            referenced_table: names[fk.referenced_table.0 as usize].clone(),
            referenced_columns: fk.referenced_columns,
            on_delete: fk.on_delete,
            on_delete_columns: Vec::new(),
            on_update: fk.on_update,
            origin: Some(fk.span),
        })
        .collect();
    if let Some(forced) = row_level_security {
        table.rls_enabled = true;
        table.rls_forced = forced;
    }
    table.partitioning = partitioning.map(|mut partitioning| {
        partitioning.canonicalize(|name| table.column(name).map(|c| c.ty.clone()));
        partitioning
    });
    table.policies = policies
        .into_iter()
        .map(|policy| {
            let mut roles: Vec<String> = policy.roles.iter().map(|r| role_name(r)).collect();
            roles.sort();
            roles.dedup();
            // `TO PUBLIC` is stored as no role at all.
            if roles == ["public"] {
                roles.clear();
            }
            Policy {
                name: policy.name,
                command: policy.command,
                roles,
                using: policy.using,
                with_check: policy.with_check,
                origin: Some(policy.span),
            }
        })
        .collect();
    Draft {
        table,
        referenced,
        span,
        tenant_column,
    }
}

/// A unique key a tenant parent needs for composite foreign keys: its columns and origin.
type ParentUnique = (Vec<String>, Option<crate::source::Span>);

/// Tenant tables: the key to the root, composite keys between tenant tables (with the unique key
/// they need on the parent), and an index on the tenant column.
fn apply_tenancy(tenancy: &model::Tenancy, tables: &mut [Draft]) {
    let column = tenancy.column.as_str();
    let root = &tables[tenancy.root.0 as usize].table;
    let root_name = root.name.clone();
    let root_key = root
        .primary_key
        .as_ref()
        .map(|k| k.columns.clone())
        .unwrap_or_default();
    // The columns of each tenant table's primary and unique keys, as written (before any
    // parent unique below is added).
    let tenant_keys: Vec<Vec<Vec<String>>> = tables
        .iter()
        .map(|draft| {
            let table = &draft.table;
            if table.kind != TableKind::Tenant {
                return Vec::new();
            }
            let primary = table.primary_key.iter().map(|k| k.columns.clone());
            primary
                .chain(table.uniques.iter().map(|k| k.columns.clone()))
                .collect()
        })
        .collect();
    let is_tenant = |id: TableId| tables[id.0 as usize].table.kind == TableKind::Tenant;
    let tenant_parents: Vec<Vec<bool>> = tables
        .iter()
        .map(|draft| draft.referenced.iter().map(|&id| is_tenant(id)).collect())
        .collect();
    // Parent uniques to add, per parent table, in the order first needed.
    let mut parent_uniques: BTreeMap<TableId, Vec<ParentUnique>> = BTreeMap::new();

    for (draft, tenant_parent) in tables.iter_mut().zip(tenant_parents) {
        if draft.table.kind != TableKind::Tenant {
            continue;
        }
        let fks = draft.table.foreign_keys.iter_mut();
        for ((fk, &parent), tenant_parent) in fks.zip(&draft.referenced).zip(tenant_parent) {
            if !tenant_parent {
                continue;
            }
            if !fk.columns.iter().any(|c| c == column) {
                // `ON DELETE SET NULL (col)` (PostgreSQL 15+): never null the tenant column.
                if matches!(fk.on_delete, FkAction::SetNull | FkAction::SetDefault) {
                    fk.on_delete_columns = fk.columns.clone();
                }
                fk.columns.insert(0, column.to_string());
                fk.referenced_columns.insert(0, column.to_string());
            }
            let referenced: BTreeSet<&String> = fk.referenced_columns.iter().collect();
            let has_key = |key: &[String]| key.iter().collect::<BTreeSet<_>>() == referenced;
            let parent_has = tenant_keys[parent.0 as usize].iter().any(|k| has_key(k));
            if !parent_has {
                let wanted = parent_uniques.entry(parent).or_default();
                if !wanted.iter().any(|(k, _)| has_key(k)) {
                    wanted.push((fk.referenced_columns.clone(), fk.origin));
                }
            }
        }
        // The key to the root comes first, unless the schema wrote it.
        let written = draft
            .table
            .foreign_keys
            .iter()
            .any(|fk| fk.columns == [column.to_string()] && fk.referenced_table == root_name);
        if !written {
            draft.table.foreign_keys.insert(
                0,
                ForeignKey {
                    name: String::new(),
                    columns: vec![column.to_string()],
                    referenced_table: root_name.clone(),
                    referenced_columns: root_key.clone(),
                    on_delete: FkAction::Cascade,
                    on_delete_columns: Vec::new(),
                    on_update: FkAction::NoAction,
                    origin: draft.tenant_column,
                },
            );
        }
    }

    for (parent, keys) in parent_uniques {
        let table = &mut tables[parent.0 as usize].table;
        for (columns, origin) in keys {
            table.uniques.push(UniqueConstraint {
                name: String::new(),
                columns,
                nulls_not_distinct: false,
                origin,
            });
        }
    }

    // An index on the tenant column, unless an index or key already leads with it.
    for draft in tables.iter_mut() {
        if draft.table.kind != TableKind::Tenant {
            continue;
        }
        let table = &mut draft.table;
        let leads = |columns: &[String]| columns.first().is_some_and(|c| c == column);
        let covered = table
            .primary_key
            .as_ref()
            .is_some_and(|k| leads(&k.columns))
            || table.uniques.iter().any(|k| leads(&k.columns))
            || table.indexes.iter().any(|i| {
                i.predicate.is_none()
                    && matches!(i.keys.first(), Some(IndexKey::Column(c)) if c == column)
            });
        if !covered {
            table.indexes.insert(
                0,
                Index {
                    name: String::new(),
                    unique: false,
                    method: "btree".to_string(),
                    keys: vec![IndexKey::Column(column.to_string())],
                    predicate: None,
                    options: Default::default(),
                    origin: draft.tenant_column,
                },
            );
        }
    }
}

/// `ENABLE` + `FORCE ROW LEVEL SECURITY`, the isolation policy and the bypass policy.
fn add_tenancy_policies(
    table: &mut Table,
    tenancy: &model::Tenancy,
    setting: &str,
    origin: crate::source::Span,
) {
    table.rls_enabled = true;
    table.rls_forced = true;
    let predicate = format!(
        "{} = {}",
        crate::vocab::ident(&tenancy.column),
        super::current_tenant_sql(setting, &tenancy.key_type)
    );
    let mut policies = vec![Policy {
        name: "tenant_isolation".to_string(),
        command: PolicyCommand::All,
        roles: Vec::new(),
        using: Some(predicate.clone()),
        with_check: Some(predicate),
        origin: Some(origin),
    }];
    if let Some(bypass) = &tenancy.bypass {
        policies.push(Policy {
            name: format!("{bypass}_bypass"),
            command: PolicyCommand::All,
            roles: vec![bypass.clone()],
            using: Some("true".to_string()),
            with_check: Some("true".to_string()),
            origin: Some(origin),
        });
    }
    policies.append(&mut table.policies);
    table.policies = policies;
}

/// Chooses every name PostgreSQL would choose, in the order it would: sequences while the table
/// is created, then checks, the primary key, uniques, foreign keys, and the indexes made after.
fn name_objects(draft: &mut Draft, namespace: &mut Namespace) {
    let table = &mut draft.table;
    let table_name = table.name.name.clone();
    let column_names: Vec<String> = if table.checks.iter().any(|c| c.name.is_empty()) {
        table.columns.iter().map(|c| c.name.clone()).collect()
    } else {
        Vec::new()
    };
    for column in &mut table.columns {
        if column.serial {
            let sequence =
                namespace.choose_relation_name(&table_name, Some(&column.name), "seq", false);
            let qualified = if table.name.schema == "public" {
                crate::vocab::ident(&sequence)
            } else {
                crate::vocab::qualified(&QualifiedName::new(table.name.schema.clone(), sequence))
            };
            column.default = Some(format!(
                "nextval({}::regclass)",
                crate::vocab::literal(&qualified)
            ));
        }
    }
    for check in &mut table.checks {
        if check.name.is_empty() {
            let column = names::check_column(&check.expr, &column_names);
            check.name = namespace.choose_constraint_name(&table_name, column.as_deref(), "check");
        }
    }
    if let Some(key) = &mut table.primary_key {
        if key.name.is_empty() {
            key.name = namespace.choose_relation_name(&table_name, None, "pkey", true);
        }
    }
    for unique in &mut table.uniques {
        if unique.name.is_empty() {
            let addition = names::name_addition(&unique.columns);
            unique.name = namespace.choose_relation_name(&table_name, Some(&addition), "key", true);
        }
    }
    for fk in &mut table.foreign_keys {
        if fk.name.is_empty() {
            let addition = names::name_addition(&fk.columns);
            fk.name = namespace.choose_constraint_name(&table_name, Some(&addition), "fkey");
        }
    }
    for index in &mut table.indexes {
        if index.name.is_empty() {
            let addition = names::name_addition(&names::index_name_columns(index));
            index.name = namespace.choose_relation_name(&table_name, Some(&addition), "idx", false);
        }
    }
}

/// A role as PostgreSQL names it: `PUBLIC` is a keyword, not a role, whatever its case.
fn role_name(role: &str) -> String {
    if role.eq_ignore_ascii_case("public") {
        "public".to_string()
    } else {
        role.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceSet;

    fn catalog(text: &str) -> Catalog {
        let mut sources = SourceSet::default();
        sources.add("t.schema", text);
        let compiled = crate::compile::compile(&sources);
        assert!(
            compiled.diagnostics.is_empty(),
            "{:#?}",
            compiled.diagnostics
        );
        compiled.catalog.expect("lowered")
    }

    fn table<'a>(catalog: &'a Catalog, name: &str) -> &'a Table {
        catalog
            .table(&QualifiedName::public(name))
            .expect("table exists")
    }

    const TENANCY: &str = "tenancy { root accounts }\ntable accounts {\n  id  uuid primary\n}\n";

    #[test]
    fn tenant_to_tenant_keys_become_composite_with_a_parent_unique() {
        let catalog = catalog(&format!(
            "{TENANCY}tenant table users {{\n  id  uuid primary\n}}\n\
             tenant table sessions {{\n  id  uuid primary\n  user_id  uuid? references users on delete set null\n}}\n"
        ));
        let sessions = table(&catalog, "sessions");
        let names: Vec<&str> = sessions.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "account_id", "user_id"]);
        let fk = sessions
            .foreign_keys
            .iter()
            .find(|fk| fk.referenced_table.name == "users")
            .expect("key to users");
        assert_eq!(fk.name, "sessions_account_id_user_id_fkey");
        assert_eq!(fk.columns, ["account_id", "user_id"]);
        assert_eq!(fk.referenced_columns, ["account_id", "id"]);
        assert_eq!(fk.on_delete, FkAction::SetNull);
        assert_eq!(fk.on_delete_columns, ["user_id"]);
        let root_fk = &sessions.foreign_keys[0];
        assert_eq!(root_fk.name, "sessions_account_id_fkey");
        assert_eq!(root_fk.on_delete, FkAction::Cascade);
        assert_eq!(root_fk.referenced_columns, ["id"]);

        let users = table(&catalog, "users");
        let unique: Vec<(&str, &[String])> = users
            .uniques
            .iter()
            .map(|u| (u.name.as_str(), u.columns.as_slice()))
            .collect();
        assert_eq!(
            unique,
            [(
                "users_account_id_id_key",
                &["account_id".to_string(), "id".to_string()][..]
            )]
        );
        // The parent unique leads with the tenant column: no separate index on users.
        assert!(users.indexes.is_empty(), "{:?}", users.indexes);
        // Sessions has no key leading with it: it gets the tenant index.
        let index: Vec<&str> = sessions.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(index, ["sessions_account_id_idx"]);
    }

    #[test]
    fn existing_keys_are_not_duplicated() {
        let catalog = catalog(&format!(
            "{TENANCY}tenant table users {{\n  id  uuid primary\n  unique (account_id, id)\n  index (account_id, id)\n}}\n\
             tenant table a {{\n  id  uuid primary\n  u  uuid references users\n  v  uuid references users\n}}\n"
        ));
        let users = table(&catalog, "users");
        assert_eq!(users.uniques.len(), 1, "the written unique serves the keys");
        assert_eq!(
            users.indexes.len(),
            1,
            "the written index leads with the tenant column"
        );
        let a = table(&catalog, "a");
        let names: Vec<&str> = a.foreign_keys.iter().map(|fk| fk.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "a_account_id_fkey",
                "a_account_id_u_fkey",
                "a_account_id_v_fkey"
            ]
        );
        assert!(a
            .foreign_keys
            .iter()
            .all(|fk| fk.on_delete_columns.is_empty()));
    }

    #[test]
    fn tenant_column_position_and_written_column() {
        let catalog = catalog(&format!(
            "{TENANCY}tenant table notes {{\n  body  text\n  id  uuid primary\n}}\n\
             tenant table tags {{\n  id  uuid primary\n  account_id  uuid default('00000000-0000-0000-0000-000000000000')\n  name  text\n}}\n"
        ));
        let notes = table(&catalog, "notes");
        assert_eq!(
            notes.columns[0].name, "account_id",
            "first when the table does not start with its key"
        );
        let tags = table(&catalog, "tags");
        let names: Vec<&str> = tags.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "account_id", "name"]);
        assert!(
            tags.columns[1].default.is_some(),
            "a written tenant column keeps its default"
        );
    }

    #[test]
    fn rls_policies_and_bypass_role() {
        let catalog = catalog(
            "tenancy { root orgs  column org  setting \"app.org\"  bypass admin }\n\
             table orgs {\n  id  bigserial primary\n}\ntenant table docs {\n  id  int primary\n}\n",
        );
        let docs = table(&catalog, "docs");
        assert!(docs.rls_enabled && docs.rls_forced);
        assert_eq!(docs.columns[1].ty, SqlType::scalar(BaseType::BigInt));
        assert!(!docs.columns[1].serial);
        let policy = &docs.policies[0];
        assert_eq!(policy.name, "tenant_isolation");
        assert!(policy.roles.is_empty());
        assert_eq!(
            policy.using.as_deref(),
            Some("org = NULLIF(current_setting('app.org', true), '')::bigint")
        );
        assert_eq!(policy.using, policy.with_check);
        assert_eq!(
            docs.columns[1].default.as_deref(),
            Some("NULLIF(current_setting('app.org', true), '')::bigint"),
            "a row inserted without the tenant column takes the session's tenant"
        );
        assert_eq!(docs.policies[1].name, "admin_bypass");
        assert_eq!(docs.policies[1].roles, ["admin"]);
        assert!(catalog.has_role("admin"));
        let orgs = table(&catalog, "orgs");
        assert_eq!(
            orgs.columns[0].default.as_deref(),
            Some("nextval('orgs_id_seq'::regclass)")
        );
        assert!(!orgs.rls_enabled);
        let tenancy = catalog.tenancy.as_ref().expect("tenancy");
        assert_eq!(tenancy.setting.as_deref(), Some("app.org"));
    }

    #[test]
    fn rls_off_keeps_columns_but_no_policies() {
        let catalog = catalog("tenancy { root t  rls off }\ntable t {\n  id  int primary\n}\ntenant table x {\n  id  int primary\n}\n");
        let x = table(&catalog, "x");
        assert!(!x.rls_enabled);
        assert!(x.policies.is_empty());
        assert_eq!(x.columns[1].name, "t_id");
        assert_eq!(
            catalog.tenancy.as_ref().and_then(|t| t.setting.as_deref()),
            Some("app.current_t_id")
        );
    }

    #[test]
    fn names_checks_serials_schemas_and_grants() {
        let catalog = catalog(
            "table app.items {\n  id  serial primary\n  price  int check (price > 0)\n  low  int\n  high  int\n  check (low < high)\n  check (low >= 0)\n  code  citext unique\n}\n\
             role reader\ngrant select, all on app.items to reader\n",
        );
        let items = catalog
            .table(&QualifiedName::new("app", "items"))
            .expect("table");
        let checks: Vec<&str> = items.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            checks,
            ["items_price_check", "items_check", "items_low_check"]
        );
        assert_eq!(
            items.columns[0].default.as_deref(),
            Some("nextval('app.items_id_seq'::regclass)")
        );
        assert_eq!(
            items.primary_key.as_ref().map(|k| k.name.as_str()),
            Some("items_pkey")
        );
        assert_eq!(items.uniques[0].name, "items_code_key");
        assert_eq!(items.grants.len(), 7);
        assert!(catalog.namespaces.contains("app"));
        assert!(catalog.extensions.contains("citext"));
    }

    #[test]
    fn index_options_names_and_virtual_columns_reach_the_catalog() {
        let catalog = catalog(
            "table t {\n  id  int\n  name  text\n  at  timestamptz?\n  h  text?\n  v  int? generated (id + 1) virtual\n\n  primary key t_primary (id)\n  unique (h) nulls not distinct\n  index (name gin_trgm_ops) using gin\n  index (at desc, id nulls first)\n  unique index (lower(name) text_pattern_ops) include (at)\n}\n",
        );
        let t = table(&catalog, "t");
        assert_eq!(
            t.primary_key.as_ref().map(|k| k.name.as_str()),
            Some("t_primary")
        );
        assert!(t.uniques[0].nulls_not_distinct);
        assert!(t.column("v").is_some_and(|c| c.generated_virtual));
        let trgm = &t.indexes[0];
        assert_eq!(trgm.name, "t_name_idx");
        assert_eq!(trgm.keys, [IndexKey::Column("name".into())]);
        assert_eq!(
            trgm.options.keys[0].opclass.as_deref(),
            Some("gin_trgm_ops")
        );
        let order = &t.indexes[1].options.keys;
        assert!(order[0].descending && order[0].nulls_first);
        assert!(!order[1].descending && order[1].nulls_first);
        let covering = &t.indexes[2];
        assert_eq!(covering.keys, [IndexKey::Expr("lower(name)".into())]);
        assert_eq!(covering.options.include, ["at"]);
        assert_eq!(
            crate::sql::ddl::create_index(&t.name, covering, false),
            "CREATE UNIQUE INDEX t_lower_at_idx ON public.t ((lower(name)) text_pattern_ops) INCLUDE (at)"
        );
    }

    #[test]
    fn generated_names_avoid_explicit_ones() {
        let catalog = catalog("table t {\n  a  int\n  index t_a_idx (a)\n  index (a)\n}\n");
        let names: Vec<&str> = table(&catalog, "t")
            .indexes
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        assert_eq!(names, ["t_a_idx", "t_a_idx1"]);
    }
}
