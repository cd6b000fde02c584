//! Model → Catalog: the schema as PostgreSQL would show it after creating it. Every default is
//! applied here and only here: constraint and index names (`names.rs`), `serial` sequences, the
//! tenancy's tenant column key, composite foreign keys, parent uniques, tenant indexes and
//! row-level security policies, grant expansion, extensions and namespaces.
//! Pure and deterministic: tables and enums in model order, constraints in a stable order.

use std::collections::{BTreeMap, BTreeSet};

use super::names::{self, Namespace};
use super::*;
use crate::model::{self, Model, TableId};

/// Lowers a resolved model (one without errors) to a `Catalog`.
pub fn lower(model: &Model) -> Catalog {
    let mut catalog = Catalog::default();
    let mut namespaces: BTreeMap<String, Namespace> = BTreeMap::new();

    for item in &model.enums {
        note_schema(&mut catalog, &item.name.schema);
        catalog.enums.push(EnumType {
            name: item.name.clone(),
            values: item.values.clone(),
            comment: item.doc.clone(),
            renamed_from: item.renamed_from.clone(),
            origin: Some(item.span),
        });
    }

    // Every table name is taken before any constraint or index is named.
    for table in &model.tables {
        namespaces
            .entry(table.name.schema.clone())
            .or_default()
            .reserve_relation(&table.name.name);
    }
    // Explicit names too: generated names avoid them, as they would in a database that has them.
    for table in &model.tables {
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
    }

    let tenancy = model.tenancy.as_ref();
    let mut tables: Vec<Draft> = model
        .tables
        .iter()
        .map(|t| draft(model, t, &mut catalog))
        .collect();

    if let Some(tenancy) = tenancy {
        apply_tenancy(model, tenancy, &mut tables);
        let setting = tenancy
            .setting
            .clone()
            .unwrap_or_else(|| format!("app.current_{}", tenancy.column));
        catalog.tenancy = Some(Tenancy {
            root: model.table(tenancy.root).name.clone(),
            column: tenancy.column.clone(),
            key_type: tenancy.key_type.clone(),
            setting: Some(setting.clone()),
            bypass: tenancy.bypass.clone(),
            rls: tenancy.rls,
        });
        if tenancy.rls {
            for (draft, table) in tables.iter_mut().zip(&model.tables) {
                if table.kind == TableKind::Tenant {
                    add_tenancy_policies(&mut draft.table, tenancy, &setting, table.span);
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

    for role in &model.roles {
        if !catalog.has_role(&role.name) {
            catalog.roles.push(Role {
                name: role.name.clone(),
                origin: Some(role.span),
            });
        }
    }

    // Grants: one entry per table, role and privilege, sorted and without repeats.
    let mut grants: Vec<BTreeSet<Grant>> = vec![BTreeSet::new(); tables.len()];
    for grant in &model.grants {
        for table in &grant.tables {
            for role in &grant.roles {
                for privilege in &grant.privileges {
                    grants[table.0 as usize].insert(Grant {
                        role: role.clone(),
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
    catalog
}

/// A table being lowered: the catalog table with empty names where PostgreSQL will choose them.
struct Draft {
    table: Table,
}

fn note_schema(catalog: &mut Catalog, schema: &str) {
    if schema != "public" {
        catalog.namespaces.insert(schema.to_string());
    }
}

/// The table as written: columns, keys, checks, indexes, foreign keys and policies.
fn draft(model: &Model, source: &model::Table, catalog: &mut Catalog) -> Draft {
    note_schema(catalog, &source.name.schema);
    let mut table = Table::new(source.name.clone());
    table.kind = source.kind;
    table.comment = source.doc.clone();
    table.renamed_from = source.renamed_from.clone();
    table.origin = Some(source.span);
    for column in &source.columns {
        if column.ty.base == BaseType::Citext {
            catalog.extensions.insert("citext".to_string());
        }
        table.columns.push(Column {
            name: column.name.clone(),
            ty: column.ty.clone(),
            nullable: column.nullable,
            default: column.default.clone(),
            serial: column.serial,
            generated: column.generated.clone(),
            comment: column.doc.clone(),
            renamed_from: column.renamed_from.clone(),
            using: column.using.clone(),
            backfill: column.backfill.as_ref().map(|b| match b {
                model::Backfill::FromForeignKey { fk_column, span } => Backfill::FromForeignKey {
                    fk_column: fk_column.clone(),
                    origin: Some(*span),
                },
                model::Backfill::Expr { expr, span } => Backfill::Expr {
                    expr: expr.clone(),
                    origin: Some(*span),
                },
            }),
            origin: Some(column.span),
        });
    }
    table.primary_key = source.primary_key.as_ref().map(|key| PrimaryKey {
        name: String::new(),
        columns: key.columns.clone(),
        origin: Some(key.span),
    });
    table.uniques = source
        .uniques
        .iter()
        .map(|key| UniqueConstraint {
            name: key.name.clone().unwrap_or_default(),
            columns: key.columns.clone(),
            origin: Some(key.span),
        })
        .collect();
    table.checks = source
        .checks
        .iter()
        .map(|check| CheckConstraint {
            name: check.name.clone().unwrap_or_default(),
            expr: check.expr.clone(),
            origin: Some(check.span),
        })
        .collect();
    table.indexes = source
        .indexes
        .iter()
        .map(|index| Index {
            name: index.name.clone().unwrap_or_default(),
            unique: false,
            method: index.method.clone().unwrap_or_else(|| "btree".to_string()),
            keys: index.keys.clone(),
            predicate: index.predicate.clone(),
            origin: Some(index.span),
        })
        .collect();
    table.foreign_keys = source
        .foreign_keys
        .iter()
        .map(|fk| ForeignKey {
            name: String::new(),
            columns: fk.columns.clone(),
            referenced_table: model.table(fk.referenced_table).name.clone(),
            referenced_columns: fk.referenced_columns.clone(),
            on_delete: fk.on_delete,
            on_delete_columns: Vec::new(),
            on_update: fk.on_update,
            origin: Some(fk.span),
        })
        .collect();
    if let Some(forced) = source.row_level_security {
        table.rls_enabled = true;
        table.rls_forced = forced;
    }
    table.policies = source
        .policies
        .iter()
        .map(|policy| {
            let mut roles = policy.roles.clone();
            roles.sort();
            roles.dedup();
            Policy {
                name: policy.name.clone(),
                command: policy.command,
                roles,
                using: policy.using.clone(),
                with_check: policy.with_check.clone(),
                origin: Some(policy.span),
            }
        })
        .collect();
    Draft { table }
}

/// A unique key a tenant parent needs for composite foreign keys: its columns and origin.
type ParentUnique = (Vec<String>, Option<crate::source::Span>);

/// Tenant tables: the key to the root, composite keys between tenant tables (with the unique key
/// they need on the parent), and an index on the tenant column.
fn apply_tenancy(model: &Model, tenancy: &model::Tenancy, tables: &mut [Draft]) {
    let column = tenancy.column.as_str();
    let root = model.table(tenancy.root);
    let root_key = root
        .primary_key
        .as_ref()
        .map(|k| k.columns.clone())
        .unwrap_or_default();
    // Parent uniques to add, per parent table, in the order first needed.
    let mut parent_uniques: BTreeMap<TableId, Vec<ParentUnique>> = BTreeMap::new();

    for (index, source) in model.tables.iter().enumerate() {
        if source.kind != TableKind::Tenant {
            continue;
        }
        let draft = &mut tables[index].table;
        for (fk, model_fk) in draft.foreign_keys.iter_mut().zip(&source.foreign_keys) {
            let parent = model.table(model_fk.referenced_table);
            if parent.kind != TableKind::Tenant {
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
            let has_key = |key: &[String]| {
                key.iter().collect::<BTreeSet<_>>()
                    == fk.referenced_columns.iter().collect::<BTreeSet<_>>()
            };
            let parent_has = parent
                .primary_key
                .as_ref()
                .is_some_and(|k| has_key(&k.columns))
                || parent.uniques.iter().any(|k| has_key(&k.columns));
            if !parent_has {
                let wanted = parent_uniques.entry(model_fk.referenced_table).or_default();
                if !wanted.iter().any(|(k, _)| has_key(k)) {
                    wanted.push((fk.referenced_columns.clone(), fk.origin));
                }
            }
        }
        // The key to the root comes first, unless the schema wrote it.
        let written = draft
            .foreign_keys
            .iter()
            .any(|fk| fk.columns == [column.to_string()] && fk.referenced_table == root.name);
        if !written {
            draft.foreign_keys.insert(
                0,
                ForeignKey {
                    name: String::new(),
                    columns: vec![column.to_string()],
                    referenced_table: root.name.clone(),
                    referenced_columns: root_key.clone(),
                    on_delete: FkAction::Cascade,
                    on_delete_columns: Vec::new(),
                    on_update: FkAction::NoAction,
                    origin: source.tenant_column().map(|c| c.span),
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
                origin,
            });
        }
    }

    // An index on the tenant column, unless an index or key already leads with it.
    for (index, source) in model.tables.iter().enumerate() {
        if source.kind != TableKind::Tenant {
            continue;
        }
        let table = &mut tables[index].table;
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
                    origin: source.tenant_column().map(|c| c.span),
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
        "{} = current_setting({}, true)::{}",
        crate::sql::ident(&tenancy.column),
        crate::sql::literal(setting),
        tenancy.key_type.sql()
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
    let column_names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    for column in &mut table.columns {
        if column.serial {
            let sequence =
                namespace.choose_relation_name(&table_name, Some(&column.name), "seq", false);
            let qualified = if table.name.schema == "public" {
                crate::sql::ident(&sequence)
            } else {
                crate::sql::qualified(&QualifiedName::new(table.name.schema.clone(), sequence))
            };
            column.default = Some(format!(
                "nextval({}::regclass)",
                crate::sql::literal(&qualified)
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
        key.name = namespace.choose_relation_name(&table_name, None, "pkey", true);
    }
    for unique in &mut table.uniques {
        if unique.name.is_empty() {
            let addition = names::name_addition(&unique.columns);
            unique.name = namespace.choose_relation_name(&table_name, Some(&addition), "key", true);
        }
    }
    for fk in &mut table.foreign_keys {
        let addition = names::name_addition(&fk.columns);
        fk.name = namespace.choose_constraint_name(&table_name, Some(&addition), "fkey");
    }
    for index in &mut table.indexes {
        if index.name.is_empty() {
            let addition = names::name_addition(&names::index_column_names(&index.keys));
            index.name = namespace.choose_relation_name(&table_name, Some(&addition), "idx", false);
        }
    }
}
