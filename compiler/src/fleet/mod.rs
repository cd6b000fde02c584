//! Fleets: one schema, many databases. In: a targets file (`targets`), the database names a server
//! holds (listed by `introspect::databases`), and per-target results from the caller. Out: the
//! expanded, named targets; the order targets may start in under a connection budget (`schedule`);
//! targets grouped by identical result (`group`); the counts of a summary (`summary`).
//! Never prints, reads the environment or decides exit codes (that is `cli`); never connects itself:
//! `schedule::drive` runs the caller's per-target future.

pub mod group;
pub mod schedule;
pub mod summary;
pub mod targets;

pub use group::{group, Group};
pub use schedule::{drive, Limits, Rollout, Scheduler};
pub use summary::{Status, Summary};
pub use targets::{
    merge, scrub_passwords, server_targets, Server, Target, TargetsError, TargetsFile,
};
