//! `schemac introspect`: the database's schema as `.schema` source, to stdout or into a directory.
//! The target is only read, on a read-only connection.

use super::{runtime, DatabaseUrl, IntrospectArgs, Output};
use crate::introspect::DecodeGate;

pub fn run(args: IntrospectArgs, out: &mut Output) -> u8 {
    let Some(url) = DatabaseUrl::from_args(args.database_url.as_deref()) else {
        out.error("no database: pass --database-url URL or set DATABASE_URL");
        return 1;
    };
    let result = runtime().map_err(|e| e.to_string()).and_then(|rt| {
        let read = rt.block_on(url.read_catalog(DecodeGate::open()));
        // Not waited for: its idle threads end on their own, and waiting for them to be
        // scheduled took up to 6 ms.
        rt.shutdown_background();
        read.map(|(_, catalog)| catalog)
    });
    let catalog = match result {
        Ok(catalog) => catalog,
        Err(message) => {
            out.error(&url.scrub(&message));
            return 1;
        }
    };
    let source = crate::to_source::to_source(&catalog);
    // Not freed: the process ends here, and freeing 2,000 tables' small allocations one by one
    // took ~20 M instructions.
    std::mem::forget(catalog);
    for warning in &source.warnings {
        out.note(&format!("warning: {warning}"));
    }
    let source = source.text;
    match &args.output {
        None => out.result(&source),
        Some(dir) => {
            let path = dir.join("schema.schema");
            if let Err(error) =
                std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&path, &source))
            {
                out.error(&format!("cannot write `{}`: {error}", path.display()));
                return 1;
            }
            out.note(&format!("wrote {}", path.display()));
        }
    }
    0
}
