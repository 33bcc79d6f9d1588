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
