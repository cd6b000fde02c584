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

fn valid_texts() -> Vec<Vec<u8>> {
    let dir = fixtures::fixtures_dir().join("check/valid");
    fixtures::cases(&dir)
        .iter()
        .flat_map(|case| fixtures::schema_files(&case.path))
        .map(|path| std::fs::read(path).expect("fixture is readable"))
        .collect()
}

#[test]
fn every_prefix_of_every_valid_fixture_compiles_without_panic() {
    for text in valid_texts() {
        for end in 0..=text.len() {
            compile_bytes(&text[..end]);
        }
    }
}

#[test]
fn a_megabyte_of_garbage_is_a_diagnostic() {
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let garbage: Vec<u8> = (0..1_000_000)
        .map(|_| {
            // xorshift: deterministic bytes, biased towards the characters the grammar cares about.
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            {
                let alphabet = b"(){}[]\"'/ \n\tabz_09?,.;:";
                alphabet[(rng % alphabet.len() as u64) as usize]
            }
        })
        .collect();
    let compiled = compile_bytes(&garbage);
    assert!(compiled.has_errors());
    let random: Vec<u8> = (0..1_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert!(compile_bytes(&random).has_errors());
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
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

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
