//! SQL text: quoting of identifiers and literals, and DDL statement rendering. Every identifier and
//! literal that reaches SQL goes through `ident`, `qualified` or `literal`; nothing else builds quoted
//! names by hand.

pub mod ddl;
mod quote;
pub mod routines;
pub mod views;

pub use quote::{ident, literal, qualified};
