#!/usr/bin/env bash
# Regenerates docs/report.png (shown in the README): the HTML report of a sandbox load of the
# sample batch, as headless Chromium renders it. Needs a built dist/ and Debian's `chromium`.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node bin/invoice-load.js --sandbox --state-dir "$tmp/state" --quiet --report-html "$tmp/report.html" fixtures/sample-batch.csv >/dev/null
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$tmp/profile" \
  --run-all-compositor-stages-before-draw --virtual-time-budget=5000 --window-size=1280,900 --screenshot="$PWD/docs/report.png" "file://$tmp/report.html" 2>/dev/null
echo "wrote docs/report.png"
