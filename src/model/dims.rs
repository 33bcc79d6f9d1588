//! Dimensional analysis of expressions and rate laws.
//!
//! Runs after names resolve, over the AST (for spans) with the kinds of quantity the
//! model declares: species given with a unit are concentrations, compartments plain
//! numbers, and a parameter or input has the dimension of the unit it was written
//! with. A value written without a unit has no known dimension, so the analysis is
//! lenient: a model written without units is not checked at all, and the analysis
//! reports only what is wrong for certain (adding a time to a concentration, a rate
//! law that is not concentration per time, `exp` of a concentration) and stays quiet
//! wherever an operand's dimension is unknown.

use std::collections::HashMap;

use super::error::CheckError;
use super::units::{self, BaseUnits, Dim};
use super::{Model, ParamId, Var};
use crate::syntax::Span;
use crate::syntax::ast::{self, ExprKind, RateLaw, Stmt};

/// A plain number of no particular value: what `exp`, `hill` and products of bare
/// literals give. It fits anywhere a bare literal does, so a model without units
/// stays unchecked.
const PLAIN: D = D::Bare(f64::NAN);

/// What is known of an operand's dimension.
#[derive(Clone, Copy, Debug, PartialEq)]
enum D {
    Known(Dim),
    /// A name declared without a unit: in base units, of unknown dimension.
    Unknown,
    /// A literal without a unit: a plain number in a product, anything in a sum.
    Bare(f64),
}

impl D {
    /// As a factor of a product: a bare literal is a plain number.
    fn factor(self) -> Option<Dim> {
        match self {
            D::Known(d) => Some(d),
            D::Bare(_) => Some(Dim::NONE),
            D::Unknown => None,
        }
    }
}

/// Checks every expression of the model, and returns the dimension of each derived
/// parameter whose formula's dimension is known (it has no unit of its own).
pub(super) fn check<'a>(
    stmts: &[&'a Stmt],
    model: &'a Model,
    errors: &mut Vec<CheckError>,
) -> Vec<(ParamId, Dim)> {
    let mut env: HashMap<&str, D> = HashMap::new();
    // A species is a concentration; one whose initial value has no unit belongs to a
    // model written without units, where nothing is known and nothing is reported.
    for stmt in stmts {
        if let Stmt::Species(inits) = stmt {
            for s in inits {
                let d = if s.initial.unit.is_some() {
                    D::Known(Dim::CONC)
                } else {
                    D::Unknown
                };
                env.insert(&s.name.name, d);
            }
        }
    }
    // The default compartment (the one without a span) has no name a file can use.
    for c in model.compartments.iter().filter(|c| c.span.is_some()) {
        env.insert(&c.name, D::Known(Dim::NONE));
    }
    for p in &model.params {
        env.insert(&p.name, p.dim.map_or(D::Unknown, D::Known));
    }
    for i in &model.inputs {
        env.insert(&i.name, i.dim.map_or(D::Unknown, D::Known));
    }
    let lets: HashMap<&str, &ast::Let> = stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Let(l) => Some((l.name.name.as_str(), l)),
            _ => None,
        })
        .collect();
    let formulas: HashMap<&str, &ast::Expr> = stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Param(p) => match &p.value {
                ast::ParamValue::Formula(e) => Some((p.name.name.as_str(), e)),
                ast::ParamValue::Quantity(_) => None,
            },
            _ => None,
        })
        .collect();
    let mut cx = Cx { env, errors };
    // Lets and derived parameters in evaluation order, so each finds the dimensions
    // of what it reads; a derived parameter's dimension is its formula's.
    let mut derived = Vec::new();
    for v in &model.derivation {
        match *v {
            Var::Let(id) => {
                let l = &model.lets[id.index()];
                if let Some(ast) = lets.get(l.name.as_str()) {
                    let d = cx.expr(&ast.expr);
                    cx.env.insert(&l.name, d);
                }
            }
            Var::Param(id) => {
                let p = &model.params[id.index()];
                if let Some(ast) = formulas.get(p.name.as_str()) {
                    let d = match cx.expr(ast) {
                        D::Known(d) => {
                            derived.push((id, d));
                            D::Known(d)
                        }
                        // A formula of bare numbers is a plain number of unknown use.
                        _ => D::Unknown,
                    };
                    cx.env.insert(&p.name, d);
                }
            }
            _ => {}
        }
    }
    // Readouts in the order they read each other, as lets are.
    let readouts: HashMap<&str, &ast::Readout> = stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Readout(r) => Some((r.name.name.as_str(), r)),
            _ => None,
        })
        .collect();
    for r in &model.readouts {
        if let Some(ast) = readouts.get(r.name.as_str()) {
            let d = cx.expr(&ast.expr);
            cx.env.insert(&r.name, d);
        }
    }
    for stmt in stmts {
        cx.protocol(stmt, model.units);
    }
    for stmt in stmts {
        let Stmt::Reaction(r) = stmt else { continue };
        match &r.rate {
            RateLaw::Explicit(e) => {
                if let D::Known(d) = cx.expr(e)
                    && d != Dim::RATE
                {
                    cx.errors.push(CheckError::RateUnits {
                        span: e.span,
                        found: d.describe(),
                        expected: Dim::RATE.describe(),
                        order: None,
                    });
                }
            }
            RateLaw::MassAction { forward, reverse } => {
                cx.rate_constant(forward, &r.reactants);
                if let Some(reverse) = reverse {
                    cx.rate_constant(reverse, &r.products);
                }
            }
        }
    }
    derived
}

struct Cx<'a, 'e> {
    env: HashMap<&'a str, D>,
    errors: &'e mut Vec<CheckError>,
}

impl Cx<'_, '_> {
    /// Mass action: k·Π[S]^n must be concentration per time, so k must be
    /// concentration^(1−order) per time.
    fn rate_constant(&mut self, k: &ast::Expr, side: &[ast::Term]) {
        // Summed wide and clamped: a stoichiometry may be any u32.
        let order: i64 = side
            .iter()
            .map(|t| t.stoich.as_ref().map_or(1, |s| s.node as i64))
            .sum();
        let order = order.clamp(0, 1 << 20) as i32;
        let expected = Dim::RATE / Dim::CONC.powi(order);
        if let D::Known(d) = self.expr(k)
            && d != expected
        {
            self.errors.push(CheckError::RateUnits {
                span: k.span,
                found: d.describe(),
                expected: expected.describe(),
                order: Some(order),
            });
        }
    }

    /// The values of the protocol statements against what they set: an event's against
    /// its input, a genotype's `set` against its parameter, a half-life that names a
    /// parameter against a time, an expectation's value against its readout (an
    /// occlusion is a plain number).
    fn protocol(&mut self, stmt: &Stmt, units: BaseUnits) {
        match stmt {
            Stmt::Pk(pk) => {
                for o in [&pk.absorption, &pk.elimination] {
                    if let ast::Operand::Name(n) = o
                        && let Some(D::Known(d)) = self.env.get(n.name.as_str()).copied()
                        && d != Dim::TIME
                    {
                        self.errors.push(CheckError::HalfLifeNotATime {
                            span: n.span,
                            name: n.name.clone(),
                            found: d.describe(),
                        });
                    }
                }
            }
            Stmt::Genotype(g) => {
                for item in g.block.items() {
                    if let ast::GenotypeItem::Set(name, q) = item {
                        self.value(q, "parameter", Some(&name.name), units);
                    }
                }
            }
            Stmt::Experiment(e) => {
                for item in e.block.items() {
                    if let ast::ExperimentItem::Event(ev) = item {
                        self.value(&ev.value, "input", Some(&ev.input.name), units);
                    }
                }
            }
            Stmt::Expect(x) => {
                let left = match &x.lhs {
                    ast::Lhs::Measure(m) => Some(readout_of(&m.stat)),
                    ast::Lhs::Series { readout, .. } => Some(readout),
                    ast::Lhs::Occlusion { .. } => None,
                };
                self.margin(x, left);
                if let (ast::Rhs::Measure(m), Some(r)) = (&x.rhs, left)
                    && let Some(q) = &m.offset
                {
                    self.value(q, "readout", Some(&r.name), units);
                }
                match (&x.rhs, left) {
                    (ast::Rhs::Value(q), Some(r)) => self.value(q, "readout", Some(&r.name), units),
                    (ast::Rhs::Value(q), None) => {
                        self.check_value(q, "an occlusion", None, D::Known(Dim::NONE), units)
                    }
                    (ast::Rhs::Measure(scaled), left) => {
                        let m = &scaled.measure;
                        let right = readout_of(&m.stat);
                        let dl = match left {
                            Some(r) => self.env.get(r.name.as_str()).copied(),
                            None => Some(D::Known(Dim::NONE)),
                        };
                        let dr = self.env.get(right.name.as_str()).copied();
                        if let (Some(D::Known(a)), Some(D::Known(b))) = (dl, dr)
                            && a != b
                        {
                            self.errors.push(CheckError::ReadoutsDisagree {
                                span: m.span,
                                left: left.map_or("occlusion".to_string(), |r| r.name.clone()),
                                left_kind: a.describe(),
                                right: right.name.clone(),
                                right_kind: b.describe(),
                            });
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// An expectation's margin with a unit has the kind of the readout it is compared
    /// with (a percent is of the target, and so has none).
    fn margin(&mut self, x: &ast::Expect, left: Option<&ast::Ident>) {
        let Some(m) = &x.margin else { return };
        let Some(unit) = &m.value.unit else { return };
        let (name, want) = match left {
            Some(r) => (r.name.clone(), self.env.get(r.name.as_str()).copied()),
            None => ("occlusion".to_string(), Some(D::Known(Dim::NONE))),
        };
        let found = units::dim(unit);
        if let Some(D::Known(want)) = want
            && found != want
        {
            self.errors.push(CheckError::MarginUnit {
                span: m.value.span,
                readout: name,
                readout_kind: want.describe(),
                found: found.describe(),
            });
        }
    }

    /// A value written with a unit for the declared name `name`, whose kind it must
    /// have where that kind is known.
    fn value(
        &mut self,
        q: &ast::Quantity,
        kind: &'static str,
        name: Option<&str>,
        units: BaseUnits,
    ) {
        let target = name
            .and_then(|n| self.env.get(n).copied())
            .unwrap_or(D::Unknown);
        self.check_value(q, kind, name, target, units);
    }

    fn check_value(
        &mut self,
        q: &ast::Quantity,
        kind: &'static str,
        name: Option<&str>,
        target: D,
        units: BaseUnits,
    ) {
        let (Some(unit), D::Known(want)) = (&q.unit, target) else {
            return;
        };
        let found = units::dim(unit);
        if found != want {
            self.errors.push(CheckError::ValueOfOtherKind {
                span: q.span,
                kind,
                name: name.map(str::to_string),
                expected: want.describe(),
                found: found.describe(),
                unit: unit_text(want, units),
            });
        }
    }

    fn disagree(&mut self, span: Span, what: &'static str, a: Dim, b: Dim) {
        self.errors.push(CheckError::DimensionsDisagree {
            span,
            what,
            left: a.describe(),
            right: b.describe(),
        });
    }

    fn expr(&mut self, e: &ast::Expr) -> D {
        match &e.kind {
            ExprKind::Number(q) => match &q.unit {
                Some(u) => D::Known(units::dim(u)),
                None => D::Bare(q.number.value),
            },
            ExprKind::Name(id) => self
                .env
                .get(id.name.as_str())
                .copied()
                .unwrap_or(D::Unknown),
            ExprKind::Neg(a) => match self.expr(a) {
                D::Bare(v) => D::Bare(-v),
                d => d,
            },
            ExprKind::Binary(op, a, b) => {
                let (da, db) = (self.expr(a), self.expr(b));
                match op {
                    ast::BinOp::Add | ast::BinOp::Sub => {
                        let what = if *op == ast::BinOp::Add {
                            "add"
                        } else {
                            "subtract"
                        };
                        self.same(e.span, what, da, db)
                    }
                    // A product of plain numbers is a plain number, not a quantity whose
                    // dimension is known from units.
                    ast::BinOp::Mul | ast::BinOp::Div
                        if matches!((da, db), (D::Bare(_), D::Bare(_))) =>
                    {
                        PLAIN
                    }
                    ast::BinOp::Mul => match (da.factor(), db.factor()) {
                        (Some(x), Some(y)) => D::Known(x * y),
                        _ => D::Unknown,
                    },
                    ast::BinOp::Div => match (da.factor(), db.factor()) {
                        (Some(x), Some(y)) => D::Known(x / y),
                        _ => D::Unknown,
                    },
                    ast::BinOp::Pow => self.power(b.span, da, db),
                }
            }
            ExprKind::Call(name, args) => {
                let d: Vec<D> = args.iter().map(|a| self.expr(a)).collect();
                let span = |k: usize| args.get(k).map_or(e.span, |a| a.span);
                match (name.name.as_str(), d.as_slice()) {
                    ("hill" | "inhibit", [x, k, n]) => {
                        self.same(e.span, "compare", *x, *k);
                        self.plain(span(2), name_of(&name.name), *n);
                        PLAIN
                    }
                    ("mm", [s, vmax, km]) => {
                        self.same(e.span, "compare", *s, *km);
                        match vmax {
                            D::Bare(_) => PLAIN,
                            other => *other,
                        }
                    }
                    ("exp" | "ln", [x]) => {
                        self.plain(span(0), name_of(&name.name), *x);
                        PLAIN
                    }
                    ("pow", [a, b]) => self.power(span(1), *a, *b),
                    // x at the start of the run, of x's kind.
                    ("baseline", [x]) => *x,
                    ("min" | "max", [a, b]) => self.same(e.span, "compare", *a, *b),
                    // Wrong arity or an unknown function was reported by the checker.
                    _ => D::Unknown,
                }
            }
        }
    }

    /// Both operands must have one dimension where both are known.
    fn same(&mut self, span: Span, what: &'static str, a: D, b: D) -> D {
        match (a, b) {
            (D::Known(x), D::Known(y)) if x != y => {
                self.disagree(span, what, x, y);
                D::Unknown
            }
            (D::Known(x), _) | (_, D::Known(x)) => D::Known(x),
            (D::Bare(_), D::Bare(v)) => D::Bare(v),
            _ => D::Unknown,
        }
    }

    /// An argument that must be a plain number: exponents, Hill coefficients, the
    /// arguments of `exp` and `ln`.
    fn plain(&mut self, span: Span, func: &'static str, d: D) {
        if let D::Known(x) = d
            && x != Dim::NONE
        {
            self.errors.push(CheckError::NotDimensionless {
                span,
                func,
                found: x.describe(),
            });
        }
    }

    fn power(&mut self, exponent_span: Span, base: D, exponent: D) -> D {
        self.plain(exponent_span, "an exponent", exponent);
        match (base, exponent) {
            (D::Known(b), _) if b == Dim::NONE => D::Known(Dim::NONE),
            (D::Bare(_), _) => PLAIN,
            (D::Known(b), D::Bare(n)) if n == n.trunc() && n.abs() <= 64.0 => {
                D::Known(b.powi(n as i32))
            }
            _ => D::Unknown,
        }
    }
}

/// Static names for messages.
fn name_of(func: &str) -> &'static str {
    match func {
        "hill" => "the Hill coefficient of `hill`",
        "inhibit" => "the Hill coefficient of `inhibit`",
        "exp" => "the argument of `exp`",
        "ln" => "the argument of `ln`",
        _ => "this argument",
    }
}

/// A dimension as the unit that writes it in base units (`/uM/min`, `uM/min`, `min`),
/// if the language can write it: at most one unit in the numerator, none squared.
fn unit_text(d: Dim, units: BaseUnits) -> Option<String> {
    let (time, conc) = (units.time.as_str(), units.concentration.as_str());
    let mut text = match (d.time, d.conc) {
        (0, 0) => return None,
        (1, c) if c <= 0 => time.to_string(),
        (t, 1) if t <= 0 => conc.to_string(),
        (t, c) if t <= 0 && c <= 0 => String::new(),
        _ => return None,
    };
    for _ in 0..(-d.conc).clamp(0, 8) {
        text.push('/');
        text.push_str(conc);
    }
    for _ in 0..(-d.time).clamp(0, 8) {
        text.push('/');
        text.push_str(time);
    }
    Some(text)
}

/// The readout a statistic is of.
fn readout_of(stat: &ast::Stat) -> &ast::Ident {
    match stat {
        ast::Stat::At { readout, .. }
        | ast::Stat::Window { readout, .. }
        | ast::Stat::Change { readout, .. } => readout,
    }
}
