#!/bin/sh
# make check-pg: the store's unit tests and the core end-to-end tests
# (tests/e2e/test_core.py: ingest, deadlines, escalation, acknowledgement,
# kill -9 safety) with the store on a throwaway PostgreSQL server, the
# cluster's (tests/e2e/test_cluster.py: one fenced leader, kill -9 and
# SIGSTOP of the leader; with TOCSIN_LONG=1, which make check-pg LONG=1
# sets, also 30 leader kills under the crash loop's load), tocsinctl
# migrate from a SQLite file into it (tests/e2e/test_migrate.py),
# tocsinctl backup of it with pg_dump, restored with pg_restore
# (tests/e2e/test_pg_backup.py), a node started while no read-write
# primary is reachable (tests/e2e/test_pg_wait.py), and the leader cut
# from the server by an iptables rule on its user (tests/e2e/test_pg_cut.py;
# as root with iptables, else skipped).
#
#   sh tests/pg/run.sh BUILD
set -e
build=${1:-build}
cd "$(dirname "$0")/../.."
out=$(sh tests/pg/pgtmp.sh start)
dir=$(echo "$out" | sed -n 1p)
url=$(echo "$out" | sed -n 2p)
trap 'sh tests/pg/pgtmp.sh stop "$dir"' EXIT
trap 'exit 1' INT TERM
echo "== PostgreSQL at $url"
echo "== $build/tests/test_store on PostgreSQL"
(cd tests/unit && TOCSIN_TEST_PG=$url "../../$build/tests/test_store")
echo "== the core, cluster, migrate, backup, wait and cut end-to-end tests on PostgreSQL"
TOCSIN_E2E_PG=$url python3 tests/e2e/run.py --build "$build" \
    --module core,cluster,migrate,pg_backup,pg_wait,pg_cut
