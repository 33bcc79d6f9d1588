//! `pathrules fmt`: printing a parsed file keeps its tree and its comments, and
//! printing is idempotent.
//!
//! Trees are compared with spans erased (printing moves every byte), blank-line runs
//! collapsed and comments trimmed at the end, since those are the changes `fmt` is
//! meant to make. Everything else the AST holds, number text and unit atoms and
//! statement order included, must come back unchanged.

use pathrules::syntax::ast::{File, Line};
use pathrules::syntax::{FileId, parse, print};

/// Parses `text`, which must parse, and checks every property of `print` on it.
/// Returns the canonical text.
fn round_trip(name: &str, text: &str) -> String {
    let (tree, errors) = parse(FileId(0), text);
    assert!(errors.is_empty(), "{name} does not parse: {errors:?}");
    let printed = print(&tree);

    let (again, errors) = parse(FileId(0), &printed);
    assert!(
        errors.is_empty(),
        "{name}: the printed text does not parse: {errors:?}\n{printed}"
    );
    assert_same_tree(name, &tree, &again, &printed);
    assert_eq!(
        comments(&tree),
        comments(&again),
        "{name}: comments changed"
    );
    for comment in comments(&tree) {
        assert!(
            printed.contains(&format!("#{comment}")),
            "{name}: comment `{comment}` is missing from\n{printed}"
        );
    }
    assert_eq!(print(&again), printed, "{name}: printing is not idempotent");
    printed
}

/// The comment texts of a file in order, as `fmt` keeps them.
fn comments(file: &File) -> Vec<String> {
    file.lines
        .iter()
        .filter_map(|l| l.comment.as_deref())
        .map(|c| c.trim_end().to_string())
        .collect()
}

/// The lines `fmt` should keep: blank runs collapsed to one blank line, none at the
/// start or the end, comments without trailing blanks.
fn kept_lines(file: &File) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    for line in &file.lines {
        let blank = line.stmt.is_none() && line.comment.is_none();
        let after_blank = out
            .last()
            .is_none_or(|l: &Line| l.stmt.is_none() && l.comment.is_none());
        if blank && after_blank {
            continue;
        }
        let mut line = line.clone();
        line.comment = line.comment.map(|c| c.trim_end().to_string());
        out.push(line);
    }
    if out
        .last()
        .is_some_and(|l| l.stmt.is_none() && l.comment.is_none())
    {
        out.pop();
    }
    out
}

/// Compares two trees line by line with spans erased, naming the first difference.
fn assert_same_tree(name: &str, before: &File, after: &File, printed: &str) {
    let before = kept_lines(before);
    let after = kept_lines(after);
    for (k, (b, a)) in before.iter().zip(&after).enumerate() {
        let (b, a) = (
            erase_spans(&format!("{b:?}")),
            erase_spans(&format!("{a:?}")),
        );
        assert_eq!(
            b, a,
            "{name}: kept line {k} changed when printed as\n{printed}"
        );
    }
    assert_eq!(
        before.len(),
        after.len(),
        "{name}: printing changed the number of lines:\n{printed}"
    );
}

/// Replaces every `Span { .. }` in a `Debug` rendering by `Span`. Spans hold no
/// braces, so each ends at the first `}` after it starts.
fn erase_spans(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(k) = rest.find("Span { ") {
        out.push_str(&rest[..k]);
        out.push_str("Span");
        let end = rest[k..].find('}').expect("a span closes") + k + 1;
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The `.pathway` files in `dir`, sorted by name.
pub(crate) fn pathway_files(dir: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {dir}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pathway"))
        .collect();
    files.sort();
    files
}

#[test]
fn shipped_pathways_round_trip() {
    let files = pathway_files("pathways");
    assert!(!files.is_empty(), "no files in pathways/");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("a readable pathway");
        round_trip(&path.display().to_string(), &text);
    }
}

#[test]
fn error_inputs_that_parse_round_trip() {
    let mut parsed = 0;
    for path in pathway_files("tests/errors") {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            // `not_utf8.pathway` is not text, so there is nothing to round-trip.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        if parse(FileId(0), &text).1.is_empty() {
            round_trip(&path.display().to_string(), &text);
            parsed += 1;
        }
    }
    // Most error inputs are model errors, which parse; only the syntax ones do not.
    assert!(
        parsed >= 20,
        "only {parsed} inputs under tests/errors parsed"
    );
}

/// Everything `fmt` normalizes, in one file: blanks, Unicode arrows and units,
/// redundant parentheses, comments of every kind, runs of blank lines.
const MESSY: &str = "

# a comment on its own line, after blank lines   
units   time=min ,concentration  =  µM
compartment\tspine=0.08# trailing comment without a space
species Ca²⁺=0.08 μM in spine,CaM = 1 µM ,  eEF2~P=.5uM



input ketamine =0µM
param IC50=5.4 uM in [ 1 , 10 ]µM \"P5: a # inside a note is text\"   # and a comment
param k_on = 2.5E-3 /µM/min in[1e-3,1e-2]
param n=2
let open = ( ( inhibit( ketamine ,IC50 , n ) ) )
let f = ((-x)^2) + (2 uM / (K + (y))) * exp(-(t_half / (3 min)))
let g = -(2^2) + - 2 + (-2)^2 + 2^-2 + --k + a-(b-c) + (a-b)-c + a/(b*c) + (a/b)*c
let h = a^(b^c) + (a^b)^c + -a^2 + (-a)^2
ca_in :  -> Ca²⁺;k*open
Ca²⁺+CaM⇌CaCaM@k_on,k_off   #binding
2 A+B→C@k
A <-> @ kf , kr
chain ketamine⊣open→Ca²⁺ -| eEF2~P -> BDNF
#
#   indented text in a comment
import \"synapse.pathway\"


";

/// The protocol statements, messily written: blocks inline and on lines, comments
/// inside blocks, runs of blank lines inside a block, and every form of `expect`.
const MESSY_PROTOCOL: &str = "\
pk   ketamine absorption=2 min ,elimination =t_el
readout fEPSP=100*surf/baseline( surf )
genotype KO{knockout RARα;disable mecp2_phos ;set k=2 /min}
genotype S421A {   # a knock-in
   disable mecp2_phos   # one reaction off


}   # closed
experiment ket \"20 µM, 30 min\"extends base{
at 0 min set ketamine=20 uM;at 30 min set ketamine = 0µM

  # a comment in a block
     run 3 h+30 min every 1 min
start   initial
}
experiment weekly{ at 0 h every 24 h for 7 d dose ketamine=10 uM ; genotype S421A }
experiment empty { }
expect ket:fEPSP at 60 min>115 \"Nosyreva\"
expect ket : max fEPSP over[30 min,60 min]~130 within 10%
expect ket: mean fEPSP over [0 min, 1 h] ≈ 100 within 2
expect twice: fEPSP from 7 d to 7 d+1 h >= twice: fEPSP from 0 h to 1 h
expect occlusion( ket ,am580 , fEPSP at 3 h )<=0.5
";

#[test]
fn messy_protocol_round_trips() {
    insta::assert_snapshot!(
        "messy_protocol_canonical",
        round_trip("messy protocol", MESSY_PROTOCOL)
    );
}

#[test]
fn messy_input_round_trips() {
    insta::assert_snapshot!("messy_canonical", round_trip("messy input", MESSY));
}

#[test]
fn crlf_line_ends_round_trip() {
    let text = MESSY.replace('\n', "\r\n");
    // Line ends are normalized to `\n`, and nothing else changes.
    assert_eq!(
        round_trip("messy input with CRLF", &text),
        round_trip("messy input", MESSY)
    );
}

#[test]
fn small_inputs_round_trip() {
    for text in [
        "",
        "\n\n\n",
        "#",
        "# only a comment, no newline",
        "species A = 1",
        "-> A ; 1",
        "A -> @ k",
        "-> ; 1",
        "let x = - 2",
        "let x = - 2^2",
        "let x = -(2 uM)",
        "let x = - .5",
        "let x = 1. + .5e-3 + 3E+2",
        "let x = f()",
        "let x = max(a, min(b, c))",
        "let x = 2 /s * y / s",
        "let x = 2 uM/k",
        "import\"a.pathway\"",
        "species input = 1",
        "B + input -> C @ k",
        "label: 3 A + 02 B -> C @ k",
        "genotype g {\n}",
        "experiment e {\n\n}\n",
        "experiment e { run 1 h every 1 min; }",
        "expect e: r at 1 h ~ 2 within 0",
        "readout baseline = baseline(baseline(x))",
    ] {
        round_trip(&format!("{text:?}"), text);
    }
}

/// Numbers in expressions are unsigned, so `-2^2` is −(2²) = −4 like `-x^2`, and
/// the printer keeps the parentheses of (−2)² = 4.
#[test]
fn negated_power_of_a_literal_keeps_its_sign() {
    let (tree, _) = parse(FileId(0), "let x = -(2^2) + (-2)^2 + -(-x)\n");
    assert_eq!(print(&tree), "let x = -2^2 + (-2)^2 + --x\n");
}

/// A keyword glued to what follows used to start a reaction (`units+A`), which
/// `fmt` then printed as the keyword statement `units + A`, which does not parse.
#[test]
fn keyword_glued_to_an_operator_is_not_a_reaction() {
    let (_, errors) = parse(FileId(0), "units+A -> B @ k\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
}

/// The fuzz suite's mutated shipped files, where they still parse, keep their tree
/// through `fmt` too: mutations reach spellings no hand-written input tries.
#[test]
fn mutated_pathways_that_parse_round_trip() {
    let files = crate::fuzz::shipped();
    let round_tripped = std::sync::atomic::AtomicUsize::new(0);
    let result = crate::fuzz::runner(1000).run(&crate::fuzz::mutated(&files), |(_, text)| {
        if parse(FileId(0), &text).1.is_empty() {
            round_trip("a mutated pathway", &text);
            round_tripped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let n = round_tripped.into_inner();
    assert!(n >= 250, "only {n} mutated files parsed");
}

/// A negation must print its operand once: printing it a second time to choose the
/// parentheses makes sixty nested negations take 2^60 steps.
#[test]
fn nested_negations_print_in_linear_time() {
    let text = format!("let x = {}x\n", "- ".repeat(60));
    let printed = round_trip("sixty negations", &text);
    let expected = format!("let x = {}x\n", "-".repeat(60));
    assert_eq!(printed, expected);
}

/// Whatever parses at the parser's nesting limit (64 levels) still parses once
/// printed: the printer may not add levels, neither parentheses around a negated
/// operand nor the ones it writes around a negative base, `(-2)^2`.
#[test]
fn printing_at_the_nesting_limit_reads_back() {
    for text in [
        format!("let x = {}-2^2{}\n", "exp(".repeat(62), ")".repeat(62)),
        format!("let x = {}x\n", "-".repeat(64)),
        format!("let x = {}- 2^2{}\n", "ln(".repeat(62), ")".repeat(62)),
        format!("let x = 2{}\n", "^- 2".repeat(31)),
    ] {
        round_trip(&text, &text);
    }
}
