//! Online type change (ONLINE-SAFETY.md recipe E): a type change that would rewrite a table with
//! rows under ACCESS EXCLUSIVE (`int` → `bigint`, `timestamp` → `timestamptz`, a `using`
//! conversion) runs as expand/contract instead: a shadow column `schemac_new_<column>` → a trigger
//! keeping it in sync with every write → a batched backfill → verification that every row holds
//! the converted value → (NOT NULL through a validated check) → a swap in one brief transaction:
//! drop the trigger and the old column, rename the shadow, set the default.
//! A single-column primary key that no foreign key references is rebuilt on the copy: a unique
//! index built concurrently, attached `USING INDEX` in the swap.
//! In: the change and both catalogs. Out: the steps, or `false` when the column is more than that
//! (other keys, indexes, checks or policies read it; it owns a sequence): the caller then plans
//! the plain `ALTER TYPE`, listed as a rewrite.

use super::not_null::{batch_sql, own_name, Source};
use super::{phase, target, Context, Planned};
use crate::catalog::{Column, IndexKey, QualifiedName, SqlType};
use crate::own_names::{self, ColumnObject};
use crate::plan::hazards::Hazard;
use crate::plan::step::{Action, Backfill as BatchedBackfill, LockLevel, Resource, Step, StepKind};
use crate::sql::{self, ddl};

/// The shadow column's name.
fn shadow_name(column: &str) -> String {
    own_names::shadow_column(column)
}

/// Plans the online recipe; `false` when it does not apply (see the module comment).
#[allow(clippy::too_many_arguments)]
pub fn plan(
    ctx: &Context,
    table: &QualifiedName,
    column: &str,
    to: &SqlType,
    using: Option<&str>,
    provides: &[Resource],
    planned: &mut Planned,
) -> bool {
    let current_table_name = super::current_table_name(ctx.catalogs, table);
    let current_name = super::current_column_name(ctx.catalogs, table, column);
    let (Some(current), Some(desired)) = (
        ctx.catalogs.current.table(&current_table_name),
        ctx.catalogs.desired.table(table),
    ) else {
        return false;
    };
    let Some(desired_column) = desired.column(column) else {
        return false;
    };
    // Only a plain column, under its own name in an unrenamed table: keys, indexes, checks and
    // policies on it would have to be rebuilt on the shadow column too.
    let mentions = |text: &str| text.contains(column);
    // A serial column's sequence belongs to it and would go with the old column.
    let owns_sequence = current
        .column(column)
        .is_some_and(|c| c.serial || c.default.as_deref().is_some_and(|d| d.contains("nextval")));
    // A single-column primary key is rebuilt on the shadow column (a unique index built
    // concurrently, attached in the swap) when no foreign key references it.
    let key = current
        .primary_key
        .as_ref()
        .filter(|pk| pk.columns.iter().any(|c| c == column));
    let key_alone = key.is_none_or(|pk| {
        pk.columns == [column.to_string()]
            && desired
                .primary_key
                .as_ref()
                .is_some_and(|d| d.name == pk.name && d.columns == pk.columns)
    });
    let plain = current_name == column
        && !owns_sequence
        && key_alone
        && current_table_name == *table
        && desired_column.generated.is_none()
        && !current
            .uniques
            .iter()
            .any(|u| u.columns.iter().any(|c| c == column))
        && !current
            .foreign_keys
            .iter()
            .any(|fk| fk.columns.iter().any(|c| c == column))
        && !ctx.catalogs.current.tables.iter().any(|t| {
            t.foreign_keys.iter().any(|fk| {
                fk.referenced_table == current.name
                    && fk.referenced_columns.iter().any(|c| c == column)
            })
        })
        && !current.indexes.iter().any(|index| {
            index.keys.iter().any(|key| match key {
                IndexKey::Column(c) => c == column,
                IndexKey::Expr(expr) => mentions(expr),
            }) || index.predicate.as_deref().is_some_and(mentions)
        })
        && !current.checks.iter().any(|check| mentions(&check.expr))
        && !current.policies.iter().any(|policy| {
            policy.using.as_deref().is_some_and(mentions)
                || policy.with_check.as_deref().is_some_and(mentions)
        });
    if !plain {
        return false;
    }

    let shadow = shadow_name(column);
    let conversion = format!(
        "({})::{}",
        using.map_or_else(|| sql::ident(column), str::to_string),
        to.sql()
    );
    let function = QualifiedName::new(
        table.schema.clone(),
        own_name(table, column, ColumnObject::Sync),
    );
    let added = Resource::Object(table.clone(), format!("{shadow} added"));
    let synced = Resource::Object(table.clone(), format!("{shadow} synced"));
    let filled = Resource::Filled(table.clone(), shadow.clone());
    let verified = Resource::Object(table.clone(), format!("{shadow} verified"));
    let mut shadow_column = Column::new(&shadow, to.clone());
    shadow_column.nullable = true;

    planned.steps.push(
        Step::sql(
            StepKind::AddColumn,
            target(table, &shadow),
            phase::COLUMNS,
            vec![ddl::add_column(table, &shadow_column).replacen(
                " ADD COLUMN ",
                " ADD COLUMN IF NOT EXISTS ",
                1,
            )],
        )
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .needs([Resource::Table(table.clone())])
        .needs(super::create::type_needs(desired_column))
        .provides([added.clone()]),
    );
    // Every write from here on keeps the shadow column equal to the converted value; the row is
    // exposed under the table's name so `using` reads as it does in the schema.
    let body = format!(
        "\nBEGIN\n  NEW.{shadow_ident} := (SELECT {conversion} FROM (SELECT NEW.*) AS {table_ident});\n  RETURN NEW;\nEND\n",
        shadow_ident = sql::ident(&shadow),
        table_ident = sql::ident(&table.name),
    );
    planned.steps.push(
        Step::sql(
            StepKind::CreateSyncTrigger,
            target(table, column),
            phase::BACKFILL,
            vec![
                format!(
                    "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $schemac${body}$schemac$",
                    sql::qualified(&function)
                ),
                format!(
                    "CREATE OR REPLACE TRIGGER {} BEFORE INSERT OR UPDATE ON {} FOR EACH ROW EXECUTE FUNCTION {}()",
                    sql::ident(&function.name),
                    sql::qualified(table),
                    sql::qualified(&function)
                ),
            ],
        )
        .on_table(table)
        .lock(LockLevel::ShareRowExclusiveInstant)
        .needs([added.clone()])
        .provides([synced.clone()]),
    );
    planned.steps.push(
        Step::new(
            StepKind::Backfill,
            target(table, &shadow),
            phase::BACKFILL,
            Action::Backfill(BatchedBackfill {
                table: table.clone(),
                column: shadow.clone(),
                batch_sql: batch_sql(
                    current,
                    &shadow_column,
                    &Source::Expr(conversion.clone()),
                    ctx.options.batch_size,
                ),
                remaining_sql: format!(
                    "SELECT count(*) FROM {} WHERE {} IS NULL AND {} IS NOT NULL",
                    sql::qualified(table),
                    sql::ident(&shadow),
                    sql::ident(column)
                ),
            }),
        )
        .on_table(table)
        .outside_transaction()
        .lock(LockLevel::RowExclusive)
        .hazard(Hazard::backfills_rows(&table.name, &shadow))
        .needs([synced.clone()])
        .provides([filled.clone()]),
    );
    planned.steps.push(
        Step::new(
            StepKind::Verify,
            target(table, column),
            phase::BACKFILL,
            Action::Verify {
                sql: format!(
                    "SELECT count(*) FROM {} WHERE {} IS DISTINCT FROM {conversion}",
                    sql::qualified(table),
                    sql::ident(&shadow)
                ),
                message: format!(
                    "rows of `{}` hold a `{shadow}` that differs from `{column}` converted to {}",
                    table.name,
                    to.sql()
                ),
            },
        )
        .on_table(table)
        .lock(LockLevel::None)
        .needs([filled])
        .provides([verified.clone()]),
    );

    let mut swap = Vec::new();
    let mut swap_needs = vec![verified.clone()];
    let key_index = key.map(|pk| {
        let index = QualifiedName::new(
            table.schema.clone(),
            own_name(table, column, ColumnObject::Pkey),
        );
        let built = Resource::Object(table.clone(), format!("{} built", index.name));
        planned.steps.push(
            Step::new(
                StepKind::CreateIndexConcurrently,
                target(table, &index.name),
                phase::BACKFILL,
                Action::ConcurrentIndex {
                    index: index.clone(),
                    sql: format!(
                        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({})",
                        sql::ident(&index.name),
                        sql::qualified(table),
                        sql::ident(&shadow)
                    ),
                },
            )
            .on_table(table)
            .outside_transaction()
            .lock(LockLevel::ShareUpdateExclusive)
            .hazard(Hazard::long_validation(&table.name))
            .needs([verified.clone()])
            .provides([built.clone()]),
        );
        swap_needs.push(built);
        (pk.name.clone(), index.name)
    });
    if !desired_column.nullable {
        // NOT NULL on the shadow without a scan under ACCESS EXCLUSIVE: a validated check first.
        let check = own_name(table, &shadow, ColumnObject::NotNull);
        let check_added = Resource::Object(table.clone(), format!("{check} added"));
        let validated = Resource::Object(table.clone(), format!("{check} validated"));
        planned.steps.push(
            Step::sql(
                StepKind::AddCheckNotValid,
                target(table, &shadow),
                phase::BACKFILL,
                vec![format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID",
                    sql::qualified(table),
                    sql::ident(&check),
                    sql::ident(&shadow)
                )],
            )
            .on_table(table)
            .lock(LockLevel::AccessExclusiveInstant)
            .needs(swap_needs.clone())
            .provides([check_added.clone()]),
        );
        planned.steps.push(
            Step::sql(
                StepKind::ValidateConstraint,
                target(table, &shadow),
                phase::BACKFILL,
                vec![ddl::validate_constraint(table, &check)],
            )
            .on_table(table)
            .lock(LockLevel::ShareUpdateExclusive)
            .hazard(Hazard::long_validation(&table.name))
            .needs([check_added])
            .provides([validated.clone()]),
        );
        swap_needs.push(validated);
        swap.push(ddl::set_not_null(table, &shadow));
        swap.push(ddl::drop_constraint(table, &check));
    }
    // The swap: one brief ACCESS EXCLUSIVE transaction, no scan (the shadow is already complete).
    swap.insert(
        0,
        format!(
            "DROP TRIGGER IF EXISTS {} ON {}",
            sql::ident(&function.name),
            sql::qualified(table)
        ),
    );
    swap.insert(
        1,
        format!("DROP FUNCTION IF EXISTS {}()", sql::qualified(&function)),
    );
    if let Some((constraint, _)) = &key_index {
        swap.push(ddl::drop_constraint(table, constraint));
    }
    swap.push(ddl::drop_column(table, column));
    swap.push(ddl::rename_column(table, &shadow, column));
    // The unique index on the (now NOT NULL) column becomes the key, renamed to its name: no scan.
    if let Some((constraint, index)) = &key_index {
        swap.push(ddl::add_primary_key_using_index(table, constraint, index));
    }
    if let Some(default) = &desired_column.default {
        swap.push(ddl::set_default(table, column, default));
    }
    let mut step = Step::sql(
        StepKind::SwapColumn,
        target(table, column),
        phase::BACKFILL,
        swap,
    )
    .on_table(table)
    .lock(LockLevel::AccessExclusiveInstant)
    .hazard(Hazard::swaps_column(&table.name, column, &to.sql()))
    .needs(swap_needs)
    .provides(provides.iter().cloned());
    if let Some(current_column) = current.column(column) {
        step = step.releases(super::create::type_needs(current_column));
    }
    planned.steps.push(step);
    true
}
