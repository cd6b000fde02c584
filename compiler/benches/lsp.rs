//! Language server latency: a 2,000-table schema (the `schemac-bench` generator: 20 files of 100
//! tables, ten columns each) opened in `schemac lsp` (the real binary, over stdio), then a
//! one-character change typed into a column name, 21 times, alternately adding and removing the
//! character; prints the time from `didChange` to the `publishDiagnostics` of that file (median,
//! min, max). Run with `cargo bench -p schemac --bench lsp`. Target: median under 150 ms.

#[path = "../tests/lsp/client.rs"]
#[allow(dead_code)]
mod client;

use std::time::{Duration, Instant};

use client::Client;

fn main() {
    let generated = schemac_bench::generate(&schemac_bench::Options::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    let schema = root.join("schema");
    for file in &generated.schema {
        let path = schema.join(&file.path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &file.text).expect("write");
    }
    let first = generated
        .schema
        .iter()
        .find(|f| f.text.contains("\n  id "))
        .expect("a file with a column `id`");
    let path = schema.join(&first.path);
    // The first column definition of the file gets one more letter, then loses it again.
    let at = first.text.find("\n  id ").expect("a column `id`") + 5;
    let mut changed = first.text.clone();
    changed.insert(at, 'x');

    let mut client = Client::start(&root);
    let started = Instant::now();
    client.open(&path, &first.text);
    client.diagnostics(&path, |_| true);
    println!(
        "lsp: {} files, {} tables; first analysis {:?}",
        generated.schema.len(),
        schemac_bench::Options::default().tables,
        started.elapsed()
    );
    let mut times: Vec<Duration> = Vec::new();
    for version in 0..21 {
        let text = if version % 2 == 0 {
            &changed
        } else {
            &first.text
        };
        let started = Instant::now();
        client.change(&path, i64::from(version) + 2, text);
        client.diagnostics(&path, |_| true);
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "lsp: diagnostics after a one-character change: median {:?}, min {:?}, max {:?} (21 runs)",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
    assert_eq!(client.stop(), 0);
}
