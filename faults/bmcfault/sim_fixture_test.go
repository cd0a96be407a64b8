package bmcfault_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults/bmcfault"
	"github.com/faultline/faultline/internal/nsutil"
)

const (
	simAddr     = "198.19.0.2"
	simUser     = "admin"
	simPassword = "Tr0ub4dor-and-3"
)

// sim is a real OpenIPMI ipmi_sim BMC inside a throwaway namespace. Its
// chassis_control program records every `set` in calls (with the time it
// ran) and the power state in a state file.
type sim struct {
	netns, dir, pwFile string
	cmd                *exec.Cmd
}

// powerScript is the chassis_control program: ipmi_sim runs it as
// `PROG 0x20 get power` and `PROG 0x20 set power 0|1`.
// It stamps a call with bash's clock before anything forks.
const powerScript = `#!/bin/bash
now=${EPOCHREALTIME/./}
dir=${0%/*}
st="$dir/power"
[ -f "$st" ] || echo 1 > "$st"
mc=$1; op=$2; shift 2
case "$op" in
get)
	for p in "$@"; do [ "$p" = power ] && echo "power:$(<"$st")"; done ;;
set)
	while [ $# -gt 1 ]; do
		echo "${now}000 set $1 $2" >> "$dir/calls"
		[ "$1" = power ] && echo "$2" > "$st"
		shift 2
	done ;;
esac
exit 0
`

func randName() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "fl-bmc-" + hex.EncodeToString(b)
}

func run(name string, args ...string) {
	out, err := exec.Command(name, args...).CombinedOutput()
	ExpectWithOffset(2, err).NotTo(HaveOccurred(), "%s %v: %s", name, args, out)
}

// startSim creates a namespace with the BMC's address on lo and starts
// ipmi_sim in it. 198.19.0.77 is a BMC that never answers: its datagrams
// leave through a veth whose peer drops them; DeferCleanup stops and deletes both.
func startSim() *sim {
	s := &sim{netns: randName(), dir: GinkgoT().TempDir()}
	Expect(nsutil.Create(s.netns)).To(Succeed())
	DeferCleanup(func() { Expect(nsutil.Delete(s.netns)).To(Succeed()) })
	run("ip", "-n", s.netns, "addr", "add", simAddr+"/32", "dev", "lo")
	run("ip", "-n", s.netns, "link", "add", "bh0", "type", "veth", "peer", "name", "bh1")
	run("ip", "-n", s.netns, "addr", "add", "198.19.0.65/26", "dev", "bh0")
	run("ip", "-n", s.netns, "link", "set", "bh0", "up")
	run("ip", "-n", s.netns, "link", "set", "bh1", "up")
	run("ip", "-n", s.netns, "neigh", "add", "198.19.0.77", "lladdr", "02:00:00:00:00:77", "dev", "bh0", "nud", "permanent")

	prog := filepath.Join(s.dir, "power.sh")
	Expect(os.WriteFile(prog, []byte(powerScript), 0o755)).To(Succeed())
	s.pwFile = filepath.Join(s.dir, "bmc-password")
	Expect(os.WriteFile(s.pwFile, []byte(simPassword+"\n"), 0o600)).To(Succeed())
	lan := fmt.Sprintf(`name "fltest"
set_working_mc 0x20
startlan 1
  addr %s 623
  priv_limit admin
  allowed_auths_callback none md2 md5 straight
  allowed_auths_user none md2 md5 straight
  allowed_auths_operator none md2 md5 straight
  allowed_auths_admin none md2 md5 straight
  guid a123456789abcdefa123456789abcdef
endlan
chassis_control "%s 0x20"
user 2 true "%s" "%s" admin 10 none md2 md5 straight
`, simAddr, prog, simUser, simPassword)
	Expect(os.WriteFile(filepath.Join(s.dir, "lan.conf"), []byte(lan), 0o600)).To(Succeed())
	emu := "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n"
	Expect(os.WriteFile(filepath.Join(s.dir, "emu.cmd"), []byte(emu), 0o600)).To(Succeed())
	state := filepath.Join(s.dir, "state")
	Expect(os.Mkdir(state, 0o700)).To(Succeed())

	s.cmd = exec.Command("ip", "netns", "exec", s.netns, "/usr/bin/ipmi_sim",
		"-c", filepath.Join(s.dir, "lan.conf"), "-f", filepath.Join(s.dir, "emu.cmd"), "-s", state, "-n")
	s.cmd.Dir = s.dir
	s.cmd.Stdout = GinkgoWriter
	s.cmd.Stderr = GinkgoWriter
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	Expect(s.cmd.Start()).To(Succeed())
	DeferCleanup(func() {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	})
	Eventually(func() error {
		_, err := bmcfault.PowerState(context.Background(), s.config())
		return err
	}).WithTimeout(10 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())
	return s
}

// config reaches the simulator from inside its namespace.
func (s *sim) config() bmcfault.Config {
	return bmcfault.Config{Address: simAddr, User: simUser, PasswordFile: s.pwFile, Netns: s.netns}
}

// with is bmc.power's `with` for this simulator.
func (s *sim) with(action string) string {
	return fmt.Sprintf(`{"address":%q,"port":623,"user":%q,"passwordFile":%q,"action":%q,"netns":%q}`,
		simAddr, simUser, s.pwFile, action, s.netns)
}

// power is the state file: "1" on, "0" off.
func (s *sim) power() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "power"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// sets are the recorded `set power` calls: their times and values.
func (s *sim) sets() (at []time.Time, vals []string) { return s.setsOf("power") }

// setsOf are the recorded `set PARAM` calls.
func (s *sim) setsOf(param string) (at []time.Time, vals []string) {
	b, _ := os.ReadFile(filepath.Join(s.dir, "calls"))
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) != 4 || f[2] != param {
			continue
		}
		ns, _ := strconv.ParseInt(f[0], 10, 64)
		at = append(at, time.Unix(0, ns))
		vals = append(vals, f[3])
	}
	return at, vals
}
