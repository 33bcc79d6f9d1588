//! Stage 6, experiment: protocols applied to a compiled system.
//!
//! A protocol is a list of steps that set inputs (a drug applied, a drug washed out)
//! at given times, and of doses that add a first-order absorption and elimination
//! curve to an input. Both are discontinuities, so the integration is piecewise: the
//! solver runs up to each, the input changes, and the solver restarts from the state
//! it reached; nothing is smoothed over a step. `steady_state` finds the state a
//! system settles to, which experiments start from (pre-equilibration), and
//! `predict` runs a model's experiment whole: genotype, pre-equilibration, schedule,
//! readouts. This stage never reads syntax or files.

mod predict;

pub use predict::{
    ExperimentError, ExperimentErrorKind, Prediction, Reads, Starts, evaluate_readouts,
    genotype_system, grid, predict, predict_on, predict_with, protocol, starting_state, thinned,
};
pub use predict::{Prepared, prepare};

use crate::model::InputId;
use crate::ode::System;
use crate::solve::{self, Settings, SolveError, Stats, Trajectory};

// The bounds a protocol is checked against live with the checked protocol, so the
// checker holds a file to them without reaching into this later stage.
pub use crate::model::protocol::{MAX_EVENTS, MAX_POINTS, time_grid_len};

/// Output times `0, every, 2·every, …, until` (the end included even off the grid).
///
/// Never more than `MAX_POINTS + 1` of them: what a user writes is held to
/// `MAX_POINTS` where it is written (a located error in the checker, a usage error on
/// the command line), with [`time_grid_len`] counting; a longer grid asked for here
/// anyway is cut after `MAX_POINTS + 1` times rather than allocated whole.
pub fn time_grid(until: f64, every: f64) -> Vec<f64> {
    let Some(len) = time_grid_len(until, every) else {
        return Vec::new();
    };
    let limit = MAX_POINTS + 1;
    let n = (until / every + 1e-9).floor().min(limit as f64) as usize;
    let mut times: Vec<f64> = (0..=n).take(limit).map(|k| k as f64 * every).collect();
    if len <= limit as f64
        && let Some(&last) = times.last()
        && until - last > 1e-9 * until.max(1.0)
    {
        times.push(until);
    }
    times
}

/// At `time`, set `input` to `value` (in base units).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    pub time: f64,
    pub input: InputId,
    pub value: f64,
}

/// At `time`, a dose of `amount` (a concentration: the level reached if absorption
/// were instant and nothing were eliminated) enters `input` through first-order
/// absorption (rate constant `ka`) and elimination (`ke`), both per base time unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dose {
    pub time: f64,
    pub input: InputId,
    pub amount: f64,
    pub ka: f64,
    pub ke: f64,
}

impl Dose {
    /// The Bateman function: the dose's contribution to its input at time `t`.
    pub fn level(&self, t: f64) -> f64 {
        let tau = t - self.time;
        if tau <= 0.0 {
            return 0.0;
        }
        let (ka, ke) = (self.ka, self.ke);
        if (ka - ke).abs() <= COINCIDENT * ka.max(ke) {
            // The limit ka → ke: D·k·τ·e^(−kτ).
            return self.amount * ka * tau * (-ka * tau).exp();
        }
        self.amount * ka / (ka - ke) * ((-ke * tau).exp() - (-ka * tau).exp())
    }
}

/// Input steps and doses in time order; steps at one time apply in the order given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Protocol {
    steps: Vec<Step>,
    doses: Vec<Dose>,
}

impl Protocol {
    pub fn new(steps: Vec<Step>) -> Protocol {
        Protocol::with_doses(steps, Vec::new())
    }

    pub fn with_doses(mut steps: Vec<Step>, mut doses: Vec<Dose>) -> Protocol {
        // A stable sort keeps the written order of steps at the same time.
        steps.sort_by(|a, b| a.time.total_cmp(&b.time));
        doses.sort_by(|a, b| a.time.total_cmp(&b.time));
        Protocol { steps, doses }
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    pub fn doses(&self) -> &[Dose] {
        &self.doses
    }

    /// Every input's value at `t`: the declared values of `system`, the last step at
    /// or before `t`, plus what the doses contribute.
    pub fn inputs_at(&self, system: &System, t: f64) -> Vec<f64> {
        self.inputs_on(system, &[t]).pop().unwrap_or_default()
    }

    /// Every input's value at each of `times` (in increasing order), as
    /// [`Protocol::inputs_at`] gives it, in one pass over the steps and doses.
    pub fn inputs_on(&self, system: &System, times: &[f64]) -> Vec<Vec<f64>> {
        let mut levels = system.inputs.clone();
        let mut steps = self.steps.iter().peekable();
        let mut doses = Superposition::new(&self.doses);
        let mut out = Vec::with_capacity(times.len());
        for &t in times {
            while let Some(s) = steps.next_if(|s| s.time <= t) {
                if let Some(v) = levels.get_mut(s.input.index()) {
                    *v = s.value;
                }
            }
            doses.advance(t);
            let mut inputs = levels.clone();
            doses.add(t, &mut inputs);
            out.push(inputs);
        }
        out
    }
}

/// Two rate constants are one when this close, relative to the larger: the Bateman
/// function's ka/(ka − ke) then loses every digit, and its limit form is used.
const COINCIDENT: f64 = 1e-9;

/// Every dose's Bateman curve summed as a few numbers per group of doses that share an
/// input and rate constants, instead of one term per dose.
///
/// For ka ≠ ke a dose of D at tᵢ adds c·(e^(−ke·τ) − e^(−ka·τ)), c = D·ka/(ka − ke),
/// τ = t − tᵢ. Over the doses up to a time s the sum is, for t ≥ s with no dose in
/// (s, t), e^(−ke·(t−s))·L + F·(e^(−ke·(t−s)) − e^(−ka·(t−s))), where
/// F = Σ c·e^(−ka·(s−tᵢ)) and L = Σ c·(e^(−ke·(s−tᵢ)) − e^(−ka·(s−tᵢ))) is the level at
/// s. Moving s forward by δ decays both (L takes in F's share over δ) and a dose at the
/// new s adds c to F and nothing to L. Every term has the sign of the level whichever
/// rate is larger, and the difference of exponentials is written with `exp_m1`, so
/// nothing cancels: the sum is as accurate as the terms summed one by one.
///
/// For ka = ke = k a dose adds D·k·τ·e^(−kτ); with P = Σ D·k·e^(−k(s−tᵢ)) and
/// Q = Σ D·k·(s−tᵢ)·e^(−k(s−tᵢ)) the sum is e^(−k(t−s))·((t−s)·P + Q), and moving s by
/// δ makes P ← e^(−kδ)·P, Q ← e^(−kδ)·(Q + δ·P).
///
/// So a run of N doses costs O(N) in all rather than O(N) per evaluation of the right-
/// hand side, which made dosing cost grow with the square of the number of doses.
#[derive(Clone, Debug)]
struct Superposition {
    groups: Vec<Group>,
}

#[derive(Clone, Debug)]
struct Group {
    input: usize,
    ka: f64,
    ke: f64,
    coincident: bool,
    /// (time, amount) in time order.
    doses: Vec<(f64, f64)>,
    /// How many of `doses` the sums hold: those at or before `at`.
    added: usize,
    /// The time the sums describe.
    at: f64,
    /// L and F for ka ≠ ke; P and Q for ka = ke.
    first: f64,
    second: f64,
}

impl Superposition {
    fn new(doses: &[Dose]) -> Superposition {
        let mut groups: Vec<Group> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for d in doses {
            let key = (d.input.index(), d.ka.to_bits(), d.ke.to_bits());
            let k = *index.entry(key).or_insert_with(|| {
                groups.push(Group {
                    input: d.input.index(),
                    ka: d.ka,
                    ke: d.ke,
                    coincident: (d.ka - d.ke).abs() <= COINCIDENT * d.ka.max(d.ke),
                    doses: Vec::new(),
                    added: 0,
                    at: f64::NEG_INFINITY,
                    first: 0.0,
                    second: 0.0,
                });
                groups.len() - 1
            });
            groups[k].doses.push((d.time, d.amount));
        }
        for g in &mut groups {
            g.doses.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        Superposition { groups }
    }

    fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Moves the sums forward to `s`, taking in every dose at or before it. A time
    /// before the last one is ignored: the sums never go back.
    fn advance(&mut self, s: f64) {
        for g in &mut self.groups {
            while let Some(&(t, amount)) = g.doses.get(g.added)
                && t <= s
            {
                g.decay_to(t);
                if g.coincident {
                    g.first += amount * g.ka;
                } else {
                    g.second += amount * g.ka / (g.ka - g.ke);
                }
                g.added += 1;
            }
            g.decay_to(s);
        }
    }

    /// Adds every dose's level at `t` to `inputs`; valid for `t` from the time the sums
    /// were last moved to up to the next dose.
    fn add(&self, t: f64, inputs: &mut [f64]) {
        for g in &self.groups {
            if g.added == 0 {
                continue;
            }
            if let Some(v) = inputs.get_mut(g.input) {
                *v += g.level(t);
            }
        }
    }
}

impl Group {
    fn decay_to(&mut self, s: f64) {
        if self.added == 0 || s <= self.at {
            self.at = self.at.max(s);
            return;
        }
        let d = s - self.at;
        if self.coincident {
            let e = (-self.ka * d).exp();
            self.second = e * (self.second + d * self.first);
            self.first *= e;
        } else {
            self.first =
                (-self.ke * d).exp() * self.first + self.second * spread(self.ka, self.ke, d);
            self.second *= (-self.ka * d).exp();
        }
        self.at = s;
    }

    fn level(&self, t: f64) -> f64 {
        let d = (t - self.at).max(0.0);
        if self.coincident {
            (-self.ka * d).exp() * (d * self.first + self.second)
        } else {
            (-self.ke * d).exp() * self.first + self.second * spread(self.ka, self.ke, d)
        }
    }
}

/// e^(−ke·d) − e^(−ka·d), factored by the slower exponential so that a short `d` loses
/// no digits (`exp_m1`) and a long one cannot overflow: e^(−ke·d)·(1 − e^(−(ka−ke)·d))
/// when absorption is the faster, e^(−ka·d)·(e^(−(ke−ka)·d) − 1) when elimination is
/// (flip-flop kinetics, a half-life of absorption longer than of elimination). The
/// first form alone multiplies 0 by ∞ there once d is long, a NaN.
fn spread(ka: f64, ke: f64, d: f64) -> f64 {
    if ka >= ke {
        -(-ke * d).exp() * (-(ka - ke) * d).exp_m1()
    } else {
        (-ka * d).exp() * (-(ke - ka) * d).exp_m1()
    }
}

/// A compiled system with no protocol, as a solver's problem: its inputs at their
/// values. This stage joins the two stages before it, so the ode stage never names the
/// solver's trait.
impl solve::Problem for System {
    fn dim(&self) -> usize {
        System::dim(self)
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        System::rhs(self, y, dy)
    }
    fn jacobian(&self, _t: f64, y: &[f64], jac: &mut [f64]) {
        System::jacobian(self, y, jac)
    }
    fn jacobian_pattern(&self) -> Vec<(usize, usize)> {
        System::jacobian_pattern(self)
    }
    fn jacobian_values(&self, _t: f64, y: &[f64], values: &mut [f64]) {
        self.jacobian_values_with(&self.inputs, y, values)
    }
    fn component_name(&self, i: usize) -> &str {
        self.species_names()
            .get(i)
            .map(String::as_str)
            .unwrap_or("?")
    }
}

/// A system under a protocol: its own input values (the steps so far) plus the doses,
/// summed from where the current segment starts. The compiled system is borrowed,
/// never copied.
struct Driven<'a> {
    system: &'a System,
    inputs: Vec<f64>,
    doses: Superposition,
}

thread_local! {
    /// The inputs of a dosed system at the time being evaluated: one buffer per
    /// thread, reused, so a dosed evaluation allocates nothing in steady use.
    static INPUTS: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Driven<'_> {
    /// Calls `f` with the inputs at time `t`.
    fn with_inputs<T>(&self, t: f64, f: impl FnOnce(&[f64]) -> T) -> T {
        if self.doses.is_empty() {
            return f(&self.inputs);
        }
        INPUTS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => {
                buf.clear();
                buf.extend_from_slice(&self.inputs);
                self.doses.add(t, &mut buf);
                f(&buf)
            }
            Err(_) => {
                let mut inputs = self.inputs.clone();
                self.doses.add(t, &mut inputs);
                f(&inputs)
            }
        })
    }

    fn set(&mut self, step: &Step) {
        if let Some(v) = self.inputs.get_mut(step.input.index()) {
            *v = step.value;
        }
    }
}

impl solve::Problem for Driven<'_> {
    fn dim(&self) -> usize {
        self.system.dim()
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        self.with_inputs(t, |u| self.system.rhs_with(u, y, dy))
    }
    fn jacobian(&self, t: f64, y: &[f64], jac: &mut [f64]) {
        self.with_inputs(t, |u| self.system.jacobian_with(u, y, jac))
    }
    fn jacobian_pattern(&self) -> Vec<(usize, usize)> {
        self.system.jacobian_pattern()
    }
    fn jacobian_values(&self, t: f64, y: &[f64], values: &mut [f64]) {
        self.with_inputs(t, |u| self.system.jacobian_values_with(u, y, values))
    }
    fn component_name(&self, i: usize) -> &str {
        solve::Problem::component_name(self.system, i)
    }
}

/// Integrates `system` from `y0` at `times[0]` through the protocol, restarting the
/// solver at every step time. Steps at or before `times[0]` apply before the start.
/// The state is continuous across a step, so an output time equal to a step time
/// reports the state there (the rates change, the amounts do not).
pub fn run(
    system: &System,
    y0: &[f64],
    protocol: &Protocol,
    times: &[f64],
    settings: &Settings,
) -> Result<Trajectory, SolveError> {
    let mut driven = Driven {
        system,
        inputs: system.inputs.clone(),
        doses: Superposition::new(&protocol.doses),
    };
    let t0 = times.first().copied().unwrap_or(0.0);
    driven.doses.advance(t0);
    let end = times.last().copied().unwrap_or(t0);
    let split = protocol.steps.partition_point(|s| s.time <= t0);
    let (before, later) = protocol.steps.split_at(split);
    for s in before {
        driven.set(s);
    }
    let mut out = Trajectory {
        times: Vec::with_capacity(times.len()),
        states: Vec::with_capacity(times.len()),
        stats: Stats::default(),
    };
    let mut state = y0.to_vec();
    let mut start = t0;
    let mut next_time = 0usize;
    // Segment ends: each distinct step or dose time inside the run, then the end
    // itself. A dose starts a curve whose slope jumps, so the solver restarts there.
    let mut cuts: Vec<f64> = later
        .iter()
        .map(|s| s.time)
        .chain(protocol.doses.iter().map(|d| d.time))
        .filter(|&t| t > t0 && t < end)
        .collect();
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    cuts.push(end);
    let mut step_index = 0usize;
    let mut segment = Vec::with_capacity(times.len() + 2);
    for cut in cuts {
        // The requested times in [start, cut], plus `cut` to restart from.
        let upto = times.partition_point(|&t| t <= cut);
        let wanted = &times[next_time..upto];
        segment.clear();
        if wanted.first() != Some(&start) {
            segment.push(start);
        }
        segment.extend_from_slice(wanted);
        if wanted.last() != Some(&cut) {
            segment.push(cut);
        }
        let part = solve::solve(&driven, start, &state, &segment, settings)?;
        add_stats(&mut out.stats, &part.stats);
        if let Some(last) = part.states.last() {
            state.clone_from(last);
        }
        // Keep the requested times only: not the restart point (already reported or
        // not asked for) and not a cut nobody asked for. Both lists are sorted, so one
        // cursor walks the requested times.
        let mut k = 0;
        for (t, y) in part.times.into_iter().zip(part.states) {
            while k < wanted.len() && wanted[k] < t {
                k += 1;
            }
            if k < wanted.len() && wanted[k] == t && out.times.last() != Some(&t) {
                out.times.push(t);
                out.states.push(y);
            }
        }
        next_time = upto;
        start = cut;
        driven.doses.advance(cut);
        while step_index < later.len() && later[step_index].time <= cut {
            driven.set(&later[step_index]);
            step_index += 1;
        }
    }
    Ok(out)
}

fn add_stats(total: &mut Stats, part: &Stats) {
    total.steps += part.steps;
    total.rhs_evals += part.rhs_evals;
    total.jac_evals += part.jac_evals;
}

/// The steady-state search integrates for at most this long, in base time units. 1e8 minutes
/// (190 years) is far beyond the slowest synaptic process (protein turnover over days).
const STEADY_LONGEST: f64 = 1e8;

/// The first time at which the search asks whether the state is steady; each next time is
/// `STEADY_CHECK_GROWTH` times later. Asking after every step would cost a right-hand side per
/// step; asking at times growing geometrically costs about 40 evaluations over the whole search
/// and stops it at most that factor later than the first steady step, a fraction of a decade,
/// which the solver's steps of that age cross in a few steps.
const STEADY_FIRST_CHECK: f64 = 10.0;
const STEADY_CHECK_GROWTH: f64 = 1.5;

/// Values this many times smaller than the absolute tolerance are set to zero in a steady
/// state. They are what is left of a species that decays towards zero without ever reaching it
/// (a product of a receptor a genotype knocks out), a million times below anything the solver
/// resolves; left in, a readout in percent of its baseline divides one such remnant by another
/// and prints a number where it should print nothing.
const STEADY_NOISE: f64 = 1e-6;

/// A state is steady when no species changes by more than this fraction of its
/// amount (plus `STEADY_FLOOR`) per base time unit.
const STEADY_RELATIVE_RATE: f64 = 1e-9;
const STEADY_FLOOR: f64 = 1e-12;

/// Why no steady state was found.
#[derive(Clone, Debug)]
pub enum SteadyStateError {
    Solve(SolveError),
    /// Still moving after the longest window: `species` changes at `rate`.
    NotReached {
        time: f64,
        species: String,
        rate: f64,
    },
}

impl std::fmt::Display for SteadyStateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SteadyStateError::Solve(e) => write!(f, "while looking for a steady state: {e}"),
            SteadyStateError::NotReached {
                time,
                species,
                rate,
            } => write!(
                f,
                "no steady state within t = {time:e}: `{species}` still changes at {rate:e} per time unit\n\
                 help: a species that is made but never removed (or removed but never made) grows without bound; \
                 give it a loss or a source"
            ),
        }
    }
}

/// Integrates from `y0` as one run of the solver until every species is steady, and
/// returns that state. The state is the solver's own at an accepted step, as the windows of
/// growing length this search once used ended on one, but the solver is never restarted.
pub fn steady_state(
    system: &System,
    y0: &[f64],
    settings: &Settings,
) -> Result<Vec<f64>, SteadyStateError> {
    let mut dy = vec![0.0; y0.len()];
    if unsteady(system, y0, &mut dy).is_none() {
        return Ok(without_remnants(y0.to_vec(), settings));
    }
    let next_check = std::cell::Cell::new(STEADY_FIRST_CHECK);
    let scratch = std::cell::RefCell::new(vec![0.0; y0.len()]);
    let done = |t: f64, y: &[f64]| {
        if t < next_check.get() {
            return false;
        }
        while next_check.get() <= t {
            next_check.set(next_check.get() * STEADY_CHECK_GROWTH);
        }
        unsteady(system, y, &mut scratch.borrow_mut()).is_none()
    };
    let settled = solve::settle(system, 0.0, y0, STEADY_LONGEST, settings, &done)
        .map_err(SteadyStateError::Solve)?;
    let state = without_remnants(settled.state, settings);
    match unsteady(system, &state, &mut dy) {
        None => Ok(state),
        Some(i) => Err(SteadyStateError::NotReached {
            time: settled.time,
            species: system.species_names()[i].clone(),
            rate: dy[i],
        }),
    }
}

/// `y` with every value below `STEADY_NOISE` times the absolute tolerance set to zero.
fn without_remnants(mut y: Vec<f64>, settings: &Settings) -> Vec<f64> {
    for v in &mut y {
        if v.abs() < STEADY_NOISE * settings.atol {
            *v = 0.0;
        }
    }
    y
}

/// The species that changes fastest relative to its amount at `y`, if any changes faster than
/// `STEADY_RELATIVE_RATE`; `dy` receives the rates.
#[allow(clippy::neg_cmp_op_on_partial_ord)]
fn unsteady(system: &System, y: &[f64], dy: &mut [f64]) -> Option<usize> {
    system.rhs(y, dy);
    y.iter()
        .zip(dy.iter())
        .enumerate()
        .map(|(i, (v, d))| (i, d.abs() / (v.abs() + STEADY_FLOOR)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        // A rate that is not a number is not steady either.
        .filter(|&(_, r)| !(r <= STEADY_RELATIVE_RATE))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    fn compile(text: &str) -> System {
        let model = load_str("t.pathway", text).model.expect("checks");
        crate::ode::compile(&model)
    }

    fn tight() -> Settings {
        Settings {
            rtol: 1e-10,
            atol: 1e-12,
            ..Settings::default()
        }
    }

    /// A made at rate `u`, lost at k = 0.5 /min; u steps 0 → 2 at t = 3 and back to 0
    /// at t = 7. Closed form per piece: A(t) = u/k + (A(t₀) − u/k)·e^(−k(t−t₀)).
    /// Agreement to 1e-7 relative, with the solver at rtol 1e-10.
    #[test]
    fn steps_apply_at_their_times() {
        let sys = compile(
            "input u = 0 uM/min\nspecies A = 1 uM\nmake: -> A ; u\nloss: A -> @ 0.5 /min\n",
        );
        let protocol = Protocol::new(vec![
            Step {
                time: 7.0,
                input: InputId(0),
                value: 0.0,
            },
            Step {
                time: 3.0,
                input: InputId(0),
                value: 2.0,
            },
        ]);
        let times: Vec<f64> = (0..=20).map(|k| k as f64 * 0.5).collect();
        let t = run(&sys, &sys.initial, &protocol, &times, &tight()).expect("solves");
        assert_eq!(t.times, times);
        let k = 0.5;
        let a3 = (-k * 3.0f64).exp();
        let a7 = 4.0 + (a3 - 4.0) * (-k * 4.0f64).exp();
        for (time, y) in t.times.iter().zip(&t.states) {
            let want = if *time <= 3.0 {
                (-k * time).exp()
            } else if *time <= 7.0 {
                4.0 + (a3 - 4.0) * (-k * (time - 3.0)).exp()
            } else {
                a7 * (-k * (time - 7.0)).exp()
            };
            assert!(
                (y[0] - want).abs() <= 1e-7 * want,
                "A({time}) = {}, want {want}",
                y[0]
            );
        }
    }

    /// Steps at or before the start apply before integrating; output times that fall
    /// between steps and none at the steps themselves still come out in order.
    #[test]
    fn a_step_at_the_start_applies_first() {
        let sys = compile("input u = 0 uM/min\nspecies A = 0 uM\nmake: -> A ; u\n");
        let protocol = Protocol::new(vec![Step {
            time: 0.0,
            input: InputId(0),
            value: 1.0,
        }]);
        let t = run(&sys, &sys.initial, &protocol, &[0.0, 2.5, 5.0], &tight()).expect("solves");
        assert_eq!(t.times, vec![0.0, 2.5, 5.0]);
        assert!((t.states[2][0] - 5.0).abs() < 1e-8);
    }

    /// A ⇌ B with kf = 2, kr = 1 settles at B/A = 2 with A + B conserved.
    #[test]
    fn steady_state_of_a_reversible_binding() {
        let sys = compile("species A = 3 uM, B = 0 uM\nbind: A <-> B @ 2 /min, 1 /min\n");
        let y = steady_state(&sys, &sys.initial, &tight()).expect("steady");
        assert!(
            (y[0] - 1.0).abs() < 1e-7 && (y[1] - 2.0).abs() < 1e-7,
            "{y:?}"
        );
    }

    /// What a knocked-out receptor leaves behind decays towards zero without reaching it; the
    /// steady state holds exact zeros there, so a readout in percent of such a baseline is
    /// 0/0 (no number) rather than one remnant of round-off over another. C, made and lost
    /// on its own, settles at 2 and is untouched.
    #[test]
    fn remnants_of_a_species_decaying_to_zero_are_zero_at_steady_state() {
        let sys = compile(
            "species A = 1 uM, B = 0 uM, C = 0 uM\nconvert: A -> B @ 1 /min\nlose: B -> @ 0.01 /min\nmake: -> C ; 1 uM/min\nloss: C -> @ 0.5 /min\n",
        );
        let y = steady_state(&sys, &sys.initial, &Settings::default()).expect("steady");
        assert_eq!(&y[..2], &[0.0, 0.0]);
        assert!((y[2] - 2.0).abs() < 1e-6, "{y:?}");
        // A state that is already steady keeps its values but not its remnants: B's 1e-20
        // changes at 1e-23 per minute, steady by any measure, and is 1e-11 of atol.
        let sys = compile(
            "species B = 1e-20 uM, C = 2 uM, D = 1e-12 uM\nlose: B -> @ 0.001 /min\nmake: -> C ; 1 uM/min\nloss: C -> @ 0.5 /min\n",
        );
        let y = steady_state(&sys, &sys.initial, &Settings::default()).expect("steady");
        assert_eq!(y, vec![0.0, 2.0, 1e-12]);
    }

    /// Synthesis with no loss has no steady state; the error names the species.
    #[test]
    fn unbounded_growth_has_no_steady_state() {
        let sys =
            compile("species A = 0 uM, B = 1 uM\nmake: -> A ; 1 uM/min\nloss: B -> @ 1 /min\n");
        match steady_state(&sys, &sys.initial, &Settings::default()) {
            Err(SteadyStateError::NotReached { species, .. }) => assert_eq!(species, "A"),
            other => panic!("expected NotReached, got {other:?}"),
        }
    }
}
