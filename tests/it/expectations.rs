//! Expectations over windows (`always`, `once`), with scaled and offset targets, a
//! weight and a margin, judged on a first-order decay whose trajectory is known
//! exactly: A → ∅ at rate k from A0 = 10 uM, so R(t) = 10·e^(−kt). Every value and
//! violation below is computed by hand from that formula; the solver runs at rtol
//! 1e-9, atol 1e-12, so 1e-6 relative leaves room for its error.

use pathrules::analysis::{self, Verdict};
use pathrules::model::load_str;
use pathrules::solve::Settings;
use pathrules::syntax::{FileId, parse, print};

/// `fast` decays at 0.1 /min, `slow` at 0.05 /min; both start at 10 uM and are read
/// every 10 min, so 7 min and 25 min are off the grid and 5 min is off it too.
const DECAY: &str = "\
units time = min, concentration = uM
species A = 10 uM
param k = 0.1 /min
decay: A -> @ k
readout R = A
genotype slow { set k = 0.05 /min }
experiment fast { start initial; run 60 min every 10 min }
experiment slow { genotype slow; start initial; run 60 min every 10 min }
";

fn tight() -> Settings {
    Settings {
        rtol: 1e-9,
        atol: 1e-12,
        ..Settings::default()
    }
}

/// The verdicts of `expects` added to the decay model, in the order written.
fn verdicts(expects: &str) -> Vec<Verdict> {
    let text = format!("{DECAY}{expects}");
    let loaded = load_str("decay.pathway", &text);
    let model = match loaded.model {
        Ok(m) => m,
        Err(d) => panic!("{}", pathrules::syntax::render(&d, &loaded.sources, false)),
    };
    let checked = pathrules::finish(model).expect("model compiles");
    analysis::expectations(&checked, &tight())
}

fn fast(t: f64) -> f64 {
    10.0 * (-0.1 * t).exp()
}

fn slow(t: f64) -> f64 {
    10.0 * (-0.05 * t).exp()
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-6 * want.abs().max(1e-3),
        "{what}: got {got}, want {want}"
    );
}

/// One verdict against its hand-computed value, target, violation and judgement.
fn check(v: &Verdict, value: f64, target: f64, violation: f64, pass: bool, what: &str) {
    assert_close(v.value, value, &format!("{what}: value"));
    assert_close(v.target, target, &format!("{what}: target"));
    assert_close(v.violation, violation, &format!("{what}: violation"));
    assert_eq!(v.pass, pass, "{what}: pass in {v:#?}");
    assert!(v.error.is_none() && v.unjudged.is_none(), "{what}: {v:#?}");
}

/// `always` holds at every output time of the window, its ends read even off the
/// grid; its value is the point farthest from holding and its violation that point's.
#[test]
fn always_is_decided_by_the_worst_point_ends_included() {
    let v = verdicts(
        "\
expect fast: R < 4.9 always over [7 min, 30 min]
expect fast: R < 5 always over [7 min, 30 min]
expect fast: R > 1 always over [5 min, 25 min] weight 2 margin 5%
expect slow: R > 0.5 * fast: R at 0 min always between [0 min, 20 min]
",
    );
    // Only the window's start, 7 min (off the grid), is above 4.9: 10·e^(−0.7).
    let r7 = fast(7.0);
    check(&v[0], r7, 4.9, (r7 - 4.9) / r7, false, "R < 4.9 always");
    check(&v[1], r7, 5.0, (r7 - 5.0) / 5.0, true, "R < 5 always");
    // The lowest point is the end, 25 min (off the grid): 10·e^(−2.5) = 0.8208. With a
    // margin of 5% of 1 the claim asks for 1.05: (1 + 0.05 − 0.8208) / 1.
    let r25 = fast(25.0);
    check(&v[2], r25, 1.0, 1.05 - r25, false, "R > 1 always");
    assert_eq!(v[2].weight, 2.0);
    assert_eq!(v[0].weight, 1.0);
    // Against half of fast's start, 5: slow's lowest point is 10·e^(−1) at 20 min.
    let s20 = slow(20.0);
    check(
        &v[3],
        s20,
        5.0,
        (5.0 - s20) / 5.0,
        false,
        "slow > 0.5 fast always",
    );
}

/// `once` holds at some output time of the window; its value is the point nearest to
/// holding and its violation that point's.
#[test]
fn once_is_decided_by_the_best_point() {
    let v = verdicts(
        "\
expect fast: R < 1 once over [0 min, 30 min]
expect fast: R ≈ 1 within 0.5 once over [20 min, 25 min]
expect fast: R > 20 once over [0 min, 60 min]
",
    );
    // The lowest point is 30 min: 10·e^(−3) = 0.4979, below 1 by 0.5021 of 1.
    let r30 = fast(30.0);
    check(&v[0], r30, 1.0, r30 - 1.0, true, "R < 1 once");
    // At 20 min |1.3534 − 1| − 0.5 = −0.1466 of 1.3534 = −0.1083; at 25 min
    // |0.8208 − 1| − 0.5 = −0.3208 of 1, the smaller, so 25 min decides.
    let r25 = fast(25.0);
    check(&v[1], r25, 1.0, (1.0 - r25) - 0.5, true, "R ≈ 1 once");
    // Never above 20: the nearest is the start, 10, short by 10 of 20.
    check(&v[2], 10.0, 20.0, 0.5, false, "R > 20 once");
}

/// A measured target is offset + factor × measure, an offset with the readout's unit,
/// and `-` negates the factor.
#[test]
fn scaled_and_offset_targets_are_computed_from_the_measure() {
    let v = verdicts(
        "\
expect slow: R at 20 min > 1.5 * fast: R at 20 min
expect slow: R at 20 min > 2 uM + fast: R at 20 min margin 1 uM
expect slow: R from 0 min to 10 min < 0.5 * fast: R from 0 min to 10 min
expect slow: R at 10 min > 7 - fast: R at 10 min
expect slow: R at 10 min ≈ 1 + 2 * fast: R at 10 min + 0 min within 10%
",
    );
    let (s10, s20, f10, f20) = (slow(10.0), slow(20.0), fast(10.0), fast(20.0));
    let t = 1.5 * f20;
    check(&v[0], s20, t, (t - s20) / s20, true, "scaled");
    // 3.6788 > 2 + 1.3534 holds as written, but not with 1 uM of room: the margin
    // makes the violation positive and leaves the judgement alone.
    let t = 2.0 + f20;
    check(
        &v[1],
        s20,
        t,
        (t + 1.0 - s20) / s20,
        true,
        "offset with margin",
    );
    assert!(v[1].violation > 0.0);
    // Both changes are negative: −3.9347 < 0.5 × −6.3212.
    let (ds, df) = (s10 - 10.0, f10 - 10.0);
    let t = 0.5 * df;
    check(&v[2], ds, t, (ds - t) / ds.abs(), true, "scaled change");
    let t = 7.0 - f10;
    check(&v[3], s10, t, (t - s10) / s10, true, "negative offset");
    // 1 + 2 × 3.6788 = 8.3576, 10% of which is 0.8358; |6.0653 − 8.3576| − 0.8358
    // = 1.4565, of 8.3576. The `+ 0 min` is a term of the measure's time.
    let t = 1.0 + 2.0 * f10;
    let want = ((s10 - t).abs() - 0.1 * t) / t;
    check(&v[4], s10, t, want, false, "offset and factor within");
}

/// Every new form prints canonically (weight before margin, `between` as `over`,
/// single blanks) and reads back as the same tree.
#[test]
fn every_new_form_prints_canonically_and_round_trips() {
    let messy = "\
expect fast:R<5 uM always   between[7 min,30 min]   margin 5 %weight 2 \"note\"
expect fast : R ~1 within 0.5 once over [20 min , 25 min] weight 0.5
expect slow: R at 20 min>1.5*fast: R at 20 min
expect slow: R at 20 min >2 uM+fast: R at 20 min margin 1 uM
expect slow: R at 10 min > 7-  2 *fast: R at 10 min + 1 min
";
    let canonical = "\
expect fast: R < 5 uM always over [7 min, 30 min] weight 2 margin 5% \"note\"
expect fast: R ≈ 1 within 0.5 once over [20 min, 25 min] weight 0.5
expect slow: R at 20 min > 1.5 * fast: R at 20 min
expect slow: R at 20 min > 2 uM + fast: R at 20 min margin 1 uM
expect slow: R at 10 min > 7 - 2 * fast: R at 10 min + 1 min
";
    let (tree, errors) = parse(FileId(0), messy);
    assert!(errors.is_empty(), "{errors:?}");
    let printed = print(&tree);
    assert_eq!(printed, canonical);
    let (again, errors) = parse(FileId(0), &printed);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(print(&again), canonical);
}

/// An expectation that fails to run has no violation (NaN), and one whose readout is
/// not a number is not judged and has none either.
#[test]
fn no_number_has_no_violation() {
    let v = verdicts(
        "\
readout ratio = A / baseline(A)
genotype gone { knockout A }
experiment ko { genotype gone; start initial; run 60 min every 10 min }
expect ko: ratio < 1 always over [0 min, 30 min]
expect fast: R at 10 min > 1
",
    );
    assert!(v[0].unjudged.is_some(), "{:#?}", v[0]);
    assert!(v[0].violation.is_nan() && !v[0].pass);
    assert!(v[1].violation < 0.0 && v[1].pass);
}
