//! Protocol tests of `schemac lsp`: the real binary, spoken to over stdio as an editor would.
//! A two-file schema is opened and edited; diagnostics (appearing, clearing, across files, equal
//! to `schemac check`'s), hover, definition, references, completion, document symbols,
//! formatting, rename with `renamed from`, code actions and shutdown/exit are asserted; malformed
//! input (garbage frames, a 10 MB file, a file that is not UTF-8, positions past the end) gets an
//! error response or nothing, and the server keeps running.

#[path = "lsp/client.rs"]
mod client;

use std::path::{Path, PathBuf};
use std::process::Command;

use client::{position, uri, Client};
use serde_json::{json, Value};

const ACCOUNTS: &str =
    "tenancy { root accounts  column account_id  setting \"app.current_account_id\" }

enum status { open, closed }

table accounts {
  id   uuid primary default(gen_random_uuid())
  name text
}

role app_user
";

const USERS: &str = "tenant table users {
  id    uuid primary default(gen_random_uuid())
  email text unique
  state status default('open')

  index (email)
}

tenant table sessions {
  id      uuid primary default(gen_random_uuid())
  user_id uuid references users on delete cascade

  index (user_id)
}

grant select on users to app_user
";

struct Schema {
    _dir: tempfile::TempDir,
    root: PathBuf,
    accounts: PathBuf,
    users: PathBuf,
}

fn schema() -> Schema {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical").join("schema");
    std::fs::create_dir_all(&root).expect("mkdir");
    let accounts = root.join("accounts.schema");
    let users = root.join("users.schema");
    std::fs::write(&accounts, ACCOUNTS).expect("write");
    std::fs::write(&users, USERS).expect("write");
    Schema {
        root: dir.path().canonicalize().expect("canonical"),
        _dir: dir,
        accounts,
        users,
    }
}

fn text_document(path: &Path) -> Value {
    json!({ "uri": uri(path) })
}

fn at(path: &Path, text: &str, needle: &str, nth: usize, skip: usize) -> Value {
    json!({ "textDocument": text_document(path), "position": position(text, needle, nth, skip) })
}

/// What `schemac check` prints for the schema directory as it is on disk.
fn check_output(dir: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_schemac"))
        .arg("check")
        .arg(dir)
        .output()
        .expect("run schemac check");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn diagnostics_appear_clear_and_match_check_across_files() {
    let schema = schema();
    let mut client = Client::start(&schema.root);
    client.open(&schema.users, USERS);
    let clean = client.diagnostics(&schema.users, |_| true);
    assert!(clean.is_empty(), "{clean:?}");

    // A typo in the buffer only (not saved): the buffer wins over the file on disk.
    let typo = USERS.replace("references users", "references userz");
    client.change(&schema.users, 2, &typo);
    let found = client.diagnostics(&schema.users, |list| !list.is_empty());
    assert_eq!(found.len(), 1, "{found:?}");
    let diagnostic = &found[0];
    assert_eq!(diagnostic["code"], "schemac::resolve::unknown_table");
    assert_eq!(diagnostic["severity"], 1);
    assert_eq!(diagnostic["range"]["start"], position(&typo, "userz", 0, 0));
    assert_eq!(diagnostic["range"]["end"], position(&typo, "userz", 0, 5));
    let related = diagnostic["relatedInformation"].to_string();
    assert!(related.contains("help: did you mean `users`?"), "{related}");

    // The same diagnostic as `schemac check` prints for the same text.
    std::fs::write(&schema.users, &typo).expect("write");
    let check = check_output(&schema.users.with_file_name(""));
    assert!(check.contains("schemac::resolve::unknown_table"), "{check}");
    assert!(
        check.contains(diagnostic["message"].as_str().unwrap_or("?")),
        "{check}"
    );
    assert!(check.contains("users.schema:11:27"), "{check}");
    std::fs::write(&schema.users, USERS).expect("write");

    // Fixed: the diagnostics clear.
    client.change(&schema.users, 3, USERS);
    client.diagnostics(&schema.users, <[Value]>::is_empty);

    // An error caused by another file shows in both: `accounts` declared again in users.schema.
    let twice = format!("{USERS}\ntable accounts {{\n  id uuid primary\n}}\n");
    client.change(&schema.users, 4, &twice);
    let here = client.diagnostics(&schema.users, |list| !list.is_empty());
    let there = client.diagnostics(&schema.accounts, |list| !list.is_empty());
    assert_eq!(here[0]["code"], "schemac::resolve::duplicate_table");
    assert_eq!(there[0]["code"], "schemac::resolve::duplicate_table");
    assert_eq!(
        there[0]["range"]["start"],
        position(ACCOUNTS, "accounts {", 0, 0)
    );
    client.change(&schema.users, 5, USERS);
    client.diagnostics(&schema.accounts, <[Value]>::is_empty);

    assert_eq!(client.stop(), 0);
}

#[test]
fn hover_definition_and_references() {
    let schema = schema();
    let mut client = Client::start(&schema.root);
    client.open(&schema.users, USERS);
    client.diagnostics(&schema.users, <[Value]>::is_empty);

    // A table: the SQL it lowers to, tenant column, policies and backfill path.
    let hover = client.request(
        "textDocument/hover",
        at(&schema.users, USERS, "sessions", 0, 2),
    );
    let text = hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(text.contains("CREATE TABLE public.sessions"), "{text}");
    assert!(text.contains("account_id uuid NOT NULL"), "{text}");
    assert!(
        text.contains("FOREIGN KEY (account_id, user_id) REFERENCES public.users (account_id, id)"),
        "{text}"
    );
    assert!(text.contains("ENABLE ROW LEVEL SECURITY"), "{text}");
    assert!(text.contains("CREATE POLICY tenant_isolation"), "{text}");
    assert!(text.contains("tenant column: `account_id`"), "{text}");
    assert!(
        text.contains("backfill path: sessions.user_id → users"),
        "{text}"
    );

    // A column: type, nullability, default.
    let hover = client.request(
        "textDocument/hover",
        at(&schema.users, USERS, "state", 0, 1),
    );
    let text = hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        text.contains("state public.status NOT NULL DEFAULT 'open'"),
        "{text}"
    );
    assert!(text.contains("`NOT NULL`"), "{text}");

    // The table after `references`: the target column.
    let hover = client.request(
        "textDocument/hover",
        at(&schema.users, USERS, "references users", 0, 12),
    );
    let text = hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        text.contains("references `public.users` by its primary key"),
        "{text}"
    );
    assert!(
        text.contains("id uuid NOT NULL DEFAULT gen_random_uuid()"),
        "{text}"
    );

    // Definition of a table in the same file, of an enum and a role in the other file.
    let definition = client.request(
        "textDocument/definition",
        at(&schema.users, USERS, "references users", 0, 12),
    );
    assert_eq!(definition[0]["uri"], uri(&schema.users));
    assert_eq!(
        definition[0]["range"]["start"],
        position(USERS, "users {", 0, 0)
    );
    let definition = client.request(
        "textDocument/definition",
        at(&schema.users, USERS, "status", 0, 0),
    );
    assert_eq!(definition[0]["uri"], uri(&schema.accounts));
    assert_eq!(
        definition[0]["range"]["start"],
        position(ACCOUNTS, "status", 0, 0)
    );
    let definition = client.request(
        "textDocument/definition",
        at(&schema.users, USERS, "app_user", 0, 0),
    );
    assert_eq!(definition[0]["uri"], uri(&schema.accounts));
    assert_eq!(
        definition[0]["range"]["start"],
        position(ACCOUNTS, "app_user", 0, 0)
    );
    // A column named in `index (...)`.
    let definition = client.request(
        "textDocument/definition",
        at(&schema.users, USERS, "index (email)", 0, 8),
    );
    assert_eq!(
        definition[0]["range"]["start"],
        position(USERS, "email text", 0, 0)
    );

    // References of `users`: its definition, `references users`, `grant ... on users`.
    let references = client.request(
        "textDocument/references",
        json!({ "textDocument": text_document(&schema.users), "position": position(USERS, "users {", 0, 1), "context": { "includeDeclaration": true } }),
    );
    let starts: Vec<Value> = references
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|l| l["range"]["start"].clone())
        .collect();
    assert_eq!(
        starts,
        vec![
            position(USERS, "users {", 0, 0),
            position(USERS, "users on delete", 0, 0),
            position(USERS, "users to", 0, 0),
        ]
    );
    assert_eq!(client.stop(), 0);
}

fn labels(items: &Value) -> Vec<String> {
    let list = items.get("items").unwrap_or(items);
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["label"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn completion_offers_what_may_stand_there() {
    let schema = schema();
    let mut client = Client::start(&schema.root);
    let text = "tenant table orders {
  id uuid primary
  user_id uuid references 
  note text 
  kind 
  \n  index (
  foreign key (user_id) references users (
  backfill account_id from 
  state status default(
}

";
    client.open(&schema.users, &format!("{USERS}\n{text}"));
    let full = format!("{USERS}\n{text}");
    let mut complete = |needle: &str, skip: usize| {
        labels(&client.request(
            "textDocument/completion",
            at(&schema.users, &full, needle, 0, skip),
        ))
    };
    // Tables after `references`.
    let tables = complete("references \n", 11);
    assert!(
        tables.contains(&"users".into()) && tables.contains(&"accounts".into()),
        "{tables:?}"
    );
    // Attributes after a column's type.
    let attributes = complete("note text ", 10);
    for word in ["default", "references", "check", "unique", "renamed from"] {
        assert!(attributes.contains(&word.into()), "{word}: {attributes:?}");
    }
    // Types (and enums) after a column name.
    let types = complete("kind ", 5);
    assert!(
        types.contains(&"uuid".into()) && types.contains(&"status".into()),
        "{types:?}"
    );
    // Entry keywords at the start of a table line.
    let entries = complete("  \n  index (", 2);
    assert!(
        entries.contains(&"index".into()) && entries.contains(&"foreign key".into()),
        "{entries:?}"
    );
    // Columns inside `index (`.
    // (`user_id` is on a line that does not parse yet, so it is not offered.)
    let columns = complete("index (\n", 7);
    assert!(
        columns.contains(&"id".into()) && columns.contains(&"note".into()),
        "{columns:?}"
    );
    // The referenced table's columns in `references users (`.
    let columns = complete("references users (", 18);
    assert!(
        columns.contains(&"email".into()) && !columns.contains(&"note".into()),
        "{columns:?}"
    );
    // Columns after `backfill ... from`.
    let columns = complete("backfill account_id from ", 25);
    assert!(
        columns.contains(&"id".into()) && columns.contains(&"note".into()),
        "{columns:?}"
    );
    // Enum values in the default of an enum column.
    let values = complete("status default(", 15);
    assert_eq!(values, vec!["'open'".to_string(), "'closed'".to_string()]);
    // Item keywords at the top level.
    let items = complete("}\n\n", 3);
    for word in ["table", "tenant", "enum", "role", "grant"] {
        assert!(items.contains(&word.into()), "{word}: {items:?}");
    }
    assert_eq!(client.stop(), 0);
}

#[test]
fn rename_formatting_symbols_and_code_actions() {
    let schema = schema();
    let mut client = Client::start(&schema.root);
    client.open(&schema.users, USERS);
    client.open(&schema.accounts, ACCOUNTS);

    // Rename of a table: every use, and the hint beside the definition.
    let edit = client.request(
        "textDocument/rename",
        json!({ "textDocument": text_document(&schema.users), "position": position(USERS, "users {", 0, 0), "newName": "members" }),
    );
    let edits = &edit["changes"][uri(&schema.users)];
    let mut applied = apply(USERS, edits);
    assert!(
        applied.contains("tenant table members renamed from users {"),
        "{applied}"
    );
    assert!(
        applied.contains("user_id uuid references members on delete cascade"),
        "{applied}"
    );
    assert!(
        applied.contains("grant select on members to app_user"),
        "{applied}"
    );

    // Rename of a column: `index (...)` follows, the column gets `renamed from email`.
    let edit = client.request(
        "textDocument/rename",
        json!({ "textDocument": text_document(&schema.users), "position": position(USERS, "email", 0, 0), "newName": "mail" }),
    );
    applied = apply(USERS, &edit["changes"][uri(&schema.users)]);
    assert!(
        applied.contains("mail text unique renamed from email"),
        "{applied}"
    );
    assert!(applied.contains("index (mail)"), "{applied}");
    let bad = client.request_raw(
        "textDocument/rename",
        json!({ "textDocument": text_document(&schema.users), "position": position(USERS, "email", 0, 0), "newName": "no good" }),
    );
    assert!(bad.get("error").is_some(), "{bad}");

    // Formatting: `schemac fmt`'s output as one edit; none when already formatted.
    let messy = "table   t {\n id int\n    longer_name    text?\n}\n";
    let messy_path = schema.accounts.with_file_name("messy.schema");
    client.open(&messy_path, messy);
    let edits = client.request("textDocument/formatting", json!({ "textDocument": text_document(&messy_path), "options": { "tabSize": 2, "insertSpaces": true } }));
    let formatted = apply(messy, &edits);
    assert_eq!(
        formatted,
        "table t {\n  id           int\n  longer_name  text?\n}\n"
    );
    client.change(&messy_path, 2, &formatted);
    let edits = client.request("textDocument/formatting", json!({ "textDocument": text_document(&messy_path), "options": { "tabSize": 2, "insertSpaces": true } }));
    assert_eq!(edits, json!([]));

    // Document symbols: tables with their columns.
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": text_document(&schema.users) }),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, vec!["users", "sessions"]);
    assert_eq!(symbols[0]["children"][1]["name"], "email");
    // Views are in the outline too.
    let views_path = schema.accounts.with_file_name("views.schema");
    client.open(
        &views_path,
        "view user_emails as (select email from users)\n",
    );
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": text_document(&views_path) }),
    );
    assert_eq!(symbols[0]["name"], "user_emails", "{symbols}");
    assert_eq!(symbols[0]["detail"], "view");

    // Code action: `did you mean` replaces the name.
    let typo = USERS.replace("references users", "references userz");
    client.change(&schema.users, 2, &typo);
    let diagnostics = client.diagnostics(&schema.users, |list| !list.is_empty());
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": text_document(&schema.users), "range": diagnostics[0]["range"], "context": { "diagnostics": diagnostics } }),
    );
    assert_eq!(actions[0]["title"], "replace with `users`");
    let fixed = apply(&typo, &actions[0]["edit"]["changes"][uri(&schema.users)]);
    assert_eq!(fixed, USERS);
    assert_eq!(client.stop(), 0);
}

#[test]
fn code_action_adds_backfill_from_when_the_path_is_ambiguous() {
    let schema = schema();
    let mut client = Client::start(&schema.root);
    let text = format!(
        "{USERS}\ntenant table notes {{\n  id         uuid primary\n  user_id    uuid references users\n  session_id uuid references sessions\n}}\n"
    );
    client.open(&schema.users, &text);
    client.diagnostics(&schema.users, <[Value]>::is_empty);
    let hover = client.request(
        "textDocument/hover",
        at(&schema.users, &text, "notes", 0, 1),
    );
    let value = hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(value.contains("ambiguous"), "{value}");
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": text_document(&schema.users), "range": { "start": position(&text, "notes", 0, 0), "end": position(&text, "notes", 0, 0) }, "context": { "diagnostics": [] } }),
    );
    let titles: Vec<&str> = actions
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["title"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("add `backfill account_id from user_id`")),
        "{titles:?}"
    );
    let fixed = apply(&text, &actions[0]["edit"]["changes"][uri(&schema.users)]);
    assert!(fixed.contains("  backfill account_id from "), "{fixed}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn malformed_input_gets_an_error_or_nothing_never_a_crash() {
    let schema = schema();
    // A file that is not UTF-8 beside the others.
    let latin1 = schema.accounts.with_file_name("latin1.schema");
    std::fs::write(&latin1, b"table t {\n  caf\xe9 text\n}\n").expect("write");
    let mut client = Client::start(&schema.root);

    // Garbage: no header, a header with a body that is not JSON, JSON that is not JSON-RPC.
    client.send_raw(b"this is not a header\r\n\r\n");
    client.send_raw(b"Content-Length: 9\r\n\r\nnot json!");
    client.send_raw(b"Content-Length: 2\r\n\r\n[]");
    let unknown = client.request_raw("schemac/unknown", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let errors = client.notifications.len();
    assert!(errors == 0 || client.alive());

    client.open(&schema.users, USERS);
    let invalid = client.diagnostics(&latin1, |list| !list.is_empty());
    assert_eq!(
        invalid[0]["code"], "schemac::parse::invalid_utf8",
        "{invalid:?}"
    );

    // A position past the end of a line and of the file, and a file nobody opened.
    for position in [
        json!({ "line": 0, "character": 500 }),
        json!({ "line": 5000, "character": 0 }),
    ] {
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
        ] {
            let response = client.request_raw(
                method,
                json!({ "textDocument": text_document(&schema.users), "position": position }),
            );
            assert!(
                response["result"].is_null() || response.get("error").is_some(),
                "{method}: {response}"
            );
        }
    }
    let response = client.request_raw("textDocument/hover", json!({ "textDocument": { "uri": "untitled:nowhere" }, "position": { "line": 0, "character": 0 } }));
    assert!(response["result"].is_null(), "{response}");
    let response = client.request_raw("textDocument/hover", json!({ "wrong": "params" }));
    assert_eq!(response["error"]["code"], -32602, "{response}");

    // A 10 MB file: one line of garbage repeated.
    let big_path = schema.accounts.with_file_name("big.schema");
    let big = "table t { id int } %%% garbage ((( \n".repeat(10 * 1024 * 1024 / 36);
    client.open(&big_path, &big);
    let list = client.diagnostics(&big_path, |_| true);
    assert!(!list.is_empty());
    let symbols = client.request_raw(
        "textDocument/documentSymbol",
        json!({ "textDocument": text_document(&big_path) }),
    );
    assert!(
        symbols.get("error").is_none(),
        "{}",
        &symbols.to_string()[..200.min(symbols.to_string().len())]
    );

    assert!(client.alive());
    assert_eq!(client.stop(), 0);
}

/// Applies LSP text edits (non-overlapping) to a text.
fn apply(text: &str, edits: &Value) -> String {
    let mut edits: Vec<(usize, usize, String)> = edits
        .as_array()
        .map(|list| {
            list.iter()
                .map(|edit| {
                    let offset = |p: &Value| {
                        let line = p["line"].as_u64().unwrap_or(0) as usize;
                        let character = p["character"].as_u64().unwrap_or(0) as usize;
                        let start: usize =
                            text.split_inclusive('\n').take(line).map(str::len).sum();
                        let rest = &text[start..];
                        let mut units = 0;
                        for (at, c) in rest.char_indices() {
                            if units >= character {
                                return start + at;
                            }
                            units += c.len_utf16();
                        }
                        text.len()
                    };
                    (
                        offset(&edit["range"]["start"]),
                        offset(&edit["range"]["end"]),
                        edit["newText"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    edits.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut out = text.to_string();
    for (start, end, new) in edits {
        out.replace_range(start..end, &new);
    }
    out
}
