//! Running the `schemac` command line in-process, as a user would run the binary: the real argument
//! parser, the real commands, stdout and stderr captured.

use clap::Parser;
use schemac::cli::{execute, Cli, Output};

/// What a command printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn expect(self, code: u8) -> Run {
        assert_eq!(
            self.code, code,
            "exit code of schemac\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs `schemac <args>` (blocking: it builds its own runtime; from async tests use `schemac_async`).
pub fn schemac<S: AsRef<str>>(args: &[S]) -> Run {
    let argv =
        std::iter::once("schemac".to_string()).chain(args.iter().map(|a| a.as_ref().to_string()));
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(error) => {
            return Run {
                code: error.exit_code() as u8,
                stdout: String::new(),
                stderr: error.to_string(),
            }
        }
    };
    let (mut output, stdout, stderr) = Output::captured();
    let code = execute(cli, &mut output);
    Run {
        code,
        stdout: stdout.text(),
        stderr: stderr.text(),
    }
}

/// `schemac` from inside an async test: runs on the blocking pool.
pub async fn schemac_async(args: Vec<String>) -> Run {
    tokio::task::spawn_blocking(move || schemac(&args))
        .await
        .expect("schemac panicked")
}
