#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine, as root: install what is
# needed, build faultline, bring up the bundled lab (the reference
# topology: two switches, three hypervisors, a VRRP pair of VMs, two SANs)
# and run the reference scenario against it, one experiment per sentence,
# printing each verdict. The lab is taken down at the end, also on failure
# or Ctrl-C. Exit status: the worst exit code of the experiments.
#
# Usage: scripts/demo.sh [EXPERIMENT...]   (names under experiments/examples/seed/)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

SEED=experiments/examples/seed
# The reference scenario, in the order of its sentences.
ORDER=(cut-nic kill-switch kill-server-a migrate-web-b fence-san-a fence-san-b split-vrrp)
(($#)) && ORDER=("$@")
OUT=${FAULTLINE_DEMO_OUT:-out/seed}

bash scripts/install-deps.sh
bash scripts/lab-setup.sh
go build -tags libvirt_dlopen -o bin/faultline ./cmd/faultline

trap 'echo "=== faultline lab down"; bin/faultline lab down || true' EXIT
echo "=== faultline lab up"
bin/faultline lab up # prints the time from nothing to all VMs serving, and the lab's memory

set +e
worst=0
declare -a summary=()
for name in "${ORDER[@]}"; do
	file=$SEED/$name.yaml
	[[ -f $file ]] || { echo "no experiment $file" >&2; worst=$((worst > 2 ? worst : 2)); continue; }
	echo
	echo "=== faultline run $file"
	rm -rf "${OUT:?}/$name"
	bin/faultline run --no-progress --out "$OUT/$name" "$file"
	rc=$?
	verdict=$(grep -m1 -E '^## ' "$OUT/$name/summary.md" 2>/dev/null | sed 's/^## [^A-Z]*//')
	summary+=("$(printf '%-16s exit %d  %s' "$name" "$rc" "${verdict:-no report}")")
	((rc > worst)) && worst=$rc
done
set -e

echo
echo "=== reference scenario: verdicts (reports in $OUT/NAME/)"
printf '  %s\n' "${summary[@]}"
bin/faultline lab status | grep -E '^memory' || true
exit $worst
