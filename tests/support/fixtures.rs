//! Fixture loading for the front-end tests: `.schema` files and directories under
//! `tests/fixtures/check/`, read with stable relative paths so that snapshots do not depend on
//! where the repository is checked out.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use schemac::source::SourceSet;

/// The `tests/fixtures` directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The repository root (the workspace).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// One case: a `.schema` file or a directory of them, named by its file or directory name.
#[derive(Debug)]
pub struct Case {
    pub name: String,
    pub path: PathBuf,
}

/// The cases directly under `dir`, sorted by name.
pub fn cases(dir: &Path) -> Vec<Case> {
    let mut cases: Vec<Case> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_dir() || path.extension().is_some_and(|e| e == "schema"))
        .map(|path| Case {
            name: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path,
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// Every `.schema` file below `path` (or `path` itself), sorted.
pub fn schema_files(path: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        entries.sort();
        for entry in entries {
            files.extend(schema_files(&entry));
        }
    } else if path.extension().is_some_and(|e| e == "schema") {
        files.push(path.to_path_buf());
    }
    files
}

/// Loads a case with paths relative to `base` (e.g. `invalid/duplicate_table.schema`).
pub fn load_relative(path: &Path, base: &Path) -> SourceSet {
    let mut set = SourceSet::default();
    for file in schema_files(path) {
        let bytes =
            std::fs::read(&file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let relative = file.strip_prefix(base).unwrap_or(&file).to_path_buf();
        set.add_bytes(relative, &bytes);
    }
    set
}
