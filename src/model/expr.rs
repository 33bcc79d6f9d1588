//! Resolved expressions: every name is an id, every literal is in base units.
//!
//! Evaluation, symbolic differentiation and simplification live here so that both the
//! network stage (signs of influences) and the ode stage (the compiled Jacobian) use
//! one definition of what a rate law means.

use super::{CompartmentId, InputId, LetId, ParamId, SpeciesId};

/// A quantity an expression can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Var {
    Species(SpeciesId),
    Param(ParamId),
    Input(InputId),
    Let(LetId),
    Compartment(CompartmentId),
    /// A readout (an index into `Model::readouts`); only readouts read readouts.
    Readout(u32),
    /// A value at the start of an experiment (an index into `Model::baselines`);
    /// only readouts use `baseline(...)`.
    Baseline(u32),
}

/// The functions a rate law may call. `Step` is internal: it appears only in
/// derivatives of `min` and `max` and cannot be written in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    /// `hill(x, K, n) = xⁿ / (Kⁿ + xⁿ)`
    Hill,
    /// `inhibit(x, IC50, n) = 1 / (1 + (x / IC50)ⁿ)`
    Inhibit,
    /// `mm(S, Vmax, Km) = Vmax·S / (Km + S)`
    Mm,
    Exp,
    Ln,
    Pow,
    Min,
    Max,
    /// Heaviside step: 1 where the argument is ≥ 0, else 0.
    Step,
}

impl Func {
    /// The functions a file may call, with their arity.
    pub const USER: &'static [(&'static str, Func, usize)] = &[
        ("hill", Func::Hill, 3),
        ("inhibit", Func::Inhibit, 3),
        ("mm", Func::Mm, 3),
        ("exp", Func::Exp, 1),
        ("ln", Func::Ln, 1),
        ("pow", Func::Pow, 2),
        ("min", Func::Min, 2),
        ("max", Func::Max, 2),
    ];

    pub fn name(self) -> &'static str {
        match self {
            Func::Hill => "hill",
            Func::Inhibit => "inhibit",
            Func::Mm => "mm",
            Func::Exp => "exp",
            Func::Ln => "ln",
            Func::Pow => "pow",
            Func::Min => "min",
            Func::Max => "max",
            Func::Step => "step",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Num(f64),
    Var(Var),
    Neg(Box<Expr>),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Div(Box<Expr>, Box<Expr>),
    Pow(Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

impl Expr {
    pub fn var(v: Var) -> Expr {
        Expr::Var(v)
    }

    /// Evaluates with `value` giving each variable. Lets are read through `value`
    /// too, so the caller decides whether they are precomputed or inlined.
    pub fn eval(&self, value: &dyn Fn(Var) -> f64) -> f64 {
        match self {
            Expr::Num(x) => *x,
            Expr::Var(v) => value(*v),
            Expr::Neg(a) => -a.eval(value),
            Expr::Add(a, b) => a.eval(value) + b.eval(value),
            Expr::Sub(a, b) => a.eval(value) - b.eval(value),
            Expr::Mul(a, b) => a.eval(value) * b.eval(value),
            Expr::Div(a, b) => a.eval(value) / b.eval(value),
            Expr::Pow(a, b) => pow(a.eval(value), b.eval(value)),
            Expr::Call(f, args) => {
                let x: Vec<f64> = args.iter().map(|a| a.eval(value)).collect();
                apply(*f, &x)
            }
        }
    }

    /// Calls `f` on every variable the expression reads, in order, with repeats.
    pub fn visit_vars(&self, f: &mut dyn FnMut(Var)) {
        match self {
            Expr::Num(_) => {}
            Expr::Var(v) => f(*v),
            Expr::Neg(a) => a.visit_vars(f),
            Expr::Add(a, b)
            | Expr::Sub(a, b)
            | Expr::Mul(a, b)
            | Expr::Div(a, b)
            | Expr::Pow(a, b) => {
                a.visit_vars(f);
                b.visit_vars(f);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.visit_vars(f)),
        }
    }

    /// The distinct variables read, sorted.
    pub fn vars(&self) -> Vec<Var> {
        let mut out = Vec::new();
        self.visit_vars(&mut |v| out.push(v));
        out.sort();
        out.dedup();
        out
    }

    pub fn reads(&self, v: Var) -> bool {
        let mut found = false;
        self.visit_vars(&mut |w| found |= w == v);
        found
    }

    /// Replaces every let by its defining expression (recursively); `lets[k]` defines
    /// `LetId(k)`. The checker guarantees lets are acyclic.
    pub fn inline_lets(&self, lets: &[Expr]) -> Expr {
        self.map_vars(&|v| match v {
            Var::Let(id) => lets.get(id.0 as usize).map(|e| e.inline_lets(lets)),
            _ => None,
        })
    }

    /// Rebuilds the expression, replacing each variable for which `f` returns a value.
    pub fn map_vars(&self, f: &dyn Fn(Var) -> Option<Expr>) -> Expr {
        match self {
            Expr::Num(x) => Expr::Num(*x),
            Expr::Var(v) => f(*v).unwrap_or(Expr::Var(*v)),
            Expr::Neg(a) => Expr::Neg(Box::new(a.map_vars(f))),
            Expr::Add(a, b) => Expr::Add(Box::new(a.map_vars(f)), Box::new(b.map_vars(f))),
            Expr::Sub(a, b) => Expr::Sub(Box::new(a.map_vars(f)), Box::new(b.map_vars(f))),
            Expr::Mul(a, b) => Expr::Mul(Box::new(a.map_vars(f)), Box::new(b.map_vars(f))),
            Expr::Div(a, b) => Expr::Div(Box::new(a.map_vars(f)), Box::new(b.map_vars(f))),
            Expr::Pow(a, b) => Expr::Pow(Box::new(a.map_vars(f)), Box::new(b.map_vars(f))),
            Expr::Call(func, args) => {
                Expr::Call(*func, args.iter().map(|a| a.map_vars(f)).collect())
            }
        }
    }

    /// Rewrites `pow(a, b)` as `a^b`, so differentiation and compilation see one
    /// power. `hill`, `inhibit` and `mm` stay calls with derivative rules of their
    /// own: rewriting them into arithmetic copies their first argument twice, which
    /// doubles the tree at every level of nesting.
    pub fn expand(&self) -> Expr {
        match self {
            Expr::Num(_) | Expr::Var(_) => self.clone(),
            Expr::Neg(a) => neg(a.expand()),
            Expr::Add(a, b) => add(a.expand(), b.expand()),
            Expr::Sub(a, b) => sub(a.expand(), b.expand()),
            Expr::Mul(a, b) => mul(a.expand(), b.expand()),
            Expr::Div(a, b) => div(a.expand(), b.expand()),
            Expr::Pow(a, b) => powe(a.expand(), b.expand()),
            Expr::Call(f, args) => {
                let mut a: Vec<Expr> = args.iter().map(Expr::expand).collect();
                match (f, a.len()) {
                    (Func::Pow, 2) => {
                        let e = a.pop().unwrap_or(Expr::Num(f64::NAN));
                        let b = a.pop().unwrap_or(Expr::Num(f64::NAN));
                        powe(b, e)
                    }
                    _ => Expr::Call(*f, a),
                }
            }
        }
    }

    /// ∂self/∂wrt, treating every other variable (lets included) as independent.
    /// Call on an `expand`ed expression; the result is simplified as it is built.
    pub fn derivative(&self, wrt: Var) -> Expr {
        match self {
            Expr::Num(_) => Expr::Num(0.0),
            Expr::Var(v) => Expr::Num(if *v == wrt { 1.0 } else { 0.0 }),
            Expr::Neg(a) => neg(a.derivative(wrt)),
            Expr::Add(a, b) => add(a.derivative(wrt), b.derivative(wrt)),
            Expr::Sub(a, b) => sub(a.derivative(wrt), b.derivative(wrt)),
            Expr::Mul(a, b) => add(
                mul(a.derivative(wrt), (**b).clone()),
                mul((**a).clone(), b.derivative(wrt)),
            ),
            Expr::Div(a, b) => {
                // (a/b)' = a'/b − a·b'/b², leaving out the terms whose factor a' or b'
                // is zero (`div` keeps 0/b as written, since b may be zero).
                let da = a.derivative(wrt);
                let db = b.derivative(wrt);
                let first = if is_zero(&da) {
                    Expr::Num(0.0)
                } else {
                    div(da, (**b).clone())
                };
                let second = if is_zero(&db) {
                    Expr::Num(0.0)
                } else {
                    div(mul((**a).clone(), db), powe((**b).clone(), Expr::Num(2.0)))
                };
                sub(first, second)
            }
            Expr::Pow(a, b) => {
                let da = a.derivative(wrt);
                let db = b.derivative(wrt);
                // The exponent's term carries ln(a), which is NaN for a ≤ 0; leave it
                // out when the exponent is constant, as it is in nearly every rate law.
                let base_term = match &**b {
                    Expr::Num(n) => mul(
                        mul(Expr::Num(*n), powe((**a).clone(), Expr::Num(n - 1.0))),
                        da,
                    ),
                    _ => mul(
                        mul(
                            (**b).clone(),
                            powe((**a).clone(), sub((**b).clone(), Expr::Num(1.0))),
                        ),
                        da,
                    ),
                };
                if is_zero(&db) {
                    base_term
                } else {
                    add(
                        base_term,
                        mul(
                            mul(self.clone(), Expr::Call(Func::Ln, vec![(**a).clone()])),
                            db,
                        ),
                    )
                }
            }
            Expr::Call(f, args) => match (f, args.as_slice()) {
                (Func::Exp, [x]) => mul(self.clone(), x.derivative(wrt)),
                (Func::Ln, [x]) => div(x.derivative(wrt), x.clone()),
                (Func::Min | Func::Max, [a, b]) => {
                    // min picks a where a ≤ b; max picks a where a ≥ b.
                    let pick_a = match f {
                        Func::Min => Expr::Call(Func::Step, vec![sub(b.clone(), a.clone())]),
                        _ => Expr::Call(Func::Step, vec![sub(a.clone(), b.clone())]),
                    };
                    let da = a.derivative(wrt);
                    let db = b.derivative(wrt);
                    if is_zero(&da) && is_zero(&db) {
                        return Expr::Num(0.0);
                    }
                    add(
                        mul(pick_a.clone(), da),
                        mul(sub(Expr::Num(1.0), pick_a), db),
                    )
                }
                (Func::Step, _) => Expr::Num(0.0),
                (Func::Hill, [x, k, n]) => hill_derivative(x, k, n, wrt),
                // inhibit(x, IC50, n) = IC50ⁿ/(IC50ⁿ + xⁿ) = hill(IC50, x, n)
                (Func::Inhibit, [x, ic50, n]) => hill_derivative(ic50, x, n, wrt),
                (Func::Mm, [s, vmax, km]) => {
                    // ∂/∂S = Vmax·Km/(Km+S)², ∂/∂Vmax = S/(Km+S), ∂/∂Km = −Vmax·S/(Km+S)²
                    let denom = || add(km.clone(), s.clone());
                    let sq = || powe(denom(), Expr::Num(2.0));
                    let ds = s.derivative(wrt);
                    let dv = vmax.derivative(wrt);
                    let dk = km.derivative(wrt);
                    let mut total = Expr::Num(0.0);
                    if !is_zero(&ds) {
                        total = add(total, mul(div(mul(vmax.clone(), km.clone()), sq()), ds));
                    }
                    if !is_zero(&dv) {
                        total = add(total, mul(div(s.clone(), denom()), dv));
                    }
                    if !is_zero(&dk) {
                        total = sub(total, mul(div(mul(vmax.clone(), s.clone()), sq()), dk));
                    }
                    total
                }
                (Func::Pow, [b, e]) => powe(b.clone(), e.clone()).derivative(wrt),
                // Calls of the wrong arity never pass the checker.
                _ => Expr::Num(f64::NAN),
            },
        }
    }
}

/// d/dwrt of hill(x, K, n) = xⁿ/(Kⁿ + xⁿ):
/// ∂/∂x = n·xⁿ⁻¹·Kⁿ/(Kⁿ+xⁿ)², ∂/∂K = −n·Kⁿ⁻¹·xⁿ/(Kⁿ+xⁿ)², ∂/∂n = h(1−h)(ln x − ln K).
/// Only the terms whose argument depends on `wrt` are built.
fn hill_derivative(x: &Expr, k: &Expr, n: &Expr, wrt: Var) -> Expr {
    let xn = || powe(x.clone(), n.clone());
    let kn = || powe(k.clone(), n.clone());
    let sq = || powe(add(kn(), xn()), Expr::Num(2.0));
    let n_minus_1 = || sub(n.clone(), Expr::Num(1.0));
    let (dx, dk, dn) = (x.derivative(wrt), k.derivative(wrt), n.derivative(wrt));
    let mut total = Expr::Num(0.0);
    if !is_zero(&dx) {
        let d = div(
            mul(mul(n.clone(), powe(x.clone(), n_minus_1())), kn()),
            sq(),
        );
        total = add(total, mul(d, dx));
    }
    if !is_zero(&dk) {
        let d = div(
            mul(mul(n.clone(), powe(k.clone(), n_minus_1())), xn()),
            sq(),
        );
        total = sub(total, mul(d, dk));
    }
    if !is_zero(&dn) {
        let h = Expr::Call(Func::Hill, vec![x.clone(), k.clone(), n.clone()]);
        let spread = sub(
            Expr::Call(Func::Ln, vec![x.clone()]),
            Expr::Call(Func::Ln, vec![k.clone()]),
        );
        total = add(
            total,
            mul(mul(mul(h.clone(), sub(Expr::Num(1.0), h)), spread), dn),
        );
    }
    total
}

/// `x^y` with the integer powers computed exactly (so `(-2)^2` is 4, not NaN).
pub fn pow(x: f64, y: f64) -> f64 {
    if y == y.trunc() && y.abs() <= 64.0 {
        x.powi(y as i32)
    } else {
        x.powf(y)
    }
}

/// `hill(x, K, n) = xⁿ/(Kⁿ + xⁿ)`, computed as 1/(1 + (K/x)ⁿ): one power instead of two,
/// and the limits come out right where xⁿ would overflow or underflow (x = 0 gives 0 for
/// n > 0, as K/0 = ∞; a large x gives 1 rather than ∞/∞).
pub fn hill(x: f64, k: f64, n: f64) -> f64 {
    1.0 / (1.0 + pow(k / x, n))
}

/// Applies a function to evaluated arguments; `args` has the function's arity.
pub fn apply(f: Func, x: &[f64]) -> f64 {
    let arg = |k: usize| x.get(k).copied().unwrap_or(f64::NAN);
    match f {
        Func::Hill => hill(arg(0), arg(1), arg(2)),
        Func::Inhibit => 1.0 / (1.0 + pow(arg(0) / arg(1), arg(2))),
        Func::Mm => arg(1) * arg(0) / (arg(2) + arg(0)),
        Func::Exp => arg(0).exp(),
        Func::Ln => arg(0).ln(),
        Func::Pow => pow(arg(0), arg(1)),
        Func::Min => arg(0).min(arg(1)),
        Func::Max => arg(0).max(arg(1)),
        Func::Step => {
            if arg(0) >= 0.0 {
                1.0
            } else {
                0.0
            }
        }
    }
}

fn is_zero(e: &Expr) -> bool {
    matches!(e, Expr::Num(x) if *x == 0.0)
}

fn is_one(e: &Expr) -> bool {
    matches!(e, Expr::Num(x) if *x == 1.0)
}

// Smart constructors: fold constants and drop identities, so derivatives of rate laws
// stay small enough to compile and read.

pub fn neg(a: Expr) -> Expr {
    match a {
        Expr::Num(x) => Expr::Num(-x),
        Expr::Neg(inner) => *inner,
        a => Expr::Neg(Box::new(a)),
    }
}

pub fn add(a: Expr, b: Expr) -> Expr {
    match (a, b) {
        (Expr::Num(x), Expr::Num(y)) => Expr::Num(x + y),
        (a, b) if is_zero(&a) => b,
        (a, b) if is_zero(&b) => a,
        (a, Expr::Neg(b)) => sub(a, *b),
        (a, b) => Expr::Add(Box::new(a), Box::new(b)),
    }
}

pub fn sub(a: Expr, b: Expr) -> Expr {
    match (a, b) {
        (Expr::Num(x), Expr::Num(y)) => Expr::Num(x - y),
        (a, b) if is_zero(&b) => a,
        (a, b) if is_zero(&a) => neg(b),
        (a, Expr::Neg(b)) => add(a, *b),
        (a, b) => Expr::Sub(Box::new(a), Box::new(b)),
    }
}

pub fn mul(a: Expr, b: Expr) -> Expr {
    match (a, b) {
        (Expr::Num(x), Expr::Num(y)) => Expr::Num(x * y),
        (a, b) if is_zero(&a) || is_zero(&b) => Expr::Num(0.0),
        (a, b) if is_one(&a) => b,
        (a, b) if is_one(&b) => a,
        (Expr::Neg(a), b) => neg(mul(*a, b)),
        (a, Expr::Neg(b)) => neg(mul(a, *b)),
        (a, b) => Expr::Mul(Box::new(a), Box::new(b)),
    }
}

pub fn div(a: Expr, b: Expr) -> Expr {
    match (a, b) {
        (Expr::Num(x), Expr::Num(y)) if y != 0.0 => Expr::Num(x / y),
        // 0/b is 0 only where b is not 0; a written 0/b keeps its NaN at b = 0.
        (a, Expr::Num(y)) if is_zero(&a) && y != 0.0 => Expr::Num(0.0),
        (a, b) if is_one(&b) => a,
        (a, b) => Expr::Div(Box::new(a), Box::new(b)),
    }
}

pub fn powe(a: Expr, b: Expr) -> Expr {
    match (a, b) {
        (Expr::Num(x), Expr::Num(y)) => Expr::Num(pow(x, y)),
        (_, b) if is_zero(&b) => Expr::Num(1.0),
        (a, b) if is_one(&b) => a,
        (a, b) => Expr::Pow(Box::new(a), Box::new(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: Var = Var::Species(SpeciesId(0));
    const Y: Var = Var::Species(SpeciesId(1));

    fn at(x: f64, y: f64) -> impl Fn(Var) -> f64 {
        move |v| {
            if v == X {
                x
            } else if v == Y {
                y
            } else {
                0.0
            }
        }
    }

    /// Central differences with step 1e-6 agree with the symbolic derivative to 1e-6
    /// relative for smooth functions of order-one values.
    fn check_derivative(e: &Expr, x: f64, y: f64) {
        let e = e.expand();
        let d = e.derivative(X).eval(&at(x, y));
        let h = 1e-6;
        let fd = (e.eval(&at(x + h, y)) - e.eval(&at(x - h, y))) / (2.0 * h);
        assert!(
            (d - fd).abs() <= 1e-6 * (1.0 + fd.abs()),
            "{e:?}: symbolic {d}, finite difference {fd}"
        );
    }

    #[test]
    fn derivatives_match_finite_differences() {
        let x = || Expr::Var(X);
        let y = || Expr::Var(Y);
        let n = Expr::Num;
        let cases = vec![
            Expr::Call(Func::Hill, vec![x(), n(0.5), n(2.0)]),
            Expr::Call(Func::Inhibit, vec![x(), y(), n(1.3)]),
            Expr::Call(Func::Mm, vec![x(), n(3.0), y()]),
            Expr::Call(Func::Exp, vec![mul(x(), y())]),
            Expr::Call(Func::Ln, vec![add(x(), y())]),
            Expr::Call(Func::Pow, vec![x(), y()]),
            Expr::Call(Func::Min, vec![x(), y()]),
            Expr::Call(Func::Max, vec![mul(n(2.0), x()), y()]),
            div(sub(x(), y()), powe(x(), n(3.0))),
            neg(mul(x(), x())),
        ];
        for e in &cases {
            check_derivative(e, 0.7, 1.9);
            check_derivative(e, 2.3, 0.4);
        }
    }

    #[test]
    fn constant_exponent_has_no_log_term() {
        // At x = 0 the full power rule would evaluate 0·ln(0) = NaN.
        let e = powe(Expr::Var(X), Expr::Num(2.0));
        assert_eq!(e.derivative(X).eval(&at(0.0, 0.0)), 0.0);
    }
}
