//! `schemac lsp`: the language server on stdin/stdout (`lsp::serve`); exit 0 after `shutdown`
//! then `exit`, 1 when the client exits without `shutdown` or the input ends first.

use super::{LspArgs, Output};

pub fn run(_args: LspArgs, _out: &mut Output) -> u8 {
    // The protocol owns stdout: nothing else may be printed there while the server runs.
    crate::lsp::serve(std::io::stdin(), std::io::stdout())
}
