//! The command line: flags in, library calls, text out.
//!
//! The flags are clap's types in `args`; here each command's handler reads them, calls
//! the library and prints what it returns. This is the only module that prints, and
//! with `pathrules::fs` the only one that reads or writes files; it and `args` are the
//! only ones that name clap. Exit codes are decided in `run` alone: 0 success, 1 a
//! problem in the user's model or a failed solve (`Failed`), 2 a usage error: clap's
//! own, or a flag's value that a handler refuses once the model is known (`Usage`),
//! always before anything is written.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod args;

use args::{Cli, Color, Command, CompareFormat, ExportFormat, GraphArg, SolverArgs, TableFormat};

use pathrules::analysis::shard::Shard;
use pathrules::experiment::{Protocol, Starts};
use pathrules::model::{ExperimentId, GenotypeId, ReadoutId, Var, units};
use pathrules::output::summary::{show, summary, thousands};
use pathrules::output::table::{self, Series};
use pathrules::project::{LoadError, Project};
use pathrules::solve::{Linear, Method, Settings};
use pathrules::syntax::{self, Diagnostic, Sources};
use pathrules::{Checked, FsLoader, Loader};

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

/// Parses the command line (clap exits 2 on a usage error of its own) and runs it.
pub fn main() -> ExitCode {
    use clap::Parser;
    run(Cli::parse())
}

fn run(cli: Cli) -> ExitCode {
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
        Command::Sources { manifest } => ui.sources(&manifest).map_err(Failure::from),
        Command::Report { manifest, out } => {
            ui.write_report(&manifest, &out).map_err(Failure::from)
        }
        Command::Fit {
            manifest,
            hypothesis,
            seed,
            budget,
            starts,
            samples,
            out,
        } => {
            let spec = pathrules::analysis::fit::Spec {
                seed,
                budget,
                starts,
                samples,
                ..Default::default()
            };
            ui.fit(&manifest, hypothesis.as_deref(), &spec, out.as_deref())
        }
        Command::Ensemble {
            manifest,
            retry,
            calibrated: true,
            ..
        } => ui
            .ensemble_calibrated(&manifest, retry)
            .map_err(Failure::from),
        Command::Ensemble {
            manifest,
            samples,
            seed,
            shard,
            out,
            retry,
            calibrated: false,
        } => ui
            .ensemble_flags(samples, shard.as_deref())
            .map_err(Failure::from)
            .and_then(|shard| {
                ui.ensemble(&manifest, samples, seed, shard, out.as_deref(), retry)
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

    /// The flags of `ensemble` that need no manifest to judge, checked before it is read;
    /// the shard to run (the whole run without `--shard`).
    fn ensemble_flags(&self, samples: usize, shard: Option<&str>) -> Result<Shard, Usage> {
        if samples == 0 {
            return Err(self.usage(
                "`--samples 0` asks for no samples",
                "give a positive count, e.g. `--samples 100` (the default)",
            ));
        }
        let Some(text) = shard else {
            return Ok(Shard::WHOLE);
        };
        text.parse().map_err(|_| {
            self.usage(
                &format!("`--shard {text}` is not a shard"),
                "write K/N with 1 ≤ K ≤ N, e.g. `--shard 3/10` for the third of ten",
            )
        })
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
        let times = self.output_times(until, every, &units)?;
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

    /// The output times of `--until` and `--every`: a positive interval, and no more
    /// times than a run may have.
    fn output_times(
        &self,
        until: &str,
        every: &str,
        units: &pathrules::model::BaseUnits,
    ) -> Result<Vec<f64>, Usage> {
        let until_value = self.duration("--until", until, units)?;
        let every_value = self.duration("--every", every, units)?;
        if every_value <= 0.0 {
            return Err(self.usage(
                &format!("`--every {every}` is no interval"),
                "give a positive interval between output times, e.g. `--every 1min`",
            ));
        }
        // Compared as a ratio, so that no count is formed that could overflow.
        let max_points = pathrules::experiment::MAX_POINTS;
        if until_value / every_value > max_points as f64 {
            return Err(self.usage(
                &format!(
                    "`--until {until}` with `--every {every}` asks for {} output times, \
                     more than the {} a run may have",
                    show_count(until_value / every_value),
                    thousands(max_points)
                ),
                "raise `--every` or shorten `--until`",
            ));
        }
        Ok(pathrules::time_grid(until_value, every_value))
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
        let chosen = self.experiments(file, model, name)?;
        let mut predictions = Vec::new();
        // Experiments of one genotype share its steady state.
        let mut starts = Starts::default();
        for k in chosen {
            let e = &model.experiments[k];
            let p = pathrules::experiment::predict_with(
                model,
                &checked.system,
                e,
                &[],
                &settings,
                &mut starts,
            )
            .map_err(|e| self.error(&e.to_string()))?;
            predictions.push(p);
        }
        if let Some((path, readouts)) = plot {
            self.plot_runs(path, readouts, model, &predictions)?;
        }
        let text = table::write_runs(
            &table::experiment_runs(&checked, &predictions),
            format.into(),
        );
        Ok(self.emit(out, &text)?)
    }

    /// The experiments `--experiment` names (`all`, or names separated by commas).
    fn experiments(
        &self,
        file: &Path,
        model: &pathrules::Model,
        name: &str,
    ) -> Result<Vec<ExperimentId>, Usage> {
        let chosen: Vec<ExperimentId> = if name == "all" {
            (0..model.experiments.len() as u32)
                .map(ExperimentId)
                .collect()
        } else {
            name.split(',')
                .map(|n| self.experiment("`--experiment`", model, n.trim()))
                .collect::<Result<_, _>>()?
        };
        if chosen.is_empty() {
            return Err(self.usage(
                &format!("`{}` defines no experiments", file.display()),
                "add an `experiment`, or run the model without `--experiment`",
            ));
        }
        Ok(chosen)
    }

    /// Draws the readouts of `predictions` (those `--readouts` lists, in its order) as
    /// SVG at `path`.
    fn plot_runs(
        &self,
        path: &Path,
        readouts: Option<&str>,
        model: &pathrules::Model,
        predictions: &[pathrules::experiment::Prediction],
    ) -> Result<(), Failure> {
        let mut panels = pathrules::output::plot::run_panels(model, predictions);
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
        Ok(self.write_file(path, &svg)?)
    }

    /// The index of the experiment called `name`, or an error naming the choices.
    fn experiment(
        &self,
        flag: &str,
        model: &pathrules::Model,
        name: &str,
    ) -> Result<ExperimentId, Usage> {
        let names: Vec<&str> = model.experiments.iter().map(|e| e.name.as_str()).collect();
        let k = self.find(flag, "experiment", name, &names)?;
        Ok(ExperimentId(k as u32))
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
                self.plot_test(path, &checked.model, &runs, &verdicts)?;
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

    /// Draws the readouts the expectations ask about as SVG at `path`, from the runs that
    /// judged them.
    fn plot_test(
        &self,
        path: &Path,
        model: &pathrules::Model,
        runs: &pathrules::analysis::Runs,
        verdicts: &[pathrules::analysis::Verdict],
    ) -> Result<(), Failed> {
        let predictions: Vec<Option<pathrules::experiment::Prediction>> =
            (0..model.experiments.len())
                .map(|k| runs.done(k).cloned())
                .collect();
        let panels = pathrules::output::plot::test_panels(model, &predictions, verdicts);
        let svg = pathrules::output::plot::svg(&panels, model.units.time_in_seconds());
        self.write_file(path, &svg)
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
        let r = ReadoutId(self.find("`--readout`", "readout", readout, &names)? as u32);
        let chosen = experiments
            .iter()
            .map(|e| self.experiment("each EXPERIMENT after the flags", model, e))
            .collect::<Result<Vec<_>, _>>()?;
        self.within_runs(at, time, model, &chosen)?;
        let mut runs = pathrules::analysis::Runs::new(&checked, &settings);
        let matrix = pathrules::analysis::occlusion_matrix(&mut runs, &chosen, r, time)
            .map_err(|e| self.error(&e.to_string()))?;
        out(&pathrules::output::verdict::occlusion_matrix(
            model, &chosen, &matrix, readout, at,
        ));
        Ok(())
    }

    /// Refuses an `--at` past the end of any chosen experiment: each effect is read
    /// `--at` after its drug begins, so the time must lie inside every experiment's run;
    /// past it, the runs would be stretched to any length.
    fn within_runs(
        &self,
        at: &str,
        time: f64,
        model: &pathrules::Model,
        chosen: &[ExperimentId],
    ) -> Result<(), Usage> {
        let unit = model.units.time.as_str();
        let Some(e) = chosen
            .iter()
            .map(|&k| &model.experiments[k])
            .find(|e| time > e.until)
        else {
            return Ok(());
        };
        let shortest = chosen
            .iter()
            .map(|&k| model.experiments[k].until)
            .fold(f64::INFINITY, f64::min);
        Err(self.usage(
            &format!(
                "`--at {at}` is past the end of `{}`, which runs for {} {unit}",
                e.name,
                show(e.until)
            ),
            &format!(
                "give a time within every experiment's run, at most `{}{unit}`",
                show(shortest)
            ),
        ))
    }

    /// The project of a manifest (`pathrules::project::load`), or its problems printed.
    fn project(&self, manifest: &Path) -> Result<Project, Failed> {
        let exists = |p: &Path| p.is_file();
        pathrules::project::load(manifest, &mut FsLoader, &exists).map_err(|e| self.load_error(&e))
    }

    fn load_error(&self, e: &LoadError) -> Failed {
        match e {
            LoadError::Manifest {
                sources,
                diagnostics,
            } => self.report(sources, diagnostics),
            LoadError::Hypothesis {
                sources,
                diagnostics,
                ..
            } => {
                err(&format!("error: {e}\n"));
                self.report(sources, diagnostics);
            }
            LoadError::Unreadable { .. }
            | LoadError::NoHypotheses
            | LoadError::UnreadableTable { .. } => {
                self.error(&e.to_string());
            }
        }
        Failed
    }

    /// The manifest's literature table with the files it is checked against.
    fn literature(
        &self,
        project: &Project,
    ) -> Result<Option<(Sources, pathrules::literature::Table)>, Failed> {
        project
            .literature(&mut FsLoader)
            .map_err(|e| self.load_error(&e))
    }

    /// `pathrules sources`: every citation checked against the table, then the listing.
    fn sources(&self, manifest: &Path) -> Result<(), Failed> {
        let project = self.project(manifest)?;
        let Some((files, table)) = self.literature(&project)? else {
            err(&format!(
                "error: `{}` names no literature table\nhelp: add `[literature]` with \
                 `table = \"docs/literature.toml\"`, a file of one `[[source]]` row per id \
                 the pathways cite (see README.md)\n",
                manifest.display()
            ));
            return Err(Failed);
        };
        let name = files.get(table.file).name.clone();
        let audit = pathrules::literature::audit(&table, &files, &name);
        self.report(&files, &audit.diagnostics);
        out(&pathrules::output::literature::summary(
            &table, &audit, &files, &name,
        ));
        if audit.errors() > 0 {
            Err(Failed)
        } else {
            Ok(())
        }
    }

    /// The comparison a manifest asks for.
    fn comparison(
        &self,
        project: &Project,
    ) -> Result<pathrules::analysis::compare::Comparison, Failed> {
        let Project {
            manifest,
            hypotheses,
            at,
            ..
        } = project;
        let occlusion = manifest
            .occlusion
            .as_ref()
            .zip(*at)
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
            &manifest.settings,
            Some(&tick),
        );
        bar.finish_and_clear();
        comparison.map_err(|e| self.error(&e))
    }

    fn compare(&self, manifest: &Path, format: CompareFormat) -> Result<(), Failed> {
        let project = self.project(manifest)?;
        let units = project.hypotheses[0].checked.model.units;
        let comparison = self.comparison(&project)?;
        let text = pathrules::output::compare::text(&comparison, units.time_in_seconds());
        let json = pathrules::output::compare::json(&comparison);
        if let Some(dir_out) = &project.manifest.output {
            let folder = project.dir.join(dir_out);
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
        shard: Shard,
        out: Option<&Path>,
        retry: bool,
    ) -> Result<(), Failed> {
        if shard.n > 1 && out.is_none() {
            return Err(self.error("a shard's records go to a file; add `--out shard.json`"));
        }
        let Project {
            manifest,
            hypotheses,
            ..
        } = self.project(manifest)?;
        let spec = pathrules::analysis::ensemble::Spec {
            samples,
            seed,
            shard: shard.pair(),
            default: manifest.ensemble.default,
            distributions: manifest.ensemble.distributions.clone(),
            retry,
        };
        let mine = pathrules::analysis::ensemble::shard_len(samples, shard.pair());
        let bar = progress(mine, "samples");
        let tick = || bar.inc(1);
        let partial =
            pathrules::analysis::ensemble::run(&hypotheses, &spec, &manifest.settings, Some(&tick));
        bar.finish_and_clear();
        let partial = partial.map_err(|e| self.error(&e))?;
        self.ensemble_out(partial, shard, (mine, samples), out)
    }

    /// Judges each hypothesis on every set of its calibrated ensemble and prints the
    /// summary. Every hypothesis's file is read and checked before any set is judged, and
    /// every problem of every file is shown: a missing file, with the fit that writes it.
    fn ensemble_calibrated(&self, manifest: &Path, retry: bool) -> Result<(), Failed> {
        use pathrules::analysis::calibration;
        let project = self.project(manifest)?;
        let dir = project.manifest.calibration_dir(&project.dir);
        let mut sources = Sources::new();
        let mut problems = Vec::new();
        let mut sets = Vec::new();
        for h in &project.hypotheses {
            let path = dir.join(format!("{}.calibrated.json", h.name));
            let shown = path.display().to_string();
            if !path.exists() {
                problems.push(
                    Diagnostic::global(format!(
                        "`{}` has no calibrated ensemble: `{shown}` does not exist",
                        h.name
                    ))
                    .with_help(format!(
                        "run `pathrules fit` first (or `pathrules fit --hypothesis {}`), which writes it",
                        h.name
                    )),
                );
                continue;
            }
            let text = match FsLoader.load(&path) {
                Ok(text) => text,
                Err(reason) => {
                    problems.push(
                        Diagnostic::global(format!("cannot read `{shown}`: {reason}")).with_help(
                            format!(
                                "run `pathrules fit --hypothesis {}` to write it anew",
                                h.name
                            ),
                        ),
                    );
                    continue;
                }
            };
            let file = sources.add(shown, &path, text.clone());
            match calibration::read(file, &text, &h.name, &h.checked) {
                Ok(cal) => sets.push(calibration::named_sets(&cal)),
                Err(found) => problems.extend(found),
            }
        }
        if !problems.is_empty() {
            self.report(&sources, &problems);
            return Err(Failed);
        }
        let total = sets.iter().map(Vec::len).sum();
        let bar = progress(total, "sets");
        let tick = || bar.inc(1);
        let summary = pathrules::analysis::ensemble::run_sets(
            &project.hypotheses,
            &sets,
            0,
            &project.manifest.settings,
            retry,
            Some(&tick),
        );
        bar.finish_and_clear();
        let summary = summary.map_err(|e| self.error(&e))?;
        out_text(&pathrules::output::compare::ensemble_text(&summary));
        Ok(())
    }

    /// Writes a shard's records to `out` when given, then prints the summary of a whole
    /// run, or what a shard wrote: `mine` of `samples`.
    fn ensemble_out(
        &self,
        partial: pathrules::analysis::ensemble::Partial,
        shard: Shard,
        (mine, samples): (usize, usize),
        out: Option<&Path>,
    ) -> Result<(), Failed> {
        if let Some(path) = out {
            let mut json = serde_json::to_string(&partial).unwrap_or_default();
            json.push('\n');
            self.write_file(path, &json)?;
        }
        if shard.n == 1 {
            let summary =
                pathrules::analysis::ensemble::summarize(&[partial]).map_err(|e| self.error(&e))?;
            out_text(&pathrules::output::compare::ensemble_text(&summary));
        } else {
            out_text(&format!(
                "shard {shard}: {mine} of {samples} samples written to {}\n",
                out.map(|p| p.display().to_string()).unwrap_or_default()
            ));
        }
        Ok(())
    }

    fn fit(
        &self,
        manifest: &Path,
        only: Option<&str>,
        spec: &pathrules::analysis::fit::Spec,
        out: Option<&Path>,
    ) -> Result<(), Failure> {
        use pathrules::analysis::fit;
        if spec.budget == 0 {
            return Err(self
                .usage(
                    "a budget of 0 evaluations cannot search",
                    "--budget takes the number of evaluations per hypothesis, e.g. `--budget 2000`",
                )
                .into());
        }
        if spec.samples == 0 || spec.starts == 0 {
            return Err(self
                .usage(
                    "a fit needs at least one start and a calibrated ensemble at least one set",
                    "--starts and --samples take 1 or more",
                )
                .into());
        }
        let project = self.project(manifest)?;
        let names: Vec<&str> = project.hypotheses.iter().map(|h| h.name.as_str()).collect();
        let chosen: Vec<usize> = match only {
            Some(name) => vec![self.find("--hypothesis", "hypothesis", name, &names)?],
            None => (0..names.len()).collect(),
        };
        let dir = match out {
            Some(d) => d.to_path_buf(),
            None => project.manifest.calibration_dir(&project.dir),
        };
        for k in chosen {
            let h = &project.hypotheses[k];
            let settings = &project.manifest.settings;
            let bar = progress(spec.budget, &format!("evaluations: fitting {}", h.name));
            let tick = || bar.inc(1);
            let fitted = fit::fit(&h.checked, spec, settings, Some(&tick));
            bar.finish_and_clear();
            let fitted =
                fitted.map_err(|e| self.error(&format!("cannot fit `{}`: {e}", h.name)))?;
            let bar = progress(
                spec.samples * 6 + 600,
                &format!("evaluations: calibrating {}", h.name),
            );
            let tick = || bar.inc(1);
            let cal = fit::calibrate(&h.name, &h.checked, &fitted, spec, settings, Some(&tick));
            bar.finish_and_clear();
            std::fs::create_dir_all(&dir).map_err(|e| {
                self.error(&format!("cannot make the folder `{}`: {e}", dir.display()))
            })?;
            let imports = project.manifest.imports_from(&project.dir, k, &dir);
            let made = pathrules::output::fit::Made {
                hypothesis: &h.name,
                seed: spec.seed,
                budget: spec.budget,
                imports,
            };
            let files =
                pathrules::output::fit::files(&h.name, &h.checked.model, &fitted, &cal, &made);
            for (name, text) in &files {
                self.write_file(&dir.join(name), text)?;
            }
            let report = files
                .last()
                .map(|(_, text)| text.as_str())
                .unwrap_or_default();
            out_text(report);
        }
        Ok(())
    }

    fn merge(&self, parts: &[PathBuf], format: CompareFormat) -> Result<(), Failed> {
        let mut partials = Vec::new();
        for path in parts {
            let text = FsLoader.load(path).map_err(|reason| {
                self.error(&format!("cannot read `{}`: {reason}", path.display()))
            })?;
            let partial =
                pathrules::analysis::ensemble::Partial::from_json(&text).map_err(|e| {
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
        self.bench_flags(points, runs)?;
        let settings = self.settings(solver)?;
        let (checked, load_s) = self.bench_load(file, runs)?;
        self.fits(&settings, checked.system.dim())?;
        let model = &checked.model;
        let (prepared, end) = self.bench_start(&checked, experiment, until, &settings)?;
        // The fraction first: `end * k` overflows to infinity for an `end` near f64::MAX.
        let times: Vec<f64> = (0..points)
            .map(|k| end * (k as f64 / (points - 1) as f64))
            .collect();
        let unit = model.units.time.as_str();
        let (simulate_s, stats) = self.bench_simulate(&prepared, &times, &settings, runs, unit)?;
        let system = &prepared.system;
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
            "load_s": load_s,
            "simulate_s": simulate_s,
            "steps": stats.steps,
            "rhs_evals": stats.rhs_evals,
            "jac_evals": stats.jac_evals,
        });
        out_text(&format!("{doc}\n"));
        Ok(())
    }

    /// What `bench` simulates: the experiment named by `--experiment` as
    /// `experiment::prepare` sets it up, or the model from its initial values until
    /// `--until`; and the end of the run.
    fn bench_start(
        &self,
        checked: &Checked,
        experiment: Option<&str>,
        until: &str,
        settings: &Settings,
    ) -> Result<(pathrules::experiment::Prepared, f64), Failure> {
        let model = &checked.model;
        Ok(match experiment {
            Some(name) => {
                let e = &model.experiments[self.experiment("`--experiment`", model, name)?];
                let mut starts = Starts::default();
                let prepared = pathrules::experiment::prepare(
                    model,
                    &checked.system,
                    e,
                    settings,
                    &mut starts,
                )
                .map_err(|err| self.error(&err.to_string()))?;
                (prepared, e.until)
            }
            None => {
                let end = self.duration("--until", until, &model.units)?;
                let prepared = pathrules::experiment::Prepared {
                    system: checked.system.clone(),
                    initial: checked.system.initial.clone(),
                    protocol: Protocol::default(),
                };
                (prepared, end)
            }
        })
    }

    /// The flags of `bench` that need no model to judge.
    fn bench_flags(&self, points: usize, runs: usize) -> Result<(), Usage> {
        let max_points = pathrules::experiment::MAX_POINTS;
        if !(2..=max_points).contains(&points) {
            return Err(self.usage(
                &format!(
                    "`--points {points}` is not a number of output times from 2 to {}",
                    thousands(max_points)
                ),
                "give the start, the end and the points between, e.g. `--points 1001`",
            ));
        }
        if !(1..=MAX_RUNS).contains(&runs) {
            return Err(self.usage(
                &format!("`--runs {runs}` is not a number of repetitions from 1 to {MAX_RUNS}"),
                "give e.g. `--runs 21` (the default); the median is reported",
            ));
        }
        Ok(())
    }

    /// Loads `file` `runs` times (read, parse, check, build the graphs and compile): the
    /// model, and the median time in seconds.
    fn bench_load(&self, file: &Path, runs: usize) -> Result<(Checked, f64), Failed> {
        let mut times = Vec::with_capacity(runs);
        let mut checked = None;
        for _ in 0..runs {
            let start = std::time::Instant::now();
            let c = self.load(file)?;
            times.push(start.elapsed().as_secs_f64());
            checked = Some(c);
        }
        let Some(checked) = checked else {
            return Err(self.error("no run"));
        };
        Ok((checked, median(&mut times)))
    }

    /// Runs `prepared` on `times` `runs` times: the median time in seconds, and the
    /// solver's work in the last run.
    fn bench_simulate(
        &self,
        prepared: &pathrules::experiment::Prepared,
        times: &[f64],
        settings: &Settings,
        runs: usize,
        time_unit: &str,
    ) -> Result<(f64, pathrules::solve::Stats), Failed> {
        let p = prepared;
        let mut sim_times = Vec::with_capacity(runs);
        let mut stats = None;
        for _ in 0..runs {
            let start = std::time::Instant::now();
            let t = pathrules::experiment::run(&p.system, &p.initial, &p.protocol, times, settings)
                .map_err(|e| self.error(&e.in_unit(time_unit).to_string()))?;
            sim_times.push(start.elapsed().as_secs_f64());
            stats = Some(t.stats);
        }
        Ok((median(&mut sim_times), stats.unwrap_or_default()))
    }

    fn write_report(&self, manifest: &Path, out: &Path) -> Result<(), Failed> {
        let project = self.project(manifest)?;
        let literature = self.literature(&project)?;
        let comparison = self.comparison(&project)?;
        let hypotheses = &project.hypotheses;
        // The base hypothesis's verdicts and predictions, as compare ran them.
        let base = &hypotheses[0].checked;
        let verdicts = comparison.verdicts.first().cloned().unwrap_or_default();
        let predictions = comparison.base_predictions(&base.model).map_err(|why| {
            self.error(&format!(
                "the report needs every experiment of the base hypothesis `{}`, and one \
                 could not be run: {why}",
                hypotheses[0].name
            ))
        })?;
        let names: Vec<&str> = hypotheses.iter().map(|h| h.name.as_str()).collect();
        let title = format!("pathrules report: {}", names.join(", "));
        let html = pathrules::output::report::html(&pathrules::output::report::Report {
            title: &title,
            model: &base.model,
            verdicts: &verdicts,
            predictions: &predictions,
            comparison: &comparison,
            literature: literature.as_ref().map(|(_, table)| table),
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
        use pathrules::output::sbml::{self, Setup};
        let checked = self.load(file)?;
        let (model, system) = (&checked.model, &checked.system);
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".to_string());
        let setup = match (experiment, genotype) {
            (Some(name), _) => {
                let e = &model.experiments[self.experiment("`--experiment`", model, name)?];
                let settings = Settings::default();
                let prepared = pathrules::experiment::prepare(
                    model,
                    system,
                    e,
                    &settings,
                    &mut Starts::default(),
                )
                .map_err(|err| {
                    self.error(&format!(
                        "experiment `{}`: no steady state to start from: {err}",
                        e.name
                    ))
                })?;
                Setup::for_experiment(format!("{stem}_{}", e.name), model, e.genotype, &prepared)
            }
            (None, Some(g)) => {
                let names: Vec<&str> = model.genotypes.iter().map(|x| x.name.as_str()).collect();
                let k = self.find("`--genotype`", "genotype", g, &names)?;
                Setup::for_genotype(
                    format!("{stem}_{g}"),
                    model,
                    system,
                    Some(GenotypeId(k as u32)),
                )
            }
            (None, None) => Setup::for_genotype(stem, model, system, None),
        };
        Ok(self.emit(out, &sbml::write(model, &setup))?)
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
            &pathrules::output::graph::write(&checked.model, &checked.network, format.into(), view),
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

    /// The solver flags as `Settings`. Each flag given is judged alone by the library's
    /// rule (`Settings::validate`, the defaults for the others), so the error names the
    /// flag at fault and says what to give.
    fn settings(&self, args: &SolverArgs) -> Result<Settings, Usage> {
        let defaults = Settings::default();
        let refused = |one: Settings| one.validate().is_err();
        if let Some(r) = args.rtol
            && refused(Settings {
                rtol: r,
                ..defaults
            })
        {
            return Err(self.usage(
                &format!("`--rtol {r}` is not between 0 and 1"),
                "give a relative tolerance such as `1e-6` (the default)",
            ));
        }
        if let Some(a) = args.atol
            && refused(Settings {
                atol: a,
                ..defaults
            })
        {
            return Err(self.usage(
                &format!("`--atol {a}` is not a positive number"),
                "give an absolute tolerance in the model's concentration unit, such as \
                 `1e-9` (the default)",
            ));
        }
        if let Some(m) = args.max_steps
            && refused(Settings {
                max_steps: m,
                ..defaults
            })
        {
            return Err(self.usage(
                &format!("`--max-steps {m}` allows the solver no step"),
                "give a positive count such as `100000` (the default)",
            ));
        }
        Ok(Settings {
            method: args.solver.into(),
            linear: args.linear.into(),
            rtol: args.rtol.unwrap_or(defaults.rtol),
            atol: args.atol.unwrap_or(defaults.atol),
            max_steps: args.max_steps.unwrap_or(defaults.max_steps),
            ..defaults
        })
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

/// The median of `v`, which is not empty (the upper one of an even count).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
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

/// The most repetitions `bench` takes: the median of a thousand is already steady to
/// the timer's noise, and a count near `usize::MAX` would only run until killed.
const MAX_RUNS: usize = 1000;

/// A count that may be beyond any integer type: `1440`, `1.0e308`, `inf`.
fn show_count(x: f64) -> String {
    if x < 1e15 {
        thousands(x.ceil() as usize)
    } else {
        format!("{x:.1e}")
    }
}
