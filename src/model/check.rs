//! The checker: parsed files (imports first) in, a `Model` or every error out.

use std::collections::HashMap;

mod diff;
mod protocol;
mod suggest;

pub use suggest::{MAX_COMPARED_CHARS, SUGGESTION_BUDGET, Suggestions};
pub(crate) use suggest::{look_alikes_in, script};

use super::error::CheckError;
use super::expr::{self, Expr, Func, Var};
use super::units::{self, BaseUnits, Dim};
use super::*;
use crate::syntax::ast::{self, Stmt, UnitAtom};
use crate::syntax::{Diagnostic, Span};

/// Checks files that were parsed without error, given in dependency order (every file
/// after the files it imports), and builds the model they describe together.
pub fn check(files: &[ast::File]) -> Result<Model, Vec<Diagnostic>> {
    let mut cx = Checker {
        errors: Vec::new(),
        symbols: HashMap::new(),
        units: BaseUnits::default(),
        labels: HashMap::new(),
        in_readout: false,
        baselines: Vec::new(),
        pk_written: Vec::new(),
        suggestions: Suggestions::new(),
    };
    let written: Vec<&Stmt> = files
        .iter()
        .flat_map(|f| f.lines.iter().filter_map(|l| l.stmt.as_ref()))
        .collect();
    let applied = cx.apply_diffs(&written);
    let stmts: Vec<&Stmt> = applied.iter().collect();
    cx.units(&stmts);
    let mut model = cx.build(&stmts);
    // Dimensions are checked only once every name resolves, so an unknown name is
    // reported once, not again as a quantity of unknown kind.
    if cx.errors.is_empty() {
        for (id, dim) in super::dims::check(&stmts, &model, &mut cx.errors) {
            model.params[id.index()].dim = Some(dim);
        }
    }
    if cx.errors.is_empty() {
        Ok(model)
    } else {
        // Report in reading order: by file, then by place in the file.
        let mut diagnostics: Vec<Diagnostic> =
            cx.errors.iter().map(CheckError::diagnostic).collect();
        diagnostics.sort_by_key(|d| d.primary.as_ref().map(|(span, _)| (span.file, span.start)));
        Err(diagnostics)
    }
}

struct Checker {
    errors: Vec<CheckError>,
    symbols: HashMap<String, (Var, Span)>,
    units: BaseUnits,
    labels: HashMap<String, Span>,
    /// Whether the expression being checked is a readout's, where readouts and
    /// `baseline(...)` may be used.
    in_readout: bool,
    /// The arguments of the `baseline(...)` calls met so far.
    baselines: Vec<Expr>,
    /// The inputs a `pk` statement names, whether or not it checked.
    pk_written: Vec<String>,
    /// Did-you-mean suggestions, within one budget for the whole run.
    suggestions: Suggestions,
}

impl Checker {
    /// Reads every `units` line; all must agree.
    fn units(&mut self, stmts: &[&Stmt]) {
        let mut time: Option<(UnitAtom, Span)> = None;
        let mut conc: Option<(UnitAtom, Span)> = None;
        for stmt in stmts {
            let Stmt::Units(settings) = stmt else {
                continue;
            };
            for s in settings {
                let is_time = s.dimension.name == "time";
                let dimension = if is_time { "time" } else { "concentration" };
                let atom = match s.unit.factors.as_slice() {
                    [(atom, 1)] if units::is_time(*atom) == is_time => *atom,
                    _ => {
                        self.errors.push(CheckError::UnitsWrongDimension {
                            span: s.unit.span,
                            dimension,
                        });
                        continue;
                    }
                };
                let slot = if is_time { &mut time } else { &mut conc };
                match slot {
                    Some((first, first_span)) if *first != atom => {
                        self.errors.push(CheckError::UnitsDisagree {
                            span: s.unit.span,
                            first: *first_span,
                            dimension,
                        })
                    }
                    Some(_) => {}
                    None => *slot = Some((atom, s.unit.span)),
                }
            }
        }
        if let Some((t, _)) = time {
            self.units.time = t;
        }
        if let Some((c, _)) = conc {
            self.units.concentration = c;
        }
    }

    fn declare(&mut self, name: &ast::Ident, var: Var) {
        match self.symbols.get(&name.name) {
            Some((_, first)) => self.errors.push(CheckError::Duplicate {
                span: name.span,
                first: *first,
                name: name.name.clone(),
            }),
            None => {
                self.symbols.insert(name.name.clone(), (var, name.span));
            }
        }
    }

    fn build(&mut self, stmts: &[&Stmt]) -> Model {
        let mut model = Model {
            units: self.units,
            compartments: vec![Compartment {
                name: "default".to_string(),
                size: 1.0,
                span: None,
            }],
            species: Vec::new(),
            params: Vec::new(),
            inputs: Vec::new(),
            lets: Vec::new(),
            reactions: Vec::new(),
            chains: Vec::new(),
            pks: Vec::new(),
            genotypes: Vec::new(),
            readouts: Vec::new(),
            baselines: Vec::new(),
            experiments: Vec::new(),
            expectations: Vec::new(),
            derivation: Vec::new(),
        };

        // Declare every name first, so uses may come before definitions and across
        // files. Lets get their ids in evaluation order (see `order_lets`).
        let mut species_decls = Vec::new();
        let mut compartment_decls = Vec::new();
        let mut param_decls = Vec::new();
        let mut input_decls = Vec::new();
        let mut let_decls = Vec::new();
        for stmt in stmts {
            match stmt {
                Stmt::Compartment(c) => {
                    let id = CompartmentId((compartment_decls.len() + 1) as u32);
                    self.declare(&c.name, Var::Compartment(id));
                    compartment_decls.push(c);
                }
                Stmt::Species(inits) => {
                    for s in inits {
                        self.declare(&s.name, Var::Species(SpeciesId(species_decls.len() as u32)));
                        species_decls.push(s);
                    }
                }
                Stmt::Param(p) => {
                    self.declare(&p.name, Var::Param(ParamId(param_decls.len() as u32)));
                    param_decls.push(p);
                }
                Stmt::Input(i) => {
                    self.declare(&i.name, Var::Input(InputId(input_decls.len() as u32)));
                    input_decls.push(i);
                }
                Stmt::Let(l) => let_decls.push(l),
                _ => {}
            }
        }
        let let_decls = self.order_lets(let_decls);
        for (k, l) in let_decls.iter().enumerate() {
            self.declare(&l.name, Var::Let(LetId(k as u32)));
        }

        for c in &compartment_decls {
            let size = if let Some(u) = &c.size.unit {
                self.errors
                    .push(CheckError::CompartmentUnit { span: u.span });
                f64::NAN
            } else {
                c.size.number.value
            };
            if size.is_finite() && size <= 0.0 {
                self.errors.push(CheckError::BadCompartmentSize {
                    span: c.size.span,
                    name: c.name.name.clone(),
                });
            }
            model.compartments.push(Compartment {
                name: c.name.name.clone(),
                size,
                span: Some(c.name.span),
            });
        }
        for s in &species_decls {
            let initial = self.quantity(&s.initial, Some((Dim::CONC, "a concentration")));
            if initial < 0.0 {
                self.errors.push(CheckError::NegativeInitial {
                    span: s.initial.span,
                    name: s.name.name.clone(),
                });
            }
            let compartment = match &s.compartment {
                None => CompartmentId(0),
                Some(c) => match self.lookup(c) {
                    Some(Var::Compartment(id)) => id,
                    Some(other) => {
                        self.wrong_kind(c, other, "a compartment");
                        CompartmentId(0)
                    }
                    None => CompartmentId(0),
                },
            };
            model.species.push(Species {
                name: s.name.name.clone(),
                initial,
                compartment,
                span: s.name.span,
            });
        }
        for p in &param_decls {
            let (value, formula, range, dim) = match &p.value {
                ast::ParamValue::Quantity(q) => {
                    let value = self.quantity(q, None);
                    let range = p.range.as_ref().and_then(|r| self.range(q, r, value));
                    (value, None, range, q.unit.as_ref().map(units::dim))
                }
                ast::ParamValue::Formula(e) => {
                    if let Some(r) = &p.range {
                        self.errors.push(CheckError::DerivedHasRange {
                            span: r.span,
                            name: p.name.name.clone(),
                        });
                    }
                    let formula = Derived {
                        expr: self.expr(e),
                        span: e.span,
                    };
                    // Its value is derived below and its dimension found by `dims`.
                    (f64::NAN, Some(formula), None, None)
                }
            };
            model.params.push(Param {
                name: p.name.name.clone(),
                value,
                formula,
                range,
                note: p.note.as_ref().map(|n| n.text.clone()),
                dim,
                span: p.name.span,
            });
        }
        for i in &input_decls {
            let value = self.quantity(&i.value, None);
            if value < 0.0 && i.value.unit.as_ref().map(units::dim) == Some(Dim::CONC) {
                self.errors.push(CheckError::NegativeInput {
                    span: i.value.span,
                    name: i.name.name.clone(),
                });
            }
            model.inputs.push(Input {
                name: i.name.name.clone(),
                value,
                dim: i.value.unit.as_ref().map(units::dim),
                span: i.name.span,
            });
        }
        for l in &let_decls {
            let expr = self.expr(&l.expr);
            model.lets.push(Let {
                name: l.name.name.clone(),
                expr,
                span: l.name.span,
            });
        }
        // Derived before the reactions are built: a mass-action constant's sign is
        // checked at its value.
        model.derivation = self.derivation_order(&model);
        if self.errors.is_empty()
            && let Err(e) = model.derive()
            && let Some(formula) = &model.params[e.param.index()].formula
        {
            self.errors.push(CheckError::DerivedNotFinite {
                span: formula.span,
                name: e.name,
                value: e.value,
                reads: reads_shown(&model, &formula.expr),
            });
        }
        for stmt in stmts {
            match stmt {
                Stmt::Reaction(r) => {
                    if let Some(reaction) = self.reaction(r, &model) {
                        model.reactions.push(reaction);
                    }
                }
                Stmt::Chain(c) => {
                    if let Some(chain) = self.chain(c) {
                        model.chains.push(chain);
                    }
                }
                _ => {}
            }
        }
        self.protocols(stmts, &mut model);
        model
    }

    /// Sorts lets so each comes after the lets it reads, reporting cycles.
    fn order_lets<'a>(&mut self, lets: Vec<&'a ast::Let>) -> Vec<&'a ast::Let> {
        let index: HashMap<&str, usize> = lets
            .iter()
            .enumerate()
            .map(|(k, l)| (l.name.name.as_str(), k))
            .collect();
        let deps: Vec<Vec<usize>> = lets
            .iter()
            .map(|l| {
                let mut d = Vec::new();
                names_in(&l.expr, &mut |n| {
                    if let Some(&k) = index.get(n) {
                        d.push(k);
                    }
                });
                d
            })
            .collect();
        // Depth-first post-order; 0 = unvisited, 1 = on the stack, 2 = done.
        let mut state = vec![0u8; lets.len()];
        let mut order = Vec::new();
        let mut reported = vec![false; lets.len()];
        for start in 0..lets.len() {
            let mut stack: Vec<(usize, usize)> = Vec::new();
            if state[start] != 0 {
                continue;
            }
            state[start] = 1;
            stack.push((start, 0));
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if let Some(&dep) = deps[node].get(*next) {
                    *next += 1;
                    match state[dep] {
                        0 => {
                            state[dep] = 1;
                            stack.push((dep, 0));
                        }
                        1 => {
                            // A cycle: the stack from `dep` to the top goes round.
                            let from = stack.iter().position(|&(n, _)| n == dep).unwrap_or(0);
                            let cycle: Vec<usize> = stack[from..].iter().map(|&(n, _)| n).collect();
                            if !cycle.iter().any(|&n| reported[n]) {
                                let mut names: Vec<String> =
                                    cycle.iter().map(|&n| lets[n].name.name.clone()).collect();
                                names.push(lets[dep].name.name.clone());
                                self.errors.push(CheckError::LetCycle {
                                    span: lets[dep].name.span,
                                    names,
                                });
                            }
                            cycle.iter().for_each(|&n| reported[n] = true);
                        }
                        _ => {}
                    }
                } else {
                    state[node] = 2;
                    order.push(node);
                    stack.pop();
                }
            }
        }
        order.into_iter().map(|k| lets[k]).collect()
    }

    /// The derived parameters and the lets in an order each can be evaluated in,
    /// reporting every cycle through a derived parameter at its first member's name
    /// (a cycle of lets alone is reported by `order_lets`).
    fn derivation_order(&mut self, model: &Model) -> Vec<Var> {
        let nodes: Vec<Var> = (0..model.params.len())
            .filter(|&k| model.params[k].formula.is_some())
            .map(|k| Var::Param(ParamId(k as u32)))
            .chain((0..model.lets.len()).map(|k| Var::Let(LetId(k as u32))))
            .collect();
        let index: HashMap<Var, usize> = nodes.iter().enumerate().map(|(k, v)| (*v, k)).collect();
        let deps: Vec<Vec<usize>> = nodes
            .iter()
            .map(|v| {
                let e = match v {
                    Var::Param(id) => model.params[id.index()].formula.as_ref().map(|d| &d.expr),
                    Var::Let(id) => Some(&model.lets[id.index()].expr),
                    _ => None,
                };
                let mut d = Vec::new();
                if let Some(e) = e {
                    e.visit_vars(&mut |v| {
                        if let Some(&k) = index.get(&v) {
                            d.push(k);
                        }
                    });
                }
                d
            })
            .collect();
        let span = |v: Var| match v {
            Var::Let(id) => Some(model.lets[id.index()].span),
            Var::Param(id) => Some(model.params[id.index()].span),
            _ => None,
        };
        // Depth-first post-order; 0 = unvisited, 1 = on the stack, 2 = done.
        let mut state = vec![0u8; nodes.len()];
        let mut reported = vec![false; nodes.len()];
        let mut order = Vec::new();
        for start in 0..nodes.len() {
            if state[start] != 0 {
                continue;
            }
            state[start] = 1;
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let Some(&dep) = deps[node].get(*next) else {
                    state[node] = 2;
                    order.push(nodes[node]);
                    stack.pop();
                    continue;
                };
                *next += 1;
                match state[dep] {
                    0 => {
                        state[dep] = 1;
                        stack.push((dep, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|&(n, _)| n == dep).unwrap_or(0);
                        let mut cycle: Vec<usize> = stack[from..].iter().map(|&(n, _)| n).collect();
                        let through_param =
                            cycle.iter().any(|&n| matches!(nodes[n], Var::Param(_)));
                        if through_param && !cycle.iter().any(|&n| reported[n]) {
                            // Told from the member written first, where it is reported.
                            let first = (0..cycle.len())
                                .min_by_key(|&k| span(nodes[cycle[k]]).map(|s| (s.file, s.start)))
                                .unwrap_or(0);
                            cycle.rotate_left(first);
                            let mut names: Vec<String> = cycle
                                .iter()
                                .map(|&n| model.var_name(nodes[n]).to_string())
                                .collect();
                            names.push(names[0].clone());
                            if let Some(span) = span(nodes[cycle[0]]) {
                                self.errors.push(CheckError::DerivedCycle { span, names });
                            }
                        }
                        cycle.iter().for_each(|&n| reported[n] = true);
                    }
                    _ => {}
                }
            }
        }
        order
    }

    fn lookup(&mut self, name: &ast::Ident) -> Option<Var> {
        if let Some((var, _)) = self.symbols.get(&name.name) {
            return Some(*var);
        }
        let suggestion = self
            .suggestions
            .suggest(&name.name, self.symbols.keys().map(String::as_str));
        self.errors.push(CheckError::UnknownName {
            span: name.span,
            name: name.name.clone(),
            suggestion,
        });
        None
    }

    fn wrong_kind(&mut self, name: &ast::Ident, found: Var, expected: &'static str) {
        self.errors.push(CheckError::WrongKind {
            span: name.span,
            name: name.name.clone(),
            kind: kind_name(found),
            expected,
        });
    }

    /// A literal in base units; `expected` restricts the kind of unit allowed.
    fn quantity(&mut self, q: &ast::Quantity, expected: Option<(Dim, &'static str)>) -> f64 {
        let Some(unit) = &q.unit else {
            return q.number.value;
        };
        let dim = units::dim(unit);
        if let Some((want, what)) = expected
            && dim != want
        {
            self.errors.push(CheckError::UnitMakesNoSense {
                span: unit.span,
                found: dim.describe(),
                expected: what,
            });
            return f64::NAN;
        }
        let value = q.number.value * self.units.factor(unit);
        if !value.is_finite() {
            self.errors.push(CheckError::NotFinite { span: q.span });
        }
        value
    }

    fn range(&mut self, q: &ast::Quantity, r: &ast::Range, value: f64) -> Option<(f64, f64)> {
        // A range without a unit is in the value's unit.
        let unit = r.unit.as_ref().or(q.unit.as_ref());
        if let (Some(ru), Some(vu)) = (&r.unit, &q.unit)
            && units::dim(ru) != units::dim(vu)
        {
            self.errors.push(CheckError::RangeUnitDisagrees {
                span: ru.span,
                value: units::dim(vu).describe(),
                range: units::dim(ru).describe(),
            });
            return None;
        }
        let factor = unit.map(|u| self.units.factor(u)).unwrap_or(1.0);
        let (lo, hi) = (r.lo.value * factor, r.hi.value * factor);
        let reason = if !(lo.is_finite() && hi.is_finite()) {
            Some("a bound is not a finite number".to_string())
        } else if lo > hi {
            Some(format!(
                "the lower bound {} is above the upper bound {}",
                r.lo.text, r.hi.text
            ))
        } else if value.is_finite()
            && (value < lo - 1e-12 * lo.abs() || value > hi + 1e-12 * hi.abs())
        {
            Some(format!(
                "the value {} lies outside [{}, {}]",
                q.number.text, r.lo.text, r.hi.text
            ))
        } else {
            None
        };
        match reason {
            Some(reason) => {
                self.errors.push(CheckError::RangeInvalid {
                    span: r.span,
                    reason,
                });
                None
            }
            None => Some((lo, hi)),
        }
    }

    fn expr(&mut self, e: &ast::Expr) -> Expr {
        match &e.kind {
            ast::ExprKind::Number(q) => Expr::Num(self.quantity(q, None)),
            ast::ExprKind::Name(id) => match self.lookup(id) {
                Some(v @ Var::Readout(_)) if !self.in_readout => {
                    self.wrong_kind(id, v, "a species, parameter, input or let");
                    Expr::Num(f64::NAN)
                }
                Some(v) => Expr::Var(v),
                None => Expr::Num(f64::NAN),
            },
            ast::ExprKind::Call(name, args) if name.name == "baseline" => {
                if !self.in_readout {
                    self.errors
                        .push(CheckError::BaselineOutsideReadout { span: e.span });
                    return Expr::Num(f64::NAN);
                }
                if args.len() != 1 {
                    self.errors.push(CheckError::WrongArity {
                        span: e.span,
                        name: "baseline",
                        expected: 1,
                        found: args.len(),
                    });
                    return Expr::Num(f64::NAN);
                }
                let inner = self.expr(&args[0]);
                self.baselines.push(inner);
                Expr::Var(Var::Baseline((self.baselines.len() - 1) as u32))
            }
            ast::ExprKind::Neg(a) => expr::neg(self.expr(a)),
            ast::ExprKind::Binary(op, a, b) => {
                let (a, b) = (Box::new(self.expr(a)), Box::new(self.expr(b)));
                match op {
                    ast::BinOp::Add => Expr::Add(a, b),
                    ast::BinOp::Sub => Expr::Sub(a, b),
                    ast::BinOp::Mul => Expr::Mul(a, b),
                    ast::BinOp::Div => Expr::Div(a, b),
                    ast::BinOp::Pow => Expr::Pow(a, b),
                }
            }
            ast::ExprKind::Call(name, args) => {
                let resolved: Vec<Expr> = args.iter().map(|a| self.expr(a)).collect();
                match Func::USER.iter().find(|(n, _, _)| *n == name.name) {
                    Some(&(fname, func, arity)) => {
                        if arity != args.len() {
                            self.errors.push(CheckError::WrongArity {
                                span: e.span,
                                name: fname,
                                expected: arity,
                                found: args.len(),
                            });
                        }
                        Expr::Call(func, resolved)
                    }
                    None => {
                        match self.symbols.get(&name.name) {
                            Some((var, _)) => self.errors.push(CheckError::NotAFunction {
                                span: name.span,
                                name: name.name.clone(),
                                kind: kind_name(*var),
                            }),
                            None => self.errors.push(CheckError::UnknownFunction {
                                span: name.span,
                                name: name.name.clone(),
                                suggestion: self
                                    .suggestions
                                    .suggest(&name.name, Func::USER.iter().map(|(n, _, _)| *n)),
                            }),
                        }
                        Expr::Num(f64::NAN)
                    }
                }
            }
        }
    }

    fn side(&mut self, terms: &[ast::Term]) -> Vec<(SpeciesId, u32)> {
        let mut out: Vec<(SpeciesId, u32)> = Vec::new();
        for t in terms {
            let n = t.stoich.as_ref().map(|s| s.node).unwrap_or(1);
            if let Some(s) = &t.stoich
                && s.node == 0
            {
                self.errors
                    .push(CheckError::ZeroStoichiometry { span: s.span });
            }
            match self.lookup(&t.species) {
                Some(Var::Species(id)) => match out.iter_mut().find(|(s, _)| *s == id) {
                    Some((_, m)) => *m = m.saturating_add(n),
                    None => out.push((id, n)),
                },
                Some(other) => self.wrong_kind(&t.species, other, "a species"),
                None => {}
            }
        }
        out
    }

    fn reaction(&mut self, r: &ast::Reaction, model: &Model) -> Option<Reaction> {
        if let Some(label) = &r.label {
            match self.labels.get(&label.name) {
                Some(first) => self.errors.push(CheckError::DuplicateLabel {
                    span: label.span,
                    first: *first,
                    label: label.name.clone(),
                }),
                None => {
                    self.labels.insert(label.name.clone(), label.span);
                }
            }
        }
        if r.reactants.is_empty() && r.products.is_empty() {
            self.errors.push(CheckError::EmptyReaction { span: r.span });
            return None;
        }
        let reactants = self.side(&r.reactants);
        let products = self.side(&r.products);
        let reversible = r.arrow == ast::Arrow::Reversible;
        let (kinetics, forward, reverse) = match &r.rate {
            ast::RateLaw::Explicit(e) => (Kinetics::Explicit, self.expr(e), None),
            ast::RateLaw::MassAction { forward, reverse } => {
                let kf = self.expr(forward);
                self.rate_constant(&kf, forward, model);
                let kr = match (reversible, reverse) {
                    (true, Some(kr)) => {
                        let k = self.expr(kr);
                        self.rate_constant(&k, kr, model);
                        Some(k)
                    }
                    (true, None) => {
                        self.errors
                            .push(CheckError::ReversibleNeedsTwo { span: forward.span });
                        None
                    }
                    (false, Some(kr)) => {
                        self.errors
                            .push(CheckError::ForwardTakesOne { span: kr.span });
                        None
                    }
                    (false, None) => None,
                };
                let fwd = mass_action(kf, &reactants);
                let rev = kr.map(|kr| mass_action(kr, &products));
                (Kinetics::MassAction, fwd, rev)
            }
        };
        let compartment = reactants
            .first()
            .or(products.first())
            .and_then(|(s, _)| model.species.get(s.index()))
            .map(|s| s.compartment)
            .unwrap_or(CompartmentId(0));
        Some(Reaction {
            label: r.label.as_ref().map(|l| l.name.clone()),
            reactants,
            products,
            reversible,
            kinetics,
            forward,
            reverse,
            compartment,
            span: r.span,
        })
    }

    /// Reports a mass-action constant `k` (written as `written`) that is a negative number,
    /// whether a literal or parameters. A constant that reads the state or an input is left
    /// alone: its sign at one time says nothing of another.
    fn rate_constant(&mut self, k: &Expr, written: &ast::Expr, model: &Model) {
        let value = k.eval(&|v| match v {
            Var::Param(p) => model.params.get(p.index()).map_or(f64::NAN, |p| p.value),
            _ => f64::NAN,
        });
        if value < 0.0 {
            let param = match &written.kind {
                ast::ExprKind::Name(id) => Some(id.name.clone()),
                _ => None,
            };
            self.errors.push(CheckError::NegativeRateConstant {
                span: written.span,
                param,
            });
        }
    }

    fn chain(&mut self, c: &ast::Chain) -> Option<Chain> {
        let first = self.chain_node(&c.first);
        let mut links = Vec::new();
        for l in &c.links {
            if let Some(target) = self.chain_node(&l.target) {
                links.push(ChainLink {
                    inhibits: l.sign == ast::LinkSign::Inhibits,
                    sign_span: l.sign_span,
                    target: (target, l.target.span),
                });
            }
        }
        let first = first?;
        (links.len() == c.links.len()).then_some(Chain {
            first: (first, c.first.span),
            links,
        })
    }

    fn chain_node(&mut self, name: &ast::Ident) -> Option<Var> {
        match self.lookup(name)? {
            v @ (Var::Species(_) | Var::Input(_) | Var::Let(_)) => Some(v),
            other => {
                self.wrong_kind(name, other, "a species, an input or a let");
                None
            }
        }
    }
}

/// `k · Π Sᵢ^nᵢ`
fn mass_action(k: Expr, side: &[(SpeciesId, u32)]) -> Expr {
    side.iter().fold(k, |acc, &(s, n)| {
        let term = expr::powe(Expr::Var(Var::Species(s)), Expr::Num(n as f64));
        expr::mul(acc, term)
    })
}

fn names_in<'a>(e: &'a ast::Expr, f: &mut dyn FnMut(&'a str)) {
    match &e.kind {
        ast::ExprKind::Number(_) => {}
        ast::ExprKind::Name(id) => f(&id.name),
        ast::ExprKind::Neg(a) => names_in(a, f),
        ast::ExprKind::Binary(_, a, b) => {
            names_in(a, f);
            names_in(b, f);
        }
        ast::ExprKind::Call(_, args) => args.iter().for_each(|a| names_in(a, f)),
    }
}

/// The values a formula reads, for the message when it gives no finite number:
/// `IC50_ket = 0`.
fn reads_shown(model: &Model, e: &Expr) -> Vec<String> {
    let mut seen = Vec::new();
    let species = model.initial_state();
    let inputs = model.input_values();
    let lets = model.let_values(&species, &inputs);
    e.visit_vars(&mut |v| {
        if !seen.contains(&v) {
            seen.push(v);
        }
    });
    seen.into_iter()
        .map(|v| {
            let value = model.value_of(v, &species, &inputs, &lets);
            let shown: f64 = format!("{value:.3e}").parse().unwrap_or(value);
            format!("`{}` = {shown}", model.var_name(v))
        })
        .collect()
}

pub(crate) fn kind_name(v: Var) -> &'static str {
    match v {
        Var::Species(_) => "species",
        Var::Param(_) => "parameter",
        Var::Input(_) => "input",
        Var::Let(_) => "let",
        Var::Compartment(_) => "compartment",
        Var::Readout(_) => "readout",
        Var::Baseline(_) => "baseline",
    }
}
