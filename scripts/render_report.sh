#!/usr/bin/env bash
# Renders an HTML report to PNG in headless Chromium (Debian's chromium package),
# to see it as a browser does: `scripts/render_report.sh report.html report.png`.
# Installs chromium when it is missing and this runs as root.
set -euo pipefail
html=$(realpath "$1")
png=$(realpath -m "${2:-${1%.html}.png}")
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is not installed (apt-get install chromium)" >&2
    exit 1
  fi
fi
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size=1100,4000 --screenshot="$png" "file://$html" 2>/dev/null
test -s "$png"
echo "$png"
