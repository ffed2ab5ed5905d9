#!/usr/bin/env bash
# Installs the Debian packages vfnet's tests use. Idempotent and quick when
# everything is there already.
set -euo pipefail

pkgs=(
	pci.ids        # vendor and device names for discovery
	iproute2       # ip netns, veth for the Linux kernel tests
	postgresql     # the store's PostgreSQL tests (scripts/postgres.sh starts a private cluster)
	python3-openstackclient # the openstack CLI the /v2.0 acceptance test drives
	tempest curl   # tempest's network API tests against vfnet dev (tests/tempest.sh)
	keystone uwsgi-core uwsgi-plugin-python3 # a real Keystone for the external-Keystone test (scripts/keystone.sh)
	libvirt-clients # virt-xml-validate: the VM's libvirt XML is checked against libvirt's schema
	libxml2-utils  # xmllint, which virt-xml-validate runs
	gcc make xz-utils # the real-kernel lab builds netdevsim out of tree (lab/fetch.sh)
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "== apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
