//! Facts about the data that the planner asked for (`plan::FactQuery`): which tables hold rows and
//! which columns hold NULLs. One query for all of them, each part stopping at the first row found.

use sqlx::PgConnection;

use crate::plan::{FactQuery, Facts};
use crate::sql;

/// Reads the facts in one round trip.
pub async fn facts(conn: &mut PgConnection, query: &FactQuery) -> Result<Facts, sqlx::Error> {
    let mut parts = Vec::new();
    for (i, table) in query.tables.iter().enumerate() {
        parts.push(format!(
            "SELECT 't'::text, {i} WHERE EXISTS (SELECT 1 FROM {})",
            sql::qualified(table)
        ));
    }
    let nulls: Vec<_> = query.null_columns.iter().collect();
    for (i, (table, column)) in nulls.iter().enumerate() {
        parts.push(format!(
            "SELECT 'n'::text, {i} WHERE EXISTS (SELECT 1 FROM {} WHERE {} IS NULL)",
            sql::qualified(table),
            sql::ident(column)
        ));
    }
    let mut facts = Facts::default();
    let version: String =
        sqlx::query_scalar("select pg_catalog.current_setting('server_version_num')")
            .fetch_one(&mut *conn)
            .await?;
    facts.server_version = version.trim().parse().ok();
    if parts.is_empty() {
        return Ok(facts);
    }
    let rows: Vec<(String, i32)> = sqlx::query_as(&parts.join(" UNION ALL "))
        .fetch_all(conn)
        .await?;
    let tables: Vec<_> = query.tables.iter().collect();
    for (kind, index) in rows {
        let index = index as usize;
        match kind.as_str() {
            "t" => {
                if let Some(table) = tables.get(index) {
                    facts.tables_with_rows.insert((*table).clone());
                }
            }
            _ => {
                if let Some(column) = nulls.get(index) {
                    facts.columns_with_nulls.insert((*column).clone());
                }
            }
        }
    }
    Ok(facts)
}
