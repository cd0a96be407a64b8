package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/faultline/faultline/faults/bmcfault"
)

// Every hypervisor has a BMC: OpenIPMI's ipmi_sim in the management
// namespace, on an address of the management network of its own, whose
// chassis control program is the lab's power switch for that hypervisor
// (powerEnv). `chassis power off` through it is the axe; `on` boots the
// hypervisor again.
const (
	// IPMISimPath is OpenIPMI's BMC simulator (Debian openipmi).
	IPMISimPath = "/usr/bin/ipmi_sim"
	// BMCUser is the administrator every lab BMC knows.
	BMCUser = "admin"
	// BMCPort is IPMI's RMCP port.
	BMCPort = 623
	// bmcBase: hypervisor i's BMC is 198.19.0.(bmcBase+i), above the
	// nodes' own management addresses (1..Namespaces()).
	bmcBase = 201
)

// BMCAddress is a hypervisor's BMC address on the management network:
// the seed's hv-a, hv-b and hv-c are 198.19.0.201, .202 and .203.
func (t *Topology) BMCAddress(hv string) (netip.Addr, bool) {
	for i, h := range t.Hypervisors {
		if h.Name == hv && bmcBase+i < 254 {
			return netip.AddrFrom4([4]byte{198, 19, 0, byte(bmcBase + i)}), true
		}
	}
	return netip.Addr{}, false
}

// BMCPasswordFile holds the password of every lab BMC's admin (0600).
func BMCPasswordFile() string { return filepath.Join(stateDir, "bmc-password") }

// bmcDir holds a BMC's lan.conf, command file, state and log.
func bmcDir(hv string) string { return filepath.Join(HypervisorDir(hv), "bmc") }

// BMCConfig is how faultline reaches a hypervisor's BMC from the host
// (through the management namespace MgmtNetns).
func (t *Topology) BMCConfig(hv string) (bmcfault.Config, bool) {
	a, ok := t.BMCAddress(hv)
	if !ok {
		return bmcfault.Config{}, false
	}
	return bmcfault.Config{Address: a.String(), Port: BMCPort, User: BMCUser,
		PasswordFile: BMCPasswordFile(), Netns: MgmtNetns}, true
}

// lanConf: one LAN channel on the BMC's address, the admin user with the
// lab's password, and the power switch as chassis control program
// (ipmi_sim runs it as `PROG get power` and `PROG set power 0|1`).
const lanConf = `name "%s"
set_working_mc 0x20
startlan 1
  addr %s %d
  priv_limit admin
  allowed_auths_callback none md2 md5 straight
  allowed_auths_user none md2 md5 straight
  allowed_auths_operator none md2 md5 straight
  allowed_auths_admin none md2 md5 straight
  guid %s
endlan
chassis_control "/usr/bin/env %s=%s %s=%s %s 0x20"
user 2 true "%s" "%s" admin 10 none md2 md5 straight
`

const emuCmd = "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n"

// bmcPassword reads the lab's BMC password, making it on first use.
func bmcPassword() (string, error) {
	b, err := os.ReadFile(BMCPasswordFile())
	if err == nil && len(b) > 0 {
		return string(trimNewline(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 8)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	pw := hex.EncodeToString(raw) // 16 characters: IPMI v2 allows 20
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return "", err
	}
	return pw, writePrivate(BMCPasswordFile(), []byte(pw+"\n"))
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// startBMCs starts a BMC per hypervisor, each unless it already answers.
func (l *builder) startBMCs(ctx context.Context) error {
	if len(l.topo.Hypervisors) > 254-bmcBase || len(l.topo.Namespaces()) >= bmcBase {
		return fmt.Errorf("BMCs: %d hypervisors, %d namespaces do not fit in %s", len(l.topo.Hypervisors), len(l.topo.Namespaces()), MgmtSubnet)
	}
	pw, err := bmcPassword()
	if err != nil {
		return fmt.Errorf("BMC password: %w", err)
	}
	return l.parallel(ctx, len(l.topo.Hypervisors), func(i int) error {
		return l.startBMC(ctx, l.topo.Hypervisors[i].Name, pw)
	})
}

func (l *builder) startBMC(ctx context.Context, hv, pw string) error {
	cfg, _ := l.topo.BMCConfig(hv)
	cfg.Netns = l.mgmt
	if _, err := bmcfault.PowerState(ctx, cfg); err == nil {
		return nil
	}
	if err := addAddress(l.mgmt, MgmtLink, netip.PrefixFrom(netip.MustParseAddr(cfg.Address), 24).String()); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir := bmcDir(hv)
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		return err
	}
	guid := make([]byte, 16)
	if _, err := rand.Read(guid); err != nil {
		return err
	}
	lan := fmt.Sprintf(lanConf, hv, cfg.Address, BMCPort, hex.EncodeToString(guid), powerEnv, hv, stateEnv, stateDir, self, BMCUser, pw)
	if err := writePrivate(filepath.Join(dir, "lan.conf"), []byte(lan)); err != nil {
		return err
	}
	if err := writePrivate(filepath.Join(dir, "emu.cmd"), []byte(emuCmd)); err != nil {
		return err
	}
	log := filepath.Join(dir, "ipmi_sim.log")
	pid, err := startDaemon(helperSpec{Netns: l.mgmt, Argv: []string{IPMISimPath, "-n",
		"-c", filepath.Join(dir, "lan.conf"), "-f", filepath.Join(dir, "emu.cmd"), "-s", state}}, log)
	if err != nil {
		return err
	}
	if err := l.st.addDaemon(Daemon{Kind: "bmc", Name: hv, Netns: l.mgmt, Pid: pid}); err != nil {
		return err
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := bmcfault.PowerState(ctx, cfg)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("BMC of %s does not answer on %s (see %s): %w", hv, cfg.Address, log, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
