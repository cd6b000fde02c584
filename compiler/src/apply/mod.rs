//! Apply: runs a `Plan` against PostgreSQL. Preflight checks first (nothing changes if one fails),
//! then each step: brief DDL under a short `lock_timeout`, retried with backoff and jitter within a
//! bounded budget (never a last attempt without a timeout); concurrent builds and validations
//! without one; batched backfills as many short transactions. Every completed step is recorded in
//! `schemac_migrations`, so a run that died is continued from its first incomplete step.
//! The caller holds the advisory lock (`lock::acquire`, which polls: see `lock`) and made the plan
//! after taking it.
//! No printing: progress goes out through `Event`s.

mod error;
mod executor;
pub mod history;
pub mod leftovers;
pub mod lock;
mod retry;

pub use error::{ApplyError, PreflightFailure};
pub use executor::{preflight, run, ApplyOptions, ApplyReport, Event};
