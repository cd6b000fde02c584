//! The `.schema` language: grammar (`schema.pest`), AST (`ast`), parser (`parse`) and formatter
//! (`fmt`). In: source text. Out: an `ast::File` plus syntax diagnostics, or formatted text.
//! This module knows nothing about PostgreSQL catalogs; names are bound later by `model::resolve`.

pub mod ast;
mod ast_routines;
pub mod fmt;
mod grammar;
pub mod parse;

pub use parse::{parse, Parsed};
