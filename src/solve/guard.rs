//! Physical-validity checks shared by both drivers: non-finite states, non-negative components
//! that go clearly negative, and the clamping of round-off negatives in the output.
//!
//! A component i that must stay non-negative is in error when it falls below
//! `-(NEGATIVE_ATOL_MULTIPLE * atol + rtol * scale_i)`, where `scale_i` is the largest |y_i| seen
//! so far in this call. The `atol` term covers the noise the local error test allows around zero,
//! accumulated over steps; the `rtol * scale_i` term covers a species that fell from a large value
//! to near zero and still carries an absolute error of order `rtol` times its former size. Inside
//! that band a negative value is round-off and is reported as exactly zero; below it the solver
//! has settled on an unphysical branch, which a stiff method will happily keep following.
//!
//! The guard also counts how often each component turns between rising and falling, so that a
//! run that exhausts its steps on a limit cycle is told so instead of being told to take more.

use super::{Problem, Settings, SolveError, SolveErrorKind};

/// Ten absolute tolerances: one step's error test already allows about one `atol` of noise, and
/// errors of that size accumulate over the few steps a species spends near zero; an order of
/// magnitude of headroom keeps round-off out of the error path while a real negative branch,
/// which grows to the size of the species itself, is still caught at once.
const NEGATIVE_ATOL_MULTIPLE: f64 = 10.0;

/// Bisection halvings when locating a crossing inside a step: 60 halvings shrink any step below
/// one part in 1e18 of its length, past double precision, so the loop ends on its own test first.
const BISECTION_HALVINGS: usize = 60;

/// A reversal counts as a turn only once the component has moved back by this share of the
/// range it has covered so far in the call. A limit cycle swings across its whole range every
/// period; a transient that settles, or a damped oscillation, soon swings by less, and the noise
/// the error test allows never reaches a tenth of a range that is more than noise.
const TURN_SHARE: f64 = 0.1;

/// Accepted steps a swing must last to count: a solver that alternates around a value from one
/// step to the next (an explicit method at its stability limit) is ringing, not oscillating, and
/// BDF resolves a real cycle in tens of steps.
const TURN_STEPS: u32 = 3;

/// Turns each way before a run out of steps is called oscillating: ten cycles is a pattern, and
/// far fewer than the hundreds a limit cycle goes through in a run of default length.
const OSCILLATING_CYCLES: u32 = 10;

pub(super) struct Guard<'a> {
    problem: &'a dyn Problem,
    method: super::Method,
    rtol: f64,
    atol: f64,
    nonnegative: Vec<bool>,
    /// Largest |y_i| seen so far in this call.
    scale: Vec<f64>,
    turns: Turns,
}

/// Per component: the direction of travel (+1, -1, or 0 before it has moved), the extreme
/// reached in that direction, the range covered, the turns counted, the accepted steps since
/// the last turn and the time of the last turn. Updated after every accepted step.
struct Turns {
    t0: f64,
    dir: Vec<i8>,
    extreme: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    count: Vec<u32>,
    since: Vec<u32>,
    last: Vec<f64>,
}

impl Turns {
    fn new(y0: &[f64]) -> Turns {
        let n = y0.len();
        Turns {
            t0: 0.0,
            dir: vec![0; n],
            extreme: y0.to_vec(),
            lo: y0.to_vec(),
            hi: y0.to_vec(),
            count: vec![0; n],
            since: vec![0; n],
            last: vec![f64::NEG_INFINITY; n],
        }
    }

    fn update(&mut self, t: f64, y: &[f64], atol: f64) {
        for (i, &v) in y.iter().enumerate() {
            self.lo[i] = self.lo[i].min(v);
            self.hi[i] = self.hi[i].max(v);
            self.since[i] = self.since[i].saturating_add(1);
            let band = (TURN_SHARE * (self.hi[i] - self.lo[i])).max(atol);
            let dir = f64::from(self.dir[i]);
            let moved = v - self.extreme[i];
            if dir == 0.0 {
                if moved.abs() > band {
                    self.dir[i] = if moved > 0.0 { 1 } else { -1 };
                    self.extreme[i] = v;
                    self.since[i] = 0;
                }
            } else if moved * dir >= 0.0 {
                self.extreme[i] = v;
            } else if -moved * dir > band {
                if self.since[i] >= TURN_STEPS {
                    self.count[i] += 1;
                    self.last[i] = t;
                }
                self.dir[i] = -self.dir[i];
                self.extreme[i] = v;
                self.since[i] = 0;
            }
        }
    }

    /// The component that turned most, with its full cycles, if it oscillates: ten cycles or
    /// more, and still turning in the second half of the run up to `t`.
    fn oscillating(&self, t: f64) -> Option<(usize, u32)> {
        let half = self.t0 + 0.5 * (t - self.t0);
        let (i, &turns) = self
            .count
            .iter()
            .enumerate()
            .filter(|&(i, _)| self.last[i] >= half)
            .max_by_key(|&(_, c)| *c)?;
        let cycles = turns / 2;
        (cycles >= OSCILLATING_CYCLES).then_some((i, cycles))
    }
}

impl<'a> Guard<'a> {
    pub(super) fn new(problem: &'a dyn Problem, settings: &Settings, y0: &[f64]) -> Self {
        Guard {
            problem,
            method: settings.method,
            rtol: settings.rtol,
            atol: settings.atol,
            nonnegative: (0..y0.len()).map(|i| problem.is_nonnegative(i)).collect(),
            scale: y0
                .iter()
                .map(|v| if v.is_finite() { v.abs() } else { 0.0 })
                .collect(),
            turns: Turns::new(y0),
        }
    }

    /// Why a run stopped at its step limit at `t` on its way to `end`, having taken `limit`
    /// steps: on a limit cycle, that it oscillates and how many steps the rest would take;
    /// otherwise, simply that the limit was reached.
    pub(super) fn out_of_steps(&self, t: f64, limit: usize, end: f64) -> SolveErrorKind {
        match self.turns.oscillating(t) {
            Some((i, cycles)) => SolveErrorKind::Oscillating {
                limit,
                component: i,
                name: self.problem.component_name(i).to_string(),
                cycles: cycles as usize,
                end,
                needed: limit as f64 * (end - self.turns.t0) / (t - self.turns.t0),
            },
            None => SolveErrorKind::TooManySteps { limit },
        }
    }

    fn threshold(&self, i: usize) -> f64 {
        NEGATIVE_ATOL_MULTIPLE * self.atol + self.rtol * self.scale[i]
    }

    fn error(&self, time: f64, kind: SolveErrorKind) -> SolveError {
        SolveError {
            time,
            kind,
            method: self.method,
        }
    }

    fn nonfinite(&self, time: f64, i: usize) -> SolveError {
        self.error(
            time,
            SolveErrorKind::NonFinite {
                component: i,
                name: self.problem.component_name(i).to_string(),
            },
        )
    }

    fn negative(&self, time: f64, i: usize, value: f64) -> SolveError {
        self.error(
            time,
            SolveErrorKind::Negative {
                component: i,
                name: self.problem.component_name(i).to_string(),
                value,
            },
        )
    }

    /// Check the initial state: a model can hand over a non-finite or negative start.
    pub(super) fn check_initial(&mut self, t0: f64, y0: &[f64]) -> Result<(), SolveError> {
        self.turns.t0 = t0;
        if let Some(i) = y0.iter().position(|v| !v.is_finite()) {
            return Err(self.nonfinite(t0, i));
        }
        for (i, &v) in y0.iter().enumerate() {
            if self.nonnegative[i] && v < -self.threshold(i) {
                return Err(self.negative(t0, i, v));
            }
        }
        Ok(())
    }

    /// Check the state `y` at the end of an accepted step that began at `t_prev`, which passed
    /// this check. `value_at(t, i)` evaluates component i inside the step, so a negative
    /// crossing is reported where it happened rather than where the step ended: a linear decline
    /// can be covered by one long step.
    pub(super) fn check_step(
        &mut self,
        t_prev: f64,
        t: f64,
        y: &[f64],
        value_at: &mut dyn FnMut(f64, usize) -> f64,
    ) -> Result<(), SolveError> {
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(self.nonfinite(t, i));
        }
        let mut first: Option<(f64, usize, f64)> = None;
        for (i, &v) in y.iter().enumerate() {
            let level = -self.threshold(i);
            if self.nonnegative[i] && v < level {
                let at = crossing(t_prev, t, &mut |s| value_at(s, i) < level);
                if first.is_none_or(|(t_first, _, _)| at < t_first) {
                    let mut value = value_at(at, i);
                    // The interpolant may disagree with the step end by round-off at the
                    // crossing; the step end is then the honest value to show.
                    if value.is_nan() || value >= level {
                        value = v;
                    }
                    first = Some((at, i, value));
                }
            }
        }
        if let Some((at, i, value)) = first {
            return Err(self.negative(at, i, value));
        }
        for (s, &v) in self.scale.iter_mut().zip(y) {
            *s = s.max(v.abs());
        }
        self.turns.update(t, y, self.atol);
        Ok(())
    }

    /// Check an output sample and record it, clamping round-off negatives to zero.
    pub(super) fn emit(&self, t: f64, mut y: Vec<f64>, sink: &mut Sink) -> Result<(), SolveError> {
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(self.nonfinite(t, i));
        }
        for (i, v) in y.iter_mut().enumerate() {
            if self.nonnegative[i] && *v < 0.0 {
                if *v < -self.threshold(i) {
                    return Err(self.negative(t, i, *v));
                }
                *v = 0.0;
            }
        }
        sink.times.push(t);
        sink.states.push(y);
        Ok(())
    }
}

/// A time in (a, b] where `below` turns true, given that it is false at a and true at b, to
/// round-off. The interpolant is monotone across a crossing in all but contrived steps, and if it
/// is not, the crossing found still lies inside the step that went wrong, which is as precise as
/// the solver's own output.
fn crossing(a: f64, b: f64, below: &mut dyn FnMut(f64) -> bool) -> f64 {
    let (mut lo, mut hi) = (a, b);
    for _ in 0..BISECTION_HALVINGS {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if below(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Cubic Hermite interpolation of one component across a step from (t0, y0, f0) to (t1, y1, f1),
/// where f is dy/dt. It is third-order accurate inside the step, enough to locate a crossing.
pub(super) fn hermite(t0: f64, y0: f64, f0: f64, t1: f64, y1: f64, f1: f64, t: f64) -> f64 {
    let h = t1 - t0;
    if h == 0.0 {
        return y1;
    }
    let s = (t - t0) / h;
    let s2 = s * s;
    let s3 = s2 * s;
    (2.0 * s3 - 3.0 * s2 + 1.0) * y0
        + (s3 - 2.0 * s2 + s) * h * f0
        + (3.0 * s2 - 2.0 * s3) * y1
        + (s3 - s2) * h * f1
}

/// The samples collected so far.
pub(super) struct Sink {
    times: Vec<f64>,
    states: Vec<Vec<f64>>,
}

impl Sink {
    pub(super) fn with_capacity(n: usize) -> Self {
        Sink {
            times: Vec::with_capacity(n),
            states: Vec::with_capacity(n),
        }
    }

    pub(super) fn into_parts(self) -> (Vec<f64>, Vec<Vec<f64>>) {
        (self.times, self.states)
    }
}
