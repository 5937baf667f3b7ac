#!/bin/sh
# make bench's PostgreSQL round: tests/bench/bench_ingest.py's tocsin and
# tocsin-pg side by side, the latter on a throwaway server started by
# tests/pg/pgtmp.sh (fsync on, loopback).  Extra arguments go to the bench.
#
#   sh tests/pg/bench.sh BUILD [bench_ingest.py options]
set -e
build=${1:-build}
[ $# -eq 0 ] || shift
cd "$(dirname "$0")/../.."
out=$(sh tests/pg/pgtmp.sh start)
dir=$(echo "$out" | sed -n 1p)
url=$(echo "$out" | sed -n 2p)
trap 'sh tests/pg/pgtmp.sh stop "$dir"' EXIT
trap 'exit 1' INT TERM
python3 tests/bench/bench_ingest.py --build "$build" \
    --products tocsin,tocsin-pg --pg "$url" "$@"
