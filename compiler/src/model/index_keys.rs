//! An index key as written, `name gin_trgm_ops`, `at desc nulls last`, `lower(email)
//! text_pattern_ops`, split into the key itself and its options (operator class, order), as
//! PostgreSQL's `index_elem` reads it: a column, a function call or a parenthesised expression,
//! then `[opclass] [asc | desc] [nulls first | last]`. Text that does not split that way is one
//! expression with the default options, as before options existed.

use crate::vocab::KeyOptions;

/// What a key's text is: the key (column name or expression, outer parentheses kept) and options.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitKey<'a> {
    pub key: &'a str,
    /// True when `key` is a bare column name.
    pub column: bool,
    pub options: KeyOptions,
}

pub fn split(text: &str) -> SplitKey<'_> {
    let text = text.trim();
    let whole = SplitKey {
        key: text,
        column: false,
        options: KeyOptions::default(),
    };
    let Some(end) = key_end(text) else {
        return whole;
    };
    let key = &text[..end];
    let Some(options) = options(&text[end..]) else {
        return whole;
    };
    let column = is_ident(key);
    SplitKey {
        key,
        column,
        options,
    }
}

/// The byte where the key proper ends: after `(...)`, after `name(...)`, or after `name`.
fn key_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.first() == Some(&b'(') {
        return balanced(text, 0);
    }
    let mut i = 0;
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
    {
        i += 1;
    }
    if i == 0 {
        return None;
    }
    if bytes.get(i) == Some(&b'(') {
        return balanced(text, i);
    }
    Some(i)
}

/// The end (exclusive) of the parenthesis opened at `open`, skipping quoted text.
fn balanced(text: &str, open: usize) -> Option<usize> {
    crate::vocab::sql_text::matching_paren(text.get(open..)?).map(|close| open + close + 1)
}

fn is_ident(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `[collate c] [opclass] [asc | desc] [nulls first | last]`, or `None` when the text is
/// something else. A collation keeps its spelling (`"C"`); an unquoted one folds to lower case.
fn options(rest: &str) -> Option<KeyOptions> {
    let mut options = KeyOptions::default();
    let mut rest = rest.trim_start();
    if rest.len() > 7
        && rest[..7].eq_ignore_ascii_case("collate")
        && rest[7..].starts_with(char::is_whitespace)
    {
        let name = rest[7..].trim_start();
        let end = if let Some(quoted) = name.strip_prefix('"') {
            1 + quoted.find('"')? + 1
        } else {
            name.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(name.len())
        };
        if end == 0 {
            return None;
        }
        let collation = &name[..end];
        options.collation = Some(if collation.starts_with('"') {
            collation.to_string()
        } else {
            collation.to_lowercase()
        });
        rest = &name[end..];
    }
    let words: Vec<String> = rest.split_whitespace().map(str::to_lowercase).collect();
    let mut words = words.iter().map(String::as_str).peekable();
    if let Some(&word) = words.peek() {
        if !matches!(word, "asc" | "desc" | "nulls") {
            let valid = word
                .split('.')
                .all(|part| is_ident(part) && part != "collate");
            if !valid {
                return None;
            }
            options.opclass = Some(word.to_string());
            words.next();
        }
    }
    if let Some(&word) = words.peek() {
        if matches!(word, "asc" | "desc") {
            options.descending = word == "desc";
            words.next();
        }
    }
    options.nulls_first = options.descending;
    if words.peek() == Some(&"nulls") {
        words.next();
        options.nulls_first = match words.next() {
            Some("first") => true,
            Some("last") => false,
            _ => return None,
        };
    }
    words.next().is_none().then_some(options)
}

/// A key as `.schema` text: the key, parenthesised where its options would not split off
/// otherwise, then its options (`lower(email) text_pattern_ops`, `(a + b) desc`).
pub fn source_text(key: &str, options: &KeyOptions) -> String {
    if options.is_default() {
        return key.to_string();
    }
    let key = if key_end(key) == Some(key.len()) {
        key.to_string()
    } else {
        format!("({key})")
    };
    format!("{key}{}", options.suffix(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(opclass: Option<&str>, descending: bool, nulls_first: bool) -> KeyOptions {
        KeyOptions {
            collation: None,
            opclass: opclass.map(str::to_string),
            descending,
            nulls_first,
        }
    }

    #[test]
    fn splits_keys_as_postgres_reads_them() {
        let key = split("name gin_trgm_ops");
        assert_eq!((key.key, key.column), ("name", true));
        assert_eq!(key.options, opts(Some("gin_trgm_ops"), false, false));
        let key = split("at desc nulls last");
        assert_eq!((key.key, key.column), ("at", true));
        assert_eq!(key.options, opts(None, true, false));
        let key = split("lower(email) text_pattern_ops");
        assert_eq!((key.key, key.column), ("lower(email)", false));
        assert_eq!(key.options, opts(Some("text_pattern_ops"), false, false));
        let key = split("(a + b) DESC");
        assert_eq!((key.key, key.column), ("(a + b)", false));
        assert_eq!(key.options, opts(None, true, true));
        let key = split("id nulls first");
        assert_eq!(key.options, opts(None, false, true));
        let key = split("name collate \"C\" text_pattern_ops desc");
        assert_eq!((key.key, key.column), ("name", true));
        assert_eq!(key.options.collation.as_deref(), Some("\"C\""));
        assert_eq!(key.options.opclass.as_deref(), Some("text_pattern_ops"));
        assert!(key.options.descending);
        assert_eq!(
            source_text("name", &key.options),
            "name collate \"C\" text_pattern_ops desc"
        );
        let key = split("name public.gin_trgm_ops");
        assert_eq!(key.options.opclass.as_deref(), Some("public.gin_trgm_ops"));
    }

    #[test]
    fn anything_else_stays_one_expression() {
        for text in [
            "a + b",
            "lower(email)",
            "(a)",
            "a collate",
            "x nulls sometimes",
            "f(a) b c",
        ] {
            let key = split(text);
            assert_eq!(key.key, text, "{text}");
            assert!(key.options.is_default(), "{text}");
        }
        assert!(split("lower(email)").options.is_default());
    }

    #[test]
    fn source_text_splits_back() {
        let desc = opts(None, true, false);
        for (key, text) in [
            ("a + b", "(a + b) desc nulls last"),
            ("lower(x)", "lower(x) desc nulls last"),
        ] {
            assert_eq!(source_text(key, &desc), text);
            assert_eq!(split(text).options, desc);
        }
        assert_eq!(source_text("a + b", &KeyOptions::default()), "a + b");
    }
}
