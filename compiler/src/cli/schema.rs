//! Loading and compiling the schema a command works on: the path from the arguments, else
//! `schema` in `schemac.toml`, else `schema/`; diagnostics rendered to stderr.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::compile::{check_with, compile_with, Checked, Threads};
use crate::diagnostics::{self, Diagnostic};
use crate::introspect::DecodeGate;
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
    report(out, compile_path(&schema_path(given), Threads::One))
}

/// Loads, parses (on every core: only the schema is held, see `Threads`) and resolves a schema
/// without lowering it, for `check`: its model, when clean, in a `Checked` whose diagnostics are
/// already printed (and taken out); on failure the diagnostics are already printed.
pub fn load_checked(out: &mut Output, given: Option<&Path>) -> Option<(SourceSet, Checked)> {
    let loaded = load_sources(&schema_path(given)).map(|sources| {
        let mut checked = check_with(&sources, Threads::AllCores);
        let diagnostics = std::mem::take(&mut checked.diagnostics);
        let clean = checked.model.is_some();
        (sources, diagnostics, Some(checked).filter(|_| clean))
    });
    report(out, loaded)
}

/// `load`, with `read` run on another thread while the schema compiles on this one: connecting to
/// and reading the database is mostly waiting for the server, and neither needs the other (2,000
/// tables: ~0.2 s each). `read` decodes what it read only once the compile has ended and its
/// syntax trees' memory is given back (`DecodeGate`, `allocator::give_back`), so that the two
/// peaks of memory do not add up when the compile runs late. A schema that does not compile is
/// reported at once, as if it had been compiled first, and the read is left behind, not waited
/// for: a connection can take long to fail (a server that never answers), and the process ends
/// soon.
pub fn load_while<T: Send + 'static>(
    out: &mut Output,
    given: Option<&Path>,
    read: impl FnOnce(DecodeGate) -> T + Send + 'static,
) -> Option<(SourceSet, Catalog, T)> {
    let path = schema_path(given);
    let (opener, gate) = DecodeGate::closed();
    let reading = std::thread::spawn(move || read(gate));
    let compiled = compile_path(&path, Threads::One);
    crate::allocator::give_back();
    drop(opener);
    let (sources, catalog) = report(out, compiled)?;
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

/// Ends what `load_against` opened: closes the session, and shuts the runtime down without waiting
/// for its idle blocking thread to be scheduled and exit (a few ms, before anything was printed).
pub fn let_go(conn: PgConnection, runtime: Arc<Runtime>) {
    drop(conn);
    match Arc::try_unwrap(runtime) {
        Ok(runtime) => runtime.shutdown_background(),
        Err(shared) => drop(shared),
    }
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
    let (sources, desired, read) = load_while(out, given, move |gate| {
        let (runtime, url) = reader;
        runtime.block_on(url.read_catalog(gate))
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

/// The schema at `path` read and compiled (its diagnostics and its catalog when clean), or why it
/// could not be read.
fn compile_path(path: &Path, threads: Threads) -> Loaded<Catalog> {
    load_sources(path).map(|sources| {
        let compiled = compile_with(&sources, threads);
        (sources, compiled.diagnostics, compiled.catalog)
    })
}

/// The files at `path`, or why they could not be read.
fn load_sources(path: &Path) -> Result<SourceSet, String> {
    SourceSet::load(path).map_err(|error| error.to_string())
}

/// A schema's files, the diagnostics of the stages that ran and what the last one made (only
/// when none found an error), or why the files could not be read.
type Loaded<T> = Result<(SourceSet, Vec<Diagnostic>, Option<T>), String>;

/// Prints the diagnostics; what the stages made when they found no error.
fn report<T>(out: &mut Output, loaded: Loaded<T>) -> Option<(SourceSet, T)> {
    let (sources, diagnostics, made) = match loaded {
        Ok(loaded) => loaded,
        Err(message) => {
            out.error(&message);
            return None;
        }
    };
    print_diagnostics(out, &diagnostics, &sources);
    match made {
        Some(made) if !diagnostics::has_errors(&diagnostics) => Some((sources, made)),
        _ => {
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            out.error(&format!(
                "the schema has {errors} error{}",
                if errors == 1 { "" } else { "s" }
            ));
            None
        }
    }
}
