#!/bin/sh
# Screenshot a suite's report page (index.html) in headless Chromium, to check how it reads in a browser:
# tables that scroll sideways instead of wrapping, figures at their default size.
#
#   benchmarks/screenshot_report.sh RESULTS_DIR [OUT.png] [WIDTHxHEIGHT]
#
# RESULTS_DIR is the --out directory of `gradmethods run` (it holds index.html). Needs Chromium
# (Debian: apt-get install -y chromium). Default output: RESULTS_DIR/report.png at 1400x2400.
set -eu
dir=${1:?usage: $0 RESULTS_DIR [OUT.png] [WIDTHxHEIGHT]}
out=${2:-$dir/report.png}
size=${3:-1400x2400}
page=$(cd "$dir" && pwd)/index.html
[ -f "$page" ] || { echo "no index.html in $dir (write one with: gradmethods plot $dir)" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "Chromium not found (Debian: apt-get install -y chromium)" >&2; exit 1; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" \
    --screenshot="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")" --window-size="${size%x*},${size#*x}" \
    "file://$page" 2>/dev/null
echo "wrote $out"
