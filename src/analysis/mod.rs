//! Stage 7, analysis: predictions in, verdicts out. Evaluates a model's `expect`
//! lines and measures occlusion between experiments. Runs experiments through the
//! experiment stage; never reads syntax.

use std::collections::HashMap;

pub mod calibration;
pub mod compare;
pub mod ensemble;
pub mod fit;
pub mod shard;

use crate::Checked;
use crate::experiment::{self, ExperimentError, Prediction};
use crate::model::protocol::{Claim, Expectation, Experiment, Measure, Quantifier, Stat, Target};
use crate::model::{ExpectationId, ExperimentId, Model, ReadoutId, Var};
use crate::solve::Settings;

/// The experiments of one model, each run at most once, on its grid plus every time
/// an expectation asks about.
pub struct Runs<'a> {
    checked: &'a Checked,
    settings: &'a Settings,
    extra: Vec<Vec<f64>>,
    /// With [`Runs::reading_only_what_is_judged`]: what the expectations read of each
    /// experiment, so that only those output times are interpolated and evaluated.
    reads: Option<Vec<experiment::Reads>>,
    done: HashMap<usize, Result<Prediction, ExperimentError>>,
    /// Each genotype's starting state, shared by its experiments and the occlusion runs.
    starts: experiment::Starts,
    tick: Option<Tick<'a>>,
}

/// Called once for every experiment run, so a caller can show progress.
pub type Tick<'a> = &'a (dyn Fn() + Sync);

impl<'a> Runs<'a> {
    pub fn new(checked: &'a Checked, settings: &'a Settings) -> Runs<'a> {
        let model = &checked.model;
        let mut extra = vec![Vec::new(); model.experiments.len()];
        let mut add = |e: ExperimentId, times: [f64; 2]| extra[e.index()].extend(times);
        for x in &model.expectations {
            match x.claim {
                Claim::Measure(m) => add(m.experiment, m.stat.times()),
                // The window's ends are read whether or not they lie on the grid.
                Claim::Series {
                    experiment,
                    from,
                    to,
                    ..
                } => add(experiment, [from, to]),
                Claim::Occlusion { .. } => {}
            }
            if let Target::Measure(m) = &x.target {
                add(m.experiment, m.stat.times());
            }
        }
        Runs {
            checked,
            settings,
            extra,
            reads: None,
            done: HashMap::new(),
            starts: experiment::Starts::default(),
            tick: None,
        }
    }

    /// The same runs, keeping of each experiment only the output times the expectations
    /// read (the times asked about and every grid time of a window asked about), for
    /// callers that only judge: ensembles and fits. The verdicts are the same to the
    /// bit: the solver samples and checks every output time as before, and only the
    /// readouts are evaluated at the kept times alone; predictions then hold only those
    /// times, so this is not for plots or comparisons of whole time courses.
    pub fn reading_only_what_is_judged(mut self) -> Runs<'a> {
        let model = &self.checked.model;
        let mut reads = vec![experiment::Reads::default(); model.experiments.len()];
        let read = |m: &Measure, reads: &mut Vec<experiment::Reads>| {
            let r = &mut reads[m.experiment.index()];
            match m.stat {
                Stat::At(t) => r.times.push(t),
                Stat::Change(a, b) => r.times.extend([a, b]),
                Stat::Max(a, b) | Stat::Min(a, b) | Stat::Mean(a, b) => r.windows.push((a, b)),
            }
        };
        for x in &model.expectations {
            match x.claim {
                Claim::Measure(m) => read(&m, &mut reads),
                Claim::Series {
                    experiment,
                    from,
                    to,
                    ..
                } => reads[experiment.index()].windows.push((from, to)),
                Claim::Occlusion { .. } => {}
            }
            if let Target::Measure(m) = &x.target {
                read(m, &mut reads);
            }
        }
        self.reads = Some(reads);
        self
    }

    /// The same runs, calling `tick` after each experiment is run.
    pub fn with_progress(mut self, tick: Option<Tick<'a>>) -> Runs<'a> {
        self.tick = tick;
        self
    }

    /// The prediction of experiment `k` if it has been run.
    pub fn done(&self, k: usize) -> Option<&Prediction> {
        self.done.get(&k).and_then(|r| r.as_ref().ok())
    }

    /// The model and system the experiments run on.
    pub fn checked(&self) -> &'a Checked {
        self.checked
    }

    /// The prediction of experiment `k`, run now if it has not been.
    pub fn get(&mut self, id: ExperimentId) -> Result<&Prediction, ExperimentError> {
        let k = id.index();
        let (model, system) = (&self.checked.model, &self.checked.system);
        let settings = self.settings;
        let extra = &self.extra[k];
        let reads = self.reads.as_ref().map(|r| &r[k]);
        let tick = self.tick;
        let starts = &mut self.starts;
        self.done
            .entry(k)
            .or_insert_with(|| {
                let e = &model.experiments[k];
                let times = experiment::grid(e.until, e.every, extra);
                let p = experiment::predict_on(model, system, e, &times, reads, settings, starts);
                if let Some(tick) = tick {
                    tick();
                }
                p
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// The value of a statistic of readout `r` in a prediction.
pub fn stat(p: &Prediction, r: ReadoutId, stat: Stat) -> f64 {
    let r = r.index();
    match stat {
        Stat::At(t) => p.readout_at(r, t),
        Stat::Change(a, b) => p.readout_at(r, b) - p.readout_at(r, a),
        Stat::Max(a, b) => fold(p.window(r, a, b), f64::max),
        Stat::Min(a, b) => fold(p.window(r, a, b), f64::min),
        Stat::Mean(a, b) => {
            let w = p.window(r, a, b);
            match w.as_slice() {
                [] => f64::NAN,
                [(_, v)] => *v,
                _ => {
                    let area: f64 = w
                        .windows(2)
                        .map(|pair| (pair[1].0 - pair[0].0) * (pair[0].1 + pair[1].1) / 2.0)
                        .sum();
                    area / (w[w.len() - 1].0 - w[0].0)
                }
            }
        }
    }
}

fn fold(values: Vec<(f64, f64)>, f: fn(f64, f64) -> f64) -> f64 {
    values
        .into_iter()
        .map(|(_, v)| v)
        .reduce(f)
        .unwrap_or(f64::NAN)
}

/// What one expectation came to.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The expectation judged.
    pub expectation: ExpectationId,
    /// The predicted value of the left side.
    pub value: f64,
    /// What it was compared with: the written value or the right side's prediction.
    pub target: f64,
    /// The claim as written: a strict comparison of equal numbers fails.
    pub pass: bool,
    /// How far the claim is from holding, with its margin (`Expectation::violation`):
    /// at most 0 when it holds, above 0 by how much it misses, in units of the compared
    /// values' scale; NaN where there is no number (an error, or not judged).
    pub violation: f64,
    /// The expectation's weight in a fit (1 unless written).
    pub weight: f64,
    /// Why there is no value: an experiment that failed to run. Rendered by the front
    /// end, which knows where the settings its advice names live.
    pub error: Option<ExperimentError>,
    /// Why the runs went through but give no number to judge (a percent of a baseline of
    /// 0, an occlusion by an experiment with no effect): neither a pass nor a fail.
    pub unjudged: Option<String>,
}

/// Evaluates every expectation of the model, in the order written.
pub fn expectations(checked: &Checked, settings: &Settings) -> Vec<Verdict> {
    judge(&mut Runs::new(checked, settings))
}

/// Evaluates every expectation with the experiments of `runs`, running each that is
/// not run yet.
pub fn judge(runs: &mut Runs) -> Vec<Verdict> {
    let checked = runs.checked;
    let model = &checked.model;
    let mut occlusions: HashMap<
        (ExperimentId, ExperimentId, ReadoutId, u64),
        Result<Occlusion, ExperimentError>,
    > = HashMap::new();
    model
        .expectations
        .iter()
        .enumerate()
        .map(|(index, x)| {
            let target = match x.target {
                Target::Value(v) => Ok(v),
                Target::Measure(m) => measure(runs, m).map(|v| x.target_of(v)),
            };
            let value = match x.claim {
                Claim::Measure(m) => measure(runs, m).map(Judged::One),
                Claim::Occlusion { a, b, readout, at } => occlusions
                    .entry((a, b, readout, at.to_bits()))
                    .or_insert_with(|| occlusion(runs, a, b, readout, at))
                    .clone()
                    .map(|o| Judged::One(o.value)),
                Claim::Series {
                    experiment,
                    readout,
                    from,
                    to,
                    ..
                } => runs
                    .get(experiment)
                    .map(|p| Judged::Series(p.window(readout.index(), from, to))),
            };
            let id = ExpectationId(index as u32);
            match (value, target) {
                (Ok(judged), Ok(target)) => {
                    let (value, pass) = match judged {
                        Judged::One(v) => (v, x.holds(v, target)),
                        Judged::Series(points) => decide(x, &points, target),
                    };
                    let unjudged = if !value.is_finite() {
                        Some(no_number(model, &x.claim, value, &occlusions))
                    } else if let (false, Target::Measure(m)) = (target.is_finite(), x.target) {
                        Some(no_number(model, &Claim::Measure(m), target, &occlusions))
                    } else {
                        None
                    };
                    Verdict {
                        expectation: id,
                        value,
                        target,
                        pass: unjudged.is_none() && pass,
                        violation: match unjudged {
                            None => x.violation(value, target),
                            Some(_) => f64::NAN,
                        },
                        weight: x.weight,
                        error: None,
                        unjudged,
                    }
                }
                (Err(e), _) | (_, Err(e)) => Verdict {
                    expectation: id,
                    value: f64::NAN,
                    target: f64::NAN,
                    pass: false,
                    violation: f64::NAN,
                    weight: x.weight,
                    error: Some(e),
                    unjudged: None,
                },
            }
        })
        .collect()
}

/// What a claim's runs give: one number, or a readout at each time of a window.
enum Judged {
    One(f64),
    Series(Vec<(f64, f64)>),
}

/// The value that decides a claim over a window, and whether the claim holds as
/// written: for `always`, the point farthest from holding (the largest violation)
/// and whether every point holds; for `once`, the point nearest (the smallest) and
/// whether any holds. The verdict's violation is that point's. A point that is not a
/// number is the value, so the claim is not judged.
fn decide(x: &Expectation, points: &[(f64, f64)], target: f64) -> (f64, bool) {
    let Claim::Series { quantifier, .. } = x.claim else {
        return (f64::NAN, false);
    };
    if let Some(&(_, bad)) = points.iter().find(|(_, v)| !v.is_finite()) {
        return (bad, false);
    }
    let violation = |v: f64| x.violation(v, target);
    let values = points.iter().map(|&(_, v)| v);
    let chosen = match quantifier {
        Quantifier::Always => values.max_by(|a, b| violation(*a).total_cmp(&violation(*b))),
        Quantifier::Once => values.min_by(|a, b| violation(*a).total_cmp(&violation(*b))),
    };
    let Some(value) = chosen else {
        return (f64::NAN, false);
    };
    let pass = match quantifier {
        Quantifier::Always => points.iter().all(|&(_, v)| x.holds(v, target)),
        Quantifier::Once => points.iter().any(|&(_, v)| x.holds(v, target)),
    };
    (value, pass)
}

/// Why a claim that ran gives `value`, which is not a number to judge.
fn no_number(
    model: &Model,
    claim: &Claim,
    value: f64,
    occlusions: &HashMap<
        (ExperimentId, ExperimentId, ReadoutId, u64),
        Result<Occlusion, ExperimentError>,
    >,
) -> String {
    let name = |k: ExperimentId| model.experiments[k].name.as_str();
    match *claim {
        Claim::Measure(Measure {
            experiment,
            readout,
            ..
        })
        | Claim::Series {
            experiment,
            readout,
            ..
        } => {
            let r = &model.readouts[readout].name;
            let relative = readout_reads_baseline(model, readout);
            if relative {
                format!(
                    "no number: `{r}` is relative to a baseline, and in `{}` its baseline is 0",
                    name(experiment)
                )
            } else {
                format!("no number: `{r}` is {value} in `{}`", name(experiment))
            }
        }
        Claim::Occlusion { a, b, readout, at } => {
            let r = &model.readouts[readout].name;
            match occlusions.get(&(a, b, readout, at.to_bits())) {
                Some(Ok(o)) if o.e_b == 0.0 || !o.e_b.is_finite() => format!(
                    "no number: `{}` alone has no effect on `{r}` to compare with",
                    name(b)
                ),
                _ => format!(
                    "no number: the effects of `{}` and `{}` on `{r}` are not finite",
                    name(a),
                    name(b)
                ),
            }
        }
    }
}

/// Whether readout `r` reads `baseline(...)`, itself or through the readouts it reads.
fn readout_reads_baseline(model: &Model, r: ReadoutId) -> bool {
    readout_vars(model, r)
        .iter()
        .any(|v| matches!(v, Var::Baseline(_)))
}

fn measure(runs: &mut Runs, m: Measure) -> Result<f64, ExperimentError> {
    let p = runs.get(m.experiment)?;
    Ok(stat(p, m.readout, m.stat))
}

/// The occlusion of experiment `a` by experiment `b` on one readout.
#[derive(Clone, Debug)]
pub struct Occlusion {
    pub a: ExperimentId,
    pub b: ExperimentId,
    /// 1 − (E_AB − E_A) / E_B: 0 when the effects add, 1 when B adds nothing after A.
    pub value: f64,
    /// Effects (readout minus its baseline) of A alone and of A then B at s + T, and of
    /// B alone at T.
    pub e_a: f64,
    pub e_b: f64,
    pub e_ab: f64,
    /// Where B's schedule starts in the combined run: A's last event.
    pub shift: f64,
    /// Where every route of both drugs' influences passes on the way to the readout
    /// (common dominators), nearest the drugs first.
    pub convergence: Vec<String>,
    /// Where the two drugs' downstream sets first meet on the way to the readout,
    /// whether or not other routes bypass it.
    pub meeting: Vec<String>,
}

/// Runs A alone, B alone, and A then B (B's schedule shifted to start at A's last
/// event, s); with effects E = R − R(0), occlusion = 1 − (E_AB(s+T) − E_A(s+T)) / E_B(T).
/// A's effect is taken at the same time as the combined one, so a fading A is not
/// mistaken for occlusion. The combined run uses A's genotype and start.
pub fn occlusion(
    runs: &mut Runs,
    a: ExperimentId,
    b: ExperimentId,
    readout: ReadoutId,
    at: f64,
) -> Result<Occlusion, ExperimentError> {
    let (checked, settings) = (runs.checked, runs.settings);
    let thin = runs.reads.is_some();
    let starts = &mut runs.starts;
    let model = &checked.model;
    let (ea, eb) = (&model.experiments[a], &model.experiments[b]);
    let shift = ea.last_event();
    let late = shift + at;
    let mut run = |e: &Experiment, until: f64, extra: f64| -> Result<f64, ExperimentError> {
        let mut e = e.clone();
        e.until = e.until.max(until);
        // A run is lengthened only to read the readout at `extra`. Its own output interval
        // that far could ask for more times than any run may hold (a run of 10 min every
        // 0.001 min read 1e7 min later), so past that bound the run keeps only its ends and
        // the two times read.
        if e.until / e.every > experiment::MAX_POINTS as f64 {
            e.every = e.until;
        }
        let system = &checked.system;
        let times = experiment::grid(e.until, e.every, &[0.0, extra]);
        let reads = experiment::Reads {
            times: vec![0.0, extra],
            windows: Vec::new(),
        };
        let keep = thin.then_some(&reads);
        let p = experiment::predict_on(model, system, &e, &times, keep, settings, starts)?;
        Ok(p.readout_at(readout.index(), extra) - p.readout_at(readout.index(), 0.0))
    };
    let e_a = run(ea, late, late)?;
    let e_b = run(eb, at, at)?;
    let mut both = ea.clone();
    both.name = format!("{} then {}", ea.name, eb.name);
    both.events.extend(eb.events.iter().map(|ev| {
        let mut ev = *ev;
        ev.time += shift;
        ev
    }));
    both.events.sort_by(|x, y| x.time.total_cmp(&y.time));
    both.until = late;
    let e_ab = run(&both, late, late)?;
    let value = 1.0 - (e_ab - e_a) / e_b;
    let (da, db, targets) = (drugs(ea), drugs(eb), readout_reads(model, readout));
    let names = |vars: Vec<Var>| -> Vec<String> {
        vars.into_iter()
            .map(|v| model.var_name(v).to_string())
            .collect()
    };
    let convergence = names(checked.network.convergence(&da, &db, &targets));
    let meeting = names(checked.network.meeting_points(&da, &db, &targets));
    Ok(Occlusion {
        a,
        b,
        value,
        e_a,
        e_b,
        e_ab,
        shift,
        convergence,
        meeting,
    })
}

/// The inputs an experiment sets to something other than zero, or doses.
fn drugs(e: &Experiment) -> Vec<Var> {
    let mut out: Vec<Var> = e
        .events
        .iter()
        .filter(|ev| ev.value != 0.0)
        .map(|ev| Var::Input(ev.input))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The species, lets and inputs a readout reads, through the readouts it reads.
fn readout_reads(model: &Model, r: ReadoutId) -> Vec<Var> {
    let mut out: Vec<Var> = readout_vars(model, r)
        .into_iter()
        .filter(|v| matches!(v, Var::Species(_) | Var::Let(_) | Var::Input(_)))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Every name readout `r` reads, itself or through the readouts it reads (each readout
/// walked once), the readouts themselves left out.
fn readout_vars(model: &Model, r: ReadoutId) -> Vec<Var> {
    let mut out = Vec::new();
    let mut stack = vec![r.index()];
    let mut seen = vec![false; model.readouts.len()];
    while let Some(k) = stack.pop() {
        if std::mem::replace(&mut seen[k], true) {
            continue;
        }
        for v in model.readouts[k].expr.vars() {
            match v {
                Var::Readout(j) => stack.push(j as usize),
                other => out.push(other),
            }
        }
    }
    out
}

/// The pairwise occlusion matrix of single-drug experiments: entry (i, j) is the
/// occlusion of `experiments[i]` by `experiments[j]` (i = j left out).
pub fn occlusion_matrix(
    runs: &mut Runs,
    experiments: &[ExperimentId],
    readout: ReadoutId,
    at: f64,
) -> Result<Vec<Vec<Option<Occlusion>>>, ExperimentError> {
    let mut rows = Vec::with_capacity(experiments.len());
    for &a in experiments {
        let mut row = Vec::with_capacity(experiments.len());
        for &b in experiments {
            row.push(if a == b {
                None
            } else {
                Some(occlusion(runs, a, b, readout, at)?)
            });
        }
        rows.push(row);
    }
    Ok(rows)
}
