//! Stage 4, ode: a checked `Model` in, a compiled `System` out.
//!
//! Every let and every reaction's net rate (`hill`/`mm`/... expanded into arithmetic)
//! becomes a segment of one flat postfix program. The right-hand side evaluates the lets
//! in order into slots, then runs each rate segment on a fixed-size stack and scatters
//! the rate into the species it changes, scaled by stoichiometry and compartment
//! volumes. The Jacobian comes from the symbolic partial derivatives of the same
//! expressions, joined through the lets by the chain rule, so the two can never
//! disagree about the model and no expression is ever inlined (inlining grows
//! exponentially when lets reuse each other). Evaluation allocates nothing once a
//! thread's scratch buffer has grown to the model's size.

use crate::model::{self, Expr, Func, Model, ReactionId, Var};

mod native;

/// A two-operand operation. `RSub`, `RDiv` and `RPow` take their operands in the other
/// order, so either operand can be the one computed first.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    RSub,
    RDiv,
    RPow,
    Min,
    Max,
}

impl Bin {
    #[inline(always)]
    fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Bin::Add => a + b,
            Bin::Sub => a - b,
            Bin::Mul => a * b,
            Bin::Div => a / b,
            Bin::Pow => model::expr::pow(a, b),
            Bin::RSub => b - a,
            Bin::RDiv => b / a,
            Bin::RPow => model::expr::pow(b, a),
            Bin::Min => a.min(b),
            Bin::Max => a.max(b),
        }
    }

    /// The same operation with the operands swapped.
    fn reversed(self) -> Bin {
        match self {
            Bin::Sub => Bin::RSub,
            Bin::Div => Bin::RDiv,
            Bin::Pow => Bin::RPow,
            Bin::RSub => Bin::Sub,
            Bin::RDiv => Bin::Div,
            Bin::RPow => Bin::Pow,
            commutative => commutative,
        }
    }
}

/// One instruction. A value read directly (a species, input, parameter, let or
/// constant) is a slot of the evaluation frame, which holds all of them side by side
/// (see `System::frame`), so reading one is a single index. Most rate-law arithmetic
/// combines a computed value with such a value (`k * S`), so `With` applies an
/// operation to the top of the stack and a slot in one dispatch: the compiled shipped
/// model has about half the instructions it would have with a push for every leaf.
/// The four arithmetic operations have instructions of their own, so the interpreter
/// dispatches once per instruction (an operation inside `With` would be a second
/// dispatch); the rarer ones go through `With` and `Bin`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Push(u32),
    /// top = top + frame[slot], and so on.
    AddWith(u32),
    SubWith(u32),
    MulWith(u32),
    DivWith(u32),
    /// top = frame[slot] − top.
    RSubWith(u32),
    /// top = frame[slot] / top.
    RDivWith(u32),
    /// top = top ∘ frame[slot] for any other operation.
    With(Bin, u32),
    /// Pops b, then top = top + b, and so on.
    Add,
    Sub,
    Mul,
    Div,
    /// Pops b, then top = top ∘ b for any other operation.
    Bin(Bin),
    Neg,
    /// Three-argument rate-law functions, arguments pushed in order.
    Hill,
    Inhibit,
    Mm,
    /// Integer power, exact for negative bases.
    PowI(i32),
    Exp,
    Ln,
    Step,
}

impl Op {
    /// top = top ∘ frame[slot].
    fn with(b: Bin, slot: u32) -> Op {
        match b {
            Bin::Add => Op::AddWith(slot),
            Bin::Sub => Op::SubWith(slot),
            Bin::Mul => Op::MulWith(slot),
            Bin::Div => Op::DivWith(slot),
            Bin::RSub => Op::RSubWith(slot),
            Bin::RDiv => Op::RDivWith(slot),
            other => Op::With(other, slot),
        }
    }

    /// Pops b, then top = top ∘ b.
    fn bin(b: Bin) -> Op {
        match b {
            Bin::Add => Op::Add,
            Bin::Sub => Op::Sub,
            Bin::Mul => Op::Mul,
            Bin::Div => Op::Div,
            other => Op::Bin(other),
        }
    }
}

/// Stack slots needed to evaluate `e` in Sethi–Ullman order (see `emit_expr`).
fn need(e: &Expr) -> usize {
    match e {
        Expr::Num(_) | Expr::Var(_) => 1,
        Expr::Neg(a) => need(a),
        Expr::Pow(a, b) if matches!(**b, Expr::Num(n) if n == n.trunc() && n.abs() <= 64.0) => {
            need(a)
        }
        Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) | Expr::Div(a, b) | Expr::Pow(a, b) => {
            combine(need(a), need(b))
        }
        // Arguments are evaluated in order; the k-th sits on k values below it.
        Expr::Call(_, args) => args
            .iter()
            .enumerate()
            .map(|(k, a)| need(a) + k)
            .max()
            .unwrap_or(0)
            .max(1),
    }
}

/// Slots for a binary operation whose operands need `a` and `b`, the larger first.
fn combine(a: usize, b: usize) -> usize {
    if a == b { a + 1 } else { a.max(b) }
}

/// A range of `System::ops` that leaves one value on the stack.
#[derive(Clone, Copy, Debug)]
struct Segment {
    start: u32,
    end: u32,
    /// The code is a product of frame values (`Push(a)` then `MulWith(b)`, …), as a
    /// mass-action rate law and most of its partial derivatives are. Such a segment is
    /// evaluated by one multiplying loop, with no dispatch on each instruction and the same
    /// result to the bit (1·a = a, then left to right as the instructions would).
    product: bool,
}

/// What a partial derivative is taken with respect to.
#[derive(Clone, Debug)]
enum Wrt {
    /// A species: the partial is a Jacobian term directly.
    Species(u32),
    /// A let: the partial is multiplied by the let's own derivatives. `positions[k]`
    /// is where the let's k-th species dependency sits in the caller's dependency list
    /// (for a let caller); reactions use the let's species directly.
    Let { id: u32, positions: Vec<u32> },
}

/// ∂f/∂x for each species or let x that f reads directly.
#[derive(Clone, Debug)]
struct Partials(Vec<(Wrt, Segment)>);

/// A let: its program, the species it depends on (directly or through other lets,
/// sorted), and its direct partials.
#[derive(Clone, Debug)]
struct LetCode {
    value: Segment,
    deps: Vec<u32>,
    /// Where this let's d/dy values start in the derivative scratch.
    offset: u32,
    partials: Partials,
}

/// How one reaction changes the state: its rate program and the species it moves.
#[derive(Clone, Debug)]
struct ReactionCode {
    /// The reaction's index in the model, which its gate in `System::gates` has.
    index: u32,
    rate: Segment,
    /// (species index, d[species]/dt per unit of rate): stoichiometry times the ratio
    /// of the reaction's compartment volume to the species'.
    effects: Vec<(u32, f64)>,
    partials: Partials,
}

/// The compiled ODE system dy/dt = f(y; params, inputs). Cheap to clone: a genotype
/// is a clone with reactions removed and parameters set; an experiment borrows it and
/// keeps its own copy of the inputs.
#[derive(Clone, Debug)]
pub struct System {
    ops: Vec<Op>,
    lets: Vec<LetCode>,
    /// Total length of all lets' dependency lists: the derivative scratch size.
    let_deps_len: usize,
    reactions: Vec<ReactionCode>,
    /// Stack slots the deepest segment needs.
    max_stack: usize,
    /// How many lets the frame holds (all of the model's, fixed at compile time).
    n_lets: usize,
    /// Each readout's program, in model order. A readout reads the readouts before it and
    /// the baselines from their frame slots, after the lets.
    readouts: Vec<Segment>,
    /// How many readouts the frame holds (the model's, fixed before any code is emitted).
    n_readouts: usize,
    /// The lets the readouts read, directly or through other lets, in order: all that
    /// evaluating the readouts computes.
    readout_lets: Vec<u32>,
    /// How many baselines the frame holds, after the readouts.
    n_baselines: usize,
    /// The constants the code reads, after the lets in the frame.
    consts: Vec<f64>,
    /// Each constant's index in `consts`, by its bits, while compiling; emptied after.
    const_slots: std::collections::HashMap<u64, usize>,
    names: Vec<String>,
    pub initial: Vec<f64>,
    pub params: Vec<f64>,
    pub inputs: Vec<f64>,
    /// The right-hand side as machine code (see `native.rs`), shared by the clones;
    /// `None` where the host has no code generator, or for `interpreted`.
    native: Option<std::sync::Arc<pathrules_native::Kernel>>,
    /// One per reaction of the model: 1 where it runs, 0 where a genotype removed it
    /// (the native kernel computes every reaction and adds only those gated on).
    gates: Vec<u8>,
}

/// Compiles a model. Every checked model compiles: the evaluation stack is sized
/// to the deepest expression, so no depth is refused.
pub fn compile(model: &Model) -> System {
    let mut sys = System {
        ops: Vec::new(),
        lets: Vec::new(),
        let_deps_len: 0,
        reactions: Vec::new(),
        max_stack: 1,
        n_lets: model.lets.len(),
        readouts: Vec::new(),
        n_readouts: model.readouts.len(),
        readout_lets: Vec::new(),
        n_baselines: model.baselines.len(),
        consts: Vec::new(),
        const_slots: std::collections::HashMap::new(),
        names: model.species.iter().map(|s| s.name.clone()).collect(),
        initial: model.initial_state(),
        params: model.params.iter().map(|p| p.value).collect(),
        inputs: model.input_values(),
        native: None,
        gates: vec![1; model.reactions.len()],
    };
    for l in &model.lets {
        let e = fold_compartments(&l.expr.expand(), model);
        let value = sys.emit(&e);
        let mut deps = Vec::new();
        for v in e.vars() {
            match v {
                Var::Species(s) => deps.push(s.0),
                Var::Let(m) => deps.extend(&sys.lets[m.index()].deps),
                _ => {}
            }
        }
        deps.sort_unstable();
        deps.dedup();
        let partials = sys.partials(&e, Some(&deps));
        let offset = sys.let_deps_len as u32;
        sys.let_deps_len += deps.len();
        sys.lets.push(LetCode {
            value,
            deps,
            offset,
            partials,
        });
    }
    let volume = |c: model::CompartmentId| model.compartments[c.index()].size;
    for r in &model.reactions {
        let rate = fold_compartments(&r.rate().expand(), model);
        let seg = sys.emit(&rate);
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
        let partials = sys.partials(&rate, None);
        sys.reactions.push(ReactionCode {
            index: sys.reactions.len() as u32,
            rate: seg,
            effects,
            partials,
        });
    }
    let mut needed = vec![false; model.lets.len()];
    let mark = |e: &Expr, needed: &mut Vec<bool>| {
        for v in e.vars() {
            if let Var::Let(l) = v {
                needed[l.index()] = true;
            }
        }
    };
    for r in &model.readouts {
        mark(&r.expr, &mut needed);
        let e = fold_compartments(&r.expr.expand(), model);
        let seg = sys.emit(&e);
        sys.readouts.push(seg);
    }
    // A let reads only lets before it, so one backward pass closes the set.
    for k in (0..model.lets.len()).rev() {
        if needed[k] {
            mark(&model.lets[k].expr, &mut needed);
        }
    }
    sys.readout_lets = (0..model.lets.len() as u32)
        .filter(|&k| needed[k as usize])
        .collect();
    sys.const_slots = std::collections::HashMap::new();
    // A host Cranelift cannot target keeps the interpreter, which computes the same.
    sys.native = native::rhs_kernel(&sys).ok().map(std::sync::Arc::new);
    sys
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

    /// Compiles ∂e/∂x for every species and let x that `e` reads. For a let's own
    /// partials, `caller_deps` is that let's dependency list, so a nested let's
    /// derivatives can be added into the right places.
    fn partials(&mut self, e: &Expr, caller_deps: Option<&[u32]>) -> Partials {
        let mut out = Vec::new();
        for v in e.vars() {
            let wrt = match v {
                Var::Species(s) => Wrt::Species(s.0),
                Var::Let(m) => {
                    let deps = &self.lets[m.index()].deps;
                    let positions = match caller_deps {
                        Some(cd) => deps
                            .iter()
                            .map(|d| cd.binary_search(d).unwrap_or(0) as u32)
                            .collect(),
                        None => Vec::new(),
                    };
                    Wrt::Let { id: m.0, positions }
                }
                _ => continue,
            };
            let d = e.derivative(v);
            if d != Expr::Num(0.0) {
                out.push((wrt, self.emit(&d)));
            }
        }
        Partials(out)
    }

    /// Appends `e` as postfix code.
    fn emit(&mut self, e: &Expr) -> Segment {
        let start = self.ops.len() as u32;
        let depth = self.emit_expr(e);
        self.max_stack = self.max_stack.max(depth);
        let code = &self.ops[start as usize..];
        let product = matches!(code.first(), Some(Op::Push(_)))
            && code[1..].iter().all(|op| matches!(op, Op::MulWith(_)));
        Segment {
            start,
            end: self.ops.len() as u32,
            product,
        }
    }

    // The frame's layout: species, inputs, parameters, lets, readouts, baselines, constants.
    fn inputs_base(&self) -> usize {
        self.names.len()
    }
    fn params_base(&self) -> usize {
        self.inputs_base() + self.inputs.len()
    }
    fn lets_base(&self) -> usize {
        self.params_base() + self.params.len()
    }
    fn readouts_base(&self) -> usize {
        self.lets_base() + self.n_lets
    }
    fn baselines_base(&self) -> usize {
        self.readouts_base() + self.n_readouts
    }
    fn consts_base(&self) -> usize {
        self.baselines_base() + self.n_baselines
    }
    fn frame_len(&self) -> usize {
        self.consts_base() + self.consts.len()
    }

    /// The frame slot of a number or variable, adding a constant's slot as needed;
    /// `None` for any other expression.
    fn slot(&mut self, e: &Expr) -> Option<u32> {
        let slot = match e {
            Expr::Num(x) => self.constant(*x),
            Expr::Var(v) => match *v {
                Var::Species(s) => s.index(),
                Var::Input(i) => self.inputs_base() + i.index(),
                Var::Param(p) => self.params_base() + p.index(),
                Var::Let(l) => self.lets_base() + l.index(),
                Var::Readout(k) if (k as usize) < self.n_readouts => {
                    self.readouts_base() + k as usize
                }
                Var::Baseline(k) if (k as usize) < self.n_baselines => {
                    self.baselines_base() + k as usize
                }
                Var::Compartment(_) | Var::Readout(_) | Var::Baseline(_) => self.constant(f64::NAN),
            },
            _ => return None,
        };
        Some(slot as u32)
    }

    fn constant(&mut self, x: f64) -> usize {
        let next = self.consts.len();
        let k = *self.const_slots.entry(x.to_bits()).or_insert(next);
        if k == next {
            self.consts.push(x);
        }
        self.consts_base() + k
    }

    /// Emits `e` and returns the stack slots its code uses, at most `need(e)`.
    fn emit_expr(&mut self, e: &Expr) -> usize {
        let is_leaf = |e: &Expr| matches!(e, Expr::Num(_) | Expr::Var(_));
        let binary = |sys: &mut System, a: &Expr, b: &Expr, op: Bin| {
            if is_leaf(b) && !is_leaf(a) {
                let d = sys.emit_expr(a);
                let slot = sys.slot(b).unwrap_or(0);
                sys.ops.push(Op::with(op, slot));
                return d;
            }
            if is_leaf(a) {
                let d = sys.emit_expr(b);
                let slot = sys.slot(a).unwrap_or(0);
                sys.ops.push(Op::with(op.reversed(), slot));
                return d;
            }
            let (na, nb) = (need(a), need(b));
            let (first, second, op) = if nb > na {
                (b, a, op.reversed())
            } else {
                (a, b, op)
            };
            let d1 = sys.emit_expr(first);
            let d2 = sys.emit_expr(second);
            sys.ops.push(Op::bin(op));
            d1.max(d2 + 1)
        };
        match e {
            Expr::Num(_) | Expr::Var(_) => {
                let slot = self.slot(e).unwrap_or(0);
                self.ops.push(Op::Push(slot));
                1
            }
            Expr::Neg(a) => {
                let d = self.emit_expr(a);
                self.ops.push(Op::Neg);
                d
            }
            Expr::Add(a, b) => binary(self, a, b, Bin::Add),
            Expr::Mul(a, b) => binary(self, a, b, Bin::Mul),
            Expr::Sub(a, b) => binary(self, a, b, Bin::Sub),
            Expr::Div(a, b) => binary(self, a, b, Bin::Div),
            Expr::Pow(a, b) => match **b {
                Expr::Num(n) if n == n.trunc() && n.abs() <= 64.0 => {
                    let d = self.emit_expr(a);
                    self.ops.push(Op::PowI(n as i32));
                    d
                }
                _ => binary(self, a, b, Bin::Pow),
            },
            Expr::Call(f, args) => {
                let mut depth = 0;
                for (k, a) in args.iter().enumerate() {
                    depth = depth.max(self.emit_expr(a) + k);
                }
                self.ops.push(match f {
                    Func::Exp => Op::Exp,
                    Func::Ln => Op::Ln,
                    Func::Min => Op::Bin(Bin::Min),
                    Func::Max => Op::Bin(Bin::Max),
                    Func::Step => Op::Step,
                    Func::Pow => Op::Bin(Bin::Pow),
                    Func::Hill => Op::Hill,
                    Func::Inhibit => Op::Inhibit,
                    Func::Mm => Op::Mm,
                });
                depth.max(1)
            }
        }
    }

    /// Runs one segment on `frame` (see `frame`) and `stack`, which holds at least
    /// `max_stack` slots.
    #[inline]
    fn run(&self, seg: Segment, frame: &[f64], stack: &mut [f64]) -> f64 {
        let code = &self.ops[seg.start as usize..seg.end as usize];
        if seg.product {
            let mut value = 1.0;
            for op in code {
                if let Op::Push(k) | Op::MulWith(k) = *op {
                    value *= frame[k as usize];
                }
            }
            return value;
        }
        self.run_code(code, frame, stack)
    }

    /// Runs any code on the stack machine.
    fn run_code(&self, code: &[Op], frame: &[f64], stack: &mut [f64]) -> f64 {
        let mut top = 0usize;
        for op in code {
            match *op {
                Op::Push(k) => {
                    stack[top] = frame[k as usize];
                    top += 1;
                }
                Op::AddWith(k) => stack[top - 1] += frame[k as usize],
                Op::SubWith(k) => stack[top - 1] -= frame[k as usize],
                Op::MulWith(k) => stack[top - 1] *= frame[k as usize],
                Op::DivWith(k) => stack[top - 1] /= frame[k as usize],
                Op::RSubWith(k) => stack[top - 1] = frame[k as usize] - stack[top - 1],
                Op::RDivWith(k) => stack[top - 1] = frame[k as usize] / stack[top - 1],
                Op::With(b, k) => stack[top - 1] = b.apply(stack[top - 1], frame[k as usize]),
                Op::Add => {
                    top -= 1;
                    stack[top - 1] += stack[top];
                }
                Op::Sub => {
                    top -= 1;
                    stack[top - 1] -= stack[top];
                }
                Op::Mul => {
                    top -= 1;
                    stack[top - 1] *= stack[top];
                }
                Op::Div => {
                    top -= 1;
                    stack[top - 1] /= stack[top];
                }
                Op::Bin(b) => {
                    top -= 1;
                    stack[top - 1] = b.apply(stack[top - 1], stack[top]);
                }
                Op::Neg => stack[top - 1] = -stack[top - 1],
                Op::PowI(n) => stack[top - 1] = stack[top - 1].powi(n),
                Op::Exp => stack[top - 1] = stack[top - 1].exp(),
                Op::Ln => stack[top - 1] = stack[top - 1].ln(),
                Op::Step => stack[top - 1] = if stack[top - 1] >= 0.0 { 1.0 } else { 0.0 },
                Op::Hill | Op::Inhibit | Op::Mm => {
                    top -= 2;
                    let (x, p, q) = (stack[top - 1], stack[top], stack[top + 1]);
                    stack[top - 1] = match *op {
                        // hill(x, K, n) = xⁿ/(Kⁿ + xⁿ)
                        Op::Hill => model::expr::hill(x, p, q),
                        // inhibit(x, K, n) = 1/(1 + (x/K)ⁿ)
                        Op::Inhibit => 1.0 / (1.0 + model::expr::pow(x / p, q)),
                        // mm(x, Vmax, K) = Vmax·x/(K + x)
                        _ => p * x / (q + x),
                    };
                }
            }
        }
        stack[0]
    }

    /// Splits `scratch` into a frame filled with y, the inputs, the parameters and the
    /// constants (the lets are computed into it by `eval_lets`) and the rest.
    fn frame<'s>(
        &self,
        scratch: &'s mut [f64],
        y: &[f64],
        inputs: &[f64],
    ) -> (&'s mut [f64], &'s mut [f64]) {
        assert!(
            y.len() == self.dim() && inputs.len() == self.inputs.len(),
            "a state of {} values and {} inputs given to a system of {} species and {} inputs",
            y.len(),
            inputs.len(),
            self.dim(),
            self.inputs.len()
        );
        let (frame, rest) = scratch.split_at_mut(self.frame_len());
        frame[..self.inputs_base()].copy_from_slice(y);
        frame[self.inputs_base()..self.params_base()].copy_from_slice(inputs);
        frame[self.params_base()..self.lets_base()].copy_from_slice(&self.params);
        frame[self.consts_base()..].copy_from_slice(&self.consts);
        (frame, rest)
    }

    /// Evaluates every let into its frame slot, in order.
    fn eval_lets(&self, frame: &mut [f64], stack: &mut [f64]) {
        let base = self.lets_base();
        for (k, l) in self.lets.iter().enumerate() {
            frame[base + k] = self.run(l.value, frame, stack);
        }
    }

    /// dy = f(y) at the system's own input values.
    pub fn rhs(&self, y: &[f64], dy: &mut [f64]) {
        self.rhs_with(&self.inputs, y, dy)
    }

    /// dy = f(y) with the inputs at other values (a dose changing over time).
    pub fn rhs_with(&self, inputs: &[f64], y: &[f64], dy: &mut [f64]) {
        if let Some(kernel) = &self.native {
            return with_scratch(self.frame_len(), |scratch| {
                let (frame, _) = self.frame(scratch, y, inputs);
                kernel.run(frame, dy, &self.gates);
            });
        }
        self.rhs_interpreted(inputs, y, dy)
    }

    /// The same system evaluated by the interpreter alone: the reference the native
    /// code is checked against, and what `bench` compares it with.
    pub fn interpreted(&self) -> System {
        System {
            native: None,
            ..self.clone()
        }
    }

    /// Whether the right-hand side runs as machine code.
    pub fn is_native(&self) -> bool {
        self.native.is_some()
    }

    /// [`System::rhs_with`] on the interpreter.
    fn rhs_interpreted(&self, inputs: &[f64], y: &[f64], dy: &mut [f64]) {
        with_scratch(self.frame_len() + self.max_stack, |scratch| {
            let (frame, stack) = self.frame(scratch, y, inputs);
            self.eval_lets(frame, stack);
            dy.fill(0.0);
            for r in &self.reactions {
                let rate = self.run(r.rate, frame, stack);
                for &(i, c) in &r.effects {
                    dy[i as usize] += c * rate;
                }
            }
        })
    }

    /// The dense Jacobian ∂fᵢ/∂yⱼ, row-major.
    pub fn jacobian(&self, y: &[f64], jac: &mut [f64]) {
        self.jacobian_with(&self.inputs, y, jac)
    }

    /// The Jacobian with the inputs at other values.
    pub fn jacobian_with(&self, inputs: &[f64], y: &[f64], jac: &mut [f64]) {
        let n = self.dim();
        jac.fill(0.0);
        self.jacobian_terms(inputs, y, |i, j, v| jac[i * n + j] += v);
    }

    /// The Jacobian's structural non-zeros, one (row, column) for each term that
    /// [`System::jacobian_values_with`] writes, in its order; a pair repeats where several
    /// reactions or lets contribute to it. The pattern follows from which variables each rate
    /// law reads, so an entry that happens to be zero at some state is still in it.
    pub fn jacobian_pattern(&self) -> Vec<(usize, usize)> {
        let mut pattern = Vec::new();
        let y = vec![0.0; self.dim()];
        self.jacobian_terms(&self.inputs, &y, |i, j, _| pattern.push((i, j)));
        pattern
    }

    /// Each term of the Jacobian at y, in the order of [`System::jacobian_pattern`];
    /// `values` has the pattern's length.
    pub fn jacobian_values_with(&self, inputs: &[f64], y: &[f64], values: &mut [f64]) {
        let mut k = 0;
        self.jacobian_terms(inputs, y, |_, _, v| {
            values[k] = v;
            k += 1;
        });
        debug_assert_eq!(k, values.len(), "one value per pattern entry");
    }

    /// Calls `term(i, j, v)` for every contribution v to ∂fᵢ/∂yⱼ, always in the same order
    /// whatever the state: the partial derivatives of each reaction's rate, joined through the
    /// lets by the chain rule and scaled by the reaction's effect on each species.
    fn jacobian_terms(&self, inputs: &[f64], y: &[f64], mut term: impl FnMut(usize, usize, f64)) {
        with_scratch(
            self.frame_len() + self.let_deps_len + self.max_stack,
            |scratch| {
                let (frame, rest) = self.frame(scratch, y, inputs);
                let (dlets, stack) = rest.split_at_mut(self.let_deps_len);
                self.eval_lets(frame, stack);
                dlets.fill(0.0);
                for l in &self.lets {
                    for (wrt, seg) in &l.partials.0 {
                        let p = self.run(*seg, frame, stack);
                        match wrt {
                            Wrt::Species(j) => {
                                if let Ok(pos) = l.deps.binary_search(j) {
                                    dlets[l.offset as usize + pos] += p;
                                }
                            }
                            Wrt::Let { id, positions } => {
                                let inner = &self.lets[*id as usize];
                                for (k, &pos) in positions.iter().enumerate() {
                                    let d = dlets[inner.offset as usize + k];
                                    dlets[l.offset as usize + pos as usize] += p * d;
                                }
                            }
                        }
                    }
                }
                for r in &self.reactions {
                    for (wrt, seg) in &r.partials.0 {
                        let p = self.run(*seg, frame, stack);
                        match wrt {
                            Wrt::Species(j) => {
                                for &(i, c) in &r.effects {
                                    term(i as usize, *j as usize, c * p);
                                }
                            }
                            Wrt::Let { id, .. } => {
                                let inner = &self.lets[*id as usize];
                                for (k, &j) in inner.deps.iter().enumerate() {
                                    let d = p * dlets[inner.offset as usize + k];
                                    for &(i, c) in &r.effects {
                                        term(i as usize, j as usize, c * d);
                                    }
                                }
                            }
                        }
                    }
                }
            },
        )
    }

    /// The same system with the reactions at these indices (in model order) removed:
    /// a genotype's disabled and knocked-out reactions.
    pub fn without_reactions(&self, off: &[ReactionId]) -> System {
        let mut sys = self.clone();
        sys.reactions
            .retain(|r| !off.contains(&ReactionId(r.index)));
        for r in off {
            if let Some(gate) = sys.gates.get_mut(r.index()) {
                *gate = 0;
            }
        }
        sys
    }

    /// Every readout at state `y` with `inputs`, in model order, into `out`; `baselines` are
    /// the values of the model's `baseline(...)` expressions at the start of the run.
    pub fn readouts_with(&self, inputs: &[f64], y: &[f64], baselines: &[f64], out: &mut [f64]) {
        with_scratch(self.frame_len() + self.max_stack, |scratch| {
            let (frame, stack) = self.frame(scratch, y, inputs);
            let lets = self.lets_base();
            for &k in &self.readout_lets {
                frame[lets + k as usize] = self.run(self.lets[k as usize].value, frame, stack);
            }
            let b = self.baselines_base();
            for (k, slot) in frame[b..b + self.n_baselines].iter_mut().enumerate() {
                *slot = baselines.get(k).copied().unwrap_or(f64::NAN);
            }
            let base = self.readouts_base();
            for (k, (seg, v)) in self.readouts.iter().zip(out.iter_mut()).enumerate() {
                *v = self.run(*seg, frame, stack);
                frame[base + k] = *v;
            }
        })
    }

    /// Net rate of each reaction at `y`, in model order.
    pub fn rates(&self, y: &[f64]) -> Vec<f64> {
        with_scratch(self.frame_len() + self.max_stack, |scratch| {
            let (frame, stack) = self.frame(scratch, y, &self.inputs);
            self.eval_lets(frame, stack);
            self.reactions
                .iter()
                .map(|r| self.run(r.rate, frame, stack))
                .collect()
        })
    }
}

thread_local! {
    /// Let values and their derivatives during one evaluation. One buffer per thread,
    /// grown to the largest model seen and then reused, so evaluation allocates
    /// nothing in steady use and clones of a `System` can run on many threads.
    static SCRATCH: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn with_scratch<T>(len: usize, f: impl FnOnce(&mut [f64]) -> T) -> T {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < len {
                buf.resize(len, 0.0);
            }
            f(&mut buf[..len])
        }
        // Only a re-entrant call (an evaluation inside an evaluation) finds the buffer
        // taken; it gets a buffer of its own.
        Err(_) => f(&mut vec![0.0; len]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SpeciesId;

    /// Nesting in the last argument of a call keeps the earlier arguments on the
    /// stack at every level, so the stack grows with depth; it is sized to the
    /// deepest expression rather than refusing it.
    #[test]
    fn deep_call_nesting_sizes_the_stack() {
        let x = || Expr::Var(Var::Species(SpeciesId(0)));
        let mut deep = x();
        for _ in 0..100 {
            deep = Expr::Call(Func::Hill, vec![x(), Expr::Num(1.0), deep]);
        }
        let mut sys = System {
            ops: Vec::new(),
            lets: Vec::new(),
            let_deps_len: 0,
            reactions: Vec::new(),
            max_stack: 1,
            n_lets: 0,
            readouts: Vec::new(),
            n_readouts: 0,
            readout_lets: Vec::new(),
            n_baselines: 0,
            consts: Vec::new(),
            const_slots: std::collections::HashMap::new(),
            names: vec!["x".to_string()],
            initial: vec![1.0],
            params: Vec::new(),
            inputs: Vec::new(),
            native: None,
            gates: Vec::new(),
        };
        let seg = sys.emit(&deep);
        assert!(sys.max_stack > 100, "{}", sys.max_stack);
        let mut scratch = vec![0.0; sys.frame_len() + sys.max_stack];
        let (frame, stack) = sys.frame(&mut scratch, &[1.0], &[]);
        // hill(1, 1, n) = 1/2 for any n.
        assert_eq!(sys.run(seg, frame, stack), 0.5);
        let value = deep.eval(&|_| 1.0);
        assert_eq!(value, 0.5);
    }

    /// A mass-action product takes the multiplying loop and gives the stack machine's
    /// value to the bit; anything else is not mistaken for a product.
    #[test]
    fn products_take_the_loop_with_the_same_bits() {
        let text = "species A = 0.3 uM, B = 0.7 uM, C = 0 uM\n\
                    bind: A + B -> C @ 0.1 /uM/min\n\
                    back: C -> A + B ; 0.2 uM/min * C / (1 uM + C)\n";
        let model = crate::model::load_str("t.pathway", text)
            .model
            .expect("checks");
        let sys = compile(&model);
        let (bind, back) = (sys.reactions[0].rate, sys.reactions[1].rate);
        assert!(bind.product && !back.product);
        let mut scratch = vec![0.0; sys.frame_len() + sys.max_stack];
        for y in [
            [0.3, 0.7, 0.0],
            [1.0 / 3.0, 2.0 / 7.0, 0.9],
            [1e-300, 1e300, 5.0],
        ] {
            let (frame, stack) = sys.frame(&mut scratch, &y, &[]);
            let code = &sys.ops[bind.start as usize..bind.end as usize];
            let looped = sys.run(bind, frame, stack);
            assert_eq!(looped.to_bits(), sys.run_code(code, frame, stack).to_bits());
            assert_eq!(looped.to_bits(), (0.1 * y[0] * y[1]).to_bits());
        }
    }
}
