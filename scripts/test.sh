#!/usr/bin/env bash
# Runs every test of the solution: the README's test command, and what .ci/run calls.
# Installs what the tests need first (idempotent), so a fresh clone needs nothing else.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/setup-test-deps.sh"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
dotnet test AkkaProxy.sln --nologo -c Release 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for CI: the totals of every test assembly.
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -Eo 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # the build or a test host failed before any test could report
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
