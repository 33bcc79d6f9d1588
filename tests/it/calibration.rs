//! The shipped calibration is checked like a snapshot: the committed sets of each
//! hypothesis's calibrated ensemble (every one of the base's, every fourth of a
//! rival's), applied to the model as it is now, give the verdicts recorded with them,
//! and where the fit found sets meeting every expectation, every committed set still
//! meets every one. A model edit that breaks the calibration
//! fails here; `pathrules fit` writes it anew.

use std::path::Path;

use pathrules::analysis::fit::Calibrated;
use rayon::prelude::*;

#[test]
fn every_committed_calibrated_set_gives_its_recorded_verdicts() {
    let manifest = Path::new("pathrules.toml");
    let project =
        pathrules::project::load(manifest, &mut pathrules::FsLoader, &|p: &Path| p.is_file())
            .unwrap_or_else(|_| panic!("the shipped manifest loads"));
    let dir = project.manifest.calibration_dir(&project.dir);
    let mut checked_sets = 0;
    for h in &project.hypotheses {
        let path = dir.join(format!("{}.calibrated.json", h.name));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run `pathrules fit`", path.display()));
        let cal = Calibrated::from_json(&text, &h.name, &h.checked)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(cal.sets.len() >= 200, "{}: {} sets", h.name, cal.sets.len());
        let texts: Vec<&str> = h
            .checked
            .model
            .expectations
            .iter()
            .map(|x| x.text.as_str())
            .collect();
        assert_eq!(
            cal.expectations, texts,
            "{}: the expectations changed",
            h.name
        );
        if cal.threshold == 0.0 {
            assert!(cal.passes.iter().flatten().all(|&p| p), "{}", h.name);
        }
        let settings = &project.manifest.settings;
        // Every set of the base, which meets every expectation; every fourth of a rival,
        // whose sets are the best it can do, to keep the test within a CI run's minutes.
        let stride = if h.name == project.hypotheses[0].name {
            1
        } else {
            4
        };
        let sets = cal.named_sets();
        let wrong: Vec<String> = sets
            .par_iter()
            .zip(&cal.passes)
            .enumerate()
            .filter(|(k, _)| k % stride == 0)
            .filter_map(|(k, (set, recorded))| {
                let sampled = h.checked.with_params(set).expect("a committed set applies");
                let verdicts = pathrules::analysis::expectations(&sampled, settings);
                let passes: Vec<bool> = verdicts.iter().map(|v| v.pass).collect();
                (&passes != recorded).then(|| {
                    let changed: Vec<&str> = (0..passes.len())
                        .filter(|&e| passes[e] != recorded[e])
                        .map(|e| texts[e])
                        .collect();
                    format!("set {k}: {}", changed.join("; "))
                })
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "{}: committed sets whose verdicts changed (run `pathrules fit` again):\n{}",
            h.name,
            wrong.join("\n")
        );
        checked_sets += cal.sets.len().div_ceil(stride);
    }
    assert!(checked_sets >= 300, "{checked_sets}");
}

/// Every excerpt of a committed report that README.md shows (a ```text block after a
/// `<!-- calibration/H.report.md -->` line) is in that report, line by line in order,
/// a `…` line standing for any lines.
#[test]
fn readme_excerpts_of_the_calibration_reports_are_the_committed_reports() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let mut lines = readme.lines();
    let mut excerpts = 0;
    while let Some(line) = lines.next() {
        let Some(file) = line
            .strip_prefix("<!-- ")
            .and_then(|l| l.strip_suffix(" -->"))
            .filter(|f| f.starts_with("calibration/"))
        else {
            continue;
        };
        assert_eq!(lines.next(), Some("```text"), "{file}");
        let report = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut at = report.lines();
        for shown in lines.by_ref().take_while(|l| *l != "```") {
            if shown == "…" {
                continue;
            }
            assert!(
                at.by_ref().any(|l| l == shown),
                "README shows a line that {file} does not have (in this order):\n{shown}"
            );
        }
        excerpts += 1;
    }
    assert!(excerpts >= 3, "{excerpts}");
}
