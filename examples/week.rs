//! Simulates the shipped ketamine pathway for seven days with each solver and prints
//! the median wall time of repeated runs, with step counts: the numbers the README's
//! solver section quotes.
//!
//!     cargo run --release --example week [-- PATHWAY [RUNS]]

use std::path::PathBuf;
use std::time::Instant;

use pathrules::solve::{Method, Settings};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "pathways/resting_nmdar.pathway".to_string()),
    );
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(21);
    let (sources, result) = pathrules::check(&path, &mut pathrules::FsLoader);
    let checked = match result {
        Ok(c) => c,
        Err(d) => {
            eprint!("{}", pathrules::syntax::render(&d, &sources, false));
            std::process::exit(1);
        }
    };
    // The drug-free model sits at its steady state, which flatters a stiff solver;
    // a second scenario holds ketamine at 20 uM for the whole week (every input, in a
    // model without one by that name), so the run has dynamics to follow.
    let mut dosed = checked.clone();
    let ketamine = checked
        .model
        .inputs
        .iter()
        .position(|i| i.name == "ketamine");
    for (k, v) in dosed.system.inputs.iter_mut().enumerate() {
        if ketamine.is_none_or(|j| j == k) {
            *v = 20.0;
        }
    }
    let label = if ketamine.is_some() {
        "ketamine at 20 uM"
    } else {
        "inputs at 20 uM"
    };
    for (label, model) in [("at rest", &checked), (label, &dosed)] {
        run_all(label, &path, model, runs);
    }
}

fn run_all(label: &str, path: &std::path::Path, checked: &pathrules::Checked, runs: usize) {
    // Seven days in minutes with 1000 output intervals.
    let week = 7.0 * 24.0 * 60.0;
    let times = pathrules::time_grid(week, week / 1000.0);
    println!(
        "{} {label} — 7 days, {} output points, {runs} runs each",
        path.display(),
        times.len()
    );
    println!(
        "{:<8} {:>12} {:>8} {:>8} {:>6}",
        "solver", "median", "steps", "rhs", "jac"
    );
    for method in [Method::Bdf, Method::Dopri5, Method::Dop853] {
        let settings = Settings {
            method,
            ..Settings::default()
        };
        let mut samples = Vec::with_capacity(runs);
        let mut outcome = None;
        for _ in 0..runs {
            let start = Instant::now();
            let r = pathrules::simulate(checked, &times, &settings);
            samples.push(start.elapsed().as_secs_f64());
            outcome = Some(r);
        }
        samples.sort_by(f64::total_cmp);
        let median = samples[samples.len() / 2];
        match outcome {
            Some(Ok(t)) => println!(
                "{:<8} {:>9.3} ms {:>8} {:>8} {:>6}",
                method.to_string(),
                median * 1e3,
                t.stats.steps,
                t.stats.rhs_evals,
                t.stats.jac_evals
            ),
            Some(Err(e)) => println!(
                "{:<8} {:>9.3} ms  failed: {}",
                method.to_string(),
                median * 1e3,
                e.to_string().lines().next().unwrap_or("")
            ),
            None => {}
        }
    }
}
