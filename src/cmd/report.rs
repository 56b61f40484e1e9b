//! Rendering diagnostics of many files: miette's graphical report for
//! people, one JSON object per line for machines, workflow commands for
//! GitHub Actions. The file's source is attached here, at the CLI boundary.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::Arc;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, NamedSource, Report, Severity};

use crate::cli::LintFormat;

/// Everything found in one file.
pub struct FileReport {
    /// The path as the user will recognise it.
    pub path: String,
    /// `None` when the file could not be read.
    pub source: Option<Arc<String>>,
    pub diagnostics: Vec<Box<dyn Diagnostic + Send + Sync>>,
}

/// Counts over all reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub errors: usize,
    pub warnings: usize,
}

impl Totals {
    pub fn of(reports: &[FileReport]) -> Totals {
        let mut totals = Totals::default();
        for d in reports.iter().flat_map(|r| &r.diagnostics) {
            if is_warning(d.as_ref()) {
                totals.warnings += 1;
            } else {
                totals.errors += 1;
            }
        }
        totals
    }
}

fn is_warning(d: &dyn Diagnostic) -> bool {
    matches!(
        d.severity(),
        Some(Severity::Warning) | Some(Severity::Advice)
    )
}

/// Render every diagnostic of every report in `format`.
pub fn render(reports: Vec<FileReport>, format: LintFormat) -> String {
    let mut out = String::new();
    let handler = human_handler();
    for report in reports {
        let FileReport {
            path,
            source,
            diagnostics,
        } = report;
        for diagnostic in diagnostics {
            let position = source
                .as_deref()
                .and_then(|s| Position::of(diagnostic.as_ref(), s));
            match format {
                LintFormat::Human if !out.is_empty() => {
                    // A blank line between two reports reads better than none.
                    out.push('\n');
                    human(&mut out, &handler, &path, source.clone(), diagnostic)
                }
                LintFormat::Human => human(&mut out, &handler, &path, source.clone(), diagnostic),
                LintFormat::Json => json(&mut out, &path, position, diagnostic.as_ref()),
                LintFormat::Github => github(&mut out, &path, position, diagnostic.as_ref()),
            }
        }
    }
    out
}

/// The graphical handler: colours only on a terminal.
pub fn human_handler() -> GraphicalReportHandler {
    let theme = if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100)
}

/// One diagnostic, graphically, with its file's source and name.
pub fn human(
    out: &mut String,
    handler: &GraphicalReportHandler,
    path: &str,
    source: Option<Arc<String>>,
    diagnostic: Box<dyn Diagnostic + Send + Sync>,
) {
    let report = match source {
        Some(source) => {
            Report::new_boxed(diagnostic).with_source_code(NamedSource::new(path, source))
        }
        None => Report::new_boxed(diagnostic),
    };
    if handler.render_report(out, report.as_ref()).is_err() {
        // Rendering into a String cannot fail; keep the message if it does.
        let _ = writeln!(out, "{report}");
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

/// 1-based line and column (in characters) of the primary span's start and end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Position {
    fn of(diagnostic: &dyn Diagnostic, source: &str) -> Option<Position> {
        let labels: Vec<_> = diagnostic.labels()?.collect();
        let primary = labels.iter().find(|l| l.primary()).or(labels.first())?;
        let (line, column) = line_column(source, primary.offset());
        let (end_line, end_column) = line_column(source, primary.offset() + primary.len());
        Some(Position {
            line,
            column,
            end_line,
            end_column,
        })
    }
}

fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn code(d: &dyn Diagnostic) -> String {
    d.code()
        .map(|c| c.to_string())
        .unwrap_or_else(|| "runbook::error".to_string())
}

fn json(out: &mut String, path: &str, position: Option<Position>, d: &dyn Diagnostic) {
    let value = serde_json::json!({
        "file": path,
        "line": position.map(|p| p.line),
        "column": position.map(|p| p.column),
        "end": position.map(|p| serde_json::json!({ "line": p.end_line, "column": p.end_column })),
        "severity": if is_warning(d) { "warning" } else { "error" },
        "code": code(d),
        "message": d.to_string(),
        "help": d.help().map(|h| h.to_string()),
    });
    let _ = writeln!(out, "{value}");
}

/// `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=CODE::message`
fn github(out: &mut String, path: &str, position: Option<Position>, d: &dyn Diagnostic) {
    let level = if is_warning(d) { "warning" } else { "error" };
    let mut props = format!("file={}", escape_property(path));
    if let Some(p) = position {
        let _ = write!(
            props,
            ",line={},col={},endLine={},endColumn={}",
            p.line, p.column, p.end_line, p.end_column
        );
    }
    let _ = write!(props, ",title={}", escape_property(&code(d)));
    let mut message = d.to_string();
    if let Some(help) = d.help() {
        let _ = write!(message, "\nhelp: {help}");
    }
    let _ = writeln!(out, "::{level} {props}::{}", escape_data(&message));
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_and_lines_start_at_one() {
        let src = "ab\nçd\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 3), (2, 1));
        assert_eq!(line_column(src, 5), (2, 2));
        assert_eq!(line_column(src, 100), (3, 1));
    }

    #[test]
    fn github_escapes_separators() {
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(escape_data("x\ny"), "x%0Ay");
    }
}
