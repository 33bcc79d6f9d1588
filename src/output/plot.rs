//! Time courses as SVG (plotters' SVG backend: no system libraries, no fonts needed):
//! one panel per readout, experiments overlaid in colours, each experiment's drug
//! applications as shaded bars along the top of every panel, expectations as marks.

use plotters::prelude::*;

/// One experiment's curve in a panel, and when its drugs were on.
#[derive(Clone, Debug)]
pub struct Curve {
    pub experiment: String,
    pub times: Vec<f64>,
    pub values: Vec<f64>,
    /// Intervals with a drug in the bath or in the brain.
    pub drug_on: Vec<(f64, f64)>,
}

/// A readout's panel.
#[derive(Clone, Debug)]
pub struct Panel {
    pub readout: String,
    pub curves: Vec<Curve>,
    /// (experiment, time, value, passed): expectations about this readout.
    pub marks: Vec<(String, f64, f64, bool)>,
}

/// Colours for experiments, in order (Tableau 10).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

const WIDTH: u32 = 900;
const PANEL_HEIGHT: u32 = 300;

/// The panels as one SVG document; times in `time_unit` are shown in minutes,
/// hours or days, whichever reads best, and the axis says which.
pub fn svg(panels: &[Panel], seconds_per_unit: f64) -> String {
    let mut out = String::new();
    if panels.is_empty() {
        return out;
    }
    {
        let height = PANEL_HEIGHT * panels.len() as u32;
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        // Drawing into a string cannot fail; an error would leave the plot partial.
        let _ = root.fill(&WHITE);
        let areas = root.split_evenly((panels.len(), 1));
        let experiments = experiment_order(panels);
        for (area, panel) in areas.iter().zip(panels) {
            let _ = draw_panel(area, panel, &experiments, seconds_per_unit);
        }
        let _ = root.present();
    }
    out
}

/// Every experiment once, in the order first seen, so it keeps its colour in every
/// panel.
fn experiment_order(panels: &[Panel]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for c in panels.iter().flat_map(|p| &p.curves) {
        if !names.contains(&c.experiment) {
            names.push(c.experiment.clone());
        }
    }
    names
}

/// The unit that shows a run of `end` model time units best, and its size in them.
fn display_unit(end: f64, seconds_per_unit: f64) -> (&'static str, f64) {
    let seconds = end * seconds_per_unit;
    if seconds >= 3.0 * 86400.0 {
        ("d", 86400.0 / seconds_per_unit)
    } else if seconds >= 3.0 * 3600.0 {
        ("h", 3600.0 / seconds_per_unit)
    } else if seconds >= 180.0 {
        ("min", 60.0 / seconds_per_unit)
    } else {
        ("s", 1.0 / seconds_per_unit)
    }
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    panel: &Panel,
    experiments: &[String],
    seconds_per_unit: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let end = panel
        .curves
        .iter()
        .flat_map(|c| c.times.last().copied())
        .fold(0.0, f64::max)
        .max(1e-9);
    let (unit, scale) = display_unit(end, seconds_per_unit);
    let finite = panel
        .curves
        .iter()
        .flat_map(|c| c.values.iter().copied())
        .chain(panel.marks.iter().map(|m| m.2))
        .filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 1e-3).max(1e-12);
    // Room at the top for one row of drug bars per experiment.
    let rows = panel.curves.len().max(1) as f64;
    let bar = pad * 0.6;
    let top = hi + pad + bar * rows;
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.readout, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..end / scale, (lo - pad)..top)?;
    chart
        .configure_mesh()
        .x_desc(format!("time ({unit})"))
        .y_desc(&panel.readout)
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (row, curve) in panel.curves.iter().enumerate() {
        let k = experiments
            .iter()
            .position(|e| *e == curve.experiment)
            .unwrap_or(0);
        let colour = PALETTE[k % PALETTE.len()];
        let y0 = hi + pad + bar * row as f64;
        chart.draw_series(curve.drug_on.iter().map(|&(a, b)| {
            Rectangle::new(
                [(a / scale, y0 + bar * 0.15), (b / scale, y0 + bar * 0.85)],
                colour.mix(0.35).filled(),
            )
        }))?;
        chart
            .draw_series(LineSeries::new(
                curve
                    .times
                    .iter()
                    .zip(&curve.values)
                    .filter(|(_, v)| v.is_finite())
                    .map(|(t, v)| (t / scale, *v)),
                colour.stroke_width(2),
            ))?
            .label(curve.experiment.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
            });
    }
    chart.draw_series(panel.marks.iter().map(|(_, t, v, passed)| {
        let colour = if *passed {
            RGBColor(44, 160, 44)
        } else {
            RGBColor(214, 39, 40)
        };
        Circle::new((t / scale, *v), 4, colour.filled())
    }))?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 12))
        .draw()?;
    Ok(())
}

/// When any input is on in a prediction: intervals of output times where some input
/// is above 1% of its own peak in the run (so a dose's long tail does not count).
pub fn drug_intervals(p: &crate::experiment::Prediction) -> Vec<(f64, f64)> {
    let n_inputs = p.inputs.first().map_or(0, Vec::len);
    let peaks: Vec<f64> = (0..n_inputs)
        .map(|i| p.inputs.iter().map(|u| u[i]).fold(0.0, f64::max))
        .collect();
    let on: Vec<bool> = p
        .inputs
        .iter()
        .map(|u| {
            u.iter()
                .zip(&peaks)
                .any(|(v, peak)| *peak > 0.0 && *v > 0.01 * peak)
        })
        .collect();
    let mut out = Vec::new();
    let mut start: Option<f64> = None;
    for (k, &t) in p.times.iter().enumerate() {
        match (on[k], start) {
            (true, None) => start = Some(t),
            (false, Some(s)) => {
                out.push((s, t));
                start = None;
            }
            _ => {}
        }
    }
    if let (Some(s), Some(&end)) = (start, p.times.last()) {
        out.push((s, end));
    }
    out
}

/// One panel per readout, every prediction a curve.
pub fn run_panels(
    model: &crate::model::Model,
    predictions: &[crate::experiment::Prediction],
) -> Vec<Panel> {
    model
        .readouts
        .iter()
        .enumerate()
        .map(|(r, readout)| Panel {
            readout: readout.name.clone(),
            curves: predictions
                .iter()
                .map(|p| Curve {
                    experiment: p.experiment.clone(),
                    times: p.times.clone(),
                    values: p.readouts.iter().map(|v| v[r]).collect(),
                    drug_on: drug_intervals(p),
                })
                .collect(),
            marks: Vec::new(),
        })
        .collect()
}

/// The panels of `pathrules test`: a panel per readout that an expectation asks
/// about, with the experiments it names and a mark at each time asked about
/// (green where the expectation holds, red where it fails).
pub fn test_panels(
    model: &crate::model::Model,
    predictions: &[Option<crate::experiment::Prediction>],
    verdicts: &[crate::analysis::Verdict],
) -> Vec<Panel> {
    use crate::model::protocol::{Claim, Measure, Target};
    let mut panels: Vec<Panel> = Vec::new();
    let mut add = |m: &Measure, passed: bool| {
        let Some(Some(p)) = predictions.get(m.experiment.index()) else {
            return;
        };
        let name = &model.readouts[m.readout].name;
        let k = match panels.iter().position(|x| x.readout == *name) {
            Some(k) => k,
            None => {
                panels.push(Panel {
                    readout: name.clone(),
                    curves: Vec::new(),
                    marks: Vec::new(),
                });
                panels.len() - 1
            }
        };
        let panel = &mut panels[k];
        if !panel.curves.iter().any(|c| c.experiment == p.experiment) {
            panel.curves.push(Curve {
                experiment: p.experiment.clone(),
                times: p.times.clone(),
                values: p.readouts.iter().map(|v| v[m.readout.index()]).collect(),
                drug_on: drug_intervals(p),
            });
        }
        for t in m.stat.times() {
            let v = p.readout_at(m.readout.index(), t);
            if v.is_finite()
                && !panel
                    .marks
                    .iter()
                    .any(|(e, u, _, _)| *e == p.experiment && *u == t)
            {
                panel.marks.push((p.experiment.clone(), t, v, passed));
            }
        }
    };
    for v in verdicts {
        let x = &model.expectations[v.expectation];
        if let Claim::Measure(m) = &x.claim {
            add(m, v.pass);
        }
        if let Target::Measure(m) = &x.target {
            add(m, v.pass);
        }
    }
    panels
}
