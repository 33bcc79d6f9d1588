//! Runs that keep only the output times the expectations read (what ensembles and fits
//! use) give every verdict of the full runs to the bit, on every shipped hypothesis.

use std::path::Path;

use pathrules::analysis::{Runs, judge};

#[test]
fn reading_only_what_is_judged_changes_no_verdict() {
    let project = pathrules::project::load(
        Path::new("pathrules.toml"),
        &mut pathrules::FsLoader,
        &|p: &Path| p.is_file(),
    )
    .unwrap_or_else(|_| panic!("the shipped project loads"));
    let settings = project.manifest.settings;
    for h in &project.hypotheses {
        let full = judge(&mut Runs::new(&h.checked, &settings));
        let mut thin_runs = Runs::new(&h.checked, &settings).reading_only_what_is_judged();
        let thin = judge(&mut thin_runs);
        assert_eq!(full.len(), thin.len());
        for (a, b) in full.iter().zip(&thin) {
            let text = &h.checked.model.expectations[a.expectation].text;
            let same = |x: f64, y: f64| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
            assert!(
                same(a.value, b.value) && same(a.target, b.target) && a.pass == b.pass,
                "{}: `{text}` is {} ({}) on the full grid but {} ({}) thinned",
                h.name,
                a.value,
                a.pass,
                b.value,
                b.pass
            );
        }
        // The thinned runs hold fewer output times: the point of thinning.
        let model = &h.checked.model;
        let (mut kept, mut all) = (0, 0);
        for (k, e) in model.experiments.iter().enumerate() {
            if let Some(p) = thin_runs.done(k) {
                kept += p.times.len();
                all += pathrules::time_grid_len(e.until, e.every).unwrap_or(0.0) as usize;
            }
        }
        assert!(
            kept * 5 < all,
            "{}: {kept} of {all} output times kept",
            h.name
        );
    }
}
