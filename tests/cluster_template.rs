//! The throwaway cluster (`schemac::cluster`, the dev database of `plan` and `drift`) is made by
//! `initdb` once and copied from the user's cache after that; a template that does not start is
//! dropped and made again. A cluster's system identifier, which `initdb` draws at random, tells a
//! copy from a cluster `initdb` made.
//!
//! One test in its own process: it points `XDG_CACHE_HOME` at a temp dir for the whole process.

use std::path::{Path, PathBuf};

use sqlx::Connection;

async fn system_identifier(dir: &Path) -> i64 {
    let url = schemac::cluster::socket_url(dir, "postgres");
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .expect("the cluster answers");
    sqlx::query_scalar("select system_identifier from pg_catalog.pg_control_system()")
        .fetch_one(&mut conn)
        .await
        .expect("system identifier")
}

/// The one template under `cache`.
fn template(cache: &Path) -> PathBuf {
    let clusters = cache.join("schemac").join("clusters");
    let entries: Vec<PathBuf> = std::fs::read_dir(&clusters)
        .unwrap_or_else(|e| panic!("{} holds the template: {e}", clusters.display()))
        .map(|entry| entry.expect("entry").path())
        .collect();
    assert_eq!(entries.len(), 1, "one template: {entries:?}");
    entries.into_iter().next().expect("one")
}

#[tokio::test]
async fn a_cluster_is_copied_from_the_first_and_a_broken_copy_is_made_again() {
    let cache = tempfile::tempdir().expect("temp dir");
    std::env::set_var("XDG_CACHE_HOME", cache.path());

    let first = schemac::cluster::start().expect("first cluster");
    let made = system_identifier(&first).await;
    let saved = template(cache.path());
    assert!(
        !saved.join("postmaster.pid").exists(),
        "the template is kept as initdb left it, never run"
    );

    let second = schemac::cluster::start().expect("second cluster");
    assert_eq!(
        system_identifier(&second).await,
        made,
        "the second cluster is a copy of the first"
    );

    // A template whose control file is garbage does not start: it is dropped, initdb makes a
    // cluster, and that one is kept instead.
    std::fs::write(
        saved.join("global").join("pg_control"),
        b"not a control file",
    )
    .expect("break the template");
    let third = schemac::cluster::start().expect("third cluster, despite the broken template");
    let remade = system_identifier(&third).await;
    assert_ne!(remade, made, "initdb made the third cluster");
    let fourth = schemac::cluster::start().expect("fourth cluster");
    assert_eq!(
        system_identifier(&fourth).await,
        remade,
        "the cluster initdb made replaced the broken template"
    );
}
