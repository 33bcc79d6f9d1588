//! pathrules: signalling pathways written as plain text, read into a reaction network,
//! compiled to ODEs and solved.
//!
//! The stages, in data-flow order (see ARCHITECTURE.md):
//! `syntax` (text → AST) → `model` (AST → checked `Model`) → `network` (petgraph graphs,
//! chain checks) → `ode` (compiled `System`) → `solve` (trajectories) → `experiment`
//! (genotypes, steps and doses, steady states, readouts) → `analysis` (expectations,
//! occlusion) → `output` (tables, graphs, verdicts). Each stage is a free function on
//! data and does no I/O; the one exception is `fs`: `FsLoader`, the file-system
//! `Loader` the CLI and examples use, and `fs::write_whole`, the CLI's writer of outputs.

pub mod analysis;
pub mod experiment;
pub mod fs;
pub mod model;
pub mod network;
pub mod ode;
pub mod output;
pub mod project;
pub mod solve;
pub mod syntax;

use std::path::Path;

pub use fs::FsLoader;
pub use model::{Loaded, Loader, Model};
pub use syntax::{Diagnostic, Sources};

/// A model that passed every check, with its graphs and compiled system.
#[derive(Clone, Debug)]
pub struct Checked {
    pub model: Model,
    pub network: network::Network,
    pub system: ode::System,
}

/// Everything `pathrules check` does: load, check names and units, build the graphs,
/// check the chains, compile. Returns the sources for rendering either way.
pub fn check(root: &Path, loader: &mut dyn Loader) -> (Sources, Result<Checked, Vec<Diagnostic>>) {
    let Loaded { sources, model } = model::load(root, loader);
    let result = model.and_then(finish);
    (sources, result)
}

/// A hypothesis judged on shared files: checks a model rooted at `hypothesis`
/// together with the `judge` files (experiments and expectations), as if one root
/// file imported them all. Paths are relative to `dir`; imports the files share
/// (the base model) are read once, and the hypothesis's `override` and `remove`
/// apply to them.
pub fn check_hypothesis(
    dir: &Path,
    name: &str,
    hypothesis: &Path,
    judge: &[std::path::PathBuf],
    loader: &mut dyn Loader,
) -> (Sources, Result<Checked, Vec<Diagnostic>>) {
    let mut text = format!("# hypothesis `{name}` with the files it is judged on\n");
    for path in std::iter::once(hypothesis).chain(judge.iter().map(|p| p.as_path())) {
        text.push_str(&format!("import \"{}\"\n", path.display()));
    }
    let root = dir.join(format!("{name}.hypothesis"));
    let mut with_root = WithRoot {
        root: root.clone(),
        text,
        inner: loader,
    };
    check(&root, &mut with_root)
}

/// A loader that serves one made-up root file and reads the rest as `inner` does.
struct WithRoot<'a> {
    root: std::path::PathBuf,
    text: String,
    inner: &'a mut dyn Loader,
}

impl WithRoot<'_> {
    fn is_root(&self, path: &Path) -> bool {
        model::normalize(path) == model::normalize(&self.root)
    }
}

impl Loader for WithRoot<'_> {
    fn load(&mut self, path: &Path) -> Result<String, String> {
        if self.is_root(path) {
            Ok(self.text.clone())
        } else {
            self.inner.load(path)
        }
    }

    fn load_bytes(&mut self, path: &Path) -> Result<Vec<u8>, String> {
        if self.is_root(path) {
            Ok(self.text.clone().into_bytes())
        } else {
            self.inner.load_bytes(path)
        }
    }

    fn identity(&mut self, path: &Path) -> std::path::PathBuf {
        if self.is_root(path) {
            model::normalize(&self.root)
        } else {
            self.inner.identity(path)
        }
    }
}

/// The stages after the model: network, chain checks, compilation.
pub fn finish(model: Model) -> Result<Checked, Vec<Diagnostic>> {
    let network = network::build(&model);
    let broken = network.check_chains(&model);
    if !broken.is_empty() {
        return Err(broken);
    }
    let system = ode::compile(&model);
    Ok(Checked {
        model,
        network,
        system,
    })
}

/// Output times `0, every, 2·every, …, until` (the end included even off the grid).
///
/// Never more than `experiment::MAX_POINTS + 1` of them: what a user writes is held to
/// `MAX_POINTS` where it is written (a located error in the checker, a usage error on
/// the command line), with [`time_grid_len`] counting; a longer grid asked for here
/// anyway is cut after `MAX_POINTS + 1` times rather than allocated whole.
pub fn time_grid(until: f64, every: f64) -> Vec<f64> {
    let Some(len) = time_grid_len(until, every) else {
        return Vec::new();
    };
    let limit = experiment::MAX_POINTS + 1;
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

/// How many times `time_grid(until, every)` asks for, before any cut (a float, as a
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

/// Integrates a checked model from its initial state over `times`.
pub fn simulate(
    checked: &Checked,
    times: &[f64],
    settings: &solve::Settings,
) -> Result<solve::Trajectory, solve::SolveError> {
    let t0 = times.first().copied().unwrap_or(0.0);
    solve::solve(
        &checked.system,
        t0,
        &checked.system.initial,
        times,
        settings,
    )
}
