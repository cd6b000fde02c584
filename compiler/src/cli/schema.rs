//! Loading and compiling the schema a command works on: the path from the arguments, else
//! `schema` in `schemac.toml`, else `schema/`; diagnostics rendered to stderr.

use std::path::{Path, PathBuf};

use crate::catalog::Catalog;
use crate::compile::{compile_with, Compiled, Threads};
use crate::diagnostics::{self, Diagnostic};
use crate::source::SourceSet;

use super::Output;

/// Render width for diagnostics.
const WIDTH: usize = 100;

/// The schema path: as given, else from `schemac.toml` in the working directory, else `schema/`.
pub fn schema_path(given: Option<&Path>) -> PathBuf {
    if let Some(path) = given {
        return path.to_path_buf();
    }
    configured_schema().unwrap_or_else(|| PathBuf::from("schema"))
}

fn configured_schema() -> Option<PathBuf> {
    let (_, config) = crate::config::Config::find(Path::new(".")).ok()??;
    config.schema
}

/// Prints diagnostics to stderr.
pub fn print_diagnostics(out: &mut Output, diagnostics: &[Diagnostic], sources: &SourceSet) {
    if diagnostics.is_empty() {
        return;
    }
    let text = diagnostics::render_all(diagnostics, sources, out.colour_stderr, WIDTH);
    let _ = std::io::Write::write_all(&mut out.stderr, text.as_bytes());
}

/// Loads and compiles a schema; on failure the diagnostics (or the IO error) are already printed.
pub fn load(out: &mut Output, given: Option<&Path>) -> Option<(SourceSet, Catalog)> {
    // The rest (the model) is freed here: the commands that load a schema to plan need the memory.
    load_compiled(out, given, Threads::One).map(|(sources, catalog, _)| (sources, catalog))
}

/// `load`, parsing on `threads`, and also giving the rest of what compiled (the model), for a
/// caller that keeps it.
pub fn load_compiled(
    out: &mut Output,
    given: Option<&Path>,
    threads: Threads,
) -> Option<(SourceSet, Catalog, Compiled)> {
    let path = schema_path(given);
    let sources = match SourceSet::load(&path) {
        Ok(sources) => sources,
        Err(error) => {
            out.error(&error.to_string());
            return None;
        }
    };
    let mut compiled = compile_with(&sources, threads);
    print_diagnostics(out, &compiled.diagnostics, &sources);
    match compiled.catalog.take() {
        Some(catalog) if !compiled.has_errors() => Some((sources, catalog, compiled)),
        _ => {
            let errors = compiled.diagnostics.iter().filter(|d| d.is_error()).count();
            out.error(&format!(
                "the schema has {errors} error{}",
                if errors == 1 { "" } else { "s" }
            ));
            None
        }
    }
}
