//! Expression text split where only parentheses and quotes matter: the `)` that closes a `(`, the
//! text inside outer parentheses, the parts between top-level commas. For the words and operators
//! of an expression, `crate::lexer` is the one lexer; these need neither and live in the bottom
//! layer, which the model, the catalog and introspection all read.

/// The text inside the parentheses that open `text` (trimmed) and close at its end; `None` when
/// the first `(` closes earlier, as in `(a) + (b)`. Quotes are skipped.
pub fn unparen(text: &str) -> Option<&str> {
    let text = text.trim();
    let end = matching_paren(text)?;
    (end == text.len() - 1).then(|| &text[1..end])
}

/// The byte index of the `)` that closes the `(` at the start of `text`, skipping quoted text.
pub fn matching_paren(text: &str) -> Option<usize> {
    if !text.starts_with('(') {
        return None;
    }
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits at commas outside parentheses and quotes; each part trimmed. (`''` inside a string
/// closes and reopens the quote, which leaves the state right.)
pub fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut current = String::new();
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        parts.push(current.trim().to_string());
    }
    parts
}
