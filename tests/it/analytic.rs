//! Models written in the language, solved, and compared with closed-form solutions.
//!
//! Each test states its tolerance. The solver runs at rtol 1e-9, atol 1e-12, so a
//! relative error of 1e-6 leaves three orders of magnitude for error accumulation.

use pathrules::model::load_str;
use pathrules::solve::{Linear, Method, Settings};

#[path = "../support/lambert_w.rs"]
mod lambert;
use lambert::lambert_w;

const METHODS: [Method; 3] = [Method::Bdf, Method::Dopri5, Method::Dop853];

fn tight(method: Method) -> Settings {
    Settings {
        method,
        rtol: 1e-9,
        atol: 1e-12,
        ..Settings::default()
    }
}

/// Checks and compiles `text`, then solves it on `times`; returns states per time.
fn solve(text: &str, times: &[f64], settings: &Settings) -> Vec<Vec<f64>> {
    let loaded = load_str("test.pathway", text);
    let model = match loaded.model {
        Ok(m) => m,
        Err(d) => panic!("{}", pathrules::syntax::render(&d, &loaded.sources, false)),
    };
    let checked = pathrules::finish(model).expect("model compiles");
    match pathrules::simulate(&checked, times, settings) {
        Ok(t) => t.states,
        Err(e) => panic!("{:?} failed: {e}", settings.method),
    }
}

fn assert_close(got: f64, want: f64, rel: f64, abs: f64, what: &str) {
    assert!(
        (got - want).abs() <= abs + rel * want.abs(),
        "{what}: got {got}, want {want} (|diff| {:e})",
        (got - want).abs()
    );
}

fn grid(until: f64, n: usize) -> Vec<f64> {
    (0..=n).map(|k| until * k as f64 / n as f64).collect()
}

#[test]
fn first_order_decay_is_exponential() {
    // A → ∅ at k = 0.5 /min: A(t) = e^(−kt). The rate is given per second to check
    // unit conversion on the way: 0.5 /min = 1/120 /s.
    let text = "species A = 1 uM\nparam k = 0.008333333333333333 /s\ndecay: A -> @ k\n";
    let times = grid(10.0, 20);
    for method in METHODS {
        let states = solve(text, &times, &tight(method));
        for (t, y) in times.iter().zip(&states) {
            assert_close(
                y[0],
                (-0.5 * t).exp(),
                1e-6,
                1e-12,
                &format!("{method:?} A({t})"),
            );
        }
    }
}

#[test]
fn reversible_binding_relaxes_to_its_equilibrium() {
    // A ⇌ B with kf = 2, kr = 1 from A = 1, B = 0: A(t) = A∞ + (1 − A∞)e^(−(kf+kr)t)
    // with A∞ = kr/(kf+kr) = 1/3; at t = 20 min B/A = kf/kr to 1e-6.
    let text = "species A = 1 uM, B = 0 uM\nbind: A <-> B @ 2 /min, 1 /min\n";
    let times = grid(20.0, 40);
    for method in METHODS {
        let states = solve(text, &times, &tight(method));
        for (t, y) in times.iter().zip(&states) {
            let a = 1.0 / 3.0 + (2.0 / 3.0) * (-3.0 * t).exp();
            assert_close(y[0], a, 1e-6, 1e-12, &format!("{method:?} A({t})"));
            assert_close(y[0] + y[1], 1.0, 1e-8, 0.0, "A + B is conserved");
        }
        let last = states.last().expect("states");
        assert_close(last[1] / last[0], 2.0, 1e-6, 0.0, "B/A at equilibrium");
    }
}

#[test]
fn michaelis_menten_depletion_follows_lambert_w() {
    // dS/dt = −Vmax·S/(Km + S): S(t) = Km·W((S0/Km)·e^((S0 − Vmax·t)/Km)), the
    // closed form of Schnell & Mendoza 1997 (J Theor Biol 187:207).
    let (s0, vmax, km) = (10.0, 2.0, 3.0);
    let text = format!(
        "species S = {s0} uM, P = 0 uM\nparam Vmax = {vmax} uM/min\nparam Km = {km} uM\nuptake: S -> P ; mm(S, Vmax, Km)\n"
    );
    let times = grid(12.0, 24);
    for method in METHODS {
        let states = solve(&text, &times, &tight(method));
        for (t, y) in times.iter().zip(&states) {
            let s = km * lambert_w((s0 / km) * ((s0 - vmax * t) / km).exp());
            assert_close(y[0], s, 1e-6, 1e-10, &format!("{method:?} S({t})"));
            assert_close(y[0] + y[1], s0, 1e-8, 0.0, "S + P is conserved");
        }
    }
}

#[test]
fn robertson_matches_published_reference_values() {
    // Robertson's stiff chemical kinetics (1966), written as reactions:
    //   y1' = −0.04·y1 + 1e4·y2·y3,  y2' = 0.04·y1 − 1e4·y2·y3 − 3e7·y2²,  y3' = 3e7·y2².
    // Reference at t = 40 from Hairer & Wanner, Solving ODEs II (2nd ed., §IV.10),
    // computed at very tight tolerance: y1 = 0.7158270687, y2 = 9.185534764e-6,
    // y3 = 0.2841637457. Compared to 1e-5 relative (the reference has 10 digits).
    let text = "species y1 = 1, y2 = 0, y3 = 0\n\
                r1: y1 -> y2 @ 0.04\n\
                r2: 2 y2 -> y2 + y3 @ 3e7\n\
                r3: y2 + y3 -> y1 + y3 @ 1e4\n";
    let settings = Settings {
        method: Method::Bdf,
        rtol: 1e-10,
        atol: 1e-14,
        ..Settings::default()
    };
    let states = solve(text, &[0.0, 40.0], &settings);
    let y = &states[1];
    assert_close(y[0], 0.7158270687, 1e-5, 0.0, "y1(40)");
    assert_close(y[1], 9.185534764e-6, 1e-5, 0.0, "y2(40)");
    assert_close(y[2], 0.2841637457, 1e-5, 0.0, "y3(40)");
    assert_close(y[0] + y[1] + y[2], 1.0, 1e-9, 0.0, "mass is conserved");
}

#[test]
fn compartment_volumes_scale_transfer_between_compartments() {
    // Transport from a compartment of size 1 into one of size 0.25 at rate k·A
    // (per volume of the source): d[B]/dt = 4·k·[A], so total amount A·1 + B·0.25
    // is conserved and [A] decays as e^(−kt).
    let text = "compartment cyto = 1\ncompartment spine = 0.25\n\
                species A = 1 uM in cyto, B = 0 uM in spine\n\
                move: A -> B @ 0.3 /min\n";
    let times = grid(5.0, 10);
    let states = solve(text, &times, &tight(Method::Bdf));
    for (t, y) in times.iter().zip(&states) {
        assert_close(y[0], (-0.3 * t).exp(), 1e-6, 1e-12, &format!("A({t})"));
        assert_close(y[0] + 0.25 * y[1], 1.0, 1e-8, 0.0, "amount is conserved");
    }
}

/// A chain S0 → S1 → … → S(n−1) → ∅, all at rate k, from S0 = 1: Sᵢ(t) is the Poisson
/// probability (kt)ⁱe^(−kt)/i!. With 300 species `Linear::Auto` takes the sparse LU; the
/// dense LU and BiCGSTAB must give the same numbers, all within 1e-6 relative (plus 1e-10
/// absolute, for the far tail) of the closed form.
#[test]
fn long_chain_is_poisson_with_dense_and_sparse_lu_and_bicgstab() {
    let n = 300;
    let names: Vec<String> = (0..n).map(|i| format!("S{i}")).collect();
    let mut text = format!(
        "species {}\nparam k = 0.5 /min\n",
        names
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{s} = {} uM", if i == 0 { 1 } else { 0 }))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for i in 0..n - 1 {
        text.push_str(&format!("r{i}: S{i} -> S{} @ k\n", i + 1));
    }
    text.push_str(&format!("out: S{} -> @ k\n", n - 1));
    let times = grid(120.0, 12);
    let poisson = |i: usize, t: f64| {
        let lambda = 0.5 * t;
        // In logs: (kt)^i / i! overflows long before the chain ends.
        let log_i_fact: f64 = (1..=i).map(|m| (m as f64).ln()).sum();
        (i as f64 * lambda.ln() - lambda - log_i_fact).exp()
    };
    let mut runs = Vec::new();
    for linear in [Linear::Auto, Linear::Dense, Linear::Krylov] {
        let settings = Settings {
            linear,
            ..tight(Method::Bdf)
        };
        let states = solve(&text, &times, &settings);
        for (t, y) in times.iter().zip(&states).skip(1) {
            for (i, v) in y.iter().enumerate() {
                assert_close(
                    *v,
                    poisson(i, *t),
                    1e-6,
                    1e-10,
                    &format!("{linear:?} S{i}({t})"),
                );
            }
        }
        runs.push(states);
    }
    for (a, b) in runs[0].iter().flatten().zip(runs[1].iter().flatten()) {
        assert_close(*a, *b, 1e-9, 1e-13, "sparse against dense");
    }
    // BiCGSTAB solves to a residual of 1e-10, not to round-off, so it agrees with the LU to
    // well within the tolerances rather than bit for bit.
    for (a, b) in runs[0].iter().flatten().zip(runs[2].iter().flatten()) {
        assert_close(*a, *b, 1e-7, 1e-12, "BiCGSTAB against sparse LU");
    }
}

/// A random mass-action network of 600 species (each made and lost, and two reversible
/// bindings A + B ⇌ C per species between random partners, as `scripts/bench.py` builds them)
/// over a day: `Linear::Auto` takes BiCGSTAB there, and its states agree with the sparse LU's
/// within 1e-6 relative (plus 1e-12 absolute) at every output, with both at rtol 1e-8.
#[test]
fn random_network_with_bicgstab_agrees_with_sparse_lu() {
    let n = 600;
    // A fixed linear congruential stream: the network is the same on every run.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let species: Vec<String> = (0..n)
        .map(|i| format!("S{i} = {:.3} uM", 0.5 + 1.5 * next()))
        .collect();
    let mut text = format!("species {}\n", species.join(", "));
    for i in 0..n {
        text.push_str(&format!(
            "make{i}: -> S{i} ; {:.4} uM/min\nlose{i}: S{i} -> @ {:.4} /min\n",
            0.01 + 0.09 * next(),
            0.05 + 0.45 * next()
        ));
    }
    for j in 0..2 * n {
        let pick = |u: f64| ((u * n as f64) as usize).min(n - 1);
        let a = pick(next());
        let b = (a + 1 + pick(next()) % (n - 1)) % n;
        let mut c = pick(next());
        while c == a || c == b {
            c = (c + 1) % n;
        }
        text.push_str(&format!(
            "bind{j}: S{a} + S{b} <-> S{c} @ {:.4} /uM/min, {:.4} /min\n",
            0.01 + 0.99 * next(),
            0.01 + 0.99 * next()
        ));
    }
    let times = grid(1440.0, 24);
    let checked = {
        let loaded = load_str("random.pathway", &text);
        pathrules::finish(loaded.model.expect("checks")).expect("compiles")
    };
    let terms = pathrules::solve::Problem::jacobian_pattern(&checked.system).len();
    assert_eq!(Linear::Auto.resolve(n, terms), Linear::Krylov);
    let run = |linear| {
        solve(
            &text,
            &times,
            &Settings {
                linear,
                ..tight(Method::Bdf)
            },
        )
    };
    let (krylov, lu) = (run(Linear::Auto), run(Linear::Sparse));
    for (k, (a, b)) in krylov.iter().zip(&lu).enumerate() {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert_close(*x, *y, 1e-6, 1e-12, &format!("S{i} at t = {}", times[k]));
        }
    }
}
