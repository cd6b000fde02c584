//! `schemac plan`: the schema against the database (or an empty one), printed as a human summary,
//! an SQL script or JSON; `-o` also saves a plan file that `apply` can run.

use crate::catalog::Catalog;
use crate::diff::diff;
use crate::live::{make_plan_with, printer, PlanFailure, Planned};
use crate::pair::Pair;
use crate::plan::{self, Facts, PlanOptions};
use crate::source::SourceSet;

use super::{human, json, runtime, schema, DatabaseUrl, Format, Output, PlanArgs};

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
    let Some((sources, desired)) = schema::load(out, args.path.as_deref()) else {
        return 1;
    };
    let options = PlanOptions {
        batch_size: args.batch_size,
        ..PlanOptions::default()
    };
    // The database's catalog is kept for the plan file's fingerprint; hashing it is a fifth of
    // planning 2,000 tables, so only with `-o`.
    let saving = args.output.is_some();
    let (plan, current) = if args.from_empty {
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
    } else {
        let Some(url) = DatabaseUrl::from_args(args.database_url.as_deref()) else {
            out.error(
                "no database: pass --database-url URL, set DATABASE_URL, or plan with --from-empty",
            );
            return 1;
        };
        let printer = printer(args.dev_url.as_deref());
        let result = runtime().map_err(|e| e.to_string()).and_then(|rt| {
            rt.block_on(async {
                let (mut conn, mut helper) = url.connect_read_only_pair().await?;
                Ok(make_plan_with(&mut conn, helper.as_mut(), &desired, &options, &printer).await)
            })
        });
        match result {
            Ok(Ok(planned)) => {
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
                    drop((changes, canonical, desired));
                } else {
                    // The process ends soon: not freed one allocation at a time.
                    std::mem::forget((changes, canonical, desired));
                }
                for note in &notes {
                    out.note(note);
                }
                (plan, current)
            }
            Ok(Err(failure)) => return report_failure(out, failure, &sources, Some(&url)),
            Err(message) => {
                out.error(&message);
                return 1;
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
