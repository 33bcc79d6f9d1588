//! The protocol half of a checked model: pharmacokinetics, genotypes, readouts,
//! experiments and expectations, with every name resolved and every time in base
//! units. The experiment stage runs them; the analysis stage judges them.

use super::expr::Expr;
use super::{ExperimentId, GenotypeId, InputId, ParamId, ReactionId, ReadoutId, SpeciesId};
use crate::syntax::Span;
pub use crate::syntax::ast::{Cmp, Quantifier};

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
    /// A readout at every output time of a window, `from` and `to` included: the
    /// comparison holds at all of them (`Always`) or at one (`Once`).
    Series {
        experiment: ExperimentId,
        readout: ReadoutId,
        quantifier: Quantifier,
        from: f64,
        to: f64,
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

/// `margin M`: how much room the fit asks for beyond the claim as written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Margin {
    /// In the readout's base units, or a percent of the target.
    pub value: f64,
    pub percent: bool,
}

#[derive(Clone, Debug)]
pub struct Expectation {
    pub claim: Claim,
    pub cmp: Cmp,
    pub target: Target,
    /// A measured target is `offset + factor × measure`; a written value is itself
    /// (offset 0, factor 1).
    pub offset: f64,
    pub factor: f64,
    pub tolerance: Option<Tolerance>,
    /// How much this expectation counts in a fit's objective: positive and finite, 1
    /// unless written.
    pub weight: f64,
    pub margin: Option<Margin>,
    /// The source the observation comes from.
    pub note: Option<String>,
    /// The expectation as `fmt` prints it, for tables.
    pub text: String,
    pub span: Span,
}

impl Expectation {
    /// Whether `value` compared with `target` holds, as written: the margin is for the
    /// violation only.
    pub fn holds(&self, value: f64, target: f64) -> bool {
        if !(value.is_finite() && target.is_finite()) {
            return false;
        }
        match self.cmp {
            Cmp::Lt => value < target,
            Cmp::Gt => value > target,
            Cmp::Le => value <= target,
            Cmp::Ge => value >= target,
            Cmp::Approx => (value - target).abs() <= self.tolerance(target),
        }
    }

    /// The absolute tolerance of `≈` against `target` (0 for the other comparisons).
    pub fn tolerance(&self, target: f64) -> f64 {
        match self.tolerance {
            Some(Tolerance {
                value: t,
                percent: true,
            }) => t / 100.0 * target.abs(),
            Some(Tolerance { value: t, .. }) => t,
            None => 0.0,
        }
    }

    /// The absolute margin against `target` (0 when none is written).
    pub fn margin(&self, target: f64) -> f64 {
        match self.margin {
            Some(Margin {
                value: m,
                percent: true,
            }) => m / 100.0 * target.abs(),
            Some(Margin { value: m, .. }) => m,
            None => 0.0,
        }
    }

    /// The target a measured right side gives: `offset + factor × measured`.
    pub fn target_of(&self, measured: f64) -> f64 {
        self.offset + self.factor * measured
    }

    /// How far `value` is from holding against `target`, in units of the compared
    /// values' own scale, `max(|target|, |value|)` (1 where both are 0; always 1 for an
    /// occlusion, a fraction already): at most 0 when the claim holds with its margin,
    /// above 0 by how much it misses. For `>` it is (t + m − v) / scale, for `<`
    /// (v − t + m) / scale, for `≈ within tol` (|v − t| − tol + m) / scale. Strict and
    /// non-strict comparisons differ only at 0: without a margin, a claim holds exactly
    /// when the violation is below 0, or at most 0 for `<=`, `>=` and `≈`, so `holds`
    /// stays the judgement of the claim as written and this is what a fit minimises.
    /// NaN when either number is not finite.
    pub fn violation(&self, value: f64, target: f64) -> f64 {
        if !(value.is_finite() && target.is_finite()) {
            return f64::NAN;
        }
        let scale = match self.claim {
            Claim::Occlusion { .. } => 1.0,
            _ => match target.abs().max(value.abs()) {
                0.0 => 1.0,
                s => s,
            },
        };
        let m = self.margin(target);
        let gap = match self.cmp {
            Cmp::Gt | Cmp::Ge => target + m - value,
            Cmp::Lt | Cmp::Le => value - (target - m),
            Cmp::Approx => (value - target).abs() - (self.tolerance(target) - m),
        };
        gap / scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ExperimentId, ReadoutId};

    fn expectation(cmp: Cmp, tolerance: Option<Tolerance>, margin: Option<Margin>) -> Expectation {
        Expectation {
            claim: Claim::Measure(Measure {
                experiment: ExperimentId(0),
                readout: ReadoutId(0),
                stat: Stat::At(0.0),
            }),
            cmp,
            target: Target::Value(0.0),
            offset: 0.0,
            factor: 1.0,
            tolerance,
            weight: 1.0,
            margin,
            note: None,
            text: String::new(),
            span: Span::new(crate::syntax::FileId(0), 0, 0),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn greater_is_the_shortfall_over_the_larger_magnitude() {
        let x = expectation(Cmp::Gt, None, None);
        // 120 > 115 holds by 5 of 120; 100 > 115 misses by 15 of 115.
        assert!(close(x.violation(120.0, 115.0), -5.0 / 120.0));
        assert!(close(x.violation(100.0, 115.0), 15.0 / 115.0));
        assert!(x.holds(120.0, 115.0) && !x.holds(100.0, 115.0));
    }

    #[test]
    fn less_is_the_excess_over_the_larger_magnitude() {
        let x = expectation(Cmp::Lt, None, None);
        // 80 < 100 holds by 20 of 100; −3 < −4 misses by 1 of 4.
        assert!(close(x.violation(80.0, 100.0), -0.2));
        assert!(close(x.violation(-3.0, -4.0), 0.25));
    }

    #[test]
    fn approx_is_the_distance_past_the_tolerance() {
        let abs = Some(Tolerance {
            value: 10.0,
            percent: false,
        });
        let x = expectation(Cmp::Approx, abs, None);
        // |125 − 130| − 10 = −5, of 130; |145 − 130| − 10 = 5, of 145.
        assert!(close(x.violation(125.0, 130.0), -5.0 / 130.0));
        assert!(close(x.violation(145.0, 130.0), 5.0 / 145.0));
        let pct = Some(Tolerance {
            value: 10.0,
            percent: true,
        });
        // 10% of 200 is 20: |230 − 200| − 20 = 10, of 230.
        let x = expectation(Cmp::Approx, pct, None);
        assert!(close(x.violation(230.0, 200.0), 10.0 / 230.0));
        // On the edge of the tolerance it holds with violation 0.
        assert_eq!(x.violation(220.0, 200.0), 0.0);
        assert!(x.holds(220.0, 200.0));
    }

    #[test]
    fn strict_and_non_strict_differ_only_at_zero() {
        let gt = expectation(Cmp::Gt, None, None);
        let ge = expectation(Cmp::Ge, None, None);
        assert_eq!(gt.violation(7.0, 7.0), 0.0);
        assert_eq!(ge.violation(7.0, 7.0), 0.0);
        assert!(!gt.holds(7.0, 7.0));
        assert!(ge.holds(7.0, 7.0));
        let le = expectation(Cmp::Le, None, None);
        assert!(close(le.violation(2.0, 4.0), -0.5));
    }

    #[test]
    fn both_zero_scale_by_one_and_occlusion_by_one() {
        let x = expectation(Cmp::Gt, None, None);
        assert_eq!(x.violation(0.0, 0.0), 0.0);
        let mut o = expectation(Cmp::Gt, None, None);
        o.claim = Claim::Occlusion {
            a: ExperimentId(0),
            b: ExperimentId(1),
            readout: ReadoutId(0),
            at: 1.0,
        };
        // An occlusion of 0.3 against 0.5 misses by 0.2, unscaled.
        assert!(close(o.violation(0.3, 0.5), 0.2));
    }

    #[test]
    fn margin_makes_the_violation_stricter_not_the_judgement() {
        let five = Some(Margin {
            value: 5.0,
            percent: false,
        });
        let x = expectation(Cmp::Gt, None, five);
        // 118 > 115 holds as written, but not with 5 of room: 115 + 5 − 118 = 2, of 118.
        assert!(x.holds(118.0, 115.0));
        assert!(close(x.violation(118.0, 115.0), 2.0 / 118.0));
        let pct = Some(Margin {
            value: 10.0,
            percent: true,
        });
        // 10% of 100 is 10: 85 < 100 − 10 holds by 5, of 100.
        let x = expectation(Cmp::Lt, None, pct);
        assert!(close(x.violation(85.0, 100.0), -0.05));
        let tol = Some(Tolerance {
            value: 10.0,
            percent: false,
        });
        // |108 − 100| − (10 − 5) = 3, of 108.
        let x = expectation(Cmp::Approx, tol, five);
        assert!(close(x.violation(108.0, 100.0), 3.0 / 108.0));
    }

    #[test]
    fn no_number_is_nan() {
        let x = expectation(Cmp::Gt, None, None);
        assert!(x.violation(f64::NAN, 1.0).is_nan());
        assert!(x.violation(1.0, f64::INFINITY).is_nan());
    }
}
