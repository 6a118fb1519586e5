#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL server, then stops the server and deletes it:
#   scripts/with-postgres.sh dotnet test tests/Host.Tests -c Release --filter "FullyQualifiedName~Postgres"
# ./scripts/test.sh runs the whole suite this way, so the PostgreSQL ledger is tested on every run.
#  - Uses the PostgreSQL binaries on PATH or under /usr/lib/postgresql/*/bin (the newest); when there
#    are none, installs Debian's "postgresql" package (needs root and apt-get, as on CI) without
#    letting it create or start a cluster of its own.
#  - A fresh data directory under the temporary directory, initdb'd with a random password; the
#    server runs as a user that is not root (initdb and postgres refuse root): the current user, or,
#    as root, the "postgres" user the package creates (or a system user made for this).
#  - Listens on 127.0.0.1 at a free port, and on a unix socket in its own directory only.
#  - The command gets AKKAPROXY_TEST_POSTGRES, an Npgsql connection string for a superuser on the
#    "postgres" database (tests create a database of their own each), and AKKAPROXY_TEST_POSTGRES_PID,
#    the server's process id; its exit status is this script's. The server is stopped and its directory removed on every exit, failure or signal.
#  - Not durable by default (fsync off: a test server needs no crash safety, and CREATE DATABASE per
#    test is then cheap). AKKAPROXY_PG_DURABLE=1 keeps PostgreSQL's defaults (the benchmark does).
set -euo pipefail
[ "$#" -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }

pg_bin_dir() { # the directory holding initdb, pg_ctl and pg_isready; empty when there is none
  local candidate dir
  if candidate="$(command -v pg_ctl 2>/dev/null)"; then
    dir="$(dirname "$(readlink -f "$candidate")")"
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_isready" ]; then echo "$dir"; return; fi
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4 -rn); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/pg_isready" ]; then echo "$dir"; return; fi
  done
}

bin="$(pg_bin_dir)"
if [ -z "$bin" ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "PostgreSQL is required for the ledger tests: install Debian's postgresql package, or run as root to let this script do it." >&2
    exit 1
  fi
  echo "Installing PostgreSQL from Debian's packages..." >&2
  # The package would create a cluster and start it on port 5432; the tests run their own server.
  # Debian's own switch for that (postgresql-common's createcluster.conf), kept by dpkg (confold).
  conf=/etc/postgresql-common/createcluster.conf
  if [ -f "$conf" ]; then
    sed -i -E 's/^#?[[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' "$conf"
    grep -q '^create_main_cluster = false' "$conf" || echo "create_main_cluster = false" >>"$conf"
  else
    mkdir -p "$(dirname "$conf")"
    echo "create_main_cluster = false" >"$conf"
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold postgresql >/dev/null
  bin="$(pg_bin_dir)"
  [ -n "$bin" ] || { echo "PostgreSQL was installed, but no initdb/pg_ctl/pg_isready was found under /usr/lib/postgresql/*/bin." >&2; exit 1; }
fi

# The server's user: never root.
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  user=postgres
  if ! id "$user" >/dev/null 2>&1; then
    user=akkaproxy-pg
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  fi
  as_user=(runuser -u "$user" --)
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/akkaproxy-pg.XXXXXX")"
chmod 755 "$dir"
data="$dir/data"
started=0
cleanup() {
  if [ "$started" -eq 1 ]; then
    "${as_user[@]}" "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
printf '%s\n' "$password" >"$dir/pwfile"
[ -z "${as_user[*]}" ] || chown "$user" "$dir" "$dir/pwfile"
chmod 600 "$dir/pwfile"
"${as_user[@]}" "$bin/initdb" -D "$data" -U akkaproxy --pwfile="$dir/pwfile" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; echo "initdb failed." >&2; exit 1; }
rm -f "$dir/pwfile"

settings="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=300"
if [ "${AKKAPROXY_PG_DURABLE:-0}" != 1 ]; then
  settings="$settings -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 40000))
  port_free "$port" || continue
  if "${as_user[@]}" "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 -o "-p $port $settings" start >/dev/null 2>&1; then
    started=1
    break
  fi
  # Another process may have taken the port between the check and the bind: try another.
done
if [ "$started" -ne 1 ]; then
  cat "$dir/server.log" >&2 2>/dev/null || true
  echo "The throwaway PostgreSQL server did not start." >&2
  exit 1
fi
"$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30 || { cat "$dir/server.log" >&2; echo "PostgreSQL does not accept connections." >&2; exit 1; }
echo "PostgreSQL $("$bin/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port (data in $data, stopped and removed at exit)." >&2

export AKKAPROXY_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=akkaproxy;Password=$password;Database=postgres"
export AKKAPROXY_TEST_POSTGRES_PID="$(head -n 1 "$data/postmaster.pid")" # the server's process (the benchmark reads its CPU time)
set +e
"$@"
status=$?
set -e
exit "$status"
