//! `schemac check [PATH]`: parse and validate, print diagnostics; exit 0 clean, 1 on errors.

use super::{schema, CheckArgs, Output};

pub fn run(args: CheckArgs, out: &mut Output) -> u8 {
    match schema::load_checked(out, args.path.as_deref()) {
        Some((sources, checked)) => {
            let (tables, enums) = checked
                .model
                .as_ref()
                .map_or((0, 0), |model| (model.tables.len(), model.enums.len()));
            out.note(&format!(
                "checked {} file{}: {} table{}, {} enum{}; no errors",
                sources.files.len(),
                plural(sources.files.len()),
                tables,
                plural(tables),
                enums,
                plural(enums)
            ));
            // The process ends here: freeing 2,000 tables' worth of small allocations one by one
            // was a tenth of `check`'s time (the model alone 4 ms).
            std::mem::forget((sources, checked));
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
