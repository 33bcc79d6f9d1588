//! The command line's flags as clap reads them: types only, no behaviour beyond
//! turning a flag's value into the library's own type. What a command does with its
//! flags is in `cli` itself.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use pathrules::output::graph::GraphFormat;
use pathrules::output::table::Format;
use pathrules::solve::{Linear, Method};

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
    pub color: Color,
    /// Without a command: `compare` on ./pathrules.toml
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
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
        /// How long to simulate, e.g. `7d`, `90 min`, `30s` or `7d + 1h` (no unit: the
        /// model's time unit) [default: 1d]
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
    /// Check the pathways' citations against the manifest's `[literature] table`: every
    /// cited id has its source, every source is cited; list the sources by confidence
    Sources {
        /// The project manifest
        #[arg(default_value = "pathrules.toml")]
        manifest: PathBuf,
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
        /// Judge each hypothesis on every set of its calibrated ensemble (the
        /// `[calibration] dir`'s H.calibrated.json, written by `fit`) instead of draws
        /// from the ranges. Every set is judged, so --samples and --seed are not used, and
        /// the sets are judged whole in one run: --shard and --out are refused with it
        #[arg(long, conflicts_with_all = ["shard", "out"])]
        calibrated: bool,
    },
    /// Calibrate each hypothesis within its declared ranges: search its free parameters
    /// for a set meeting every expectation (CMA-ES from several starts), then walk the
    /// sets that do; writes H.fit.pathway, H.calibrated.json and H.report.md per
    /// hypothesis
    Fit {
        /// The project manifest
        #[arg(default_value = "pathrules.toml")]
        manifest: PathBuf,
        /// Fit only this hypothesis [default: every hypothesis of the manifest]
        #[arg(long)]
        hypothesis: Option<String>,
        /// The seed: the same seed gives the same result on any number of threads
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Evaluations the search may spend per hypothesis, over all its starts
        #[arg(long, default_value_t = 2000)]
        budget: usize,
        /// Independent searches per hypothesis: the first from the declared values, the
        /// others from random points of the ranges
        #[arg(long, default_value_t = 4)]
        starts: usize,
        /// Distinct parameter sets in each calibrated ensemble
        #[arg(long, default_value_t = 200)]
        samples: usize,
        /// Where to write the files [default: the manifest's `[calibration] dir`, else
        /// `calibration` beside the manifest]
        #[arg(long, short)]
        out: Option<PathBuf>,
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
pub struct SolverArgs {
    /// Integration method: `bdf` (stiff, default), `dopri5` or `dop853` (non-stiff)
    #[arg(long, value_enum, default_value_t = SolverArg::Bdf)]
    pub solver: SolverArg,
    /// Relative tolerance [default: 1e-6]
    #[arg(long)]
    pub rtol: Option<f64>,
    /// Absolute tolerance, in the model's concentration unit [default: 1e-9]
    #[arg(long)]
    pub atol: Option<f64>,
    /// Most steps the solver may take in one run [default: 100000]
    #[arg(long)]
    pub max_steps: Option<usize>,
    /// The bdf solver's linear algebra: `dense`, `sparse` (faer's sparse LU, for large
    /// networks), `krylov` (faer's BiCGSTAB, no factorisation: for large networks whose LU
    /// fills in, such as reactions between random partners) or `auto` (dense when a
    /// quarter of the Jacobian is filled; krylov from 500 species with more than 4 terms
    /// per row on average; sparse from 150 species, or from 30 with at most 4 terms per
    /// row; dense below)
    #[arg(long, value_enum, default_value_t = LinearArg::Auto)]
    pub linear: LinearArg,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LinearArg {
    Auto,
    Dense,
    Sparse,
    Krylov,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SolverArg {
    Bdf,
    Dopri5,
    Dop853,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TableFormat {
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
pub enum ExportFormat {
    /// SBML Level 3 Version 2, for libRoadRunner, tellurium and COPASI
    Sbml,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CompareFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum GraphArg {
    Dot,
    Mermaid,
    Graphml,
}

impl From<GraphArg> for GraphFormat {
    fn from(g: GraphArg) -> GraphFormat {
        match g {
            GraphArg::Dot => GraphFormat::Dot,
            GraphArg::Mermaid => GraphFormat::Mermaid,
            GraphArg::Graphml => GraphFormat::GraphMl,
        }
    }
}

impl From<SolverArg> for Method {
    fn from(s: SolverArg) -> Method {
        match s {
            SolverArg::Bdf => Method::Bdf,
            SolverArg::Dopri5 => Method::Dopri5,
            SolverArg::Dop853 => Method::Dop853,
        }
    }
}

impl From<LinearArg> for Linear {
    fn from(l: LinearArg) -> Linear {
        match l {
            LinearArg::Auto => Linear::Auto,
            LinearArg::Dense => Linear::Dense,
            LinearArg::Sparse => Linear::Sparse,
            LinearArg::Krylov => Linear::Krylov,
        }
    }
}
