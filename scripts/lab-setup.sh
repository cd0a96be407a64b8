#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine for `faultline lab up`: installs
# libvirt, QEMU, nbd-server, OpenIPMI's BMC simulator (a BMC per
# hypervisor), OpenSSH and the tools the guest image is built from,
# makes sure the libvirt-qemu user exists (a privileged libvirtd refuses to
# start without it), and builds the guest image. Safe to run again.
set -euo pipefail
[[ $EUID -eq 0 ]] || { echo "lab-setup.sh must run as root" >&2; exit 1; }

PKGS=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-dev
	qemu-system-x86 busybox-static nftables iproute2 cpio kmod curl
	nbd-server nbd-client keepalived mdadm binutils xz-utils
	openipmi openssh-server openssh-client)

export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	# The lab runs its own daemons in its namespaces: keep the packages'
	# services (libvirtd, keepalived, nbd-server, sshd, the IPMI driver)
	# from starting on the host.
	prc=/usr/sbin/policy-rc.d created=0
	if [[ ! -e $prc ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$prc" && chmod +x "$prc" && created=1
	fi
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
	if ((created)); then rm -f "$prc"; fi
fi

getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
id -u libvirt-qemu >/dev/null 2>&1 || useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu

"$(dirname "$0")/build-guest-image.sh"
echo "lab ready: faultline lab up"
