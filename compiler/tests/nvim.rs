//! A real editor as the client: headless Neovim (0.7+, built-in LSP client) with
//! `editors/nvim` starts `schemac lsp`, opens a schema with an error and writes the diagnostics it
//! received and where a go-to-definition jumped (`editors/nvim/test/headless.lua`). CI installs
//! Neovim from Debian's packages (`.ci/run`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCHEMA: &str = "table accounts {
  id   uuid primary default(gen_random_uuid())
  name text
}

table users {
  id         uuid primary default(gen_random_uuid())
  account_id uuid references accounts
  team_id    uuid references teamz
}
";

#[test]
fn neovim_shows_diagnostics_and_jumps_to_a_definition() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    let file = root.join("app.schema");
    std::fs::write(&file, SCHEMA).expect("write");
    let out = root.join("result.txt");
    let editors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../editors/nvim");
    let script = editors.join("test/headless.lua");
    let mut child = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("SCHEMAC_NVIM_DIR", &editors)
        .env("SCHEMAC_BIN", env!("CARGO_BIN_EXE_schemac"))
        .env("SCHEMAC_FILE", &file)
        .env("SCHEMAC_OUT", &out)
        // `accounts` in `references accounts` (line 8, column 31).
        .env("SCHEMAC_LINE", "8")
        .env("SCHEMAC_COL", "31")
        .env("XDG_CONFIG_HOME", root.join("config"))
        .env("XDG_DATA_HOME", root.join("data"))
        .env("XDG_STATE_HOME", root.join("state"))
        .env("XDG_CACHE_HOME", root.join("cache"))
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("nvim is installed (apt-get install neovim; .ci/run does it)");
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("nvim did not finish");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let result = std::fs::read_to_string(&out).expect("nvim wrote its result");
    let lines: Vec<&str> = result.lines().collect();
    assert_eq!(
        lines,
        vec![
            "filetype schema",
            "diagnostics true",
            "diagnostic 9:30 schemac::resolve::unknown_table `teamz` is not a table",
            "definition true app.schema:1:7",
        ],
        "{result}"
    );
}
