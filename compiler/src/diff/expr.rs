//! Reading a stored SQL expression (a check, an index key or predicate) through column renames:
//! `RENAME COLUMN` rewrites every expression that names the column, so the database prints
//! `(length(display_name) > 0)` afterwards for what was `(length(fullname) > 0)`. The differ
//! compares the schema's expression with the database's as it will read after the renames.

use crate::sql::ident;

/// `expr` (as PostgreSQL prints it) with every column reference `old` written as `new`. Column
/// references are identifiers, bare or double-quoted, that are not a function name (followed by
/// `(`), a type (after `::`) or a qualified name's later part (after `.`); string literals are
/// left alone.
pub fn rename_column(expr: &str, old: &str, new: &str) -> String {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = String::with_capacity(expr.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // A string literal, `''` inside it is a quote.
            let start = i;
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            out.extend(&chars[start..i]);
            continue;
        }
        let (name, end) = if c == '"' {
            let mut name = String::new();
            let mut j = i + 1;
            while j < chars.len() {
                if chars[j] == '"' {
                    if chars.get(j + 1) == Some(&'"') {
                        name.push('"');
                        j += 2;
                        continue;
                    }
                    j += 1;
                    break;
                }
                name.push(chars[j]);
                j += 1;
            }
            (name, j)
        } else if c.is_alphabetic() || c == '_' {
            let mut j = i;
            while j < chars.len()
                && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '$')
            {
                j += 1;
            }
            (chars[i..j].iter().collect(), j)
        } else {
            out.push(c);
            i += 1;
            continue;
        };
        let before = out.trim_end();
        let after = chars[end..].iter().find(|c| !c.is_whitespace());
        let is_column = name == old
            && !before.ends_with("::")
            && !before.ends_with('.')
            && after != Some(&'(')
            && after != Some(&'.');
        if is_column {
            out.push_str(&ident(new));
        } else {
            out.extend(&chars[i..end]);
        }
        i = end;
    }
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
