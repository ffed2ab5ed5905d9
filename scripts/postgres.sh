#!/usr/bin/env bash
# Starts a private PostgreSQL cluster for vfnet's tests and prints its URL on
# stdout (everything else goes to stderr):
#
#   export VFNET_TEST_POSTGRES=$(scripts/postgres.sh)
#
# Idempotent: a cluster already running in the directory is reused. The
# cluster lives in $VFNET_PG_DIR (default /var/tmp/vfnet-pg), listens on
# 127.0.0.1 at a free port and on a unix socket in that directory, and trades
# durability for speed (fsync off): it holds nothing but test data.
# Stop it with: scripts/postgres.sh stop
set -euo pipefail

dir=${VFNET_PG_DIR:-/var/tmp/vfnet-pg}
db=vfnet

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -z $bin || ! -x $bin/initdb ]]; then
	echo "postgres.sh: no PostgreSQL server found under /usr/lib/postgresql; run scripts/deps.sh (it installs the postgresql package)" >&2
	exit 1
fi

# initdb and the server refuse to run as root: run them as the postgres user
# the Debian package creates, or as whoever runs this script otherwise.
as() { "$@"; }
owner=$(id -un)
if [[ $(id -u) == 0 ]]; then
	as() { runuser -u postgres -- "$@"; }
	owner=postgres
fi

url() { echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/$db?sslmode=disable"; }

if [[ ${1:-} == stop ]]; then
	[[ -d $dir/data ]] && as "$bin/pg_ctl" -D "$dir/data" -m fast stop >&2 || true
	exit 0
fi

mkdir -p "$dir"
chown "$owner" "$dir"
if [[ ! -f $dir/data/PG_VERSION ]]; then
	rm -rf "$dir/data"
	echo "== initdb $dir/data" >&2
	as "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
fi

if as "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 && [[ -f $dir/port ]]; then
	url
	exit 0
fi

# A free port: one nothing answers on.
port=55432
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
	port=$((port + 1))
done
echo "$port" >"$dir/port"

echo "== pg_ctl start on 127.0.0.1:$port (socket in $dir)" >&2
as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
	"-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2 ||
	{ cat "$dir/server.log" >&2; exit 1; }

if ! as "$bin/psql" -h "$dir" -p "$port" -U postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" postgres | grep -q 1; then
	as "$bin/createdb" -h "$dir" -p "$port" -U postgres "$db"
fi
url
