//! No input makes the front end panic or hang: random bytes, prefixes and mutations of the valid
//! fixtures, a megabyte of garbage and 10,000 nested parentheses all come back as diagnostics.

#[path = "support/fixtures.rs"]
mod fixtures;

use proptest::prelude::*;
use schemac::compile::compile;
use schemac::source::SourceSet;
use schemac::syntax::fmt::format;

fn compile_bytes(bytes: &[u8]) -> schemac::compile::Compiled {
    let mut sources = SourceSet::default();
    sources.add_bytes("input.schema".into(), bytes);
    let compiled = compile(&sources);
    // The formatter walks the same input; it must not panic either.
    let _ = format(&sources.files[0]);
    compiled
}

fn valid_texts() -> &'static [Vec<u8>] {
    static TEXTS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    TEXTS.get_or_init(|| {
        let dir = fixtures::fixtures_dir().join("check/valid");
        fixtures::cases(&dir)
            .iter()
            .flat_map(|case| fixtures::schema_files(&case.path))
            .map(|path| std::fs::read(path).expect("fixture is readable"))
            .collect()
    })
}

#[test]
fn every_prefix_of_every_valid_fixture_compiles_without_panic() {
    for text in valid_texts() {
        for end in 0..=text.len() {
            let mut sources = SourceSet::default();
            sources.add_bytes("prefix.schema".into(), &text[..end]);
            compile(&sources);
        }
    }
}

/// Deterministic pseudo-random bytes drawn from `alphabet`.
fn garbage(size: usize, alphabet: &[u8]) -> Vec<u8> {
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    (0..size)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            alphabet[(rng % alphabet.len() as u64) as usize]
        })
        .collect()
}

#[test]
fn a_megabyte_of_garbage_is_a_diagnostic() {
    // Text that goes through the whole grammar: words, quotes, comments, stray braces.
    let text = garbage(
        1_000_000,
        b"abcdefghijklmnopqrstuvwxyz_0123456789 \n\t\"'/?,.;:}",
    );
    let mut sources = SourceSet::default();
    sources.add_bytes("garbage.schema".into(), &text);
    assert!(compile(&sources).has_errors());
    // Arbitrary bytes: invalid UTF-8 and control characters.
    let bytes = garbage(1_000_000, &(0..=255).collect::<Vec<u8>>());
    let mut sources = SourceSet::default();
    sources.add_bytes("bytes.schema".into(), &bytes);
    let compiled = compile(&sources);
    assert!(compiled
        .diagnostics
        .iter()
        .any(|d| d.code == "schemac::parse::invalid_utf8"));
}

#[test]
fn ten_thousand_nested_parentheses_are_a_diagnostic() {
    let deep = format!(
        "table t {{\n  x int check {}x{}\n}}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let compiled = compile_bytes(deep.as_bytes());
    assert_eq!(compiled.diagnostics.len(), 1);
    assert_eq!(
        compiled.diagnostics[0].code,
        "schemac::parse::nesting_too_deep"
    );
    let braces = "{".repeat(10_000);
    assert!(compile_bytes(braces.as_bytes()).has_errors());
    let unclosed = format!("table t {{\n  x int default{}\n}}\n", "(".repeat(10_000));
    assert!(compile_bytes(unclosed.as_bytes()).has_errors());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        compile_bytes(&bytes);
    }

    #[test]
    fn random_schema_like_text_never_panics(
        words in proptest::collection::vec(
            prop::sample::select(vec![
                "table", "tenant", "global", "enum", "tenancy", "root", "column", "role", "grant",
                "{", "}", "(", ")", "\n", " ", ",", "?", "[]", "\"", "'", "//", "///", "primary",
                "key", "references", "on", "delete", "cascade", "index", "unique", "check",
                "default", "x", "id", "uuid", "text", "int", "serial", "policy", "for", "select",
                "to", "using", "with", "backfill", "from", "renamed", "foreign", ".", "a.b",
            ]),
            0..80,
        )
    ) {
        compile_bytes(words.join(" ").as_bytes());
        compile_bytes(words.concat().as_bytes());
    }

    #[test]
    fn mutated_fixtures_never_panic(
        fixture in 0usize..64,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let texts = valid_texts();
        let mut text = texts[fixture % texts.len()].clone();
        for (position, byte, kind) in edits {
            let at = if text.is_empty() { 0 } else { position % text.len() };
            match kind {
                0 if !text.is_empty() => text[at] = byte,
                1 => text.insert(at, byte),
                _ if !text.is_empty() => { text.remove(at); }
                _ => {}
            }
        }
        compile_bytes(&text);
    }
}
