//! The stages run in order, for a caller that wants a checked model or a trajectory
//! rather than each stage's value: `check` loads, checks, builds the graphs, checks the
//! chains and compiles (stages 1–4), `check_hypothesis` does the same for a hypothesis
//! with the files it is judged on, `finish` is stages 3–4 on a model already checked,
//! and `simulate` integrates the compiled system from its initial state (stage 5).
//! `Checked::with_params` is the one way to set a parameter set: it sets the free
//! parameters, derives the others and writes both into the model and the system.
//! Nothing here reads a file but through the `Loader` it is given. It sits above the
//! stages: they read the `Checked` it makes (the analysis stage judges one) but call
//! nothing here.

use std::collections::BTreeMap;
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

/// Why a parameter set could not be set: a name that is no free parameter of the
/// model, or a value (given or derived) that is not a finite number.
#[derive(Clone, Debug, PartialEq)]
pub enum DeriveError {
    /// No parameter of the model has this name.
    Unknown { name: String },
    /// The parameter is derived: its value follows from the free ones.
    Derived { name: String },
    /// The value given for a free parameter is not a finite number.
    NotFiniteGiven { name: String, value: f64 },
    /// A derived parameter's formula gives no finite number for this set.
    NotFinite { name: String, value: f64 },
}

impl std::fmt::Display for DeriveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeriveError::Unknown { name } => write!(f, "the model has no parameter `{name}`"),
            DeriveError::Derived { name } => write!(
                f,
                "`{name}` is a derived parameter: its value follows from the parameters its formula reads"
            ),
            DeriveError::NotFiniteGiven { name, value } => {
                write!(
                    f,
                    "the value {value} given for `{name}` is not a finite number"
                )
            }
            DeriveError::NotFinite { name, value } => write!(
                f,
                "the derived parameter `{name}` is {value} for these values, not a finite number"
            ),
        }
    }
}

impl std::error::Error for DeriveError {}

impl Checked {
    /// This model with the free parameters named in `values` set (in base units) and
    /// every derived parameter computed again from them, in dependency order; the
    /// values are written into both the model and the compiled system. Parameters not
    /// named keep their values. A genotype's `set` still applies on top, when an
    /// experiment of that genotype runs: the derived values are the base set's.
    pub fn with_params(&self, values: &BTreeMap<String, f64>) -> Result<Checked, DeriveError> {
        let mut out = self.clone();
        for (name, &value) in values {
            let Some(p) = out.model.params.iter_mut().find(|p| &p.name == name) else {
                return Err(DeriveError::Unknown { name: name.clone() });
            };
            if p.formula.is_some() {
                return Err(DeriveError::Derived { name: name.clone() });
            }
            if !value.is_finite() {
                return Err(DeriveError::NotFiniteGiven {
                    name: name.clone(),
                    value,
                });
            }
            p.value = value;
        }
        out.model.derive().map_err(|e| DeriveError::NotFinite {
            name: e.name,
            value: e.value,
        })?;
        for (slot, p) in out.system.params.iter_mut().zip(&out.model.params) {
            *slot = p.value;
        }
        Ok(out)
    }
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
