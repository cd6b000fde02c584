//! The layers of `compiler/src` point one way. ARCHITECTURE.md ("Layers") has a table of each
//! top-level module and the modules it imports; this test reads every `crate::` path of every file
//! (code only: comments, strings and `#[cfg(test)]` modules are skipped, since tests may use
//! anything) and fails on an import the table does not list, on an import of a module below, on a listed import no code makes (so
//! the table cannot go stale), on a module missing from the table, and on a cycle in the table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Edges = BTreeMap<String, BTreeSet<String>>;

#[test]
fn modules_import_only_what_the_layer_table_allows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let table = layer_table(&std::fs::read_to_string(root.join("../ARCHITECTURE.md")).unwrap());
    let src = root.join("src");
    let used = imports(&src);
    let mut problems = Vec::new();

    for module in top_level_modules(&src) {
        if !table.contains_key(&module) {
            problems.push(format!(
                "`{module}` has no row in ARCHITECTURE.md's layer table"
            ));
        }
    }
    for ((from, to), files) in &used {
        if !table.get(from).is_some_and(|allowed| allowed.contains(to)) {
            problems.push(format!(
                "`{from}` imports `{to}` ({}), which ARCHITECTURE.md's layer table does not allow",
                files.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    for (from, allowed) in &table {
        for to in allowed {
            if !used.contains_key(&(from.clone(), to.clone())) {
                problems.push(format!(
                    "the layer table lets `{from}` import `{to}`, but no code does: remove it"
                ));
            }
        }
    }
    let order = layer_order(&std::fs::read_to_string(root.join("../ARCHITECTURE.md")).unwrap());
    for (from, allowed) in &table {
        for to in allowed {
            if order.iter().position(|m| m == to) > order.iter().position(|m| m == from) {
                problems.push(format!(
                    "`{from}` imports `{to}`, a module below it in the layer table: move the row"
                ));
            }
        }
    }
    if let Some(cycle) = find_cycle(&table) {
        problems.push(format!(
            "the layer table has a cycle: {}",
            cycle.join(" → ")
        ));
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn the_scanner_sees_grouped_imports_and_skips_comments_strings_and_tests() {
    let code = r##"
        use crate::catalog::{Catalog, Table};
        use crate::{diff::Change, plan};
        // crate::cli in a comment
        /* crate::cli in a block comment */
        let s = "crate::cli in a string";
        let r = r#"crate::cli in a raw string"#;
        let c = '"'; let l: &'static str = "";
        fn f() -> crate::sql::Ident { crate::vocab::ident("x") }
        #[cfg(test)]
        mod tests { use crate::cli::run; }
        "##;
    let (found, skipped) = scan(code);
    let expected: BTreeSet<String> = ["catalog", "diff", "plan", "sql", "vocab"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(found, expected);
    assert!(skipped.is_empty());
    let (_, skipped) = scan("#[cfg(test)]\nmod tests;\n#[cfg(test)] mod fixtures;");
    assert_eq!(skipped, ["tests", "fixtures"]);
}

/// The rows of the table under `## Layers`: `| \`module\` | \`a\`, \`b\` |` (`—` for none).
fn layer_table(architecture: &str) -> Edges {
    let section = architecture
        .split("\n## Layers")
        .nth(1)
        .expect("ARCHITECTURE.md has a `## Layers` section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut table = Edges::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let name = cells[0].trim_matches('`').to_string();
        let imports = cells
            .get(1)
            .into_iter()
            .flat_map(|cell| cell.split(','))
            .map(|m| m.trim().trim_matches('`'))
            .filter(|m| !m.is_empty() && *m != "—")
            .map(String::from)
            .collect();
        assert!(
            table.insert(name.clone(), imports).is_none(),
            "`{name}` has two rows in the layer table"
        );
    }
    assert!(!table.is_empty(), "the layer table has no rows");
    table
}

/// The modules of the layer table, top row first.
fn layer_order(architecture: &str) -> Vec<String> {
    let section = architecture.split("\n## Layers").nth(1).unwrap_or_default();
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(String::from)
        .collect()
}

/// `mod x;` declarations of `lib.rs`.
fn top_level_modules(src: &Path) -> Vec<String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("pub mod ")
                .or(l.trim().strip_prefix("mod "))
        })
        .map(|l| l.trim_end_matches(';').to_string())
        .collect()
}

/// (importer, imported) → files, for every top-level module of `src`.
fn imports(src: &Path) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut edges: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    // Files declared `#[cfg(test)] mod x;` are test code.
    let mut test_files = BTreeSet::new();
    let mut scanned = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let (found, skipped) = scan(&text);
        let dir = if file
            .file_name()
            .is_some_and(|n| n == "mod.rs" || n == "lib.rs")
        {
            file.parent().unwrap().to_path_buf()
        } else {
            file.with_extension("")
        };
        for module in skipped {
            test_files.insert(dir.join(format!("{module}.rs")));
            test_files.insert(dir.join(&module).join("mod.rs"));
        }
        scanned.push((file.clone(), found));
    }
    for (file, found) in scanned {
        if test_files.contains(&file) {
            continue;
        }
        let relative = file.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_string_lossy().trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        for imported in found.into_iter().filter(|m| *m != module) {
            edges
                .entry((module.clone(), imported))
                .or_default()
                .insert(relative.display().to_string());
        }
    }
    edges
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file's code names through `crate::`, and the modules it declares
/// `#[cfg(test)] mod x;` (test code in another file).
fn scan(text: &str) -> (BTreeSet<String>, Vec<String>) {
    let code = without_tests(&code_only(text));
    let mut found = BTreeSet::new();
    let mut skipped = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let preceded = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        rest = &rest[at + "crate::".len()..];
        if preceded {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            for item in top_level_items(group) {
                if let Some(name) = leading_ident(item.trim()) {
                    if name != "self" {
                        found.insert(name);
                    }
                }
            }
        } else if let Some(name) = leading_ident(rest) {
            found.insert(name);
        }
    }
    let mut rest = code.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        rest = &rest[at + "#[cfg(test)]".len()..];
        let declaration = rest.trim_start();
        let declaration = declaration.strip_prefix("pub ").unwrap_or(declaration);
        if let Some(name) = declaration.strip_prefix("mod ") {
            if let Some(name) = leading_ident(name.trim_start()) {
                skipped.push(name);
            }
        }
    }
    (found, skipped)
}

fn leading_ident(text: &str) -> Option<String> {
    let name: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The comma-separated items of a `{...}` group (the text after its `{`), at depth zero.
fn top_level_items(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// `text` with comments, string and character literals blanked (lifetimes kept).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && matches!(next, Some('#') | Some('"')) && !ident_before(&chars, i) {
            let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            i += hashes + 2;
            let closing: Vec<char> = format!("\"{}", "#".repeat(hashes)).chars().collect();
            while i < chars.len() && !chars[i..].starts_with(&closing) {
                i += 1;
            }
            i += closing.len();
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// `code` without the bodies of `#[cfg(test)] mod x { ... }`.
fn without_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let header_end = after.find(['{', ';']).unwrap_or(after.len());
        let is_inline_module =
            after[..header_end].contains("mod ") && after[header_end..].starts_with('{');
        if !is_inline_module {
            out.push_str(&after[..header_end.min(after.len())]);
            rest = &after[header_end.min(after.len())..];
            continue;
        }
        let mut depth = 0;
        let mut end = after.len();
        for (i, c) in after[header_end..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = header_end + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// A cycle among the table's edges, if any (depth-first search).
fn find_cycle(table: &Edges) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        table: &Edges,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in table.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, table, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    table
        .keys()
        .find_map(|node| visit(node, table, &mut Vec::new(), &mut done))
}
