//! `schemac verify`: proves tenant isolation on the live database (`crate::verify`), after
//! checking that it does not drift from the schema. Exit 0 every proof holds, 1 one fails, 2 the
//! proofs could not run (no database, a drifting database without `--allow-drift`, an error).

use crate::plan::PlanOptions;
use crate::verify::{self, report};

use super::{human, runtime, schema, DatabaseUrl, Output, VerifyArgs, VerifyFormat};
use crate::live::{make_plan, PlanFailure};

pub fn run(args: VerifyArgs, out: &mut Output) -> u8 {
    let Some(url) = DatabaseUrl::from_args(args.database_url.as_deref()) else {
        out.error("no database: pass --database-url URL or set DATABASE_URL");
        return 2;
    };
    if args.audit {
        return super::verify_audit::run(&args, &url, out);
    }
    let Some((sources, desired)) = schema::load(out, args.path.as_deref()) else {
        return 2;
    };
    if let Some(dir) = &args.emit_pgtap {
        if let Err(message) = verify::pgtap::write(&desired, dir) {
            out.error(&message);
            return 2;
        }
        out.note(&format!("pgTAP files written to {}", dir.display()));
    }
    let allow_drift = args.allow_drift;
    let result = runtime().map_err(|e| e.to_string()).and_then(|rt| {
        rt.block_on(async {
            let mut conn = url.connect().await?;
            let planned = make_plan(&mut conn, &desired, &PlanOptions::default()).await;
            let drift = match planned {
                Ok(planned) => planned
                    .changes
                    .iter()
                    .map(human::describe)
                    .collect::<Vec<_>>(),
                Err(PlanFailure::Diagnostics(diagnostics)) => return Ok(Err(diagnostics)),
                Err(PlanFailure::Message(message)) => return Err(message),
            };
            if !drift.is_empty() && !allow_drift {
                return Ok(Ok(Err(drift)));
            }
            let report = verify::verify(&mut conn, &desired)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Ok(Ok((report, drift))))
        })
    });
    let (report, drift) = match result {
        Ok(Ok(Ok(found))) => found,
        Ok(Ok(Err(drift))) => {
            let mut text = format!(
                "the database drifts from the schema ({} difference(s)); run `schemac drift`, \
                 or pass --allow-drift to prove isolation on it as it is:\n",
                drift.len()
            );
            for entry in &drift {
                text.push_str(&format!("  - {entry}\n"));
            }
            out.error(text.trim_end());
            return 2;
        }
        Ok(Err(diagnostics)) => {
            schema::print_diagnostics(out, &diagnostics, &sources);
            return 2;
        }
        Err(message) => {
            out.error(&url.scrub(&message));
            return 2;
        }
    };
    if !drift.is_empty() {
        out.note(&format!(
            "the database drifts from the schema ({} difference(s)); proving it as it is",
            drift.len()
        ));
    }
    let text = match args.format {
        VerifyFormat::Human => report::human(&report),
        VerifyFormat::Tap => report::tap(&report),
        VerifyFormat::Junit => report::junit(&report),
        VerifyFormat::Json => report::json(&report),
    };
    out.result(&text);
    if report.passed() {
        0
    } else {
        1
    }
}
