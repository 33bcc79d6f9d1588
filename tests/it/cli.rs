//! The `pathrules` binary as a user runs it: arguments in; stdout, stderr and the
//! exit code out.
//!
//! Exit codes are part of the interface: 0 success, 1 a problem in the user's model
//! or a failed run, 2 a usage error. Files the tests write go to a fresh directory
//! under the system's temporary directory, removed when the test ends.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A small model that uses every kind of statement but `import` and `compartment`.
pub(crate) const GOOD: &str = "\
# A small model for the command-line tests.
units time = min, concentration = uM

input drug = 0 uM
param k_in = 1 uM/min \"assumption: constant synthesis\"
param k_out = 0.5 /min in [0.1, 1] /min \"P1: first-order loss\"
param IC50 = 2 uM

species A = 2 uM, B = 0 uM
let open = inhibit(drug, IC50, 1)

make: -> A ; k_in * open
bind: A <-> B @ 0.1 /min, 0.05 /min
loss: B -> @ k_out

chain drug -| A -> B
";

/// Two species at their steady state (A = 2, B = 1), so a run leaves them in place.
pub(crate) const STEADY: &str = "\
units time = min, concentration = uM
species A = 2 uM, B = 1 uM
make: -> A ; 1 uM/min
convert: A -> B @ 0.5 /min
loss: B -> @ 1 /min
";

/// What one run of the binary printed and how it exited.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Asserts that the run exited with `code`, and shows what it printed if it did not:
    /// a wrong exit code says little without the message that came with it.
    #[track_caller]
    pub(crate) fn assert_exit(&self, code: i32) {
        self.assert_exit_for(code, "");
    }

    /// As `assert_exit`, naming `what` was run (one case of a loop) if it fails.
    #[track_caller]
    pub(crate) fn assert_exit_for(&self, code: i32, what: &str) {
        assert!(
            self.code == code,
            "exit code {}, not {code}{}{what}\n--- stdout\n{}\n--- stderr\n{}",
            self.code,
            if what.is_empty() { "" } else { ": " },
            self.stdout,
            self.stderr,
        );
    }
}

/// Runs the binary with `args` in `dir` (the crate root if `None`), never coloured.
pub(crate) fn pathrules(args: &[&str], dir: Option<&Path>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pathrules"));
    command.arg("--color").arg("never").args(args);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let output = command.output().expect("the binary runs");
    Run {
        code: output.status.code().expect("an exit code, not a signal"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// A directory of its own for one test, removed when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("pathrules-cli-{}-{test}", std::process::id()));
        // A directory left by a crashed run of the same process id is stale.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        TempDir(dir)
    }

    /// Writes `text` to `name` in the directory and returns its path.
    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("a writable temporary file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A wrong exit code is reported with what the run printed, which says why.
#[test]
#[should_panic(expected = "exit code 1, not 0\n--- stdout\nout\n--- stderr\nerror: why")]
fn a_wrong_exit_code_shows_what_was_printed() {
    let run = Run {
        code: 1,
        stdout: "out".into(),
        stderr: "error: why".into(),
    };
    run.assert_exit(0);
}

#[test]
fn check_good_file_prints_a_summary() {
    let dir = TempDir::new("check-good");
    dir.write("good.pathway", GOOD);
    let run = pathrules(&["check", "good.pathway"], Some(&dir.0));
    run.assert_exit(0);
    assert_eq!(run.stderr, "");
    insta::assert_snapshot!("check_good_summary", run.stdout);
}

#[test]
fn check_bad_file_prints_diagnostics_and_fails() {
    let run = pathrules(&["check", "tests/errors/unknown_name.pathway"], None);
    run.assert_exit(1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("did you mean `eEF2K`?"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains('\x1b'),
        "coloured despite --color never"
    );
    insta::assert_snapshot!("check_bad_stderr", run.stderr);
}

#[test]
fn check_reports_every_file_given() {
    // A bad file does not stop the good one after it from being checked.
    let dir = TempDir::new("check-several");
    dir.write("good.pathway", GOOD);
    dir.write("bad.pathway", "species A = 1 uM\nA -> @ kk\n");
    let run = pathrules(&["check", "bad.pathway", "good.pathway"], Some(&dir.0));
    run.assert_exit(1);
    assert!(
        run.stdout.starts_with("good.pathway: ok\n"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("unknown name `kk`"), "{}", run.stderr);
    assert!(
        run.stderr.ends_with("error: found 1 problem\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn check_missing_file_fails() {
    let run = pathrules(&["check", "tests/errors/does_not_exist.pathway"], None);
    run.assert_exit(1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("cannot read `tests/errors/does_not_exist.pathway`: no such file"),
        "{}",
        run.stderr
    );
}

#[test]
fn graph_writes_dot() {
    let dir = TempDir::new("graph-dot");
    dir.write("good.pathway", GOOD);
    let run = pathrules(&["graph", "good.pathway", "--format", "dot"], Some(&dir.0));
    run.assert_exit(0);
    assert!(run.stdout.starts_with("digraph"), "{}", run.stdout);
    insta::assert_snapshot!("graph_dot", run.stdout);
}

#[test]
fn graph_writes_mermaid() {
    let dir = TempDir::new("graph-mermaid");
    dir.write("good.pathway", GOOD);
    let run = pathrules(
        &["graph", "good.pathway", "--format", "mermaid"],
        Some(&dir.0),
    );
    run.assert_exit(0);
    insta::assert_snapshot!("graph_mermaid", run.stdout);
}

#[test]
fn graph_writes_to_a_file() {
    let dir = TempDir::new("graph-out");
    dir.write("good.pathway", GOOD);
    let run = pathrules(
        &["graph", "good.pathway", "--out", "good.dot"],
        Some(&dir.0),
    );
    run.assert_exit(0);
    assert_eq!(run.stdout, "");
    let written = std::fs::read_to_string(dir.0.join("good.dot")).expect("good.dot");
    let printed = pathrules(&["graph", "good.pathway"], Some(&dir.0)).stdout;
    assert_eq!(written, printed);
}

#[test]
fn fmt_check_then_rewrite() {
    let dir = TempDir::new("fmt");
    let messy = "units time=min,concentration=uM\nspecies A=1µM   # start\n\n\n\nA→@0.1 /min\n";
    let path = dir.write("messy.pathway", messy);

    let run = pathrules(&["fmt", "--check", "messy.pathway"], Some(&dir.0));
    run.assert_exit(1);
    assert!(
        run.stderr.contains("messy.pathway is not formatted"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        messy,
        "--check wrote"
    );

    let run = pathrules(&["fmt", "messy.pathway"], Some(&dir.0));
    run.assert_exit(0);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "units time = min, concentration = uM\nspecies A = 1 uM  # start\n\nA -> @ 0.1 /min\n"
    );

    let run = pathrules(&["fmt", "--check", "messy.pathway"], Some(&dir.0));
    run.assert_exit(0);
    // Only the formatted file is left: the temporary file of the rewrite is gone.
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["messy.pathway"]);
}

#[test]
fn fmt_refuses_a_file_that_does_not_parse() {
    let dir = TempDir::new("fmt-broken");
    let broken = "species A = 1 uM\nA -> B\n";
    let path = dir.write("broken.pathway", broken);
    let run = pathrules(&["fmt", "broken.pathway"], Some(&dir.0));
    run.assert_exit(1);
    assert!(run.stderr.contains("broken.pathway:2:7"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let run = pathrules(&["check", "--frobnicate", "x.pathway"], None);
    run.assert_exit(2);
    assert!(run.stderr.contains("--frobnicate"), "{}", run.stderr);
    let run = pathrules(&["graph", "x.pathway", "--format", "png"], None);
    run.assert_exit(2);
}

#[test]
fn run_rejects_a_bad_until() {
    let dir = TempDir::new("run-until");
    dir.write("good.pathway", GOOD);
    for until in ["7 weeks", "5 uM", "-1min", "soon"] {
        // `=` keeps clap from reading `-1min` as a flag.
        let flag = format!("--until={until}");
        let run = pathrules(&["run", "good.pathway", &flag], Some(&dir.0));
        run.assert_exit_for(2, &format!("--until {until}"));
        assert_eq!(run.stdout, "");
        assert_eq!(
            run.stderr,
            format!(
                "error: `--until {until}` is not a time\nhelp: write a time of zero or more \
                 with its unit, e.g. `7d`, `90min` or `30s`\n"
            )
        );
    }
}

#[test]
fn run_writes_a_tidy_csv() {
    let dir = TempDir::new("tidy-csv");
    dir.write("steady.pathway", STEADY);
    let run = pathrules(
        &[
            "run",
            "steady.pathway",
            "--until",
            "60min",
            "--every",
            "10min",
        ],
        Some(&dir.0),
    );
    run.assert_exit(0);
    let mut lines = run.stdout.lines();
    assert_eq!(lines.next(), Some("time,variable,value"));
    // Seven output times (0, 10, …, 60 min) for each of the two species.
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 7 * 2, "{}", run.stdout);
    // The model starts at its own steady state, so every value stays where it
    // began; 0.1% allows for the solver's tolerance over an hour.
    let initial: Vec<f64> = rows[..2].iter().map(|r| r[2].parse().unwrap()).collect();
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), 3, "{row:?}");
        let time: f64 = row[0].parse().expect("a time");
        assert_eq!(time, (k / 2) as f64 * 10.0, "{row:?}");
        let value: f64 = row[2].parse().expect("a value");
        let start = initial[k % 2];
        assert!(
            (value - start).abs() <= 1e-3 * start,
            "{row:?} left {start}"
        );
    }
}

/// A solve that fails names the time with its unit, the species and what to try,
/// and leaves no half-written output file behind.
#[test]
fn run_that_blows_up_names_the_species_and_writes_nothing() {
    let dir = TempDir::new("run-blowup");
    // dA/dt = A²/(uM·min) from A = 1 uM reaches infinity at t = 1 min.
    dir.write(
        "boom.pathway",
        "species A = 1 uM\nboom: -> A ; A^2 * 1 /uM/min\n",
    );
    let run = pathrules(
        &["run", "boom.pathway", "--until", "2min", "--out", "out.csv"],
        Some(&dir.0),
    );
    run.assert_exit(1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(
        run.stderr.contains("min with the bdf solver"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("`A`"), "{}", run.stderr);
    assert!(run.stderr.contains("help: "), "{}", run.stderr);
    assert!(!dir.0.join("out.csv").exists());
    let leftovers: Vec<_> = std::fs::read_dir(&dir.0)
        .expect("the directory")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

/// `--format json` carries the schema version, the units and one series per species.
#[test]
fn run_writes_json() {
    let dir = TempDir::new("json");
    dir.write("steady.pathway", STEADY);
    let run = pathrules(
        &[
            "run",
            "steady.pathway",
            "--until",
            "1h",
            "--every",
            "30min",
            "--format",
            "json",
        ],
        Some(&dir.0),
    );
    run.assert_exit(0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["time_unit"], "min");
    assert_eq!(doc["concentration_unit"], "uM");
    assert_eq!(doc["time"], serde_json::json!([0.0, 30.0, 60.0]));
    let variables = doc["variables"].as_array().expect("a list of variables");
    let names: Vec<&str> = variables
        .iter()
        .map(|v| v["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, ["A", "B"]);
    for (v, start) in variables.iter().zip([2.0, 1.0]) {
        let values = v["values"].as_array().expect("values");
        assert_eq!(values.len(), 3);
        // The model starts at its steady state; 0.1% allows for the solver's tolerance.
        for x in values {
            let x = x.as_f64().expect("a number");
            assert!((x - start).abs() <= 1e-3 * start, "{x} left {start}");
        }
    }
}

/// A model with experiments and expectations for `run --experiment`, `test` and
/// `occlusion`: two drugs raise A through one shared step, max(a, b), so either
/// occludes the other completely; one expectation is false on purpose.
const PROTOCOL: &str = "\
units time = min, concentration = uM
input a = 0 uM
input b = 0 uM
species A = 1 uM
make: -> A ; 0.1 /min * (1 uM + max(a, b))
loss: A -> @ 0.1 /min
readout level = 100 * A / baseline(A)
genotype no_make { disable make }
experiment drug_a \"a, 1 uM\" { at 0 min set a = 1 uM; run 1 h every 30 min }
experiment drug_b { at 0 min set b = 1 uM; run 1 h every 30 min }
experiment drug_a_ko extends drug_a { genotype no_make }
expect drug_a: level at 1 h > 150 \"closed form: 200 − 100·e^(−6)\"
expect drug_a: level at 1 h < drug_b: level at 1 h \"false: the drugs are equal\"
expect occlusion(drug_a, drug_b, level at 1 h) > 0.99 \"one shared step\"
";

#[test]
fn test_prints_a_table_and_fails_when_an_expectation_does() {
    let dir = TempDir::new("test-table");
    dir.write("protocol.pathway", PROTOCOL);
    let run = pathrules(&["test", "protocol.pathway"], Some(&dir.0));
    run.assert_exit(1);
    insta::assert_snapshot!("test_table", run.stdout);
    // Without the false one it passes.
    let passing = PROTOCOL.replace(
        "expect drug_a: level at 1 h < drug_b",
        "expect drug_a: level at 1 h <= drug_b",
    );
    dir.write("passing.pathway", &passing);
    let run = pathrules(&["test", "passing.pathway"], Some(&dir.0));
    run.assert_exit(0);
    assert!(
        run.stdout.ends_with("3 passed, 0 failed\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn occlusion_prints_the_matrix() {
    let dir = TempDir::new("occlusion");
    dir.write("protocol.pathway", PROTOCOL);
    let run = pathrules(
        &[
            "occlusion",
            "protocol.pathway",
            "--readout",
            "level",
            "--at",
            "1h",
            "drug_a",
            "drug_b",
        ],
        Some(&dir.0),
    );
    run.assert_exit(0);
    insta::assert_snapshot!("occlusion_matrix", run.stdout);
    let run = pathrules(
        &[
            "occlusion",
            "protocol.pathway",
            "--readout",
            "levle",
            "--at",
            "1h",
            "drug_a",
            "drug_b",
        ],
        Some(&dir.0),
    );
    run.assert_exit(2);
    assert_eq!(
        run.stderr,
        "error: no readout is named `levle`; the model defines level\n\
         help: `--readout` takes the name of a readout the model defines\n"
    );
}

#[test]
fn run_experiment_writes_species_inputs_and_readouts() {
    let dir = TempDir::new("run-experiment");
    dir.write("protocol.pathway", PROTOCOL);
    let run = pathrules(
        &["run", "protocol.pathway", "--experiment", "drug_a_ko"],
        Some(&dir.0),
    );
    run.assert_exit(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "experiment,genotype,time,variable,value");
    // Three times, four variables (A, a, b, level).
    assert_eq!(lines.len(), 1 + 3 * 4, "{}", run.stdout);
    // Without its source A has decayed to nothing by the steady state.
    let a0: f64 = lines[1]
        .strip_prefix("drug_a_ko,no_make,0,A,")
        .expect("A first")
        .parse()
        .expect("a number");
    assert!(a0.abs() < 1e-12, "{a0}");
    assert_eq!(lines[2], "drug_a_ko,no_make,0,a,1");
    let all = pathrules(
        &["run", "protocol.pathway", "-e", "all", "--format", "json"],
        Some(&dir.0),
    );
    all.assert_exit(0);
    let doc: serde_json::Value = serde_json::from_str(&all.stdout).expect("valid JSON");
    let names: Vec<&str> = doc["experiments"]
        .as_array()
        .expect("experiments")
        .iter()
        .map(|e| e["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, ["drug_a", "drug_b", "drug_a_ko"]);
    let unknown = pathrules(&["run", "protocol.pathway", "-e", "drug_c"], Some(&dir.0));
    unknown.assert_exit(2);
    assert_eq!(
        unknown.stderr,
        "error: no experiment is named `drug_c`; the model defines drug_a, drug_b, drug_a_ko\n\
         help: `--experiment` takes the name of an experiment the model defines\n"
    );
    let both = pathrules(
        &["run", "protocol.pathway", "-e", "drug_a", "--until", "1h"],
        Some(&dir.0),
    );
    both.assert_exit(2);
}

/// An experiment whose genotype never settles says so, names the species still
/// moving with the time unit, and says what would fix it; `test` reports it in the
/// table and fails.
#[test]
fn an_experiment_without_a_steady_state_says_which_species_moves() {
    let dir = TempDir::new("no-steady-state");
    dir.write(
        "grows.pathway",
        "units time = min, concentration = uM
species A = 1 uM
input drug = 0 uM
make: -> A ; 0.1 uM/min
readout level = A
genotype fast { }
experiment e { at 0 min set drug = 1 uM; run 1 h every 10 min }
experiment e_fast extends e { genotype fast }
expect e: level at 30 min > 0 \"none\"
",
    );
    let run = pathrules(&["run", "grows.pathway", "-e", "e_fast"], Some(&dir.0));
    run.assert_exit(1);
    assert_eq!(
        run.stderr,
        "error: experiment `e_fast`: the genotype `fast` has no steady state to start from: \
         after 1.000e8 min, `A` still changes by 1.000e-1 per min\n\
         help: a species that is made but never removed (or removed but never made) grows \
         without bound; give it a loss or a source, or add `start initial` to the experiment \
         to start from the declared initial values\n"
    );
    let test = pathrules(&["test", "grows.pathway"], Some(&dir.0));
    test.assert_exit(1);
    assert!(
        test.stdout.contains(
            "error in `e: level at 30 min > 0`: experiment `e`: the wild type has no steady state"
        ),
        "{}",
        test.stdout
    );
    assert!(
        test.stdout.ends_with("0 passed, 1 failed\n"),
        "{}",
        test.stdout
    );
}

/// The README's main job: every expectation of the shipped model passes.
#[test]
fn the_shipped_model_passes_its_own_test() {
    let run = pathrules(&["test", "pathways/experiments.pathway"], None);
    run.assert_exit(0);
    assert!(run.stdout.contains(" passed, 0 failed\n"), "{}", run.stdout);
}

/// `pathrules` alone runs `compare` on ./pathrules.toml; `--format json` holds the
/// whole comparison.
#[test]
fn no_command_compares_the_hypotheses_of_the_manifest() {
    let run = pathrules(&[], None);
    run.assert_exit(0);
    assert!(
        run.stdout
            .starts_with("4 hypotheses, judged on 57 expectations; resting_nmdar is the base\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.lines().all(|l| l.chars().count() <= 100),
        "{}",
        run.stdout
    );
    let json = pathrules(&["compare", "--format", "json"], None);
    json.assert_exit(0);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("valid JSON");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(
        doc["hypotheses"],
        serde_json::json!([
            "resting_nmdar",
            "disinhibition",
            "camkii_activity",
            "lithium_p75"
        ])
    );
    assert_eq!(doc["scorecard"].as_array().map(Vec::len), Some(57));
}

/// A manifest's mistakes are diagnostics in the manifest, and a hypothesis that does
/// not check is named with its diagnostics.
#[test]
fn compare_reports_manifest_and_hypothesis_errors() {
    let dir = TempDir::new("compare-errors");
    dir.write("base.pathway", STEADY);
    dir.write(
        "judge.pathway",
        "import \"base.pathway\"\nreadout level = A\n",
    );
    dir.write(
        "pathrules.toml",
        "base = \"a\"\njudge = [\"judge.pathway\"]\n\n[hypotheses]\na = \"base.pathway\"\nb = \"missing.pathway\"\n\n[solver]\nrtoll = 1e-6\n",
    );
    let run = pathrules(&["compare"], Some(&dir.0));
    run.assert_exit(1);
    assert_eq!(
        run.stderr,
        "error: pathrules.toml: unknown field `rtoll`, expected one of `method`, `rtol`, `atol`, `max_steps`, `linear`
  ┌─ pathrules.toml:9:1
  │
9 │ rtoll = 1e-6
  │ ^^^^^ here
  │
  = help: the keys are `base`, `judge`, `[hypotheses]` (name = file), and the tables `[occlusion]` (readout, at, experiments), `[solver]` (method, rtol, atol, max_steps, linear), `[output]` (dir), `[calibration]` (dir), `[literature]` (table) and `[ensemble]` (default, distributions: log-uniform, uniform, normal or fixed)

error: found 1 problem
"
    );
    dir.write(
        "pathrules.toml",
        "base = \"a\"\njudge = [\"judge.pathway\"]\n\n[hypotheses]\na = \"base.pathway\"\nb = \"b.pathway\"\n",
    );
    dir.write(
        "b.pathway",
        "import \"base.pathway\"\noverride param k = 1 /min\n",
    );
    let run = pathrules(&["compare"], Some(&dir.0));
    run.assert_exit(1);
    assert!(
        run.stderr.starts_with(
            "error: hypothesis `b` does not check\nerror: there is no parameter `k` to override\n"
        ),
        "{}",
        run.stderr
    );
    let missing = pathrules(&["compare", "nowhere.toml"], Some(&dir.0));
    missing.assert_exit(1);
    assert!(
        missing
            .stderr
            .starts_with("error: cannot read `nowhere.toml`: no such file"),
        "{}",
        missing.stderr
    );
}

/// The signed influence graph with a drug's downstream set highlighted, as Mermaid,
/// and both graphs as GraphML for Cytoscape.
#[test]
fn graph_draws_the_influence_graph_and_graphml() {
    let dir = TempDir::new("graph-influence");
    dir.write("good.pathway", GOOD);
    let run = pathrules(
        &[
            "graph",
            "good.pathway",
            "--influence",
            "--from",
            "drug",
            "--format",
            "mermaid",
        ],
        Some(&dir.0),
    );
    run.assert_exit(0);
    insta::assert_snapshot!("graph_influence_mermaid", run.stdout);
    for extra in [&[][..], &["--influence"][..]] {
        let mut args = vec!["graph", "good.pathway", "--format", "graphml"];
        args.extend_from_slice(extra);
        let run = pathrules(&args, Some(&dir.0));
        run.assert_exit(0);
        assert!(
            run.stdout
                .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<graphml")
        );
        assert_eq!(run.stdout.matches("<graph ").count(), 1);
        assert_eq!(
            run.stdout.matches("<node ").count(),
            run.stdout.matches("</node>").count()
        );
        assert!(run.stdout.trim_end().ends_with("</graphml>"));
    }
    let unknown = pathrules(&["graph", "good.pathway", "--from", "dru"], Some(&dir.0));
    unknown.assert_exit(2);
    assert_eq!(
        unknown.stderr,
        "error: `--from dru` names no species, input or let of the model\n\
         help: give a name the model declares with `species`, `input` or `let`\n"
    );
}

/// `--plot` draws one panel per readout with the experiments overlaid.
#[test]
fn run_and_test_plot_svg() {
    let dir = TempDir::new("plot");
    dir.write("protocol.pathway", PROTOCOL);
    let run = pathrules(
        &[
            "run",
            "protocol.pathway",
            "-e",
            "drug_a,drug_b",
            "--plot",
            "p.svg",
        ],
        Some(&dir.0),
    );
    run.assert_exit(0);
    let svg = std::fs::read_to_string(dir.0.join("p.svg")).expect("the plot");
    assert!(svg.starts_with("<svg "), "{}", &svg[..80.min(svg.len())]);
    assert!(svg.trim_end().ends_with("</svg>"));
    for text in ["level", "drug_a", "drug_b", "time (min)"] {
        assert!(svg.contains(text), "no {text} in the plot");
    }
    let test = pathrules(
        &["test", "protocol.pathway", "--plot", "t.svg"],
        Some(&dir.0),
    );
    test.assert_exit_for(1, "one expectation fails on purpose");
    let svg = std::fs::read_to_string(dir.0.join("t.svg")).expect("the plot");
    assert!(
        svg.contains("level") && svg.contains("<circle"),
        "marks at the times asked about"
    );
    let bad = pathrules(
        &[
            "run",
            "protocol.pathway",
            "-e",
            "drug_a",
            "--plot",
            "p.svg",
            "--readouts",
            "lvl",
        ],
        Some(&dir.0),
    );
    bad.assert_exit(2);
    assert_eq!(
        bad.stderr,
        "error: `--readouts`: the model has no readout `lvl`\nhelp: the readouts are level\n"
    );
}

/// `report` writes one self-contained XHTML file: well-formed, every section there,
/// nothing fetched from elsewhere.
#[test]
fn report_is_one_well_formed_self_contained_file() {
    let dir = TempDir::new("report");
    let out = dir.0.join("report.html");
    let run = pathrules(&["report", "-o", out.to_str().expect("a UTF-8 path")], None);
    run.assert_exit(0);
    let html = std::fs::read_to_string(&out).expect("the report");
    // Well-formed: an XML parser reads it to the end.
    let mut reader = quick_xml::Reader::from_str(&html);
    let mut depth = 0i64;
    let mut ids = Vec::new();
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => {
                depth += 1;
                if let Some(Ok(a)) = e
                    .attributes()
                    .find(|a| a.as_ref().is_ok_and(|a| a.key.as_ref() == b"id"))
                {
                    ids.push(String::from_utf8_lossy(&a.value).into_owned());
                }
            }
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "unbalanced elements");
    for section in pathrules::output::report::SECTIONS {
        assert!(ids.iter().any(|i| i == section), "no section `{section}`");
    }
    // Every experiment has its figure.
    let (_, checked) = pathrules::check(
        Path::new("pathways/experiments.pathway"),
        &mut pathrules::FsLoader,
    );
    let experiments = checked
        .expect("the shipped model checks")
        .model
        .experiments
        .len();
    assert_eq!(
        ids.iter().filter(|i| i.starts_with("experiment-")).count(),
        experiments
    );
    // Self-contained: no scripts and nothing loaded from elsewhere (the sources' addresses
    // are links a reader may follow, which load nothing).
    for outside in ["<script", "src=\"http", "<link", "@import", "url("] {
        assert!(
            !html.contains(outside),
            "the report refers outside: {outside}"
        );
    }
}

/// An ensemble depends on its seed alone: shards merged give the summary of one run,
/// and one thread gives the same records as many.
#[test]
fn ensemble_shards_merge_to_the_unsharded_result() {
    let dir = TempDir::new("ensemble");
    dir.write(
        "base.pathway",
        "units time = min, concentration = uM
input drug = 0 uM
species A = 1 uM
param k_make = 0.1 uM/min in [0.05, 0.2] uM/min \"assumption\"
param k_loss = 0.1 /min in [0.05, 0.2] /min \"assumption\"
make: -> A ; k_make * (1 + drug / 1 uM)
loss: A -> @ k_loss
",
    );
    dir.write(
        "judge.pathway",
        "import \"base.pathway\"
readout level = 100 * A / baseline(A)
readout amount = A
experiment pulse { at 0 min set drug = 1 uM; run 1 h every 10 min }
expect pulse: level at 30 min > 180 \"assumption\"
expect pulse: amount at 60 min > 1.5 \"assumption\"
",
    );
    dir.write(
        "faster.pathway",
        "import \"base.pathway\"\noverride param k_loss = 0.3 /min \"hypothesis\"\n",
    );
    dir.write(
        "pathrules.toml",
        "base = \"base\"\njudge = [\"judge.pathway\"]\n[hypotheses]\nbase = \"base.pathway\"\nfaster = \"faster.pathway\"\n[ensemble]\ndefault = \"uniform\"\ndistributions = { k_make = \"log-uniform\" }\n",
    );
    let all = pathrules(
        &[
            "ensemble",
            "--samples",
            "12",
            "--seed",
            "5",
            "--out",
            "all.json",
        ],
        Some(&dir.0),
    );
    all.assert_exit(0);
    assert!(
        all.stdout.starts_with("12 samples (seed 5)"),
        "{}",
        all.stdout
    );
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let out = format!("shard{k}.json");
        let run = pathrules(
            &[
                "ensemble",
                "--samples",
                "12",
                "--seed",
                "5",
                "--shard",
                &shard,
                "--out",
                &out,
            ],
            Some(&dir.0),
        );
        run.assert_exit(0);
    }
    let merged = pathrules(
        &[
            "merge",
            "shard1.json",
            "shard2.json",
            "shard3.json",
            "--format",
            "json",
        ],
        Some(&dir.0),
    );
    let whole = pathrules(&["merge", "all.json", "--format", "json"], Some(&dir.0));
    merged.assert_exit(0);
    assert_eq!(merged.stdout, whole.stdout);
    // The same records on one thread.
    let mut one = std::process::Command::new(env!("CARGO_BIN_EXE_pathrules"));
    one.current_dir(&dir.0).env("RAYON_NUM_THREADS", "1").args([
        "ensemble",
        "--samples",
        "12",
        "--seed",
        "5",
        "--out",
        "one.json",
    ]);
    assert!(one.output().expect("runs").status.success());
    let read = |name: &str| std::fs::read_to_string(dir.0.join(name)).expect("records");
    assert_eq!(read("one.json"), read("all.json"));
    // A missing shard is named.
    let partial = pathrules(&["merge", "shard1.json", "shard3.json"], Some(&dir.0));
    partial.assert_exit(1);
    assert_eq!(
        partial.stderr,
        "error: shard 2/3 is missing (sample 1 is in none of the files)\n"
    );
    // A shard run with --retry does not merge with shards run without it.
    let retried = pathrules(
        &[
            "ensemble",
            "--samples",
            "12",
            "--seed",
            "5",
            "--shard",
            "2/3",
            "--retry",
            "--out",
            "retried2.json",
        ],
        Some(&dir.0),
    );
    retried.assert_exit(0);
    let mixed = pathrules(
        &["merge", "shard1.json", "retried2.json", "shard3.json"],
        Some(&dir.0),
    );
    mixed.assert_exit(1);
    assert!(mixed.stderr.contains("--retry"), "{}", mixed.stderr);
}

/// A parameter whose distribution is `fixed` keeps its declared value: it is neither
/// drawn nor listed among the parameters, while the others are still drawn.
#[test]
fn ensemble_holds_fixed_parameters_at_their_values() {
    let dir = TempDir::new("ensemble-fixed");
    dir.write(
        "base.pathway",
        "units time = min, concentration = uM
species A = 1 uM
param k_make = 0.1 uM/min in [0.05, 0.2] uM/min \"assumption\"
param k_loss = 0.1 /min in [0.05, 0.2] /min \"D: k_make / 1 uM\"
make: -> A ; k_make
loss: A -> @ k_loss
",
    );
    dir.write(
        "judge.pathway",
        "import \"base.pathway\"
readout amount = A
experiment rest { run 1 h every 10 min }
expect rest: amount at 60 min > 0.5 \"assumption\"
",
    );
    let manifest = |fixed: bool| {
        format!(
            "base = \"base\"\njudge = [\"judge.pathway\"]\n[hypotheses]\nbase = \"base.pathway\"\n[ensemble]\n{}",
            if fixed {
                "distributions = { k_loss = \"fixed\" }\n"
            } else {
                ""
            }
        )
    };
    let mut records = Vec::new();
    for fixed in [false, true] {
        dir.write("pathrules.toml", &manifest(fixed));
        let run = pathrules(
            &[
                "ensemble",
                "--samples",
                "4",
                "--seed",
                "3",
                "--out",
                "r.json",
            ],
            Some(&dir.0),
        );
        run.assert_exit(0);
        let text = std::fs::read_to_string(dir.0.join("r.json")).expect("records");
        records.push(serde_json::from_str::<serde_json::Value>(&text).expect("json"));
    }
    let names = |r: &serde_json::Value| r["parameters"][0].clone();
    assert_eq!(names(&records[0]), serde_json::json!(["k_make", "k_loss"]));
    assert_eq!(names(&records[1]), serde_json::json!(["k_make"]));
    let samples = records[1]["samples"].as_array().expect("samples");
    assert_eq!(samples.len(), 4);
    let mut made = Vec::new();
    for held in samples {
        assert!(held["params"].get("k_loss").is_none(), "{held}");
        let k_make = held["params"]["k_make"].as_f64().expect("drawn");
        assert!((0.05..=0.2).contains(&k_make), "{k_make}");
        made.push(k_make.to_bits());
    }
    made.dedup();
    assert_eq!(made.len(), 4, "every sample draws its own k_make");
}

/// `bench` reports medians of load and simulation as JSON (times are not asserted:
/// speed is measured by scripts/bench.py, not by tests).
#[test]
fn bench_prints_medians_as_json() {
    let dir = TempDir::new("bench");
    dir.write("protocol.pathway", PROTOCOL);
    let run = pathrules(
        &[
            "bench",
            "protocol.pathway",
            "-e",
            "drug_a",
            "--runs",
            "3",
            "--points",
            "11",
        ],
        Some(&dir.0),
    );
    run.assert_exit(0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["species"], 1);
    assert_eq!(doc["points"], 11);
    assert_eq!(doc["runs"], 3);
    assert!(doc["load_s"].as_f64().is_some_and(|t| t > 0.0));
    assert!(doc["simulate_s"].as_f64().is_some_and(|t| t > 0.0));
    assert!(doc["steps"].as_u64().is_some_and(|n| n > 0));
}

/// A time on a flag is read as a `time` of the language, a sum of quantities, so
/// `--until "7d + 1h"` reads as `run 7 d + 1 h every …` does in a file.
#[test]
fn run_reads_an_until_of_several_quantities_as_a_file_does() {
    let dir = TempDir::new("until-sum");
    dir.write("steady.pathway", STEADY);
    let run = pathrules(
        &[
            "run",
            "steady.pathway",
            "--until",
            "7d + 1h",
            "--every",
            "1 h",
        ],
        Some(&dir.0),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // 0, 60, …, 10,140 min: 170 output times of two species, after the header.
    assert_eq!(run.stdout.lines().count(), 1 + 170 * 2);
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("10140,"), "{last}");
    let run = pathrules(
        &["run", "steady.pathway", "--until", "7d - 1h"],
        Some(&dir.0),
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: `--until 7d - 1h` is not a time\n"),
        "{}",
        run.stderr
    );
}

/// The manifest's `[occlusion] at` is the same grammar: `15 min + 15 min` is half an
/// hour of the base's time unit, and `project::load` hands it over converted.
#[test]
fn manifest_occlusion_at_reads_a_sum_of_times() {
    let dir = TempDir::new("manifest-at-sum");
    dir.write("base.pathway", STEADY);
    dir.write(
        "judge.pathway",
        "import \"base.pathway\"\nreadout level = A\n\
         experiment one { run 1 h every 10 min }\nexperiment two { run 1 h every 10 min }\n",
    );
    let manifest = dir.write(
        "pathrules.toml",
        "base = \"a\"\njudge = [\"judge.pathway\"]\n[hypotheses]\na = \"base.pathway\"\n\
         [occlusion]\nreadout = \"level\"\nat = \"15 min + 0.25 h\"\nexperiments = [\"one\", \"two\"]\n",
    );
    let exists = |p: &Path| p.is_file();
    let project = pathrules::project::load(&manifest, &mut pathrules::FsLoader, &exists)
        .unwrap_or_else(|e| panic!("the manifest loads: {e}"));
    assert_eq!(project.at, Some(30.0));
    assert_eq!(project.hypotheses.len(), 1);
    let run = pathrules(&["compare"], Some(&dir.0));
    assert_eq!(run.code, 0, "{}", run.stderr);
}
