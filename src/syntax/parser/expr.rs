//! Expressions: the rules `expr`, `product`, `unary`, `power` and `atom` of
//! grammar/pathway.ebnf, loosest binding first, and the two bounds on an expression
//! (how deeply the parser descends, how deep the tree grows) that keep every later
//! recursion over it within a thread's stack.

use super::expected::Expected;
use super::{Cx, PError, PResult, expect, fail, ws};
use crate::syntax::ast::*;

/// How deeply the parser descends into an expression: each parenthesis (around more
/// than a number or a name), argument list, negation and exponent one level, while a
/// chain of `+`, `-`, `*` or `/` is a loop and costs none. Measured in a debug build,
/// 64 levels of parentheses take the parser about 1.1 MiB of stack, which fits a test
/// thread's 2 MiB; without the bound, 200 levels overflowed it. Far beyond any rate
/// law written by hand.
pub(super) const MAX_NESTING: u32 = 64;

/// How deep an expression's tree may be, each operator, negation and call one level,
/// so a chain `a + b + c` is as deep as it has operators. Later stages recurse over
/// the tree (resolution, dimensions, expansion, derivatives, compilation, the
/// printer, SBML), and the deepest is `Expr::derivative`, 4.5 KiB of stack a level in
/// a debug build: a sum or a product of 450 terms passes every stage on a 2 MiB
/// thread, 480 terms overflow it. Half of that leaves room for the calls around the
/// recursion and for derivatives, which are deeper than what they differentiate.
pub(super) const MAX_DEPTH: u32 = 256;

impl<'s> Cx<'s> {
    /// Runs `p` one expression level deeper; fails at `i` beyond `MAX_NESTING`.
    fn nested<T>(&self, i: &'s str, p: impl FnOnce() -> PResult<'s, T>) -> PResult<'s, T> {
        let open = self.open.get();
        if open >= MAX_NESTING {
            return fail(i, Expected::Shallower);
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
            return Err(nom::Err::Failure(PError::new(at, Expected::Shorter)));
        }
        Ok(())
    }

    /// `expr = product { ( "+" | "-" ) product } ;`
    pub(super) fn expr(&self, i: &'s str) -> PResult<'s, Expr> {
        let (mut rest, mut lhs) = self.product(i)?;
        loop {
            let at = ws(rest);
            let op = match at.chars().next() {
                Some('+') => BinOp::Add,
                // `-|` and `->` end an expression in a chain or reaction, never subtract.
                Some('-') if !at.starts_with("-|") && !at.starts_with("->") => BinOp::Sub,
                _ => return Ok((rest, lhs)),
            };
            let (r, rhs) = expect(ws(&at[1..]), Expected::Operand, |i| self.product(i))?;
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
            let (r, rhs) = expect(ws(&at[1..]), Expected::Operand, |i| self.unary(i))?;
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
                self.nested(i, || expect(ws(r), Expected::Operand, |i| self.unary(i)))?;
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
                self.nested(at, || expect(ws(r), Expected::Exponent, |i| self.unary(i)))?;
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
                        self.nested(i, || expect(ws(r), Expected::Expression, |i| self.expr(i)))?;
                    (self.punct(ws(r), ")", Expected::CloseParen)?, inner)
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
            Err(_) => return Err(nom::Err::Error(PError::new(i, Expected::Atom))),
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
                    self.nested(at, || expect(r, Expected::Argument, |i| self.expr(i)))?;
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
                    return fail(after, Expected::CommaOrParen);
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
