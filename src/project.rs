//! The project manifest, `pathrules.toml`: which hypotheses to compare, the files
//! of experiments and expectations they are all judged on, solver settings and the
//! output folder. Parsed from text (the CLI reads the file); every problem names the
//! key and points at it in the file.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::solve::{Linear, Method, Settings};
use crate::syntax::{Diagnostic, FileId, Span};

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
    /// How `ensemble` draws each parameter from its range.
    pub ensemble: EnsembleSpec,
}

/// The `[ensemble]` table: the default distribution and the exceptions by name.
#[derive(Clone, Debug)]
pub struct EnsembleSpec {
    pub default: crate::analysis::ensemble::Dist,
    pub distributions: std::collections::BTreeMap<String, crate::analysis::ensemble::Dist>,
}

/// The occlusion matrix `compare` prints.
#[derive(Clone, Debug)]
pub struct OcclusionSpec {
    pub readout: String,
    /// A time as written, e.g. `180 min`; the model's units convert it.
    pub at: String,
    pub experiments: Vec<String>,
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnsemble {
    default: Option<crate::analysis::ensemble::Dist>,
    distributions: Option<std::collections::BTreeMap<String, crate::analysis::ensemble::Dist>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOcclusion {
    readout: String,
    at: String,
    experiments: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSolver {
    method: Option<Spanned<String>>,
    rtol: Option<Spanned<f64>>,
    atol: Option<Spanned<f64>>,
    max_steps: Option<usize>,
    linear: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    dir: String,
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
                "the keys are `base`, `judge`, `[hypotheses]` (name = file), and the tables `[occlusion]` (readout, at, experiments), `[solver]` (method, rtol, atol, max_steps, linear), `[output]` (dir) and `[ensemble]` (default, distributions: log-uniform, uniform, normal or fixed)",
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
        if let Some(r) = &s.rtol {
            if !(*r.get_ref() > 0.0 && *r.get_ref() < 1.0) {
                errors.push(
                    Diagnostic::error(
                        "[solver] rtol must be between 0 and 1",
                        span(r.span()),
                        "out of range",
                    )
                    .with_help("the default is 1e-6"),
                );
            }
            settings.rtol = *r.get_ref();
        }
        if let Some(a) = &s.atol {
            if !(*a.get_ref() > 0.0 && a.get_ref().is_finite()) {
                errors.push(
                    Diagnostic::error(
                        "[solver] atol must be a positive number",
                        span(a.span()),
                        "out of range",
                    )
                    .with_help("the default is 1e-9, in the model's concentration unit"),
                );
            }
            settings.atol = *a.get_ref();
        }
        if let Some(m) = s.max_steps {
            settings.max_steps = m;
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
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Manifest {
        hypotheses,
        judge,
        occlusion: raw.occlusion.map(|o| OcclusionSpec {
            readout: o.readout,
            at: o.at,
            experiments: o.experiments,
        }),
        settings,
        output: raw.output.map(|o| PathBuf::from(o.dir)),
        ensemble: EnsembleSpec {
            default: raw
                .ensemble
                .as_ref()
                .and_then(|e| e.default)
                .unwrap_or(crate::analysis::ensemble::Dist::LogUniform),
            distributions: raw
                .ensemble
                .and_then(|e| e.distributions)
                .unwrap_or_default(),
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
