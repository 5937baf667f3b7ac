#!/bin/sh
# make bench's PostgreSQL round: tests/bench/bench_ingest.py's tocsin and
# tocsin-pg side by side, the latter on a throwaway server started by
# tests/pg/pgtmp.sh (fsync on, loopback).  Extra arguments go to the bench.
#
#   sh tests/pg/bench.sh BUILD [bench_ingest.py options]
#
# The server is brought to the state of one that has been running.  A
# new server makes each WAL segment it needs as a new 16 MB file, filled
# with zeros while a commit waits for it -- about one a second at this
# load --, where a running one reuses the segments its checkpoints freed
# (as many as min_wal_size keeps).  So 48 segments are made and switched
# through first, and freed by a CHECKPOINT for the runs to reuse
# (docs/performance.md: the p99 at 64 connections, 88 and 96 ms on a new
# server, 75 and 69 ms on one so prepared).
set -e
build=${1:-build}
[ $# -eq 0 ] || shift
cd "$(dirname "$0")/../.."
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
out=$(PGTMP_OPTS="-c min_wal_size=1GB" sh tests/pg/pgtmp.sh start)
dir=$(echo "$out" | sed -n 1p)
url=$(echo "$out" | sed -n 2p)
trap 'sh tests/pg/pgtmp.sh stop "$dir"' EXIT
trap 'exit 1' INT TERM
"$PGBIN/psql" -q -v ON_ERROR_STOP=1 "$url" <<'EOF'
CREATE TABLE bench_wal_warm (n int);
DO $$ BEGIN
  FOR i IN 1..48 LOOP
    INSERT INTO bench_wal_warm VALUES (i);
    PERFORM pg_switch_wal();
  END LOOP;
END $$;
DROP TABLE bench_wal_warm;
CHECKPOINT;
EOF
python3 tests/bench/bench_ingest.py --build "$build" \
    --products tocsin,tocsin-pg --pg "$url" "$@"
