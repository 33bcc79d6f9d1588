//! The grammar document and the README agree with the parser.
//!
//! grammar/pathway.ebnf is the one description of the language: every `example:`
//! line in it must parse, every rule a parser function quotes must read as it does
//! there, and the keywords, unit spellings and functions it lists must be the ones
//! the code knows. Every ```pathway block of README.md must parse too.

use pathrules::syntax::ast::UnitAtom;
use pathrules::syntax::{KEYWORDS, parse};

const GRAMMAR: &str = "grammar/pathway.ebnf";

fn grammar() -> String {
    std::fs::read_to_string(GRAMMAR).expect("grammar/pathway.ebnf")
}

/// Parses `text` and fails, with the rendered diagnostics, if anything is wrong.
fn assert_parses(what: &str, text: &str) {
    let mut sources = pathrules::Sources::new();
    let id = sources.add(what, what, text);
    let (_, errors) = parse(id, text);
    assert!(
        errors.is_empty(),
        "{what} does not parse:\n{text}\n{}",
        pathrules::syntax::render(&errors, &sources, false)
    );
}

#[test]
fn every_grammar_example_parses() {
    let grammar = grammar();
    let examples: Vec<&str> = grammar
        .lines()
        .filter_map(|l| l.strip_prefix("example:"))
        .map(str::trim)
        .collect();
    assert!(
        examples.len() >= 10,
        "found only {} examples",
        examples.len()
    );
    for example in &examples {
        assert_parses(&format!("the grammar example `{example}`"), example);
    }
    // Each statement has an example: the first word of some example is its keyword.
    for keyword in KEYWORDS {
        assert!(
            examples
                .iter()
                .any(|e| e.split_whitespace().next() == Some(keyword)),
            "no example of a `{keyword}` statement"
        );
    }
}

#[test]
fn every_readme_pathway_block_parses() {
    let readme = std::fs::read_to_string("README.md").expect("README.md exists");
    let blocks = fenced_blocks(&readme, "pathway");
    assert!(!blocks.is_empty(), "README.md has no ```pathway block");
    for (line, block) in blocks {
        assert_parses(&format!("the README.md block at line {line}"), &block);
    }
}

/// The fenced blocks tagged `tag`, with the line number of each opening fence.
fn fenced_blocks(markdown: &str, tag: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (k, line) in markdown.lines().enumerate() {
        let fence = line.trim_start();
        match &mut open {
            None if fence.strip_prefix("```").map(str::trim) == Some(tag) => {
                open = Some((k + 1, String::new()));
            }
            None => {}
            Some(_) if fence.starts_with("```") => blocks.extend(open.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    assert!(open.is_none(), "a ```{tag} block is never closed");
    blocks
}

/// Each parser function quotes its rule in a doc comment (`/// `rule = ... ;``);
/// the quote must be the rule as the grammar writes it, up to blanks and comments.
#[test]
fn parser_quotes_the_grammar_exactly() {
    let rules = ebnf_rules(&grammar());
    let mut parser = String::new();
    for entry in std::fs::read_dir("src/syntax/parser").expect("src/syntax/parser/") {
        let path = entry.expect("a parser file").path();
        parser += &std::fs::read_to_string(&path).expect("a parser file");
    }
    let mut quoted = 0;
    for line in parser.lines() {
        let Some(quote) = line.trim_start().strip_prefix("/// `") else {
            continue;
        };
        let Some((rule, _)) = quote.split_once('`') else {
            assert!(!quote.contains(" = "), "a quoted rule spans lines: {line}");
            continue;
        };
        let Some((name, body)) = rule.split_once(" = ") else {
            continue;
        };
        let body = normalize(body.trim_end().trim_end_matches(';'));
        let in_grammar = rules
            .iter()
            .find(|(n, _)| n == name.trim())
            .unwrap_or_else(|| panic!("the parser quotes `{name}`, which the grammar lacks"));
        assert_eq!(
            body, in_grammar.1,
            "the parser quotes `{name}` differently from {GRAMMAR}"
        );
        quoted += 1;
    }
    assert!(
        quoted >= 20,
        "found only {quoted} quoted rules in the parser"
    );
}

#[test]
fn grammar_keywords_are_the_parsers() {
    let rules = ebnf_rules(&grammar());
    assert_eq!(literals(&rules, "keyword"), KEYWORDS.to_vec());
}

#[test]
fn grammar_units_are_the_parsers() {
    let rules = ebnf_rules(&grammar());
    let mut in_grammar = literals(&rules, "unit_atom");
    let mut in_parser: Vec<&str> = UnitAtom::SPELLINGS.iter().map(|(s, _)| *s).collect();
    in_grammar.sort_unstable();
    in_parser.sort_unstable();
    assert_eq!(in_grammar, in_parser);
}

#[test]
fn grammar_functions_are_the_checkers() {
    // The grammar names the functions in the comment on the call alternative.
    let grammar = grammar();
    let comment = grammar
        .lines()
        .find(|l| l.contains("ident \"(\""))
        .and_then(|l| l.split("(*").nth(1))
        .expect("the call alternative of `atom` with its comment");
    let listed: Vec<&str> = comment.trim_end_matches("*)").split_whitespace().collect();
    let known: Vec<&str> = pathrules::model::Func::USER
        .iter()
        .map(|(n, _, _)| *n)
        .collect();
    assert_eq!(listed, known);
}

/// The quoted literals of a rule, in order.
fn literals<'a>(rules: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    let (_, body) = rules
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no rule `{name}` in the grammar"));
    body.split('"').skip(1).step_by(2).collect()
}

/// The grammar's rules as (name, body), comments removed and blanks collapsed.
fn ebnf_rules(text: &str) -> Vec<(String, String)> {
    let text = strip_comments(text);
    let mut rules = Vec::new();
    let mut rest = text.as_str();
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq].trim().to_string();
        let body = &rest[eq + 1..];
        let end = end_of_rule(body).unwrap_or_else(|| panic!("rule `{name}` has no `;`"));
        rules.push((name, normalize(&body[..end])));
        rest = &body[end + 1..];
    }
    assert!(rest.trim().is_empty(), "text after the last rule: {rest}");
    rules
}

/// The byte offset of the `;` ending a rule body: the first outside quotes.
fn end_of_rule(body: &str) -> Option<usize> {
    let mut quote = None;
    for (k, c) in body.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ';') => return Some(k),
            _ => {}
        }
    }
    None
}

/// Removes `(* ... *)` comments outside quotes.
fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut quote = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match quote {
            None if rest.starts_with("(*") => {
                let end = rest.find("*)").expect("a comment closes");
                rest = &rest[end + 2..];
                out.push(' ');
                continue;
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            Some(q) if c == q => quote = None,
            _ => {}
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
