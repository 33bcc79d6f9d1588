//! The right-hand side as machine code: the lets and rate laws of a compiled `System`
//! handed to `pathrules_native` (Cranelift) as one kernel, at compile time. The
//! interpreter (`System::run`) stays the reference and the fallback: the kernel runs
//! the same operations in the same order, calling the same Rust functions for
//! everything but `+ − × ÷`, negation and `step`, so the two agree to the bit (a test
//! holds them to it on every shipped model and on generated ones).

use pathrules_native::{Kernel, Op as N, Shape, Stmt};

use super::{Bin, Op, Segment, System};
use crate::model;

extern "C" fn pow(a: f64, b: f64) -> f64 {
    model::expr::pow(a, b)
}
extern "C" fn min(a: f64, b: f64) -> f64 {
    a.min(b)
}
extern "C" fn max(a: f64, b: f64) -> f64 {
    a.max(b)
}
extern "C" fn powi(x: f64, n: i32) -> f64 {
    x.powi(n)
}
extern "C" fn exp(x: f64) -> f64 {
    x.exp()
}
extern "C" fn ln(x: f64) -> f64 {
    x.ln()
}
extern "C" fn hill(x: f64, k: f64, n: f64) -> f64 {
    model::expr::hill(x, k, n)
}
extern "C" fn inhibit(x: f64, k: f64, n: f64) -> f64 {
    1.0 / (1.0 + model::expr::pow(x / k, n))
}
extern "C" fn mm(x: f64, vmax: f64, k: f64) -> f64 {
    vmax * x / (k + x)
}

/// The most kernel operations compiled to machine code. Compile time grows a little
/// faster than the program (measured with `pathrules bench`: a random mass-action
/// network of 1,000 species loads in 0.15 s with its kernel, one of 5,000 in 1.0 s,
/// against 0.05 s and 0.25 s without); past this size a model runs on the interpreter,
/// which computes the same, so that no load takes minutes.
const MAX_OPS: usize = 1_000_000;

/// The kernel of `sys`'s right-hand side: each let into its frame slot, then each
/// reaction's rate times its effects added to dy, reaction `k` gated by `gates[k]`.
pub(super) fn rhs_kernel(sys: &System) -> Result<Kernel, String> {
    let lets = sys.lets_base() as u32;
    let mut stmts = Vec::with_capacity(sys.lets.len() + sys.reactions.len());
    for (k, l) in sys.lets.iter().enumerate() {
        stmts.push(Stmt::Set {
            slot: lets + k as u32,
            code: program(sys, l.value),
        });
    }
    for r in &sys.reactions {
        stmts.push(Stmt::Add {
            gate: r.index,
            code: program(sys, r.rate),
            effects: r.effects.clone(),
        });
    }
    let size: usize = stmts
        .iter()
        .map(|s| match s {
            Stmt::Set { code, .. } => code.len(),
            Stmt::Add { code, effects, .. } => code.len() + 4 * effects.len(),
        })
        .sum();
    if size > MAX_OPS {
        return Err(format!(
            "{size} operations is more than the {MAX_OPS} compiled to machine code"
        ));
    }
    Kernel::compile(
        &stmts,
        Shape {
            frame: sys.frame_len(),
            out: sys.dim(),
            gates: sys.gates.len(),
        },
    )
}

/// One segment as the kernel's stack program, operation for operation.
fn program(sys: &System, seg: Segment) -> Vec<N> {
    let code = &sys.ops[seg.start as usize..seg.end as usize];
    let mut out = Vec::with_capacity(code.len() + 4);
    if seg.product {
        // 1·a·b·…, left to right, as the interpreter's loop multiplies.
        out.push(N::Const(1.0));
        for op in code {
            if let Op::Push(k) | Op::MulWith(k) = *op {
                out.push(N::Load(k));
                out.push(N::Mul);
            }
        }
        return out;
    }
    for op in code {
        match *op {
            Op::Push(k) => out.push(N::Load(k)),
            Op::AddWith(k) => out.extend([N::Load(k), N::Add]),
            Op::SubWith(k) => out.extend([N::Load(k), N::Sub]),
            Op::MulWith(k) => out.extend([N::Load(k), N::Mul]),
            Op::DivWith(k) => out.extend([N::Load(k), N::Div]),
            Op::RSubWith(k) => out.extend([N::Load(k), N::Swap, N::Sub]),
            Op::RDivWith(k) => out.extend([N::Load(k), N::Swap, N::Div]),
            Op::With(b, k) => {
                out.push(N::Load(k));
                binary(&mut out, b);
            }
            Op::Add => out.push(N::Add),
            Op::Sub => out.push(N::Sub),
            Op::Mul => out.push(N::Mul),
            Op::Div => out.push(N::Div),
            Op::Bin(b) => binary(&mut out, b),
            Op::Neg => out.push(N::Neg),
            Op::PowI(n) => out.push(N::CallI(powi, n)),
            Op::Exp => out.push(N::Call1(exp)),
            Op::Ln => out.push(N::Call1(ln)),
            Op::Step => out.push(N::Step),
            Op::Hill => out.push(N::Call3(hill)),
            Op::Inhibit => out.push(N::Call3(inhibit)),
            Op::Mm => out.push(N::Call3(mm)),
        }
    }
    out
}

/// a ∘ b with a under b on the stack, as `Bin::apply(a, b)` computes it.
fn binary(out: &mut Vec<N>, b: Bin) {
    match b {
        Bin::Add => out.push(N::Add),
        Bin::Sub => out.push(N::Sub),
        Bin::Mul => out.push(N::Mul),
        Bin::Div => out.push(N::Div),
        Bin::Pow => out.push(N::Call2(pow)),
        Bin::RSub => out.extend([N::Swap, N::Sub]),
        Bin::RDiv => out.extend([N::Swap, N::Div]),
        Bin::RPow => out.extend([N::Swap, N::Call2(pow)]),
        Bin::Min => out.push(N::Call2(min)),
        Bin::Max => out.push(N::Call2(max)),
    }
}
