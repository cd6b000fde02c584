//! Byte offsets (what `Span`s hold) to and from LSP positions (line and UTF-16 column, what the
//! protocol uses by default). A position past the end of a line or of the file is `None` when
//! asked for an offset, so a request for it gets an empty answer rather than a wrong place.

use lsp_types::{Position, Range};

/// Line starts of one text, for conversions in both directions.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        LineIndex { starts }
    }

    /// The position of a byte offset (clamped to the text).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_boundary(text, offset.min(text.len()));
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        let start = self.starts[line];
        let character: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(self.position(text, start), self.position(text, end))
    }

    /// The byte offset of a position, `None` when it is past the end of its line or the file.
    pub fn offset(&self, text: &str, position: Position) -> Option<usize> {
        let start = *self.starts.get(position.line as usize)?;
        let end = self
            .starts
            .get(position.line as usize + 1)
            .map_or(text.len(), |next| next - 1);
        let line = text.get(start..end)?;
        let mut units = 0usize;
        for (at, ch) in line.char_indices() {
            if units >= position.character as usize {
                return Some(start + at);
            }
            units += ch.len_utf16();
        }
        (units >= position.character as usize).then_some(end)
    }
}

fn floor_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_ways_and_refuses_past_the_end() {
        let text = "ab\nçd😀e\n";
        let index = LineIndex::new(text);
        let at = text.find('e').unwrap_or_default();
        let position = index.position(text, at);
        assert_eq!(position, Position::new(1, 4));
        assert_eq!(index.offset(text, position), Some(at));
        assert_eq!(index.offset(text, Position::new(0, 3)), None);
        assert_eq!(index.offset(text, Position::new(9, 0)), None);
        assert_eq!(index.offset(text, Position::new(2, 0)), Some(text.len()));
    }
}
