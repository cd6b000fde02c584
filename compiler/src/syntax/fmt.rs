//! Formatter (todo).
// TEMP (lead, uncommitted): identity until the formatter lands.
pub fn format(file: &crate::source::SourceFile) -> Result<String, Vec<crate::diagnostics::Diagnostic>> {
    Ok(file.text.clone())
}
