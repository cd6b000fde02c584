//! The `.schema` sources codegen is tested on, compiled to catalogs: the reference schema
//! (`schema/`), each `examples/<name>/`, and each valid check fixture
//! (`fixtures/check/valid/<case>`). Names are stable (`example_blog`, `valid_multi_file`) so they
//! can name snapshots and modules.

// Each test binary that includes this module uses only some of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use schemac::catalog::Catalog;
use schemac::compile::compile;
use schemac::diagnostics::render_all;
use schemac::source::SourceSet;

/// One schema to generate code for.
pub struct Schema {
    /// A Rust identifier: `schema`, `example_<dir>`, `valid_<case>`.
    pub name: String,
    /// Relative to the workspace root, `/`-separated: names the source in generated headers.
    pub source: String,
    pub catalog: Catalog,
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is in the workspace")
        .to_path_buf()
}

/// Compiles the schema at `root/relative`, which must compile without a diagnostic.
pub fn compile_schema(name: String, relative: &str) -> Schema {
    let path = workspace_root().join(relative);
    let sources = SourceSet::load(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
    let compiled = compile(&sources);
    assert!(
        compiled.diagnostics.is_empty(),
        "{relative} should compile clean:\n{}",
        render_all(&compiled.diagnostics, &sources, false, 100)
    );
    Schema {
        name,
        source: relative.to_string(),
        catalog: compiled.catalog.expect("a clean compile has a catalog"),
    }
}

/// The entries of `dir` (relative to the root) that are directories or `.schema` files, sorted,
/// as (file stem, path relative to the root).
fn cases(dir: &str) -> Vec<(String, String)> {
    let entries = std::fs::read_dir(workspace_root().join(dir))
        .unwrap_or_else(|e| panic!("cannot read {dir}: {e}"));
    let mut cases: Vec<(String, String)> = entries
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_dir() || path.extension().is_some_and(|e| e == "schema"))
        .map(|path| {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let file = path
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (stem, format!("{dir}/{file}"))
        })
        .collect();
    cases.sort();
    cases
}

/// A Rust identifier from a file or directory name: `rename-and-evolve` → `rename_and_evolve`.
fn ident(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Each `examples/<name>/` (or its `schema/` directory where it has one).
pub fn examples() -> Vec<Schema> {
    let examples: Vec<Schema> = cases("examples")
        .into_iter()
        .map(|(stem, path)| {
            // An example with a `schema/` directory keeps other files (an expand-phase schema, SQL)
            // beside it: the schema is that directory.
            let path = if workspace_root().join(&path).join("schema").is_dir() {
                format!("{path}/schema")
            } else {
                path
            };
            compile_schema(format!("example_{}", ident(&stem)), &path)
        })
        .collect();
    assert!(examples.len() >= 3, "expected the three examples");
    examples
}

/// Each valid check fixture.
pub fn valid_fixtures() -> Vec<Schema> {
    let fixtures: Vec<Schema> = cases("tests/fixtures/check/valid")
        .into_iter()
        .map(|(stem, path)| compile_schema(format!("valid_{}", ident(&stem)), &path))
        .collect();
    assert!(fixtures.len() >= 5, "expected the valid check fixtures");
    fixtures
}

/// The reference schema, `schema/`.
pub fn reference() -> Schema {
    compile_schema("schema".into(), "schema")
}
