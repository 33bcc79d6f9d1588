//! The `pathrules` binary: parse the command line and hand it to `cli`.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::run(cli::Cli::parse())
}
