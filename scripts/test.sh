#!/usr/bin/env bash
# Runs every test of faultline on a fresh Debian 12 machine, as root:
# installs what the tests need, then runs all Ginkgo suites.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
bash scripts/install-deps.sh
if [ -x scripts/lab-setup.sh ]; then bash scripts/lab-setup.sh; fi
export GOFLAGS="-tags=libvirt_dlopen"
# The lab end-to-end suite runs the reference scenario in the demo's order;
# FAULTLINE_E2E_ORDERS=demo,alphabetical runs it in both (about 11 minutes
# more), to show that no verdict depends on the experiment before it.
export FAULTLINE_E2E_ORDERS="${FAULTLINE_E2E_ORDERS:-demo}"
go vet ./...
# -p 1: several suites create namespaces, libvirtds and VMs; one at a time
# keeps timings honest on a small machine.
log="${TEST_LOG:-/tmp/faultline-test.log}"
status=0
go test -p 1 -count=1 -timeout 25m ./... 2>&1 | tee "$log" || status=$?
if [ "$status" -ne 0 ]; then
	# A long log's tail shows only the summary; repeat every failure's
	# message (and the lab run's own output before it) at the end.
	echo
	echo "=== failures, repeated from $log ==="
	sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -a -B25 -A8 '\[FAILED\]\|^--- FAIL\|^panic:' | tail -150
fi
exit "$status"
