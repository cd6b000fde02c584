//! The front half of the pipeline in one call: parse every file, resolve, lower. A stage runs only
//! when the one before produced no errors, so one typo does not cascade into ten.
//! In: a `SourceSet`. Out: `Compiled` (the catalog when clean, and all diagnostics), or, for
//! `check_with`, which stops before lowering, `Checked` (the model).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::catalog::{self, Catalog};
use crate::diagnostics::{has_errors, Diagnostic};
use crate::model::{self, Model};
use crate::source::{LoadError, SourceSet, Span};
use crate::syntax::{self, ast};

/// What `compile` produced: `catalog` when parse and resolve found no error.
#[derive(Debug, Clone)]
pub struct Compiled {
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

/// What `check_with` produced: parsing and resolving, the stages that find what is wrong with a
/// schema. `model` when they found no error.
#[derive(Debug, Clone)]
pub struct Checked {
    pub model: Option<Model>,
    /// Every diagnostic of every stage that ran, in stage order, then file order: the same as
    /// `compile`'s, since lowering adds none.
    pub diagnostics: Vec<Diagnostic>,
}

/// On how many threads `compile_with` parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// The calling thread only. For commands that go on to hold a database's catalog beside the
    /// schema's: a helper thread's allocations stay in an allocator arena of their own, whose
    /// freed syntax trees the rest of the run cannot reuse (`plan` of 2,000 tables: 52 -> 60 MB).
    One,
    /// As many as the machine has cores: `check` of 2,000 tables spends most of its time parsing.
    AllCores,
}

/// Parses, resolves and lowers a schema, parsing on the calling thread.
pub fn compile(sources: &SourceSet) -> Compiled {
    compile_with(sources, Threads::One)
}

/// `compile`, parsing on `threads`. The result does not depend on them.
pub fn compile_with(sources: &SourceSet, threads: Threads) -> Compiled {
    compile_trees(sources, parse_files(sources, threads))
}

/// Parses and resolves, parsing on `threads`, without lowering: lowering only chooses the names
/// PostgreSQL would give and can find nothing wrong, and it was a fifth of `check`'s instructions.
pub fn check_with(sources: &SourceSet, threads: Threads) -> Checked {
    let (files, diagnostics) = trees(sources, parse_files(sources, threads));
    resolved(files, diagnostics)
}

/// The stages after parsing, for a caller that parsed the files itself (`to_source` parses each
/// piece of the text it writes as soon as it is written): `parsed[i]` is `syntax::parse` of
/// `sources.files[i]`. The syntax trees are freed once resolved.
pub fn compile_trees(sources: &SourceSet, parsed: Vec<syntax::Parsed>) -> Compiled {
    let (files, diagnostics) = trees(sources, parsed);
    lowered(resolved(files, diagnostics))
}

/// The syntax trees of `parsed`, and the diagnostics of loading and parsing `sources`.
fn trees(sources: &SourceSet, parsed: Vec<syntax::Parsed>) -> (Vec<ast::File>, Vec<Diagnostic>) {
    let mut diagnostics = invalid_utf8(sources);
    let mut files = Vec::with_capacity(parsed.len());
    for parsed in parsed {
        diagnostics.extend(parsed.diagnostics);
        files.push(parsed.file);
    }
    (files, diagnostics)
}

/// A diagnostic for each invalid UTF-8 sequence found while loading `sources`.
fn invalid_utf8(sources: &SourceSet) -> Vec<Diagnostic> {
    sources
        .invalid_utf8
        .iter()
        .map(|(file, offset)| {
            Diagnostic::invalid_utf8(Span {
                file: *file,
                start: *offset,
                end: offset.saturating_add(1),
            })
        })
        .collect()
}

/// Resolve after `diagnostics` (those of loading and parsing), when they hold no error. Owned
/// trees (`Vec`) are freed once resolved, before lowering, to keep the peak low; borrowed ones
/// (`&[_]`) are the caller's.
fn resolved<F: AsRef<[ast::File]>>(files: F, mut diagnostics: Vec<Diagnostic>) -> Checked {
    if has_errors(&diagnostics) {
        return Checked {
            model: None,
            diagnostics,
        };
    }
    let (model, resolve_diagnostics) = model::resolve(files.as_ref());
    drop(files);
    diagnostics.extend(resolve_diagnostics);
    let model = Some(model).filter(|_| !has_errors(&diagnostics));
    Checked { model, diagnostics }
}

/// The model lowered to a catalog, when resolving found no error.
fn lowered(checked: Checked) -> Compiled {
    Compiled {
        catalog: checked.model.map(catalog::lower),
        diagnostics: checked.diagnostics,
    }
}

/// `syntax::parse` of every file, in file order. Files are independent until resolve, so with
/// `Threads::AllCores` each thread takes the next file not yet taken (sizes differ).
fn parse_files(sources: &SourceSet, threads: Threads) -> Vec<syntax::Parsed> {
    let files = &sources.files;
    let threads = match threads {
        Threads::One => 1,
        Threads::AllCores => std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
    .min(files.len());
    if threads <= 1 {
        return files.iter().map(syntax::parse).collect();
    }
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(file) = files.get(index) else {
                return done;
            };
            done.push((index, syntax::parse(file)));
        }
    };
    let mut parsed: Vec<(usize, syntax::Parsed)> = std::thread::scope(|scope| {
        // The main thread's stack size, so that how deep a file may nest (`MAX_NESTING`) does
        // not depend on which thread parses it. A helper that cannot start leaves its share to
        // the others.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(8 << 20)
                    .spawn_scoped(scope, worker)
                    .ok()
            })
            .collect();
        let mut all = worker();
        for helper in helpers {
            // A panic in a helper is a bug; let it surface as the panic it is.
            all.extend(
                helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        all
    });
    parsed.sort_unstable_by_key(|(index, _)| *index);
    parsed.into_iter().map(|(_, parsed)| parsed).collect()
}

/// `compile` for a caller that keeps the syntax trees (the language server parses again only the
/// files that changed): `files[i]` and `parse_diagnostics[i]` are `syntax::parse` of
/// `sources.files[i]`. The same stages as `compile`, giving the same diagnostics in the same order.
pub fn compile_parsed(
    sources: &SourceSet,
    files: &[ast::File],
    parse_diagnostics: &[Vec<Diagnostic>],
) -> Compiled {
    let mut diagnostics = invalid_utf8(sources);
    for list in parse_diagnostics {
        diagnostics.extend(list.iter().cloned());
    }
    lowered(resolved(files, diagnostics))
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

    /// Parsing on every core gives what parsing on one gives, diagnostics in the same order:
    /// files of different sizes (so threads finish out of order), errors in several of them, a
    /// reference across files.
    #[test]
    fn parsing_on_all_cores_agrees_with_one_thread() {
        let mut sources = SourceSet::default();
        let mut tables = 0;
        for n in 0..12 {
            let mut text = String::new();
            for t in 0..(n * 7 % 5 + 1) * 20 {
                tables += 1;
                text.push_str(&format!("table t{n}_{t} {{\n  id int primary\n"));
                if n > 0 {
                    text.push_str(&format!("  up int references t{}_0\n", n - 1));
                }
                if n % 4 == 1 && t == 3 {
                    text.push_str("  %%% broken\n");
                }
                text.push_str("}\n");
            }
            sources.add(format!("f{n}.schema"), &text);
        }
        let one = compile_with(&sources, Threads::One);
        let all = compile_with(&sources, Threads::AllCores);
        assert_eq!(one.diagnostics.len(), 3, "{:?}", one.diagnostics);
        assert_eq!(one.diagnostics, all.diagnostics);
        assert_eq!(one.catalog, all.catalog);

        // And without the errors, the same catalog.
        let clean: Vec<(String, String)> = sources
            .files
            .iter()
            .map(|f| {
                (
                    f.path.display().to_string(),
                    f.text.replace("  %%% broken\n", ""),
                )
            })
            .collect();
        let mut sources = SourceSet::default();
        for (path, text) in &clean {
            sources.add(path.clone(), text);
        }
        let one = compile_with(&sources, Threads::One);
        let all = compile_with(&sources, Threads::AllCores);
        assert!(!one.has_errors(), "{:?}", one.diagnostics);
        assert_eq!(one.catalog.as_ref().map(|c| c.tables.len()), Some(tables));
        assert_eq!(one.catalog, all.catalog);
    }

    /// `check` stops before lowering: it must report exactly what compiling reports (lowering
    /// adds no diagnostic), with a model exactly when there is a catalog, of as many tables and
    /// enums. Cases: clean, a syntax error, a resolve error, two files, bad UTF-8, a tenancy.
    #[test]
    fn check_reports_what_compile_reports() {
        let cases: [&[&[u8]]; 6] = [
            &[b"enum s { a, b }\ntable a {\n  id int primary\n  s s\n}\n"],
            &[b"table a {\n  id int primary\n  %%%\n}\n"],
            &[b"table a {\n  id int references b\n}\n"],
            &[
                b"table a {\n  id int primary\n}\n",
                b"table b {\n  a int references a\n}\ntable c { x nope }\n",
            ],
            &[b"table a {\n  caf\xe9 int\n}\n"],
            &[
                b"tenancy { root accounts }\ntable accounts {\n  id uuid primary\n}\n\
                tenant table notes {\n  id uuid primary\n}\n",
            ],
        ];
        for (n, case) in cases.iter().enumerate() {
            let mut sources = SourceSet::default();
            for (file, text) in case.iter().enumerate() {
                sources.add_bytes(format!("f{file}.schema").into(), text);
            }
            let compiled = compile(&sources);
            let checked = check_with(&sources, Threads::One);
            assert_eq!(checked.diagnostics, compiled.diagnostics, "case {n}");
            let counts = |tables: usize, enums: usize| (tables, enums);
            assert_eq!(
                checked.model.map(|m| counts(m.tables.len(), m.enums.len())),
                compiled
                    .catalog
                    .map(|c| counts(c.tables.len(), c.enums.len())),
                "case {n}"
            );
        }
    }
}
