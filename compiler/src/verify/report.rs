//! The report's output formats: human (a line per proof, grouped by table, the failing query and
//! rows on failure), TAP 13, JUnit XML and JSON.

use std::collections::BTreeMap;

use super::{Check, Report};

fn title(check: &Check) -> String {
    let mut title = check.proof.clone();
    let mut within = Vec::new();
    if let Some(role) = &check.role {
        within.push(format!("as {role}"));
    }
    if let Some(session) = &check.session {
        within.push(format!("{session} session"));
    }
    if !within.is_empty() {
        title.push_str(&format!(" ({})", within.join(", ")));
    }
    title
}

fn grouped(report: &Report) -> BTreeMap<&str, Vec<&Check>> {
    let mut tables: BTreeMap<&str, Vec<&Check>> = BTreeMap::new();
    for check in &report.checks {
        tables.entry(check.table.as_str()).or_default().push(check);
    }
    tables
}

/// A line per proof, grouped by table; details, the query and rows under each failure.
pub fn human(report: &Report) -> String {
    let mut text = String::new();
    for (table, checks) in grouped(report) {
        text.push_str(table);
        text.push('\n');
        for check in checks {
            let mark = if check.ok { "ok  " } else { "FAIL" };
            text.push_str(&format!("  {mark} {}", title(check)));
            if !check.ok {
                text.push_str(&format!(": {}", check.detail));
                if let Some(query) = &check.query {
                    text.push_str(&format!("\n         query: {query}"));
                }
                for row in &check.rows {
                    text.push_str(&format!("\n         row: {row}"));
                }
            }
            text.push('\n');
        }
    }
    for note in &report.notes {
        text.push_str(&format!("note: {note}\n"));
    }
    let failed = report.failures().count();
    text.push_str(&format!(
        "{} proofs, {} failed\n",
        report.checks.len(),
        failed
    ));
    text
}

/// TAP version 13: a test point per proof, a YAML block under each failure.
pub fn tap(report: &Report) -> String {
    let mut text = format!("TAP version 13\n1..{}\n", report.checks.len());
    for (i, check) in report.checks.iter().enumerate() {
        let status = if check.ok { "ok" } else { "not ok" };
        text.push_str(&format!(
            "{status} {} - {}: {}\n",
            i + 1,
            check.table,
            title(check)
        ));
        if !check.ok {
            text.push_str("  ---\n");
            text.push_str(&format!("  message: {}\n", yaml(&check.detail)));
            if let Some(query) = &check.query {
                text.push_str(&format!("  query: {}\n", yaml(query)));
            }
            if !check.rows.is_empty() {
                text.push_str("  rows:\n");
                for row in &check.rows {
                    text.push_str(&format!("    - {}\n", yaml(row)));
                }
            }
            text.push_str("  ...\n");
        }
    }
    for note in &report.notes {
        text.push_str(&format!("# note: {note}\n"));
    }
    text
}

/// A YAML double-quoted scalar.
fn yaml(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: a test suite per table, a test case per proof.
pub fn junit(report: &Report) -> String {
    let failed = report.failures().count();
    let mut text = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"schemac verify\" tests=\"{}\" failures=\"{failed}\">\n",
        report.checks.len()
    );
    for (table, checks) in grouped(report) {
        let failures = checks.iter().filter(|c| !c.ok).count();
        text.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
            xml(table),
            checks.len()
        ));
        for check in checks {
            text.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(table),
                xml(&title(check))
            ));
            if check.ok {
                text.push_str("/>\n");
            } else {
                let mut body = check.detail.clone();
                if let Some(query) = &check.query {
                    body.push_str(&format!("\nquery: {query}"));
                }
                for row in &check.rows {
                    body.push_str(&format!("\nrow: {row}"));
                }
                text.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml(&check.detail),
                    xml(&body)
                ));
            }
        }
        text.push_str("  </testsuite>\n");
    }
    text.push_str("</testsuites>\n");
    text
}

/// `{"ok": bool, "checks": [...], "notes": [...]}`.
pub fn json(report: &Report) -> String {
    let value = serde_json::json!({
        "ok": report.passed(),
        "checks": report.checks,
        "notes": report.notes,
    });
    serde_json::to_string_pretty(&value)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut report = Report::default();
        report.check("public.t", "rls-forced", true, "forced");
        report
            .check("public.t", "read-others", false, "sees 1 <row> & \"more\"")
            .role("app")
            .query("SELECT count(*) FROM public.t");
        report.checks[1].rows = vec!["{\"id\": 1}".into()];
        report
    }

    #[test]
    fn tap_is_version_13_with_a_yaml_block_per_failure() {
        let text = tap(&report());
        assert!(text.starts_with("TAP version 13\n1..2\nok 1 - public.t: rls-forced\n"));
        assert!(text.contains("not ok 2 - public.t: read-others (as app)\n  ---\n"));
        assert!(text.contains("  message: \"sees 1 <row> & \\\"more\\\"\"\n"));
        assert!(text.contains("  rows:\n    - \"{\\\"id\\\": 1}\"\n  ...\n"));
    }

    #[test]
    fn junit_escapes_and_counts() {
        let text = junit(&report());
        assert!(text.contains("tests=\"2\" failures=\"1\""));
        assert!(text.contains("sees 1 &lt;row&gt; &amp; &quot;more&quot;"));
    }

    #[test]
    fn human_groups_by_table_and_shows_query_and_rows() {
        let text = human(&report());
        assert!(text.starts_with("public.t\n  ok   rls-forced\n  FAIL read-others (as app): "));
        assert!(text.contains("query: SELECT count(*) FROM public.t"));
        assert!(text.contains("row: {\"id\": 1}"));
        assert!(text.ends_with("2 proofs, 1 failed\n"));
        let value: serde_json::Value = serde_json::from_str(&json(&report())).unwrap();
        assert_eq!(value["ok"], false);
    }
}
