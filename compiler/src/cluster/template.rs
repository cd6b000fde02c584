//! A cluster fresh from `initdb`, kept in the user's cache dir and copied instead of running
//! `initdb` again: `initdb` is most of a throwaway cluster's start (~0.55 s against ~0.12 s for the
//! copy, 39 MB, on the bench machine), paid by every `plan` whose schema holds an expression the
//! local canonicaliser does not know. Best effort: with no cache dir, or when anything fails, the
//! caller runs `initdb` as before.
//!
//! One template per `initdb` binary (its path, size and modification time, so an upgraded server
//! gets a new one) and owner (root keeps the `postgres` user's files). A template is written
//! under a temporary name and renamed into place, so a reader sees a whole one or none.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

/// Where the template made by `initdb` in `bin` lives: `$XDG_CACHE_HOME/schemac/clusters/<key>`,
/// else `$HOME/.cache/...`; `None` without either.
pub fn path(bin: &Path, as_root: bool) -> Option<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|dir| !dir.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })?;
    let initdb = std::fs::canonicalize(bin.join("initdb")).ok()?;
    let meta = std::fs::metadata(&initdb).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos();
    let identity = format!(
        "{}\n{}\n{modified}\n{}",
        initdb.display(),
        meta.len(),
        as_root
    );
    let digest = Sha256::digest(identity.as_bytes());
    let key: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Some(cache.join("schemac").join("clusters").join(key))
}

/// Copies the template at `template` to `data` (which must not exist), keeping owners and modes.
/// False when there is no template or the copy failed (a partial copy is removed).
pub fn copy_to(template: &Path, data: &Path) -> bool {
    if !template.join("PG_VERSION").is_file() {
        return false;
    }
    if copy(template, data) {
        return true;
    }
    let _ = std::fs::remove_dir_all(data);
    false
}

/// Keeps `data`, a cluster `initdb` has just made and no server has run on, as the template at
/// `template`. Failures are ignored: the next run makes its own cluster.
pub fn save(data: &Path, template: &Path) {
    let Some(parent) = template.parent() else {
        return;
    };
    if template.exists() || std::fs::create_dir_all(parent).is_err() {
        return;
    }
    let partial = parent.join(format!(
        ".partial-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    if copy(data, &partial) && std::fs::rename(&partial, template).is_ok() {
        return;
    }
    // Another process saved one first, or the copy failed.
    let _ = std::fs::remove_dir_all(&partial);
}

/// Forgets a template that did not start (a cache dir tampered with, a disk that filled up).
pub fn forget(template: &Path) {
    let _ = std::fs::remove_dir_all(template);
}

/// `cp -a`: a cluster dir must keep its owner (the `postgres` user, when root made it) and its
/// modes (the server refuses a data dir others can read).
fn copy(from: &Path, to: &Path) -> bool {
    Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
