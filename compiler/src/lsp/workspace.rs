//! The schemas the editor works on: open buffers (which take precedence over the files on disk)
//! and, per schema directory, the latest analysis — the `SourceSet` as `schemac check` would read
//! it with the buffers laid over it, the compiler's `Compiled` result, and the syntax trees.
//! In: buffer texts and paths. Out: `Analysis` values. Reads `.schema` files from disk, writes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::compile::{compile_parsed, Compiled};
use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::source::{FileId, SourceFile, SourceSet};
use crate::syntax::{self, ast};

use super::index::Index;
use super::position::LineIndex;

/// One schema (a directory of `.schema` files, or a single file) compiled as `check` would.
#[derive(Debug)]
pub struct Analysis {
    pub sources: SourceSet,
    pub compiled: Compiled,
    lines: Vec<LineIndex>,
    /// The syntax tree and the parse diagnostics of every file, in `sources` order.
    syntax: Vec<ast::File>,
    parse_diagnostics: Vec<Vec<Diagnostic>>,
    index: OnceLock<Index>,
}

impl Analysis {
    /// Compiles `sources`, parsing again only the files whose path, place and text differ from
    /// `previous` (typing in one file of 2,000 tables re-parses that file alone).
    fn new(sources: SourceSet, previous: Option<Analysis>) -> Analysis {
        let mut reusable: Vec<Option<(ast::File, Vec<Diagnostic>)>> = Vec::new();
        let mut old_files = Vec::new();
        if let Some(previous) = previous {
            old_files = previous.sources.files;
            reusable = previous
                .syntax
                .into_iter()
                .zip(previous.parse_diagnostics)
                .map(Some)
                .collect();
        }
        let mut syntax = Vec::with_capacity(sources.files.len());
        let mut parse_diagnostics = Vec::with_capacity(sources.files.len());
        for (n, file) in sources.files.iter().enumerate() {
            let same = old_files
                .get(n)
                .is_some_and(|old| old.path == file.path && old.text == file.text);
            let kept = if same {
                reusable.get_mut(n).and_then(Option::take)
            } else {
                None
            };
            let (tree, diagnostics) = kept.unwrap_or_else(|| {
                let parsed = syntax::parse(file);
                (parsed.file, parsed.diagnostics)
            });
            syntax.push(tree);
            parse_diagnostics.push(diagnostics);
        }
        let compiled = compile_parsed(&sources, &syntax, &parse_diagnostics);
        let lines = sources
            .files
            .iter()
            .map(|f| LineIndex::new(&f.text))
            .collect();
        Analysis {
            sources,
            compiled,
            lines,
            syntax,
            parse_diagnostics,
            index: OnceLock::new(),
        }
    }

    /// The syntax tree of every file.
    pub fn syntax(&self) -> &[ast::File] {
        &self.syntax
    }

    /// The names of the schema, bound (built on first use).
    pub fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::build(self.syntax()))
    }

    pub fn file_by_path(&self, path: &Path) -> Option<&SourceFile> {
        self.sources.files.iter().find(|f| f.path == path)
    }

    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.sources.file(id)
    }

    pub fn lines(&self, id: FileId) -> Option<&LineIndex> {
        self.lines.get(id.0 as usize)
    }
}

/// Open buffers and the analyses of the schemas they belong to.
#[derive(Debug, Default)]
pub struct Workspace {
    /// The editor's workspace folder, where `schemac.toml` may say where the schema is.
    pub root: Option<PathBuf>,
    pub open: BTreeMap<PathBuf, String>,
    analyses: BTreeMap<PathBuf, Analysis>,
    /// Schema roots whose analysis is out of date.
    stale: Vec<PathBuf>,
}

impl Workspace {
    pub fn new(root: Option<PathBuf>) -> Workspace {
        Workspace {
            root,
            ..Workspace::default()
        }
    }

    /// Records a buffer's text; its schema is analysed again on the next `refresh`.
    pub fn set_text(&mut self, path: PathBuf, text: String) {
        let root = self.schema_root(&path);
        self.open.insert(path, text);
        self.mark_stale(root);
    }

    /// Forgets a buffer: the file on disk counts again.
    pub fn close(&mut self, path: &Path) {
        self.open.remove(path);
        let root = self.schema_root(path);
        self.mark_stale(root);
    }

    /// Marks the schema of a file changed on disk (saved, created, deleted).
    pub fn touched(&mut self, path: &Path) {
        let root = self.schema_root(path);
        if self.analyses.contains_key(&root) {
            self.mark_stale(root);
        }
    }

    fn mark_stale(&mut self, root: PathBuf) {
        if !self.stale.contains(&root) {
            self.stale.push(root);
        }
    }

    /// Analyses every stale schema again; returns the analyses that changed, with the files each
    /// had before (whose diagnostics may need clearing).
    pub fn refresh(&mut self) -> Vec<(PathBuf, Vec<PathBuf>)> {
        let mut changed = Vec::new();
        for root in std::mem::take(&mut self.stale) {
            let before: Vec<PathBuf> = self
                .analyses
                .get(&root)
                .map(|a| a.sources.files.iter().map(|f| f.path.clone()).collect())
                .unwrap_or_default();
            let sources = self.load(&root);
            let has_open = sources
                .files
                .iter()
                .any(|f| self.open.contains_key(&f.path));
            let previous = self.analyses.remove(&root);
            if has_open {
                let analysis = Analysis::new(sources, previous);
                self.analyses.insert(root.clone(), analysis);
            }
            changed.push((root, before));
        }
        changed
    }

    pub fn analysis(&self, root: &Path) -> Option<&Analysis> {
        self.analyses.get(root)
    }

    /// The analysis a file belongs to (brought up to date first by the caller's `refresh`).
    pub fn analysis_of(&self, path: &Path) -> Option<&Analysis> {
        self.analyses.get(&self.schema_root(path))
    }

    /// The schema a file belongs to: the workspace's schema directory (`schema` in
    /// `schemac.toml`, else `schema/`) when the file is inside it, else the file's own directory.
    pub fn schema_root(&self, path: &Path) -> PathBuf {
        if let Some(root) = &self.root {
            let configured = Config::find(root)
                .ok()
                .flatten()
                .and_then(|(_, config)| config.schema)
                .unwrap_or_else(|| PathBuf::from("schema"));
            let dir = root.join(configured);
            if path.starts_with(&dir) && dir.is_dir() {
                return dir;
            }
        }
        path.parent()
            .map_or_else(|| path.to_path_buf(), Path::to_path_buf)
    }

    /// The schema's files as `check` reads them (recursively, sorted), with every open buffer
    /// below the root in place of (or beside) its file on disk.
    fn load(&self, root: &Path) -> SourceSet {
        let mut paths = Vec::new();
        if root.is_dir() {
            schema_files(root, &mut paths);
        } else {
            paths.push(root.to_path_buf());
        }
        for path in self.open.keys() {
            if path.starts_with(root) && !paths.contains(path) {
                paths.push(path.clone());
            }
        }
        paths.sort();
        let mut set = SourceSet::default();
        for path in paths {
            match self.open.get(&path) {
                Some(text) => {
                    set.add(path, text);
                }
                None => {
                    // A file that vanished since the listing is simply left out.
                    if let Ok(bytes) = std::fs::read(&path) {
                        set.add_bytes(path, &bytes);
                    }
                }
            }
        }
        set
    }
}

/// Every `*.schema` file below a directory, as `SourceSet::load` finds them (unreadable
/// directories are skipped: their files simply are not part of the analysis).
fn schema_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            schema_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "schema") {
            out.push(path);
        }
    }
}
