//! Views and materialized views read from the rows of the tables query (`kind` 'v' or 'm'), so
//! that introspection keeps its fixed number of queries; their columns and a materialized view's
//! indexes come with the tables' rows of the columns and indexes queries.

use sqlx::postgres::PgRow;

use super::queries::get;
use super::IntrospectError;
use crate::catalog::{QualifiedName, View};

/// The view of a `tables` row, or `None` for a table.
pub(super) fn view(row: &PgRow) -> Result<Option<View>, IntrospectError> {
    const WHAT: &str = "tables";
    let kind: String = get(row, WHAT, "kind")?;
    if kind != "v" && kind != "m" {
        return Ok(None);
    }
    let definition: Option<String> = get(row, WHAT, "view_definition")?;
    let mut options: Vec<String> =
        get::<Option<Vec<String>>>(row, WHAT, "view_options")?.unwrap_or_default();
    options.sort();
    let depends: Option<String> = get(row, WHAT, "view_depends")?;
    let (depends_on, depends_on_columns) = dependencies(depends.as_deref().unwrap_or("[]"));
    Ok(Some(View {
        name: QualifiedName::new(
            get::<String>(row, WHAT, "schema")?,
            get::<String>(row, WHAT, "name")?,
        ),
        materialized: kind == "m",
        definition: printed(definition.as_deref().unwrap_or_default()),
        source: None,
        options,
        columns: Vec::new(),
        indexes: Vec::new(),
        depends_on,
        depends_on_columns,
        origin: None,
    }))
}

/// `pg_get_viewdef` as compared: without its trailing `;` and surrounding space.
pub(crate) fn printed(definition: &str) -> String {
    definition
        .trim()
        .trim_end_matches(';')
        .trim_end()
        .to_string()
}

/// `[[schema, relation, column|null], ...]` → the relations, and the columns, a view reads.
pub(crate) fn dependencies(json: &str) -> (Vec<QualifiedName>, Vec<(QualifiedName, String)>) {
    let entries: Vec<(String, String, Option<String>)> =
        serde_json::from_str(json).unwrap_or_default();
    let mut relations = Vec::new();
    let mut columns = Vec::new();
    for (schema, name, column) in entries {
        let relation = QualifiedName::new(schema, name);
        if let Some(column) = column {
            columns.push((relation.clone(), column));
        }
        relations.push(relation);
    }
    relations.sort();
    relations.dedup();
    columns.sort();
    columns.dedup();
    (relations, columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dependencies() {
        let (relations, columns) =
            dependencies(r#"[["public","users",null],["public","users","id"],["s","v","a"]]"#);
        assert_eq!(
            relations,
            vec![
                QualifiedName::new("public", "users"),
                QualifiedName::new("s", "v")
            ]
        );
        assert_eq!(columns.len(), 2);
        assert_eq!(printed(" SELECT 1;\n"), "SELECT 1");
    }
}
