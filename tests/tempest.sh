#!/usr/bin/env bash
# Runs tempest's network API tests (Debian's tempest 33) against `vfnet dev`
# on loopback with a temporary data directory, logging in through vfnet's
# own identity with dynamic credentials, and fails when a test outside
# tests/tempest-expected.txt fails, or when a test listed there passes
# (the list must stay true). docs/tempest.md has the counts and reasons.
#
#   tests/tempest.sh [REGEX]    (default: the selection below)
#
# Needs: tempest (scripts/deps.sh installs it), Go (or VFNET_BIN, a built
# vfnet). TEMPEST_TIMEOUT bounds
# the run (seconds, default 900); TEMPEST_CONCURRENCY the workers (default
# 6: tempest's subnets client sleeps 10 s before every subnet delete, so the
# workers mostly wait, and more of them cut the wall time, not the CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH=/usr/local/go/bin:$PATH

regex=${1:-'^tempest\.api\.network\.(test_networks|test_networks_negative|test_ports|admin\.test_ports|test_extensions|test_versions)\.'}
work=$(mktemp -d /tmp/vfnet-tempest.XXXXXX)
dev_pid=
cleanup() {
	if [[ -n $dev_pid ]]; then kill "$dev_pid" 2>/dev/null || true; wait "$dev_pid" 2>/dev/null || true; fi
	if [[ ${KEEP_TEMPEST_DIR:-} == 1 ]]; then echo "tempest: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

command -v tempest >/dev/null || { echo "tempest: the tempest command is missing: install Debian's tempest (scripts/deps.sh does)" >&2; exit 1; }

if [[ -n ${VFNET_BIN:-} ]]; then cp "$VFNET_BIN" "$work/vfnet"; else go build -o "$work/vfnet" ./cmd/vfnet; fi
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
VFNET_BOOTSTRAP_PASSWORD=$password "$work/vfnet" dev --hosts 0 --data "$work/data" --listen 127.0.0.1:0 >"$work/dev.log" 2>&1 &
dev_pid=$!
url=
for _ in $(seq 100); do
	url=$(sed -n 's/^vfnet dev: server on \([^ ]*\) .*/\1/p' "$work/dev.log")
	[[ -n $url ]] && break
	kill -0 "$dev_pid" 2>/dev/null || { cat "$work/dev.log" >&2; echo "tempest: vfnet dev exited" >&2; exit 1; }
	sleep 0.2
done
[[ -n $url ]] || { cat "$work/dev.log" >&2; echo "tempest: vfnet dev printed no URL" >&2; exit 1; }
export VFNET_URL=$url VFNET_TOKEN=$(cat "$work/data/admin-token")
# Project networks take their VLAN from a vlan data network's ranges.
"$work/vfnet" datanetwork-add physnet0 vlan --segment-range 100-3999 >/dev/null
# The public network test_external_network_visibility looks for: external,
# flat on a data network of its own, the admin's.
"$work/vfnet" datanetwork-add public flat >/dev/null
public_id=$(curl -sf -X POST -H "X-Auth-Token: $VFNET_TOKEN" "$url/v2.0/networks" -d \
	'{"network":{"name":"public","router:external":true,"provider:network_type":"flat","provider:physical_network":"public"}}' |
	/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["network"]["id"])')

# api_extensions: exactly what vfnet lists, so tempest skips what it lacks.
extensions=$(curl -sf -H "X-Auth-Token: $VFNET_TOKEN" "$url/v2.0/extensions" |
	/usr/bin/python3 -c 'import json, sys; print(",".join(sorted(e["alias"] for e in json.load(sys.stdin)["extensions"])))')

mkdir -p "$work/ws/etc"
cat >"$work/ws/etc/tempest.conf" <<CONF
[DEFAULT]
log_file = $work/ws/tempest.log

[auth]
admin_username = admin
admin_password = $password
admin_project_name = admin
admin_domain_name = Default
use_dynamic_credentials = true
create_isolated_networks = false

[identity]
uri_v3 = $url/identity/v3
auth_version = v3
region = RegionOne
v3_endpoint_type = public

[identity-feature-enabled]
api_v2 = false

[service_available]
neutron = true
nova = false
glance = false
cinder = false
swift = false
heat = false
horizon = false

[network]
project_network_cidr = 10.100.0.0/16
project_network_mask_bits = 28
project_network_v6_cidr = 2001:db8::/48
project_network_v6_mask_bits = 64
project_networks_reachable = false
shared_physical_network = false
public_network_id = $public_id
endpoint_type = publicURL
region = RegionOne

[network-feature-enabled]
api_extensions = $extensions
ipv6 = true
ipv6_subnet_attributes = true
floating_ips = false
port_security = true

[validation]
run_validation = false
CONF
cat >"$work/ws/.stestr.conf" <<CONF
[DEFAULT]
test_path=$(/usr/bin/python3 -c 'import os, tempest; print(os.path.dirname(tempest.__file__))')/test_discover
top_dir=$(/usr/bin/python3 -c 'import os, tempest; print(os.path.dirname(os.path.dirname(tempest.__file__)))')
CONF

echo "== tempest against $url (extensions: $extensions)"
cd "$work/ws"
start=$(date +%s)
set +e
HOME=$work TEMPEST_CONFIG_DIR=$work/ws/etc timeout "${TEMPEST_TIMEOUT:-900}" \
	tempest run --regex "$regex" --concurrency "${TEMPEST_CONCURRENCY:-6}" >"$work/run.log" 2>&1
rc=$?
set -e
echo "== tempest took $(( $(date +%s) - start )) s (exit $rc)"
if ((rc == 124)); then tail -50 "$work/run.log"; echo "tempest: timed out after ${TEMPEST_TIMEOUT:-900} s" >&2; exit 1; fi
# stestr's subunit stream has every test's status; list them.
stestr last --subunit >"$work/results.subunit" || true # exits 1 when a test failed
subunit2csv <"$work/results.subunit" >"$work/results.csv" || true # exits 1 too
grep -E '\.\.\. (SKIPPED|FAILED)' "$work/run.log" | sed 's/^{[0-9]*} //' || true
/usr/bin/python3 "$repo/tests/tempest_check.py" "$work/results.csv" "$repo/tests/tempest-expected.txt"
