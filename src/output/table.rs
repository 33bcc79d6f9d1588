//! Trajectories as tidy tables (CSV, TSV) and as JSON.
//!
//! Column order is fixed and documented in the README: `time`, `variable`, `value`,
//! one row per variable per time point, times ascending and variables in model order.
//! The runs of experiments put `experiment` and `genotype` columns first.
//! Numbers are printed in Rust's shortest round-trip form, so output is deterministic.

use serde::Serialize;

use crate::Checked;
use crate::experiment::Prediction;

/// Version of the JSON layout of tables and of the comparison (`output::compare::json`);
/// raised whenever a field changes meaning. The ensemble's records have their own,
/// `analysis::ensemble::SCHEMA_VERSION`.
pub const SCHEMA_VERSION: u32 = 1;

/// A time course of named variables on a shared time grid.
#[derive(Clone, Debug)]
pub struct Series<'a> {
    pub time_unit: &'a str,
    pub concentration_unit: &'a str,
    pub variables: Vec<String>,
    pub times: Vec<f64>,
    /// `values[k][v]` is variable `v` at `times[k]`.
    pub values: Vec<Vec<f64>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Tsv,
    Json,
}

pub fn write(series: &Series, format: Format) -> String {
    match format {
        Format::Csv => delimited(series, ','),
        Format::Tsv => delimited(series, '\t'),
        Format::Json => json(series),
    }
}

/// One experiment's run: its name, its genotype (empty for the wild type) and its
/// series.
#[derive(Clone, Debug)]
pub struct Run<'a> {
    pub experiment: &'a str,
    pub genotype: &'a str,
    pub series: Series<'a>,
}

/// The table of `run --experiment`: each prediction's species, then inputs (the drug
/// levels the schedule sets), then readouts at every output time.
pub fn experiment_runs<'a>(checked: &Checked, predictions: &'a [Prediction]) -> Vec<Run<'a>> {
    let model = &checked.model;
    let mut variables = checked.system.species_names().to_vec();
    variables.extend(model.inputs.iter().map(|i| i.name.clone()));
    variables.extend(model.readouts.iter().map(|r| r.name.clone()));
    predictions
        .iter()
        .map(|p| Run {
            experiment: &p.experiment,
            genotype: p.genotype.as_deref().unwrap_or(""),
            series: Series {
                time_unit: model.units.time.as_str(),
                concentration_unit: model.units.concentration.as_str(),
                variables: variables.clone(),
                times: p.times.clone(),
                values: p
                    .states
                    .iter()
                    .zip(&p.inputs)
                    .zip(&p.readouts)
                    .map(|((y, u), r)| y.iter().chain(u).chain(r).copied().collect())
                    .collect(),
            },
        })
        .collect()
}

/// The runs of several experiments in one table.
pub fn write_runs(runs: &[Run], format: Format) -> String {
    let sep = match format {
        Format::Csv => ',',
        Format::Tsv => '\t',
        Format::Json => return json_runs(runs),
    };
    let mut out = format!("experiment{sep}genotype{sep}time{sep}variable{sep}value\n");
    for run in runs {
        let prefix = format!(
            "{}{sep}{}{sep}",
            quote(run.experiment, sep),
            quote(run.genotype, sep)
        );
        rows(&run.series, sep, &prefix, &mut out);
    }
    out
}

fn delimited(series: &Series, sep: char) -> String {
    let mut out = String::new();
    out.push_str(&format!("time{sep}variable{sep}value\n"));
    rows(series, sep, "", &mut out);
    out
}

fn rows(series: &Series, sep: char, prefix: &str, out: &mut String) {
    for (t, row) in series.times.iter().zip(&series.values) {
        for (name, v) in series.variables.iter().zip(row) {
            out.push_str(&format!("{prefix}{t}{sep}{}{sep}{v}\n", quote(name, sep)));
        }
    }
}

/// Quotes a name for CSV only if it holds the separator, a quote or a line break.
fn quote(name: &str, sep: char) -> String {
    if name.contains([sep, '"', '\n', '\r']) {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_string()
    }
}

#[derive(Serialize)]
struct JsonSeries<'a> {
    schema_version: u32,
    time_unit: &'a str,
    concentration_unit: &'a str,
    time: &'a [f64],
    variables: Vec<JsonVariable<'a>>,
}

#[derive(Serialize)]
struct JsonVariable<'a> {
    name: &'a str,
    values: Vec<f64>,
}

#[derive(Serialize)]
struct JsonRuns<'a> {
    schema_version: u32,
    time_unit: &'a str,
    concentration_unit: &'a str,
    experiments: Vec<JsonRun<'a>>,
}

#[derive(Serialize)]
struct JsonRun<'a> {
    name: &'a str,
    genotype: &'a str,
    time: &'a [f64],
    variables: Vec<JsonVariable<'a>>,
}

fn variables<'a>(series: &'a Series) -> Vec<JsonVariable<'a>> {
    series
        .variables
        .iter()
        .enumerate()
        .map(|(v, name)| JsonVariable {
            name,
            values: series.values.iter().map(|row| row[v]).collect(),
        })
        .collect()
}

fn json_runs(runs: &[Run]) -> String {
    let first = runs.first().map(|r| &r.series);
    let doc = JsonRuns {
        schema_version: SCHEMA_VERSION,
        time_unit: first.map_or("", |s| s.time_unit),
        concentration_unit: first.map_or("", |s| s.concentration_unit),
        experiments: runs
            .iter()
            .map(|r| JsonRun {
                name: r.experiment,
                genotype: r.genotype,
                time: &r.series.times,
                variables: variables(&r.series),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

fn json(series: &Series) -> String {
    let doc = JsonSeries {
        schema_version: SCHEMA_VERSION,
        time_unit: series.time_unit,
        concentration_unit: series.concentration_unit,
        time: &series.times,
        variables: variables(series),
    };
    // Serializing plain structs of strings and finite numbers cannot fail; non-finite
    // values never reach output because the solver reports them as errors.
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
