//! Code generated for every catalog we have compiles, and `cargo fmt` leaves it alone: each catalog
//! (the fixture catalog, `schema/`, every example, every valid check fixture) is written into a
//! module of one temporary crate, with warnings denied, and the crate is `cargo check`ed once. It
//! depends on the workspace's own versions of sqlx, serde, uuid, chrono, time, rust_decimal,
//! ipnetwork and serde_json (the requirements are copied from `[workspace.dependencies]` and
//! `Cargo.lock` pins them), and builds in `target/codegen-compile-check/` so its dependencies are
//! compiled once, not on every run. The same crate has a binary, `src/main.rs`, whose `models`
//! module is generated from `codegen/every_type.schema` (every column type, enums, nullable
//! columns with defaults, reserved words, typed keys and a `[codegen.json]` column typed as a
//! struct of the binary): a binary uses little of the generated API, and must still build
//! without a warning.

#[path = "codegen/catalog.rs"]
mod catalog;
#[path = "codegen/schemas.rs"]
mod schemas;

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use schemac::catalog::Catalog;
use schemac::codegen::{self, CodegenOptions, RootFile, TimeCrate};

/// Crates the generated code uses, as the workspace declares them.
const DEPENDENCIES: &[&str] = &[
    "sqlx",
    "serde",
    "serde_json",
    "uuid",
    "chrono",
    "time",
    "rust_decimal",
    "ipnetwork",
];

/// `[dependencies]` lines for the temporary crate, copied from `[workspace.dependencies]`, with the
/// sqlx features the generated code needs on top of the workspace's.
fn dependencies() -> String {
    let manifest = fs::read_to_string(schemas::workspace_root().join("Cargo.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&manifest).unwrap();
    let workspace_deps = manifest["workspace"]["dependencies"].as_table().unwrap();
    let mut lines = String::new();
    for name in DEPENDENCIES {
        let mut spec = workspace_deps
            .get(*name)
            .unwrap_or_else(|| panic!("`{name}` is not in [workspace.dependencies]"))
            .clone();
        if *name == "sqlx" {
            let table = spec.as_table_mut().unwrap();
            let features = table
                .entry("features")
                .or_insert_with(|| toml::Value::Array(Vec::new()))
                .as_array_mut()
                .unwrap();
            for feature in ["derive", "postgres", "time", "chrono"] {
                features.push(toml::Value::String(feature.into()));
            }
        }
        writeln!(lines, "{name} = {spec}").unwrap();
    }
    lines
}

/// Every catalog codegen must compile for, by module name: the hand-built fixture catalog with
/// either time crate, an empty catalog, the reference schema, every example and every valid check
/// fixture.
fn catalogs() -> Vec<(String, Catalog, CodegenOptions)> {
    let chrono = CodegenOptions {
        source: "tests/codegen/catalog.rs".into(),
        ..CodegenOptions::default()
    };
    let time = CodegenOptions {
        time: TimeCrate::Time,
        ..chrono.clone()
    };
    let mut catalogs = vec![
        (
            "fixture_chrono".into(),
            catalog::fixture_catalog(),
            chrono.clone(),
        ),
        ("fixture_time".into(), catalog::fixture_catalog(), time),
        ("empty".into(), Catalog::default(), chrono),
    ];
    let schemas = std::iter::once(schemas::reference())
        .chain(schemas::examples())
        .chain(schemas::valid_fixtures());
    for schema in schemas {
        let options = CodegenOptions {
            source: schema.source,
            ..CodegenOptions::default()
        };
        catalogs.push((schema.name, schema.catalog, options));
    }
    // Sorted as rustfmt orders `mod` items, so the crate's own `lib.rs` passes `cargo fmt --check`.
    catalogs.sort_by(|a, b| a.0.cmp(&b.0));
    catalogs
}

/// `src/main.rs` and its `models` module, generated from a schema the generator has not seen.
fn binary_with_models(root: &std::path::Path) {
    let schema = schemas::compile_schema("every_type".into(), "tests/codegen/every_type.schema");
    let mut options = CodegenOptions {
        source: schema.source,
        ..CodegenOptions::default()
    };
    options
        .json
        .insert("items.meta".into(), "crate::Meta".into());
    let files = codegen::rust_models(&schema.catalog, &options);
    let item = files
        .iter()
        .find(|file| file.path.to_str() == Some("items.rs"))
        .expect("items.rs");
    for expected in [
        "pub struct Item {",
        "pub owner_id: super::people::PersonId,",
        "pub helper_id: Option<super::people::PersonId>,",
        "pub meta: sqlx::types::Json<crate::Meta>,",
        "pub maybe_note: Option<Option<String>>,",
        "pub fn with_insert(",
        "\"\\\"timestamp\\\"\",",
    ] {
        assert!(
            item.contents.contains(expected),
            "{expected}:\n{}",
            item.contents
        );
    }
    codegen::write(&root.join("src/models"), &files).unwrap();
    fs::write(
        root.join("src/main.rs"),
        "//! A binary with generated models, most of them unused.\n#![deny(warnings)]\n\n\
         mod models;\n\n\
         /// What `items.meta` holds.\n\
         #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]\n\
         pub struct Meta(pub std::collections::BTreeMap<String, String>);\n\n\
         fn main() {\n    \
             let meta = Meta(std::collections::BTreeMap::new());\n    \
             let person = models::NewPerson::new(\"Ada\");\n    \
             let columns = models::Item::COLUMNS.len();\n    \
             println!(\"{} {columns} {person:?}\", meta.0.len());\n\
         }\n",
    )
    .unwrap();
}

#[test]
fn generated_code_compiles_for_every_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"schemac-codegen-compile-check\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             # Not part of any workspace above the temporary directory.\n[workspace]\n\n[dependencies]\n{}",
            dependencies()
        ),
    )
    .unwrap();
    fs::copy(
        schemas::workspace_root().join("Cargo.lock"),
        root.join("Cargo.lock"),
    )
    .unwrap();

    let mut lib = String::from(
        "//! Generated models, each in its own module.\n#![deny(warnings, missing_docs)]\n\n",
    );
    for (module, catalog, options) in catalogs() {
        assert_eq!(options.root, RootFile::Mod);
        let files = codegen::rust_models(&catalog, &options);
        codegen::write(&root.join("src").join(&module), &files).unwrap();
        writeln!(
            lib,
            "/// Models generated for `{module}`.\npub mod {module};"
        )
        .unwrap();
    }
    fs::write(root.join("src/lib.rs"), lib).unwrap();
    binary_with_models(root);

    let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => schemas::workspace_root().join("target"),
    }
    .join("codegen-compile-check");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(&cargo)
        .arg("check")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo check of the generated code failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // `cargo fmt` must leave generated files as they are, or `schemac codegen --check` would call
    // a formatted checkout stale (each generated `mod` item is `rustfmt::skip`ped).
    let output = Command::new(&cargo)
        .args(["fmt", "--check", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo fmt would reformat the generated code:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
