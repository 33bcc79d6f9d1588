#!/usr/bin/env bash
# Makes .venv with libRoadRunner and libSBML for scripts/sbml_check.py, unless it is
# there already with them; prints the interpreter's path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
if ! "$venv/bin/python" -c "import roadrunner, libsbml" >/dev/null 2>&1; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/requirements.txt" >&2
fi
echo "$venv/bin/python"
