//! Every kind of error a user can meet, rendered as the user sees it.
//!
//! Each test names one input file under tests/errors/, named after the error kind it
//! triggers, and snapshots the full rendered diagnostics. The helper also checks what
//! every diagnostic must have whatever its wording: `file:line:column`, the source
//! line with carets under the problem, a help line, and a message in the house style
//! (lowercase, no trailing period, names in backticks).

use std::path::Path;

use pathrules::syntax::{Diagnostic, Sources, render};

/// Checks tests/errors/NAME.pathway, which must fail, and snapshots what is printed.
fn check(name: &str) {
    let path = format!("tests/errors/{name}.pathway");
    let (sources, result) = pathrules::check(Path::new(&path), &mut pathrules::FsLoader);
    let diagnostics = match result {
        Ok(_) => panic!("{path} was expected to fail but checked without error"),
        Err(d) => d,
    };
    assert!(
        !diagnostics.is_empty(),
        "{path}: failed with no diagnostics"
    );
    for d in &diagnostics {
        assert_well_formed(d, &sources);
    }
    insta::assert_snapshot!(name, render(&diagnostics, &sources, false));
}

/// What every diagnostic with a place must show, checked on its own rendering.
fn assert_well_formed(d: &Diagnostic, sources: &Sources) {
    let text = render(std::slice::from_ref(d), sources, false);
    let first = d.message.chars().next().expect("a message");
    assert!(
        !first.is_uppercase(),
        "message starts with a capital: {text}"
    );
    assert!(
        !d.message.ends_with('.'),
        "message ends with a period: {text}"
    );
    assert_eq!(
        d.message.matches('`').count() % 2,
        0,
        "unbalanced backticks in the message: {text}"
    );
    assert!(text.contains(" = help: "), "no help line: {text}");

    let (span, _) = d.primary.as_ref().expect("a place in a file");
    let file = sources.get(span.file);
    let before = &file.text[..span.start as usize];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |k| k + 1);
    let column = before[line_start..].chars().count() + 1;
    let place = format!("┌─ {}:{line}:{column}", file.name);
    assert!(text.contains(&place), "expected `{place}` in: {text}");

    // The source line is shown after its number, and carets mark the problem.
    let source_line = file.text[line_start..].lines().next().unwrap_or("");
    let shown = format!("{line} │ {source_line}");
    assert!(
        text.contains(shown.trim_end()),
        "the source line is not shown: {text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains('│') && l.trim_start_matches(|c| c != '│').contains('^')),
        "no carets under the source line: {text}"
    );
}

// Loading: imports and the root file.

#[test]
fn import_unreadable() {
    check("import_unreadable");
}

#[test]
fn import_cycle() {
    check("import_cycle_a");
}

#[test]
fn not_utf8() {
    check("not_utf8");
}

#[test]
fn root_unreadable() {
    // A root file that cannot be read has no place to point at: the message alone.
    let path = Path::new("tests/errors/does_not_exist.pathway");
    let (sources, result) = pathrules::check(path, &mut pathrules::FsLoader);
    let diagnostics = result.expect_err("a missing file fails");
    assert!(diagnostics.iter().all(|d| d.primary.is_none()));
    insta::assert_snapshot!("root_unreadable", render(&diagnostics, &sources, false));
}

// Syntax.

#[test]
fn parse_garbage() {
    check("parse_garbage");
}

#[test]
fn parse_missing_rate() {
    check("parse_missing_rate");
}

#[test]
fn parse_unclosed_paren() {
    check("parse_unclosed_paren");
}

#[test]
fn parse_unclosed_string() {
    check("parse_unclosed_string");
}

#[test]
fn parse_bad_unit() {
    check("parse_bad_unit");
}

#[test]
fn parse_too_deep() {
    check("parse_too_deep");
}

#[test]
fn parse_too_long() {
    check("parse_too_long");
}

#[test]
fn several_errors() {
    check("several_errors");
}

// The checker, one test per `CheckError` variant.

#[test]
fn units_disagree() {
    check("units_disagree");
}

#[test]
fn units_wrong_dimension() {
    check("units_wrong_dimension");
}

#[test]
fn duplicate() {
    check("duplicate");
}

#[test]
fn duplicate_label() {
    check("duplicate_label");
}

#[test]
fn unknown_name() {
    check("unknown_name");
}

#[test]
fn unknown_function() {
    check("unknown_function");
}

#[test]
fn not_a_function() {
    check("not_a_function");
}

#[test]
fn wrong_arity() {
    check("wrong_arity");
}

#[test]
fn wrong_kind() {
    check("wrong_kind");
}

#[test]
fn let_cycle() {
    check("let_cycle");
}

#[test]
fn unit_makes_no_sense() {
    check("unit_makes_no_sense");
}

#[test]
fn range_unit_disagrees() {
    check("range_unit_disagrees");
}

#[test]
fn range_invalid() {
    check("range_invalid");
}

#[test]
fn negative_initial() {
    check("negative_initial");
}

#[test]
fn negative_input() {
    check("negative_input");
}

#[test]
fn negative_rate_constant() {
    check("negative_rate_constant");
}

#[test]
fn bad_compartment_size() {
    check("bad_compartment_size");
}

#[test]
fn compartment_unit() {
    check("compartment_unit");
}

#[test]
fn reversible_needs_two() {
    check("reversible_needs_two");
}

#[test]
fn forward_takes_one() {
    check("forward_takes_one");
}

#[test]
fn empty_reaction() {
    check("empty_reaction");
}

#[test]
fn zero_stoichiometry() {
    check("zero_stoichiometry");
}

#[test]
fn not_finite() {
    check("not_finite");
}

#[test]
fn several_check_errors() {
    check("several_check_errors");
}

// After the checker: chains against the network, and compilation.

#[test]
fn chain_broken() {
    check("chain_broken");
}

#[test]
fn dimensions_disagree() {
    check("dimensions_disagree");
}

#[test]
fn not_dimensionless() {
    check("not_dimensionless");
}

#[test]
fn rate_units() {
    check("rate_units");
}

// Protocols: pharmacokinetics, readouts, genotypes, experiments and expectations.

#[test]
fn unknown() {
    check("unknown");
}

#[test]
fn extends_cycle() {
    check("extends_cycle");
}

#[test]
fn no_run() {
    check("no_run");
}

#[test]
fn time_needs_unit() {
    check("time_needs_unit");
}

#[test]
fn bad_value() {
    check("bad_value");
}

#[test]
fn no_pk() {
    check("no_pk");
}

#[test]
fn baseline_outside_readout() {
    check("baseline_outside_readout");
}

#[test]
fn outside_run() {
    check("outside_run");
}

#[test]
fn too_many_points() {
    check("too_many_points");
}

#[test]
fn too_many_events() {
    check("too_many_events");
}

#[test]
fn event_after_run() {
    check("event_after_run");
}

#[test]
fn conflicting_sets() {
    check("conflicting_sets");
}

#[test]
fn occlusion_of_itself() {
    check("occlusion_of_itself");
}

#[test]
fn value_of_other_kind() {
    check("value_of_other_kind");
}

#[test]
fn readouts_disagree() {
    check("readouts_disagree");
}

#[test]
fn half_life_not_a_time() {
    check("half_life_not_a_time");
}

#[test]
fn parse_unclosed_block() {
    check("parse_unclosed_block");
}

#[test]
fn parse_bad_item() {
    check("parse_bad_item");
}

// Hypotheses: `override` and `remove` on an imported base model.

#[test]
fn not_in_model() {
    check("not_in_model");
}

#[test]
fn remove_still_used() {
    check("remove_still_used");
}

/// Every `CheckError` variant has an input file here. The variants are listed by
/// hand, so this fails when error.rs gains a variant whose doc names no test file.
#[test]
fn every_check_error_has_an_input() {
    let source = std::fs::read_to_string("src/model/error.rs").expect("error.rs");
    let body = source
        .split("pub enum CheckError {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .expect("the CheckError enum");
    let variants: Vec<&str> = body
        .lines()
        .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
        .map(str::trim)
        .filter(|l| l.starts_with(char::is_uppercase))
        .map(|l| l.split([' ', '{', ',']).next().unwrap_or(l))
        .collect();
    assert!(variants.len() > 10, "found only {variants:?}");
    for variant in variants {
        let file = snake_case(variant);
        let file = match file.as_str() {
            "import_cycle" => "import_cycle_a".to_string(),
            _ => file,
        };
        assert!(
            Path::new(&format!("tests/errors/{file}.pathway")).exists(),
            "no tests/errors/{file}.pathway for `CheckError::{variant}`"
        );
    }
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_uppercase() && !out.is_empty() {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}
