//! The command line (CLI.md is the contract): argument parsing with clap, one file per command.
//! Only this module prints, reads environment variables or decides exit codes; every command loads
//! its inputs, calls library stages and formats their results.

mod apply;
mod check;
mod codegen;
mod database;
mod drift;
mod duration;
mod fleet;
mod fmt;
mod human;
mod introspect;
pub mod json;
mod output;
mod plan;
mod schema;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use database::DatabaseUrl;
pub use output::Output;

/// Declarative schema-as-code for PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "schemac", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and validate the schema; print diagnostics.
    Check(CheckArgs),
    /// Rewrite schema files in canonical form.
    Fmt(FmtArgs),
    /// Compare the schema with the database (or an empty one) and print the plan.
    Plan(PlanArgs),
    /// Plan and run it, or run a saved plan file.
    Apply(ApplyArgs),
    /// Say whether the database equals the schema.
    Drift(DriftArgs),
    /// Write the database's schema as `.schema` source.
    Introspect(IntrospectArgs),
    /// Write Rust model structs for the schema.
    Codegen(CodegenArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// A `.schema` file or a directory of them (default: `schema/`, or `schema` in schemac.toml).
    pub path: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    pub path: Option<PathBuf>,
    /// Only report files that are not formatted (exit 1 if any).
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Sql,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    pub path: Option<PathBuf>,
    /// PostgreSQL URL (default: the DATABASE_URL environment variable).
    #[arg(long, conflicts_with = "from_empty")]
    pub database_url: Option<String>,
    /// Plan against an empty database; needs no server.
    #[arg(long)]
    pub from_empty: bool,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Also save the plan to FILE, for `schemac apply FILE`.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Rows per backfill batch.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// A fleet: every database of a targets file instead of one database (CLI.md, "Fleets").
#[derive(Debug, Clone, clap::Args)]
pub struct FleetArgs {
    /// A targets file (TOML: `[[target]]` name/url, `[[server]]` url/databases) instead of a URL.
    #[arg(long, value_name = "FILE", conflicts_with = "database_url")]
    pub targets: Option<PathBuf>,
    /// Targets worked on at once (each holds one connection).
    #[arg(long, default_value_t = 4, requires = "targets", value_parser = clap::value_parser!(u32).range(1..))]
    pub parallel: u32,
    /// Targets worked on at once on one server.
    #[arg(long, default_value_t = 8, requires = "targets", value_parser = clap::value_parser!(u32).range(1..))]
    pub per_server: u32,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A schema (directory or `.schema` file) or a plan file written by `plan -o`.
    pub path: Option<PathBuf>,
    #[arg(long)]
    pub database_url: Option<String>,
    /// Do not ask before running.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Allow steps that drop tables, columns, constraints or enum values, or narrow types.
    #[arg(long)]
    pub allow_destructive: bool,
    /// Print the plan and run its preflight checks, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Lock timeout for brief DDL, e.g. `2s`, `500ms`.
    #[arg(long, default_value = "2s", value_parser = duration::parse)]
    pub lock_timeout: std::time::Duration,
    /// Rows per backfill batch.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// With `--targets`: apply to the first K targets first; if any fails, touch no other.
    #[arg(long, value_name = "K", default_value_t = 0, requires = "targets")]
    pub canary: u32,
    /// With `--targets`: after a target fails, keep starting the others.
    #[arg(long, requires = "targets")]
    pub keep_going: bool,
    /// With `--targets`: the summary as a table (human) or JSON.
    #[arg(long, value_enum, default_value = "human", requires = "targets")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct DriftArgs {
    pub path: Option<PathBuf>,
    #[arg(long)]
    pub database_url: Option<String>,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// With `--targets`: the report as text (human) or JSON.
    #[arg(long, value_enum, default_value = "human", requires = "targets")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct IntrospectArgs {
    #[arg(long)]
    pub database_url: Option<String>,
    /// Write into this directory (created if missing) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CodegenArgs {
    pub path: Option<PathBuf>,
    /// Directory to write into (default: `[codegen] out` in schemac.toml, else `generated/src`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Fail if the files on disk differ from what would be generated.
    #[arg(long)]
    pub check: bool,
}

/// Runs a parsed command line; returns the contract's exit code.
pub fn run(cli: Cli, out: &mut Output) -> ExitCode {
    ExitCode::from(execute(cli, out))
}

/// Runs a parsed command line; returns the exit code as a number (for tests).
pub fn execute(cli: Cli, out: &mut Output) -> u8 {
    match cli.command {
        Command::Check(args) => check::run(args, out),
        Command::Fmt(args) => fmt::run(args, out),
        Command::Plan(args) if args.fleet.targets.is_some() => fleet::plan(args, out),
        Command::Plan(args) => plan::run(args, out),
        Command::Apply(args) if args.fleet.targets.is_some() => fleet::apply(args, out),
        Command::Apply(args) => apply::run(args, out),
        Command::Drift(args) if args.fleet.targets.is_some() => fleet::drift(args, out),
        Command::Drift(args) => drift::run(args, out),
        Command::Introspect(args) => introspect::run(args, out),
        Command::Codegen(args) => codegen::run(args, out),
    }
}

/// Builds the runtime for commands that talk to PostgreSQL.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
