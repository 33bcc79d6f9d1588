//! The literature table a manifest names (`[literature] table`), and the check of the
//! pathways' citations against it.
//!
//! A row of the table is one source the model rests on: a measured value (`P5`) or an
//! observation it is checked against (`O24`), with its citation, where it can be read
//! and how sure the value is. The pathways cite rows by id in their comments and in
//! the quoted notes of parameters and expectations. `audit` finds every citation in
//! every file a hypothesis loads and reports an id with no row (an error, at the
//! citation), a row no file cites (a warning, at the row) and an id given to two rows
//! (an error). Pure functions on text: the files come from the caller's `Sources`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::syntax::{Diagnostic, FileId, Sources, Span};

/// How sure a source's value is, as the domain table grades it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    /// Read in the cited source.
    Seen,
    /// Read in a secondary or mirrored copy.
    Secondary,
    /// Calculated from seen data or code.
    Derived,
    /// Recalled, not checked against the source.
    Recalled,
    /// No value was found.
    NotFound,
}

impl Confidence {
    pub const ALL: [Confidence; 5] = [
        Confidence::Seen,
        Confidence::Secondary,
        Confidence::Derived,
        Confidence::Recalled,
        Confidence::NotFound,
    ];

    /// The code the table writes: `S`, `S2`, `D`, `R` or `NF`.
    pub fn code(self) -> &'static str {
        match self {
            Confidence::Seen => "S",
            Confidence::Secondary => "S2",
            Confidence::Derived => "D",
            Confidence::Recalled => "R",
            Confidence::NotFound => "NF",
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Confidence::Seen => "seen",
            Confidence::Secondary => "secondary copy",
            Confidence::Derived => "derived",
            Confidence::Recalled => "recalled",
            Confidence::NotFound => "not found",
        }
    }

    fn from_code(code: &str) -> Option<Confidence> {
        Confidence::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// One source of the table.
#[derive(Clone, Debug)]
pub struct Row {
    pub id: String,
    /// What was measured or observed (the quantity, or the perturbation and readout).
    pub what: String,
    /// The value or the observed effect, with its units.
    pub value: String,
    /// The system and conditions, where the table gives them.
    pub system: Option<String>,
    pub citation: String,
    pub url: Option<String>,
    pub confidence: Confidence,
    /// A qualification of the grade, e.g. "direction; magnitude NF".
    pub confidence_note: Option<String>,
    /// Where the row's `id` is written.
    pub span: Span,
}

/// The table: its rows in the order written.
#[derive(Clone, Debug)]
pub struct Table {
    pub file: FileId,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn row(&self, id: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.id == id)
    }

    /// The letter prefixes of the ids (`P`, `O`): what a citation looks like.
    pub fn prefixes(&self) -> Vec<String> {
        let mut prefixes: Vec<String> = self
            .rows
            .iter()
            .map(|r| split_id(&r.id).map_or(String::new(), |(p, _)| p.to_string()))
            .filter(|p| !p.is_empty())
            .collect();
        prefixes.sort();
        prefixes.dedup();
        prefixes
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default)]
    source: Vec<RawRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    id: Spanned<String>,
    what: String,
    value: String,
    system: Option<String>,
    citation: String,
    url: Option<String>,
    confidence: Spanned<String>,
    confidence_note: Option<String>,
}

const ROW_HELP: &str = "each source is a `[[source]]` table with `id` (a letter and a number, \
                        e.g. \"P5\"), `what`, `value`, `citation` and `confidence` (S, S2, D, R \
                        or NF), and optionally `system`, `url` and `confidence_note`";

/// Parses the table `text` of file `file` (registered in the caller's `Sources`). Every
/// problem is reported where it is written: a syntax error, a missing or unknown key, an
/// id that is not a letter and a number, an unknown grade, an id given twice.
pub fn parse(file: FileId, text: &str) -> Result<Table, Vec<Diagnostic>> {
    let span = |r: std::ops::Range<usize>| Span::new(file, r.start, r.end);
    let raw: RawTable = toml::from_str(text).map_err(|e| {
        let message = e.message().trim_end_matches('\n');
        let message = message.lines().next().unwrap_or(message);
        vec![
            Diagnostic::error(
                format!("literature table: {message}"),
                span(e.span().unwrap_or(0..0)),
                "here",
            )
            .with_help(ROW_HELP),
        ]
    })?;
    let mut errors = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    for r in raw.source {
        let id_span = span(r.id.span());
        let id = r.id.into_inner();
        if split_id(&id).is_none() {
            errors.push(
                Diagnostic::error(
                    format!("literature table: id `{id}` is not a letter and a number"),
                    id_span,
                    "not an id",
                )
                .with_help(
                    "an id is one or more capital letters and a number, e.g. \"P5\" for a \
                     parameter or \"O24\" for an observation, so that a pathway can cite it",
                ),
            );
            continue;
        }
        if let Some(first) = rows.iter().find(|row| row.id == id) {
            errors.push(
                Diagnostic::error(
                    format!("literature table: id `{id}` is given to two sources"),
                    id_span,
                    "again here",
                )
                .with_note(first.span, "first here")
                .with_help("give each source its own id, or merge the two rows"),
            );
            continue;
        }
        let Some(confidence) = Confidence::from_code(r.confidence.get_ref()) else {
            errors.push(
                Diagnostic::error(
                    format!(
                        "literature table: confidence `{}` is not a grade",
                        r.confidence.get_ref()
                    ),
                    span(r.confidence.span()),
                    "unknown",
                )
                .with_help(
                    "the grades are S (seen in the source), S2 (seen in a secondary copy), \
                     D (derived), R (recalled, not checked) and NF (not found); qualify one \
                     in `confidence_note`",
                ),
            );
            continue;
        };
        rows.push(Row {
            id,
            what: r.what,
            value: r.value,
            system: r.system,
            citation: r.citation,
            url: r.url,
            confidence,
            confidence_note: r.confidence_note,
            span: id_span,
        });
    }
    if errors.is_empty() {
        Ok(Table { file, rows })
    } else {
        Err(errors)
    }
}

/// An id's letters and number, if it is one: `P5` → (`P`, 5).
fn split_id(id: &str) -> Option<(&str, u32)> {
    let letters = id.len()
        - id.trim_start_matches(|c: char| c.is_ascii_uppercase())
            .len();
    let (prefix, digits) = id.split_at(letters);
    if prefix.is_empty() || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(|n| (prefix, n))
}

/// One id cited in a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Citation {
    pub id: String,
    pub span: Span,
}

/// Every citation of an id with one of `prefixes` in the comments and quoted strings of
/// `text` (file `file`), in order: a prefix and digits standing as a word (`P37's`,
/// `(O14)`, `O11, O19`), not inside a name such as `GluA1` or `CA1`.
pub fn citations_in(file: FileId, text: &str, prefixes: &[String]) -> Vec<Citation> {
    let mut found = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        for (start, end) in prose(line) {
            for (at, id) in ids_in(&line[start..end], prefixes) {
                let from = offset + start + at;
                found.push(Citation {
                    id: id.to_string(),
                    span: Span::new(file, from, from + id.len()),
                });
            }
        }
        offset += line.len();
    }
    found
}

/// The byte ranges of `line` that are prose: its quoted strings and its comment. A
/// string ends at the next quote on its line (the language has no escapes); `#` outside
/// a string starts a comment that runs to the end of the line.
fn prose(line: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut open: Option<usize> = None;
    for (i, c) in line.char_indices() {
        match (c, open) {
            ('"', None) => open = Some(i + 1),
            ('"', Some(start)) => {
                ranges.push((start, i));
                open = None;
            }
            ('#', None) => {
                ranges.push((i + 1, line.len()));
                return ranges;
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        ranges.push((start, line.len()));
    }
    ranges
}

/// The ids with one of `prefixes` standing as words in `text`, with their offsets.
fn ids_in<'t>(text: &'t str, prefixes: &[String]) -> Vec<(usize, &'t str)> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut ids = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let before_ok = i == 0 || !text[..i].chars().next_back().is_some_and(word);
        if before_ok && bytes[i].is_ascii_uppercase() {
            let letters = text[i..]
                .bytes()
                .take_while(|b| b.is_ascii_uppercase())
                .count();
            let digits = text[i + letters..]
                .bytes()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let end = i + letters + digits;
            let after_ok = !text[end..].chars().next().is_some_and(word);
            if digits > 0 && after_ok && prefixes.iter().any(|p| *p == text[i..i + letters]) {
                ids.push((i, &text[i..end]));
            }
            i = end.max(i + 1);
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    ids
}

/// The pieces of a note, for a report that links each cited id to its row: plain text,
/// and ids that have a row in `table`.
pub fn pieces<'t>(text: &'t str, table: &Table) -> Vec<Piece<'t>> {
    let prefixes = table.prefixes();
    let mut pieces = Vec::new();
    let mut at = 0;
    for (i, id) in ids_in(text, &prefixes) {
        if table.row(id).is_none() {
            continue;
        }
        if i > at {
            pieces.push(Piece::Text(&text[at..i]));
        }
        pieces.push(Piece::Id(id));
        at = i + id.len();
    }
    if at < text.len() {
        pieces.push(Piece::Text(&text[at..]));
    }
    pieces
}

/// A piece of a note (see [`pieces`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Piece<'t> {
    Text(&'t str),
    Id(&'t str),
}

/// What [`audit`] found: every citation, and each problem at its place.
#[derive(Clone, Debug)]
pub struct Audit {
    pub citations: Vec<Citation>,
    /// Citations by id, for each row and each id without one.
    pub by_id: BTreeMap<String, Vec<Span>>,
    /// Unresolved citations (errors) and uncited rows (warnings).
    pub diagnostics: Vec<Diagnostic>,
    /// How many files were read for citations.
    pub files: usize,
}

impl Audit {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Checks the citations of every file in `files` except the table itself against
/// `table`: a cited id with no row is an error at the citation, a row no file cites is a
/// warning at its id. `table_name` is the table as the manifest names it, for the help.
pub fn audit(table: &Table, files: &Sources, table_name: &str) -> Audit {
    let prefixes = table.prefixes();
    let mut citations = Vec::new();
    let mut read = 0;
    for (file, source) in files.iter() {
        if file == table.file {
            continue;
        }
        read += 1;
        citations.extend(citations_in(file, &source.text, &prefixes));
    }
    let mut by_id: BTreeMap<String, Vec<Span>> = BTreeMap::new();
    for c in &citations {
        by_id.entry(c.id.clone()).or_default().push(c.span);
    }
    let mut diagnostics = Vec::new();
    let ids: Vec<&str> = table.rows.iter().map(|r| r.id.as_str()).collect();
    for c in &citations {
        if table.row(&c.id).is_some() {
            continue;
        }
        let close = crate::model::Suggestions::new()
            .suggest(&c.id, ids.iter().copied())
            .map(|close| format!(" (did you mean `{close}`?)"))
            .unwrap_or_default();
        diagnostics.push(
            Diagnostic::error(
                format!(
                    "`{}` is cited but {table_name} has no source with that id",
                    c.id
                ),
                c.span,
                "no such source",
            )
            .with_help(format!(
                "add a `[[source]]` row with `id = \"{}\"` to {table_name}, or correct the \
                 id{close}",
                c.id
            )),
        );
    }
    for r in &table.rows {
        if by_id.contains_key(&r.id) {
            continue;
        }
        let mut d = Diagnostic::error(
            format!("source `{}` is cited by no pathway", r.id),
            r.span,
            "not cited",
        )
        .with_help(format!(
            "cite `{}` where the model uses it (in a parameter's note, an expectation's \
             source or a comment), or remove the row",
            r.id
        ));
        d.severity = crate::syntax::Severity::Warning;
        diagnostics.push(d);
    }
    Audit {
        citations,
        by_id,
        diagnostics,
        files: read,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<String> {
        let prefixes = vec!["O".to_string(), "P".to_string()];
        citations_in(FileId(0), text, &prefixes)
            .into_iter()
            .map(|c| c.id)
            .collect()
    }

    #[test]
    fn citations_are_words_in_prose_only() {
        assert_eq!(
            ids("param P5 = 1 \"from P37's spine (O14), not GluA1 or CA1\" # O11, O19.\n"),
            ["P37", "O14", "O11", "O19"]
        );
        assert_eq!(
            ids("species PO4 # PX, P, O2x, _P3, P3_\n"),
            Vec::<String>::new()
        );
        assert_eq!(ids("# P4–P5 and Ü P6\n"), ["P4", "P5", "P6"]);
    }

    #[test]
    fn citation_spans_point_at_the_id() {
        let text = "a\n# see P12\n";
        let c = &citations_in(FileId(0), text, &["P".to_string()])[0];
        assert_eq!(&text[c.span.range()], "P12");
    }

    #[test]
    fn ids_split_into_letters_and_number() {
        assert_eq!(split_id("P5"), Some(("P", 5)));
        assert_eq!(split_id("BM12"), Some(("BM", 12)));
        assert_eq!(split_id("P"), None);
        assert_eq!(split_id("5"), None);
        assert_eq!(split_id("P5a"), None);
    }
}
