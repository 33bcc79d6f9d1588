//! The compiled Jacobian agrees with central finite differences of the compiled
//! right-hand side, on hand-written rate laws and on every shipped pathway.

use pathrules::model::load_str;

/// Compares J at `y` with central differences of step h = 1e-6·max(|y_j|, 1e-3).
/// Truncation and round-off leave errors near 1e-7 relative for rate laws of these
/// magnitudes, so 1e-5 relative (plus 1e-8 absolute) separates bugs from noise.
pub fn check_at(system: &pathrules::ode::System, y: &[f64], what: &str) {
    let n = system.dim();
    let mut jac = vec![0.0; n * n];
    system.jacobian(y, &mut jac);
    // The sparse form: the pattern's terms, summed into place, are the dense Jacobian
    // exactly (the same terms added in the same order), so no non-zero lies outside it.
    let pattern = system.jacobian_pattern();
    let mut values = vec![f64::NAN; pattern.len()];
    system.jacobian_values_with(&system.inputs, y, &mut values);
    let mut summed = vec![0.0; n * n];
    for (&(i, j), v) in pattern.iter().zip(&values) {
        summed[i * n + j] += v;
    }
    for (k, (a, b)) in summed.iter().zip(&jac).enumerate() {
        assert!(
            a.to_bits() == b.to_bits(),
            "{what}: J[{}][{}] = {b} dense but {a} from the pattern",
            k / n,
            k % n
        );
    }
    let (mut plus, mut minus) = (vec![0.0; n], vec![0.0; n]);
    for j in 0..n {
        let h = 1e-6 * y[j].abs().max(1e-3);
        let mut yp = y.to_vec();
        let mut ym = y.to_vec();
        yp[j] += h;
        ym[j] -= h;
        system.rhs(&yp, &mut plus);
        system.rhs(&ym, &mut minus);
        for i in 0..n {
            let fd = (plus[i] - minus[i]) / (2.0 * h);
            let got = jac[i * n + j];
            let scale = fd.abs().max(got.abs());
            assert!(
                (got - fd).abs() <= 1e-8 + 1e-5 * scale,
                "{what}: J[{i}][{j}] = {got}, finite difference {fd}"
            );
        }
    }
}

pub fn compile(name: &str, text: &str) -> pathrules::ode::System {
    let loaded = load_str(name, text);
    let model = match loaded.model {
        Ok(m) => m,
        Err(d) => panic!("{}", pathrules::syntax::render(&d, &loaded.sources, false)),
    };
    pathrules::finish(model).expect("compiles").system
}

#[test]
fn jacobian_of_every_rate_law_form_matches_finite_differences() {
    let system = compile(
        "forms.pathway",
        "species A = 1.3 uM, B = 0.7 uM, C = 2.1 uM, D = 0.4 uM\n\
         input drug = 0.5 uM\n\
         param K = 0.8 uM\n\
         let act = hill(A, K, 2.5) * inhibit(drug, 1 uM, 1.5)\n\
         r1: A + 2 B <-> C @ 0.3 /uM/uM/min, 0.1 /min\n\
         r2: C -> D ; mm(C, 2 uM/min, K) * act\n\
         r3: D -> A ; 0.2 /min * D * exp(-B / 2 uM) + ln(1 + C / 1 uM) * 0.01 uM/min\n\
         r4: -> B ; 0.1 uM/min * max(A - C, 0.5) * min(D, 1) / (1 + pow(C, 1.5))\n\
         r5: A -> ; 0.05 /min * A ^ 2 / (A + B)\n",
    );
    let y0 = system.initial.clone();
    check_at(&system, &y0, "initial state");
    let y1: Vec<f64> = y0
        .iter()
        .enumerate()
        .map(|(k, v)| v * (0.5 + 0.3 * k as f64))
        .collect();
    check_at(&system, &y1, "perturbed state");
}

/// Every `.pathway` file of pathways/, checked with its imports; at least one.
pub fn shipped_pathways() -> Vec<(std::path::PathBuf, pathrules::Checked)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir("pathways").expect("pathways/ exists") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "pathway") {
            continue;
        }
        let (sources, result) = pathrules::check(&path, &mut pathrules::FsLoader);
        match result {
            Ok(c) => all.push((path, c)),
            Err(d) => panic!("{}", pathrules::syntax::render(&d, &sources, false)),
        }
    }
    assert!(!all.is_empty(), "no pathway files found");
    all
}

#[test]
fn jacobian_of_every_shipped_pathway_matches_finite_differences() {
    let mut count = 0;
    for (path, checked) in shipped_pathways() {
        let y0 = checked.system.initial.clone();
        check_at(&checked.system, &y0, &path.display().to_string());
        let y1: Vec<f64> = y0.iter().map(|v| v * 1.37 + 0.01).collect();
        check_at(
            &checked.system,
            &y1,
            &format!("{} perturbed", path.display()),
        );
        count += 1;
    }
    assert!(count > 0, "no pathway files found");
}
