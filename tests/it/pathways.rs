//! The shipped pathway files: each checks, runs for a week with the stiff default,
//! agrees with an independent explicit solver, and graphs.

use std::path::{Path, PathBuf};

use pathrules::solve::{Method, Settings};

fn shipped() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("pathways")
        .expect("pathways/ exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pathway"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no pathway files shipped");
    files
}

fn checked(path: &Path) -> pathrules::Checked {
    let (sources, result) = pathrules::check(path, &mut pathrules::FsLoader);
    match result {
        Ok(c) => c,
        Err(d) => panic!("{}", pathrules::syntax::render(&d, &sources, false)),
    }
}

#[test]
fn every_shipped_pathway_checks_and_graphs() {
    for path in shipped() {
        let c = checked(&path);
        for format in [
            pathrules::output::graph::GraphFormat::Dot,
            pathrules::output::graph::GraphFormat::Mermaid,
        ] {
            let text =
                pathrules::output::graph::write(&c.model, &c.network, format, Default::default());
            for s in &c.model.species {
                assert!(
                    text.contains(&s.name),
                    "{}: {format:?} lacks `{}`",
                    path.display(),
                    s.name
                );
            }
        }
    }
}

#[test]
fn stiff_default_agrees_with_an_explicit_solver_over_a_day() {
    // BDF at its defaults against Dop853 at tight tolerance: an independent method
    // and implementation. They must agree to 1e-4 relative (plus 1e-7 absolute, far
    // below any concentration in the models) at every hour of the first day.
    let times = pathrules::time_grid(1440.0, 60.0);
    for path in shipped() {
        let c = checked(&path);
        let bdf = pathrules::simulate(&c, &times, &Settings::default()).expect("bdf solves");
        let reference = Settings {
            method: Method::Dop853,
            rtol: 1e-10,
            atol: 1e-12,
            max_steps: 10_000_000,
            ..Settings::default()
        };
        let dop = pathrules::simulate(&c, &times, &reference).expect("dop853 solves");
        for (k, (a, b)) in bdf.states.iter().zip(&dop.states).enumerate() {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert!(
                    (x - y).abs() <= 1e-7 + 1e-4 * y.abs(),
                    "{}: `{}` at {} min: bdf {x}, dop853 {y}",
                    path.display(),
                    c.model.species[i].name,
                    times[k]
                );
            }
        }
    }
}

#[test]
fn every_shipped_pathway_runs_for_a_week() {
    let times = pathrules::time_grid(7.0 * 1440.0, 60.0);
    for path in shipped() {
        let c = checked(&path);
        let t = pathrules::simulate(&c, &times, &Settings::default()).expect("solves");
        assert_eq!(t.times.len(), times.len());
        assert!(
            t.states
                .iter()
                .flatten()
                .all(|v| v.is_finite() && *v >= 0.0)
        );
    }
}

#[test]
fn every_shipped_pathway_starts_at_its_steady_state() {
    // The files state that their initial values are the drug-free steady state;
    // rounding of derived parameters leaves drifts far below 0.1%.
    for path in shipped() {
        let c = checked(&path);
        let steady =
            pathrules::experiment::steady_state(&c.system, &c.system.initial, &Settings::default())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (i, (s, y0)) in steady.iter().zip(&c.system.initial).enumerate() {
            assert!(
                (s - y0).abs() <= 1e-3 * y0.abs() + 1e-12,
                "{}: `{}` starts at {y0} but settles at {s}",
                path.display(),
                c.model.species[i].name
            );
        }
    }
}
