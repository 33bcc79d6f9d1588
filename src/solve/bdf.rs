//! The stiff driver: diffsol's variable-order BDF, on a dense nalgebra matrix with nalgebra's LU
//! for small systems and on a sparse faer matrix with faer's sparse LU for large ones (see
//! [`Linear`]). The problem's Jacobian comes as a list of structural non-zeros, which is handed to
//! diffsol as the sparsity pattern (no probing, no colouring), and values written straight into
//! the matrix diffsol factorises.
//!
//! The solver is stepped one accepted step at a time with its stop time at the last output, and
//! every output time is interpolated inside the step that covers it, so no sample ever comes from
//! beyond the solver's accepted steps. Each accepted step is checked by the [`Guard`].

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use diffsol::error::OdeSolverError;
use diffsol::matrix::MatrixRef;
use diffsol::matrix::sparsity::MatrixSparsity;
use diffsol::{
    ConstantOp, DefaultDenseMatrix, DiffsolError, FaerSparseLU, FaerSparseMat, LinearSolver,
    Matrix, NalgebraLU, NalgebraMat, NonLinearOp, NonLinearOpJacobian, OdeBuilder, OdeEquations,
    OdeEquationsRef, OdeSolverMethod, OdeSolverState, OdeSolverStopReason, Op, UnitCallable,
    Vector, VectorCommon, VectorRef,
};

use super::guard::{Guard, Sink};
use super::krylov::Krylov;
use super::{Linear, Run, SolveError, Stats, contain};

/// Newton convergence failures allowed within one step. diffsol compares its limit
/// (`max_nonlinear_solver_failures`, default 50) with a counter that runs over the whole
/// simulation, not per step, so a week-long run that meets a few hard stretches was aborted
/// although every single step recovered. Before each step the limit is reset to the failures so
/// far plus this many, which restores the per-step meaning that diffsol documents, with its own
/// default of 50. Failures within one step cut the step by 0.3 every second failure, so 50 of
/// them already mean a step shrunk by 0.3^25 ≈ 1e-13, where the step-size floor ends it anyway.
const NEWTON_FAILURES_PER_STEP: usize = 50;

/// From this many components `Linear::Auto` uses the sparse matrix and LU. Measured with
/// `pathrules bench --linear dense|sparse` on the synthetic networks of `scripts/bench.py`: a
/// random mass-action network (about 19 Jacobian terms per row), whose LU fills in, is 2.4x
/// slower sparse at 100 species and 1.9x faster at 200.
pub(super) const SPARSE_FROM: usize = 150;

/// Below `SPARSE_FROM`, a system of at least this many components whose Jacobian has at most
/// `THIN_ROW` terms per row on average is sparse too: a linear chain (2 per row) is already 1.2x
/// faster sparse at 30 species and 3x at 100, while at 10 the dense LU is 3x faster.
pub(super) const SPARSE_THIN_FROM: usize = 30;

/// From this many components `Linear::Auto` solves Newton's systems by BiCGSTAB ([`Krylov`])
/// when the Jacobian has more than `THIN_ROW` terms per row on average. Measured with `pathrules
/// bench --linear sparse|krylov` on the random mass-action networks of `scripts/bench.py` (about
/// 19 terms per row) over a day: at 200 species the two are even (31 and 27 ms), from 500
/// BiCGSTAB is clearly ahead (160 against 74 ms; at 1000, 853 against 148 ms; at 5000, 47 s
/// against 1.1 s). A chain, whose LU does not fill in, stays on the sparse LU at every size: at
/// 1000 species BiCGSTAB takes 200 ms where the LU takes 101 ms, at 5000 6.0 s against 0.54 s.
pub(super) const KRYLOV_FROM: usize = 500;
pub(super) const THIN_ROW: usize = 4;

pub(super) fn integrate(
    run: &Run,
    t0: f64,
    y0: &[f64],
    f0: &[f64],
    times: &[f64],
    guard: &mut Guard,
    sink: &mut Sink,
) -> Result<Stats, SolveError> {
    let pattern = run.problem.jacobian_pattern();
    let t_end = times[times.len() - 1];
    let start = Start {
        t0,
        y0,
        h0: run
            .settings
            .initial_step
            .or_else(|| first_step(run, t0, y0, f0, t_end)),
    };
    match run.settings.linear.resolve(y0.len(), pattern.len()) {
        Linear::Sparse => integrate_with::<FaerSparseMat<f64>, FaerSparseLU<f64>>(
            run, pattern, &start, times, guard, sink,
        ),
        Linear::Krylov => {
            integrate_with::<FaerSparseMat<f64>, Krylov>(run, pattern, &start, times, guard, sink)
        }
        Linear::Dense | Linear::Auto => integrate_with::<NalgebraMat<f64>, NalgebraLU<f64>>(
            run, pattern, &start, times, guard, sink,
        ),
    }
}

fn integrate_with<M: Written, LS: LinearSolver<M>>(
    run: &Run,
    pattern: Vec<(usize, usize)>,
    start: &Start,
    times: &[f64],
    guard: &mut Guard,
    sink: &mut Sink,
) -> Result<Stats, SolveError>
where
    M::V: DefaultDenseMatrix<T = f64, C = M::C>,
    for<'b> &'b M::V: VectorRef<M::V>,
    for<'b> &'b M: MatrixRef<M>,
{
    let settings = run.settings;
    let (t0, y0) = (start.t0, start.y0);
    let eqn = match contain(|| Equations::<M>::new(run, pattern, y0)) {
        Ok(Ok(eqn)) => eqn,
        Ok(Err(msg)) | Err(msg) => return Err(run.crate_error(t0, &msg)),
    };
    let ode = flatten(contain(|| {
        OdeBuilder::<M>::new()
            .t0(t0)
            .rtol(settings.rtol)
            .atol([settings.atol])
            .build_from_eqn(eqn)
    }))
    .map_err(|msg| run.crate_error(t0, &msg))?;

    let mut state =
        flatten(contain(|| ode.bdf_state::<LS>())).map_err(|m| run.crate_error(t0, &m))?;
    // diffsol estimates the first step from the initial slope and uses the builder's `h0` only
    // for its sign, so a requested first step is written into the state directly.
    let t_end = times[times.len() - 1];
    if let Some(h) = start.h0 {
        *state.as_mut().h = h;
    }
    let mut solver =
        flatten(contain(|| ode.bdf_solver::<LS>(state))).map_err(|m| run.crate_error(t0, &m))?;
    // The stop time keeps the last step from overshooting the last output, so the right-hand
    // side is never evaluated past it (the next piece of a piecewise run may change the model).
    flatten(contain(|| solver.set_stop_time(t_end))).map_err(|m| run.crate_error(t0, &m))?;

    // Every interpolated output is written here first, so an output costs one allocation.
    let mut scratch = solver.state().y.clone();
    let mut next = 0;
    let mut steps = 0;
    let mut t_prev = t0;
    loop {
        let t_now = solver.state().t;
        if steps >= settings.max_steps {
            return Err(run.error(t_now, guard.out_of_steps(t_now, settings.max_steps, t_end)));
        }
        let failures = solver.get_statistics().number_of_nonlinear_solver_fails;
        solver.config_mut().maximum_newton_fails =
            failures.saturating_add(NEWTON_FAILURES_PER_STEP);
        run.counters.nonfinite.set(None);

        let reason = match contain(|| solver.step()) {
            Ok(Ok(reason)) => reason,
            Ok(Err(e)) => {
                let st = solver.state();
                return Err(step_error(run, st.t, &M::components(st.y), e));
            }
            Err(msg) => return Err(run.crate_error(t_now, &msg)),
        };
        steps += 1;

        let st = solver.state();
        let t = st.t;
        let y = M::components(st.y);
        // BDF's interpolant is valid across the whole last step, which is where the guard asks.
        let mut value_at = |s: f64, i: usize| match solver.interpolate(s) {
            Ok(v) => v.get_index(i),
            Err(_) => f64::NAN,
        };
        guard.check_step(t_prev, t, &y, &mut value_at)?;
        if run.is_done(t, &y) {
            guard.emit(t, y.to_vec(), sink)?;
            break;
        }

        while next < times.len() && times[next] <= t {
            let tn = times[next];
            let sample = if tn >= t {
                y.to_vec()
            } else {
                flatten(contain(|| solver.interpolate_inplace(tn, &mut scratch)))
                    .map_err(|m| run.crate_error(t, &m))?;
                M::components(&scratch).into_owned()
            };
            guard.emit(tn, sample, sink)?;
            next += 1;
        }
        if matches!(reason, OdeSolverStopReason::TstopReached) || next == times.len() {
            // The stop time is reached up to round-off, so any output left is the final state.
            for &tn in &times[next..] {
                guard.emit(tn, y.to_vec(), sink)?;
            }
            break;
        }
        t_prev = t;
    }
    Ok(Stats {
        steps,
        ..Stats::default()
    })
}

/// The first step of a run from (t0, y0) towards `t_end`: the step whose order-one local error,
/// h²/2 · ÿ, is half the tolerance, with ÿ estimated by a difference of right-hand sides along
/// the initial slope, as CVODE chooses it (Hindmarsh et al. 2005, §2.1; `cvHin`).
///
/// Only where diffsol's own estimate (Hairer's, for explicit methods) falls back to 1e-6 time
/// units, as it does whenever the scaled initial state or slope is below 1e-5: a run that starts
/// at a steady state and stays near it (a drug the genotype cannot respond to) spent its first
/// 100 steps growing the step from there, and now takes 10 (`am580_rarako`). Where the slope is
/// larger, diffsol's estimate is kept: on the shipped experiments that start with a drug applied
/// it takes 20 fewer steps than this one. `None` keeps diffsol's.
fn first_step(run: &Run, t0: f64, y0: &[f64], f0: &[f64], t_end: f64) -> Option<f64> {
    let settings = run.settings;
    let weight = |y: f64| 1.0 / (settings.rtol * y.abs() + settings.atol);
    let rms = |v: &mut dyn Iterator<Item = f64>| {
        (v.map(|x| x * x).sum::<f64>() / y0.len().max(1) as f64).sqrt()
    };
    let d0 = rms(&mut y0.iter().map(|y| y * weight(*y)));
    let d1 = rms(&mut f0.iter().zip(y0).map(|(f, y)| f * weight(*y)));
    if d0 >= DIFFSOL_SMALL && d1 >= DIFFSOL_SMALL {
        return None;
    }
    let span = (t_end - t0).abs();
    // Bounds: no shorter than round-off can tell from t0; no longer than a tenth of the run, nor
    // than lets any component change by more than a tenth of its size (plus atol).
    let lower = 100.0 * f64::EPSILON * t0.abs().max(t_end.abs());
    let fastest = y0
        .iter()
        .zip(f0)
        .map(|(y, f)| f.abs() / (0.1 * y.abs() + settings.atol))
        .fold(0.0, f64::max);
    let mut upper = 0.1 * span;
    if upper * fastest > 1.0 {
        upper = 1.0 / fastest;
    }
    if !(upper.is_finite() && upper > lower) {
        return None;
    }
    // Up to four refinements of h from the geometric mean of the bounds, each with ÿ estimated
    // over the current h, until two agree within a factor of two.
    let mut h = (lower * upper).sqrt();
    let (mut y1, mut f1) = (vec![0.0; y0.len()], vec![0.0; y0.len()]);
    for _ in 0..4 {
        for ((a, y), f) in y1.iter_mut().zip(y0).zip(f0) {
            *a = y + h * f;
        }
        run.rhs(t0 + h, &y1, &mut f1);
        let ydd = rms(&mut f1
            .iter()
            .zip(f0)
            .zip(y0)
            .map(|((b, a), y)| (b - a) / h * weight(*y)));
        if !ydd.is_finite() {
            // The slope led somewhere the model is not defined: stay near the start.
            h = (lower * h).sqrt();
            continue;
        }
        let next = if ydd * upper * upper > 2.0 {
            (2.0 / ydd).sqrt()
        } else {
            (h * upper).sqrt()
        };
        let ratio = next / h;
        h = next;
        if (0.5..=2.0).contains(&ratio) {
            break;
        }
    }
    // Where the curvature asks for less than diffsol would take (a state at zero with a slope),
    // diffsol's is kept.
    Some((0.5 * h).clamp(lower, upper)).filter(|&h| h > DIFFSOL_FALLBACK_MOST)
}

/// The scaled size of the initial state or slope below which diffsol's first-step estimate
/// falls back to 1e-6 time units, and the most its first step then is (100 times that); from
/// `set_step_size` in diffsol 0.18's `ode_solver/state.rs`.
const DIFFSOL_SMALL: f64 = 1e-5;
const DIFFSOL_FALLBACK_MOST: f64 = 1e-4;

/// Where a run starts: the time, the state, and the first step when it is chosen here rather
/// than by diffsol (given in the settings, or by [`first_step`]).
struct Start<'a> {
    t0: f64,
    y0: &'a [f64],
    h0: Option<f64>,
}

/// A matrix diffsol can factorise and whose storage the Jacobian values are written into.
trait Written: Matrix<T = f64> {
    /// Where each (row, column) of `pattern` lives in the matrix's value storage, and the
    /// sparsity to hand diffsol (`None` for a dense matrix).
    fn layout(
        n: usize,
        pattern: &[(usize, usize)],
    ) -> Result<(Vec<usize>, Option<Self::Sparsity>), String>;
    fn values_mut(&mut self) -> &mut [f64];
    /// A vector's components: borrowed where the vector is one slice, as nalgebra's is, so
    /// reading the state after each step copies nothing (diffsol's `clone_as_vec` goes element
    /// by element through nalgebra's iterator, a tenth of a simulation's time on the shipped
    /// model).
    fn components(v: &Self::V) -> Cow<'_, [f64]>;
}

impl Written for NalgebraMat<f64> {
    fn layout(
        n: usize,
        pattern: &[(usize, usize)],
    ) -> Result<(Vec<usize>, Option<Self::Sparsity>), String> {
        // nalgebra stores column by column.
        Ok((pattern.iter().map(|&(i, j)| i + j * n).collect(), None))
    }
    fn values_mut(&mut self) -> &mut [f64] {
        self.inner_mut().as_mut_slice()
    }
    fn components(v: &Self::V) -> Cow<'_, [f64]> {
        Cow::Borrowed(v.inner().as_slice())
    }
}

impl Written for FaerSparseMat<f64> {
    fn layout(
        n: usize,
        pattern: &[(usize, usize)],
    ) -> Result<(Vec<usize>, Option<Self::Sparsity>), String> {
        let sparsity =
            <Self::Sparsity as MatrixSparsity<Self>>::try_from_indices(n, n, pattern.to_vec())
                .map_err(|e| format!("the Jacobian pattern does not fit the system: {e}"))?;
        // faer keeps the values column by column, rows sorted, repeats merged: the order of
        // `indices()`.
        let slot: HashMap<(usize, usize), usize> =
            <Self::Sparsity as MatrixSparsity<Self>>::indices(&sparsity)
                .into_iter()
                .enumerate()
                .map(|(k, ij)| (ij, k))
                .collect();
        let positions = pattern.iter().map(|ij| slot[ij]).collect();
        Ok((positions, Some(sparsity)))
    }
    fn values_mut(&mut self) -> &mut [f64] {
        self.inner_mut()[0].val_mut()
    }
    fn components(v: &Self::V) -> Cow<'_, [f64]> {
        Cow::Owned(v.clone_as_vec())
    }
}

/// The problem as diffsol's equations: the right-hand side, the Jacobian pattern and values,
/// and the initial state.
struct Equations<'a, M: Matrix> {
    run: &'a Run<'a>,
    init: Vec<f64>,
    pattern: Vec<(usize, usize)>,
    /// For each entry of `pattern`, its place in the matrix's value storage.
    positions: Vec<usize>,
    sparsity: Option<M::Sparsity>,
    values: RefCell<Vec<f64>>,
    ctx: M::C,
}

impl<'a, M: Written> Equations<'a, M> {
    fn new(run: &'a Run<'a>, pattern: Vec<(usize, usize)>, y0: &[f64]) -> Result<Self, String> {
        let n = y0.len();
        if let Some(&(i, j)) = pattern.iter().find(|&&(i, j)| i >= n || j >= n) {
            return Err(format!(
                "the Jacobian pattern names entry ({i}, {j}) of a {n}x{n} system"
            ));
        }
        let (positions, sparsity) = M::layout(n, &pattern)?;
        Ok(Equations {
            run,
            init: y0.to_vec(),
            values: RefCell::new(vec![0.0; pattern.len()]),
            pattern,
            positions,
            sparsity,
            ctx: M::C::default(),
        })
    }

    fn n(&self) -> usize {
        self.init.len()
    }

    /// The Jacobian's values at (t, y), one per pattern entry.
    fn evaluate(&self, t: f64, y: &[f64]) -> std::cell::RefMut<'_, Vec<f64>> {
        let counters = self.run.counters;
        counters.jac.set(counters.jac.get() + 1);
        let mut values = self.values.borrow_mut();
        self.run.problem.jacobian_values(t, y, &mut values);
        values
    }
}

struct Rhs<'a, 'b, M: Matrix>(&'a Equations<'b, M>);
struct Init<'a, 'b, M: Matrix>(&'a Equations<'b, M>);

macro_rules! op {
    ($t:ty, $self:ident => $e:expr) => {
        impl<M: Written> Op for $t {
            type T = f64;
            type V = M::V;
            type M = M;
            type C = M::C;
            fn context(&$self) -> &M::C {
                &$e.ctx
            }
            fn nstates(&$self) -> usize {
                $e.n()
            }
            fn nout(&$self) -> usize {
                $e.n()
            }
            fn nparams(&$self) -> usize {
                0
            }
        }
    };
}
op!(Equations<'_, M>, self => self);
op!(Rhs<'_, '_, M>, self => self.0);
op!(Init<'_, '_, M>, self => self.0);

impl<M: Written> NonLinearOp for Rhs<'_, '_, M> {
    fn call_inplace(&self, x: &M::V, t: f64, y: &mut M::V) {
        y.for_each_batch_host([x], |y, [x], _| self.0.run.rhs(t, x, y));
    }
}

impl<M: Written> NonLinearOpJacobian for Rhs<'_, '_, M> {
    fn jac_mul_inplace(&self, x: &M::V, t: f64, v: &M::V, y: &mut M::V) {
        let eqn = self.0;
        y.for_each_batch_host([x, v], |y, [x, v], _| {
            let values = eqn.evaluate(t, x);
            y.fill(0.0);
            for (&(i, j), &a) in eqn.pattern.iter().zip(values.iter()) {
                y[i] += a * v[j];
            }
        });
    }

    fn jacobian_inplace(&self, x: &M::V, t: f64, y: &mut M) {
        let eqn = self.0;
        let values = eqn.evaluate(t, &M::components(x));
        let storage = y.values_mut();
        storage.fill(0.0);
        for (&k, &a) in eqn.positions.iter().zip(values.iter()) {
            storage[k] += a;
        }
    }

    fn jacobian_sparsity(&self) -> Option<M::Sparsity> {
        self.0.sparsity.clone()
    }
}

impl<M: Written> ConstantOp for Init<'_, '_, M> {
    fn call_inplace(&self, _t: f64, y: &mut M::V) {
        y.for_each_batch_host([], |y, [], _| y.copy_from_slice(&self.0.init));
    }
}

impl<'a, M: Written> OdeEquationsRef<'a> for Equations<'_, M> {
    type Rhs = Rhs<'a, 'a, M>;
    type Init = Init<'a, 'a, M>;
    type Mass = UnitCallable<M>;
    type Root = UnitCallable<M>;
    type Out = UnitCallable<M>;
    type Reset = UnitCallable<M>;
}

impl<M: Written> OdeEquations for Equations<'_, M> {
    fn rhs(&self) -> Rhs<'_, '_, M> {
        Rhs(self)
    }
    fn init(&self) -> Init<'_, '_, M> {
        Init(self)
    }
    fn mass(&self) -> Option<UnitCallable<M>> {
        None
    }
    // The model's parameters live in the problem; diffsol's are empty.
    fn set_params(&mut self, _p: &M::V) {}
    fn get_params(&self, _p: &mut M::V) {}
}

/// Map a failed diffsol step, at the last accepted (t, y), to our error kinds.
fn step_error(run: &Run, t: f64, y: &[f64], e: DiffsolError) -> SolveError {
    match e {
        DiffsolError::OdeSolverError(OdeSolverError::StepSizeTooSmall { .. }) => {
            run.step_too_small(t, y)
        }
        // The inner message reads better without diffsol's "ODE solver error:" prefix.
        DiffsolError::OdeSolverError(inner) => run.crate_error(t, &inner.to_string()),
        other => run.crate_error(t, &other.to_string()),
    }
}

fn flatten<R>(r: Result<Result<R, DiffsolError>, String>) -> Result<R, String> {
    match r {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(e.to_string()),
        Err(msg) => Err(msg),
    }
}
