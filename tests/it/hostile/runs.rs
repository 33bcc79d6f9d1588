//! Runs of many models: `compare`, `report`, `ensemble` and `merge` on manifests and
//! record files a hostile user wrote. A manifest's mistake is an error at its key, an
//! evaluation that stops is an error naming the hypothesis, a failed cell says why, and a
//! shard's records are checked against the run they claim to come from.

use crate::cli::{Run, TempDir, pathrules};

/// A model with two drugs, each raising `A`, and ranges on both rate constants.
const BASE: &str = "\
units time = min, concentration = uM
input drug = 0 uM
input other = 0 uM
species A = 1 uM
param k_make = 0.1 uM/min in [0.05, 0.2] uM/min \"assumption\"
param k_loss = 0.1 /min in [0.05, 0.2] /min \"assumption\"
make: -> A ; k_make * (1 + drug / 1 uM + other / 1 uM)
loss: A -> @ k_loss
";

/// Experiments and expectations on `BASE`.
const JUDGE: &str = "\
import \"base.pathway\"
readout level = 100 * A / baseline(A)
readout amount = A
experiment pulse { at 0 min set drug = 1 uM; run 1 h every 10 min }
experiment second { at 0 min set other = 1 uM; run 1 h every 10 min }
expect pulse: level at 30 min > 180 \"assumption\"
expect pulse: amount at 60 min > 1.5 \"assumption\"
";

/// The manifest's first lines: a base and one alternative.
const MANIFEST: &str = "\
base = \"base\"
judge = [\"judge.pathway\"]
[hypotheses]
base = \"base.pathway\"
faster = \"faster.pathway\"
";

/// A project folder with `BASE`, `JUDGE`, a faster-loss hypothesis and `MANIFEST`
/// followed by `tables`.
fn project(name: &str, tables: &str) -> TempDir {
    let dir = TempDir::new(name);
    dir.write("base.pathway", BASE);
    dir.write("judge.pathway", JUDGE);
    dir.write(
        "faster.pathway",
        "import \"base.pathway\"\noverride param k_loss = 0.3 /min \"hypothesis\"\n",
    );
    dir.write("pathrules.toml", &format!("{MANIFEST}{tables}"));
    dir
}

fn compare(dir: &TempDir) -> Run {
    pathrules(&["compare"], Some(&dir.0))
}

/// `[occlusion] at = "1e300 min"` made every worker panic on a grid it could not
/// allocate; `compare` then printed a scorecard of 0 expectations and exited 0.
#[test]
fn occlusion_at_past_the_runs_is_an_error_at_its_key_not_an_empty_scorecard() {
    let dir = project(
        "occlusion-at-huge",
        "[occlusion]\nreadout = \"level\"\nat = \"1e300 min\"\nexperiments = [\"pulse\", \"second\"]\n",
    );
    let run = compare(&dir);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "error: [occlusion] at `1e300 min` is after the end of experiment `pulse` (60 min)\n  ┌─ pathrules.toml:8:6\n"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("choose at most 60 min"),
        "{}",
        run.stderr
    );
    for at in ["-5 min", "inf", "5 uM", "soon"] {
        dir.write(
            "pathrules.toml",
            &format!(
                "{MANIFEST}[occlusion]\nreadout = \"level\"\nat = \"{at}\"\nexperiments = [\"pulse\", \"second\"]\n"
            ),
        );
        let run = compare(&dir);
        assert_eq!(run.code, 1, "{at}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: [occlusion] at `")
                && run.stderr.contains("pathrules.toml:8:6"),
            "{at}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    // Within the runs, the same table is judged and its matrix filled.
    dir.write(
        "pathrules.toml",
        &format!(
            "{MANIFEST}[occlusion]\nreadout = \"level\"\nat = \"30 min\"\nexperiments = [\"pulse\", \"second\"]\n"
        ),
    );
    let run = compare(&dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("2 hypotheses, judged on 2 expectations"),
        "{}",
        run.stdout
    );
}

/// An occlusion expectation read long after a run with a fine grid lengthened that run
/// at its own interval: a grid of 10¹⁰ times, and the process aborted.
#[test]
fn occlusion_read_far_past_a_fine_grid_runs_without_the_grid() {
    let dir = TempDir::new("occlusion-fine-grid");
    dir.write("base.pathway", BASE);
    dir.write(
        "judge.pathway",
        "import \"base.pathway\"
readout level = 100 * A / baseline(A)
experiment pulse { at 0 min set drug = 1 uM; run 10 min every 0.001 min }
experiment second { at 0 min set other = 1 uM; run 1e7 min every 1e6 min }
expect occlusion(pulse, second, level at 1e7 min) < 2 \"assumption\"
",
    );
    let run = pathrules(&["test", "judge.pathway"], Some(&dir.0));
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.ends_with("1 passed, 0 failed\n"),
        "{}",
        run.stdout
    );
}

/// `[occlusion]` naming an experiment or readout the models lack was reported under the
/// matrix as a bare "no experiment", and `[ensemble] distributions` with a misspelt
/// parameter was accepted and drew it from the default.
#[test]
fn unknown_names_in_the_manifest_are_errors_at_their_keys_with_a_close_name() {
    let dir = project(
        "manifest-names",
        "[occlusion]\nreadout = \"levl\"\nat = \"30 min\"\nexperiments = [\"pulse\", \"secnd\"]\n\
         [ensemble]\ndistributions = { k_los = \"uniform\", k_make = \"normal\" }\n",
    );
    for args in [&["compare"][..], &["ensemble", "--samples", "2"]] {
        let run = pathrules(args, Some(&dir.0));
        assert_eq!(run.code, 1, "{}", run.stderr);
        let expected = [
            "error: [occlusion] readout `levl` is not a readout of the models",
            "  ┌─ pathrules.toml:7:11",
            "  = help: did you mean `level`?",
            "error: [occlusion] experiment `secnd` is not defined",
            "  ┌─ pathrules.toml:9:25",
            "  = help: did you mean `second`?",
            "error: [ensemble] distributions: no parameter `k_los`",
            "   ┌─ pathrules.toml:11:19",
            "   = help: did you mean `k_loss`?",
            "error: found 3 problems",
        ];
        let mut at = 0;
        for line in expected {
            let found = run.stderr[at..].find(line);
            assert!(found.is_some(), "no `{line}` after {at} in\n{}", run.stderr);
            at += found.unwrap_or(0) + line.len();
        }
    }
    // A parameter without a range is named as such.
    dir.write(
        "base.pathway",
        &BASE.replace(
            "param k_loss = 0.1 /min in [0.05, 0.2] /min",
            "param k_loss = 0.1 /min",
        ),
    );
    dir.write(
        "pathrules.toml",
        &format!("{MANIFEST}[ensemble]\ndistributions = {{ k_loss = \"uniform\" }}\n"),
    );
    let run = pathrules(&["ensemble", "--samples", "2"], Some(&dir.0));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("error: [ensemble] distributions: parameter `k_loss` has no range\n"),
        "{}",
        run.stderr
    );
}

/// `merge` indexed a shard's `values` and `passes` without looking (a short array
/// panicked), and accepted `shard: [3, 2]`, an unknown `schema_version` and samples
/// without a value of some parameter (which silently changed the Spearman section).
#[test]
fn merge_checks_each_record_against_its_header_and_names_the_file_and_sample() {
    let dir = project("merge-corrupt", "");
    for k in 1..=2 {
        let (shard, out) = (format!("{k}/2"), format!("s{k}.json"));
        let args = [
            "ensemble",
            "--samples",
            "4",
            "--shard",
            &shard,
            "--out",
            &out,
        ];
        let run = pathrules(&args, Some(&dir.0));
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let good = pathrules(&["merge", "s1.json", "s2.json"], Some(&dir.0));
    assert_eq!(good.code, 0, "{}", good.stderr);
    let text = std::fs::read_to_string(dir.0.join("s2.json")).expect("records");
    let records: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    type Edit = fn(&mut serde_json::Value);
    let cases: [(&str, Edit, &str); 6] = [
        (
            "short values",
            |r| r["samples"][1]["values"][0] = serde_json::json!([]),
            "sample 3: its values are not one per expectation (2) for each hypothesis (2)",
        ),
        (
            "short passes",
            |r| r["samples"][0]["passes"] = serde_json::json!([[true, true]]),
            "sample 1: its passes are not one per expectation (2) for each hypothesis (2)",
        ),
        (
            "shard [3, 2]",
            |r| r["shard"] = serde_json::json!([3, 2]),
            "shard [3, 2] is not a shard K/N with 1 ≤ K ≤ N",
        ),
        (
            "another schema",
            |r| r["schema_version"] = serde_json::json!(99),
            "schema_version 99 is not 2",
        ),
        (
            "a parameter missing",
            |r| {
                if let Some(p) = r["samples"][0]["params"].as_object_mut() {
                    p.remove("k_loss");
                }
            },
            "sample 1 has no value of parameter `k_loss`",
        ),
        (
            "a sample of another shard",
            |r| r["samples"][0]["index"] = serde_json::json!(2),
            "sample 2 is not one of shard 2/2 of 4 samples",
        ),
    ];
    for (what, edit, message) in cases {
        let mut bad = records.clone();
        edit(&mut bad);
        dir.write("bad.json", &bad.to_string());
        let run = pathrules(&["merge", "s1.json", "bad.json"], Some(&dir.0));
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
        assert!(
            run.stderr
                .starts_with("error: `bad.json` is not the records of an ensemble shard: ")
                && run.stderr.contains(message),
            "{what}: {}",
            run.stderr
        );
    }
    // A missing shard is named by K/N, and one given twice is refused.
    let run = pathrules(&["merge", "s1.json"], Some(&dir.0));
    assert_eq!(
        run.stderr,
        "error: shard 2/2 is missing (sample 1 is in none of the files)\n"
    );
    let run = pathrules(&["merge", "s1.json", "s2.json", "s2.json"], Some(&dir.0));
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, "error: shard 2/2 is given twice\n");
}

/// `[solver] max_steps = 0` was accepted: every cell of the scorecard read `FAIL error`
/// with no reason, and `compare` exited 0. The other settings are held to the same
/// checks as their flags.
#[test]
fn solver_settings_of_the_manifest_are_checked_at_their_keys() {
    let dir = project("solver-settings", "[solver]\nmax_steps = 0\n");
    let run = compare(&dir);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.starts_with(
            "error: [solver] max_steps must be at least 1\n  ┌─ pathrules.toml:7:13\n"
        ),
        "{}",
        run.stderr
    );
    for (key, message) in [
        ("rtol = inf", "rtol must be between 0 and 1"),
        ("rtol = nan", "rtol must be between 0 and 1"),
        ("atol = 0.0", "atol must be a positive number"),
        ("atol = -inf", "atol must be a positive number"),
    ] {
        dir.write("pathrules.toml", &format!("{MANIFEST}[solver]\n{key}\n"));
        let run = compare(&dir);
        assert_eq!(run.code, 1, "{key}: {}", run.stderr);
        assert!(
            run.stderr.starts_with(&format!(
                "error: [solver] {message}\n  ┌─ pathrules.toml:7:"
            )),
            "{key}: {}",
            run.stderr
        );
    }
}

/// A cell whose experiment could not be run said `FAIL error` and no more, its advice
/// named `--max-steps` (a flag `compare` does not have), and `report` said only that
/// an experiment "could not be run".
#[test]
fn a_failed_cell_says_why_with_advice_for_the_manifest() {
    let dir = project("failed-cells", "[solver]\nmax_steps = 2\n");
    let run = compare(&dir);
    assert!(!run.stdout.contains("FAIL error"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("pulse: level at 30 min > 180   FAIL [1]     FAIL [2]\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("\n[1] base: experiment `pulse`: gave up after 2 steps at t = "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("\n    help: raise `[solver] max_steps`\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("--"), "{}", run.stdout);
    let json = pathrules(&["compare", "--format", "json"], Some(&dir.0));
    assert!(!json.stdout.contains("--max-steps"), "{}", json.stdout);
    assert!(
        json.stdout.contains("raise `[solver] max_steps`"),
        "{}",
        json.stdout
    );
    let report = pathrules(&["report", "-o", "r.html"], Some(&dir.0));
    assert_eq!(report.code, 1);
    assert!(
        report.stderr.starts_with(
            "error: the report needs every experiment of the base hypothesis `base`, and one \
             could not be run: experiment `pulse`: gave up after 2 steps"
        ) && report.stderr.contains("help: raise `[solver] max_steps`"),
        "{}",
        report.stderr
    );
    assert!(!dir.0.join("r.html").exists(), "a report was written");
}

/// Every piece of the solver's advice that names a flag has its manifest key, so no
/// error `compare` prints sends the user to a flag it does not have.
#[test]
fn solver_advice_names_manifest_keys_not_flags() {
    use pathrules::solve::{Method, SolveError, SolveErrorKind, Where};
    let name = || "A".to_string();
    let kinds = [
        SolveErrorKind::NonFinite {
            component: 0,
            name: name(),
        },
        SolveErrorKind::Negative {
            component: 0,
            name: name(),
            value: -1.0,
        },
        SolveErrorKind::StepSizeTooSmall {
            component: 0,
            name: name(),
        },
        SolveErrorKind::TooManySteps { limit: 2 },
        SolveErrorKind::BadSettings("rtol".to_string()),
        SolveErrorKind::Solver("no".to_string()),
    ];
    for kind in kinds {
        for method in [Method::Bdf, Method::Dopri5, Method::Dop853] {
            let e = SolveError {
                time: 1.0,
                kind: kind.clone(),
                method,
            };
            let advice = e.in_unit("").at(Where::Manifest).to_string();
            assert!(advice.contains("\nhelp: "), "{advice}");
            assert!(!advice.contains("--"), "{advice}");
        }
    }
}

/// A readout in percent of a baseline of 0 printed `inf` and a plain FAIL where the
/// README promises no number, and `test` counted it as failed.
#[test]
fn a_percent_of_a_zero_baseline_is_not_judged_and_says_why() {
    let dir = TempDir::new("zero-baseline");
    dir.write(
        "zero.pathway",
        "units time = min, concentration = uM
input drug = 0 uM
species A = 0 uM
make: -> A ; 1 uM/min * drug / 1 uM
loss: A -> @ 1 /min
readout A_pct = 100 * A / baseline(A)
experiment pulse { at 0 min set drug = 1 uM; run 1 h every 10 min }
expect pulse: A_pct at 30 min > 110 \"assumption\"
",
    );
    let run = pathrules(&["test", "zero.pathway"], Some(&dir.0));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stdout.contains("inf"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("\nn/a  pulse: A_pct at 30 min > 110  no number"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with(
            "not judged `pulse: A_pct at 30 min > 110`: no number: `A_pct` is relative to a \
             baseline, and in `pulse` its baseline is 0\n0 passed, 0 failed, 1 not judged\n"
        ),
        "{}",
        run.stdout
    );
}

/// Occlusion by an experiment that changes nothing divided by an effect of 0: `-inf`
/// or NaN, judged as a plain FAIL.
#[test]
fn occlusion_by_an_experiment_with_no_effect_is_not_judged_and_says_why() {
    let dir = TempDir::new("occlusion-no-effect");
    dir.write("base.pathway", BASE);
    dir.write(
        "judge.pathway",
        "import \"base.pathway\"
input nothing = 0 uM
readout level = 100 * A / baseline(A)
experiment pulse { at 0 min set drug = 1 uM; run 1 h every 10 min }
experiment inert { at 0 min set nothing = 1 uM; run 1 h every 10 min }
expect occlusion(pulse, inert, level at 30 min) > 0.5 \"assumption\"
",
    );
    let run = pathrules(&["test", "judge.pathway"], Some(&dir.0));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stdout.contains("inf"), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "no number: `inert` alone has no effect on `level` to compare with\n0 passed, 0 failed, 1 not judged\n"
        ),
        "{}",
        run.stdout
    );
}

/// Control characters in a model's strings reached the terminal as they were (`\x1b[2J`
/// clears it) and made the report's XHTML ill-formed (XML 1.0 forbids `\x01` even as a
/// character reference).
#[test]
fn control_characters_of_model_text_are_escaped_in_tables_and_the_report() {
    use pathrules::analysis::compare::{Hypothesis, compare};
    let text = format!("{BASE}{}", JUDGE.replace("import \"base.pathway\"\n", ""));
    let loaded = pathrules::model::load_str("m.pathway", &text);
    let mut model = loaded.model.expect("the model checks");
    let hostile = "clear\x1b[2J and \x01 and \u{202e}reversed\t";
    model.experiments[0].description = Some(hostile.to_string());
    model.expectations[0].note = Some(hostile.to_string());
    let checked = pathrules::finish(model).expect("the model compiles");
    let settings = pathrules::solve::Settings::default();
    let hypotheses = [Hypothesis {
        name: "base".to_string(),
        checked,
    }];
    let c = compare(&hypotheses, None, &settings, None).expect("evaluated");
    let model = &hypotheses[0].checked.model;
    let table = pathrules::output::verdict::table(model, &c.verdicts[0]);
    assert!(
        !table.chars().any(|c| c.is_control() && c != '\n'),
        "{table:?}"
    );
    assert!(
        table.contains("clear\\x1b[2J and \\x01 and \\u{202e}reversed\\x09"),
        "{table}"
    );
    let predictions: Vec<_> = model
        .experiments
        .iter()
        .map(|e| c.predictions[0][&e.name].clone())
        .collect();
    let html = pathrules::output::report::html(&pathrules::output::report::Report {
        title: "report \x1b\x01",
        model,
        verdicts: &c.verdicts[0],
        predictions: &predictions,
        comparison: &c,
        literature: None,
    });
    assert!(html.contains("clear\\x1b[2J and \\x01"), "not shown");
    let mut reader = quick_xml::Reader::from_str(&html);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Text(t)) => {
                let text = t.decode().expect("text decodes").into_owned();
                assert!(
                    !text
                        .chars()
                        .any(|c| c.is_control() && !"\n\t\r".contains(c)),
                    "{text:?}"
                );
            }
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}", reader.buffer_position()),
        }
    }
    assert!(
        !html.chars().any(|c| c.is_control() && c != '\n'),
        "a control character"
    );
}

/// `ensemble --samples 0` ran nothing and printed a summary of no samples.
#[test]
fn an_ensemble_of_no_samples_is_refused() {
    let dir = project("ensemble-zero", "");
    let run = pathrules(&["ensemble", "--samples", "0"], Some(&dir.0));
    assert_eq!(run.code, 2, "a usage error: {}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("`--samples 0`"), "{}", run.stderr);
    let loaded = pathrules::model::load_str("m.pathway", BASE);
    let checked = pathrules::finish(loaded.model.expect("checks")).expect("compiles");
    let hypotheses = [pathrules::analysis::compare::Hypothesis {
        name: "base".to_string(),
        checked,
    }];
    let spec = pathrules::analysis::ensemble::Spec {
        samples: 0,
        seed: 1,
        shard: (1, 1),
        default: pathrules::analysis::ensemble::Dist::LogUniform,
        distributions: Default::default(),
        retry: false,
    };
    let settings = pathrules::solve::Settings::default();
    let run = |spec| pathrules::analysis::ensemble::run(&hypotheses, spec, &settings, None);
    assert!(run(&spec).is_err());
    let shard = pathrules::analysis::ensemble::Spec {
        samples: 4,
        shard: (3, 2),
        ..spec.clone()
    };
    assert!(run(&shard).is_err());
}

/// `ensemble --samples 1000000000` listed every index before running one sample: 8 GB
/// before the first result, and an abort where that much memory is not there.
#[cfg(target_os = "linux")]
#[test]
fn a_billion_samples_are_run_a_chunk_at_a_time() {
    let dir = project("ensemble-billion", "");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pathrules"))
        .current_dir(&dir.0)
        .args(["ensemble", "--samples", "1000000000"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let still_running = child.try_wait().ok().flatten().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(still_running, "the run stopped early");
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a peak resident size");
    assert!(peak_kb < 200_000, "peak resident size {peak_kb} kB");
}

/// A shard of a huge run walked every index of the run to find its own (here 10¹²
/// of them for one sample), so it never started.
#[test]
fn a_shard_of_a_huge_run_draws_only_its_own_samples() {
    let dir = project("ensemble-huge-shard", "");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pathrules"))
        .current_dir(&dir.0)
        .args([
            "ensemble",
            "--samples",
            "1000000000000",
            "--shard",
            "2/1000000000000",
            "--out",
            "s.json",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break Some(status);
        }
        if start.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?} after {:?}",
        start.elapsed()
    );
    let text = std::fs::read_to_string(dir.0.join("s.json")).expect("records");
    let records: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(records["samples"].as_array().map(Vec::len), Some(1));
    assert_eq!(records["samples"][0]["index"], 1);
}
