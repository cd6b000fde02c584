//! Schema sources: the `.schema` files of a directory (or one file), each with a `FileId`, and the
//! byte `Span`s every later stage uses to point back at them.
//! In: a path. Out: a `SourceSet`. Reading files is the only IO here; nothing is parsed.

use std::path::{Path, PathBuf};

/// Index of a file in its `SourceSet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One schema file: its path as the user wrote it and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub id: FileId,
    pub path: PathBuf,
    /// The file's text; invalid UTF-8 is replaced and reported by `SourceSet::load`.
    pub text: String,
}

impl SourceFile {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = (offset as usize).min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Every file of a schema, in a stable order (sorted by path).
#[derive(Debug, Clone, Default)]
pub struct SourceSet {
    pub files: Vec<SourceFile>,
    /// Byte offsets of invalid UTF-8 sequences, per file, found while loading.
    pub invalid_utf8: Vec<(FileId, u32)>,
}

/// Reading a schema path failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{0}` contains no `.schema` files")]
    NoSchemaFiles(PathBuf),
}

impl SourceSet {
    /// Loads a `.schema` file, or every `*.schema` file below a directory (recursively, sorted).
    pub fn load(path: &Path) -> Result<SourceSet, LoadError> {
        let io = |source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        let mut paths = Vec::new();
        if meta.is_dir() {
            collect_schema_files(path, &mut paths)?;
            paths.sort();
            if paths.is_empty() {
                return Err(LoadError::NoSchemaFiles(path.to_path_buf()));
            }
        } else {
            paths.push(path.to_path_buf());
        }
        let mut set = SourceSet::default();
        for path in paths {
            let bytes = std::fs::read(&path).map_err(|source| LoadError::Io {
                path: path.clone(),
                source,
            })?;
            set.add_bytes(path, &bytes);
        }
        Ok(set)
    }

    /// Adds a file from memory (tests, stdin); invalid UTF-8 is replaced and remembered.
    pub fn add_bytes(&mut self, path: PathBuf, bytes: &[u8]) -> FileId {
        let id = FileId(self.files.len() as u32);
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(error) => {
                self.invalid_utf8.push((id, error.valid_up_to() as u32));
                String::from_utf8_lossy(bytes).into_owned()
            }
        };
        self.files.push(SourceFile { id, path, text });
        id
    }

    /// Adds a file from a string.
    pub fn add(&mut self, path: impl Into<PathBuf>, text: &str) -> FileId {
        self.add_bytes(path.into(), text.as_bytes())
    }

    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }
}

fn collect_schema_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io = |source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            collect_schema_files(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "schema") {
            out.push(path);
        }
    }
    Ok(())
}
