#!/usr/bin/env bash
# Runs every test of the solution: the README's test command, and what .ci/run calls.
# Installs what the tests need first (idempotent), so a fresh clone needs nothing else.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The repository stands alone: no tracked file may lean on the workspace folder that sits beside
# some checkouts (its protocol notes, its conformance corpus). Checked before anything is built.
# The patterns are assembled from pieces so that this script does not match its own check.
outside="shared"
standalone_patterns=("../${outside}" "${outside}/protocols.md" "${outside}/conformance")
find_mentions() { # prints file:line:text for every mention of $1; exit 1 when none, >1 on error
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git grep -n -F -e "$1" -- .
  else # not a git checkout (an unpacked archive): every file, build output excluded
    grep -rnF --exclude-dir=bin --exclude-dir=obj --exclude-dir=node_modules --exclude-dir=.git -e "$1" .
  fi
}
standalone_failed=0
for pattern in "${standalone_patterns[@]}"; do
  set +e
  find_mentions "$pattern" >&2
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    echo "error: the lines above mention '$pattern', which lies outside the repository." >&2
    standalone_failed=1
  elif [ "$rc" -ne 1 ]; then
    echo "error: searching for '$pattern' failed (exit $rc)." >&2
    standalone_failed=1
  fi
done
if [ "$standalone_failed" -ne 0 ]; then
  echo "The repository must stand alone: vendor what a file needs into it, or point at docs/protocol-notes.md." >&2
  echo "tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi

"$root/scripts/setup-test-deps.sh"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
# Beside a throwaway PostgreSQL server (installed from Debian's packages when missing, stopped and
# deleted afterwards): the ledger's PostgreSQL tests run on every run, and fail without it.
"$root/scripts/with-postgres.sh" dotnet test AkkaProxy.sln --nologo -c Release 2>&1 | tee "$log"
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
