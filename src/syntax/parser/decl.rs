//! Declarations and reactions: the rules `import`, `units`, `compartment`, `species`,
//! `input`, `param`, `let`, `chain`, `reaction` (with `side` and `term`), `override`
//! and `remove` of grammar/pathway.ebnf.

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::{char, digit1};

use super::expected::Expected;
use super::lexeme::is_ident_start;
use super::{Cx, PError, PResult, expect, fail, ws};
use crate::syntax::ast::*;

impl<'s> Cx<'s> {
    /// `import = "import" string ;`
    pub(super) fn import(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, (path, span)) = expect(i, Expected::FileName, |i| self.string(i))?;
        Ok((rest, Stmt::Import(Import { path, span })))
    }

    /// `units = "units" unit_setting { "," unit_setting } ;`
    /// `unit_setting = ( "time" | "concentration" ) "=" unit ;`
    pub(super) fn units(&self, i: &'s str) -> PResult<'s, Stmt> {
        let mut settings = Vec::new();
        let mut i = i;
        loop {
            let (rest, dimension) = expect(i, Expected::Dimension, |i| self.ident(i))?;
            if dimension.name != "time" && dimension.name != "concentration" {
                return fail(i, Expected::Dimension);
            }
            let rest = self.punct(ws(rest), "=", Expected::Equals)?;
            let (rest, unit) = expect(ws(rest), Expected::Unit, |i| self.unit(i))?;
            settings.push(UnitSetting { dimension, unit });
            match char::<_, PError>(',')(ws(rest)) {
                Ok((rest, _)) => i = ws(rest),
                Err(_) => return Ok((rest, Stmt::Units(settings))),
            }
        }
    }

    /// `compartment = "compartment" ident "=" quantity ;`
    pub(super) fn compartment(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, Expected::CompartmentName, |i| self.ident(i))?;
        let rest = self.punct(ws(rest), "=", Expected::Equals)?;
        let (rest, size) = self.value(ws(rest), Expected::Number)?;
        Ok((rest, Stmt::Compartment(Compartment { name, size })))
    }

    /// `species = "species" species_init { "," species_init } ;`
    /// `species_init = ident "=" quantity [ "in" ident ] ;`
    pub(super) fn species(&self, i: &'s str) -> PResult<'s, Stmt> {
        let mut inits = Vec::new();
        let mut i = i;
        loop {
            let (rest, name) = expect(i, Expected::SpeciesName, |i| self.ident(i))?;
            let rest = self.punct(ws(rest), "=", Expected::EqualsInitial)?;
            let (rest, initial) = self.value(ws(rest), Expected::Initial)?;
            let (rest, compartment) = match self.keyword(ws(rest), "in") {
                Some(rest) => {
                    let (rest, c) = expect(ws(rest), Expected::CompartmentName, |i| self.ident(i))?;
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
    pub(super) fn input(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, Expected::InputName, |i| self.ident(i))?;
        let rest = self.punct(ws(rest), "=", Expected::EqualsValue)?;
        let (rest, value) = self.value(ws(rest), Expected::Value)?;
        Ok((rest, Stmt::Input(Input { name, value })))
    }

    /// `param = "param" ident "=" expr [ range ] [ string ] ;`
    /// `range = "in" "[" number "," number "]" [ unit ] ;`
    ///
    /// An `expr` that is a lone quantity (`5 uM`, `-2`) is the parameter's own value;
    /// any other is the formula of a derived parameter.
    pub(super) fn param(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, Expected::ParamName, |i| self.ident(i))?;
        let rest = self.punct(ws(rest), "=", Expected::EqualsValue)?;
        let at = ws(rest);
        let (after, formula) = match expect(at, Expected::Value, |i| self.expr(i)) {
            Ok(ok) => ok,
            // A number the expression could not read (`1e999`) is reported as the
            // value's own error.
            Err(e) => {
                if at
                    .trim_start_matches('-')
                    .starts_with(|c: char| c.is_ascii_digit())
                {
                    self.value(at, Expected::Value)?;
                }
                return Err(e);
            }
        };
        // A number followed by `/name` with no blank after the slash is written as a
        // unit (`2 /sec`), so it is read as a value and a misspelt unit is one.
        let unit_shaped = self.quantity(at).is_ok_and(|(r, _)| {
            ws(r)
                .strip_prefix('/')
                .is_some_and(|u| u.starts_with(is_ident_start))
        });
        let lone = unit_shaped
            || self.quantity(at).is_ok()
                && match &formula.kind {
                    ExprKind::Number(_) => true,
                    ExprKind::Neg(a) => matches!(a.kind, ExprKind::Number(_)),
                    _ => false,
                };
        // A lone quantity is read again as a declaration's value, which reports a
        // misspelt unit (`2 sec`) as one rather than as stray text.
        let (mut rest, value) = if lone {
            let (rest, q) = self.value(at, Expected::Value)?;
            (rest, ParamValue::Quantity(q))
        } else {
            (after, ParamValue::Formula(formula))
        };
        let mut range = None;
        if let Some(after_in) = self.keyword(ws(rest), "in") {
            let start = ws(rest);
            let r = self.punct(ws(after_in), "[", Expected::OpenBracket)?;
            let (r, lo) = expect(ws(r), Expected::Number, |i| self.number(i))?;
            let r = self.punct(ws(r), ",", Expected::Comma)?;
            let (r, hi) = expect(ws(r), Expected::Number, |i| self.number(i))?;
            let r = self.punct(ws(r), "]", Expected::CloseBracket)?;
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
    pub(super) fn let_(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, Expected::Name, |i| self.ident(i))?;
        let rest = self.punct(ws(rest), "=", Expected::EqualsExpression)?;
        let (rest, expr) = expect(ws(rest), Expected::Expression, |i| self.expr(i))?;
        Ok((rest, Stmt::Let(Let { name, expr })))
    }

    /// `chain = "chain" ident link ident { link ident } ;`
    /// `link = "->" | "→" | "-|" | "⊣" ;`
    pub(super) fn chain(&self, i: &'s str) -> PResult<'s, Chain> {
        let start = i;
        let (mut rest, first) = expect(i, Expected::Name, |i| self.ident(i))?;
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
                Err(_) => return fail(at, Expected::Link),
            };
            let sign_span = self.span(at, after);
            let (after, target) = expect(ws(after), Expected::Name, |i| self.ident(i))?;
            links.push(Link {
                sign,
                sign_span,
                target,
            });
            rest = after;
        }
        let span = self.span(start, rest);
        Ok((rest, Chain { first, links, span }))
    }

    /// `override = "override" ( param | let | species | input | reaction ) ;`
    /// `keyword_end` is the rest after the `override` word, for its span.
    pub(super) fn override_(&self, i: &'s str, keyword_end: &'s str) -> PResult<'s, Stmt> {
        let span = self.span(self.before_keyword(keyword_end, "override"), keyword_end);
        let (rest, stmt) = match self.statement(i) {
            Ok(ok) => ok,
            Err(nom::Err::Error(_)) => return fail(i, Expected::Overridable),
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
                    Stmt::Reaction(_) => Expected::LabelledReaction,
                    Stmt::Species(_) => Expected::OneSpecies,
                    _ => Expected::Overridable,
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
    pub(super) fn remove(&self, i: &'s str) -> PResult<'s, Stmt> {
        let start = i;
        let (rest, target) = if let Some(r) = self.keyword(i, "species") {
            let (r, name) = expect(ws(r), Expected::SpeciesName, |i| self.ident(i))?;
            (r, RemoveTarget::Species(name))
        } else if let Some(r) = self.keyword(i, "reaction") {
            let (r, label) = expect(ws(r), Expected::ReactionLabel, |i| self.ident(i))?;
            (r, RemoveTarget::Reaction(label))
        } else if let Some(r) = self.keyword(i, "chain") {
            let (r, chain) = self.chain(ws(r))?;
            (r, RemoveTarget::Chain(chain))
        } else {
            return fail(i, Expected::Removable);
        };
        Ok((
            rest,
            Stmt::Remove(Remove {
                target,
                span: self.span(start, rest),
            }),
        ))
    }

    /// `reaction = [ ident ":" ] side arrow side rate ;`
    /// `arrow = "->" | "→" | "<->" | "⇌" ;`
    /// `rate = "@" expr [ "," expr ] | ";" expr ;`
    pub(super) fn reaction(&self, i: &'s str) -> PResult<'s, Stmt> {
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
                return Err(nom::Err::Error(PError::new(i, Expected::Statement)));
            }
            Err(_) => {
                return fail(
                    at,
                    if reactants.is_empty() {
                        Expected::SpeciesOrArrow
                    } else {
                        Expected::PlusOrArrow
                    },
                );
            }
        };
        let (rest, products) = self.side(ws(rest))?;
        let at = ws(rest);
        let (rest, rate) = if let Some(r) = at.strip_prefix('@') {
            let (r, forward) = expect(ws(r), Expected::RateConstant, |i| self.expr(i))?;
            let (r, reverse) = match char::<_, PError>(',')(ws(r)) {
                Ok((r, _)) => {
                    let (r, e) = expect(ws(r), Expected::ReverseRateConstant, |i| self.expr(i))?;
                    (r, Some(e))
                }
                Err(_) => (r, None),
            };
            (r, RateLaw::MassAction { forward, reverse })
        } else if let Some(r) = at.strip_prefix(';') {
            let (r, e) = expect(ws(r), Expected::RateLaw, |i| self.expr(i))?;
            (r, RateLaw::Explicit(e))
        } else if products.is_empty() && arrow == Arrow::Forward {
            return fail(at, Expected::ProductOrRate);
        } else {
            return fail(at, Expected::PlusOrRate);
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
            let (after, t) = expect(ws(after), Expected::Species, |i| self.term(i))?;
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
                    return fail(i, Expected::Stoichiometry);
                };
                (ws(rest), Some(Spanned { node: n, span }))
            }
            Err(_) => (i, None),
        };
        let (rest, species) = if stoich.is_some() {
            expect(rest, Expected::SpeciesAfterStoichiometry, |i| self.ident(i))?
        } else {
            self.ident(rest)?
        };
        Ok((rest, Term { stoich, species }))
    }
}
