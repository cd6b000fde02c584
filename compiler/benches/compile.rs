//! Front-end throughput: generates a schema of 2,000 tables / 20,000 columns and times
//! parse + resolve + lower (median of several runs), then prints the peak resident memory
//! (VmHWM from /proc/self/status). Run with `cargo bench -p schemac --bench compile`.
//! Targets: median under 100 ms, peak under 100 MB.

use std::time::{Duration, Instant};

use schemac::compile::compile;
use schemac::source::SourceSet;

/// A schema shaped like a real one: a tenancy root, tenant tables referencing each other,
/// indexes, checks and defaults.
fn generate(tables: usize, columns_per_table: usize) -> String {
    let mut text = String::from("tenancy { root accounts }\n\ntable accounts {\n  id  uuid primary default(gen_random_uuid())\n  name  text\n}\n\n");
    for t in 1..tables {
        text.push_str(&format!(
            "/// Table number {t}.\ntenant table table_{t} {{\n"
        ));
        text.push_str("  id          uuid        primary default(gen_random_uuid())\n");
        if t > 1 {
            text.push_str(&format!(
                "  parent_id   uuid?       references table_{} on delete set null\n",
                t - 1
            ));
        } else {
            text.push_str("  parent_id   uuid?\n");
        }
        for c in 2..columns_per_table {
            match c % 4 {
                0 => text.push_str(&format!(
                    "  col_{c}      text        default('x') check (length(col_{c}) < 100)\n"
                )),
                1 => text.push_str(&format!("  col_{c}      int?\n")),
                2 => text.push_str(&format!("  col_{c}      timestamptz default(now())\n")),
                _ => text.push_str(&format!("  col_{c}      jsonb       default('{{}}')\n")),
            }
        }
        text.push_str("\n  index (col_2, col_3)\n}\n\n");
    }
    text.push_str(
        "role app_user\ngrant select, insert, update, delete on tenant tables to app_user\n",
    );
    text
}

/// Deterministic garbage: words, quotes, comments and stray braces.
fn garbage_bytes(size: usize) -> Vec<u8> {
    // No brackets, so the text goes through the whole grammar instead of the nesting limit.
    let alphabet = b"abcdefghijklmnopqrstuvwxyz_0123456789 \n\t\"'/?,.;:}";
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    (0..size)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            alphabet[(rng % alphabet.len() as u64) as usize]
        })
        .collect()
}

fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Median and minimum wall time of `runs` calls. The minimum is the better estimate on a busy
/// machine (other processes only ever add time); the median is what the target is stated for.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration) {
    time_each(runs, || (), |()| f())
}

/// `time`, for an `f` that consumes its input: `input` makes a fresh one for each run, untimed.
fn time_each<I, T>(
    runs: usize,
    mut input: impl FnMut() -> I,
    mut f: impl FnMut(I) -> T,
) -> (Duration, Duration) {
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let input = input();
            let start = Instant::now();
            std::hint::black_box(f(input));
            start.elapsed()
        })
        .collect();
    samples.sort();
    (samples[samples.len() / 2], samples[0])
}

fn report(what: &str, (median, min): (Duration, Duration)) {
    println!(
        "{what:<26} median {:>8.2} ms   min {:>8.2} ms",
        median.as_secs_f64() * 1000.0,
        min.as_secs_f64() * 1000.0
    );
}

fn main() {
    let text = generate(2_000, 10);
    let mut sources = SourceSet::default();
    sources.add("bench.schema", &text);
    // `SCHEMAC_BENCH_COMPILES=n` only compiles n times, for `perf stat` (cycles do not depend on
    // what else the machine runs, wall time does).
    if let Some(runs) = std::env::var("SCHEMAC_BENCH_COMPILES")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        for _ in 0..runs {
            std::hint::black_box(compile(&sources));
        }
        return;
    }
    let compiled = compile(&sources);
    // Peak of generating the text plus one compile, before the timing loops keep more around.
    let peak = peak_memory_kb();
    assert!(
        compiled.diagnostics.is_empty(),
        "the generated schema must be clean: {:?}",
        &compiled.diagnostics[..1]
    );
    let catalog = compiled.catalog.expect("clean schema lowers");
    let columns: usize = catalog.tables.iter().map(|t| t.columns.len()).sum();
    println!(
        "schema: {} bytes, {} tables, {} columns (tenant columns included)",
        text.len(),
        catalog.tables.len(),
        columns
    );
    report(
        "parse",
        time(9, || schemac::syntax::parse(&sources.files[0])),
    );
    let files = vec![schemac::syntax::parse(&sources.files[0]).file];
    report("resolve", time(9, || schemac::model::resolve(&files)));
    let (model, _) = schemac::model::resolve(&files);
    report(
        "lower",
        time_each(9, || model.clone(), schemac::catalog::lower),
    );
    report("parse + resolve + lower", time(15, || compile(&sources)));
    for size in [250_000usize, 1_000_000] {
        let mut garbage = SourceSet::default();
        garbage.add_bytes("garbage.schema".into(), &garbage_bytes(size));
        report(
            &format!("{size} bytes of garbage"),
            time(3, || compile(&garbage)),
        );
    }
    if let Some(kb) = peak {
        println!(
            "peak memory (VmHWM): {:.1} MB (text + one compile)",
            kb as f64 / 1024.0
        );
    }
}
