//! Every kind of error a user can meet, rendered as the user sees it.
//!
//! Every input file under tests/errors/, named after the error kind it triggers, is
//! checked by one test that snapshots the full rendered diagnostics of each (through
//! `insta::glob!`). It also checks what every diagnostic must have whatever its
//! wording: `file:line:column`, the source line with carets under the problem, a help
//! line, and a message in the house style (lowercase, no trailing period, names in
//! backticks).

use std::path::Path;

use pathrules::syntax::{Diagnostic, Sources, render};

/// The inputs under tests/errors/ that are only ever imported by another one, so fail
/// (or check) only through it: the second file of the cycle, and the base models of a
/// hypothesis and of a units mismatch.
const IMPORTED_ONLY: [&str; 3] = [
    "import_cycle_b.pathway",
    "hypothesis_base.pathway",
    "units_disagree_base.pathway",
];

/// Every input under tests/errors/ must fail; what is printed is snapshotted as
/// `rendered@NAME.pathway`, and every diagnostic is checked for its place, line, help
/// and style. A new error kind's test is its input file alone.
#[test]
fn every_input_fails_as_snapshotted() {
    insta::glob!("../errors", "*.pathway", |found| {
        let file = found
            .file_name()
            .and_then(|f| f.to_str())
            .expect("a UTF-8 name");
        if IMPORTED_ONLY.contains(&file) {
            return;
        }
        // The path as a user writes it, relative to the crate root, since it is rendered.
        let path = Path::new("tests/errors").join(file);
        let (sources, result) = pathrules::check(&path, &mut pathrules::FsLoader);
        let diagnostics = match result {
            Ok(_) => panic!(
                "{} was expected to fail but checked without error",
                path.display()
            ),
            Err(d) => d,
        };
        assert!(
            !diagnostics.is_empty(),
            "{}: failed with no diagnostics",
            path.display()
        );
        for d in &diagnostics {
            assert_well_formed(d, &sources);
        }
        insta::assert_snapshot!("rendered", render(&diagnostics, &sources, false));
    });
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

#[test]
fn root_unreadable() {
    // A root file that cannot be read has no place to point at: the message alone.
    let path = Path::new("tests/errors/does_not_exist.pathway");
    let (sources, result) = pathrules::check(path, &mut pathrules::FsLoader);
    let diagnostics = result.expect_err("a missing file fails");
    assert!(diagnostics.iter().all(|d| d.primary.is_none()));
    insta::assert_snapshot!("root_unreadable", render(&diagnostics, &sources, false));
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
