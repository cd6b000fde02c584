//! Standalone sequences: `CREATE SEQUENCE` before the defaults that read it, `ALTER SEQUENCE` in
//! place (its position is kept), `DROP SEQUENCE` after the defaults that read it are gone. Each is
//! a catalog-only change on the sequence alone, no table lock.

use super::{phase, Planned};
use crate::diff::Change;
use crate::plan::hazards::Hazard;
use crate::plan::step::{LockLevel, Resource, Step, StepKind};
use crate::sql::ddl;

pub fn plan(change: &Change, planned: &mut Planned) {
    let step = match change {
        Change::CreateSequence(sequence) => Step::sql(
            StepKind::CreateSequence,
            sequence.name.to_string(),
            phase::TYPES,
            vec![ddl::create_sequence_item(sequence)],
        )
        .needs(namespace(&sequence.name.schema))
        .provides([Resource::Sequence(sequence.name.clone())]),
        Change::AlterSequence { desired, .. } => Step::sql(
            StepKind::AlterSequence,
            desired.name.to_string(),
            phase::TYPES,
            vec![ddl::alter_sequence_item(desired)],
        ),
        Change::DropSequence(sequence) => Step::sql(
            StepKind::DropSequence,
            sequence.name.to_string(),
            phase::DROP_TYPES,
            vec![ddl::drop_sequence(&sequence.name)],
        )
        .destructive()
        .hazard(Hazard::deletes_data(&format!(
            "sequence `{}` (its position)",
            sequence.name
        )))
        .removes([Resource::Sequence(sequence.name.clone())]),
        _ => return,
    };
    // `ALTER SEQUENCE` and `DROP SEQUENCE` lock the sequence against every `nextval` for an instant:
    // with a short lock_timeout, like brief table DDL, so they never queue behind a long writer.
    let lock = match change {
        Change::CreateSequence(_) => LockLevel::None,
        _ => LockLevel::AccessExclusiveInstant,
    };
    planned.steps.push(step.lock(lock));
}

fn namespace(schema: &str) -> Vec<Resource> {
    if schema == "public" {
        Vec::new()
    } else {
        vec![Resource::Namespace(schema.to_string())]
    }
}
