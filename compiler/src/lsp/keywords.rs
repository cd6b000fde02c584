//! Keyword lists read from the grammar itself (`schema.pest`, compiled in), so that completion
//! offers what the parser accepts today, including keywords added after this module was written:
//! item keywords from `line_starts_item`, table-level entries from `entry_word`, column
//! attributes from `attr_word`, and every keyword from the `k_*` rules.

const GRAMMAR: &str = include_str!("../syntax/schema.pest");

/// The definition of one rule: its lines up to the next rule.
fn rule_text(rule: &str) -> String {
    let mut text = String::new();
    let mut inside = false;
    for line in GRAMMAR.lines() {
        let starts_rule = !line.starts_with(' ') && line.contains(" = ");
        if starts_rule {
            inside = line.split_whitespace().next() == Some(rule);
        }
        // Whole-line comments only: `"///"` inside a rule is code.
        if inside && !line.trim_start().starts_with("//") {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// The words of one rule: its double-quoted words (letters and `_` only) and the words of the
/// `k_*` keyword rules it names, in order.
fn rule_words(rule: &str) -> Vec<String> {
    let keywords = keyword_rules();
    let mut words: Vec<String> = Vec::new();
    let text = rule_text(rule);
    for (i, part) in text.split('"').enumerate() {
        let candidates: Vec<String> = if i % 2 == 1 {
            vec![part.to_string()]
        } else {
            part.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter_map(|token| keywords.iter().find(|(rule, _)| rule == token))
                .map(|(_, word)| word.clone())
                .collect()
        };
        for word in candidates {
            let is_word =
                !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if is_word && !words.contains(&word) {
                words.push(word);
            }
        }
    }
    words
}

/// `(rule, word)` for every `k_word = @{ "word" ~ !ident_char }` rule.
fn keyword_rules() -> Vec<(String, String)> {
    GRAMMAR
        .lines()
        .filter(|line| line.starts_with("k_"))
        .filter_map(|line| {
            let rule = line.split_whitespace().next()?;
            let word = line.split('"').nth(1)?;
            Some((rule.to_string(), word.to_string()))
        })
        .collect()
}

/// True when the grammar has a rule of this name.
pub fn rule_exists(rule: &str) -> bool {
    GRAMMAR
        .lines()
        .any(|line| !line.starts_with(' ') && line.split_whitespace().next() == Some(rule))
}

/// Words that start a top-level item (`table`, `tenant`, `enum`, `role`, ...).
pub fn items() -> Vec<String> {
    rule_words("line_starts_item")
}

/// Words that start a table-level entry (`primary`, `unique`, `index`, `foreign`, ...).
pub fn entries() -> Vec<String> {
    rule_words("entry_word")
}

/// Column attribute keywords (`default`, `references`, ...), without `on` (which continues
/// `references`).
pub fn attributes() -> Vec<String> {
    rule_words("attr_word")
        .into_iter()
        .filter(|w| w != "on")
        .map(|w| {
            if w == "renamed" {
                "renamed from".into()
            } else {
                w
            }
        })
        .collect()
}

/// Every keyword of the language (the `k_*` rules).
pub fn all() -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for (_, word) in keyword_rules() {
        if !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_come_from_the_grammar() {
        assert!(items().iter().any(|w| w == "table"), "{:?}", items());
        assert!(items().iter().any(|w| w == "grant"), "{:?}", items());
        assert!(entries().iter().any(|w| w == "foreign"));
        assert!(attributes().iter().any(|w| w == "references"));
        assert!(attributes().iter().any(|w| w == "renamed from"));
        assert!(all().iter().any(|w| w == "tenancy"));
    }
}
