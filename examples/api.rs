//! The library API in a few lines: load a model from text, check it, simulate it,
//! and read the result.
//!
//!     cargo run --example api

use pathrules::solve::Settings;

const MODEL: &str = "\
# A receptor that binds its ligand reversibly.
units time = min, concentration = uM
species L = 1 uM, R = 0.5 uM, LR = 0 uM
param k_on = 2 /uM/min \"assumption: diffusion-limited binding\"
param k_off = 0.5 /min \"assumption\"
bind: L + R <-> LR @ k_on, k_off
";

fn main() {
    let loaded = pathrules::model::load_str("binding.pathway", MODEL);
    let model = match loaded.model {
        Ok(model) => model,
        Err(diagnostics) => {
            eprint!(
                "{}",
                pathrules::syntax::render(&diagnostics, &loaded.sources, false)
            );
            std::process::exit(1);
        }
    };
    let checked = match pathrules::finish(model) {
        Ok(checked) => checked,
        Err(diagnostics) => {
            eprint!(
                "{}",
                pathrules::syntax::render(&diagnostics, &loaded.sources, false)
            );
            std::process::exit(1);
        }
    };
    let times = pathrules::time_grid(10.0, 2.0);
    match pathrules::simulate(&checked, &times, &Settings::default()) {
        Ok(trajectory) => {
            let names = checked.system.species_names();
            println!("time  {}", names.join("  "));
            for (t, y) in trajectory.times.iter().zip(&trajectory.states) {
                let values: Vec<String> = y.iter().map(|v| format!("{v:.4}")).collect();
                println!("{t:>4}  {}", values.join("  "));
            }
        }
        Err(e) => {
            eprintln!("error: {}", e.in_unit("min"));
            std::process::exit(1);
        }
    }
}
