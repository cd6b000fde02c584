//! Rust identifiers for database names: `heck` case conversion, reduction to ASCII identifier
//! characters, keyword escaping, and allocation of unique names within one scope.
//! In: table, column, enum and value names exactly as PostgreSQL spells them. Out: `Ident`s that are
//! always valid Rust, so building tokens from them cannot panic. Knows nothing about types.

use std::collections::BTreeSet;

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span};

/// Strict and reserved keywords of Rust 2015–2024 that `r#` can escape.
/// https://doc.rust-lang.org/reference/keywords.html
const RAW_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers (`r#self` is an error); they get a trailing `_`.
const NON_RAW_KEYWORDS: &[&str] = &["self", "Self", "super", "crate"];

/// Type names the generated code uses unqualified or that users expect from the prelude; a table
/// or enum whose name converts to one of these gets a numeric suffix instead of shadowing it.
pub(crate) const RESERVED_TYPE_NAMES: &[&str] = &[
    "AsMut",
    "AsRef",
    "Box",
    "Clone",
    "Copy",
    "Default",
    "Drop",
    "Eq",
    "Err",
    "Extend",
    "Fn",
    "FnMut",
    "FnOnce",
    "From",
    "FromIterator",
    "Into",
    "IntoIterator",
    "Iterator",
    "None",
    "Ok",
    "Option",
    "Ord",
    "PartialEq",
    "PartialOrd",
    "Result",
    "Send",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "TryFrom",
    "TryInto",
    "Unpin",
    "Vec",
];

/// Module (file) names the generator uses itself, and file stems that would clash with the root.
pub(crate) const RESERVED_MODULE_NAMES: &[&str] = &["enums", "support", "mod", "lib", "main"];

/// Keeps ASCII letters, digits and `_`; every other character becomes a word break, except `'`,
/// which is dropped so that `won't` reads as one word (`Wont`, not `WonT`).
fn ascii_words(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '\'')
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                ' '
            }
        })
        .collect()
}

/// The singular of a table name, by its last word: `users` → `user`, `audit_logs` → `audit_log`,
/// `people` → `person` (English rules of the `pluralizer` crate). A last word that is not plain
/// ASCII letters is left as it is.
pub(crate) fn singular(name: &str) -> String {
    let (head, last) = match name.rfind('_') {
        Some(at) => name.split_at(at + 1),
        None => ("", name),
    };
    if last.is_empty() || !last.chars().all(|c| c.is_ascii_alphabetic()) {
        return name.to_string();
    }
    let singular = pluralizer::pluralize(last, 1, false);
    if singular.is_empty() {
        return name.to_string();
    }
    format!("{head}{singular}")
}

/// `snake_case` for fields and modules: never empty, never starts with a digit.
pub(crate) fn snake(name: &str) -> String {
    let converted = ascii_words(name).to_snake_case();
    ensure_start(converted, "column", "_")
}

/// `UpperCamelCase` for structs, enums and variants: never empty, never starts with a digit.
pub(crate) fn upper_camel(name: &str) -> String {
    let converted = ascii_words(name).to_upper_camel_case();
    ensure_start(converted, "Value", "V")
}

/// `SHOUTY_SNAKE_CASE` for constants: never empty, never starts with a digit.
pub(crate) fn shouty_snake(name: &str) -> String {
    let converted = ascii_words(name).to_shouty_snake_case();
    ensure_start(converted, "COLUMN", "C_")
}

fn ensure_start(converted: String, empty: &str, digit_prefix: &str) -> String {
    match converted.chars().next() {
        None => empty.to_string(),
        Some(first) if first.is_ascii_digit() => format!("{digit_prefix}{converted}"),
        Some(_) => converted,
    }
}

/// The name as it must be written in Rust: `self` → `self_`; other keywords stay as they are and
/// are made raw by [`ident`].
pub(crate) fn escape_non_raw(name: String) -> String {
    if NON_RAW_KEYWORDS.contains(&name.as_str()) {
        format!("{name}_")
    } else {
        name
    }
}

/// The identifier a converted name is used as: raw (`r#type`) for keywords.
///
/// `name` comes from [`snake`], [`upper_camel`] or [`shouty_snake`] (through [`Scope::claim`]), so it
/// is a non-empty run of ASCII letters, digits and `_` not starting with a digit, and not one of
/// the keywords that cannot be raw. Anything else is replaced rather than allowed to make
/// `Ident::new` panic.
pub(crate) fn ident(name: &str) -> Ident {
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "_"
        && !NON_RAW_KEYWORDS.contains(&name);
    if !valid {
        return Ident::new("invalid_name", Span::call_site());
    }
    if RAW_KEYWORDS.contains(&name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// The name `serde` and `sqlx` derive from an identifier: the identifier without `r#`.
pub(crate) fn unraw(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

/// Names taken in one Rust namespace (the fields of a struct, the items of a module); hands out a
/// unique name for each wanted one, in call order, so the same input always gets the same names.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    /// A scope in which `reserved` names are never handed out.
    pub(crate) fn with_reserved(reserved: &[&str]) -> Scope {
        Scope {
            taken: reserved.iter().map(|name| (*name).to_string()).collect(),
        }
    }

    /// `wanted` (keyword-escaped) if free, else `wanted` + `separator` + the first free number
    /// from 2 on.
    pub(crate) fn claim(&mut self, wanted: String, separator: &str) -> String {
        let wanted = escape_non_raw(wanted);
        if self.taken.insert(wanted.clone()) {
            return wanted;
        }
        let base = wanted.trim_end_matches('_');
        let mut number = 2u32;
        loop {
            let candidate = format!("{base}{separator}{number}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            number += 1;
        }
    }
}

/// Claims a name for each `(wanted, exact)` in `scope` and returns them in the same order; the
/// `exact` ones (a name that needs no rename: column `user_id`, not `userId`) are served first so a
/// converted name never takes the plain name from the one it would fit exactly.
pub(crate) fn claim_all(
    scope: &mut Scope,
    wanted: Vec<(String, bool)>,
    separator: &str,
) -> Vec<String> {
    let mut claimed: Vec<Option<String>> = vec![None; wanted.len()];
    for exact_pass in [true, false] {
        for (index, (name, exact)) in wanted.iter().enumerate() {
            if *exact == exact_pass {
                claimed[index] = Some(scope.claim(name.clone(), separator));
            }
        }
    }
    claimed.into_iter().flatten().collect()
}

/// What `#[serde(rename_all = "snake_case")]` makes of a variant name (serde's own rule: an `_`
/// before every uppercase letter but the first, then lower case), which can differ from `heck`'s
/// (what `#[sqlx(rename_all = "snake_case")]` uses) around digits and acronyms.
pub(crate) fn serde_snake(variant: &str) -> String {
    let mut snake = String::with_capacity(variant.len() + 4);
    for (index, ch) in variant.char_indices() {
        if index > 0 && ch.is_uppercase() {
            snake.push('_');
        }
        snake.push(ch.to_ascii_lowercase());
    }
    snake
}

/// Whether both `sqlx` and `serde` spell `variant` as `value` under `rename_all = "snake_case"`;
/// where not, the variant needs an explicit `rename`.
pub(crate) fn snake_case_spells(variant: &str, value: &str) -> bool {
    variant.to_snake_case() == value && serde_snake(variant) == value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_produce_identifiers_for_odd_names() {
        let cases: Vec<String> = [
            "won't ship",
            "In Progress",
            "1st",
            "",
            "ünïcode",
            "userId",
            "a-b",
        ]
        .iter()
        .map(|name| {
            format!(
                "{name:?} -> {} {} {}",
                upper_camel(name),
                snake(name),
                shouty_snake(name)
            )
        })
        .collect();
        insta::assert_snapshot!(cases.join("\n"), @r#"
        "won't ship" -> WontShip wont_ship WONT_SHIP
        "In Progress" -> InProgress in_progress IN_PROGRESS
        "1st" -> V1st _1st C_1ST
        "" -> Value column COLUMN
        "ünïcode" -> NCode n_code N_CODE
        "userId" -> UserId user_id USER_ID
        "a-b" -> AB a_b A_B
        "#);
    }

    #[test]
    fn table_names_become_singular() {
        let singulars: Vec<String> = [
            "users",
            "audit_logs",
            "people",
            "role",
            "user_role_assignment",
            "categories",
            "statuses",
            "data_2",
            "",
        ]
        .iter()
        .map(|name| upper_camel(&singular(name)))
        .collect();
        assert_eq!(
            singulars,
            [
                "User",
                "AuditLog",
                "Person",
                "Role",
                "UserRoleAssignment",
                "Category",
                "Status",
                "Data2",
                "Value"
            ]
        );
    }

    #[test]
    fn keywords_become_raw_or_suffixed() {
        let mut scope = Scope::default();
        let names: Vec<String> = ["type", "self", "Self", "crate", "super", "match", "r#x"]
            .iter()
            .map(|name| {
                let claimed = scope.claim((*name).to_string(), "_");
                ident(&claimed).to_string()
            })
            .collect();
        assert_eq!(
            names,
            [
                "r#type",
                "self_",
                "Self_",
                "crate_",
                "super_",
                "r#match",
                "invalid_name"
            ]
        );
    }

    #[test]
    fn scope_suffixes_collisions_and_reserved_names() {
        let mut scope = Scope::with_reserved(RESERVED_TYPE_NAMES);
        assert_eq!(scope.claim("Option".into(), ""), "Option2");
        assert_eq!(scope.claim("Users".into(), ""), "Users");
        assert_eq!(scope.claim("Users".into(), ""), "Users2");
        assert_eq!(scope.claim("Users".into(), ""), "Users3");
        let mut fields = Scope::default();
        assert_eq!(fields.claim("self".into(), "_"), "self_");
        assert_eq!(fields.claim("self".into(), "_"), "self_2");
        let wanted = vec![
            ("user_id".to_string(), false),
            ("user_id".to_string(), true),
        ];
        assert_eq!(
            claim_all(&mut Scope::default(), wanted, "_"),
            ["user_id_2", "user_id"]
        );
    }

    #[test]
    fn rename_needed_only_where_snake_case_differs() {
        assert!(snake_case_spells("Create", "create"));
        assert!(snake_case_spells("InProgress", "in_progress"));
        assert!(!snake_case_spells("InProgress", "In Progress"));
        assert!(!snake_case_spells("WontShip", "won't ship"));
        assert!(!snake_case_spells("Self_", "self"));
        assert!(!snake_case_spells("V1st", "1st"));
    }
}
