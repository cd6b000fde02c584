//! DDL of views and materialized views, one function per statement.

use super::qualified;
use crate::catalog::{QualifiedName, View};

fn with_options(view: &View) -> String {
    if view.options.is_empty() {
        String::new()
    } else {
        format!(" WITH ({})", view.options.join(", "))
    }
}

/// `CREATE [OR REPLACE] VIEW name [WITH (...)] AS query` / `CREATE MATERIALIZED VIEW ... WITH DATA`
/// (`WITH NO DATA` where `data` is false: only its definition is wanted).
pub fn create_view(view: &View, or_replace: bool, data: bool) -> String {
    let query = view.query().trim().trim_end_matches(';').trim_end();
    if view.materialized {
        format!(
            "CREATE MATERIALIZED VIEW {}{} AS {}\nWITH {}DATA",
            qualified(&view.name),
            with_options(view),
            query,
            if data { "" } else { "NO " }
        )
    } else {
        format!(
            "CREATE {}VIEW {}{} AS {}",
            if or_replace { "OR REPLACE " } else { "" },
            qualified(&view.name),
            with_options(view),
            query
        )
    }
}

/// `DROP [MATERIALIZED] VIEW name`: never `CASCADE`, so a dependent view the plan does not drop
/// first stops the statement instead of disappearing.
pub fn drop_view(name: &QualifiedName, materialized: bool) -> String {
    format!(
        "DROP {}VIEW {}",
        if materialized { "MATERIALIZED " } else { "" },
        qualified(name)
    )
}
