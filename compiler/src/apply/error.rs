//! What can stop an apply.

/// A preflight check that found rows the plan cannot handle.
#[derive(Debug, Clone, PartialEq)]
pub struct PreflightFailure {
    pub target: String,
    pub message: String,
    pub count: i64,
    /// An example row's key, when the check could name one.
    pub example: Option<String>,
    pub help: Option<String>,
    /// The server's error, when the check itself failed (a conversion that errors, for example).
    pub error: Option<String>,
}

/// Why `apply` stopped.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("the plan cannot finish; nothing was changed")]
    Preflight(Vec<PreflightFailure>),
    #[error("step {index} ({kind} {target}) failed: {message}")]
    Step {
        index: usize,
        kind: &'static str,
        target: String,
        statement: String,
        message: String,
    },
    #[error("step {index} ({kind} {target}) found {count} rows {message}")]
    Verify {
        index: usize,
        kind: &'static str,
        target: String,
        count: i64,
        message: String,
    },
    #[error("step {index} ({kind} {target}) could not take its lock within {attempts} attempts ({waited_ms} ms in all): {holders}")]
    LockTimeout {
        index: usize,
        kind: &'static str,
        target: String,
        attempts: u32,
        waited_ms: u128,
        holders: String,
    },
    #[error("index `{index}` was left INVALID by its concurrent build and has been dropped; run apply again")]
    InvalidIndex { index: String },
    #[error("could not drop {object}, left by an interrupted run: {message}")]
    Cleanup { object: String, message: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}
