//! Features that need a newer server than the target's: refused before any step is planned, with
//! the reason, instead of failing halfway through `apply`.

use crate::catalog::{Column, QualifiedName};
use crate::diagnostics::{codes, Diagnostic};
use crate::diff::Change;

/// PostgreSQL 18: `GENERATED ALWAYS AS (expr) VIRTUAL`.
const VIRTUAL_COLUMNS: u32 = 180_000;

/// Errors for the changes that the server (`server_version_num`, when known) cannot run.
pub fn check(changes: &[Change], server_version: Option<u32>) -> Vec<Diagnostic> {
    let Some(version) = server_version else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    let mut virtual_column = |table: &QualifiedName, column: &Column| {
        if column.generated_virtual && version < VIRTUAL_COLUMNS {
            errors.push(
                Diagnostic::error(
                    codes::PLAN_UNSUPPORTED_BY_SERVER,
                    format!(
                        "`{}.{}` is a virtual generated column, which needs PostgreSQL 18; the database runs {}",
                        table.name,
                        column.name,
                        version_text(version)
                    ),
                )
                .with_optional_label(column.origin, "this column")
                .with_help(
                    "write `generated (...) stored` (or leave out `virtual`), or upgrade the server"
                        .to_string(),
                ),
            );
        }
    };
    for change in changes {
        match change {
            Change::CreateTable(table) => {
                for column in &table.columns {
                    virtual_column(&table.name, column);
                }
            }
            Change::AddColumn { table, column }
            | Change::ReplaceGeneratedColumn {
                table,
                desired: column,
                ..
            } => virtual_column(table, column),
            _ => {}
        }
    }
    errors
}

/// `150004` → `15.4`.
fn version_text(number: u32) -> String {
    format!("{}.{}", number / 10_000, number % 10_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{BaseType, SqlType};

    #[test]
    fn virtual_columns_need_postgres_18() {
        let mut column = Column::new("total", SqlType::scalar(BaseType::Integer));
        column.generated = Some("a + b".into());
        column.generated_virtual = true;
        let changes = vec![Change::AddColumn {
            table: QualifiedName::public("t"),
            column,
        }];
        let errors = check(&changes, Some(150_004));
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.contains("PostgreSQL 18"),
            "{}",
            errors[0].message
        );
        assert!(errors[0].message.contains("15.4"), "{}", errors[0].message);
        assert!(check(&changes, Some(180_004)).is_empty());
        assert!(check(&changes, None).is_empty());
    }
}
