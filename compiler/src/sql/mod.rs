//! SQL text: quoting of identifiers and literals, and DDL statement rendering. Every identifier and
//! literal that reaches SQL goes through `ident`, `qualified` or `literal`; nothing else builds quoted
//! names by hand.

pub mod ddl;
pub mod routines;
pub mod views;
// Quoting lives with the names it quotes, in the bottom layer (`vocab`).
pub use crate::vocab::{ident, literal, qualified};
