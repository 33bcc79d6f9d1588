#!/usr/bin/env bash
# The tests: sets up the Python tools the SBML cross-check needs (.venv), then runs
# every Rust test, the cross-check among them. Extra arguments go to `cargo test`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
PATHRULES_PYTHON=$("$root/scripts/setup-python.sh")
export PATHRULES_PYTHON
cd "$root"
cargo test "$@"
