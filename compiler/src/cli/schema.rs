//! Loading and compiling the schema a command works on: the path from the arguments, else
//! `schema` in `schemac.toml`, else `schema/`; diagnostics rendered to stderr.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::compile::{compile_with, Compiled, Threads};
use crate::diagnostics::{self, Diagnostic};
use crate::source::SourceSet;

use sqlx::PgConnection;
use tokio::runtime::Runtime;

use super::{DatabaseUrl, Output};

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

/// `load`, with `read` run on another thread while the schema compiles on this one: connecting to
/// and reading the database is mostly waiting for the server, and neither needs the other (2,000
/// tables: ~0.2 s each). Compiling stays on this thread, whose allocator then reuses the syntax
/// trees' memory for planning. A schema that does not compile is reported at once, as if it had
/// been compiled first, and the read is left behind, not waited for: a connection can take long
/// to fail (a server that never answers), and the process ends soon.
pub fn load_while<T: Send + 'static>(
    out: &mut Output,
    given: Option<&Path>,
    read: impl FnOnce() -> T + Send + 'static,
) -> Option<(SourceSet, Catalog, T)> {
    let path = schema_path(given);
    let reading = std::thread::spawn(read);
    let mut compiled = compile_path(&path, Threads::One);
    // Not needed by the callers: freed before the database's rows are decoded beside it.
    if let Ok((_, compiled)) = &mut compiled {
        compiled.model = None;
    }
    let (sources, catalog, _) = report(out, compiled)?;
    let read = reading
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    Some((sources, catalog, read))
}

/// What `plan` and `drift` work from: the schema, compiled while the database was read.
pub struct Against {
    /// The session that read the database, kept for canonicalising and reading facts.
    pub conn: PgConnection,
    /// The database's catalog.
    pub current: Catalog,
    pub desired: Catalog,
    pub sources: SourceSet,
    /// The runtime `conn` lives on.
    pub runtime: Arc<Runtime>,
}

/// `load_while` reading `url`'s catalog (`DatabaseUrl::read_catalog`); on failure the schema's
/// diagnostics, or else why the database could not be read, are already printed.
pub fn load_against(out: &mut Output, given: Option<&Path>, url: &DatabaseUrl) -> Option<Against> {
    let runtime = match super::runtime() {
        Ok(runtime) => Arc::new(runtime),
        Err(error) => {
            out.error(&error.to_string());
            return None;
        }
    };
    let reader = (Arc::clone(&runtime), url.clone());
    let (sources, desired, read) = load_while(out, given, move || {
        let (runtime, url) = reader;
        runtime.block_on(url.read_catalog())
    })?;
    match read {
        Ok((conn, current)) => Some(Against {
            conn,
            current,
            desired,
            sources,
            runtime,
        }),
        Err(message) => {
            out.error(&message);
            None
        }
    }
}

/// `load`, parsing on `threads`, and also giving the rest of what compiled (the model), for a
/// caller that keeps it.
pub fn load_compiled(
    out: &mut Output,
    given: Option<&Path>,
    threads: Threads,
) -> Option<(SourceSet, Catalog, Compiled)> {
    report(out, compile_path(&schema_path(given), threads))
}

/// The schema at `path` read and compiled, or why it could not be read.
fn compile_path(path: &Path, threads: Threads) -> Result<(SourceSet, Compiled), String> {
    let sources = SourceSet::load(path).map_err(|error| error.to_string())?;
    let compiled = compile_with(&sources, threads);
    Ok((sources, compiled))
}

/// Prints what compiling said; the catalog when it compiled without errors.
fn report(
    out: &mut Output,
    compiled: Result<(SourceSet, Compiled), String>,
) -> Option<(SourceSet, Catalog, Compiled)> {
    let (sources, mut compiled) = match compiled {
        Ok(compiled) => compiled,
        Err(message) => {
            out.error(&message);
            return None;
        }
    };
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
