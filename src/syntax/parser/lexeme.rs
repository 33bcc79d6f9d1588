//! Lexemes: the rules `ident`, `keyword`, `string`, `number`, `quantity`, `unit` and
//! `unit_atom` of grammar/pathway.ebnf, and the required words and punctuation
//! between them. None of them skips the blanks before it; the callers do (`ws`).

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{opt, recognize};

use super::expected::Expected;
use super::{Cx, PError, PResult, expect, fail, ws};
use crate::syntax::ast::*;
use crate::syntax::span::Span;

/// Words that begin a statement; they cannot start a reaction.
///
/// `keyword = "import" | "units" | "compartment" | "species" | "input" | "param" | "let" | "chain" | "pk" | "readout" | "genotype" | "experiment" | "expect" | "override" | "remove" ;`
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

/// `ident_start = letter | "_" ;`
pub fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// Letters, digits (superscripts among them, as in Ca²⁺), `_`, the superscript signs
/// ⁺ and ⁻, and `~` for a modified state (eEF2~P).
///
/// `ident_continue = letter | digit | superscript_digit | "_" | "~" | "⁺" | "⁻" | "′" ;`
pub fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '~' | '⁺' | '⁻' | '′')
}

impl<'s> Cx<'s> {
    /// `ident = ident_start { ident_continue } ;`
    pub(super) fn ident(&self, i: &'s str) -> PResult<'s, Ident> {
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
    pub(super) fn keyword(&self, i: &'s str, word: &str) -> Option<&'s str> {
        let rest = i.strip_prefix(word)?;
        (!rest.starts_with(is_ident_continue)).then_some(rest)
    }

    /// A required keyword; fails saying `expected` when it is missing.
    pub(super) fn word(
        &self,
        i: &'s str,
        word: &str,
        expected: Expected,
    ) -> Result<&'s str, nom::Err<PError<'s>>> {
        match self.keyword(i, word) {
            Some(r) => Ok(r),
            None => Err(nom::Err::Failure(PError::new(i, expected))),
        }
    }

    /// A required punctuation mark `p`; fails saying `expected` when it is missing.
    pub(super) fn punct(
        &self,
        i: &'s str,
        p: &'static str,
        expected: Expected,
    ) -> Result<&'s str, nom::Err<PError<'s>>> {
        match i.strip_prefix(p) {
            Some(rest) => Ok(rest),
            None => Err(nom::Err::Failure(PError::new(i, expected))),
        }
    }

    /// `string = '"' { any character but '"' and newline } '"' ;`
    pub(super) fn string(&self, i: &'s str) -> PResult<'s, (String, Span)> {
        let (rest, _) = char('"')(i)?;
        let Some(end) = rest.find('"') else {
            // The quote is missing where the line ends, so that is where to point.
            return fail(&rest[rest.len()..], Expected::ClosingQuote);
        };
        let after = &rest[end + 1..];
        Ok((after, (rest[..end].to_string(), self.span(i, after))))
    }

    /// An optional quoted string after `i` (a source, a description).
    pub(super) fn note(&self, i: &'s str) -> PResult<'s, Option<Note>> {
        if !ws(i).starts_with('"') {
            return Ok((i, None));
        }
        let (rest, (text, span)) = self.string(ws(i))?;
        Ok((rest, Some(Note { text, span })))
    }

    /// `number = [ "-" ] ( digits [ "." [ digits ] ] | "." digits ) [ ( "e" | "E" ) [ "+" | "-" ] digits ] ;`
    pub(super) fn number(&self, i: &'s str) -> PResult<'s, Number> {
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
            Err(_) => return fail(i, Expected::Number),
        };
        if !value.is_finite() {
            return fail(i, Expected::FiniteNumber);
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

    /// `quantity = number [ unit ] ;`
    pub(super) fn quantity(&self, i: &'s str) -> PResult<'s, Quantity> {
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

    /// The value of a declaration: a `quantity`, which can be followed only by `in`,
    /// `,` or a note. Anything else right after the number is a unit misspelt (`2
    /// /sec`, `2 sec`), and is reported as one rather than as stray text.
    pub(super) fn value(&self, i: &'s str, expected: Expected) -> PResult<'s, Quantity> {
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
            Some(at) => fail(at, Expected::Unit),
            None => Ok((rest, q)),
        }
    }

    /// `unit = ( unit_atom | [ "1" ] "/" unit_atom ) { "/" unit_atom } ;` with no blanks inside.
    pub(super) fn unit(&self, i: &'s str) -> PResult<'s, Unit> {
        let mut factors = Vec::new();
        let mut rest = i;
        if let Some(r) = rest.strip_prefix("1/").or_else(|| rest.strip_prefix('/')) {
            let (r, atom) = self
                .unit_atom(r)
                .map_err(|_| nom::Err::Error(PError::new(i, Expected::Unit)))?;
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
        Err(nom::Err::Error(PError::new(i, Expected::Unit)))
    }
}
