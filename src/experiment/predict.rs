//! Running a model's experiments: the genotype applied, pre-equilibration, the
//! schedule of steps and doses, and the readouts on the output grid.

use std::collections::HashMap;
use std::fmt;

use super::{Dose, Protocol, SteadyStateError, Step};
use crate::model::expr::{Expr, Var};
use crate::model::protocol::{Action, Event, Experiment, Start};
use crate::model::{GenotypeId, Model};
use crate::ode::System;
use crate::solve::{Settings, SolveError, SolveErrorKind, Stats, Where};

/// What an experiment predicts: the state, the inputs and every readout at each
/// output time.
#[derive(Clone, Debug)]
pub struct Prediction {
    pub experiment: String,
    pub genotype: Option<String>,
    pub times: Vec<f64>,
    pub states: Vec<Vec<f64>>,
    pub inputs: Vec<Vec<f64>>,
    /// For each output time, the value of every readout (in `Model::readouts` order).
    pub readouts: Vec<Vec<f64>>,
    pub stats: Stats,
}

impl Prediction {
    /// The index of output time `t` (within round-off).
    pub fn index_of(&self, t: f64) -> Option<usize> {
        let k = self.times.partition_point(|&x| x < t - tolerance(t));
        (k < self.times.len() && (self.times[k] - t).abs() <= tolerance(t)).then_some(k)
    }

    /// Readout `r` at output time `t`, NaN if `t` is not an output time.
    pub fn readout_at(&self, r: usize, t: f64) -> f64 {
        self.index_of(t)
            .and_then(|k| self.readouts[k].get(r).copied())
            .unwrap_or(f64::NAN)
    }

    /// The output times in [a, b] with readout `r`'s values there.
    pub fn window(&self, r: usize, a: f64, b: f64) -> Vec<(f64, f64)> {
        self.times
            .iter()
            .zip(&self.readouts)
            .filter(|(t, _)| **t >= a - tolerance(a) && **t <= b + tolerance(b))
            .map(|(t, v)| (*t, v.get(r).copied().unwrap_or(f64::NAN)))
            .collect()
    }
}

fn tolerance(t: f64) -> f64 {
    1e-9 * t.abs().max(1.0)
}

/// Why an experiment could not be run.
#[derive(Clone, Debug)]
pub struct ExperimentError {
    pub experiment: String,
    /// The genotype's name; `None` is the wild type.
    pub genotype: Option<String>,
    pub kind: Box<ExperimentErrorKind>,
    /// The model's time unit, for messages.
    pub time_unit: &'static str,
}

#[derive(Clone, Debug)]
pub enum ExperimentErrorKind {
    SteadyState(SteadyStateError),
    Solve(SolveError),
}

impl fmt::Display for ExperimentError {
    /// The error with its advice for settings given as flags.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, Where::Flags)
    }
}

/// An `ExperimentError` displayed with its advice phrased for where the settings live.
pub struct At<'a>(&'a ExperimentError, Where);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, self.1)
    }
}

impl ExperimentError {
    /// The error with its advice naming the settings as they are written `at`: flags for
    /// the command line, keys of `pathrules.toml` for compare, report and ensemble.
    pub fn at(&self, at: Where) -> At<'_> {
        At(self, at)
    }

    /// The solver's error, wherever it stopped the experiment: `None` for a steady state
    /// that was not reached.
    pub fn solve_error(&self) -> Option<&SolveError> {
        match self.kind.as_ref() {
            ExperimentErrorKind::SteadyState(SteadyStateError::Solve(e))
            | ExperimentErrorKind::Solve(e) => Some(e),
            ExperimentErrorKind::SteadyState(SteadyStateError::NotReached { .. }) => None,
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, at: Where) -> fmt::Result {
        let genotype = match &self.genotype {
            Some(g) => format!("genotype `{g}`"),
            None => "wild type".to_string(),
        };
        match self.kind.as_ref() {
            ExperimentErrorKind::SteadyState(SteadyStateError::NotReached {
                time,
                species,
                rate,
            }) => write!(
                f,
                "experiment `{}`: the {genotype} has no steady state to start from: after {time:.3e} {unit}, \
                 `{species}` still changes by {rate:.3e} per {unit}\n\
                 help: a species that is made but never removed (or removed but never made) grows \
                 without bound; give it a loss or a source, or add `start initial` to the experiment \
                 to start from the declared initial values",
                self.experiment,
                unit = self.time_unit,
            ),
            // A limit cycle has no steady state at all: the run-length advice of the
            // solver's own message does not apply to the search, which has no `--until`.
            ExperimentErrorKind::SteadyState(SteadyStateError::Solve(SolveError {
                kind: SolveErrorKind::Oscillating { name, cycles, .. },
                ..
            })) => write!(
                f,
                "experiment `{}`: the {genotype} has no steady state to start from: `{name}` \
                 went up and down {cycles} times while it was sought, as on a limit cycle\n\
                 help: add `start initial` to the experiment to start from the declared initial \
                 values, or change the model's feedback so that it settles",
                self.experiment,
            ),
            ExperimentErrorKind::SteadyState(SteadyStateError::Solve(e)) => write!(
                f,
                "experiment `{}`: while looking for the steady state of the {genotype}: {}",
                self.experiment,
                e.in_unit(self.time_unit).at(at)
            ),
            ExperimentErrorKind::Solve(e) => {
                write!(
                    f,
                    "experiment `{}`: {}",
                    self.experiment,
                    e.in_unit(self.time_unit).at(at)
                )
            }
        }
    }
}

impl std::error::Error for ExperimentError {}

/// The system of a genotype: its parameters set, its disabled reactions removed and
/// its knocked-out species starting at zero. `None` is the wild type.
pub fn genotype_system(model: &Model, system: &System, genotype: Option<GenotypeId>) -> System {
    let Some(g) = genotype.and_then(|k| model.genotypes.get(k.index())) else {
        return system.clone();
    };
    let mut sys = system.without_reactions(&g.disabled);
    for &(p, v) in &g.sets {
        if let Some(slot) = sys.params.get_mut(p.index()) {
            *slot = v;
        }
    }
    for s in &g.knockouts {
        if let Some(slot) = sys.initial.get_mut(s.index()) {
            *slot = 0.0;
        }
    }
    sys
}

/// The state an experiment starts from: the genotype's steady state, or its
/// declared initial values under `start initial`.
pub fn starting_state(
    system: &System,
    start: Start,
    settings: &Settings,
) -> Result<Vec<f64>, SteadyStateError> {
    match start {
        Start::Initial => Ok(system.initial.clone()),
        Start::Steady => super::steady_state(system, &system.initial, settings),
    }
}

/// The steps and doses of an experiment's events, with the half-lives of each dosed
/// input evaluated at the genotype's parameter values.
pub fn protocol(model: &Model, system: &System, events: &[Event]) -> Protocol {
    let mut steps = Vec::new();
    let mut doses = Vec::new();
    for e in events {
        match e.action {
            Action::Set => steps.push(Step {
                time: e.time,
                input: e.input,
                value: e.value,
            }),
            Action::Dose => {
                let Some(pk) = model.pks.iter().find(|p| p.input == e.input) else {
                    continue;
                };
                let half_life = |x: &Expr| {
                    x.eval(&|v| match v {
                        Var::Param(p) => system.params[p.index()],
                        _ => f64::NAN,
                    })
                };
                let ln2 = std::f64::consts::LN_2;
                doses.push(Dose {
                    time: e.time,
                    input: e.input,
                    amount: e.value,
                    ka: ln2 / half_life(&pk.absorption),
                    ke: ln2 / half_life(&pk.elimination),
                });
            }
        }
    }
    Protocol::with_doses(steps, doses)
}

/// Starting states found so far, by genotype and start. The experiments of one genotype
/// all start from its steady state, so a batch of experiments on one compiled system
/// searches for it once. Only valid for the model, system and solver settings it was
/// filled from.
#[derive(Debug, Default)]
pub struct Starts(HashMap<(Option<GenotypeId>, Start), Result<Vec<f64>, SteadyStateError>>);

/// What an experiment runs from: its genotype's system, the state it starts from and
/// its steps and doses. Made by [`prepare`] for `predict`, `bench` and `export`, so the
/// three run one sequence.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub system: System,
    pub initial: Vec<f64>,
    pub protocol: Protocol,
}

/// The genotype applied to a clone of `system`, its starting state (from `starts` when
/// its genotype's was found before, recorded there when not) and the protocol of the
/// experiment's events at the genotype's parameter values.
pub fn prepare(
    model: &Model,
    system: &System,
    experiment: &Experiment,
    settings: &Settings,
    starts: &mut Starts,
) -> Result<Prepared, SteadyStateError> {
    let sys = genotype_system(model, system, experiment.genotype);
    let initial = starts
        .0
        .entry((experiment.genotype, experiment.start))
        .or_insert_with(|| starting_state(&sys, experiment.start, settings))
        .clone()?;
    let protocol = protocol(model, &sys, &experiment.events);
    Ok(Prepared {
        system: sys,
        initial,
        protocol,
    })
}

/// Runs `experiment` of `model` (compiled as `system`) on its output grid plus
/// `extra_times` (times expectations ask about), and evaluates every readout.
pub fn predict(
    model: &Model,
    system: &System,
    experiment: &Experiment,
    extra_times: &[f64],
    settings: &Settings,
) -> Result<Prediction, ExperimentError> {
    predict_with(
        model,
        system,
        experiment,
        extra_times,
        settings,
        &mut Starts::default(),
    )
}

/// [`predict`], taking the starting state from `starts` when its genotype's was found
/// before, and recording it there when not.
pub fn predict_with(
    model: &Model,
    system: &System,
    experiment: &Experiment,
    extra_times: &[f64],
    settings: &Settings,
    starts: &mut Starts,
) -> Result<Prediction, ExperimentError> {
    let times = grid(experiment.until, experiment.every, extra_times);
    predict_on(model, system, experiment, &times, None, settings, starts)
}

/// [`predict_with`] on output times of the caller's (sorted, as from [`grid`]); with
/// `keep`, the prediction holds only the times it reads ([`thinned`]). The solver still
/// samples and checks every time, so a run fails or succeeds as the full one does and
/// every time kept has the full run's value to the bit; only the readouts are
/// evaluated at the kept times alone.
pub fn predict_on(
    model: &Model,
    system: &System,
    experiment: &Experiment,
    times: &[f64],
    keep: Option<&Reads>,
    settings: &Settings,
    starts: &mut Starts,
) -> Result<Prediction, ExperimentError> {
    let fail = |kind: ExperimentErrorKind| ExperimentError {
        experiment: experiment.name.clone(),
        genotype: experiment
            .genotype
            .and_then(|g| model.genotypes.get(g.index()))
            .map(|g| g.name.clone()),
        kind: Box::new(kind),
        time_unit: model.units.time.as_str(),
    };
    let Prepared {
        system: sys,
        initial: y0,
        protocol,
    } = prepare(model, system, experiment, settings, starts)
        .map_err(|e| fail(ExperimentErrorKind::SteadyState(e)))?;
    let trajectory = super::run(&sys, &y0, &protocol, times, settings)
        .map_err(|e| fail(ExperimentErrorKind::Solve(e)))?;
    let mut trajectory = trajectory;
    if let Some(reads) = keep {
        let mask = thinned(&trajectory.times, reads);
        let mut k = 0;
        trajectory.times.retain(|_| {
            k += 1;
            mask[k - 1]
        });
        let mut k = 0;
        trajectory.states.retain(|_| {
            k += 1;
            mask[k - 1]
        });
    }
    let inputs = protocol.inputs_on(&sys, &trajectory.times);
    let readouts = evaluate_readouts(model, &sys, &trajectory.states, &inputs);
    Ok(Prediction {
        experiment: experiment.name.clone(),
        genotype: experiment
            .genotype
            .and_then(|g| model.genotypes.get(g.index()))
            .map(|g| g.name.clone()),
        times: trajectory.times,
        states: trajectory.states,
        inputs,
        readouts,
        stats: trajectory.stats,
    })
}

/// What a judge reads of one experiment's output: single times and windows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reads {
    pub times: Vec<f64>,
    pub windows: Vec<(f64, f64)>,
}

/// Which output times of `full` (a grid from [`grid`]) `reads` reads, as
/// [`Prediction::index_of`] and [`Prediction::window`] find them, with the first and
/// last kept (the first holds the baselines).
pub fn thinned(full: &[f64], reads: &Reads) -> Vec<bool> {
    let last = full.len().saturating_sub(1);
    full.iter()
        .enumerate()
        .map(|(k, &t)| {
            k == 0
                || k == last
                || reads.times.iter().any(|&x| (t - x).abs() <= tolerance(x))
                || reads
                    .windows
                    .iter()
                    .any(|&(a, b)| t >= a - tolerance(a) && t <= b + tolerance(b))
        })
        .collect()
}

/// Output times 0, every, …, until (the end included), with `extra` times in
/// [0, until] merged in.
pub fn grid(until: f64, every: f64, extra: &[f64]) -> Vec<f64> {
    let mut times = super::time_grid(until, every);
    times.extend(extra.iter().copied().filter(|t| *t >= 0.0 && *t <= until));
    times.sort_by(f64::total_cmp);
    times.dedup_by(|a, b| (*a - *b).abs() <= tolerance(*b));
    times
}

/// Every readout at every state; baselines are the values at the first state.
///
/// The baselines are found once, by walking the expressions at the first state (where
/// `baseline(x)` is x itself, whatever x reads); every state's readouts then run as
/// `system`'s compiled code, which reads the baselines from its frame.
pub fn evaluate_readouts(
    model: &Model,
    system: &System,
    states: &[Vec<f64>],
    inputs: &[Vec<f64>],
) -> Vec<Vec<f64>> {
    let Some((y0, u0)) = states.first().zip(inputs.first()) else {
        return Vec::new();
    };
    let baselines = baselines_at(model, &system.params, y0, u0);
    states
        .iter()
        .zip(inputs)
        .map(|(y, u)| {
            let mut out = vec![0.0; model.readouts.len()];
            system.readouts_with(u, y, &baselines, &mut out);
            out
        })
        .collect()
}

/// The value of every `baseline(...)` expression at the first state of a run, where
/// `baseline(x)` is x itself, found by walking the expressions.
fn baselines_at(model: &Model, params: &[f64], y0: &[f64], u0: &[f64]) -> Vec<f64> {
    let start = Point::new(model, params, y0, u0);
    let readouts0 = start.readouts(None);
    model
        .baselines
        .iter()
        .map(|b| start.expr(b, &readouts0, None))
        .collect()
}

/// One state of one run, for evaluating readouts.
struct Point<'a> {
    model: &'a Model,
    params: &'a [f64],
    species: &'a [f64],
    inputs: &'a [f64],
    lets: Vec<f64>,
}

impl<'a> Point<'a> {
    fn new(model: &'a Model, params: &'a [f64], species: &'a [f64], inputs: &'a [f64]) -> Self {
        let mut point = Point {
            model,
            params,
            species,
            inputs,
            lets: Vec::with_capacity(model.lets.len()),
        };
        for l in &model.lets {
            let v = point.expr(&l.expr, &[], None);
            point.lets.push(v);
        }
        point
    }

    fn readouts(&self, baselines: Option<&[f64]>) -> Vec<f64> {
        let mut values = Vec::with_capacity(self.model.readouts.len());
        for r in &self.model.readouts {
            let v = self.expr(&r.expr, &values, baselines);
            values.push(v);
        }
        values
    }

    /// `e` at this point; `baselines` None means this is the start, where a baseline
    /// is its argument's value now.
    fn expr(&self, e: &Expr, readouts: &[f64], baselines: Option<&[f64]>) -> f64 {
        e.eval(&|v| match v {
            Var::Species(s) => self.species.get(s.index()).copied().unwrap_or(f64::NAN),
            Var::Param(p) => self.params.get(p.index()).copied().unwrap_or(f64::NAN),
            Var::Input(i) => self.inputs.get(i.index()).copied().unwrap_or(f64::NAN),
            Var::Let(l) => self.lets.get(l.index()).copied().unwrap_or(f64::NAN),
            Var::Compartment(c) => self.model.compartments[c.index()].size,
            Var::Readout(k) => readouts.get(k as usize).copied().unwrap_or(f64::NAN),
            Var::Baseline(k) => match baselines {
                Some(b) => b.get(k as usize).copied().unwrap_or(f64::NAN),
                None => self
                    .model
                    .baselines
                    .get(k as usize)
                    .map(|b| self.expr(b, readouts, None))
                    .unwrap_or(f64::NAN),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    /// The compiled readouts (lets, readouts reading readouts, baselines, inputs and a
    /// power with a non-integer exponent) agree with the expressions walked directly.
    #[test]
    fn compiled_readouts_agree_with_the_expressions() {
        let text = "units time = min, concentration = uM\n\
                    species A = 2 uM, B = 0.5 uM\n\
                    input drug = 0 uM\n\
                    param k = 0.3 /min\n\
                    param K = 1.7 uM\n\
                    param n = 2.6\n\
                    let act = hill(A, K, n) * (1 - drug / (drug + K))\n\
                    bind: A -> B @ k * act\n\
                    back: B -> A @ k\n\
                    readout total = A + B\n\
                    readout share = 100 * total / baseline(total) + act\n\
                    readout ratio = share * B / baseline(B) - pow(A, n)\n";
        let loaded = load_str("t.pathway", text);
        let model = loaded.model.expect("checks");
        let system = crate::ode::compile(&model);
        let states = vec![vec![2.0, 0.5], vec![1.1, 1.4], vec![0.3, 2.2]];
        let inputs = vec![vec![0.0], vec![0.4], vec![3.0]];
        let compiled = evaluate_readouts(&model, &system, &states, &inputs);
        let baselines = baselines_at(&model, &system.params, &states[0], &inputs[0]);
        let readouts0 = Point::new(&model, &system.params, &states[0], &inputs[0]).readouts(None);
        for (k, (y, u)) in states.iter().zip(&inputs).enumerate() {
            let walked = Point::new(&model, &system.params, y, u).readouts(Some(&baselines));
            assert_eq!(walked.len(), 3);
            for (a, b) in compiled[k].iter().zip(&walked) {
                assert!((a - b).abs() <= 1e-13 * b.abs().max(1.0), "{a} vs {b}");
                assert!(a.is_finite());
            }
        }
        // At the start the share is 100 plus the activation.
        assert!((compiled[0][1] - readouts0[1]).abs() < 1e-13);
    }
}
