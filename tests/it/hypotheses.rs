//! Hypotheses: `override` and `remove` on an imported base model, the manifest, and
//! the comparison of the shipped hypotheses (snapshotted as `compare` prints it).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pathrules::analysis::compare::{Hypothesis, compare};
use pathrules::model::{Loader, Var, load};
use pathrules::syntax::{Diagnostic, Sources};

/// Files in memory, by path.
struct Files(HashMap<PathBuf, String>);

impl Loader for Files {
    fn load(&mut self, path: &Path) -> Result<String, String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file".to_string())
    }
}

const BASE: &str = "\
units time = min, concentration = uM
species A = 1 uM, B = 0 uM, C = 2 uM
param k = 0.1 /min \"assumption\"
param k_C = 0.5 /min \"assumption\"
make_A: -> A ; 0.1 uM/min
convert: A -> B @ k
lose_B: B -> @ 0.1 /min
make_C: -> C ; 1 uM/min
lose_C: C -> @ k_C
let drive = A / 1 uM
chain A -> B
";

/// Loads `hypothesis` (which may import \"base.pathway\") and returns the model or
/// the messages of its diagnostics.
fn load_with_base(hypothesis: &str) -> Result<pathrules::Model, Vec<String>> {
    let mut files = Files(HashMap::from([
        (PathBuf::from("base.pathway"), BASE.to_string()),
        (PathBuf::from("hypothesis.pathway"), hypothesis.to_string()),
    ]));
    let loaded = load(Path::new("hypothesis.pathway"), &mut files);
    loaded
        .model
        .map_err(|d: Vec<Diagnostic>| d.into_iter().map(|d| d.message).collect())
}

fn param(m: &pathrules::Model, name: &str) -> f64 {
    match m.find(name) {
        Some(Var::Param(p)) => m.params[p.index()].value,
        other => panic!("{name} is {other:?}"),
    }
}

#[test]
fn override_replaces_a_declaration_from_an_import() {
    let m = load_with_base(
        "import \"base.pathway\"
override param k = 0.3 /min \"hypothesis: faster conversion\"
override species B = 5 uM
override let drive = 2 * A / 1 uM
override convert: A -> B ; k * A * A / 1 uM
",
    )
    .expect("the hypothesis checks");
    assert_eq!(param(&m, "k"), 0.3);
    assert_eq!(
        m.params.iter().filter(|p| p.name == "k").count(),
        1,
        "one k, not two"
    );
    let b = m.species.iter().find(|s| s.name == "B").expect("B");
    assert_eq!(b.initial, 5.0);
    let convert = m
        .reactions
        .iter()
        .find(|r| r.label.as_deref() == Some("convert"))
        .expect("convert");
    assert_eq!(m.show_expr(&convert.rate()), "k * A * A / 1");
    let drive = m.lets.iter().find(|l| l.name == "drive").expect("drive");
    assert_eq!(m.show_expr(&drive.expr), "2 * A / 1");
    // The order of declarations is kept: the species stay where the base has them.
    let names: Vec<&str> = m.species.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["A", "B", "C"]);
}

#[test]
fn remove_takes_a_reaction_or_a_species_with_its_own_reactions() {
    let m = load_with_base(
        "import \"base.pathway\"
remove reaction lose_B
remove species C
",
    )
    .expect("the hypothesis checks");
    let labels: Vec<&str> = m
        .reactions
        .iter()
        .filter_map(|r| r.label.as_deref())
        .collect();
    assert_eq!(labels, ["make_A", "convert"]);
    let names: Vec<&str> = m.species.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    // k_C is left unused, which is no error.
    assert_eq!(param(&m, "k_C"), 0.5);
}

#[test]
fn a_chain_can_be_withdrawn_by_its_names_and_signs() {
    // Without the conversion the base's chain A -> B cannot hold; withdrawn, it
    // need not.
    let broken = load_with_base("import \"base.pathway\"\nremove reaction convert\n")
        .expect("the model checks");
    let messages: Vec<String> = pathrules::finish(broken)
        .expect_err("the chain does not hold")
        .into_iter()
        .map(|d| d.message)
        .collect();
    assert_eq!(messages, ["`B` is not downstream of `A`"]);
    let m =
        load_with_base("import \"base.pathway\"\nremove reaction convert\nremove chain A -> B\n")
            .expect("the model checks");
    assert!(pathrules::finish(m).is_ok());
}

#[test]
fn redefining_without_override_stays_an_error() {
    let errors = load_with_base("import \"base.pathway\"\nparam k = 0.3 /min\n").unwrap_err();
    assert_eq!(errors, ["`k` is defined twice"]);
}

#[test]
fn overriding_or_removing_what_is_not_there_is_an_error() {
    let errors = load_with_base(
        "import \"base.pathway\"
override param kk = 0.3 /min
override make_D: -> A ; 1 uM/min
remove reaction lose_D
remove species D
remove chain B -> A
",
    )
    .unwrap_err();
    assert_eq!(
        errors,
        [
            "there is no parameter `kk` to override",
            "there is no reaction label `make_D` to override",
            "no reaction label is named `lose_D`",
            "no species is named `D`",
            "there is no chain `B -> A` to remove",
        ]
    );
}

#[test]
fn removing_a_species_still_used_is_an_error_and_removes_nothing() {
    let errors = load_with_base("import \"base.pathway\"\nremove species A\n").unwrap_err();
    // One error at the removal, not a cascade of unknown names.
    assert_eq!(errors, ["species `A` is removed but still used"]);
}

#[test]
fn the_same_declaration_overridden_twice_is_an_error() {
    let errors = load_with_base(
        "import \"base.pathway\"\noverride param k = 1 /min\noverride param k = 2 /min\n",
    )
    .unwrap_err();
    assert_eq!(errors, ["`k` is defined twice"]);
}

/// The manifest names what is wrong and where.
#[test]
fn manifest_errors_name_the_key() {
    let parse = |text: &str| -> Vec<String> {
        let mut sources = Sources::new();
        let id = sources.add("pathrules.toml", "pathrules.toml", text);
        let exists = |p: &Path| p.to_string_lossy().ends_with("a.pathway");
        match pathrules::project::parse(id, text, Path::new("."), &exists) {
            Ok(_) => Vec::new(),
            Err(d) => d.into_iter().map(|d| d.message).collect(),
        }
    };
    let good = "base = \"a\"\njudge = [\"a.pathway\"]\n[hypotheses]\na = \"a.pathway\"\n";
    assert!(parse(good).is_empty());
    assert_eq!(
        parse(
            "base = \"a\"\njudge = [\"a.pathway\"]\nflavour = 1\n[hypotheses]\na = \"a.pathway\"\n"
        ),
        [
            "pathrules.toml: unknown field `flavour`, expected one of `base`, `judge`, `hypotheses`, `occlusion`, `solver`, `output`, `ensemble`, `calibration`, `literature`"
        ]
    );
    assert_eq!(
        parse(
            "base = \"b\"\njudge = [\"gone.pathway\"]\n[hypotheses]\na = \"a.pathway\"\nc = \"c.pathway\"\n"
        ),
        [
            "hypothesis `c`: no file `./c.pathway`",
            "`base` names `b`, which is not under [hypotheses]",
            "judge: no file `./gone.pathway`",
        ]
    );
    assert_eq!(
        parse(&format!(
            "{good}[solver]\nmethod = \"rk4\"\nrtol = 2\nlinear = \"banded\"\n"
        )),
        [
            "[solver] method `rk4` is not a solver",
            "[solver] rtol must be between 0 and 1",
            "[solver] linear `banded` is not a choice",
        ]
    );
    assert!(parse(&format!("{good}[solver]\nlinear = \"sparse\"\n")).is_empty());
}

/// `compare` on the shipped manifest: the scorecard, the occlusion under each
/// hypothesis, the ranking of discriminating experiments and the structural diffs,
/// as the command prints them.
#[test]
fn shipped_hypotheses_compare() {
    let text = std::fs::read_to_string("pathrules.toml").expect("pathrules.toml");
    let mut sources = Sources::new();
    let id = sources.add("pathrules.toml", "pathrules.toml", text.clone());
    let exists = |p: &Path| p.is_file();
    let project = pathrules::project::parse(id, &text, Path::new("."), &exists)
        .unwrap_or_else(|d| panic!("{}", pathrules::syntax::render(&d, &sources, false)));
    let hypotheses: Vec<Hypothesis> = project
        .hypotheses
        .iter()
        .map(|(name, path)| {
            let (sources, result) = pathrules::check_hypothesis(
                Path::new("."),
                name,
                path,
                &project.judge,
                &mut pathrules::FsLoader,
            );
            let checked = result
                .unwrap_or_else(|d| panic!("{}", pathrules::syntax::render(&d, &sources, false)));
            Hypothesis {
                name: name.clone(),
                checked,
            }
        })
        .collect();
    let spec = project.occlusion.as_ref().expect("an [occlusion] table");
    assert_eq!(spec.at, "180 min");
    let comparison = compare(
        &hypotheses,
        Some((&spec.readout, 180.0, &spec.experiments)),
        &project.settings,
        None,
    )
    .expect("every hypothesis is evaluated");
    // The base passes everything; each alternative fails where the review says.
    assert_eq!(comparison.passed[0], comparison.judged[0]);
    let failed = |h: usize| -> Vec<&str> {
        comparison
            .scorecard
            .iter()
            .filter(|r| r.results[h].as_ref().is_some_and(|c| !c.pass))
            .map(|r| r.expectation.as_str())
            .collect()
    };
    assert!(
        failed(1)
            .iter()
            .any(|e| e.starts_with("memantine_slice: peEF2"))
    );
    assert!(
        failed(2)
            .iter()
            .any(|e| e.starts_with("ketamine_invivo: pMeCP2 at 7 d"))
    );
    insta::assert_snapshot!(
        "compare_shipped",
        pathrules::output::compare::text(&comparison, 60.0)
    );
}
