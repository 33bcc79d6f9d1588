//! The stages run in order, for a caller that wants a checked model or a trajectory
//! rather than each stage's value: `check` loads, checks, builds the graphs, checks the
//! chains and compiles (stages 1–4), `check_hypothesis` does the same for a hypothesis
//! with the files it is judged on, `finish` is stages 3–4 on a model already checked,
//! and `simulate` integrates the compiled system from its initial state (stage 5).
//! Nothing here reads a file but through the `Loader` it is given. It sits above the
//! stages: they read the `Checked` it makes (the analysis stage judges one) but call
//! nothing here.

use std::path::{Path, PathBuf};

use crate::model::{self, Loaded, Loader, Model};
use crate::syntax::{Diagnostic, Sources};
use crate::{network, ode, solve};

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
    judge: &[PathBuf],
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
    root: PathBuf,
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

    fn identity(&mut self, path: &Path) -> PathBuf {
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
