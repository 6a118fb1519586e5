#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK. Idempotent; safe to run on every test run.
#  - NuGet packages of the solution (dotnet restore);
#  - the official OpenAI Node SDK and "ws" for the WebSocket client test (tests/node, from package-lock.json);
#  - Node.js itself from Debian's packages when it is missing (needs root, as on CI);
#  - Chromium from Debian's packages when /usr/bin/chromium is missing (needs root), for the admin
#    page's browser test (PuppeteerSharp drives it; it never downloads a browser of its own).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required (dotnet not on PATH)." >&2; exit 1; }
dotnet restore "$root/AkkaProxy.sln" --nologo >/dev/null

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "Node.js and npm are required for tests/node (install them, or run as root to let this script do it)." >&2
    exit 1
  fi
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium (/usr/bin/chromium, Debian's chromium package) is required for the admin page's browser test (install it, or run as root to let this script do it)." >&2
    exit 1
  fi
fi

node_dir="$root/tests/node"
stamp="$node_dir/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$node_dir/package-lock.json" -nt "$stamp" ]; then
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
