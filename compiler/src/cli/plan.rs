//! `schemac plan`: the schema against the database (or an empty one), printed as a human summary,
//! an SQL script or JSON; `-o` also saves a plan file that `apply` can run.

use crate::catalog::Catalog;
use crate::diff::diff;
use crate::live::{plan_against, printer, PlanFailure, Planned};
use crate::pair::Pair;
use crate::plan::{self, Facts, PlanOptions};
use crate::source::SourceSet;

use super::{human, json, schema, DatabaseUrl, Format, Output, PlanArgs};

/// Prints a planning failure; returns exit code 1.
pub fn report_failure(
    out: &mut Output,
    failure: PlanFailure,
    sources: &SourceSet,
    url: Option<&DatabaseUrl>,
) -> u8 {
    match failure {
        PlanFailure::Diagnostics(diagnostics) => {
            schema::print_diagnostics(out, &diagnostics, sources)
        }
        PlanFailure::Message(message) => {
            let message = url.map_or(message.clone(), |u| u.scrub(&message));
            out.error(&message);
        }
    }
    1
}

pub fn run(args: PlanArgs, out: &mut Output) -> u8 {
    let options = PlanOptions {
        batch_size: args.batch_size,
        ..PlanOptions::default()
    };
    // The database's catalog is kept for the plan file's fingerprint; hashing it is a fifth of
    // planning 2,000 tables, so only with `-o`.
    let saving = args.output.is_some();
    let url = DatabaseUrl::from_args(args.database_url.as_deref());
    let (plan, current) = match (args.from_empty, url) {
        (true, _) => {
            let Some((sources, desired)) = schema::load(out, args.path.as_deref()) else {
                return 1;
            };
            let current = Catalog::default();
            let pair = Pair::new(&current, &desired);
            let changes = diff(pair);
            match plan::plan(&changes, pair, &Facts::empty(), &options) {
                Ok(plan) => (plan, current),
                Err(diagnostics) => {
                    schema::print_diagnostics(out, &diagnostics, &sources);
                    return 1;
                }
            }
        }
        (false, None) => {
            // The schema's own errors first, as with a database.
            if schema::load(out, args.path.as_deref()).is_some() {
                out.error(
                    "no database: pass --database-url URL, set DATABASE_URL, or plan with \
                     --from-empty",
                );
            }
            return 1;
        }
        (false, Some(url)) => {
            let Some(mut against) = schema::load_against(out, args.path.as_deref(), &url) else {
                return 1;
            };
            let printer = printer(args.dev_url.as_deref());
            match against.runtime.block_on(plan_against(
                &mut against.conn,
                against.current,
                &against.desired,
                &options,
                &printer,
            )) {
                Ok(planned) => {
                    let Planned {
                        plan,
                        current,
                        notes,
                        changes,
                        desired: canonical,
                    } = planned;
                    if saving {
                        // Done with: freed before the fingerprint copies the database's catalog,
                        // which was `plan -o`'s peak of memory.
                        drop((changes, canonical, against.desired));
                    } else {
                        // The process ends soon: not freed one allocation at a time.
                        std::mem::forget((changes, canonical, against.desired));
                    }
                    schema::let_go(against.conn, against.runtime);
                    for note in &notes {
                        out.note(note);
                    }
                    (plan, current)
                }
                Err(failure) => return report_failure(out, failure, &against.sources, Some(&url)),
            }
        }
    };
    let text = match args.format {
        Format::Human => human::plan(&plan, out.colour_stdout),
        Format::Sql => human::sql_script(&plan),
        Format::Json => json::plan_json(&plan, None),
    };
    out.result(&text);
    if let Some(path) = &args.output {
        let fingerprint = current.fingerprint();
        if let Err(error) = std::fs::write(path, json::plan_json(&plan, Some(&fingerprint))) {
            out.error(&format!("cannot write `{}`: {error}", path.display()));
            return 1;
        }
        out.note(&format!(
            "plan saved to {}; run it with `schemac apply {}`",
            path.display(),
            path.display()
        ));
    } else {
        std::mem::forget(current);
    }
    // The process ends here: freeing every step's strings one by one was 9 % of planning 10,000
    // new tables.
    std::mem::forget((plan, text));
    0
}
