//! Flags whose values cannot be used, solver failures whose advice must say what is
//! actually wrong, and inputs large enough to exhaust memory or a screen. A flag's bad
//! value is a usage error (exit 2, like clap's own) that names the flag and says what
//! to write instead, and nothing is written; a model's problem stays exit 1.

use std::path::Path;

use crate::cli::{GOOD, Run, TempDir, pathrules};

/// Two drugs raising one species, a readout and two one-hour experiments.
const DRUGS: &str = "\
units time = min, concentration = uM
input a = 0 uM
input b = 0 uM
species A = 1 uM
make: -> A ; 0.1 /min * (1 uM + max(a, b))
loss: A -> @ 0.1 /min
readout level = 100 * A / baseline(A)
experiment drug_a { at 0 min set a = 1 uM; run 1 h every 30 min }
experiment drug_b { at 0 min set b = 1 uM; run 1 h every 30 min }
";

/// The Brusselator (A = 1, B = 3 > 1 + A²): a limit cycle of period about 7 min.
const BRUSSELATOR: &str = "\
units time = min, concentration = uM
species X = 1 uM, Y = 1 uM
feed: -> X ; 1 uM/min
convert: X -> Y @ 3 /min
autocatalysis: 2 X + Y -> 3 X @ 1 /uM/uM/min
decay: X -> @ 1 /min
";

/// Robertson's stiff kinetics: no species turns more than once.
const ROBERTSON: &str = "\
units time = s, concentration = uM
species A = 1 uM, B = 0 uM, C = 0 uM
slow: A -> B @ 0.04 /s
fast: 2 B -> B + C @ 3e7 /uM/s
back: B + C -> A + C @ 1e4 /uM/s
";

/// The names of the files in `dir`, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("a readable directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Asserts a usage error: exit 2, nothing on stdout, `flag` named and a help line.
fn assert_usage(run: &Run, flag: &str, what: &str) {
    assert_eq!(run.code, 2, "{what}: {}", run.stderr);
    assert_eq!(run.stdout, "", "{what}");
    assert!(run.stderr.contains(flag), "{what}: {}", run.stderr);
    assert!(run.stderr.contains("\nhelp: "), "{what}: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
}

#[test]
fn bad_flag_values_exited_1_as_if_the_model_were_wrong() {
    let dir = TempDir::new("flags-usage");
    dir.write("good.pathway", GOOD);
    dir.write("drugs.pathway", DRUGS);
    let cases: &[(&str, &[&str])] = &[
        ("--every", &["run", "good.pathway", "--every", "0"]),
        ("--every", &["run", "good.pathway", "--every", "0min"]),
        ("--rtol", &["run", "good.pathway", "--rtol", "0"]),
        ("--atol", &["run", "good.pathway", "--atol=-1"]),
        ("--max-steps", &["run", "good.pathway", "--max-steps", "0"]),
        ("--until", &["run", "good.pathway", "--until", "banana"]),
        (
            "--every",
            &[
                "run",
                "good.pathway",
                "--until",
                "1e308min",
                "--every",
                "1min",
            ],
        ),
        ("--every", &["run", "good.pathway", "--every", "1e-300min"]),
        ("--rtol", &["test", "drugs.pathway", "--rtol", "2"]),
        (
            "--max-steps",
            &["run", "drugs.pathway", "-e", "all", "--max-steps", "0"],
        ),
        (
            "--at",
            &[
                "occlusion",
                "drugs.pathway",
                "--readout",
                "level",
                "--at",
                "1e300min",
                "drug_a",
                "drug_b",
            ],
        ),
        (
            "--at",
            &[
                "occlusion",
                "drugs.pathway",
                "--readout",
                "level",
                "--at",
                "2h",
                "drug_a",
                "drug_b",
            ],
        ),
        (
            "--readout",
            &[
                "occlusion",
                "drugs.pathway",
                "--readout",
                "levle",
                "--at",
                "1h",
                "drug_a",
                "drug_b",
            ],
        ),
        (
            "--points",
            &[
                "bench",
                "good.pathway",
                "--points",
                "18446744073709551615",
                "--runs",
                "1",
            ],
        ),
        (
            "--points",
            &["bench", "good.pathway", "--points", "0", "--runs", "1"],
        ),
        ("--runs", &["bench", "good.pathway", "--runs", "0"]),
        ("--experiment", &["run", "drugs.pathway", "-e", "drug_c"]),
        ("--from", &["graph", "good.pathway", "--from", "dru"]),
    ];
    for (flag, args) in cases {
        let mut args = args.to_vec();
        // Every handler that writes a file is given one, which must not appear.
        if matches!(args[0], "run" | "graph") {
            args.extend(["--out", "out.txt"]);
        }
        let run = pathrules(&args, Some(&dir.0));
        assert_usage(&run, flag, &args.join(" "));
        assert_eq!(
            files_in(&dir.0),
            ["drugs.pathway", "good.pathway"],
            "{}",
            args.join(" ")
        );
    }
}

#[test]
fn ensemble_samples_0_and_shard_3_of_2_exited_1() {
    let dir = TempDir::new("flags-ensemble");
    dir.write("drugs.pathway", DRUGS);
    dir.write(
        "pathrules.toml",
        "base = \"a\"\njudge = [\"judge.pathway\"]\n[hypotheses]\na = \"drugs.pathway\"\n",
    );
    dir.write(
        "judge.pathway",
        "expect drug_a: level at 1 h > 100 \"up\"\n",
    );
    for (flag, args) in [
        (
            "--samples",
            ["ensemble", "--samples", "0", "--out", "r.json"],
        ),
        ("--shard", ["ensemble", "--shard", "3/2", "--out", "r.json"]),
        ("--shard", ["ensemble", "--shard", "0/2", "--out", "r.json"]),
    ] {
        let run = pathrules(&args, Some(&dir.0));
        assert_usage(&run, flag, &args.join(" "));
        assert_eq!(
            files_in(&dir.0),
            ["drugs.pathway", "judge.pathway", "pathrules.toml"]
        );
    }
}

/// A model's own problem keeps exit 1 beside the flags' exit 2.
#[test]
fn a_failed_solve_is_still_exit_1() {
    let dir = TempDir::new("flags-model");
    dir.write("bruss.pathway", BRUSSELATOR);
    let run = pathrules(
        &["run", "bruss.pathway", "--until", "1d", "--max-steps", "10"],
        Some(&dir.0),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn negative_rate_constant_was_blamed_on_tolerances() {
    for (what, text) in [
        ("a literal", "species A = 1 uM\nloss: A -> @ -1 /min\n"),
        (
            "a parameter",
            "species A = 1 uM\nparam k = -0.5 /min\nloss: A -> @ k\n",
        ),
        (
            "a reverse constant",
            "species A = 1 uM, B = 0 uM\nbind: A <-> B @ 1 /min, -2 /min\n",
        ),
    ] {
        let loaded = pathrules::model::load_str("neg.pathway", text);
        let diagnostics = loaded
            .model
            .err()
            .unwrap_or_else(|| panic!("{what}: a negative rate constant checked"));
        let rendered = pathrules::syntax::render(&diagnostics, &loaded.sources, false);
        assert!(
            rendered.contains("negative rate constant"),
            "{what}: {rendered}"
        );
        assert!(rendered.contains("┌─ neg.pathway:"), "{what}: {rendered}");
        assert!(rendered.contains("= help: "), "{what}: {rendered}");
    }
    // A rate constant that depends on the state is not second-guessed.
    let loaded = pathrules::model::load_str(
        "ok.pathway",
        "species A = 1 uM\ninput drug = 0 uM\nloss: A -> @ 1 /min * (1 + drug / 1 uM)\n",
    );
    assert!(loaded.model.is_ok());
}

#[test]
fn negative_input_was_accepted() {
    let loaded = pathrules::model::load_str("neg.pathway", "input drug = -1 uM\n");
    let Err(diagnostics) = loaded.model else {
        panic!("a negative input checked");
    };
    let rendered = pathrules::syntax::render(&diagnostics, &loaded.sources, false);
    assert!(rendered.contains("input `drug` is negative"), "{rendered}");
    assert!(rendered.contains("┌─ neg.pathway:1:14"), "{rendered}");
}

#[test]
fn oscillator_out_of_steps_was_told_to_raise_max_steps() {
    let dir = TempDir::new("flags-oscillator");
    dir.write("bruss.pathway", BRUSSELATOR);
    let run = pathrules(
        &[
            "run",
            "bruss.pathway",
            "--until",
            "1e6min",
            "--every",
            "100min",
            "--max-steps",
            "5000",
        ],
        Some(&dir.0),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("the state oscillates"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("limit cycle"), "{}", run.stderr);
    assert!(run.stderr.contains("--until"), "{}", run.stderr);
    // The same for an explicit method.
    let run = pathrules(
        &[
            "run",
            "bruss.pathway",
            "--until",
            "1e6min",
            "--every",
            "100min",
            "--max-steps",
            "5000",
            "--solver",
            "dopri5",
        ],
        Some(&dir.0),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("the state oscillates"),
        "{}",
        run.stderr
    );
}

#[test]
fn stiff_run_out_of_steps_still_gets_the_max_steps_advice() {
    let dir = TempDir::new("flags-stiff");
    dir.write("robertson.pathway", ROBERTSON);
    for solver in ["bdf", "dopri5"] {
        let run = pathrules(
            &[
                "run",
                "robertson.pathway",
                "--until",
                "1e5s",
                "--every",
                "1000s",
                "--max-steps",
                "40",
                "--solver",
                solver,
            ],
            Some(&dir.0),
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr.contains("gave up after 40 steps"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("raise --max-steps"), "{}", run.stderr);
        assert!(!run.stderr.contains("oscillates"), "{}", run.stderr);
    }
}

/// A chain of `n` species, `s0 -> s1 -> … -> s(n-1) ->`, each step at rate `k`.
fn chain(n: usize) -> String {
    let mut text = String::from("units time = min, concentration = uM\nparam k = 1 /min\n");
    for i in 0..n {
        text.push_str(&format!("species s{i} = 1 uM\n"));
    }
    for i in 0..n - 1 {
        text.push_str(&format!("s{i} -> s{} @ k\n", i + 1));
    }
    text.push_str(&format!("s{} -> @ k\n", n - 1));
    text
}

#[test]
fn dense_linear_algebra_at_20000_species_took_9_gb() {
    let dir = TempDir::new("flags-dense");
    dir.write("chain.pathway", &chain(20_000));
    let run = pathrules(
        &[
            "run",
            "chain.pathway",
            "--until",
            "1min",
            "--linear",
            "dense",
            "--out",
            "out.csv",
        ],
        Some(&dir.0),
    );
    assert_usage(&run, "--linear dense", "dense at 20000 species");
    assert!(run.stderr.contains("--linear sparse"), "{}", run.stderr);
    assert_eq!(files_in(&dir.0), ["chain.pathway"]);
}

#[test]
fn check_summary_of_20000_species_was_770_kb() {
    let dir = TempDir::new("flags-summary");
    dir.write("chain.pathway", &chain(20_000));
    let run = pathrules(&["check", "chain.pathway"], Some(&dir.0));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.len() < 8_000, "{} bytes", run.stdout.len());
    assert!(
        run.stdout.contains("s0 = 1 uM, s1 = 1 uM"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("… and 19,9"), "{}", run.stdout);
}

#[test]
fn bench_until_1e308_made_an_output_time_of_infinity() {
    let dir = TempDir::new("flags-bench-until");
    dir.write("steady.pathway", crate::cli::STEADY);
    let run = pathrules(
        &[
            "bench",
            "steady.pathway",
            "--until",
            "1e308min",
            "--runs",
            "1",
            "--points",
            "3",
        ],
        Some(&dir.0),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["until"], 1e308);
}

/// An experiment on a limit cycle looks for a steady state first; running out of steps
/// there was told to shorten the run (`--until`), which the search does not have.
#[test]
fn a_limit_cycle_in_the_steady_state_search_was_told_to_shorten_the_run() {
    let dir = TempDir::new("flags-bruss-steady");
    dir.write(
        "bruss.pathway",
        &format!("{BRUSSELATOR}experiment e {{ run 10 min every 1 min }}\n"),
    );
    let run = pathrules(&["run", "bruss.pathway", "--experiment", "e"], Some(&dir.0));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("no steady state to start from") && run.stderr.contains("limit cycle"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("start initial"), "{}", run.stderr);
    assert!(!run.stderr.contains("--until"), "{}", run.stderr);
}
