//! What `fit` writes for each hypothesis: the fitted values as a `.pathway` file of
//! `override param` lines (importable and reviewable as text), the calibrated ensemble
//! as JSON, and the report: per expectation the share of the calibrated sets meeting
//! it and the smallest violation reached, the conflicts the fit could not resolve, and
//! which parameters the expectations pin down.

use crate::analysis::fit::{Calibrated, Fit};
use crate::model::{BaseUnits, Dim, Model};
use crate::output::summary::show;

/// A span of a parameter's (log-)range below this share counts as pinned by the data.
pub const PINNED: f64 = 0.25;

/// The run that made a fit, as its files state it.
pub struct Made<'a> {
    pub hypothesis: &'a str,
    pub seed: u64,
    pub budget: usize,
    /// Paths the fit file imports, relative to the folder it is written in: the
    /// hypothesis and the files it is judged on.
    pub imports: Vec<String>,
}

/// A dimension in the model's base units as the language writes a unit (`uM`, `/min`,
/// `/uM/min`, `uM/min/min`), or `None` where no unit of the language spells it (a
/// product such as uM·min).
pub fn unit_text(d: Dim, units: &BaseUnits) -> Option<String> {
    let (t, c) = (units.time.as_str(), units.concentration.as_str());
    let mut num = Vec::new();
    let mut den = Vec::new();
    for (name, exp) in [(c, d.conc), (t, d.time)] {
        let list = if exp > 0 { &mut num } else { &mut den };
        for _ in 0..exp.unsigned_abs() {
            list.push(name);
        }
    }
    if num.len() > 1 {
        return None;
    }
    let mut s = num.first().map_or_else(String::new, |n| n.to_string());
    for part in den {
        s.push('/');
        s.push_str(part);
    }
    Some(s)
}

/// The fitted hypothesis: its files imported and each free parameter overridden with
/// its fitted value, range and a note that says where it came from.
pub fn fit_pathway(model: &Model, fit: &Fit, made: &Made) -> String {
    let held = fit.best.passes.iter().filter(|&&p| p).count();
    let mut out = format!(
        "# `{}` fitted within its declared ranges: pathrules fit --hypothesis {} --seed {} --budget {}\n",
        made.hypothesis, made.hypothesis, made.seed, made.budget
    );
    out.push_str(&format!(
        "# score {} ({held} of {} expectations hold), {} evaluations\n\n",
        show(fit.best.score),
        fit.expectations.len(),
        fit.evaluations
    ));
    for path in &made.imports {
        out.push_str(&format!("import \"{path}\"\n"));
    }
    out.push('\n');
    for (f, v) in fit.free.iter().zip(fit.best_values()) {
        let dim = model
            .params
            .iter()
            .find(|p| p.name == f.name)
            .and_then(|p| p.dim);
        let unit = dim
            .and_then(|d| unit_text(d, &model.units))
            .filter(|u| !u.is_empty())
            .map(|u| format!(" {u}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "override param {} = {v}{unit} in [{}, {}]{unit} \"fitted: pathrules fit seed {}, range [{}, {}]{unit}, declared {}\"\n",
            f.name,
            f.lo,
            f.hi,
            made.seed,
            show(f.lo),
            show(f.hi),
            show(f.start)
        ));
    }
    out
}

/// The files `fit` writes for hypothesis `name`, by file name, the report last:
/// `name.fit.pathway`, `name.calibrated.json` and `name.report.md`.
pub fn files(
    name: &str,
    model: &Model,
    fit: &Fit,
    cal: &Calibrated,
    made: &Made,
) -> [(String, String); 3] {
    let mut json = serde_json::to_string_pretty(cal).unwrap_or_default();
    json.push('\n');
    [
        (format!("{name}.fit.pathway"), fit_pathway(model, fit, made)),
        (format!("{name}.calibrated.json"), json),
        (format!("{name}.report.md"), report(name, fit, cal)),
    ]
}

/// The report of one hypothesis's fit and calibrated ensemble.
pub fn report(name: &str, fit: &Fit, cal: &Calibrated) -> String {
    let n = fit.expectations.len();
    let held = fit.best.passes.iter().filter(|&&p| p).count();
    let mut out = format!(
        "{name}: {held} of {n} expectations hold at the best fit (score {}), {} evaluations from {} starts\n",
        show(round(fit.best.score)),
        fit.evaluations,
        fit.starts.len()
    );
    out.push_str(&format!(
        "  at the declared values: score {}, {} of {n} hold\n",
        show(round(fit.declared().score)),
        fit.declared().passes.iter().filter(|&&p| p).count()
    ));
    let starts: Vec<String> = fit
        .starts
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let from = if k == 0 { "declared" } else { "random" };
            format!(
                "{from} {} ({} evaluations)",
                show(round(s.best.score)),
                s.evaluations
            )
        })
        .collect();
    out.push_str(&format!("  best score per start: {}\n", starts.join(", ")));
    let within = if cal.threshold <= 0.0 {
        "each meeting every expectation".to_string()
    } else {
        format!(
            "none meets every expectation, so each within {} of the best score",
            show(round(cal.threshold))
        )
    };
    out.push_str(&format!(
        "  calibrated ensemble: {} distinct sets, {within}; acceptance {:.2}, {} evaluations\n",
        cal.sets.len(),
        cal.acceptance,
        cal.evaluations
    ));
    if !fit.failures.is_empty() {
        let total: usize = fit.failures.values().sum();
        out.push_str(&format!(
            "  {total} of the fit's evaluations could not run every experiment:\n"
        ));
        for (cause, count) in &fit.failures {
            out.push_str(&format!("    {count:>5}  {cause}\n"));
        }
    }
    out.push('\n');
    let width = fit
        .expectations
        .iter()
        .map(|e| e.chars().count())
        .max()
        .unwrap_or(0)
        .max("expectation".len());
    out.push_str(&format!(
        "  {:<width$}  calibrated  smallest violation\n",
        "expectation"
    ));
    let shares = cal.pass_shares();
    for ((text, share), smallest) in fit.expectations.iter().zip(&shares).zip(&fit.smallest) {
        let smallest = if smallest.is_finite() {
            format!("{:.3}", round(*smallest))
        } else {
            "no number".to_string()
        };
        out.push_str(&format!(
            "  {text:<width$}  {:>9.0}%  {smallest:>18}\n",
            100.0 * share
        ));
    }
    out.push('\n');
    if fit.conflicts.is_empty() {
        out.push_str("  conflicts: none; every expectation holds at the best fit\n");
    } else {
        out.push_str("  conflicts: expectations the best fit leaves unmet\n");
        for c in &fit.conflicts {
            let text = &fit.expectations[c.expectation];
            match &c.breaks {
                None => out.push_str(&format!(
                    "  - `{text}` is met by no set the fit tried (violation {:.3} at the best fit)\n",
                    round(c.violation)
                )),
                Some(breaks) if breaks.is_empty() => out.push_str(&format!(
                    "  - `{text}` (violation {:.3}) is met elsewhere at a higher total score\n",
                    round(c.violation)
                )),
                Some(breaks) => {
                    let names: Vec<String> = breaks
                        .iter()
                        .map(|&o| format!("`{}`", fit.expectations[o]))
                        .collect();
                    let verb = if names.len() == 1 { "fails" } else { "fail" };
                    out.push_str(&format!(
                        "  - `{text}` (violation {:.3}) is met only where {} {verb}\n",
                        round(c.violation),
                        names.join(", ")
                    ));
                }
            }
        }
    }
    let spans = cal.spans();
    let mut pinned = Vec::new();
    let mut loose = Vec::new();
    for (f, s) in fit.free.iter().zip(&spans) {
        let item = format!("{} {:.0}%", f.name, 100.0 * s);
        if *s < PINNED {
            pinned.push(item);
        } else {
            loose.push(item);
        }
    }
    out.push_str(&format!(
        "\n  the share of its {} each parameter spans across the calibrated ensemble:\n",
        "(log-)range"
    ));
    out.push_str(&format!(
        "  pinned (< {:.0}%): {}\n",
        100.0 * PINNED,
        list(&pinned)
    ));
    out.push_str(&format!(
        "  left free (≥ {:.0}%): {}\n",
        100.0 * PINNED,
        list(&loose)
    ));
    out
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// A score or violation to the digits a report shows, without a negative zero.
fn round(x: f64) -> f64 {
    let r = (x * 1e4).round() / 1e4;
    if r == 0.0 { 0.0 } else { r }
}
