//! The `schemac` command: parses arguments and hands them to `schemac::cli::run`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = schemac::cli::Cli::parse();
    if args.compiles_while_reading() {
        one_malloc_arena();
        schemac::allocator::on_give_back(trim);
    }
    let mut output = schemac::cli::Output::terminal();
    schemac::cli::run(args, &mut output)
}

/// glibc gives each thread that allocates its own arena and keeps what is freed there for that
/// arena: `plan` compiles the schema while a second thread reads the database, and with two arenas
/// peaked at 66 MB of memory instead of 55 (2,000 tables), each keeping the other's freed memory
/// from being reused. Not for every command: `check`'s threads, which parse files side by side,
/// were 10 % slower sharing one arena's lock.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn one_malloc_arena() {
    // SAFETY: `mallopt` only sets a malloc parameter; it is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena() {}

/// Gives glibc's free memory back to the system (`schemac::allocator`): after `plan`'s compile,
/// ~1.5 ms for 2,000 tables' syntax trees.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim() {
    // SAFETY: `malloc_trim` only releases free memory; it takes the arena's lock like `free`.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
