//! The SBML export against the tools modellers already use: every shipped experiment,
//! exported with `pathrules export sbml`, validates in libSBML and simulates in
//! libRoadRunner to pathrules' own trajectory (scripts/sbml_check.py says how close).
//! The Python tools live in .venv, made by scripts/setup-python.sh when
//! PATHRULES_PYTHON does not name an interpreter that has them.

use std::process::Command;

/// The Python interpreter with libroadrunner and python-libsbml.
fn python() -> String {
    if let Ok(p) = std::env::var("PATHRULES_PYTHON")
        && !p.is_empty()
    {
        return p;
    }
    let out = Command::new("bash")
        .arg("scripts/setup-python.sh")
        .output()
        .expect("bash runs scripts/setup-python.sh");
    assert!(
        out.status.success(),
        "scripts/setup-python.sh failed; it needs python3 with venv and pip, and PyPI:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn every_shipped_experiment_agrees_with_libroadrunner() {
    let out = Command::new(python())
        .args([
            "scripts/sbml_check.py",
            env!("CARGO_BIN_EXE_pathrules"),
            "pathways/experiments.pathway",
        ])
        .output()
        .expect("the cross-check runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = stdout.lines().last().unwrap_or("");
    assert!(summary.ends_with(" passed, 0 failed"), "{stdout}");
    let passed: usize = summary
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= 20, "only {passed} experiments checked:\n{stdout}");
}

/// A small model's export, as text, so a change to the writer is a reviewable diff.
#[test]
fn a_small_model_exports_as_expected() {
    let text = "\
units time = min, concentration = uM
compartment spine = 0.5
input drug = 0 uM
pk drug absorption = 5 min, elimination = 30 min
species Ca²⁺ = 0.1 uM in spine, RARα = 1 uM
param k = 0.1 /min \"assumption\"
let open = inhibit(drug, 2 uM, 1)
influx: -> Ca²⁺ ; k * 1 uM * open
clear: Ca²⁺ -> @ k
bind: Ca²⁺ + RARα -> RARα ; k * Ca²⁺ * hill(RARα, 1 uM, 2)
experiment e { at 0 min set drug = 1 uM; at 10 min set drug = 0 uM; at 20 min dose drug = 4 uM; run 1 h every 10 min; start initial }
";
    let dir = std::env::temp_dir().join(format!("pathrules-sbml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let file = dir.join("small.pathway");
    std::fs::write(&file, text).expect("a writable file");
    let out = Command::new(env!("CARGO_BIN_EXE_pathrules"))
        .args(["export", "sbml"])
        .arg(&file)
        .args(["--experiment", "e"])
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!("sbml_small", String::from_utf8_lossy(&out.stdout));
}
