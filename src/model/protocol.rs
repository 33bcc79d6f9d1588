//! The protocol half of a checked model: pharmacokinetics, genotypes, readouts,
//! experiments and expectations, with every name resolved and every time in base
//! units. The experiment stage runs them; the analysis stage judges them.

use super::expr::Expr;
use super::{ExperimentId, GenotypeId, InputId, ParamId, ReactionId, ReadoutId, SpeciesId};
use crate::syntax::Span;
pub use crate::syntax::ast::Cmp;

/// The most output times one run may ask for: a grid of a million points over 25
/// readouts is already 200 MB of output, far more than any plot or table needs, and
/// every grid (an experiment's `run`, the CLI's `--until`/`--every`, `bench --points`)
/// is held to it where it is written, so a typo such as `every 1e-300 min` is an error
/// at its location, not an allocation that aborts the process.
pub const MAX_POINTS: usize = 1_000_000;

/// The most events one experiment may have, its repeats expanded. Each event is a
/// discontinuity where the solver restarts, and doses are summed in time linear in
/// their number, so a run costs about its events times one restart: 10⁵ doses of
/// ketamine into the shipped model take 3–5 s (release build), so a million is a run of
/// about a minute and some 100 MB, for a protocol no experiment needs (a dose a minute
/// for two years). More is a typo such as `every 1 s for 30 d`, an error at its
/// `every`, not an hour of a silent run.
pub const MAX_EVENTS: usize = 1_000_000;

/// How many times `experiment::time_grid(until, every)` asks for, before any cut (a float, as a
/// typo may ask for 1e300); `None` when `until` is negative or `every` not positive,
/// or either is not finite.
pub fn time_grid_len(until: f64, every: f64) -> Option<f64> {
    if !(until >= 0.0 && every > 0.0 && until.is_finite() && every.is_finite()) {
        return None;
    }
    let steps = (until / every + 1e-9).floor();
    let off_grid = until - steps * every > 1e-9 * until.max(1.0);
    Some(steps + 1.0 + if off_grid { 1.0 } else { 0.0 })
}

/// First-order absorption and elimination of an input, as half-lives in base time
/// units (expressions over parameters, so a genotype's `set` reaches them).
#[derive(Clone, Debug)]
pub struct Pk {
    pub input: InputId,
    pub absorption: Expr,
    pub elimination: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Genotype {
    pub name: String,
    /// Species that start at 0 and that no reaction makes.
    pub knockouts: Vec<SpeciesId>,
    /// The reactions switched off, including every reaction that makes a knocked-out
    /// species.
    pub disabled: Vec<ReactionId>,
    /// Parameters given other values, in base units.
    pub sets: Vec<(ParamId, f64)>,
    pub span: Span,
}

/// A named quantity computed from a trajectory. Its expression may read species,
/// lets, parameters, inputs, earlier readouts (`Var::Readout`) and values at the
/// start of the experiment (`Var::Baseline`, an index into `Model::baselines`).
#[derive(Clone, Debug)]
pub struct Readout {
    pub name: String,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Start {
    /// The steady state of the genotype with every input at its declared value.
    Steady,
    /// The declared initial values (of the genotype: knockouts at 0).
    Initial,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The input takes this value from now on (a bath application, a washout).
    Set,
    /// A dose through the input's pharmacokinetics.
    Dose,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    pub time: f64,
    pub input: InputId,
    pub action: Action,
    /// In base units: the new level for `Set`, the dose as a concentration for `Dose`.
    pub value: f64,
}

#[derive(Clone, Debug)]
pub struct Experiment {
    pub name: String,
    pub description: Option<String>,
    /// `None` is the wild type.
    pub genotype: Option<GenotypeId>,
    pub start: Start,
    /// In time order; events at one time keep their written order.
    pub events: Vec<Event>,
    pub until: f64,
    pub every: f64,
    pub span: Span,
}

impl Experiment {
    /// The time of the last event, where a following experiment's schedule begins in
    /// an occlusion test.
    pub fn last_event(&self) -> f64 {
        self.events.last().map(|e| e.time).unwrap_or(0.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stat {
    /// The readout at a time.
    At(f64),
    /// The readout's maximum over a window of the output grid.
    Max(f64, f64),
    Min(f64, f64),
    /// The time average over a window (trapezoids on the output grid).
    Mean(f64, f64),
    /// R(t2) − R(t1).
    Change(f64, f64),
}

impl Stat {
    /// Every time the statistic needs the trajectory at.
    pub fn times(&self) -> [f64; 2] {
        match *self {
            Stat::At(t) => [t, t],
            Stat::Max(a, b) | Stat::Min(a, b) | Stat::Mean(a, b) | Stat::Change(a, b) => [a, b],
        }
    }
}

/// One experiment's statistic of one readout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measure {
    pub experiment: ExperimentId,
    pub readout: ReadoutId,
    pub stat: Stat,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Claim {
    Measure(Measure),
    /// Occlusion of `a` by `b` on a readout at a time after `b` begins.
    Occlusion {
        a: ExperimentId,
        b: ExperimentId,
        readout: ReadoutId,
        at: f64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    Value(f64),
    Measure(Measure),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    pub value: f64,
    /// Relative to the target, in percent.
    pub percent: bool,
}

#[derive(Clone, Debug)]
pub struct Expectation {
    pub claim: Claim,
    pub cmp: Cmp,
    pub target: Target,
    pub tolerance: Option<Tolerance>,
    /// The source the observation comes from.
    pub note: Option<String>,
    /// The expectation as `fmt` prints it, for tables.
    pub text: String,
    pub span: Span,
}

impl Expectation {
    /// Whether `value` compared with `target` holds.
    pub fn holds(&self, value: f64, target: f64) -> bool {
        if !(value.is_finite() && target.is_finite()) {
            return false;
        }
        match self.cmp {
            Cmp::Lt => value < target,
            Cmp::Gt => value > target,
            Cmp::Le => value <= target,
            Cmp::Ge => value >= target,
            Cmp::Approx => {
                let tol = match self.tolerance {
                    Some(Tolerance {
                        value: t,
                        percent: true,
                    }) => t / 100.0 * target.abs(),
                    Some(Tolerance { value: t, .. }) => t,
                    None => 0.0,
                };
                (value - target).abs() <= tol
            }
        }
    }
}
