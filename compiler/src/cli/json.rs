//! The stable JSON shapes (CLI.md): `plan --format json` and the plan file written by `plan -o`.
//! Internal types are not `Serialize`; this module converts, so refactoring never breaks users' CI.
//! Keys may be added; none of `kind target sql destructive transactional lock hazards` is renamed.

use serde::{Deserialize, Serialize};

use crate::catalog::QualifiedName;
use crate::plan::{Action, Backfill, Hazard, LockLevel, Plan, Preflight, Step, StepKind};

/// Version of the plan file layout.
const PLAN_FORMAT: &str = "schemac-plan/1";

#[derive(Debug, Serialize, Deserialize)]
pub struct PlanJson {
    /// `schemac-plan/1` in plan files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Fingerprint of the database schema the plan was made against (plan files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    pub steps: Vec<StepJson>,
    #[serde(default)]
    pub preflight: Vec<PreflightJson>,
    #[serde(default)]
    pub notes: Vec<String>,
    /// The `lock_timeout` the plan was made for, in milliseconds.
    #[serde(default)]
    pub lock_timeout_ms: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct StepJson {
    pub kind: String,
    pub target: String,
    pub sql: String,
    pub destructive: bool,
    pub transactional: bool,
    pub lock: String,
    /// `code: message` for each hazard.
    pub hazards: Vec<String>,
    /// The stable kebab-case codes of `hazards`, in the same order.
    #[serde(default)]
    pub hazard_codes: Vec<String>,
    #[serde(default)]
    pub table: Option<String>,
    #[serde(default)]
    pub rewrites: bool,
    #[serde(default)]
    pub scans: bool,
    pub action: ActionJson,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActionJson {
    Sql {
        statements: Vec<String>,
    },
    Backfill {
        table: String,
        column: String,
        batch_sql: String,
        remaining_sql: String,
    },
    Verify {
        sql: String,
        message: String,
    },
    ConcurrentIndex {
        index: String,
        sql: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PreflightJson {
    pub target: String,
    pub sql: String,
    pub message: String,
    #[serde(default)]
    pub help: Option<String>,
    /// The row-by-row form of `sql`, run when `sql` fails (`Preflight::per_row`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_row: Option<String>,
}

fn name_text(name: &QualifiedName) -> String {
    format!("{}.{}", name.schema, name.name)
}

fn parse_name(text: &str) -> Result<QualifiedName, String> {
    text.split_once('.')
        .map(|(schema, name)| QualifiedName::new(schema, name))
        .ok_or_else(|| format!("`{text}` is not a schema-qualified name"))
}

fn step_json(step: &Step) -> StepJson {
    let action = match &step.action {
        Action::Sql(statements) => ActionJson::Sql {
            statements: statements.clone(),
        },
        Action::Backfill(b) => ActionJson::Backfill {
            table: name_text(&b.table),
            column: b.column.clone(),
            batch_sql: b.batch_sql.clone(),
            remaining_sql: b.remaining_sql.clone(),
        },
        Action::Verify { sql, message } => ActionJson::Verify {
            sql: sql.clone(),
            message: message.clone(),
        },
        Action::ConcurrentIndex { index, sql } => ActionJson::ConcurrentIndex {
            index: name_text(index),
            sql: sql.clone(),
        },
    };
    StepJson {
        kind: step.kind.as_str().to_string(),
        target: step.target.clone(),
        sql: step.action.sql_text(),
        destructive: step.destructive,
        transactional: step.transactional,
        lock: step.lock.describe().to_string(),
        hazards: step
            .hazards
            .iter()
            .map(|h| format!("{}: {}", h.code, h.message))
            .collect(),
        hazard_codes: step.hazards.iter().map(|h| h.code.to_string()).collect(),
        table: step.table.as_ref().map(name_text),
        rewrites: step.rewrites,
        scans: step.scans,
        action,
    }
}

/// The plan as JSON; with a fingerprint, as a plan file.
pub fn plan_json(plan: &Plan, fingerprint: Option<&str>) -> String {
    let json = PlanJson {
        format: fingerprint.map(|_| PLAN_FORMAT.to_string()),
        fingerprint: fingerprint.map(str::to_string),
        steps: plan.steps.iter().map(step_json).collect(),
        preflight: plan
            .preflight
            .iter()
            .map(|p| PreflightJson {
                target: p.target.clone(),
                sql: p.sql.clone(),
                message: p.message.clone(),
                help: p.help.clone(),
                per_row: p.per_row.clone(),
            })
            .collect(),
        notes: plan.notes.clone(),
        lock_timeout_ms: Some(plan.lock_timeout.as_millis() as u64),
    };
    let mut text =
        serde_json::to_string_pretty(&json).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// Hazard codes are `&'static str`; a saved plan's codes are matched back to the known ones.
fn hazard_code(code: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "deletes-data",
        "breaks-running-clients",
        "rewrites-table",
        "narrows-type",
        "scans-table",
        "backfills-rows",
        "rejects-writes",
        "changes-visibility",
        "exposes-rows",
        "blocks-writes",
        "replaces-type",
        "revokes-privilege",
        "row-visibility",
        "drops-constraint",
        "drops-index",
        "requires-application-deploy",
        "removes-uniqueness-guarantee",
    ];
    KNOWN
        .iter()
        .copied()
        .find(|k| *k == code)
        .unwrap_or("other")
}

/// Reads a plan file: the plan and the fingerprint it was made against.
pub fn read_plan_file(text: &str) -> Result<(Plan, Option<String>), String> {
    let json: PlanJson =
        serde_json::from_str(text).map_err(|e| format!("not a schemac plan file: {e}"))?;
    if json.format.as_deref() != Some(PLAN_FORMAT) {
        return Err(format!("not a schemac plan file (expected \"format\": \"{PLAN_FORMAT}\"; write one with `schemac plan -o FILE`)"));
    }
    let mut steps = Vec::new();
    for step in json.steps {
        let kind = StepKind::parse(&step.kind)
            .ok_or_else(|| format!("unknown step kind `{}`", step.kind))?;
        let lock =
            LockLevel::parse(&step.lock).ok_or_else(|| format!("unknown lock `{}`", step.lock))?;
        let action = match step.action {
            ActionJson::Sql { statements } => Action::Sql(statements),
            ActionJson::Backfill {
                table,
                column,
                batch_sql,
                remaining_sql,
            } => Action::Backfill(Backfill {
                table: parse_name(&table)?,
                column,
                batch_sql,
                remaining_sql,
            }),
            ActionJson::Verify { sql, message } => Action::Verify { sql, message },
            ActionJson::ConcurrentIndex { index, sql } => Action::ConcurrentIndex {
                index: parse_name(&index)?,
                sql,
            },
        };
        let mut built = Step::new(kind, step.target, 0, action).lock(lock);
        built.transactional = step.transactional;
        built.destructive = step.destructive;
        built.rewrites = step.rewrites;
        built.scans = step.scans;
        built.table = step.table.as_deref().map(parse_name).transpose()?;
        built.hazards = step
            .hazards
            .iter()
            .zip(
                step.hazard_codes
                    .iter()
                    .map(String::as_str)
                    .chain(std::iter::repeat("other")),
            )
            .map(|(text, code)| Hazard {
                code: hazard_code(code),
                message: text
                    .split_once(": ")
                    .map_or(text.clone(), |(_, m)| m.to_string()),
            })
            .collect();
        steps.push(built);
    }
    let preflight = json
        .preflight
        .into_iter()
        .map(|p| Preflight {
            target: p.target,
            sql: p.sql,
            message: p.message,
            help: p.help,
            per_row: p.per_row,
        })
        .collect();
    Ok((
        Plan {
            steps,
            preflight,
            notes: json.notes,
            lock_timeout: json.lock_timeout_ms.map_or(
                crate::plan::PlanOptions::default().lock_timeout,
                std::time::Duration::from_millis,
            ),
        },
        json.fingerprint,
    ))
}
