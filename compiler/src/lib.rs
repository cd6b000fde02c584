//! schemac: a declarative schema-as-code compiler for PostgreSQL.
//!
//! The pipeline (see ARCHITECTURE.md): `source` → `syntax` (parse) → `model` (resolve) →
//! `catalog` (lower) ⇄ `introspect` → `diff` → `plan` → `apply`, with `codegen` beside it.

#![forbid(unsafe_code)]

pub mod allocator;
pub mod apply;
pub mod catalog;
pub mod cli;
pub mod cluster;
pub mod codegen;
pub mod compile;
pub mod config;
pub mod diagnostics;
pub mod diff;
pub mod fleet;
pub mod introspect;
pub mod lexer;
pub mod live;
pub mod lsp;
pub mod model;
pub mod own_names;
pub mod pair;
pub mod plan;
pub mod source;
pub mod sql;
pub mod syntax;
pub mod to_source;
pub mod verify;
pub mod vocab;
