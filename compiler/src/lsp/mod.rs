//! `schemac lsp`: a Language Server Protocol server over a byte stream (stdio in the CLI). It runs
//! the compiler's front end (`compile`: parse → resolve → lower) on the schema each open file
//! belongs to, with unsaved buffers in place of the files on disk, and answers from the result:
//! diagnostics exactly as `schemac check` reports them, hover, definition, references, completion,
//! document symbols, formatting (`schemac fmt`), rename with `renamed from`, and code actions.
//! One file per feature; `server` dispatches. Never panics on any input: a malformed frame gets a
//! parse error, a request for a place past the end of a file gets an empty answer.

mod actions;
mod completion;
mod diagnostics;
mod hover;
mod index;
mod keywords;
mod position;
mod rename;
mod server;
mod symbols;
mod transport;
mod workspace;

pub use server::serve;
