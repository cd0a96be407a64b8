#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine, as root: install what is
# needed, build faultline, bring up the example topology and run the
# NIC-cut example, showing the verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
bash scripts/install-deps.sh
go build -tags libvirt_dlopen -o bin/faultline ./cmd/faultline
bash scripts/mini-topology.sh up
trap 'bash scripts/mini-topology.sh down' EXIT
rc=0
for x in experiments/examples/cut-nic.yaml experiments/examples/kill-switch.yaml; do
  echo "=== faultline run $x"
  bin/faultline run --out "out/$(basename "$x" .yaml)" "$x" || rc=$?
done
exit $rc
