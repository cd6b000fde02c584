//! The compiler's diagnostics as LSP diagnostics: the same code, message and primary range as
//! `schemac check` prints, the other labels and the help as related information. A diagnostic
//! with labels in several files shows in each of them (an error in one file caused by another).
//! In: an `Analysis`. Out: diagnostics per file path, one entry for every file of the schema.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Range, Url,
};

use crate::diagnostics::{Diagnostic, Severity};
use crate::source::Span;

use super::workspace::Analysis;

/// Every file of the analysis with its diagnostics (an empty list clears the editor's).
pub fn by_file(analysis: &Analysis) -> BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>> {
    let mut out: BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>> = analysis
        .sources
        .files
        .iter()
        .map(|f| (f.path.clone(), Vec::new()))
        .collect();
    for diagnostic in &analysis.compiled.diagnostics {
        let primary = diagnostic.span().unwrap_or_default();
        let mut files = vec![primary.file];
        for label in &diagnostic.labels {
            if !files.contains(&label.span.file) {
                files.push(label.span.file);
            }
        }
        for file in files {
            let Some(source) = analysis.file(file) else {
                continue;
            };
            // In a file other than the primary one, the diagnostic sits on that file's label.
            let at = diagnostic
                .labels
                .iter()
                .find(|l| l.span.file == file)
                .map_or(primary, |l| l.span);
            let converted = convert(analysis, diagnostic, at);
            out.entry(source.path.clone()).or_default().push(converted);
        }
    }
    out
}

/// The range of a span in its file.
pub fn range(analysis: &Analysis, span: Span) -> Range {
    match (analysis.file(span.file), analysis.lines(span.file)) {
        (Some(file), Some(lines)) => {
            lines.range(&file.text, span.start as usize, span.end as usize)
        }
        _ => Range::default(),
    }
}

/// The location of a span, when its file has a URL.
pub fn location(analysis: &Analysis, span: Span) -> Option<Location> {
    let file = analysis.file(span.file)?;
    let uri = Url::from_file_path(&file.path).ok()?;
    Some(Location::new(uri, range(analysis, span)))
}

fn convert(analysis: &Analysis, diagnostic: &Diagnostic, at: Span) -> lsp_types::Diagnostic {
    let mut related = Vec::new();
    for label in &diagnostic.labels {
        if let Some(location) = location(analysis, label.span) {
            related.push(DiagnosticRelatedInformation {
                location,
                message: label.message.clone(),
            });
        }
    }
    if let Some(help) = &diagnostic.help {
        let span = diagnostic.span().unwrap_or(at);
        if let Some(location) = location(analysis, span) {
            related.push(DiagnosticRelatedInformation {
                location,
                message: format!("help: {help}"),
            });
        }
    }
    lsp_types::Diagnostic {
        range: range(analysis, at),
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.to_string())),
        source: Some("schemac".to_string()),
        message: diagnostic.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}
