//! Fleets (CLI.md, "Fleets"): `plan`, `apply` and `drift` with `--targets FILE` against real
//! databases on two servers (the test server and a throwaway cluster), in mixed states: up to date,
//! behind by one change, empty, data that makes preflight refuse, unreachable. Also: a failed canary
//! touches nothing else, and a fleet apply killed with SIGKILL midway converges when run again.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor, PgConnection};
use support::cli::schemac_async;
use support::{database_name, second_server, server};

/// The fleet's schema: one change ahead of `BEHIND`.
const SCHEMA: &str =
    "table items {\n  id       bigint primary\n  quantity int using (trim(quantity)::int)\n}\n";
/// A database that already matches `SCHEMA`.
const UP_TO_DATE: &str = "CREATE TABLE items (id bigint PRIMARY KEY, quantity int NOT NULL);
    INSERT INTO items VALUES (1, 12), (2, 7);";
/// A database one change behind: `quantity` is still text.
const BEHIND: &str = "CREATE TABLE items (id bigint PRIMARY KEY, quantity text NOT NULL);
    INSERT INTO items VALUES (1, '12'), (2, ' 7 ');";
/// A value that does not convert to int: preflight refuses the plan.
const BAD_ROW: &str = "INSERT INTO items VALUES (3, 'twelve')";
/// Nothing listens there.
const UNREACHABLE: &str = "postgres://postgres@127.0.0.1:1/nowhere";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    path.display().to_string()
}

async fn run_sql(url: &str, sql: &str) {
    let mut conn = PgConnection::connect(url).await.expect("connect");
    conn.execute(sql).await.expect("setup SQL");
    let _ = conn.close().await;
}

async fn scalar(url: &str, sql: &str) -> i64 {
    let mut conn = PgConnection::connect(url).await.expect("connect");
    let value: i64 = sqlx::query_scalar(sql)
        .fetch_one(&mut conn)
        .await
        .expect("query");
    let _ = conn.close().await;
    value
}

async fn has_items(url: &str) -> bool {
    scalar(
        url,
        "SELECT count(*) FROM pg_tables WHERE tablename = 'items'",
    )
    .await
        == 1
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|a| a.to_string()).collect()
}

/// `name -> status` of a fleet command's JSON.
fn statuses(json: &serde_json::Value) -> BTreeMap<String, String> {
    json["targets"]
        .as_array()
        .expect("targets array")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().expect("name").to_string(),
                t["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}

fn parse(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

/// A database on the second server, made by this test; the cluster is thrown away with the process.
async fn cluster_db(name: &str) -> String {
    let second = second_server();
    run_sql(
        &second.admin_url,
        &format!(
            "CREATE DATABASE {} TEMPLATE template0",
            schemac::sql::ident(name)
        ),
    )
    .await;
    second.database_url(name)
}

/// Databases one test makes on the test server, created and dropped concurrently: `DROP DATABASE`
/// asks for a checkpoint, and concurrent requests share one where sequential ones wait for one each.
struct Databases {
    names: Vec<String>,
    admin_url: String,
}

impl Databases {
    /// `count` fresh databases named `st_<label>_<NN>_<suffix>`.
    async fn create(label: &str, count: usize) -> Databases {
        let suffix: String = (0..8)
            .map(|_| fastrand::alphanumeric().to_ascii_lowercase())
            .collect();
        let names: Vec<String> = (0..count)
            .map(|i| database_name(&format!("{label}_{i:02}"), &suffix))
            .collect();
        let databases = Databases {
            names: names.clone(),
            admin_url: server().admin_url.clone(),
        };
        let mut tasks = tokio::task::JoinSet::new();
        for name in names {
            let admin = databases.admin_url.clone();
            tasks.spawn(async move {
                let sql = format!(
                    "CREATE DATABASE {} TEMPLATE template0",
                    schemac::sql::ident(&name)
                );
                run_sql(&admin, &sql).await;
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("create a database");
        }
        databases
    }

    fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    fn url(&self, index: usize) -> String {
        server().database_url(&self.names[index])
    }

    fn urls(&self) -> Vec<String> {
        (0..self.names.len()).map(|i| self.url(i)).collect()
    }
}

impl Drop for Databases {
    fn drop(&mut self) {
        let names = std::mem::take(&mut self.names);
        let admin = self.admin_url.clone();
        // Drop may run inside the test's runtime: a plain thread with its own runtime does the work.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for name in names {
                    let admin = admin.clone();
                    tasks.spawn(async move {
                        let mut conn = PgConnection::connect(&admin).await?;
                        let sql = format!(
                            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                            schemac::sql::ident(&name)
                        );
                        conn.execute(sql.as_str()).await?;
                        let _ = conn.close().await;
                        Ok::<(), sqlx::Error>(())
                    });
                }
                let mut errors = Vec::new();
                while let Some(done) = tasks.join_next().await {
                    match done {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => errors.push(e.to_string()),
                        Err(e) => errors.push(e.to_string()),
                    }
                }
                if errors.is_empty() {
                    Ok(())
                } else {
                    Err(errors.join("; "))
                }
            })
        })
        .join();
        if let Ok(Err(error)) | Err(error) = dropped.map_err(|_| "panicked".to_string()) {
            eprintln!("test databases were not all dropped: {error}");
        }
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum State {
    UpToDate,
    Behind,
    Empty,
}

fn state_of(index: usize) -> State {
    match index % 3 {
        0 => State::UpToDate,
        1 => State::Behind,
        _ => State::Empty,
    }
}

async fn prepare(url: &str, state: State) {
    match state {
        State::UpToDate => run_sql(url, UP_TO_DATE).await,
        State::Behind => run_sql(url, BEHIND).await,
        State::Empty => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_of_sixty_on_two_servers_is_planned_grouped_applied_and_converges() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = write(dir.path(), "app.schema", SCHEMA);
    let run_id: String = (0..6)
        .map(|_| fastrand::alphanumeric().to_ascii_lowercase())
        .collect();

    // 30 databases on the test server, 30 on the throwaway cluster.
    let local = Databases::create(&format!("fleet_{run_id}"), 30).await;
    let mut remote = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..30 {
        let name = format!("fleet_{run_id}_tenant_{index:02}");
        remote.push(name.clone());
        tasks.spawn(async move {
            let url = cluster_db(&name).await;
            prepare(&url, state_of(index)).await;
        });
    }
    for index in 0..30 {
        let url = local.url(index);
        tasks.spawn(async move { prepare(&url, state_of(index)).await });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("prepare a database");
    }
    // One of the databases behind holds a value that does not convert.
    let bad = local.url(1);
    assert_eq!(state_of(1), State::Behind);
    run_sql(&bad, BAD_ROW).await;
    let servers = format!(
        "[[server]]\nname = \"local\"\nurl = \"{}\"\ndatabases = \"st_fleet_{run_id}_%\"\n\n\
         [[server]]\nname = \"cluster\"\nurl = \"{}\"\ndatabases = \"fleet_{run_id}_tenant_%\"\n",
        server().admin_url,
        second_server().admin_url
    );
    let targets = write(
        dir.path(),
        "targets.toml",
        &format!("[[target]]\nname = \"down/nowhere\"\nurl = \"{UNREACHABLE}\"\n\n{servers}"),
    );
    let reachable = write(dir.path(), "reachable.toml", &servers);
    let name_of = |index: usize, remote_side: bool| {
        if remote_side {
            format!("cluster/{}", remote[index])
        } else {
            format!("local/{}", local.name(index))
        }
    };

    // plan: three distinct plans (nothing, the type change, the whole table), 20 targets each.
    let plan = schemac_async(args(&[
        "plan",
        &schema,
        "--targets",
        &targets,
        "--parallel",
        "8",
        "--format",
        "json",
    ]))
    .await
    .expect(1);
    let json = parse(&plan.stdout);
    let all = statuses(&json);
    assert_eq!(all.len(), 61, "{}", plan.stdout);
    assert_eq!(all["down/nowhere"], "unreachable");
    let groups = json["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 3, "{}", plan.stdout);
    for group in groups {
        let members: Vec<&str> = group["targets"]
            .as_array()
            .expect("group targets")
            .iter()
            .filter_map(|t| t.as_str())
            .collect();
        assert_eq!(members.len(), 20, "{group}");
        let states: Vec<State> = (0..30)
            .flat_map(|i| [(i, false), (i, true)])
            .filter(|&(i, side)| members.contains(&name_of(i, side).as_str()))
            .map(|(i, _)| state_of(i))
            .collect();
        assert!(
            states.iter().all(|s| *s == states[0]),
            "a group mixes states: {group}"
        );
    }
    let human = schemac_async(args(&["plan", &schema, "--targets", &targets]))
        .await
        .expect(1);
    assert!(
        human.stdout.starts_with("61 targets, 3 distinct plans"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("down/nowhere: unreachable"),
        "{}",
        human.stdout
    );

    // apply --keep-going: every good target converges; the refused and unreachable are reported.
    let apply_args = args(&[
        "apply",
        &schema,
        "--targets",
        &targets,
        "--parallel",
        "8",
        "--per-server",
        "4",
        "--keep-going",
        "--yes",
        "--allow-destructive",
        "--format",
        "json",
    ]);
    // Meanwhile, count this fleet's connections on the test server: never more than --per-server.
    let watching = Arc::new(AtomicBool::new(true));
    let watcher = tokio::spawn({
        let watching = Arc::clone(&watching);
        let admin = server().admin_url.clone();
        let pattern = format!("st\\_fleet\\_{run_id}\\_%");
        async move {
            let mut conn = PgConnection::connect(&admin).await.expect("connect");
            let mut most = 0i64;
            while watching.load(Ordering::Relaxed) {
                let open: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE application_name = 'schemac' AND datname LIKE $1",
                )
                .bind(&pattern)
                .fetch_one(&mut conn)
                .await
                .expect("count connections");
                most = most.max(open);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            most
        }
    });
    let applied = schemac_async(apply_args.clone()).await.expect(1);
    watching.store(false, Ordering::Relaxed);
    let most = watcher.await.expect("watcher");
    assert!(
        (1..=4).contains(&most),
        "{most} connections at once on one server (--per-server 4)"
    );
    let json = parse(&applied.stdout);
    let after = statuses(&json);
    assert_eq!(after["down/nowhere"], "unreachable");
    assert_eq!(after[&name_of(1, false)], "refused", "{}", applied.stdout);
    let refused = json["targets"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["status"] == "refused"))
        .expect("a refused target");
    assert!(
        refused["reason"]
            .as_str()
            .unwrap_or("")
            .contains("do not convert"),
        "{refused}"
    );
    assert_eq!(json["summary"]["up_to_date"], 20, "{}", applied.stdout);
    assert_eq!(json["summary"]["applied"], 39, "{}", applied.stdout);
    assert_eq!(json["summary"]["failed"], 0, "{}", applied.stdout);
    assert_eq!(json["summary"]["not_started"], 0, "{}", applied.stdout);
    assert_eq!(
        scalar(&local.url(4), "SELECT sum(quantity)::bigint FROM items").await,
        19,
        "a behind database's rows are converted"
    );
    assert_eq!(
        scalar(&bad, "SELECT count(*) FROM items WHERE quantity = 'twelve'").await,
        1,
        "the refused database is untouched"
    );

    // drift: the refused target still drifts.
    schemac_async(args(&["drift", &schema, "--targets", &reachable]))
        .await
        .expect(1);

    // Fix the data; the same command finishes it, and leaves the rest alone.
    run_sql(&bad, "UPDATE items SET quantity = '3' WHERE id = 3").await;
    let rerun = schemac_async(apply_args).await.expect(1);
    let json = parse(&rerun.stdout);
    let after = statuses(&json);
    assert_eq!(after[&name_of(1, false)], "applied", "{}", rerun.stdout);
    assert_eq!(json["summary"]["up_to_date"], 59, "{}", rerun.stdout);
    assert_eq!(after["down/nowhere"], "unreachable");

    // drift: every reachable target equals the schema; the unreachable one makes it exit 1.
    let drift = schemac_async(args(&["drift", &schema, "--targets", &reachable]))
        .await
        .expect(0);
    assert!(
        drift.stdout.starts_with("60 targets: 60 equal"),
        "{}",
        drift.stdout
    );
    let drift = schemac_async(args(&["drift", &schema, "--targets", &targets]))
        .await
        .expect(1);
    assert!(
        drift.stdout.contains("down/nowhere: unreachable"),
        "{}",
        drift.stdout
    );
    assert!(
        !drift.stdout.contains("could not be checked\n")
            || drift.stdout.contains("1 could not be checked"),
        "{}",
        drift.stdout
    );
}

#[tokio::test]
async fn a_failed_canary_leaves_every_other_target_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = write(dir.path(), "app.schema", SCHEMA);
    let databases = Databases::create("fleet_canary", 6).await;
    let dbs = databases.urls();
    for url in &dbs {
        run_sql(url, BEHIND).await;
    }
    // The first canary refuses: its data does not convert.
    run_sql(&dbs[0], BAD_ROW).await;
    let file = targets_file(&dbs);
    let targets = write(dir.path(), "targets.toml", &file);
    let run = schemac_async(args(&[
        "apply",
        &schema,
        "--targets",
        &targets,
        "--canary",
        "2",
        "--parallel",
        "1",
        "--yes",
        "--allow-destructive",
        "--keep-going",
        "--format",
        "json",
    ]))
    .await
    .expect(1);
    let json = parse(&run.stdout);
    let all = statuses(&json);
    assert_eq!(all["t00"], "refused", "{}", run.stdout);
    for name in ["t02", "t03", "t04", "t05"] {
        assert_eq!(all[name], "not_started", "{}", run.stdout);
    }
    for db in &dbs[2..] {
        assert_eq!(
            scalar(
                db,
                "SELECT count(*) FROM information_schema.columns \
                 WHERE table_name = 'items' AND column_name = 'quantity' AND data_type = 'text'"
            )
            .await,
            1,
            "a target after the canary was changed"
        );
        assert_eq!(
            scalar(
                db,
                "SELECT count(*) FROM pg_tables WHERE tablename = 'schemac_migrations'"
            )
            .await,
            0,
            "a target after the canary was written to"
        );
    }
    // The human summary names the reason and the targets not started.
    let human = schemac_async(args(&[
        "apply",
        &schema,
        "--targets",
        &targets,
        "--canary",
        "1",
        "--yes",
        "--allow-destructive",
    ]))
    .await
    .expect(1);
    assert!(human.stdout.contains("t00"), "{}", human.stdout);
    assert!(human.stdout.contains("do not convert"), "{}", human.stdout);
    assert!(
        human.stdout.contains(
            "0 applied, 0 already up to date, 1 refused, 0 failed, 0 unreachable, 5 not started"
        ),
        "{}",
        human.stdout
    );
}

#[tokio::test]
async fn without_keep_going_a_failure_starts_no_more_targets_and_a_rerun_picks_them_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = write(dir.path(), "app.schema", SCHEMA);
    let databases = Databases::create("fleet_stop", 4).await;
    let dbs = databases.urls();
    for url in &dbs {
        run_sql(url, BEHIND).await;
    }
    run_sql(&dbs[1], BAD_ROW).await;
    let file = targets_file(&dbs);
    let targets = write(dir.path(), "targets.toml", &file);
    let command = args(&[
        "apply",
        &schema,
        "--targets",
        &targets,
        "--parallel",
        "1",
        "--yes",
        "--allow-destructive",
        "--format",
        "json",
    ]);
    let first = schemac_async(command.clone()).await.expect(1);
    let all = statuses(&parse(&first.stdout));
    assert_eq!(all["t00"], "applied", "{}", first.stdout);
    assert_eq!(all["t01"], "refused", "{}", first.stdout);
    assert_eq!(all["t02"], "not_started", "{}", first.stdout);
    assert_eq!(all["t03"], "not_started", "{}", first.stdout);
    assert!(!has_items_int(&dbs[2]).await);

    run_sql(&dbs[1], "DELETE FROM items WHERE id = 3").await;
    let second = schemac_async(command).await.expect(0);
    let all = statuses(&parse(&second.stdout));
    assert_eq!(all["t00"], "up_to_date", "{}", second.stdout);
    for name in ["t01", "t02", "t03"] {
        assert_eq!(all[name], "applied", "{}", second.stdout);
    }
    schemac_async(args(&["drift", &schema, "--targets", &targets]))
        .await
        .expect(0);
}

/// `[[target]]` entries `t00`, `t01`, ... for `urls`.
fn targets_file(urls: &[String]) -> String {
    urls.iter()
        .enumerate()
        .map(|(i, url)| format!("[[target]]\nname = \"t{i:02}\"\nurl = \"{url}\"\n\n"))
        .collect()
}

async fn has_items_int(url: &str) -> bool {
    has_items(url).await
        && scalar(
            url,
            "SELECT count(*) FROM information_schema.columns \
             WHERE table_name = 'items' AND column_name = 'quantity' AND data_type = 'integer'",
        )
        .await
            == 1
}

/// Set in the child process `a_fleet_apply_killed_midway_converges_on_rerun` starts: the
/// arguments of the `schemac` run to make, one per line.
const CHILD_ENV: &str = "SCHEMAC_FLEET_TEST_CHILD_ARGS";

/// In the child process only: runs `schemac` with the arguments in `CHILD_ENV`, as the binary would.
#[test]
fn fleet_child_process() {
    let Ok(list) = std::env::var(CHILD_ENV) else {
        return;
    };
    let argv: Vec<String> = list.lines().map(str::to_string).collect();
    let run = support::cli::schemac(&argv);
    std::process::exit(i32::from(run.code));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_apply_killed_midway_converges_on_rerun() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = write(dir.path(), "app.schema", SCHEMA);
    let databases = Databases::create("fleet_kill", 10).await;
    let dbs = databases.urls();
    for url in &dbs {
        run_sql(url, BEHIND).await;
        // More rows, so that each target takes a moment.
        run_sql(
            url,
            "INSERT INTO items SELECT g, g::text FROM generate_series(10, 60000) g",
        )
        .await;
    }
    let file = targets_file(&dbs);
    let targets = write(dir.path(), "targets.toml", &file);
    let command = args(&[
        "apply",
        &schema,
        "--targets",
        &targets,
        "--parallel",
        "2",
        "--yes",
        "--allow-destructive",
        "--format",
        "json",
    ]);
    let exe = std::env::current_exe().expect("test binary");
    let mut child = std::process::Command::new(exe)
        .args([
            "--exact",
            "fleet_child_process",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, command.join("\n"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the child");
    // Kill it as soon as some targets are done and others are not. One open connection per
    // target, so that a round of polling takes milliseconds, not a connection setup per target.
    let mut watchers = Vec::new();
    for db in &dbs {
        watchers.push(PgConnection::connect(db).await.expect("connect"));
    }
    let started = Instant::now();
    let done_before_kill = loop {
        let mut done = 0;
        for watcher in &mut watchers {
            let converted: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' \
                 AND column_name = 'quantity' AND data_type = 'integer'",
            )
            .fetch_one(&mut *watcher)
            .await
            .expect("poll a target");
            done += converted;
        }
        if done >= 2 || started.elapsed() > Duration::from_secs(120) {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
            break done;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the child ended before it could be killed: {status}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(done_before_kill >= 2, "no target was done within 2 minutes");
    drop(watchers);
    let mut done_after_kill = 0;
    for db in &dbs {
        if has_items_int(db).await {
            done_after_kill += 1;
        }
    }
    assert!(
        done_after_kill < dbs.len(),
        "the kill came after the end: nothing to prove"
    );

    // The same command again converges every target, with every row kept.
    let rerun = schemac_async(command).await.expect(0);
    let json = parse(&rerun.stdout);
    assert_eq!(
        json["summary"]["applied"].as_u64().unwrap_or(0)
            + json["summary"]["up_to_date"].as_u64().unwrap_or(0),
        10,
        "{}",
        rerun.stdout
    );
    for db in &dbs {
        assert!(has_items_int(db).await);
        assert_eq!(scalar(db, "SELECT count(*) FROM items").await, 2 + 59991);
        assert_eq!(
            scalar(db, "SELECT sum(quantity)::bigint FROM items WHERE id < 10").await,
            19
        );
    }
    schemac_async(args(&["drift", &schema, "--targets", &targets]))
        .await
        .expect(0);
}

#[tokio::test]
async fn passwords_in_a_targets_file_are_never_printed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = write(dir.path(), "app.schema", SCHEMA);
    let databases = Databases::create("fleet_secret", 1).await;
    let plain = databases.url(0);
    let mut url = url::Url::parse(&plain).expect("URL");
    // Trust authentication ignores the password; it is there to be hidden.
    let with_password = if url.set_password(Some("hunter2-fleet")).is_ok() {
        url.to_string()
    } else {
        plain
    };
    let file = format!(
        "[[target]]\nname = \"ok\"\nurl = \"{with_password}\"\n\n\
         [[target]]\nname = \"down\"\nurl = \"postgres://app:hunter2-fleet@127.0.0.1:1/x\"\n"
    );
    let targets = write(dir.path(), "targets.toml", &file);
    for command in [
        args(&["plan", &schema, "--targets", &targets]),
        args(&["plan", &schema, "--targets", &targets, "--format", "json"]),
        args(&[
            "apply",
            &schema,
            "--targets",
            &targets,
            "--yes",
            "--keep-going",
        ]),
        args(&[
            "apply",
            &schema,
            "--targets",
            &targets,
            "--yes",
            "--format",
            "json",
        ]),
        args(&["drift", &schema, "--targets", &targets]),
    ] {
        let run = schemac_async(command.clone()).await.expect(1);
        assert!(
            !run.stdout.contains("hunter2") && !run.stderr.contains("hunter2"),
            "{command:?} printed a password:\n{}\n{}",
            run.stdout,
            run.stderr
        );
        assert!(run.stdout.contains("down"), "{}", run.stdout);
    }
    // A broken file's error does not show the password either.
    let broken = write(
        dir.path(),
        "broken.toml",
        "[[target]]\nurl = \"postgres://app:hunter2-fleet@h/x\"\nport = 5\n",
    );
    let run = schemac_async(args(&["plan", &schema, "--targets", &broken]))
        .await
        .expect(1);
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    assert!(run.stderr.contains("broken.toml"), "{}", run.stderr);
}

#[tokio::test]
async fn fleet_drift_exits_two_when_it_cannot_tell_and_usage_errors_exit_two() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = write(dir.path(), "app.schema", SCHEMA);
    let bad_schema = write(dir.path(), "bad.schema", "table t {\n  id nosuchtype\n}\n");
    let databases = Databases::create("fleet_cannot_tell", 1).await;
    let db = databases.url(0);
    let targets = write(
        dir.path(),
        "targets.toml",
        &format!("[[target]]\nurl = \"{db}\"\n"),
    );
    let not_toml = write(dir.path(), "not.toml", "[[target]\n");
    schemac_async(args(&["drift", &bad_schema, "--targets", &targets]))
        .await
        .expect(2);
    schemac_async(args(&["drift", &schema, "--targets", &not_toml]))
        .await
        .expect(2);
    // A database URL and a targets file are one or the other; the fleet flags need a fleet.
    schemac_async(args(&[
        "plan",
        &schema,
        "--targets",
        &targets,
        "--database-url",
        &db,
    ]))
    .await
    .expect(2);
    schemac_async(args(&["apply", &schema, "--canary", "1"]))
        .await
        .expect(2);
    schemac_async(args(&[
        "plan",
        &schema,
        "--targets",
        &targets,
        "--from-empty",
    ]))
    .await
    .expect(2);
    // An empty database drifts; after apply it does not.
    schemac_async(args(&["drift", &schema, "--targets", &targets]))
        .await
        .expect(1);
    schemac_async(args(&["apply", &schema, "--targets", &targets, "--yes"]))
        .await
        .expect(0);
    schemac_async(args(&["drift", &schema, "--targets", &targets]))
        .await
        .expect(0);
    schemac_async(args(&["plan", &schema, "--targets", &targets]))
        .await
        .expect(0);
}
