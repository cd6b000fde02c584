//! The pest parser generated from `schema.pest`.

#![allow(missing_docs)]

use pest_derive::Parser;

/// Parser for the `.schema` grammar; `Rule` names its rules.
#[derive(Parser)]
#[grammar = "syntax/schema.pest"]
pub struct SchemaParser;
