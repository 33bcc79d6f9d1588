//! Experiments, genotypes, doses, readouts, expectations and occlusion, on small
//! models whose answers are known in closed form. Each test states its tolerance;
//! the solver runs at rtol 1e-9, atol 1e-12.

use pathrules::Checked;
use pathrules::analysis::{self, Verdict};
use pathrules::experiment::{Prediction, predict};
use pathrules::model::{ExperimentId, ReadoutId, load_str};
use pathrules::solve::Settings;

fn tight() -> Settings {
    Settings {
        rtol: 1e-9,
        atol: 1e-12,
        ..Settings::default()
    }
}

fn checked(text: &str) -> Checked {
    let loaded = load_str("test.pathway", text);
    let model = match loaded.model {
        Ok(m) => m,
        Err(d) => panic!("{}", pathrules::syntax::render(&d, &loaded.sources, false)),
    };
    pathrules::finish(model).expect("model compiles")
}

fn run(c: &Checked, name: &str) -> Prediction {
    let e = c
        .model
        .experiments
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no experiment {name}"));
    predict(&c.model, &c.system, e, &[], &tight()).expect("the experiment runs")
}

fn species(c: &Checked, p: &Prediction, name: &str, t: f64) -> f64 {
    let s = c
        .model
        .species
        .iter()
        .position(|s| s.name == name)
        .expect("a species");
    p.states[p.index_of(t).expect("an output time")][s]
}

fn readout(c: &Checked, p: &Prediction, name: &str, t: f64) -> f64 {
    let r = c
        .model
        .readouts
        .iter()
        .position(|r| r.name == name)
        .expect("a readout");
    p.readout_at(r, t)
}

fn assert_close(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-12 + rel * want.abs(),
        "{what}: got {got}, want {want} (|diff| {:e})",
        (got - want).abs()
    );
}

/// The Bateman curve and its integral, for ka = ln2/t_abs and ke = ln2/t_el.
fn bateman(d: f64, ka: f64, ke: f64, tau: f64) -> (f64, f64) {
    if tau <= 0.0 {
        return (0.0, 0.0);
    }
    let c = d * ka / (ka - ke) * ((-ke * tau).exp() - (-ka * tau).exp());
    let area =
        d * ka / (ka - ke) * ((1.0 - (-ke * tau).exp()) / ke - (1.0 - (-ka * tau).exp()) / ka);
    (c, area)
}

const DOSED: &str = "\
units time = min, concentration = uM
input drug = 0 uM
pk drug absorption = 5 min, elimination = t_el
param t_el = 30 min \"assumption\"
species A = 0 uM
# A integrates the drug's level, so A(t) is the area under the curve.
take: -> A ; drug * 1 /min
experiment once { at 10 min dose drug = 8 uM; run 3 h every 5 min; start initial }
experiment daily { at 0 h every 1 d for 3 d dose drug = 8 uM; run 4 d every 1 h; start initial }
genotype slow_clearance { set t_el = 60 min }
experiment once_slow extends once { genotype slow_clearance }
";

/// A dose enters its input as the Bateman function, and a species driven by it
/// integrates that curve: both checked against the closed forms to 1e-6.
#[test]
fn a_dose_follows_the_bateman_curve() {
    let c = checked(DOSED);
    let ln2 = std::f64::consts::LN_2;
    let p = run(&c, "once");
    for (k, &t) in p.times.iter().enumerate() {
        let (level, area) = bateman(8.0, ln2 / 5.0, ln2 / 30.0, t - 10.0);
        assert_close(p.inputs[k][0], level, 1e-12, &format!("drug at {t}"));
        assert_close(species(&c, &p, "A", t), area, 1e-6, &format!("A at {t}"));
    }
    // A genotype's `set` reaches the half-lives through the parameter.
    let slow = run(&c, "once_slow");
    let (_, area) = bateman(8.0, ln2 / 5.0, ln2 / 60.0, 170.0);
    assert_close(
        species(&c, &slow, "A", 180.0),
        area,
        1e-6,
        "A at 180 with t_el 60",
    );
}

/// `every 1 d for 3 d` doses at 0, 1 and 2 d, and the curves superpose.
#[test]
fn repeated_doses_superpose() {
    let c = checked(DOSED);
    let ln2 = std::f64::consts::LN_2;
    let p = run(&c, "daily");
    let doses: Vec<f64> = c.model.experiments[1]
        .events
        .iter()
        .map(|e| e.time)
        .collect();
    assert_eq!(doses, [0.0, 1440.0, 2880.0]);
    for t in [60.0, 1500.0, 2940.0, 5760.0] {
        let area: f64 = doses
            .iter()
            .map(|d| bateman(8.0, ln2 / 5.0, ln2 / 30.0, t - d).1)
            .sum();
        assert_close(species(&c, &p, "A", t), area, 1e-6, &format!("A at {t}"));
    }
}

const GENOTYPES: &str = "\
units time = min, concentration = uM
input drug = 0 uM
species A = 5 uM, B = 0 uM
param k_make = 2 uM/min \"assumption\"
param k_loss = 0.5 /min \"assumption\"
make_A: -> A ; k_make * (1 + drug / 1 uM)
lose_A: A -> @ k_loss
convert: A -> B @ 0.1 /min
lose_B: B -> @ 0.2 /min
readout ratio = A / baseline(A)
readout percent = 100 * ratio
genotype no_A { knockout A }
genotype no_conversion { disable convert }
genotype strong { set k_make = 4 uM/min }
experiment rest { run 1 h every 1 min }
experiment pulse { at 10 min set drug = 1 uM; at 20 min set drug = 0 uM; run 1 h every 1 min }
experiment pulse_ko extends pulse { genotype no_A }
experiment pulse_noconv extends pulse { genotype no_conversion; run 30 min every 1 min }
experiment pulse_strong extends pulse { genotype strong }
experiment raw { start initial; run 1 min every 1 min }
";

/// Experiments start at their genotype's steady state: A = k_make / (k_loss + 0.1),
/// B = 0.1·A / 0.2; a knockout holds A and what it makes at zero; a disabled
/// reaction and a changed parameter move the steady state as the algebra says.
#[test]
fn genotypes_set_the_steady_state_experiments_start_from() {
    let c = checked(GENOTYPES);
    let rest = run(&c, "rest");
    assert_close(species(&c, &rest, "A", 0.0), 2.0 / 0.6, 1e-9, "A at rest");
    assert_close(
        species(&c, &rest, "B", 60.0),
        0.5 * 2.0 / 0.6,
        1e-7,
        "B at rest",
    );
    let ko = run(&c, "pulse_ko");
    for t in [0.0, 15.0, 60.0] {
        assert_eq!(species(&c, &ko, "A", t), 0.0, "A knocked out at {t}");
        assert_eq!(species(&c, &ko, "B", t), 0.0, "B never made at {t}");
    }
    let noconv = run(&c, "pulse_noconv");
    assert_close(
        species(&c, &noconv, "A", 0.0),
        2.0 / 0.5,
        1e-9,
        "A without conversion",
    );
    assert_eq!(
        noconv.times.last(),
        Some(&30.0),
        "the child's run replaces the parent's"
    );
    let strong = run(&c, "pulse_strong");
    assert_close(
        species(&c, &strong, "A", 0.0),
        4.0 / 0.6,
        1e-9,
        "A with k_make doubled",
    );
    // `start initial` skips pre-equilibration.
    let raw = run(&c, "raw");
    assert_eq!(species(&c, &raw, "A", 0.0), 5.0);
}

/// A step is integrated piecewise: during the pulse A relaxes towards 2·k_make/0.6
/// and afterwards back, exactly as the exponentials say. Readouts are relative to the
/// value at t = 0, and may read other readouts.
#[test]
fn steps_and_readouts_follow_the_closed_form() {
    let c = checked(GENOTYPES);
    let p = run(&c, "pulse");
    let (a0, k) = (2.0 / 0.6, 0.6);
    let a_pulse = |t: f64| 2.0 * a0 + (a0 - 2.0 * a0) * (-k * (t - 10.0)).exp();
    let a20 = a_pulse(20.0);
    let a_after = |t: f64| a0 + (a20 - a0) * (-k * (t - 20.0)).exp();
    for t in [0.0, 10.0, 15.0, 20.0, 25.0, 60.0] {
        let want = if t <= 10.0 {
            a0
        } else if t <= 20.0 {
            a_pulse(t)
        } else {
            a_after(t)
        };
        assert_close(species(&c, &p, "A", t), want, 1e-6, &format!("A at {t}"));
        assert_close(
            readout(&c, &p, "percent", t),
            100.0 * want / a0,
            1e-6,
            &format!("percent at {t}"),
        );
    }
    assert_eq!(readout(&c, &p, "percent", 0.0), 100.0);
}

/// Expectations compare a statistic with a value or with another experiment's.
#[test]
fn expectations_are_judged_on_the_prediction() {
    let text = format!(
        "{GENOTYPES}\
expect pulse: percent at 20 min > 190 \"closed form: 200 − 100·e^(−6) = 199.75\"
expect pulse: percent at 20 min ≈ 199.75 within 0.01
expect pulse: percent at 20 min ≈ 200 within 0.2%
expect pulse: max percent over [0 min, 60 min] < 199.7
expect pulse: min percent over [0 min, 60 min] >= 99.9999
expect pulse: mean percent over [0 min, 10 min] ≈ 100 within 1e-6
expect pulse: percent from 10 min to 20 min ≈ 99.75 within 0.01
expect pulse_strong: ratio at 15 min ≈ pulse: ratio at 15 min within 1e-6
expect pulse_ko: percent at 15 min < pulse: percent at 15 min
"
    );
    let c = checked(&text);
    let verdicts = analysis::expectations(&c, &tight());
    let passed: Vec<bool> = verdicts.iter().map(|v: &Verdict| v.pass).collect();
    // The fourth is false (the maximum is 199.75) and the last compares NaN (A is
    // knocked out, so its ratio to a zero baseline is undefined), which never passes.
    assert_eq!(
        passed,
        [true, true, true, false, true, true, true, true, false],
        "{verdicts:#?}"
    );
    assert_close(
        verdicts[0].value,
        200.0 - 100.0 * (-6.0f64).exp(),
        1e-6,
        "percent at 20",
    );
}

const OCCLUSION: &str = "\
units time = min, concentration = uM
input a = 0 uM
input b = 0 uM
species X = 0 uM, Y = 0 uM
add_X: -> X ; 0.1 /min * (a + b)
lose_X: X -> @ 0.1 /min
max_Y: -> Y ; 0.1 /min * max(a, b)
lose_Y: Y -> @ 0.1 /min
readout sum = X
readout shared = Y
experiment drug_a { at 0 min set a = 1 uM; run 2 h every 10 min }
experiment drug_b { at 0 min set b = 1 uM; run 2 h every 10 min }
";

/// Drugs whose effects add give occlusion 0; drugs acting through one saturated
/// step (here max(a, b)) give 1. Both exact up to the solver's tolerance.
#[test]
fn occlusion_is_zero_for_additive_drugs_and_one_for_a_shared_step() {
    let c = checked(OCCLUSION);
    let (a, b) = (ExperimentId(0), ExperimentId(1));
    let sum = analysis::occlusion(
        &mut analysis::Runs::new(&c, &tight()),
        a,
        b,
        ReadoutId(0),
        60.0,
    )
    .expect("runs");
    assert!(sum.value.abs() < 1e-6, "{sum:?}");
    assert_eq!(sum.shift, 0.0);
    let shared = analysis::occlusion(
        &mut analysis::Runs::new(&c, &tight()),
        a,
        b,
        ReadoutId(1),
        60.0,
    )
    .expect("runs");
    assert!((shared.value - 1.0).abs() < 1e-6, "{shared:?}");
    // E_B = 1 − e^(−6) at 60 min for either readout.
    assert_close(shared.e_b, 1.0 - (-6.0f64).exp(), 1e-6, "E_B");
    // The drugs meet first where their influences converge.
    assert_eq!(sum.convergence, ["X"]);
    assert_eq!(shared.convergence, ["Y"]);
    assert_eq!(sum.meeting, ["X"]);
}

/// Where routes meet when no node lies on every route: two drugs that share a first
/// step (a binding pair, one strongly connected group) and reach the readout by two
/// branches, one of which the second drug also enters directly.
#[test]
fn routes_meet_where_the_downstream_sets_first_overlap() {
    let c = checked(
        "\
units time = min, concentration = uM
input a = 0 uM
input b = 0 uM
species P = 1 uM, Q = 1 uM, R = 0 uM, S = 0 uM, T = 0 uM
flip: P <-> Q @ 0.1 /min, 0.1 /min
push_a: P -> Q ; 0.1 /min * a
push_b: Q -> P ; 0.1 /min * b
via_R: -> R ; 0.1 /min * Q
via_S: -> S ; 0.1 /min * (Q + a)
lose_R: R -> @ 0.1 /min
lose_S: S -> @ 0.1 /min
make_T: -> T ; 0.1 /min * (R + S)
lose_T: T -> @ 0.1 /min
readout out = T
experiment drug_a { at 0 min set a = 1 uM; run 1 h every 10 min }
experiment drug_b { at 0 min set b = 1 uM; run 1 h every 10 min }
",
    );
    let o = analysis::occlusion(
        &mut analysis::Runs::new(&c, &tight()),
        ExperimentId(0),
        ExperimentId(1),
        ReadoutId(0),
        60.0,
    )
    .expect("runs");
    // a also reaches S directly, so P and Q are not on every route of a: only T is.
    assert_eq!(o.convergence, ["T"]);
    // Both first reach the pair P ⇌ Q, which counts as one meeting point.
    assert_eq!(o.meeting, ["P", "Q"]);
}

/// B's schedule starts at A's last event, and A's effect is read at the same time as
/// the combined one, so a washed-out A does not count as occlusion.
#[test]
fn occlusion_shifts_the_second_schedule() {
    let text = format!(
        "{OCCLUSION}experiment pulse_a {{ at 0 min set a = 1 uM; at 30 min set a = 0 uM; run 2 h every 10 min }}\n"
    );
    let c = checked(&text);
    let o = analysis::occlusion(
        &mut analysis::Runs::new(&c, &tight()),
        ExperimentId(2),
        ExperimentId(1),
        ReadoutId(0),
        60.0,
    )
    .expect("runs");
    assert_eq!(o.shift, 30.0);
    // At 90 min: A alone has decayed for 60 min after rising for 30.
    let e_a = (1.0 - (-3.0f64).exp()) * (-6.0f64).exp();
    assert_close(o.e_a, e_a, 1e-6, "E_A at s + T");
    assert_close(o.e_ab - o.e_a, o.e_b, 1e-6, "additive after the shift");
}
