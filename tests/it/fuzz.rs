//! Mutated and truncated pathway files never make the pipeline panic.
//!
//! Each case takes a shipped file from pathways/, mutates it (characters deleted,
//! inserted or replaced, the text cut short, lines duplicated or swapped, tokens of the
//! language dropped in, parentheses nested deep), and runs everything `pathrules
//! check` runs: load, parse, check, network, chain checks, compile. A case passes if
//! nothing panics and the result is either a compiled system, whose right-hand side
//! and Jacobian then evaluate at the initial state, or a non-empty list of
//! diagnostics that all render. The imports of the mutated file are served unchanged
//! from memory, so a mutation to the root file is checked against real imports.
//!
//! The manifest gets the same treatment: the shipped `pathrules.toml`, mutated by the
//! same edits and by values replaced with hostile ones (zero, negative, huge, empty,
//! a string of 100,000 characters, keys it does not know), goes through
//! `project::parse`, which must either accept it or explain every problem at a place
//! in the file. And the binary itself is run on a small model with flag values a
//! hostile user tries (zero, -1, `1e308min`, `1e-300min`, `u64::MAX`, empty, `3/2`,
//! nonsense) across its subcommands: each run must exit 0, 1 or 2 within a time limit,
//! never by a signal, and never print a panic.
//!
//! The seed is fixed so a failure reproduces; `PROPTEST_RNG_SEED` and
//! `PROPTEST_CASES` explore further.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed, TestRunner};

use pathrules::Loader;
use pathrules::syntax::diagnostic::escape;
use pathrules::syntax::render;

/// Cases of `mutated_files_never_panic`: enough to reach every stage thousands of
/// times, few enough for a debug build to run them in about 10 s on a busy machine
/// (the time is printed with `--nocapture`).
const CASES: u32 = 6000;

/// The seed used unless `PROPTEST_RNG_SEED` is set; any fixed value will do.
const SEED: u64 = 0x7061_7468_7275_6c65;

/// Pieces of the language and numbers at its limits, inserted whole.
const TOKENS: &[&str] = &[
    "->",
    "→",
    "<->",
    "⇌",
    "-|",
    "⊣",
    "(",
    ")",
    "@",
    ";",
    ",",
    ":",
    "=",
    "+",
    "-",
    "*",
    "/",
    "^",
    "µM",
    "uM",
    "/min",
    "/uM/s",
    "²⁺",
    "~",
    "′",
    "\"",
    "#",
    "[",
    "]",
    " in ",
    "0",
    "1",
    "2 ",
    "42",
    ".",
    "e",
    "1e308",
    "-1e308",
    "1e-320",
    "4294967296 ",
    "0 ",
    " ",
    "\t",
    "\n",
    "\r\n",
    "import ",
    "units ",
    "compartment ",
    "species ",
    "input ",
    "param ",
    "let ",
    "chain ",
    "hill(",
    "inhibit(",
    "exp(",
    "ln(",
    "pow(",
    "min(",
    "max(",
    "mm(",
    "import \"synapse.pathway\"\n",
    "import \"resting_nmdar.pathway\"\n",
    "import \"../pathways/synapse.pathway\"\n",
    "species X = -1 uM\n",
    "compartment c = 0\n",
    "let a = b\nlet b = a\n",
    "{",
    "}",
    "\n}\n",
    ";",
    "experiment e {\n",
    "experiment x extends x { run 1 h every 1 min }\n",
    "genotype g { knockout ",
    "readout r = baseline(",
    "expect ",
    "occlusion(",
    " at 0 min set ",
    " every 1 d for 7 d dose ",
    "pk ketamine absorption = 1 min, elimination = 1 min\n",
    " within 5%",
    " ≈ ",
    "start initial",
];

/// One edit to a file's text. Positions are taken modulo the current length, so any
/// edit applies to any text.
#[derive(Clone, Debug)]
enum Mutation {
    DeleteChars(Index, usize),
    InsertChar(Index, char),
    ReplaceChar(Index, char),
    InsertToken(Index, Index),
    Nest(Index, usize),
    Repeat(Index, Index, usize),
    Truncate(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    DeleteLine(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let char_ = prop_oneof![
        3 => proptest::char::range(' ', '~'),
        1 => any::<char>(),
    ];
    prop_oneof![
        3 => (any::<Index>(), 1..20usize).prop_map(|(i, n)| Mutation::DeleteChars(i, n)),
        2 => (any::<Index>(), char_.clone()).prop_map(|(i, c)| Mutation::InsertChar(i, c)),
        2 => (any::<Index>(), char_).prop_map(|(i, c)| Mutation::ReplaceChar(i, c)),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(i, t)| Mutation::InsertToken(i, t)),
        1 => (any::<Index>(), 1..200usize).prop_map(|(i, n)| Mutation::Nest(i, n)),
        1 => (any::<Index>(), any::<Index>(), 2..100usize)
            .prop_map(|(i, t, n)| Mutation::Repeat(i, t, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => any::<Index>().prop_map(Mutation::DuplicateLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        1 => any::<Index>().prop_map(Mutation::DeleteLine),
    ]
}

impl Mutation {
    /// Applies the edit at character boundaries. Positions are byte offsets moved back
    /// to a boundary, so every edit costs one copy of the text at most: a test built
    /// without optimizations spends too long walking `chars()` for each edit.
    fn apply(&self, text: &str) -> String {
        let mut text = text.to_string();
        let at = |i: &Index, s: &str| {
            let mut k = i.index(s.len() + 1);
            while !s.is_char_boundary(k) {
                k -= 1;
            }
            k
        };
        let char_end = |s: &str, k: usize| s[k..].chars().next().map_or(k, |c| k + c.len_utf8());
        match self {
            Mutation::DeleteChars(i, n) => {
                let start = at(i, &text);
                let end = (0..*n).fold(start, |k, _| char_end(&text, k));
                text.replace_range(start..end, "");
            }
            Mutation::InsertChar(i, c) => text.insert(at(i, &text), *c),
            Mutation::ReplaceChar(i, c) => {
                let start = at(i, &text);
                let end = char_end(&text, start);
                text.replace_range(start..end, c.encode_utf8(&mut [0; 4]));
            }
            Mutation::InsertToken(i, t) => text.insert_str(at(i, &text), t.get::<&str>(TOKENS)),
            Mutation::Nest(i, n) => {
                let nest = "(".repeat(*n) + "x" + &")".repeat(*n);
                text.insert_str(at(i, &text), &nest);
            }
            Mutation::Repeat(i, t, n) => {
                text.insert_str(at(i, &text), &t.get::<&str>(TOKENS).repeat(*n))
            }
            Mutation::Truncate(i) => text.truncate(at(i, &text)),
            Mutation::DuplicateLine(_) | Mutation::SwapLines(..) | Mutation::DeleteLine(_) => {
                let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
                if lines.is_empty() {
                    return text;
                }
                let n = lines.len();
                match self {
                    Mutation::DuplicateLine(i) => {
                        let k = i.index(n);
                        lines.insert(k, lines[k]);
                    }
                    Mutation::SwapLines(a, b) => lines.swap(a.index(n), b.index(n)),
                    _ => {
                        if let Mutation::DeleteLine(i) = self {
                            lines.remove(i.index(n));
                        }
                    }
                }
                return lines.concat();
            }
        }
        text
    }
}

/// The shipped pathway files, by path, read once.
pub(crate) fn shipped() -> Vec<(PathBuf, String)> {
    let files = crate::fmt::pathway_files("pathways");
    assert!(!files.is_empty(), "no files in pathways/");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a readable pathway");
            (p, text)
        })
        .collect()
}

/// A shipped file (its index in `files`) and that file with 1 to 6 mutations applied.
pub(crate) fn mutated(files: &[(PathBuf, String)]) -> impl Strategy<Value = (usize, String)> {
    let texts: Vec<String> = files.iter().map(|(_, t)| t.clone()).collect();
    (0..texts.len(), proptest::collection::vec(mutation(), 1..=6)).prop_map(
        move |(k, mutations)| {
            let text = mutations.iter().fold(texts[k].clone(), |t, m| m.apply(&t));
            (k, text)
        },
    )
}

/// Serves one file from memory in place of its original, and the others unchanged.
struct Mutated<'a> {
    files: &'a HashMap<PathBuf, String>,
    root: &'a Path,
    text: &'a str,
}

impl Loader for Mutated<'_> {
    fn load(&mut self, path: &Path) -> Result<String, String> {
        if path == self.root {
            return Ok(self.text.to_string());
        }
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file".to_string())
    }
}

/// A runner with a fixed seed (unless the environment sets one) and no files of
/// failures written beside the sources.
pub(crate) fn runner(cases: u32) -> TestRunner {
    let mut config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    if matches!(config.rng_seed, RngSeed::Random) {
        config.rng_seed = RngSeed::Fixed(SEED);
    }
    TestRunner::new(config)
}

/// Runs the whole `check` pipeline on one mutated file and returns whether it
/// compiled. A panic is caught by the runner, which shrinks it to a small input.
fn check_one(files: &HashMap<PathBuf, String>, root: &Path, text: &str) -> Result<bool, String> {
    let mut loader = Mutated { files, root, text };
    let (sources, result) = pathrules::check(root, &mut loader);
    match result {
        Ok(checked) => {
            let system = &checked.system;
            let n = system.dim();
            let y0 = system.initial.clone();
            let mut dy = vec![0.0; n];
            system.rhs(&y0, &mut dy);
            let mut jac = vec![0.0; n * n];
            system.jacobian(&y0, &mut jac);
            let _ = system.rates(&y0);
            Ok(true)
        }
        Err(diagnostics) => {
            if diagnostics.is_empty() {
                return Err("failed without a diagnostic".to_string());
            }
            // All are rendered at once: each rendering indexes the lines of every
            // source file, which done per diagnostic would dominate the run time.
            let text = render(&diagnostics, &sources, false);
            // Characters that would not show are rendered escaped, as `<U+0000>`.
            let shown = |d: &pathrules::Diagnostic| escape(&d.message).into_owned();
            if let Some(d) = diagnostics.iter().find(|d| !text.contains(&shown(d))) {
                return Err(format!("`{}` is missing from {text:?}", d.message));
            }
            Ok(false)
        }
    }
}

#[test]
fn mutated_files_never_panic() {
    let files = shipped();
    let by_path: HashMap<PathBuf, String> = files.iter().cloned().collect();
    let tried = AtomicUsize::new(0);
    let compiled = AtomicUsize::new(0);
    let started = std::time::Instant::now();
    let result = runner(CASES).run(&mutated(&files), |(k, text)| {
        tried.fetch_add(1, Ordering::Relaxed);
        if check_one(&by_path, &files[k].0, &text).map_err(TestCaseError::fail)? {
            compiled.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    eprintln!(
        "fuzz: {} mutated files of {} shipped ones checked in {:.1?}; {} compiled",
        tried.load(Ordering::Relaxed),
        files.len(),
        started.elapsed(),
        compiled.load(Ordering::Relaxed),
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Cases that once broke a stage, kept as inputs: each ran out of stack before
/// expressions had a depth limit.
#[test]
fn deep_expressions_are_errors_not_overflows() {
    for (what, text) in [
        (
            "parentheses",
            format!("let x = {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
        ),
        ("negations", format!("let x = {}1", "-".repeat(100_000))),
        (
            "calls",
            format!("let x = {}1{}", "exp(".repeat(10_000), ")".repeat(10_000)),
        ),
        ("exponents", format!("let x = 2{}", "^2".repeat(100_000))),
        ("a long sum", format!("let x = 1{}", " + 1".repeat(100_000))),
        (
            "a long product",
            format!("let x = 1{}", " * 1".repeat(100_000)),
        ),
        (
            "unclosed parentheses",
            format!("let x = {}", "(".repeat(100_000)),
        ),
    ] {
        let loaded = pathrules::model::load_str("deep.pathway", &text);
        let diagnostics = loaded
            .model
            .err()
            .unwrap_or_else(|| panic!("{what} parsed"));
        let rendered = render(&diagnostics, &loaded.sources, false);
        assert!(
            rendered.contains("nested more than") || rendered.contains("operations deep"),
            "{what}: {}",
            &rendered[..rendered.len().min(400)]
        );
    }
}

/// The deepest expressions the parser accepts go through every stage; the limits are
/// what keep them all within a test thread's stack.
#[test]
fn deepest_accepted_expression_compiles() {
    // The parser's `MAX_NESTING` (parentheses, calls, negations, exponents) and
    // `MAX_DEPTH` (the tree, where a chain of `+` counts one level per operator).
    let (nesting, depth) = (64, 256);
    for text in [
        format!(
            "species A = 1\nlet x = {}A{}\n-> A ; x\n",
            "(".repeat(nesting),
            ")".repeat(nesting)
        ),
        format!("species A = 1\n-> A ; A{}\n", " + A".repeat(depth - 1)),
        format!(
            "species A = 1\n-> A ; {}A{}{}\n",
            "(".repeat(nesting - 1),
            ")".repeat(nesting - 1),
            " * A".repeat(depth - nesting)
        ),
    ] {
        let loaded = pathrules::model::load_str("deep.pathway", &text);
        let model = loaded.model.unwrap_or_else(|d| {
            panic!("{}", render(&d, &loaded.sources, false));
        });
        pathrules::finish(model).expect("compiles");
    }
}

/// Cases of `mutated_manifests_are_parsed_or_located`: parsing a manifest takes
/// microseconds, so these cost well under a second.
const MANIFEST_CASES: u32 = 3000;

/// Values a hostile manifest puts where the shipped one has its own.
const HOSTILE_VALUES: &[&str] = &[
    "0",
    "-1",
    "1e300",
    "-1e308",
    "nan",
    "inf",
    "\"\"",
    "\"1e300 min\"",
    "\"-1 min\"",
    "\"0 min\"",
    "\"banana\"",
    "\"/dev/zero\"",
    "\"../../../etc/passwd\"",
    "18446744073709551615",
    "true",
    "[]",
    "[\"\"]",
    "{}",
    "\"dense\"",
    "\"krylov\"",
    "\"dop853\"",
];

/// One edit to a manifest: the edits of pathway files, or a value or key of its own.
#[derive(Clone, Debug)]
enum ManifestEdit {
    Text(Mutation),
    /// The value of the line's `key = value` replaced by a hostile one.
    Value(Index, Index),
    /// The value replaced by a string of this many characters.
    HugeString(Index, usize),
    /// A key the manifest does not know, added at a line.
    UnknownKey(Index),
}

fn manifest_edit() -> impl Strategy<Value = ManifestEdit> {
    prop_oneof![
        3 => mutation().prop_map(ManifestEdit::Text),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(l, v)| ManifestEdit::Value(l, v)),
        1 => (any::<Index>(), prop_oneof![Just(1000usize), Just(100_000usize)])
            .prop_map(|(l, n)| ManifestEdit::HugeString(l, n)),
        1 => any::<Index>().prop_map(ManifestEdit::UnknownKey),
    ]
}

impl ManifestEdit {
    fn apply(&self, text: &str) -> String {
        let replace_value = |line: &Index, value: &str| {
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            let with_value: Vec<usize> = (0..lines.len())
                .filter(|&k| lines[k].contains('=') && !lines[k].trim_start().starts_with('#'))
                .collect();
            if with_value.is_empty() {
                return text.to_string();
            }
            let k = with_value[line.index(with_value.len())];
            let key = lines[k].split('=').next().unwrap_or("").to_string();
            lines[k] = format!("{key}= {value}");
            lines.join("\n") + "\n"
        };
        match self {
            ManifestEdit::Text(m) => m.apply(text),
            ManifestEdit::Value(line, value) => {
                replace_value(line, value.get::<&str>(HOSTILE_VALUES))
            }
            ManifestEdit::HugeString(line, n) => {
                replace_value(line, &format!("\"{}\"", "x".repeat(*n)))
            }
            ManifestEdit::UnknownKey(line) => {
                let mut lines: Vec<&str> = text.lines().collect();
                let k = line.index(lines.len() + 1);
                lines.insert(k, "frobnicate = 1");
                lines.join("\n") + "\n"
            }
        }
    }
}

#[test]
fn mutated_manifests_are_parsed_or_located() {
    let shipped = std::fs::read_to_string("pathrules.toml").expect("the shipped manifest");
    let dir = Path::new(".");
    let exists = |p: &Path| dir.join(p).is_file();
    let parsed = AtomicUsize::new(0);
    let strategy = proptest::collection::vec(manifest_edit(), 1..=4).prop_map(move |edits| {
        edits
            .iter()
            .fold(shipped.clone(), |text, edit| edit.apply(&text))
    });
    let result = runner(MANIFEST_CASES).run(&strategy, |text| {
        let mut sources = pathrules::syntax::Sources::new();
        let id = sources.add("pathrules.toml", "pathrules.toml", text.clone());
        match pathrules::project::parse(id, &text, dir, &exists) {
            Ok(_) => {
                parsed.fetch_add(1, Ordering::Relaxed);
            }
            Err(diagnostics) => {
                prop_assert!(!diagnostics.is_empty(), "refused without a diagnostic");
                for d in &diagnostics {
                    prop_assert!(d.primary.is_some(), "no place for `{}`", d.message);
                    prop_assert!(d.help.is_some(), "no help for `{}`", d.message);
                }
                let rendered = render(&diagnostics, &sources, false);
                prop_assert!(rendered.contains("┌─ pathrules.toml:"), "{}", rendered);
            }
        }
        Ok(())
    });
    eprintln!(
        "fuzz: {MANIFEST_CASES} mutated manifests, {} accepted",
        parsed.load(Ordering::Relaxed)
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Random pairs of hostile flags in `hostile_flags_exit_0_1_or_2`, after every single
/// flag with every value (about 470 runs): each run of the binary takes tens of
/// milliseconds in a debug build, so all of them take seconds.
const FLAG_CASES: u32 = 60;

/// How long one run of the binary may take before the test calls it a hang. Every case
/// is a small model and at most a day of it, done in well under a second when it is not
/// refused outright.
const FLAG_TIMEOUT: Duration = Duration::from_secs(30);

/// Flag values a hostile user tries.
const HOSTILE_FLAGS: &[&str] = &[
    "0",
    "-1",
    "1e308min",
    "1e-300min",
    "18446744073709551615",
    "",
    "3/2",
    "banana",
    "1e300",
    "nan",
    "-0",
    "1e308",
];

/// A small model with two experiments, a readout and a parameter range.
const FLAG_MODEL: &str = "\
units time = min, concentration = uM
input a = 0 uM
input b = 0 uM
param k = 0.1 /min in [0.05, 0.2] /min \"assumption\"
species A = 1 uM
make: -> A ; k * (1 uM + max(a, b))
loss: A -> @ k
readout level = 100 * A / baseline(A)
genotype slow { set k = 0.05 /min }
experiment drug_a { at 0 min set a = 1 uM; run 1 h every 30 min }
experiment drug_b { at 0 min set b = 1 uM; run 1 h every 30 min }
expect drug_a: level at 1 h > 150 \"closed form\"
";

/// A subcommand: its arguments, the flags it is given unless one is fuzzed, and the
/// flags whose values are fuzzed. `--samples` is kept to small values elsewhere: a
/// count of 2⁶⁴ − 1 samples is a run that works as asked until it is stopped.
struct Subcommand {
    args: &'static [&'static str],
    defaults: &'static [(&'static str, &'static str)],
    flags: &'static [&'static str],
}

const SOLVER_FLAGS: [&str; 5] = ["--rtol", "--atol", "--max-steps", "--linear", "--solver"];

const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        args: &["run", "m.pathway"],
        defaults: &[("--until", "1h"), ("--out", "out.csv")],
        flags: &[
            "--until",
            "--every",
            "--rtol",
            "--atol",
            "--max-steps",
            "--linear",
            "--solver",
            "--format",
        ],
    },
    Subcommand {
        args: &["run", "m.pathway"],
        defaults: &[("-e", "drug_a"), ("--out", "out.csv")],
        flags: &[
            "-e",
            "--rtol",
            "--atol",
            "--max-steps",
            "--plot",
            "--linear",
        ],
    },
    Subcommand {
        args: &["test", "m.pathway"],
        defaults: &[],
        flags: &SOLVER_FLAGS,
    },
    Subcommand {
        args: &["occlusion", "m.pathway", "drug_a", "drug_b"],
        defaults: &[("--readout", "level"), ("--at", "30min")],
        flags: &["--at", "--readout", "--rtol", "--max-steps"],
    },
    Subcommand {
        args: &["bench", "m.pathway"],
        defaults: &[("--runs", "1"), ("--until", "1d")],
        flags: &[
            "--points",
            "--runs",
            "--until",
            "--experiment",
            "--rtol",
            "--max-steps",
            "--linear",
        ],
    },
    Subcommand {
        args: &["export", "sbml", "m.pathway"],
        defaults: &[("-o", "m.xml")],
        flags: &["-g", "-e", "-o"],
    },
    Subcommand {
        args: &["graph", "m.pathway"],
        defaults: &[],
        flags: &["--from", "--format", "-o"],
    },
    Subcommand {
        args: &["ensemble"],
        defaults: &[("--samples", "2"), ("--out", "r.json")],
        flags: &["--shard", "--seed", "--out"],
    },
];

/// Runs the binary in `dir` with its output sent to files (a full pipe would stall
/// it), waiting at most `FLAG_TIMEOUT`. Returns the exit code and standard error.
fn run_bounded(args: &[String], dir: &Path) -> Result<(i32, String), String> {
    let out = std::fs::File::create(dir.join("stdout.txt")).map_err(|e| e.to_string())?;
    let err = std::fs::File::create(dir.join("stderr.txt")).map_err(|e| e.to_string())?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pathrules"))
        .arg("--color")
        .arg("never")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if started.elapsed() > FLAG_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still running after {FLAG_TIMEOUT:?}"));
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let stderr = std::fs::read_to_string(dir.join("stderr.txt")).unwrap_or_default();
    match status.code() {
        Some(code) => Ok((code, stderr)),
        None => Err(format!("ended by a signal ({status}): {stderr}")),
    }
}

/// The command line of `sub` with `fuzzed` flags given the values shown.
fn flag_args(sub: &Subcommand, fuzzed: &[(&str, &str)]) -> Vec<String> {
    let mut args: Vec<String> = sub.args.iter().map(|a| a.to_string()).collect();
    for (flag, value) in sub.defaults {
        if !fuzzed.iter().any(|(f, _)| f == flag) {
            args.push(format!("{flag}={value}"));
        }
    }
    // `=` keeps clap from reading `-1` as a flag of its own.
    args.extend(fuzzed.iter().map(|(f, v)| format!("{f}={v}")));
    args
}

/// Runs one hostile command line and judges it: exit 0, 1 or 2 in time, no panic, and
/// an error whose first line is about one of the flags given is a usage error (exit
/// 2), not a problem of the model. Returns the exit code.
fn judge_flags(args: &[String], fuzzed: &[(&str, &str)], dir: &Path) -> Result<i32, String> {
    let line = args.join(" ");
    let (code, stderr) = run_bounded(args, dir).map_err(|e| format!("{line}: {e}"))?;
    if !(0..=2).contains(&code) {
        return Err(format!("{line}: exit {code}: {stderr}"));
    }
    if stderr.contains("panicked") {
        return Err(format!("{line}: {stderr}"));
    }
    let first = stderr.lines().next().unwrap_or("");
    if code == 1
        && fuzzed
            .iter()
            .any(|(f, _)| first.contains(&format!("`{f} ")))
    {
        return Err(format!(
            "{line}: a flag's value failed as the model's (exit 1): {stderr}"
        ));
    }
    Ok(code)
}

#[test]
fn hostile_flags_exit_0_1_or_2() {
    let dir = crate::cli::TempDir::new("fuzz-flags");
    dir.write("m.pathway", FLAG_MODEL);
    dir.write(
        "pathrules.toml",
        "base = \"m\"\njudge = [\"judge.pathway\"]\n[hypotheses]\nm = \"m.pathway\"\n",
    );
    dir.write("judge.pathway", "import \"m.pathway\"\n");
    let strategy = (
        0..SUBCOMMANDS.len(),
        proptest::collection::vec((any::<Index>(), any::<Index>()), 1..=2),
    );
    let codes = std::sync::Mutex::new([0usize; 3]);
    let count = |code: i32| {
        if let Ok(mut c) = codes.lock() {
            c[code as usize] += 1;
        }
    };
    let started = Instant::now();
    // Every flag of every subcommand with every value, one at a time.
    let mut failures = Vec::new();
    for sub in SUBCOMMANDS {
        for flag in sub.flags {
            for value in HOSTILE_FLAGS {
                let fuzzed = [(*flag, *value)];
                match judge_flags(&flag_args(sub, &fuzzed), &fuzzed, &dir.0) {
                    Ok(code) => count(code),
                    Err(e) => failures.push(e),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Then pairs, drawn at random.
    let result = runner(FLAG_CASES).run(&strategy, |(k, picks)| {
        let sub = &SUBCOMMANDS[k];
        let fuzzed: Vec<(&str, &str)> = picks
            .iter()
            .map(|(f, v)| (*f.get(sub.flags), *v.get(HOSTILE_FLAGS)))
            .collect();
        let code =
            judge_flags(&flag_args(sub, &fuzzed), &fuzzed, &dir.0).map_err(TestCaseError::fail)?;
        count(code);
        Ok(())
    });
    eprintln!(
        "fuzz: hostile flags run in {:.1?}; exits 0/1/2: {:?}",
        started.elapsed(),
        codes.lock().map(|c| *c).unwrap_or_default()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
