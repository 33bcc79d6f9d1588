//! Experiments written to break the protocol stage: repeats that make millions of
//! events, output grids of a billion points or of points 1e-300 apart, times past the
//! end of a run, values whose unit is of another kind than what they set, and
//! protocols that say one thing twice. Each must be an error at its place in the file
//! or run as written (no dose silently dropped, no cost that grows with the square of
//! the doses), never a panic, an abort or a silently different result.

use pathrules::experiment::{self, Dose, MAX_POINTS, Protocol};
use pathrules::model::{InputId, Model, load_str};
use pathrules::syntax::Diagnostic;

use crate::cli::{TempDir, pathrules};

/// One input, one species that integrates it, and a pk for dosing; the tests append
/// their protocol lines.
const BASE: &str = "\
units time = min, concentration = uM
input drug = 0 uM
param k = 0.1 /min
param K = 2 uM
species A = 0 uM
make: -> A ; k * drug
loss: A -> @ 0.05 /min
pk drug absorption = 5 min, elimination = 15 min
readout level = A
";

fn model(extra: &str) -> Model {
    let text = format!("{BASE}{extra}");
    match load_str("t.pathway", &text).model {
        Ok(m) => m,
        Err(d) => panic!("expected to check, got {d:#?}"),
    }
}

/// The diagnostics of BASE plus `extra`, which must fail.
fn errors(extra: &str) -> Vec<Diagnostic> {
    let text = format!("{BASE}{extra}");
    match load_str("t.pathway", &text).model {
        Ok(_) => panic!("expected an error for:\n{extra}"),
        Err(d) => d,
    }
}

/// The one diagnostic of `extra`, whose span must cover `at` in the line.
fn one_error(extra: &str, at: &str) -> Diagnostic {
    let d = errors(extra);
    assert_eq!(d.len(), 1, "{d:#?}");
    let d = d.into_iter().next().unwrap_or_else(|| unreachable!());
    let text = format!("{BASE}{extra}");
    let (span, _) = d.primary.clone().expect("a place in the file");
    assert_eq!(
        &text[span.start as usize..span.end as usize],
        at,
        "wrong place: {d:#?}"
    );
    assert!(d.help.is_some(), "no help: {d:#?}");
    d
}

// Doses.

#[test]
fn doses_past_ten_thousand_were_dropped_without_a_word() {
    let m = model(
        "experiment many { start initial; at 0 min every 1 min for 20000 min dose drug = 1 uM; run 20000 min every 100 min }\n",
    );
    let events = &m.experiments[0].events;
    assert_eq!(events.len(), 20_000);
    assert_eq!(events.last().map(|e| e.time), Some(19_999.0));
}

#[test]
fn a_repeat_of_ten_million_events_is_an_error_at_its_every() {
    let d = one_error(
        "experiment many { at 0 min every 1e-6 min for 10 min dose drug = 1 uM; run 10 min every 1 min }\n",
        "1e-6 min",
    );
    assert!(d.message.contains("10000000 events"), "{}", d.message);
}

/// The doses' sum carried as accumulators from segment to segment against the
/// closed form summed dose by dose, as the input was computed before: three groups
/// on one input (two pairs of rate constants and one with ka = ke, whose limit form
/// is D·k·τ·e^(−kτ)), 40 doses, at times between doses and long after the last.
#[test]
fn superposed_doses_equal_the_direct_sum_of_bateman_curves() {
    let ln2 = std::f64::consts::LN_2;
    let mut doses = Vec::new();
    for j in 0..40 {
        let (ka, ke) = match j % 3 {
            0 => (ln2 / 5.0, ln2 / 15.0),
            1 => (ln2 / 20.0, ln2 / 2.0),
            _ => (ln2 / 7.0, ln2 / 7.0),
        };
        doses.push(Dose {
            time: 3.0 * j as f64 + 0.25 * (j % 4) as f64,
            input: InputId(0),
            amount: 1.0 + 0.1 * j as f64,
            ka,
            ke,
        });
    }
    let direct = |t: f64| -> f64 {
        doses
            .iter()
            .filter(|d| d.time < t)
            .map(|d| {
                let tau = t - d.time;
                if d.ka == d.ke {
                    d.amount * d.ka * tau * (-d.ka * tau).exp()
                } else {
                    d.amount * d.ka / (d.ka - d.ke) * ((-d.ke * tau).exp() - (-d.ka * tau).exp())
                }
            })
            .sum()
    };
    let protocol = Protocol::with_doses(Vec::new(), doses.clone());
    let m = model("");
    let system = pathrules::finish(m).expect("compiles").system;
    let times: Vec<f64> = (0..300).map(|k| 0.5 + 0.731 * k as f64).collect();
    let inputs = protocol.inputs_on(&system, &times);
    for (t, u) in times.iter().zip(&inputs) {
        let want = direct(*t);
        let alone = protocol.inputs_at(&system, *t)[0];
        for got in [u[0], alone] {
            assert!(
                (got - want).abs() <= 1e-12 * want.abs(),
                "at {t}: {got} vs {want}"
            );
        }
    }
}

/// A dose absorbed more slowly than it is eliminated (flip-flop kinetics: in the
/// ensemble, a half-life of absorption drawn above that of elimination) read as NaN
/// once e^((ke−ka)·τ) overflowed, about 2,000 min after the dose here; the solver's
/// first probe reads that far, took the NaN, stepped over the whole dose and left
/// the drug without effect.
#[test]
fn a_dose_absorbed_slower_than_eliminated_became_nan_long_after() {
    let ln2 = std::f64::consts::LN_2;
    let (ka, ke) = (ln2 / 14.65, ln2 / 10.41);
    let dose = Dose {
        time: 0.0,
        input: InputId(0),
        amount: 20.0,
        ka,
        ke,
    };
    let protocol = Protocol::with_doses(Vec::new(), vec![dose]);
    let system = pathrules::finish(model("")).expect("compiles").system;
    for t in [10.0, 100.0, 1e3, 1e4, 1e6, 6.3e8, 1e300] {
        let got = protocol.inputs_at(&system, t)[0];
        let want = 20.0 * ka / (ka - ke) * ((-ke * t).exp() - (-ka * t).exp());
        assert!(
            got.is_finite() && (got - want).abs() <= 1e-12 * want.abs(),
            "at {t}: {got} vs {want}"
        );
    }
}

/// 200 doses into `make: -> A ; drug` with nothing lost: A(t) is the integral of every
/// Bateman curve so far, c·((1 − e^(−ke·τ))/ke − (1 − e^(−ka·τ))/ka), so the input the
/// solver sees between doses is checked, not just the one reported.
#[test]
fn two_hundred_doses_integrate_to_the_closed_form() {
    let text = "units time = min, concentration = uM\n\
                input drug = 0 uM\n\
                species A = 0 uM\n\
                make: -> A ; 1 /min * drug\n\
                pk drug absorption = 5 min, elimination = 15 min\n\
                readout level = A\n\
                experiment many { start initial; at 0 min every 2 min for 400 min dose drug = 1 uM; run 500 min every 25 min }\n";
    let m = load_str("t.pathway", text).model.expect("checks");
    let checked = pathrules::finish(m).expect("compiles");
    let settings = pathrules::solve::Settings {
        rtol: 1e-10,
        atol: 1e-12,
        ..Default::default()
    };
    let e = &checked.model.experiments[0];
    let p = experiment::predict(&checked.model, &checked.system, e, &[], &settings).expect("runs");
    let ln2 = std::f64::consts::LN_2;
    let (ka, ke) = (ln2 / 5.0, ln2 / 15.0);
    let c = ka / (ka - ke);
    for (t, y) in p.times.iter().zip(&p.states) {
        let want: f64 = (0..200)
            .map(|j| t - 2.0 * j as f64)
            .filter(|tau| *tau > 0.0)
            .map(|tau| c * ((1.0 - (-ke * tau).exp()) / ke - (1.0 - (-ka * tau).exp()) / ka))
            .sum();
        assert!(
            (y[0] - want).abs() <= 1e-6 * want.max(1.0),
            "A({t}) = {}, want {want}",
            y[0]
        );
    }
}

// Output grids and times.

#[test]
fn a_run_of_a_billion_points_was_accepted_and_aborted() {
    let d = one_error(
        "experiment long { run 1e9 min every 1 min }\n",
        "run 1e9 min every 1 min",
    );
    assert!(
        d.message.contains("1000000001 output times"),
        "{}",
        d.message
    );
}

#[test]
fn a_run_every_1e_300_min_was_accepted() {
    one_error(
        "experiment fine { run 1 min every 1e-300 min }\n",
        "run 1 min every 1e-300 min",
    );
}

#[test]
fn a_run_of_1e308_min_was_accepted() {
    one_error(
        "experiment forever { run 1e308 min every 1 min }\n",
        "run 1e308 min every 1 min",
    );
}

#[test]
fn an_expectation_at_1e300_min_stays_past_the_run() {
    one_error(
        "experiment e { run 10 min every 1 min }\nexpect e: level at 1e300 min > 0\n",
        "1e300 min",
    );
}

#[test]
fn an_occlusion_at_1e300_min_was_accepted() {
    one_error(
        "experiment a { at 0 min set drug = 1 uM; run 10 min every 1 min }\n\
         experiment b { at 0 min set drug = 2 uM; run 10 min every 1 min }\n\
         expect occlusion(a, b, level at 1e300 min) > 0.5\n",
        "1e300 min",
    );
}

#[test]
fn an_occlusion_past_the_second_run_was_accepted() {
    let d = one_error(
        "experiment a { at 0 min set drug = 1 uM; run 10 min every 1 min }\n\
         experiment b { at 0 min set drug = 2 uM; run 10 min every 1 min }\n\
         expect occlusion(a, b, level at 20 min) > 0.5\n",
        "20 min",
    );
    assert!(d.message.contains("`b`"), "{}", d.message);
}

#[test]
fn an_occlusion_whose_first_run_is_continued_far_is_no_grid_error() {
    // `a` continued to 50 min on its own grid would be 2.5 million output times; the
    // occlusion reads one time, so the analysis keeps only the times it reads.
    let m = model(
        "experiment a { at 0 min set drug = 1 uM; run 10 min every 2e-5 min }\n\
         experiment b { at 0 min set drug = 2 uM; run 100 min every 1 min }\n\
         expect occlusion(a, b, level at 50 min) > 0.5\n",
    );
    assert_eq!(m.expectations.len(), 1);
}

#[test]
fn time_grid_allocated_whatever_it_was_asked_for() {
    assert_eq!(pathrules::time_grid(1e7, 1.0).len(), MAX_POINTS + 1);
    assert_eq!(pathrules::time_grid(1e300, 1e-300).len(), MAX_POINTS + 1);
    assert_eq!(pathrules::time_grid(10.0, 1.0).len(), 11);
}

/// The binary, not the library: `check` of the grids that aborted `run` says where.
#[test]
fn check_of_a_billion_point_run_exits_1_at_its_line() {
    let dir = TempDir::new("protocol-billion");
    dir.write(
        "long.pathway",
        &format!("{BASE}experiment long {{ run 1e9 min every 1 min }}\n"),
    );
    let run = pathrules(
        &["run", "long.pathway", "--experiment", "long"],
        Some(&dir.0),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("long.pathway:10:19"), "{}", run.stderr);
}

// Dimensions of protocol values.

#[test]
fn a_set_per_second_of_a_concentration_became_60_um() {
    let d = one_error(
        "experiment e { at 0 min set drug = 1 /s; run 10 min every 1 min }\n",
        "1 /s",
    );
    assert!(d.message.contains("`drug`"), "{}", d.message);
    assert!(d.help.as_deref().unwrap_or("").contains("`uM`"), "{d:?}");
}

#[test]
fn a_dose_in_minutes_was_accepted() {
    one_error(
        "experiment e { at 0 min dose drug = 3 min; run 10 min every 1 min }\n",
        "3 min",
    );
}

#[test]
fn a_genotype_set_in_hours_of_a_rate_constant_was_accepted() {
    let d = one_error("genotype slow { set k = 2 h }\n", "2 h");
    assert!(d.help.as_deref().unwrap_or("").contains("`/min`"), "{d:?}");
}

#[test]
fn a_half_life_that_names_a_concentration_was_accepted() {
    let text = BASE.replace("elimination = 15 min", "elimination = K");
    let d = match load_str("t.pathway", &text).model {
        Ok(_) => panic!("a concentration as a half-life checked"),
        Err(d) => d,
    };
    assert_eq!(d.len(), 1, "{d:#?}");
    let (span, _) = d[0].primary.clone().expect("a place");
    assert_eq!(&text[span.start as usize..span.end as usize], "K");
}

#[test]
fn an_expectation_comparing_a_concentration_with_a_time_was_accepted() {
    one_error(
        "experiment e { run 10 min every 1 min }\nexpect e: level at 1 min > 1 min\n",
        "1 min",
    );
}

#[test]
fn an_expectation_comparing_readouts_of_two_kinds_is_an_error() {
    one_error(
        "readout share = 100 * A / baseline(A)\n\
         experiment e { run 10 min every 1 min }\n\
         expect e: level at 1 min > e: share at 2 min\n",
        "e: share at 2 min",
    );
}

#[test]
fn an_occlusion_compared_with_a_concentration_is_an_error() {
    one_error(
        "experiment a { at 0 min set drug = 1 uM; run 10 min every 1 min }\n\
         experiment b { at 0 min set drug = 2 uM; run 10 min every 1 min }\n\
         expect occlusion(a, b, level at 5 min) > 0.5 uM\n",
        "0.5 uM",
    );
}

#[test]
fn values_without_units_are_not_second_guessed() {
    model(
        "genotype g { set k = 2 }\n\
         readout share = 100 * A / baseline(A)\n\
         experiment e { genotype g; at 0 min set drug = 1; at 1 min dose drug = 2; run 10 min every 1 min }\n\
         expect e: level at 1 min > 1\n\
         expect e: level at 1 min > 0.5 nM\n\
         expect e: share at 1 min > 90\n",
    );
}

// Protocols accepted without a word.

#[test]
fn an_event_after_the_run_was_accepted() {
    one_error(
        "experiment e { at 30 min set drug = 1 uM; run 10 min every 1 min }\n",
        "30 min",
    );
}

#[test]
fn a_repeat_that_runs_past_the_end_is_an_error_at_its_duration() {
    let d = one_error(
        "experiment e { at 0 min every 1 min for 20 min dose drug = 1 uM; run 10 min every 1 min }\n",
        "20 min",
    );
    assert!(d.message.contains("19 min"), "{}", d.message);
}

#[test]
fn an_event_after_a_shortened_run_points_at_the_run() {
    let d = errors(
        "experiment long { at 30 min set drug = 1 uM; run 60 min every 1 min }\n\
         experiment short extends long { run 10 min every 1 min }\n",
    );
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(d[0].message.contains("`short`"), "{}", d[0].message);
    assert_eq!(d[0].secondary.len(), 1, "{d:#?}");
}

#[test]
fn conflicting_sets_at_one_time_were_accepted() {
    let d = one_error(
        "experiment e { at 5 min set drug = 1 uM; at 5 min set drug = 2 uM; run 10 min every 1 min }\n",
        "2 uM",
    );
    assert_eq!(d.secondary.len(), 1, "no note at the first set: {d:#?}");
    // A repeat that meets a single set at one of its times conflicts too.
    one_error(
        "experiment e { at 0 min every 2 min for 10 min set drug = 1 uM; at 6 min set drug = 0 uM; run 10 min every 1 min }\n",
        "0 uM",
    );
}

#[test]
fn the_same_set_twice_and_a_child_resetting_its_parent_are_not_conflicts() {
    let m = model(
        "experiment e { at 5 min set drug = 1 uM; at 5 min set drug = 1 uM; run 10 min every 1 min }\n\
         experiment f extends e { at 5 min set drug = 3 uM }\n",
    );
    // The child's set comes after its parent's, so it wins.
    let last = m.experiments[1].events.last().map(|e| e.value);
    assert_eq!(last, Some(3.0));
}

#[test]
fn an_occlusion_of_an_experiment_with_itself_trivially_passed() {
    let d = one_error(
        "experiment a { at 0 min set drug = 1 uM; run 10 min every 1 min }\n\
         expect occlusion(a, a, level at 5 min) > 0.5\n",
        "a",
    );
    assert!(d.message.contains("itself"), "{}", d.message);
}

/// SBML needs one event per dose and per step; the steps of a dosed input set its bath
/// level. Finding the dosed inputs once per export, not once per step, keeps an export
/// of 10⁵ steps and 10⁵ doses linear (52 s before, measured with the release build).
#[test]
fn sbml_of_many_doses_and_steps_writes_one_event_each() {
    let dir = TempDir::new("protocol-sbml");
    dir.write(
        "many.pathway",
        &format!(
            "{BASE}experiment many {{ start initial; at 0 min every 1 min for 2000 min dose drug = 1 uM; at 0.5 min every 1 min for 2000 min set drug = 1 uM; run 2000 min every 100 min }}\n"
        ),
    );
    let run = pathrules(
        &["export", "sbml", "many.pathway", "--experiment", "many"],
        Some(&dir.0),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The dose at 0 fills the depot's initial amount instead of an event.
    assert_eq!(run.stdout.matches("<event ").count(), 1999 + 2000);
    assert_eq!(
        run.stdout
            .matches("<eventAssignment variable=\"drug_bath\"")
            .count(),
        2000
    );
}
