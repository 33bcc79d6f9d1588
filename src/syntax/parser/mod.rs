//! The nom parsers: `.pathway` text in, an `ast::File` and parse errors out.
//!
//! A file is parsed a line at a time (every statement fits on one line), so an error
//! costs only its own line and the parser goes on to report the rest. This module is
//! the entry and the recovery: it parses the rules `file`, `line` and `statement` of
//! grammar/pathway.ebnf, keeps the comment of a broken line, and renders what went
//! wrong. The other rules are parsed in `lexeme` (names, strings, numbers, units),
//! `expr` (expressions), `decl` (declarations and reactions, `override`, `remove`) and
//! `protocol` (`pk`, `readout`, genotypes, experiments, `expect`); each function
//! quotes its rule. A rule that fails names an `Expected` (`expected.rs`), whose
//! message and help are written there once. Parsing is pure: no I/O, no name
//! resolution, and it never panics on any input.

use std::cell::Cell;

use nom::bytes::complete::take_while;
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};

use super::ast::*;
use super::diagnostic::{self, Diagnostic, Invisible};
use super::span::{FileId, Span};

mod decl;
mod expected;
mod expr;
mod lexeme;
mod protocol;

use expected::Expected;
pub use lexeme::{KEYWORDS, is_ident_continue, is_ident_start};

/// Parses a whole file. The AST holds every line that parsed; each line that did not
/// is reported once, with what was expected where it went wrong.
pub fn parse(file: FileId, text: &str) -> (File, Vec<Diagnostic>) {
    let cx = Cx::new(text, file);
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut raws = text.split('\n').enumerate().peekable();
    while let Some((k, raw)) = raws.next() {
        // A byte-order mark some editors write at the start of a file is not text.
        let raw = if k == 0 {
            raw.strip_prefix('\u{FEFF}').unwrap_or(raw)
        } else {
            raw
        };
        match cx.line(raw) {
            Ok(mut line) => {
                // A block header ending in `{` takes the lines up to its `}`.
                match &mut line.stmt {
                    Some(Stmt::Genotype(g)) if !g.block.inline => {
                        cx.block_lines(&mut raws, &mut g.block, &mut errors, |i| {
                            cx.genotype_item(i)
                        });
                    }
                    Some(Stmt::Experiment(e)) if !e.block.inline => {
                        cx.block_lines(&mut raws, &mut e.block, &mut errors, |i| {
                            cx.experiment_item(i)
                        });
                    }
                    _ => {}
                }
                lines.push(line);
            }
            Err(e) => {
                errors.push(e);
                // Keep the comment of a broken line so nothing is lost if the file
                // is fixed and formatted later; the statement itself is dropped.
                let (_, comment) = split_comment(raw);
                lines.push(Line {
                    stmt: None,
                    comment: comment.map(|c| c[1..].to_string()),
                });
            }
        }
    }
    // A file ending in a newline yields an empty last piece from `split`.
    if text.ends_with('\n') || text.is_empty() {
        lines.pop();
    }
    (File { lines }, errors)
}

/// Parses a standalone expression, for callers outside files (e.g. a readout typed on
/// the command line).
pub fn parse_expr(file: FileId, text: &str) -> Result<Expr, Diagnostic> {
    let cx = Cx::new(text, file);
    let body = text.trim_end_matches(['\n', '\r']);
    match cx.expr(ws(body)) {
        Ok((rest, e)) if ws(rest).is_empty() => Ok(e),
        Ok((rest, _)) => Err(cx.error(body, PError::new(ws(rest), Expected::OperatorOrEnd))),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(cx.error(body, e)),
        Err(nom::Err::Incomplete(_)) => Err(cx.error(body, PError::new("", Expected::Expression))),
    }
}

/// Parses `text` alone as a `time` (`7 d + 4 h`), the rule an experiment's times are
/// written in, for a time given outside a file: a flag's value, a manifest's key.
pub fn parse_time(file: FileId, text: &str) -> Result<Time, Diagnostic> {
    let cx = Cx::new(text, file);
    let body = text.trim_end_matches(['\n', '\r']);
    match cx.time(ws(body)) {
        Ok((rest, t)) if ws(rest).is_empty() => Ok(t),
        Ok((rest, _)) => Err(cx.error(body, PError::new(ws(rest), Expected::OperatorOrEnd))),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(cx.error(body, e)),
        Err(nom::Err::Incomplete(_)) => Err(cx.error(body, PError::new("", Expected::Time))),
    }
}

/// Where parsing failed and what would have been accepted there.
#[derive(Clone, Debug)]
pub struct PError<'a> {
    at: &'a str,
    expected: Expected,
}

impl<'a> PError<'a> {
    fn new(at: &'a str, expected: Expected) -> PError<'a> {
        PError { at, expected }
    }
}

impl<'a> ParseError<&'a str> for PError<'a> {
    fn from_error_kind(input: &'a str, _: ErrorKind) -> Self {
        PError::new(input, Expected::Other)
    }
    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }
    /// Of two failed alternatives, the one that got further explains more.
    fn or(self, other: Self) -> Self {
        if other.at.len() < self.at.len() {
            other
        } else {
            self
        }
    }
}

type PResult<'a, T> = IResult<&'a str, T, PError<'a>>;

/// Turns a recoverable error into a committed one that says what was expected at `i`.
fn fail<'a, T>(i: &'a str, expected: Expected) -> PResult<'a, T> {
    Err(nom::Err::Failure(PError::new(i, expected)))
}

/// Runs `p`; if it does not match, fails at `i` saying `expected`.
fn expect<'a, T>(
    i: &'a str,
    expected: Expected,
    mut p: impl Parser<&'a str, Output = T, Error = PError<'a>>,
) -> PResult<'a, T> {
    match p.parse(i) {
        Err(nom::Err::Error(_)) => fail(i, expected),
        other => other,
    }
}

/// Skips blanks: spaces, tabs and a carriage return of a CRLF line end.
fn ws(i: &str) -> &str {
    i.trim_start_matches([' ', '\t', '\r'])
}

/// Splits a line at its comment (a `#` outside a string).
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let mut in_string = false;
    for (k, c) in line.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '#' if !in_string => return (&line[..k], Some(&line[k..])),
            _ => {}
        }
    }
    (line, None)
}

struct Cx<'s> {
    src: &'s str,
    file: FileId,
    /// Expression levels open around the current position (see `MAX_NESTING`).
    open: Cell<u32>,
}

impl<'s> Cx<'s> {
    fn new(src: &'s str, file: FileId) -> Cx<'s> {
        Cx {
            src,
            file,
            open: Cell::new(0),
        }
    }

    fn offset(&self, at: &str) -> usize {
        // Every slice the parsers hand around points into `src`; anything else (an
        // empty literal) is placed at the end.
        let base = self.src.as_ptr() as usize;
        let ptr = at.as_ptr() as usize;
        if ptr >= base && ptr <= base + self.src.len() {
            ptr - base
        } else {
            self.src.len()
        }
    }

    /// The span from the start of `from` to the start of `to` (the rest after it).
    fn span(&self, from: &str, to: &str) -> Span {
        Span::new(self.file, self.offset(from), self.offset(to))
    }

    fn error(&self, line: &str, e: PError<'_>) -> Diagnostic {
        let at = if e.at.len() > line.len() { line } else { e.at };
        let start = self.offset(at);
        let found = describe_token(at);
        let len = token_len(at);
        let expected = e.expected.message();
        let span = Span::new(self.file, start, start + len);
        if let Some((message, label)) = e.expected.beyond_limit() {
            return Diagnostic::error(message, span, label).with_help(e.expected.help());
        }
        // A character that does not show is named, or the message would point at
        // nothing the user can see. A carriage return here ends the line.
        if let Some(c) = at.chars().next().filter(|&c| c != '\r')
            && let Some(what) = diagnostic::invisible(c)
        {
            return Diagnostic::error(
                format!(
                    "unexpected character `{}` ({})",
                    diagnostic::visible(c),
                    what.name()
                ),
                span,
                format!("expected {expected}"),
            )
            .with_help(invisible_help(c, what));
        }
        Diagnostic::error(
            format!("expected {expected}, found {found}"),
            span,
            format!("expected {expected}"),
        )
        .with_help(e.expected.help())
    }

    /// `line = [ statement ] [ comment ] ;`
    fn line(&self, raw: &'s str) -> Result<Line, Diagnostic> {
        let (body, comment) = split_comment(raw);
        let start = ws(body);
        let stmt = if start.trim_end().is_empty() {
            None
        } else {
            match self.statement(start) {
                Ok((rest, stmt)) => {
                    let rest = ws(rest);
                    if !rest.is_empty() {
                        return Err(self.error(raw, PError::new(rest, Expected::EndOfStatement)));
                    }
                    Some(stmt)
                }
                Err(nom::Err::Error(e) | nom::Err::Failure(e)) => return Err(self.error(raw, e)),
                Err(nom::Err::Incomplete(_)) => {
                    return Err(self.error(raw, PError::new(start, Expected::Statement)));
                }
            }
        };
        Ok(Line {
            stmt,
            comment: comment.map(|c| c[1..].trim_end_matches('\r').to_string()),
        })
    }

    /// `statement = import | units | compartment | species | input | param | let | chain | reaction | pk | readout | genotype | experiment | expect | override | remove ;`
    fn statement(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (after_word, word) = take_while(is_ident_continue)(i)?;
        // A keyword begins its statement whatever follows it. Were `units+A -> B @ k`
        // a reaction, `fmt` would print it as `units + A -> B @ k`, which is not.
        if !KEYWORDS.contains(&word) {
            return match self.reaction(i) {
                // Nothing at all matched: the line is not a statement of any kind.
                Err(nom::Err::Error(e) | nom::Err::Failure(e)) if e.at.len() == i.len() => {
                    fail(i, Expected::Statement)
                }
                other => other,
            };
        }
        let i = ws(after_word);
        match word {
            "import" => self.import(i),
            "units" => self.units(i),
            "compartment" => self.compartment(i),
            "species" => self.species(i),
            "input" => self.input(i),
            "param" => self.param(i),
            "let" => self.let_(i),
            "pk" => self.pk(i),
            "readout" => self.readout(i),
            "genotype" => self.genotype(i),
            "experiment" => self.experiment(i),
            "expect" => self.expect(i),
            "override" => self.override_(i, after_word),
            "remove" => self.remove(i),
            _ => self
                .chain(i)
                .map(|(rest, chain)| (rest, Stmt::Chain(chain))),
        }
    }
}

/// What the user wrote where parsing stopped, for "found ..." in messages.
fn describe_token(at: &str) -> String {
    let at = at.trim_end_matches(['\r']);
    match at.chars().next() {
        None => "the end of the line".to_string(),
        Some(c) if is_ident_start(c) => {
            let word: String = at.chars().take_while(|&c| is_ident_continue(c)).collect();
            format!("`{word}`")
        }
        Some(c) if c.is_ascii_digit() => {
            let word: String = at
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            format!("`{word}`")
        }
        Some(c) => format!("`{c}`"),
    }
}

/// Length in bytes of the token at `at`, so the caret covers it (at least one column).
fn token_len(at: &str) -> usize {
    match at.chars().next() {
        None | Some('\r') => 0,
        Some(c) if is_ident_start(c) => at
            .chars()
            .take_while(|&c| is_ident_continue(c))
            .map(char::len_utf8)
            .sum(),
        Some(c) => c.len_utf8(),
    }
}

/// What to do about a character that does not show, where the parser met it.
fn invisible_help(c: char, what: Invisible) -> String {
    match (c, what) {
        (_, Invisible::Space(_)) => "replace it with a plain space".to_string(),
        ('\u{feff}', _) => "delete it; a byte-order mark belongs only at the start of a file".to_string(),
        ('\u{2028}' | '\u{2029}', _) => "delete it; a line ends with a newline".to_string(),
        (_, Invisible::Control(_)) => "delete it; control characters have no place in a pathway file".to_string(),
        (_, Invisible::Format(_)) => "delete it; it is invisible in most editors, and names, numbers and operators are plain text".to_string(),
    }
}
