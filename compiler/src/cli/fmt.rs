//! `schemac fmt [PATH] [--check]`: rewrite files in canonical form. A file that does not parse is
//! reported and left untouched. `--check` exits 1 when a file is not formatted and 2 when it cannot
//! tell (a file that cannot be read or parsed).

use crate::source::SourceSet;
use crate::syntax::fmt::format;

use super::{schema, FmtArgs, Output};

pub fn run(args: FmtArgs, out: &mut Output) -> u8 {
    let path = schema::schema_path(args.path.as_deref());
    let sources = match SourceSet::load(&path) {
        Ok(sources) => sources,
        Err(error) => {
            out.error(&error.to_string());
            return if args.check { 2 } else { 1 };
        }
    };
    let mut failed = false;
    let mut unformatted = Vec::new();
    for file in &sources.files {
        match format(file) {
            Ok(formatted) if formatted == file.text => {}
            Ok(formatted) => {
                if args.check {
                    unformatted.push(file.path.display().to_string());
                } else if let Err(error) = std::fs::write(&file.path, formatted) {
                    out.error(&format!("cannot write `{}`: {error}", file.path.display()));
                    failed = true;
                } else {
                    out.note(&format!("formatted {}", file.path.display()));
                }
            }
            Err(diagnostics) => {
                schema::print_diagnostics(out, &diagnostics, &sources);
                failed = true;
            }
        }
    }
    for path in &unformatted {
        out.result(&format!("{path}\n"));
    }
    if !unformatted.is_empty() {
        out.error(&format!(
            "{} file(s) are not formatted; run `schemac fmt`",
            unformatted.len()
        ));
    }
    if failed {
        return if args.check { 2 } else { 1 };
    }
    u8::from(!unformatted.is_empty())
}
