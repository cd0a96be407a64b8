#!/usr/bin/env bash
# A small topology for the first examples: a client and a web server joined
# through one switch (a Linux bridge in its own namespace).
#
#   fl-mini-client [eth0 198.18.100.1/24] ── [c] fl-mini-sw br0 [s] ── [eth0 198.18.100.2/24] fl-mini-server
#
# The server runs busybox httpd on port 80. Usage: mini-topology.sh up|down|status
set -euo pipefail
# FL_MINI_PREFIX renames the namespaces (tests use their own prefix).
P=${FL_MINI_PREFIX:-fl-mini}
C=$P-client S=$P-server W=$P-sw
RUN=/run/faultline/$P

down() {
  if [ -e "/run/netns/$S" ]; then
    for pid in $(ip netns pids "$S" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  fi
  for ns in $C $S $W; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$RUN"
}

up() {
  down
  mkdir -p "$RUN/www"
  echo "hello from fl-mini-server" > "$RUN/www/index.html"
  for ns in $C $S $W; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip -n $W link add br0 type bridge
  ip -n $W link set br0 up
  ip -n $C link add eth0 type veth peer name c netns $W
  ip -n $S link add eth0 type veth peer name s netns $W
  for p in c s; do ip -n $W link set $p master br0; ip -n $W link set $p up; done
  ip -n $C addr add 198.18.100.1/24 dev eth0; ip -n $C link set eth0 up
  ip -n $S addr add 198.18.100.2/24 dev eth0; ip -n $S link set eth0 up
  ip netns exec $S busybox httpd -p 198.18.100.2:80 -h "$RUN/www"
  # Wait until the web server answers from the client.
  for _ in $(seq 50); do
    if ip netns exec $C timeout 1 bash -c "exec 3<>/dev/tcp/198.18.100.2/80" 2>/dev/null; then echo "mini topology up"; return 0; fi
    sleep 0.1
  done
  echo "mini topology: web server does not answer" >&2; return 1
}

case "${1:-}" in
  up) up ;;
  down) down; echo "mini topology down" ;;
  status) ip netns list | grep "^$P-" || echo "mini topology is down" ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
