//! Stage 8, output: results in, text out (tables, graphs, verdicts, comparisons, SBML,
//! plots and the HTML report).
//!
//! Writers return strings; only the CLI puts them in files or on the terminal.

pub mod compare;
pub mod fit;
pub mod graph;
pub mod literature;
pub mod plot;
pub mod report;
pub mod sbml;
pub mod summary;
pub mod table;
pub mod verdict;
