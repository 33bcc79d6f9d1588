//! One self-contained HTML report (no scripts, no fetches): the model, every
//! experiment's plots, the expectations, the occlusion matrices as heatmaps, and the
//! comparison of hypotheses. Written as XHTML, so any XML parser can check it.

use crate::analysis::Verdict;
use crate::analysis::compare::Comparison;
use crate::experiment::Prediction;
use crate::literature::{Piece, Table};
use crate::model::Model;
use crate::output::compare::show_time;
use crate::output::plot;
use crate::output::verdict::sig4;
use crate::solve::Where;

/// Everything the report shows.
pub struct Report<'a> {
    pub title: &'a str,
    /// The base hypothesis's model, its verdicts and every experiment's prediction.
    pub model: &'a Model,
    pub verdicts: &'a [Verdict],
    pub predictions: &'a [Prediction],
    pub comparison: &'a Comparison,
    /// The manifest's literature table, when it names one: a section of its sources,
    /// and each id cited in a note linked to its row.
    pub literature: Option<&'a Table>,
}

/// The section of the sources, after `SECTIONS`, when the manifest names a table.
pub const SOURCES: &str = "sources";

/// The sections every report has, by id, in order.
pub const SECTIONS: [&str; 6] = [
    "model",
    "expectations",
    "occlusion",
    "scorecard",
    "discriminating",
    "experiments",
];

const STYLE: &str = "
body { font-family: sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .5em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #2b8a3e; font-weight: bold; } .fail { color: #c92a2a; font-weight: bold; }
.heat { text-align: center; min-width: 5em; }
figure { margin: 1em 0; } figcaption { font-weight: bold; margin-bottom: .3em; }
nav a { margin-right: 1em; }
";

/// The report as one XHTML document.
pub fn html(r: &Report) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n");
    out.push_str("<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n");
    out.push_str("<meta charset=\"UTF-8\"/>\n");
    out.push_str(&format!("<title>{}</title>\n", esc(r.title)));
    out.push_str(&format!("<style>{STYLE}</style>\n</head>\n<body>\n"));
    out.push_str(&format!("<h1>{}</h1>\n<nav>", esc(r.title)));
    let sections = SECTIONS.iter().chain(r.literature.map(|_| &SOURCES));
    for s in sections {
        out.push_str(&format!("<a href=\"#{s}\">{s}</a>"));
    }
    out.push_str("</nav>\n");
    let note = |text: &str| linked(text, r.literature);
    model_section(&mut out, r.model, &note);
    expectations_section(&mut out, r.model, r.verdicts, &note);
    occlusion_section(&mut out, r.comparison, r.model.units.time_in_seconds());
    scorecard_section(&mut out, r.comparison);
    discriminating_section(&mut out, r.comparison, r.model.units.time_in_seconds());
    experiments_section(&mut out, r.model, r.predictions);
    if let Some(table) = r.literature {
        sources_section(&mut out, table, r.model);
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Text as XML character data or an attribute value. XML 1.0 forbids most C0 controls
/// even as character references, so those (and the rest of what `visible` escapes) are
/// written as their escapes, `\x1b`; line breaks in a message are kept.
fn esc(s: &str) -> String {
    crate::output::verdict::visible_lines(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn section(out: &mut String, id: &str, title: &str) {
    out.push_str(&format!("<h2 id=\"{id}\">{}</h2>\n", esc(title)));
}

/// A note escaped, with each id the table has linked to its row in the sources section.
fn linked(text: &str, table: Option<&Table>) -> String {
    let Some(table) = table else {
        return esc(text);
    };
    crate::literature::pieces(text, table)
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => esc(t),
            Piece::Id(id) => format!("<a href=\"#src-{id}\">{id}</a>"),
        })
        .collect()
}

/// The table's sources, each row anchored `src-ID`, with the parameters and
/// expectations of the base model whose notes cite it.
fn sources_section(out: &mut String, table: &Table, m: &Model) {
    section(out, SOURCES, "Sources");
    out.push_str(&format!(
        "<p>{} sources. Confidence: S seen in the cited source, S2 seen in a secondary \
         copy, D derived from seen data, R recalled and not checked, NF not found.</p>\n",
        table.rows.len()
    ));
    out.push_str("<table>\n<tr><th>id</th><th>confidence</th><th>what</th><th>value</th><th>source</th><th>cited by</th></tr>\n");
    let cites = |note: Option<&str>, id: &str| {
        note.is_some_and(|n| crate::literature::pieces(n, table).contains(&Piece::Id(id)))
    };
    for row in &table.rows {
        let mut by: Vec<String> = m
            .params
            .iter()
            .filter(|p| cites(p.note.as_deref(), &row.id))
            .map(|p| format!("<code>{}</code>", esc(&p.name)))
            .collect();
        let expectations = m
            .expectations
            .iter()
            .filter(|x| cites(x.note.as_deref(), &row.id))
            .count();
        if expectations > 0 {
            by.push(format!(
                "{expectations} expectation{}",
                if expectations == 1 { "" } else { "s" }
            ));
        }
        let grade = match &row.confidence_note {
            Some(n) => format!("{} ({})", row.confidence.code(), esc(n)),
            None => row.confidence.code().to_string(),
        };
        let what = match &row.system {
            Some(system) => format!("{}; {}", esc(&row.what), esc(system)),
            None => esc(&row.what),
        };
        let source = match &row.url {
            Some(url) => format!(
                "{} <a href=\"{}\">{}</a>",
                esc(&row.citation),
                esc(url),
                esc(url)
            ),
            None => esc(&row.citation),
        };
        out.push_str(&format!(
            "<tr id=\"src-{}\"><td>{}</td><td>{grade}</td><td>{what}</td><td>{}</td><td>{source}</td><td>{}</td></tr>\n",
            esc(&row.id),
            esc(&row.id),
            esc(&row.value),
            if by.is_empty() { "—".to_string() } else { by.join(", ") },
        ));
    }
    out.push_str("</table>\n");
}

fn model_section(out: &mut String, m: &Model, note: &dyn Fn(&str) -> String) {
    section(out, "model", "The model");
    out.push_str(&format!(
        "<p>{} species, {} reactions, {} parameters ({} marked as assumptions), {} inputs, {} readouts, {} genotypes, {} experiments, {} expectations; time in {}, concentrations in {}.</p>\n",
        m.species.len(),
        m.reactions.len(),
        m.params.len(),
        m.params
            .iter()
            .filter(|p| p.note.as_deref().is_some_and(|n| n.trim_start().to_lowercase().starts_with("assumption")))
            .count(),
        m.inputs.len(),
        m.readouts.len(),
        m.genotypes.len(),
        m.experiments.len(),
        m.expectations.len(),
        m.units.time.as_str(),
        m.units.concentration.as_str(),
    ));
    out.push_str("<table>\n<tr><th>parameter</th><th>value</th><th>source</th></tr>\n");
    for p in &m.params {
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            esc(&p.name),
            sig4(p.value),
            p.note.as_deref().map_or("—".to_string(), note)
        ));
    }
    out.push_str("</table>\n");
}

fn verdict_cell(pass: bool) -> &'static str {
    if pass {
        "<span class=\"pass\">pass</span>"
    } else {
        "<span class=\"fail\">FAIL</span>"
    }
}

fn expectations_section(
    out: &mut String,
    m: &Model,
    verdicts: &[Verdict],
    note: &dyn Fn(&str) -> String,
) {
    section(out, "expectations", "Expectations of the base model");
    let passed = verdicts.iter().filter(|v| v.pass).count();
    out.push_str(&format!("<p>{passed} of {} pass.</p>\n", verdicts.len()));
    out.push_str("<table>\n<tr><th></th><th>expectation</th><th>predicted</th><th>compared with</th><th>source</th></tr>\n");
    for v in verdicts {
        let x = &m.expectations[v.expectation];
        // A report is made from the manifest, so the advice names its keys.
        let error = v.error.as_ref().map(|e| e.at(Where::Manifest).to_string());
        let (verdict, predicted) = match (&v.unjudged, &error) {
            (Some(why), _) | (None, Some(why)) => (
                if v.unjudged.is_some() {
                    "<span class=\"fail\">not judged</span>"
                } else {
                    verdict_cell(false)
                },
                esc(why),
            ),
            (None, None) => (verdict_cell(v.pass), sig4(v.value)),
        };
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            verdict,
            esc(&x.text),
            predicted,
            sig4(v.target),
            x.note.as_deref().map_or(String::new(), note)
        ));
    }
    out.push_str("</table>\n");
}

/// White at 0, dark blue at 1 (clamped), so strong occlusion stands out.
fn heat(value: f64) -> String {
    let x = if value.is_finite() {
        value.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let channel = |light: f64, dark: f64| (light + (dark - light) * x).round() as u8;
    let (r, g, b) = (
        channel(255.0, 24.0),
        channel(255.0, 100.0),
        channel(255.0, 171.0),
    );
    let text = if x > 0.55 { "#fff" } else { "#222" };
    format!("background-color: rgb({r}, {g}, {b}); color: {text}")
}

fn occlusion_section(out: &mut String, c: &Comparison, seconds: f64) {
    section(out, "occlusion", "Occlusion");
    let Some(o) = &c.occlusion else {
        out.push_str("<p>The manifest asks for no occlusion matrix.</p>\n");
        return;
    };
    out.push_str(&format!(
        "<p>Occlusion of each row by each column (the column applied after the row) on {} at {}: 0 when the effects add, 1 when the column adds nothing after the row.</p>\n",
        esc(&o.readout),
        show_time(o.at * seconds)
    ));
    for (h, name) in c.hypotheses.iter().enumerate() {
        out.push_str(&format!(
            "<p><b>{}</b></p>\n<table>\n<tr><th></th>",
            esc(name)
        ));
        for e in &o.experiments {
            out.push_str(&format!("<th>{}</th>", esc(e)));
        }
        out.push_str("</tr>\n");
        for (i, row_name) in o.experiments.iter().enumerate() {
            out.push_str(&format!("<tr><th>{}</th>", esc(row_name)));
            for j in 0..o.experiments.len() {
                let value = o
                    .values
                    .get(h)
                    .and_then(|m| m.get(i))
                    .and_then(|r| r.get(j))
                    .copied()
                    .flatten();
                match value {
                    Some(v) => out.push_str(&format!(
                        "<td class=\"heat\" style=\"{}\">{}</td>",
                        heat(v),
                        sig4(v)
                    )),
                    None => out.push_str("<td class=\"heat\">—</td>"),
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
}

fn scorecard_section(out: &mut String, c: &Comparison) {
    section(out, "scorecard", "Hypotheses: the scorecard");
    out.push_str(&format!(
        "<p>Every expectation under every hypothesis; {} is the base.</p>\n<table>\n<tr><th>expectation</th>",
        esc(&c.base)
    ));
    for h in &c.hypotheses {
        out.push_str(&format!("<th>{}</th>", esc(h)));
    }
    out.push_str("</tr>\n");
    for row in &c.scorecard {
        out.push_str(&format!("<tr><td>{}</td>", esc(&row.expectation)));
        for cell in &row.results {
            match cell {
                Some(cell) => match cell.unjudged.as_ref().or(cell.error.as_ref()) {
                    Some(why) => out.push_str(&format!(
                        "<td>{} {}</td>",
                        if cell.unjudged.is_some() {
                            "<span class=\"fail\">not judged</span>"
                        } else {
                            verdict_cell(false)
                        },
                        esc(why)
                    )),
                    None => out.push_str(&format!(
                        "<td class=\"num\">{} {}</td>",
                        verdict_cell(cell.pass),
                        sig4(cell.value)
                    )),
                },
                None => out.push_str("<td>—</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("<tr><th>passed</th>");
    for (p, j) in c.passed.iter().zip(&c.judged) {
        out.push_str(&format!("<th>{p}/{j}</th>"));
    }
    out.push_str("</tr>\n</table>\n");
}

fn discriminating_section(out: &mut String, c: &Comparison, seconds: f64) {
    section(
        out,
        "discriminating",
        "Experiments that tell the hypotheses apart",
    );
    out.push_str("<p>Each (experiment, readout) at its most telling time, ranked by the spread of the hypotheses' predictions in units of the readout's range over every experiment and hypothesis.</p>\n<table>\n<tr><th>experiment</th><th>readout</th><th>time</th><th>spread</th>");
    for h in &c.hypotheses {
        out.push_str(&format!("<th>{}</th>", esc(h)));
    }
    out.push_str("</tr>\n");
    for d in &c.discriminating {
        let name = if d.same_as.is_empty() {
            esc(&d.experiment)
        } else {
            format!(
                "{} (also {})",
                esc(&d.experiment),
                esc(&d.same_as.join(", "))
            )
        };
        out.push_str(&format!(
            "<tr><td>{name}</td><td>{}</td><td>{}</td><td class=\"num\">{:.2}</td>",
            esc(&d.readout),
            show_time(d.time * seconds),
            d.score
        ));
        for v in &d.values {
            out.push_str(&format!("<td class=\"num\">{}</td>", sig4(*v)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn experiments_section(out: &mut String, m: &Model, predictions: &[Prediction]) {
    section(out, "experiments", "Every experiment");
    for p in predictions {
        let description = m
            .experiment_named(&p.experiment)
            .and_then(|e| m.experiments[e].description.clone())
            .unwrap_or_default();
        let panels = plot::run_panels(m, std::slice::from_ref(p));
        let svg = plot::svg(&panels, m.units.time_in_seconds());
        out.push_str(&format!(
            "<figure id=\"experiment-{}\">\n<figcaption>{}{}</figcaption>\n{}\n</figure>\n",
            esc(&p.experiment),
            esc(&p.experiment),
            if description.is_empty() {
                String::new()
            } else {
                format!(": {}", esc(&description))
            },
            svg.trim()
        ));
    }
}
