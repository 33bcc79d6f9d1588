//! The command line: flags in, library calls, text out.
//!
//! This is the only module that reads files, writes files or prints, and the only one
//! that names clap. Exit codes are decided in `run` alone: 0 success, 1 a problem in
//! the user's model or a failed solve (`Failed`), 2 a usage error: clap's own, or a
//! flag's value that a handler refuses once the model is known (`Usage`), always
//! before anything is written.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use pathrules::model::{Dim, Var, units};
use pathrules::output::graph::GraphFormat;
use pathrules::output::table::{self, Format, Series};
use pathrules::solve::{Linear, Method, Settings};
use pathrules::syntax::{self, Diagnostic, Sources};
use pathrules::{Checked, FsLoader};

#[derive(Parser, Debug)]
#[command(
    name = "pathrules",
    version,
    about = "Signalling pathways as plain text, compiled to ODEs and solved",
    after_help = "Without a command, pathrules runs `compare` on ./pathrules.toml."
)]
pub struct Cli {
    /// When to colour diagnostics
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    /// Without a command: `compare` on ./pathrules.toml
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check files and print a summary of each model, or every problem found
    Check {
        /// `.pathway` files, each checked with its imports
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Integrate a model from its initial state, or run its experiments, and write a
    /// tidy table
    Run {
        /// The `.pathway` file to simulate (its imports are read too)
        file: PathBuf,
        /// Run these experiments of the file (names separated by commas, or `all`): each
        /// from its genotype's steady state, through its schedule, with every species,
        /// input and readout in the table
        #[arg(long, short)]
        experiment: Option<String>,
        /// How long to simulate, e.g. `7d`, `90 min`, `30s` (no unit: the model's time
        /// unit) [default: 1d]
        #[arg(long, conflicts_with = "experiment")]
        until: Option<String>,
        /// Output interval, e.g. `1min`, `1h` [default: 1min]
        #[arg(long, conflicts_with = "experiment")]
        every: Option<String>,
        /// Write here instead of standard output (written whole or not at all)
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Columns time, variable, value (csv, tsv), or one JSON document
        #[arg(long, value_enum, default_value_t = TableFormat::Csv)]
        format: TableFormat,
        /// With --experiment: also draw every readout over time as SVG here (one panel
        /// per readout, experiments overlaid, drug applications shaded)
        #[arg(long, requires = "experiment")]
        plot: Option<PathBuf>,
        /// The readouts to plot, separated by commas [default: all]
        #[arg(long, requires = "plot")]
        readouts: Option<String>,
        #[command(flatten)]
        solver: SolverArgs,
    },
    /// Evaluate every `expect` line and print a table; exit 1 if any fails
    Test {
        /// `.pathway` files whose expectations to evaluate, each with its imports
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also draw the readouts the expectations ask about as SVG here, with a mark
        /// at each time asked about (green holds, red fails); one file only
        #[arg(long)]
        plot: Option<PathBuf>,
        #[command(flatten)]
        solver: SolverArgs,
    },
    /// The pairwise occlusion matrix of single-drug experiments
    Occlusion {
        /// The `.pathway` file that defines the experiments
        file: PathBuf,
        /// The readout whose effects are compared, e.g. `fEPSP`
        #[arg(long)]
        readout: String,
        /// When to compare, after the second experiment begins, e.g. `150min`
        #[arg(long)]
        at: String,
        /// Two or more experiments, each applying one drug
        #[arg(required = true, num_args = 2.., value_name = "EXPERIMENT")]
        experiments: Vec<String>,
        #[command(flatten)]
        solver: SolverArgs,
    },
    /// Compare the hypotheses of a pathrules.toml: scorecard, occlusion, the
    /// experiments that tell them apart, and how each differs from the base
    Compare {
        /// The project manifest
        #[arg(default_value = "pathrules.toml")]
        manifest: PathBuf,
        /// `text` fits a terminal; `json` holds the whole result
        #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
        format: CompareFormat,
    },
    /// Write one self-contained HTML report of a pathrules.toml: the base model, its
    /// expectations, every experiment's plots, occlusion heatmaps and the comparison
    Report {
        /// The project manifest
        #[arg(default_value = "pathrules.toml")]
        manifest: PathBuf,
        /// Where to write the report (whole or not at all)
        #[arg(long, short, default_value = "report.html")]
        out: PathBuf,
    },
    /// Sample every parameter with a range and judge every hypothesis on each sample:
    /// the share of samples passing each expectation, and what moves it
    Ensemble {
        /// The project manifest
        #[arg(default_value = "pathrules.toml")]
        manifest: PathBuf,
        /// How many samples in all
        #[arg(long, default_value_t = 100)]
        samples: usize,
        /// The seed: the same seed gives the same result on any number of threads
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Run only shard K of N (e.g. `3/10`), a deterministic slice of the samples;
        /// write its records with --out and combine shards with `merge`
        #[arg(long)]
        shard: Option<String>,
        /// Write the samples' records (JSON) here, for `merge`
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Judge a sample whose experiments fail again, at tolerances 100 times tighter
        /// (a solver failure at the manifest's tolerances is not a verdict on the draw)
        #[arg(long)]
        retry: bool,
    },
    /// Combine the records of ensemble shards into the summary of one run
    Merge {
        /// The shards' record files
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// `text` fits a terminal; `json` holds the whole summary
        #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
        format: CompareFormat,
    },
    /// Time loading and simulating a model: the median of repeated runs, as JSON
    /// (scripts/bench.py runs the same model in libRoadRunner beside it)
    Bench {
        /// The `.pathway` file (with its imports)
        file: PathBuf,
        /// Simulate this experiment from its steady state (its steps and doses kept,
        /// its output grid replaced by --points); else the model from its initial
        /// values
        #[arg(long, short)]
        experiment: Option<String>,
        /// How long to simulate (no experiment), e.g. `7d`
        #[arg(long, default_value = "7d")]
        until: String,
        /// Output points, start and end included
        #[arg(long, default_value_t = 1001)]
        points: usize,
        /// Repetitions; the median is reported
        #[arg(long, default_value_t = 21)]
        runs: usize,
        #[command(flatten)]
        solver: SolverArgs,
    },
    /// Export a model for other tools: SBML Level 3 Version 2
    Export {
        #[arg(value_enum)]
        format: ExportFormat,
        /// The `.pathway` file to export (with its imports)
        file: PathBuf,
        /// Export this genotype: its parameters, without its disabled reactions
        #[arg(long, short)]
        genotype: Option<String>,
        /// Export this experiment: its genotype, its steady state as the initial
        /// state, its steps as events and its doses as rules
        #[arg(long, short, conflicts_with = "genotype")]
        experiment: Option<String>,
        /// Write here instead of standard output (written whole or not at all)
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Draw the reaction network or the signed influence graph as DOT (Graphviz),
    /// Mermaid or GraphML (Cytoscape)
    Graph {
        /// The `.pathway` file whose reaction network to draw
        file: PathBuf,
        /// Graph language: DOT, Mermaid, or GraphML for Cytoscape
        #[arg(long, value_enum, default_value_t = GraphArg::Dot)]
        format: GraphArg,
        /// Draw the signed influence graph (→ raises, ⊣ lowers) instead of the
        /// reaction graph (species as ellipses, reactions as boxes, modifiers dashed)
        #[arg(long)]
        influence: bool,
        /// Highlight this species, input or let and everything downstream of it
        #[arg(long)]
        from: Option<String>,
        /// Write here instead of standard output
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Rewrite files in canonical form, keeping comments
    Fmt {
        /// `.pathway` files to rewrite in place
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Change nothing; exit 1 if any file is not in canonical form
        #[arg(long)]
        check: bool,
    },
}

#[derive(clap::Args, Debug)]
struct SolverArgs {
    /// Integration method: `bdf` (stiff, default), `dopri5` or `dop853` (non-stiff)
    #[arg(long, value_enum, default_value_t = SolverArg::Bdf)]
    solver: SolverArg,
    /// Relative tolerance [default: 1e-6]
    #[arg(long)]
    rtol: Option<f64>,
    /// Absolute tolerance, in the model's concentration unit [default: 1e-9]
    #[arg(long)]
    atol: Option<f64>,
    /// Most steps the solver may take in one run [default: 100000]
    #[arg(long)]
    max_steps: Option<usize>,
    /// The bdf solver's linear algebra: `dense`, `sparse` (faer's sparse LU, for large
    /// networks), `krylov` (faer's BiCGSTAB, no factorisation: for large networks whose LU
    /// fills in, such as reactions between random partners) or `auto` (sparse from 150
    /// species, or from 30 when the Jacobian has at most 4 terms per row on average)
    #[arg(long, value_enum, default_value_t = LinearArg::Auto)]
    linear: LinearArg,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LinearArg {
    Auto,
    Dense,
    Sparse,
    Krylov,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SolverArg {
    Bdf,
    Dopri5,
    Dop853,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TableFormat {
    Csv,
    Tsv,
    Json,
}

impl From<TableFormat> for Format {
    fn from(f: TableFormat) -> Format {
        match f {
            TableFormat::Csv => Format::Csv,
            TableFormat::Tsv => Format::Tsv,
            TableFormat::Json => Format::Json,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ExportFormat {
    /// SBML Level 3 Version 2, for libRoadRunner, tellurium and COPASI
    Sbml,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CompareFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum GraphArg {
    Dot,
    Mermaid,
    Graphml,
}

/// A failure already explained to the user: a problem in the model or a failed run.
struct Failed;

/// A flag's value that cannot be used, already explained to the user: a usage error.
struct Usage;

/// How a command failed, which decides its exit code.
enum Failure {
    /// A problem in the model or a failed run: exit 1.
    Model,
    /// A flag's value that cannot be used: exit 2, as for clap's own errors.
    Usage,
}

impl From<Failed> for Failure {
    fn from(_: Failed) -> Failure {
        Failure::Model
    }
}

impl From<Usage> for Failure {
    fn from(_: Usage) -> Failure {
        Failure::Usage
    }
}

/// A value read from a file (a manifest's `[occlusion] at`) rather than a flag is the
/// project's problem, so a handler that can only fail with `Failed` reports it as one.
impl From<Usage> for Failed {
    fn from(_: Usage) -> Failed {
        Failed
    }
}

pub fn run(cli: Cli) -> ExitCode {
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal(),
    };
    let ui = Ui { color };
    let command = cli.command.unwrap_or(Command::Compare {
        manifest: PathBuf::from("pathrules.toml"),
        format: CompareFormat::Text,
    });
    let result: Result<(), Failure> = match command {
        Command::Check { files } => ui.check(&files).map_err(Failure::from),
        Command::Run {
            file,
            experiment: Some(name),
            out,
            format,
            plot,
            readouts,
            solver,
            ..
        } => ui.run_experiments(
            &file,
            &name,
            out.as_deref(),
            format,
            plot.as_deref().map(|p| (p, readouts.as_deref())),
            &solver,
        ),
        Command::Run {
            file,
            experiment: None,
            until,
            every,
            out,
            format,
            solver,
            ..
        } => ui.run(
            &file,
            until.as_deref().unwrap_or("1d"),
            every.as_deref().unwrap_or("1min"),
            out.as_deref(),
            format,
            &solver,
        ),
        Command::Test {
            files,
            plot,
            solver,
        } => ui.test(&files, plot.as_deref(), &solver),
        Command::Occlusion {
            file,
            readout,
            at,
            experiments,
            solver,
        } => ui.occlusion(&file, &readout, &at, &experiments, &solver),
        Command::Compare { manifest, format } => {
            ui.compare(&manifest, format).map_err(Failure::from)
        }
        Command::Report { manifest, out } => {
            ui.write_report(&manifest, &out).map_err(Failure::from)
        }
        Command::Ensemble {
            manifest,
            samples,
            seed,
            shard,
            out,
            retry,
        } => ui
            .ensemble_flags(samples, shard.as_deref())
            .map_err(Failure::from)
            .and_then(|()| {
                ui.ensemble(
                    &manifest,
                    samples,
                    seed,
                    shard.as_deref(),
                    out.as_deref(),
                    retry,
                )
                .map_err(Failure::from)
            }),
        Command::Merge { parts, format } => ui.merge(&parts, format).map_err(Failure::from),
        Command::Bench {
            file,
            experiment,
            until,
            points,
            runs,
            solver,
        } => ui.bench(&file, experiment.as_deref(), &until, points, runs, &solver),
        Command::Export {
            format: ExportFormat::Sbml,
            file,
            genotype,
            experiment,
            out,
        } => ui.export_sbml(
            &file,
            genotype.as_deref(),
            experiment.as_deref(),
            out.as_deref(),
        ),
        Command::Graph {
            file,
            format,
            influence,
            from,
            out,
        } => ui.graph(&file, format, influence, from.as_deref(), out.as_deref()),
        Command::Fmt { files, check } => ui.fmt(&files, check).map_err(Failure::from),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Model) => ExitCode::from(1),
        Err(Failure::Usage) => ExitCode::from(2),
    }
}

struct Ui {
    color: bool,
}

impl Ui {
    fn report(&self, sources: &Sources, diagnostics: &[Diagnostic]) {
        err(&syntax::render(diagnostics, sources, self.color));
        let n = diagnostics.iter().filter(|d| d.is_error()).count();
        if n > 0 {
            err(&format!(
                "error: found {n} problem{}\n",
                if n == 1 { "" } else { "s" }
            ));
        }
    }

    fn error(&self, message: &str) -> Failed {
        err(&format!("error: {message}\n"));
        Failed
    }

    /// A flag's value that cannot be used: what is wrong with it, and what to write.
    fn usage(&self, message: &str, help: &str) -> Usage {
        err(&format!("error: {message}\nhelp: {help}\n"));
        Usage
    }

    /// The flags of `ensemble` that need no manifest to judge, checked before it is read.
    fn ensemble_flags(&self, samples: usize, shard: Option<&str>) -> Result<(), Usage> {
        if samples == 0 {
            return Err(self.usage(
                "`--samples 0` asks for no samples",
                "give a positive count, e.g. `--samples 100` (the default)",
            ));
        }
        if let Some(text) = shard
            && parse_shard(text).is_none()
        {
            return Err(self.usage(
                &format!("`--shard {text}` is not a shard"),
                "write K/N with 1 ≤ K ≤ N, e.g. `--shard 3/10` for the third of ten",
            ));
        }
        Ok(())
    }

    /// Refuses dense linear algebra for a system too large for it (see
    /// `solve::DENSE_LIMIT`), before any matrix is allocated.
    fn fits(&self, settings: &Settings, n: usize) -> Result<(), Usage> {
        if settings.method == Method::Bdf
            && settings.linear == Linear::Dense
            && n > pathrules::solve::DENSE_LIMIT
        {
            let gb = (n as f64).powi(2) * 8.0 / 1e9;
            return Err(self.usage(
                &format!(
                    "`--linear dense` on {} species needs {gb:.1} GB for each n × n matrix; \
                     dense is for at most {} species",
                    thousands(n),
                    thousands(pathrules::solve::DENSE_LIMIT)
                ),
                "use `--linear sparse` (a sparse LU), `--linear krylov` (no factorisation) \
                 or `--linear auto`, which picks one of them at this size",
            ));
        }
        Ok(())
    }

    fn load(&self, file: &Path) -> Result<Checked, Failed> {
        let (sources, result) = pathrules::check(file, &mut FsLoader);
        result.map_err(|diagnostics| {
            self.report(&sources, &diagnostics);
            Failed
        })
    }

    fn check(&self, files: &[PathBuf]) -> Result<(), Failed> {
        let mut failed = false;
        for file in files {
            match self.load(file) {
                Ok(checked) => out(&summary(file, &checked)),
                Err(Failed) => failed = true,
            }
        }
        if failed { Err(Failed) } else { Ok(()) }
    }

    fn run(
        &self,
        file: &Path,
        until: &str,
        every: &str,
        out: Option<&Path>,
        format: TableFormat,
        solver: &SolverArgs,
    ) -> Result<(), Failure> {
        let settings = self.settings(solver)?;
        let checked = self.load(file)?;
        self.fits(&settings, checked.system.dim())?;
        let units = checked.model.units;
        let until_value = self.duration("--until", until, &units)?;
        let every_value = self.duration("--every", every, &units)?;
        if every_value <= 0.0 {
            return Err(self
                .usage(
                    &format!("`--every {every}` is no interval"),
                    "give a positive interval between output times, e.g. `--every 1min`",
                )
                .into());
        }
        // Compared as a ratio, so that no count is formed that could overflow.
        let max_points = pathrules::experiment::MAX_POINTS;
        if until_value / every_value > max_points as f64 {
            return Err(self
                .usage(
                    &format!(
                        "`--until {until}` with `--every {every}` asks for {} output times, \
                         more than the {} a run may have",
                        show_count(until_value / every_value),
                        thousands(max_points)
                    ),
                    "raise `--every` or shorten `--until`",
                )
                .into());
        }
        let times = pathrules::time_grid(until_value, every_value);
        let trajectory = pathrules::simulate(&checked, &times, &settings)
            .map_err(|e| self.error(&e.in_unit(units.time.as_str()).to_string()))?;
        let series = Series {
            time_unit: units.time.as_str(),
            concentration_unit: units.concentration.as_str(),
            variables: checked.system.species_names().to_vec(),
            times: trajectory.times,
            values: trajectory.states,
        };
        Ok(self.emit(out, &table::write(&series, format.into()))?)
    }

    fn run_experiments(
        &self,
        file: &Path,
        name: &str,
        out: Option<&Path>,
        format: TableFormat,
        plot: Option<(&Path, Option<&str>)>,
        solver: &SolverArgs,
    ) -> Result<(), Failure> {
        let settings = self.settings(solver)?;
        let checked = self.load(file)?;
        self.fits(&settings, checked.system.dim())?;
        let model = &checked.model;
        let chosen: Vec<usize> = if name == "all" {
            (0..model.experiments.len()).collect()
        } else {
            name.split(',')
                .map(|n| self.experiment("`--experiment`", model, n.trim()))
                .collect::<Result<_, _>>()?
        };
        if chosen.is_empty() {
            return Err(self
                .usage(
                    &format!("`{}` defines no experiments", file.display()),
                    "add an `experiment`, or run the model without `--experiment`",
                )
                .into());
        }
        // Species, then inputs (the drug levels the schedule sets), then readouts.
        let mut variables = checked.system.species_names().to_vec();
        variables.extend(model.inputs.iter().map(|i| i.name.clone()));
        variables.extend(model.readouts.iter().map(|r| r.name.clone()));
        let mut predictions = Vec::new();
        // Experiments of one genotype share its steady state.
        let mut starts = pathrules::experiment::Starts::default();
        for k in chosen {
            let p = pathrules::experiment::predict_with(
                model,
                &checked.system,
                &model.experiments[k],
                &[],
                &settings,
                &mut starts,
            )
            .map_err(|e| self.error(&e.to_string()))?;
            predictions.push(p);
        }
        let runs: Vec<table::Run> = predictions
            .iter()
            .map(|p| table::Run {
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
            .collect();
        if let Some((path, readouts)) = plot {
            let mut panels = pathrules::output::plot::run_panels(model, &predictions);
            if let Some(list) = readouts {
                let wanted: Vec<&str> = list.split(',').map(str::trim).collect();
                if let Some(bad) = wanted
                    .iter()
                    .find(|w| !panels.iter().any(|p| p.readout == **w))
                {
                    let names: Vec<&str> = panels.iter().map(|p| p.readout.as_str()).collect();
                    return Err(self
                        .usage(
                            &format!("`--readouts`: the model has no readout `{bad}`"),
                            &format!("the readouts are {}", names.join(", ")),
                        )
                        .into());
                }
                panels.retain(|p| wanted.contains(&p.readout.as_str()));
                panels.sort_by_key(|p| wanted.iter().position(|w| *w == p.readout));
            }
            let svg = pathrules::output::plot::svg(&panels, model.units.time_in_seconds());
            self.write_file(path, &svg)?;
        }
        Ok(self.emit(out, &table::write_runs(&runs, format.into()))?)
    }

    /// The index of the experiment called `name`, or an error naming the choices.
    fn experiment(&self, flag: &str, model: &pathrules::Model, name: &str) -> Result<usize, Usage> {
        let names: Vec<&str> = model.experiments.iter().map(|e| e.name.as_str()).collect();
        self.find(flag, "experiment", name, &names)
    }

    /// The index of `name` among `names`, or an error naming the choices. The name
    /// comes from the command line (given with `flag`), so a name the model lacks is a
    /// usage error.
    fn find(&self, flag: &str, what: &str, name: &str, names: &[&str]) -> Result<usize, Usage> {
        names.iter().position(|n| *n == name).ok_or_else(|| {
            let defined = if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            };
            self.usage(
                &format!("no {what} is named `{name}`; the model defines {defined}"),
                &format!(
                    "{flag} takes the name of {} {what} the model defines",
                    if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    }
                ),
            )
        })
    }

    /// Writes a file whole or not at all (`pathrules::fs::write_whole`), or says why
    /// it could not.
    fn write_file(&self, path: &Path, text: &str) -> Result<(), Failed> {
        pathrules::fs::write_whole(path, text)
            .map_err(|reason| self.error(&format!("cannot write `{}`: {reason}", path.display())))
    }

    fn test(
        &self,
        files: &[PathBuf],
        plot: Option<&Path>,
        solver: &SolverArgs,
    ) -> Result<(), Failure> {
        if plot.is_some() && files.len() > 1 {
            return Err(self
                .usage(
                    &format!(
                        "`--plot` draws one file's expectations, but {} files are given",
                        files.len()
                    ),
                    "give one file with `--plot`",
                )
                .into());
        }
        let settings = self.settings(solver)?;
        let mut failed = false;
        for file in files {
            let Ok(checked) = self.load(file) else {
                failed = true;
                continue;
            };
            self.fits(&settings, checked.system.dim())?;
            let bar = progress(checked.model.experiments.len(), "experiments");
            let tick = || bar.inc(1);
            let mut runs =
                pathrules::analysis::Runs::new(&checked, &settings).with_progress(Some(&tick));
            let verdicts = pathrules::analysis::judge(&mut runs);
            bar.finish_and_clear();
            if let Some(path) = plot {
                let model = &checked.model;
                let predictions: Vec<Option<pathrules::experiment::Prediction>> =
                    (0..model.experiments.len())
                        .map(|k| runs.done(k).cloned())
                        .collect();
                let panels = pathrules::output::plot::test_panels(model, &predictions, &verdicts);
                let svg = pathrules::output::plot::svg(&panels, model.units.time_in_seconds());
                self.write_file(path, &svg)?;
            }
            if verdicts.is_empty() {
                out(&format!("{}: no expectations\n", file.display()));
                continue;
            }
            failed |= verdicts.iter().any(|v| !v.pass);
            out(&format!("{}:\n", file.display()));
            out(&pathrules::output::verdict::table(
                &checked.model,
                &verdicts,
            ));
        }
        if failed { Err(Failure::Model) } else { Ok(()) }
    }

    fn occlusion(
        &self,
        file: &Path,
        readout: &str,
        at: &str,
        experiments: &[String],
        solver: &SolverArgs,
    ) -> Result<(), Failure> {
        let settings = self.settings(solver)?;
        let checked = self.load(file)?;
        self.fits(&settings, checked.system.dim())?;
        let model = &checked.model;
        let time = self.duration("--at", at, &model.units)?;
        let names: Vec<&str> = model.readouts.iter().map(|x| x.name.as_str()).collect();
        let r = self.find("`--readout`", "readout", readout, &names)?;
        let chosen = experiments
            .iter()
            .map(|e| self.experiment("each EXPERIMENT after the flags", model, e))
            .collect::<Result<Vec<_>, _>>()?;
        // Each effect is read `--at` after its drug begins, so the time must lie inside
        // every experiment's run; past it, the runs would be stretched to any length.
        let unit = model.units.time.as_str();
        if let Some(e) = chosen
            .iter()
            .map(|&k| &model.experiments[k])
            .find(|e| time > e.until)
        {
            return Err(self
                .usage(
                    &format!(
                        "`--at {at}` is past the end of `{}`, which runs for {} {unit}",
                        e.name,
                        show(e.until)
                    ),
                    &format!(
                        "give a time within every experiment's run, at most `{}{unit}`",
                        show(
                            chosen
                                .iter()
                                .map(|&k| model.experiments[k].until)
                                .fold(f64::INFINITY, f64::min)
                        )
                    ),
                )
                .into());
        }
        let mut runs = pathrules::analysis::Runs::new(&checked, &settings);
        let matrix = pathrules::analysis::occlusion_matrix(&mut runs, &chosen, r, time)
            .map_err(|e| self.error(&e.to_string()))?;
        out(&pathrules::output::verdict::occlusion_matrix(
            model, &chosen, &matrix, readout, at,
        ));
        Ok(())
    }

    /// Reads a manifest and checks every hypothesis it names with the judge files, then
    /// the manifest's names and times against them; the occlusion time is in the base's
    /// time unit.
    fn load_project(
        &self,
        manifest: &Path,
    ) -> Result<
        (
            pathrules::project::Manifest,
            Vec<pathrules::analysis::compare::Hypothesis>,
            PathBuf,
            Option<f64>,
        ),
        Failed,
    > {
        let text = FsLoader.read(manifest).map_err(|reason| {
            self.error(&format!(
                "cannot read `{}`: {reason}; a project names its hypotheses in a pathrules.toml (see README.md)",
                manifest.display()
            ))
        })?;
        let dir = manifest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let mut sources = Sources::new();
        let id = sources.add(manifest.display().to_string(), manifest, text.clone());
        let exists = |p: &Path| dir.join(p).is_file();
        let project = pathrules::project::parse(id, &text, &dir, &exists).map_err(|d| {
            self.report(&sources, &d);
            Failed
        })?;
        let judge: Vec<PathBuf> = project.judge.iter().map(|j| dir.join(j)).collect();
        let mut hypotheses = Vec::new();
        for (name, path) in &project.hypotheses {
            let (sources, result) =
                pathrules::check_hypothesis(&dir, name, &dir.join(path), &judge, &mut FsLoader);
            match result {
                Ok(checked) => hypotheses.push(pathrules::analysis::compare::Hypothesis {
                    name: name.clone(),
                    checked,
                }),
                Err(d) => {
                    err(&format!("error: hypothesis `{name}` does not check\n"));
                    self.report(&sources, &d);
                    return Err(Failed);
                }
            }
        }
        if hypotheses.is_empty() {
            return Err(self.error("the manifest names no hypotheses"));
        }
        let models: Vec<&pathrules::Model> = hypotheses.iter().map(|h| &h.checked.model).collect();
        let at = pathrules::project::check_models(&project, &models).map_err(|d| {
            self.report(&sources, &d);
            Failed
        })?;
        Ok((project, hypotheses, dir, at))
    }

    /// The comparison a manifest asks for.
    fn comparison(
        &self,
        project: &pathrules::project::Manifest,
        hypotheses: &[pathrules::analysis::compare::Hypothesis],
        at: Option<f64>,
    ) -> Result<pathrules::analysis::compare::Comparison, Failed> {
        let occlusion = project
            .occlusion
            .as_ref()
            .zip(at)
            .map(|(o, at)| (o.readout.as_str(), at, o.experiments.as_slice()));
        let total = hypotheses
            .iter()
            .map(|h| h.checked.model.experiments.len())
            .sum::<usize>();
        let bar = progress(total, "experiments");
        let tick = || bar.inc(1);
        let comparison = pathrules::analysis::compare::compare(
            hypotheses,
            occlusion,
            &project.settings,
            Some(&tick),
        );
        bar.finish_and_clear();
        let mut comparison = comparison.map_err(|e| self.error(&e))?;
        // The solver's advice names flags; here the settings are the manifest's.
        comparison.map_errors(pathrules::project::manifest_advice);
        Ok(comparison)
    }

    fn compare(&self, manifest: &Path, format: CompareFormat) -> Result<(), Failed> {
        let (project, hypotheses, dir, at) = self.load_project(manifest)?;
        let units = hypotheses[0].checked.model.units;
        let comparison = self.comparison(&project, &hypotheses, at)?;
        let text = pathrules::output::compare::text(&comparison, units.time_in_seconds());
        let json = pathrules::output::compare::json(&comparison);
        if let Some(dir_out) = &project.output {
            let folder = dir.join(dir_out);
            std::fs::create_dir_all(&folder)
                .map_err(|e| self.error(&format!("cannot make `{}`: {e}", folder.display())))?;
            for (name, body) in [("compare.txt", &text), ("compare.json", &json)] {
                let path = folder.join(name);
                self.write_file(&path, body)?;
            }
        }
        out(match format {
            CompareFormat::Text => &text,
            CompareFormat::Json => &json,
        });
        Ok(())
    }

    fn ensemble(
        &self,
        manifest: &Path,
        samples: usize,
        seed: u64,
        shard: Option<&str>,
        out: Option<&Path>,
        retry: bool,
    ) -> Result<(), Failed> {
        // `ensemble_flags` has refused a shard that does not parse.
        let shard = shard.and_then(parse_shard).unwrap_or((1, 1));
        if shard.1 > 1 && out.is_none() {
            return Err(self.error("a shard's records go to a file; add `--out shard.json`"));
        }
        let (project, hypotheses, _, _) = self.load_project(manifest)?;
        let spec = pathrules::analysis::ensemble::Spec {
            samples,
            seed,
            shard,
            default: project.ensemble.default,
            distributions: project.ensemble.distributions.clone(),
            retry,
        };
        let mine = pathrules::analysis::ensemble::shard_len(samples, shard);
        let bar = progress(mine, "samples");
        let tick = || bar.inc(1);
        let partial =
            pathrules::analysis::ensemble::run(&hypotheses, &spec, &project.settings, Some(&tick));
        bar.finish_and_clear();
        let partial = partial.map_err(|e| self.error(&e))?;
        if let Some(path) = out {
            let mut json = serde_json::to_string(&partial).unwrap_or_default();
            json.push('\n');
            self.write_file(path, &json)?;
        }
        if shard.1 == 1 {
            let summary =
                pathrules::analysis::ensemble::summarize(&[partial]).map_err(|e| self.error(&e))?;
            out_text(&pathrules::output::compare::ensemble_text(&summary));
        } else {
            out_text(&format!(
                "shard {}/{}: {mine} of {samples} samples written to {}\n",
                shard.0,
                shard.1,
                out.map(|p| p.display().to_string()).unwrap_or_default()
            ));
        }
        Ok(())
    }

    fn merge(&self, parts: &[PathBuf], format: CompareFormat) -> Result<(), Failed> {
        let mut partials = Vec::new();
        for path in parts {
            let text = FsLoader.read(path).map_err(|reason| {
                self.error(&format!("cannot read `{}`: {reason}", path.display()))
            })?;
            let partial: pathrules::analysis::ensemble::Partial = serde_json::from_str(&text)
                .map_err(|e| {
                    self.error(&format!(
                        "`{}` is not the records of an ensemble shard: {e}",
                        path.display()
                    ))
                })?;
            partial.check().map_err(|e| {
                self.error(&format!(
                    "`{}` is not the records of an ensemble shard: {e}",
                    path.display()
                ))
            })?;
            partials.push(partial);
        }
        let summary =
            pathrules::analysis::ensemble::summarize(&partials).map_err(|e| self.error(&e))?;
        match format {
            CompareFormat::Text => out_text(&pathrules::output::compare::ensemble_text(&summary)),
            CompareFormat::Json => {
                let mut json = serde_json::to_string_pretty(&summary).unwrap_or_default();
                json.push('\n');
                out_text(&json);
            }
        }
        Ok(())
    }

    fn bench(
        &self,
        file: &Path,
        experiment: Option<&str>,
        until: &str,
        points: usize,
        runs: usize,
        solver: &SolverArgs,
    ) -> Result<(), Failure> {
        use std::time::Instant;
        let max_points = pathrules::experiment::MAX_POINTS;
        if !(2..=max_points).contains(&points) {
            return Err(self
                .usage(
                    &format!(
                        "`--points {points}` is not a number of output times from 2 to {}",
                        thousands(max_points)
                    ),
                    "give the start, the end and the points between, e.g. `--points 1001`",
                )
                .into());
        }
        if !(1..=MAX_RUNS).contains(&runs) {
            return Err(self
                .usage(
                    &format!("`--runs {runs}` is not a number of repetitions from 1 to {MAX_RUNS}"),
                    "give e.g. `--runs 21` (the default); the median is reported",
                )
                .into());
        }
        let settings = self.settings(solver)?;
        // Load: read, parse, check, build the graphs and compile.
        let mut load_times = Vec::with_capacity(runs);
        let mut checked = None;
        for _ in 0..runs {
            let start = Instant::now();
            let c = self.load(file)?;
            load_times.push(start.elapsed().as_secs_f64());
            checked = Some(c);
        }
        let Some(checked) = checked else {
            return Err(self.error("no run").into());
        };
        self.fits(&settings, checked.system.dim())?;
        let model = &checked.model;
        let (system, y0, protocol, end) = match experiment {
            Some(name) => {
                let e = &model.experiments[self.experiment("`--experiment`", model, name)?];
                let sys =
                    pathrules::experiment::genotype_system(model, &checked.system, e.genotype);
                let y0 = pathrules::experiment::starting_state(&sys, e.start, &settings)
                    .map_err(|err| self.error(&err.to_string()))?;
                let protocol = pathrules::experiment::protocol(model, &sys, &e.events);
                (sys, y0, protocol, e.until)
            }
            None => {
                let end = self.duration("--until", until, &model.units)?;
                let sys = checked.system.clone();
                let y0 = sys.initial.clone();
                (sys, y0, pathrules::experiment::Protocol::default(), end)
            }
        };
        // The fraction first: `end * k` overflows to infinity for an `end` near f64::MAX.
        let times: Vec<f64> = (0..points)
            .map(|k| end * (k as f64 / (points - 1) as f64))
            .collect();
        let mut sim_times = Vec::with_capacity(runs);
        let mut stats = None;
        for _ in 0..runs {
            let start = Instant::now();
            let t = pathrules::experiment::run(&system, &y0, &protocol, &times, &settings)
                .map_err(|e| self.error(&e.in_unit(model.units.time.as_str()).to_string()))?;
            sim_times.push(start.elapsed().as_secs_f64());
            stats = Some(t.stats);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let stats = stats.unwrap_or_default();
        let doc = serde_json::json!({
            "file": file.display().to_string(),
            "experiment": experiment,
            "species": model.species.len(),
            "reactions": model.reactions.len(),
            // Only the stiff method has linear algebra to choose.
            "linear": (settings.method == Method::Bdf).then(|| {
                settings
                    .linear
                    .resolve(system.dim(), system.jacobian_pattern().len())
                    .to_string()
            }),
            "until": end,
            "points": points,
            "runs": runs,
            "load_s": median(&mut load_times),
            "simulate_s": median(&mut sim_times),
            "steps": stats.steps,
            "rhs_evals": stats.rhs_evals,
            "jac_evals": stats.jac_evals,
        });
        out_text(&format!("{doc}\n"));
        Ok(())
    }

    fn write_report(&self, manifest: &Path, out: &Path) -> Result<(), Failed> {
        let (project, hypotheses, _, at) = self.load_project(manifest)?;
        let comparison = self.comparison(&project, &hypotheses, at)?;
        // The base hypothesis's verdicts and predictions, as compare ran them.
        let base = &hypotheses[0].checked;
        let verdicts = comparison.verdicts.first().cloned().unwrap_or_default();
        let mut predictions = Vec::new();
        for e in &base.model.experiments {
            match comparison.predictions.first().and_then(|p| p.get(&e.name)) {
                Some(p) => predictions.push(p.clone()),
                None => {
                    let why = comparison
                        .run_errors
                        .first()
                        .and_then(|errors| errors.get(&e.name))
                        .map_or("its run was not kept", String::as_str);
                    return Err(self.error(&format!(
                        "the report needs every experiment of the base hypothesis `{}`, and \
                         one could not be run: {why}",
                        hypotheses[0].name
                    )));
                }
            }
        }
        let names: Vec<&str> = hypotheses.iter().map(|h| h.name.as_str()).collect();
        let title = format!("pathrules report: {}", names.join(", "));
        let html = pathrules::output::report::html(&pathrules::output::report::Report {
            title: &title,
            model: &base.model,
            verdicts: &verdicts,
            predictions: &predictions,
            comparison: &comparison,
        });
        self.write_file(out, &html)
    }

    fn export_sbml(
        &self,
        file: &Path,
        genotype: Option<&str>,
        experiment: Option<&str>,
        out: Option<&Path>,
    ) -> Result<(), Failure> {
        use pathrules::experiment::{genotype_system, protocol, starting_state};
        let checked = self.load(file)?;
        let model = &checked.model;
        let settings = Settings::default();
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".to_string());
        let mut setup = pathrules::output::sbml::Setup {
            name,
            ..Default::default()
        };
        let (genotype_index, events) = match experiment {
            Some(e) => {
                let k = self.experiment("`--experiment`", model, e)?;
                let e = &model.experiments[k];
                setup.name = format!("{}_{}", setup.name, e.name);
                (e.genotype, Some(e))
            }
            None => match genotype {
                Some(g) => {
                    let names: Vec<&str> =
                        model.genotypes.iter().map(|x| x.name.as_str()).collect();
                    let k = self.find("`--genotype`", "genotype", g, &names)?;
                    setup.name = format!("{}_{g}", setup.name);
                    (Some(k), None)
                }
                None => (None, None),
            },
        };
        let sys = genotype_system(model, &checked.system, genotype_index);
        setup.params = sys.params.clone();
        setup.disabled = genotype_index
            .and_then(|g| model.genotypes.get(g))
            .map(|g| g.disabled.clone())
            .unwrap_or_default();
        setup.initial = sys.initial.clone();
        setup.inputs = sys.inputs.clone();
        if let Some(e) = events {
            setup.initial = starting_state(&sys, e.start, &settings).map_err(|err| {
                self.error(&format!(
                    "experiment `{}`: no steady state to start from: {err}",
                    e.name
                ))
            })?;
            let p = protocol(model, &sys, &e.events);
            setup.inputs = p.inputs_at(&sys, 0.0);
            // Doses are rules of time, so the bath level at the start excludes them.
            for d in p.doses() {
                if d.time <= 0.0 {
                    setup.inputs[d.input.index()] -= d.level(0.0);
                }
            }
            setup.steps = p
                .steps()
                .iter()
                .map(|s| (s.time, s.input, s.value))
                .collect();
            setup.doses = p
                .doses()
                .iter()
                .map(|d| (d.time, d.input, d.amount, d.ka, d.ke))
                .collect();
        }
        Ok(self.emit(out, &pathrules::output::sbml::write(model, &setup))?)
    }

    fn graph(
        &self,
        file: &Path,
        format: GraphArg,
        influence: bool,
        from: Option<&str>,
        out: Option<&Path>,
    ) -> Result<(), Failure> {
        let checked = self.load(file)?;
        let format = match format {
            GraphArg::Dot => GraphFormat::Dot,
            GraphArg::Mermaid => GraphFormat::Mermaid,
            GraphArg::Graphml => GraphFormat::GraphMl,
        };
        let from = match from {
            None => None,
            Some(name) => match checked.model.find(name) {
                Some(v @ (Var::Species(_) | Var::Input(_) | Var::Let(_))) => Some(v),
                _ => {
                    return Err(self
                        .usage(
                            &format!("`--from {name}` names no species, input or let of the model"),
                            "give a name the model declares with `species`, `input` or `let`",
                        )
                        .into());
                }
            },
        };
        let view = pathrules::output::graph::View { influence, from };
        Ok(self.emit(
            out,
            &pathrules::output::graph::write(&checked.model, &checked.network, format, view),
        )?)
    }

    fn fmt(&self, files: &[PathBuf], check: bool) -> Result<(), Failed> {
        let mut failed = false;
        for file in files {
            let bytes = match pathrules::Loader::load_bytes(&mut FsLoader, file) {
                Ok(bytes) => bytes,
                Err(reason) => {
                    self.error(&format!("cannot read `{}`: {reason}", file.display()));
                    failed = true;
                    continue;
                }
            };
            let mut sources = Sources::new();
            let id = match pathrules::model::decode(&mut sources, file, bytes) {
                Ok(id) => id,
                Err(d) => {
                    self.report(&sources, &[d]);
                    failed = true;
                    continue;
                }
            };
            let text = sources.text(id).to_string();
            let (ast, errors) = syntax::parse(id, &text);
            if !errors.is_empty() {
                self.report(&sources, &errors);
                failed = true;
                continue;
            }
            let formatted = syntax::print(&ast);
            if formatted == text {
                continue;
            }
            if check {
                err(&format!("{} is not formatted\n", file.display()));
                failed = true;
            } else if self.write_file(file, &formatted).is_err() {
                failed = true;
            }
        }
        if failed { Err(Failed) } else { Ok(()) }
    }

    /// A time given on the command line, in the model's time unit.
    fn duration(
        &self,
        flag: &str,
        text: &str,
        units: &pathrules::model::BaseUnits,
    ) -> Result<f64, Usage> {
        let bad = || {
            self.usage(
                &format!("`{flag} {text}` is not a time"),
                "write a time of zero or more with its unit, e.g. `7d`, `90min` or `30s`",
            )
        };
        let mut sources = Sources::new();
        let id = sources.add(flag, flag, text);
        units::parse_time(id, text, units).ok_or_else(bad)
    }

    fn settings(&self, args: &SolverArgs) -> Result<Settings, Usage> {
        let mut s = Settings {
            method: match args.solver {
                SolverArg::Bdf => Method::Bdf,
                SolverArg::Dopri5 => Method::Dopri5,
                SolverArg::Dop853 => Method::Dop853,
            },
            linear: match args.linear {
                LinearArg::Auto => Linear::Auto,
                LinearArg::Dense => Linear::Dense,
                LinearArg::Sparse => Linear::Sparse,
                LinearArg::Krylov => Linear::Krylov,
            },
            ..Settings::default()
        };
        if let Some(r) = args.rtol {
            if !(r > 0.0 && r < 1.0) {
                return Err(self.usage(
                    &format!("`--rtol {r}` is not between 0 and 1"),
                    "give a relative tolerance such as `1e-6` (the default)",
                ));
            }
            s.rtol = r;
        }
        if let Some(a) = args.atol {
            if !(a > 0.0 && a.is_finite()) {
                return Err(self.usage(
                    &format!("`--atol {a}` is not a positive number"),
                    "give an absolute tolerance in the model's concentration unit, such as \
                     `1e-9` (the default)",
                ));
            }
            s.atol = a;
        }
        if let Some(m) = args.max_steps {
            if m == 0 {
                return Err(self.usage(
                    "`--max-steps 0` allows the solver no step",
                    "give a positive count such as `100000` (the default)",
                ));
            }
            s.max_steps = m;
        }
        Ok(s)
    }

    fn emit(&self, target: Option<&Path>, text: &str) -> Result<(), Failed> {
        match target {
            Some(path) => self.write_file(path, text),
            None => {
                out(text);
                Ok(())
            }
        }
    }
}

/// A progress bar on standard error, drawn only on a terminal (quiet when piped).
fn progress(len: usize, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} ({elapsed})")
    {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}

/// Writes to standard output (the name `out` is taken by many locals here).
fn out_text(text: &str) {
    out(text);
}

/// Writes to standard output. A closed pipe (`pathrules check … | head`) ends the
/// reader's interest, not an error worth a panic or a message, so write errors are
/// ignored here and in `err`.
fn out(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Writes to standard error.
fn err(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

trait ReadText {
    fn read(&mut self, path: &Path) -> Result<String, String>;
}

impl ReadText for FsLoader {
    fn read(&mut self, path: &Path) -> Result<String, String> {
        pathrules::Loader::load(self, path)
    }
}

/// The one-screen summary `check` prints for a good model.
fn summary(file: &Path, c: &Checked) -> String {
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
    let params: Vec<String> = m
        .params
        .iter()
        .map(|p| match p.dim.map(|d| unit_text(d, &m.units)) {
            Some(u) if !u.is_empty() => format!("{} = {} {u}", p.name, show(p.value)),
            _ => format!("{} = {}", p.name, show(p.value)),
        })
        .collect();
    out.push_str(&wrap("parameters", &params));
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
fn unit_text(d: Dim, units: &pathrules::model::BaseUnits) -> String {
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
fn show(x: f64) -> String {
    format!("{x:.5e}")
        .parse::<f64>()
        .map_or_else(|_| x.to_string(), |r| r.to_string())
}

/// The most repetitions `bench` takes: the median of a thousand is already steady to
/// the timer's noise, and a count near `usize::MAX` would only run until killed.
const MAX_RUNS: usize = 1000;

/// The shard K of N written as `K/N` with 1 ≤ K ≤ N.
fn parse_shard(text: &str) -> Option<(usize, usize)> {
    text.split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)))
        .filter(|&(k, n): &(usize, usize)| k >= 1 && k <= n)
}

/// A count with thousands separated: `19,990`.
fn thousands(n: usize) -> String {
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

/// A count that may be beyond any integer type: `1440`, `1.0e308`, `inf`.
fn show_count(x: f64) -> String {
    if x < 1e15 {
        thousands(x.ceil() as usize)
    } else {
        format!("{x:.1e}")
    }
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
