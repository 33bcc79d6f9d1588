//! The shipped model's predictions as reviewable text: every experiment's readouts on a
//! fixed grid and the `pathrules test` table, to four significant digits. A change to
//! a pathway file that moves a prediction shows up here as a snapshot diff.

use pathrules::analysis;
use pathrules::experiment::predict;
use pathrules::output::verdict::{sig4, table};
use pathrules::solve::Settings;

/// The shipped files that define experiments, with their checked models.
fn with_experiments() -> Vec<(String, pathrules::Checked)> {
    let mut out = Vec::new();
    for path in crate::fmt::pathway_files("pathways") {
        let (sources, result) = pathrules::check(&path, &mut pathrules::FsLoader);
        let checked =
            result.unwrap_or_else(|d| panic!("{}", pathrules::syntax::render(&d, &sources, false)));
        if !checked.model.experiments.is_empty() {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push((stem, checked));
        }
    }
    out
}

/// Seven points from the start to the end of each experiment, every readout at each.
#[test]
fn every_experiment_on_a_fixed_grid() {
    let settings = Settings::default();
    for (stem, c) in with_experiments() {
        let model = &c.model;
        let unit = model.units.time.as_str();
        let mut text = String::new();
        for e in &model.experiments {
            let grid: Vec<f64> = (0..=6).map(|k| e.until * k as f64 / 6.0).collect();
            let p = predict(model, &c.system, e, &grid, &settings)
                .unwrap_or_else(|err| panic!("{err}"));
            text.push_str(&e.name);
            if let Some(g) = &p.genotype {
                text.push_str(&format!(" [{g}]"));
            }
            text.push('\n');
            text.push_str(&format!("  {:>10}", format!("t ({unit})")));
            for r in &model.readouts {
                text.push_str(&format!("  {:>12}", r.name));
            }
            text.push('\n');
            for &t in &grid {
                text.push_str(&format!("  {:>10}", sig4(t)));
                for r in 0..model.readouts.len() {
                    text.push_str(&format!("  {:>12}", sig4(p.readout_at(r, t))));
                }
                text.push('\n');
            }
        }
        insta::assert_snapshot!(format!("predictions_{stem}"), text);
    }
}

/// The table `pathrules test` prints for each shipped file with expectations, and
/// every expectation passes.
#[test]
fn every_expectation_of_the_shipped_model_passes() {
    let settings = Settings::default();
    for (stem, c) in with_experiments() {
        let verdicts = analysis::expectations(&c, &settings);
        let text = table(&c.model, &verdicts);
        insta::assert_snapshot!(format!("test_table_{stem}"), text);
        let failed: Vec<&str> = verdicts
            .iter()
            .filter(|v| !v.pass)
            .map(|v| c.model.expectations[v.expectation].text.as_str())
            .collect();
        assert!(failed.is_empty(), "{stem}: failed {failed:#?}\n{text}");
    }
}
