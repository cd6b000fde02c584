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
mod lsp;
mod output;
mod plan;
mod schema;
mod verify;
mod verify_audit;

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

impl Cli {
    /// Whether the command compiles the schema on one thread while another reads the database
    /// (`schema::load_while`): `plan` and `drift` against a database.
    pub fn compiles_while_reading(&self) -> bool {
        match &self.command {
            Command::Plan(args) => !args.from_empty,
            Command::Drift(_) => true,
            _ => false,
        }
    }
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
    /// Prove tenant isolation on the live database; every proof is rolled back.
    #[command(long_about = VERIFY_ABOUT)]
    Verify(VerifyArgs),
    /// Language Server Protocol over stdio (for editors).
    Lsp(LspArgs),
}

const VERIFY_ABOUT: &str =
    "Prove tenant isolation on the live database: for every tenant table and \
every role the schema grants on it, RLS enabled and forced, the isolation policy, reads, writes, \
no or an empty setting (on a fresh and on a pooled session), the bypass role, the owner, \
same-tenant foreign keys, grants to PUBLIC, and global tables.

Everything runs in one transaction that is rolled back: the synthetic rows of two new tenants, \
the role made to own each table, every write. The database is left exactly as it was found. \
Connect as a superuser. A database that drifts from the schema is refused (run `schemac drift`) \
unless --allow-drift.

With --audit, no schema is needed: the database is checked for what endangers isolation (tenant \
tables without RLS or FORCE, policies that do not compare the tenant column to a setting, \
foreign keys that are not same-tenant, superuser or BYPASSRLS application roles, grants to PUBLIC).

Exit 0 when every proof holds, 1 when one fails, 2 when the proofs could not run.";

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
    /// An empty database schemac may write to, for expressions it cannot print itself (default:
    /// a throwaway local cluster). The target is only read.
    #[arg(long, conflicts_with = "from_empty")]
    pub dev_url: Option<String>,
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
    /// How many times a brief DDL step tries for its lock (each try waits at most the lock
    /// timeout, with backoff and jitter between tries) before the apply fails.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub lock_attempts: u32,
    /// The most rows a backfill batch updates; batches adapt their size to take about 30 ms.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..))]
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
    /// An empty database schemac may write to, for expressions it cannot print itself (default:
    /// a throwaway local cluster). The target is only read.
    #[arg(long)]
    pub dev_url: Option<String>,
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
    /// Accepted for symmetry with `plan` and `drift`; introspection needs no dev database.
    #[arg(long)]
    pub dev_url: Option<String>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    Human,
    Tap,
    Junit,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The schema the database should match (default: `schema/`, or `schema` in schemac.toml).
    pub path: Option<PathBuf>,
    #[arg(long)]
    pub database_url: Option<String>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: VerifyFormat,
    /// Also write the proofs as pgTAP files (one per tenant table) into DIR, for `pg_prove`.
    #[arg(long, value_name = "DIR")]
    pub emit_pgtap: Option<PathBuf>,
    /// Prove isolation even when the database drifts from the schema.
    #[arg(long)]
    pub allow_drift: bool,
    /// Check a database without a schema for what endangers isolation (PATH, --emit-pgtap and
    /// --allow-drift do not apply).
    #[arg(long)]
    pub audit: bool,
    /// With --audit: the tenant column's name (default: tenant_id, account_id, org_id,
    /// organization_id, workspace_id).
    #[arg(long, requires = "audit", value_name = "NAME")]
    pub tenant_column: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct LspArgs {
    /// Accepted for editors that pass it (VS Code's client does); stdio is the only transport.
    #[arg(long)]
    pub stdio: bool,
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
        Command::Verify(args) => verify::run(args, out),
        Command::Lsp(args) => lsp::run(args, out),
    }
}

/// Builds the runtime for commands that talk to PostgreSQL.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
