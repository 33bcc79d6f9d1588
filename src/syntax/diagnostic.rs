//! Diagnostics: what went wrong, where, and what would fix it; and their rendering.
//!
//! Every stage reports user errors as `Diagnostic` values (data plus spans); the prose
//! lives with each stage's error kinds. Rendering to rustc-style text (file:line:column,
//! the source line, a caret, a help line) happens only here, through codespan-reporting.
//! What is rendered comes from files a hostile user may write, so no character that
//! would drive the terminal (an escape sequence, a carriage return) or that would not
//! show (a zero-width space, a bidirectional override) is ever printed as itself: each
//! is written `<U+XXXX>`, in messages and in the source lines alike.

use std::borrow::Cow;
use std::ops::Range;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error, Files, SimpleFiles};
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
    let mut files = Shown::default();
    for (_, file) in sources.iter() {
        files.add(&file.name, &file.text);
    }
    let config = term::Config::default();
    let mut out = Vec::new();
    for d in diagnostics {
        let cs_diag = to_codespan(d, &files);
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
            out.extend_from_slice(format!("error: {}\n", escape(&d.message)).as_bytes());
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a character is, if it would not show as itself on a terminal: a control
/// character, a space other than U+0020, or a character of no width that formats
/// text (zero-width and bidirectional marks, the byte-order mark). Tab and newline
/// are neither: they are blanks and line ends.
pub fn invisible(c: char) -> Option<Invisible> {
    use Invisible::{Control, Format, Space};
    Some(match c {
        '\t' | '\n' => return None,
        '\0' => Control("null"),
        '\x07' => Control("bell"),
        '\x08' => Control("backspace"),
        '\x0b' => Control("vertical tab"),
        '\x0c' => Control("form feed"),
        '\r' => Control("carriage return"),
        '\x1b' => Control("escape"),
        '\x7f' => Control("delete"),
        c if c.is_control() => Control("control character"),
        '\u{a0}' => Space("no-break space"),
        '\u{1680}' => Space("ogham space mark"),
        '\u{2000}' => Space("en quad"),
        '\u{2001}' => Space("em quad"),
        '\u{2002}' => Space("en space"),
        '\u{2003}' => Space("em space"),
        '\u{2004}'..='\u{2006}' => Space("fractional space"),
        '\u{2007}' => Space("figure space"),
        '\u{2008}' => Space("punctuation space"),
        '\u{2009}' => Space("thin space"),
        '\u{200a}' => Space("hair space"),
        '\u{202f}' => Space("narrow no-break space"),
        '\u{205f}' => Space("medium mathematical space"),
        '\u{3000}' => Space("ideographic space"),
        '\u{2028}' => Format("line separator"),
        '\u{2029}' => Format("paragraph separator"),
        '\u{ad}' => Format("soft hyphen"),
        '\u{200b}' => Format("zero-width space"),
        '\u{200c}' => Format("zero-width non-joiner"),
        '\u{200d}' => Format("zero-width joiner"),
        '\u{200e}' => Format("left-to-right mark"),
        '\u{200f}' => Format("right-to-left mark"),
        '\u{202a}' => Format("left-to-right embedding"),
        '\u{202b}' => Format("right-to-left embedding"),
        '\u{202c}' => Format("pop directional formatting"),
        '\u{202d}' => Format("left-to-right override"),
        '\u{202e}' => Format("right-to-left override"),
        '\u{2060}' => Format("word joiner"),
        '\u{2066}' => Format("left-to-right isolate"),
        '\u{2067}' => Format("right-to-left isolate"),
        '\u{2068}' => Format("first strong isolate"),
        '\u{2069}' => Format("pop directional isolate"),
        '\u{61c}' => Format("arabic letter mark"),
        '\u{feff}' => Format("byte-order mark"),
        // The rest of Unicode's format characters and default-ignorable code points
        // (DerivedCoreProperties.txt): invisible wherever they stand.
        '\u{34f}'
        | '\u{600}'..='\u{605}'
        | '\u{6dd}'
        | '\u{70f}'
        | '\u{8e2}'
        | '\u{115f}'..='\u{1160}'
        | '\u{17b4}'..='\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{2061}'..='\u{2065}'
        | '\u{206a}'..='\u{206f}'
        | '\u{3164}'
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{ffa0}'
        | '\u{fff0}'..='\u{fffb}'
        | '\u{110bd}'
        | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e0fff}' => Format("invisible formatting character"),
        _ => return None,
    })
}

/// A character that does not show as itself, with its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invisible {
    /// A C0 or C1 control character, such as escape or a lone carriage return.
    Control(&'static str),
    /// A space other than U+0020, such as the no-break space.
    Space(&'static str),
    /// A character of no width that formats text, such as the zero-width joiner.
    Format(&'static str),
}

impl Invisible {
    pub fn name(self) -> &'static str {
        match self {
            Invisible::Control(n) | Invisible::Space(n) | Invisible::Format(n) => n,
        }
    }
}

/// How an invisible character is written where it is shown: `<U+00A0>`.
pub fn visible(c: char) -> String {
    format!("<U+{:04X}>", c as u32)
}

/// `text` with every invisible character written as `visible` writes it.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| invisible(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match invisible(c) {
            Some(_) => out.push_str(&visible(c)),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The sources as codespan shows them: each invisible character written out, and a
/// table to move every span onto the text that is shown. Codespan prints a source
/// line itself, so it gets the escaped copy; writing `<U+00A0>` in place (rather than
/// a one-byte `?`, which would keep offsets without a table) says what the character
/// is, and a caret under a span covers what is shown, so a zero-width character gets
/// eight carets instead of none. Columns in `file:line:column` are still counted in
/// the file as written, where an editor counts them.
#[derive(Default)]
struct Shown<'s> {
    files: SimpleFiles<String, Cow<'s, str>>,
    /// Per file, each character written out: where it is in the original text and
    /// where its written form is in the shown text, in order.
    shifts: Vec<Vec<(Range<usize>, Range<usize>)>>,
    /// Per file, the text as written when it differs from the shown one.
    originals: Vec<Option<&'s str>>,
}

impl<'s> Shown<'s> {
    fn add(&mut self, name: &str, text: &'s str) {
        let mut shown = String::new();
        let mut shifts = Vec::new();
        for (k, c) in text.char_indices() {
            // A carriage return that ends a line is part of its line end.
            let line_end = c == '\r' && text[k + 1..].starts_with('\n');
            if invisible(c).is_some() && !line_end {
                if shifts.is_empty() {
                    shown.reserve(text.len() + 16);
                    shown.push_str(&text[..k]);
                }
                let at = shown.len();
                shown.push_str(&visible(c));
                shifts.push((k..k + c.len_utf8(), at..shown.len()));
            } else if !shifts.is_empty() {
                shown.push(c);
            }
        }
        let (shown, original) = if shifts.is_empty() {
            (Cow::Borrowed(text), None)
        } else {
            (Cow::Owned(shown), Some(text))
        };
        self.files.add(escape(name).into_owned(), shown);
        self.originals.push(original);
        self.shifts.push(shifts);
    }

    /// Where an offset into the original text of `file` lies in the shown text.
    fn to_shown(&self, file: usize, offset: usize) -> usize {
        let shifts = self.shifts(file);
        match shifts.partition_point(|(original, _)| original.end <= offset) {
            0 => offset,
            k => shifts[k - 1].1.end + (offset - shifts[k - 1].0.end),
        }
    }

    /// Where an offset into the shown text of `file` lies in the original text; an
    /// offset inside a character's written form goes to the character.
    fn to_original(&self, file: usize, offset: usize) -> usize {
        let shifts = self.shifts(file);
        let k = shifts.partition_point(|(_, shown)| shown.end <= offset);
        match (shifts.get(k), k) {
            (Some((original, shown)), _) if offset >= shown.start => original.start,
            (_, 0) => offset,
            (_, k) => shifts[k - 1].0.end + (offset - shifts[k - 1].1.end),
        }
    }

    /// A file id from a span always indexes the sources; one that does not has
    /// nothing written out, and codespan reports it as a missing file.
    fn shifts(&self, file: usize) -> &[(Range<usize>, Range<usize>)] {
        self.shifts.get(file).map_or(&[], Vec::as_slice)
    }

    fn range(&self, file: usize, range: Range<usize>) -> Range<usize> {
        self.to_shown(file, range.start)..self.to_shown(file, range.end)
    }
}

impl<'a> Files<'a> for Shown<'_> {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, Error> {
        Ok(self.files.get(id)?.name())
    }

    fn source(&'a self, id: usize) -> Result<&'a str, Error> {
        Ok(self.files.get(id)?.source())
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, Error> {
        self.files.line_index(id, byte_index)
    }

    fn line_range(&'a self, id: usize, line_index: usize) -> Result<Range<usize>, Error> {
        self.files.line_range(id, line_index)
    }

    /// The column in the file as written, where an editor counts it: a character
    /// written out as `<U+00A0>` is still one column.
    fn column_number(
        &'a self,
        id: usize,
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, Error> {
        let Some(original) = self.originals.get(id).copied().flatten() else {
            let source = self.source(id)?;
            let line = self.line_range(id, line_index)?;
            return Ok(codespan_reporting::files::column_index(source, line, byte_index) + 1);
        };
        // Newlines are never written out, so each line of one text is a line of the other.
        let line = self.line_range(id, line_index)?;
        let start = self.to_original(id, line.start);
        let end = self.to_original(id, line.end);
        let at = self.to_original(id, byte_index);
        Ok(codespan_reporting::files::column_index(original, start..end, at) + 1)
    }
}

fn to_codespan(d: &Diagnostic, files: &Shown<'_>) -> cs::Diagnostic<usize> {
    let label = |style, (span, text): &(Span, String)| {
        let file = span.file.0 as usize;
        cs::Label::new(style, file, files.range(file, span.range())).with_message(escape(text))
    };
    let mut labels = Vec::new();
    if let Some(primary) = &d.primary {
        labels.push(label(cs::LabelStyle::Primary, primary));
    }
    for secondary in &d.secondary {
        labels.push(label(cs::LabelStyle::Secondary, secondary));
    }
    let base = match d.severity {
        Severity::Error => cs::Diagnostic::error(),
        Severity::Warning => cs::Diagnostic::warning(),
    };
    let mut out = base.with_message(escape(&d.message)).with_labels(labels);
    if let Some(help) = &d.help {
        out = out.with_notes(vec![format!("help: {}", escape(help))]);
    }
    out
}
