//! What a user reads when a file is wrong in a way no honest typo makes: control
//! characters that would drive the terminal, invisible characters that would leave
//! a message pointing at nothing, letters from another script that look Latin,
//! thousands of unknown names or one name a million characters long, and long flat
//! sums. Each diagnostic must still name its place, show the line with every
//! character visible and a caret under the culprit, and cost time linear in the file.

use pathrules::model::{SUGGESTION_BUDGET, Suggestions, load_str};
use pathrules::syntax::{Diagnostic, render};

use crate::cli::{TempDir, pathrules};

/// The diagnostics of checking `text` as one file, and their plain rendering.
fn failing(text: &str) -> (Vec<Diagnostic>, String) {
    let loaded = load_str("m.pathway", text);
    let Err(diagnostics) = loaded.model else {
        panic!("the model checked without error");
    };
    let shown = render(&diagnostics, &loaded.sources, false);
    (diagnostics, shown)
}

/// Asserts that the carets under the source line shown for `line` mark exactly the
/// characters `marked` in it, counted in characters (every one here one column wide).
fn assert_caret_under(shown: &str, line: u32, marked: &str) {
    let prefix = format!("{line} │ ");
    let rows: Vec<&str> = shown.lines().collect();
    let k = rows
        .iter()
        .position(|r| r.trim_start().starts_with(&prefix))
        .unwrap_or_else(|| panic!("line {line} is not shown in:\n{shown}"));
    let source = rows[k];
    let carets = rows[k + 1];
    let at = source
        .find(marked)
        .unwrap_or_else(|| panic!("`{marked}` is not in the line shown: {source}"));
    let from = source[..at].chars().count();
    let to = from + marked.chars().count();
    let marks: Vec<usize> = carets
        .chars()
        .enumerate()
        .filter(|&(_, c)| c == '^')
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        marks,
        (from..to).collect::<Vec<_>>(),
        "the carets are not under `{marked}`:\n{shown}"
    );
}

// Did-you-mean suggestions: bounded work however many names are unknown.

#[test]
fn did_you_mean_was_quadratic_in_unknown_names() {
    // 20,000 unknown names against 20,000 declared ones took 75 s to check: every
    // unknown name was scored against every declared one.
    let candidates: Vec<String> = (0..20_000).map(|k| format!("v{k}")).collect();
    let suggestions = Suggestions::new();
    let answers: Vec<Option<String>> = (0..20_000)
        .map(|k| suggestions.suggest(&format!("v{k}x"), candidates.iter().map(String::as_str)))
        .collect();
    assert!(
        suggestions.spent() <= SUGGESTION_BUDGET,
        "{} comparisons spent, over the budget of {SUGGESTION_BUDGET}",
        suggestions.spent()
    );
    // Names within the budget are answered in full, each one edit from `v{k}`.
    assert_eq!(answers[0].as_deref(), Some("v0"));
    assert_eq!(answers[1].as_deref(), Some("v1"));
}

#[test]
fn twenty_thousand_unknown_names_each_get_a_diagnostic() {
    let mut text = String::from("species A = 1 uM\n");
    for k in 0..20_000 {
        text.push_str(&format!("let v{k} = w{k} * 2\n"));
    }
    text.push_str("-> A ; v0\n");
    let (diagnostics, _) = failing(&text);
    assert_eq!(diagnostics.len(), 20_000);
    assert!(
        diagnostics
            .iter()
            .all(|d| d.message.starts_with("unknown name"))
    );
}

#[test]
fn the_length_window_drops_no_candidate_that_could_be_suggested() {
    // The window is derived from the normalized distance; checked here against the
    // unfiltered score on names of every length pair up to 12.
    let words: Vec<String> = (1..=12)
        .flat_map(|n| {
            [
                "abcdefghijkl",
                "abcdefghijkz",
                "bacdefghijkl",
                "ABCDEFGHIJKL",
            ]
            .map(|w| w[..n].to_string())
        })
        .collect();
    for name in &words {
        for candidate in &words {
            let score = strsim::normalized_damerau_levenshtein(
                &name.to_lowercase(),
                &candidate.to_lowercase(),
            );
            let expected = (score > 0.6).then(|| candidate.clone());
            let got = Suggestions::new().suggest(name, std::iter::once(candidate.as_str()));
            assert_eq!(
                got, expected,
                "`{name}` against `{candidate}` (score {score})"
            );
        }
    }
}

#[test]
fn a_million_character_identifier_hung_check() {
    // Damerau–Levenshtein of two names of 10⁶ characters is 10¹² steps.
    let long = "x".repeat(1_000_000);
    let text = format!(
        "species A = 1 uM\nparam {long} = 1 /min\n-> A ; {}y\n",
        &long[1..]
    );
    let (diagnostics, _) = failing(&text);
    assert_eq!(diagnostics.len(), 1);
    let d = &diagnostics[0];
    assert!(d.message.starts_with("unknown name `xxx"), "{}", d.message);
    assert!(d.primary.is_some() && d.help.is_some());
}

#[test]
fn a_long_name_still_gets_its_case_insensitive_match() {
    let long = "Kinase".repeat(20);
    let text = format!(
        "species A = 1 uM\nparam {long} = 1 /min\n-> A @ {}\n",
        long.to_lowercase()
    );
    let (diagnostics, _) = failing(&text);
    assert_eq!(
        diagnostics[0].help.as_deref(),
        Some(format!("did you mean `{long}`?").as_str())
    );
}

// Control characters: nothing from a file drives the terminal.

#[test]
fn an_escape_sequence_in_an_import_path_was_printed_raw() {
    let dir = TempDir::new("diagnostics-escape-import");
    dir.write(
        "m.pathway",
        "species A = 1 uM\nimport \"\x1b[2J\x1b[H.pathway\"\n",
    );
    let run = pathrules(&["check", "m.pathway"], Some(&dir.0));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains('\x1b'), "{:?}", run.stderr);
    assert!(run.stderr.contains("`<U+001B>[2J<U+001B>[H.pathway`"));
    // In colour the only escape sequences are the colours themselves.
    let coloured = std::process::Command::new(env!("CARGO_BIN_EXE_pathrules"))
        .args(["--color", "always", "check", "m.pathway"])
        .current_dir(&dir.0)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8(coloured.stderr).expect("UTF-8 stderr");
    assert!(
        !stderr.contains("\x1b[2J") && !stderr.contains("\x1b[H"),
        "an escape sequence reached the terminal: {stderr:?}"
    );
    assert!(
        stderr.contains("<U+001B>[2J<U+001B>[H.pathway"),
        "{stderr:?}"
    );
    let (_, shown) = failing("species A = 1 uM\nimport \"\x1b[2J.pathway\"\n");
    assert!(!shown.contains('\x1b'), "{shown:?}");
    assert_caret_under(&shown, 2, "\"<U+001B>[2J.pathway\"");
}

#[test]
fn a_carriage_return_inside_a_line_overwrote_the_line_shown() {
    let (_, shown) = failing("species A\rB = 1 uM\n");
    assert!(!shown.contains('\r'), "{shown:?}");
    assert!(shown.contains("1 │ species A<U+000D>B = 1 uM"), "{shown}");
    assert_caret_under(&shown, 1, "B");
}

#[test]
fn a_crlf_file_shows_its_lines_unchanged() {
    let (_, shown) = failing("species A = 1 uM\r\n-> A @ kk\r\n");
    assert!(!shown.contains("<U+000D>"), "{shown}");
    assert_caret_under(&shown, 2, "kk");
}

#[test]
fn tabs_stay_tabs_in_the_line_shown() {
    let (_, shown) = failing("species A = 1 uM\n-> A @\tkk\n");
    assert!(!shown.contains("<U+0009>"), "{shown}");
}

// Invisible characters: named in the message, a caret on each.

#[test]
fn invisible_characters_gave_messages_pointing_at_nothing() {
    let cases = [
        ('\0', "null", "delete it"),
        ('\x1b', "escape", "delete it"),
        ('\x7f', "delete", "delete it"),
        ('\u{a0}', "no-break space", "replace it with a plain space"),
        ('\u{2003}', "em space", "replace it with a plain space"),
        (
            '\u{3000}',
            "ideographic space",
            "replace it with a plain space",
        ),
        ('\u{200b}', "zero-width space", "delete it"),
        ('\u{200c}', "zero-width non-joiner", "delete it"),
        ('\u{200d}', "zero-width joiner", "delete it"),
        ('\u{2060}', "word joiner", "delete it"),
        ('\u{feff}', "byte-order mark", "delete it"),
        ('\u{ad}', "soft hyphen", "delete it"),
        ('\u{202e}', "right-to-left override", "delete it"),
        ('\u{2028}', "line separator", "delete it"),
    ];
    for (c, what, fix) in cases {
        let visible = format!("<U+{:04X}>", c as u32);
        // After a name, inside a reaction, before a number and at the line's start.
        let texts = [
            (format!("species A{c}= 1 uM\n"), 1),
            (format!("species A = 1 uM\n-> A{c}B @ 1 /min\n"), 2),
            (format!("species A = 1 uM\nparam k = {c}1 /min\n"), 2),
            (format!("species A = 1 uM\n{c}param k = 1 /min\n"), 2),
        ];
        for (text, line) in texts {
            let (diagnostics, shown) = failing(&text);
            assert_eq!(diagnostics.len(), 1, "{shown}");
            let d = &diagnostics[0];
            assert_eq!(
                d.message,
                format!("unexpected character `{visible}` ({what})"),
                "{shown}"
            );
            assert!(
                d.help.as_deref().is_some_and(|h| h.starts_with(fix)),
                "{shown}"
            );
            assert_caret_under(&shown, line, &visible);
        }
    }
}

#[test]
fn a_byte_order_mark_at_the_start_of_a_file_is_still_no_text() {
    let loaded = load_str("m.pathway", "\u{feff}species A = 1 uM\n");
    assert!(loaded.model.is_ok());
}

#[test]
fn invisible_characters_in_notes_are_allowed() {
    let loaded = load_str(
        "m.pathway",
        "species A = 1 uM\nparam k = 1 /min \"a\u{a0}note\u{200b}\"\n",
    );
    assert!(loaded.model.is_ok());
}

// Look-alike letters: a name that differs from a declared one only by letters of
// another script that look the same.

#[test]
fn a_greek_capital_in_place_of_a_latin_one_got_no_suggestion() {
    let (diagnostics, _) = failing("species A = 1 uM\nparam Kd = 1 /min\nA -> @ \u{39a}d\n");
    assert_eq!(
        diagnostics[0].help.as_deref(),
        Some("did you mean `Kd`? `Κ` here is Greek (U+039A)")
    );
}

#[test]
fn a_cyrillic_letter_in_a_name_is_named_in_the_suggestion() {
    let (diagnostics, _) = failing("species Ca²⁺ = 1 uM\nC\u{430}²⁺ -> @ 1 /min\n");
    assert_eq!(
        diagnostics[0].help.as_deref(),
        Some("did you mean `Ca²⁺`? `а` here is Cyrillic (U+0430)")
    );
}

#[test]
fn several_look_alikes_are_each_named() {
    let (diagnostics, _) = failing("species CaMKII = 1 uM\n\u{421}\u{430}MKII -> @ 1 /min\n");
    assert_eq!(
        diagnostics[0].help.as_deref(),
        Some("did you mean `CaMKII`? `С` here is Cyrillic (U+0421), `а` here is Cyrillic (U+0430)")
    );
}

#[test]
fn greek_letters_in_names_are_still_names() {
    let loaded = load_str(
        "m.pathway",
        "species RARα = 1 uM, Α = 1 uM\nRARα -> @ 1 /min\nΑ -> @ 1 /min\n",
    );
    assert!(loaded.model.is_ok());
}

#[test]
fn a_typo_next_to_a_look_alike_is_an_ordinary_suggestion() {
    // Only the letters that differ from the suggestion are named, and only when
    // folding them is what makes the two names equal.
    let (diagnostics, _) = failing("species CaMKII = 1 uM\nCaMKI -> @ 1 /min\n");
    assert_eq!(
        diagnostics[0].help.as_deref(),
        Some("did you mean `CaMKII`?")
    );
}

#[test]
fn a_column_counts_an_invisible_character_as_one() {
    // The line shows `<U+200B>`, but an editor's column counts one character.
    let (_, shown) = failing("species A = 1 uM\nparam k = 1 /min \"a\u{200b}b\" x\n");
    assert!(shown.contains("m.pathway:2:24"), "{shown}");
    assert_caret_under(&shown, 2, "x");
    let (_, shown) = failing("species A\u{a0}= 1 uM\n");
    assert!(shown.contains("m.pathway:1:10"), "{shown}");
}

// Long flat chains: operands are not nesting, and every stage survives the bound.

/// A model whose let, rate laws and readout are each a chain of `terms` operands
/// joined by `op` (`+` or `*`), one of them as a mass-action constant.
fn chains(terms: usize, op: &str) -> String {
    // `a + a + …` has the dimension of `a`, and so has `a * u * …` with `u` a number.
    let rest = if op == "+" { ["a", "k"] } else { ["u", "u"] };
    let chain = |first: &str, rest: &str| {
        std::iter::once(first)
            .chain(std::iter::repeat_n(rest, terms - 1))
            .collect::<Vec<_>>()
            .join(&format!(" {op} "))
    };
    let s = chain("a", rest[0]);
    let constant = chain("k", rest[1]);
    format!(
        "units time = min, concentration = uM\n\
         species a = 1 uM, b = 0 uM\n\
         param k = 1 /min\n\
         param u = 1\n\
         let s = {s}\n\
         make: -> b ; k * s\n\
         loss: b -> @ {constant}\n\
         readout r = {s}\n\
         chain a -> b\n"
    )
}

/// Parses, prints, checks, compiles, simulates and exports `text` on a thread with
/// the 2 MiB stack of a test thread, where a recursion too deep would overflow.
fn every_stage_on_a_small_stack(text: String) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let (file, errors) = pathrules::syntax::parse(pathrules::syntax::FileId(0), &text);
            assert!(errors.is_empty(), "{errors:?}");
            let printed = pathrules::syntax::print(&file);
            let loaded = load_str("m.pathway", &printed);
            let Ok(model) = loaded.model else {
                panic!("the printed model does not check");
            };
            let checked = pathrules::finish(model).unwrap_or_else(|d| panic!("{d:?}"));
            let times = pathrules::time_grid(10.0, 1.0);
            let settings = pathrules::solve::Settings::default();
            let run = pathrules::simulate(&checked, &times, &settings).expect("a run");
            assert_eq!(run.times.len(), times.len());
            let sbml = pathrules::output::sbml::write(&checked.model, &Default::default());
            assert!(sbml.contains("<listOfReactions>"));
        })
        .expect("a thread")
        .join()
        .expect("every stage survives on 2 MiB");
}

#[test]
fn a_flat_sum_of_65_terms_was_nested_too_deep() {
    every_stage_on_a_small_stack(chains(65, "+"));
}

#[test]
fn sums_and_products_of_256_terms_pass_every_stage() {
    every_stage_on_a_small_stack(chains(256, "+"));
    every_stage_on_a_small_stack(chains(256, "*"));
}

#[test]
fn a_chain_of_256_terms_checks_and_runs_in_the_binary() {
    let dir = TempDir::new("diagnostics-long-chain");
    dir.write("m.pathway", &chains(256, "+"));
    let run = pathrules(&["check", "m.pathway"], Some(&dir.0));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = pathrules(&["run", "m.pathway", "--until", "10 min"], Some(&dir.0));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = pathrules(&["fmt", "m.pathway"], Some(&dir.0));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_chain_of_257_terms_is_an_error_at_its_last_operator() {
    let sum = vec!["a"; 257].join(" + ");
    let (diagnostics, shown) = failing(&format!("species a = 1 uM\nlet s = {sum}\n"));
    assert_eq!(diagnostics.len(), 1, "{shown}");
    assert_eq!(
        diagnostics[0].message,
        "expression more than 256 operations deep"
    );
    // The 256th `+`, after `let s = ` and 256 operands of `a + `.
    let column = "let s = ".len() + 256 * "a + ".len() - 1;
    assert!(shown.contains(&format!("m.pathway:2:{column}")), "{shown}");
}

#[test]
fn deep_nesting_is_still_refused_at_64_levels() {
    let deep = format!("{}a{}", "-(".repeat(40), ")".repeat(40));
    let (diagnostics, _) = failing(&format!("species a = 1 uM\nlet s = {deep}\n"));
    assert_eq!(
        diagnostics[0].message,
        "expression nested more than 64 levels deep"
    );
}
