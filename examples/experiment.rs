//! Experiments through the library: load the shipped model, run one experiment from
//! its genotype's steady state, read a readout, and judge every expectation.
//!
//!     cargo run --release --example experiment

use std::path::Path;

use pathrules::solve::Settings;

fn main() {
    let (sources, result) = pathrules::check(
        Path::new("pathways/experiments.pathway"),
        &mut pathrules::FsLoader,
    );
    let checked = match result {
        Ok(c) => c,
        Err(d) => {
            eprint!("{}", pathrules::syntax::render(&d, &sources, false));
            std::process::exit(1);
        }
    };
    let model = &checked.model;
    let settings = Settings::default();

    // One experiment: 20 µM ketamine for 30 min, then washout.
    let Some(experiment) = model
        .experiments
        .iter()
        .find(|e| e.name == "ketamine_slice")
    else {
        eprintln!("the model has no experiment `ketamine_slice`");
        std::process::exit(1);
    };
    let prediction =
        match pathrules::experiment::predict(model, &checked.system, experiment, &[], &settings) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        };
    let fepsp = model.readouts.iter().position(|r| r.name == "fEPSP");
    if let Some(r) = fepsp {
        for t in [0.0, 30.0, 60.0, 120.0, 240.0] {
            println!("fEPSP at {t:>5} min: {:.1} %", prediction.readout_at(r, t));
        }
    }

    // Every expectation, each experiment run once.
    let verdicts = pathrules::analysis::expectations(&checked, &settings);
    let passed = verdicts.iter().filter(|v| v.pass).count();
    println!("{passed} of {} expectations pass", verdicts.len());
}
