//! Columns: add (nullable, or on an empty table), rename, drop, type changes, defaults, comments.
//! A NOT NULL column on a table with rows goes through `not_null.rs` instead.

use super::create::type_needs;
use super::{phase, target, Context, Planned};
use crate::catalog::{BaseType, Column, QualifiedName, SqlType};
use crate::diff::Change;
use crate::lexer::{self, Kind};
use crate::plan::deliberate::{Break, Deliberate, TypeChoice};
use crate::plan::hazards::Hazard;
use crate::plan::step::{LockLevel, Resource, Step, StepKind};
use crate::plan::Preflight;
use crate::sql::{self, ddl};

/// `ALTER TABLE ... RENAME COLUMN`, and the sequence of a serial column.
pub fn rename_column(
    ctx: &Context,
    table: &QualifiedName,
    from: &str,
    to: &str,
    planned: &mut Planned,
) {
    let statements: Vec<String> = std::iter::once(ddl::rename_column(table, from, to))
        // A renamed table renames its columns' sequences itself.
        .chain(
            if &super::current_table_name(ctx.catalogs, table) == table {
                super::create::sequence_renames(ctx, table, Some(to))
            } else {
                Vec::new()
            },
        )
        .collect();
    let sequences = 1..statements.len();
    planned.steps.push(
        Step::sql(
            StepKind::RenameColumn,
            target(table, to),
            phase::RENAME,
            statements,
        )
        .breaking(0, Deliberate::RenamesColumn)
        .breaking_each(sequences, Deliberate::RenamesObject)
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .hazard(Hazard::renames_object("column", from, to))
        // A type change whose `using` names the old column runs before the rename.
        .needs([Resource::Table(table.clone()), retyped(table, from)])
        .provides([Resource::Column(table.clone(), to.to_string())]),
    );
}

/// `ALTER TABLE ... DROP COLUMN`.
pub fn drop_column(table: &QualifiedName, column: &Column, planned: &mut Planned) {
    let mut step = Step::sql(
        StepKind::DropColumn,
        target(table, &column.name),
        phase::DROP_COLUMNS,
        vec![ddl::drop_column(table, &column.name)],
    )
    .breaking(0, Deliberate::DropsColumn)
    .on_table(table)
    .lock(LockLevel::AccessExclusiveInstant)
    .destructive()
    .hazard(Hazard::deletes_data(&format!(
        "column `{}.{}`",
        table.name, column.name
    )))
    .needs([Resource::Table(table.clone())])
    .removes([Resource::Column(table.clone(), column.name.clone())])
    .releases(type_needs(column))
    // A generated column goes before the columns it is computed from, which PostgreSQL will not
    // drop under it.
    .releases(
        column
            .generated
            .iter()
            .flat_map(|expr| lexer::lex(expr))
            .filter_map(|token| token.name())
            .filter(|name| *name != column.name)
            .map(|name| Resource::Column(table.clone(), name)),
    );
    step.phase = phase::DROP_COLUMNS;
    planned.steps.push(step);
}

/// `ALTER COLUMN ... SET DEFAULT`.
pub fn set_default(
    ctx: &Context,
    table: &QualifiedName,
    column: &str,
    default: &str,
    planned: &mut Planned,
) {
    if type_changes(ctx, table, column) {
        return; // the type change sets the default itself
    }
    let desired = ctx
        .catalogs
        .desired
        .table(table)
        .and_then(|t| t.column(column));
    planned.steps.push(
        Step::sql(
            StepKind::SetDefault,
            target(table, column),
            phase::COLUMNS,
            vec![ddl::set_default(table, column, default)],
        )
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .needs([column_exists(ctx, table, column)])
        .needs(desired.map(type_needs).unwrap_or_default())
        .provides([default_set(table, column)]),
    )
}

/// The column's new default is in place: what a backfill from the default waits for.
pub(super) fn default_set(table: &QualifiedName, column: &str) -> Resource {
    Resource::Object(table.clone(), format!("{column} default set"))
}

/// `ALTER COLUMN ... DROP DEFAULT`.
pub fn drop_default(ctx: &Context, table: &QualifiedName, column: &str, planned: &mut Planned) {
    if type_changes(ctx, table, column) {
        return; // the type change drops the default itself
    }
    planned.steps.push(
        Step::sql(
            StepKind::DropDefault,
            target(table, column),
            phase::COLUMNS,
            vec![ddl::drop_default(table, column)],
        )
        .breaking(0, Deliberate::DropsDefault)
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .needs([column_exists(ctx, table, column)]),
    )
}

/// `ALTER COLUMN ... DROP NOT NULL`.
pub fn drop_not_null(table: &QualifiedName, column: &str, planned: &mut Planned) {
    planned.steps.push(
        Step::sql(
            StepKind::DropNotNull,
            target(table, column),
            phase::COLUMNS,
            vec![ddl::drop_not_null(table, column)],
        )
        .breaking(0, Deliberate::DropsNotNull)
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .needs([Resource::Column(table.clone(), column.to_string())]),
    );
}

/// A generated column whose expression changed: dropped and added again.
pub fn replace_generated_column(
    ctx: &Context,
    table: &QualifiedName,
    current: &Column,
    desired: &Column,
    planned: &mut Planned,
) {
    // PostgreSQL 15 cannot change a generation expression in place: the column is dropped and
    // added again, and the new expression computed for every row.
    // A virtual column is computed when read: adding one writes nothing.
    let rows = ctx.has_rows(table) && !desired.generated_virtual;
    let step = Step::sql(
        StepKind::AlterColumnType,
        target(table, &desired.name),
        phase::COLUMNS,
        vec![
            ddl::drop_column(table, &current.name),
            ddl::add_column(table, desired),
        ],
    )
    .breaking(0, Deliberate::DropsColumn)
    .breaking(1, Deliberate::of_added_column(desired))
    .choosing(TypeChoice::of_column(desired))
    .on_table(table)
    .rewrites_if(rows, table)
    .needs([Resource::Table(table.clone())])
    .needs(type_needs(desired))
    .provides([Resource::Column(table.clone(), desired.name.clone())]);
    planned.steps.push(step);
}

/// `COMMENT ON COLUMN`.
pub fn comment_column(
    table: &QualifiedName,
    column: &str,
    comment: &Option<String>,
    planned: &mut Planned,
) {
    planned.steps.push(
        Step::sql(
            StepKind::Comment,
            target(table, column),
            phase::SECURITY,
            vec![ddl::comment_on_column(table, column, comment.as_deref())],
        )
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .needs([Resource::Column(table.clone(), column.to_string())]),
    );
}

/// The column (by its name in the database) has its new type: the rename waits for it.
fn retyped(table: &QualifiedName, current_name: &str) -> Resource {
    Resource::Object(table.clone(), format!("retyped {current_name}"))
}

/// What a default change on an existing column waits for: the column under its schema name, not the
/// column made complete. `Resource::Column` is provided only once a column becoming NOT NULL is
/// enforced, and a backfill that fills rows from the column's default (`SET col = DEFAULT`) must
/// run after the new default is set, not after the NOT NULL it is filling for.
fn column_exists(ctx: &Context, table: &QualifiedName, column: &str) -> Resource {
    let current_table = super::current_table_name(ctx.catalogs, table);
    let there = ctx
        .catalogs
        .current
        .table(&current_table)
        .is_some_and(|t| t.column(column).is_some());
    if there {
        Resource::Table(table.clone())
    } else {
        // Renamed (or added) by this plan: wait for the step that gives it this name.
        Resource::Column(table.clone(), column.to_string())
    }
}

/// Whether the plan also changes this column's type (that step re-sets the default itself).
fn type_changes(ctx: &Context, table: &QualifiedName, column: &str) -> bool {
    ctx.changes.iter().any(
        |c| matches!(c, Change::AlterColumnType { table: t, column: col, .. } if t == table && col == column),
    )
}

/// Functions whose value differs per row: as a column default they make `ADD COLUMN` rewrite the
/// table (PostgreSQL 11+ stores a non-volatile default in the catalog instead).
const VOLATILE_FUNCTIONS: &[&str] = &[
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v4",
    "random",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "txid_current",
];

/// Whether a default expression is (probably) volatile.
pub fn is_volatile(default: &str) -> bool {
    let lower = default.to_ascii_lowercase();
    VOLATILE_FUNCTIONS
        .iter()
        .any(|f| lower.contains(&format!("{f}(")))
}

pub fn add_column(ctx: &Context, table: &QualifiedName, column: &Column) -> Step {
    let rows = ctx.has_rows(table);
    // A nullable `serial` column is the first step of filling one on a table with rows
    // (`not_null.rs`): `ADD COLUMN ... serial` would number every row under ACCESS EXCLUSIVE, so the
    // sequence and the column are made apart, and the rows are numbered by the batched backfill.
    let sequence = ctx
        .catalogs
        .desired
        .table(table)
        .and_then(|t| t.column(&column.name))
        .and_then(|c| c.default.as_deref())
        .and_then(|d| ddl::nextval_sequence(d, &table.schema))
        .filter(|_| rows && column.serial && column.nullable);
    let rewrites = rows
        && ((column.serial && sequence.is_none())
            // A virtual column is computed when read: adding one writes nothing.
            || (column.generated.is_some() && !column.generated_virtual)
            || column.identity.is_some()
            || column.default.as_deref().is_some_and(is_volatile));
    let (mut statements, added) = match &sequence {
        Some(sequence) => {
            let mut plain = column.clone();
            plain.serial = false;
            let statements = vec![
                ddl::create_sequence(sequence, &column.ty),
                ddl::add_column(table, &plain),
                ddl::sequence_owned_by(sequence, table, &column.name),
            ];
            (statements, (1, plain))
        }
        None => (vec![ddl::add_column(table, column)], (0, column.clone())),
    };
    if let Some(comment) = &column.comment {
        statements.push(ddl::comment_on_column(table, &column.name, Some(comment)));
    }
    Step::sql(
        StepKind::AddColumn,
        target(table, &column.name),
        phase::COLUMNS,
        statements,
    )
    .breaking(added.0, Deliberate::of_added_column(&added.1))
    .choosing(TypeChoice::of_column(&added.1))
    .on_table(table)
    .rewrites_if(rewrites, table)
    .needs([Resource::Table(table.clone())])
    .needs(type_needs(column))
    .provides([Resource::Column(table.clone(), column.name.clone())])
}

/// Whether PostgreSQL converts `from` to `to` without rewriting the table (binary-coercible, or a
/// wider length/precision limit). https://www.postgresql.org/docs/current/sql-altertable.html
fn is_binary_coercible(from: &SqlType, to: &SqlType) -> bool {
    if from.array != to.array {
        return false;
    }
    match (&from.base, &to.base) {
        (BaseType::Varchar(Some(a)), BaseType::Varchar(Some(b))) => b >= a,
        (BaseType::Varchar(_), BaseType::Varchar(None)) => true,
        (BaseType::Varchar(_), BaseType::Text) | (BaseType::Text, BaseType::Varchar(None)) => true,
        (BaseType::Numeric(Some((p1, s1))), BaseType::Numeric(Some((p2, s2)))) => {
            s1 == s2 && p2 >= p1
        }
        (BaseType::Numeric(_), BaseType::Numeric(None)) => true,
        (BaseType::Cidr, BaseType::Inet) => true,
        // The citext extension's casts from and to text are `WITHOUT FUNCTION` (checked on PG 15:
        // the table keeps its relfilenode); indexes on the column are rebuilt (another opclass).
        (BaseType::Text | BaseType::Varchar(_), BaseType::Citext)
        | (BaseType::Citext, BaseType::Text) => true,
        (BaseType::Timestamp, BaseType::Timestamptz)
        | (BaseType::Timestamptz, BaseType::Timestamp) => false,
        _ => false,
    }
}

/// Whether a binary-coercible change still changes how values compare (so indexes are rebuilt).
fn changes_opclass(from: &SqlType, to: &SqlType) -> bool {
    (from.base == BaseType::Citext) != (to.base == BaseType::Citext)
}

/// Whether an index, primary key or unique constraint of the table (as the database has it) covers
/// the column.
fn is_indexed(ctx: &Context, table: &QualifiedName, column: &str) -> bool {
    let Some(current) = ctx
        .catalogs
        .current
        .table(&super::current_table_name(ctx.catalogs, table))
    else {
        return false;
    };
    let named = |columns: &[String]| columns.iter().any(|c| c == column);
    current.primary_key.iter().any(|pk| named(&pk.columns))
        || current.uniques.iter().any(|u| named(&u.columns))
        || current.indexes.iter().any(|index| {
            index.keys.iter().any(|key| match key {
                crate::catalog::IndexKey::Column(c) => c == column,
                // An expression key may read the column: assume it does.
                crate::catalog::IndexKey::Expr(_) => true,
            })
        })
}

/// Whether every value of `from` fits `to` unchanged (so no data can be lost).
fn is_widening(from: &SqlType, to: &SqlType) -> bool {
    if is_binary_coercible(from, to) {
        return true;
    }
    if from.array != to.array {
        return false;
    }
    use BaseType::*;
    matches!(
        (&from.base, &to.base),
        (SmallInt, Integer | BigInt | Numeric(None) | Real | Double)
            | (Integer, BigInt | Numeric(None) | Double)
            | (BigInt, Numeric(None))
            | (Real, Double)
            | (Char(_), Text | Varchar(None))
            | (Json, Jsonb)
            | (Date, Timestamp | Timestamptz)
            | (Timestamp, Timestamptz)
            | (
                Uuid | Inet | Cidr | Date | Time | Timestamp | Timestamptz | Interval | Boolean,
                Text
            )
            | (Enum(_), Text)
    )
}

/// Appends statements, with a `Break` for each that breaks a linter rule on purpose.
fn push_statements(
    statements: &mut Vec<String>,
    breaks: &mut Vec<Break>,
    items: Vec<super::retype_dependents::Statement>,
) {
    for (sql, why) in items {
        if let Some(why) = why {
            breaks.push(Break::next(statements, why));
        }
        statements.push(sql);
    }
}

/// The sequence of a `serial` column that stays `serial` under a new integer type: it must change
/// type with the column (`smallserial`/`serial`/`bigserial` each own a sequence of their type).
fn serial_sequence(
    current: Option<&Column>,
    desired: Option<&Column>,
    table: &QualifiedName,
) -> Option<QualifiedName> {
    let (current, desired) = (current?, desired?);
    let integer = matches!(
        desired.ty.base,
        BaseType::SmallInt | BaseType::Integer | BaseType::BigInt
    );
    if !(current.serial && desired.serial && integer && !desired.ty.array) {
        return None;
    }
    ddl::nextval_sequence(current.default.as_deref()?, &table.schema)
}

pub fn alter_type(
    ctx: &Context,
    table: &QualifiedName,
    column: &str,
    from: &SqlType,
    to: &SqlType,
    using: Option<&str>,
    planned: &mut Planned,
) {
    let rows = ctx.has_rows(table);
    let coercible = is_binary_coercible(from, to);
    let current_column = ctx
        .catalogs
        .current
        .table(&super::current_table_name(ctx.catalogs, table))
        .and_then(|t| t.column(&super::current_column_name(ctx.catalogs, table, column)))
        .cloned();
    let desired_column = ctx
        .catalogs
        .desired
        .table(table)
        .and_then(|t| t.column(column))
        .cloned();
    // `using` reads the table as the database has it, so with `renamed from` the type changes
    // under the old name, before the rename.
    let current_name = super::current_column_name(ctx.catalogs, table, column);
    // A rewrite of a table with rows runs online where the column is a plain one (recipe E).
    if rows
        && !coercible
        && is_widening(from, to)
        && super::retype::plan(
            ctx,
            table,
            column,
            to,
            using,
            &[
                Resource::Column(table.clone(), column.to_string()),
                retyped(table, &current_name),
            ],
            planned,
        )
    {
        return;
    }
    let mut statements = Vec::new();
    // PostgreSQL refuses to retype a column that policies, triggers or generated columns use:
    // they go and come back in the same transaction, so no write is ever without them.
    let current_table = super::current_table_name(ctx.catalogs, table);
    let dependents = super::retype_dependents::of(ctx, table, &current_table, &current_name);
    let mut breaks = Vec::new();
    push_statements(&mut statements, &mut breaks, dependents.before);
    // The old default may not cast to the new type; drop it first and set the schema's afterwards.
    let had_default = current_column.as_ref().is_some_and(|c| c.default.is_some());
    let drop_default = statements.len();
    if had_default {
        statements.push(ddl::drop_default(table, &current_name));
    }
    let retype = statements.len();
    statements.push(ddl::alter_column_type(table, &current_name, to, using));
    if let Some(sequence) = serial_sequence(current_column.as_ref(), desired_column.as_ref(), table)
    {
        statements.push(ddl::alter_sequence_type(
            &sequence,
            &SqlType::scalar(to.base.clone()),
        ));
    }
    if let Some(default) = desired_column.as_ref().and_then(|c| c.default.as_ref()) {
        if had_default
            || current_column
                .as_ref()
                .is_some_and(|c| c.default.as_ref() != Some(default))
        {
            statements.push(ddl::set_default(table, &current_name, default));
        }
    }
    push_statements(&mut statements, &mut breaks, dependents.after);
    let mut step = Step::sql(
        StepKind::AlterColumnType,
        target(table, column),
        phase::COLUMNS,
        statements,
    )
    .breaking(
        drop_default,
        had_default.then_some(Deliberate::DropsDefault),
    )
    .breaking(retype, Deliberate::ChangesType)
    .breaks(breaks)
    .choosing(TypeChoice::of(to, false))
    .on_table(table)
    .needs([Resource::Table(table.clone())])
    .provides([
        Resource::Column(table.clone(), column.to_string()),
        retyped(table, &current_name),
    ]);
    if let Some(desired) = &desired_column {
        step = step.needs(type_needs(desired));
    }
    if let Some(current) = &current_column {
        step = step.releases(type_needs(current));
    }
    step = step.needs(dependents.needs).releases(dependents.releases);
    if rows && !coercible {
        step = step.rewrites_if(true, table);
        let current_table = super::current_table_name(ctx.catalogs, table);
        let referencing: Vec<String> = ctx
            .catalogs
            .current
            .tables
            .iter()
            .filter(|t| {
                t.foreign_keys.iter().any(|fk| {
                    fk.referenced_table == current_table
                        && fk.referenced_columns.contains(&current_name)
                })
            })
            .map(|t| format!("`{}`", t.name.name))
            .collect();
        if !referencing.is_empty() {
            step.hazards.push(Hazard::rewrite_not_online(
                &table.name,
                column,
                &format!(
                    "foreign keys of {} reference it, and their columns would need the same conversion in the same swap",
                    referencing.join(", ")
                ),
            ));
        }
    } else if rows && changes_opclass(from, to) && is_indexed(ctx, table, &current_name) {
        // No rewrite, but every index on the column is rebuilt for the new type's operators.
        step.lock = LockLevel::AccessExclusiveScan;
        step.scans = true;
        step.hazards.push(Hazard::blocks_writes(&table.name));
    } else {
        step.lock = LockLevel::AccessExclusiveInstant;
    }
    if !is_widening(from, to) {
        step.destructive = true;
        step.hazards
            .push(Hazard::narrows_type(column, &from.sql(), &to.sql()));
    }
    if rows && !coercible {
        conversion_preflight(ctx, table, column, to, using, planned);
    }
    if rows {
        converted_duplicates_preflight(ctx, table, column, to, using, planned);
    }
    planned.steps.push(step);
}

/// Every row must convert, or the `ALTER ... TYPE` fails half-way through a long rewrite, after
/// earlier steps ran: try the conversion first, reading only. A conversion that raises on some row
/// (`'Export'::int`) is found row by row (`Preflight::per_row`) to name it. The preflight runs
/// before any step, so it cannot name a type the plan creates or changes: an enum is compared with
/// the schema's values as text instead (casts to it in `using` read as casts to `text`); another
/// type the database does not have yet (`citext` of an extension the plan creates) is not checked.
fn conversion_preflight(
    ctx: &Context,
    table: &QualifiedName,
    column: &str,
    to: &SqlType,
    using: Option<&str>,
    planned: &mut Planned,
) {
    let current_table = super::current_table_name(ctx.catalogs, table);
    let current_name = super::current_column_name(ctx.catalogs, table, column);
    let Some(current) = ctx.catalogs.current.table(&current_table) else {
        return;
    };
    let name = sql::ident(&current_name);
    let expr = using.map_or_else(|| name.clone(), |u| format!("({u})"));
    let condition = match &to.base {
        BaseType::Enum(enum_name) => {
            let Some(desired) = ctx.catalogs.desired.enum_type(enum_name) else {
                return;
            };
            let Some(expr) = casts_to_text(&expr, enum_name) else {
                return;
            };
            let values: Vec<String> = desired.values.iter().map(|v| sql::literal(v)).collect();
            let values = values.join(", ");
            if to.array {
                format!("EXISTS (SELECT 1 FROM unnest(({expr})::text[]) AS schemac_value WHERE schemac_value NOT IN ({values}))")
            } else {
                format!("({expr})::text NOT IN ({values})")
            }
        }
        BaseType::Citext if !ctx.catalogs.current.extensions.contains("citext") => return,
        // An explicit cast to `varchar(n)` cuts the value; `ALTER ... TYPE` assigns, and fails on a
        // value longer than `n` (trailing spaces aside).
        // https://www.postgresql.org/docs/current/datatype-character.html
        BaseType::Varchar(Some(length)) | BaseType::Char(length) if !to.array => {
            format!("char_length(rtrim(({expr})::text, ' ')) > {length}")
        }
        _ => format!("({expr})::{} IS NULL AND {name} IS NOT NULL", to.sql()),
    };
    let example = super::create::example_with_value(current, &current_name);
    planned.preflight.push(Preflight {
        target: target(table, column),
        sql: format!(
            "SELECT count(*), min({example}) FROM {} WHERE {condition}",
            sql::qualified(&current.name)
        ),
        message: format!(
            "values of `{}.{}` do not convert to {}",
            table.name,
            column,
            to.sql()
        ),
        help: Some(format!(
            "update those rows first, or change `using (expr)` of column `{column}` so it converts them"
        )),
        per_row: Some(super::create::per_row_sql(current, &condition, &example)),
    });
}

/// A unique key over a column whose type changes is rebuilt with the new type's equality: values
/// that differ now may become equal (`'Read'` and `'read'` through `lower(...)::permission_action`,
/// or as `citext`), and the rebuild then fails half-way. Counted first, for the keys the schema
/// keeps. Only for conversions that cannot raise (to an enum, compared as text, and to `citext`):
/// one that can is checked by `conversion_preflight`.
fn converted_duplicates_preflight(
    ctx: &Context,
    table: &QualifiedName,
    column: &str,
    to: &SqlType,
    using: Option<&str>,
    planned: &mut Planned,
) {
    let current_table = super::current_table_name(ctx.catalogs, table);
    let current_name = super::current_column_name(ctx.catalogs, table, column);
    let (Some(current), Some(desired)) = (
        ctx.catalogs.current.table(&current_table),
        ctx.catalogs.desired.table(table),
    ) else {
        return;
    };
    if to.array {
        return;
    }
    let name = sql::ident(&current_name);
    let expr = using.map_or_else(|| name.clone(), |u| format!("({u})"));
    let converted = match &to.base {
        BaseType::Enum(enum_name) => match casts_to_text(&expr, enum_name) {
            Some(expr) => format!("({expr})::text"),
            None => return,
        },
        // citext compares as lower() does.
        BaseType::Citext => format!("lower(({expr})::text)"),
        _ => return,
    };
    let mut keys: Vec<(&str, &[String])> = Vec::new();
    if let Some(pk) = &current.primary_key {
        keys.push((&pk.name, &pk.columns));
    }
    keys.extend(
        current
            .uniques
            .iter()
            .map(|u| (u.name.as_str(), &u.columns[..])),
    );
    let index_columns: Vec<(&str, Vec<String>)> = current
        .indexes
        .iter()
        .filter(|i| i.unique && i.predicate.is_none())
        .filter_map(|i| {
            let columns: Option<Vec<String>> = i
                .keys
                .iter()
                .map(|k| match k {
                    crate::catalog::IndexKey::Column(c) => Some(c.clone()),
                    crate::catalog::IndexKey::Expr(_) => None,
                })
                .collect();
            Some((i.name.as_str(), columns?))
        })
        .collect();
    keys.extend(index_columns.iter().map(|(n, c)| (*n, &c[..])));
    let kept = |name: &str| {
        desired
            .primary_key
            .as_ref()
            .is_some_and(|pk| pk.name == name)
            || desired.uniques.iter().any(|u| u.name == name)
            || desired.indexes.iter().any(|i| i.name == name)
    };
    let key = super::create::example_key(current);
    for (key_name, columns) in keys {
        if !columns.contains(&current_name) || !kept(key_name) {
            continue;
        }
        let group: Vec<String> = columns
            .iter()
            .map(|c| {
                if *c == current_name {
                    converted.clone()
                } else {
                    sql::ident(c)
                }
            })
            .collect();
        let not_null: Vec<String> = columns
            .iter()
            .map(|c| format!("{} IS NOT NULL", sql::ident(c)))
            .collect();
        let first = |n: u32| format!("(array_agg({key} ORDER BY {key}))[{n}]");
        let value =
            |n: u32| format!("(array_agg(quote_nullable({name}::text) ORDER BY {key}))[{n}]");
        planned.preflight.push(Preflight {
            target: target(table, key_name),
            sql: format!(
                "SELECT coalesce(sum(n), 0)::bigint, min(e) FROM (SELECT count(*) AS n, concat({}, {}, {}, ', like key ', {}, ' with ', {}) AS e FROM {} WHERE {} GROUP BY {} HAVING count(*) > 1) d",
                first(1),
                sql::literal(&format!(" with `{current_name}` = ")),
                value(1),
                first(2),
                value(2),
                sql::qualified(&current.name),
                not_null.join(" AND "),
                group.join(", ")
            ),
            message: format!(
                "rows of `{}` hold values of `{column}` that become equal as {}, so `{key_name}` cannot be rebuilt",
                table.name,
                to.sql()
            ),
            help: Some(format!(
                "make those values of `{column}` different first, or change the key `{key_name}`"
            )),
            per_row: None,
        });
    }
}

/// `expr` with every cast to the enum `name` (`::permission_action`, `::public.permission_action`,
/// `::"permission_action"[]`) made a cast to `text`, so that it runs before the enum exists or has
/// its new values. `None` when `expr` names the type some other way (`CAST(x AS ...)`), which the
/// preflight cannot rewrite. String literals are left alone.
fn casts_to_text(expr: &str, name: &QualifiedName) -> Option<String> {
    let tokens = lexer::lex(expr);
    let mut out = String::with_capacity(expr.len());
    let mut copied = 0;
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        if token.kind == Kind::Cast {
            if let Some(last) = cast_to(&tokens, i + 1, name) {
                out.push_str(&expr[copied..token.start]);
                out.push_str("::text");
                copied = tokens[last].end;
                i = last + 1;
                continue;
            }
        }
        let after_as = i.checked_sub(1).is_some_and(|p| {
            tokens[p].kind == Kind::Word && tokens[p].text.eq_ignore_ascii_case("as")
        });
        if after_as && token.name().as_deref() == Some(name.name.as_str()) {
            return None;
        }
        i += 1;
    }
    out.push_str(&expr[copied..]);
    Some(out)
}

/// Where the type name at `tokens[at..]` ends when it names the enum `name` (`name`,
/// `schema.name`, either part quoted).
fn cast_to(tokens: &[lexer::Token], at: usize, name: &QualifiedName) -> Option<usize> {
    let first = tokens.get(at)?;
    let first_name = first.name()?;
    let second = match (tokens.get(at + 1), tokens.get(at + 2)) {
        (Some(dot), Some(second))
            if dot.kind == Kind::Dot && dot.start == first.end && second.start == dot.end =>
        {
            second.name()
        }
        _ => None,
    };
    let (schema, type_name, last) = match second {
        Some(second_name) => (Some(first_name), second_name, at + 2),
        None => (None, first_name, at),
    };
    (type_name == name.name && schema.is_none_or(|s| s == name.schema)).then_some(last)
}

#[cfg(test)]
mod tests {
    use crate::catalog::{
        BaseType, Catalog, Column, EnumType, PrimaryKey, QualifiedName, SqlType, Table,
    };
    use crate::diff::diff;
    use crate::pair::Pair;
    use crate::plan::{plan, Facts, PlanOptions, StepKind};

    fn table(name: &str, columns: Vec<Column>) -> Table {
        let mut table = Table::new(QualifiedName::public(name));
        table.columns = columns;
        table.primary_key = Some(PrimaryKey {
            name: format!("{name}_pkey"),
            columns: vec!["id".into()],
            origin: None,
        });
        table
    }

    fn column(name: &str, base: BaseType, nullable: bool) -> Column {
        let mut column = Column::new(name, SqlType::scalar(base));
        column.nullable = nullable;
        column
    }

    fn steps(current: &Catalog, desired: &Catalog, facts: &Facts) -> Vec<crate::plan::Step> {
        let catalogs = Pair::new(current, desired);
        plan(&diff(catalogs), catalogs, facts, &PlanOptions::default())
            .expect("plans")
            .steps
    }

    fn position(steps: &[crate::plan::Step], kind: StepKind) -> usize {
        steps
            .iter()
            .position(|s| s.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} step in {steps:#?}"))
    }

    #[test]
    fn a_default_that_fills_nulls_is_set_before_the_backfill() {
        let name = QualifiedName::public("tasks");
        let id = column("id", BaseType::BigInt, false);
        let current = Catalog {
            tables: vec![table(
                "tasks",
                vec![id.clone(), column("priority", BaseType::Integer, true)],
            )]
            .into(),
            ..Catalog::default()
        };
        let mut priority = column("priority", BaseType::Integer, false);
        priority.default = Some("3".into());
        let desired = Catalog {
            tables: vec![table("tasks", vec![id, priority])].into(),
            ..Catalog::default()
        };
        let mut facts = Facts::default();
        facts.tables_with_rows.insert(name.clone());
        facts.columns_with_nulls.insert((name, "priority".into()));
        let steps = steps(&current, &desired, &facts);
        let set_default = position(&steps, StepKind::SetDefault);
        assert!(set_default < position(&steps, StepKind::Backfill));
        assert!(set_default < position(&steps, StepKind::Verify));
    }

    #[test]
    fn a_renamed_column_gets_its_default_after_the_rename() {
        let id = column("id", BaseType::BigInt, false);
        let current = Catalog {
            tables: vec![table(
                "posts",
                vec![id.clone(), column("state", BaseType::Text, true)],
            )]
            .into(),
            ..Catalog::default()
        };
        let mut status = column("status", BaseType::Text, true);
        status.renamed_from = Some("state".into());
        status.default = Some("'draft'::text".into());
        let desired = Catalog {
            tables: vec![table("posts", vec![id, status])].into(),
            ..Catalog::default()
        };
        let steps = steps(&current, &desired, &Facts::default());
        assert!(position(&steps, StepKind::RenameColumn) < position(&steps, StepKind::SetDefault));
    }

    #[test]
    fn a_conversion_to_an_enum_the_plan_creates_is_checked_against_its_values_as_text() {
        let name = QualifiedName::public("tickets");
        let id = column("id", BaseType::BigInt, false);
        let current = Catalog {
            tables: vec![table(
                "tickets",
                vec![id.clone(), column("status", BaseType::Text, false)],
            )]
            .into(),
            ..Catalog::default()
        };
        let enum_name = QualifiedName::public("ticket_status");
        let mut status = column("status", BaseType::Enum(enum_name.clone()), false);
        status.using = Some("lower(status)::ticket_status".into());
        let desired = Catalog {
            tables: vec![table("tickets", vec![id, status])].into(),
            enums: vec![EnumType {
                name: enum_name,
                values: vec!["open".into(), "closed".into()],
                comment: None,
                renamed_from: None,
                origin: None,
            }],
            ..Catalog::default()
        };
        let mut facts = Facts::default();
        facts.tables_with_rows.insert(name);
        let catalogs = Pair::new(&current, &desired);
        let planned =
            plan(&diff(catalogs), catalogs, &facts, &PlanOptions::default()).expect("plans");
        // The preflight runs before the enum exists: it must not name it.
        assert_eq!(planned.preflight.len(), 1, "{:#?}", planned.preflight);
        assert_eq!(
            planned.preflight[0].sql,
            "SELECT count(*), min(concat(id::text, ' with `status` = ', quote_nullable(status::text))) \
             FROM public.tickets WHERE ((lower(status)::text))::text NOT IN ('open', 'closed')"
        );
        // Once the enum exists, the same check (its values may change in the same plan).
        let mut with_enum = current.clone();
        with_enum.enums = desired.enums.clone();
        let catalogs = Pair::new(&with_enum, &desired);
        let planned =
            plan(&diff(catalogs), catalogs, &facts, &PlanOptions::default()).expect("plans");
        assert_eq!(planned.preflight.len(), 1);
        assert!(!planned.preflight[0].sql.contains("ticket_status"));
    }

    #[test]
    fn casts_to_an_enum_read_as_casts_to_text() {
        let name = QualifiedName::public("action");
        let cases = [
            ("(lower(action)::action)", Some("(lower(action)::text)")),
            ("(x:: public.\"action\"[])", Some("(x::text[])")),
            (
                "('a::action' || x::actions)",
                Some("('a::action' || x::actions)"),
            ),
            ("(x::other.action)", Some("(x::other.action)")),
            ("(CAST(x AS action))", None),
        ];
        for (expr, expected) in cases {
            assert_eq!(
                super::casts_to_text(expr, &name).as_deref(),
                expected,
                "{expr}"
            );
        }
    }

    #[test]
    fn text_to_citext_keeps_the_table_and_rebuilds_only_indexes() {
        let name = QualifiedName::public("users");
        let id = column("id", BaseType::BigInt, false);
        let current = Catalog {
            tables: vec![table(
                "users",
                vec![id.clone(), column("email", BaseType::Text, false)],
            )]
            .into(),
            ..Catalog::default()
        };
        let desired = Catalog {
            tables: vec![table(
                "users",
                vec![id, column("email", BaseType::Citext, false)],
            )]
            .into(),
            extensions: ["citext".to_string()].into(),
            ..Catalog::default()
        };
        let mut facts = Facts::default();
        facts.tables_with_rows.insert(name);
        let catalogs = Pair::new(&current, &desired);
        let planned =
            plan(&diff(catalogs), catalogs, &facts, &PlanOptions::default()).expect("plans");
        // The extension is created by this plan: no preflight can name its type.
        assert!(planned.preflight.is_empty());
        let retype = &planned.steps[position(&planned.steps, StepKind::AlterColumnType)];
        assert_eq!(retype.lock, crate::plan::LockLevel::AccessExclusiveInstant);
        assert!(!retype.rewrites && !retype.destructive);
        // With a unique constraint on the column, its index is rebuilt under the lock.
        let mut indexed = current.clone();
        indexed.extensions.insert("citext".to_string());
        indexed.tables[0]
            .uniques
            .push(crate::catalog::UniqueConstraint {
                nulls_not_distinct: false,
                name: "users_email_key".into(),
                columns: vec!["email".into()],
                origin: None,
            });
        let mut desired = desired.clone();
        desired.tables[0].uniques = indexed.tables[0].uniques.clone();
        let catalogs = Pair::new(&indexed, &desired);
        let planned =
            plan(&diff(catalogs), catalogs, &facts, &PlanOptions::default()).expect("plans");
        let retype = &planned.steps[position(&planned.steps, StepKind::AlterColumnType)];
        assert_eq!(retype.lock, crate::plan::LockLevel::AccessExclusiveScan);
        assert!(!retype.rewrites);
    }

    #[test]
    fn a_serial_column_on_a_table_with_rows_is_numbered_in_batches_not_by_a_rewrite() {
        let name = QualifiedName::public("tickets");
        let id = column("id", BaseType::Uuid, false);
        let current = Catalog {
            tables: vec![table("tickets", vec![id.clone()])].into(),
            ..Catalog::default()
        };
        let mut number = column("number", BaseType::BigInt, false);
        number.serial = true;
        number.default = Some("nextval('tickets_number_seq'::regclass)".into());
        let desired = Catalog {
            tables: vec![table("tickets", vec![id, number])].into(),
            ..Catalog::default()
        };
        let mut facts = Facts::default();
        facts.tables_with_rows.insert(name);
        let steps = steps(&current, &desired, &facts);
        let add = &steps[position(&steps, StepKind::AddColumn)];
        assert!(!add.rewrites, "{add:#?}");
        assert_eq!(
            add.action,
            crate::plan::Action::Sql(vec![
                "CREATE SEQUENCE public.tickets_number_seq AS bigint".into(),
                "ALTER TABLE public.tickets ADD COLUMN number bigint".into(),
                "ALTER SEQUENCE public.tickets_number_seq OWNED BY public.tickets.number".into(),
                "ALTER TABLE public.tickets ALTER COLUMN number SET DEFAULT nextval('tickets_number_seq'::regclass)".into(),
            ])
        );
        assert!(position(&steps, StepKind::Backfill) > position(&steps, StepKind::AddColumn));
        // On an empty table `serial` does it all at once.
        let steps = self::steps(&current, &desired, &Facts::default());
        assert_eq!(
            steps[0].action,
            crate::plan::Action::Sql(vec![
                "ALTER TABLE public.tickets ADD COLUMN number bigserial NOT NULL".into()
            ])
        );
    }
}
