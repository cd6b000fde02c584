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
    for file in &sources.files {
        let parsed = syntax::parse(file);
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
