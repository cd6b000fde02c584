//! How each target of a fleet `apply` ended, and the counts of the summary table.

/// How one target ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Steps ran (`steps` counts those an interrupted earlier run had done, too).
    Applied { steps: usize },
    /// Nothing to do: the database already matched the schema.
    UpToDate,
    /// `--dry-run`: the preflight checks passed, nothing was changed.
    DryRun,
    /// Nothing was changed: a preflight check, a destructive step without `--allow-destructive`.
    Refused { reason: String },
    /// A step failed (or planning did); `step` names it when a step was running.
    Failed {
        step: Option<String>,
        message: String,
    },
    /// No connection.
    Unreachable { message: String },
    /// Stopped before it started (a failure elsewhere, or the canary).
    NotStarted,
}

impl Status {
    /// A stable snake_case name, for JSON and the summary table.
    pub fn kind(&self) -> &'static str {
        match self {
            Status::Applied { .. } => "applied",
            Status::UpToDate => "up_to_date",
            Status::DryRun => "dry_run",
            Status::Refused { .. } => "refused",
            Status::Failed { .. } => "failed",
            Status::Unreachable { .. } => "unreachable",
            Status::NotStarted => "not_started",
        }
    }

    /// Words for the summary table.
    pub fn label(&self) -> &'static str {
        match self {
            Status::Applied { .. } => "applied",
            Status::UpToDate => "already up to date",
            Status::DryRun => "dry run",
            Status::Refused { .. } => "refused",
            Status::Failed { .. } => "failed",
            Status::Unreachable { .. } => "unreachable",
            Status::NotStarted => "not started",
        }
    }

    /// Applied or already up to date.
    pub fn is_success(&self) -> bool {
        matches!(self, Status::Applied { .. } | Status::UpToDate)
    }

    /// Why it did not succeed, in one line (empty for a success).
    pub fn reason(&self) -> String {
        match self {
            Status::Applied { .. } | Status::UpToDate | Status::DryRun => String::new(),
            Status::Refused { reason } => reason.clone(),
            Status::Failed {
                step: Some(step),
                message,
            } => format!("{step}: {message}"),
            Status::Failed {
                step: None,
                message,
            } => message.clone(),
            Status::Unreachable { message } => message.clone(),
            Status::NotStarted => "stopped before it started".to_string(),
        }
    }
}

/// How many targets ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub applied: usize,
    pub up_to_date: usize,
    pub dry_run: usize,
    pub refused: usize,
    pub failed: usize,
    pub unreachable: usize,
    pub not_started: usize,
}

impl Summary {
    /// Counts the statuses.
    pub fn of<'a>(statuses: impl IntoIterator<Item = &'a Status>) -> Summary {
        let mut summary = Summary::default();
        for status in statuses {
            let count = match status {
                Status::Applied { .. } => &mut summary.applied,
                Status::UpToDate => &mut summary.up_to_date,
                Status::DryRun => &mut summary.dry_run,
                Status::Refused { .. } => &mut summary.refused,
                Status::Failed { .. } => &mut summary.failed,
                Status::Unreachable { .. } => &mut summary.unreachable,
                Status::NotStarted => &mut summary.not_started,
            };
            *count += 1;
        }
        summary
    }

    /// Every target applied, already up to date, or passed its dry run.
    pub fn all_succeeded(&self) -> bool {
        self.refused + self.failed + self.unreachable + self.not_started == 0
    }
}
