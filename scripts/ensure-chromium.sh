#!/usr/bin/env bash
# Makes sure a headless Chromium is there for the HTML report render test (test/cli/html-render.test.ts).
# Uses $CHROMIUM_BIN, or an installed chromium/Chrome; otherwise installs Debian's chromium package.
# Idempotent and silent when a browser is already there. Installing needs root (or sudo) and the Debian archive.
set -euo pipefail

for candidate in "${CHROMIUM_BIN:-}" /usr/bin/chromium chromium chromium-browser google-chrome google-chrome-stable; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
    exit 0
  fi
done

echo "ensure-chromium: installing Debian chromium (one time)..." >&2
bash "$(dirname "$0")/apt-install.sh" ensure-chromium chromium
/usr/bin/chromium --version >&2 2>/dev/null || true
