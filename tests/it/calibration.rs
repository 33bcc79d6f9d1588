//! Calibrated ensembles, shipped and made up. The shipped calibration is checked like a
//! snapshot: the committed sets of each hypothesis's calibrated ensemble (every one of
//! the base's, every fourth of a rival's), applied to the model as it is now, give the
//! verdicts recorded with them, and where the fit found sets meeting every expectation,
//! every committed set still meets every one. A model edit that breaks the calibration
//! fails here; `pathrules fit` writes it anew. `ensemble --calibrated` is run on a small
//! project whose sets' verdicts are known by hand.

use std::path::Path;

use pathrules::analysis::calibration;
use pathrules::syntax::{Sources, render};
use rayon::prelude::*;

use crate::cli::{TempDir, pathrules};

#[test]
fn every_committed_calibrated_set_gives_its_recorded_verdicts() {
    let manifest = Path::new("pathrules.toml");
    let project =
        pathrules::project::load(manifest, &mut pathrules::FsLoader, &|p: &Path| p.is_file())
            .unwrap_or_else(|_| panic!("the shipped manifest loads"));
    let dir = project.manifest.calibration_dir(&project.dir);
    let base = &project.hypotheses[0].name;
    // The base's calibration must be there, or this test would pass on nothing.
    let base_file = dir.join(format!("{base}.calibrated.json"));
    assert!(
        base_file.is_file(),
        "{} is missing; run `pathrules fit --hypothesis {base}`",
        base_file.display()
    );
    for h in &project.hypotheses {
        let path = dir.join(format!("{}.calibrated.json", h.name));
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a readable calibration");
        let mut sources = Sources::new();
        let file = sources.add(path.display().to_string(), &path, text.clone());
        let cal = calibration::read(file, &text, &h.name, &h.checked)
            .unwrap_or_else(|d| panic!("{}", render(&d, &sources, false)));
        let texts: Vec<&str> = h
            .checked
            .model
            .expectations
            .iter()
            .map(|x| x.text.as_str())
            .collect();
        if cal.threshold == 0.0 {
            assert!(
                cal.passes.iter().flatten().all(|&p| p),
                "{}: a calibration whose sets meet every expectation records a failing one",
                h.name
            );
        }
        let settings = &project.manifest.settings;
        // Every set of the base, which meets every expectation; every fourth of a rival,
        // whose sets are the best it can do, to keep the test within a CI run's minutes.
        let stride = if &h.name == base { 1 } else { 4 };
        let sets = calibration::named_sets(&cal);
        let wrong: Vec<String> = sets
            .par_iter()
            .zip(&cal.passes)
            .enumerate()
            .filter(|(k, _)| k % stride == 0)
            .filter_map(|(k, (set, recorded))| {
                let sampled = h.checked.with_params(set).expect("a committed set applies");
                let mut passes = vec![false; texts.len()];
                for v in pathrules::analysis::expectations(&sampled, settings) {
                    passes[v.expectation.index()] = v.pass;
                }
                if cal.threshold == 0.0 && passes.iter().any(|p| !p) {
                    return Some(format!("set {k} no longer meets every expectation"));
                }
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
    }
}

/// A one-species model at steady state `A = k_make / k_loss` (the run starts from it, so
/// `amount` is that ratio at every time), judged on `A > 1` and `A < 1.8`.
const BASE: &str = "units time = min, concentration = uM
species A = 1 uM
param k_make = 0.1 uM/min in [0.05, 0.2] uM/min \"assumption\"
param k_loss = 0.1 /min in [0.05, 0.2] /min \"assumption\"
make: -> A ; k_make
loss: A -> @ k_loss
";

const JUDGE: &str = "import \"base.pathway\"
readout amount = A
experiment rest { run 1 h every 10 min }
expect rest: amount at 60 min > 1 \"assumption\"
expect rest: amount at 60 min < 1.8 \"assumption\"
";

/// A rival whose loss may be faster.
const FASTER: &str = "import \"base.pathway\"
override param k_loss = 0.3 /min in [0.1, 0.4] /min \"hypothesis\"
";

/// A calibrated ensemble as `fit` writes it, of `hypothesis` with ranges `[lo, hi]` of
/// k_make and k_loss, holding `sets` with their recorded `passes`.
fn calibrated(
    hypothesis: &str,
    loss: (f64, f64),
    sets: &[[f64; 2]],
    passes: &[[bool; 2]],
) -> String {
    let value = serde_json::json!({
        "schema_version": pathrules::analysis::fit::SCHEMA_VERSION,
        "hypothesis": hypothesis,
        "seed": 1,
        "free": [
            {"name": "k_make", "lo": 0.05, "hi": 0.2, "start": 0.1, "log": false},
            {"name": "k_loss", "lo": loss.0, "hi": loss.1, "start": 0.1, "log": false}
        ],
        "expectations": ["rest: amount at 60 min > 1", "rest: amount at 60 min < 1.8"],
        "threshold": 0.5,
        "acceptance": 0.25,
        "evaluations": 40,
        "sets": sets,
        "passes": passes
    });
    serde_json::to_string_pretty(&value).expect("json")
}

/// The project of `BASE` and `FASTER`, its calibration in `cal/` (the manifest's
/// `[calibration] dir`): the base's four sets give A = 2, 0.5, 1.5 and 0.5, the rival's
/// two A = 0.5 and 2.
fn project(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    dir.write("base.pathway", BASE);
    dir.write("judge.pathway", JUDGE);
    dir.write("faster.pathway", FASTER);
    dir.write(
        "pathrules.toml",
        "base = \"base\"\njudge = [\"judge.pathway\"]\n[hypotheses]\nbase = \"base.pathway\"\nfaster = \"faster.pathway\"\n[calibration]\ndir = \"cal\"\n",
    );
    std::fs::create_dir_all(dir.0.join("cal")).expect("a folder");
    dir.write(
        "cal/base.calibrated.json",
        &calibrated(
            "base",
            (0.05, 0.2),
            &[[0.2, 0.1], [0.1, 0.2], [0.15, 0.1], [0.05, 0.1]],
            &[[true, false], [false, true], [true, true], [false, true]],
        ),
    );
    dir.write(
        "cal/faster.calibrated.json",
        &calibrated(
            "faster",
            (0.1, 0.4),
            &[[0.05, 0.1], [0.2, 0.1]],
            &[[false, true], [true, false]],
        ),
    );
    dir
}

/// Each hypothesis is judged on its own sets: the base passes `A > 1` in 2 of its 4 sets
/// and `A < 1.8` in 3; the rival each in 1 of its 2.
#[test]
fn ensemble_calibrated_judges_each_hypothesis_on_its_own_sets() {
    let dir = project("calibrated");
    let run = pathrules(&["ensemble", "--calibrated"], Some(&dir.0));
    run.assert_exit(0);
    let row = |text: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(text))
            .map(|l| l.split_whitespace().rev().take(2).collect::<Vec<_>>())
            .unwrap_or_else(|| panic!("no row `{text}` in\n{}", run.stdout))
    };
    // The columns read right to left: faster, then base.
    assert_eq!(
        row("rest: amount at 60 min > 1"),
        ["50%", "50%"],
        "{}",
        run.stdout
    );
    assert_eq!(
        row("rest: amount at 60 min < 1.8"),
        ["50%", "75%"],
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("calibrated ensemble"), "{}", run.stdout);
}

/// A hypothesis without a calibrated file is named with the fit that writes it, and a
/// broken file is shown at its place; both are reported in one run, and nothing is judged.
#[test]
fn ensemble_calibrated_names_every_missing_or_broken_file() {
    let dir = project("calibrated-missing");
    std::fs::remove_file(dir.0.join("cal/faster.calibrated.json")).expect("removed");
    let text = std::fs::read_to_string(dir.0.join("cal/base.calibrated.json")).expect("read");
    dir.write("cal/base.calibrated.json", &text.replacen("0.15", "0.5", 1));
    let run = pathrules(&["ensemble", "--calibrated"], Some(&dir.0));
    run.assert_exit(1);
    assert_eq!(run.stdout, "");
    let err = &run.stderr;
    assert!(
        err.contains(
            "error: `faster` has no calibrated ensemble: `./cal/faster.calibrated.json` does not exist"
        ),
        "{err}"
    );
    assert!(err.contains("help: run `pathrules fit` first"), "{err}");
    assert!(
        err.contains("error: set 2: `k_make` = 0.5 is outside its range [0.05, 0.2]"),
        "{err}"
    );
    assert!(err.contains("base.calibrated.json:"), "{err}");
    assert!(err.contains("error: found 2 problems"), "{err}");
}

/// A calibrated ensemble is judged whole: `--shard` and `--out` are usage errors with
/// `--calibrated`, before any file is read.
#[test]
fn ensemble_calibrated_refuses_shards() {
    let dir = project("calibrated-shard");
    for extra in [["--shard", "1/2"], ["--out", "r.json"]] {
        let mut args = vec!["ensemble", "--calibrated"];
        args.extend(extra);
        let run = pathrules(&args, Some(&dir.0));
        run.assert_exit_for(2, extra[0]);
        assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    }
    assert!(!dir.0.join("r.json").exists());
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
