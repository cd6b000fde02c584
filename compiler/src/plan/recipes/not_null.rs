//! A column becomes NOT NULL on a table with rows (a new tenant column is the common case):
//! add it nullable → fill trigger for rows written meanwhile → batched backfill by key ranges →
//! verify zero NULLs → `CHECK (col IS NOT NULL) NOT VALID` → `VALIDATE` → `SET NOT NULL` and drop
//! the check (separate statements, so the fast path holds) → drop the trigger at the end.
//! ONLINE-SAFETY.md 3A has the measurements behind each choice.

use super::columns::{add_column, is_volatile};
use super::create::example_key;
use super::{phase, target, Context, Planned};
use crate::catalog::backfill_path::{self, Hop, PathSearch};
use crate::catalog::{Backfill, Column, QualifiedName, Table};
use crate::diagnostics::{codes, Diagnostic};
use crate::own_names::{self, ColumnObject};
use crate::plan::deliberate::Deliberate;
use crate::plan::hazards::Hazard;
use crate::plan::step::{Action, Backfill as BatchedBackfill, LockLevel, Resource, Step, StepKind};
use crate::plan::Preflight;
use crate::sql::{self, ddl};

/// Where the existing rows' values come from.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Source {
    /// The parent's same-named column, through these foreign keys (the first hop's parent is
    /// filled before this table).
    Path(Vec<Hop>),
    /// An expression over the row.
    Expr(String),
    /// The column's own default, evaluated per row (`SET col = DEFAULT`).
    Default,
}

/// A NOT NULL column added to a table that holds rows.
pub fn plan_new_column(
    ctx: &Context,
    table: &QualifiedName,
    column: &Column,
    planned: &mut Planned,
) -> Result<(), Vec<Diagnostic>> {
    let source = match source(ctx, table, column)? {
        Some(source) => source,
        None => {
            // A non-volatile default is stored in the catalog: the add is instant and every existing
            // row reads it (PostgreSQL 11+).
            match backfill_default(column) {
                Some(default) if !is_volatile(default) => {
                    planned.steps.push(add_column(ctx, table, column));
                    return Ok(());
                }
                // A volatile default (`gen_random_uuid()`) is evaluated per row, in batches.
                Some(_) => Source::Default,
                None => return Err(vec![missing_source(table, column)]),
            }
        }
    };
    let mut nullable = column.clone();
    nullable.nullable = true;
    // A volatile default on ADD COLUMN rewrites the table; add the column bare, then set the default
    // for new rows only.
    nullable.default = None;
    let mut add = add_column(ctx, table, &nullable);
    if let (Action::Sql(statements), Some(default)) = (&mut add.action, &column.default) {
        statements.push(ddl::set_default(table, &column.name, default));
    }
    // The column is complete (`Column`) only once it is NOT NULL; until then it is only added.
    add.provides = vec![added(table, &column.name)];
    planned.steps.push(add);
    fill(ctx, table, column, &source, planned);
    Ok(())
}

/// An existing nullable column becomes NOT NULL.
pub fn plan_set_not_null(
    ctx: &Context,
    table: &QualifiedName,
    column: &Column,
    planned: &mut Planned,
) -> Result<(), Vec<Diagnostic>> {
    let needs = [Resource::Column(table.clone(), column.name.clone())];
    if !ctx.has_rows(table) {
        planned.steps.push(
            Step::sql(
                StepKind::SetNotNull,
                target(table, &column.name),
                phase::BACKFILL,
                vec![ddl::set_not_null(table, &column.name)],
            )
            .on_table(table)
            .lock(LockLevel::AccessExclusiveInstant)
            .needs(needs.clone())
            .provides(needs),
        );
        return Ok(());
    }
    if !ctx.has_nulls(table, &column.name) {
        enforce(ctx, table, column, None, planned);
        return Ok(());
    }
    let source = match source(ctx, table, column)? {
        Some(source) => source,
        None if backfill_default(column).is_some() => Source::Default,
        None => return Err(vec![missing_source(table, column)]),
    };
    fill(ctx, table, column, &source, planned);
    Ok(())
}

/// The column's default where it can fill existing rows. A default that reads a session setting
/// (the tenant column's `<current tenant>`) is NULL in the migration's session, so it is no source:
/// worse, as a non-volatile default on `ADD COLUMN ... NOT NULL` it would be evaluated once, to NULL.
fn backfill_default(column: &Column) -> Option<&str> {
    column
        .default
        .as_deref()
        .filter(|default| !default.to_ascii_lowercase().contains("current_setting("))
}

/// The backfill source, in the order LANGUAGE.md gives: an explicit `backfill`, a foreign-key path
/// for the tenant column, then (for the caller) the column's default.
fn source(
    ctx: &Context,
    table: &QualifiedName,
    column: &Column,
) -> Result<Option<Source>, Vec<Diagnostic>> {
    let desired = ctx.catalogs.desired;
    match &column.backfill {
        Some(Backfill::Expr { expr, .. }) => return Ok(Some(Source::Expr(expr.clone()))),
        Some(Backfill::FromForeignKey { fk_column, origin }) => {
            let hop = desired
                .table(table)
                .into_iter()
                .flat_map(|t| &t.foreign_keys)
                .filter(|fk| fk.columns.contains(fk_column))
                .find_map(|fk| backfill_path::hop(table, fk, &column.name))
                .filter(|hop| {
                    desired
                        .table(&hop.parent)
                        .is_some_and(|p| p.column(&column.name).is_some())
                });
            return match hop {
                Some(hop) => Ok(Some(Source::Path(vec![hop]))),
                None => Err(vec![Diagnostic::error(
                    codes::PLAN_MISSING_BACKFILL,
                    format!(
                        "`backfill {} from {fk_column}` on `{}` does not lead to a table with `{}`",
                        column.name, table.name, column.name
                    ),
                )
                .with_optional_label(*origin, "this backfill")
                .with_help(format!(
                    "`{fk_column}` must reference a table that has a column `{}`",
                    column.name
                ))]),
            };
        }
        None => {}
    }
    let is_tenant_column = desired
        .tenancy
        .as_ref()
        .is_some_and(|t| t.column == column.name)
        && desired
            .table(table)
            .is_some_and(|t| t.kind == crate::catalog::TableKind::Tenant);
    if !is_tenant_column {
        return Ok(None);
    }
    match backfill_path::find(desired, table, &column.name) {
        PathSearch::Found(path) => Ok(Some(Source::Path(path))),
        PathSearch::NotFound => Ok(None),
        PathSearch::Ambiguous(paths) => {
            let origin = desired.table(table).and_then(|t| t.origin);
            let described: Vec<String> = paths
                .iter()
                .map(|p| p.iter().map(Hop::describe).collect::<Vec<_>>().join(" → "))
                .collect();
            let first = &paths[0][0];
            Err(vec![Diagnostic::error(
                codes::PLAN_AMBIGUOUS_BACKFILL,
                format!(
                    "`{}` gains `{}` but has rows, and {} foreign-key paths of the same length lead to it: {}",
                    table.name,
                    column.name,
                    paths.len(),
                    described.join("; ")
                ),
            )
            .with_optional_label(origin, "this table")
            .with_help(format!(
                "add `backfill {} from {}` to table `{}` to say which path to follow",
                column.name,
                first.child_columns.join(", "),
                table.name
            ))])
        }
    }
}

fn missing_source(table: &QualifiedName, column: &Column) -> Diagnostic {
    Diagnostic::error(
        codes::PLAN_MISSING_BACKFILL,
        format!("`{}.{}` becomes NOT NULL but `{}` has rows, and nothing says what they hold", table.name, column.name, table.name),
    )
    .with_optional_label(column.origin, "this column")
    .with_help(format!(
        "add `backfill ({}-expression)` or `default(...)` to column `{}`, or `backfill {} from <foreign key column>` to table `{}`",
        column.name, column.name, column.name, table.name
    ))
}

/// The column exists (maybe still NULL in some rows): what the trigger and backfill need. Nothing
/// provides it for a column the database already has.
fn added(table: &QualifiedName, column: &str) -> Resource {
    Resource::Object(table.clone(), format!("{column} added"))
}

/// schemac's own object for `column` of `table` (see `own_names`).
pub(super) fn own_name(table: &QualifiedName, column: &str, what: ColumnObject) -> String {
    own_names::column_object(&table.name, column, what)
}

/// The trigger, backfill, verification and NOT NULL enforcement for one column.
fn fill(
    ctx: &Context,
    table: &QualifiedName,
    column: &Column,
    source: &Source,
    planned: &mut Planned,
) {
    let Some(desired_table) = ctx.catalogs.desired.table(table) else {
        return;
    };
    let name = &column.name;
    let function = QualifiedName::new(
        table.schema.clone(),
        own_name(table, name, ColumnObject::Fill),
    );
    let trigger_done = super::fill::trigger_ready(table, &function.name);
    let column_resource = Resource::Column(table.clone(), name.clone());
    // With `fill on` the tenant column's trigger is desired state: `fill.rs` creates it (before
    // this backfill, which waits for it) and it stays. Otherwise the trigger only covers the
    // migration and is dropped at its end.
    let permanent = matches!(source, Source::Path(_)) && super::fill::is_wanted(ctx, table, name);
    // Filled from its default, a column needs no trigger: rows written meanwhile get the default
    // from the column itself, and after the migration inserts may still leave it out.
    let temporary = !permanent && !matches!(source, Source::Default);

    // Rows written while the migration runs get their value from the trigger, before constraints
    // are checked; rows already there get it from the backfill.
    let mut trigger_needs = vec![added(table, name)];
    let mut fill_needs = match source {
        Source::Default => vec![added(table, name), super::columns::default_set(table, name)],
        _ => vec![trigger_done.clone()],
    };
    if let Some(parent) = match source {
        Source::Path(path) => path.last().map(|hop| &hop.parent),
        _ => None,
    } {
        trigger_needs.push(added(parent, name));
        fill_needs.push(Resource::Filled(parent.clone(), name.clone()));
    }
    if temporary {
        planned.steps.push(
            Step::sql(
                StepKind::CreateFillTrigger,
                target(table, name),
                phase::BACKFILL,
                fill_statements(table, name, source, &function, None),
            )
            .on_table(table)
            .lock(LockLevel::ShareRowExclusiveInstant)
            .needs(trigger_needs)
            .provides([trigger_done.clone()]),
        );
    }

    // A partitioned table is filled partition by partition: its parent has no pages of its own
    // (so no TID range), and each partition's batches walk that partition alone.
    for (filled, filled_source) in backfill_targets(ctx, desired_table, source) {
        let batch = BatchedBackfill {
            table: filled.name.clone(),
            column: name.clone(),
            batch_sql: batch_sql(&filled, column, &filled_source, ctx.options.batch_size),
            remaining_sql: format!(
                "SELECT count(*) FROM {} WHERE {} IS NULL",
                sql::qualified(&filled.name),
                sql::ident(name)
            ),
        };
        planned.steps.push(
            Step::new(
                StepKind::Backfill,
                target(&filled.name, name),
                phase::BACKFILL,
                Action::Backfill(batch),
            )
            .on_table(table)
            .outside_transaction()
            .lock(LockLevel::RowExclusive)
            .hazard(Hazard::backfills_rows(&filled.name.name, name))
            .needs(fill_needs.clone())
            .provides([Resource::Filled(table.clone(), name.clone())]),
        );
    }
    preflight(ctx, table, column, source, planned);
    enforce(
        ctx,
        table,
        column,
        Some(Resource::Filled(table.clone(), name.clone())),
        planned,
    );
    if !temporary {
        return;
    }
    planned.steps.push(
        Step::sql(
            StepKind::DropFillTrigger,
            target(table, name),
            phase::CLEANUP,
            own_trigger_drops(table, &function),
        )
        .breaking(1, Deliberate::DropsFillFunction)
        .on_table(table)
        .hazard(Hazard::writes_must_set(&table.name, name))
        .lock(LockLevel::AccessExclusiveInstant)
        .needs([column_resource, trigger_done]),
    );
}

/// Verify → CHECK NOT VALID → VALIDATE → SET NOT NULL + drop the check.
fn enforce(
    ctx: &Context,
    table: &QualifiedName,
    column: &Column,
    after: Option<Resource>,
    planned: &mut Planned,
) {
    let name = &column.name;
    let check = own_name(table, name, ColumnObject::NotNull);
    let column_resource = Resource::Column(table.clone(), name.clone());
    let verified = Resource::Object(table.clone(), format!("{check} verified"));
    let _ = ctx;
    planned.steps.push(
        Step::new(
            StepKind::Verify,
            target(table, name),
            phase::BACKFILL,
            Action::Verify {
                sql: format!(
                    "SELECT count(*) FROM {} WHERE {} IS NULL",
                    sql::qualified(table),
                    sql::ident(name)
                ),
                message: format!("rows of `{}` still have no `{name}`", table.name),
            },
        )
        .on_table(table)
        .lock(LockLevel::None)
        .needs(after.into_iter().chain([added(table, name)]))
        .provides([verified.clone()]),
    );
    // Added only now: a NOT VALID check is enforced on every write at once, so before the backfill
    // it would fail the application's updates of rows not yet filled.
    let validated = own_not_null_check(table, name, vec![verified], planned);
    // Two statements: with the validated check in place SET NOT NULL skips its scan; dropping the
    // check in the same ALTER would lose that proof.
    planned.steps.push(
        Step::sql(
            StepKind::SetNotNull,
            target(table, name),
            phase::BACKFILL,
            vec![
                ddl::set_not_null(table, name),
                ddl::drop_constraint(table, &check),
            ],
        )
        .breaking(1, Deliberate::DropsOwnNotNullCheck)
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .needs([validated])
        .provides([column_resource]),
    );
}

/// Drops schemac's own trigger on `table` (named as its function) and then the function:
/// `IF EXISTS`, so a step that ran before an interruption runs again. The function is the second
/// statement (`Deliberate::DropsFillFunction`).
pub(super) fn own_trigger_drops(table: &QualifiedName, function: &QualifiedName) -> Vec<String> {
    vec![
        sql::routines::drop_trigger_if_exists(&function.name, table),
        format!("DROP FUNCTION IF EXISTS {}()", sql::qualified(function)),
    ]
}

/// schemac's own `CHECK (column IS NOT NULL)`, added `NOT VALID` (brief) and validated in a step
/// of its own (SHARE UPDATE EXCLUSIVE: writes go on), after `needs`: what lets `SET NOT NULL` skip
/// its scan. Returns what the validation provides; the check is `own_name(.., NotNull)`.
pub(super) fn own_not_null_check(
    table: &QualifiedName,
    column: &str,
    needs: Vec<Resource>,
    planned: &mut Planned,
) -> Resource {
    let check = own_name(table, column, ColumnObject::NotNull);
    let check_added = Resource::Object(table.clone(), format!("{check} added"));
    let validated = Resource::Object(table.clone(), format!("{check} validated"));
    planned.steps.push(
        Step::sql(
            StepKind::AddCheckNotValid,
            target(table, column),
            phase::BACKFILL,
            vec![format!(
                "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID",
                sql::qualified(table),
                sql::ident(&check),
                sql::ident(column)
            )],
        )
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .needs(needs)
        .provides([check_added.clone()]),
    );
    planned.steps.push(
        Step::sql(
            StepKind::ValidateConstraint,
            target(table, column),
            phase::BACKFILL,
            vec![ddl::validate_constraint(table, &check)],
        )
        .on_table(table)
        .lock(LockLevel::ShareUpdateExclusive)
        .hazard(Hazard::long_validation(&table.name))
        .needs([check_added])
        .provides([validated.clone()]),
    );
    validated
}

/// The function and trigger of a fill trigger: `update_of` limits the trigger's updates to those
/// that name these columns (the permanent trigger, LANGUAGE.md "Fill triggers"); `None` fires on
/// every update (the temporary trigger of a migration).
pub(super) fn fill_statements(
    table: &QualifiedName,
    column: &str,
    source: &Source,
    function: &QualifiedName,
    update_of: Option<&[String]>,
) -> Vec<String> {
    vec![
        format!(
            "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $schemac${}$schemac$",
            sql::qualified(function),
            fill_body(column, source, table)
        ),
        fill_trigger(table, column, function, update_of),
    ]
}

/// The body of the fill function (what `pg_proc.prosrc` holds): sets `NEW.<column>` from the
/// source when it is NULL.
pub(super) fn fill_body(column: &str, source: &Source, table: &QualifiedName) -> String {
    let name = sql::ident(column);
    let assign = match source {
        Source::Path(path) => {
            // Through every hop: a path may cross plain tables that do not have the column.
            let (from, condition) = path_joins(path, "p", |c| format!("NEW.{}", sql::ident(c)));
            format!(
                "SELECT p{}.{name} INTO NEW.{name} FROM {from} WHERE {condition};",
                path.len()
            )
        }
        // The row is exposed under the table's own name so the expression reads as it does in the
        // schema.
        Source::Expr(expr) => {
            format!(
                "NEW.{name} := (SELECT ({expr}) FROM (SELECT NEW.*) AS {});",
                sql::ident(&table.name)
            )
        }
        // New rows get the default from the column itself (no trigger is made for it).
        Source::Default => "NULL;".to_string(),
    };
    format!("\nBEGIN\n  IF NEW.{name} IS NULL THEN\n    {assign}\n  END IF;\n  RETURN NEW;\nEND\n")
}

/// The trigger fires only for rows still without a value. The `WHEN` is checked without calling
/// the function, so the backfill's own updates (which set the column) and the application's
/// updates of rows already filled pay nothing for it: a PL/pgSQL call per row made the benchmark's
/// 100,000-row ranges 40-70% slower to fill (bench/README.md).
pub(super) fn fill_trigger(
    table: &QualifiedName,
    column: &str,
    function: &QualifiedName,
    update_of: Option<&[String]>,
) -> String {
    let events = match update_of {
        Some(columns) if !columns.is_empty() => format!(
            "INSERT OR UPDATE OF {}",
            columns
                .iter()
                .map(|c| sql::ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "INSERT OR UPDATE".to_string(),
    };
    format!(
        "CREATE OR REPLACE TRIGGER {} BEFORE {events} ON {} FOR EACH ROW WHEN (NEW.{} IS NULL) EXECUTE FUNCTION {}()",
        sql::ident(&function.name),
        sql::qualified(table),
        sql::ident(column),
        sql::qualified(function)
    )
}

/// What the backfill walks: the table itself, or, for a partitioned table, each of its partitions
/// (as the database has them now; the same columns and keys as the parent), with the source's
/// first hop starting from the partition.
fn backfill_targets(ctx: &Context, table: &Table, source: &Source) -> Vec<(Table, Source)> {
    let current = super::current_table_name(ctx.catalogs, &table.name);
    let partitions = ctx
        .catalogs
        .current
        .table(&current)
        .and_then(|t| t.partitioning.as_ref())
        .and_then(|p| p.partitions.as_ref());
    let Some(partitions) = partitions.filter(|p| !p.is_empty()) else {
        return vec![(table.clone(), source.clone())];
    };
    partitions
        .iter()
        .map(|partition| {
            let mut filled = table.clone();
            filled.name = partition.name.clone();
            filled.partitioning = None;
            let mut source = source.clone();
            if let Source::Path(path) = &mut source {
                if let Some(first) = path.first_mut() {
                    first.child = partition.name.clone();
                }
            }
            (filled, source)
        })
        .collect()
}

/// The value for existing rows, as an expression inside `UPDATE <table> ... FROM <parent> AS
/// schemac_parent`.
fn value_and_join(column: &Column, source: &Source) -> (String, Option<(String, String)>) {
    match source {
        Source::Path(path) => {
            let child = sql::ident(&path[0].child.name);
            let (from, condition) =
                path_joins(path, "schemac_p", |c| format!("{child}.{}", sql::ident(c)));
            (
                format!("schemac_p{}.{}", path.len(), sql::ident(&column.name)),
                Some((from, condition)),
            )
        }
        Source::Expr(expr) => (format!("({expr})"), None),
        Source::Default => ("DEFAULT".to_string(), None),
    }
}

/// The tables of a backfill path as `P1 <alias>1 JOIN P2 <alias>2 ON ...` and the condition tying
/// the first to the child row (`child(col)` names the child's column).
fn path_joins(path: &[Hop], alias: &str, child: impl Fn(&str) -> String) -> (String, String) {
    let pairs = |hop: &Hop, parent: &str, from: &dyn Fn(&str) -> String| -> String {
        hop.parent_columns
            .iter()
            .zip(&hop.child_columns)
            .map(|(p, c)| format!("{parent}.{} = {}", sql::ident(p), from(c)))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let mut from = format!("{} {alias}1", sql::qualified(&path[0].parent));
    for (i, hop) in path.iter().enumerate().skip(1) {
        let previous = format!("{alias}{i}");
        let here = format!("{alias}{}", i + 1);
        let on = pairs(hop, &here, &|c| format!("{previous}.{}", sql::ident(c)));
        from.push_str(&format!(
            " JOIN {} {here} ON {on}",
            sql::qualified(&hop.parent)
        ));
    }
    let condition = pairs(&path[0], &format!("{alias}1"), &child);
    (from, condition)
}

/// One batch of the backfill. With a single-column primary key: the next `$2` keys after `$1`, in
/// key order (keyset; each batch is its own short transaction and the cursor survives a crash).
/// Without one: the rows of the next pages (a TID range), about `$2` of them.
///
/// The keyed batch updates the rows between its first and last key, and finds that range with
/// two index-bounded branches (`key > $1`, and `$1 IS NULL` for the first batch) rather than
/// `$1 IS NULL OR key > $1`. Both matter for the plan PostgreSQL picks: a column just added has no
/// statistics, so joining the batch's keys back to the table looked cheaper as a sequential scan
/// and hash join, in every batch (quadratic: ~500 ms per 1000-row batch on 300,000 rows); and the
/// statement is prepared, so after five runs a generic plan may be used, where the `OR` cannot
/// bound an index scan (2.4 s per batch on 2,000,000 rows). `tests/backfill_batches.rs` checks both.
pub(super) fn batch_sql(
    table: &Table,
    column: &Column,
    source: &Source,
    _batch_size: u32,
) -> String {
    let name = sql::qualified(&table.name);
    let col = sql::ident(&column.name);
    let (value, join) = value_and_join(column, source);
    let (from, join_condition) = match &join {
        Some((from, condition)) => (format!(", {from}"), format!(" AND {condition}")),
        None => (String::new(), String::new()),
    };
    let single_key = table
        .primary_key
        .as_ref()
        .filter(|pk| pk.columns.len() == 1)
        .and_then(|pk| table.column(&pk.columns[0]));
    match single_key {
        Some(key) => {
            let key_name = sql::ident(&key.name);
            // min()/max() do not exist for every key type (uuid before PostgreSQL 18): the range
            // ends come from ORDER BY ... LIMIT 1.
            format!(
                "WITH schemac_batch AS ((SELECT {key_name} AS schemac_key FROM {name} WHERE {key_name} > $1::text::{ty} ORDER BY {key_name} LIMIT $2) \
                 UNION ALL (SELECT {key_name} FROM {name} WHERE $1::text IS NULL ORDER BY {key_name} LIMIT $2)), \
                 schemac_range AS (SELECT (SELECT schemac_key FROM schemac_batch ORDER BY schemac_key LIMIT 1) AS schemac_low, \
                 (SELECT schemac_key FROM schemac_batch ORDER BY schemac_key DESC LIMIT 1) AS schemac_high), \
                 schemac_filled AS (UPDATE {name} SET {col} = {value} FROM schemac_range{from} WHERE {table_name}.{key_name} >= schemac_range.schemac_low AND {table_name}.{key_name} <= schemac_range.schemac_high AND {table_name}.{col} IS NULL{join_condition} RETURNING 1) \
                 SELECT (SELECT schemac_high::text FROM schemac_range), (SELECT count(*) FROM schemac_filled)",
                ty = key.ty.sql(),
                table_name = sql::ident(&table.name.name),
            )
        }
        // Without a single-column key: the next pages from block `$1` on, as many as hold about
        // `$2` rows (the density `ANALYZE` last saw, else 50 rows a page), read by a TID range
        // scan (PostgreSQL 14+) instead of from the first page in every batch. The cursor is the
        // next block; the backfill ends with the first batch that starts past the table's last
        // block, so rows moved to new pages while it ran (an update makes a new row version) are
        // still reached.
        None => {
            let regclass = sql::literal(&name);
            format!(
                "WITH schemac_range AS (SELECT coalesce($1::text::bigint, 0) AS schemac_low, \
                 coalesce($1::text::bigint, 0) + greatest(1, ceil($2 / (SELECT CASE WHEN reltuples > 0 AND relpages > 0 THEN reltuples / relpages ELSE 50 END FROM pg_catalog.pg_class WHERE oid = {regclass}::regclass)))::bigint AS schemac_high), \
                 schemac_filled AS (UPDATE {name} SET {col} = {value}{from_clause} WHERE {table_name}.ctid >= ('(' || (SELECT schemac_low FROM schemac_range) || ',0)')::tid AND {table_name}.ctid < ('(' || (SELECT schemac_high FROM schemac_range) || ',0)')::tid AND {table_name}.{col} IS NULL{join_condition} RETURNING 1) \
                 SELECT CASE WHEN (SELECT schemac_low FROM schemac_range) < pg_catalog.pg_relation_size({regclass}::regclass) / current_setting('block_size')::bigint THEN (SELECT schemac_high::text FROM schemac_range) END, (SELECT count(*) FROM schemac_filled)",
                table_name = sql::ident(&table.name.name),
                from_clause = match &join {
                    Some((from, _)) => format!(" FROM {from}"),
                    None => String::new(),
                },
            )
        }
    }
}

/// Rows that would still be NULL after the backfill (a NULL or dangling key along the path, or an
/// expression giving NULL) make the plan fail half-way: count them before changing anything. Only
/// the rows that need a value count: where the column exists and a row already holds one, the
/// backfill leaves it as it is (LANGUAGE.md: "a source is needed only where rows would be NULL").
fn preflight(
    ctx: &Context,
    table: &QualifiedName,
    column: &Column,
    source: &Source,
    planned: &mut Planned,
) {
    let current = ctx.catalogs.current;
    let Some(current_table) = current.table(&super::current_table_name(ctx.catalogs, table)) else {
        return;
    };
    let key = example_key(current_table).replace("ctid", "t0.ctid");
    let key = current_table
        .primary_key
        .iter()
        .flat_map(|pk| pk.columns.iter())
        .fold(key, |k, c| {
            k.replace(
                &format!("{}::text", sql::ident(c)),
                &format!("t0.{}::text", sql::ident(c)),
            )
        });
    // The example names the path's first foreign-key columns too: NULL there is the usual cause.
    let key = match source {
        Source::Path(path) => {
            let mut parts = vec![key];
            let columns = path.first().map_or(&[][..], |hop| &hop.child_columns[..]);
            for (i, column) in columns.iter().enumerate() {
                let lead = if i == 0 { " with " } else { ", " };
                parts.push(sql::literal(&format!("{lead}`{column}` = ")));
                parts.push(format!("quote_nullable(t0.{}::text)", sql::ident(column)));
            }
            format!("concat({})", parts.join(", "))
        }
        _ => key,
    };
    let name = sql::ident(&column.name);
    let exists = current_table.column(&column.name).is_some();
    let (joins, condition) = match source {
        Source::Path(_) => match value_after_backfill(ctx, table, &column.name, "t") {
            Some((joins, value)) => (joins, format!("{value} IS NULL")),
            // The chain ends in a table that does not exist yet: no row can find a value.
            None if exists => (String::new(), format!("t0.{name} IS NULL")),
            None => (String::new(), "true".to_string()),
        },
        Source::Expr(expr) => {
            let needs_value = if exists {
                format!("{name} IS NULL AND ")
            } else {
                String::new()
            };
            // The expression reads the table under its own name.
            return planned.preflight.push(Preflight {
                target: target(table, &column.name),
                sql: format!(
                    "SELECT count(*), min({}) FROM {} WHERE {needs_value}({expr}) IS NULL",
                    example_key(current_table),
                    sql::qualified(&current_table.name)
                ),
                message: format!("rows of `{}` would still have no `{}`: the backfill expression gives NULL for them", table.name, column.name),
                help: Some(format!("change the `backfill` expression of `{}` so it gives a value for every row", column.name)),
                per_row: None,
            });
        }
        Source::Default => return,
    };
    let message = if exists {
        format!(
            "rows of `{}` with no `{}` would still have none after the backfill: their foreign key along the path is NULL or points at no row",
            table.name, column.name
        )
    } else {
        format!(
            "rows of `{}` would still have no `{}` after the backfill: their foreign key along the path is NULL or points at no row",
            table.name, column.name
        )
    };
    planned.preflight.push(Preflight {
        target: target(table, &column.name),
        sql: format!("SELECT count(*), min({key}) FROM {} t0{joins} WHERE {condition}", sql::qualified(&current_table.name)),
        message,
        help: Some(format!("fix or delete those rows of `{}`, set their `{}`, or give column `{}` a `backfill (expr)`", table.name, column.name, column.name)),
        per_row: None,
    });
}

/// LEFT JOINs from `t0` along the backfill path (through tables that get the column in this plan
/// too) to the first table whose column the database already fills; returns the joins and the
/// value the parents give a row of `t0`: the first non-NULL of their columns along the path (a
/// parent whose column is partly filled keeps its own values and takes the rest from its parent).
/// `None` when no table along the path has the column in the database.
fn chain(
    ctx: &Context,
    table: &QualifiedName,
    column: &str,
    prefix: &str,
) -> Option<(String, String)> {
    let current = ctx.catalogs.current;
    let mut joins = String::new();
    let mut values: Vec<String> = Vec::new();
    let mut at = table.clone();
    let mut alias = format!("{prefix}0");
    for depth in 1..=32 {
        let desired_column = ctx
            .catalogs
            .desired
            .table(&at)
            .and_then(|t| t.column(column));
        let hop = match desired_column.and_then(|c| c.backfill.as_ref()) {
            Some(Backfill::FromForeignKey { fk_column, .. }) => ctx
                .catalogs
                .desired
                .table(&at)
                .into_iter()
                .flat_map(|t| &t.foreign_keys)
                .filter(|fk| fk.columns.contains(fk_column))
                .find_map(|fk| backfill_path::hop(&at, fk, column)),
            _ => match backfill_path::find(ctx.catalogs.desired, &at, column) {
                PathSearch::Found(path) => path.into_iter().next(),
                _ => None,
            },
        };
        let Some(parent) = hop.as_ref().and_then(|hop| current.table(&hop.parent)) else {
            break;
        };
        let Some(hop) = hop.as_ref() else {
            break;
        };
        let next_alias = format!("{prefix}{depth}");
        let condition: Vec<String> = hop
            .parent_columns
            .iter()
            .zip(&hop.child_columns)
            .map(|(p, c)| format!("{next_alias}.{} = {alias}.{}", sql::ident(p), sql::ident(c)))
            .collect();
        joins.push_str(&format!(
            " LEFT JOIN {} {next_alias} ON {}",
            sql::qualified(&parent.name),
            condition.join(" AND ")
        ));
        alias = next_alias;
        if let Some(parent_column) = parent.column(column) {
            values.push(format!("{alias}.{}", sql::ident(column)));
            // The parent already fills the column when it holds no NULLs (or is NOT NULL).
            if !parent_column.nullable || !ctx.facts.has_nulls(&parent.name, column) {
                break;
            }
        }
        at = hop.parent.clone();
    }
    match values.len() {
        0 => None,
        1 => Some((joins, values.remove(0))),
        _ => Some((joins, format!("COALESCE({})", values.join(", ")))),
    }
}

/// The value `column` will hold for each row of `table` once the plan has run, as an expression
/// over `<prefix>0` (the table) and the joins it needs: the row's own value where it has one, else
/// the parent's value along the backfill path. `None` when neither the table nor any table along
/// the path has the column in the database.
pub(super) fn value_after_backfill(
    ctx: &Context,
    table: &QualifiedName,
    column: &str,
    prefix: &str,
) -> Option<(String, String)> {
    let current = ctx
        .catalogs
        .current
        .table(&super::current_table_name(ctx.catalogs, table))?;
    let own = current.column(column);
    let own_value = format!("{prefix}0.{}", sql::ident(column));
    let filled = own.is_some_and(|c| !c.nullable || !ctx.facts.has_nulls(&current.name, column));
    if filled {
        return Some((String::new(), own_value));
    }
    match (own, chain(ctx, table, column, prefix)) {
        (Some(_), Some((joins, parents))) => {
            Some((joins, format!("COALESCE({own_value}, {parents})")))
        }
        (Some(_), None) => Some((String::new(), own_value)),
        (None, chain) => chain,
    }
}
