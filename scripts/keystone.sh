#!/usr/bin/env bash
# Starts a private Keystone (Debian's keystone package) on loopback for
# vfnet's external-Keystone test and prints its v3 URL with the bootstrap
# admin's credentials on stdout (everything else goes to stderr):
#
#   export VFNET_TEST_KEYSTONE=$(scripts/keystone.sh)
#   # http://admin:PASSWORD@127.0.0.1:PORT/v3
#
# Idempotent: a Keystone already running from the directory is reused. It
# lives in $VFNET_KS_DIR (default /var/tmp/vfnet-keystone): its own
# keystone.conf (SQLite, fernet tokens), keys and log, served by uwsgi on
# 127.0.0.1 at a free port. Stop it with: scripts/keystone.sh stop
#
# Two things learnt the hard way (../shared/spec/identity.md): uwsgi's
# --http-socket needs "Connection: close" or keystoneauth's reused
# connections get reset, and the config directory must hold nothing but
# keystone.conf, with no empty policy_dirs, or oslo.policy parses every file
# in it as policy and Keystone answers 500. Its SQLite database is put in
# WAL mode: in SQLite's default rollback journal, a read transaction that
# Keystone's connection pool leaves open blocks every commit ("database is
# locked", 500 after 5 s).
set -euo pipefail

dir=${VFNET_KS_DIR:-/var/tmp/vfnet-keystone}

for cmd in keystone-manage uwsgi; do
	command -v $cmd >/dev/null || { echo "keystone.sh: $cmd is missing; run scripts/deps.sh (it installs keystone, uwsgi-core and uwsgi-plugin-python3)" >&2; exit 1; }
done

url() { echo "http://admin:$(cat "$dir/admin-password")@127.0.0.1:$(cat "$dir/port")/v3"; }
running() { [[ -f $dir/pid ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }

if [[ ${1:-} == stop ]]; then
	running && kill "$(cat "$dir/pid")" || true
	rm -f "$dir/pid"
	exit 0
fi

if running && [[ -f $dir/port ]] && curl -sf "http://127.0.0.1:$(cat "$dir/port")/v3" >/dev/null; then
	url
	exit 0
fi

mkdir -p "$dir/etc"
[[ -f $dir/admin-password ]] || head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$dir/admin-password"
chmod 600 "$dir/admin-password"

port=35357
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
	port=$((port + 1))
done
echo "$port" >"$dir/port"

cat >"$dir/etc/keystone.conf" <<CONF
[DEFAULT]
log_file = $dir/keystone.log
[database]
connection = sqlite:///$dir/keystone.db
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = $dir/fernet-keys
[fernet_receipts]
key_repository = $dir/fernet-keys
[credential]
key_repository = $dir/credential-keys
CONF

manage() { keystone-manage --config-file "$dir/etc/keystone.conf" "$@"; }
if [[ ! -f $dir/bootstrapped ]]; then
	echo "== keystone-manage db_sync, fernet_setup, credential_setup, bootstrap in $dir (about a minute)" >&2
	rm -f "$dir/keystone.db"
	manage db_sync >&2
	manage fernet_setup --keystone-user root --keystone-group root >&2
	manage credential_setup --keystone-user root --keystone-group root >&2
fi
# bootstrap is idempotent; it also puts the identity endpoints at this run's port.
manage bootstrap --bootstrap-password "$(cat "$dir/admin-password")" \
	--bootstrap-admin-url "http://127.0.0.1:$port/v3/" --bootstrap-internal-url "http://127.0.0.1:$port/v3/" \
	--bootstrap-public-url "http://127.0.0.1:$port/v3/" --bootstrap-region-id RegionOne >&2
/usr/bin/python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")' "$dir/keystone.db"
touch "$dir/bootstrapped"

echo "== uwsgi keystone-wsgi-public on 127.0.0.1:$port" >&2
OS_KEYSTONE_CONFIG_DIR=$dir/etc OS_KEYSTONE_CONFIG_FILES=keystone.conf \
	setsid uwsgi --http-socket "127.0.0.1:$port" --add-header "Connection: close" \
	--plugin python3 --wsgi-file /usr/bin/keystone-wsgi-public --master --processes 1 --threads 4 \
	--die-on-term --lazy-apps --buffer-size 65535 --logto "$dir/uwsgi.log" --pidfile "$dir/pid" --daemonize2 "$dir/uwsgi.log" >&2
for _ in $(seq 120); do
	curl -sf "http://127.0.0.1:$port/v3" >/dev/null && { url; exit 0; }
	sleep 0.5
done
tail -30 "$dir/uwsgi.log" "$dir/keystone.log" >&2 || true
echo "keystone.sh: Keystone did not answer on 127.0.0.1:$port within 60 s" >&2
exit 1
