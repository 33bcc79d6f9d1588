//! Protocols: the rules `pk`, `readout`, `genotype`, `experiment` (their items,
//! events, runs and times, and the `block` and `block_line` that hold them) and
//! `expect` (with `measure`, `stat`, `occlusion` and `comparison`) of
//! grammar/pathway.ebnf. A block written over several lines is filled here from the
//! lines after its header, up to its `}`.

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::tag;

use super::expected::Expected;
use super::lexeme::{KEYWORDS, is_ident_continue, is_ident_start};
use super::{Cx, PError, PResult, expect, fail, split_comment, ws};
use crate::syntax::ast::*;
use crate::syntax::diagnostic::Diagnostic;

impl<'s> Cx<'s> {
    /// `pk = "pk" ident "absorption" "=" operand "," "elimination" "=" operand ;`
    /// `operand = quantity | ident ;`
    pub(super) fn pk(&self, i: &'s str) -> PResult<'s, Stmt> {
        let start = i;
        let (rest, input) = expect(i, Expected::InputName, |i| self.ident(i))?;
        let rest = self.word(ws(rest), "absorption", Expected::Absorption)?;
        let rest = self.punct(ws(rest), "=", Expected::EqualsHalfLife)?;
        let (rest, absorption) = self.operand(ws(rest))?;
        let rest = self.punct(ws(rest), ",", Expected::CommaElimination)?;
        let rest = self.word(ws(rest), "elimination", Expected::Elimination)?;
        let rest = self.punct(ws(rest), "=", Expected::EqualsHalfLife)?;
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
        let (rest, name) = expect(i, Expected::HalfLife, |i| self.ident(i))?;
        Ok((rest, Operand::Name(name)))
    }

    /// `readout = "readout" ident "=" expr ;`
    pub(super) fn readout(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, Expected::ReadoutName, |i| self.ident(i))?;
        let rest = self.punct(ws(rest), "=", Expected::EqualsExpression)?;
        let (rest, expr) = expect(ws(rest), Expected::Expression, |i| self.expr(i))?;
        Ok((rest, Stmt::Readout(Readout { name, expr })))
    }

    /// `genotype = "genotype" ident block ;`
    pub(super) fn genotype(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, Expected::GenotypeName, |i| self.ident(i))?;
        let (rest, block) = self.block_open(ws(rest), |i| self.genotype_item(i))?;
        Ok((rest, Stmt::Genotype(Genotype { name, block })))
    }

    /// `genotype_item = "knockout" ident | "disable" ident | "set" ident "=" quantity ;`
    pub(super) fn genotype_item(&self, i: &'s str) -> PResult<'s, GenotypeItem> {
        let (rest, word) = expect(i, Expected::GenotypeItem, |i| self.ident(i))?;
        let rest = ws(rest);
        match word.name.as_str() {
            "knockout" => {
                let (rest, s) = expect(rest, Expected::SpeciesName, |i| self.ident(i))?;
                Ok((rest, GenotypeItem::Knockout(s)))
            }
            "disable" => {
                let (rest, r) = expect(rest, Expected::ReactionLabel, |i| self.ident(i))?;
                Ok((rest, GenotypeItem::Disable(r)))
            }
            "set" => {
                let (rest, p) = expect(rest, Expected::ParamName, |i| self.ident(i))?;
                let rest = self.punct(ws(rest), "=", Expected::EqualsValue)?;
                let (rest, q) = self.value(ws(rest), Expected::Value)?;
                Ok((rest, GenotypeItem::Set(p, q)))
            }
            _ => fail(i, Expected::GenotypeItem),
        }
    }

    /// `experiment = "experiment" ident [ string ] [ "extends" ident ] block ;`
    pub(super) fn experiment(&self, i: &'s str) -> PResult<'s, Stmt> {
        let (rest, name) = expect(i, Expected::ExperimentName, |i| self.ident(i))?;
        let (mut rest, description) = self.note(rest)?;
        let mut extends = None;
        if let Some(r) = self.keyword(ws(rest), "extends") {
            let (r, parent) = expect(ws(r), Expected::Parent, |i| self.ident(i))?;
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
    pub(super) fn experiment_item(&self, i: &'s str) -> PResult<'s, ExperimentItem> {
        let (rest, word) = expect(i, Expected::ExperimentItem, |i| self.ident(i))?;
        let rest = ws(rest);
        match word.name.as_str() {
            "genotype" => {
                let (rest, g) = expect(rest, Expected::GenotypeName, |i| self.ident(i))?;
                Ok((rest, ExperimentItem::Genotype(g)))
            }
            "start" => {
                let (r, how) = expect(rest, Expected::Start, |i| self.ident(i))?;
                if how.name != "steady" && how.name != "initial" {
                    return fail(rest, Expected::Start);
                }
                Ok((r, ExperimentItem::Start(how)))
            }
            "run" => {
                let (r, until) = self.time(rest)?;
                let r = self.word(ws(r), "every", Expected::Every)?;
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
                    let after = self.word(ws(after), "for", Expected::For)?;
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
                    return fail(at_action, Expected::Action);
                };
                let (r, input) = expect(ws(r), Expected::InputName, |i| self.ident(i))?;
                let r = self.punct(ws(r), "=", Expected::EqualsValue)?;
                let (r, value) = expect(ws(r), Expected::Value, |i| self.quantity(i))?;
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
            _ => fail(i, Expected::ExperimentItem),
        }
    }

    /// `time = quantity { "+" quantity } ;`
    pub(super) fn time(&self, i: &'s str) -> PResult<'s, Time> {
        let (mut rest, first) = expect(i, Expected::Time, |i| self.quantity(i))?;
        let mut terms = vec![first];
        while let Some(after) = ws(rest).strip_prefix('+') {
            let (r, q) = expect(ws(after), Expected::LaterTime, |i| self.quantity(i))?;
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
    pub(super) fn block_open<T>(
        &self,
        i: &'s str,
        item: impl Fn(&'s str) -> PResult<'s, T>,
    ) -> PResult<'s, Block<T>> {
        let r = self.punct(i, "{", Expected::OpenBrace)?;
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
        r = self.punct(ws(r), "}", Expected::SemicolonOrBrace)?;
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
    pub(super) fn block_lines<'t, T>(
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
                Ok((rest, _)) => Err(PError::new(ws(rest), Expected::SemicolonOrEnd)),
                Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
                Err(nom::Err::Incomplete(_)) => Err(PError::new(start, Expected::Item)),
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

    /// `expect = "expect" ( ( measure | occlusion ) comparison | series comparison quantified ) { expect_option } [ string ] ;`
    /// `comparison = ( "<" | ">" | "<=" | ">=" ) rhs | ( "≈" | "~" ) rhs "within" number [ "%" ] ;`
    /// `rhs = quantity | [ quantity ( "+" | "-" ) ] [ number "*" ] measure ;`
    /// `quantified = ( "always" | "once" ) ( "over" | "between" ) "[" time "," time "]" ;`
    /// `expect_option = "weight" number | "margin" quantity [ "%" ] ;`
    pub(super) fn expect(&self, i: &'s str) -> PResult<'s, Stmt> {
        let start = i;
        let (rest, lhs) = if let Some(r) = self.keyword(i, "occlusion") {
            let r = self.punct(ws(r), "(", Expected::OpenParenOcclusion)?;
            let (r, a) = expect(ws(r), Expected::ExperimentName, |i| self.ident(i))?;
            let r = self.punct(ws(r), ",", Expected::SecondExperiment)?;
            let (r, b) = expect(ws(r), Expected::ExperimentName, |i| self.ident(i))?;
            let r = self.punct(ws(r), ",", Expected::CommaReadout)?;
            let (r, readout) = expect(ws(r), Expected::ReadoutName, |i| self.ident(i))?;
            let r = self.word(ws(r), "at", Expected::AtTime)?;
            let (r, at) = self.time(ws(r))?;
            let r = self.punct(ws(r), ")", Expected::CloseParen)?;
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
        } else if let Some((r, experiment, readout)) = self.series(i) {
            let span = self.span(i, r);
            (
                r,
                Lhs::Series {
                    experiment,
                    readout,
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
        .map_err(|_| nom::Err::Failure(PError::new(at, Expected::Comparison)))?;
        let (mut rest, rhs) = self.rhs(ws(rest))?;
        let mut tolerance = None;
        if op == Cmp::Approx {
            let r = self.word(ws(rest), "within", Expected::Within)?;
            let t = ws(r);
            let (r, value) = expect(t, Expected::Tolerance, |i| self.number(i))?;
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
        let mut window = None;
        if let Lhs::Series { .. } = lhs {
            let (r, w) = self.quantified(ws(rest))?;
            window = Some(Box::new(w));
            rest = r;
        }
        let (mut weight, mut margin) = (None, None);
        loop {
            let at = ws(rest);
            if let (None, Some(r)) = (&weight, self.keyword(at, "weight")) {
                let (r, w) = expect(ws(r), Expected::Weight, |i| self.number(i))?;
                weight = Some(w);
                rest = r;
            } else if let (None, Some(r)) = (&margin, self.keyword(at, "margin")) {
                let m = ws(r);
                let (r, value) = expect(m, Expected::Margin, |i| self.quantity(i))?;
                let (r, percent) = match (&value.unit, ws(r).strip_prefix('%')) {
                    (None, Some(r)) => (r, true),
                    _ => (r, false),
                };
                margin = Some(Box::new(Margin {
                    value,
                    percent,
                    span: self.span(m, r),
                }));
                rest = r;
            } else {
                break;
            }
        }
        let (rest, note) = self.note(rest)?;
        Ok((
            rest,
            Stmt::Expect(Expect {
                lhs,
                op,
                rhs,
                tolerance,
                window,
                weight,
                margin,
                note,
                span: self.span(start, rest),
            }),
        ))
    }

    /// `series = ident ":" ident ;` followed by a comparison: a readout with no
    /// statistic, judged over a window. `None` when `i` is not one, so `measure` reads
    /// it and says what it lacks.
    fn series(&self, i: &'s str) -> Option<(&'s str, Ident, Ident)> {
        let (r, experiment) = self.ident(i).ok()?;
        let r = ws(r).strip_prefix(':')?;
        let (r, readout) = self.ident(ws(r)).ok()?;
        let next = ws(r);
        next.starts_with(['<', '>', '≈', '~'])
            .then_some((r, experiment, readout))
    }

    /// `rhs = quantity | [ quantity ( "+" | "-" ) ] [ number "*" ] measure ;`
    /// The offset comes first, so a `+` after a measure's time is always a term of
    /// that time.
    fn rhs(&self, at: &'s str) -> PResult<'s, Rhs> {
        let unexpected = |_| nom::Err::Failure(PError::new(at, Expected::ValueOrMeasure));
        let Ok((r, q)) = self.quantity(at) else {
            let (r, measure) = self.measure(at).map_err(unexpected)?;
            let scaled = Scaled {
                offset: None,
                minus: false,
                factor: None,
                measure,
            };
            return Ok((r, Rhs::Measure(Box::new(scaled))));
        };
        let after = ws(r);
        let sign = match after.chars().next() {
            Some('+') => Some(false),
            Some('-') => Some(true),
            _ => None,
        };
        if let Some(minus) = sign {
            // `OFFSET ± [FACTOR *] MEASURE`
            let m = ws(&after[1..]);
            let (m, factor) = self.factor(m);
            let (r, measure) = self.scaled_measure(m)?;
            let scaled = Scaled {
                offset: Some(q),
                minus,
                factor,
                measure,
            };
            return Ok((r, Rhs::Measure(Box::new(scaled))));
        }
        let (m, factor) = self.factor(at);
        if factor.is_some() {
            let (r, measure) = self.scaled_measure(m)?;
            let scaled = Scaled {
                offset: None,
                minus: false,
                factor,
                measure,
            };
            return Ok((r, Rhs::Measure(Box::new(scaled))));
        }
        Ok((r, Rhs::Value(q)))
    }

    /// The measure after a factor or an offset, which must be there.
    fn scaled_measure(&self, i: &'s str) -> PResult<'s, Measure> {
        if !i.starts_with(is_ident_start) {
            return fail(i, Expected::ScaledMeasure);
        }
        self.measure(i)
    }

    /// `number "*"`, or nothing (the input unread) when `i` does not start with one.
    fn factor(&self, i: &'s str) -> (&'s str, Option<Number>) {
        match self.number(i) {
            Ok((r, n)) => match ws(r).strip_prefix('*') {
                Some(r) => (ws(r), Some(n)),
                None => (i, None),
            },
            Err(_) => (i, None),
        }
    }

    /// `quantified = ( "always" | "once" ) ( "over" | "between" ) "[" time "," time "]" ;`
    fn quantified(&self, i: &'s str) -> PResult<'s, Quantified> {
        let (r, quantifier) = if let Some(r) = self.keyword(i, "always") {
            (r, Quantifier::Always)
        } else if let Some(r) = self.keyword(i, "once") {
            (r, Quantifier::Once)
        } else {
            return fail(i, Expected::Quantifier);
        };
        let w = ws(r);
        let r = match self.keyword(w, "between") {
            Some(r) => r,
            None => self.word(w, "over", Expected::Over)?,
        };
        let r = self.punct(ws(r), "[", Expected::OpenBracket)?;
        let (r, from) = self.time(ws(r))?;
        let r = self.punct(ws(r), ",", Expected::Comma)?;
        let (r, to) = self.time(ws(r))?;
        let r = self.punct(ws(r), "]", Expected::CloseBracket)?;
        Ok((
            r,
            Quantified {
                quantifier,
                from,
                to,
                span: self.span(i, r),
            },
        ))
    }

    /// `measure = ident ":" stat ;`
    /// `stat = ( "max" | "min" | "mean" ) ident "over" "[" time "," time "]" | ident "from" time "to" time | ident "at" time ;`
    fn measure(&self, i: &'s str) -> PResult<'s, Measure> {
        let (r, experiment) = expect(i, Expected::ExperimentName, |i| self.ident(i))?;
        let r = self.punct(ws(r), ":", Expected::Colon)?;
        let at = ws(r);
        let (r, first) = expect(at, Expected::ReadoutName, |i| self.ident(i))?;
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
                let r = self.word(ws(r), "over", Expected::Over)?;
                let r = self.punct(ws(r), "[", Expected::OpenBracket)?;
                let (r, from) = self.time(ws(r))?;
                let r = self.punct(ws(r), ",", Expected::Comma)?;
                let (r, to) = self.time(ws(r))?;
                let r = self.punct(ws(r), "]", Expected::CloseBracket)?;
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
                    let r = self.word(ws(r), "to", Expected::To)?;
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
                    return fail(following, Expected::Stat);
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
