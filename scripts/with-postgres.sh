#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server: installs PostgreSQL with apt-get if it is
# missing, starts a private cluster on an unusual port (so a server already running is left alone),
# exports DATABASE_URL, runs the command, and always stops and removes the cluster.
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
set -euo pipefail

find_pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

PGBIN=$(find_pgbin)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "with-postgres: installing PostgreSQL (apt-get)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
  PGBIN=$(find_pgbin)
fi

PGPORT=${PGPORT:-54329}
free_port() {
  while (echo >"/dev/tcp/127.0.0.1/$PGPORT") 2>/dev/null; do PGPORT=$((PGPORT + 1)); done
}
free_port

PGDATA=$(mktemp -d /tmp/immunosite-pg.XXXXXX)
as_postgres() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres: "$PGDATA"
cleanup() {
  as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap cleanup EXIT

as_postgres "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
# Another cluster may grab the same free port between the check and the start: try the next.
for attempt in 1 2 3 4 5; do
  if as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/log" -w -t 30 \
    -o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
    start >/dev/null; then
    break
  fi
  tail -3 "$PGDATA/log" >&2
  [ "$attempt" = 5 ] && exit 1
  PGPORT=$((PGPORT + 1 + RANDOM % 20))
  free_port
done
"$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qAt \
  -c "CREATE ROLE immunosite LOGIN PASSWORD 'immunosite' CREATEDB" >/dev/null
"$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qAt \
  -c "CREATE DATABASE immunosite OWNER immunosite" >/dev/null

export DATABASE_URL="postgres://immunosite:immunosite@127.0.0.1:$PGPORT/immunosite"
echo "with-postgres: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on port $PGPORT" >&2
"$@"
