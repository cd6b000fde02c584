//! Stable diagnostic codes. A code never changes meaning once released; add new ones at the end of
//! their stage's section.

// Plan.
pub const PLAN_CYCLE: &str = "schemac::plan::cycle";
pub const PLAN_AMBIGUOUS_BACKFILL: &str = "schemac::plan::ambiguous_backfill";
pub const PLAN_MISSING_BACKFILL: &str = "schemac::plan::missing_backfill";
pub const PLAN_INVALID_EXPRESSION: &str = "schemac::plan::invalid_expression";
pub const PLAN_DESTRUCTIVE_REFUSED: &str = "schemac::apply::destructive_refused";
