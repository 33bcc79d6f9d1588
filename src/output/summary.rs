//! The one-screen summary `check` prints for a good model: counts of what it declares,
//! its units, and its species, inputs, parameters (the derived ones with their
//! formulas) and reactions with their values.
//!
//! Takes a checked model, returns text; it never runs the model, and a list of any
//! length stays a screenful (`SUMMARY_ITEMS`).

use std::path::Path;

use crate::Checked;
use crate::model::{BaseUnits, Dim};

/// The one-screen summary `check` prints for a good model.
pub fn summary(file: &Path, c: &Checked) -> String {
    let m = &c.model;
    let conc = m.units.concentration.as_str();
    let assumptions = m
        .params
        .iter()
        .filter(|p| {
            p.note
                .as_deref()
                .is_some_and(|n| n.trim_start().to_lowercase().starts_with("assumption"))
        })
        .count();
    let unsourced = m.params.iter().filter(|p| p.note.is_none()).count();
    let mut out = format!("{}: ok\n", file.display());
    out.push_str(&format!(
        "  {}, {}, {} ({}, {} without a source), {}, {}, {}\n",
        count(m.species.len(), "species", "species"),
        count(m.reactions.len(), "reaction", "reactions"),
        count(m.params.len(), "parameter", "parameters"),
        count(assumptions, "assumption", "assumptions"),
        unsourced,
        count(m.inputs.len(), "input", "inputs"),
        count(m.lets.len(), "let", "lets"),
        count(m.chains.len(), "chain", "chains"),
    ));
    if !(m.readouts.is_empty() && m.experiments.is_empty() && m.expectations.is_empty()) {
        out.push_str(&format!(
            "  {}, {}, {}, {}\n",
            count(m.readouts.len(), "readout", "readouts"),
            count(m.genotypes.len(), "genotype", "genotypes"),
            count(m.experiments.len(), "experiment", "experiments"),
            count(m.expectations.len(), "expectation", "expectations"),
        ));
    }
    out.push_str(&format!(
        "  units: time = {}, concentration = {conc}\n",
        m.units.time.as_str()
    ));
    let species: Vec<String> = m
        .species
        .iter()
        .map(|s| format!("{} = {} {conc}", s.name, show(s.initial)))
        .collect();
    out.push_str(&wrap("species", &species));
    let inputs: Vec<String> = m
        .inputs
        .iter()
        .map(|i| match i.dim {
            Some(d) if d == Dim::CONC => format!("{} = {} {conc}", i.name, show(i.value)),
            _ => format!("{} = {}", i.name, show(i.value)),
        })
        .collect();
    out.push_str(&wrap("inputs", &inputs));
    let valued = |p: &crate::model::Param| match p.dim.map(|d| unit_text(d, &m.units)) {
        Some(u) if !u.is_empty() => format!("{} = {} {u}", p.name, show(p.value)),
        _ => format!("{} = {}", p.name, show(p.value)),
    };
    let params: Vec<String> = m
        .params
        .iter()
        .filter(|p| p.formula.is_none())
        .map(valued)
        .collect();
    out.push_str(&wrap("parameters", &params));
    // Derived parameters in the order they are computed, each with its formula.
    let derived: Vec<String> = m
        .derived_params()
        .map(|id| &m.params[id.index()])
        .filter_map(|p| {
            let formula = p.formula.as_ref()?;
            Some(format!("{} (= {})", valued(p), m.show_expr(&formula.expr)))
        })
        .collect();
    out.push_str(&wrap("derived", &derived));
    let reactions: Vec<String> = m
        .reactions
        .iter()
        .enumerate()
        .map(|(k, r)| r.display_name(k))
        .collect();
    out.push_str(&wrap("reactions", &reactions));
    out
}

/// A dimension in the model's base units: `uM`, `/min`, `/uM/min`, `uM/min`.
fn unit_text(d: Dim, units: &BaseUnits) -> String {
    let atom = |name: &str, exp: i32| -> Vec<String> {
        match exp.unsigned_abs() {
            0 => Vec::new(),
            1 => vec![name.to_string()],
            n => vec![format!("{name}^{n}")],
        }
    };
    let (t, c) = (units.time.as_str(), units.concentration.as_str());
    let mut num = Vec::new();
    let mut den = Vec::new();
    for (name, exp) in [(c, d.conc), (t, d.time)] {
        if exp > 0 {
            num.extend(atom(name, exp));
        } else {
            den.extend(atom(name, exp));
        }
    }
    let mut s = num.join("·");
    for part in den {
        s.push('/');
        s.push_str(&part);
    }
    s
}

/// A value to six significant digits, without the binary noise of unit conversion
/// (`14.399999999999999` shows as `14.4`).
pub fn show(x: f64) -> String {
    format!("{x:.5e}")
        .parse::<f64>()
        .map_or_else(|_| x.to_string(), |r| r.to_string())
}

/// A count with thousands separated: `19,990`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 reaction`, `2 reactions`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The most items of one list the `check` summary shows. The shipped models' longest
/// list has 75 parameters, which stay whole; a generated model of 20,000 species would
/// otherwise print 700 KB, so a longer list shows its first items and a count.
const SUMMARY_ITEMS: usize = 100;

/// `  label:  a, b, c` wrapped at 96 columns, and `… and 19,900 more` after the first
/// `SUMMARY_ITEMS` of a longer list.
fn wrap(label: &str, items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let more = items.len().saturating_sub(SUMMARY_ITEMS);
    let tail = format!("… and {} more", thousands(more));
    let items: Vec<&str> = items
        .iter()
        .take(SUMMARY_ITEMS)
        .map(String::as_str)
        .chain((more > 0).then_some(tail.as_str()))
        .collect();
    let indent = " ".repeat(13);
    let mut out = format!("  {label:<10} ");
    let mut col = out.chars().count();
    for (k, item) in items.iter().enumerate() {
        let piece = if k + 1 < items.len() {
            format!("{item}, ")
        } else {
            item.to_string()
        };
        let w = piece.chars().count();
        if col + w > 96 && col > indent.len() {
            out.truncate(out.trim_end().len());
            out.push('\n');
            out.push_str(&indent);
            col = indent.len();
        }
        out.push_str(&piece);
        col += w;
    }
    out.push('\n');
    out
}
