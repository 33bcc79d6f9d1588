//! Inputs that once broke something, each test named after what broke.

use crate::jacobian::{check_at, compile};

/// Lets that use the previous let several times were inlined into every rate law,
/// so forty of them built an expression of 3^40 nodes and the checker never finished.
#[test]
fn lets_reusing_each_other_compile_in_linear_size() {
    let mut text = String::from("species x = 1.01 uM, y = 0.5 uM\nlet a0 = x\n");
    for k in 1..=40 {
        text.push_str(&format!(
            "let a{k} = a{} * a{} / a{}\n",
            k - 1,
            k - 1,
            k - 1
        ));
    }
    text.push_str("r: x -> y ; a40 * y * 0.1 /uM/min\n");
    let system = compile("reuse.pathway", &text);
    // a40 = x, so the rate is 0.1·x·y and the Jacobian is exact through 40 lets.
    let mut dy = vec![0.0; 2];
    system.rhs(&[1.01, 0.5], &mut dy);
    assert!((dy[0] + 0.1 * 1.01 * 0.5).abs() < 1e-12, "{dy:?}");
    check_at(&system, &[1.01, 0.5], "forty reused lets");
}

/// A chain of a thousand lets (`let a_k = a_{k-1} + 1`) overflowed the stack when
/// the network stage inlined them to find modifiers.
#[test]
fn a_long_chain_of_lets_does_not_overflow_the_stack() {
    let mut text = String::from("species x = 1 uM, y = 0 uM\nlet a0 = x\n");
    for k in 1..=3000 {
        text.push_str(&format!("let a{k} = a{} + 0.001 uM\n", k - 1));
    }
    text.push_str("r: -> y ; a3000 * 0.5 /min\n");
    let system = compile("chain.pathway", &text);
    let mut dy = vec![0.0; 2];
    system.rhs(&[1.0, 0.0], &mut dy);
    assert!((dy[1] - 0.5 * 4.0).abs() < 1e-9, "{dy:?}");
    check_at(&system, &[1.0, 0.0], "three thousand chained lets");
}

/// `-2^2` read as (−2)² = 4 while `-x^2` read as −(x²): a leading minus on a number
/// bound tighter than `^`. Numbers in expressions are now unsigned.
#[test]
fn minus_before_a_literal_binds_like_minus_before_a_name() {
    let system = compile(
        "neg.pathway",
        "species y = 0 uM\nr: -> y ; (-2^2 + 5) * 1 uM/min\n",
    );
    let mut dy = vec![0.0];
    system.rhs(&[0.0], &mut dy);
    assert_eq!(dy[0], 1.0);
}

/// The products of a reversible reaction are read by its reverse rate; the graph
/// drew them as modifiers (dashed edges) besides their product edges.
#[test]
fn reversible_products_are_not_modifiers() {
    let loaded = pathrules::model::load_str(
        "rev.pathway",
        "species A = 1 uM, B = 0 uM\nbind: A <-> B @ 1 /min, 2 /min\n",
    );
    let model = loaded.model.expect("checks");
    let network = pathrules::network::build(&model);
    let modifiers = network
        .reactions
        .edge_weights()
        .filter(|r| **r == pathrules::network::Role::Modifier)
        .count();
    assert_eq!(modifiers, 0);
}

/// A chain link held if any walk had its sign, and every negative feedback on the
/// way (each reversible binding makes one) let walks of both signs through, so
/// `chain A -> B` and `chain A -| B` both passed. Links now follow the most direct
/// paths.
#[test]
fn a_feedback_loop_does_not_let_both_signs_through() {
    let text = "species A = 1 uM, B = 0 uM, X = 0 uM\n\
                param k = 0.1 /min\n\
                -> B ; k * A * inhibit(X, 1 uM, 1)\n\
                -> X ; k * B\n";
    let holds = |chain: &str| {
        let loaded = pathrules::model::load_str("loop.pathway", &format!("{text}{chain}\n"));
        pathrules::finish(loaded.model.expect("checks")).is_ok()
    };
    assert!(holds("chain A -> B"));
    assert!(!holds("chain A -| B"));
    assert!(holds("chain B -> X -| B"));
}

/// `import "../../x.pathway"` lost one `..` when paths were normalised, and read
/// a file two folders too deep.
#[test]
fn parent_folders_in_imports_are_kept() {
    struct Files;
    impl pathrules::Loader for Files {
        fn load(&mut self, path: &std::path::Path) -> Result<String, String> {
            match path.to_str() {
                Some("a/b/main.pathway") => Ok("import \"../../x.pathway\"\n".to_string()),
                Some("x.pathway") => Ok("species RIGHT = 1 uM\n".to_string()),
                Some("a/b/x.pathway") => Ok("species WRONG = 1 uM\n".to_string()),
                _ => Err("no such file".to_string()),
            }
        }
    }
    let loaded = pathrules::model::load(std::path::Path::new("a/b/main.pathway"), &mut Files);
    let model = loaded.model.expect("checks");
    assert_eq!(model.species[0].name, "RIGHT");
}

/// `hill` was rewritten into arithmetic that copied its first argument twice, so
/// twenty nested calls built a tree of a million nodes and took minutes and 20 GB.
#[test]
fn nested_hill_calls_stay_small() {
    let mut rate = "A".to_string();
    for _ in 0..40 {
        rate = format!("hill({rate}, K, 2)");
    }
    let text = format!("species A = 1 uM\nparam K = 0.5 uM\nr: A -> ; 1 /min * A * {rate}\n");
    let system = compile("hill.pathway", &text);
    check_at(&system, &[0.8], "forty nested hill calls");
}

/// Models written without units were checked anyway: `0.1 * 2` and `exp(-A)`
/// counted as known plain numbers, so their rate laws were "not per time".
#[test]
fn a_model_without_units_is_not_dimension_checked() {
    let text = "species A = 1, S = 2\n\
                r: A -> @ 0.1 * 2\n\
                s: -> A ; 1 / 2\n\
                t: S -> ; mm(S, 0.5, 0.1)\n\
                let f = exp(-A)\n\
                u: -> A ; f\n";
    let loaded = pathrules::model::load_str("plain.pathway", text);
    assert!(loaded.model.is_ok());
}

/// A minus before an exponent was dropped when inferring dimensions: `K^-1`
/// counted as `K`.
#[test]
fn negative_exponents_divide_dimensions() {
    let text = "species A = 1 uM, K = 2 uM\nr: -> A ; 1 uM/min * K * K^-1\n";
    assert!(
        pathrules::model::load_str("neg.pathway", text)
            .model
            .is_ok()
    );
}
