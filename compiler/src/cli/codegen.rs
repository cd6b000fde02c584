//! `schemac codegen [PATH] [--out DIR] [--check]`: Rust model structs from the schema.
//! What is read and written comes from `Config::codegen_target`: the output directory is `--out`,
//! else `[codegen] out` in schemac.toml, else `generated/src`; a directory named `src` gets a
//! `lib.rs`, any other a `mod.rs`. `--check` exits 1 when a file differs and 2 when it cannot tell
//! (no configuration or schema to generate from).

use std::path::Path;

use crate::codegen;
use crate::config::Config;

use super::{schema, CodegenArgs, Output};

pub fn run(args: CodegenArgs, out: &mut Output) -> u8 {
    let config = match Config::find(Path::new(".")) {
        Ok(found) => found.map(|(_, config)| config).unwrap_or_default(),
        Err(error) => {
            out.error(&error.to_string());
            return if args.check { 2 } else { 1 };
        }
    };
    let target = config.codegen_target(args.path.as_deref(), args.out.as_deref());
    let Some((_, mut catalog)) = schema::load(out, Some(&target.schema)) else {
        return if args.check { 2 } else { 1 };
    };
    // A view's columns are what a server makes of its query: printed on a throwaway cluster.
    if !catalog.views.is_empty() {
        let printed = super::runtime().map_err(|e| e.to_string()).and_then(|rt| {
            rt.block_on(crate::introspect::print_views(
                &catalog,
                &crate::introspect::Printer::Throwaway,
            ))
            .map_err(|e| e.to_string())
        });
        match printed {
            Ok(views) => catalog.views = views,
            Err(error) => {
                out.error(&format!(
                    "cannot read the columns of the schema's views: {error}"
                ));
                return if args.check { 2 } else { 1 };
            }
        }
    }
    let dir = &target.out;
    let files = codegen::rust_models(&catalog, &target.options);
    if args.check {
        let stale = codegen::check(dir, &files);
        if stale.is_empty() {
            out.note(&format!("{} is up to date", dir.display()));
            return 0;
        }
        for path in &stale {
            out.result(&format!("{}\n", path.display()));
        }
        out.error(&format!(
            "{} generated file(s) differ from the schema; run `schemac codegen`",
            stale.len()
        ));
        return 1;
    }
    if let Err(error) = codegen::write(dir, &files) {
        out.error(&format!("cannot write into `{}`: {error}", dir.display()));
        return 1;
    }
    out.note(&format!(
        "wrote {} file(s) into {}",
        files.len(),
        dir.display()
    ));
    0
}
