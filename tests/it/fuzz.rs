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
//! The seed is fixed so a failure reproduces; `PROPTEST_RNG_SEED` and
//! `PROPTEST_CASES` explore further.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// The deepest expression the parser accepts goes through every stage; the limit
/// is what keeps them all within a test thread's stack.
#[test]
fn deepest_accepted_expression_compiles() {
    // The parser's `MAX_NESTING`.
    let depth = 64;
    for text in [
        format!(
            "species A = 1\nlet x = {}A{}\n-> A ; x\n",
            "(".repeat(depth),
            ")".repeat(depth)
        ),
        format!("species A = 1\n-> A ; A{}\n", " + A".repeat(depth - 1)),
    ] {
        let loaded = pathrules::model::load_str("deep.pathway", &text);
        let model = loaded.model.unwrap_or_else(|d| {
            panic!("{}", render(&d, &loaded.sources, false));
        });
        pathrules::finish(model).expect("compiles");
    }
}
