//! Derived parameters: a parameter written as a formula of others takes its value from
//! them, in dependency order, from the declared amounts of species, inputs and lets;
//! `Checked::with_params` sets a parameter set and derives the rest; `fmt` prints the
//! formula; the SBML export recomputes it with an initial assignment; and every
//! shipped parameter that was computed by hand from others is now its formula, with
//! the value it had.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use pathrules::Checked;
use pathrules::model::{Loader, load, load_str};
use pathrules::pipeline::DeriveError;
use pathrules::syntax::{FileId, parse, print};

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

fn checked(text: &str) -> Checked {
    let loaded = load_str("test.pathway", text);
    let model = loaded.model.unwrap_or_else(|d| panic!("{d:?}"));
    pathrules::finish(model).unwrap_or_else(|d| panic!("{d:?}"))
}

/// The messages of the diagnostics `text` fails with.
fn fails(text: &str) -> Vec<String> {
    match load_str("test.pathway", text).model {
        Ok(_) => panic!("expected an error from\n{text}"),
        Err(d) => d.iter().map(|d| d.message.clone()).collect(),
    }
}

fn value(c: &Checked, name: &str) -> f64 {
    let k = c
        .model
        .params
        .iter()
        .position(|p| p.name == name)
        .unwrap_or_else(|| panic!("no parameter `{name}`"));
    assert_eq!(
        c.model.params[k].value.to_bits(),
        c.system.params[k].to_bits(),
        "`{name}`: the model and the system disagree"
    );
    c.model.params[k].value
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
}

const BLOCK: &str = "\
units time = min, concentration = uM
species A = 2 uM, B = 0 uM
input drug = 3 uM
param k_on = k_off / IC50 \"derived before what it reads\"
param k_off = 0.2 /min in [0.1, 0.4]
param IC50 = 4 uM
param k_rest = k_loss * A / 0.5 uM
param k_loss = 0.3 /min
param k_let = k_loss * occupied
let occupied = drug / (drug + IC50)
bind: A -> B @ k_on * drug
lose: B -> @ k_rest
";

#[test]
fn a_formula_reads_parameters_in_any_order_species_as_declared_inputs_and_lets() {
    let c = checked(BLOCK);
    // 0.2 /min / 4 uM, written before either.
    assert!(close(value(&c, "k_on"), 0.05));
    // 0.3 /min × 2 uM / 0.5 uM.
    assert!(close(value(&c, "k_rest"), 1.2));
    // 0.3 /min × 3 / (3 + 4).
    assert!(close(value(&c, "k_let"), 0.3 * 3.0 / 7.0));
    // A derived parameter has no range; the free ones keep theirs.
    let k_on = c.model.params.iter().find(|p| p.name == "k_on").unwrap();
    assert!(k_on.range.is_none() && k_on.formula.is_some());
}

#[test]
fn a_formula_reads_the_declared_amount_in_base_units() {
    // 50 nM is 0.05 uM, the base unit: 0.2 /min × 0.05 uM / 1 uM.
    let c = checked(
        "units time = min, concentration = uM\nspecies A = 50 nM\nparam k = 0.2 /min\nparam k_d = k * A / 1 uM\nA -> @ k_d\n",
    );
    assert!(close(value(&c, "k_d"), 0.01));
}

#[test]
fn with_params_sets_free_parameters_and_derives_the_rest_into_model_and_system() {
    let c = checked(BLOCK);
    let set = c
        .with_params(&BTreeMap::from([
            ("k_off".to_string(), 0.4),
            ("k_loss".to_string(), 0.1),
        ]))
        .expect("a good set");
    assert!(close(value(&set, "k_off"), 0.4));
    assert!(close(value(&set, "k_on"), 0.1));
    assert!(close(value(&set, "k_rest"), 0.4));
    assert!(close(value(&set, "k_let"), 0.1 * 3.0 / 7.0));
    // The original is untouched.
    assert!(close(value(&c, "k_on"), 0.05));
}

#[test]
fn with_params_refuses_a_derived_or_unknown_name_and_a_non_finite_value() {
    let c = checked(BLOCK);
    let one = |name: &str, v: f64| c.with_params(&BTreeMap::from([(name.to_string(), v)]));
    assert_eq!(
        one("k_on", 1.0).unwrap_err(),
        DeriveError::Derived {
            name: "k_on".into()
        }
    );
    assert_eq!(
        one("k_nope", 1.0).unwrap_err(),
        DeriveError::Unknown {
            name: "k_nope".into()
        }
    );
    assert!(matches!(
        one("k_off", f64::NAN).unwrap_err(),
        DeriveError::NotFiniteGiven { .. }
    ));
    // IC50 = 0 divides by zero: the error names the derived parameter.
    match one("IC50", 0.0).unwrap_err() {
        DeriveError::NotFinite { name, value } => {
            assert_eq!(name, "k_on");
            assert!(value.is_infinite());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_cycle_is_named_from_its_first_member() {
    let messages =
        fails("param k_b = k_a / 2\nparam k_a = 2 * k_c\nparam k_c = k_b + 1\nparam free = 1\n");
    assert_eq!(messages, ["`k_b` is derived from itself"]);
}

#[test]
fn a_range_after_a_formula_is_an_error() {
    let messages = fails("param a = 1\nparam b = 2 * a in [1, 3]\n");
    assert_eq!(
        messages,
        [
            "a derived parameter has no range of its own; its values follow from those it is computed from"
        ]
    );
}

#[test]
fn a_formula_of_the_wrong_dimension_is_a_rate_units_error() {
    // k_off / IC50 is per concentration per time: not a first-order constant.
    let messages = fails(
        "units time = min, concentration = uM\nspecies A = 1 uM\nparam k_off = 0.2 /min\nparam IC50 = 4 uM\nparam k = k_off / IC50\nA -> @ k\n",
    );
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains("per concentration per time"),
        "{messages:?}"
    );
}

#[test]
fn override_makes_a_derived_parameter_free_and_a_free_one_derived() {
    let base = "\
units time = min, concentration = uM
species A = 1 uM
param k_off = 0.2 /min
param IC50 = 4 uM
param k_on = k_off / IC50
param k_out = 0.1 /min
A -> @ k_out
";
    let hyp = "\
import \"base.pathway\"
override param k_on = 1 /uM/min in [0.5, 2] \"free now\"
override param k_out = k_off / 4
";
    let mut files = Files(HashMap::from([
        (PathBuf::from("base.pathway"), base.to_string()),
        (PathBuf::from("hyp.pathway"), hyp.to_string()),
    ]));
    let model = load(Path::new("hyp.pathway"), &mut files)
        .model
        .unwrap_or_else(|d| panic!("{d:?}"));
    let c = pathrules::finish(model).unwrap();
    assert!(close(value(&c, "k_on"), 1.0));
    assert!(close(value(&c, "k_out"), 0.05));
    let k_on = c.model.params.iter().find(|p| p.name == "k_on").unwrap();
    assert!(k_on.formula.is_none() && k_on.range == Some((0.5, 2.0)));
}

#[test]
fn fmt_prints_a_formula_canonically_and_reads_it_back() {
    let text = "param  k_on=k_off/IC50 \"D: the IC50's\"\nparam x = (5)\nparam y = -(2 uM)\nparam z = -2 uM in [-3, 0]\n";
    let (tree, errors) = parse(FileId(0), text);
    assert!(errors.is_empty(), "{errors:?}");
    let printed = print(&tree);
    assert_eq!(
        printed,
        "param k_on = k_off / IC50 \"D: the IC50's\"\nparam x = (5)\nparam y = -(2 uM)\nparam z = -2 uM in [-3, 0]\n"
    );
    let (again, errors) = parse(FileId(0), &printed);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(print(&again), printed);
    // A parenthesised number stays a formula, a bare one a value.
    let c = checked(&printed.replace("k_off / IC50", "2"));
    let derived: Vec<&str> = c
        .model
        .params
        .iter()
        .filter(|p| p.formula.is_some())
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(derived, ["x", "y"]);
}

#[test]
fn a_unit_written_after_a_number_is_still_a_unit() {
    // `2 /sec` is a misspelt unit, not 2 divided by a parameter `sec`.
    let loaded = load_str("test.pathway", "param k = 2 /sec\n");
    let d = loaded.model.expect_err("a bad unit");
    assert!(
        d[0].message.contains("expected a unit"),
        "{:?}",
        d[0].message
    );
}

#[test]
fn sbml_exports_a_derived_parameter_with_an_initial_assignment() {
    let c = checked(BLOCK);
    let setup = pathrules::output::sbml::Setup::for_genotype("m".into(), &c.model, &c.system, None);
    let xml = pathrules::output::sbml::write(&c.model, &setup);
    // The value is there for tools that do not recompute, and the formula for those that do.
    assert!(
        xml.contains(r#"<parameter id="k_on" name="k_on" value="0.05" constant="true"/>"#),
        "{xml}"
    );
    let assignments = xml
        .split("<listOfInitialAssignments>")
        .nth(1)
        .and_then(|s| s.split("</listOfInitialAssignments>").next())
        .expect("a list of initial assignments");
    let squeezed: String = assignments.split_whitespace().collect();
    // k_off / IC50, in the order the parameters are derived.
    assert!(
        squeezed.contains(r#"<initialAssignmentsymbol="k_on"><mathxmlns="http://www.w3.org/1998/Math/MathML"><apply><divide/><ci>k_off</ci><ci>IC50</ci></apply></math></initialAssignment>"#),
        "{squeezed}"
    );
    // A species reads its declared amount, written as the number: k_loss · 2 / 0.5.
    assert!(
        squeezed.contains(r#"<initialAssignmentsymbol="k_rest"><mathxmlns="http://www.w3.org/1998/Math/MathML"><apply><divide/><apply><times/><ci>k_loss</ci><cntype="real">2</cn></apply><cntype="real">0.5</cn></apply></math></initialAssignment>"#),
        "{squeezed}"
    );
    // A let is inlined at the declared input: k_loss · (3 / (3 + IC50)).
    assert!(
        squeezed.contains(r#"<initialAssignmentsymbol="k_let"><mathxmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><ci>k_loss</ci><apply><divide/><cntype="real">3</cn><apply><plus/><cntype="real">3</cn><ci>IC50</ci></apply></apply></apply></math></initialAssignment>"#),
        "{squeezed}"
    );
    assert_eq!(squeezed.matches("<initialAssignment").count(), 3);
}

#[test]
fn a_model_without_formulas_exports_no_initial_assignments() {
    let c = checked(
        "units time = min, concentration = uM\nspecies A = 1 uM\nparam k = 0.1 /min\nA -> @ k\n",
    );
    let setup = pathrules::output::sbml::Setup::for_genotype("m".into(), &c.model, &c.system, None);
    assert!(!pathrules::output::sbml::write(&c.model, &setup).contains("initialAssignment"));
}

/// Every shipped parameter that was computed by hand from others, with the number it
/// was written as before it became its formula (converted to base units: min, uM).
const CONVERTED: [(&str, &str, f64); 19] = [
    ("synapse", "k_exo", 0.064527 * 0.95), // /min; 5% of insertion is now basal (f_basal)
    ("synapse", "occupancy_rest", 30.0 / 52.0), // plain
    ("synapse", "template_rest", 0.24408), // plain
    ("synapse", "k_tl_AMPAR", 1.029 / 60.0), // 1.029 /h
    ("synapse", "k_exo_A1", 0.21509 * 0.95), // /min; likewise
    ("synapse", "k_tl_GluA1", 27.726 / 60.0), // 27.726 /h
    ("resting_nmdar", "k_on_ket", 0.0044010), // /uM/min
    ("resting_nmdar", "k_dp_eEF2", 0.083985), // /min
    ("resting_nmdar", "k_tl_BDNF", 8.6643e-6), // /min
    ("resting_nmdar", "k_syn_TrkB", 0.042497e-3), // nM/min: 0.020572 for internalised receptors, as written, and the turnover of inactive TrkB since added
    ("resting_nmdar", "TrkBP_rest", 0.0044519),   // uM
    ("resting_nmdar", "k_exo_gated", 0.0056113),  // /min
    ("mecp2", "k_phos_MeCP2", 2.4617e-5),         // /uM/min
    ("mecp2", "pMeCP2_rest", 0.05),               // uM
    ("retinoic_acid", "V_RA", 6.9315e-6),         // uM/min
    ("retinoic_acid", "CaN_rest", 0.5),           // plain
    ("retinoic_acid", "k_dec_mRNA_A1", 0.043985), // /min
    ("retinoic_acid", "k_load_RAR", 0.10996),     // /min
    ("retinoic_acid", "k_syn_RAR", 0.00058725),   // uM/min
];

/// The shipped file `pathways/FILE.pathway`, checked once.
fn shipped<'a>(models: &'a mut HashMap<&'static str, Checked>, file: &'static str) -> &'a Checked {
    models.entry(file).or_insert_with(|| {
        let path = PathBuf::from(format!("pathways/{file}.pathway"));
        let (_, result) = pathrules::check(&path, &mut pathrules::FsLoader);
        result.unwrap_or_else(|d| panic!("{file}: {d:?}"))
    })
}

#[test]
fn every_converted_shipped_parameter_keeps_its_value() {
    let mut models: HashMap<&str, Checked> = HashMap::new();
    for (file, name, old) in CONVERTED {
        let c = shipped(&mut models, file);
        let p = c.model.params.iter().find(|p| p.name == name).unwrap();
        assert!(p.formula.is_some(), "`{name}` is not derived");
        let now = value(c, name);
        assert!(
            ((now - old) / old).abs() <= 1e-4,
            "`{name}`: {now} against the {old} it was written as"
        );
    }
    // No shipped parameter is still marked derived but written as a number.
    for file in [
        "synapse",
        "resting_nmdar",
        "mecp2",
        "retinoic_acid",
        "activity",
        "lithium",
    ] {
        let c = shipped(&mut models, file);
        let marked = c
            .model
            .params
            .iter()
            .filter(|p| p.note.as_deref().is_some_and(|n| n.starts_with("D:")));
        for p in marked {
            let name = &p.name;
            assert!(
                p.formula.is_some(),
                "{file}: `{name}` is marked `D:` but written as a number"
            );
        }
    }
}

#[test]
fn the_ensemble_draws_only_free_parameters_and_counts_a_draw_without_a_derived_value() {
    use pathrules::analysis::compare::Hypothesis;
    use pathrules::analysis::ensemble::{CauseKind, Dist, Spec, run};
    // `k` is ln(a − 1): no number for the draws where a < 1.
    let c = checked(
        "species A = 1\nparam a = 1.5 in [0.5, 2]\nparam k = ln(a - 1)\nmake: -> A ; 1\ndecay: A -> ; exp(k) * A\nreadout r = A\nexperiment e { run 10 min every 1 min }\nexpect e: r at 10 min < 5\n",
    );
    let spec = Spec {
        samples: 40,
        seed: 1,
        shard: (1, 1),
        default: Dist::Uniform,
        distributions: BTreeMap::new(),
        retry: false,
    };
    let hypotheses = [Hypothesis {
        name: "h".into(),
        checked: c,
    }];
    let partial = run(
        &hypotheses,
        &spec,
        &pathrules::solve::Settings::default(),
        None,
    )
    .unwrap();
    assert_eq!(partial.parameters, [["a"]]);
    let mut failed = 0;
    for s in &partial.samples {
        assert_eq!(s.params.keys().collect::<Vec<_>>(), ["a"]);
        let a = s.params["a"];
        match &s.causes[0] {
            Some(cause) => {
                failed += 1;
                assert!(a < 1.0, "a = {a} failed: {cause}");
                assert_eq!(cause.kind, CauseKind::Derived { param: "k".into() });
            }
            None => {
                // Made at 1, lost at (a − 1)·A: the steady state the run starts from.
                let want = 1.0 / (a - 1.0);
                let got = s.values[0][0].unwrap();
                assert!(
                    (got - want).abs() <= 1e-4 * want.max(1e-3),
                    "a = {a}: {got} against {want}"
                );
            }
        }
    }
    assert!(
        failed > 0 && failed < partial.samples.len(),
        "{failed} failed"
    );
}

/// Naming a derived parameter among the manifest's distributions says it is derived,
/// not that it lacks a range (a range on it would be an error too).
#[test]
fn a_derived_parameter_in_the_ensemble_distributions_is_named_as_derived() {
    let dir = crate::cli::TempDir::new("derived-distribution");
    dir.write(
        "m.pathway",
        "units time = min, concentration = uM\nparam k = 0.1 /min in [0.05, 0.2] /min \"assumption\"\nparam k2 = 2 * k \"D: twice k\"\nspecies A = 1 uM\nA -> @ k2\n",
    );
    dir.write("judge.pathway", "import \"m.pathway\"\n");
    dir.write(
        "pathrules.toml",
        "base = \"m\"\njudge = [\"judge.pathway\"]\n[hypotheses]\nm = \"m.pathway\"\n[ensemble]\ndistributions = { k2 = \"uniform\" }\n",
    );
    let run = crate::cli::pathrules(&["ensemble", "--samples", "2"], Some(&dir.0));
    run.assert_exit(1);
    assert!(
        run.stderr
            .contains("[ensemble] distributions: parameter `k2` is derived from others"),
        "{}",
        run.stderr
    );
}
