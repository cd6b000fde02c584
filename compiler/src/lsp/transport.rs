//! JSON-RPC framing over a byte stream (`Content-Length` headers, then a JSON body), written for
//! robustness rather than taken from `lsp-server`'s reader, which stops at the first bad message.
//! In: any bytes. Out: `Incoming` items — a message, or a frame that was not one (answered with a
//! parse error by the server). It never panics and reads a frame whole however large it is.

use std::io::{BufRead, Read};

use lsp_server::Message;

/// Frames larger than this are read and dropped: nothing in a schema needs them.
const MAX_FRAME: usize = 256 * 1024 * 1024;

/// What one frame of input was.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// A frame that is not a JSON-RPC message; the text says why.
    Malformed(String),
}

/// Reads the next frame; `None` at the end of the input.
pub fn read(input: &mut impl BufRead) -> Option<Incoming> {
    let mut length: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => {
                return saw_header.then(|| Incoming::Malformed("input ended in a header".into()))
            }
            Ok(_) => {}
            Err(_) => return None,
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header {
                continue;
            }
            break;
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok();
            }
        }
    }
    let Some(length) = length else {
        return Some(Incoming::Malformed(
            "a header without a valid `Content-Length`".into(),
        ));
    };
    if length > MAX_FRAME {
        let mut rest = input.take(length as u64);
        let _ = std::io::copy(&mut rest, &mut std::io::sink());
        return Some(Incoming::Malformed(format!(
            "a message of {length} bytes is larger than {MAX_FRAME}"
        )));
    }
    let mut body = vec![0; length];
    if input.read_exact(&mut body).is_err() {
        return None;
    }
    Some(match serde_json::from_slice::<Message>(&body) {
        Ok(message) => Incoming::Message(message),
        Err(error) => Incoming::Malformed(format!("not a JSON-RPC message: {error}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_messages_around_garbage() {
        let message = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "garbage line\r\n\r\nContent-Length: 3\r\n\r\n{{{{{{Content-Length: {}\r\n\r\n{message}",
            message.len()
        );
        let mut reader = std::io::Cursor::new(input.into_bytes());
        assert!(matches!(read(&mut reader), Some(Incoming::Malformed(_))));
        assert!(matches!(read(&mut reader), Some(Incoming::Malformed(_))));
        assert!(matches!(read(&mut reader), Some(Incoming::Message(_))));
        assert!(read(&mut reader).is_none());
    }
}
