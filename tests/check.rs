//! `fixtures/check/valid/*` must compile without a single diagnostic; every case under
//! `fixtures/check/invalid/` must produce diagnostics, snapshot as users see them (no colour,
//! width 100): `FILE:LINE:COL`, the code, the labels and the help.

#[path = "support/fixtures.rs"]
mod fixtures;

use schemac::compile::compile;
use schemac::diagnostics::{render_all, Severity};

#[test]
fn valid_fixtures_compile_clean() {
    let base = fixtures::fixtures_dir().join("check");
    let cases = fixtures::cases(&base.join("valid"));
    assert!(
        cases.len() >= 5,
        "expected the valid fixtures, found {cases:?}"
    );
    for case in cases {
        let sources = fixtures::load_relative(&case.path, &base);
        let compiled = compile(&sources);
        assert!(
            compiled.diagnostics.is_empty(),
            "{} should compile clean:\n{}",
            case.name,
            render_all(&compiled.diagnostics, &sources, false, 100)
        );
        let catalog = compiled.catalog.expect("a clean compile has a catalog");
        assert!(
            !catalog.tables.is_empty(),
            "{} lowered to no tables",
            case.name
        );
    }
}

#[test]
fn invalid_fixtures_report_diagnostics() {
    let base = fixtures::fixtures_dir().join("check");
    let cases = fixtures::cases(&base.join("invalid"));
    assert!(
        cases.len() >= 45,
        "expected at least 45 invalid cases, found {}",
        cases.len()
    );
    for case in cases {
        let sources = fixtures::load_relative(&case.path, &base);
        let compiled = compile(&sources);
        assert!(
            !compiled.diagnostics.is_empty(),
            "{} produced no diagnostic",
            case.name
        );
        let rendered = render_all(&compiled.diagnostics, &sources, false, 100);
        for diagnostic in &compiled.diagnostics {
            assert!(
                rendered.contains(diagnostic.code),
                "{}: the code {} is not rendered",
                case.name,
                diagnostic.code
            );
            assert!(
                diagnostic.span().is_some(),
                "{}: {} has no location",
                case.name,
                diagnostic.code
            );
            assert!(
                diagnostic.help.is_some(),
                "{}: {} has no help",
                case.name,
                diagnostic.code
            );
        }
        assert!(
            rendered.contains("invalid/"),
            "{}: no FILE:LINE:COL in\n{rendered}",
            case.name
        );
        assert!(
            rendered.contains("help:"),
            "{}: no help in\n{rendered}",
            case.name
        );
        // Only warnings: the catalog is still produced.
        let errors = compiled
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error);
        assert_eq!(compiled.catalog.is_some(), !errors, "{}", case.name);
        insta::assert_snapshot!(case.name.clone(), rendered);
    }
}

#[test]
fn three_mistakes_give_three_diagnostics() {
    let base = fixtures::fixtures_dir().join("check");
    let path = base.join("invalid/parse_three_mistakes_three_diagnostics.schema");
    let sources = fixtures::load_relative(&path, &base);
    let compiled = compile(&sources);
    assert_eq!(compiled.diagnostics.len(), 3, "{:#?}", compiled.diagnostics);
}

#[test]
fn diagnostics_of_every_file_are_reported() {
    let base = fixtures::fixtures_dir().join("check");
    let path = base.join("invalid/errors_in_two_files");
    let sources = fixtures::load_relative(&path, &base);
    let compiled = compile(&sources);
    let files: std::collections::BTreeSet<u32> = compiled
        .diagnostics
        .iter()
        .filter_map(|d| d.span().map(|s| s.file.0))
        .collect();
    assert_eq!(files.len(), 2, "{:#?}", compiled.diagnostics);
}
