//! Calibration: every hypothesis gets its best chance within its own declared ranges.
//!
//! `fit` searches the free parameters (those with a range) for a set at which every
//! expectation holds, minimising the weighted sum of the expectations' violations, by
//! CMA-ES (the `cmaes` crate) from several starts: the declared values and random
//! points of the ranges. Each parameter is searched on the unit interval of its range,
//! on a log scale where the range spans a decade or more; CMA-ES works on the whole
//! real line, which is folded back into the unit box by reflection, so every point it
//! asks about lies within the ranges. `calibrate` then walks the feasible set (the
//! sets at which every expectation holds, or, where none does, those within a few
//! percent of the best score the fit reached) from the fits' best points: a
//! random-walk Metropolis chain whose target is the ranges' own prior cut to the
//! feasible set, so it keeps a proposal exactly when the proposal is feasible. Its
//! sets cover the feasible region instead of clustering at one optimum.
//!
//! Every start and every chain draws from its own seeded stream and its evaluations run
//! in order within it, so a result depends on the seed alone, not on the number of
//! threads.

use std::collections::BTreeMap;
use std::sync::Mutex;

use cmaes::DVector;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::ensemble::Cause;
use super::{Runs, Tick, judge};
use crate::Checked;
use crate::solve::Settings;

/// Version of the calibrated ensemble's file; raised whenever a field changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// An expectation with no number to judge (its experiment failed, or its readout has no
/// value) adds this many times its weight to the score: more than any expectation that
/// ran can, since a violation is scaled by the larger of the two values compared.
pub const NO_NUMBER: f64 = 2.0;

/// How far above the best score a set may lie and still count as calibrated, where no
/// set satisfies every expectation: 5% of the best score.
pub const NEAR_BEST: f64 = 0.05;

/// One free parameter: searched within `[lo, hi]`, from `start`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Free {
    pub name: String,
    pub lo: f64,
    pub hi: f64,
    /// The declared value.
    pub start: f64,
    /// Searched on a log scale: the range is positive and spans a decade or more.
    pub log: bool,
}

impl Free {
    /// The parameter's value at `u` of its unit interval.
    pub fn value(&self, u: f64) -> f64 {
        if self.log {
            (self.lo.ln() + u * (self.hi.ln() - self.lo.ln())).exp()
        } else {
            self.lo + u * (self.hi - self.lo)
        }
    }

    /// Where `v` lies on the unit interval, clamped to it.
    pub fn unit(&self, v: f64) -> f64 {
        let u = if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        if u.is_finite() {
            u.clamp(0.0, 1.0)
        } else {
            0.5
        }
    }
}

/// The parameters of a model the fit may move: every parameter with a range that is
/// not a single point, in the order declared.
pub fn free_params(checked: &Checked) -> Vec<Free> {
    checked
        .model
        .params
        .iter()
        .filter_map(|p| {
            let (lo, hi) = p.range?;
            (hi > lo).then(|| Free {
                name: p.name.clone(),
                lo,
                hi,
                start: p.value,
                log: lo > 0.0 && hi / lo >= 10.0,
            })
        })
        .collect()
}

/// What to search for and how hard.
#[derive(Clone, Debug)]
pub struct Spec {
    pub seed: u64,
    /// Evaluations the search may spend, over all starts.
    pub budget: usize,
    /// Independent CMA-ES runs: the first from the declared values, with half the
    /// budget, the others from random points of the ranges.
    pub starts: usize,
    /// Distinct parameter sets the calibrated ensemble holds.
    pub samples: usize,
    /// Chains the calibration walks, each from one of the fits' best points.
    pub chains: usize,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec {
            seed: 1,
            budget: 2000,
            starts: 4,
            samples: 200,
            chains: 4,
        }
    }
}

/// One parameter set judged: its place in the unit box, score and each expectation's
/// violation (NaN where there was no number), in the order of the model's expectations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub unit: Vec<f64>,
    pub score: f64,
    pub violations: Vec<f64>,
    pub passes: Vec<bool>,
    /// Why some experiment could not be run at this set.
    #[serde(skip)]
    pub cause: Option<String>,
}

/// The best point of one start.
#[derive(Clone, Debug)]
pub struct Start {
    pub best: Point,
    pub evaluations: usize,
}

/// An expectation the best fit leaves unmet, and what meeting it costs.
#[derive(Clone, Debug)]
pub struct Conflict {
    /// The expectation, by its index in the model.
    pub expectation: usize,
    /// Its violation at the best fit.
    pub violation: f64,
    /// Where it was met (at the best-scoring set that meets it), the expectations that
    /// the best fit meets and that set does not; `None` where no set the fit tried met
    /// it at all.
    pub breaks: Option<Vec<usize>>,
}

/// What the search found for one hypothesis.
#[derive(Clone, Debug)]
pub struct Fit {
    pub free: Vec<Free>,
    /// The expectations' texts and weights, in the model's order.
    pub expectations: Vec<String>,
    pub weights: Vec<f64>,
    pub best: Point,
    pub starts: Vec<Start>,
    pub evaluations: usize,
    /// Per expectation, the smallest violation any evaluated set reached.
    pub smallest: Vec<f64>,
    /// Evaluations at which some experiment failed, by cause.
    pub failures: BTreeMap<String, usize>,
    pub conflicts: Vec<Conflict>,
    /// Every evaluated point: the declared values first, then the starts' in the order of
    /// the starts and of each start's evaluations.
    pub archive: Vec<Point>,
}

impl Fit {
    /// The point of the declared values, judged first.
    pub fn declared(&self) -> &Point {
        &self.archive[0]
    }

    /// The free parameters' values at the best point.
    pub fn best_values(&self) -> Vec<f64> {
        values(&self.free, &self.best.unit)
    }
}

/// The values of the free parameters at unit point `u`.
pub fn values(free: &[Free], u: &[f64]) -> Vec<f64> {
    free.iter().zip(u).map(|(f, &u)| f.value(u)).collect()
}

/// Why a fit cannot start.
#[derive(Clone, Debug, PartialEq)]
pub enum FitError {
    NoFreeParameters,
    NoExpectations,
    NoBudget,
    /// The model fails to run at its declared values: the first failure's message.
    FailsAtStart(String),
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FitError::NoFreeParameters => write!(
                f,
                "no parameter has a range to search; give the parameters to fit a range, e.g. `param k = 1 /min in [0.1, 10] /min`"
            ),
            FitError::NoExpectations => write!(
                f,
                "no expectation to fit to; add `expect` lines (or the files that hold them) to the hypothesis"
            ),
            FitError::NoBudget => write!(
                f,
                "a budget of 0 evaluations cannot search; ask for 1 or more (`--budget 2000`)"
            ),
            FitError::FailsAtStart(e) => write!(
                f,
                "the hypothesis fails to run at its declared values, so the fit has no start: {e}"
            ),
        }
    }
}

/// The model with the free parameters set to `vals`, everything derived from them again.
fn with_values(
    checked: &Checked,
    free: &[Free],
    vals: &[f64],
) -> Result<Checked, crate::pipeline::DeriveError> {
    let values: BTreeMap<String, f64> = free
        .iter()
        .zip(vals)
        .map(|(f, &v)| (f.name.clone(), v))
        .collect();
    checked.with_params(&values)
}

/// Judges the model at unit point `u`.
pub fn evaluate(checked: &Checked, free: &[Free], u: &[f64], settings: &Settings) -> Point {
    let n = checked.model.expectations.len();
    let sampled = match with_values(checked, free, &values(free, u)) {
        Ok(sampled) => sampled,
        Err(e) => {
            return Point {
                unit: u.to_vec(),
                score: NO_NUMBER
                    * checked
                        .model
                        .expectations
                        .iter()
                        .map(|x| x.weight)
                        .sum::<f64>(),
                violations: vec![f64::NAN; n],
                passes: vec![false; n],
                cause: Some(e.to_string()),
            };
        }
    };
    let verdicts = judge(&mut Runs::new(&sampled, settings).reading_only_what_is_judged());
    let mut cause = None;
    let mut violations = Vec::with_capacity(verdicts.len());
    let mut passes = Vec::with_capacity(verdicts.len());
    let mut score = 0.0;
    for v in &verdicts {
        if let (None, Some(e)) = (&cause, &v.error) {
            cause = Some(Cause::of(e).to_string());
        }
        let x = v.violation;
        score += v.weight * if x.is_finite() { x.max(0.0) } else { NO_NUMBER };
        violations.push(x);
        passes.push(v.pass);
    }
    Point {
        unit: u.to_vec(),
        score,
        violations,
        passes,
        cause,
    }
}

/// Folds the real line back into [0, 1] by reflection at its ends.
fn reflect(z: f64) -> f64 {
    let m = z.rem_euclid(2.0);
    if m > 1.0 { 2.0 - m } else { m }
}

/// The random stream of start or chain `k` of a run seeded `seed`.
fn stream(seed: u64, k: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(k);
    rng
}

/// Searches the free parameters of `checked` for the set that best satisfies its
/// expectations. `tick` is called after every evaluation.
pub fn fit(
    checked: &Checked,
    spec: &Spec,
    settings: &Settings,
    tick: Option<Tick>,
) -> Result<Fit, FitError> {
    let free = free_params(checked);
    if free.is_empty() {
        return Err(FitError::NoFreeParameters);
    }
    if checked.model.expectations.is_empty() {
        return Err(FitError::NoExpectations);
    }
    if spec.budget == 0 {
        return Err(FitError::NoBudget);
    }
    let declared: Vec<f64> = free.iter().map(|f| f.unit(f.start)).collect();
    let first = evaluate(checked, &free, &declared, settings);
    if first.violations.iter().all(|v| v.is_nan()) {
        return Err(FitError::FailsAtStart(
            first
                .cause
                .clone()
                .unwrap_or_else(|| "no expectation gives a number".into()),
        ));
    }
    let starts = spec.starts.clamp(1, spec.budget);
    let shares = budgets(spec.budget, starts);
    let runs: Vec<(Start, Vec<Point>)> = (0..starts)
        .into_par_iter()
        .map(|k| {
            let mut rng = stream(spec.seed, k as u64);
            let (mean, sigma) = if k == 0 {
                (declared.clone(), 0.1)
            } else {
                ((0..free.len()).map(|_| rng.random::<f64>()).collect(), 0.25)
            };
            let budget = shares[k];
            search(
                checked,
                &free,
                mean,
                sigma,
                budget,
                rng.random(),
                settings,
                tick,
            )
        })
        .collect();
    // The declared values are a point of the search too, judged before any start.
    let mut archive = vec![first.clone()];
    let mut out_starts = Vec::new();
    for (start, points) in runs {
        out_starts.push(start);
        archive.extend(points);
    }
    let best = archive
        .iter()
        .min_by(|a, b| a.score.total_cmp(&b.score))
        .cloned()
        .unwrap_or(first);
    let n = checked.model.expectations.len();
    let smallest = (0..n)
        .map(|e| {
            archive
                .iter()
                .map(|p| p.violations[e])
                .filter(|v| v.is_finite())
                .fold(f64::NAN, f64::min)
        })
        .collect();
    let mut failures = BTreeMap::new();
    for p in &archive {
        if let Some(c) = &p.cause {
            *failures.entry(c.clone()).or_insert(0) += 1;
        }
    }
    let conflicts = conflicts(&best, &archive);
    Ok(Fit {
        free,
        expectations: checked
            .model
            .expectations
            .iter()
            .map(|x| x.text.clone())
            .collect(),
        weights: checked
            .model
            .expectations
            .iter()
            .map(|x| x.weight)
            .collect(),
        best,
        evaluations: archive.len(),
        starts: out_starts,
        smallest,
        failures,
        conflicts,
        archive,
    })
}

/// How the budget is split over the starts: half to the start from the declared values,
/// which a modeller has already put near the observations, the rest evenly over the
/// random starts (all of it to the one start when there is one).
fn budgets(budget: usize, starts: usize) -> Vec<usize> {
    if starts <= 1 {
        return vec![budget];
    }
    let first = budget.div_ceil(2);
    let rest = budget - first;
    let others = starts - 1;
    std::iter::once(first)
        .chain((0..others).map(|k| rest / others + usize::from(k < rest % others)))
        .collect()
}

/// One CMA-ES run of at most `budget` evaluations from `mean` with step `sigma`, in the
/// unit box; stops early once every expectation holds.
#[allow(clippy::too_many_arguments)]
fn search(
    checked: &Checked,
    free: &[Free],
    mean: Vec<f64>,
    sigma: f64,
    budget: usize,
    seed: u64,
    settings: &Settings,
    tick: Option<Tick>,
) -> (Start, Vec<Point>) {
    let archive: Mutex<Vec<Point>> = Mutex::new(Vec::new());
    let objective = |z: &DVector<f64>| -> f64 {
        let u: Vec<f64> = z.iter().map(|&z| reflect(z)).collect();
        let p = evaluate(checked, free, &u, settings);
        let score = p.score;
        if let Ok(mut a) = archive.lock() {
            a.push(p);
        }
        if let Some(tick) = tick {
            tick();
        }
        score
    };
    let state = cmaes::CMAESOptions::new(mean, sigma)
        .max_function_evals(budget)
        .fun_target(f64::MIN_POSITIVE)
        .seed(seed)
        .build(objective);
    if let Ok(mut state) = state {
        let _ = state.run();
    }
    let points = archive.into_inner().unwrap_or_default();
    let best = points
        .iter()
        .min_by(|a, b| a.score.total_cmp(&b.score))
        .cloned();
    let start = Start {
        best: best.unwrap_or_else(|| evaluate(checked, free, &vec![0.5; free.len()], settings)),
        evaluations: points.len(),
    };
    (start, points)
}

/// The expectations the best point leaves unmet, each with what meeting it breaks.
fn conflicts(best: &Point, archive: &[Point]) -> Vec<Conflict> {
    let holds = |v: f64| v.is_finite() && v <= 0.0;
    (0..best.violations.len())
        .filter(|&e| !holds(best.violations[e]))
        .map(|e| {
            let met = archive
                .iter()
                .filter(|p| holds(p.violations[e]))
                .min_by(|a, b| a.score.total_cmp(&b.score));
            let breaks = met.map(|p| {
                (0..best.violations.len())
                    .filter(|&o| holds(best.violations[o]) && !holds(p.violations[o]))
                    .collect()
            });
            Conflict {
                expectation: e,
                violation: best.violations[e],
                breaks,
            }
        })
        .collect()
}

/// The calibrated ensemble of one hypothesis.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Calibrated {
    pub schema_version: u32,
    pub hypothesis: String,
    pub seed: u64,
    pub free: Vec<Free>,
    pub expectations: Vec<String>,
    /// The largest score a set may have: 0 where every expectation can hold.
    pub threshold: f64,
    /// Proposals kept over proposals made, after the chains' step sizes were tuned.
    pub acceptance: f64,
    pub evaluations: usize,
    /// The distinct sets, each the free parameters' values in the order of `free`.
    pub sets: Vec<Vec<f64>>,
    /// `passes[s][e]`: whether set `s` meets expectation `e`.
    pub passes: Vec<Vec<bool>>,
}

impl Calibrated {
    /// Per expectation, the share of the sets that meet it.
    pub fn pass_shares(&self) -> Vec<f64> {
        let n = self.sets.len().max(1) as f64;
        (0..self.expectations.len())
            .map(|e| self.passes.iter().filter(|p| p[e]).count() as f64 / n)
            .collect()
    }

    /// Per free parameter, the part of its (log-)range the sets span: max − min of
    /// their places on its unit interval.
    pub fn spans(&self) -> Vec<f64> {
        (0..self.free.len())
            .map(|j| {
                let us = self.sets.iter().map(|s| self.free[j].unit(s[j]));
                let (lo, hi) = us.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), u| {
                    (a.min(u), b.max(u))
                });
                if hi >= lo { hi - lo } else { 0.0 }
            })
            .collect()
    }
}

/// Steps of each chain spent tuning its proposal before it keeps any set.
const TUNE: usize = 150;
/// A chain keeps its state every this many steps.
const THIN: usize = 5;
/// The share of proposals kept that the tuning aims for (Roberts, Gelman & Gilks 1997).
const ACCEPT: f64 = 0.234;

/// Walks the feasible set of `checked` from the fit's best points and keeps
/// `spec.samples` distinct sets.
pub fn calibrate(
    name: &str,
    checked: &Checked,
    fit: &Fit,
    spec: &Spec,
    settings: &Settings,
    tick: Option<Tick>,
) -> Calibrated {
    let threshold = if fit.best.score <= 0.0 {
        0.0
    } else {
        fit.best.score * (1.0 + NEAR_BEST)
    };
    // The chains start from the feasible points the fit met, the best first, each start
    // at a distinct point where there are enough.
    let mut seeds: Vec<&Point> = fit
        .archive
        .iter()
        .filter(|p| p.score <= threshold)
        .collect();
    seeds.sort_by(|a, b| a.score.total_cmp(&b.score));
    seeds.dedup_by(|a, b| a.unit == b.unit);
    if seeds.is_empty() {
        seeds.push(&fit.best);
    }
    let chains = spec.chains.max(1);
    let quota = spec.samples.div_ceil(chains);
    let spread = seeds.len().div_ceil(chains).max(1);
    let walks: Vec<Walk> = (0..chains)
        .into_par_iter()
        .map(|c| {
            let from = seeds[(c * spread) % seeds.len()];
            let rng = stream(spec.seed, 1_000_000 + c as u64);
            walk(
                checked, &fit.free, from, threshold, quota, rng, settings, tick,
            )
        })
        .collect();
    let mut sets: Vec<Vec<f64>> = Vec::new();
    let mut passes = Vec::new();
    let (mut kept, mut proposed, mut evaluations) = (0, 0, 0);
    for w in walks {
        kept += w.accepted;
        proposed += w.proposed;
        evaluations += w.evaluations;
        for p in w.kept {
            let vals = values(&fit.free, &p.unit);
            if sets.len() < spec.samples && !sets.contains(&vals) {
                sets.push(vals);
                passes.push(p.passes);
            }
        }
    }
    Calibrated {
        schema_version: SCHEMA_VERSION,
        hypothesis: name.to_string(),
        seed: spec.seed,
        free: fit.free.clone(),
        expectations: fit.expectations.clone(),
        threshold,
        acceptance: if proposed == 0 {
            0.0
        } else {
            kept as f64 / proposed as f64
        },
        evaluations,
        sets,
        passes,
    }
}

struct Walk {
    kept: Vec<Point>,
    accepted: usize,
    proposed: usize,
    evaluations: usize,
}

/// One random-walk Metropolis chain over the sets scoring at most `threshold`, whose
/// target is the prior of the unit box (uniform there: log-uniform on a log-scaled
/// range) cut to those sets: a proposal is kept exactly when it lies in the box and
/// scores within the threshold, and one outside the box is refused unjudged. The
/// proposal is a Gaussian step whose shape and size are learnt during the first `TUNE`
/// steps (adaptive scaling Metropolis, Andrieu & Thoms 2008: the covariance of the
/// states visited, scaled towards `ACCEPT` of proposals kept), so that a feasible set
/// that is a thin ridge is walked along, not across; then held fixed, so the chain that
/// keeps sets is a Metropolis chain. A state is kept every `THIN` steps while it
/// differs from the last kept.
#[allow(clippy::too_many_arguments)]
fn walk(
    checked: &Checked,
    free: &[Free],
    from: &Point,
    threshold: f64,
    quota: usize,
    mut rng: ChaCha8Rng,
    settings: &Settings,
    tick: Option<Tick>,
) -> Walk {
    use nalgebra::{DMatrix, DVector};
    let d = free.len();
    let mut here = from.clone();
    let mut out = Walk {
        kept: Vec::new(),
        accepted: 0,
        proposed: 0,
        evaluations: 0,
    };
    let mut mean = DVector::from_column_slice(&here.unit);
    let mut cov = DMatrix::<f64>::identity(d, d) * 0.01;
    let mut log_scale = (2.38f64.powi(2) / d as f64).ln() / 2.0;
    let factor = |cov: &DMatrix<f64>| {
        let jitter = DMatrix::<f64>::identity(d, d) * 1e-12;
        (cov + jitter)
            .cholesky()
            .map(|c| c.l())
            .unwrap_or_else(|| DMatrix::<f64>::identity(d, d) * 0.1)
    };
    let mut chol = factor(&cov);
    // A walk that cannot move still stops: at most this many steps.
    let limit = TUNE + 20 * THIN * quota.max(1);
    for t in 0..limit {
        let z = DVector::from_fn(d, |_, _| StandardNormal.sample(&mut rng));
        let step = &chol * z * log_scale.exp();
        let proposal: Vec<f64> = here
            .unit
            .iter()
            .zip(step.iter())
            .map(|(u, s)| u + s)
            .collect();
        let inside = proposal.iter().all(|u| (0.0..=1.0).contains(u));
        let keep = inside && {
            let p = evaluate(checked, free, &proposal, settings);
            out.evaluations += 1;
            if let Some(tick) = tick {
                tick();
            }
            let keep = p.score <= threshold;
            if keep {
                here = p;
            }
            keep
        };
        if t < TUNE {
            let gain = 1.0 / (t as f64 + 10.0).powf(0.6);
            log_scale += 3.0 * gain * (f64::from(u8::from(keep)) - ACCEPT);
            let x = DVector::from_column_slice(&here.unit);
            let dx = &x - &mean;
            mean += &dx * gain;
            cov += (&dx * dx.transpose() - &cov) * gain;
            chol = factor(&cov);
            continue;
        }
        out.proposed += 1;
        out.accepted += usize::from(keep);
        if (t - TUNE + 1).is_multiple_of(THIN)
            && out.kept.last().is_none_or(|last| last.unit != here.unit)
        {
            out.kept.push(here.clone());
            if out.kept.len() >= quota {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_goes_half_to_the_declared_start_and_adds_up() {
        assert_eq!(budgets(2000, 4), vec![1000, 334, 333, 333]);
        assert_eq!(budgets(7, 1), vec![7]);
        assert_eq!(budgets(3, 3), vec![2, 1, 0]);
        for (b, s) in [(1, 4), (999, 7), (2001, 2)] {
            assert_eq!(budgets(b, s).iter().sum::<usize>(), b);
        }
    }

    #[test]
    fn reflection_folds_the_line_into_the_unit_interval() {
        for (z, u) in [
            (0.25, 0.25),
            (1.25, 0.75),
            (-0.25, 0.25),
            (2.5, 0.5),
            (-1.75, 0.25),
        ] {
            assert!((reflect(z) - u).abs() < 1e-12, "{z}");
        }
    }

    #[test]
    fn a_log_range_maps_decades_evenly_and_back() {
        let f = Free {
            name: "k".into(),
            lo: 0.01,
            hi: 1.0,
            start: 0.1,
            log: true,
        };
        assert!((f.value(0.5) - 0.1).abs() < 1e-12);
        assert!((f.unit(0.1) - 0.5).abs() < 1e-12);
        assert_eq!(f.unit(5.0), 1.0);
    }
}
