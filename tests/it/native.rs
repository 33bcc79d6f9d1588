//! The right-hand side as machine code agrees to the bit with the interpreter, the
//! reference it replaces: on every shipped pathway (each genotype's system, at several
//! states) and on generated models that use every operation and function of the
//! language, at states where rate laws overflow, divide by zero or take logs of
//! negatives.

use proptest::prelude::*;

use crate::jacobian::compile;

/// Asserts that the native and interpreted right-hand sides of `system` are the same
/// bits at `y` (every NaN counts as one value).
fn same_at(system: &pathrules::ode::System, y: &[f64], what: &str) {
    assert!(system.is_native(), "{what}: no native code on this host");
    let reference = system.interpreted();
    let n = system.dim();
    let (mut native, mut interpreted) = (vec![0.5; n], vec![0.25; n]);
    system.rhs(y, &mut native);
    reference.rhs(y, &mut interpreted);
    for (i, (a, b)) in native.iter().zip(&interpreted).enumerate() {
        assert!(
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            "{what}: dy[{i}] = {a} native but {b} interpreted, at y = {y:?}"
        );
    }
}

#[test]
fn the_shipped_pathways_give_the_interpreters_bits() {
    let mut count = 0;
    for (path, checked) in crate::jacobian::shipped_pathways() {
        let model = &checked.model;
        let genotypes = std::iter::once(None).chain(
            (0..model.genotypes.len()).map(|g| Some(pathrules::model::GenotypeId(g as u32))),
        );
        for g in genotypes {
            let sys = pathrules::experiment::genotype_system(model, &checked.system, g);
            let what = format!("{} genotype {g:?}", path.display());
            let y0 = sys.initial.clone();
            same_at(&sys, &y0, &what);
            let y1: Vec<f64> = y0
                .iter()
                .enumerate()
                .map(|(k, v)| v * (0.3 + 0.17 * k as f64) + 1e-3)
                .collect();
            same_at(&sys, &y1, &what);
            let mut driven = sys.clone();
            for u in &mut driven.inputs {
                *u = *u * 3.0 + 0.7;
            }
            same_at(&driven, &y1, &format!("{what}, inputs raised"));
        }
        count += 1;
    }
    assert!(count > 0, "no pathway files found");
}

/// A random expression over species A, B, C, parameter k and input u, in the language.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("A".to_string()),
        Just("B".to_string()),
        Just("C".to_string()),
        Just("k".to_string()),
        Just("u".to_string()),
        (-3.0f64..3.0).prop_map(|x| format!("{x:.3}")),
        (0i32..5).prop_map(|n| n.to_string()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} - {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} * {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} / {b})")),
            (inner.clone(), 0i32..4).prop_map(|(a, n)| format!("({a}) ^ {n}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("pow({a}, {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) ^ ({b})")),
            inner.clone().prop_map(|a| format!("-({a})")),
            inner.clone().prop_map(|a| format!("exp({a})")),
            inner.clone().prop_map(|a| format!("ln({a})")),
            inner.clone().prop_map(|a| format!("step({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("min({a}, {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("max({a}, {b})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("hill({a}, {b}, {c})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("inhibit({a}, {b}, {c})")),
            (inner.clone(), inner.clone(), inner)
                .prop_map(|(a, b, c)| format!("mm({a}, {b}, {c})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn generated_models_give_the_interpreters_bits(
        l1 in expression(),
        l2 in expression(),
        r1 in expression(),
        r2 in expression(),
        r3 in expression(),
        y in proptest::collection::vec(prop_oneof![Just(0.0), Just(-1.0), -5.0f64..5.0, 1e-300f64..1e-290, 1e290f64..1e300], 3),
    ) {
        // Dimensionless throughout, so any expression checks.
        let text = format!(
            "species A = 1, B = 2, C = 0.5\ninput u = 0.3\nparam k = 1.7\n\
             let l1 = {l1}\nlet l2 = {l2} + l1\n\
             r1: A -> B ; {r1} * l2\nr2: B + C -> 2 A ; {r2}\nr3: -> C ; {r3} - l1\n\
             r4: A + B -> C @ 0.4\n"
        );
        let loaded = pathrules::model::load_str("gen.pathway", &text);
        prop_assume!(loaded.model.is_ok());
        let system = compile("gen.pathway", &text);
        same_at(&system, &y, &text);
        same_at(&system, &system.initial.clone(), &text);
    }
}
