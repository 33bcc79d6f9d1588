//! pathrules: signalling pathways written as plain text, read into a reaction network,
//! compiled to ODEs and solved.
//!
//! The stages, in data-flow order (see ARCHITECTURE.md):
//! `syntax` (text → AST) → `model` (AST → checked `Model`) → `network` (petgraph graphs,
//! chain checks) → `ode` (compiled `System`) → `solve` (trajectories) → `experiment`
//! (genotypes, steps and doses, steady states, readouts) → `analysis` (expectations,
//! occlusion) → `output` (tables, graphs, verdicts). Each stage is a free function on
//! data and does no I/O; the one exception is `fs`: `FsLoader`, the file-system
//! `Loader` the CLI and examples use, and `fs::write_whole`, the CLI's writer of outputs.
//! `pipeline` runs the stages in order for a caller. This file only declares the
//! modules and names at the crate root what a caller reaches for first.

pub mod analysis;
pub mod experiment;
pub mod fs;
pub mod literature;
pub mod model;
pub mod network;
pub mod ode;
pub mod output;
pub mod pipeline;
pub mod project;
pub mod solve;
pub mod syntax;

pub use experiment::{time_grid, time_grid_len};
pub use fs::FsLoader;
pub use model::{Loaded, Loader, Model};
pub use pipeline::{Checked, check, check_hypothesis, finish, simulate};
pub use syntax::{Diagnostic, Sources};
