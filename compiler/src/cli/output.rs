//! `Output`: where a command writes its result (stdout) and its diagnostics and progress (stderr),
//! with colour decided once. Tests capture both through `Output::captured`.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

/// Writers for the result and the diagnostics, and what the terminal can do.
pub struct Output {
    pub stdout: Box<dyn Write + Send>,
    pub stderr: Box<dyn Write + Send>,
    /// Colour on stdout (a terminal, and `NO_COLOR` unset).
    pub colour_stdout: bool,
    pub colour_stderr: bool,
    /// Whether stderr is a terminal (progress bars).
    pub stderr_is_terminal: bool,
    /// Whether stdin is a terminal (`apply` asks before running).
    pub interactive: bool,
}

/// Captured output of a command run in a test.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().map(|b| b.clone()).unwrap_or_default()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut inner) = self.0.lock() {
            inner.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Output {
    /// The process's stdout and stderr.
    pub fn terminal() -> Output {
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let stderr_is_terminal = std::io::stderr().is_terminal();
        Output {
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
            colour_stdout: !no_colour && std::io::stdout().is_terminal(),
            colour_stderr: !no_colour && stderr_is_terminal,
            stderr_is_terminal,
            interactive: std::io::stdin().is_terminal(),
        }
    }

    /// In-memory output, for tests: returns the output and handles to what went to stdout and stderr.
    pub fn captured() -> (Output, Captured, Captured) {
        let stdout = Captured::default();
        let stderr = Captured::default();
        let output = Output {
            stdout: Box::new(stdout.clone()),
            stderr: Box::new(stderr.clone()),
            colour_stdout: false,
            colour_stderr: false,
            stderr_is_terminal: false,
            interactive: false,
        };
        (output, stdout, stderr)
    }

    /// Writes to stdout, ignoring a closed pipe.
    pub fn result(&mut self, text: &str) {
        let _ = self.stdout.write_all(text.as_bytes());
        let _ = self.stdout.flush();
    }

    /// Writes a line to stderr.
    pub fn note(&mut self, text: &str) {
        let _ = writeln!(self.stderr, "{text}");
    }

    /// An error line on stderr: `error: ...`.
    pub fn error(&mut self, text: &str) {
        let prefix = if self.colour_stderr {
            "\x1b[1;31merror\x1b[0m"
        } else {
            "error"
        };
        let _ = writeln!(self.stderr, "{prefix}: {text}");
    }

    /// Text in a colour when colour is on for stdout.
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.colour_stdout {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}
