//! `schemac-bench-gen`: writes a generated database as hand-written SQL (`database.sql`), the
//! equivalent schema (`schema/`) and the schema with a few changes (`changed/`) into a directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use schemac_bench::{generate, Options, SchemaFile, CHANGES};

/// Generate a benchmark database and its schema.
#[derive(Debug, Parser)]
struct Args {
    /// Number of tables (ten columns each).
    #[arg(long, default_value_t = 2000)]
    tables: usize,
    /// Tables per `.schema` file.
    #[arg(long, default_value_t = 100)]
    per_file: usize,
    /// Seed of the pseudo-random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Directory to write into (created if missing).
    #[arg(long)]
    out: PathBuf,
}

fn write_files(dir: &Path, files: &[SchemaFile]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for file in files {
        std::fs::write(dir.join(&file.path), &file.text)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let options = Options {
        tables: args.tables,
        tables_per_file: args.per_file,
        seed: args.seed,
    };
    let generated = generate(&options);
    let written = std::fs::create_dir_all(&args.out)
        .and_then(|_| std::fs::write(args.out.join("database.sql"), &generated.sql))
        .and_then(|_| write_files(&args.out.join("schema"), &generated.schema))
        .and_then(|_| write_files(&args.out.join("changed"), &generated.changed));
    if let Err(error) = written {
        eprintln!("cannot write into {}: {error}", args.out.display());
        return ExitCode::FAILURE;
    }
    println!(
        "{} tables, {} columns in {}; changed/: {CHANGES}",
        options.tables,
        generated.columns,
        args.out.display()
    );
    ExitCode::SUCCESS
}
