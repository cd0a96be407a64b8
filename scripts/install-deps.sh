#!/usr/bin/env bash
# Installs what faultline, its tests and its lab need on Debian 12, as root.
# Idempotent: it installs only what is missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-dev qemu-system-x86
      busybox-static nftables iptables iproute2 cpio kmod procps psmisc util-linux gcc chromium
      openssh-server openssh-client prometheus prometheus-node-exporter openipmi)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# A privileged libvirtd refuses to start without this user.
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
id libvirt-qemu >/dev/null 2>&1 || useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
getent group kvm >/dev/null || groupadd -r kvm
export PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null; then
  echo "faultline needs Go 1.26 or newer on PATH (or in /usr/local/go)" >&2
  exit 1
fi
go mod download
