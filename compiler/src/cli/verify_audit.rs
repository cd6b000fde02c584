//! `schemac verify --audit`: what endangers isolation in a database without a schema.

use crate::verify::audit;

use super::{runtime, DatabaseUrl, Output, VerifyArgs, VerifyFormat};

pub fn run(args: &VerifyArgs, url: &DatabaseUrl, out: &mut Output) -> u8 {
    let columns: Vec<String> = match &args.tenant_column {
        Some(name) => vec![name.clone()],
        None => audit::DEFAULT_COLUMNS
            .iter()
            .map(|c| c.to_string())
            .collect(),
    };
    let result = runtime().map_err(|e| e.to_string()).and_then(|rt| {
        rt.block_on(async {
            let mut conn = url.connect().await?;
            audit::audit(&mut conn, &columns)
                .await
                .map_err(|e| e.to_string())
        })
    });
    let report = match result {
        Ok(report) => report,
        Err(message) => {
            out.error(&url.scrub(&message));
            return 2;
        }
    };
    let text = match args.format {
        VerifyFormat::Human => crate::verify::report::human(&report),
        VerifyFormat::Tap => crate::verify::report::tap(&report),
        VerifyFormat::Junit => crate::verify::report::junit(&report),
        VerifyFormat::Json => crate::verify::report::json(&report),
    };
    out.result(&text);
    if report.passed() {
        0
    } else {
        1
    }
}
