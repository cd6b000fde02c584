//! `fmt` round trips: on every fixture and every file under `examples/` and `schema/`, formatting
//! is idempotent, and the formatted source compiles to the same diagnostics and an equal
//! `Catalog` (origins ignored).

#[path = "support/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};

use schemac::compile::compile;
use schemac::source::SourceSet;
use schemac::syntax::fmt::format;

/// Every schema case: fixture files/directories and the `examples/` and `schema/` trees.
fn roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    let check = fixtures::fixtures_dir().join("check");
    for dir in ["valid", "invalid"] {
        roots.extend(
            fixtures::cases(&check.join(dir))
                .into_iter()
                .map(|c| c.path),
        );
    }
    for dir in ["examples", "schema"] {
        let path = fixtures::repo_root().join(dir);
        if path.is_dir() {
            roots.push(path);
        }
    }
    roots
}

fn codes(sources: &SourceSet) -> Vec<&'static str> {
    compile(sources)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

#[test]
fn formatting_is_idempotent_and_keeps_the_catalog() {
    let mut formatted_files = 0;
    for root in roots() {
        let files = fixtures::schema_files(&root);
        let mut original = SourceSet::default();
        let mut formatted = SourceSet::default();
        let mut all_formatted = true;
        for path in &files {
            let bytes = std::fs::read(path).expect("fixture is readable");
            let id = original.add_bytes(path.clone(), &bytes);
            let file = original.file(id).expect("file just added");
            match format(file) {
                Ok(text) => {
                    let again_id = {
                        let mut once = SourceSet::default();
                        once.add(path.clone(), &text);
                        let twice = format(&once.files[0]).unwrap_or_else(|d| {
                            panic!(
                                "{}: formatted text does not parse: {d:#?}\n{text}",
                                path.display()
                            )
                        });
                        assert_eq!(twice, text, "{}: fmt is not idempotent", path.display());
                        formatted.add(path.clone(), &text)
                    };
                    let _ = again_id;
                    formatted_files += 1;
                }
                Err(_) => {
                    // Files with syntax errors are not formatted; the invalid fixtures have some.
                    assert!(
                        root.starts_with(fixtures::fixtures_dir().join("check/invalid")),
                        "{} does not format",
                        path.display()
                    );
                    all_formatted = false;
                }
            }
        }
        if !all_formatted {
            continue;
        }
        assert_eq!(
            codes(&original),
            codes(&formatted),
            "{}: diagnostics differ after fmt",
            root.display()
        );
        let (Some(mut before), Some(mut after)) =
            (compile(&original).catalog, compile(&formatted).catalog)
        else {
            continue;
        };
        before.clear_origins();
        after.clear_origins();
        assert_eq!(
            before,
            after,
            "{}: catalog differs after fmt",
            root.display()
        );
    }
    assert!(
        formatted_files > 50,
        "only {formatted_files} files were formatted"
    );
}

#[test]
fn formatting_keeps_every_comment() {
    for root in roots() {
        for path in fixtures::schema_files(&root) {
            let text =
                String::from_utf8_lossy(&std::fs::read(&path).expect("readable")).into_owned();
            let mut set = SourceSet::default();
            set.add(Path::new("x.schema"), &text);
            let Ok(formatted) = format(&set.files[0]) else {
                continue;
            };
            let comment_lines = |t: &str| -> Vec<String> {
                let mut set = SourceSet::default();
                set.add("x.schema", t);
                schemac::syntax::parse(&set.files[0])
                    .file
                    .comments
                    .into_iter()
                    .map(|c| c.text)
                    .collect()
            };
            assert_eq!(
                comment_lines(&text),
                comment_lines(&formatted),
                "{}",
                path.display()
            );
        }
    }
}
