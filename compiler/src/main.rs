//! The `schemac` command: parses arguments and hands them to `schemac::cli::run`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = schemac::cli::Cli::parse();
    let mut output = schemac::cli::Output::terminal();
    schemac::cli::run(args, &mut output)
}
