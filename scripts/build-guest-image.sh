#!/usr/bin/env bash
# Builds the lab's guest image: a Debian cloud kernel and a busybox
# initramfs carrying keepalived, mdadm, nbd-client, their libraries and the
# kernel modules the guest needs. The result is cached under
# $CACHE/<hash>/{vmlinuz,initrd.img}, keyed by a hash of every input (this
# script, the guest files and the package versions), and $CACHE/current
# points at the newest build. A second run with the same inputs does nothing.
#
# Usage: scripts/build-guest-image.sh [--print-dir]
set -euo pipefail

CACHE=${FAULTLINE_GUEST_CACHE:-/var/cache/faultline/guest}
HERE=$(cd "$(dirname "$0")" && pwd)
GUEST_SRC=$(cd "$HERE/../internal/lab/guest" && pwd)
HOST_PKGS=(busybox-static keepalived mdadm nbd-client cpio kmod)
BINARIES=(/usr/sbin/keepalived /sbin/mdadm /usr/sbin/nbd-client)
MODULES=(virtio_pci virtio_net virtio_blk virtio_console nbd raid1 md_mod af_packet)

export DEBIAN_FRONTEND=noninteractive

ensure_host_packages() {
	local missing=()
	for p in "${HOST_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if ((${#missing[@]})); then
		# Keep the daemons of these packages from starting on the host.
		local prc=/usr/sbin/policy-rc.d created=0
		if [[ ! -e $prc ]]; then
			printf '#!/bin/sh\nexit 101\n' >"$prc" && chmod +x "$prc" && created=1
		fi
		apt-get update -qq || true
		apt-get install -y -qq --no-install-recommends "${missing[@]}"
		if ((created)); then rm -f "$prc"; fi
	fi
}

kernel_package() {
	apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ {print $2; exit}'
}

ensure_host_packages
KPKG=$(kernel_package)
[[ -n $KPKG ]] || { echo "cannot resolve the cloud kernel package" >&2; exit 1; }
KVER_PKG=$(apt-cache policy "$KPKG" | awk '/Candidate:/ {print $2}')

HASH=$(
	{
		cat "$0"
		find "$GUEST_SRC" -type f | sort | xargs sha256sum
		echo "$KPKG $KVER_PKG"
		for p in "${HOST_PKGS[@]}"; do dpkg-query -W -f='${Package} ${Version}\n' "$p"; done
	} | sha256sum | cut -c1-16
)
OUT=$CACHE/$HASH
if [[ -s $OUT/vmlinuz && -s $OUT/initrd.img ]]; then
	ln -sfn "$HASH" "$CACHE/current"
	[[ ${1:-} == --print-dir ]] && echo "$OUT"
	echo "guest image up to date: $OUT" >&2
	exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/deb" "$WORK/root"
(cd "$WORK/deb" && apt-get download -qq "$KPKG")
dpkg-deb -x "$WORK"/deb/*.deb "$WORK/kernel"
KVER=${KPKG#linux-image-}
MODSRC=$WORK/kernel/lib/modules/$KVER

R=$WORK/root
mkdir -p "$R"/{bin,sbin,etc,proc,sys,dev,run,tmp,www/cgi-bin,lib/modules/$KVER,var/run,usr/share/udhcpc}
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do
	[[ -e $R/bin/$a ]] || ln -s busybox "$R/bin/$a"
done

# Kernel modules: copy what the guest needs, with their dependencies.
depmod -b "$WORK/kernel" "$KVER"
declare -A want=()
add_module() {
	local name=$1 line path dep
	line=$(grep -E "/${name//_/[_-]}\.ko(\.[a-z]+)?:" "$MODSRC/modules.dep" || true)
	[[ -n $line ]] || return 0 # built in
	path=${line%%:*}
	[[ -n ${want[$path]:-} ]] && return 0
	want[$path]=1
	for dep in ${line#*:}; do
		dep=$(basename "$dep")
		add_module "${dep%%.ko*}"
	done
}
for m in "${MODULES[@]}"; do add_module "$m"; done
for p in "${!want[@]}"; do
	mkdir -p "$R/lib/modules/$KVER/$(dirname "$p")"
	case $p in
	*.xz) xz -dc "$MODSRC/$p" >"$R/lib/modules/$KVER/${p%.xz}" ;;
	*.zst) zstd -qdc "$MODSRC/$p" >"$R/lib/modules/$KVER/${p%.zst}" ;;
	*) cp "$MODSRC/$p" "$R/lib/modules/$KVER/$p" ;;
	esac
done
cp "$MODSRC"/modules.builtin* "$R/lib/modules/$KVER/" 2>/dev/null || true
depmod -b "$R" "$KVER"
echo "$KVER" >"$R/etc/kernel-version"
printf '%s\n' "${MODULES[@]}" >"$R/etc/modules"

# Userland binaries and the libraries ldd names.
copy_with_libs() {
	local bin=$1 lib
	mkdir -p "$R$(dirname "$bin")"
	cp -L "$bin" "$R$bin"
	for lib in $(ldd "$bin" | grep -oE '/[^ ]+'); do
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
}
# Stripped, the libraries shrink enough for the initramfs to unpack in 128 MiB.
strip_tree() {
	find "$R/lib" "$R/usr" "$R/sbin" -type f \( -name '*.so*' -o -perm -u+x \) -exec strip --strip-unneeded {} + 2>/dev/null || true
	find "$R/lib/modules" -name '*.ko' -exec strip --strip-debug {} + 2>/dev/null || true
}
for b in "${BINARIES[@]}"; do copy_with_libs "$b"; done
strip_tree
mkdir -p "$R/lib64" "$R/usr/lib/x86_64-linux-gnu"

cp "$GUEST_SRC/init" "$R/init"
chmod +x "$R/init"
cp -r "$GUEST_SRC/www/." "$R/www/"
chmod +x "$R"/www/cgi-bin/*
cp "$GUEST_SRC/notify" "$R/sbin/vrrp-notify"
cp "$GUEST_SRC/writer" "$R/sbin/fl-writer"
chmod +x "$R/sbin/vrrp-notify" "$R/sbin/fl-writer"
echo "root:x:0:0:root:/:/bin/sh" >"$R/etc/passwd"
echo "root:x:0:" >"$R/etc/group"

mkdir -p "$OUT.tmp"
cp "$WORK/kernel/boot/vmlinuz-$KVER" "$OUT.tmp/vmlinuz"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT.tmp/initrd.img"
echo "$KVER" >"$OUT.tmp/kernel-version"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
ln -sfn "$HASH" "$CACHE/current"
# Older builds are never used again.
find "$CACHE" -mindepth 1 -maxdepth 1 -type d ! -name "$HASH" -exec rm -rf {} +
[[ ${1:-} == --print-dir ]] && echo "$OUT"
echo "guest image built: $OUT ($(du -sh "$OUT/initrd.img" | cut -f1) initramfs)" >&2
