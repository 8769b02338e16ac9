#!/usr/bin/env bash
# Installs Debian's chromium (for the HTML report render test) when /usr/bin/chromium is missing.
# Idempotent and silent when it is already there. Needs root (or sudo) and the Debian archive.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ensure-chromium: /usr/bin/chromium is missing and we are not root; install the Debian 'chromium' package" >&2
    exit 1
  fi
fi

echo "ensure-chromium: installing Debian chromium (one time)..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version >&2 2>/dev/null || true
