#!/usr/bin/env bash
# `npm test`: the type-check (tsc --noEmit), jest (with its coverage threshold) and the Python tests
# (`npm run test:python`), run side by side instead of one after the other: tsc and pytest are single-threaded and
# take about a minute together, while jest keeps its two workers busy for minutes, so on 2 cores the three share the
# CPU and finish about half a minute sooner. Jest prints as it goes; tsc's and pytest's output follows when each
# has ended. Fails (exit 1) if any of the three fails, naming which. Extra arguments go to jest.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-chromium.sh
bash scripts/ensure-python.sh

logs="$(mktemp -d "${TMPDIR:-/tmp}/modelstack-test-XXXXXX")"
running=()
# On an interrupt, the background checks stop too.
trap 'for pid in "${running[@]}"; do kill "$pid" 2>/dev/null; done; rm -rf "$logs"' EXIT

npx tsc --noEmit -p tsconfig.json >"$logs/tsc" 2>&1 &
tsc_pid=$!
npm run --silent test:python >"$logs/python" 2>&1 &
python_pid=$!
running=("$tsc_pid" "$python_pid")

failed=()
npx jest "$@" || failed+=(jest)
wait "$tsc_pid" || failed+=("tsc --noEmit")
wait "$python_pid" || failed+=("npm run test:python")
running=()

echo
echo "tsc --noEmit:"
if [ -s "$logs/tsc" ]; then cat "$logs/tsc"; else echo "  no errors"; fi
echo "npm run test:python:"
cat "$logs/python"

if [ "${#failed[@]}" -gt 0 ]; then
  printf 'npm test: failed: %s\n' "$(IFS=,; echo "${failed[*]}")" >&2
  exit 1
fi
