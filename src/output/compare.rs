//! `pathrules compare` as text that fits a terminal, and as JSON.

use crate::analysis::compare::{Cell, Changes, Comparison};
use crate::output::verdict::sig4;

/// Widest expectation text in the scorecard; longer ones are cut with `…`. The
/// column narrows, down to `EXPECTATION_MIN`, so that a row of many hypotheses
/// still fits `LINE_WIDTH`; below that the row runs wider rather than lose a column.
const EXPECTATION_WIDTH: usize = 52;
const EXPECTATION_MIN: usize = 32;
/// Widest line of the diff and discriminating sections.
const LINE_WIDTH: usize = 100;
/// How many discriminating experiments the text shows.
const TOP: usize = 8;

/// The whole comparison as text: hypotheses, scorecard, occlusion, the experiments
/// that tell the hypotheses apart, and how each differs from the base.
pub fn text(c: &Comparison, seconds_per_unit: f64) -> String {
    let time = |t: f64| show_time(t * seconds_per_unit);
    let mut out = String::new();
    let n = c.hypotheses.len();
    out.push_str(&format!(
        "{n} hypotheses, judged on {} expectations; {} is the base\n\n",
        c.scorecard.len(),
        c.base
    ));
    // The scorecard.
    let widths: Vec<usize> = c
        .hypotheses
        .iter()
        .map(|h| h.chars().count().max(11))
        .collect();
    let room = expectation_width(&widths);
    let first = c
        .scorecard
        .iter()
        .map(|r| r.expectation.chars().count().min(room))
        .max()
        .unwrap_or(0)
        .max("scorecard".len());
    let mut head = format!("{:<first$}", "scorecard");
    for (h, w) in c.hypotheses.iter().zip(&widths) {
        head.push_str(&format!("  {h:<w$}"));
    }
    push_row(&mut out, &head);
    // Why a cell could not be judged, once per hypothesis and message, numbered in the
    // order the cells that need them appear.
    let mut notes: Vec<(usize, &str)> = Vec::new();
    for row in &c.scorecard {
        let mut line = format!("{:<first$}", cut(&row.expectation, room));
        for (h, (cell, w)) in row.results.iter().zip(&widths).enumerate() {
            let text = match cell {
                None => "—".to_string(),
                Some(Cell { error: Some(e), .. }) => format!("FAIL [{}]", note(&mut notes, h, e)),
                Some(Cell {
                    unjudged: Some(e), ..
                }) => format!("no number [{}]", note(&mut notes, h, e)),
                Some(cell) => format!(
                    "{} {}",
                    if cell.pass { "pass" } else { "FAIL" },
                    sig4(cell.value)
                ),
            };
            line.push_str(&format!("  {text:<w$}"));
        }
        push_row(&mut out, &line);
    }
    let mut totals = format!("{:<first$}", "passed");
    for ((p, j), w) in c.passed.iter().zip(&c.judged).zip(&widths) {
        totals.push_str(&format!("  {:<w$}", format!("{p}/{j}")));
    }
    push_row(&mut out, &totals);
    for (k, &(h, e)) in notes.iter().enumerate() {
        let mut lines = e.lines();
        let head = format!(
            "[{}] {}: {}",
            k + 1,
            c.hypotheses[h],
            lines.next().unwrap_or("")
        );
        wrap_line(&mut out, &head, "    ");
        for more in lines {
            wrap_line(&mut out, &format!("    {more}"), "      ");
        }
    }

    // Occlusion under each hypothesis.
    if let Some(o) = &c.occlusion {
        out.push_str(&format!(
            "\nocclusion, {} at {} (0 = effects add, 1 = the second adds nothing)\n",
            o.readout,
            time(o.at)
        ));
        let pairs: Vec<(usize, usize)> = (0..o.experiments.len())
            .flat_map(|i| (0..o.experiments.len()).map(move |j| (i, j)))
            .filter(|(i, j)| i != j)
            .collect();
        let labels: Vec<String> = pairs
            .iter()
            .map(|&(i, j)| format!("{} then {}", o.experiments[i], o.experiments[j]))
            .collect();
        let first = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let mut head = " ".repeat(first);
        for (h, w) in c.hypotheses.iter().zip(&widths) {
            head.push_str(&format!("  {h:<w$}"));
        }
        push_row(&mut out, &head);
        for (label, &(i, j)) in labels.iter().zip(&pairs) {
            let mut line = format!("{label:<first$}");
            for (h, w) in widths.iter().enumerate() {
                let value = o
                    .values
                    .get(h)
                    .and_then(|m| m.get(i))
                    .and_then(|row| row.get(j))
                    .copied()
                    .flatten();
                let text = value.map_or("—".to_string(), sig4);
                line.push_str(&format!("  {text:<w$}"));
            }
            push_row(&mut out, &line);
        }
        for (h, e) in c.hypotheses.iter().zip(&o.errors) {
            if let Some(e) = e {
                push_line(&mut out, &format!("  {h}: {e}"));
            }
        }
    }

    // What would tell them apart.
    out.push_str(
        "\nexperiments that tell them apart, by the spread of the predictions in units of\n\
         the readout's range over every experiment and hypothesis\n",
    );
    if c.discriminating.is_empty() {
        out.push_str("  none: every shared experiment predicts the same under every hypothesis\n");
    }
    for (k, d) in c.discriminating.iter().take(TOP).enumerate() {
        let values: Vec<String> = c
            .hypotheses
            .iter()
            .zip(&d.values)
            .map(|(h, v)| format!("{h} {}", sig4(*v)))
            .collect();
        let also = if d.same_as.is_empty() {
            String::new()
        } else {
            format!(" (also {})", d.same_as.join(", "))
        };
        wrap_line(
            &mut out,
            &format!(
                "{:>2}. {}{also}: {} at {}, spread {:.2}: {}",
                k + 1,
                d.experiment,
                d.readout,
                time(d.time),
                d.score,
                values.join(", ")
            ),
            "    ",
        );
    }

    // How each differs from the base.
    for d in &c.diffs {
        out.push_str(&format!("\n{} against {}\n", d.hypothesis, c.base));
        if d.is_empty() {
            out.push_str("  no structural difference\n");
            continue;
        }
        for (what, ch) in [
            ("species", &d.species),
            ("reaction", &d.reactions),
            ("parameter", &d.parameters),
            ("let", &d.lets),
            ("influence", &d.influences),
        ] {
            changes(&mut out, what, ch);
        }
    }
    out
}

/// The number of the note for hypothesis `h`'s message `e`, added if it is new.
fn note<'a>(notes: &mut Vec<(usize, &'a str)>, h: usize, e: &'a str) -> usize {
    let k = match notes.iter().position(|&n| n == (h, e)) {
        Some(k) => k,
        None => {
            notes.push((h, e));
            notes.len() - 1
        }
    };
    k + 1
}

fn changes(out: &mut String, what: &str, ch: &Changes) {
    for (mark, list) in [("+", &ch.added), ("−", &ch.removed)] {
        for item in list {
            wrap_line(out, &format!("  {mark} {what} {item}"), "      ");
        }
    }
    for change in &ch.changed {
        wrap_line(out, &format!("  ~ {what} {}", change.hypothesis), "      ");
        wrap_line(out, &format!("      was {}", change.base), "        ");
    }
}

/// Appends `line` wrapped at the terminal width on blanks, continuation lines
/// starting with `indent`.
fn wrap_line(out: &mut String, line: &str, indent: &str) {
    let body = line.trim_start_matches(' ');
    let mut current = line[..line.len() - body.len()].to_string();
    let mut empty = true;
    for word in body.split(' ') {
        let fits = current.chars().count() + 1 + word.chars().count() <= LINE_WIDTH;
        if !empty && !fits {
            push_line(out, &current);
            current = indent.to_string();
        } else if !empty {
            current.push(' ');
        }
        current.push_str(word);
        empty = false;
    }
    push_line(out, &current);
}

/// A time given in seconds, in the largest unit that keeps it readable:
/// `45 s`, `30 min`, `3 h`, `7 d`.
pub fn show_time(seconds: f64) -> String {
    let (value, unit) = if seconds >= 2.0 * 86400.0 {
        (seconds / 86400.0, "d")
    } else if seconds >= 2.0 * 3600.0 {
        (seconds / 3600.0, "h")
    } else if seconds >= 120.0 {
        (seconds / 60.0, "min")
    } else {
        (seconds, "s")
    };
    let shown: f64 = format!("{value:.3e}").parse().unwrap_or(value);
    format!("{shown} {unit}")
}

/// Appends a line, trimmed and cut to the terminal width.
fn push_line(out: &mut String, line: &str) {
    // Names, sources and messages come from the model's text.
    let line = crate::output::verdict::visible(line);
    out.push_str(cut(line.trim_end(), LINE_WIDTH).trim_end());
    out.push('\n');
}

/// Appends a row of a table, trimmed but never cut: a table with a column cut off
/// would hide a hypothesis.
fn push_row(out: &mut String, line: &str) {
    let line = crate::output::verdict::visible(line);
    out.push_str(line.trim_end());
    out.push('\n');
}

/// How wide the expectation column may be beside hypothesis columns of `widths`, each
/// after two spaces, for a row to fit `LINE_WIDTH`.
fn expectation_width(widths: &[usize]) -> usize {
    LINE_WIDTH
        .saturating_sub(widths.iter().map(|w| w + 2).sum::<usize>())
        .clamp(EXPECTATION_MIN, EXPECTATION_WIDTH)
}

/// `text` cut to `width` characters, with `…` where it was cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The comparison as one JSON document.
pub fn json(c: &Comparison) -> String {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        #[serde(flatten)]
        comparison: &'a Comparison,
    }
    let doc = Doc {
        schema_version: crate::output::table::SCHEMA_VERSION,
        comparison: c,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// How many causes of failure the ensemble text lists per hypothesis.
const FAILURE_CAUSES: usize = 3;

/// An ensemble's summary: per expectation, the share of samples that pass under each
/// hypothesis, then what moves the base hypothesis's predictions most.
pub fn ensemble_text(s: &crate::analysis::ensemble::Summary) -> String {
    let mut out = String::new();
    if s.calibrated {
        out.push_str(&format!(
            "{} sets of each hypothesis's calibrated ensemble; share of sets passing\n\n",
            s.samples
        ));
    } else {
        out.push_str(&format!(
            "{} samples (seed {}) of every parameter with a range; share of samples passing\n\n",
            s.samples, s.seed
        ));
    }
    let widths: Vec<usize> = s
        .hypotheses
        .iter()
        .map(|h| h.chars().count().max(6))
        .collect();
    let room = expectation_width(&widths);
    let first = s
        .expectations
        .iter()
        .map(|e| e.chars().count().min(room))
        .max()
        .unwrap_or(0)
        .max("expectation".len());
    let mut head = format!("{:<first$}", "expectation");
    for (h, w) in s.hypotheses.iter().zip(&widths) {
        head.push_str(&format!("  {h:>w$}"));
    }
    push_row(&mut out, &head);
    for (e, row) in s.expectations.iter().zip(&s.pass_fraction) {
        let mut line = format!("{:<first$}", cut(e, room));
        for (f, w) in row.iter().zip(&widths) {
            let text = if f.is_finite() {
                format!("{:.0}%", f * 100.0)
            } else {
                "—".to_string()
            };
            line.push_str(&format!("  {text:>w$}"));
        }
        push_row(&mut out, &line);
    }
    let tighter = crate::analysis::ensemble::RETRY_TIGHTER;
    let count_row = |out: &mut String, label: &str, counts: &[usize]| {
        let mut line = format!("{label:<first$}");
        for (n, w) in counts.iter().zip(&widths) {
            line.push_str(&format!("  {n:>w$}"));
        }
        push_row(out, &line);
    };
    if s.retry {
        let label = "samples that failed at the manifest's tolerances";
        count_row(&mut out, label, &s.retried);
        let label = format!("  then ran at tolerances {tighter}× tighter");
        count_row(&mut out, &label, &s.rescued);
    }
    count_row(&mut out, "samples that failed to run", &s.failed);
    if !s.retry && s.failed.iter().any(|&n| n > 0) {
        push_line(
            &mut out,
            &format!("(--retry judges failed samples again at tolerances {tighter}× tighter)"),
        );
    }
    if s.failures.iter().any(|f| !f.is_empty()) {
        out.push_str("\nwhy samples failed (the most common causes)\n");
        for (h, causes) in s.hypotheses.iter().zip(&s.failures) {
            if causes.is_empty() {
                continue;
            }
            push_line(&mut out, &format!("  {h}:"));
            for (text, n) in causes.iter().take(FAILURE_CAUSES) {
                wrap_line(&mut out, &format!("    {n} × {text}"), "        ");
            }
            if causes.len() > FAILURE_CAUSES {
                let rest: usize = causes[FAILURE_CAUSES..].iter().map(|(_, n)| n).sum();
                push_line(
                    &mut out,
                    &format!(
                        "    {rest} more, of {} other causes",
                        causes.len() - FAILURE_CAUSES
                    ),
                );
            }
        }
    }
    if let Some(base) = s.hypotheses.first() {
        out.push_str(&format!(
            "\nparameters that move {base}'s predictions most (Spearman ρ)\n"
        ));
        for (e, drivers) in s.expectations.iter().zip(&s.drivers) {
            let Some(list) = drivers.first().filter(|l| !l.is_empty()) else {
                continue;
            };
            let text: Vec<String> = list.iter().map(|(p, r)| format!("{p} {r:+.2}")).collect();
            wrap_line(
                &mut out,
                &format!("  {}: {}", cut(e, EXPECTATION_WIDTH), text.join(", ")),
                "      ",
            );
        }
    }
    out
}
