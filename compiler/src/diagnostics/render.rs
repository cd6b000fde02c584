//! Rendering diagnostics for people: `FILE:LINE:COL`, the message, the source with its labels and
//! the help, through miette's graphical handler (colour only when asked).

use std::fmt::Write as _;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use super::{Diagnostic, Severity};
use crate::source::SourceSet;

/// A diagnostic converted to a miette report over its file.
#[derive(Debug)]
struct Report {
    diagnostic: Diagnostic,
    source: Option<NamedSource<String>>,
    /// Labels as byte ranges into `source`.
    labels: Vec<LabeledSpan>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

/// Renders one diagnostic: a `FILE:LINE:COL` line, then miette's report. `width` is the wrap width.
pub fn render(diagnostic: &Diagnostic, sources: &SourceSet, colour: bool, width: usize) -> String {
    let mut out = String::new();
    let primary = diagnostic
        .span()
        .and_then(|span| Some((span, sources.file(span.file)?)));
    let (source, labels) = match primary {
        Some((span, file)) => {
            let (line, col) = file.line_col(span.start);
            let _ = writeln!(
                out,
                "{}:{line}:{col}: {}",
                file.path.display(),
                severity_word(diagnostic.severity)
            );
            let labels = diagnostic
                .labels
                .iter()
                .filter(|l| l.span.file == span.file)
                .map(|l| {
                    let start = (l.span.start as usize).min(file.text.len());
                    let end = (l.span.end as usize).clamp(start, file.text.len());
                    LabeledSpan::new_with_span(
                        Some(l.message.clone()),
                        SourceSpan::from(start..end),
                    )
                })
                .collect();
            (
                Some(NamedSource::new(
                    file.path.display().to_string(),
                    file.text.clone(),
                )),
                labels,
            )
        }
        None => (None, Vec::new()),
    };
    let report = Report {
        diagnostic: diagnostic.clone(),
        source,
        labels,
    };
    let theme = if colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let _ = handler.render_report(&mut out, &report);
    out
}

/// Renders every diagnostic, separated by blank lines.
pub fn render_all(
    diagnostics: &[Diagnostic],
    sources: &SourceSet,
    colour: bool,
    width: usize,
) -> String {
    diagnostics
        .iter()
        .map(|d| render(d, sources, colour, width))
        .collect::<Vec<_>>()
        .join("\n")
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}
