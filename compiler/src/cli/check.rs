//! `schemac check [PATH]`: parse and validate, print diagnostics; exit 0 clean, 1 on errors.

use super::{schema, CheckArgs, Output};
use crate::compile::Threads;

pub fn run(args: CheckArgs, out: &mut Output) -> u8 {
    // Only the schema is held, so parsing may use every core (see `Threads`).
    match schema::load_compiled(out, args.path.as_deref(), Threads::AllCores) {
        Some((sources, catalog, rest)) => {
            out.note(&format!(
                "checked {} file{}: {} table{}, {} enum{}; no errors",
                sources.files.len(),
                plural(sources.files.len()),
                catalog.tables.len(),
                plural(catalog.tables.len()),
                catalog.enums.len(),
                plural(catalog.enums.len())
            ));
            // The process ends here: freeing 2,000 tables' worth of small allocations one by one
            // was a tenth of `check`'s time (the model alone 4 ms).
            std::mem::forget((sources, catalog, rest));
            0
        }
        None => 1,
    }
}

pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
