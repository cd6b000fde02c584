//! The test harness itself: `TestDb` isolation and cleanup, and the throwaway-cluster fallback.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};
use support::{database_name, server, ServerKind, TestDb};

async fn database_exists(admin_url: &str, name: &str) -> bool {
    let mut admin = PgConnection::connect(admin_url).await.unwrap();
    let found: i64 = sqlx::query_scalar("select count(*) from pg_database where datname = $1")
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    found == 1
}

#[tokio::test]
async fn two_test_databases_are_distinct_and_work_in_parallel() {
    let (a, b) = tokio::join!(TestDb::new(), TestDb::new());
    assert_ne!(a.name(), b.name());
    assert_ne!(a.url(), b.url());

    let (mut conn_a, mut conn_b) = tokio::join!(a.connect(), b.connect());
    for (conn, db) in [(&mut conn_a, &a), (&mut conn_b, &b)] {
        let current: String = sqlx::query_scalar("select current_database()")
            .fetch_one(conn)
            .await
            .unwrap();
        assert_eq!(current, db.name());
    }

    // Both at once: each database gets its own table and rows, and sees nothing of the other's.
    tokio::join!(
        a.execute("create table only_in_a (id int); insert into only_in_a values (1), (2);"),
        b.execute("create table only_in_b (id int); insert into only_in_b values (1);"),
    );
    assert_eq!(a.count("select count(*) from only_in_a").await, 2);
    assert_eq!(b.count("select count(*) from only_in_b").await, 1);
    assert_eq!(
        a.query_scalar_i64("select count(to_regclass('only_in_b'))")
            .await,
        0
    );
    assert_eq!(
        b.query_scalar_i64("select count(to_regclass('only_in_a'))")
            .await,
        0
    );

    // Both connections are open in the same instant, each on its own database.
    let sql = "select count(distinct datname) from pg_stat_activity where datname in ($1, $2)";
    let sessions: i64 = sqlx::query_scalar(sql)
        .bind(a.name())
        .bind(b.name())
        .fetch_one(&mut conn_a)
        .await
        .unwrap();
    assert_eq!(sessions, 2);
}

#[tokio::test]
async fn database_is_gone_after_drop_even_with_open_connections() {
    let db = TestDb::new().await;
    let (name, admin_url) = (db.name().to_string(), db.admin_url());
    assert!(database_exists(&admin_url, &name).await);

    // Connections the test forgot to close must not keep the database alive.
    let pool = db.pool().await;
    let _conn = db.connect().await;
    assert_eq!(
        sqlx::query_scalar::<_, i32>("select 1")
            .fetch_one(&pool)
            .await
            .unwrap(),
        1
    );
    drop(db);
    assert!(
        !database_exists(&admin_url, &name).await,
        "{name} still exists after drop"
    );
}

#[tokio::test]
async fn database_is_gone_after_the_test_panics() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let db = TestDb::named("panicking test").await;
        tx.send((db.name().to_string(), db.admin_url())).unwrap();
        panic!("a failing test");
    });
    assert!(task.await.unwrap_err().is_panic());
    let (name, admin_url) = rx.await.unwrap();
    assert!(name.starts_with("st_panicking_test_"), "{name}");
    assert!(
        !database_exists(&admin_url, &name).await,
        "{name} survived a panic"
    );
}

#[tokio::test]
async fn database_is_named_after_the_test() {
    let db = TestDb::new().await;
    assert!(
        db.name()
            .starts_with("st_database_is_named_after_the_test_"),
        "{}",
        db.name()
    );
    assert!(db.url().contains(db.name()), "{}", db.url());
}

#[test]
fn database_names_are_sanitised_and_bounded() {
    assert_eq!(
        database_name("plan::Backfill-Chain", "abc"),
        "st_plan_backfill_chain_abc"
    );
    assert_eq!(database_name("ünïcode test", "s"), "st_n_code_test_s");
    assert_eq!(database_name("::", "abc"), "st_abc");
    let long = format!("module::{}", "x".repeat(100));
    let name = database_name(&long, "12345678");
    assert_eq!(name.len(), 63);
    assert!(name.ends_with("xxx_12345678"), "{name}");
}

#[test]
fn scalar_helpers_reject_nulls_and_non_integers() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = runtime.block_on(TestDb::new());
    assert_eq!(
        runtime.block_on(db.query_scalar_i64("select 7::smallint")),
        7
    );
    assert_eq!(runtime.block_on(db.query_scalar_i64("select 8::int")), 8);
    assert_eq!(runtime.block_on(db.query_scalar_i64("select 9::bigint")), 9);
    for bad in ["select null::int", "select 'x'", "select 1, 2"] {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(db.query_scalar_i64(bad))
        }));
        assert!(outcome.is_err(), "{bad} should have been rejected");
    }
    // Dropped outside any runtime: the TestDb cleans up from its own thread.
    let (name, admin_url) = (db.name().to_string(), db.admin_url());
    drop(db);
    assert!(!runtime.block_on(database_exists(&admin_url, &name)));
}

/// Two roles. Normally it runs this test binary again, as just this test, with
/// `SCHEMAC_TEST_SERVER=cluster` and no `DATABASE_URL`, then checks the child's cluster dir is
/// removed after the child exits. In that child (or in CI's forced-cluster run) it checks the
/// cluster serves over a Unix socket only.
#[tokio::test]
async fn throwaway_cluster_serves_over_a_unix_socket_and_is_removed_at_exit() {
    if std::env::var("SCHEMAC_TEST_SERVER").as_deref() == Ok("cluster") {
        check_forced_cluster().await;
        return;
    }
    let test_name = std::thread::current().name().unwrap().to_string();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            test_name.as_str(),
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SCHEMAC_TEST_SERVER", "cluster")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "the forced-cluster child failed:\n{report}"
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test:\n{report}"
    );
    let dir = stdout
        .split_whitespace()
        .find_map(|word| word.strip_prefix("CLUSTER_DIR="))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("the child printed no CLUSTER_DIR:\n{report}"));

    // The watchdog polls once a second, then stops the server and removes the dir.
    let deadline = Instant::now() + Duration::from_secs(30);
    while dir.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        !dir.exists(),
        "{} was not removed after the child exited",
        dir.display()
    );
}

async fn check_forced_cluster() {
    let ServerKind::Cluster { dir } = &server().kind else {
        panic!(
            "SCHEMAC_TEST_SERVER=cluster but the server is {}",
            server().describe()
        );
    };
    assert!(
        dir.join("data").join("PG_VERSION").is_file(),
        "no cluster in {}",
        dir.display()
    );
    let db = TestDb::new().await;
    assert!(
        db.url()
            .starts_with(&format!("postgres:///{}?host=", db.name())),
        "{}",
        db.url()
    );

    let mut conn = db.connect().await;
    let via_socket: bool = sqlx::query_scalar("select inet_server_addr() is null")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(via_socket, "connected over TCP, not the Unix socket");
    let listen: String = sqlx::query_scalar("select current_setting('listen_addresses')")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(listen, "", "the cluster must not listen on TCP");
    let socket_dir: String =
        sqlx::query_scalar("select current_setting('unix_socket_directories')")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(PathBuf::from(socket_dir), *dir);

    db.execute("create table t (id int primary key); insert into t select generate_series(1, 3);")
        .await;
    assert_eq!(db.count("select count(*) from t").await, 3);
    println!("CLUSTER_DIR={}", dir.display());
}
