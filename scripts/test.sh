#!/usr/bin/env bash
# Runs every vfnet test on a fresh Debian machine (as root, as CI does):
# installs what the tests need, starts the services they use, then runs
# go vet and go test over the whole module, the QEMU real-kernel lab included.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh

export PATH=/usr/local/go/bin:$PATH
export GOFLAGS=-mod=mod

# Tests lay out simulated sysfs trees (thousands of small files and links):
# on tmpfs that is 5-10x faster than on this machine's disk.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	TMPDIR="$(mktemp -d /dev/shm/vfnet-test.XXXXXX)"
	export TMPDIR
	trap 'rm -rf "$TMPDIR"' EXIT
fi

# The store suite runs on SQLite and on this real PostgreSQL server.
export VFNET_TEST_POSTGRES="$(scripts/postgres.sh)"
# The external-Keystone test runs against Debian's real Keystone on loopback.
export VFNET_TEST_KEYSTONE="$(scripts/keystone.sh)"

echo "== go vet"
go vet ./...

echo "== fuzz (brief): neutron request decoders and list queries"
go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 3s ./internal/neutron
go test -run '^$' -fuzz '^FuzzQuery$' -fuzztime 3s ./internal/neutron

echo "== fuzz (brief): sysfs attribute parsers, PCI addresses, pci.ids"
for f in FuzzID FuzzBareHex FuzzClass FuzzDecimal FuzzMAC FuzzCPUList FuzzNetFlags; do
	go test -run '^$' -fuzz "^$f\$" -fuzztime 3s ./internal/sysfs
done
go test -run '^$' -fuzz '^FuzzParsePCIAddr$' -fuzztime 3s ./internal/kernel
go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 3s ./internal/pciids

echo "== fuzz (brief): /v1 request decoding"
go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 3s ./internal/api

echo "== tempest: network API tests against vfnet dev (docs/tempest.md)"
tests/tempest.sh

# The module's tests last, so that the run closes on their summary.
echo "== go test"
# -p 2: this is a 2-core machine; the lab's QEMU guest takes one core.
go test -p 2 -timeout 25m ./...
