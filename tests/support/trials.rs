//! Fixture cases as tests of their own (libtest-mimic, `harness = false`): a failure names its
//! case, and `cargo test --test NAME -- CASE` runs the cases whose names contain `CASE`. Each
//! case's snapshot lives beside it in its fixture directory, not in the flat `tests/snapshots/`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

/// The case directories of `tests/fixtures/<suite>/`, sorted, each a trial named after its
/// directory that runs `run`.
pub fn per_case_directory(suite: &str, run: fn(PathBuf) -> Result<(), Failed>) -> Vec<Trial> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(suite);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no fixtures in {}", root.display());
    cases
        .into_iter()
        .map(|case| {
            let name = case
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("case")
                .to_string();
            Trial::test(name, move || run(case))
        })
        .collect()
}

/// Runs `body` as a trial: a panic (a failed assertion, a snapshot that differs) fails the trial
/// with its message instead of ending the process.
pub fn catching(body: impl FnOnce()) -> Result<(), Failed> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body))
        .map_err(|payload| panic_message(payload).into())
}

/// Runs `test` as a trial on a tokio runtime of its own (two worker threads).
pub fn on_runtime(test: impl std::future::Future<Output = ()>) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    catching(|| runtime.block_on(test))
}

/// The panic message of a failed case.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panicked".to_string())
}

/// Asserts `$text` against the snapshot `$dir/$name.snap`. A macro, so that the snapshot's header
/// names the test file and the expression of the caller, as `insta::assert_snapshot!` does.
#[macro_export]
macro_rules! assert_snapshot_in {
    ($dir:expr, $name:expr, $text:expr) => {{
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path($dir);
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!($name, $text));
    }};
}

/// Fails when the case's snapshot is still in the flat folder (`tests/snapshots/<old>.snap`, from
/// a branch made before the move), saying where it belongs now.
pub fn not_in_old_place(old: &str, new: &Path) -> Result<(), Failed> {
    let old = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("snapshots/{old}.snap"));
    if old.exists() {
        return Err(format!(
            "{} is in the old place: move it to {}",
            old.display(),
            new.display()
        )
        .into());
    }
    Ok(())
}
