#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine, as root: install what is
# needed, build faultline, bring up the bundled lab (the reference
# topology: two switches, three hypervisors, a VRRP pair of VMs, two SANs)
# and run the reference scenario against it, one experiment per sentence,
# printing each verdict. The lab is taken down at the end, also on failure
# or Ctrl-C. Exit status: the worst exit code of the experiments.
#
# With no arguments, the experiments of experiments/examples/seed-remote/
# (the same scenario through SSH only) run after seed/ when that directory
# exists; the lab's Ansible inventory is written to $OUT/inventory.yaml.
#
# Usage: scripts/demo.sh [EXPERIMENT...]   (names under experiments/examples/seed/)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

SEED=experiments/examples/seed
REMOTE=experiments/examples/seed-remote
# The reference scenario, in the order of its sentences.
ORDER=(cut-nic kill-switch kill-server-a kill-server-a-bmc migrate-web-b fence-san-a fence-san-b split-vrrp kill-libvirtd freeze-web-a freeze-san-a)
RUNS=()
for name in "${ORDER[@]}"; do RUNS+=("$SEED/$name.yaml"); done
if (($#)); then
	RUNS=()
	for name in "$@"; do RUNS+=("$SEED/$name.yaml"); done
elif [[ -d $REMOTE ]]; then
	# The scenario's order first (NAME-remote.yaml is NAME's twin), then
	# any other experiment there; inventory.yaml is the hosts, not a run.
	for name in "${ORDER[@]}"; do
		if [[ -f $REMOTE/$name-remote.yaml ]]; then RUNS+=("$REMOTE/$name-remote.yaml"); fi
	done
	for file in "$REMOTE"/*.yaml; do
		name=$(basename "$file" .yaml)
		[[ $name == inventory ]] && continue
		if [[ -f $file && ! " ${ORDER[*]} " =~ " ${name%-remote} " ]]; then RUNS+=("$file"); fi
	done
fi
OUT=${FAULTLINE_DEMO_OUT:-out/seed}

bash scripts/install-deps.sh
bash scripts/lab-setup.sh
go build -tags libvirt_dlopen -o bin/faultline ./cmd/faultline

trap 'echo "=== faultline lab down"; bin/faultline lab down || true' EXIT
echo "=== faultline lab up"
bin/faultline lab up # prints the time from nothing to all VMs serving, and the lab's memory
mkdir -p "$OUT"
bin/faultline lab inventory >"$OUT/inventory.yaml" # every node's sshd on the management network

set +e
worst=0
declare -a summary=()
for file in "${RUNS[@]}"; do
	name=$(basename "$file" .yaml)
	[[ $file == $REMOTE/* ]] && name=remote-${name%-remote}
	[[ -f $file ]] || { echo "no experiment $file" >&2; worst=$((worst > 2 ? worst : 2)); continue; }
	echo
	echo "=== faultline run $file"
	rm -rf "${OUT:?}/$name"
	bin/faultline run --no-progress --out "$OUT/$name" "$file"
	rc=$?
	verdict=$(grep -m1 -E '^## ' "$OUT/$name/summary.md" 2>/dev/null | sed 's/^## [^A-Z]*//')
	summary+=("$(printf '%-25s exit %d  %s' "$name" "$rc" "${verdict:-no report}")")
	((rc > worst)) && worst=$rc
done
set -e

echo
echo "=== reference scenario: verdicts (reports in $OUT/NAME/)"
printf '  %s\n' "${summary[@]}"
bin/faultline lab status | grep -E '^memory' || true
exit $worst
