#!/usr/bin/env bash
# Makes sure Debian's Python (/usr/bin/python3) has the packages the training code, the model server and their
# tests need: scikit-learn, xgboost, FastAPI, uvicorn, httpx (starlette's TestClient), pandas, scipy, joblib,
# pytest and boto3 (the Track step reads a tuning job's trials with it; its tests run it against a loopback fake). Debian's packages are the versions containers/model-server/requirements.txt pins, so the models trained
# here load in the container. Idempotent and silent when they are there; otherwise installs the
# Debian packages (about 45 s), which needs root (or sudo) and the Debian archive.
set -euo pipefail

PYTHON=/usr/bin/python3
MODULES="sklearn xgboost fastapi uvicorn httpx pandas scipy joblib pytest boto3"
PACKAGES="python3-sklearn python3-xgboost python3-fastapi python3-uvicorn python3-httpx python3-pandas python3-scipy python3-joblib python3-pytest python3-boto3"

check() {
  # find_spec locates each package without importing it (importing them all takes seconds).
  [ -x "$PYTHON" ] && "$PYTHON" -c "import importlib.util, sys; sys.exit(any(importlib.util.find_spec(m) is None for m in sys.argv[1:]))" $MODULES >/dev/null 2>&1
}

if check; then
  exit 0
fi

echo "ensure-python: installing Debian's Python packages (one time, about 45 s)..." >&2
# shellcheck disable=SC2086
bash "$(dirname "$0")/apt-install.sh" ensure-python --no-install-recommends python3 $PACKAGES
if ! check; then
  echo "ensure-python: $PYTHON still cannot import all of: $MODULES" >&2
  exit 1
fi
