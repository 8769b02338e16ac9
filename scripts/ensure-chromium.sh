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

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ensure-chromium: no chromium or Chrome found and we are not root; install Debian's 'chromium' package or set CHROMIUM_BIN" >&2
    exit 1
  fi
fi

echo "ensure-chromium: installing Debian chromium (one time)..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version >&2 2>/dev/null || true
