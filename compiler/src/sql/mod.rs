//! SQL text: quoting of identifiers and literals. Every identifier and literal that reaches SQL goes
//! through `ident`, `qualified` or `literal`; nothing else builds quoted names by hand.

mod quote;

pub use quote::{ident, literal, qualified};
