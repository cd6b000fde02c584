//! "Did you mean" suggestions: the closest candidate by edit distance, when it is close enough to
//! be a likely typo.

/// The candidate closest to `word`, if it is within a third of the word's length (at least 1,
/// at most 3 edits) and is not `word` itself.
pub fn closest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (word.chars().count() / 3).clamp(1, 3);
    let lower = word.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == word {
            continue;
        }
        // Case differences are the likeliest typo of all; count them as one edit.
        let distance = if candidate.to_lowercase() == lower {
            1
        } else {
            edit_distance(word, candidate)
        };
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance over characters, with adjacent transposition counted as one edit.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Names are short; a quadratic table is cheap, but cap pathological inputs.
    if a.len() > 256 || b.len() > 256 {
        return usize::MAX;
    }
    let mut previous2: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(previous2[j - 2] + 1);
            }
            current[j] = value;
        }
        std::mem::swap(&mut previous2, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(closest("primray", ["primary", "unique"]), Some("primary"));
        assert_eq!(closest("txt", ["text", "int"]), Some("text"));
        assert_eq!(closest("Users", ["users", "user_roles"]), Some("users"));
        assert_eq!(closest("zzz", ["text", "int"]), None);
        assert_eq!(closest("text", ["text"]), None);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
