//! Stage 4, ode: a checked `Model` in, a compiled `System` out.
//!
//! Every reaction's net rate (lets inlined, `hill`/`mm`/... expanded into arithmetic)
//! becomes a segment of one flat postfix program; the right-hand side runs each segment
//! on a fixed-size stack and scatters the rate into the species it changes, scaled by
//! stoichiometry and compartment volumes. The Jacobian's non-zero entries are compiled
//! the same way from the symbolic derivatives of the same expressions, so the two can
//! never disagree about the model. Evaluation allocates nothing.

use crate::model::{self, Expr, Func, Model, Var};
use crate::syntax::{Diagnostic, Span};

/// Deepest stack a compiled expression may need. Each nesting level of a rate law
/// costs about one slot; 64 is far beyond any rate law written by hand.
const MAX_STACK: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Const(f64),
    Species(u32),
    Param(u32),
    Input(u32),
    Neg,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    /// Integer power, exact for negative bases.
    PowI(i32),
    Exp,
    Ln,
    Min,
    Max,
    Step,
}

/// A range of `System::ops` that leaves one value on the stack.
#[derive(Clone, Copy, Debug)]
struct Segment {
    start: u32,
    end: u32,
}

/// How one reaction changes the state: its rate program and the species it moves.
#[derive(Clone, Debug)]
struct ReactionCode {
    rate: Segment,
    /// (species index, d[species]/dt per unit of rate): stoichiometry times the ratio
    /// of the reaction's compartment volume to the species'.
    effects: Vec<(u32, f64)>,
    /// ∂rate/∂species for each species the rate reads.
    partials: Vec<(u32, Segment)>,
}

/// The compiled ODE system dy/dt = f(y; params, inputs). Cheap to clone: experiments
/// clone it to change inputs.
#[derive(Clone, Debug)]
pub struct System {
    ops: Vec<Op>,
    reactions: Vec<ReactionCode>,
    names: Vec<String>,
    pub initial: Vec<f64>,
    pub params: Vec<f64>,
    pub inputs: Vec<f64>,
}

/// A rate law too deeply nested to compile.
#[derive(Clone, Debug)]
pub struct CompileError {
    pub span: Span,
    pub reaction: String,
}

impl CompileError {
    pub fn diagnostic(&self) -> Diagnostic {
        Diagnostic::error(
            format!(
                "the rate law of `{}` is nested too deeply to compile",
                self.reaction
            ),
            self.span,
            "this reaction",
        )
        .with_help(format!(
            "split it into `let` definitions; an expression may nest at most {MAX_STACK} levels"
        ))
    }
}

/// Compiles a model. Fails only for rate laws nested beyond `MAX_STACK`.
pub fn compile(model: &Model) -> Result<System, CompileError> {
    let lets: Vec<Expr> = model.lets.iter().map(|l| l.expr.clone()).collect();
    let mut sys = System {
        ops: Vec::new(),
        reactions: Vec::new(),
        names: model.species.iter().map(|s| s.name.clone()).collect(),
        initial: model.initial_state(),
        params: model.params.iter().map(|p| p.value).collect(),
        inputs: model.input_values(),
    };
    let volume = |c: model::CompartmentId| model.compartments[c.index()].size;
    for (k, r) in model.reactions.iter().enumerate() {
        let fail = || CompileError {
            span: r.span,
            reaction: r.display_name(k),
        };
        let rate = r.rate().inline_lets(&lets).expand();
        let rate = fold_compartments(&rate, model);
        let seg = sys.emit(&rate).ok_or_else(fail)?;
        let v_rxn = volume(r.compartment);
        let mut effects: Vec<(u32, f64)> = Vec::new();
        let mut add_effect = |s: model::SpeciesId, coef: f64| {
            let scaled = coef * v_rxn / volume(model.species[s.index()].compartment);
            match effects.iter_mut().find(|(i, _)| *i == s.0) {
                Some((_, c)) => *c += scaled,
                None => effects.push((s.0, scaled)),
            }
        };
        for &(s, n) in &r.reactants {
            add_effect(s, -(n as f64));
        }
        for &(s, n) in &r.products {
            add_effect(s, n as f64);
        }
        // A species on both sides with equal stoichiometry is a catalyst: no effect.
        effects.retain(|&(_, c)| c != 0.0);
        let mut partials = Vec::new();
        for v in rate.vars() {
            if let Var::Species(s) = v {
                let d = rate.derivative(v);
                if d != Expr::Num(0.0) {
                    partials.push((s.0, sys.emit(&d).ok_or_else(fail)?));
                }
            }
        }
        sys.reactions.push(ReactionCode {
            rate: seg,
            effects,
            partials,
        });
    }
    Ok(sys)
}

/// Compartment sizes are fixed, so they become constants.
fn fold_compartments(e: &Expr, model: &Model) -> Expr {
    e.map_vars(&|v| match v {
        Var::Compartment(c) => Some(Expr::Num(model.compartments[c.index()].size)),
        _ => None,
    })
}

impl System {
    pub fn dim(&self) -> usize {
        self.names.len()
    }

    pub fn species_names(&self) -> &[String] {
        &self.names
    }

    /// Appends `e` as postfix code; `None` if it needs more than `MAX_STACK` slots.
    fn emit(&mut self, e: &Expr) -> Option<Segment> {
        let start = self.ops.len() as u32;
        let depth = self.emit_expr(e);
        let end = self.ops.len() as u32;
        (depth <= MAX_STACK).then_some(Segment { start, end })
    }

    /// Emits code and returns the stack depth it needs.
    fn emit_expr(&mut self, e: &Expr) -> usize {
        let binary = |sys: &mut System, a: &Expr, b: &Expr, op: Op| {
            let da = sys.emit_expr(a);
            let db = sys.emit_expr(b);
            sys.ops.push(op);
            da.max(db + 1)
        };
        match e {
            Expr::Num(x) => {
                self.ops.push(Op::Const(*x));
                1
            }
            Expr::Var(v) => {
                self.ops.push(match *v {
                    Var::Species(s) => Op::Species(s.0),
                    Var::Param(p) => Op::Param(p.0),
                    Var::Input(i) => Op::Input(i.0),
                    // Lets are inlined and compartments folded before emitting.
                    Var::Let(_) | Var::Compartment(_) => Op::Const(f64::NAN),
                });
                1
            }
            Expr::Neg(a) => {
                let d = self.emit_expr(a);
                self.ops.push(Op::Neg);
                d
            }
            Expr::Add(a, b) => binary(self, a, b, Op::Add),
            Expr::Sub(a, b) => binary(self, a, b, Op::Sub),
            Expr::Mul(a, b) => binary(self, a, b, Op::Mul),
            Expr::Div(a, b) => binary(self, a, b, Op::Div),
            Expr::Pow(a, b) => match **b {
                Expr::Num(n) if n == n.trunc() && n.abs() <= 64.0 => {
                    let d = self.emit_expr(a);
                    self.ops.push(Op::PowI(n as i32));
                    d
                }
                _ => binary(self, a, b, Op::Pow),
            },
            Expr::Call(f, args) => {
                let mut depth = 0;
                for (k, a) in args.iter().enumerate() {
                    depth = depth.max(self.emit_expr(a) + k);
                }
                self.ops.push(match f {
                    Func::Exp => Op::Exp,
                    Func::Ln => Op::Ln,
                    Func::Min => Op::Min,
                    Func::Max => Op::Max,
                    Func::Step => Op::Step,
                    Func::Pow => Op::Pow,
                    // Expanded away before emitting.
                    Func::Hill | Func::Inhibit | Func::Mm => Op::Const(f64::NAN),
                });
                depth.max(1)
            }
        }
    }

    /// Runs one segment. The stack bound was checked when the segment was emitted.
    #[inline]
    fn run(&self, seg: Segment, y: &[f64]) -> f64 {
        let mut stack = [0.0f64; MAX_STACK];
        let mut top = 0usize;
        for op in &self.ops[seg.start as usize..seg.end as usize] {
            match *op {
                Op::Const(x) => {
                    stack[top] = x;
                    top += 1;
                }
                Op::Species(i) => {
                    stack[top] = y[i as usize];
                    top += 1;
                }
                Op::Param(i) => {
                    stack[top] = self.params[i as usize];
                    top += 1;
                }
                Op::Input(i) => {
                    stack[top] = self.inputs[i as usize];
                    top += 1;
                }
                Op::Neg => stack[top - 1] = -stack[top - 1],
                Op::PowI(n) => stack[top - 1] = stack[top - 1].powi(n),
                Op::Exp => stack[top - 1] = stack[top - 1].exp(),
                Op::Ln => stack[top - 1] = stack[top - 1].ln(),
                Op::Step => stack[top - 1] = if stack[top - 1] >= 0.0 { 1.0 } else { 0.0 },
                Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow | Op::Min | Op::Max => {
                    top -= 1;
                    let (a, b) = (stack[top - 1], stack[top]);
                    stack[top - 1] = match *op {
                        Op::Add => a + b,
                        Op::Sub => a - b,
                        Op::Mul => a * b,
                        Op::Div => a / b,
                        Op::Pow => model::expr::pow(a, b),
                        Op::Min => a.min(b),
                        _ => a.max(b),
                    };
                }
            }
        }
        stack[0]
    }

    /// dy = f(y).
    pub fn rhs(&self, y: &[f64], dy: &mut [f64]) {
        dy.fill(0.0);
        for r in &self.reactions {
            let rate = self.run(r.rate, y);
            for &(i, c) in &r.effects {
                dy[i as usize] += c * rate;
            }
        }
    }

    /// The dense Jacobian ∂fᵢ/∂yⱼ, row-major.
    pub fn jacobian(&self, y: &[f64], jac: &mut [f64]) {
        let n = self.dim();
        jac.fill(0.0);
        for r in &self.reactions {
            for &(j, seg) in &r.partials {
                let d = self.run(seg, y);
                for &(i, c) in &r.effects {
                    jac[i as usize * n + j as usize] += c * d;
                }
            }
        }
    }

    /// Net rate of each reaction at `y`, in model order.
    pub fn rates(&self, y: &[f64]) -> Vec<f64> {
        self.reactions.iter().map(|r| self.run(r.rate, y)).collect()
    }
}

impl crate::solve::Problem for System {
    fn dim(&self) -> usize {
        System::dim(self)
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        System::rhs(self, y, dy)
    }
    fn jacobian(&self, _t: f64, y: &[f64], jac: &mut [f64]) {
        System::jacobian(self, y, jac)
    }
    fn component_name(&self, i: usize) -> &str {
        self.names.get(i).map(String::as_str).unwrap_or("?")
    }
}
