//! The front half of the pipeline in one call: parse every file, resolve, lower. A stage runs only
//! when the one before produced no errors, so one typo does not cascade into ten.
//! In: a `SourceSet`. Out: `Compiled` (model and catalog when clean, and all diagnostics).

use std::path::Path;

use crate::catalog::{self, Catalog};
use crate::diagnostics::{has_errors, Diagnostic};
use crate::model::{self, Model};
use crate::source::{LoadError, SourceSet, Span};
use crate::syntax;

/// What `compile` produced: `model` when resolve found no error, `catalog` when it was lowered.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub model: Option<Model>,
    pub catalog: Option<Catalog>,
    /// Every diagnostic of every stage that ran, in stage order, then file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        has_errors(&self.diagnostics)
    }
}

/// Parses, resolves and lowers a schema.
pub fn compile(sources: &SourceSet) -> Compiled {
    let mut diagnostics = Vec::new();
    for (file, offset) in &sources.invalid_utf8 {
        diagnostics.push(Diagnostic::invalid_utf8(Span {
            file: *file,
            start: *offset,
            end: offset.saturating_add(1),
        }));
    }
    let mut files = Vec::with_capacity(sources.files.len());
    for parsed in parse_all(sources) {
        diagnostics.extend(parsed.diagnostics);
        files.push(parsed.file);
    }
    if has_errors(&diagnostics) {
        return Compiled {
            model: None,
            catalog: None,
            diagnostics,
        };
    }
    let (model, resolve_diagnostics) = model::resolve(&files);
    // The syntax trees are not needed any more; free them before lowering to keep the peak low.
    drop(files);
    diagnostics.extend(resolve_diagnostics);
    if has_errors(&diagnostics) {
        return Compiled {
            model: None,
            catalog: None,
            diagnostics,
        };
    }
    let catalog = catalog::lower(&model);
    Compiled {
        model: Some(model),
        catalog: Some(catalog),
        diagnostics,
    }
}

/// Below this many bytes of source, threads cost more than they save.
const PARALLEL_PARSE_BYTES: usize = 256 * 1024;
/// The main thread's stack size: pest parses by recursion and checks the stack it has left.
const PARSE_STACK: usize = 8 * 1024 * 1024;

/// `syntax::parse` of every file, in file order. Files are independent and parsing is half of
/// `check`'s time on a large schema, so a large schema is parsed on every core, each thread taking
/// a contiguous run of files of about the same size.
fn parse_all(sources: &SourceSet) -> Vec<syntax::Parsed> {
    let total: usize = sources.files.iter().map(|f| f.text.len()).sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(sources.files.len());
    if threads < 2 || total < PARALLEL_PARSE_BYTES {
        return sources.files.iter().map(syntax::parse).collect();
    }
    // Cut the file list where the running size passes each thread's share.
    let share = total.div_ceil(threads);
    let mut runs: Vec<&[crate::source::SourceFile]> = Vec::with_capacity(threads);
    let (mut start, mut size) = (0, 0);
    for (i, file) in sources.files.iter().enumerate() {
        size += file.text.len();
        if size >= share && runs.len() + 1 < threads {
            runs.push(&sources.files[start..=i]);
            (start, size) = (i + 1, 0);
        }
    }
    runs.push(&sources.files[start..]);
    std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .iter()
            .map(|run| {
                std::thread::Builder::new()
                    .stack_size(PARSE_STACK)
                    .spawn_scoped(scope, move || {
                        run.iter().map(syntax::parse).collect::<Vec<_>>()
                    })
            })
            .collect();
        let mut parsed = Vec::with_capacity(sources.files.len());
        for (run, handle) in runs.iter().zip(handles) {
            // A thread that cannot start, or that panicked, leaves its files to this thread.
            match handle.map(|h| h.join()) {
                Ok(Ok(files)) => parsed.extend(files),
                _ => parsed.extend(run.iter().map(syntax::parse)),
            }
        }
        parsed
    })
}

/// `compile` for a caller that keeps the syntax trees (the language server parses again only the
/// files that changed): `files[i]` and `parse_diagnostics[i]` are `syntax::parse` of
/// `sources.files[i]`. The same stages as `compile`, giving the same diagnostics in the same order.
pub fn compile_parsed(
    sources: &SourceSet,
    files: &[crate::syntax::ast::File],
    parse_diagnostics: &[Vec<Diagnostic>],
) -> Compiled {
    let mut diagnostics = Vec::new();
    for (file, offset) in &sources.invalid_utf8 {
        diagnostics.push(Diagnostic::invalid_utf8(Span {
            file: *file,
            start: *offset,
            end: offset.saturating_add(1),
        }));
    }
    for list in parse_diagnostics {
        diagnostics.extend(list.iter().cloned());
    }
    if has_errors(&diagnostics) {
        return Compiled {
            model: None,
            catalog: None,
            diagnostics,
        };
    }
    let (model, resolve_diagnostics) = model::resolve(files);
    diagnostics.extend(resolve_diagnostics);
    if has_errors(&diagnostics) {
        return Compiled {
            model: None,
            catalog: None,
            diagnostics,
        };
    }
    let catalog = catalog::lower(&model);
    Compiled {
        model: Some(model),
        catalog: Some(catalog),
        diagnostics,
    }
}

/// Loads a `.schema` file or directory and compiles it.
pub fn check_path(path: &Path) -> Result<(SourceSet, Compiled), LoadError> {
    let sources = SourceSet::load(path)?;
    let compiled = compile(&sources);
    Ok((sources, compiled))
}

#[cfg(test)]
mod compile_parsed_tests {
    use super::*;

    /// `compile_parsed` must say exactly what `compile` says (the language server's diagnostics
    /// are `check`'s): clean, a syntax error, a resolve error, errors in two files, bad UTF-8.
    #[test]
    fn compile_parsed_agrees_with_compile() {
        let cases: [&[&[u8]]; 5] = [
            &[b"table a {\n  id int primary\n}\n"],
            &[b"table a {\n  id int primary\n  %%%\n}\n"],
            &[b"table a {\n  id int references b\n}\n"],
            &[
                b"table a {\n  id int primary\n}\n",
                b"table a {\n  id int\n}\ntable c { x nope }\n",
            ],
            &[b"table a {\n  caf\xe9 int\n}\n"],
        ];
        for case in cases {
            let mut sources = SourceSet::default();
            for (n, text) in case.iter().enumerate() {
                sources.add_bytes(format!("f{n}.schema").into(), text);
            }
            let parsed: Vec<_> = sources.files.iter().map(syntax::parse).collect();
            let files: Vec<_> = parsed.iter().map(|p| p.file.clone()).collect();
            let lists: Vec<_> = parsed.iter().map(|p| p.diagnostics.clone()).collect();
            let whole = compile(&sources);
            let split = compile_parsed(&sources, &files, &lists);
            assert_eq!(whole.diagnostics, split.diagnostics);
            assert_eq!(whole.catalog, split.catalog);
        }
    }
}
