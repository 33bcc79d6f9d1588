//! `pathrules fit`: the search recovers the parameters of a model whose trajectory is
//! known exactly from expectations that model itself makes, writes a fit file that
//! passes when tested, a calibrated ensemble whose sets all meet every expectation, and
//! gives the same files whatever the number of threads; bad requests are clear errors.

use crate::cli::{TempDir, pathrules};

/// A(t) of `decay` is known in closed form: the steady state s/k before the drug, then
/// a relaxation at rate 2k towards s/(2k). At s = 0.5 uM/min and k = 0.25 /min,
/// A(0) = 2 uM and A(2 min) = 1 + e^(−1) uM. The declared values (s = 1.5, k = 1) are
/// far from those, and both are needed: A(0) pins s/k, A(2 min) pins k.
const DECAY: &str = "\
units time = min, concentration = uM
input drug = 0
param s = 1.5 uM/min in [0.05, 5] uM/min \"assumption: synthesis\"
param k = 1 /min in [0.02, 2] /min \"assumption: loss\"
species A = 1.5 uM
make: -> A ; s
loss: A -> ; k * A * (1 + drug)
";

const JUDGE: &str = "\
import \"decay.pathway\"
readout level = A
experiment pulse { at 0 min set drug = 1; run 10 min every 0.5 min }
expect pulse: level at 0 min ≈ 2 within 0.2% \"A(0) = s/k\"
expect pulse: level at 2 min ≈ 1.367879 within 0.2% \"A(2) = s/(2k) (1 + e^(-2k·2))\"
";

const MANIFEST: &str = "\
base = \"decay\"
judge = [\"judge.pathway\"]
[hypotheses]
decay = \"decay.pathway\"
";

fn project(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    dir.write("decay.pathway", DECAY);
    dir.write("judge.pathway", JUDGE);
    dir.write("pathrules.toml", MANIFEST);
    dir
}

/// The value a fit file gives parameter `name`.
fn fitted(text: &str, name: &str) -> f64 {
    let prefix = format!("override param {name} = ");
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no override of `{name}` in\n{text}"));
    line.split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no number in `{line}`"))
}

#[test]
fn fit_recovers_the_parameters_that_made_the_expectations() {
    let dir = project("fit-recovers");
    let run = pathrules(
        &["fit", "--budget", "3000", "--samples", "30", "--seed", "3"],
        Some(&dir.0),
    );
    run.assert_exit(0);
    assert!(
        run.stdout
            .starts_with("decay: 2 of 2 expectations hold at the best fit (score 0)"),
        "{}",
        run.stdout
    );
    let text = std::fs::read_to_string(dir.0.join("calibration/decay.fit.pathway")).unwrap();
    let (s, k) = (fitted(&text, "s"), fitted(&text, "k"));
    // Within 0.2% on A(0) and A(2 min), s and k are held to about 1%.
    assert!((s - 0.5).abs() / 0.5 < 0.03, "s = {s}\n{text}");
    assert!((k - 0.25).abs() / 0.25 < 0.03, "k = {k}\n{text}");
    assert!(
        text.contains("\"fitted: pathrules fit seed 3, range [0.05, 5] uM/min, declared 1.5\""),
        "{text}"
    );
    // The fit file imports the hypothesis and its judge files, and passes as it stands.
    let test = pathrules(&["test", "calibration/decay.fit.pathway"], Some(&dir.0));
    test.assert_exit(0);
    assert!(
        test.stdout.contains("2 passed, 0 failed"),
        "{}",
        test.stdout
    );
    let json = std::fs::read_to_string(dir.0.join("calibration/decay.calibrated.json")).unwrap();
    let cal: serde_json::Value = serde_json::from_str(&json).unwrap();
    let sets = cal["sets"].as_array().unwrap();
    assert_eq!(sets.len(), 30, "{json}");
    assert_eq!(cal["threshold"], 0.0);
    for (k, passes) in cal["passes"].as_array().unwrap().iter().enumerate() {
        assert_eq!(passes, &serde_json::json!([true, true]), "set {k}");
    }
    let report = std::fs::read_to_string(dir.0.join("calibration/decay.report.md")).unwrap();
    assert_eq!(report, run.stdout);
}

/// A seed gives the same files on one thread as on many.
#[test]
fn fit_gives_the_same_files_on_any_number_of_threads() {
    let dir = project("fit-threads");
    let args = ["fit", "--budget", "120", "--samples", "10", "--seed", "9"];
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pathrules"));
        command
            .args(args)
            .args(["-o", threads])
            .env("RAYON_NUM_THREADS", threads)
            .current_dir(&dir.0);
        let out = command.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let read = |f: &str| std::fs::read_to_string(dir.0.join(threads).join(f)).unwrap();
        outputs.push((
            read("decay.fit.pathway"),
            read("decay.calibrated.json"),
            read("decay.report.md"),
        ));
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn fit_refuses_a_budget_of_zero_and_an_unknown_hypothesis() {
    let dir = project("fit-flags");
    let run = pathrules(&["fit", "--budget", "0"], Some(&dir.0));
    run.assert_exit(2);
    assert!(
        run.stderr
            .contains("a budget of 0 evaluations cannot search"),
        "{}",
        run.stderr
    );
    let run = pathrules(&["fit", "--hypothesis", "decai"], Some(&dir.0));
    run.assert_exit(2);
    assert!(
        run.stderr.contains("no hypothesis is named `decai`"),
        "{}",
        run.stderr
    );
    assert!(!dir.0.join("calibration").exists());
}

#[test]
fn fit_of_a_model_without_ranges_says_what_to_add() {
    let dir = project("fit-no-ranges");
    dir.write(
        "decay.pathway",
        &DECAY
            .replace(" in [0.05, 5] uM/min", "")
            .replace(" in [0.02, 2] /min", ""),
    );
    let run = pathrules(&["fit"], Some(&dir.0));
    run.assert_exit(1);
    assert!(
        run.stderr
            .contains("cannot fit `decay`: no parameter has a range to search"),
        "{}",
        run.stderr
    );
    assert!(!dir.0.join("calibration/decay.fit.pathway").exists());
}

/// A fit of a hypothesis that itself overrides a parameter writes a file that overrides
/// it again: the file that imports the hypothesis has the last word.
#[test]
fn a_fit_file_overrides_what_its_hypothesis_overrides() {
    let dir = project("fit-override");
    dir.write(
        "slower.pathway",
        "import \"decay.pathway\"\noverride param k = 0.5 /min in [0.02, 2] /min \"hypothesis\"\n",
    );
    dir.write(
        "pathrules.toml",
        "base = \"decay\"\njudge = [\"judge.pathway\"]\n[hypotheses]\ndecay = \"decay.pathway\"\nslower = \"slower.pathway\"\n",
    );
    let run = pathrules(
        &[
            "fit",
            "--hypothesis",
            "slower",
            "--budget",
            "300",
            "--samples",
            "5",
        ],
        Some(&dir.0),
    );
    run.assert_exit(0);
    let test = pathrules(&["test", "calibration/slower.fit.pathway"], Some(&dir.0));
    assert!(
        test.stdout.contains(" passed, "),
        "{}\n{}",
        test.stdout,
        test.stderr
    );
    // Twice in one file is still an error.
    dir.write(
        "twice.pathway",
        "import \"decay.pathway\"\noverride param k = 0.5 /min\noverride param k = 0.6 /min\n",
    );
    let check = pathrules(&["check", "twice.pathway"], Some(&dir.0));
    check.assert_exit(1);
    assert!(
        check.stderr.contains("`k` is defined twice"),
        "{}",
        check.stderr
    );
}

/// `ensemble --calibrated` judges the fitted sets, and refuses a calibrated file that is
/// missing or no longer matches the model, saying to fit again.
#[test]
fn ensemble_calibrated_judges_the_fitted_sets_and_refuses_a_stale_file() {
    let dir = project("fit-ensemble");
    let missing = pathrules(&["ensemble", "--calibrated"], Some(&dir.0));
    missing.assert_exit(1);
    assert!(
        missing
            .stderr
            .contains("`decay` has no calibrated ensemble")
            && missing.stderr.contains("run `pathrules fit` first"),
        "{}",
        missing.stderr
    );
    pathrules(
        &["fit", "--budget", "3000", "--samples", "20"],
        Some(&dir.0),
    )
    .assert_exit(0);
    let run = pathrules(&["ensemble", "--calibrated"], Some(&dir.0));
    run.assert_exit(0);
    assert!(
        run.stdout
            .starts_with("20 sets of each hypothesis's calibrated ensemble; share of sets passing"),
        "{}",
        run.stdout
    );
    let rows: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("pulse:"))
        .collect();
    assert_eq!(rows.len(), 2, "{}", run.stdout);
    assert!(rows.iter().all(|r| r.ends_with("100%")), "{}", run.stdout);
    // A set moved outside its range is named, with what to do.
    let path = dir.0.join("calibration/decay.calibrated.json");
    let mut cal: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    cal["sets"][3][0] = serde_json::json!(50.0);
    std::fs::write(&path, cal.to_string()).unwrap();
    let stale = pathrules(&["ensemble", "--calibrated"], Some(&dir.0));
    stale.assert_exit(1);
    assert!(
        stale
            .stderr
            .contains("set 3: `s` = 50 is outside its range [0.05, 5]")
            && stale
                .stderr
                .contains("run `pathrules fit --hypothesis decay` again"),
        "{}",
        stale.stderr
    );
    // Records of a shard are the prior's; a calibrated run has none.
    pathrules(
        &["ensemble", "--calibrated", "--shard", "1/2"],
        Some(&dir.0),
    )
    .assert_exit(2);
}

/// A hypothesis that cannot run at its declared values gives the fit no start.
#[test]
fn fit_of_a_model_that_fails_at_its_declared_values_says_so() {
    let dir = project("fit-fails");
    dir.write(
        "decay.pathway",
        &DECAY.replace("make: -> A ; s", "make: -> A ; s * 1 /min / (k - 1 /min)"),
    );
    let run = pathrules(&["fit", "--budget", "50"], Some(&dir.0));
    run.assert_exit(1);
    assert!(
        run.stderr
            .contains("cannot fit `decay`: the hypothesis fails to run at its declared values"),
        "{}",
        run.stderr
    );
}
