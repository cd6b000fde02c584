//! `plan`, `apply` and `drift` with `--targets FILE`: the schema is compiled once, the targets file
//! read and its servers listed (`fleet::targets`, `introspect::databases`), then every target is
//! worked on by the same code as a single database (`live::make_plan`, `apply::apply_database`)
//! under `fleet::drive` (at most `--parallel` at once, `--per-server` on one server, each holding
//! one connection). Results are grouped (`fleet::group`) or summed up (`fleet::Summary`) here.
//! Per-target output is captured, never interleaved; progress goes to stderr as targets finish.
//! Indexing `targets[..]` cannot panic: `fleet::drive` hands out indexes below `targets.len()`, and
//! results and groups are indexed like the targets they were made from.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::fleet::{self, Limits, Rollout, Status, Summary, Target, TargetsFile};
use crate::plan::{Plan, PlanOptions};

use super::apply::{apply_database, Ending, Input};
use super::PlanArgs;
use super::{human, json, schema, ApplyArgs, DatabaseUrl, DriftArgs, FleetArgs, Format, Output};
use crate::introspect::Printer;
use crate::live::{compare, make_plan, PlanFailure};

/// The fleet as the targets file names it, with the servers that could not be listed.
struct Fleet {
    targets: Vec<Target>,
    /// `(server label, message)` for each server whose databases could not be listed.
    unlisted: Vec<(String, String)>,
}

impl Fleet {
    fn len(&self) -> usize {
        self.targets.len() + self.unlisted.len()
    }
}

/// Reads the targets file; prints why not and returns `None` when it cannot be used.
fn read_targets(out: &mut Output, path: &Path) -> Option<TargetsFile> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            out.error(&format!("cannot read `{}`: {error}", path.display()));
            return None;
        }
    };
    match TargetsFile::parse(&text) {
        Ok(file) => Some(file),
        Err(error) => {
            out.error(&format!("`{}`: {error}", path.display()));
            None
        }
    }
}

/// The targets: named ones, then each server's matching databases (servers listed one at a time,
/// one connection each, before any target starts).
async fn expand(file: &TargetsFile) -> Result<Fleet, String> {
    let mut lists = vec![file.named_targets()];
    let mut unlisted = Vec::new();
    for server in &file.servers {
        let url = DatabaseUrl::new(server.url.clone());
        let listed = match url.connect().await {
            Ok(mut conn) => {
                let names = crate::introspect::databases(&mut conn, &server.databases).await;
                let _ = sqlx::Connection::close(conn).await;
                names.map_err(|e| url.scrub(&format!("cannot list the databases of {url}: {e}")))
            }
            Err(message) => Err(message),
        };
        match listed {
            Ok(names) => lists.push(fleet::server_targets(server, &names)),
            Err(message) => unlisted.push((server.label(), message)),
        }
    }
    let targets = fleet::merge(lists).map_err(|e| e.to_string())?;
    Ok(Fleet { targets, unlisted })
}

/// The runtime that lists servers and schedules targets (each target runs on a thread of its own:
/// `fleet::drive`).
fn fleet_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

fn limits(args: &FleetArgs) -> Limits {
    Limits {
        parallel: args.parallel as usize,
        per_server: args.per_server as usize,
    }
}

/// Progress on stderr: a bar on a terminal, else one line per finished target.
struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
}

impl Progress {
    fn new(out: &Output, total: usize, verb: &str) -> Progress {
        let bar = out.stderr_is_terminal.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(&format!(
                "{verb} {{bar:40}} {{pos}}/{{len}} targets, {{elapsed}}"
            )) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            total,
            done: 0,
        }
    }

    fn finished(&mut self, out: &mut Output, name: &str, what: &str) {
        self.done += 1;
        let line = format!("[{}/{}] {name}: {what}", self.done, self.total);
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                bar.inc(1);
            }
            None => {
                let _ = writeln!(out.stderr, "{line}");
            }
        }
    }

    fn clear(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// What planning one target gave.
enum Planned {
    Plan(Plan),
    /// The database differs from the schema in these ways (drift), none when equal.
    Drift(Vec<String>),
    Unreachable(String),
    /// The schema could not be planned against it (expressions the server rejects): a schema error.
    BadSchema(String),
    Failed(String),
}

impl Planned {
    fn is_failure(&self) -> bool {
        !matches!(self, Planned::Plan(_) | Planned::Drift(_))
    }

    fn error(&self) -> Option<&str> {
        match self {
            Planned::Unreachable(m) | Planned::BadSchema(m) | Planned::Failed(m) => Some(m),
            Planned::Plan(_) | Planned::Drift(_) => None,
        }
    }

    fn status(&self) -> &'static str {
        match self {
            Planned::Plan(_) => "planned",
            Planned::Drift(changes) if changes.is_empty() => "equal",
            Planned::Drift(_) => "drifting",
            Planned::Unreachable(_) => "unreachable",
            Planned::BadSchema(_) | Planned::Failed(_) => "failed",
        }
    }
}

/// Plans one target; for drift, keeps only the differences.
async fn plan_target(
    url: DatabaseUrl,
    desired: Arc<Catalog>,
    options: PlanOptions,
    drift: bool,
) -> Planned {
    let mut conn = match url.connect().await {
        Ok(conn) => conn,
        Err(message) => return Planned::Unreachable(message),
    };
    if drift {
        // Compared, not planned: a difference no plan can reach yet is still drift.
        let compared = compare(&mut conn, None, &desired, &Printer::Throwaway).await;
        let _ = sqlx::Connection::close(conn).await;
        return match compared {
            Ok(compared) => Planned::Drift(compared.changes.iter().map(human::describe).collect()),
            Err(failure) => failed(&url, failure),
        };
    }
    let planned = make_plan(&mut conn, &desired, &options).await;
    let _ = sqlx::Connection::close(conn).await;
    match planned {
        Ok(planned) => Planned::Plan(planned.plan),
        Err(failure) => failed(&url, failure),
    }
}

/// A target whose schema could not be planned (or compared) against it.
fn failed(url: &DatabaseUrl, failure: PlanFailure) -> Planned {
    match failure {
        PlanFailure::Diagnostics(diagnostics) => Planned::BadSchema(
            diagnostics
                .iter()
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        PlanFailure::Message(message) => Planned::Failed(url.scrub(&message)),
    }
}

/// Plans (or checks for drift) every target, `--parallel` at a time; prints progress.
fn plan_fleet(
    out: &mut Output,
    fleet_args: &FleetArgs,
    desired: Catalog,
    options: PlanOptions,
    drift: bool,
) -> Result<(Fleet, Vec<Planned>), String> {
    let Some(path) = &fleet_args.targets else {
        return Err("no targets file".to_string());
    };
    let Some(file) = read_targets(out, path) else {
        return Err(String::new());
    };
    let runtime = fleet_runtime().map_err(|e| e.to_string())?;
    let desired = Arc::new(desired);
    runtime.block_on(async {
        let fleet = expand(&file).await?;
        let rollout = Rollout {
            limits: limits(fleet_args),
            canary: 0,
            keep_going: true,
        };
        let mut progress = Progress::new(
            out,
            fleet.targets.len(),
            if drift { "drift" } else { "plan" },
        );
        let targets = &fleet.targets;
        let results = fleet::drive(
            targets,
            &rollout,
            |index| {
                let url = DatabaseUrl::new(targets[index].url.clone());
                let desired = Arc::clone(&desired);
                let options = options.clone();
                move || plan_target(url, desired, options, drift)
            },
            Planned::is_failure,
            Planned::Failed,
            |index, planned| {
                let what = planned.error().map_or_else(
                    || planned.status().to_string(),
                    |e| format!("{}: {e}", planned.status()),
                );
                progress.finished(out, &targets[index].name, &what);
            },
        )
        .await;
        progress.clear();
        let planned = results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Planned::Failed("not started".to_string())))
            .collect();
        Ok((fleet, planned))
    })
}

/// One target in `plan --targets --format json`.
#[derive(Serialize)]
struct PlanTargetJson<'a> {
    name: &'a str,
    /// `planned`, `unreachable` or `failed`.
    status: &'static str,
    /// The index into `groups` of its plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<usize>,
    /// Its plan, as `plan --format json` prints it.
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// `schemac plan --targets FILE`.
pub fn plan(args: PlanArgs, out: &mut Output) -> u8 {
    if args.from_empty || args.output.is_some() {
        out.error("`--targets` plans live databases: it takes neither `--from-empty` nor `-o`");
        return 2;
    }
    let Some((_, desired)) = schema::load(out, args.path.as_deref()) else {
        return 1;
    };
    let options = PlanOptions {
        batch_size: args.batch_size,
        ..PlanOptions::default()
    };
    let (fleet, planned) = match plan_fleet(out, &args.fleet, desired, options, false) {
        Ok(done) => done,
        Err(message) => {
            if !message.is_empty() {
                out.error(&message);
            }
            return 1;
        }
    };
    let keyed = planned.iter().enumerate().filter_map(|(index, p)| match p {
        Planned::Plan(plan) => Some((index, crate::apply::history::plan_hash(plan))),
        _ => None,
    });
    let groups = fleet::group(keyed);
    let text = match args.format {
        Format::Json => plans_json(&fleet, &planned, &groups),
        Format::Human | Format::Sql => plans_text(&fleet, &planned, &groups, args.format, out),
    };
    out.result(&text);
    u8::from(!failures(&fleet, &planned).is_empty())
}

/// The names of a group's targets.
fn member_names<'f>(fleet: &'f Fleet, members: &[usize]) -> Vec<&'f str> {
    members
        .iter()
        .map(|&i| fleet.targets[i].name.as_str())
        .collect()
}

/// The plan a group shares (its first member's).
fn first_plan<'p>(planned: &'p [Planned], members: &[usize]) -> Option<&'p Plan> {
    match members.first().map(|&i| &planned[i]) {
        Some(Planned::Plan(plan)) => Some(plan),
        _ => None,
    }
}

/// `plan --targets --format json`: each target with its group and plan, then the groups.
fn plans_json<K>(fleet: &Fleet, planned: &[Planned], groups: &[fleet::Group<K>]) -> String {
    let names = |members: &[usize]| member_names(fleet, members);
    let first_plan = |members: &[usize]| first_plan(planned, members);
    let group_of = |index: usize| groups.iter().position(|g| g.members.contains(&index));
    let mut entries: Vec<PlanTargetJson> = fleet
        .targets
        .iter()
        .zip(planned)
        .enumerate()
        .map(|(index, (target, p))| PlanTargetJson {
            name: &target.name,
            status: p.status(),
            group: group_of(index),
            plan: match p {
                Planned::Plan(plan) => serde_json::from_str(&json::plan_json(plan, None)).ok(),
                _ => None,
            },
            error: p.error(),
        })
        .collect();
    for (label, message) in &fleet.unlisted {
        entries.push(PlanTargetJson {
            name: label,
            status: "unreachable",
            group: None,
            plan: None,
            error: Some(message),
        });
    }
    let value = serde_json::json!({
        "targets": entries,
        "groups": groups.iter().map(|g| serde_json::json!({
            "targets": names(&g.members),
            "steps": first_plan(&g.members).map_or(0, |p| p.steps.len()),
        })).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// `plan --targets`: each distinct plan once with the targets it is for, then the targets that
/// could not be planned.
fn plans_text<K>(
    fleet: &Fleet,
    planned: &[Planned],
    groups: &[fleet::Group<K>],
    format: Format,
    out: &Output,
) -> String {
    let names = |members: &[usize]| member_names(fleet, members);
    let first_plan = |members: &[usize]| first_plan(planned, members);
    let mut text = String::new();
    text.push_str(&format!(
        "{} target{}, {} distinct plan{}\n",
        fleet.len(),
        if fleet.len() == 1 { "" } else { "s" },
        groups.len(),
        if groups.len() == 1 { "" } else { "s" }
    ));
    for (number, group) in groups.iter().enumerate() {
        let count = group.members.len();
        text.push_str(&format!(
            "\n== plan {} of {}: {count} target{}\n{}\n\n",
            number + 1,
            groups.len(),
            if count == 1 { "" } else { "s" },
            wrap_names(&names(&group.members))
        ));
        if let Some(plan) = first_plan(&group.members) {
            text.push_str(&match format {
                Format::Sql => human::sql_script(plan),
                _ => human::plan(plan, out.colour_stdout),
            });
        }
    }
    let failed = failures(fleet, planned);
    if !failed.is_empty() {
        text.push_str(&format!(
            "\n== not planned: {} target{}\n",
            failed.len(),
            if failed.len() == 1 { "" } else { "s" }
        ));
        for (name, status, error) in &failed {
            text.push_str(&format!("{name}: {status}: {error}\n"));
        }
    }
    text
}

/// `(name, status, error)` of each target that could not be planned, servers that could not be
/// listed included.
fn failures<'a>(fleet: &'a Fleet, planned: &'a [Planned]) -> Vec<(&'a str, &'static str, &'a str)> {
    let mut failed: Vec<(&str, &str, &str)> = fleet
        .targets
        .iter()
        .zip(planned)
        .filter_map(|(target, p)| Some((target.name.as_str(), p.status(), p.error()?)))
        .collect();
    for (label, message) in &fleet.unlisted {
        failed.push((label, "unreachable", message));
    }
    failed
}

/// Names, comma-separated, wrapped at 100 columns and indented.
fn wrap_names(names: &[&str]) -> String {
    let mut lines = vec![String::from("  ")];
    for (index, name) in names.iter().enumerate() {
        let piece = if index + 1 < names.len() {
            format!("{name}, ")
        } else {
            (*name).to_string()
        };
        if let Some(line) = lines.last_mut() {
            if line.len() + piece.len() > 100 && !line.trim().is_empty() {
                lines.push(format!("  {piece}"));
            } else {
                line.push_str(&piece);
            }
        }
    }
    lines
        .iter()
        .map(|l| l.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `schemac drift --targets FILE`: 0 every target equals the schema, 1 any drifts or cannot be
/// reached or read, 2 could not tell (bad schema, bad targets file).
pub fn drift(args: DriftArgs, out: &mut Output) -> u8 {
    let Some((_, desired)) = schema::load(out, args.path.as_deref()) else {
        return 2;
    };
    let (fleet, planned) = match plan_fleet(out, &args.fleet, desired, PlanOptions::default(), true)
    {
        Ok(done) => done,
        Err(message) => {
            if !message.is_empty() {
                out.error(&message);
            }
            return 2;
        }
    };
    let keyed = planned.iter().enumerate().filter_map(|(index, p)| match p {
        Planned::Drift(changes) if !changes.is_empty() => Some((index, changes.clone())),
        _ => None,
    });
    let groups = fleet::group(keyed);
    let equal: Vec<&str> = fleet
        .targets
        .iter()
        .zip(&planned)
        .filter(|(_, p)| matches!(p, Planned::Drift(c) if c.is_empty()))
        .map(|(t, _)| t.name.as_str())
        .collect();
    let failed = failures(&fleet, &planned);
    let bad_schema = planned.iter().any(|p| matches!(p, Planned::BadSchema(_)));
    let names = |members: &[usize]| -> Vec<&str> {
        members
            .iter()
            .map(|&i| fleet.targets[i].name.as_str())
            .collect()
    };
    let mut text = String::new();
    match args.format {
        Format::Json => {
            let mut entries: Vec<serde_json::Value> = fleet
                .targets
                .iter()
                .zip(&planned)
                .map(|(target, p)| {
                    let mut entry = serde_json::json!({"name": target.name, "status": p.status()});
                    if let Planned::Drift(changes) = p {
                        entry["differences"] = serde_json::json!(changes);
                    }
                    if let Some(error) = p.error() {
                        entry["error"] = serde_json::json!(error);
                    }
                    entry
                })
                .collect();
            for (label, message) in &fleet.unlisted {
                entries.push(
                    serde_json::json!({"name": label, "status": "unreachable", "error": message}),
                );
            }
            let value = serde_json::json!({
                "targets": entries,
                "groups": groups.iter().map(|g| serde_json::json!({
                    "targets": names(&g.members),
                    "differences": g.key,
                })).collect::<Vec<_>>(),
            });
            text = serde_json::to_string_pretty(&value).unwrap_or_default();
            text.push('\n');
        }
        Format::Human | Format::Sql => {
            text.push_str(&format!(
                "{} target{}: {} equal, {} drifting, {} could not be checked\n",
                fleet.len(),
                if fleet.len() == 1 { "" } else { "s" },
                equal.len(),
                groups.iter().map(|g| g.members.len()).sum::<usize>(),
                failed.len()
            ));
            for (number, group) in groups.iter().enumerate() {
                let count = group.members.len();
                text.push_str(&format!(
                    "\n== drift {} of {}: {count} target{}, {} difference(s)\n{}\n",
                    number + 1,
                    groups.len(),
                    if count == 1 { "" } else { "s" },
                    group.key.len(),
                    wrap_names(&names(&group.members))
                ));
                for change in &group.key {
                    text.push_str(&format!("  - {change}\n"));
                }
            }
            if !failed.is_empty() {
                text.push_str("\n== could not be checked\n");
                for (name, status, error) in &failed {
                    text.push_str(&format!("{name}: {status}: {error}\n"));
                }
            }
        }
    }
    out.result(&text);
    if bad_schema {
        2
    } else {
        u8::from(!groups.is_empty() || !failed.is_empty())
    }
}

/// One target in `apply --targets --format json`.
#[derive(Serialize)]
struct ApplyTargetJson<'a> {
    name: &'a str,
    /// `applied`, `up_to_date`, `dry_run`, `refused`, `failed`, `unreachable` or `not_started`.
    status: &'static str,
    /// Steps run (with those an interrupted earlier run had done), for `applied`.
    #[serde(skip_serializing_if = "Option::is_none")]
    steps: Option<usize>,
    /// The step that failed, for `failed` when one was running.
    #[serde(skip_serializing_if = "Option::is_none")]
    step: Option<&'a str>,
    /// Why it was refused, failed or unreachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// The fleet status of one database's ending.
fn status_of(ending: Ending) -> Status {
    match ending {
        Ending::Done(report) if report.steps_run + report.steps_already_done == 0 => {
            Status::UpToDate
        }
        Ending::Done(report) => Status::Applied {
            steps: report.steps_run + report.steps_already_done,
        },
        Ending::DryRun => Status::DryRun,
        Ending::Refused(reason) => Status::Refused { reason },
        Ending::Failed { step, message } => Status::Failed { step, message },
        Ending::Unreachable(message) => Status::Unreachable { message },
    }
}

/// `schemac apply --targets FILE`: every target as `apply` would, `--parallel` at a time, the
/// canary wave first; then a summary. 0 when every target is applied or up to date.
pub fn apply(args: ApplyArgs, out: &mut Output) -> u8 {
    if args
        .path
        .as_deref()
        .is_some_and(|p| p.is_file() && p.extension().is_none_or(|e| e != "schema"))
    {
        out.error(
            "`--targets` applies a schema, not a plan file: a plan file is made for one database",
        );
        return 2;
    }
    let Some((sources, desired)) = schema::load(out, args.path.as_deref()) else {
        return 1;
    };
    let Some(path) = args.fleet.targets.clone() else {
        return 2;
    };
    let Some(file) = read_targets(out, &path) else {
        return 1;
    };
    let runtime = match fleet_runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            out.error(&error.to_string());
            return 1;
        }
    };
    let fleet = match runtime.block_on(expand(&file)) {
        Ok(fleet) => fleet,
        Err(message) => {
            out.error(&message);
            return 1;
        }
    };
    if out.interactive && !args.yes && !args.dry_run && !confirm(out, fleet.targets.len()) {
        out.note("not applied");
        return 1;
    }
    let rollout = Rollout {
        limits: limits(&args.fleet),
        canary: args.canary as usize,
        keep_going: args.keep_going,
    };
    let format = args.format;
    let args = Arc::new(args);
    let sources = Arc::new(sources);
    let desired = Arc::new(desired);
    let targets = &fleet.targets;
    let mut progress = Progress::new(out, targets.len(), "apply");
    let results = runtime.block_on(fleet::drive(
        targets,
        &rollout,
        |index| {
            let url = DatabaseUrl::new(targets[index].url.clone());
            let args = Arc::clone(&args);
            let sources = Arc::clone(&sources);
            let desired = Arc::clone(&desired);
            move || async move {
                let input = Input::Schema((*sources).clone(), Box::new((*desired).clone()));
                // Each target's own messages are kept apart; its ending carries what the summary
                // shows, and its messages are printed after the run when it did not succeed.
                let (mut captured, _, stderr) = Output::captured();
                let status = status_of(apply_database(input, &args, &url, &mut captured).await);
                (status, stderr.text())
            }
        },
        |(status, _)| !status.is_success() && *status != Status::DryRun,
        |message| {
            let status = Status::Failed {
                step: None,
                message,
            };
            (status, String::new())
        },
        |index, (status, _)| progress.finished(out, &targets[index].name, &applied_label(status)),
    ));
    progress.clear();
    let rows = apply_rows(out, &fleet, results);
    let summary = Summary::of(rows.iter().map(|(_, s)| s));
    let text = match format {
        Format::Json => apply_json(&rows, &summary),
        Format::Human | Format::Sql => summary_table(&rows, &summary),
    };
    out.result(&text);
    u8::from(!summary.all_succeeded())
}

/// What the progress line says of one target's apply.
fn applied_label(status: &Status) -> String {
    match status {
        Status::Applied { steps } => {
            format!("applied {steps} step{}", if *steps == 1 { "" } else { "s" })
        }
        other => {
            let reason = other.reason();
            if reason.is_empty() {
                other.label().to_string()
            } else {
                format!("{}: {reason}", other.label())
            }
        }
    }
}

/// One row per target, in the file's order, then the unreachable servers; the captured messages
/// of each target that did not succeed are printed.
fn apply_rows<'f>(
    out: &mut Output,
    fleet: &'f Fleet,
    results: Vec<Option<(Status, String)>>,
) -> Vec<(&'f str, Status)> {
    let mut rows: Vec<(&str, Status)> = Vec::new();
    for (target, result) in fleet.targets.iter().zip(results) {
        let (status, log) = result.unwrap_or((Status::NotStarted, String::new()));
        if !status.is_success() && !log.trim().is_empty() {
            let _ = writeln!(
                out.stderr,
                "\n--- {}: {}\n{}",
                target.name,
                status.label(),
                log.trim_end()
            );
        }
        rows.push((target.name.as_str(), status));
    }
    for (label, message) in &fleet.unlisted {
        rows.push((
            label,
            Status::Unreachable {
                message: message.clone(),
            },
        ));
    }
    rows
}

/// The JSON of `apply --targets --format json`: each target, then the counts.
fn apply_json(rows: &[(&str, Status)], summary: &Summary) -> String {
    let entries: Vec<ApplyTargetJson> = rows
        .iter()
        .map(|(name, status)| ApplyTargetJson {
            name,
            status: status.kind(),
            steps: match status {
                Status::Applied { steps } => Some(*steps),
                _ => None,
            },
            step: match status {
                Status::Failed { step, .. } => step.as_deref(),
                _ => None,
            },
            reason: Some(status.reason()).filter(|r| !r.is_empty()),
        })
        .collect();
    let value = serde_json::json!({
        "targets": entries,
        "summary": {
            "applied": summary.applied,
            "up_to_date": summary.up_to_date,
            "dry_run": summary.dry_run,
            "refused": summary.refused,
            "failed": summary.failed,
            "unreachable": summary.unreachable,
            "not_started": summary.not_started,
        },
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// The summary: one row per target (name, status, detail), then the counts.
fn summary_table(rows: &[(&str, Status)], summary: &Summary) -> String {
    let width = rows
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut text = format!("{:width$}  {:<18}  detail\n", "target", "status");
    for (name, status) in rows {
        let detail = match status {
            Status::Applied { steps } => {
                format!("{steps} step{}", if *steps == 1 { "" } else { "s" })
            }
            other => other.reason(),
        };
        text.push_str(format!("{name:width$}  {:<18}  {detail}", status.label()).trim_end());
        text.push('\n');
    }
    let mut counts = vec![
        format!("{} applied", summary.applied),
        format!("{} already up to date", summary.up_to_date),
    ];
    if summary.dry_run > 0 {
        counts.push(format!("{} dry run", summary.dry_run));
    }
    counts.extend([
        format!("{} refused", summary.refused),
        format!("{} failed", summary.failed),
        format!("{} unreachable", summary.unreachable),
        format!("{} not started", summary.not_started),
    ]);
    text.push_str(&format!(
        "\n{} target{}: {}\n",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        counts.join(", ")
    ));
    text
}

fn confirm(out: &mut Output, targets: usize) -> bool {
    let _ = write!(
        out.stderr,
        "Apply the schema to {targets} target(s)? [y/N] "
    );
    let _ = out.stderr.flush();
    let mut answer = String::new();
    if std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes")
}
