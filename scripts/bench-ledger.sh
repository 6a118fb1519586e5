#!/usr/bin/env bash
# Records per second the usage ledger's writer sustains into each store: a SQLite file, and a
# throwaway PostgreSQL server on this machine with PostgreSQL's durable defaults (fsync on,
# synchronous_commit on; scripts/with-postgres.sh with AKKAPROXY_PG_DURABLE=1). Takes a minute or two.
# Arguments: [records per run (200000)] [runs per store (3)]. Prints a Markdown table; not part of
# the tests (./scripts/test.sh never runs it). docs/benchmarks.md ("Ledger writers") has the figures.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dotnet build bench/AkkaProxy.Benchmarks -c Release --nologo -v quiet -clp:ErrorsOnly
AKKAPROXY_PG_DURABLE=1 exec "$root/scripts/with-postgres.sh" \
  dotnet bench/AkkaProxy.Benchmarks/bin/Release/net10.0/AkkaProxy.Benchmarks.dll --ledger "$@"
