//! The `pathrules test` table and the occlusion matrix, as plain aligned text.
//!
//! Numbers are shown to four significant digits, so the text is deterministic across
//! platforms and reviewable as a snapshot.

use crate::analysis::{Occlusion, Verdict};
use crate::model::protocol::{Claim, Target};
use crate::model::{ExperimentId, Model};

/// Model text (a name, a source, a description) made safe to print: every control
/// character and every bidirectional override is written as its escape (`\x1b`,
/// `\u{202e}`), so a string cannot clear the terminal, move the cursor or reorder what
/// follows it. Tabs too, which would break a table's columns.
pub fn visible(text: &str) -> String {
    if !text.chars().any(hidden) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !hidden(c) => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    out
}

/// Whether `c` would act on the terminal, or on the order of the text, rather than show.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{fffe}' | '\u{ffff}')
}

/// A value to four significant digits: `131.2`, `0.8312`, `1.234e-05`.
pub fn sig4(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "—".to_string()
        } else {
            x.to_string()
        };
    }
    if x == 0.0 {
        return "0".to_string();
    }
    // The magnitude of the value as rounded, so that 99.99999 and 100.00001 both print
    // as 100.0 (the magnitude of 99.99999 itself would give 100.00).
    let rounded: f64 = format!("{x:.3e}").parse().unwrap_or(x);
    let magnitude = rounded.abs().log10().floor() as i32;
    if !(-4..4).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    let text = format!("{x:.decimals$}");
    // `-0.0000` rounds to zero; show it plainly.
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        return "0".to_string();
    }
    text
}

/// The table of `pathrules test`: one row per expectation, then a count.
pub fn table(model: &Model, verdicts: &[Verdict]) -> String {
    let header = [
        "",
        "expectation",
        "predicted",
        "compared with",
        "violation",
        "source",
    ];
    let rows: Vec<[String; 6]> = verdicts
        .iter()
        .map(|v| {
            let x = &model.expectations[v.expectation];
            let verdict = match (&v.unjudged, v.pass) {
                (Some(_), _) => "n/a",
                (None, true) => "pass",
                (None, false) => "FAIL",
            };
            let (predicted, against) = match (&v.error, &v.unjudged) {
                (Some(_), _) => ("error".to_string(), String::new()),
                (None, Some(_)) => ("no number".to_string(), String::new()),
                (None, None) => {
                    let against = match (x.claim, x.target) {
                        (_, Target::Measure(_)) => sig4(v.target),
                        (Claim::Occlusion { .. }, Target::Value(t)) => sig4(t),
                        (_, Target::Value(t)) => sig4(t),
                    };
                    (sig4(v.value), against)
                }
            };
            [
                verdict.to_string(),
                visible(&x.text),
                predicted,
                against,
                // How far from holding with its margin, what a fit minimises: at most 0
                // when it holds.
                match v.violation.is_nan() {
                    true => String::new(),
                    false => sig4(v.violation),
                },
                visible(x.note.as_deref().unwrap_or_default()),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: [&str; 6], out: &mut String| {
        let mut text = String::new();
        for (k, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if k + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let pad = w - cell.chars().count();
                // Numbers align right, text left.
                if (2..=4).contains(&k) {
                    text.push_str(&" ".repeat(pad));
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    text.push_str(&" ".repeat(pad));
                }
                text.push_str("  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header, &mut out);
    for row in &rows {
        line(
            [&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]],
            &mut out,
        );
    }
    for v in verdicts {
        let x = &model.expectations[v.expectation];
        if let Some(e) = &v.error {
            out.push_str(&format!(
                "error in `{}`: {}\n",
                visible(&x.text),
                visible_lines(&e.to_string())
            ));
        }
        if let Some(why) = &v.unjudged {
            out.push_str(&format!(
                "not judged `{}`: {}\n",
                visible(&x.text),
                visible(why)
            ));
        }
    }
    let unjudged = verdicts.iter().filter(|v| v.unjudged.is_some()).count();
    let failed = verdicts.iter().filter(|v| !v.pass).count() - unjudged;
    out.push_str(&format!(
        "{} passed, {failed} failed",
        verdicts.len() - failed - unjudged
    ));
    if unjudged > 0 {
        out.push_str(&format!(", {unjudged} not judged"));
    }
    out.push('\n');
    out
}

/// The occlusion matrix: row A, column B is the occlusion of A by B (B applied after
/// A), then where each pair's influences converge.
pub fn occlusion_matrix(
    model: &Model,
    experiments: &[ExperimentId],
    matrix: &[Vec<Option<Occlusion>>],
    readout: &str,
    at: &str,
) -> String {
    let names: Vec<String> = experiments
        .iter()
        .map(|&k| visible(&model.experiments[k].name))
        .collect();
    let (readout, at) = (visible(readout), visible(at));
    let mut out = format!(
        "occlusion of each row by each column (column applied after row), {readout} at {at}\n\
         0 = effects add, 1 = the column adds nothing after the row\n\n"
    );
    let first = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let cells: Vec<Vec<String>> = matrix
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| c.as_ref().map_or("—".to_string(), |o| sig4(o.value)))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = names
        .iter()
        .enumerate()
        .map(|(j, n)| {
            cells
                .iter()
                .map(|r| r[j].chars().count())
                .chain([n.chars().count()])
                .max()
                .unwrap_or(1)
        })
        .collect();
    let mut head = " ".repeat(first);
    for (n, w) in names.iter().zip(&widths) {
        head.push_str("  ");
        head.push_str(&" ".repeat(w - n.chars().count()));
        head.push_str(n);
    }
    out.push_str(head.trim_end());
    out.push('\n');
    for (name, row) in names.iter().zip(&cells) {
        let mut line = format!("{name}{}", " ".repeat(first - name.chars().count()));
        for (c, w) in row.iter().zip(&widths) {
            line.push_str("  ");
            line.push_str(&" ".repeat(w - c.chars().count()));
            line.push_str(c);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push('\n');
    for row in matrix {
        for o in row.iter().flatten() {
            let (a, b) = (
                visible(&model.experiments[o.a].name),
                visible(&model.experiments[o.b].name),
            );
            out.push_str(&format!(
                "{a} then {b}: effect of {a} {}, of {b} alone {}, of both {}; ",
                sig4(o.e_a),
                sig4(o.e_b),
                sig4(o.e_ab)
            ));
            if !o.convergence.is_empty() {
                out.push_str(&format!(
                    "every route passes {}\n",
                    visible(&o.convergence.join(" → "))
                ));
            } else if !o.meeting.is_empty() {
                out.push_str(&format!(
                    "the routes first meet at {}; not every route passes there\n",
                    visible(&o.meeting.join(", "))
                ));
            } else {
                out.push_str("the routes meet only at the readout\n");
            }
        }
    }
    out
}

/// `visible` line by line, keeping the line breaks of a message with its help.
pub fn visible_lines(text: &str) -> String {
    text.split('\n').map(visible).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::sig4;

    #[test]
    fn four_significant_digits() {
        assert_eq!(sig4(131.2345), "131.2");
        assert_eq!(sig4(0.831249), "0.8312");
        assert_eq!(sig4(100.0), "100.0");
        assert_eq!(sig4(-2.5), "-2.500");
        assert_eq!(sig4(1.23456e-6), "1.235e-6");
        assert_eq!(sig4(123456.0), "1.235e5");
        assert_eq!(sig4(-0.00001), "-1.000e-5");
        assert_eq!(sig4(0.0), "0");
    }

    /// A value that rounds up into the next decade prints as that decade's value does,
    /// so round-off either side of 100 (a readout at its baseline) gives one text.
    #[test]
    fn round_off_either_side_of_a_decade_prints_the_same() {
        assert_eq!(sig4(99.999999999), "100.0");
        assert_eq!(sig4(100.000000001), "100.0");
        assert_eq!(sig4(-0.099999999), "-0.1000");
        assert_eq!(sig4(9999.99999), "1.000e4");
        assert_eq!(sig4(0.000099999999), "0.0001000");
        assert_eq!(sig4(0.0001), "0.0001000");
        assert_eq!(sig4(99.94), "99.94");
    }
}
