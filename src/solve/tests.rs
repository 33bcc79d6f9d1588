//! Tests of the solver stage against closed forms, published reference values and the failure
//! modes a pathway model can produce. Each test states its tolerance and why it is fair.

use super::*;

#[path = "../../tests/support/lambert_w.rs"]
mod lambert;
use lambert::lambert_w;

const ALL: [Method; 3] = [Method::Bdf, Method::Dopri5, Method::Dop853];

fn settings(method: Method, rtol: f64, atol: f64) -> Settings {
    Settings {
        method,
        rtol,
        atol,
        ..Settings::default()
    }
}

/// Tight settings for the accuracy tests: rtol 1e-8, atol 1e-10.
fn tight(method: Method) -> Settings {
    settings(method, 1e-8, 1e-10)
}

fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|k| a + (b - a) * k as f64 / (n - 1) as f64)
        .collect()
}

fn rel_err(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs()
}

fn expect_err(r: Result<Trajectory, SolveError>) -> SolveError {
    match r {
        Ok(traj) => panic!(
            "expected an error, got a trajectory ending {:?}",
            traj.states.last()
        ),
        Err(e) => e,
    }
}

/// A → ∅ at rate k.
struct Decay {
    k: f64,
}

impl Problem for Decay {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = -self.k * y[0];
    }
    fn jacobian(&self, _t: f64, _y: &[f64], jac: &mut [f64]) {
        jac[0] = -self.k;
    }
    fn component_name(&self, _i: usize) -> &str {
        "A"
    }
}

/// A ⇌ B with forward rate kf and reverse rate kr.
struct Reversible {
    kf: f64,
    kr: f64,
}

impl Problem for Reversible {
    fn dim(&self) -> usize {
        2
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let flux = self.kf * y[0] - self.kr * y[1];
        dy[0] = -flux;
        dy[1] = flux;
    }
    fn jacobian(&self, _t: f64, _y: &[f64], jac: &mut [f64]) {
        jac.copy_from_slice(&[-self.kf, self.kr, self.kf, -self.kr]);
    }
    fn component_name(&self, i: usize) -> &str {
        ["A", "B"][i]
    }
}

/// Substrate depletion by a Michaelis–Menten enzyme: dS/dt = −Vmax S / (Km + S).
struct MichaelisMenten {
    vmax: f64,
    km: f64,
}

impl Problem for MichaelisMenten {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = -self.vmax * y[0] / (self.km + y[0]);
    }
    fn jacobian(&self, _t: f64, y: &[f64], jac: &mut [f64]) {
        jac[0] = -self.vmax * self.km / (self.km + y[0]).powi(2);
    }
    fn component_name(&self, _i: usize) -> &str {
        "S"
    }
}

/// Robertson's chemical kinetics, the standard stiff test (Hairer & Wanner, Solving Ordinary
/// Differential Equations II, section IV.1): k1 = 0.04, k2 = 3e7, k3 = 1e4.
struct Robertson;

impl Problem for Robertson {
    fn dim(&self) -> usize {
        3
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
        dy[2] = 3e7 * y[1] * y[1];
        dy[1] = -dy[0] - dy[2];
    }
    fn jacobian(&self, _t: f64, y: &[f64], jac: &mut [f64]) {
        jac.copy_from_slice(&[
            -0.04,
            1e4 * y[2],
            1e4 * y[1],
            0.04,
            -1e4 * y[2] - 6e7 * y[1],
            -1e4 * y[1],
            0.0,
            6e7 * y[1],
            0.0,
        ]);
    }
    fn component_name(&self, i: usize) -> &str {
        ["y1", "y2", "y3"][i]
    }
}

/// dy/dt = y², y(0) = 1: y = 1/(1 − t), which blows up at t = 1.
struct Blowup;

impl Problem for Blowup {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = y[0] * y[0];
    }
    fn jacobian(&self, _t: f64, y: &[f64], jac: &mut [f64]) {
        jac[0] = 2.0 * y[0];
    }
    fn component_name(&self, _i: usize) -> &str {
        "X"
    }
}

/// dy/dt = −1, y(0) = 1: a constant drain that takes y through zero at t = 1. `signed` marks the
/// component as allowed to go negative.
struct Drain {
    signed: bool,
}

impl Problem for Drain {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, _t: f64, _y: &[f64], dy: &mut [f64]) {
        dy[0] = -1.0;
    }
    fn jacobian(&self, _t: f64, _y: &[f64], jac: &mut [f64]) {
        jac[0] = 0.0;
    }
    fn component_name(&self, _i: usize) -> &str {
        "Ca"
    }
    fn is_nonnegative(&self, _i: usize) -> bool {
        !self.signed
    }
}

/// dy/dt = cos t: depends on t explicitly, so a wrong time offset shows.
struct Forced;

impl Problem for Forced {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, t: f64, _y: &[f64], dy: &mut [f64]) {
        dy[0] = t.cos();
    }
    fn jacobian(&self, _t: f64, _y: &[f64], jac: &mut [f64]) {
        jac[0] = 0.0;
    }
    fn component_name(&self, _i: usize) -> &str {
        "F"
    }
    fn is_nonnegative(&self, _i: usize) -> bool {
        false
    }
}

/// dy/dt = −y until t = 1, after which the rate is NaN, as a rate law dividing zero by zero.
struct Poisoned;

impl Problem for Poisoned {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = if t < 1.0 { -y[0] } else { f64::NAN };
    }
    fn jacobian(&self, t: f64, _y: &[f64], jac: &mut [f64]) {
        jac[0] = if t < 1.0 { -1.0 } else { f64::NAN };
    }
    fn component_name(&self, _i: usize) -> &str {
        "P"
    }
}

/// A system with no state at all.
struct Empty;

impl Problem for Empty {
    fn dim(&self) -> usize {
        0
    }
    fn rhs(&self, _t: f64, _y: &[f64], _dy: &mut [f64]) {}
    fn jacobian(&self, _t: f64, _y: &[f64], _jac: &mut [f64]) {}
    fn component_name(&self, _i: usize) -> &str {
        ""
    }
}

#[test]
fn lambert_w_inverts_w_exp_w() {
    // Round-off level: |W e^W − x| within 1e-14 relative.
    for &x in &[1e-6, 0.03, 0.5, 1.0, 5.0, 1e3, 5e5, 1e10] {
        let w = lambert_w(x);
        assert!(((w * w.exp()) - x).abs() <= 1e-14 * x, "x = {x}, w = {w}");
    }
}

#[test]
fn decay_matches_the_exponential_with_every_method() {
    // y = e^{-kt}; relative error at most 1e-5 with rtol 1e-8 (the global error of a well
    // conditioned decay stays within a few hundred rtol).
    let p = Decay { k: 0.5 };
    let times = linspace(0.0, 10.0, 101);
    for m in ALL {
        let traj = solve(&p, 0.0, &[1.0], &times, &tight(m)).unwrap();
        assert_eq!(traj.times, times);
        for (t, y) in traj.times.iter().zip(&traj.states) {
            let want = (-0.5 * t).exp();
            assert!(
                rel_err(y[0], want) <= 1e-5,
                "{m}: y({t}) = {} vs {want}",
                y[0]
            );
        }
        assert!(traj.stats.steps > 0 && traj.stats.rhs_evals > traj.stats.steps);
    }
}

#[test]
fn reversible_reaction_matches_its_closed_form_and_equilibrium() {
    // A(t) = (kr + kf e^{-(kf+kr)t}) / (kf + kr), B = 1 − A; absolute error at most 1e-6 with
    // rtol 1e-8, and the equilibrium ratio B/A = kf/kr = 2 at t = 20 (where the transient,
    // e^{-60}, is far below round-off) within 1e-6 relative.
    let (kf, kr) = (2.0, 1.0);
    let p = Reversible { kf, kr };
    let times = linspace(0.0, 20.0, 81);
    for m in ALL {
        let traj = solve(&p, 0.0, &[1.0, 0.0], &times, &tight(m)).unwrap();
        for (t, y) in traj.times.iter().zip(&traj.states) {
            let a = (kr + kf * (-(kf + kr) * t).exp()) / (kf + kr);
            assert!((y[0] - a).abs() <= 1e-6, "{m}: A({t}) = {} vs {a}", y[0]);
            assert!((y[1] - (1.0 - a)).abs() <= 1e-6, "{m}: B({t}) = {}", y[1]);
        }
        let last = traj.states.last().unwrap();
        assert!(
            rel_err(last[1] / last[0], kf / kr) <= 1e-6,
            "{m}: ratio {}",
            last[1] / last[0]
        );
    }
}

#[test]
fn michaelis_menten_depletion_matches_the_lambert_w_closed_form() {
    // S(t) = Km W((S0/Km) exp((S0 − Vmax t)/Km)); relative error at most 1e-5 with rtol 1e-8,
    // down to S ≈ 0.07 at t = 20.
    let (vmax, km, s0) = (1.0, 2.0, 10.0);
    let p = MichaelisMenten { vmax, km };
    let times = linspace(0.0, 20.0, 41);
    for m in ALL {
        let traj = solve(&p, 0.0, &[s0], &times, &tight(m)).unwrap();
        for (t, y) in traj.times.iter().zip(&traj.states) {
            let want = km * lambert_w((s0 / km) * ((s0 - vmax * t) / km).exp());
            assert!(
                rel_err(y[0], want) <= 1e-5,
                "{m}: S({t}) = {} vs {want}",
                y[0]
            );
        }
    }
}

/// Reference states of Robertson's problem. t = 40: Hairer & Wanner, Solving Ordinary
/// Differential Equations II, section IV.10. t = 1e11: the IVP Test Set (Mazzia & Magherini,
/// Test Set for Initial Value Problem Solvers, release 2.4, problem ROBER). In between: SciPy
/// 1.17.1 `solve_ivp` with Radau, rtol 1e-12, atol (1e-16, 1e-22, 1e-16) and the analytic
/// Jacobian, which agrees with both published points to 9 digits or better and with SciPy's BDF at
/// the same tolerances to 8.
const ROBERTSON_REFERENCE: [(f64, [f64; 3]); 6] = [
    (40.0, [0.7158270687, 9.185534764e-6, 0.2841637457]),
    (
        4e2,
        [0.4505186684711015, 3.2229014416747656e-6, 0.549478108627456],
    ),
    (
        4e3,
        [0.1832022577767065, 8.942371252776043e-7, 0.816796847986168],
    ),
    (
        4e4,
        [
            0.03898337708548135,
            1.6217683159096163e-7,
            0.9610164607376853,
        ],
    ),
    (
        1e5,
        [
            0.017865921142100106,
            7.274751468436586e-8,
            0.9821340061103837,
        ],
    ),
    (
        1e11,
        [
            0.2083340149701255e-7,
            0.8333360770334713e-13,
            0.999999979166505,
        ],
    ),
];

#[test]
fn bdf_matches_robertson_reference_values() {
    // rtol 1e-8 and atol 1e-14 (y2 is of order 1e-5 down to 1e-13, so atol must sit below it);
    // every component within 1e-5 relative of the reference up to t = 1e5, and within 1e-3 at
    // t = 1e11, where y1 and y2 are 8 and 13 orders below y3 and only their leading digits are
    // controlled by a scalar atol.
    let times: Vec<f64> = ROBERTSON_REFERENCE.iter().map(|(t, _)| *t).collect();
    let traj = solve(
        &Robertson,
        0.0,
        &[1.0, 0.0, 0.0],
        &times,
        &settings(Method::Bdf, 1e-8, 1e-14),
    )
    .unwrap();
    for ((t, want), got) in ROBERTSON_REFERENCE.iter().zip(&traj.states) {
        let tol = if *t > 1e5 { 1e-3 } else { 1e-5 };
        for i in 0..3 {
            assert!(
                rel_err(got[i], want[i]) <= tol,
                "y{}({t}) = {} vs {}",
                i + 1,
                got[i],
                want[i]
            );
        }
        // Mass is conserved by the linear invariant y1 + y2 + y3 = 1 to round-off of the Newton
        // solve: within 1e-8.
        assert!((got.iter().sum::<f64>() - 1.0).abs() <= 1e-8);
    }
    // The Jacobian is assembled once per rebuild, not once per column, and rebuilds are rarer
    // than steps.
    let s = &traj.stats;
    assert!(s.jac_evals > 0 && s.jac_evals < s.steps, "{s:?}");
}

#[test]
fn bdf_handles_robertson_at_default_settings() {
    // The defaults (rtol 1e-6, atol 1e-9) put atol only one order below y2 at t = 1e5, yet
    // every component must stay within 1e-5 relative of the reference at t = 40 and t = 1e5
    // (measured: 4e-6 at worst), and y2 must never be reported negative.
    let traj = solve(
        &Robertson,
        0.0,
        &[1.0, 0.0, 0.0],
        &[40.0, 1e5],
        &Settings::default(),
    )
    .unwrap();
    let references = [ROBERTSON_REFERENCE[0].1, ROBERTSON_REFERENCE[4].1];
    for (got, want) in traj.states.iter().zip(&references) {
        for i in 0..3 {
            assert!(
                rel_err(got[i], want[i]) <= 1e-5,
                "y{}: {} vs {}",
                i + 1,
                got[i],
                want[i]
            );
        }
        assert!(got[1] >= 0.0);
    }
}

#[test]
fn explicit_methods_give_up_on_robertson_with_an_error() {
    // Explicit stability needs steps below about 3.3/3400 ≈ 1e-3 near t = 40, so they either hit
    // the step limit or ode_solvers' stiffness test; either way an error, quickly, not a panic.
    for m in [Method::Dopri5, Method::Dop853] {
        let start = std::time::Instant::now();
        let e = expect_err(solve(
            &Robertson,
            0.0,
            &[1.0, 0.0, 0.0],
            &[40.0, 1e5],
            &settings(m, 1e-6, 1e-9),
        ));
        assert_eq!(e.method, m);
        match &e.kind {
            SolveErrorKind::TooManySteps { .. } => {}
            SolveErrorKind::Solver(msg) => assert!(msg.contains("stiff"), "{msg}"),
            other => panic!("{m}: unexpected {other:?}"),
        }
        assert!(e.to_string().contains("try --solver bdf"), "{e}");
        assert!(start.elapsed().as_secs_f64() < 10.0);
    }
    // With a small step limit the limit itself is what stops it.
    let mut s = settings(Method::Dopri5, 1e-6, 1e-9);
    s.max_steps = 500;
    let e = expect_err(solve(&Robertson, 0.0, &[1.0, 0.0, 0.0], &[40.0], &s));
    assert_eq!(e.kind, SolveErrorKind::TooManySteps { limit: 500 });
    assert!(e.to_string().contains("raise --max-steps"), "{e}");
}

#[test]
fn blow_up_is_reported_near_the_singularity_with_the_component_name() {
    // y = 1/(1 − t) is infinite at t = 1: every method must stop with a non-finite or step-size
    // error naming `X`, at a time within 1e-2 of 1 (the step sizes collapse only in the last
    // percent before the singularity).
    for m in ALL {
        let e = expect_err(solve(
            &Blowup,
            0.0,
            &[1.0],
            &[0.5, 2.0],
            &Settings {
                method: m,
                ..Settings::default()
            },
        ));
        match &e.kind {
            SolveErrorKind::NonFinite { component, name }
            | SolveErrorKind::StepSizeTooSmall { component, name } => {
                assert_eq!((*component, name.as_str()), (0, "X"));
            }
            other => panic!("{m}: unexpected {other:?}"),
        }
        assert!((e.time - 1.0).abs() < 1e-2, "{m}: t = {}", e.time);
        assert!(e.to_string().contains("`X`"), "{e}");
    }
}

#[test]
fn a_component_going_negative_is_reported_where_it_crosses() {
    // y = 1 − t crosses zero at t = 1. The error band below zero is 10 atol + rtol·1 ≈ 1e-6 at
    // the default settings, so the reported time is within 1e-4 of 1 even though a method may
    // cover the crossing with one long step.
    for m in ALL {
        let e = expect_err(solve(
            &Drain { signed: false },
            0.0,
            &[1.0],
            &linspace(0.0, 3.0, 7),
            &Settings {
                method: m,
                ..Settings::default()
            },
        ));
        match &e.kind {
            SolveErrorKind::Negative {
                component,
                name,
                value,
            } => {
                assert_eq!((*component, name.as_str()), (0, "Ca"));
                assert!(*value < 0.0);
            }
            other => panic!("{m}: unexpected {other:?}"),
        }
        assert!((e.time - 1.0).abs() < 1e-4, "{m}: t = {}", e.time);
    }
}

#[test]
fn round_off_negatives_are_clamped_and_signed_components_are_left_alone() {
    // Default settings: the band below zero is 10·1e-9 + 1e-6·1 = 1.01e-6. At t = 1 + 5e-7 the
    // drain is at −5e-7, inside the band: reported as exactly 0. At t = 1 + 5e-6 it is at −5e-6,
    // outside: an error. A component that may be signed is never clamped (to 1e-9 absolute).
    for m in ALL {
        let s = Settings {
            method: m,
            ..Settings::default()
        };
        let traj = solve(
            &Drain { signed: false },
            0.0,
            &[1.0],
            &[0.5, 1.0 + 5e-7],
            &s,
        )
        .unwrap();
        assert_eq!(traj.states[1][0], 0.0, "{m}");
        assert!((traj.states[0][0] - 0.5).abs() <= 1e-9);
        let e = expect_err(solve(
            &Drain { signed: false },
            0.0,
            &[1.0],
            &[1.0 + 5e-6],
            &s,
        ));
        assert!(
            matches!(e.kind, SolveErrorKind::Negative { .. }),
            "{m}: {e:?}"
        );
        let traj = solve(&Drain { signed: true }, 0.0, &[1.0], &[1.0 + 5e-7, 3.0], &s).unwrap();
        assert!(
            (traj.states[0][0] + 5e-7).abs() <= 1e-9,
            "{m}: {:?}",
            traj.states
        );
        assert!(
            (traj.states[1][0] + 2.0).abs() <= 1e-9,
            "{m}: {:?}",
            traj.states
        );
    }
}

#[test]
fn a_non_finite_rate_is_reported_with_its_component() {
    // The rate turns NaN at t = 1; every method must say so, naming `P`, at a time within 1e-3
    // of 1 (the last accepted step ends at the poison, up to round-off).
    for m in ALL {
        let e = expect_err(solve(
            &Poisoned,
            0.0,
            &[1.0],
            &[0.5, 2.0],
            &Settings {
                method: m,
                ..Settings::default()
            },
        ));
        assert_eq!(
            e.kind,
            SolveErrorKind::NonFinite {
                component: 0,
                name: "P".to_string()
            },
            "{m}: {e}"
        );
        assert!((e.time - 1.0).abs() < 1e-3, "{m}: t = {}", e.time);
    }
}

#[test]
fn bad_initial_states_are_reported_at_the_start() {
    for m in ALL {
        let s = Settings {
            method: m,
            ..Settings::default()
        };
        let e = expect_err(solve(&Decay { k: 1.0 }, 2.0, &[f64::NAN], &[3.0], &s));
        assert!(matches!(e.kind, SolveErrorKind::NonFinite { .. }) && e.time == 2.0);
        let e = expect_err(solve(&Decay { k: 1.0 }, 2.0, &[-1.0], &[3.0], &s));
        assert!(matches!(e.kind, SolveErrorKind::Negative { .. }) && e.time == 2.0);
        // A rate that is NaN from the start is named at the start.
        let e = expect_err(solve(&Poisoned, 1.5, &[1.0], &[3.0], &s));
        assert_eq!(
            (e.time, e.kind),
            (
                1.5,
                SolveErrorKind::NonFinite {
                    component: 0,
                    name: "P".to_string()
                }
            )
        );
    }
}

#[test]
fn bad_settings_are_rejected_not_panicked_on() {
    let p = Decay { k: 1.0 };
    for m in ALL {
        let ok = Settings {
            method: m,
            ..Settings::default()
        };
        let cases: Vec<(Settings, f64, Vec<f64>, Vec<f64>)> = vec![
            (
                Settings {
                    rtol: 0.0,
                    ..ok.clone()
                },
                0.0,
                vec![1.0],
                vec![1.0],
            ),
            (
                Settings {
                    rtol: f64::NAN,
                    ..ok.clone()
                },
                0.0,
                vec![1.0],
                vec![1.0],
            ),
            (
                Settings {
                    rtol: 1.0,
                    ..ok.clone()
                },
                0.0,
                vec![1.0],
                vec![1.0],
            ),
            (
                Settings {
                    atol: -1.0,
                    ..ok.clone()
                },
                0.0,
                vec![1.0],
                vec![1.0],
            ),
            (
                Settings {
                    atol: f64::INFINITY,
                    ..ok.clone()
                },
                0.0,
                vec![1.0],
                vec![1.0],
            ),
            (
                Settings {
                    max_steps: 0,
                    ..ok.clone()
                },
                0.0,
                vec![1.0],
                vec![1.0],
            ),
            (
                Settings {
                    initial_step: Some(0.0),
                    ..ok.clone()
                },
                0.0,
                vec![1.0],
                vec![1.0],
            ),
            (ok.clone(), 0.0, vec![1.0], vec![2.0, 1.0]),
            (ok.clone(), 1.0, vec![1.0], vec![0.5, 2.0]),
            (ok.clone(), 0.0, vec![1.0], vec![1.0, f64::NAN]),
            (ok.clone(), f64::INFINITY, vec![1.0], vec![]),
            (ok.clone(), 0.0, vec![1.0, 2.0], vec![1.0]),
        ];
        for (s, t0, y0, times) in cases {
            let e = expect_err(solve(&p, t0, &y0, &times, &s));
            assert!(
                matches!(e.kind, SolveErrorKind::BadSettings(_)),
                "{m}: {s:?} t0 {t0} y0 {y0:?} times {times:?}: {e:?}"
            );
            assert!(
                e.to_string().starts_with("invalid solver settings: "),
                "{e}"
            );
        }
    }
}

#[test]
fn a_system_without_state_returns_the_times() {
    for m in ALL {
        let s = Settings {
            method: m,
            ..Settings::default()
        };
        let traj = solve(&Empty, 0.0, &[], &[0.0, 1.0, 2.0], &s).unwrap();
        assert_eq!(traj.times, vec![0.0, 1.0, 2.0]);
        assert_eq!(traj.states, vec![Vec::<f64>::new(); 3]);
        assert_eq!(traj.stats, Stats::default());
    }
}

#[test]
fn start_times_repeats_and_empty_output_are_handled() {
    // Outputs at t0 are y0 exactly; repeated times repeat the sample; no times, no samples.
    // y = sin t from t0 = 5 onwards with y(5) = sin 5, within 1e-6 absolute at rtol 1e-8.
    for m in ALL {
        let s = tight(m);
        let y5 = 5f64.sin();
        let times = [5.0, 5.0, 6.0, 6.0, 7.5];
        let traj = solve(&Forced, 5.0, &[y5], &times, &s).unwrap();
        assert_eq!(traj.times, times);
        assert_eq!(traj.states[0][0], y5);
        assert_eq!(traj.states[1][0], y5);
        assert_eq!(traj.states[2], traj.states[3]);
        for (t, y) in traj.times.iter().zip(&traj.states) {
            assert!((y[0] - t.sin()).abs() <= 1e-6, "{m}: y({t}) = {}", y[0]);
        }
        let traj = solve(&Forced, 5.0, &[y5], &[], &s).unwrap();
        assert!(traj.times.is_empty() && traj.states.is_empty());
    }
}

#[test]
fn restarting_from_the_last_state_continues_the_solution() {
    // Piecewise runs restart from the last state: two halves agree with sin t within 1e-6 at
    // rtol 1e-8, and with one run over the whole span within 2e-6.
    for m in ALL {
        let s = tight(m);
        let whole = solve(&Forced, 0.0, &[0.0], &linspace(0.0, 10.0, 11), &s).unwrap();
        let first = solve(&Forced, 0.0, &[0.0], &linspace(0.0, 5.0, 6), &s).unwrap();
        let y5 = first.states.last().unwrap().clone();
        let second = solve(&Forced, 5.0, &y5, &linspace(5.0, 10.0, 6), &s).unwrap();
        let pieces = first.states.iter().chain(&second.states[1..]);
        for (k, (a, b)) in pieces.zip(&whole.states).enumerate() {
            assert!((a[0] - (k as f64).sin()).abs() <= 1e-6, "{m}: t = {k}");
            assert!((a[0] - b[0]).abs() <= 2e-6, "{m}: t = {k}");
        }
    }
}

#[test]
fn many_output_points_are_interpolated_within_steps() {
    // 2001 outputs over [0, 10]: every one within 1e-5 relative of e^{-t/2} at rtol 1e-8, and BDF
    // takes far fewer steps than there are outputs because it interpolates inside each step.
    let p = Decay { k: 0.5 };
    let times = linspace(0.0, 10.0, 2001);
    for m in ALL {
        let traj = solve(&p, 0.0, &[1.0], &times, &tight(m)).unwrap();
        assert_eq!(traj.states.len(), times.len());
        for (t, y) in traj.times.iter().zip(&traj.states) {
            assert!(rel_err(y[0], (-0.5 * t).exp()) <= 1e-5, "{m}: t = {t}");
        }
        if m == Method::Bdf {
            assert!(traj.stats.steps < 500, "{:?}", traj.stats);
        }
    }
}

#[test]
fn step_limit_and_initial_step_are_honoured() {
    for m in ALL {
        let s = Settings {
            max_steps: 3,
            ..tight(m)
        };
        let e = expect_err(solve(&Decay { k: 0.5 }, 0.0, &[1.0], &[10.0], &s));
        assert_eq!(e.kind, SolveErrorKind::TooManySteps { limit: 3 }, "{m}");
        // A given first step changes the path, not the answer (1e-5 relative at rtol 1e-8).
        let s = Settings {
            initial_step: Some(1e-3),
            ..tight(m)
        };
        let traj = solve(&Decay { k: 0.5 }, 0.0, &[1.0], &[10.0], &s).unwrap();
        assert!(rel_err(traj.states[0][0], (-5f64).exp()) <= 1e-5, "{m}");
    }
}

#[test]
fn explicit_methods_never_evaluate_the_jacobian() {
    for m in [Method::Dopri5, Method::Dop853] {
        let traj = solve(&Decay { k: 0.5 }, 0.0, &[1.0], &[10.0], &tight(m)).unwrap();
        assert_eq!(traj.stats.jac_evals, 0);
    }
}

#[test]
fn messages_name_the_time_the_component_and_a_remedy() {
    let e = SolveError {
        time: 1.2500001,
        kind: SolveErrorKind::Negative {
            component: 3,
            name: "Ca".to_string(),
            value: -3.2e-4,
        },
        method: Method::Bdf,
    };
    assert_eq!(
        e.to_string(),
        "`Ca` went negative (-3.200e-4) at t = 1.25 with the bdf solver\nhelp: tighten \
         --rtol/--atol so that small concentrations are resolved"
    );
    let e = SolveError {
        time: 3.0e5,
        kind: SolveErrorKind::TooManySteps { limit: 100 },
        method: Method::Dopri5,
    };
    assert_eq!(
        e.to_string(),
        "gave up after 100 steps at t = 300000 with the dopri5 solver\nhelp: raise --max-steps, \
         or try --solver bdf if the model is stiff"
    );
    let e = SolveError {
        time: 0.5,
        kind: SolveErrorKind::Solver(lowercase_first("ODE solver error: Step failed.")),
        method: Method::Bdf,
    };
    assert!(
        e.to_string()
            .contains("failed at t = 0.5: ODE solver error: Step failed\n")
    );
    assert_eq!(lowercase_first("Exceeded the limit."), "exceeded the limit");
    assert_eq!(format_number(1e-7), "1.000e-7");
    assert_eq!(format_number(0.0), "0");
}

#[test]
fn time_dependent_rates_take_few_steps_with_every_method() {
    // dy/dt = cos t over [0, 10] at rtol 1e-8: y(10) = sin 10 within 1e-6, and in under 300
    // steps. Without the clock component, ode_solvers' DOP853 tableau (c12 = 0) made this take
    // over 1000 steps to reach t = 0.47 and then report stiffness.
    for m in ALL {
        let traj = solve(&Forced, 0.0, &[0.0], &[10.0], &tight(m)).unwrap();
        assert!((traj.states[0][0] - 10f64.sin()).abs() <= 1e-6, "{m}");
        assert!(traj.stats.steps < 300, "{m}: {:?}", traj.stats);
    }
}

/// Van der Pol's oscillator, x'' = mu (1 − x²) x' − x, a stiff relaxation oscillator for large
/// mu whose every jump costs BDF a few Newton failures.
struct VanDerPol {
    mu: f64,
}

impl Problem for VanDerPol {
    fn dim(&self) -> usize {
        2
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = y[1];
        dy[1] = self.mu * (1.0 - y[0] * y[0]) * y[1] - y[0];
    }
    fn jacobian(&self, _t: f64, y: &[f64], jac: &mut [f64]) {
        jac.copy_from_slice(&[
            0.0,
            1.0,
            -2.0 * self.mu * y[0] * y[1] - 1.0,
            self.mu * (1.0 - y[0] * y[0]),
        ]);
    }
    fn component_name(&self, i: usize) -> &str {
        ["x", "v"][i]
    }
    fn is_nonnegative(&self, _i: usize) -> bool {
        false
    }
}

#[test]
fn newton_failures_do_not_accumulate_into_an_abort() {
    // Van der Pol with mu = 1000 over t = 30000, about 18 relaxation periods, at the default
    // settings: BDF meets 161 Newton failures in total, a few at each jump, each recovered
    // within its step. diffsol's stock limit of 50 counted over the whole run aborted this at
    // t ≈ 9685. It must run through, and x must stay on the limit cycle, |x| ≤ 2.1.
    let times = linspace(0.0, 30000.0, 301);
    let traj = solve(
        &VanDerPol { mu: 1000.0 },
        0.0,
        &[2.0, 0.0],
        &times,
        &Settings::default(),
    )
    .unwrap();
    assert!(traj.states.iter().all(|y| y[0].abs() <= 2.1));
}

#[test]
fn a_fast_decay_sampled_sparsely_never_shows_a_negative_value() {
    // A → ∅ with k = 50 sampled every 0.5: the species is below 1e-10 after the first output
    // and every sample must be non-negative and within 10 atol of e^{-50 t} (atol 1e-9). An
    // output taken from past the last accepted step could land well below zero here.
    let times = linspace(0.0, 10.0, 21);
    for m in ALL {
        let s = Settings {
            method: m,
            ..Settings::default()
        };
        let traj = solve(&Decay { k: 50.0 }, 0.0, &[1.0], &times, &s).unwrap();
        for (t, y) in traj.times.iter().zip(&traj.states) {
            assert!(y[0] >= 0.0, "{m}: y({t}) = {}", y[0]);
            assert!(
                (y[0] - (-50.0 * t).exp()).abs() <= 1e-8,
                "{m}: y({t}) = {}",
                y[0]
            );
        }
    }
}

/// `settle` stops at the first accepted step after which its condition holds, with that
/// step's own state, for every method: A decays at k = 1 from 1, and the condition
/// A < 1e-3 first holds after t = ln 1000 ≈ 6.91. The state returned is the closed form at
/// the time returned to 1e-6 relative (the run's rtol is 1e-8), and the run ends well short
/// of its end at t = 1e6.
#[test]
fn settle_stops_at_the_first_step_where_its_condition_holds() {
    for method in ALL {
        let done = |_t: f64, y: &[f64]| y[0] < 1e-3;
        let s =
            settle(&Decay { k: 1.0 }, 0.0, &[1.0], 1e6, &tight(method), &done).expect("settles");
        assert!(s.state[0] < 1e-3, "{method}: A = {}", s.state[0]);
        assert!(
            s.time > 1000f64.ln() && s.time < 20.0,
            "{method}: stopped at t = {}",
            s.time
        );
        assert!(
            rel_err(s.state[0], (-s.time).exp()) < 1e-6,
            "{method}: A({}) = {}",
            s.time,
            s.state[0]
        );
    }
}

/// A condition that never holds runs `settle` to its end, where the state is the closed form.
#[test]
fn settle_without_its_condition_runs_to_the_end() {
    for method in ALL {
        let never = |_t: f64, _y: &[f64]| false;
        let s = settle(&Decay { k: 0.5 }, 0.0, &[2.0], 4.0, &tight(method), &never).expect("runs");
        assert_eq!(s.time, 4.0, "{method}");
        assert!(rel_err(s.state[0], 2.0 * (-2f64).exp()) < 1e-6, "{method}");
    }
}

/// A run that starts at a steady state and stays there is a handful of BDF steps: A ⇌ B at
/// equilibrium (A = 1, B = 2 with kf = 2, kr = 1) over 1e4 time units takes 13. diffsol's first
/// step would be 1e-4 there (its fallback for a slope near zero), and growing it from there took
/// 174 steps; the first step estimated from the curvature starts at a sizeable part of the run.
#[test]
fn a_run_at_steady_state_takes_few_steps() {
    let p = Reversible { kf: 2.0, kr: 1.0 };
    let times = [0.0, 1e4];
    let traj = solve(&p, 0.0, &[1.0, 2.0], &times, &Settings::default()).expect("solves");
    assert!(traj.stats.steps <= 20, "{} steps", traj.stats.steps);
    let end = &traj.states[1];
    assert!(
        (end[0] - 1.0).abs() < 1e-9 && (end[1] - 2.0).abs() < 1e-9,
        "{end:?}"
    );
}

/// How `compare` once moved a solver's advice from flags to the manifest's keys, by
/// replacing text: kept here to show that the typed advice says the same.
fn replaced_for_the_manifest(message: &str) -> String {
    let Some((head, help)) = message.split_once("\nhelp: ") else {
        return message.to_string();
    };
    let mut help = help.to_string();
    for (flag, key) in [
        ("--rtol/--atol", "`[solver] rtol`/`atol`"),
        ("--max-steps", "`[solver] max_steps`"),
        ("--solver bdf", "`[solver] method = \"bdf\"`"),
        ("--solver dop853", "`[solver] method = \"dop853\"`"),
        ("--rtol", "`[solver] rtol`"),
        ("--atol", "`[solver] atol`"),
    ] {
        help = help.replace(flag, key);
    }
    format!("{head}\nhelp: {help}")
}

/// Every error's advice names its settings as flags for the command line and as keys of
/// `[solver]` for the manifest; the message before it is the same for both.
#[test]
fn advice_names_each_setting_where_it_lives() {
    let name = || "X".to_string();
    let kinds = [
        SolveErrorKind::NonFinite {
            component: 0,
            name: name(),
        },
        SolveErrorKind::Negative {
            component: 0,
            name: name(),
            value: -1e-7,
        },
        SolveErrorKind::StepSizeTooSmall {
            component: 0,
            name: name(),
        },
        SolveErrorKind::TooManySteps { limit: 2 },
        SolveErrorKind::BadSettings("`max_steps` must be at least 1".into()),
        SolveErrorKind::Solver("step failed".into()),
    ];
    for method in [Method::Bdf, Method::Dopri5, Method::Dop853] {
        for kind in &kinds {
            let e = SolveError {
                time: 3.5,
                kind: kind.clone(),
                method,
            };
            let flags = e.in_unit("min").to_string();
            assert_eq!(flags, e.in_unit("min").at(Where::Flags).to_string());
            let manifest = e.in_unit("min").at(Where::Manifest).to_string();
            assert_eq!(manifest, replaced_for_the_manifest(&flags), "{flags}");
            assert!(!manifest.contains("--"), "{manifest}");
            assert!(!e.help().settings().is_empty(), "{flags}");
        }
    }
    let steps = SolveError {
        time: 3.5,
        kind: SolveErrorKind::TooManySteps { limit: 2 },
        method: Method::Bdf,
    };
    assert_eq!(steps.help().phrase(Where::Flags), "raise --max-steps");
    assert_eq!(
        steps.help().phrase(Where::Manifest),
        "raise `[solver] max_steps`"
    );
    assert_eq!(steps.help().settings(), [Setting::MaxSteps]);
}

/// A limit cycle's advice to shorten the run named `--until` under the manifest too, where
/// the run's length is the experiment's `run` line.
#[test]
fn a_limit_cycle_under_the_manifest_names_the_experiments_run() {
    let e = SolveError {
        time: 42.0,
        kind: SolveErrorKind::Oscillating {
            limit: 100,
            component: 0,
            name: "X".into(),
            cycles: 30,
            end: 1e6,
            needed: 3.4e9,
        },
        method: Method::Bdf,
    };
    let flags = e.in_unit("min").to_string();
    assert!(
        flags.ends_with(
            "help: at this pace t = 1.000e6 min is about 3.4e9 steps away; shorten the run \
             (--until), or raise --max-steps past that if every cycle is wanted"
        ),
        "{flags}"
    );
    let manifest = e.in_unit("min").at(Where::Manifest).to_string();
    assert!(
        manifest.ends_with(
            "help: at this pace t = 1.000e6 min is about 3.4e9 steps away; shorten the run \
             (the experiment's `run`), or raise `[solver] max_steps` past that if every cycle \
             is wanted"
        ),
        "{manifest}"
    );
    assert_eq!(e.help().settings(), [Setting::Until, Setting::MaxSteps]);
}
