//! The `pathrules` binary: hand the command line to `cli`, which decides the exit code.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
