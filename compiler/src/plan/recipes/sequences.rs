//! Standalone sequences: `CREATE SEQUENCE` before the defaults that read it, `ALTER SEQUENCE` in
//! place (its position is kept), `DROP SEQUENCE` after the defaults that read it are gone. Each is
//! a catalog-only change on the sequence alone, no table lock.

use super::{phase, Planned};
use crate::catalog::Sequence;
use crate::plan::deliberate::Deliberate;
use crate::plan::hazards::Hazard;
use crate::plan::step::{LockLevel, Resource, Step, StepKind};
use crate::sql::ddl;

/// A `sequence` item the database lacks.
pub fn create_sequence(sequence: &Sequence, planned: &mut Planned) {
    planned.steps.push(
        Step::sql(
            StepKind::CreateSequence,
            sequence.name.to_string(),
            phase::TYPES,
            vec![ddl::create_sequence_item(sequence)],
        )
        .needs(namespace(&sequence.name.schema))
        .provides([Resource::Sequence(sequence.name.clone())])
        .lock(LockLevel::None),
    );
}

// `ALTER SEQUENCE` and `DROP SEQUENCE` lock the sequence against every `nextval` for an instant:
// with a short lock_timeout, like brief table DDL, so they never queue behind a long writer.

/// A sequence whose options differ: altered in place.
pub fn alter_sequence(desired: &Sequence, planned: &mut Planned) {
    planned.steps.push(
        Step::sql(
            StepKind::AlterSequence,
            desired.name.to_string(),
            phase::TYPES,
            vec![ddl::alter_sequence_item(desired)],
        )
        .lock(LockLevel::AccessExclusiveInstant),
    );
}

/// A standalone sequence the schema does not declare.
pub fn drop_sequence(sequence: &Sequence, planned: &mut Planned) {
    planned.steps.push(
        Step::sql(
            StepKind::DropSequence,
            sequence.name.to_string(),
            phase::DROP_TYPES,
            vec![ddl::drop_sequence(&sequence.name)],
        )
        .breaking(0, Deliberate::DropsSequence)
        .destructive()
        .hazard(Hazard::deletes_data(&format!(
            "sequence `{}` (its position)",
            sequence.name
        )))
        .removes([Resource::Sequence(sequence.name.clone())])
        .lock(LockLevel::AccessExclusiveInstant),
    );
}

fn namespace(schema: &str) -> Vec<Resource> {
    if schema == "public" {
        Vec::new()
    } else {
        vec![Resource::Namespace(schema.to_string())]
    }
}
