//! The explicit drivers: ode_solvers' Dopri5 and Dop853, used as independent cross-checks of
//! the BDF results on non-stiff models.
//!
//! ode_solvers' dense output extrapolates past the last accepted step when an output time lies
//! beyond it, which once produced a negative Ca²⁺ at an output point. So its dense output is not
//! used at all: the integration runs segment by segment, from one output time to the next, with
//! ode_solvers' sparse output, and each output is the state at the end of a segment, which the
//! method reaches exactly with a shortened last step. Every accepted step is checked by the
//! [`Guard`] from ode_solvers' per-step callback, which also stops the integration at the first
//! violation.
//!
//! Time is carried as an extra state component, a clock with derivative 1 that starts at zero in
//! each segment, and the right-hand side reads the time from it rather than from ode_solvers.
//! ode_solvers 0.6.2's DOP853 tableau has c12 = 0 where Hairer's DOP853 has c12 = 1, so stage 12
//! of every step is handed the time of the step's start. That is harmless for an autonomous
//! system, but a rate law that depends on time gets a wrong error estimate and the steps collapse
//! (dy/dt = cos t took over 1000 steps to reach t = 0.47, then tripped the stiffness test). The
//! clock's value at stage s is h·Σ_j a_sj = h·c_s by the row-sum condition of the tableau, the
//! correct stage time whatever time the crate passes. Both explicit methods use the clock, so
//! they share one code path.

use ode_solvers::dop_shared::IntegrationError;
use ode_solvers::{DVector, Dop853, Dopri5, OutputType, System};

use super::guard::{Guard, Sink, hermite};
use super::{Method, Run, SolveError, Stats, contain, same_time};

/// Step-size safety factor of the controller: 0.9, the default of Hairer's DOPRI5 and DOP853.
const SAFETY: f64 = 0.9;
/// Dopri5's PI-controller gain and step-change bounds: beta 0.04, and a new step between 0.2 and
/// 10 times the old, the defaults of Hairer's DOPRI5.
const DOPRI5_BETA: f64 = 0.04;
const DOPRI5_FAC_MIN: f64 = 0.2;
const DOPRI5_FAC_MAX: f64 = 10.0;
/// Dop853's controller: no PI gain, and a new step between 0.333 and 6 times the old, the
/// defaults of Hairer's DOP853.
const DOP853_BETA: f64 = 0.0;
const DOP853_FAC_MIN: f64 = 0.333;
const DOP853_FAC_MAX: f64 = 6.0;
/// Accepted steps between stiffness tests: 1000, Hairer's NSTIFF default. The test stops an
/// explicit method early on a stiff model, where it would otherwise crawl until `max_steps`.
const STIFFNESS_TEST_INTERVAL: u32 = 1000;

/// The last accepted state, and the guard that checks each new one against it.
struct Watch<'g, 'p> {
    guard: &'g mut Guard<'p>,
    t: f64,
    y: Vec<f64>,
    /// dy/dt at (t, y), for interpolating inside the next step.
    f: Vec<f64>,
    violation: Option<SolveError>,
    /// Set when the run's stopping condition held after the last accepted step.
    done: bool,
}

/// The system handed to ode_solvers: the model's state followed by the segment's clock.
struct Rhs<'r, 'w, 'g, 'p> {
    run: &'r Run<'r>,
    watch: &'w mut Watch<'g, 'p>,
    /// The time at which the clock reads zero.
    t_start: f64,
}

impl System<f64, DVector<f64>> for Rhs<'_, '_, '_, '_> {
    fn system(&self, _t: f64, y: &DVector<f64>, dy: &mut DVector<f64>) {
        let n = y.len() - 1;
        let clock = y[n];
        let dy = dy.as_mut_slice();
        self.run
            .rhs(self.t_start + clock, &y.as_slice()[..n], &mut dy[..n]);
        dy[n] = 1.0;
    }

    /// Called after every accepted step with the new state and its derivative.
    fn solout(&mut self, t: f64, y: &DVector<f64>, dy: &DVector<f64>) -> bool {
        self.run.counters.nonfinite.set(None);
        let n = y.len() - 1;
        let w = &mut *self.watch;
        let (t_prev, y_prev, f_prev) = (w.t, &w.y, &w.f);
        let (y_now, f_now) = (&y.as_slice()[..n], &dy.as_slice()[..n]);
        let mut value_at =
            |s: f64, i: usize| hermite(t_prev, y_prev[i], f_prev[i], t, y_now[i], f_now[i], s);
        let checked = w.guard.check_step(t_prev, t, y_now, &mut value_at);
        w.t = t;
        w.y.copy_from_slice(y_now);
        w.f.copy_from_slice(f_now);
        match checked {
            Ok(()) => {
                w.done = self.run.is_done(t, &w.y);
                w.done
            }
            Err(e) => {
                w.violation = Some(e);
                true
            }
        }
    }
}

/// What one segment did.
struct Segment {
    result: Result<(), IntegrationError>,
    accepted: usize,
    attempts: usize,
    /// The last full-length accepted step, a good first step for the next segment.
    last_full_step: Option<f64>,
}

pub(super) fn integrate(
    run: &Run,
    t0: f64,
    y0: &[f64],
    f0: Vec<f64>,
    times: &[f64],
    guard: &mut Guard,
    sink: &mut Sink,
) -> Result<Stats, SolveError> {
    let settings = run.settings;
    let t_end = times[times.len() - 1];
    let mut watch = Watch {
        guard,
        t: t0,
        y: y0.to_vec(),
        f: f0,
        violation: None,
        done: false,
    };
    let mut t = t0;
    // Zero asks ode_solvers to estimate the first step from the initial slope.
    let mut h = settings.initial_step.unwrap_or(0.0);
    let mut attempts = 0;
    let mut steps = 0;
    for &t_out in times {
        if t_out > t && !same_time(t, t_out) {
            let budget = settings.max_steps.saturating_sub(attempts);
            if budget == 0 {
                return Err(run.error(t, watch.guard.out_of_steps(t, settings.max_steps, t_end)));
            }
            let seg = segment(run, &mut watch, settings.method, t, t_out, h, budget)
                .map_err(|msg| run.crate_error(t, &msg))?;
            attempts += seg.attempts;
            steps += seg.accepted;
            if let Some(e) = watch.violation.take() {
                return Err(e);
            }
            if watch.done {
                watch.guard.emit(watch.t, watch.y.clone(), sink)?;
                break;
            }
            match seg.result {
                Ok(()) => {}
                Err(IntegrationError::MaxNumStepReached { x, .. }) => {
                    let kind = watch.guard.out_of_steps(x, settings.max_steps, t_end);
                    return Err(run.step_failure(x, kind));
                }
                Err(IntegrationError::StepSizeUnderflow { x }) => {
                    return Err(run.step_too_small(x, &watch.y));
                }
                Err(IntegrationError::StiffnessDetected { x }) => {
                    return Err(run.crate_error(
                        x,
                        "the model became stiff here (ode_solvers' stiffness test)",
                    ));
                }
            }
            if let Some(last) = seg.last_full_step {
                h = last;
            }
            // The segment ended on t_out up to round-off; carry on from t_out exactly.
            t = t_out;
            watch.t = t_out;
        }
        watch.guard.emit(t_out, watch.y.clone(), sink)?;
    }
    Ok(Stats {
        steps,
        ..Stats::default()
    })
}

/// Integrate from (t, watch.y) to t_end with at most `budget` step attempts.
fn segment(
    run: &Run,
    watch: &mut Watch,
    method: Method,
    t: f64,
    t_end: f64,
    h: f64,
    budget: usize,
) -> Result<Segment, String> {
    let settings = run.settings;
    // Both methods divide their squared error norm by the number of components, clock included,
    // although the clock is integrated exactly (its error estimate is round-off). Scaling both
    // tolerances by sqrt(n / (n + 1)) cancels that, so the model's components are held to exactly
    // the requested tolerances.
    let n = watch.y.len() as f64;
    let shrink = (n / (n + 1.0)).sqrt();
    let (rtol, atol) = (settings.rtol * shrink, settings.atol * shrink);
    let mut state = watch.y.clone();
    state.push(0.0);
    let y = DVector::from_vec(state);
    let system = Rhs {
        run,
        watch,
        t_start: t,
    };
    let span = t_end - t;
    let n_max = u32::try_from(budget).unwrap_or(u32::MAX);
    match method {
        Method::Dopri5 => {
            // Dopri5 stops when its attempt count exceeds n_max (Dop853 when it reaches it),
            // so it is given one fewer to keep both within the budget.
            let mut stepper = Dopri5::from_param(
                system,
                t,
                t_end,
                span,
                y,
                rtol,
                atol,
                SAFETY,
                DOPRI5_BETA,
                DOPRI5_FAC_MIN,
                DOPRI5_FAC_MAX,
                span,
                h,
                n_max.saturating_sub(1),
                STIFFNESS_TEST_INTERVAL,
                OutputType::Sparse,
            );
            let result = contain(|| stepper.integrate())?;
            Ok(summarise(result, stepper.x_out(), budget))
        }
        Method::Dop853 => {
            let mut stepper = Dop853::from_param(
                system,
                t,
                t_end,
                span,
                y,
                rtol,
                atol,
                SAFETY,
                DOP853_BETA,
                DOP853_FAC_MIN,
                DOP853_FAC_MAX,
                span,
                h,
                n_max,
                STIFFNESS_TEST_INTERVAL,
                OutputType::Sparse,
            );
            let result = contain(|| stepper.integrate())?;
            Ok(summarise(result, stepper.x_out(), budget))
        }
        Method::Bdf => Err("bdf is not an explicit method".to_string()),
    }
}

/// Count the work of a segment from ode_solvers' result and its sparse output, which holds the
/// start time and then the end of every accepted step.
fn summarise(
    result: Result<ode_solvers::dop_shared::Stats, IntegrationError>,
    x_out: &[f64],
    budget: usize,
) -> Segment {
    let accepted = x_out.len().saturating_sub(1);
    let attempts = match &result {
        Ok(stats) => stats.accepted_steps as usize + stats.rejected_steps as usize,
        Err(IntegrationError::MaxNumStepReached { .. }) => budget,
        Err(_) => accepted,
    };
    // The last step was shortened to land on the segment's end, so the one before it is the
    // last step the controller chose freely.
    let last_full_step = if x_out.len() >= 3 {
        Some(x_out[x_out.len() - 2] - x_out[x_out.len() - 3])
    } else {
        None
    };
    Segment {
        result: result.map(|_| ()),
        accepted,
        attempts,
        last_full_step,
    }
}
