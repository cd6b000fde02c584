//! `schemac codegen [PATH] [--out DIR] [--check]`: Rust model structs from the schema.
//! The output directory: `--out`, else `[codegen] out` in schemac.toml, else `generated/src`; a
//! directory named `src` gets a `lib.rs`, any other a `mod.rs`.

use std::path::PathBuf;

use crate::codegen::{self, RootFile};
use crate::config::Config;

use super::{schema, CodegenArgs, Output};

pub fn run(args: CodegenArgs, out: &mut Output) -> u8 {
    let config = match Config::find(std::path::Path::new(".")) {
        Ok(found) => found.map(|(_, config)| config).unwrap_or_default(),
        Err(error) => {
            out.error(&error.to_string());
            return 1;
        }
    };
    let Some((_, catalog)) = schema::load(out, args.path.as_deref()) else {
        return 1;
    };
    let dir = args
        .out
        .clone()
        .or_else(|| config.codegen.out.clone())
        .unwrap_or_else(|| PathBuf::from("generated/src"));
    let root = if dir.file_name().is_some_and(|name| name == "src") {
        RootFile::Lib
    } else {
        RootFile::Mod
    };
    let source = schema::schema_path(args.path.as_deref())
        .display()
        .to_string();
    let options = config.codegen.options(source, root);
    let files = codegen::rust_models(&catalog, &options);
    if args.check {
        let stale = codegen::check(&dir, &files);
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
    if let Err(error) = codegen::write(&dir, &files) {
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
