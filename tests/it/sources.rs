//! `pathrules sources`: the pathways' citations checked against the manifest's
//! literature table, and the report's links from each cited id to its row.

use crate::cli::{TempDir, pathrules};

const BASE: &str = "\
units time = min, concentration = uM
# The loss is first order (P1).
species A = 2 uM, B = 1 uM
make: -> A ; 1 uM/min
param k = 0.5 /min \"P99: made up\"
convert: A -> B @ k
loss: B -> @ 1 /min
";

const TABLE: &str = "\
[[source]]
id = \"P1\"
what = \"loss rate\"
value = \"1 /min\"
citation = \"Nobody 2020\"
confidence = \"S\"

[[source]]
id = \"P2\"
what = \"unused\"
value = \"2\"
citation = \"Nobody 2021\"
url = \"https://example.org/nobody\"
confidence = \"R\"
";

const MANIFEST: &str = "\
base = \"a\"
judge = [\"judge.pathway\"]

[hypotheses]
a = \"base.pathway\"

[literature]
table = \"lit.toml\"
";

/// A project of one hypothesis citing P1 (in a comment) and P99 (in a note), with
/// `table` as its literature table.
fn project(test: &str, base: &str, table: &str) -> TempDir {
    let dir = TempDir::new(test);
    dir.write("base.pathway", base);
    dir.write(
        "judge.pathway",
        "import \"base.pathway\"\nreadout level = A\n",
    );
    dir.write("lit.toml", table);
    dir.write("pathrules.toml", MANIFEST);
    dir
}

#[test]
fn the_shipped_pathways_cite_only_sources_of_the_table_and_cite_them_all() {
    let run = pathrules(&["sources"], None);
    run.assert_exit(0);
    assert_eq!(run.stderr, "", "no problem, not even a warning");
    let mut lines = run.stdout.lines();
    let head = lines.next().unwrap();
    assert!(
        head.starts_with("docs/literature.toml: 58 sources, "),
        "{head}"
    );
    assert!(
        run.stdout
            .contains("\nevery citation has its source, and every source is cited\n")
    );
    // One line per source, each cited at least once at a place that exists.
    let rows: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("id "))
        .skip(1)
        .collect();
    assert_eq!(rows.len(), 58);
    for row in rows {
        let cells: Vec<&str> = row.split_whitespace().collect();
        let cited: usize = cells[2].parse().expect("a count");
        assert!(cited > 0, "{row}");
        let (file, place) = cells[3].split_once(':').expect("file:line:column");
        let line: usize = place.split(':').next().unwrap().parse().unwrap();
        let text = std::fs::read_to_string(file).expect("the citing file");
        let cited_line = text.lines().nth(line - 1).expect("the line exists");
        assert!(cited_line.contains(cells[0]), "{row}: {cited_line}");
    }
}

#[test]
fn a_citation_without_a_source_is_an_error_where_it_is_written() {
    let dir = project("unresolved", BASE, TABLE);
    let run = pathrules(&["sources"], Some(&dir.0));
    run.assert_exit(1);
    assert_eq!(
        run.stderr,
        "error: `P99` is cited but lit.toml has no source with that id
  ┌─ base.pathway:5:21
  │
5 │ param k = 0.5 /min \"P99: made up\"
  │                     ^^^ no such source
  │
  = help: add a `[[source]]` row with `id = \"P99\"` to lit.toml, or correct the id

warning: source `P2` is cited by no pathway
  ┌─ lit.toml:9:6
  │
9 │ id = \"P2\"
  │      ^^^^ not cited
  │
  = help: cite `P2` where the model uses it (in a parameter's note, an expectation's source or a comment), or remove the row

error: found 1 problem
"
    );
    assert_eq!(
        run.stdout,
        "lit.toml: 2 sources, 2 citations in 1 of the 2 files the hypotheses read
by confidence: 1 seen (S), 0 secondary copy (S2), 0 derived (D), 1 recalled (R), 0 not found (NF)
1 citation without a source, 1 source cited nowhere

id  conf  cited  first cited at     citation
P1  S         1  base.pathway:2:28  Nobody 2020
P2  R         0  —                  Nobody 2021
"
    );
}

#[test]
fn a_source_cited_nowhere_is_only_a_warning() {
    let dir = project("uncited", &BASE.replace("P99", "P1"), TABLE);
    let run = pathrules(&["sources"], Some(&dir.0));
    run.assert_exit(0);
    assert!(
        run.stderr
            .starts_with("warning: source `P2` is cited by no pathway\n"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("error"), "{}", run.stderr);
}

#[test]
fn a_malformed_table_is_reported_where_it_is_wrong() {
    let cases = [
        (
            TABLE.replace("citation = \"Nobody 2020\"\n", ""),
            "error: literature table: missing field `citation`\n  ┌─ lit.toml:1:1\n",
        ),
        (
            TABLE.replace("confidence = \"R\"", "confidence = \"sure\""),
            "error: literature table: confidence `sure` is not a grade\n   ┌─ lit.toml:14:14\n",
        ),
        (
            TABLE.replace("\"P2\"", "\"P1\""),
            "error: literature table: id `P1` is given to two sources\n  ┌─ lit.toml:9:6\n",
        ),
        (
            TABLE.replace("\"P2\"", "\"two\""),
            "error: literature table: id `two` is not a letter and a number\n  ┌─ lit.toml:9:6\n",
        ),
        (
            TABLE.replace("what = \"unused\"", "whta = \"unused\""),
            "error: literature table: unknown field `whta`",
        ),
        (
            TABLE.replace("value = \"2\"", "value = \"2"),
            "error: literature table: ",
        ),
    ];
    for (table, start) in cases {
        let dir = project("malformed", &BASE.replace("P99", "P1"), &table);
        let run = pathrules(&["sources"], Some(&dir.0));
        run.assert_exit_for(1, start);
        assert!(run.stderr.starts_with(start), "{start}\n{}", run.stderr);
        assert!(run.stderr.contains("  = help: "), "{}", run.stderr);
        assert_eq!(
            run.stdout, "",
            "no listing from a table that does not parse"
        );
    }
    // The report refuses such a table too, and writes nothing.
    let dir = project("malformed-report", BASE, &TABLE.replace("\"P2\"", "\"P1\""));
    let run = pathrules(&["report", "-o", "r.html"], Some(&dir.0));
    run.assert_exit(1);
    assert!(!dir.0.join("r.html").exists());
}

#[test]
fn the_manifest_names_its_table_or_is_told_how() {
    let dir = project("no-file", BASE, TABLE);
    dir.write(
        "pathrules.toml",
        &MANIFEST.replace("lit.toml", "missing.toml"),
    );
    let run = pathrules(&["sources"], Some(&dir.0));
    run.assert_exit(1);
    assert!(
        run.stderr.starts_with(
            "error: [literature] table: no file `./missing.toml`\n  ┌─ pathrules.toml:8:9\n"
        ),
        "{}",
        run.stderr
    );
    dir.write(
        "pathrules.toml",
        MANIFEST.split("\n[literature]").next().unwrap(),
    );
    let run = pathrules(&["sources"], Some(&dir.0));
    run.assert_exit(1);
    assert!(
        run.stderr.starts_with(
            "error: `pathrules.toml` names no literature table\nhelp: add `[literature]`"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn the_report_links_each_cited_id_to_its_source() {
    let dir = project("report", &BASE.replace("P99", "P1"), TABLE);
    let run = pathrules(&["report", "-o", "r.html"], Some(&dir.0));
    run.assert_exit(0);
    let html = std::fs::read_to_string(dir.0.join("r.html")).unwrap();
    assert!(html.contains("<a href=\"#sources\">sources</a>"));
    assert!(html.contains("<tr id=\"src-P1\"><td>P1</td><td>S</td>"));
    assert!(html.contains("<tr id=\"src-P2\">"));
    // The parameter's note links its citation; the source lists who cites it.
    assert!(
        html.contains("<td><a href=\"#src-P1\">P1</a>: made up</td>"),
        "{html}"
    );
    assert!(html.contains("<td><code>k</code></td></tr>"), "{html}");
    assert!(html.contains("Nobody 2021 <a href=\"https://example.org/nobody\">"));
    // Without a table, no section and no links.
    dir.write(
        "pathrules.toml",
        MANIFEST.split("\n[literature]").next().unwrap(),
    );
    pathrules(&["report", "-o", "r.html"], Some(&dir.0)).assert_exit(0);
    let html = std::fs::read_to_string(dir.0.join("r.html")).unwrap();
    assert!(!html.contains("src-P1") && !html.contains("id=\"sources\""));
}
