#!/usr/bin/env bash
# `make test`: the PostgreSQL half (`make test-postgres`) in the background, its output kept in a
# file and printed when it ends, while the SQLite half (`make test-sqlite`, with lint) runs in the
# foreground; fails if either half fails. The halves share nothing: each has its own test
# databases and starts its own servers on free ports.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp /tmp/immunosite-test-postgres.XXXXXX)
trap 'rm -f "$log"' EXIT
make --no-print-directory test-postgres >"$log" 2>&1 &
postgres_pid=$!
echo "test: the PostgreSQL half runs meanwhile; its output follows the SQLite half's"
make --no-print-directory test-sqlite
sqlite=$?
wait "$postgres_pid"
postgres=$?
echo "==================== the PostgreSQL half (make test-postgres) ===================="
cat "$log"
echo "test: SQLite half $([ "$sqlite" = 0 ] && echo passed || echo FAILED)," \
  "PostgreSQL half $([ "$postgres" = 0 ] && echo passed || echo FAILED)"
[ "$sqlite" = 0 ] && [ "$postgres" = 0 ]
