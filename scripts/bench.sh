#!/usr/bin/env bash
# End-to-end benchmarks: the relay against the direct path, nginx, YARP and the relay's earlier
# build, in one run (~12 minutes).
# Builds Release (the relay and bench/AkkaProxy.YarpTarget), installs nginx and gnuplot from Debian's
# packages when missing (needs root), raises the open-files limit, runs bench/AkkaProxy.LoadHarness,
# and writes docs/benchmarks.md (its "End-to-end load harness" section) and docs/benchmarks.png.
# The earlier build ("relay-before", --baseline REV: the harness builds src/Host at REV in a temporary
# git worktree and removes it afterwards) is BENCH_BASELINE if set, else the last commit before
# issue 8 moved the engine onto Akka.NET (below); --baseline REV or --no-baseline on the command line
# overrides both.
# Everything runs on 127.0.0.1 and stops by itself. Extra arguments go to the harness
# (for example --duration 3, --only chat-sse-20,json, --no-write; see HarnessOptions.cs).
# Not part of the tests: ./scripts/test.sh never runs it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required (dotnet not on PATH)." >&2; exit 1; }

have_nginx() { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; }
missing=()
have_nginx || missing+=(nginx-light)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "Installing ${missing[*]} from Debian's packages..."
    apt-get update -qq
    # Debian's nginx packages start the service on install where an init system runs: the harness
    # starts its own nginx on a free port with its own configuration, so a system one is not used.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root to let this script do it." >&2
    exit 1
  fi
fi

# 1,000 WebSockets through a proxy need ~4,000 descriptors across the processes: raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 8192 ]; then
  echo "warning: open-files limit $(ulimit -n) is below 8192; the 1,000-socket test may fail." >&2
fi

dotnet build src/Host -c Release --nologo -v quiet -clp:ErrorsOnly
dotnet build bench/AkkaProxy.YarpTarget -c Release --nologo -v quiet -clp:ErrorsOnly
dotnet build bench/AkkaProxy.LoadHarness -c Release --nologo -v quiet -clp:ErrorsOnly

# The relay before issue 8 (the engine on Akka.NET): the last commit of main before its first commit.
before_akka=7f1327c52be49b012916a20e77e5d4ddcd5335a1
args=("$@")
if ! printf '%s\n' "$@" | grep -qx -e '--baseline' -e '--no-baseline'; then
  baseline="${BENCH_BASELINE:-$before_akka}"
  if commit="$(git rev-parse --verify -q --short "$baseline^{commit}" 2>/dev/null)"; then
    args=(--baseline "$commit" "${args[@]}")
  else
    echo "warning: '$baseline' is no commit of this repository (not a git checkout?): relay-before is not run; set BENCH_BASELINE=<commit>." >&2
  fi
fi

exec dotnet bench/AkkaProxy.LoadHarness/bin/Release/net10.0/AkkaProxy.LoadHarness.dll "${args[@]}"
