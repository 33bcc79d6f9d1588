//! Ensembles over parameter uncertainty: every parameter with a range is drawn
//! (log-uniform by default), every hypothesis judged on every sample, and per
//! expectation the fraction of samples that pass, with the parameters whose values
//! go most with the prediction (Spearman rank correlation).
//!
//! Sample `i` draws from its own random stream (ChaCha8, the seed, stream `i`), so a
//! result depends on the seed alone: not on the number of threads, nor on how the
//! samples are split into shards. A shard keeps its samples' records; `merge`
//! summarises any set of shards exactly as one run of all of them.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::compare::Hypothesis;
use super::{Runs, Tick, judge};
use crate::Checked;
use crate::experiment::{ExperimentError, ExperimentErrorKind, SteadyStateError};
use crate::pipeline::DeriveError;
use crate::solve::{Method, Settings, SolveErrorKind, Where};

/// Version of the ensemble's records (a shard's JSON, what `merge` reads back); raised
/// whenever a field changes meaning. 2: a failed sample carries its typed cause, which
/// the records of version 1 did not, so their failures could not be counted by kind.
pub const SCHEMA_VERSION: u32 = 2;

/// How a parameter is drawn from its range `[lo, hi]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dist {
    /// exp(U(ln lo, ln hi)); uniform where the range is not positive.
    LogUniform,
    Uniform,
    /// Centred on the declared value with sd (hi − lo)/4, clamped to the range.
    Normal,
    /// Not drawn: held at its declared value, as for a parameter derived from others
    /// (a rate set so that the written resting state is steady) that should not vary on
    /// its own.
    Fixed,
}

/// What to run: how many samples in all, the seed, this shard (k of n, from 1), and
/// the distribution of each parameter.
#[derive(Clone, Debug)]
pub struct Spec {
    pub samples: usize,
    pub seed: u64,
    pub shard: (usize, usize),
    pub default: Dist,
    pub distributions: BTreeMap<String, Dist>,
    /// Judge a failed sample again at `RETRY_TIGHTER` times tighter tolerances.
    pub retry: bool,
}

/// One sample: the values drawn and, per hypothesis, each expectation's prediction
/// and verdict (in the order of `Partial::expectations`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Sample {
    pub index: usize,
    pub params: BTreeMap<String, f64>,
    /// `values[h][e]`; null where the hypothesis has no such expectation or the
    /// prediction failed.
    pub values: Vec<Vec<Option<f64>>>,
    pub passes: Vec<Vec<Option<bool>>>,
    /// `failed[h]`: why some experiment of this sample could not be run, at the
    /// manifest's tolerances and again at `RETRY_TIGHTER` times tighter ones.
    pub failed: Vec<Option<String>>,
    /// `causes[h]`: the kind of that error, by which failed samples are counted.
    #[serde(default)]
    pub causes: Vec<Option<Cause>>,
    /// `retried[h]`: an experiment failed at the manifest's tolerances and the sample was
    /// judged again at tighter ones; where that run went through, its verdicts are the
    /// sample's.
    #[serde(default)]
    pub retried: Vec<bool>,
}

/// The records of one shard (or of a whole run: shard 1 of 1).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Partial {
    pub schema_version: u32,
    pub hypotheses: Vec<String>,
    /// The sampled parameters each hypothesis has, by name.
    pub parameters: Vec<Vec<String>>,
    pub expectations: Vec<String>,
    pub samples_total: usize,
    pub seed: u64,
    pub shard: (usize, usize),
    /// Whether failed samples were judged again at tighter tolerances.
    #[serde(default)]
    pub retry: bool,
    pub samples: Vec<Sample>,
}

impl Partial {
    /// The records of a shard as `run --out` wrote them, read back and checked (see
    /// [`Partial::check`]); the error says what is wrong with them.
    pub fn from_json(text: &str) -> Result<Partial, String> {
        let partial: Partial = serde_json::from_str(text).map_err(|e| e.to_string())?;
        partial.check()?;
        Ok(partial)
    }

    /// Whether these records are what `run` writes: this version's schema, a shard K/N
    /// with 1 ≤ K ≤ N, and every sample one of the shard's, with a value of every sampled
    /// parameter and a verdict slot for every hypothesis and expectation. A file edited by
    /// hand or cut short fails here, naming the sample, before anything is summarised.
    pub fn check(&self) -> Result<(), String> {
        let version = SCHEMA_VERSION;
        if self.schema_version != version {
            return Err(format!(
                "schema_version {} is not {version}, the version this pathrules writes; run the shard again with this version",
                self.schema_version
            ));
        }
        let (k, n) = self.shard;
        if !(1 <= k && k <= n) {
            return Err(format!(
                "shard [{k}, {n}] is not a shard K/N with 1 ≤ K ≤ N"
            ));
        }
        let (h_count, rows) = (self.hypotheses.len(), self.expectations.len());
        if self.parameters.len() != h_count {
            return Err(format!(
                "{} lists of parameters for {h_count} hypotheses",
                self.parameters.len()
            ));
        }
        let mut names: Vec<&String> = self.parameters.iter().flatten().collect();
        names.sort();
        names.dedup();
        for s in &self.samples {
            let i = s.index;
            if i >= self.samples_total || i % n != k - 1 {
                return Err(format!(
                    "sample {i} is not one of shard {k}/{n} of {} samples",
                    self.samples_total
                ));
            }
            let shape = |what: &str, lens: Vec<usize>| -> Result<(), String> {
                if lens.len() != h_count || lens.iter().any(|&l| l != rows) {
                    return Err(format!(
                        "sample {i}: its {what} are not one per expectation ({rows}) for each hypothesis ({h_count})"
                    ));
                }
                Ok(())
            };
            shape("values", s.values.iter().map(Vec::len).collect())?;
            shape("passes", s.passes.iter().map(Vec::len).collect())?;
            if s.failed.len() != h_count
                || !(s.retried.is_empty() || s.retried.len() == h_count)
                || !(s.causes.is_empty() || s.causes.len() == h_count)
            {
                return Err(format!(
                    "sample {i}: `failed`, `causes` and `retried` have one entry per hypothesis ({h_count})"
                ));
            }
            if let Some(h) = (0..h_count)
                .find(|&h| s.failed[h].is_some() != s.causes.get(h).is_some_and(Option::is_some))
            {
                return Err(format!(
                    "sample {i} under `{}`: a failure needs its cause and a cause its failure; run the shard again with this version",
                    self.hypotheses[h]
                ));
            }
            if let Some(missing) = names.iter().find(|p| !s.params.contains_key(**p)) {
                return Err(format!("sample {i} has no value of parameter `{missing}`"));
            }
            if let Some(extra) = s.params.keys().find(|p| !names.contains(p)) {
                return Err(format!(
                    "sample {i} has a value of `{extra}`, which is not a sampled parameter"
                ));
            }
        }
        Ok(())
    }
}

/// Per expectation and hypothesis: the fraction of samples that pass, and the
/// parameters that go most with the prediction.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub hypotheses: Vec<String>,
    pub expectations: Vec<String>,
    pub samples: usize,
    pub seed: u64,
    /// Samples in which some experiment failed, per hypothesis (they count as
    /// failing every expectation they touch).
    pub failed: Vec<usize>,
    /// `failures[h]`: why those samples failed, each cause (the first line of the error,
    /// its numbers left out: see [`Cause`]) with how many samples it stopped, the most
    /// common first.
    pub failures: Vec<Vec<(String, usize)>>,
    /// Samples judged again at tighter tolerances after a failure, per hypothesis, and
    /// how many of them then ran.
    pub retried: Vec<usize>,
    pub rescued: Vec<usize>,
    /// Whether the run judged failed samples again (`--retry`).
    pub retry: bool,
    /// `pass_fraction[e][h]`.
    pub pass_fraction: Vec<Vec<f64>>,
    /// `drivers[e][h]`: up to three (parameter, Spearman ρ), largest |ρ| first.
    pub drivers: Vec<Vec<Vec<(String, f64)>>>,
    /// Judged on each hypothesis's calibrated ensemble, not on draws from the prior.
    pub calibrated: bool,
}

/// Every parameter with a range in any hypothesis, by name: (lo, hi, value), from
/// the first hypothesis that declares it.
fn ranges(hypotheses: &[Hypothesis]) -> BTreeMap<String, (f64, f64, f64)> {
    let mut out = BTreeMap::new();
    for h in hypotheses {
        for p in &h.checked.model.params {
            if let Some((lo, hi)) = p.range {
                out.entry(p.name.clone()).or_insert((lo, hi, p.value));
            }
        }
    }
    out
}

fn draw(rng: &mut ChaCha8Rng, dist: Dist, (lo, hi, value): (f64, f64, f64)) -> f64 {
    if hi <= lo {
        return lo;
    }
    match dist {
        Dist::LogUniform if lo > 0.0 => (rng.random_range(lo.ln()..hi.ln())).exp(),
        Dist::LogUniform | Dist::Uniform => rng.random_range(lo..hi),
        Dist::Normal => match Normal::new(value, (hi - lo) / 4.0) {
            Ok(n) => n.sample(rng).clamp(lo, hi),
            Err(_) => value,
        },
        Dist::Fixed => value,
    }
}

/// The expectation texts of all hypotheses, the base's first.
fn expectation_rows(hypotheses: &[Hypothesis]) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    for h in hypotheses {
        for x in &h.checked.model.expectations {
            if !rows.contains(&x.text) {
                rows.push(x.text.clone());
            }
        }
    }
    rows
}

/// How many samples are drawn and run together: enough to keep every core busy while
/// a slow sample finishes, few enough that a run of a billion samples holds only the
/// records it has made, never a list of every index up front.
const CHUNK: usize = 256;

/// How many of `samples` belong to shard `k` of `n` (from 1): the indices k − 1,
/// k − 1 + n, … below `samples`.
pub fn shard_len(samples: usize, (k, n): (usize, usize)) -> usize {
    if n == 0 || k == 0 || k > samples {
        return 0;
    }
    (samples - k) / n + 1
}

/// Runs this shard's samples, in parallel on all cores, a chunk at a time. An ensemble of
/// no samples, or a shard that is not K/N with 1 ≤ K ≤ N, is an error.
pub fn run(
    hypotheses: &[Hypothesis],
    spec: &Spec,
    settings: &Settings,
    tick: Option<Tick>,
) -> Result<Partial, String> {
    if spec.samples == 0 {
        return Err("an ensemble of 0 samples has nothing to summarise; ask for 1 or more".into());
    }
    let (k, n) = spec.shard;
    if !(1 <= k && k <= n) {
        return Err(format!("shard {k}/{n} is not a shard K/N with 1 ≤ K ≤ N"));
    }
    let dist = |name: &str| {
        spec.distributions
            .get(name)
            .copied()
            .unwrap_or(spec.default)
    };
    let ranges: BTreeMap<String, (f64, f64, f64)> = ranges(hypotheses)
        .into_iter()
        .filter(|(name, _)| dist(name) != Dist::Fixed)
        .collect();
    let rows = expectation_rows(hypotheses);
    let mine = shard_len(spec.samples, spec.shard);
    let mut samples: Vec<Sample> = Vec::new();
    for start in (0..mine).step_by(CHUNK) {
        let chunk = start..(start + CHUNK).min(mine);
        // The chunk's samples come back in index order whatever thread ran each.
        let done: Vec<Sample> = chunk
            .into_par_iter()
            .map(|j| {
                let index = k - 1 + j * n;
                let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
                rng.set_stream(index as u64);
                let params: BTreeMap<String, f64> = ranges
                    .iter()
                    .map(|(name, &r)| (name.clone(), draw(&mut rng, dist(name), r)))
                    .collect();
                let sample = judge_all(hypotheses, index, params, &rows, settings, spec.retry);
                if let Some(tick) = tick {
                    tick();
                }
                sample
            })
            .collect();
        samples.extend(done);
    }
    Ok(Partial {
        schema_version: SCHEMA_VERSION,
        hypotheses: hypotheses.iter().map(|h| h.name.clone()).collect(),
        parameters: hypotheses
            .iter()
            .map(|h| {
                h.checked
                    .model
                    .params
                    .iter()
                    .filter(|p| p.formula.is_none() && ranges.contains_key(&p.name))
                    .map(|p| p.name.clone())
                    .collect()
            })
            .collect(),
        expectations: rows,
        samples_total: spec.samples,
        seed: spec.seed,
        shard: spec.shard,
        retry: spec.retry,
        samples,
    })
}

/// Sample `index`: every hypothesis judged under `params`. The hypotheses of one sample
/// run in parallel too, so that a slow sample near the end of a run does not leave a
/// core idle.
fn judge_all(
    hypotheses: &[Hypothesis],
    index: usize,
    params: BTreeMap<String, f64>,
    rows: &[String],
    settings: &Settings,
    retry: bool,
) -> Sample {
    let judged: Vec<Judged> = hypotheses
        .par_iter()
        .map(|h| judge_sample(&h.checked, &params, rows, settings, retry))
        .collect();
    let mut values = Vec::new();
    let mut passes = Vec::new();
    let mut failed = Vec::new();
    let mut causes = Vec::new();
    let mut retried = Vec::new();
    for ((v, p, f, r), h) in judged.into_iter().zip(hypotheses) {
        values.push(v);
        passes.push(p);
        failed.push(f.as_ref().map(Failure::message));
        let unit = h.checked.model.units.time.as_str();
        causes.push(f.as_ref().map(|f| f.cause(unit)));
        retried.push(r);
    }
    Sample {
        index,
        params,
        values,
        passes,
        failed,
        causes,
        retried,
    }
}

/// The summary of judging each hypothesis on parameter sets of its own (its calibrated
/// ensemble, `sets[h]`, free parameters by name) instead of draws from the prior: each
/// hypothesis is one run of its sets, and the runs are set side by side, so the pass
/// shares and drivers of a hypothesis are those of its own sets.
pub fn run_sets(
    hypotheses: &[Hypothesis],
    sets: &[Vec<BTreeMap<String, f64>>],
    seed: u64,
    settings: &Settings,
    retry: bool,
    tick: Option<Tick>,
) -> Result<Summary, String> {
    let rows = expectation_rows(hypotheses);
    let mut columns = Vec::new();
    for (h, sets) in hypotheses.iter().zip(sets) {
        if sets.is_empty() {
            return Err(format!("`{}` has no calibrated set to judge", h.name));
        }
        let one = std::slice::from_ref(h);
        let samples: Vec<Sample> = sets
            .par_iter()
            .enumerate()
            .map(|(index, params)| {
                let sample = judge_all(one, index, params.clone(), &rows, settings, retry);
                if let Some(tick) = tick {
                    tick();
                }
                sample
            })
            .collect();
        let partial = Partial {
            schema_version: SCHEMA_VERSION,
            hypotheses: vec![h.name.clone()],
            parameters: vec![sets[0].keys().cloned().collect()],
            expectations: rows.clone(),
            samples_total: samples.len(),
            seed,
            shard: (1, 1),
            retry,
            samples,
        };
        columns.push(summarize(&[partial])?);
    }
    let mut columns = columns.into_iter();
    let Some(mut out) = columns.next() else {
        return Err("no hypothesis to judge".into());
    };
    for c in columns {
        out.hypotheses.extend(c.hypotheses);
        out.samples = out.samples.min(c.samples);
        out.failed.extend(c.failed);
        out.failures.extend(c.failures);
        out.retried.extend(c.retried);
        out.rescued.extend(c.rescued);
        for (row, more) in out.pass_fraction.iter_mut().zip(c.pass_fraction) {
            row.extend(more);
        }
        for (row, more) in out.drivers.iter_mut().zip(c.drivers) {
            row.extend(more);
        }
    }
    out.calibrated = true;
    Ok(out)
}

/// A sample whose experiments fail at the manifest's tolerances is judged again with
/// both tolerances this many times smaller. Some draws make the model stiff enough that
/// the solver leaves the physical range at rtol 1e-6 (a receptor pool driven below zero
/// on its way to a steady state) and passes at 1e-8, reaching a steady state with that
/// pool in the hundreds: a failure of the numerics, not a verdict on the draw.
pub const RETRY_TIGHTER: f64 = 100.0;

type Judged = (Vec<Option<f64>>, Vec<Option<bool>>, Option<Failure>, bool);

/// Why a sample of one hypothesis failed: an experiment stopped, or the draw gave a
/// derived parameter no finite value, so nothing was run.
#[derive(Clone, Debug)]
enum Failure {
    Experiment(ExperimentError),
    Derive(DeriveError),
}

impl Failure {
    /// The message a record keeps: at the manifest's settings, the ensemble's.
    fn message(&self) -> String {
        match self {
            Failure::Experiment(e) => e.at(Where::Manifest).to_string(),
            Failure::Derive(e) => e.to_string(),
        }
    }

    fn cause(&self, time_unit: &str) -> Cause {
        match self {
            Failure::Experiment(e) => Cause::of(e),
            Failure::Derive(e) => Cause {
                experiment: None,
                genotype: None,
                time_unit: time_unit.to_string(),
                kind: CauseKind::Derived {
                    param: match e {
                        DeriveError::Unknown { name }
                        | DeriveError::Derived { name }
                        | DeriveError::NotFiniteGiven { name, .. }
                        | DeriveError::NotFinite { name, .. } => name.clone(),
                    },
                },
            },
        }
    }
}

/// One hypothesis under one draw of parameters, judged again at tighter tolerances if
/// an experiment fails and `retry` is set.
fn judge_sample(
    checked: &Checked,
    params: &BTreeMap<String, f64>,
    rows: &[String],
    settings: &Settings,
    retry: bool,
) -> Judged {
    let (values, passes, failed) = judge_at(checked, params, rows, settings);
    // A derived parameter without a value fails at every tolerance.
    let error = match failed {
        Some(error @ Failure::Experiment(_)) if retry => error,
        failed => return (values, passes, failed, false),
    };
    let tighter = Settings {
        rtol: settings.rtol / RETRY_TIGHTER,
        atol: settings.atol / RETRY_TIGHTER,
        ..settings.clone()
    };
    match judge_at(checked, params, rows, &tighter) {
        (values, passes, None) => (values, passes, None, true),
        // Still failing: the verdicts and message at the manifest's tolerances stand.
        (_, _, Some(_)) => (values, passes, Some(error), true),
    }
}

/// One hypothesis under one draw of parameters at the given tolerances.
fn judge_at(
    checked: &Checked,
    params: &BTreeMap<String, f64>,
    rows: &[String],
    settings: &Settings,
) -> (Vec<Option<f64>>, Vec<Option<bool>>, Option<Failure>) {
    // A parameter ranged in another hypothesis, or derived in this one, is not this
    // hypothesis's to set.
    let mine: BTreeMap<String, f64> = params
        .iter()
        .filter(|(name, _)| {
            checked
                .model
                .params
                .iter()
                .any(|p| &p.name == *name && p.formula.is_none())
        })
        .map(|(name, v)| (name.clone(), *v))
        .collect();
    let sampled = match checked.with_params(&mine) {
        Ok(sampled) => sampled,
        Err(e) => {
            return (
                vec![None; rows.len()],
                vec![None; rows.len()],
                Some(Failure::Derive(e)),
            );
        }
    };
    let mut runs = Runs::new(&sampled, settings).reading_only_what_is_judged();
    let verdicts = judge(&mut runs);
    let mut values = vec![None; rows.len()];
    let mut passes = vec![None; rows.len()];
    let mut failed = None;
    for v in verdicts {
        let text = &sampled.model.expectations[v.expectation].text;
        let Some(row) = rows.iter().position(|r| r == text) else {
            continue;
        };
        if let Some(e) = &v.error {
            failed.get_or_insert_with(|| Failure::Experiment(e.clone()));
        }
        values[row] = v.value.is_finite().then_some(v.value);
        passes[row] = Some(v.pass);
    }
    (values, passes, failed)
}

/// Summarises shards that together hold every sample of one run; an error says
/// which samples are missing, doubled or from another run.
pub fn summarize(parts: &[Partial]) -> Result<Summary, String> {
    let Some(first) = parts.first() else {
        return Err("no partial results to merge".to_string());
    };
    for p in parts {
        p.check()
            .map_err(|e| format!("shard {}/{}: {e}", p.shard.0, p.shard.1))?;
    }
    for (k, p) in parts.iter().enumerate() {
        if parts[..k].iter().any(|q| q.shard == p.shard) {
            return Err(format!("shard {}/{} is given twice", p.shard.0, p.shard.1));
        }
        if p.hypotheses != first.hypotheses
            || p.parameters != first.parameters
            || p.expectations != first.expectations
            || p.seed != first.seed
            || p.samples_total != first.samples_total
            || p.retry != first.retry
        {
            return Err(format!(
                "shard {}/{} comes from another run (its seed, samples, hypotheses, expectations or --retry differ)",
                p.shard.0, p.shard.1
            ));
        }
    }
    let mut samples: Vec<&Sample> = parts.iter().flat_map(|p| &p.samples).collect();
    samples.sort_by_key(|s| s.index);
    // A missing sample is named by the shard it belongs to when every shard splits the
    // run the same way, as a job array does.
    let n = first.shard.1;
    let missing = |k: usize| -> String {
        if parts.iter().all(|p| p.shard.1 == n) && !parts.iter().any(|p| p.shard.0 == k % n + 1) {
            format!(
                "shard {}/{n} is missing (sample {k} is in none of the files)",
                k % n + 1
            )
        } else {
            format!("sample {k} is missing")
        }
    };
    for (k, s) in samples.iter().enumerate() {
        if s.index > k {
            return Err(missing(k));
        }
        if s.index < k {
            return Err(format!("sample {} is there twice", s.index));
        }
    }
    if samples.len() != first.samples_total {
        return Err(missing(samples.len()));
    }
    let h_count = first.hypotheses.len();
    let rows = first.expectations.len();
    let failed = (0..h_count)
        .map(|h| samples.iter().filter(|s| s.failed[h].is_some()).count())
        .collect();
    let was_retried = |s: &Sample, h: usize| s.retried.get(h).copied().unwrap_or(false);
    let retried = (0..h_count)
        .map(|h| samples.iter().filter(|s| was_retried(s, h)).count())
        .collect();
    let rescued = (0..h_count)
        .map(|h| {
            samples
                .iter()
                .filter(|s| was_retried(s, h) && s.failed[h].is_none())
                .count()
        })
        .collect();
    let failures = (0..h_count)
        .map(|h| {
            let mut counts: BTreeMap<&Cause, usize> = BTreeMap::new();
            // `check` has seen a cause for every failure.
            for s in &samples {
                if let Some(Some(c)) = s.causes.get(h) {
                    *counts.entry(c).or_default() += 1;
                }
            }
            let mut list: Vec<(String, usize)> = counts
                .into_iter()
                .map(|(c, n)| (c.to_string(), n))
                .collect();
            list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            list
        })
        .collect();
    let mut pass_fraction = vec![vec![0.0; h_count]; rows];
    let mut drivers = vec![vec![Vec::new(); h_count]; rows];
    for e in 0..rows {
        for h in 0..h_count {
            let judged: Vec<bool> = samples.iter().filter_map(|s| s.passes[h][e]).collect();
            pass_fraction[e][h] = if judged.is_empty() {
                f64::NAN
            } else {
                judged.iter().filter(|p| **p).count() as f64 / judged.len() as f64
            };
            // Spearman ρ between each parameter and the prediction, over the
            // samples that have one.
            let with_value: Vec<(&Sample, f64)> = samples
                .iter()
                .filter_map(|s| s.values[h][e].map(|v| (*s, v)))
                .collect();
            if with_value.len() < 3 {
                continue;
            }
            let predicted = ranks(&with_value.iter().map(|(_, v)| *v).collect::<Vec<_>>());
            let mut rho: Vec<(String, f64)> = first.parameters[h]
                .iter()
                .map(|name| {
                    let xs: Vec<f64> = with_value
                        .iter()
                        .map(|(s, _)| s.params.get(name).copied().unwrap_or(f64::NAN))
                        .collect();
                    (name.clone(), pearson(&ranks(&xs), &predicted))
                })
                .filter(|(_, r)| r.is_finite())
                .collect();
            rho.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.cmp(&b.0)));
            rho.truncate(3);
            drivers[e][h] = rho;
        }
    }
    Ok(Summary {
        hypotheses: first.hypotheses.clone(),
        expectations: first.expectations.clone(),
        samples: samples.len(),
        seed: first.seed,
        failed,
        failures,
        retried,
        rescued,
        retry: first.retry,
        pass_fraction,
        drivers,
        calibrated: false,
    })
}

/// Why a sample failed, without what differs from sample to sample (times, values, step
/// counts): the kind of the error and the names it is about. Failed samples are counted by
/// it, and it reads as the first line of the error with its numbers written `…`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cause {
    /// The experiment that failed; `None` where the solver failed in the search for the
    /// genotype's steady state, which is the same search whichever of the genotype's
    /// experiments asked for it first.
    pub experiment: Option<String>,
    /// The genotype's name; `None` is the wild type.
    pub genotype: Option<String>,
    /// The model's time unit.
    pub time_unit: String,
    pub kind: CauseKind,
}

/// The kinds of [`Cause`]: where an experiment stopped and what stopped it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CauseKind {
    /// The steady state search ran to its end with `species` still changing.
    NotSteady { species: String },
    /// The steady state search met a limit cycle of `species`.
    Cycling { species: String },
    /// The solver stopped, in the steady state search (`steady`) or in the run.
    Solve {
        steady: bool,
        method: Method,
        failure: SolveCause,
    },
    /// The draw gave the derived parameter `param` no finite value: nothing ran.
    Derived { param: String },
}

/// What stopped the solver, as in [`SolveErrorKind`] without its numbers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SolveCause {
    NonFinite {
        species: String,
    },
    Negative {
        species: String,
    },
    StepSizeTooSmall {
        species: String,
    },
    TooManySteps,
    Oscillating {
        species: String,
    },
    /// Settings no method can honour, or a failure in a solver crate: free text, kept with
    /// its numbers written `…`, since it is the only description there is.
    BadSettings {
        message: String,
    },
    Solver {
        message: String,
    },
}

impl Cause {
    /// The cause of `e`.
    pub fn of(e: &ExperimentError) -> Cause {
        let (steady, solve) = match e.kind.as_ref() {
            ExperimentErrorKind::SteadyState(SteadyStateError::NotReached { species, .. }) => {
                return Cause::new(
                    e,
                    Some(&e.experiment),
                    CauseKind::NotSteady {
                        species: species.clone(),
                    },
                );
            }
            ExperimentErrorKind::SteadyState(SteadyStateError::Solve(s)) => (true, s),
            ExperimentErrorKind::Solve(s) => (false, s),
        };
        let species = |name: &String| name.clone();
        let failure = match &solve.kind {
            // A limit cycle met in the search is named as no steady state, as the message has it.
            SolveErrorKind::Oscillating { name, .. } if steady => {
                return Cause::new(
                    e,
                    Some(&e.experiment),
                    CauseKind::Cycling {
                        species: species(name),
                    },
                );
            }
            SolveErrorKind::NonFinite { name, .. } => SolveCause::NonFinite {
                species: species(name),
            },
            SolveErrorKind::Negative { name, .. } => SolveCause::Negative {
                species: species(name),
            },
            SolveErrorKind::StepSizeTooSmall { name, .. } => SolveCause::StepSizeTooSmall {
                species: species(name),
            },
            SolveErrorKind::TooManySteps { .. } => SolveCause::TooManySteps,
            SolveErrorKind::Oscillating { name, .. } => SolveCause::Oscillating {
                species: species(name),
            },
            SolveErrorKind::BadSettings(m) => SolveCause::BadSettings {
                message: without_numbers(first_line(m)),
            },
            SolveErrorKind::Solver(m) => SolveCause::Solver {
                message: without_numbers(first_line(m)),
            },
        };
        let experiment = (!steady).then_some(&e.experiment);
        let kind = CauseKind::Solve {
            steady,
            method: solve.method,
            failure,
        };
        Cause::new(e, experiment, kind)
    }

    fn new(e: &ExperimentError, experiment: Option<&String>, kind: CauseKind) -> Cause {
        Cause {
            experiment: experiment.cloned(),
            genotype: e.genotype.clone(),
            time_unit: e.time_unit.to_string(),
            kind,
        }
    }
}

impl std::fmt::Display for Cause {
    /// The first line of the error's message, each number written `…`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let who = match &self.genotype {
            Some(g) => format!("genotype `{g}`"),
            None => "wild type".to_string(),
        };
        let unit = &self.time_unit;
        let experiment = self.experiment.as_deref().unwrap_or_default();
        let (steady, method, failure) = match &self.kind {
            CauseKind::Derived { param } => {
                return write!(
                    f,
                    "the derived parameter `{param}` is not a finite number for the values drawn"
                );
            }
            CauseKind::NotSteady { species } => {
                return write!(
                    f,
                    "experiment `{experiment}`: the {who} has no steady state to start from: \
                     after … {unit}, `{species}` still changes by … per {unit}"
                );
            }
            CauseKind::Cycling { species } => {
                return write!(
                    f,
                    "experiment `{experiment}`: the {who} has no steady state to start from: \
                     `{species}` went up and down … times while it was sought, as on a limit cycle"
                );
            }
            CauseKind::Solve {
                steady,
                method,
                failure,
            } => (*steady, method, failure),
        };
        if steady {
            write!(f, "while looking for the steady state of the {who}: ")?;
        } else {
            write!(f, "experiment `{experiment}`: ")?;
        }
        let t = match unit.as_str() {
            "" => "…".to_string(),
            unit => format!("… {unit}"),
        };
        let m = method;
        match failure {
            SolveCause::NonFinite { species } => {
                write!(
                    f,
                    "`{species}` became non-finite at t = {t} with the {m} solver"
                )
            }
            SolveCause::Negative { species } => {
                write!(
                    f,
                    "`{species}` went negative (…) at t = {t} with the {m} solver"
                )
            }
            SolveCause::StepSizeTooSmall { species } => write!(
                f,
                "step size became too small at t = {t} with the {m} solver, while `{species}` \
                 was changing fastest"
            ),
            SolveCause::TooManySteps => {
                write!(f, "gave up after … steps at t = {t} with the {m} solver")
            }
            SolveCause::Oscillating { species } => write!(
                f,
                "gave up after … steps at t = {t} with the {m} solver: the state oscillates \
                 (`{species}` went up and down … times), and a limit cycle does not end"
            ),
            SolveCause::BadSettings { message } => write!(f, "invalid solver settings: {message}"),
            SolveCause::Solver { message } => {
                write!(f, "the {m} solver failed at t = {t}: {message}")
            }
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Free text with every number written as `…`. Digits inside a word (`dopri5`) or between
/// backquotes (`am580_slice`) are part of a name and stay.
fn without_numbers(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quoted = false;
    let mut previous = ' ';
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let in_word = previous.is_alphanumeric() || previous == '_';
        let starts_number = !in_word
            && (c.is_ascii_digit()
                || (c == '-' && chars.peek().is_some_and(|d| d.is_ascii_digit())));
        previous = c;
        if c == '`' {
            quoted = !quoted;
            out.push(c);
        } else if !quoted && starts_number {
            // A number: digits, a point and an exponent with its sign.
            let mut last = c;
            while let Some(&d) = chars.peek() {
                let part = d.is_ascii_digit()
                    || d == '.'
                    || d == 'e'
                    || ((d == '-' || d == '+') && last == 'e');
                if !part {
                    break;
                }
                last = d;
                chars.next();
            }
            out.push('…');
        } else {
            out.push(c);
        }
    }
    out
}

/// Ranks from 1, ties given their mean rank.
fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut out = vec![0.0; xs.len()];
    let mut k = 0;
    while k < order.len() {
        let mut j = k;
        while j + 1 < order.len() && xs[order[j + 1]] == xs[order[k]] {
            j += 1;
        }
        let rank = (k + j) as f64 / 2.0 + 1.0;
        for &i in &order[k..=j] {
            out[i] = rank;
        }
        k = j + 1;
    }
    out
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

#[cfg(test)]
mod tests {
    use super::{Cause, Partial, Sample, pearson, ranks, summarize, without_numbers};
    use crate::experiment::{ExperimentError, ExperimentErrorKind, SteadyStateError};
    use crate::solve::{Method, SolveError, SolveErrorKind};

    fn negative(name: &str, time: f64, value: f64) -> SolveError {
        SolveError {
            time,
            kind: SolveErrorKind::Negative {
                component: 0,
                name: name.into(),
                value,
            },
            method: Method::Bdf,
        }
    }

    fn failure(
        experiment: &str,
        genotype: Option<&str>,
        kind: ExperimentErrorKind,
    ) -> ExperimentError {
        ExperimentError {
            experiment: experiment.into(),
            genotype: genotype.map(Into::into),
            kind: Box::new(kind),
            time_unit: "min",
        }
    }

    fn steady(experiment: &str, e: SolveError) -> ExperimentError {
        failure(
            experiment,
            None,
            ExperimentErrorKind::SteadyState(SteadyStateError::Solve(e)),
        )
    }

    fn run(experiment: &str, e: SolveError) -> ExperimentError {
        failure(experiment, None, ExperimentErrorKind::Solve(e))
    }

    /// The first line of a message with its numbers written `…`: how causes were once
    /// found from the text, kept here to show that the typed cause reads the same.
    fn scrubbed(e: &ExperimentError) -> String {
        let text = e.to_string();
        let mut line = text.lines().next().unwrap_or("");
        if let Some((head, _)) = line.split_once(": while looking for the steady state")
            && head.starts_with("experiment `")
        {
            line = &line[head.len() + 2..];
        }
        without_numbers(line)
    }

    /// Failed samples are counted per cause, the most common first, and the text lists
    /// them under their hypothesis.
    #[test]
    fn failures_are_grouped_by_cause() {
        let failed = [
            Some(steady("a", negative("X", 10.5, -1e-8))),
            None,
            Some(run(
                "b",
                SolveError {
                    time: 3.0,
                    kind: SolveErrorKind::NonFinite {
                        component: 1,
                        name: "Y".into(),
                    },
                    method: Method::Bdf,
                },
            )),
            Some(steady("a", negative("X", 7.0, -3e-6))),
        ];
        let samples = failed
            .iter()
            .enumerate()
            .map(|(index, f)| Sample {
                index,
                params: Default::default(),
                values: vec![vec![None]],
                passes: vec![vec![Some(f.is_none())]],
                failed: vec![f.as_ref().map(ToString::to_string)],
                causes: vec![f.as_ref().map(Cause::of)],
                retried: vec![f.is_some()],
            })
            .collect();
        let partial = Partial {
            schema_version: super::SCHEMA_VERSION,
            hypotheses: vec!["h".into()],
            parameters: vec![vec![]],
            expectations: vec!["e".into()],
            samples_total: 4,
            seed: 1,
            shard: (1, 1),
            retry: true,
            samples,
        };
        let summary = summarize(std::slice::from_ref(&partial)).expect("whole");
        assert_eq!(summary.failed, [3]);
        let causes: Vec<(&str, usize)> = summary.failures[0]
            .iter()
            .map(|(c, n)| (c.as_str(), *n))
            .collect();
        assert_eq!(
            causes,
            [
                (
                    "while looking for the steady state of the wild type: `X` went negative (…) at t = … min with the bdf solver",
                    2
                ),
                (
                    "experiment `b`: `Y` became non-finite at t = … min with the bdf solver",
                    1
                ),
            ]
        );
        let text = crate::output::compare::ensemble_text(&summary);
        assert!(text.contains("why samples failed"), "{text}");
        assert!(
            text.contains("    2 × while looking for the steady state"),
            "{text}"
        );
        // A record that failed with no cause (written before causes were kept) is refused
        // by name, not counted under some other cause.
        let mut old = partial;
        old.samples[0].causes.clear();
        old.samples[1].causes.clear();
        old.samples[2].causes.clear();
        old.samples[3].causes.clear();
        let e = summarize(&[old]).expect_err("no causes");
        assert!(
            e.contains("sample 0 under `h`: a failure needs its cause"),
            "{e}"
        );
    }

    /// Two errors that differ only in their numbers (time, value) fall in one cause.
    #[test]
    fn errors_that_differ_only_in_numbers_share_a_cause() {
        let a = run("am580_slice", negative("GluA1A2_surf", 1492.016144, -1e-8));
        let b = run("am580_slice", negative("GluA1A2_surf", 12.0, -2.5e-7));
        assert_eq!(Cause::of(&a), Cause::of(&b));
        assert_eq!(
            Cause::of(&a).to_string(),
            "experiment `am580_slice`: `GluA1A2_surf` went negative (…) at t = … min with the bdf solver"
        );
        let other = run("a484954_bath", negative("GluA1A2_surf", 12.0, -2.5e-7));
        assert_ne!(Cause::of(&a), Cause::of(&other));
    }

    /// A steady state the solver could not find is one cause whichever experiment asked
    /// for it first; a run that fails the same way on the same species is another.
    #[test]
    fn a_steady_state_failure_and_a_run_failure_of_one_species_are_two_causes() {
        let search = steady("ketamine_slice", negative("CaMKII", 846.5, -1e-7));
        let asked_by_another = steady("ttx_apv", negative("CaMKII", 3.0, -1e-6));
        let in_the_run = run("ketamine_slice", negative("CaMKII", 846.5, -1e-7));
        assert_eq!(Cause::of(&search), Cause::of(&asked_by_another));
        assert_ne!(Cause::of(&search), Cause::of(&in_the_run));
        assert!(
            Cause::of(&search)
                .to_string()
                .starts_with("while looking for the steady state of the wild type")
        );
        let mut genotype = search.clone();
        genotype.genotype = Some("RARα_KO".into());
        assert_ne!(Cause::of(&search), Cause::of(&genotype));
    }

    /// Every kind of error reads as its cause exactly as its message's first line with
    /// the numbers left out, in a steady state search and in a run, for every method.
    #[test]
    fn a_cause_reads_as_the_first_line_of_its_message() {
        let name = || "GluA1_surf".to_string();
        let kinds = [
            SolveErrorKind::NonFinite {
                component: 0,
                name: name(),
            },
            SolveErrorKind::Negative {
                component: 0,
                name: name(),
                value: -2.5e-7,
            },
            SolveErrorKind::StepSizeTooSmall {
                component: 0,
                name: name(),
            },
            SolveErrorKind::TooManySteps { limit: 100000 },
            SolveErrorKind::Oscillating {
                limit: 100000,
                component: 0,
                name: name(),
                cycles: 57,
                end: 1e6,
                needed: 3.4e9,
            },
            SolveErrorKind::BadSettings(
                "`rtol` must be a finite number between 0 and 1, got 2".into(),
            ),
            SolveErrorKind::Solver("step size is too small at time = 1.25e3\nmore".into()),
        ];
        for method in [Method::Bdf, Method::Dopri5, Method::Dop853] {
            for kind in &kinds {
                let e = SolveError {
                    time: 110.8,
                    kind: kind.clone(),
                    method,
                };
                for error in [steady("x_1", e.clone()), run("x_1", e.clone())] {
                    assert_eq!(Cause::of(&error).to_string(), scrubbed(&error), "{error}");
                }
            }
        }
        let not_reached = failure(
            "x_1",
            Some("g2"),
            ExperimentErrorKind::SteadyState(SteadyStateError::NotReached {
                time: 1e6,
                species: "BDNF".into(),
                rate: -1.5e-3,
            }),
        );
        assert_eq!(Cause::of(&not_reached).to_string(), scrubbed(&not_reached));
        assert_eq!(
            without_numbers("`CaMKII` became non-finite at t = 846.5 min with the dopri5 solver"),
            "`CaMKII` became non-finite at t = … min with the dopri5 solver"
        );
    }

    #[test]
    fn spearman_parts() {
        assert_eq!(ranks(&[3.0, 1.0, 2.0, 2.0]), [4.0, 1.0, 2.5, 2.5]);
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-12);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
    }
}
