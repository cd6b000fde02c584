//! `fixtures/check/valid/*` must compile without a single diagnostic; every case under
//! `fixtures/check/invalid/` must produce diagnostics, snapshot as users see them (no colour,
//! width 100): `FILE:LINE:COL`, the code, the labels and the help.
//!
//! Each case is a test of its own, named `valid/CASE` or `invalid/CASE` after its file or
//! directory (`cargo test --test check -- duplicate` runs the cases whose names contain
//! `duplicate`). An invalid case's snapshot lives beside it: `invalid/CASE.snap` for a file
//! `invalid/CASE.schema`, `invalid/CASE/diagnostics.snap` for a directory.

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/trials.rs"]
mod trials;

use std::path::PathBuf;

use libtest_mimic::{Arguments, Failed, Trial};
use schemac::compile::compile;
use schemac::diagnostics::{render_all, Severity};

fn base() -> PathBuf {
    fixtures::fixtures_dir().join("check")
}

fn valid_case(case: &fixtures::Case) {
    let sources = fixtures::load_relative(&case.path, &base());
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

fn invalid_case(case: &fixtures::Case) {
    let sources = fixtures::load_relative(&case.path, &base());
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
    let (dir, name) = snapshot_place(case);
    assert_snapshot_in!(&dir, name.as_str(), rendered);
}

/// Where an invalid case's snapshot lives: beside its file, or inside its directory.
fn snapshot_place(case: &fixtures::Case) -> (PathBuf, String) {
    if case.path.is_dir() {
        (case.path.clone(), "diagnostics".to_string())
    } else {
        let dir = case.path.parent().map(PathBuf::from).unwrap_or_default();
        (dir, case.name.clone())
    }
}

fn invalid_trial(case: fixtures::Case) -> Result<(), Failed> {
    let (dir, name) = snapshot_place(&case);
    trials::not_in_old_place(
        &format!("check__{}", case.name),
        &dir.join(format!("{name}.snap")),
    )?;
    trials::catching(|| invalid_case(&case))
}

fn three_mistakes_give_three_diagnostics() {
    let path = base().join("invalid/parse_three_mistakes_three_diagnostics.schema");
    let sources = fixtures::load_relative(&path, &base());
    let compiled = compile(&sources);
    assert_eq!(compiled.diagnostics.len(), 3, "{:#?}", compiled.diagnostics);
}

fn diagnostics_of_every_file_are_reported() {
    let path = base().join("invalid/errors_in_two_files");
    let sources = fixtures::load_relative(&path, &base());
    let compiled = compile(&sources);
    let files: std::collections::BTreeSet<u32> = compiled
        .diagnostics
        .iter()
        .filter_map(|d| d.span().map(|s| s.file.0))
        .collect();
    assert_eq!(files.len(), 2, "{:#?}", compiled.diagnostics);
}

fn main() {
    let args = Arguments::from_args();
    let valid = fixtures::cases(&base().join("valid"));
    let invalid = fixtures::cases(&base().join("invalid"));
    assert!(
        valid.len() >= 5,
        "expected the valid fixtures, found {valid:?}"
    );
    assert!(
        invalid.len() >= 45,
        "expected at least 45 invalid cases, found {}",
        invalid.len()
    );
    let mut tests: Vec<Trial> = valid
        .into_iter()
        .map(|case| {
            Trial::test(format!("valid/{}", case.name), move || {
                trials::catching(|| valid_case(&case))
            })
        })
        .collect();
    tests.extend(invalid.into_iter().map(|case| {
        Trial::test(format!("invalid/{}", case.name), move || {
            invalid_trial(case)
        })
    }));
    tests.push(Trial::test("three_mistakes_give_three_diagnostics", || {
        trials::catching(three_mistakes_give_three_diagnostics)
    }));
    tests.push(Trial::test(
        "diagnostics_of_every_file_are_reported",
        || trials::catching(diagnostics_of_every_file_are_reported),
    ));
    libtest_mimic::run(&args, tests).exit();
}
