//! Partitions of a partitioned table: add (a new partition) and drop (destructive).
//!
//! Locks (ONLINE-SAFETY.md; https://www.postgresql.org/docs/current/sql-altertable.html):
//! `CREATE TABLE ... PARTITION OF` takes ACCESS EXCLUSIVE on the parent, and scans the default
//! partition under it; `ATTACH PARTITION` takes only SHARE UPDATE EXCLUSIVE on the parent (PG12+).
//! So a partition of a parent that holds rows is made as a plain table `LIKE` the parent and
//! attached. A default partition with rows would still be scanned by the attach (under ACCESS
//! EXCLUSIVE on it): a CHECK that excludes the new bound is added `NOT VALID` and validated first
//! (SHARE UPDATE EXCLUSIVE), which lets the attach skip the scan, and is dropped afterwards.
//! Dropping detaches first, `CONCURRENTLY` where PostgreSQL allows it (no default partition).

use super::{phase, Context, Planned};
use crate::catalog::{names, Index};
use crate::catalog::{Partition, PartitionBound, Partitioning, QualifiedName};
use crate::diagnostics::{codes, Diagnostic};
use crate::plan::deliberate::Deliberate;
use crate::plan::hazards::Hazard;
use crate::plan::step::{Action, LockLevel, Resource, Step, StepKind};
use crate::sql::{ddl, ident, qualified};

/// The partition is the step's target: `schema.parent.partition`.
fn target(table: &QualifiedName, partition: &Partition) -> String {
    super::target(table, &partition.name.name)
}

/// Made once the old partition of the same name is gone (a bound that changed).
fn gone(table: &QualifiedName, partition: &Partition) -> Resource {
    Resource::Object(table.clone(), format!("{} dropped", partition.name.name))
}

fn partitioning<'a>(ctx: &Context<'a>, table: &QualifiedName) -> Option<&'a Partitioning> {
    ctx.catalogs.desired.table(table)?.partitioning.as_ref()
}

/// The current partitions of the parent (named as in the schema).
fn current_partitions<'a>(ctx: &Context<'a>, table: &QualifiedName) -> &'a [Partition] {
    let current = super::current_table_name(ctx.catalogs, table);
    ctx.catalogs
        .current
        .table(&current)
        .and_then(|t| t.partitioning.as_ref())
        .and_then(|p| p.partitions.as_deref())
        .unwrap_or_default()
}

/// A partition of a partitioned table the database lacks.
pub fn add_partition(
    ctx: &Context,
    table: &QualifiedName,
    partition: &Partition,
    planned: &mut Planned,
) {
    let name = &partition.name;
    let exists = ctx
        .catalogs
        .current
        .table(&super::current_table_name(ctx.catalogs, table))
        .is_some();
    let mut needs = vec![Resource::Table(table.clone()), gone(table, partition)];
    needs.extend(super::create::namespace(name));
    let provides = [Resource::Object(table.clone(), name.name.clone())];
    if !exists || !ctx.has_rows(table) {
        // An empty parent: the brief ACCESS EXCLUSIVE of PARTITION OF blocks nothing for long.
        planned.steps.push(
            Step::sql(
                StepKind::CreatePartition,
                target(table, partition),
                phase::TABLES,
                vec![format!(
                    "CREATE TABLE {} PARTITION OF {} {}",
                    qualified(name),
                    qualified(table),
                    partition.bound.sql()
                )],
            )
            .on_table(table)
            .lock(LockLevel::AccessExclusiveInstant)
            .needs(needs)
            .provides(provides),
        );
        return;
    }
    let default = current_partitions(ctx, table)
        .iter()
        .find(|p| p.bound == PartitionBound::Default && p.name != *name);
    let check = default
        .filter(|d| ctx.facts.has_rows(&d.name))
        .and_then(|d| {
            let expr = exclusion(partitioning(ctx, table)?, &partition.bound)?;
            Some((d, expr))
        });
    let check_name =
        super::not_null::own_name(table, &name.name, crate::own_names::ColumnObject::Bound);
    let prepared = Resource::Object(table.clone(), format!("{} prepared", name.name));
    let mut create = vec![format!(
        "CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED)",
        qualified(name),
        qualified(table)
    )];
    if let Some((default, expr)) = &check {
        create.push(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({expr}) NOT VALID",
            qualified(&default.name),
            ident(&check_name)
        ));
    }
    planned.steps.push(
        Step::sql(
            StepKind::CreateTable,
            name.to_string(),
            phase::TABLES,
            create,
        )
        .on_table(table)
        .lock(if check.is_some() {
            LockLevel::AccessExclusiveInstant
        } else {
            LockLevel::None
        })
        .needs(needs)
        .provides([prepared.clone()]),
    );
    let mut attach_needs = vec![prepared];
    let mut attach = vec![format!(
        "ALTER TABLE {} ATTACH PARTITION {} {}",
        qualified(table),
        qualified(name),
        partition.bound.sql()
    )];
    if let Some((default, _)) = &check {
        let validated = Resource::Object(table.clone(), format!("{} validated", name.name));
        planned.steps.push(
            Step::sql(
                StepKind::ValidateConstraint,
                super::target(&default.name, &check_name),
                phase::TABLES,
                vec![format!(
                    "ALTER TABLE {} VALIDATE CONSTRAINT {}",
                    qualified(&default.name),
                    ident(&check_name)
                )],
            )
            .on_table(table)
            .lock(LockLevel::ShareUpdateExclusive)
            .needs(attach_needs.clone())
            .provides([validated.clone()]),
        );
        attach_needs.push(validated);
        attach.push(format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            qualified(&default.name),
            ident(&check_name)
        ));
    } else if default.is_some() {
        // An empty default partition is scanned in no time; one whose bound cannot be written
        // as a CHECK (a multi-column range) is scanned under the attach's lock.
        if default.is_some_and(|d| ctx.facts.has_rows(&d.name)) {
            planned.notes.push(format!(
                "attaching partition `{}` scans the default partition of `{}` while it holds \
                 ACCESS EXCLUSIVE on it",
                name.name, table.name
            ));
        }
    }
    // The statements after the attach drop schemac's own check from the default partition.
    let own_checks = 1..attach.len();
    planned.steps.push(
        Step::sql(
            StepKind::AttachPartition,
            target(table, partition),
            phase::TABLES,
            attach,
        )
        .breaking_each(own_checks, Deliberate::DropsOwnBoundCheck)
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .needs(attach_needs)
        .provides(provides),
    );
}

/// `NOT (<partition constraint>)` for a bound over one plain column: the form PostgreSQL's
/// `ATTACH PARTITION` recognises as proof that the default partition holds none of its rows.
fn exclusion(partitioning: &Partitioning, bound: &PartitionBound) -> Option<String> {
    Some(format!("NOT ({})", partitioning.constraint(bound)?))
}

/// A partition whose bound changed keeps its rows: a CHECK of the new bound is added `NOT VALID`
/// to it and validated (SHARE UPDATE EXCLUSIVE; rows outside the new bound stop the plan there,
/// before anything moved), and likewise a CHECK excluding the new bound on a default partition
/// that has rows; then, in one brief transaction, the partition is detached and attached with
/// the new bound (the attach finds the checks and scans nothing) and the checks are dropped.
pub fn rebound(
    ctx: &Context,
    table: &QualifiedName,
    current: &Partition,
    desired: &Partition,
    planned: &mut Planned,
) {
    let Some(partitioning) = partitioning(ctx, table) else {
        return;
    };
    let (Some(new_constraint), Some(new_exclusion)) = (
        partitioning.constraint(&desired.bound),
        exclusion(partitioning, &desired.bound),
    ) else {
        return;
    };
    let name = &current.name;
    let parent = super::current_table_name(ctx.catalogs, table);
    let check_name =
        super::not_null::own_name(table, &name.name, crate::own_names::ColumnObject::Bound);
    let mut checks = vec![(name.clone(), check_name.clone(), new_constraint)];
    if let Some(default) = current_partitions(ctx, table)
        .iter()
        .find(|p| p.bound == PartitionBound::Default && ctx.facts.has_rows(&p.name))
    {
        checks.push((
            default.name.clone(),
            super::not_null::own_name(
                table,
                &default.name.name,
                crate::own_names::ColumnObject::Bound,
            ),
            new_exclusion,
        ));
    }
    let mut validated = Vec::new();
    for (on, check, expr) in &checks {
        let added = Resource::Object(table.clone(), format!("{check} added"));
        planned.steps.push(
            Step::sql(
                StepKind::AddCheckNotValid,
                super::target(on, check),
                phase::TABLES,
                vec![format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({expr}) NOT VALID",
                    qualified(on),
                    ident(check)
                )],
            )
            .on_table(table)
            .lock(LockLevel::AccessExclusiveInstant)
            .provides([added.clone()]),
        );
        let done = Resource::Object(table.clone(), format!("{check} validated"));
        planned.steps.push(
            Step::sql(
                StepKind::ValidateConstraint,
                super::target(on, check),
                phase::TABLES,
                vec![format!(
                    "ALTER TABLE {} VALIDATE CONSTRAINT {}",
                    qualified(on),
                    ident(check)
                )],
            )
            .on_table(table)
            .lock(LockLevel::ShareUpdateExclusive)
            .needs([added])
            .provides([done.clone()]),
        );
        validated.push(done);
    }
    let mut statements = vec![
        format!(
            "ALTER TABLE {} DETACH PARTITION {}",
            qualified(&parent),
            qualified(name)
        ),
        format!(
            "ALTER TABLE {} ATTACH PARTITION {} {}",
            qualified(&parent),
            qualified(name),
            desired.bound.sql()
        ),
    ];
    statements.extend(checks.iter().map(|(on, check, _)| {
        format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            qualified(on),
            ident(check)
        )
    }));
    // Detach and attach, then drop schemac's own checks.
    let own_checks = 2..statements.len();
    planned.steps.push(
        Step::sql(
            StepKind::AttachPartition,
            target(table, desired),
            phase::TABLES,
            statements,
        )
        .breaking(0, Deliberate::DetachesInTransaction)
        .breaking_each(own_checks, Deliberate::DropsOwnBoundCheck)
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .needs(validated)
        .provides([Resource::Object(table.clone(), name.name.clone())]),
    );
}

/// A partition the schema does not declare, or whose bound changed (destructive).
pub fn drop_partition(
    ctx: &Context,
    table: &QualifiedName,
    partition: &Partition,
    planned: &mut Planned,
) {
    let name = &partition.name;
    let parent = super::current_table_name(ctx.catalogs, table);
    // DETACH ... CONCURRENTLY (PG14+) is refused while the parent has a default partition, and
    // cannot detach the default partition itself.
    let has_default = current_partitions(ctx, table)
        .iter()
        .any(|p| p.bound == PartitionBound::Default);
    let detached = Resource::Object(table.clone(), format!("{} detached", name.name));
    let detach = format!(
        "ALTER TABLE {} DETACH PARTITION {}{}",
        qualified(&parent),
        qualified(name),
        if has_default { "" } else { " CONCURRENTLY" }
    );
    let step = Step::sql(
        StepKind::DropPartition,
        format!("{} detach", target(table, partition)),
        phase::DROP_TABLES,
        vec![detach],
    )
    .breaking(
        0,
        if has_default {
            Deliberate::DetachesInTransaction
        } else {
            Deliberate::DetachesConcurrently
        },
    )
    .on_table(table)
    .provides([detached.clone()]);
    planned.steps.push(if has_default {
        step.lock(LockLevel::AccessExclusiveInstant)
    } else {
        step.lock(LockLevel::ShareUpdateExclusive)
            .outside_transaction()
    });
    let mut drop = Step::sql(
        StepKind::DropTable,
        name.to_string(),
        phase::DROP_TABLES,
        vec![ddl::drop_table(name)],
    )
    .breaking(0, Deliberate::DropsTable)
    .on_table(table)
    .lock(LockLevel::AccessExclusiveInstant)
    .destructive()
    .hazard(Hazard::deletes_data(&format!(
        "partition `{}` of `{}`",
        name.name, table.name
    )))
    .needs([detached])
    .provides([gone(table, partition)]);
    if ctx.facts.has_rows(name) {
        drop.hazards.push(Hazard::deletes_data(&format!(
            "the rows of partition `{}`",
            name.name
        )));
    }
    planned.steps.push(drop);
}

/// Changing how a table is partitioned (or whether it is) rewrites it into a new table; schemac
/// does not guess how the rows move.
pub fn repartition_refused(ctx: &Context, table: &QualifiedName) -> Diagnostic {
    let origin = ctx.catalogs.desired.table(table).and_then(|t| t.origin);
    Diagnostic::error(
        codes::PLAN_REPARTITION,
        format!(
            "table `{}` would change how it is partitioned, which PostgreSQL cannot do in place",
            table.name
        ),
    )
    .with_optional_label(origin, "this table")
    .with_help(format!(
        "create a new table with the partitioning you want, move the rows, and rename it to \
         `{}` (`renamed from`)",
        table.name
    ))
}

/// Whether the table (named as in the schema) is partitioned in the database now.
pub fn is_partitioned(ctx: &Context, table: &QualifiedName) -> bool {
    let current = super::current_table_name(ctx.catalogs, table);
    ctx.catalogs
        .current
        .table(&current)
        .is_some_and(|t| t.partitioning.is_some())
}

/// An index on a partitioned table that holds rows, built without blocking writes: PostgreSQL
/// refuses `CONCURRENTLY` on a partitioned table, and a plain `CREATE INDEX` on it builds every
/// partition's index under SHARE locks. So the parent's index is made `ON ONLY` the parent (no
/// build, left invalid), each partition's index is built `CONCURRENTLY`, and each is attached with
/// `ALTER INDEX ... ATTACH PARTITION` (brief); the parent's index is valid once all are attached.
/// https://www.postgresql.org/docs/current/ddl-partitioning.html#DDL-PARTITIONING-DECLARATIVE-MAINTENANCE
pub fn create_index(
    ctx: &Context,
    table: &QualifiedName,
    index: &Index,
    provides: Vec<Resource>,
    planned: &mut Planned,
) {
    let parent_index = QualifiedName::new(table.schema.clone(), index.name.clone());
    let only = ddl::create_index(table, index, false).replacen(
        &format!(" ON {}", qualified(table)),
        &format!(" ON ONLY {}", qualified(table)),
        1,
    );
    let made = Resource::Object(table.clone(), format!("{} on only", index.name));
    let columns: Vec<Resource> = names::index_column_names(&index.keys)
        .into_iter()
        .filter(|c| {
            ctx.catalogs
                .desired
                .table(table)
                .is_some_and(|t| t.column(c).is_some())
        })
        .map(|c| Resource::Column(table.clone(), c))
        .collect();
    planned.steps.push(
        Step::sql(
            StepKind::CreateIndex,
            super::target(table, &index.name),
            phase::KEYS,
            vec![only],
        )
        .breaking(0, Deliberate::IndexOnPartitionedParent)
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .needs(columns)
        .needs([Resource::Table(table.clone())])
        .provides([made.clone()]),
    );
    let mut attached = Vec::new();
    let mut built_all = Vec::new();
    for partition in current_partitions(ctx, table) {
        let name = &partition.name;
        // The name PostgreSQL gives the index it creates on a partition (ChooseIndexName).
        let index_name = names::make_object_name(
            &name.name,
            Some(&names::name_addition(&names::index_column_names(
                &index.keys,
            ))),
            Some(if index.unique { "key" } else { "idx" }),
        );
        let mut on_partition = index.clone();
        on_partition.name = index_name.clone();
        let built = Resource::Object(table.clone(), format!("{} on {}", index.name, name.name));
        planned.steps.push(
            Step::new(
                StepKind::CreateIndexConcurrently,
                super::target(name, &index_name),
                phase::KEYS,
                Action::ConcurrentIndex {
                    index: QualifiedName::new(name.schema.clone(), index_name.clone()),
                    sql: ddl::create_index(name, &on_partition, true),
                },
            )
            .on_table(table)
            .outside_transaction()
            .lock(LockLevel::ShareUpdateExclusive)
            .hazard(Hazard::long_validation(&name.name))
            .needs([made.clone(), gone(table, partition)])
            .provides([built.clone()]),
        );
        attached.push(format!(
            "ALTER INDEX {} ATTACH PARTITION {}",
            qualified(&parent_index),
            qualified(&QualifiedName::new(name.schema.clone(), index_name))
        ));
        built_all.push(built);
    }
    if attached.is_empty() {
        // No partition yet: the parent's `ON ONLY` index is already valid.
        if let Some(step) = planned.steps.last_mut() {
            step.provides.extend(provides);
        }
        return;
    }
    planned.steps.push(
        Step::sql(
            StepKind::AttachIndex,
            super::target(table, &format!("{} attach", index.name)),
            phase::KEYS,
            attached,
        )
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .needs(built_all)
        .needs([made])
        .provides(provides),
    );
}

/// The unique index of a new primary key or unique constraint on each partition of a populated
/// partitioned table, built `CONCURRENTLY` (`ADD CONSTRAINT ... USING INDEX` is refused on a
/// partitioned table), then made each partition's own constraint `USING INDEX` (the statements
/// returned, run just before the parent's `ADD CONSTRAINT`): the parent's constraint then adopts
/// the partitions' constraints instead of building new indexes, so it holds its ACCESS EXCLUSIVE
/// lock only briefly (a plain index is not adopted: PostgreSQL builds a second one). Returns what
/// that step needs and the statements; both empty when the table has no partitions yet.
pub fn build_key_indexes(
    ctx: &Context,
    table: &QualifiedName,
    (name, primary): (&str, bool),
    columns: &[String],
    needs: &[Resource],
    planned: &mut Planned,
) -> (Vec<Resource>, Vec<String>) {
    let mut built = Vec::new();
    let mut statements = Vec::new();
    for partition in current_partitions(ctx, table) {
        let partition_name = &partition.name;
        let index_name = names::make_object_name(
            &partition_name.name,
            Some(&names::name_addition(columns)),
            Some("key"),
        );
        let index = Index {
            name: index_name.clone(),
            unique: true,
            method: "btree".into(),
            keys: columns
                .iter()
                .cloned()
                .map(crate::catalog::IndexKey::Column)
                .collect(),
            predicate: None,
            origin: None,
            options: Default::default(),
        };
        let resource =
            Resource::Object(table.clone(), format!("{name} on {}", partition_name.name));
        let (constraint, kind) = if primary {
            (
                names::make_object_name(&partition_name.name, None, Some("pkey")),
                "PRIMARY KEY",
            )
        } else {
            (index_name.clone(), "UNIQUE")
        };
        statements.push(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {kind} USING INDEX {}",
            qualified(partition_name),
            ident(&constraint),
            ident(&index_name)
        ));
        planned.steps.push(
            Step::new(
                StepKind::CreateIndexConcurrently,
                super::target(partition_name, &index_name),
                phase::KEYS,
                Action::ConcurrentIndex {
                    index: QualifiedName::new(partition_name.schema.clone(), index_name),
                    sql: ddl::create_index(partition_name, &index, true),
                },
            )
            .on_table(table)
            .outside_transaction()
            .lock(LockLevel::ShareUpdateExclusive)
            .hazard(Hazard::long_validation(&partition_name.name))
            .needs(needs.iter().cloned())
            .provides([resource.clone()]),
        );
        built.push(resource);
    }
    (built, statements)
}
