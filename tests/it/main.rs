//! One integration-test binary for the whole crate (one link step instead of many).

mod analytic; // rate laws written in the language, solved and compared with closed forms
mod calibration; // the committed calibrated sets still give their recorded verdicts
mod cli; // the binary: stdout, stderr and exit codes
mod derived; // parameters that are formulas of others, derived in order, set by with_params
mod diagnostics; // every error kind, rendered, one input file each under tests/errors/
mod expectations; // always, once, scaled and offset targets, weights and margins, against a closed-form decay
mod fit; // `fit` recovers known parameters, writes whole files, depends on the seed alone
mod fmt; // `fmt` keeps trees and comments, and is idempotent
mod fuzz; // mutated and truncated pathway files never panic parse and check
mod grammar; // every example in grammar/ and README.md parses
mod hostile; // what a hostile user tries: never a panic, a device overwritten, a silent result
mod hypotheses; // override and remove, the manifest, and compare on the shipped hypotheses
mod jacobian; // compiled Jacobians agree with finite differences
mod native; // the right-hand side as machine code gives the interpreter's bits
mod pathways; // the shipped pathway files check, run and graph
mod predictions; // the shipped experiments and expectations, snapshotted to four digits
mod protocol; // experiments, genotypes, doses, expectations and occlusion against closed forms
mod readme; // every example session in README.md is the binary's current output
mod regression; // inputs that once broke something, named after what broke
mod sbml; // SBML export validated by libSBML and simulated by libRoadRunner
mod sources;
mod thinned; // runs that keep only the times the expectations read give the same verdicts // `sources`: citations checked against the literature table, the report's links
