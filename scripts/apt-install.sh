#!/usr/bin/env bash
# Installs Debian packages for the ensure-* scripts: `apt-install.sh <who> [apt-get install options] <package>...`. Needs root (or sudo) and the
# Debian archive; says so, naming the packages, when it has neither.
set -euo pipefail

WHO="$1"
shift
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "$WHO: not root and no sudo: install Debian's $* yourself" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq "$@" >/dev/null
