#!/usr/bin/env bash
# Prepares the real-kernel lab's cache: Debian's kernel, QEMU >= 8 and SeaBIOS
# 1.16.3 from bookworm-backports (with the shared libraries this host lacks),
# busybox-static, iproute2, and netdevsim built out of tree. Nothing is
# installed on the host except what the netdevsim build needs (the kernel
# headers package and a compiler); the kernel image and QEMU are only unpacked.
#
# Usage: lab/fetch.sh [CACHE]   (default $VFNET_LAB_CACHE or /var/cache/vfnet-lab)
# Writes CACHE/lab.env (KEY=VALUE lines) naming every piece for the Go harness.
# Every piece lives in a directory named by its version: a second run with the
# same versions downloads and builds nothing.
set -euo pipefail

cache=${1:-${VFNET_LAB_CACHE:-/var/cache/vfnet-lab}}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
# One preparation at a time per cache (two test runs on one machine).
exec 9>"$cache/.lock"
flock 9
log() { echo "lab/fetch: $*" >&2; }
die() {
	echo "lab/fetch: FAIL: $*" >&2
	exit 1
}

[[ $(id -u) == 0 ]] || die "must run as root (apt-get install of the kernel headers for the netdevsim build)"
for t in apt-get apt-cache dpkg dpkg-deb ldd tar xz make gcc flock; do
	command -v "$t" >/dev/null || die "$t is missing: apt-get install the package that has it (scripts/deps.sh lists them)"
done

# shellcheck disable=SC1091
. /etc/os-release
codename=${VERSION_CODENAME:?/etc/os-release has no VERSION_CODENAME}

# --- a private apt state: the host's archive URIs plus <codename>-backports.
# The host's sources are read, never a hard-coded mirror; the system's apt
# lists, preferences and installed packages stay as they are.
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts" "$apt_dir/debs"

host_sources() { # prints "URI SUITE" pairs for the host's deb sources
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		awk '$1=="deb" { i=2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } print $i, $(i+1) }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		awk 'BEGIN{RS=""; FS="\n"} {
			types=""; uris=""; suites=""; enabled="yes"
			for (i=1;i<=NF;i++) {
				if ($i ~ /^#/) continue
				split($i, kv, ":[ \t]*"); k=tolower(kv[1]); v=substr($i, length(kv[1])+2); gsub(/^[ \t]+/, "", v)
				if (k=="types") types=v; else if (k=="uris") uris=v; else if (k=="suites") suites=v; else if (k=="enabled") enabled=tolower(v)
			}
			if (enabled=="no" || types !~ /(^| )deb( |$)/) next
			nu=split(uris, U, " "); ns=split(suites, S, " ")
			for (a=1;a<=nu;a++) for (b=1;b<=ns;b++) print U[a], S[b]
		}' "$f"
	done
}

sources=$apt_dir/sources.list
{
	main_uri=""
	while read -r uri suite; do
		case $suite in
		"$codename" | "$codename"-updates | "$codename"-security | "$codename"/updates | "$codename"-backports) ;;
		*) continue ;;
		esac
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main"
		[[ $suite == "$codename" ]] && main_uri=$uri
	done < <(host_sources | sort -u)
	[[ -n $main_uri ]] || die "no '$codename' suite in /etc/apt/sources.list{,.d}: the lab reuses the host's Debian archive URI"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $main_uri $codename-backports main"
} | sort -u >"$sources.new"

apt_opts=(
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o "Dir::Cache::pkgcache=pkgcache.bin"
	-o "Dir::Cache::srcpkgcache=srcpkgcache.bin"
	-o "Dir::Etc::SourceList=$sources"
	-o "Dir::Etc::SourceParts=$apt_dir/parts"
	-o "Dir::Etc::Preferences=/dev/null"
	-o "Dir::Etc::PreferencesParts=$apt_dir/parts"
	-o "APT::Sandbox::User=root"
)
# Lists are refreshed when the sources change or are older than a day, so a
# warm cache asks the archive nothing.
if ! cmp -s "$sources.new" "$sources" || [[ -z $(find "$apt_dir/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 -print -quit) ]]; then
	mv "$sources.new" "$sources"
	log "apt-get update (private state in $apt_dir)"
	apt-get -qq "${apt_opts[@]}" update >&2 || die "apt-get update of the private lists failed (sources: $(tr '\n' ';' <"$sources"))"
else
	rm -f "$sources.new"
fi
acache() { apt-cache "${apt_opts[@]}" "$@"; }
candidate() { # candidate version of $1 (optionally /suite), or die naming it
	local v
	v=$(acache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
	[[ -n $v && $v != "(none)" ]] || die "package $1 is not in the archive ($(tr '\n' ';' <"$sources")); the lab needs it"
	echo "$v"
}

backport() { # newest version of $1 in <codename>-backports, or die naming it
	local v
	v=$(acache madison "$1" 2>/dev/null | awk -F' *[|] *' -v s="$codename-backports/" 'index($3, s) {print $2; exit}')
	[[ -n $v ]] || die "package $1 is not in $codename-backports ($(tr '\n' ';' <"$sources")); the lab needs it (QEMU >= 8 for igb, SeaBIOS 1.16.3)"
	echo "$v"
}

# download NAME VERSION -> path of the .deb in the cache (downloaded once)
download() {
	local name=$1 ver=$2 f
	f=$(find "$apt_dir/debs" -maxdepth 1 -name "${name}_*.deb" -print | while read -r d; do
		[[ $(dpkg-deb -f "$d" Version) == "$ver" ]] && echo "$d"
	done | head -n1)
	if [[ -z $f ]]; then
		log "download $name=$ver"
		(cd "$apt_dir/debs" && apt-get -qq "${apt_opts[@]}" download "$name=$ver" >&2) ||
			die "apt-get download $name=$ver failed: the lab needs it from the archive"
		f=$(cd "$apt_dir/debs" && ls -t "${name}"_*.deb | head -n1)
		f=$apt_dir/debs/$f
	fi
	echo "$f"
}
# unpack DIR NAME=VERSION... : dpkg -x every package into DIR, once
unpack() {
	local dir=$1
	shift
	[[ -f $dir/.done ]] && return 0
	rm -rf "$dir"
	mkdir -p "$dir"
	local p
	for p in "$@"; do
		dpkg -x "$(download "${p%%=*}" "${p#*=}")" "$dir"
	done
	touch "$dir/.done"
}

# --- kernel: follow linux-image-amd64 to the current ABI.
kimage=$(acache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[[ -n $kimage ]] || die "apt-cache depends linux-image-amd64 names no linux-image-<abi>-amd64"
kver=$(candidate "$kimage")
krel=${kimage#linux-image-}
kdir=$cache/kernel-$krel-$kver
unpack "$kdir" "$kimage=$kver"
[[ -f $kdir/boot/vmlinuz-$krel ]] || die "$kimage $kver has no /boot/vmlinuz-$krel"
log "kernel $krel ($kver)"

# --- QEMU and SeaBIOS from backports, with the libraries the host lacks.
qver=$(backport qemu-system-x86)
sver=$(backport seabios)
qdir=$cache/qemu-${qver//:/_}-seabios-${sver//:/_} # no ":" in LD_LIBRARY_PATH
if [[ ! -f $qdir/.done ]]; then
	# What installing QEMU would add to this host: those are the libraries
	# to unpack beside it (the host's own dpkg status is read, not changed).
	mapfile -t extra < <(apt-get "${apt_opts[@]}" -s install --no-install-recommends \
		"qemu-system-x86=$qver" "qemu-system-data=$qver" "qemu-system-common=$qver" "seabios=$sver" 2>/dev/null |
		awk '/^Inst / { v=$3; if (v ~ /^\[/) v=$4; gsub(/[()]/, "", v); print $2 "=" v }' |
		grep -Ev '^(qemu-system-(x86|data|common)|seabios|ipxe-qemu)=')
	unpack "$qdir" "qemu-system-x86=$qver" "qemu-system-data=$qver" "qemu-system-common=$qver" "seabios=$sver" "${extra[@]}"
fi
qemu=$qdir/usr/bin/qemu-system-x86_64
[[ -x $qemu ]] || die "qemu-system-x86 $qver has no usr/bin/qemu-system-x86_64"
qlibs=$qdir/usr/lib/x86_64-linux-gnu:$qdir/lib/x86_64-linux-gnu
missing=$(LD_LIBRARY_PATH=$qlibs ldd "$qemu" | awk '/not found/ {print $1}' | tr '\n' ' ')
[[ -z $missing ]] || die "the unpacked QEMU needs libraries neither the host nor $qdir has: $missing(apt-get install the packages that ship them, or delete $qdir to refetch)"
qmods=$(find "$qdir/usr/lib" -maxdepth 4 -name '*.so' -path '*/qemu/*' -printf '%h\n' -quit)
[[ -n $qmods ]] || die "qemu-system-x86 $qver has no module directory (usr/lib/*/qemu/*.so)"
log "qemu $qver, seabios $sver"

# --- guest userland: busybox-static and iproute2's ip.
bver=$(candidate busybox-static)
bdir=$cache/busybox-${bver//:/_}
unpack "$bdir" "busybox-static=$bver"
iver=$(candidate iproute2)
idir=$cache/iproute2-${iver//:/_}
unpack "$idir" "iproute2=$iver"
ip=$idir/bin/ip
[[ -x $ip ]] || ip=$idir/sbin/ip
[[ -x $ip ]] || ip=$idir/usr/sbin/ip
[[ -x $ip ]] || die "iproute2 $iver has no ip binary"
missing=$(ldd "$ip" | awk '/not found/ {print $1}' | tr '\n' ' ')
[[ -z $missing ]] || die "Debian's ip needs libraries the host lacks: $missing(scripts/deps.sh installs iproute2, which brings them)"

# --- netdevsim, out of tree, from linux-source against the ABI's headers.
kheaders=linux-headers-$krel
ksrcpkg=linux-source-${krel%%.0-*}
ksrcver=$(candidate "$ksrcpkg")
ndir=$cache/netdevsim-$krel-$kver-$ksrcver
if [[ ! -f $ndir/netdevsim.ko ]]; then
	if ! dpkg-query -W -f='${Status}' "$kheaders" 2>/dev/null | grep -q "install ok installed"; then
		log "apt-get install $kheaders (host build dependency of netdevsim)"
		# Through the private lists, fresh and holding the ABI just resolved,
		# whatever state the system's own lists are in.
		DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "$kheaders" >"$cache/apt/install.log" 2>&1 ||
			die "apt-get install $kheaders failed (see $cache/apt/install.log): the netdevsim build needs the kernel headers of ABI $krel"
	fi
	build=/usr/src/$kheaders
	[[ -d $build ]] || die "$kheaders is installed but $build is missing"
	rm -rf "$ndir"
	mkdir -p "$ndir/src"
	deb=$(download "$ksrcpkg" "$ksrcver")
	log "extract drivers/net/netdevsim from $ksrcpkg $ksrcver"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -O --wildcards './usr/src/linux-source-*.tar.xz' |
		tar -xJ -C "$ndir/src" --strip-components=4 --wildcards '*/drivers/net/netdevsim/*' ||
		die "could not extract drivers/net/netdevsim from $deb"
	log "build netdevsim.ko against $build"
	make -s -C "$build" M="$ndir/src" CONFIG_NETDEVSIM=m -j"$(nproc)" modules >"$ndir/build.log" 2>&1 ||
		die "netdevsim build failed: see $ndir/build.log"
	cp "$ndir/src/netdevsim.ko" "$ndir/netdevsim.ko"
fi
log "netdevsim built against $krel ($ksrcpkg $ksrcver)"

env=$cache/lab.env
cat >"$env.new" <<EOF
KERNEL_RELEASE=$krel
KERNEL_VERSION=$kver
VMLINUZ=$kdir/boot/vmlinuz-$krel
MODULES=$kdir/lib/modules/$krel
QEMU_VERSION=$qver
QEMU=$qemu
QEMU_LD_LIBRARY_PATH=$qlibs
QEMU_MODULE_DIR=$qmods
QEMU_DATA=$qdir/usr/share/qemu
SEABIOS_VERSION=$sver
SEABIOS=$qdir/usr/share/seabios
BUSYBOX=$bdir/bin/busybox
IP=$ip
NETDEVSIM=$ndir/netdevsim.ko
EOF
mv "$env.new" "$env"
echo "$env"
