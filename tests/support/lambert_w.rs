//! Lambert's W, the closed form of Michaelis–Menten depletion, written once for the
//! tests that compare a solved substrate with it: the solver's own (`src/solve/tests.rs`)
//! and the language's `mm` rate law (`tests/it/analytic.rs`), each of which includes
//! this file by path. It is test code only; the library never needs W.

/// The principal branch of Lambert's W for x ≥ 0, by Halley's iteration to round-off (Corless et
/// al., "On the Lambert W function", 1996, eq. 5.9).
pub fn lambert_w(x: f64) -> f64 {
    let mut w = if x < 3.0 {
        x.ln_1p()
    } else {
        x.ln() - x.ln().ln()
    };
    for _ in 0..50 {
        let e = w.exp();
        let f = w * e - x;
        let step = f / (e * (w + 1.0) - (w + 2.0) * f / (2.0 * w + 2.0));
        w -= step;
        if step.abs() <= 4.0 * f64::EPSILON * (1.0 + w.abs()) {
            break;
        }
    }
    w
}
