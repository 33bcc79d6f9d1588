//! The stiff driver: diffsol's variable-order BDF on dense nalgebra matrices, built with the
//! closure-based `OdeBuilder` from our right-hand side and our analytic Jacobian.
//!
//! The solver is stepped one accepted step at a time with its stop time at the last output, and
//! every output time is interpolated inside the step that covers it, so no sample ever comes from
//! beyond the solver's accepted steps. Each accepted step is checked by the [`Guard`].

use std::cell::RefCell;

use diffsol::error::OdeSolverError;
use diffsol::{
    DiffsolError, NalgebraLU, NalgebraMat, OdeBuilder, OdeSolverMethod, OdeSolverState,
    OdeSolverStopReason, Vector, VectorCommon,
};

use super::guard::{Guard, Sink};
use super::{Run, SolveError, SolveErrorKind, Stats, contain};

type M = NalgebraMat<f64>;
type LS = NalgebraLU<f64>;

/// Newton convergence failures allowed within one step. diffsol compares its limit
/// (`max_nonlinear_solver_failures`, default 50) with a counter that runs over the whole
/// simulation, not per step, so a week-long run that meets a few hard stretches was aborted
/// although every single step recovered. Before each step the limit is reset to the failures so
/// far plus this many, which restores the per-step meaning that diffsol documents, with its own
/// default of 50. Failures within one step cut the step by 0.3 every second failure, so 50 of
/// them already mean a step shrunk by 0.3^25 ≈ 1e-13, where the step-size floor ends it anyway.
const NEWTON_FAILURES_PER_STEP: usize = 50;

/// The last dense Jacobian evaluated, and where.
struct JacobianCache {
    t: f64,
    y: Vec<f64>,
    jac: Vec<f64>,
    valid: bool,
}

pub(super) fn integrate(
    run: &Run,
    t0: f64,
    y0: &[f64],
    times: &[f64],
    guard: &mut Guard,
    sink: &mut Sink,
) -> Result<Stats, SolveError> {
    let n = y0.len();
    let settings = run.settings;
    let cache = RefCell::new(JacobianCache {
        t: f64::NAN,
        y: vec![f64::NAN; n],
        jac: vec![0.0; n * n],
        valid: false,
    });
    let init = y0.to_vec();
    let ode = flatten(contain(|| {
        OdeBuilder::<M>::new()
            .t0(t0)
            .rtol(settings.rtol)
            .atol([settings.atol])
            .rhs_implicit(
                |y: &[f64], _p: &[f64], t: f64, dy: &mut [f64]| run.rhs(t, y, dy),
                |y: &[f64], _p: &[f64], t: f64, v: &[f64], jv: &mut [f64]| {
                    jacobian_action(run, &cache, t, y, v, jv)
                },
            )
            .init(
                move |_p: &[f64], _t: f64, y: &mut [f64]| y.copy_from_slice(&init),
                n,
            )
            .build()
    }))
    .map_err(|msg| run.crate_error(t0, &msg))?;

    let mut state =
        flatten(contain(|| ode.bdf_state::<LS>())).map_err(|m| run.crate_error(t0, &m))?;
    // diffsol estimates the first step from the initial slope and uses the builder's `h0` only
    // for its sign, so a requested first step is written into the state directly.
    if let Some(h) = settings.initial_step {
        *state.as_mut().h = h;
    }
    let mut solver =
        flatten(contain(|| ode.bdf_solver::<LS>(state))).map_err(|m| run.crate_error(t0, &m))?;
    let t_end = times[times.len() - 1];
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
            return Err(run.error(
                t_now,
                SolveErrorKind::TooManySteps {
                    limit: settings.max_steps,
                },
            ));
        }
        let failures = solver.get_statistics().number_of_nonlinear_solver_fails;
        solver.config_mut().maximum_newton_fails =
            failures.saturating_add(NEWTON_FAILURES_PER_STEP);
        run.counters.nonfinite.set(None);

        let reason = match contain(|| solver.step()) {
            Ok(Ok(reason)) => reason,
            Ok(Err(e)) => {
                let st = solver.state();
                return Err(step_error(run, st.t, st.y.inner().as_slice(), e));
            }
            Err(msg) => return Err(run.crate_error(t_now, &msg)),
        };
        steps += 1;

        let st = solver.state();
        let t = st.t;
        let y: &[f64] = st.y.inner().as_slice();
        // BDF's interpolant is valid across the whole last step, which is where the guard asks.
        let mut value_at = |s: f64, i: usize| match solver.interpolate(s) {
            Ok(v) => v.get_index(i),
            Err(_) => f64::NAN,
        };
        guard.check_step(t_prev, t, y, &mut value_at)?;

        while next < times.len() && times[next] <= t {
            let tn = times[next];
            let sample = if tn >= t {
                y.to_vec()
            } else {
                flatten(contain(|| solver.interpolate_inplace(tn, &mut scratch)))
                    .map_err(|m| run.crate_error(t, &m))?;
                scratch.inner().as_slice().to_vec()
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

/// J·v from the dense Jacobian. diffsol assembles its Jacobian matrix by applying this action to
/// each unit vector in turn at one (t, y), so the dense Jacobian is evaluated once per (t, y) and
/// cached, and only the non-zero entries of v are visited: one Jacobian assembly then costs one
/// call of `Problem::jacobian` and O(n²) work rather than n calls and O(n³).
fn jacobian_action(
    run: &Run,
    cache: &RefCell<JacobianCache>,
    t: f64,
    y: &[f64],
    v: &[f64],
    jv: &mut [f64],
) {
    let mut guard = cache.borrow_mut();
    let c = &mut *guard;
    if !(c.valid && c.t == t && c.y.as_slice() == y) {
        run.counters.jac.set(run.counters.jac.get() + 1);
        run.problem.jacobian(t, y, &mut c.jac);
        c.t = t;
        c.y.copy_from_slice(y);
        c.valid = true;
    }
    let n = y.len();
    jv.fill(0.0);
    for (j, &vj) in v.iter().enumerate() {
        if vj != 0.0 {
            for (i, out) in jv.iter_mut().enumerate() {
                *out += c.jac[i * n + j] * vj;
            }
        }
    }
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
