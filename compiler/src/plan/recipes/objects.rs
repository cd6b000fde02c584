//! Keys, checks, foreign keys and indexes: added online on tables with rows (indexes built
//! `CONCURRENTLY`, constraints added `NOT VALID` then validated), dropped, renamed.

use super::create::example_key;
use super::{phase, target, Context, Planned};
use crate::catalog::{ForeignKey, Index, IndexKey, QualifiedName};
use crate::diff::TableObject;
use crate::plan::deliberate::Deliberate;
use crate::plan::hazards::Hazard;
use crate::plan::step::{Action, LockLevel, Resource, Step, StepKind};
use crate::plan::Preflight;
use crate::sql::{self, ddl};

/// A constraint or index the schema no longer has.
pub fn drop_object(
    ctx: &Context,
    table: &QualifiedName,
    object: &TableObject,
    planned: &mut Planned,
) {
    // Dropped and added again under the same name (its definition changed): the add does
    // both, so the table is never without it (`add_object`).
    if readded(ctx, table, object) {
        return;
    }
    let mut step = drop(ctx, table, object);
    let dependents = foreign_keys_on_key(ctx, table, object);
    readd_foreign_keys_around(&dependents, &mut step);
    planned.steps.push(step);
    validate_readded(table, object.name(), &dependents, planned);
}

/// Foreign keys tied to a key that `step` drops (`foreign_keys_on_key`) are dropped before it and
/// added back after the step's own statements, `NOT VALID`, in the same transaction: against the
/// key that replaces it, which the plan builds first.
fn readd_foreign_keys_around(dependents: &[(QualifiedName, ForeignKey)], step: &mut Step) {
    for (child, fk) in dependents.iter().rev() {
        step.prepend(
            ddl::drop_constraint(child, &fk.name),
            Some(Deliberate::DropsForeignKeyOfReplacedKey),
        );
    }
    for (child, fk) in dependents {
        step.push_statement(ddl::add_foreign_key(child, fk, true));
        step.needs.push(Resource::Table(child.clone()));
        // The key it is added against again, where the plan builds one.
        step.needs.push(Resource::Key(
            fk.referenced_table.clone(),
            fk.referenced_columns.clone(),
        ));
    }
}

/// A validation step for each foreign key added back `NOT VALID`, after the step that did it.
fn validate_readded(
    table: &QualifiedName,
    key: &str,
    dependents: &[(QualifiedName, ForeignKey)],
    planned: &mut Planned,
) {
    for (child, fk) in dependents {
        validate_object(child, &TableObject::ForeignKey(fk.clone()), planned);
        if let Some(validate) = planned.steps.last_mut() {
            validate.needs.push(name_free(table, key));
            validate
                .needs
                .push(Resource::Object(table.clone(), key.to_string()));
        }
    }
}

/// Added NOT VALID by a run that stopped before validating it: finish the job.
pub fn validate_object(table: &QualifiedName, object: &TableObject, planned: &mut Planned) {
    planned.steps.push(
        Step::sql(
            StepKind::ValidateConstraint,
            target(table, object.name()),
            phase::FOREIGN_KEYS,
            vec![ddl::validate_constraint(table, object.name())],
        )
        .on_table(table)
        .lock(LockLevel::ShareUpdateExclusive)
        .hazard(Hazard::long_validation(&table.name))
        .needs([Resource::Table(table.clone())])
        .provides([Resource::Object(table.clone(), object.name().to_string())]),
    );
}

/// `ALTER INDEX ... RENAME` or `ALTER TABLE ... RENAME CONSTRAINT`.
pub fn rename_object(
    table: &QualifiedName,
    object: &TableObject,
    from: &str,
    planned: &mut Planned,
) {
    let to = object.name();
    let statement = if object.is_index() {
        ddl::rename_index(&QualifiedName::new(table.schema.clone(), from), to)
    } else {
        ddl::rename_constraint(table, from, to)
    };
    let kind = if object.is_index() {
        StepKind::RenameIndex
    } else {
        StepKind::RenameConstraint
    };
    planned.steps.push(
        Step::sql(kind, target(table, to), phase::RENAME, vec![statement])
            .breaking(0, Deliberate::RenamesObject)
            .on_table(table)
            .lock(LockLevel::AccessExclusiveInstant)
            .needs([Resource::Table(table.clone())])
            .provides([Resource::Object(table.clone(), to.to_string())]),
    );
}

fn column_needs(table: &QualifiedName, columns: &[String]) -> Vec<Resource> {
    let mut needs = vec![Resource::Table(table.clone())];
    needs.extend(
        columns
            .iter()
            .map(|c| Resource::Column(table.clone(), c.clone())),
    );
    needs
}

/// The name is free: an object of the same name that the plan drops is gone. Nothing provides it
/// when no such drop exists.
fn name_free(table: &QualifiedName, name: &str) -> Resource {
    Resource::Object(table.clone(), format!("free {name}"))
}

/// A constraint or index the table lacks, or one whose definition changed (dropped and added here,
/// so the table is never without it).
pub fn add_object(
    ctx: &Context,
    table: &QualifiedName,
    object: &TableObject,
    planned: &mut Planned,
) {
    let rows = ctx.has_rows(table);
    let name = object.name().to_string();
    let first = planned.steps.len();
    let provides = vec![Resource::Object(table.clone(), name.clone())];
    let old = replaced(ctx, table, object);
    if let (Some(old), TableObject::Index(index)) = (old, object) {
        return replace_index(ctx, table, old, index, planned);
    }
    // While the old key still holds its index's name, the new key's index is built under another.
    let index_name = match old {
        Some(_) if rows => temporary_name(&name),
        _ => name.clone(),
    };
    match object {
        TableObject::PrimaryKey(pk) => {
            duplicates_preflight(ctx, table, &pk.columns, false, &name, planned);
            add_key(
                ctx,
                table,
                &name,
                &index_name,
                &pk.columns,
                KeyKind::Primary,
                planned,
            );
        }
        TableObject::Unique(unique) => {
            duplicates_preflight(
                ctx,
                table,
                &unique.columns,
                unique.nulls_not_distinct,
                &name,
                planned,
            );
            add_key(
                ctx,
                table,
                &name,
                &index_name,
                &unique.columns,
                KeyKind::Unique {
                    nulls_not_distinct: unique.nulls_not_distinct,
                },
                planned,
            );
        }
        TableObject::Check(check) => {
            let needs = vec![Resource::Table(table.clone())];
            if rows {
                // The preflight reads the table as the database has it now: it cannot name a
                // column this plan adds or renames (`VALIDATE` then stops on the first bad row).
                let current = ctx.catalogs.current.table(table).filter(|current| {
                    ctx.catalogs.desired.table(table).is_some_and(|desired| {
                        desired.columns.iter().all(|c| {
                            current.column(&c.name).is_some()
                                || !crate::diff::expr::names_column(&check.expr, &c.name)
                        })
                    })
                });
                if let Some(current) = current {
                    let named: Vec<&str> = current
                        .columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .filter(|c| crate::diff::expr::names_column(&check.expr, c))
                        .collect();
                    let example = super::create::example_with_values(current, &named);
                    let condition = format!("NOT ({})", check.expr);
                    planned.preflight.push(Preflight {
                        target: target(table, &name),
                        sql: format!(
                            "SELECT count(*), min({example}) FROM {} WHERE {condition}",
                            sql::qualified(&current.name)
                        ),
                        message: format!("rows of `{}` violate the new check `{name}`", table.name),
                        help: Some("fix those rows first, or change the check".to_string()),
                        per_row: Some(super::create::per_row_sql(current, &condition, &example)),
                    });
                }
                not_valid_then_validate(
                    table,
                    &name,
                    ddl::add_check(table, check, true),
                    needs,
                    provides,
                    StepKind::AddCheck,
                    phase::KEYS,
                    planned,
                );
            } else {
                planned.steps.push(
                    Step::sql(
                        StepKind::AddCheck,
                        target(table, &name),
                        phase::KEYS,
                        vec![ddl::add_check(table, check, false)],
                    )
                    .breaking(0, Deliberate::CheckWithoutRows)
                    .on_table(table)
                    .lock(LockLevel::AccessExclusiveInstant)
                    .needs(needs)
                    .provides(provides),
                );
            }
        }
        TableObject::ForeignKey(fk) => add_foreign_key(ctx, table, fk, planned),
        TableObject::Index(index) => {
            if index.unique {
                let columns: Vec<String> = index
                    .keys
                    .iter()
                    .filter_map(|k| match k {
                        IndexKey::Column(c) => Some(c.clone()),
                        IndexKey::Expr(_) => None,
                    })
                    .collect();
                if columns.len() == index.keys.len() && index.predicate.is_none() {
                    duplicates_preflight(
                        ctx,
                        table,
                        &columns,
                        index.options.nulls_not_distinct,
                        &name,
                        planned,
                    );
                }
            }
            if rows && super::partitions::is_partitioned(ctx, table) {
                super::partitions::create_index(ctx, table, index, provides, planned);
            } else {
                planned
                    .steps
                    .push(create_index(table, index, rows).provides(provides));
            }
        }
    }
    for step in &mut planned.steps[first..] {
        step.needs.push(name_free(table, &name));
    }
    if let Some(old) = old {
        let dependents = foreign_keys_on_key(ctx, table, old);
        drop_in_the_adding_step(table, old, &dependents, &mut planned.steps[first..]);
        validate_readded(table, &name, &dependents, planned);
    }
}

/// The foreign keys of the database that reference the columns of `old`, a primary key, unique
/// constraint or unique index the plan drops or replaces, and that the plan keeps as they are: PostgreSQL ties a foreign key
/// to the index of the key it was created against, and refuses to drop that key while the foreign
/// key exists. (A foreign key the plan drops or changes is dropped by its own step first.)
fn foreign_keys_on_key(
    ctx: &Context,
    table: &QualifiedName,
    old: &TableObject,
) -> Vec<(QualifiedName, ForeignKey)> {
    let columns: Vec<&str> = match old {
        TableObject::PrimaryKey(_) | TableObject::Unique(_) => old.columns(),
        TableObject::Index(index)
            if index.unique
                && index.predicate.is_none()
                && index.keys.iter().all(|k| matches!(k, IndexKey::Column(_))) =>
        {
            old.columns()
        }
        _ => return Vec::new(),
    };
    let current_name = super::current_table_name(ctx.catalogs, table);
    let same_columns = |referenced: &[String]| {
        referenced.len() == columns.len()
            && referenced.iter().all(|c| columns.contains(&c.as_str()))
    };
    let dropped = |child: &QualifiedName, name: &str| !ctx.dropped(child, name).is_empty();
    let mut found = Vec::new();
    for child in &ctx.catalogs.current.tables {
        for fk in &child.foreign_keys {
            if fk.referenced_table == current_name
                && same_columns(&fk.referenced_columns)
                && !dropped(&child.name, &fk.name)
            {
                found.push((child.name.clone(), fk.clone()));
            }
        }
    }
    found
}

/// The object of the same name and kind that the plan drops while adding `object`: its definition
/// changed, so the object is replaced, not removed.
fn replaced<'a>(
    ctx: &'a Context,
    table: &QualifiedName,
    object: &TableObject,
) -> Option<&'a TableObject> {
    ctx.dropped(table, object.name())
        .iter()
        .copied()
        .find(|old| same_kind(old, object))
}

/// Whether a dropped object is added again under its name by the same plan.
fn readded(ctx: &Context, table: &QualifiedName, old: &TableObject) -> bool {
    ctx.added(table, old.name())
        .iter()
        .any(|object| same_kind(old, object))
}

fn same_kind(a: &TableObject, b: &TableObject) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// Where a replacement is built while the old object still holds the name.
fn temporary_name(name: &str) -> String {
    crate::own_names::temporary(name)
}

/// A constraint replaced in place: the step that adds the new one drops the old one first, in the
/// same transaction, so the table is never without it (`DROP CONSTRAINT` is instant). Nothing is
/// lost, so the step is not destructive.
/// Foreign keys tied to the old key (`dependents`) are dropped before it and added again after the
/// new one, `NOT VALID` (validated by a step of their own), in the same transaction.
fn drop_in_the_adding_step(
    table: &QualifiedName,
    old: &TableObject,
    dependents: &[(QualifiedName, ForeignKey)],
    steps: &mut [Step],
) {
    let adding = steps.iter_mut().find(|step| {
        matches!(
            step.kind,
            StepKind::AddPrimaryKey
                | StepKind::AddUnique
                | StepKind::AddCheck
                | StepKind::AddForeignKey
        )
    });
    let Some(step) = adding else {
        return;
    };
    step.prepend(
        ddl::drop_constraint(table, old.name()),
        Some(Deliberate::DropsConstraint),
    );
    readd_foreign_keys_around(dependents, step);
    step.lock = LockLevel::AccessExclusiveInstant;
    let released = drop_bookkeeping(table, old, Step::sql(step.kind, "", 0, Vec::new()));
    step.removes.extend(released.removes);
    step.releases.extend(released.releases);
}

/// An index whose definition changed. On a table with rows the new one is built concurrently under
/// a temporary name, the old one dropped concurrently, and the new one renamed: queries keep an
/// index throughout and writes never wait. On an empty table: drop and create, in one transaction.
fn replace_index(
    ctx: &Context,
    table: &QualifiedName,
    old: &TableObject,
    index: &Index,
    planned: &mut Planned,
) {
    let name = &index.name;
    let index_name = QualifiedName::new(table.schema.clone(), name.clone());
    let done = Resource::Object(table.clone(), name.clone());
    if !ctx.has_rows(table) {
        let mut step = create_index(table, index, false);
        step.prepend(ddl::drop_index(&index_name, false), None);
        step.lock = LockLevel::AccessExclusiveInstant;
        planned.steps.push(drop_bookkeeping(table, old, step));
        return;
    }
    let temporary = temporary_name(name);
    let mut new = index.clone();
    new.name = temporary.clone();
    let built = Resource::Object(table.clone(), format!("index {temporary}"));
    let old_gone = Resource::Object(table.clone(), format!("dropped {name}"));
    let mut build = create_index(table, &new, true);
    build.target = target(table, name);
    build.provides = vec![built.clone()];
    planned.steps.push(build);
    let drop_old = Step::sql(
        StepKind::DropIndex,
        target(table, name),
        phase::KEYS,
        vec![ddl::drop_index(&index_name, true)],
    )
    .on_table(table)
    .outside_transaction()
    .lock(LockLevel::ShareUpdateExclusive)
    .needs([built.clone()])
    .provides([old_gone.clone()]);
    planned.steps.push(drop_bookkeeping(table, old, drop_old));
    let mut provides = vec![done];
    if let Some(key) = build_key(table, index) {
        provides.push(key);
    }
    planned.steps.push(
        Step::sql(
            StepKind::RenameIndex,
            target(table, name),
            phase::KEYS,
            vec![ddl::rename_index(
                &QualifiedName::new(table.schema.clone(), temporary),
                name,
            )],
        )
        .breaking(0, Deliberate::RenamesObject)
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .needs([built, old_gone])
        .provides(provides),
    );
}

/// The key a unique index over plain columns gives (what a foreign key can reference).
fn build_key(table: &QualifiedName, index: &Index) -> Option<Resource> {
    let columns: Vec<String> = index
        .keys
        .iter()
        .filter_map(|k| match k {
            IndexKey::Column(c) => Some(c.clone()),
            IndexKey::Expr(_) => None,
        })
        .collect();
    (index.unique && index.predicate.is_none() && columns.len() == index.keys.len())
        .then(|| Resource::Key(table.clone(), columns))
}

/// `CREATE INDEX`, concurrently when the table holds rows (writes continue during the build).
pub fn create_index(table: &QualifiedName, index: &Index, concurrently: bool) -> Step {
    let columns: Vec<String> = index
        .keys
        .iter()
        .filter_map(|k| match k {
            IndexKey::Column(c) => Some(c.clone()),
            IndexKey::Expr(_) => None,
        })
        .collect();
    let needs = column_needs(table, &columns);
    let index_name = QualifiedName::new(table.schema.clone(), index.name.clone());
    let mut provides = vec![Resource::Object(table.clone(), index.name.clone())];
    if index.unique && index.predicate.is_none() && columns.len() == index.keys.len() {
        provides.push(Resource::Key(table.clone(), columns.clone()));
    }
    if concurrently {
        Step::new(
            StepKind::CreateIndexConcurrently,
            target(table, &index.name),
            phase::KEYS,
            Action::ConcurrentIndex {
                index: index_name,
                sql: ddl::create_index(table, index, true),
            },
        )
        .on_table(table)
        .outside_transaction()
        .lock(LockLevel::ShareUpdateExclusive)
        .hazard(Hazard::long_validation(&table.name))
        .needs(needs)
        .provides(provides)
    } else {
        Step::sql(
            StepKind::CreateIndex,
            target(table, &index.name),
            phase::KEYS,
            vec![ddl::create_index(table, index, false)],
        )
        .breaking(0, Deliberate::IndexWithoutRows)
        .on_table(table)
        .lock(LockLevel::ShareForScan)
        .needs(needs)
        .provides(provides)
    }
}

/// Which key `add_key` adds.
#[derive(Clone, Copy)]
enum KeyKind {
    Primary,
    Unique { nulls_not_distinct: bool },
}

/// A primary key or unique constraint. On a table with rows its index is built concurrently first
/// and then attached (`USING INDEX`, an instant catalog change).
fn add_key(
    ctx: &Context,
    table: &QualifiedName,
    name: &str,
    index_name: &str,
    columns: &[String],
    key: KeyKind,
    planned: &mut Planned,
) {
    let primary = matches!(key, KeyKind::Primary);
    let nulls_not_distinct = matches!(
        key,
        KeyKind::Unique {
            nulls_not_distinct: true
        }
    );
    let rows = ctx.has_rows(table);
    let needs = column_needs(table, columns);
    let provides = vec![
        Resource::Object(table.clone(), name.to_string()),
        Resource::Key(table.clone(), columns.to_vec()),
    ];
    let kind = if primary {
        StepKind::AddPrimaryKey
    } else {
        StepKind::AddUnique
    };
    // On a partitioned table with rows, each partition's unique index is built concurrently
    // first; the constraint added to the parent then adopts them instead of building its own.
    let (built, adopted) = if rows && super::partitions::is_partitioned(ctx, table) {
        super::partitions::build_key_indexes(ctx, table, (name, primary), columns, &needs, planned)
    } else {
        (Vec::new(), Vec::new())
    };
    if !rows || !built.is_empty() {
        let statement = if primary {
            ddl::add_primary_key(
                table,
                &crate::catalog::PrimaryKey {
                    name: name.to_string(),
                    columns: columns.to_vec(),
                    origin: None,
                },
            )
        } else {
            ddl::add_unique(
                table,
                &crate::catalog::UniqueConstraint {
                    name: name.to_string(),
                    columns: columns.to_vec(),
                    nulls_not_distinct,
                    origin: None,
                },
            )
        };
        // Without rows there is nothing to scan; on a partitioned table the parent's constraint
        // adopts the partitions' own, built concurrently.
        let why = if built.is_empty() {
            Deliberate::KeyWithoutRows
        } else {
            Deliberate::KeyAdoptsPartitions
        };
        let statements: Vec<String> = adopted.into_iter().chain([statement]).collect();
        let last = statements.len().saturating_sub(1);
        planned.steps.push(
            Step::sql(kind, target(table, name), phase::KEYS, statements)
                .breaking(last, why)
                .on_table(table)
                .lock(LockLevel::AccessExclusiveInstant)
                .needs(needs)
                .needs(built)
                .provides(provides),
        );
        return;
    }
    let index = Index {
        name: index_name.to_string(),
        unique: true,
        method: "btree".into(),
        keys: columns.iter().cloned().map(IndexKey::Column).collect(),
        predicate: None,
        options: crate::catalog::IndexOptions::new(Vec::new(), Vec::new(), nulls_not_distinct),
        origin: None,
    };
    let build = create_index(table, &index, true).needs(needs.clone());
    let mut build = build;
    build.provides.clear();
    build
        .provides
        .push(Resource::Object(table.clone(), format!("index {name}")));
    build.target = target(table, name);
    // Attaching the index renames it to the constraint's name.
    let attach = if primary {
        ddl::add_primary_key_using_index(table, name, index_name)
    } else {
        ddl::add_unique_using_index(table, name, index_name)
    };
    planned.steps.push(build);
    planned.steps.push(
        Step::sql(kind, target(table, name), phase::KEYS, vec![attach])
            .on_table(table)
            .lock(LockLevel::AccessExclusiveInstant)
            .needs(needs)
            .needs([Resource::Object(table.clone(), format!("index {name}"))])
            .provides(provides),
    );
}

/// Rows that share a key would make the unique index build fail (and leave it INVALID).
/// With `nulls_not_distinct`, rows that are NULL alike collide too.
fn duplicates_preflight(
    ctx: &Context,
    table: &QualifiedName,
    columns: &[String],
    nulls_not_distinct: bool,
    name: &str,
    planned: &mut Planned,
) {
    if !ctx.has_rows(table) {
        return;
    }
    let Some(current) = ctx.catalogs.current.table(table) else {
        return;
    };
    if columns.iter().any(|c| current.column(c).is_none()) {
        return;
    }
    let list: Vec<String> = columns.iter().map(|c| sql::ident(c)).collect();
    let key = super::create::example_key(current);
    let mut values = Vec::new();
    for (i, (column, ident)) in columns.iter().zip(&list).enumerate() {
        let lead = if i == 0 { " with " } else { ", " };
        values.push(sql::literal(&format!("{lead}`{column}` = ")));
        values.push(format!("quote_nullable({ident}::text)"));
    }
    planned.preflight.push(Preflight {
        target: target(table, name),
        sql: format!(
            "SELECT coalesce(sum(n), 0)::bigint, min(e) FROM (SELECT count(*) AS n, concat(max({key}), {}, ', like key ', min({key})) AS e FROM {} WHERE {} GROUP BY {} HAVING count(*) > 1) d",
            values.join(", "),
            sql::qualified(table),
            if nulls_not_distinct {
                "true".to_string()
            } else {
                list.iter().map(|c| format!("{c} IS NOT NULL")).collect::<Vec<_>>().join(" AND ")
            },
            list.join(", ")
        ),
        message: format!("rows of `{}` share values of ({}), so `{name}` cannot be built", table.name, columns.join(", ")),
        help: Some(format!("make ({}) different in those rows of `{}`, or delete the duplicates, first", columns.join(", "), table.name)),
        per_row: None,
    });
}

#[allow(clippy::too_many_arguments)]
fn not_valid_then_validate(
    table: &QualifiedName,
    name: &str,
    add_statement: String,
    needs: Vec<Resource>,
    provides: Vec<Resource>,
    kind: StepKind,
    phase: u8,
    planned: &mut Planned,
) {
    let added = Resource::Object(table.clone(), format!("not valid {name}"));
    planned.steps.push(
        Step::sql(kind, target(table, name), phase, vec![add_statement])
            .on_table(table)
            .lock(if kind == StepKind::AddForeignKey {
                LockLevel::ShareRowExclusiveInstant
            } else {
                LockLevel::AccessExclusiveInstant
            })
            .hazard(Hazard::new_constraint_on_rows(&table.name, name))
            .needs(needs)
            .provides([added.clone()]),
    );
    planned.steps.push(
        Step::sql(
            StepKind::ValidateConstraint,
            target(table, name),
            phase,
            vec![ddl::validate_constraint(table, name)],
        )
        .on_table(table)
        .lock(LockLevel::ShareUpdateExclusive)
        .hazard(Hazard::long_validation(&table.name))
        .needs([added])
        .provides(provides),
    );
}

fn add_foreign_key(ctx: &Context, table: &QualifiedName, fk: &ForeignKey, planned: &mut Planned) {
    let mut needs = column_needs(table, &fk.columns);
    needs.push(Resource::Table(fk.referenced_table.clone()));
    needs.push(Resource::Key(
        fk.referenced_table.clone(),
        fk.referenced_columns.clone(),
    ));
    needs.extend(
        fk.referenced_columns
            .iter()
            .map(|c| Resource::Column(fk.referenced_table.clone(), c.clone())),
    );
    let provides = vec![Resource::Object(table.clone(), fk.name.clone())];
    if !ctx.has_rows(table) {
        planned.steps.push(
            Step::sql(
                StepKind::AddForeignKey,
                target(table, &fk.name),
                phase::FOREIGN_KEYS,
                vec![ddl::add_foreign_key(table, fk, false)],
            )
            .breaking(0, Deliberate::ForeignKeyWithoutRows)
            .on_table(table)
            .lock(LockLevel::ShareRowExclusiveInstant)
            .needs(needs)
            .provides(provides),
        );
        return;
    }
    orphans_preflight(ctx, table, fk, planned);
    cross_tenant_preflight(ctx, table, fk, planned);
    // PostgreSQL refuses `NOT VALID` for a foreign key on a partitioned table (ONLINE-SAFETY.md,
    // recipe B): it is added validated, which scans every partition under SHARE ROW EXCLUSIVE.
    if super::partitions::is_partitioned(ctx, table) {
        planned.steps.push(
            Step::sql(
                StepKind::AddForeignKey,
                target(table, &fk.name),
                phase::FOREIGN_KEYS,
                vec![ddl::add_foreign_key(table, fk, false)],
            )
            .breaking(0, Deliberate::ForeignKeyOnPartitionedTable)
            .on_table(table)
            .lock(LockLevel::ShareForScan)
            .hazard(Hazard::blocks_writes(&table.name))
            .needs(needs)
            .provides(provides),
        );
        return;
    }
    not_valid_then_validate(
        table,
        &fk.name,
        ddl::add_foreign_key(table, fk, true),
        needs,
        provides,
        StepKind::AddForeignKey,
        phase::FOREIGN_KEYS,
        planned,
    );
}

/// Rows whose key points at no parent row would make the validation fail. Checked only when every
/// column exists in the database already (columns added by this plan are checked by the backfill).
fn orphans_preflight(ctx: &Context, table: &QualifiedName, fk: &ForeignKey, planned: &mut Planned) {
    let current = ctx.catalogs.current;
    let (Some(child), Some(parent)) = (current.table(table), current.table(&fk.referenced_table))
    else {
        return;
    };
    // A same-tenant key `(account_id, col)`: a row whose `col` points at another tenant's row is
    // reported (with both tenant values) by `cross_tenant_preflight`; here only rows whose `col`
    // points at no row at all.
    if fk.columns.iter().any(|c| child.column(c).is_none())
        || fk
            .referenced_columns
            .iter()
            .any(|c| parent.column(c).is_none())
    {
        return;
    }
    let tenant = ctx.catalogs.desired.tenancy.as_ref().map(|t| &t.column);
    let pairs: Vec<(&String, &String)> = fk
        .columns
        .iter()
        .zip(&fk.referenced_columns)
        .filter(|(c, p)| fk.columns.len() == 1 || Some(*c) != tenant || Some(*p) != tenant)
        .collect();
    let not_null: Vec<String> = pairs
        .iter()
        .map(|(c, _)| format!("c.{} IS NOT NULL", sql::ident(c)))
        .collect();
    let join: Vec<String> = pairs
        .iter()
        .map(|(c, p)| format!("p.{} = c.{}", sql::ident(p), sql::ident(c)))
        .collect();
    let key = example_key(child).replace("ctid", "c.ctid");
    let key = if child.primary_key.is_some() {
        child
            .primary_key
            .iter()
            .flat_map(|pk| pk.columns.iter())
            .fold(key, |k, col| {
                k.replace(
                    &format!("{}::text", sql::ident(col)),
                    &format!("c.{}::text", sql::ident(col)),
                )
            })
    } else {
        key
    };
    let mut example = vec![key];
    for (i, (column, _)) in pairs.iter().enumerate() {
        let lead = if i == 0 { " with " } else { ", " };
        example.push(sql::literal(&format!("{lead}`{column}` = ")));
        example.push(format!("quote_nullable(c.{}::text)", sql::ident(column)));
    }
    let key = format!("concat({})", example.join(", "));
    planned.preflight.push(Preflight {
        target: target(table, &fk.name),
        sql: format!(
            "SELECT count(*), min({key}) FROM {} c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})",
            sql::qualified(table),
            not_null.join(" AND "),
            sql::qualified(&fk.referenced_table),
            join.join(" AND ")
        ),
        message: format!(
            "rows of `{}` reference rows of `{}` that do not exist, so `{}` cannot be validated",
            table.name, fk.referenced_table.name, fk.name
        ),
        help: Some("delete those rows or point them at existing rows first".to_string()),
        per_row: None,
    });
}

/// Whether a dropped object is replaced by an added object of the same kind that covers its columns
/// (a foreign key made composite for tenancy): then nothing is lost.
fn replaced_by(ctx: &Context, table: &QualifiedName, object: &TableObject) -> Option<String> {
    let TableObject::ForeignKey(old) = object else {
        return None;
    };
    // The schema's own keys, whether this plan adds them or an interrupted run already did.
    ctx.catalogs
        .desired
        .table(table)?
        .foreign_keys
        .iter()
        .find(|new| {
            new.referenced_table == old.referenced_table
                && new.columns.len() >= old.columns.len()
                && old.columns.iter().all(|c| new.columns.contains(c))
        })
        .map(|new| new.name.clone())
}

/// The indexes and unique constraints the schema gives the table under names the database does not
/// use yet: a dropped index or key goes after they are built, so queries keep an index and writes
/// a uniqueness check meanwhile (expand, then contract). Not a primary key: a table has one at a
/// time, so the old one goes first.
fn replacements(ctx: &Context, table: &QualifiedName, object: &TableObject) -> Vec<Resource> {
    let indexing = matches!(
        object,
        TableObject::Index(_) | TableObject::Unique(_) | TableObject::PrimaryKey(_)
    );
    let (true, Some(desired), Some(current)) = (
        indexing,
        ctx.catalogs.desired.table(table),
        ctx.catalogs
            .current
            .table(&super::current_table_name(ctx.catalogs, table)),
    ) else {
        return Vec::new();
    };
    let taken = |name: &str| {
        current.indexes.iter().any(|i| i.name == name)
            || current.uniques.iter().any(|u| u.name == name)
            || current
                .primary_key
                .as_ref()
                .is_some_and(|pk| pk.name == name)
    };
    desired
        .indexes
        .iter()
        .map(|i| &i.name)
        .chain(desired.uniques.iter().map(|u| &u.name))
        .filter(|name| !taken(name))
        .map(|name| Resource::Object(table.clone(), name.clone()))
        .collect()
}

/// What a step that drops `object` waits for and frees: it needs the table; it releases the columns
/// (and a foreign key its referenced key) so that their drops wait for it; it removes the key a
/// primary key or unique constraint gives, after every foreign key that references it is gone.
fn drop_bookkeeping(table: &QualifiedName, object: &TableObject, step: Step) -> Step {
    let columns: Vec<Resource> = object
        .columns()
        .into_iter()
        .map(|c| Resource::Column(table.clone(), c.to_string()))
        .collect();
    let step = step
        .needs([Resource::Table(table.clone())])
        .releases(columns);
    match object {
        TableObject::ForeignKey(fk) => step.releases([
            Resource::Table(fk.referenced_table.clone()),
            Resource::Key(fk.referenced_table.clone(), fk.referenced_columns.clone()),
        ]),
        TableObject::PrimaryKey(pk) => {
            step.removes([Resource::Key(table.clone(), pk.columns.clone())])
        }
        TableObject::Unique(unique) => {
            step.removes([Resource::Key(table.clone(), unique.columns.clone())])
        }
        TableObject::Index(index) if index.unique => {
            let columns: Vec<String> = object.columns().iter().map(|c| c.to_string()).collect();
            step.removes([Resource::Key(table.clone(), columns)])
        }
        _ => step,
    }
}

fn drop(ctx: &Context, table: &QualifiedName, object: &TableObject) -> Step {
    let name = object.name();
    let step = match object {
        TableObject::Index(_) => {
            let index = QualifiedName::new(table.schema.clone(), name.to_string());
            if ctx.has_rows(table) {
                Step::sql(
                    StepKind::DropIndex,
                    target(table, name),
                    phase::DETACH,
                    vec![ddl::drop_index(&index, true)],
                )
                .outside_transaction()
                .lock(LockLevel::ShareUpdateExclusive)
            } else {
                Step::sql(
                    StepKind::DropIndex,
                    target(table, name),
                    phase::DETACH,
                    vec![ddl::drop_index(&index, false)],
                )
                .lock(LockLevel::AccessExclusiveInstant)
            }
        }
        _ => Step::sql(
            StepKind::DropConstraint,
            target(table, name),
            phase::DETACH,
            vec![ddl::drop_constraint(table, name)],
        )
        .breaking(0, Deliberate::DropsConstraint)
        .lock(LockLevel::AccessExclusiveInstant),
    }
    .on_table(table)
    .provides([name_free(table, name)])
    .prefers_after(replacements(ctx, table, object));
    let step = drop_bookkeeping(table, object, step);
    match replaced_by(ctx, table, object) {
        // Same name: the old key must go first, and the new one follows at once.
        Some(new_name) if new_name == name => step,
        // Keep the old key until the new one is in force, so the reference is never unchecked.
        Some(new_name) => step.needs([Resource::Object(table.clone(), new_name)]),
        // An INVALID index (left by a failed concurrent build) serves no query: dropping it loses
        // nothing.
        None if object.is_index()
            && ctx
                .catalogs
                .current
                .table(&super::current_table_name(ctx.catalogs, table))
                .is_some_and(|t| t.not_valid.contains(name)) =>
        {
            step
        }
        // Every drop is destructive (LANGUAGE.md, Items): the schema no longer says it exists.
        None if matches!(object, TableObject::Index(index) if index.unique) => step
            .destructive()
            .hazard(Hazard::removes_uniqueness("index", name)),
        None if matches!(object, TableObject::Unique(_)) => step
            .destructive()
            .hazard(Hazard::removes_uniqueness("constraint", name)),
        // A primary key is a uniqueness guarantee too (and what foreign keys may rely on).
        None if matches!(object, TableObject::PrimaryKey(_)) => step
            .destructive()
            .hazard(Hazard::removes_uniqueness("primary key", name)),
        None if matches!(object, TableObject::Index(_)) => {
            step.destructive().hazard(Hazard::drops_index(name))
        }
        None => step.destructive().hazard(Hazard::drops_constraint(name)),
    }
}

/// A same-tenant key `(account_id, col) → parent (account_id, id)` whose tenant column the plan
/// fills: rows pointing at another tenant's parent would make its validation fail half-way, so they
/// are counted first, comparing the values the backfill will give both sides.
fn cross_tenant_preflight(
    ctx: &Context,
    table: &QualifiedName,
    fk: &ForeignKey,
    planned: &mut Planned,
) {
    let Some(tenancy) = &ctx.catalogs.desired.tenancy else {
        return;
    };
    let tenant = &tenancy.column;
    let current = ctx.catalogs.current;
    let (Some(child), Some(parent)) = (current.table(table), current.table(&fk.referenced_table))
    else {
        return;
    };
    let pairs: Vec<(&String, &String)> = fk
        .columns
        .iter()
        .zip(&fk.referenced_columns)
        .filter(|(c, _)| *c != tenant)
        .collect();
    if !fk.columns.contains(tenant) || pairs.is_empty() {
        return;
    }
    if pairs
        .iter()
        .any(|(c, p)| child.column(c).is_none() || parent.column(p).is_none())
    {
        return;
    }
    let Some((child_joins, child_value)) =
        super::not_null::value_after_backfill(ctx, table, tenant, "c")
    else {
        return;
    };
    let Some((parent_joins, parent_value)) =
        super::not_null::value_after_backfill(ctx, &fk.referenced_table, tenant, "p")
    else {
        return;
    };
    let join: Vec<String> = pairs
        .iter()
        .map(|(c, p)| format!("p0.{} = c0.{}", sql::ident(p), sql::ident(c)))
        .collect();
    let not_null: Vec<String> = pairs
        .iter()
        .map(|(c, _)| format!("c0.{} IS NOT NULL", sql::ident(c)))
        .collect();
    let key = child
        .primary_key
        .iter()
        .flat_map(|pk| pk.columns.iter())
        .fold(example_key(child).replace("ctid", "c0.ctid"), |k, col| {
            k.replace(
                &format!("{}::text", sql::ident(col)),
                &format!("c0.{}::text", sql::ident(col)),
            )
        });
    // A row without a value after the backfill is reported by the backfill's own check.
    let example = format!(
        "concat({key}, {}, {child_value}::text, {}, {parent_value}::text)",
        sql::literal(&format!(": `{tenant}` is ")),
        sql::literal(&format!(", its `{}` row's is ", fk.referenced_table.name)),
    );
    planned.preflight.push(Preflight {
        target: target(table, &fk.name),
        sql: format!(
            "SELECT count(*), min({example}) FROM {} c0{child_joins} JOIN {} p0 ON {}{parent_joins} WHERE {} AND {child_value} <> {parent_value}",
            sql::qualified(table),
            sql::qualified(&fk.referenced_table),
            join.join(" AND "),
            not_null.join(" AND ")
        ),
        message: format!(
            "rows of `{}` reference a row of `{}` that belongs to another tenant (its `{tenant}` differs from theirs), so `{}` cannot be validated",
            table.name, fk.referenced_table.name, fk.name
        ),
        help: Some(format!(
            "set `{tenant}` of those rows to their `{}` row's, point them at a `{}` row of their own tenant, or delete them",
            fk.referenced_table.name, fk.referenced_table.name
        )),
        per_row: None,
    });
}

#[cfg(test)]
mod tests {
    use crate::catalog::{
        BaseType, Catalog, CheckConstraint, Column, Index, IndexKey, PrimaryKey, QualifiedName,
        SqlType, Table,
    };
    use crate::diff::diff;
    use crate::pair::Pair;
    use crate::plan::{plan, Action, Facts, PlanOptions, Step, StepKind};

    fn table(objects: impl FnOnce(&mut Table)) -> Catalog {
        let mut table = Table::new(QualifiedName::public("t"));
        table.columns = ["id", "a", "b"]
            .iter()
            .map(|c| Column::new(*c, SqlType::scalar(BaseType::BigInt)))
            .collect();
        objects(&mut table);
        Catalog {
            tables: vec![table].into(),
            ..Catalog::default()
        }
    }

    fn steps(current: &Catalog, desired: &Catalog, rows: bool) -> Vec<Step> {
        let mut facts = Facts::default();
        if rows {
            facts.tables_with_rows.insert(QualifiedName::public("t"));
        }
        let catalogs = Pair::new(current, desired);
        plan(&diff(catalogs), catalogs, &facts, &PlanOptions::default())
            .expect("plans")
            .steps
    }

    fn sql(step: &Step) -> Vec<String> {
        match &step.action {
            Action::Sql(statements) => statements.clone(),
            Action::ConcurrentIndex { sql, .. } => vec![sql.clone()],
            other => panic!("unexpected action {other:?}"),
        }
    }

    fn summary(steps: &[Step]) -> Vec<(StepKind, bool, Vec<String>)> {
        steps
            .iter()
            .map(|s| (s.kind, s.destructive, sql(s)))
            .collect()
    }

    fn pk(columns: &[&str]) -> PrimaryKey {
        PrimaryKey {
            name: "t_pkey".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            origin: None,
        }
    }

    fn index(columns: &[&str]) -> Index {
        Index {
            options: Default::default(),
            name: "t_lookup".into(),
            unique: false,
            method: "btree".into(),
            keys: columns
                .iter()
                .map(|c| IndexKey::Column(c.to_string()))
                .collect(),
            predicate: None,
            origin: None,
        }
    }

    #[test]
    fn a_changed_check_is_replaced_in_one_transaction_not_dropped() {
        let check = |expr: &str| CheckConstraint {
            name: "t_a_check".into(),
            expr: expr.into(),
            origin: None,
        };
        let current = table(|t| t.checks.push(check("a > 0")));
        let desired = table(|t| t.checks.push(check("a > 1")));
        let steps = steps(&current, &desired, true);
        assert_eq!(
            summary(&steps),
            vec![
                (
                    StepKind::AddCheck,
                    false,
                    vec![
                        "ALTER TABLE public.t DROP CONSTRAINT t_a_check".to_string(),
                        "ALTER TABLE public.t ADD CONSTRAINT t_a_check CHECK (a > 1) NOT VALID"
                            .to_string()
                    ]
                ),
                (
                    StepKind::ValidateConstraint,
                    false,
                    vec!["ALTER TABLE public.t VALIDATE CONSTRAINT t_a_check".to_string()]
                ),
            ]
        );
    }

    #[test]
    fn a_changed_primary_key_is_built_aside_and_swapped_in_one_transaction() {
        let current = table(|t| t.primary_key = Some(pk(&["id"])));
        let desired = table(|t| t.primary_key = Some(pk(&["a", "b"])));
        let steps = steps(&current, &desired, true);
        assert_eq!(
            summary(&steps),
            vec![
                (
                    StepKind::CreateIndexConcurrently,
                    false,
                    vec!["CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS schemac_t_pkey ON public.t (a, b)"
                        .to_string()]
                ),
                (
                    StepKind::AddPrimaryKey,
                    false,
                    vec![
                        "ALTER TABLE public.t DROP CONSTRAINT t_pkey".to_string(),
                        "ALTER TABLE public.t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX schemac_t_pkey"
                            .to_string()
                    ]
                ),
            ]
        );
        // On an empty table: drop and add, in one step.
        let steps = super::tests::steps(&current, &desired, false);
        assert_eq!(steps.len(), 1);
        assert_eq!(sql(&steps[0]).len(), 2);
    }

    #[test]
    fn a_changed_index_is_built_aside_then_swapped_without_blocking_writes() {
        let current = table(|t| t.indexes.push(index(&["a"])));
        let desired = table(|t| t.indexes.push(index(&["a", "b"])));
        let steps = steps(&current, &desired, true);
        assert_eq!(
            summary(&steps),
            vec![
                (
                    StepKind::CreateIndexConcurrently,
                    false,
                    vec![
                        "CREATE INDEX CONCURRENTLY IF NOT EXISTS schemac_t_lookup ON public.t (a, b)".to_string()
                    ]
                ),
                (
                    StepKind::DropIndex,
                    false,
                    vec!["DROP INDEX CONCURRENTLY IF EXISTS public.t_lookup".to_string()]
                ),
                (
                    StepKind::RenameIndex,
                    false,
                    vec!["ALTER INDEX public.schemac_t_lookup RENAME TO t_lookup".to_string()]
                ),
            ]
        );
        assert!(!steps[1].transactional);
        let empty = super::tests::steps(&current, &desired, false);
        assert_eq!(
            summary(&empty),
            vec![(
                StepKind::CreateIndex,
                false,
                vec![
                    "DROP INDEX public.t_lookup".to_string(),
                    "CREATE INDEX t_lookup ON public.t (a, b)".to_string()
                ]
            )]
        );
    }

    #[test]
    fn a_constraint_the_schema_no_longer_has_is_still_a_destructive_drop() {
        let current = table(|t| t.indexes.push(index(&["a"])));
        let desired = table(|_| {});
        let steps = steps(&current, &desired, true);
        assert_eq!(steps.len(), 1);
        assert!(steps[0].destructive);
    }

    #[test]
    fn temporary_names_fit_postgres_identifiers() {
        let long = "x".repeat(63);
        assert_eq!(super::temporary_name(&long).len(), 63);
        assert!(super::temporary_name(&long).starts_with("schemac_"));
    }

    #[test]
    fn a_check_on_a_column_the_plan_adds_has_no_preflight() {
        let check = |column: &str| CheckConstraint {
            name: format!("t_{column}_check"),
            expr: format!("(\"{column}\" >= 0)"),
            origin: None,
        };
        let current = table(|_| {});
        let desired = table(|t| {
            let mut order = Column::new("order", SqlType::scalar(BaseType::Integer));
            order.nullable = true;
            t.columns.push(order);
            t.checks.push(check("order"));
        });
        let mut facts = Facts::default();
        facts.tables_with_rows.insert(QualifiedName::public("t"));
        let catalogs = Pair::new(&current, &desired);
        let planned =
            plan(&diff(catalogs), catalogs, &facts, &PlanOptions::default()).expect("plans");
        assert!(planned.preflight.is_empty(), "{:#?}", planned.preflight);
        // On a column the table has, rows that violate the check refuse the plan up front.
        let desired = table(|t| t.checks.push(check("a")));
        let catalogs = Pair::new(&current, &desired);
        let planned =
            plan(&diff(catalogs), catalogs, &facts, &PlanOptions::default()).expect("plans");
        assert_eq!(planned.preflight.len(), 1);
    }
}
