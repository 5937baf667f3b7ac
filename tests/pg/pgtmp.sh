#!/bin/sh
# A throwaway PostgreSQL for the tests: initdb into a new temporary
# directory, started on a free loopback port with its socket in that
# directory, trust authentication for loopback only, fsync kept on.
#
#   pgtmp.sh start        prints the directory, then the URL on line 2
#   pgtmp.sh stop DIR     stops it and removes DIR
#
# PostgreSQL refuses to run as root: as root the server runs as the
# "postgres" user the Debian package creates (else "nobody").
# PGBIN overrides /usr/lib/postgresql/15/bin; PGTMP_OPTS adds server
# options ("-c name=value ...").
set -e
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

as_owner() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
	else
		runuser -u "$owner" -- "$@"
	fi
}

owner=nobody
id postgres >/dev/null 2>&1 && owner=postgres

case "$1" in
start)
	[ -x "$PGBIN/initdb" ] || { echo "pgtmp: no $PGBIN/initdb" >&2; exit 2; }
	dir=$(mktemp -d /tmp/tocsin-pg-XXXXXX)
	chmod 755 "$dir"
	[ "$(id -u)" -ne 0 ] || chown "$owner" "$dir"
	as_owner "$PGBIN/initdb" -D "$dir/data" -U tocsin -A trust \
	    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2; exit 1; }
	port=$(python3 -c 'import socket; s=socket.socket(); \
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
	    -o "-c listen_addresses=127.0.0.1 -p $port \
-c unix_socket_directories=$dir -c max_connections=200 \
-c shared_buffers=64MB $PGTMP_OPTS" start >/dev/null || {
		cat "$dir/server.log" >&2; exit 1; }
	as_owner "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U tocsin tocsin
	echo "$dir"
	echo "postgresql://tocsin@127.0.0.1:$port/tocsin"
	;;
stop)
	[ -n "$2" ] && [ -d "$2/data" ] || exit 0
	as_owner "$PGBIN/pg_ctl" -D "$2/data" -m immediate stop \
	    >/dev/null 2>&1 || true
	rm -rf "$2"
	;;
*)
	echo "usage: pgtmp.sh start | stop DIR" >&2
	exit 2
	;;
esac
