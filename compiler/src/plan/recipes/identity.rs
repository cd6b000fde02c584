//! Identity columns: a column becomes one (`ADD GENERATED ... AS IDENTITY`, its sequence moved past
//! the values the rows hold), switches between `ALWAYS` and `BY DEFAULT`, or stops being one
//! (`DROP IDENTITY`). Each is one brief ACCESS EXCLUSIVE step; none rewrites the table.
//! A column added as an identity column is `columns.rs` (`ADD COLUMN`).

use super::{current_column_name, current_table_name, phase, target, Context, Planned};
use crate::catalog::{Column, Identity, QualifiedName};
use crate::pair::Pair;
use crate::plan::deliberate::{Break, Deliberate};
use crate::plan::hazards::Hazard;
use crate::plan::step::{LockLevel, Resource, Step, StepKind};
use crate::sql::ddl;

/// A column becomes an identity column, stops being one, or switches between `ALWAYS` and
/// `BY DEFAULT`; `drop_default` and `default` as in `Change::AlterIdentity`.
pub fn alter_identity(
    ctx: &Context,
    table: &QualifiedName,
    column: &str,
    identity: Pair<&Option<Identity>>,
    drop_default: bool,
    default: Option<&str>,
    planned: &mut Planned,
) {
    let (current, desired) = (identity.current, identity.desired);
    let rows = ctx.has_rows(table);
    let column_in = |catalog: &crate::catalog::Catalog, table_name: &_, column_name: &str| {
        catalog
            .table(table_name)
            .and_then(|t| t.column(column_name))
            .cloned()
    };
    let current_column = column_in(
        ctx.catalogs.current,
        &current_table_name(ctx.catalogs, table),
        &current_column_name(ctx.catalogs, table, column),
    );
    let desired_column = column_in(ctx.catalogs.desired, table, column);
    // A serial column's sequence, where the column is or becomes serial.
    let serial_sequence = |side: &Option<Column>| {
        side.as_ref()
            .filter(|c| c.serial)
            .and_then(|c| c.default.as_deref())
            .and_then(|d| ddl::nextval_sequence(d, &table.schema))
    };
    let mut statements = Vec::new();
    let mut breaks = Vec::new();
    let mut scans = false;
    let mut hazards = Vec::new();
    match (current, desired) {
        (None, Some(identity)) => {
            // PostgreSQL refuses `ADD GENERATED` on a column that has a default ("column ... already
            // has a default value"), and on a nullable one: `Resource::Column` below waits for the
            // column's NOT NULL. https://www.postgresql.org/docs/current/sql-altertable.html
            if drop_default {
                breaks.push(Break::next(&statements, Deliberate::DropsDefault));
                statements.push(ddl::drop_default(table, column));
            }
            // serial → identity: the serial's own sequence goes (the identity one takes over its
            // name and, below, its position).
            if let Some(sequence) = serial_sequence(&current_column) {
                breaks.push(Break::next(&statements, Deliberate::DropsSequence));
                statements.push(ddl::drop_sequence(&sequence));
            }
            breaks.push(Break::next(&statements, Deliberate::AltersIdentity));
            statements.push(ddl::add_identity(table, column, *identity));
            // The new sequence starts at 1: move it past the values the rows already hold, in the
            // same transaction, so that no insert ever takes one of them.
            if rows {
                statements.push(ddl::sequence_past_rows(table, column));
                scans = true;
            }
        }
        (Some(_), Some(identity)) => {
            breaks.push(Break::next(&statements, Deliberate::AltersIdentity));
            statements.push(ddl::set_identity(table, column, *identity));
        }
        (Some(_), None) => {
            breaks.push(Break::next(&statements, Deliberate::AltersIdentity));
            statements.push(ddl::drop_identity(table, column));
            // identity → serial: the serial's sequence is made and owned as `serial` would, then
            // moved past the rows' values.
            let sequence = serial_sequence(&desired_column);
            if let (Some(sequence), Some(desired_column)) = (&sequence, &desired_column) {
                statements.push(ddl::create_sequence(sequence, &desired_column.ty));
                statements.push(ddl::sequence_owned_by(sequence, table, column));
            }
            if let Some(default) = default {
                statements.push(ddl::set_default(table, column, default));
                if sequence.is_some() && rows {
                    statements.push(ddl::sequence_past_rows(table, column));
                    scans = true;
                }
            } else {
                hazards.push(Hazard::stops_numbering(&table.name, column));
            }
        }
        (None, None) => return,
    }
    let mut step = Step::sql(
        StepKind::AlterIdentity,
        target(table, column),
        phase::COLUMNS,
        statements,
    )
    .breaks(breaks)
    .on_table(table)
    .lock(if scans {
        // `max(col)` reads the column's index when there is one (a primary key), else every row.
        LockLevel::AccessExclusiveScan
    } else {
        LockLevel::AccessExclusiveInstant
    })
    .needs([Resource::Column(table.clone(), column.to_string())]);
    step.scans = scans;
    for hazard in hazards {
        step = step.hazard(hazard);
    }
    planned.steps.push(step);
}
