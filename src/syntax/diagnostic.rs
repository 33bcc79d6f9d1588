//! Diagnostics: what went wrong, where, and what would fix it; and their rendering.
//!
//! Every stage reports user errors as `Diagnostic` values (data plus spans); the prose
//! lives with each stage's error kinds. Rendering to rustc-style text (file:line:column,
//! the source line, a caret, a help line) happens only here, through codespan-reporting.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use codespan_reporting::term::termcolor::{Buffer, NoColor};

use super::span::{Sources, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in the user's input.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// Where the problem is; `None` only for problems with no place in a file
    /// (a file that could not be read from the command line, say).
    pub primary: Option<(Span, String)>,
    /// Other places worth showing, such as the first definition of a duplicate.
    pub secondary: Vec<(Span, String)>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>, span: Span, label: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            primary: Some((span, label.into())),
            secondary: Vec::new(),
            help: None,
        }
    }

    /// An error that belongs to no place in a file.
    pub fn global(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push((span, label.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Renders diagnostics as text, with ANSI colours when `color` is set. Plain text is
/// deterministic and is what the snapshot tests hold.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let mut files = SimpleFiles::new();
    for (_, file) in sources.iter() {
        files.add(file.name.as_str(), file.text.as_str());
    }
    let config = term::Config::default();
    let mut out = Vec::new();
    for d in diagnostics {
        let cs_diag = to_codespan(d);
        let written = if color {
            let mut buf = Buffer::ansi();
            let r = term::emit(&mut buf, &config, &files, &cs_diag);
            out.extend_from_slice(buf.as_slice());
            r
        } else {
            let mut buf = NoColor::new(Vec::new());
            let r = term::emit(&mut buf, &config, &files, &cs_diag);
            out.extend_from_slice(&buf.into_inner());
            r
        };
        // Spans always come from the files they index, so emitting can fail only if
        // that invariant broke; fall back to the bare message rather than lose it.
        if written.is_err() {
            out.extend_from_slice(format!("error: {}\n", d.message).as_bytes());
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn to_codespan(d: &Diagnostic) -> cs::Diagnostic<usize> {
    let mut labels = Vec::new();
    if let Some((span, label)) = &d.primary {
        labels.push(cs::Label::primary(span.file.0 as usize, span.range()).with_message(label));
    }
    for (span, label) in &d.secondary {
        labels.push(cs::Label::secondary(span.file.0 as usize, span.range()).with_message(label));
    }
    let base = match d.severity {
        Severity::Error => cs::Diagnostic::error(),
        Severity::Warning => cs::Diagnostic::warning(),
    };
    let mut out = base.with_message(&d.message).with_labels(labels);
    if let Some(help) = &d.help {
        out = out.with_notes(vec![format!("help: {help}")]);
    }
    out
}
