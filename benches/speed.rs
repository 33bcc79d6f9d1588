//! The costs calibration and ensembles are made of, on the shipped model: one
//! right-hand side (machine code and interpreter), one Jacobian, the wild type's steady
//! state, and one experiment run on its full output grid and on the times its
//! expectations read. `cargo bench` prints each as a time with its spread; compare two
//! versions on one machine in one sitting (this machine's timings drift between hours).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use pathrules::analysis::{Runs, judge};
use pathrules::experiment;
use pathrules::solve::Settings;

fn shipped() -> pathrules::Checked {
    let (sources, result) = pathrules::check(
        Path::new("pathways/experiments.pathway"),
        &mut pathrules::FsLoader,
    );
    match result {
        Ok(c) => c,
        Err(d) => panic!("{}", pathrules::syntax::render(&d, &sources, false)),
    }
}

fn speed(c: &mut Criterion) {
    let checked = shipped();
    let (model, system) = (&checked.model, &checked.system);
    let settings = Settings::default();
    let y = experiment::steady_state(system, &system.initial, &settings).expect("a steady state");
    let mut dy = vec![0.0; system.dim()];
    c.bench_function("rhs, machine code", |b| {
        b.iter(|| system.rhs(black_box(&y), &mut dy))
    });
    let interpreted = system.interpreted();
    c.bench_function("rhs, interpreter", |b| {
        b.iter(|| interpreted.rhs(black_box(&y), &mut dy))
    });
    let mut jac = vec![0.0; system.dim() * system.dim()];
    c.bench_function("jacobian (dense)", |b| {
        b.iter(|| system.jacobian(black_box(&y), &mut jac))
    });
    c.bench_function("steady state of the wild type", |b| {
        b.iter(|| experiment::steady_state(system, black_box(&system.initial), &settings))
    });
    let e = &model.experiments[model.experiment_named("ketamine_slice").expect("shipped")];
    // The wild type's steady state is found once, then reused, as `Runs` does.
    let mut starts = experiment::Starts::default();
    experiment::predict_with(model, system, e, &[], &settings, &mut starts).expect("it runs");
    c.bench_function(
        "ketamine_slice from its steady state, 1001 output times",
        |b| b.iter(|| experiment::predict_with(model, system, e, &[], &settings, &mut starts)),
    );
    c.bench_function("judge every expectation, full grids", |b| {
        b.iter(|| judge(&mut Runs::new(&checked, &settings)))
    });
    c.bench_function("judge every expectation, the times read", |b| {
        b.iter(|| judge(&mut Runs::new(&checked, &settings).reading_only_what_is_judged()))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = speed
}
criterion_main!(benches);
