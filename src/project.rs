//! The project manifest, `pathrules.toml`: which hypotheses to compare, the files
//! of experiments and expectations they are all judged on, solver settings and the
//! output folder. Parsed from text (`parse`), or read through a `Loader` with every
//! hypothesis it names checked (`load`); every problem names the key and points at it
//! in the file, and is returned as data for the CLI to print.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::analysis::compare::Hypothesis;
use crate::model::{BaseUnits, Loader, Model, units};
use crate::solve::{Linear, Method, Settings};
use crate::syntax::{Diagnostic, FileId, Sources, Span};

/// A checked manifest; paths are relative to the manifest's folder.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// Name and root file of each hypothesis, the base first.
    pub hypotheses: Vec<(String, PathBuf)>,
    /// The `.pathway` files of experiments and expectations.
    pub judge: Vec<PathBuf>,
    pub occlusion: Option<OcclusionSpec>,
    pub settings: Settings,
    pub output: Option<PathBuf>,
    /// The `[calibration] dir`: where `fit` writes and `ensemble --calibrated` reads.
    pub calibration: Option<PathBuf>,
    /// How `ensemble` draws each parameter from its range.
    pub ensemble: EnsembleSpec,
    /// The `[literature] table`: the sources the pathways cite, and where it is named.
    pub literature: Option<(PathBuf, Span)>,
}

/// The `[ensemble]` table: the default distribution and the exceptions by name.
#[derive(Clone, Debug)]
pub struct EnsembleSpec {
    pub default: crate::analysis::ensemble::Dist,
    pub distributions: std::collections::BTreeMap<String, crate::analysis::ensemble::Dist>,
    /// Where each name of `distributions` is written.
    pub distribution_spans: std::collections::BTreeMap<String, Span>,
}

/// The occlusion matrix `compare` prints.
#[derive(Clone, Debug)]
pub struct OcclusionSpec {
    pub readout: String,
    /// A time as written, e.g. `180 min`; the model's units convert it.
    pub at: String,
    pub experiments: Vec<String>,
    /// Where `readout`, `at` and each experiment's name are written, for errors that only
    /// the checked models can find ([`check_models`]).
    pub readout_span: Span,
    pub at_span: Span,
    pub experiment_spans: Vec<Span>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    base: Spanned<String>,
    judge: Vec<Spanned<String>>,
    hypotheses: toml::value::Table,
    occlusion: Option<RawOcclusion>,
    solver: Option<RawSolver>,
    output: Option<RawOutput>,
    ensemble: Option<RawEnsemble>,
    calibration: Option<RawOutput>,
    literature: Option<RawLiterature>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLiterature {
    table: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnsemble {
    default: Option<crate::analysis::ensemble::Dist>,
    distributions:
        Option<std::collections::BTreeMap<Spanned<String>, crate::analysis::ensemble::Dist>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOcclusion {
    readout: Spanned<String>,
    at: Spanned<String>,
    experiments: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSolver {
    method: Option<Spanned<String>>,
    rtol: Option<Spanned<f64>>,
    atol: Option<Spanned<f64>>,
    max_steps: Option<Spanned<usize>>,
    linear: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    dir: String,
}

impl Manifest {
    /// Where the calibration lives: the `[calibration] dir`, else `calibration`, beside
    /// the manifest (`dir`).
    pub fn calibration_dir(&self, dir: &Path) -> PathBuf {
        dir.join(
            self.calibration
                .as_deref()
                .unwrap_or(Path::new("calibration")),
        )
    }

    /// The files a fit of hypothesis `k` written in folder `out` imports, as paths
    /// relative to `out`: the hypothesis, then the files it is judged on.
    pub fn imports_from(&self, dir: &Path, k: usize, out: &Path) -> Vec<String> {
        let out = out.canonicalize().unwrap_or_else(|_| out.to_path_buf());
        let files = std::iter::once(&self.hypotheses[k].1).chain(&self.judge);
        files
            .map(|f| {
                let f = dir.join(f);
                let f = f.canonicalize().unwrap_or(f);
                pathdiff::diff_paths(&f, &out)
                    .unwrap_or(f)
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect()
    }
}

/// A manifest read and every hypothesis it names checked with the judge files.
pub struct Project {
    pub manifest: Manifest,
    /// The checked hypotheses, the base first.
    pub hypotheses: Vec<Hypothesis>,
    /// The manifest's folder, which its paths are relative to.
    pub dir: PathBuf,
    /// The `[occlusion] at` time in the base's time unit.
    pub at: Option<f64>,
    /// Every file the hypotheses read (each once, in the order first read), for what
    /// looks at the text itself, such as the citations `literature::audit` checks.
    pub files: Sources,
}

impl Project {
    /// The `[literature] table` read through `loader` and parsed, with every file the
    /// hypotheses read and the table itself (named as the manifest names it, beside
    /// the manifest) in one `Sources`; `None` when the manifest names no table. A table
    /// that cannot be read or parsed is an error at its key or in the table.
    pub fn literature(
        &self,
        loader: &mut dyn Loader,
    ) -> Result<Option<(Sources, crate::literature::Table)>, LoadError> {
        let Some((path, _)) = &self.manifest.literature else {
            return Ok(None);
        };
        let full = if self.dir == Path::new(".") {
            path.clone()
        } else {
            self.dir.join(path)
        };
        let text = loader
            .load(&full)
            .map_err(|reason| LoadError::UnreadableTable {
                path: full.clone(),
                reason,
            })?;
        let mut sources = self.files.clone();
        let id = sources.add(full.display().to_string(), &full, text.clone());
        match crate::literature::parse(id, &text) {
            Ok(table) => Ok(Some((sources, table))),
            Err(diagnostics) => Err(LoadError::Manifest {
                sources,
                diagnostics,
            }),
        }
    }
}

/// Why a project could not be loaded.
pub enum LoadError {
    /// The manifest itself cannot be read, e.g. `pathrules compare nowhere.toml`.
    Unreadable { path: PathBuf, reason: String },
    /// Problems in the manifest, each at its key (an unknown key, a missing file, an
    /// `[occlusion]` readout no model has); `sources` holds the manifest.
    Manifest {
        sources: Sources,
        diagnostics: Vec<Diagnostic>,
    },
    /// A hypothesis whose files do not check, with the checker's diagnostics.
    Hypothesis {
        name: String,
        sources: Sources,
        diagnostics: Vec<Diagnostic>,
    },
    /// A manifest with an empty `[hypotheses]` table.
    NoHypotheses,
    /// The `[literature] table` names a file that cannot be read (one that does not
    /// exist is reported at the key).
    UnreadableTable { path: PathBuf, reason: String },
}

impl std::fmt::Display for LoadError {
    /// The headline of each error; the diagnostics of `Manifest` and `Hypothesis` follow
    /// it, rendered by the caller.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Unreadable { path, reason } => write!(
                f,
                "cannot read `{}`: {reason}; a project names its hypotheses in a pathrules.toml (see README.md)",
                path.display()
            ),
            LoadError::Manifest { diagnostics, .. } => {
                let n = diagnostics.len();
                write!(
                    f,
                    "{n} problem{} in the manifest",
                    if n == 1 { "" } else { "s" }
                )
            }
            LoadError::Hypothesis { name, .. } => write!(f, "hypothesis `{name}` does not check"),
            LoadError::NoHypotheses => f.write_str("the manifest names no hypotheses"),
            LoadError::UnreadableTable { path, reason } => write!(
                f,
                "cannot read the literature table `{}`: {reason}",
                path.display()
            ),
        }
    }
}

/// Reads the manifest at `path` through `loader`, checks every hypothesis it names with
/// the judge files (stopping at the first that does not check), then the manifest's
/// names and times against them. `exists` says whether a path names a readable file,
/// so that a missing one is reported at its key.
pub fn load(
    path: &Path,
    loader: &mut dyn Loader,
    exists: &dyn Fn(&Path) -> bool,
) -> Result<Project, LoadError> {
    let text = loader.load(path).map_err(|reason| LoadError::Unreadable {
        path: path.to_path_buf(),
        reason,
    })?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut sources = Sources::new();
    let id = sources.add(path.display().to_string(), path, text.clone());
    let in_dir = |p: &Path| exists(&dir.join(p));
    let manifest = match parse(id, &text, &dir, &in_dir) {
        Ok(manifest) => manifest,
        Err(diagnostics) => {
            return Err(LoadError::Manifest {
                sources,
                diagnostics,
            });
        }
    };
    let judge: Vec<PathBuf> = manifest.judge.iter().map(|j| dir.join(j)).collect();
    let mut hypotheses = Vec::new();
    let mut files = Sources::new();
    for (name, file) in &manifest.hypotheses {
        let (hypothesis_sources, result) =
            crate::check_hypothesis(&dir, name, &dir.join(file), &judge, loader);
        match result {
            Ok(checked) => {
                // The made-up root that imports the hypothesis and its judges is no file.
                let root = dir.join(format!("{name}.hypothesis"));
                for (_, f) in hypothesis_sources.iter() {
                    if crate::model::normalize(&f.path) != crate::model::normalize(&root)
                        && files.find_path(&f.path).is_none()
                    {
                        files.add(f.name.clone(), f.path.clone(), f.text.clone());
                    }
                }
                hypotheses.push(Hypothesis {
                    name: name.clone(),
                    checked,
                })
            }
            Err(diagnostics) => {
                return Err(LoadError::Hypothesis {
                    name: name.clone(),
                    sources: hypothesis_sources,
                    diagnostics,
                });
            }
        }
    }
    if hypotheses.is_empty() {
        return Err(LoadError::NoHypotheses);
    }
    let models: Vec<&Model> = hypotheses.iter().map(|h| &h.checked.model).collect();
    let at = match check_models(&manifest, &models) {
        Ok(at) => at,
        Err(diagnostics) => {
            return Err(LoadError::Manifest {
                sources,
                diagnostics,
            });
        }
    };
    Ok(Project {
        manifest,
        hypotheses,
        dir,
        at,
        files,
    })
}

/// Parses the manifest `text` of file `file` (registered in the caller's `Sources`),
/// whose folder is `dir`; `exists` says whether a path (relative to `dir`) names a
/// readable file, so that missing files are reported at their key.
pub fn parse(
    file: FileId,
    text: &str,
    dir: &Path,
    exists: &dyn Fn(&Path) -> bool,
) -> Result<Manifest, Vec<Diagnostic>> {
    let span = |r: std::ops::Range<usize>| Span::new(file, r.start, r.end);
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let at = e.span().unwrap_or(0..0);
        let message = e.message().trim_end_matches('\n').to_string();
        vec![
            Diagnostic::error(
                format!("pathrules.toml: {}", first_line(&message)),
                span(at),
                "here",
            )
            .with_help(
                "the keys are `base`, `judge`, `[hypotheses]` (name = file), and the tables `[occlusion]` (readout, at, experiments), `[solver]` (method, rtol, atol, max_steps, linear), `[output]` (dir), `[calibration]` (dir), `[literature]` (table) and `[ensemble]` (default, distributions: log-uniform, uniform, normal or fixed)",
            ),
        ]
    })?;
    let mut errors = Vec::new();
    let mut hypotheses = Vec::new();
    let value_span = |name: &str| -> Span {
        // The table keeps no spans; find the key's line in the text.
        let at = text
            .lines()
            .scan(0usize, |off, l| {
                let start = *off;
                *off += l.len() + 1;
                Some((start, l))
            })
            .find(|(_, l)| {
                l.trim_start()
                    .strip_prefix(name)
                    .is_some_and(|r| r.trim_start().starts_with('='))
            })
            .map(|(start, l)| start..start + l.len())
            .unwrap_or(0..0);
        span(at)
    };
    for (name, value) in &raw.hypotheses {
        match value.as_str() {
            Some(path) => {
                let path = PathBuf::from(path);
                if !exists(&path) {
                    errors.push(
                        Diagnostic::error(
                            format!(
                                "hypothesis `{name}`: no file `{}`",
                                dir.join(&path).display()
                            ),
                            value_span(name),
                            "named here",
                        )
                        .with_help("paths in pathrules.toml are relative to its folder"),
                    );
                }
                hypotheses.push((name.clone(), path));
            }
            None => errors.push(
                Diagnostic::error(
                    format!("hypothesis `{name}` must be a file name in quotes"),
                    value_span(name),
                    "not a string",
                )
                .with_help(format!(
                    "write e.g. `{name} = \"pathways/hypotheses/{name}.pathway\"`"
                )),
            ),
        }
    }
    match hypotheses
        .iter()
        .position(|(n, _)| *n == *raw.base.get_ref())
    {
        Some(k) => {
            let base = hypotheses.remove(k);
            hypotheses.insert(0, base);
        }
        None => errors.push(
            Diagnostic::error(
                format!(
                    "`base` names `{}`, which is not under [hypotheses]",
                    raw.base.get_ref()
                ),
                span(raw.base.span()),
                "not a hypothesis",
            )
            .with_help(
                "`base` is the hypothesis the others are compared with; add it under [hypotheses]",
            ),
        ),
    }
    if raw.judge.is_empty() {
        errors.push(
            Diagnostic::error("`judge` lists no files", value_span("judge"), "empty")
                .with_help("list the .pathway files of experiments and expectations, e.g. `judge = [\"pathways/experiments.pathway\"]`"),
        );
    }
    let mut judge = Vec::new();
    for j in &raw.judge {
        let path = PathBuf::from(j.get_ref());
        if !exists(&path) {
            errors.push(
                Diagnostic::error(
                    format!("judge: no file `{}`", dir.join(&path).display()),
                    span(j.span()),
                    "named here",
                )
                .with_help("paths in pathrules.toml are relative to its folder"),
            );
        }
        judge.push(path);
    }
    let mut settings = Settings::default();
    if let Some(s) = &raw.solver {
        if let Some(m) = &s.method {
            let choices = [
                ("bdf", Method::Bdf),
                ("dopri5", Method::Dopri5),
                ("dop853", Method::Dop853),
            ];
            let help = "the methods are `bdf` (stiff, the default), `dopri5` and `dop853`";
            match choose(m.get_ref(), &choices) {
                Some(method) => settings.method = method,
                None => errors.push(not_a_choice("method", m, "a solver", span(m.span()), help)),
            }
        }
        // Each setting is checked on its own against the defaults of the others, so that
        // every one at fault is reported at its own key.
        let mut check = |one: Settings, at: std::ops::Range<usize>, help: &str| {
            if let Err(why) = one.validate() {
                errors.push(
                    Diagnostic::error(format!("[solver] {why}"), span(at), "out of range")
                        .with_help(help),
                );
            }
        };
        if let Some(r) = &s.rtol {
            settings.rtol = *r.get_ref();
            let one = Settings {
                rtol: settings.rtol,
                ..Settings::default()
            };
            check(one, r.span(), "the default is 1e-6");
        }
        if let Some(a) = &s.atol {
            settings.atol = *a.get_ref();
            let one = Settings {
                atol: settings.atol,
                ..Settings::default()
            };
            let help = "the default is 1e-9, in the model's concentration unit";
            check(one, a.span(), help);
        }
        if let Some(m) = &s.max_steps {
            settings.max_steps = *m.get_ref();
            let one = Settings {
                max_steps: settings.max_steps,
                ..Settings::default()
            };
            let help = "the most steps the solver may take in one run; the default is 100000";
            check(one, m.span(), help);
        }
        if let Some(l) = &s.linear {
            let choices = [
                ("auto", Linear::Auto),
                ("dense", Linear::Dense),
                ("sparse", Linear::Sparse),
                ("krylov", Linear::Krylov),
            ];
            let help = "`auto` (the default: dense for small systems, sparse LU for large or thin \
                        ones, BiCGSTAB for large ones whose LU fills in), `dense`, `sparse` or \
                        `krylov`";
            match choose(l.get_ref(), &choices) {
                Some(linear) => settings.linear = linear,
                None => errors.push(not_a_choice("linear", l, "a choice", span(l.span()), help)),
            }
        }
    }
    let literature = raw.literature.map(|l| {
        let path = PathBuf::from(l.table.get_ref());
        let at = span(l.table.span());
        if !exists(&path) {
            errors.push(
                Diagnostic::error(
                    format!(
                        "[literature] table: no file `{}`",
                        dir.join(&path).display()
                    ),
                    at,
                    "named here",
                )
                .with_help(
                    "paths in pathrules.toml are relative to its folder; the table holds one \
                     `[[source]]` row per id the pathways cite (see docs/literature.toml)",
                ),
            );
        }
        (path, at)
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    let distributions: Vec<_> = raw
        .ensemble
        .as_ref()
        .and_then(|e| e.distributions.clone())
        .unwrap_or_default()
        .into_iter()
        .collect();
    Ok(Manifest {
        hypotheses,
        judge,
        occlusion: raw.occlusion.map(|o| OcclusionSpec {
            readout_span: span(o.readout.span()),
            at_span: span(o.at.span()),
            experiment_spans: o.experiments.iter().map(|e| span(e.span())).collect(),
            readout: o.readout.into_inner(),
            at: o.at.into_inner(),
            experiments: o.experiments.into_iter().map(Spanned::into_inner).collect(),
        }),
        settings,
        output: raw.output.map(|o| PathBuf::from(o.dir)),
        calibration: raw.calibration.map(|o| PathBuf::from(o.dir)),
        literature,
        ensemble: EnsembleSpec {
            default: raw
                .ensemble
                .as_ref()
                .and_then(|e| e.default)
                .unwrap_or(crate::analysis::ensemble::Dist::LogUniform),
            distribution_spans: distributions
                .iter()
                .map(|(name, _)| (name.get_ref().clone(), span(name.span())))
                .collect(),
            distributions: distributions
                .into_iter()
                .map(|(name, dist)| (name.into_inner(), dist))
                .collect(),
        },
    })
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The error for a `[solver]` setting whose value is none of its choices: "[solver] {setting}
/// `value` is not {what}".
fn not_a_choice(
    setting: &str,
    value: &Spanned<String>,
    what: &str,
    at: Span,
    help: &str,
) -> Diagnostic {
    Diagnostic::error(
        format!("[solver] {setting} `{}` is not {what}", value.get_ref()),
        at,
        "unknown",
    )
    .with_help(help)
}

/// The value named `name` among `choices`.
fn choose<T: Copy>(name: &str, choices: &[(&str, T)]) -> Option<T> {
    choices.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

/// Checks what only the checked models can tell about a manifest: that `[occlusion]`
/// names a readout and experiments the models define and a time within the experiments'
/// runs, and that `[ensemble] distributions` names parameters with a range. `models` are
/// the hypotheses' models, the base first. Returns the occlusion time in the base's time
/// unit; every problem is reported at its key.
pub fn check_models(
    manifest: &Manifest,
    models: &[&Model],
) -> Result<Option<f64>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let Some(base) = models.first() else {
        return Ok(None);
    };
    let mut at = None;
    if let Some(o) = &manifest.occlusion {
        for m in models {
            if m.readouts.iter().any(|r| r.name == o.readout) {
                continue;
            }
            let names = m.readouts.iter().map(|r| r.name.as_str());
            errors.push(
                Diagnostic::error(
                    format!(
                        "[occlusion] readout `{}` is not a readout of the models",
                        o.readout
                    ),
                    o.readout_span,
                    "no such readout",
                )
                .with_help(did_you_mean(&o.readout, names, "readouts")),
            );
            break;
        }
        let mut chosen = Vec::new();
        for (name, &span) in o.experiments.iter().zip(&o.experiment_spans) {
            match base.experiment_named(name) {
                Some(e) => chosen.push(&base.experiments[e]),
                None => {
                    let names = base.experiments.iter().map(|e| e.name.as_str());
                    errors.push(
                        Diagnostic::error(
                            format!("[occlusion] experiment `{name}` is not defined"),
                            span,
                            "no such experiment",
                        )
                        .with_help(did_you_mean(
                            name,
                            names,
                            "experiments",
                        )),
                    );
                }
            }
        }
        match occlusion_time(&o.at, &base.units, o.at_span.file) {
            Err(why) => errors.push(
                Diagnostic::error(format!("[occlusion] at {why}"), o.at_span, "not a time")
                    .with_help(
                        "write a time of zero or more, after the second experiment begins, \
                         e.g. `at = \"180 min\"`",
                    ),
            ),
            Ok(t) => {
                // Each experiment is the second of some pair, run alone up to `at`, and
                // its own run says how far its effect is looked at.
                let unit = base.units.time.as_str();
                if let Some(short) = chosen
                    .iter()
                    .filter(|e| e.until < t)
                    .min_by(|a, b| a.until.total_cmp(&b.until))
                {
                    errors.push(
                        Diagnostic::error(
                            format!(
                                "[occlusion] at `{}` is after the end of experiment `{}` ({} {unit})",
                                o.at, short.name, short.until
                            ),
                            o.at_span,
                            "too late",
                        )
                        .with_help(format!(
                            "the effect of each experiment is read this long after it begins, \
                             within its run; choose at most {} {unit}, or run `{}` longer",
                            short.until, short.name
                        )),
                    );
                } else {
                    at = Some(t);
                }
            }
        }
    }
    let mut ranged: Vec<&str> = Vec::new();
    for m in models {
        for p in &m.params {
            if p.range.is_some() && !ranged.contains(&p.name.as_str()) {
                ranged.push(&p.name);
            }
        }
    }
    for (name, span) in &manifest.ensemble.distribution_spans {
        if ranged.contains(&name.as_str()) {
            continue;
        }
        let declared = models
            .iter()
            .any(|m| m.params.iter().any(|p| p.name == *name));
        let derived = models.iter().any(|m| {
            m.params
                .iter()
                .any(|p| p.name == *name && p.formula.is_some())
        });
        errors.push(if derived {
            Diagnostic::error(
                format!("[ensemble] distributions: parameter `{name}` is derived from others"),
                *span,
                "not drawn",
            )
            .with_help(format!(
                "a derived parameter is computed from each draw of those its formula reads, \
                 so it has no distribution of its own; remove `{name}` here"
            ))
        } else if declared {
            Diagnostic::error(
                format!("[ensemble] distributions: parameter `{name}` has no range"),
                *span,
                "not drawn",
            )
            .with_help(format!(
                "only parameters with a range are drawn; write one where `{name}` is declared, \
                 e.g. `param {name} = … in [lo, hi] …`, or remove it here"
            ))
        } else {
            Diagnostic::error(
                format!("[ensemble] distributions: no parameter `{name}`"),
                *span,
                "not a parameter",
            )
            .with_help(did_you_mean(
                name,
                ranged.iter().copied(),
                "parameters with a range",
            ))
        });
    }
    if errors.is_empty() {
        Ok(at)
    } else {
        Err(errors)
    }
}

/// A time as written in the manifest (`180 min`; no unit: the model's), in base units.
fn occlusion_time(text: &str, units: &BaseUnits, file: FileId) -> Result<f64, String> {
    units::parse_time(file, text, units)
        .ok_or_else(|| format!("`{text}` is not a time of zero or more with its unit"))
}

/// "did you mean `x`?" when a close name exists, else the names there are.
fn did_you_mean<'a>(
    name: &str,
    names: impl Iterator<Item = &'a str> + Clone,
    what: &str,
) -> String {
    let candidates: Vec<&str> = names.clone().collect();
    match crate::model::Suggestions::new().suggest(name, candidates.into_iter()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => {
            let all: Vec<String> = names.map(|n| format!("`{n}`")).collect();
            if all.is_empty() {
                format!("the models define no {what}")
            } else {
                format!("the {what} are {}", all.join(", "))
            }
        }
    }
}
