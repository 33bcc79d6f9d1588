//! The solver stage. It takes a compiled system through the [`Problem`] trait (a right-hand
//! side, its dense Jacobian and a name for each component), an initial state, the output times
//! and [`Settings`], and produces a [`Trajectory`]: the state at each output time plus counts of
//! the work done. The default method is diffsol's BDF, which is stiff-stable and uses the
//! analytic Jacobian; ode_solvers' Dopri5 and Dop853 are explicit Runge–Kutta methods kept as
//! independent cross-checks for non-stiff models.
//!
//! Only `solve/` names diffsol and ode_solvers: the rest of the crate sees the types in this file
//! and nothing else, so a solver crate can be swapped or upgraded here alone. This stage must
//! never panic on anything a model or a setting can cause, never return a state sampled outside
//! the solver's accepted steps, and never return a concentration that has gone meaningfully
//! negative: every failure becomes a [`SolveError`] that names the time, the component and the
//! setting that would help.

mod bdf;
mod explicit;
mod guard;
mod krylov;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::fmt;

use guard::{Guard, Sink};

/// What the solver needs from a compiled system. Implemented by `ode::System` elsewhere.
pub trait Problem: Sync {
    fn dim(&self) -> usize;
    /// dy = f(t, y); must fully overwrite dy.
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]);
    /// Dense Jacobian ∂f_i/∂y_j written row-major into jac (len dim*dim), fully overwritten.
    fn jacobian(&self, t: f64, y: &[f64], jac: &mut [f64]);
    /// The Jacobian's structural non-zeros as (row, column): one entry per value that
    /// [`Problem::jacobian_values`] writes, in the same order. A pair may appear more than once;
    /// its values are then summed. The default is every entry, row by row, which matches
    /// [`Problem::jacobian`]. A large network overrides both so that the stiff solver can use a
    /// sparse matrix and a sparse LU; it must then override both, consistently.
    fn jacobian_pattern(&self) -> Vec<(usize, usize)> {
        let n = self.dim();
        (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).collect()
    }
    /// The Jacobian's values at (t, y), one for each entry of [`Problem::jacobian_pattern`];
    /// `values` is fully overwritten.
    fn jacobian_values(&self, t: f64, y: &[f64], values: &mut [f64]) {
        self.jacobian(t, y, values)
    }
    /// Name of component i, for error messages (e.g. a species name).
    fn component_name(&self, i: usize) -> &str;
    /// Whether component i is an amount or a concentration, which can never be negative. The
    /// solver reports [`SolveErrorKind::Negative`] when such a component falls clearly below zero
    /// and clamps round-off negatives to zero in the output. Every component of a pathway model
    /// is a species, hence the default; a system with a signed state (a membrane potential, say)
    /// overrides this for that component.
    fn is_nonnegative(&self, _i: usize) -> bool {
        true
    }
}

/// The integration method.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// diffsol's variable-order BDF with the analytic Jacobian: the default, because signalling
    /// pathways mix reactions whose rates differ by many orders of magnitude (stiff systems).
    #[default]
    Bdf,
    /// ode_solvers' Dormand–Prince 5(4): explicit, for cross-checking non-stiff models.
    Dopri5,
    /// ode_solvers' Dormand–Prince 8(5,3): explicit and high order, for tight cross-checks.
    Dop853,
}

impl Method {
    fn is_explicit(self) -> bool {
        !matches!(self, Method::Bdf)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Bdf => "bdf",
            Method::Dopri5 => "dopri5",
            Method::Dop853 => "dop853",
        })
    }
}

/// The most components the dense matrix is used for. A dense matrix holds n² f64s, 200 MB
/// at 5000 components, and BDF keeps more than one of that size (the Jacobian, and the
/// iteration matrix it factorises): a chain of 20,000 species took 9.4 GB with `--linear
/// dense`, while the sparse LU and BiCGSTAB need memory in proportion to the Jacobian's terms.
pub const DENSE_LIMIT: usize = 5_000;

/// The matrix and linear solver inside the stiff method's Newton iterations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Linear {
    /// Dense below a measured size, sparse LU or BiCGSTAB from it.
    #[default]
    Auto,
    /// A dense matrix and nalgebra's LU: cheapest for small systems, O(n³) per factorisation.
    Dense,
    /// A sparse matrix and faer's sparse LU, with the pattern from the problem: for large
    /// networks, where each species reacts with few others.
    Sparse,
    /// A sparse matrix and faer's BiCGSTAB with a Jacobi preconditioner, no factorisation: for
    /// large networks whose LU fills in (reactions between random partners).
    Krylov,
}

impl Linear {
    /// Which one `Auto` picks for a system of `n` components whose Jacobian pattern has
    /// `terms` entries (repeats counted): sparse for large systems, and for middling ones
    /// whose rows are nearly empty (on average), where the sparse LU has little fill-in;
    /// BiCGSTAB for large systems whose rows are not, where the LU fills in; dense whatever
    /// the size when a quarter or more of the matrix is filled.
    pub fn resolve(self, n: usize, terms: usize) -> Linear {
        match self {
            Linear::Auto if terms.saturating_mul(4) >= n.saturating_mul(n) && n <= DENSE_LIMIT => {
                Linear::Dense
            }
            Linear::Auto if n >= bdf::KRYLOV_FROM && terms > bdf::THIN_ROW * n => Linear::Krylov,
            Linear::Auto if n >= bdf::SPARSE_FROM => Linear::Sparse,
            Linear::Auto if n >= bdf::SPARSE_THIN_FROM && terms <= bdf::THIN_ROW * n => {
                Linear::Sparse
            }
            Linear::Auto => Linear::Dense,
            other => other,
        }
    }
}

impl fmt::Display for Linear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Linear::Auto => "auto",
            Linear::Dense => "dense",
            Linear::Sparse => "sparse",
            Linear::Krylov => "krylov",
        })
    }
}

/// How to integrate. Tolerances are scalar and apply to every component, in the model's units.
#[derive(Clone, Debug)]
pub struct Settings {
    pub method: Method,
    /// Relative tolerance of the local error test.
    pub rtol: f64,
    /// Absolute tolerance of the local error test: the size below which a component's value is
    /// treated as noise.
    pub atol: f64,
    /// Most steps one call of [`solve`] may take. For BDF this counts accepted steps; for the
    /// explicit methods it counts step attempts, accepted or rejected, as ode_solvers does.
    pub max_steps: usize,
    /// First step size to try; `None` lets the method estimate one from the initial slope.
    pub initial_step: Option<f64>,
    /// The stiff method's linear algebra; the explicit methods have none.
    pub linear: Linear,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            method: Method::Bdf,
            // diffsol's own default (`OdeBuilder::new`): six correct digits, more than a plot
            // or a dose–response summary can show.
            rtol: 1e-6,
            // Three orders below rtol, so for any component above 1e-3 in model units the
            // relative test is the one that binds, while a trace species is still resolved down
            // to about 1e-9 instead of being treated as zero. At these defaults Robertson's
            // middle species (1e-5 down to 1e-8) stays within 1e-5 of its reference (tests).
            atol: 1e-9,
            // Hairer's DOPRI5 and DOP853 codes (and ode_solvers after them) default NMAX to
            // 100000. BDF takes under 2000 steps to carry Robertson's problem to t = 1e11 even at
            // rtol 1e-8, so the limit trips only on a misbehaving model or on an explicit method
            // given a stiff one.
            max_steps: 100_000,
            initial_step: None,
            linear: Linear::Auto,
        }
    }
}

impl Settings {
    /// Why these settings cannot run, naming the first setting at fault by its field name
    /// (`rtol must be between 0 and 1`), so that each caller can say where the setting lives:
    /// a flag or a key of the manifest. `max_steps = 0` would fail every run before its
    /// first step; a tolerance of 0, a negative or a non-finite one gives the error test no
    /// meaning, and rtol ≥ 1 accepts any step.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.rtol > 0.0 && self.rtol < 1.0) {
            return Err("rtol must be between 0 and 1".to_string());
        }
        if !(self.atol > 0.0 && self.atol.is_finite()) {
            return Err("atol must be a positive number".to_string());
        }
        if self.max_steps == 0 {
            return Err("max_steps must be at least 1".to_string());
        }
        Ok(())
    }
}

/// Work counters for one call of [`solve`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Accepted steps.
    pub steps: usize,
    /// Calls of [`Problem::rhs`], including those made for step-size selection and for error
    /// diagnosis.
    pub rhs_evals: usize,
    /// Evaluations of the Jacobian ([`Problem::jacobian_values`]): one per Jacobian rebuild
    /// inside BDF; zero for the explicit methods, which never need it.
    pub jac_evals: usize,
}

/// The solution sampled at the requested times.
#[derive(Clone, Debug)]
pub struct Trajectory {
    pub times: Vec<f64>,
    /// `states[k]` is y at `times[k]`.
    pub states: Vec<Vec<f64>>,
    pub stats: Stats,
}

/// Why a solve stopped, and when.
#[derive(Clone, Debug, PartialEq)]
pub struct SolveError {
    pub time: f64,
    pub kind: SolveErrorKind,
    pub method: Method,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SolveErrorKind {
    /// A component became NaN or infinite, or its rate of change did while a step failed.
    NonFinite {
        component: usize,
        name: String,
    },
    /// A non-negative component fell clearly below zero; `time` is when it crossed the
    /// tolerance band below zero and `value` its value there.
    Negative {
        component: usize,
        name: String,
        value: f64,
    },
    /// The step size shrank below what the method can resolve; `component` is the one whose
    /// scaled rate of change was largest at the last accepted state, the likeliest culprit.
    StepSizeTooSmall {
        component: usize,
        name: String,
    },
    TooManySteps {
        limit: usize,
    },
    /// The step limit ran out while `name` kept rising and falling: it turned `cycles` times
    /// each way, the latest in the second half of the run, so the model is on a limit cycle
    /// (the Brusselator run for 1e6 min). At the pace so far the run to `end` would take
    /// about `needed` steps, which is why raising the limit is not the advice.
    Oscillating {
        limit: usize,
        component: usize,
        name: String,
        cycles: usize,
        end: f64,
        needed: f64,
    },
    BadSettings(String),
    /// Any other failure reported by the solver crates, with their message.
    Solver(String),
}

impl std::error::Error for SolveError {}

/// A setting of the solver that an error's advice names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    Rtol,
    Atol,
    MaxSteps,
    Method,
    Linear,
    /// How long the run is.
    Until,
}

/// Where the settings of a run live, so that advice names them as the user writes them: the
/// flags of the command line, or the `[solver]` table of `pathrules.toml` (compare, report,
/// ensemble).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Where {
    #[default]
    Flags,
    Manifest,
}

impl Setting {
    /// The setting as it is written where it lives: `--max-steps`, `` `[solver] max_steps` ``.
    pub fn name(self, at: Where) -> &'static str {
        match (at, self) {
            (Where::Flags, Setting::Rtol) => "--rtol",
            (Where::Flags, Setting::Atol) => "--atol",
            (Where::Flags, Setting::MaxSteps) => "--max-steps",
            (Where::Flags, Setting::Method) => "--solver",
            (Where::Flags, Setting::Linear) => "--linear",
            (Where::Flags, Setting::Until) => "--until",
            (Where::Manifest, Setting::Rtol) => "`[solver] rtol`",
            (Where::Manifest, Setting::Atol) => "`[solver] atol`",
            (Where::Manifest, Setting::MaxSteps) => "`[solver] max_steps`",
            (Where::Manifest, Setting::Method) => "`[solver] method`",
            (Where::Manifest, Setting::Linear) => "`[solver] linear`",
            // A run under the manifest is as long as the experiment's `run` line says.
            (Where::Manifest, Setting::Until) => "the experiment's `run`",
        }
    }
}

/// One piece of an error's advice: prose, or a setting that is phrased for where it lives.
#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Text(String),
    Setting(Setting),
    /// Both tolerances: `--rtol/--atol`, `` `[solver] rtol`/`atol` ``.
    Tolerances,
    /// A method to switch to: `--solver bdf`, `` `[solver] method = "bdf"` ``.
    Use(Method),
}

/// What would fix an error, as data: the front end phrases it for where the settings live.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Help(pub Vec<Part>);

impl Help {
    fn text(mut self, s: impl Into<String>) -> Help {
        self.0.push(Part::Text(s.into()));
        self
    }

    fn part(mut self, p: Part) -> Help {
        self.0.push(p);
        self
    }

    /// The settings the advice names, in order.
    pub fn settings(&self) -> Vec<Setting> {
        let mut out = Vec::new();
        for p in &self.0 {
            match p {
                Part::Text(_) => {}
                Part::Setting(s) => out.push(*s),
                Part::Tolerances => out.extend([Setting::Rtol, Setting::Atol]),
                Part::Use(_) => out.push(Setting::Method),
            }
        }
        out
    }

    /// The advice with each setting written as it is where the settings live.
    pub fn phrase(&self, at: Where) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match (p, at) {
                (Part::Text(s), _) => out.push_str(s),
                (Part::Setting(s), _) => out.push_str(s.name(at)),
                (Part::Tolerances, Where::Flags) => out.push_str("--rtol/--atol"),
                (Part::Tolerances, Where::Manifest) => out.push_str("`[solver] rtol`/`atol`"),
                (Part::Use(m), Where::Flags) => out.push_str(&format!("--solver {m}")),
                (Part::Use(m), Where::Manifest) => {
                    out.push_str(&format!("`[solver] method = \"{m}\"`"))
                }
            }
        }
        out
    }
}

impl fmt::Display for SolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, "", Where::Flags)
    }
}

/// A `SolveError` displayed with its times in a named unit (`t = 110.8 min`) and its advice
/// phrased for where the settings live.
pub struct InUnit<'a>(&'a SolveError, &'a str, Where);

impl fmt::Display for InUnit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, self.1, self.2)
    }
}

impl InUnit<'_> {
    /// The same error with its advice phrased for settings that live `at`.
    pub fn at(self, at: Where) -> Self {
        InUnit(self.0, self.1, at)
    }

    /// What would fix the error, its times in the unit.
    pub fn help(&self) -> Help {
        self.0.advice(self.1)
    }
}

impl SolveError {
    /// Displays the error with times followed by `time_unit`, which the solver
    /// itself does not know.
    pub fn in_unit<'a>(&'a self, time_unit: &'a str) -> InUnit<'a> {
        InUnit(self, time_unit, Where::Flags)
    }

    /// What would fix the error, naming the settings that would help.
    pub fn help(&self) -> Help {
        self.advice("")
    }

    /// [`SolveError::help`] with its times followed by `time_unit`.
    fn advice(&self, time_unit: &str) -> Help {
        let explicit = self.method.is_explicit();
        let help = Help::default();
        match &self.kind {
            SolveErrorKind::NonFinite { .. } if explicit => help
                .text("try ")
                .part(Part::Use(Method::Bdf))
                .text(", or tighten ")
                .part(Part::Tolerances),
            SolveErrorKind::NonFinite { name, .. } => {
                help.text("tighten ").part(Part::Tolerances).text(format!(
                    "; if it persists, a rate law feeding `{name}` divides by zero or grows \
                     without bound"
                ))
            }
            SolveErrorKind::Negative { .. } => help
                .text("tighten ")
                .part(Part::Tolerances)
                .text(" so that small concentrations are resolved"),
            SolveErrorKind::StepSizeTooSmall { .. } if explicit => {
                help.text("try ").part(Part::Use(Method::Bdf))
            }
            SolveErrorKind::StepSizeTooSmall { name, .. } => help
                .text(format!(
                    "the model may blow up here: check the rate laws feeding `{name}`, or loosen "
                ))
                .part(Part::Tolerances),
            SolveErrorKind::TooManySteps { .. } => {
                let help = help.text("raise ").part(Part::Setting(Setting::MaxSteps));
                if explicit {
                    help.text(", or try ")
                        .part(Part::Use(Method::Bdf))
                        .text(" if the model is stiff")
                } else {
                    help
                }
            }
            SolveErrorKind::Oscillating { end, needed, .. } => help
                .text(format!(
                    "at this pace t = {} is about {} steps away; shorten the run (",
                    format_time(*end, time_unit),
                    format_count(*needed)
                ))
                .part(Part::Setting(Setting::Until))
                .text("), or raise ")
                .part(Part::Setting(Setting::MaxSteps))
                .text(" past that if every cycle is wanted"),
            SolveErrorKind::BadSettings(_) => help
                .text("check ")
                .part(Part::Setting(Setting::Rtol))
                .text(", ")
                .part(Part::Setting(Setting::Atol))
                .text(", ")
                .part(Part::Setting(Setting::MaxSteps))
                .text(" and the output times"),
            SolveErrorKind::Solver(_) if explicit => help.text("try ").part(Part::Use(Method::Bdf)),
            SolveErrorKind::Solver(_) => help
                .text("tighten ")
                .part(Part::Tolerances)
                .text(", or cross-check with ")
                .part(Part::Use(Method::Dop853)),
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, time_unit: &str, at: Where) -> fmt::Result {
        let t = format_time(self.time, time_unit);
        let m = self.method;
        match &self.kind {
            SolveErrorKind::NonFinite { name, .. } => write!(
                f,
                "`{name}` became non-finite at t = {t} with the {m} solver"
            )?,
            SolveErrorKind::Negative { name, value, .. } => write!(
                f,
                "`{name}` went negative ({}) at t = {t} with the {m} solver",
                format_number(*value)
            )?,
            SolveErrorKind::StepSizeTooSmall { name, .. } => write!(
                f,
                "step size became too small at t = {t} with the {m} solver, while `{name}` \
                 was changing fastest"
            )?,
            SolveErrorKind::TooManySteps { limit } => write!(
                f,
                "gave up after {limit} steps at t = {t} with the {m} solver"
            )?,
            SolveErrorKind::Oscillating {
                limit,
                name,
                cycles,
                ..
            } => write!(
                f,
                "gave up after {limit} steps at t = {t} with the {m} solver: the state \
                 oscillates (`{name}` went up and down {cycles} times), and a limit cycle \
                 does not end"
            )?,
            SolveErrorKind::BadSettings(msg) => write!(f, "invalid solver settings: {msg}")?,
            SolveErrorKind::Solver(msg) => write!(f, "the {m} solver failed at t = {t}: {msg}")?,
        }
        // The advice's times are in the same unit as the message's.
        let help = self.advice(time_unit);
        write!(f, "\nhelp: {}", help.phrase(at))
    }
}

/// A time for a message, followed by its unit when the unit is known.
fn format_time(t: f64, time_unit: &str) -> String {
    match time_unit {
        "" => format_number(t),
        unit => format!("{} {unit}", format_number(t)),
    }
}

/// Integrate from (t0, y0) and return y at each of `times` (sorted, all >= t0; `times[0]` may equal t0).
///
/// Output times equal to `t0` get `y0` itself, clamped like every output. Each call starts the method afresh, so piecewise
/// integration (a drug step, then a restart from the last state) is a sequence of calls.
/// Returned states of non-negative components are clamped to zero where they are negative only
/// by round-off (within the band described in `guard.rs`); the integration itself is not
/// altered by the clamp.
pub fn solve(
    problem: &dyn Problem,
    t0: f64,
    y0: &[f64],
    times: &[f64],
    settings: &Settings,
) -> Result<Trajectory, SolveError> {
    integrate(problem, t0, y0, times, settings, None)
}

/// A condition on the time and state after an accepted step: once it holds, [`settle`] stops.
pub type Done<'a> = &'a dyn Fn(f64, &[f64]) -> bool;

/// Where [`settle`] stopped: the first accepted step after which its condition held, or the end.
#[derive(Clone, Debug)]
pub struct Settled {
    pub time: f64,
    pub state: Vec<f64>,
    pub stats: Stats,
}

/// Integrates from (t0, y0) towards `t_end` as one run of the method, and stops at the first
/// accepted step after which `done` holds, or at `t_end`. The state returned is that step's own
/// (never an interpolation), checked and clamped like every output of [`solve`]. One run, where
/// a sequence of windows would restart the method at order one with a small step at each.
pub fn settle(
    problem: &dyn Problem,
    t0: f64,
    y0: &[f64],
    t_end: f64,
    settings: &Settings,
    done: Done,
) -> Result<Settled, SolveError> {
    let run = integrate(problem, t0, y0, &[t_end], settings, Some(done))?;
    let (time, state) = match (run.times.last(), run.states.last()) {
        (Some(&t), Some(y)) => (t, y.clone()),
        _ => (t0, y0.to_vec()),
    };
    Ok(Settled {
        time,
        state,
        stats: run.stats,
    })
}

/// [`solve`], stopping early at the first accepted step after which `done` holds: the output is
/// then that step's state alone.
fn integrate(
    problem: &dyn Problem,
    t0: f64,
    y0: &[f64],
    times: &[f64],
    settings: &Settings,
    done: Option<Done>,
) -> Result<Trajectory, SolveError> {
    validate(problem, t0, y0, times, settings).map_err(|msg| SolveError {
        time: t0,
        kind: SolveErrorKind::BadSettings(msg),
        method: settings.method,
    })?;
    let counters = Counters::default();
    let mut guard = Guard::new(problem, settings, y0);
    guard.check_initial(t0, y0)?;
    let mut sink = Sink::with_capacity(times.len());

    // Output times at the start (or within round-off of it) are the initial state itself: no
    // method can step a zero-length interval.
    let first_after = times.partition_point(|&t| t <= t0 || same_time(t0, t));
    for &t in &times[..first_after] {
        guard.emit(t, y0.to_vec(), &mut sink)?;
    }
    let rest = &times[first_after..];
    let mut stats = Stats::default();
    if !rest.is_empty() {
        if problem.dim() == 0 {
            // Nothing evolves, so there is nothing to hand a solver.
            for &t in rest {
                guard.emit(t, Vec::new(), &mut sink)?;
            }
        } else {
            let run = Run {
                problem,
                settings,
                counters: &counters,
                done,
            };
            // A rate that is already non-finite at the start is named here: inside a solver it
            // would only surface later as a step failure with no component attached.
            let mut f0 = vec![0.0; y0.len()];
            run.rhs(t0, y0, &mut f0);
            if let Some(i) = f0.iter().position(|v| !v.is_finite()) {
                return Err(run.error(
                    t0,
                    SolveErrorKind::NonFinite {
                        component: i,
                        name: run.name(i),
                    },
                ));
            }
            stats = match settings.method {
                Method::Bdf => bdf::integrate(&run, t0, y0, &f0, rest, &mut guard, &mut sink)?,
                Method::Dopri5 | Method::Dop853 => {
                    explicit::integrate(&run, t0, y0, f0, rest, &mut guard, &mut sink)?
                }
            };
        }
    }
    stats.rhs_evals = counters.rhs.get();
    stats.jac_evals = counters.jac.get();
    let (times, states) = sink.into_parts();
    Ok(Trajectory {
        times,
        states,
        stats,
    })
}

/// Reject settings no method can honour, before any solver crate sees them.
fn validate(
    problem: &dyn Problem,
    t0: f64,
    y0: &[f64],
    times: &[f64],
    s: &Settings,
) -> Result<(), String> {
    if !(s.rtol.is_finite() && s.rtol > 0.0 && s.rtol < 1.0) {
        return Err(format!(
            "`rtol` must be a finite number between 0 and 1, got {}",
            s.rtol
        ));
    }
    if !(s.atol.is_finite() && s.atol > 0.0) {
        return Err(format!(
            "`atol` must be a positive finite number, got {}",
            s.atol
        ));
    }
    if s.max_steps == 0 {
        return Err("`max_steps` must be at least 1".to_string());
    }
    if s.method == Method::Bdf && s.linear == Linear::Dense && problem.dim() > DENSE_LIMIT {
        return Err(format!(
            "dense linear algebra takes at most {DENSE_LIMIT} components, and the system has {}; \
             use sparse or krylov",
            problem.dim()
        ));
    }
    if let Some(h) = s.initial_step
        && !(h.is_finite() && h > 0.0)
    {
        return Err(format!(
            "`initial_step` must be a positive finite number, got {h}"
        ));
    }
    if !t0.is_finite() {
        return Err(format!("the start time must be finite, got {t0}"));
    }
    if y0.len() != problem.dim() {
        return Err(format!(
            "the initial state has {} components but the system has {}",
            y0.len(),
            problem.dim()
        ));
    }
    for (k, &t) in times.iter().enumerate() {
        if !t.is_finite() {
            return Err(format!("output {k} is at t = {t}, which is not finite"));
        }
        if t < t0 {
            return Err(format!(
                "output {k} is at t = {t}, before the start time {t0}"
            ));
        }
        if k > 0 && t < times[k - 1] {
            return Err(format!(
                "output times must be sorted, but output {k} is at t = {t}, after t = {}",
                times[k - 1]
            ));
        }
    }
    Ok(())
}

/// What both drivers share for one call: the problem, the settings and the counters.
pub(crate) struct Run<'a> {
    problem: &'a dyn Problem,
    settings: &'a Settings,
    counters: &'a Counters,
    /// Where to stop early, checked after every accepted step (see [`settle`]).
    done: Option<Done<'a>>,
}

impl Run<'_> {
    /// Whether the run should stop after the accepted step to (t, y).
    fn is_done(&self, t: f64, y: &[f64]) -> bool {
        self.done.is_some_and(|done| done(t, y))
    }

    /// Evaluate the right-hand side, counting the call and remembering the first component whose
    /// rate came out non-finite at a finite state, so a later step failure can be blamed on it.
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        self.counters.rhs.set(self.counters.rhs.get() + 1);
        self.problem.rhs(t, y, dy);
        if self.counters.nonfinite.get().is_none()
            && y.iter().all(|v| v.is_finite())
            && let Some(i) = dy.iter().position(|v| !v.is_finite())
        {
            self.counters.nonfinite.set(Some(i));
        }
    }

    fn error(&self, time: f64, kind: SolveErrorKind) -> SolveError {
        SolveError {
            time,
            kind,
            method: self.settings.method,
        }
    }

    fn name(&self, i: usize) -> String {
        self.problem.component_name(i).to_string()
    }

    /// The error for a failed step: a non-finite rate seen since the last accepted step explains
    /// it best; otherwise `fallback`.
    fn step_failure(&self, time: f64, fallback: SolveErrorKind) -> SolveError {
        match self.counters.nonfinite.get() {
            Some(i) => self.error(
                time,
                SolveErrorKind::NonFinite {
                    component: i,
                    name: self.name(i),
                },
            ),
            None => self.error(time, fallback),
        }
    }

    /// The step-size failure at (t, y), blaming the component whose rate of change is largest
    /// relative to its error weight, as that is the one forcing the steps down.
    fn step_too_small(&self, t: f64, y: &[f64]) -> SolveError {
        let mut dy = vec![0.0; y.len()];
        self.rhs(t, y, &mut dy);
        let (rtol, atol) = (self.settings.rtol, self.settings.atol);
        let mut worst = 0;
        let mut worst_rate = -1.0;
        for (i, (&yi, &fi)) in y.iter().zip(&dy).enumerate() {
            let rate = fi.abs() / (atol + rtol * yi.abs());
            // A NaN rate is the strongest possible culprit.
            if rate.is_nan() || rate > worst_rate {
                worst = i;
                worst_rate = if rate.is_nan() { f64::INFINITY } else { rate };
            }
        }
        self.step_failure(
            t,
            SolveErrorKind::StepSizeTooSmall {
                component: worst,
                name: self.name(worst),
            },
        )
    }

    /// A failure reported by a solver crate, with its message in this module's style.
    fn crate_error(&self, time: f64, message: &str) -> SolveError {
        self.step_failure(time, SolveErrorKind::Solver(lowercase_first(message)))
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    rhs: Cell<usize>,
    jac: Cell<usize>,
    /// First component whose rate came out non-finite since the last accepted step.
    nonfinite: Cell<Option<usize>>,
}

/// Whether two times are equal up to round-off, by the test diffsol uses to decide that it has
/// reached its stop time (100 machine epsilons of the magnitudes involved). Explicit methods
/// report step-size underflow on an interval this short, so it is never handed to them.
fn same_time(a: f64, b: f64) -> bool {
    (b - a).abs() <= 100.0 * f64::EPSILON * (a.abs() + b.abs())
}

/// Run a call into a solver crate, turning a panic inside it into an error message. Every input
/// is validated before it gets there, so this is a last line of defence, not control flow: a
/// batch of simulations should lose one run, not the process, to a bug in a dependency.
fn contain<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        format!(
            "internal error in the solver crate: {}",
            lowercase_first(&detail)
        )
    })
}

/// Bring a crate's message into this module's style: lowercase first word, no trailing period.
/// An acronym ("ODE ...", "LU ...") keeps its capitals.
fn lowercase_first(s: &str) -> String {
    let s = s.trim().trim_end_matches('.');
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(first), second) if second.is_none_or(|c| !c.is_uppercase()) => {
            first.to_lowercase().chain(s.chars().skip(1)).collect()
        }
        _ => s.to_string(),
    }
}

/// Format a count that may exceed any integer type: `12000`, `3.4e9`.
fn format_count(x: f64) -> String {
    if x < 1e6 {
        format!("{}", x.ceil())
    } else {
        format!("{x:.1e}")
    }
}

/// Format a time or value for a message: plain decimals in the everyday range, scientific
/// notation outside it, and never more digits than a reader can use.
fn format_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if (1e-3..1e6).contains(&a) {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{x:.3e}")
    }
}
