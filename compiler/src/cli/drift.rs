//! `schemac drift`: whether the database equals the schema; one entry per difference, and a
//! source-level diff. Exit 0 equal, 1 drift, 2 could not tell (bad schema, no connection, ...), as
//! `diff(1)` does. The target is only read (see `live::printer`). Drift compares; it makes no plan,
//! so a difference no plan can reach yet (a NOT NULL with nothing to fill it) is still a difference.

use super::plan::report_failure;
use super::{human, schema, DatabaseUrl, DriftArgs, Output};
use crate::live::{compare_against, printer};

pub fn run(args: DriftArgs, out: &mut Output) -> u8 {
    let Some(url) = DatabaseUrl::from_args(args.database_url.as_deref()) else {
        // The schema's own errors first, as with a database.
        if schema::load(out, args.path.as_deref()).is_some() {
            out.error("no database: pass --database-url URL or set DATABASE_URL");
        }
        return 2;
    };
    let Some(mut against) = schema::load_against(out, args.path.as_deref(), &url) else {
        return 2;
    };
    let printer = printer(args.dev_url.as_deref());
    let compared = match against.runtime.block_on(compare_against(
        &mut against.conn,
        against.current,
        &against.desired,
        &printer,
    )) {
        Ok(compared) => compared,
        Err(failure) => {
            report_failure(out, failure, &against.sources, Some(&url));
            return 2;
        }
    };
    schema::let_go(against.conn, against.runtime);
    let unmanaged = &compared.current.unmanaged;
    if !unmanaged.is_empty() {
        let mut text = format!(
            "not managed: {} object(s) the schema does not declare, left as they are\n",
            unmanaged.len()
        );
        for object in unmanaged {
            text.push_str(&format!("  - {object}\n"));
        }
        out.result(&text);
    }
    if compared.changes.is_empty() {
        out.note("no drift: the database matches the schema");
        return 0;
    }
    let mut text = format!(
        "drift: {} difference(s) between the database and the schema\n",
        compared.changes.len()
    );
    for change in &compared.changes {
        text.push_str(&format!("  - {}\n", human::describe(change)));
    }
    let current = crate::to_source::to_source(&compared.current.normalized()).text;
    let desired = crate::to_source::to_source(&compared.desired.normalized()).text;
    let diff = similar::TextDiff::from_lines(&current, &desired);
    text.push('\n');
    text.push_str(
        &diff
            .unified_diff()
            .context_radius(2)
            .header("database", "schema")
            .to_string(),
    );
    out.result(&text);
    1
}
