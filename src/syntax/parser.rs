//! The nom parsers: `.pathway` text in, an `ast::File` and parse errors out.
//!
//! A file is parsed a line at a time (every statement fits on one line), so an error
//! costs only its own line and the parser goes on to report the rest. Each parser
//! function quotes the rule of grammar/pathway.ebnf it implements. Parsing is pure: no
//! I/O, no name resolution, and it never panics on any input.

use std::cell::Cell;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{opt, recognize};
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};

use super::ast::*;
use super::diagnostic::{self, Diagnostic, Invisible};
use super::span::{FileId, Span};

/// Words that begin a statement; they cannot start a reaction.
pub const KEYWORDS: &[&str] = &[
    "import",
    "units",
    "compartment",
    "species",
    "input",
    "param",
    "let",
    "chain",
    "pk",
    "readout",
    "genotype",
    "experiment",
    "expect",
    "override",
    "remove",
];

/// How deeply the parser descends into an expression: each parenthesis (around more
/// than a number or a name), argument list, negation and exponent one level, while a
/// chain of `+`, `-`, `*` or `/` is a loop and costs none. Measured in a debug build,
/// 64 levels of parentheses take the parser about 1.1 MiB of stack, which fits a test
/// thread's 2 MiB; without the bound, 200 levels overflowed it. Far beyond any rate
/// law written by hand.
const MAX_NESTING: u32 = 64;

/// How deep an expression's tree may be, each operator, negation and call one level,
/// so a chain `a + b + c` is as deep as it has operators. Later stages recurse over
/// the tree (resolution, dimensions, expansion, derivatives, compilation, the
/// printer, SBML), and the deepest is `Expr::derivative`, 4.5 KiB of stack a level in
/// a debug build: a sum or a product of 450 terms passes every stage on a 2 MiB
/// thread, 480 terms overflow it. Half of that leaves room for the calls around the
/// recursion and for derivatives, which are deeper than what they differentiate.
const MAX_DEPTH: u32 = 256;

/// What a `PError` expects when an expression nests beyond `MAX_NESTING`.
const TOO_DEEP: &str = "a shallower expression";

/// What a `PError` expects when an expression's tree grows beyond `MAX_DEPTH`.
const TOO_LONG: &str = "a shorter expression";

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
        Ok((rest, _)) => Err(cx.error(
            body,
            PError::new(ws(rest), "an operator or the end of the expression"),
        )),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(cx.error(body, e)),
        Err(nom::Err::Incomplete(_)) => Err(cx.error(body, PError::new("", "an expression"))),
    }
}

/// Where parsing failed and what would have been accepted there.
#[derive(Clone, Debug)]
pub struct PError<'a> {
    at: &'a str,
    expected: &'static str,
}

impl<'a> PError<'a> {
    fn new(at: &'a str, expected: &'static str) -> PError<'a> {
        PError { at, expected }
    }
}

impl<'a> ParseError<&'a str> for PError<'a> {
    fn from_error_kind(input: &'a str, _: ErrorKind) -> Self {
        PError::new(input, "")
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
fn fail<'a, T>(i: &'a str, expected: &'static str) -> PResult<'a, T> {
    Err(nom::Err::Failure(PError::new(i, expected)))
}

/// Runs `p`; if it does not match, fails at `i` saying `expected`.
fn expect<'a, T>(
    i: &'a str,
    expected: &'static str,
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

pub fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// Letters, digits (superscripts among them, as in Ca²⁺), `_`, the superscript signs
/// ⁺ and ⁻, and `~` for a modified state (eEF2~P).
pub fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '~' | '⁺' | '⁻' | '′')
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

    /// Runs `p` one expression level deeper; fails at `i` beyond `MAX_NESTING`.
    fn nested<T>(&self, i: &'s str, p: impl FnOnce() -> PResult<'s, T>) -> PResult<'s, T> {
        let open = self.open.get();
        if open >= MAX_NESTING {
            return fail(i, TOO_DEEP);
        }
        self.open.set(open + 1);
        let result = p();
        self.open.set(open);
        result
    }

    /// Fails at `at` if a node over children `below` levels deep would make the tree
    /// deeper than `MAX_DEPTH`.
    fn shallow(&self, at: &'s str, below: u32) -> Result<(), nom::Err<PError<'s>>> {
        if below >= MAX_DEPTH {
            return Err(nom::Err::Failure(PError::new(at, TOO_LONG)));
        }
        Ok(())
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
        let expected = if e.expected.is_empty() {
            "something else"
        } else {
            e.expected
        };
        let span = Span::new(self.file, start, start + len);
        if e.expected == TOO_DEEP {
            return Diagnostic::error(
                format!("expression nested more than {MAX_NESTING} levels deep"),
                span,
                "too deep",
            )
            .with_help(
                "parentheses, calls, negations and exponents each add a level; split the expression into `let` definitions",
            );
        }
        if e.expected == TOO_LONG {
            return Diagnostic::error(
                format!("expression more than {MAX_DEPTH} operations deep"),
                span,
                "one operation too many",
            )
            .with_help(format!(
                "each operator of a chain such as `a + b + c` adds a level; split the expression into `let` definitions of at most {MAX_DEPTH} terms"
            ));
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
        .with_help(syntax_help(expected))
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
                        return Err(self.error(raw, PError::new(rest, "the end of the statement")));
                    }
                    Some(stmt)
                }
                Err(nom::Err::Error(e) | nom::Err::Failure(e)) => return Err(self.error(raw, e)),
                Err(nom::Err::Incomplete(_)) => {
                    return Err(self.error(raw, PError::new(start, "a statement")));
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
                    fail(i, "a statement")
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
            _ => self.chain(i),
        }
    }

    /// `import = "import" string ;`
    fn import(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, (path, span)) = expect(i, "a quoted file name", |i| self.string(i))?;
        Ok((rest, Stmt::Import(Import { path, span })))
    }

    /// An optional quoted string after `i` (a source, a description).
    fn note(&self, i: &'s str) -> PResult<'s, Option<Note>> {
        if !ws(i).starts_with('"') {
            return Ok((i, None));
        }
        let (rest, (text, span)) = self.string(ws(i))?;
        Ok((rest, Some(Note { text, span })))
    }

    /// `string = '"' { any character but '"' and newline } '"' ;`
    fn string(&self, i: &'s str) -> PResult<'s, (String, Span)> {
        let (rest, _) = char('"')(i)?;
        let Some(end) = rest.find('"') else {
            // The quote is missing where the line ends, so that is where to point.
            return fail(&rest[rest.len()..], "a closing `\"`");
        };
        let after = &rest[end + 1..];
        Ok((after, (rest[..end].to_string(), self.span(i, after))))
    }

    /// `units = "units" unit_setting { "," unit_setting } ;`
    /// `unit_setting = ( "time" | "concentration" ) "=" unit ;`
    fn units(&self, i: &'s str) -> PResult<'s, Stmt> {
        let mut settings = Vec::new();
        let mut i = i;
        loop {
            let (rest, dimension) = expect(i, "`time` or `concentration`", |i| self.ident(i))?;
            if dimension.name != "time" && dimension.name != "concentration" {
                return fail(i, "`time` or `concentration`");
            }
            let rest = self.punct(ws(rest), "=", "`=`")?;
            let (rest, unit) = expect(ws(rest), "a unit such as `min` or `uM`", |i| self.unit(i))?;
            settings.push(UnitSetting { dimension, unit });
            match char::<_, PError>(',')(ws(rest)) {
                Ok((rest, _)) => i = ws(rest),
                Err(_) => return Ok((rest, Stmt::Units(settings))),
            }
        }
    }

    /// `compartment = "compartment" ident "=" quantity ;`
    fn compartment(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, "a compartment name", |i| self.ident(i))?;
        let rest = self.punct(ws(rest), "=", "`=`")?;
        let (rest, size) = self.value(ws(rest), "a number")?;
        Ok((rest, Stmt::Compartment(Compartment { name, size })))
    }

    /// `species = "species" species_init { "," species_init } ;`
    /// `species_init = ident "=" quantity [ "in" ident ] ;`
    fn species(&self, i: &'s str) -> PResult<'s, Stmt> {
        let mut inits = Vec::new();
        let mut i = i;
        loop {
            let (rest, name) = expect(i, "a species name", |i| self.ident(i))?;
            let rest = self.punct(ws(rest), "=", "`=` and an initial value")?;
            let (rest, initial) = self.value(ws(rest), "an initial value")?;
            let (rest, compartment) = match self.keyword(ws(rest), "in") {
                Some(rest) => {
                    let (rest, c) = expect(ws(rest), "a compartment name", |i| self.ident(i))?;
                    (rest, Some(c))
                }
                None => (rest, None),
            };
            inits.push(SpeciesInit {
                name,
                initial,
                compartment,
            });
            match char::<_, PError>(',')(ws(rest)) {
                Ok((rest, _)) => i = ws(rest),
                Err(_) => return Ok((rest, Stmt::Species(inits))),
            }
        }
    }

    /// `input = "input" ident "=" quantity ;`
    fn input(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, "an input name", |i| self.ident(i))?;
        let rest = self.punct(ws(rest), "=", "`=` and a value")?;
        let (rest, value) = self.value(ws(rest), "a value")?;
        Ok((rest, Stmt::Input(Input { name, value })))
    }

    /// `param = "param" ident "=" quantity [ range ] [ string ] ;`
    /// `range = "in" "[" number "," number "]" [ unit ] ;`
    fn param(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, "a parameter name", |i| self.ident(i))?;
        let rest = self.punct(ws(rest), "=", "`=` and a value")?;
        let (mut rest, value) = self.value(ws(rest), "a value")?;
        let mut range = None;
        if let Some(after_in) = self.keyword(ws(rest), "in") {
            let start = ws(rest);
            let r = self.punct(ws(after_in), "[", "`[`")?;
            let (r, lo) = expect(ws(r), "a number", |i| self.number(i))?;
            let r = self.punct(ws(r), ",", "`,`")?;
            let (r, hi) = expect(ws(r), "a number", |i| self.number(i))?;
            let r = self.punct(ws(r), "]", "`]`")?;
            let (r, unit) = match self.unit(ws(r)) {
                Ok((r, u)) => (r, Some(u)),
                Err(_) => (r, None),
            };
            range = Some(Range {
                lo,
                hi,
                unit,
                span: self.span(start, r),
            });
            rest = r;
        }
        let (rest, note) = self.note(rest)?;
        Ok((
            rest,
            Stmt::Param(Param {
                name,
                value,
                range,
                note,
            }),
        ))
    }

    /// `let = "let" ident "=" expr ;`
    fn let_(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, "a name", |i| self.ident(i))?;
        let rest = self.punct(ws(rest), "=", "`=` and an expression")?;
        let (rest, expr) = expect(ws(rest), "an expression", |i| self.expr(i))?;
        Ok((rest, Stmt::Let(Let { name, expr })))
    }

    /// `chain = "chain" ident link ident { link ident } ;`
    /// `link = "->" | "→" | "-|" | "⊣" ;`
    fn chain(&self, i: &'s str) -> PResult<'s, Stmt> {
        let start = i;
        let (mut rest, first) = expect(i, "a name", |i| self.ident(i))?;
        let mut links = Vec::new();
        loop {
            let at = ws(rest);
            let sign = alt((
                tag::<_, _, PError>("->").map(|_| LinkSign::Activates),
                tag::<_, _, PError>("→").map(|_| LinkSign::Activates),
                tag::<_, _, PError>("-|").map(|_| LinkSign::Inhibits),
                tag::<_, _, PError>("⊣").map(|_| LinkSign::Inhibits),
            ))
            .parse(at);
            let (after, sign) = match sign {
                Ok(ok) => ok,
                Err(_) if !links.is_empty() => break,
                Err(_) => return fail(at, "`->` or `-|`"),
            };
            let sign_span = self.span(at, after);
            let (after, target) = expect(ws(after), "a name", |i| self.ident(i))?;
            links.push(Link {
                sign,
                sign_span,
                target,
            });
            rest = after;
        }
        let span = self.span(start, rest);
        Ok((rest, Stmt::Chain(Chain { first, links, span })))
    }

    /// `override = "override" ( param | let | species | input | reaction ) ;`
    /// `keyword_end` is the rest after the `override` word, for its span.
    fn override_(&self, i: &'s str, keyword_end: &'s str) -> PResult<'s, Stmt> {
        const WHAT: &str = "`param`, `let`, `species`, `input` or a labelled reaction";
        let span = self.span(self.before_keyword(keyword_end, "override"), keyword_end);
        let (rest, stmt) = match self.statement(i) {
            Ok(ok) => ok,
            Err(nom::Err::Error(_)) => return fail(i, WHAT),
            Err(e) => return Err(e),
        };
        let ok = match &stmt {
            Stmt::Param(_) | Stmt::Let(_) | Stmt::Input(_) => true,
            Stmt::Species(inits) => inits.len() == 1,
            Stmt::Reaction(r) => r.label.is_some(),
            _ => false,
        };
        if !ok {
            return fail(
                i,
                match &stmt {
                    Stmt::Reaction(_) => "a reaction with its label, `label: … `",
                    Stmt::Species(_) => "one species",
                    _ => WHAT,
                },
            );
        }
        Ok((
            rest,
            Stmt::Override(Override {
                stmt: Box::new(stmt),
                span,
            }),
        ))
    }

    /// The `word` that ends at `end`.
    fn before_keyword(&self, end: &'s str, word: &str) -> &'s str {
        let at = self.offset(end).saturating_sub(word.len());
        &self.src[at..]
    }

    /// `remove = "remove" ( "species" ident | "reaction" ident | chain ) ;`
    fn remove(&self, i: &'s str) -> PResult<'s, Stmt> {
        let start = i;
        let (rest, target) = if let Some(r) = self.keyword(i, "species") {
            let (r, name) = expect(ws(r), "a species name", |i| self.ident(i))?;
            (r, RemoveTarget::Species(name))
        } else if let Some(r) = self.keyword(i, "reaction") {
            let (r, label) = expect(ws(r), "a reaction label", |i| self.ident(i))?;
            (r, RemoveTarget::Reaction(label))
        } else if let Some(r) = self.keyword(i, "chain") {
            let (r, chain) = self.chain(ws(r))?;
            let Stmt::Chain(chain) = chain else {
                return fail(i, "a chain");
            };
            (r, RemoveTarget::Chain(chain))
        } else {
            return fail(i, "`species`, `reaction` or `chain`");
        };
        Ok((
            rest,
            Stmt::Remove(Remove {
                target,
                span: self.span(start, rest),
            }),
        ))
    }

    /// `pk = "pk" ident "absorption" "=" operand "," "elimination" "=" operand ;`
    /// `operand = quantity | ident ;`
    fn pk(&self, i: &'s str) -> PResult<'s, Stmt> {
        let start = i;
        let (rest, input) = expect(i, "an input name", |i| self.ident(i))?;
        let rest = self.word(ws(rest), "absorption", "`absorption`")?;
        let rest = self.punct(ws(rest), "=", "`=` and a half-life")?;
        let (rest, absorption) = self.operand(ws(rest))?;
        let rest = self.punct(ws(rest), ",", "`,` and `elimination = …`")?;
        let rest = self.word(ws(rest), "elimination", "`elimination`")?;
        let rest = self.punct(ws(rest), "=", "`=` and a half-life")?;
        let (rest, elimination) = self.operand(ws(rest))?;
        Ok((
            rest,
            Stmt::Pk(Pk {
                input,
                absorption,
                elimination,
                span: self.span(start, rest),
            }),
        ))
    }

    fn operand(&self, i: &'s str) -> PResult<'s, Operand> {
        if let Ok((rest, q)) = self.quantity(i) {
            return Ok((rest, Operand::Quantity(q)));
        }
        let (rest, name) = expect(i, "a half-life or a parameter name", |i| self.ident(i))?;
        Ok((rest, Operand::Name(name)))
    }

    /// `readout = "readout" ident "=" expr ;`
    fn readout(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, "a readout name", |i| self.ident(i))?;
        let rest = self.punct(ws(rest), "=", "`=` and an expression")?;
        let (rest, expr) = expect(ws(rest), "an expression", |i| self.expr(i))?;
        Ok((rest, Stmt::Readout(Readout { name, expr })))
    }

    /// `genotype = "genotype" ident block ;`
    fn genotype(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, "a genotype name", |i| self.ident(i))?;
        let (rest, block) = self.block_open(ws(rest), |i| self.genotype_item(i))?;
        Ok((rest, Stmt::Genotype(Genotype { name, block })))
    }

    /// `genotype_item = "knockout" ident | "disable" ident | "set" ident "=" quantity ;`
    fn genotype_item(&self, i: &'s str) -> PResult<'s, GenotypeItem> {
        const WHAT: &str = "`knockout SPECIES`, `disable REACTION` or `set PARAM = value`";
        let (rest, word) = expect(i, WHAT, |i| self.ident(i))?;
        let rest = ws(rest);
        match word.name.as_str() {
            "knockout" => {
                let (rest, s) = expect(rest, "a species name", |i| self.ident(i))?;
                Ok((rest, GenotypeItem::Knockout(s)))
            }
            "disable" => {
                let (rest, r) = expect(rest, "a reaction label", |i| self.ident(i))?;
                Ok((rest, GenotypeItem::Disable(r)))
            }
            "set" => {
                let (rest, p) = expect(rest, "a parameter name", |i| self.ident(i))?;
                let rest = self.punct(ws(rest), "=", "`=` and a value")?;
                let (rest, q) = self.value(ws(rest), "a value")?;
                Ok((rest, GenotypeItem::Set(p, q)))
            }
            _ => fail(i, WHAT),
        }
    }

    /// `experiment = "experiment" ident [ string ] [ "extends" ident ] block ;`
    fn experiment(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, "an experiment name", |i| self.ident(i))?;
        let (mut rest, description) = self.note(rest)?;
        let mut extends = None;
        if let Some(r) = self.keyword(ws(rest), "extends") {
            let (r, parent) = expect(ws(r), "the name of an experiment", |i| self.ident(i))?;
            extends = Some(parent);
            rest = r;
        }
        let (rest, block) = self.block_open(ws(rest), |i| self.experiment_item(i))?;
        Ok((
            rest,
            Stmt::Experiment(Experiment {
                name,
                description,
                extends,
                block,
            }),
        ))
    }

    /// `experiment_item = "genotype" ident | "start" ( "steady" | "initial" ) | event | run ;`
    /// `event = "at" time [ "every" time "for" time ] ( "set" | "dose" ) ident "=" quantity ;`
    /// `run = "run" time "every" time ;`
    fn experiment_item(&self, i: &'s str) -> PResult<'s, ExperimentItem> {
        const WHAT: &str =
            "`at T set INPUT = value`, `run T every Δ`, `genotype G` or `start initial`";
        let (rest, word) = expect(i, WHAT, |i| self.ident(i))?;
        let rest = ws(rest);
        match word.name.as_str() {
            "genotype" => {
                let (rest, g) = expect(rest, "a genotype name", |i| self.ident(i))?;
                Ok((rest, ExperimentItem::Genotype(g)))
            }
            "start" => {
                let (r, how) = expect(rest, "`steady` or `initial`", |i| self.ident(i))?;
                if how.name != "steady" && how.name != "initial" {
                    return fail(rest, "`steady` or `initial`");
                }
                Ok((r, ExperimentItem::Start(how)))
            }
            "run" => {
                let (r, until) = self.time(rest)?;
                let r = self.word(ws(r), "every", "`every` and the output interval")?;
                let (r, every) = self.time(ws(r))?;
                Ok((
                    r,
                    ExperimentItem::Run {
                        until,
                        every,
                        span: self.span(i, r),
                    },
                ))
            }
            "at" => {
                let (mut r, at) = self.time(rest)?;
                let mut repeat = None;
                if let Some(after) = self.keyword(ws(r), "every") {
                    let (after, every) = self.time(ws(after))?;
                    let after = self.word(ws(after), "for", "`for` and how long to repeat")?;
                    let (after, span) = self.time(ws(after))?;
                    repeat = Some((every, span));
                    r = after;
                }
                let at_action = ws(r);
                let action = if let Some(after) = self.keyword(at_action, "set") {
                    r = after;
                    Action::Set
                } else if let Some(after) = self.keyword(at_action, "dose") {
                    r = after;
                    Action::Dose
                } else {
                    return fail(at_action, "`set` or `dose`");
                };
                let (r, input) = expect(ws(r), "an input name", |i| self.ident(i))?;
                let r = self.punct(ws(r), "=", "`=` and a value")?;
                let (r, value) = expect(ws(r), "a value", |i| self.quantity(i))?;
                Ok((
                    r,
                    ExperimentItem::Event(Event {
                        at,
                        repeat,
                        action,
                        input,
                        value,
                        span: self.span(i, r),
                    }),
                ))
            }
            _ => fail(i, WHAT),
        }
    }

    /// `time = quantity { "+" quantity } ;`
    fn time(&self, i: &'s str) -> PResult<'s, Time> {
        let (mut rest, first) = expect(i, "a time such as `30 min`", |i| self.quantity(i))?;
        let mut terms = vec![first];
        while let Some(after) = ws(rest).strip_prefix('+') {
            let (r, q) = expect(ws(after), "a time such as `1 h`", |i| self.quantity(i))?;
            terms.push(q);
            rest = r;
        }
        Ok((
            rest,
            Time {
                terms,
                span: self.span(i, rest),
            },
        ))
    }

    /// `block = "{" [ item { ";" item } ] "}" | "{" newline { block_line } "}" ;`
    /// Here the header's `{`: an inline block is parsed whole, a multi-line one is
    /// left open for `parse` to fill from the following lines.
    fn block_open<T>(
        &self,
        i: &'s str,
        item: impl Fn(&'s str) -> PResult<'s, T>,
    ) -> PResult<'s, Block<T>> {
        let r = self.punct(i, "{", "`{`")?;
        let open = self.span(i, r);
        let mut block = Block {
            items: Vec::new(),
            inline: true,
            close_comment: None,
            open,
        };
        let r = ws(r);
        if r.is_empty() {
            block.inline = false;
            return Ok((r, block));
        }
        if let Some(r) = r.strip_prefix('}') {
            return Ok((r, block));
        }
        let (mut r, items) = self.items(r, &item)?;
        block.items = items
            .into_iter()
            .map(|item| BlockLine {
                item: Some(item),
                comment: None,
            })
            .collect();
        r = self.punct(ws(r), "}", "`;` or `}`")?;
        Ok((r, block))
    }

    /// `item { ";" item }`
    fn items<T>(
        &self,
        i: &'s str,
        item: &impl Fn(&'s str) -> PResult<'s, T>,
    ) -> PResult<'s, Vec<T>> {
        let mut out = Vec::new();
        let mut r = i;
        loop {
            let (after, it) = item(ws(r))?;
            out.push(it);
            match ws(after).strip_prefix(';') {
                Some(a) if !ws(a).is_empty() && !ws(a).starts_with('}') => r = a,
                Some(a) => return Ok((a, out)),
                None => return Ok((after, out)),
            }
        }
    }

    /// `block_line = [ item { ";" item } ] [ comment ] newline ;` up to a line `}`.
    /// A line that begins another statement means the `}` was forgotten: that is
    /// reported at the `{`, and the line is left for the caller.
    fn block_lines<'t, T>(
        &self,
        raws: &mut std::iter::Peekable<impl Iterator<Item = (usize, &'s str)>>,
        block: &mut Block<T>,
        errors: &mut Vec<Diagnostic>,
        item: impl Fn(&'s str) -> PResult<'s, T>,
    ) {
        while let Some(&(_, raw)) = raws.peek() {
            let (body, comment) = split_comment(raw);
            let comment = comment.map(|c| c[1..].trim_end_matches('\r').to_string());
            let body = ws(body).trim_end();
            if body == "}" {
                raws.next();
                block.close_comment = comment;
                trim_blank_end(block);
                return;
            }
            let first: String = body.chars().take_while(|&c| is_ident_continue(c)).collect();
            if KEYWORDS.contains(&first.as_str()) && first != "genotype" {
                break;
            }
            raws.next();
            if body.is_empty() {
                // Runs of blank lines keep one, and none at the start of a block.
                let blank = comment.is_none();
                let after_blank = block
                    .items
                    .last()
                    .is_none_or(|l| l.item.is_none() && l.comment.is_none());
                if !(blank && after_blank) {
                    block.items.push(BlockLine {
                        item: None,
                        comment,
                    });
                }
                continue;
            }
            let start = ws(split_comment(raw).0);
            let parsed = match self.items(start, &item) {
                Ok((rest, items)) if ws(rest).is_empty() => Ok(items),
                Ok((rest, _)) => Err(PError::new(ws(rest), "`;` or the end of the line")),
                Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
                Err(nom::Err::Incomplete(_)) => Err(PError::new(start, "an item")),
            };
            match parsed {
                Ok(items) => {
                    let n = items.len();
                    for (k, it) in items.into_iter().enumerate() {
                        block.items.push(BlockLine {
                            item: Some(it),
                            comment: if k + 1 == n { comment.clone() } else { None },
                        });
                    }
                }
                Err(e) => {
                    errors.push(self.error(raw, e));
                    block.items.push(BlockLine {
                        item: None,
                        comment,
                    });
                }
            }
        }
        trim_blank_end(block);
        errors.push(
            Diagnostic::error(
                "this `{` is never closed".to_string(),
                block.open,
                "opened here",
            )
            .with_help("end the block with a line holding only `}`"),
        );
    }

    /// `expect = "expect" ( measure | occlusion ) comparison [ string ] ;`
    /// `comparison = ( "<" | ">" | "<=" | ">=" ) ( measure | quantity ) | ( "≈" | "~" ) ( measure | quantity ) "within" number [ "%" ] ;`
    fn expect(&self, i: &'s str) -> PResult<'s, Stmt> {
        let start = i;
        let (rest, lhs) = if let Some(r) = self.keyword(i, "occlusion") {
            let r = self.punct(ws(r), "(", "`(` after `occlusion`")?;
            let (r, a) = expect(ws(r), "an experiment name", |i| self.ident(i))?;
            let r = self.punct(ws(r), ",", "`,` and a second experiment")?;
            let (r, b) = expect(ws(r), "an experiment name", |i| self.ident(i))?;
            let r = self.punct(ws(r), ",", "`,` and `READOUT at T`")?;
            let (r, readout) = expect(ws(r), "a readout name", |i| self.ident(i))?;
            let r = self.word(ws(r), "at", "`at` and a time")?;
            let (r, at) = self.time(ws(r))?;
            let r = self.punct(ws(r), ")", "`)`")?;
            let span = self.span(i, r);
            (
                r,
                Lhs::Occlusion {
                    a,
                    b,
                    readout,
                    at,
                    span,
                },
            )
        } else {
            let (r, m) = self.measure(i)?;
            (r, Lhs::Measure(m))
        };
        let at = ws(rest);
        let (rest, op) = alt((
            tag::<_, _, PError>("<=").map(|_| Cmp::Le),
            tag::<_, _, PError>(">=").map(|_| Cmp::Ge),
            tag::<_, _, PError>("<").map(|_| Cmp::Lt),
            tag::<_, _, PError>(">").map(|_| Cmp::Gt),
            tag::<_, _, PError>("≈").map(|_| Cmp::Approx),
            tag::<_, _, PError>("~").map(|_| Cmp::Approx),
        ))
        .parse(at)
        .map_err(|_| nom::Err::Failure(PError::new(at, "`<`, `>`, `<=`, `>=` or `≈`")))?;
        let at = ws(rest);
        let (mut rest, rhs) = match self.quantity(at) {
            Ok((r, q)) => (r, Rhs::Value(q)),
            Err(_) => {
                let (r, m) = self.measure(at).map_err(|_| {
                    nom::Err::Failure(PError::new(at, "a value or `EXPERIMENT: READOUT at T`"))
                })?;
                (r, Rhs::Measure(m))
            }
        };
        let mut tolerance = None;
        if op == Cmp::Approx {
            let r = self.word(ws(rest), "within", "`within` and a tolerance")?;
            let t = ws(r);
            let (r, value) = expect(t, "a tolerance", |i| self.number(i))?;
            let (r, percent) = match ws(r).strip_prefix('%') {
                Some(r) => (r, true),
                None => (r, false),
            };
            tolerance = Some(Tolerance {
                value,
                percent,
                span: self.span(t, r),
            });
            rest = r;
        }
        let (rest, note) = self.note(rest)?;
        Ok((
            rest,
            Stmt::Expect(Expect {
                lhs,
                op,
                rhs,
                tolerance,
                note,
                span: self.span(start, rest),
            }),
        ))
    }

    /// `measure = ident ":" stat ;`
    /// `stat = ( "max" | "min" | "mean" ) ident "over" "[" time "," time "]" | ident "from" time "to" time | ident "at" time ;`
    fn measure(&self, i: &'s str) -> PResult<'s, Measure> {
        let (r, experiment) = expect(i, "an experiment name", |i| self.ident(i))?;
        let r = self.punct(ws(r), ":", "`:` after the experiment's name")?;
        let at = ws(r);
        let (r, first) = expect(at, "a readout name", |i| self.ident(i))?;
        let window = match first.name.as_str() {
            "max" => Some(Window::Max),
            "min" => Some(Window::Min),
            "mean" => Some(Window::Mean),
            _ => None,
        };
        let following = ws(r);
        let (r, stat) = match window {
            Some(kind) if following.starts_with(is_ident_start) => {
                let (r, readout) = self.ident(following)?;
                let r = self.word(ws(r), "over", "`over` and `[t1, t2]`")?;
                let r = self.punct(ws(r), "[", "`[`")?;
                let (r, from) = self.time(ws(r))?;
                let r = self.punct(ws(r), ",", "`,`")?;
                let (r, to) = self.time(ws(r))?;
                let r = self.punct(ws(r), "]", "`]`")?;
                (
                    r,
                    Stat::Window {
                        kind,
                        readout,
                        from,
                        to,
                    },
                )
            }
            _ => {
                if let Some(r) = self.keyword(following, "at") {
                    let (r, time) = self.time(ws(r))?;
                    (
                        r,
                        Stat::At {
                            readout: first,
                            time,
                        },
                    )
                } else if let Some(r) = self.keyword(following, "from") {
                    let (r, from) = self.time(ws(r))?;
                    let r = self.word(ws(r), "to", "`to` and a time")?;
                    let (r, to) = self.time(ws(r))?;
                    (
                        r,
                        Stat::Change {
                            readout: first,
                            from,
                            to,
                        },
                    )
                } else {
                    return fail(
                        following,
                        "`at T`, `from T1 to T2` or a readout after max/min/mean",
                    );
                }
            }
        };
        Ok((
            r,
            Measure {
                experiment,
                stat,
                span: self.span(i, r),
            },
        ))
    }

    /// A required keyword; fails saying `expected` when it is missing.
    fn word(
        &self,
        i: &'s str,
        word: &str,
        expected: &'static str,
    ) -> Result<&'s str, nom::Err<PError<'s>>> {
        match self.keyword(i, word) {
            Some(r) => Ok(r),
            None => Err(nom::Err::Failure(PError::new(i, expected))),
        }
    }

    /// `reaction = [ ident ":" ] side arrow side rate ;`
    /// `arrow = "->" | "→" | "<->" | "⇌" ;`
    /// `rate = "@" expr [ "," expr ] | ";" expr ;`
    fn reaction(&self, i: &'s str) -> PResult<'s, Stmt> {
        let start = i;
        let (i, label) = match self.ident(i) {
            Ok((rest, id)) if ws(rest).starts_with(':') => (ws(&ws(rest)[1..]), Some(id)),
            _ => (i, None),
        };
        let (rest, reactants) = self.side(i)?;
        let at = ws(rest);
        let (rest, arrow) = match alt((
            tag::<_, _, PError>("<->").map(|_| Arrow::Reversible),
            tag::<_, _, PError>("⇌").map(|_| Arrow::Reversible),
            tag::<_, _, PError>("->").map(|_| Arrow::Forward),
            tag::<_, _, PError>("→").map(|_| Arrow::Forward),
        ))
        .parse(at)
        {
            Ok(ok) => ok,
            Err(_) if reactants.is_empty() && label.is_none() => {
                return Err(nom::Err::Error(PError::new(i, "a statement")));
            }
            Err(_) => {
                return fail(
                    at,
                    if reactants.is_empty() {
                        "a species or `->`"
                    } else {
                        "`+` or a reaction arrow `->`"
                    },
                );
            }
        };
        let (rest, products) = self.side(ws(rest))?;
        let at = ws(rest);
        let (rest, rate) = if let Some(r) = at.strip_prefix('@') {
            let (r, forward) = expect(ws(r), "a rate constant", |i| self.expr(i))?;
            let (r, reverse) = match char::<_, PError>(',')(ws(r)) {
                Ok((r, _)) => {
                    let (r, e) = expect(ws(r), "a reverse rate constant", |i| self.expr(i))?;
                    (r, Some(e))
                }
                Err(_) => (r, None),
            };
            (r, RateLaw::MassAction { forward, reverse })
        } else if let Some(r) = at.strip_prefix(';') {
            let (r, e) = expect(ws(r), "a rate law", |i| self.expr(i))?;
            (r, RateLaw::Explicit(e))
        } else if products.is_empty() && arrow == Arrow::Forward {
            return fail(at, "a product, `@ k` (mass action) or `; rate`");
        } else {
            return fail(at, "`+`, `@ k` (mass action) or `; rate`");
        };
        let span = self.span(start, rest);
        Ok((
            rest,
            Stmt::Reaction(Reaction {
                label,
                reactants,
                arrow,
                products,
                rate,
                span,
            }),
        ))
    }

    /// `side = [ term { "+" term } ] ;`
    fn side(&self, i: &'s str) -> PResult<'s, Vec<Term>> {
        let mut terms = Vec::new();
        let (mut rest, first) = match self.term(i) {
            Ok(ok) => ok,
            Err(nom::Err::Error(_)) => return Ok((i, terms)),
            Err(e) => return Err(e),
        };
        terms.push(first);
        loop {
            let at = ws(rest);
            // `+` joins terms; a `+` that belongs to nothing is left for the caller.
            let Some(after) = at.strip_prefix('+') else {
                return Ok((rest, terms));
            };
            let (after, t) = expect(ws(after), "a species", |i| self.term(i))?;
            terms.push(t);
            rest = after;
        }
    }

    /// `term = [ integer ] ident ;`
    fn term(&self, i: &'s str) -> PResult<'s, Term> {
        let (rest, stoich) = match digit1::<_, PError>(i) {
            Ok((rest, digits)) => {
                let span = self.span(i, rest);
                let Ok(n) = digits.parse::<u32>() else {
                    return fail(i, "a stoichiometry below 4294967296");
                };
                (ws(rest), Some(Spanned { node: n, span }))
            }
            Err(_) => (i, None),
        };
        let (rest, species) = if stoich.is_some() {
            expect(rest, "a species after its stoichiometry", |i| self.ident(i))?
        } else {
            self.ident(rest)?
        };
        Ok((rest, Term { stoich, species }))
    }

    /// `ident = ident_start { ident_continue } ;`
    fn ident(&self, i: &'s str) -> PResult<'s, Ident> {
        let (rest, name) =
            recognize((take_while1(is_ident_start), take_while(is_ident_continue))).parse(i)?;
        Ok((
            rest,
            Ident {
                name: name.to_string(),
                span: self.span(i, rest),
            },
        ))
    }

    /// A keyword as a whole word; returns the rest after it. Blanks may follow but
    /// need not: `in[1, 2]` is a range, while `inside` is a name.
    fn keyword(&self, i: &'s str, word: &str) -> Option<&'s str> {
        let rest = i.strip_prefix(word)?;
        (!rest.starts_with(is_ident_continue)).then_some(rest)
    }

    fn punct(
        &self,
        i: &'s str,
        p: &'static str,
        expected: &'static str,
    ) -> Result<&'s str, nom::Err<PError<'s>>> {
        match i.strip_prefix(p) {
            Some(rest) => Ok(rest),
            None => Err(nom::Err::Failure(PError::new(i, expected))),
        }
    }

    /// `number = [ "-" ] ( digits [ "." [ digits ] ] | "." digits ) [ ( "e" | "E" ) [ "+" | "-" ] digits ] ;`
    fn number(&self, i: &'s str) -> PResult<'s, Number> {
        let (rest, text) = recognize((
            opt(char('-')),
            alt((
                recognize((digit1, opt((char('.'), opt(digit1))))),
                recognize((char('.'), digit1)),
            )),
            opt((
                alt((char('e'), char('E'))),
                opt(alt((char('+'), char('-')))),
                digit1,
            )),
        ))
        .parse(i)?;
        let value: f64 = match text.parse() {
            Ok(v) => v,
            Err(_) => return fail(i, "a number"),
        };
        if !value.is_finite() {
            return fail(i, "a finite number");
        }
        Ok((
            rest,
            Number {
                value,
                text: text.to_string(),
                span: self.span(i, rest),
            },
        ))
    }

    /// The value of a declaration: a `quantity`, which can be followed only by `in`,
    /// `,` or a note. Anything else right after the number is a unit misspelt (`2
    /// /sec`, `2 sec`), and is reported as one rather than as stray text.
    fn value(&self, i: &'s str, expected: &'static str) -> PResult<'s, Quantity> {
        let (rest, q) = expect(i, expected, |i| self.quantity(i))?;
        let at = ws(rest);
        let misspelt = match at.strip_prefix('/') {
            Some(after) => Some(after),
            None if q.unit.is_none()
                && at.starts_with(is_ident_start)
                && self.keyword(at, "in").is_none() =>
            {
                Some(at)
            }
            None => None,
        };
        match misspelt {
            Some(at) => fail(at, "a unit such as `min` or `uM`"),
            None => Ok((rest, q)),
        }
    }

    /// `quantity = number [ unit ] ;`
    fn quantity(&self, i: &'s str) -> PResult<'s, Quantity> {
        let (rest, number) = self.number(i)?;
        let (rest, unit) = match self.unit(ws(rest)) {
            Ok((r, u)) => (r, Some(u)),
            Err(nom::Err::Failure(e)) => return Err(nom::Err::Failure(e)),
            Err(_) => (rest, None),
        };
        Ok((
            rest,
            Quantity {
                number,
                unit,
                span: self.span(i, rest),
            },
        ))
    }

    /// `unit = ( unit_atom | [ "1" ] "/" unit_atom ) { "/" unit_atom } ;` with no blanks inside.
    fn unit(&self, i: &'s str) -> PResult<'s, Unit> {
        let mut factors = Vec::new();
        let mut rest = i;
        if let Some(r) = rest.strip_prefix("1/").or_else(|| rest.strip_prefix('/')) {
            let (r, atom) = self
                .unit_atom(r)
                .map_err(|_| nom::Err::Error(PError::new(i, "a unit")))?;
            factors.push((atom, -1));
            rest = r;
        } else {
            let (r, atom) = self.unit_atom(rest)?;
            factors.push((atom, 1));
            rest = r;
        }
        while let Some(r) = rest.strip_prefix('/') {
            match self.unit_atom(r) {
                Ok((r, atom)) => {
                    factors.push((atom, -1));
                    rest = r;
                }
                // `2 uM/k` divides by a name; the unit ends before the `/`.
                Err(_) => break,
            }
        }
        Ok((
            rest,
            Unit {
                factors,
                span: self.span(i, rest),
            },
        ))
    }

    /// `unit_atom = "s" | "min" | "h" | "d" | "nM" | "uM" | "µM" | "μM" | "mM" | "M" ;`
    fn unit_atom(&self, i: &'s str) -> PResult<'s, UnitAtom> {
        for (spelling, atom) in UnitAtom::SPELLINGS {
            if let Some(rest) = i.strip_prefix(spelling) {
                // A unit is a whole word: `sec` or `mM2` are names, not units.
                let next = rest.chars().next();
                if next.is_some_and(|c| is_ident_continue(c) || c == '(') {
                    continue;
                }
                return Ok((rest, *atom));
            }
        }
        Err(nom::Err::Error(PError::new(i, "a unit")))
    }

    /// `expr = product { ( "+" | "-" ) product } ;`
    fn expr(&self, i: &'s str) -> PResult<'s, Expr> {
        let (mut rest, mut lhs) = self.product(i)?;
        loop {
            let at = ws(rest);
            let op = match at.chars().next() {
                Some('+') => BinOp::Add,
                // `-|` and `->` end an expression in a chain or reaction, never subtract.
                Some('-') if !at.starts_with("-|") && !at.starts_with("->") => BinOp::Sub,
                _ => return Ok((rest, lhs)),
            };
            let (r, rhs) = expect(ws(&at[1..]), "an operand", |i| self.product(i))?;
            lhs = self.binary(at, op, lhs, rhs)?;
            rest = r;
        }
    }

    /// Joins two operands; fails at the operator `at` if the tree gets too deep. A
    /// long run of `+` deepens the tree without deepening the parser, so the tree's
    /// depth is checked here rather than in `nested`.
    fn binary(
        &self,
        at: &'s str,
        op: BinOp,
        lhs: Expr,
        rhs: Expr,
    ) -> Result<Expr, nom::Err<PError<'s>>> {
        self.shallow(at, depth(&lhs).max(depth(&rhs)))?;
        let span = lhs.span.to(rhs.span);
        Ok(Expr {
            kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            span,
        })
    }

    /// `product = unary { ( "*" | "/" ) unary } ;`
    fn product(&self, i: &'s str) -> PResult<'s, Expr> {
        let (mut rest, mut lhs) = self.unary(i)?;
        loop {
            let at = ws(rest);
            let op = match at.chars().next() {
                Some('*') => BinOp::Mul,
                Some('/') => BinOp::Div,
                _ => return Ok((rest, lhs)),
            };
            let (r, rhs) = expect(ws(&at[1..]), "an operand", |i| self.unary(i))?;
            lhs = self.binary(at, op, lhs, rhs)?;
            rest = r;
        }
    }

    /// `unary = "-" unary | power ;`
    fn unary(&self, i: &'s str) -> PResult<'s, Expr> {
        // Numbers inside expressions are unsigned: a `-` is always negation, so
        // `-2^2` is -(2^2) = -4, just as `-x^2` is -(x^2).
        if let Some(r) = i.strip_prefix('-') {
            let (rest, inner) =
                self.nested(i, || expect(ws(r), "an operand", |i| self.unary(i)))?;
            self.shallow(i, depth(&inner))?;
            let span = self.span(i, rest);
            return Ok((
                rest,
                Expr {
                    kind: ExprKind::Neg(Box::new(inner)),
                    span,
                },
            ));
        }
        self.power(i)
    }

    /// `power = atom [ "^" unary ] ;` (right-associative: `a^b^c` is `a^(b^c)`)
    fn power(&self, i: &'s str) -> PResult<'s, Expr> {
        let (rest, base) = self.atom(i)?;
        let at = ws(rest);
        if let Some(r) = at.strip_prefix('^') {
            let (r, exponent) =
                self.nested(at, || expect(ws(r), "an exponent", |i| self.unary(i)))?;
            return Ok((r, self.binary(at, BinOp::Pow, base, exponent)?));
        }
        Ok((rest, base))
    }

    /// A number or a plain name (not a call) followed by `)`: the rest after the
    /// `)`, and the leaf.
    fn parenthesized_leaf(&self, i: &'s str) -> Option<(&'s str, Expr)> {
        // `(-2)` is a negation, not a signed literal: expressions hold unsigned numbers.
        if i.starts_with('-') {
            return None;
        }
        let (rest, leaf) = match self.quantity(i) {
            Ok((rest, q)) => {
                let span = q.span;
                let kind = ExprKind::Number(q);
                (rest, Expr { kind, span })
            }
            Err(_) => {
                let (rest, name) = self.ident(i).ok()?;
                let span = name.span;
                (
                    rest,
                    Expr {
                        kind: ExprKind::Name(name),
                        span,
                    },
                )
            }
        };
        let after = ws(rest).strip_prefix(')')?;
        Some((after, leaf))
    }

    /// `atom = quantity | ident "(" [ expr { "," expr } ] ")" | ident | "(" expr ")" ;`
    fn atom(&self, i: &'s str) -> PResult<'s, Expr> {
        if let Some(r) = i.strip_prefix('(') {
            // A number or a name in parentheses nests nothing, so it costs no level.
            // What the printer writes must parse wherever its input did, even at the
            // limit.
            let (r, inner) = match self.parenthesized_leaf(ws(r)) {
                Some(leaf) => leaf,
                None => {
                    let (r, inner) =
                        self.nested(i, || expect(ws(r), "an expression", |i| self.expr(i)))?;
                    (self.punct(ws(r), ")", "`)`")?, inner)
                }
            };
            // Parentheses only group; the span grows to cover them.
            return Ok((
                r,
                Expr {
                    kind: inner.kind,
                    span: self.span(i, r),
                },
            ));
        }
        if let Some(Ok((rest, q))) = (!i.starts_with('-')).then(|| self.quantity(i)) {
            let span = q.span;
            return Ok((
                rest,
                Expr {
                    kind: ExprKind::Number(q),
                    span,
                },
            ));
        }
        let (rest, name) = match self.ident(i) {
            Ok(ok) => ok,
            Err(_) => return Err(nom::Err::Error(PError::new(i, "a number, a name or `(`"))),
        };
        let at = ws(rest);
        if let Some(r) = at.strip_prefix('(') {
            let mut args = Vec::new();
            let mut r = ws(r);
            if let Some(after) = r.strip_prefix(')') {
                let span = self.span(i, after);
                return Ok((
                    after,
                    Expr {
                        kind: ExprKind::Call(name, args),
                        span,
                    },
                ));
            }
            loop {
                let (after, arg) =
                    self.nested(at, || expect(r, "an argument", |i| self.expr(i)))?;
                self.shallow(r, depth(&arg))?;
                args.push(arg);
                let after = ws(after);
                if let Some(a) = after.strip_prefix(',') {
                    r = ws(a);
                } else if let Some(a) = after.strip_prefix(')') {
                    let span = self.span(i, a);
                    return Ok((
                        a,
                        Expr {
                            kind: ExprKind::Call(name, args),
                            span,
                        },
                    ));
                } else {
                    return fail(after, "`,` or `)`");
                }
            }
        }
        let span = name.span;
        Ok((
            rest,
            Expr {
                kind: ExprKind::Name(name),
                span,
            },
        ))
    }
}

/// Drops blank lines before a block's `}`.
fn trim_blank_end<T>(block: &mut Block<T>) {
    while block
        .items
        .last()
        .is_some_and(|l| l.item.is_none() && l.comment.is_none())
    {
        block.items.pop();
    }
}

/// The depth of an expression tree, a leaf being 1. Trees reaching here were built
/// under `MAX_DEPTH`, so the recursion is shallow.
fn depth(e: &Expr) -> u32 {
    match &e.kind {
        ExprKind::Number(_) | ExprKind::Name(_) => 1,
        ExprKind::Neg(a) => 1 + depth(a),
        ExprKind::Binary(_, a, b) => 1 + depth(a).max(depth(b)),
        ExprKind::Call(_, args) => 1 + args.iter().map(depth).max().unwrap_or(0),
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

/// A hint for each kind of thing the parser can expect.
fn syntax_help(expected: &str) -> String {
    match expected {
        "a statement" => "a line holds one statement: `import`, `units`, `compartment`, `species`, `input`, `param`, `let`, `chain`, `pk`, `readout`, `genotype`, `experiment`, `expect`, or a reaction such as `A + B -> C @ k`".to_string(),
        "`time` or `concentration`" => "write e.g. `units time = min, concentration = uM`".to_string(),
        "a unit such as `min` or `uM`" | "a unit" => "units are s, min, h, d, nM, uM (or µM), mM and M, combined like `/min` or `/uM/min`".to_string(),
        "the end of the statement" => "each statement goes on its own line; put a `#` before a comment".to_string(),
        e if e.contains("rate") || e.contains("`@ k`") => "end a reaction with `@ k` for mass action, `@ kf, kr` if reversible, or `; expression` for an explicit rate law".to_string(),
        e if e.contains("`)`") => "close every `(` that was opened on this line".to_string(),
        e if e.contains("closing `\"`") => "a string ends with `\"` on the same line".to_string(),
        _ => format!("write {expected} here; grammar/pathway.ebnf lists what each statement accepts"),
    }
}
