//! Reading a stored SQL expression (a check, an index key or predicate) through column renames:
//! `RENAME COLUMN` rewrites every expression that names the column, so the database prints
//! `(length(display_name) > 0)` afterwards for what was `(length(fullname) > 0)`. The differ
//! compares the schema's expression with the database's as it will read after the renames.

use crate::lexer::{self, Kind};
use crate::sql::ident;

/// `expr` (as PostgreSQL prints it) with every column reference `old` written as `new`. Column
/// references are identifiers, bare or double-quoted, that are not a function name (followed by
/// `(`), a type (after `::`) or a qualified name's later part (after `.`); string literals are
/// left alone.
pub fn rename_column(expr: &str, old: &str, new: &str) -> String {
    let tokens = lexer::lex(expr);
    let mut out = String::with_capacity(expr.len());
    let mut copied = 0;
    for (i, token) in tokens.iter().enumerate() {
        // An unquoted name is compared as written: PostgreSQL prints column names folded.
        let name = match token.kind {
            Kind::Word => token.text.to_string(),
            Kind::QuotedWord => token.name().unwrap_or_default(),
            _ => continue,
        };
        let before = i.checked_sub(1).map(|p| tokens[p].kind);
        let after = tokens.get(i + 1).map(|t| t.kind);
        let is_column = name == old
            && !matches!(before, Some(Kind::Cast | Kind::Dot))
            && !matches!(after, Some(Kind::Open | Kind::Dot));
        if is_column {
            out.push_str(&expr[copied..token.start]);
            out.push_str(&ident(new));
            copied = token.end;
        }
    }
    out.push_str(&expr[copied..]);
    out
}

/// Whether `expr` names the column `name` (see `rename_column` for what counts).
pub fn names_column(expr: &str, name: &str) -> bool {
    // Renaming to a name that cannot occur in the expression shows whether anything changed.
    rename_column(expr, name, "\u{1}") != expr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_references_are_renamed_and_nothing_else() {
        assert_eq!(
            rename_column("(length(fullname) > 0)", "fullname", "display_name"),
            "(length(display_name) > 0)"
        );
        assert_eq!(
            rename_column("(\"order\" >= 0)", "order", "rank"),
            "(rank >= 0)"
        );
        assert_eq!(rename_column("(n >= 0)", "n", "order"), "(\"order\" >= 0)");
        // A literal, a function, a type and a qualified name's part are not the column.
        assert_eq!(
            rename_column(
                "(status <> 'status'::text AND status(x) AND t.status)",
                "status",
                "state"
            ),
            "(state <> 'status'::text AND status(x) AND t.status)"
        );
        assert_eq!(
            rename_column("(x::status)", "status", "state"),
            "(x::status)"
        );
        assert_eq!(rename_column("('it''s' = a)", "a", "b"), "('it''s' = b)");
        assert!(names_column("(deleted_at IS NULL)", "deleted_at"));
        assert!(!names_column("(deleted_at IS NULL)", "deleted"));
        assert!(names_column("(\"order\" >= 0)", "order"));
    }
}
