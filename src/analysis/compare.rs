//! Comparing mechanism hypotheses: every experiment under every hypothesis, a
//! scorecard of the expectations, the structural diff of each hypothesis against
//! the base, and the experiments whose predictions differ most.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Runs, Tick, Verdict, judge, occlusion_matrix};
use crate::Checked;
use crate::experiment::Prediction;
use crate::model::{ExperimentId, Model};
use crate::network::Sign;
use crate::solve::{Settings, Where};

/// Where the settings of a comparison live: it is made from `pathrules.toml`, so the
/// advice of its messages names the keys of the manifest's `[solver]` table.
const MANIFEST: Where = Where::Manifest;

/// One hypothesis: its name and its checked model (judge files included).
pub struct Hypothesis {
    pub name: String,
    pub checked: Checked,
}

#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub hypotheses: Vec<String>,
    /// The hypothesis the others are diffed against (the first).
    pub base: String,
    pub scorecard: Vec<Row>,
    /// Expectations passed, per hypothesis.
    pub passed: Vec<usize>,
    /// Expectations judged, per hypothesis.
    pub judged: Vec<usize>,
    /// Each hypothesis but the base against the base.
    pub diffs: Vec<Diff>,
    /// (experiment, readout, time) triples, most discriminating first.
    pub discriminating: Vec<Discriminator>,
    pub occlusion: Option<OcclusionTable>,
    /// Per hypothesis, every verdict, in its model's order (for reports).
    #[serde(skip)]
    pub verdicts: Vec<Vec<Verdict>>,
    /// Per hypothesis, every experiment's prediction that could be run, by name.
    #[serde(skip)]
    pub predictions: Vec<BTreeMap<String, Prediction>>,
    /// Per hypothesis, why each experiment that could not be run failed, by name.
    #[serde(skip)]
    pub run_errors: Vec<BTreeMap<String, String>>,
}

/// One expectation under every hypothesis.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub expectation: String,
    pub source: Option<String>,
    /// Per hypothesis; `None` where the hypothesis has no such expectation.
    pub results: Vec<Option<Cell>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Cell {
    /// The predicted value (null in JSON where there is none).
    pub value: f64,
    pub pass: bool,
    pub error: Option<String>,
    /// Why the runs give no number to judge; such a cell neither passes nor fails.
    pub unjudged: Option<String>,
}

/// What a hypothesis adds, removes and changes relative to the base.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Diff {
    pub hypothesis: String,
    pub species: Changes,
    pub reactions: Changes,
    pub parameters: Changes,
    pub lets: Changes,
    pub influences: Changes,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Changes {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<Change>,
}

/// One declaration as the base has it and as the hypothesis has it.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    pub base: String,
    pub hypothesis: String,
}

impl Comparison {
    /// The first hypothesis's prediction of every experiment of `base` (its model), in
    /// the model's order, as the comparison ran them; else, for the first experiment
    /// that could not be run, why.
    pub fn base_predictions(&self, base: &Model) -> Result<Vec<Prediction>, String> {
        base.experiments
            .iter()
            .map(|e| {
                self.predictions
                    .first()
                    .and_then(|p| p.get(&e.name))
                    .cloned()
                    .ok_or_else(|| {
                        self.run_errors
                            .first()
                            .and_then(|errors| errors.get(&e.name))
                            .map_or("its run was not kept", String::as_str)
                            .to_string()
                    })
            })
            .collect()
    }
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.species.is_empty()
            && self.reactions.is_empty()
            && self.parameters.is_empty()
            && self.lets.is_empty()
            && self.influences.is_empty()
    }
}

/// Where the hypotheses' predictions are furthest apart.
#[derive(Clone, Debug, Serialize)]
pub struct Discriminator {
    pub experiment: String,
    /// Other experiments whose predictions here are the same under every hypothesis
    /// (variants such as a larger synapse), listed once rather than ranked again.
    pub same_as: Vec<String>,
    pub readout: String,
    pub time: f64,
    /// The readout's value under each hypothesis (null where it has none).
    pub values: Vec<f64>,
    /// max − min of `values`.
    pub spread: f64,
    /// The readout's own range over every experiment, time and hypothesis.
    pub range: f64,
    /// spread / range: how far apart, in units of what the readout ever does.
    pub score: f64,
}

/// The occlusion matrix under each hypothesis.
#[derive(Clone, Debug, Serialize)]
pub struct OcclusionTable {
    pub readout: String,
    pub at: f64,
    pub experiments: Vec<String>,
    /// `values[h][i][j]`: occlusion of experiment i by j under hypothesis h.
    pub values: Vec<Vec<Vec<Option<f64>>>>,
    /// Why a hypothesis has no matrix (a missing experiment or readout, a failed run).
    pub errors: Vec<Option<String>>,
}

/// How many discriminating triples a comparison keeps.
pub const KEEP: usize = 20;

/// Compares `hypotheses` (the first is the base). `occlusion` is (readout, time in
/// base units, experiment names). An experiment that cannot be run is a verdict with its
/// reason; a hypothesis whose evaluation stops (a defect, not a property of the model) is
/// an error naming it, never a comparison with its expectations silently missing.
pub fn compare(
    hypotheses: &[Hypothesis],
    occlusion: Option<(&str, f64, &[String])>,
    settings: &Settings,
    tick: Option<Tick>,
) -> Result<Comparison, String> {
    let names: Vec<String> = hypotheses.iter().map(|h| h.name.clone()).collect();
    // Each hypothesis on a thread of its own: its experiments run once, for the
    // verdicts and for the ranking alike.
    let results: Vec<Evaluated> = std::thread::scope(|scope| {
        let handles: Vec<_> = hypotheses
            .iter()
            .map(|h| scope.spawn(move || evaluate(h, occlusion, settings, tick)))
            .collect();
        handles
            .into_iter()
            .zip(hypotheses)
            .map(|(handle, h)| {
                handle.join().map_err(|panic| {
                    format!(
                        "evaluating hypothesis `{}` stopped: {}",
                        h.name,
                        panic_message(panic.as_ref())
                    )
                })
            })
            .collect::<Result<_, _>>()
    })?;
    let verdicts: Vec<Vec<Verdict>> = results.iter().map(|r| r.verdicts.clone()).collect();
    let (scorecard, passed, judged) = scorecard(hypotheses, &verdicts);
    let diffs = match hypotheses.split_first() {
        Some((base, rest)) => rest.iter().map(|h| diff(base, h)).collect(),
        None => Vec::new(),
    };
    let discriminating = discriminate(hypotheses, &results);
    let occlusion = occlusion.map(|(readout, at, experiments)| {
        let mut values = Vec::new();
        let mut errors = Vec::new();
        for r in &results {
            match &r.occlusion {
                Some(Ok(m)) => {
                    values.push(m.clone());
                    errors.push(None);
                }
                Some(Err(e)) => {
                    values.push(Vec::new());
                    errors.push(Some(e.clone()));
                }
                None => {
                    values.push(Vec::new());
                    errors.push(None);
                }
            }
        }
        OcclusionTable {
            readout: readout.to_string(),
            at,
            experiments: experiments.to_vec(),
            values,
            errors,
        }
    });
    Ok(Comparison {
        base: names.first().cloned().unwrap_or_default(),
        hypotheses: names,
        scorecard,
        passed,
        judged,
        diffs,
        discriminating,
        occlusion,
        verdicts,
        run_errors: results.iter().map(|r| r.run_errors.clone()).collect(),
        predictions: results.into_iter().map(|r| r.predictions).collect(),
    })
}

/// What a panic said, for an error that names where it happened.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "an internal error".to_string())
}

/// What one hypothesis predicts: its verdicts, every experiment's prediction (by
/// name) and its occlusion matrix.
struct Evaluated {
    verdicts: Vec<Verdict>,
    predictions: BTreeMap<String, Prediction>,
    run_errors: BTreeMap<String, String>,
    occlusion: Option<Result<Vec<Vec<Option<f64>>>, String>>,
}

fn evaluate(
    h: &Hypothesis,
    occlusion: Option<(&str, f64, &[String])>,
    settings: &Settings,
    tick: Option<Tick>,
) -> Evaluated {
    let mut runs = Runs::new(&h.checked, settings).with_progress(tick);
    let verdicts = judge(&mut runs);
    let mut predictions = BTreeMap::new();
    let mut run_errors = BTreeMap::new();
    for (k, e) in h.checked.model.experiments.iter().enumerate() {
        match runs.get(ExperimentId(k as u32)) {
            Ok(p) => {
                predictions.insert(e.name.clone(), p.clone());
            }
            Err(error) => {
                run_errors.insert(e.name.clone(), error.at(MANIFEST).to_string());
            }
        }
    }
    let occlusion = occlusion
        .map(|(readout, at, experiments)| occlusion_for(&mut runs, readout, at, experiments));
    Evaluated {
        verdicts,
        predictions,
        run_errors,
        occlusion,
    }
}

fn occlusion_for(
    runs: &mut Runs,
    readout: &str,
    at: f64,
    experiments: &[String],
) -> Result<Vec<Vec<Option<f64>>>, String> {
    let model = &runs.checked().model;
    let r = model
        .readout_named(readout)
        .ok_or_else(|| format!("no readout `{readout}`"))?;
    let chosen = experiments
        .iter()
        .map(|e| {
            model
                .experiment_named(e)
                .ok_or_else(|| format!("no experiment `{e}`"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let matrix = occlusion_matrix(runs, &chosen, r, at).map_err(|e| e.at(MANIFEST).to_string())?;
    Ok(matrix
        .into_iter()
        .map(|row| row.into_iter().map(|c| c.map(|o| o.value)).collect())
        .collect())
}

/// One row per expectation text, in the base's order and then any the others add.
fn scorecard(
    hypotheses: &[Hypothesis],
    verdicts: &[Vec<Verdict>],
) -> (Vec<Row>, Vec<usize>, Vec<usize>) {
    let mut rows: Vec<Row> = Vec::new();
    for (h, (hyp, vs)) in hypotheses.iter().zip(verdicts).enumerate() {
        for v in vs {
            let x = &hyp.checked.model.expectations[v.expectation];
            let k = match rows.iter().position(|r| r.expectation == x.text) {
                Some(k) => k,
                None => {
                    rows.push(Row {
                        expectation: x.text.clone(),
                        source: x.note.clone(),
                        results: vec![None; hypotheses.len()],
                    });
                    rows.len() - 1
                }
            };
            rows[k].results[h] = Some(Cell {
                value: v.value,
                pass: v.pass,
                error: v.error.as_ref().map(|e| e.at(MANIFEST).to_string()),
                unjudged: v.unjudged.clone(),
            });
        }
    }
    let passed = verdicts
        .iter()
        .map(|vs| vs.iter().filter(|v| v.pass).count())
        .collect();
    let judged = verdicts.iter().map(Vec::len).collect();
    (rows, passed, judged)
}

/// The structural differences of `h` from `base`, by name.
pub fn diff(base: &Hypothesis, h: &Hypothesis) -> Diff {
    let (a, b) = (&base.checked.model, &h.checked.model);
    let species = |m: &Model| -> BTreeMap<String, String> {
        m.species
            .iter()
            .map(|s| (s.name.clone(), format!("{} = {}", s.name, show(s.initial))))
            .collect()
    };
    let params = |m: &Model| -> BTreeMap<String, String> {
        m.params
            .iter()
            .map(|p| (p.name.clone(), format!("{} = {}", p.name, show(p.value))))
            .collect()
    };
    let lets = |m: &Model| -> BTreeMap<String, String> {
        m.lets
            .iter()
            .map(|l| {
                (
                    l.name.clone(),
                    format!("{} = {}", l.name, m.show_expr(&l.expr)),
                )
            })
            .collect()
    };
    let reactions = |m: &Model| -> BTreeMap<String, String> {
        m.reactions
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let side = |terms: &[(crate::model::SpeciesId, u32)]| {
                    terms
                        .iter()
                        .map(|(s, n)| {
                            let name = &m.species[s.index()].name;
                            if *n == 1 {
                                name.clone()
                            } else {
                                format!("{n} {name}")
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" + ")
                };
                let text = format!(
                    "{}: {} {} {} ; {}",
                    r.display_name(k),
                    side(&r.reactants),
                    if r.reversible { "<->" } else { "->" },
                    side(&r.products),
                    m.show_expr(&r.rate())
                );
                (r.display_name(k), text)
            })
            .collect()
    };
    let influences = |c: &Checked| -> BTreeMap<String, String> {
        let g = &c.network.influence;
        g.edge_indices()
            .filter_map(|e| {
                let (x, y) = g.edge_endpoints(e)?;
                let (from, to) = (c.model.var_name(g[x]), c.model.var_name(g[y]));
                let sign = match g[e] {
                    Sign::Activates => "+",
                    Sign::Inhibits => "−",
                    Sign::Unknown => "?",
                };
                let key = format!("{from} → {to}");
                Some((key.clone(), format!("{key} ({sign})")))
            })
            .collect()
    };
    Diff {
        hypothesis: h.name.clone(),
        species: changes(&species(a), &species(b)),
        reactions: changes(&reactions(a), &reactions(b)),
        parameters: changes(&params(a), &params(b)),
        lets: changes(&lets(a), &lets(b)),
        influences: changes(&influences(&base.checked), &influences(&h.checked)),
    }
}

/// Keys only in `b` are added, only in `a` removed; a key whose text differs is
/// changed, shown as `old ⇒ new`.
fn changes(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Changes {
    let mut out = Changes::default();
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for k in keys {
        match (a.get(k), b.get(k)) {
            (None, Some(new)) => out.added.push(new.clone()),
            (Some(old), None) => out.removed.push(old.clone()),
            (Some(old), Some(new)) if old != new => out.changed.push(Change {
                base: old.clone(),
                hypothesis: new.clone(),
            }),
            _ => {}
        }
    }
    out
}

/// A readout's (time, value) pairs in one run.
type Series = Vec<(f64, f64)>;

/// Every (experiment, readout, time) that all hypotheses share, scored by the
/// spread of their predictions over the readout's own range; the best time of each
/// (experiment, readout) pair, most discriminating first.
fn discriminate(hypotheses: &[Hypothesis], results: &[Evaluated]) -> Vec<Discriminator> {
    let Some(base) = hypotheses.first() else {
        return Vec::new();
    };
    let model = &base.checked.model;
    // (experiment, readout) → per hypothesis, the (time, value) series.
    let mut series: Vec<(String, String, Vec<Series>)> = Vec::new();
    for e in &model.experiments {
        let predictions: Vec<Option<&Prediction>> =
            results.iter().map(|r| r.predictions.get(&e.name)).collect();
        if predictions.iter().any(Option::is_none) {
            continue;
        }
        for r in &model.readouts {
            let mut all = Vec::new();
            for (p, hyp) in predictions.iter().zip(hypotheses) {
                let Some(p) = p else { continue };
                let Some(k) = hyp.checked.model.readout_named(&r.name) else {
                    continue;
                };
                let k = k.index();
                all.push(
                    p.times
                        .iter()
                        .zip(&p.readouts)
                        .map(|(t, v)| (*t, v[k]))
                        .collect(),
                );
            }
            if all.len() == hypotheses.len() {
                series.push((e.name.clone(), r.name.clone(), all));
            }
        }
    }
    // Each readout's range over everything.
    let mut ranges: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for (_, readout, all) in &series {
        let entry = ranges
            .entry(readout.as_str())
            .or_insert((f64::INFINITY, f64::NEG_INFINITY));
        for v in all
            .iter()
            .flatten()
            .map(|(_, v)| *v)
            .filter(|v| v.is_finite())
        {
            entry.0 = entry.0.min(v);
            entry.1 = entry.1.max(v);
        }
    }
    let mut out = Vec::new();
    for (experiment, readout, all) in &series {
        let (lo, hi) = ranges[readout.as_str()];
        let range = hi - lo;
        if range.is_nan() || range <= 0.0 {
            continue;
        }
        let mut best: Option<Discriminator> = None;
        for (k, &(t, _)) in all[0].iter().enumerate() {
            let values: Vec<f64> = all
                .iter()
                .map(|s| {
                    s.get(k)
                        .filter(|(u, _)| *u == t)
                        .map_or(f64::NAN, |(_, v)| *v)
                })
                .collect();
            if values.iter().any(|v| !v.is_finite()) {
                continue;
            }
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let spread = max - min;
            let score = spread / range;
            if best.as_ref().is_none_or(|b| score > b.score * (1.0 + 1e-9)) {
                best = Some(Discriminator {
                    experiment: experiment.clone(),
                    same_as: Vec::new(),
                    readout: readout.clone(),
                    time: t,
                    values,
                    spread,
                    range,
                    score,
                });
            }
        }
        out.extend(best.filter(|b| b.score > 0.0));
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.experiment.len().cmp(&b.experiment.len()))
            .then_with(|| a.experiment.cmp(&b.experiment))
            .then_with(|| a.readout.cmp(&b.readout))
    });
    // Experiments that predict the same thing at the same time are one finding.
    let mut merged: Vec<Discriminator> = Vec::new();
    for d in out {
        let same = merged.iter_mut().find(|m| {
            m.readout == d.readout
                && m.time == d.time
                && m.values
                    .iter()
                    .zip(&d.values)
                    .all(|(a, b)| (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1e-12))
        });
        match same {
            Some(m) => m.same_as.push(d.experiment),
            None => merged.push(d),
        }
    }
    // Each finding under the shortest name of its experiments (the plain one before
    // its variants).
    for m in &mut merged {
        if let Some(k) = (0..m.same_as.len())
            .min_by_key(|&k| (m.same_as[k].len(), m.same_as[k].clone()))
            .filter(|&k| m.same_as[k].len() < m.experiment.len())
        {
            std::mem::swap(&mut m.experiment, &mut m.same_as[k]);
        }
        m.same_as.sort();
    }
    merged.truncate(KEEP);
    merged
}

/// Six significant digits, without binary noise.
fn show(x: f64) -> String {
    format!("{x:.5e}")
        .parse::<f64>()
        .map_or_else(|_| x.to_string(), |r| r.to_string())
}
