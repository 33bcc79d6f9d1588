//! A calibrated ensemble read back: the text of `H.calibrated.json`, as `fit` wrote it,
//! into a [`Calibrated`], checked against the hypothesis's checked model before any set
//! is judged. The file is the fit's record of the model as it was; once the model moves
//! on (a parameter renamed, a range changed, an expectation added), its sets no longer
//! say what they said, so every such difference is an error at its place in the file,
//! with the fit to run again as the help. Reads no file itself: the caller hands it the
//! text and the `FileId` the diagnostics point into.

use std::ops::Range;

use super::fit::{self, Calibrated};
use crate::Checked;
use crate::syntax::{Diagnostic, FileId, Span};

/// What is wrong with a calibrated ensemble, each at a place in its file.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// Not JSON, or not the fields of a calibrated ensemble, e.g. a file cut short:
    /// serde's message without its position.
    Json { message: String },
    /// `"schema_version": 0`: written by another version of pathrules.
    Version { found: u32 },
    /// `"hypothesis": "disinhibition"` in `resting_nmdar.calibrated.json`.
    Hypothesis { found: String },
    /// `"free"` names `k_gone`, which the model does not declare.
    NotAParameter { name: String },
    /// `"free"` names a derived parameter, whose value follows from the free ones.
    Derived { name: String },
    /// `"free"` names a parameter that has no range (or a range of one point) now.
    NoRange { name: String },
    /// `"free"` names a parameter twice.
    Twice { name: String },
    /// The model's range of a free parameter is not the one the fit searched.
    RangeChanged {
        name: String,
        model: (f64, f64),
        file: (f64, f64),
    },
    /// A parameter with a range in the model that the fit did not search.
    Missing { name: String },
    /// Expectation `index` of the file is not the model's (changed, added or removed).
    Expectation {
        index: usize,
        file: Option<String>,
        model: Option<String>,
    },
    /// `"sets": []`: nothing to judge.
    NoSets,
    /// Set `set` holds `len` values for `free` parameters.
    SetLength { set: usize, len: usize, free: usize },
    /// A value of set `set` outside its parameter's range (or not finite).
    OutOfRange {
        set: usize,
        name: String,
        value: f64,
        range: (f64, f64),
    },
    /// `passes` has `passes` rows for `sets` sets.
    PassesCount { passes: usize, sets: usize },
    /// Row `set` of `passes` holds `len` verdicts for `expectations` expectations.
    PassesLength {
        set: usize,
        len: usize,
        expectations: usize,
    },
}

impl Problem {
    /// The message, lowercase and without a trailing period.
    fn message(&self, hypothesis: &str) -> String {
        match self {
            Problem::Json { message } => format!("not a calibrated ensemble: {message}"),
            Problem::Version { found } => format!(
                "schema_version {found} is not {}, the version this pathrules reads",
                fit::SCHEMA_VERSION
            ),
            Problem::Hypothesis { found } => {
                format!("this is the calibrated ensemble of `{found}`, not of `{hypothesis}`")
            }
            Problem::NotAParameter { name } => {
                format!("`{name}` is not a parameter of `{hypothesis}`")
            }
            Problem::Derived { name } => format!(
                "`{name}` is a derived parameter of `{hypothesis}`: its value follows from the free ones"
            ),
            Problem::NoRange { name } => {
                format!("`{name}` has no range in `{hypothesis}`, so it is not free")
            }
            Problem::Twice { name } => {
                format!("`{name}` is listed twice among the free parameters")
            }
            Problem::RangeChanged { name, model, file } => format!(
                "the range of `{name}` is [{}, {}] in the model but was [{}, {}] when fitted",
                model.0, model.1, file.0, file.1
            ),
            Problem::Missing { name } => format!(
                "`{name}` has a range in `{hypothesis}` but no value in the calibrated ensemble"
            ),
            Problem::Expectation { index, file, model } => match (file, model) {
                (Some(file), Some(model)) => format!(
                    "expectation {index} was `{file}` when fitted, and is `{model}` in the model"
                ),
                (Some(file), None) => {
                    format!("expectation {index} `{file}` is no longer one of the model's")
                }
                (None, Some(model)) => {
                    format!("expectation {index} `{model}` of the model was not fitted")
                }
                (None, None) => format!("expectation {index} is missing"),
            },
            Problem::NoSets => "the calibrated ensemble holds no sets".to_string(),
            Problem::SetLength { set, len, free } => format!(
                "set {set} holds {len} value{} for {free} free parameter{}",
                plural(*len),
                plural(*free)
            ),
            Problem::OutOfRange {
                set,
                name,
                value,
                range,
            } => format!(
                "set {set}: `{name}` = {value} is outside its range [{}, {}]",
                range.0, range.1
            ),
            Problem::PassesCount { passes, sets } => format!(
                "`passes` holds {passes} row{} for {sets} set{}",
                plural(*passes),
                plural(*sets)
            ),
            Problem::PassesLength {
                set,
                len,
                expectations,
            } => format!(
                "the passes of set {set} hold {len} verdict{} for {expectations} expectation{}",
                plural(*len),
                plural(*expectations)
            ),
        }
    }

    /// The label at the problem's place.
    fn label(&self) -> &'static str {
        match self {
            Problem::Json { .. } => "here",
            Problem::Version { .. } => "another version",
            Problem::Hypothesis { .. } => "another hypothesis",
            Problem::NotAParameter { .. } => "no such parameter",
            Problem::Derived { .. } => "derived",
            Problem::NoRange { .. } => "no range",
            Problem::Twice { .. } => "again",
            Problem::RangeChanged { .. } => "the range fitted",
            Problem::Missing { .. } => "not among these",
            Problem::Expectation { .. } => "not the model's",
            Problem::NoSets => "empty",
            Problem::SetLength { .. } => "wrong length",
            Problem::OutOfRange { .. } => "out of range",
            Problem::PassesCount { .. } | Problem::PassesLength { .. } => "wrong length",
        }
    }

    /// What would fix it: the fit run again, which writes the file anew.
    fn help(&self, hypothesis: &str) -> String {
        let again = format!("run `pathrules fit --hypothesis {hypothesis}` again");
        match self {
            Problem::Version { .. } => format!("{again} with this version of pathrules"),
            Problem::Hypothesis { .. } => format!(
                "the file of `{hypothesis}` is `{hypothesis}.calibrated.json`; {again} to write it"
            ),
            Problem::NotAParameter { .. }
            | Problem::Derived { .. }
            | Problem::NoRange { .. }
            | Problem::RangeChanged { .. }
            | Problem::Missing { .. }
            | Problem::Expectation { .. } => {
                format!("the model changed since the fit; {again} to calibrate the model as it is")
            }
            _ => format!("the file was edited or cut short; {again} to write it anew"),
        }
    }

    fn diagnostic(&self, span: Span, hypothesis: &str) -> Diagnostic {
        Diagnostic::error(self.message(hypothesis), span, self.label())
            .with_help(self.help(hypothesis))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Reads `text`, the calibrated ensemble of hypothesis `hypothesis` (file `file`), and
/// checks it against `checked`: this schema version, this hypothesis, every free
/// parameter a parameter of the model with the range the fit searched (and every ranged
/// parameter free), the model's expectations in the model's order, at least one set,
/// every set one finite value per free parameter within its range, and one row of
/// passes per set with one verdict per expectation. Every problem found is returned,
/// each at its place in the file.
pub fn read(
    file: FileId,
    text: &str,
    hypothesis: &str,
    checked: &Checked,
) -> Result<Calibrated, Vec<Diagnostic>> {
    let at = |path: &[Step], p: Problem| {
        let mut r = locate(text, path);
        // A parameter missing from the list belongs to the whole list: its opening
        // bracket, not every line of it, is shown.
        if let Problem::Missing { .. } = p {
            r.end = (r.start + 1).min(r.end);
        }
        p.diagnostic(Span::new(file, r.start, r.end), hypothesis)
    };
    let cal: Calibrated = match serde_json::from_str(text) {
        Ok(cal) => cal,
        Err(e) => {
            let start = offset(text, e.line(), e.column());
            let end = text[start..]
                .chars()
                .next()
                .map_or(start, |c| start + c.len_utf8());
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(cut) if e.line() > 0 => message[..cut].to_string(),
                _ => message,
            };
            let span = Span::new(file, start, end);
            return Err(vec![Problem::Json { message }.diagnostic(span, hypothesis)]);
        }
    };
    let mut problems = Vec::new();
    let mut push = |path: &[Step], p: Problem| problems.push(at(path, p));
    if cal.schema_version != fit::SCHEMA_VERSION {
        // Nothing else of a file of another version can be read as this one's.
        push(
            &[Step::Key("schema_version")],
            Problem::Version {
                found: cal.schema_version,
            },
        );
        return Err(problems);
    }
    if cal.hypothesis != hypothesis {
        push(
            &[Step::Key("hypothesis")],
            Problem::Hypothesis {
                found: cal.hypothesis.clone(),
            },
        );
    }
    let model = &checked.model;
    // Whether each free parameter's range is the model's: a set is checked against the
    // ranges only where they agree, since a changed range is one problem, not one per set.
    let mut ranges_agree = true;
    for (j, f) in cal.free.iter().enumerate() {
        let place = [Step::Key("free"), Step::Index(j), Step::Key("name")];
        let name = f.name.clone();
        if cal.free[..j].iter().any(|g| g.name == f.name) {
            push(&place, Problem::Twice { name });
            continue;
        }
        let Some(p) = model.params.iter().find(|p| p.name == f.name) else {
            push(&place, Problem::NotAParameter { name });
            ranges_agree = false;
            continue;
        };
        match p.range {
            _ if p.formula.is_some() => push(&place, Problem::Derived { name }),
            Some((lo, hi)) if hi > lo => {
                if !(same(lo, f.lo) && same(hi, f.hi)) {
                    ranges_agree = false;
                    push(
                        &[Step::Key("free"), Step::Index(j)],
                        Problem::RangeChanged {
                            name,
                            model: (lo, hi),
                            file: (f.lo, f.hi),
                        },
                    );
                }
            }
            _ => push(&place, Problem::NoRange { name }),
        }
    }
    for f in fit::free_params(checked) {
        if !cal.free.iter().any(|g| g.name == f.name) {
            push(&[Step::Key("free")], Problem::Missing { name: f.name });
        }
    }
    let texts: Vec<&str> = model.expectations.iter().map(|x| x.text.as_str()).collect();
    let rows = cal.expectations.len().max(texts.len());
    if let Some(index) =
        (0..rows).find(|&e| cal.expectations.get(e).map(String::as_str) != texts.get(e).copied())
    {
        let place: &[Step] = if index < cal.expectations.len() {
            &[Step::Key("expectations"), Step::Index(index)]
        } else {
            &[Step::Key("expectations")]
        };
        push(
            place,
            Problem::Expectation {
                index,
                file: cal.expectations.get(index).cloned(),
                model: texts.get(index).map(|t| t.to_string()),
            },
        );
    }
    if cal.sets.is_empty() {
        push(&[Step::Key("sets")], Problem::NoSets);
    }
    for (s, set) in cal.sets.iter().enumerate() {
        if set.len() != cal.free.len() {
            push(
                &[Step::Key("sets"), Step::Index(s)],
                Problem::SetLength {
                    set: s,
                    len: set.len(),
                    free: cal.free.len(),
                },
            );
            continue;
        }
        if !ranges_agree {
            continue;
        }
        for (j, (f, &value)) in cal.free.iter().zip(set).enumerate() {
            if !(value.is_finite() && f.lo <= value && value <= f.hi) {
                push(
                    &[Step::Key("sets"), Step::Index(s), Step::Index(j)],
                    Problem::OutOfRange {
                        set: s,
                        name: f.name.clone(),
                        value,
                        range: (f.lo, f.hi),
                    },
                );
            }
        }
    }
    if cal.passes.len() != cal.sets.len() {
        push(
            &[Step::Key("passes")],
            Problem::PassesCount {
                passes: cal.passes.len(),
                sets: cal.sets.len(),
            },
        );
    }
    for (s, row) in cal.passes.iter().enumerate() {
        if row.len() != cal.expectations.len() {
            push(
                &[Step::Key("passes"), Step::Index(s)],
                Problem::PassesLength {
                    set: s,
                    len: row.len(),
                    expectations: cal.expectations.len(),
                },
            );
        }
    }
    if problems.is_empty() {
        Ok(cal)
    } else {
        Err(problems)
    }
}

/// Whether two bounds are the same number, to the last few bits a unit conversion moves.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// The byte offset of serde_json's line and column (both from 1; column 0 is the line's
/// end before it, as serde_json reports an error at a newline).
fn offset(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line.max(1) {
        match text[start..].find('\n') {
            Some(n) => start += n + 1,
            None => return text.len(),
        }
    }
    let line_end = text[start..].find('\n').map_or(text.len(), |n| start + n);
    let mut at = start;
    for _ in 1..column {
        match text[at..line_end].chars().next() {
            Some(c) => at += c.len_utf8(),
            None => break,
        }
    }
    at.min(line_end)
}

/// A step from a JSON value into one it holds.
#[derive(Clone, Copy, Debug)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The bytes of the value at `path` in `text`, which serde has read as JSON: as deep as
/// the path leads, so a problem with a value the file lacks points at its parent.
fn locate(text: &str, path: &[Step]) -> Range<usize> {
    let b = text.as_bytes();
    let mut here = skip_space(b, 0);
    let mut span = here..value_end(b, here);
    for step in path {
        match children(b, span.clone(), *step) {
            Some(inner) => {
                here = inner;
                span = here..value_end(b, here);
            }
            None => break,
        }
    }
    span
}

/// Where the value `step` leads to in the object or array at `span` starts.
fn children(b: &[u8], span: Range<usize>, step: Step) -> Option<usize> {
    let open = *b.get(span.start)?;
    let mut i = skip_space(b, span.start + 1);
    let mut index = 0;
    while i < span.end && b[i] != b'}' && b[i] != b']' {
        let value = match open {
            b'{' => {
                let key_end = value_end(b, i);
                let key = &b[(i + 1).min(key_end)..key_end.saturating_sub(1).max(i + 1)];
                let colon = skip_space(b, key_end);
                let value = skip_space(b, colon + 1);
                if let Step::Key(k) = step
                    && key == k.as_bytes()
                {
                    return Some(value);
                }
                value
            }
            b'[' => {
                if let Step::Index(k) = step
                    && k == index
                {
                    return Some(i);
                }
                i
            }
            _ => return None,
        };
        index += 1;
        i = skip_space(b, value_end(b, value));
        if b.get(i) == Some(&b',') {
            i = skip_space(b, i + 1);
        }
    }
    None
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Where the JSON value starting at `i` ends (one past its last byte).
fn value_end(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            (j + 1).min(b.len())
        }
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = value_end(b, j);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            b.len()
        }
        Some(_) => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b']' | b'}') && !b[j].is_ascii_whitespace()
            {
                j += 1;
            }
            j
        }
        None => i,
    }
}

/// The free parameters' values of each set, by name, as `Checked::with_params` takes
/// them.
pub fn named_sets(cal: &Calibrated) -> Vec<std::collections::BTreeMap<String, f64>> {
    cal.sets
        .iter()
        .map(|set| {
            cal.free
                .iter()
                .zip(set)
                .map(|(f, &v)| (f.name.clone(), v))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Step, locate, read};
    use crate::Checked;
    use crate::syntax::{FileId, Sources, render};

    /// Two free parameters (one searched on a log scale), one fixed, and two
    /// expectations.
    const MODEL: &str = "\
units time = min, concentration = uM
species A = 1 uM
param k_make = 0.1 uM/min in [0.05, 0.2] uM/min \"assumption\"
param k_loss = 0.1 /min in [0.01, 1] /min \"assumption\"
param k_held = 1 \"assumption\"
make: -> A ; k_make
loss: A -> @ k_loss * k_held
readout amount = A
experiment rest { run 1 h every 10 min }
expect rest: amount at 60 min > 0.5 \"assumption\"
expect rest: amount at 60 min < 5 \"assumption\"
";

    fn checked(text: &str) -> Checked {
        let loaded = crate::model::load_str("m.pathway", text);
        let model = loaded.model.expect("the model checks");
        crate::finish(model).expect("the model compiles")
    }

    /// A calibrated ensemble of `MODEL` as `fit` writes it: pretty JSON, two sets.
    fn good() -> serde_json::Value {
        serde_json::json!({
            "schema_version": crate::analysis::fit::SCHEMA_VERSION,
            "hypothesis": "base",
            "seed": 1,
            "free": [
                {"name": "k_make", "lo": 0.05, "hi": 0.2, "start": 0.1, "log": false},
                {"name": "k_loss", "lo": 0.01, "hi": 1.0, "start": 0.1, "log": true}
            ],
            "expectations": [
                "rest: amount at 60 min > 0.5",
                "rest: amount at 60 min < 5"
            ],
            "threshold": 0.0,
            "acceptance": 0.25,
            "evaluations": 40,
            "sets": [[0.1, 0.1], [0.15, 0.05]],
            "passes": [[true, true], [true, true]]
        })
    }

    /// The rendered problems of `value` read as the ensemble of `name`, or "ok".
    fn problems_of(value: &serde_json::Value, name: &str) -> String {
        problems_of_text(&serde_json::to_string_pretty(value).expect("json"), name)
    }

    fn problems_of_text(text: &str, name: &str) -> String {
        let mut sources = Sources::new();
        let file = sources.add("base.calibrated.json", "base.calibrated.json", text);
        match read(file, text, name, &checked(MODEL)) {
            Ok(_) => "ok".to_string(),
            Err(d) => render(&d, &sources, false),
        }
    }

    fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v = good();
        edit(&mut v);
        problems_of(&v, "base")
    }

    #[test]
    fn the_file_fit_writes_reads_back() {
        let text = serde_json::to_string_pretty(&good()).expect("json");
        let file = FileId(0);
        let cal = read(file, &text, "base", &checked(MODEL)).expect("reads");
        assert_eq!(cal.sets, [[0.1, 0.1], [0.15, 0.05]]);
        let named = super::named_sets(&cal);
        assert_eq!(named[1]["k_make"], 0.15);
        assert_eq!(named[1]["k_loss"], 0.05);
    }

    #[test]
    fn text_that_is_not_json_is_located() {
        let text = "{\n  \"schema_version\": 1,\n  \"hypothesis\": base\n}\n";
        let out = problems_of_text(text, "base");
        assert!(
            out.contains("error: not a calibrated ensemble: expected value"),
            "{out}"
        );
        assert!(out.contains("base.calibrated.json:3:17"), "{out}");
        assert!(out.contains("\"hypothesis\": base"), "{out}");
        assert!(
            out.contains("run `pathrules fit --hypothesis base` again"),
            "{out}"
        );
    }

    #[test]
    fn a_file_cut_short_is_an_error() {
        let text = serde_json::to_string_pretty(&good()).expect("json");
        let out = problems_of_text(&text[..text.len() / 2], "base");
        assert!(out.contains("not a calibrated ensemble: EOF"), "{out}");
        assert!(out.contains("cut short"), "{out}");
    }

    #[test]
    fn a_value_too_large_for_a_number_is_an_error() {
        let text = serde_json::to_string_pretty(&good())
            .expect("json")
            .replace("0.15", "1e999");
        let out = problems_of_text(&text, "base");
        assert!(
            out.contains("not a calibrated ensemble: number out of range"),
            "{out}"
        );
    }

    #[test]
    fn another_schema_version_is_refused_alone() {
        let out = edited(|v| {
            v["schema_version"] = 99.into();
            v["sets"] = serde_json::json!([]);
        });
        assert!(
            out.contains("error: schema_version 99 is not 1, the version this pathrules reads"),
            "{out}"
        );
        assert!(out.contains("\"schema_version\": 99"), "{out}");
        assert!(out.contains("with this version of pathrules"), "{out}");
        assert!(!out.contains("no sets"), "{out}");
    }

    #[test]
    fn another_hypothesis_s_file_is_refused() {
        let out = edited(|v| v["hypothesis"] = "faster".into());
        assert!(
            out.contains("error: this is the calibrated ensemble of `faster`, not of `base`"),
            "{out}"
        );
        assert!(out.contains("`base.calibrated.json`"), "{out}");
    }

    #[test]
    fn a_free_name_the_model_lacks_is_named_at_its_place() {
        let out = edited(|v| v["free"][1]["name"] = "k_gone".into());
        assert!(
            out.contains("error: `k_gone` is not a parameter of `base`"),
            "{out}"
        );
        assert!(out.contains("base.calibrated.json:20:15"), "{out}");
        assert!(out.contains("the model changed since the fit"), "{out}");
        // `k_loss` is ranged in the model and now not free.
        assert!(
            out.contains("`k_loss` has a range in `base` but no value in the calibrated ensemble"),
            "{out}"
        );
        // With a parameter unknown, the sets are not judged against ranges.
        assert!(!out.contains("outside"), "{out}");
    }

    #[test]
    fn a_free_name_without_a_range_is_refused() {
        let out = edited(|v| v["free"][1]["name"] = "k_held".into());
        assert!(
            out.contains("error: `k_held` has no range in `base`"),
            "{out}"
        );
    }

    #[test]
    fn a_derived_parameter_is_not_free() {
        let model = MODEL.replace(
            "param k_held = 1 \"assumption\"",
            "param k_held = k_loss / (1 /min) \"D: ratio\"",
        );
        let mut v = good();
        v["free"][1]["name"] = "k_held".into();
        let text = serde_json::to_string_pretty(&v).expect("json");
        let mut sources = Sources::new();
        let file = sources.add("base.calibrated.json", "base.calibrated.json", text.clone());
        let out = match read(file, &text, "base", &checked(&model)) {
            Ok(_) => "ok".to_string(),
            Err(d) => render(&d, &sources, false),
        };
        assert!(
            out.contains("error: `k_held` is a derived parameter of `base`"),
            "{out}"
        );
    }

    #[test]
    fn a_parameter_listed_twice_is_refused() {
        let out = edited(|v| v["free"][1]["name"] = "k_make".into());
        assert!(out.contains("error: `k_make` is listed twice"), "{out}");
    }

    #[test]
    fn a_changed_range_is_one_problem_not_one_per_set() {
        let out = edited(|v| v["free"][0]["hi"] = 0.12.into());
        assert!(
            out.contains("error: the range of `k_make` is [0.05, 0.2] in the model but was [0.05, 0.12] when fitted"),
            "{out}"
        );
        assert_eq!(out.matches("error:").count(), 1, "{out}");
    }

    #[test]
    fn a_changed_expectation_is_named() {
        let out = edited(|v| v["expectations"][1] = "rest: amount at 60 min < 4".into());
        assert!(
            out.contains("error: expectation 1 was `rest: amount at 60 min < 4` when fitted, and is `rest: amount at 60 min < 5` in the model"),
            "{out}"
        );
        let added = edited(|v| {
            v["expectations"] = serde_json::json!(["rest: amount at 60 min > 0.5"]);
            v["passes"] = serde_json::json!([[true], [true]]);
        });
        assert!(
            added.contains(
                "error: expectation 1 `rest: amount at 60 min < 5` of the model was not fitted"
            ),
            "{added}"
        );
    }

    #[test]
    fn no_sets_is_an_error() {
        let out = edited(|v| {
            v["sets"] = serde_json::json!([]);
            v["passes"] = serde_json::json!([]);
        });
        assert!(
            out.contains("error: the calibrated ensemble holds no sets"),
            "{out}"
        );
    }

    #[test]
    fn a_set_of_the_wrong_length_is_named_by_its_index() {
        let out = edited(|v| v["sets"][1] = serde_json::json!([0.15]));
        assert!(
            out.contains("error: set 1 holds 1 value for 2 free parameters"),
            "{out}"
        );
    }

    #[test]
    fn a_value_outside_its_range_is_named_by_set_and_parameter() {
        let out = edited(|v| v["sets"][1][1] = 2.0.into());
        assert!(
            out.contains("error: set 1: `k_loss` = 2 is outside its range [0.01, 1]"),
            "{out}"
        );
        // The value itself is underlined: the second of set 1, on line 44 of the pretty
        // file (its keys in alphabetical order), indented by six.
        assert!(out.contains("base.calibrated.json:44:7"), "{out}");
        assert!(
            out.contains("44 │       2.0\n   │       ^^^ out of range"),
            "{out}"
        );
        assert!(out.contains("edited or cut short"), "{out}");
    }

    #[test]
    fn passes_not_shaped_sets_by_expectations_are_refused() {
        let rows = edited(|v| v["passes"] = serde_json::json!([[true, true]]));
        assert!(
            rows.contains("error: `passes` holds 1 row for 2 sets"),
            "{rows}"
        );
        let columns = edited(|v| v["passes"][0] = serde_json::json!([true]));
        assert!(
            columns.contains("error: the passes of set 0 hold 1 verdict for 2 expectations"),
            "{columns}"
        );
    }

    /// Every problem of a file is reported, not the first.
    #[test]
    fn every_problem_is_reported() {
        let out = edited(|v| {
            v["hypothesis"] = "faster".into();
            v["sets"][0][0] = 1.0.into();
            v["sets"][1][1] = 2.0.into();
        });
        assert_eq!(out.matches("error:").count(), 3, "{out}");
    }

    #[test]
    fn locate_follows_keys_and_indices() {
        let text = r#"{"a": [1, [2, "x]"], {"b": 3}], "c": "d"}"#;
        let at = |path: &[Step]| &text[locate(text, path)];
        assert_eq!(at(&[Step::Key("c")]), "\"d\"");
        assert_eq!(at(&[Step::Key("a"), Step::Index(1)]), "[2, \"x]\"]");
        assert_eq!(
            at(&[Step::Key("a"), Step::Index(1), Step::Index(1)]),
            "\"x]\""
        );
        assert_eq!(at(&[Step::Key("a"), Step::Index(2), Step::Key("b")]), "3");
        // A path that leads nowhere stops at the deepest value it reached.
        assert_eq!(
            at(&[Step::Key("a"), Step::Index(7)]),
            "[1, [2, \"x]\"], {\"b\": 3}]"
        );
    }
}
