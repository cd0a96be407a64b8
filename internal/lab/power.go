package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/faultline/faultline/internal/nsutil"
	"libvirt.org/go/libvirt"
)

// powerEnv names the hypervisor whose power switch this process is: a
// lab BMC runs its chassis control program as
// `env FAULTLINE_LAB_POWER=HV FAULTLINE_LAB_STATE=DIR BINARY 0x20 get power` (or `set power 0|1`,
// `set reset 1`, `set shutdown 1`), and BINARY is whatever binary started
// the lab (the CLI or a test binary), so the switch lives in this package.
const powerEnv = "FAULTLINE_LAB_POWER"

// stateEnv carries the lab's state directory to the switch.
const stateEnv = "FAULTLINE_LAB_STATE"

func init() {
	hv := os.Getenv(powerEnv)
	if hv == "" {
		return
	}
	if d := os.Getenv(stateEnv); d != "" {
		stateDir = d
	}
	// The daemons a boot starts are no switches.
	os.Unsetenv(powerEnv)
	os.Unsetenv(stateEnv)
	err := powerSwitch(context.Background(), hv, os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "faultline lab power %s: %v\n", hv, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// powerSwitch answers ipmi_sim's chassis control calls. A power-on boots
// the hypervisor in a detached process: the simulator waits for its
// program, and a BMC answers a power-on at once while the host boots.
func powerSwitch(ctx context.Context, hv string, args []string, out io.Writer) error {
	if len(args) == 1 && args[0] == "boot" {
		_, err := Power(ctx, hv, "on")
		return err
	}
	if len(args) < 2 {
		return fmt.Errorf("want MC get|set PARAM [VALUE]..., got %q", args)
	}
	op, params := args[1], args[2:]
	switch op {
	case "get":
		for _, p := range params {
			if p == "power" {
				on, err := powered(hv)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "power:%d\n", b2i(on))
			}
		}
		return nil
	case "set":
		for ; len(params) >= 2; params = params[2:] {
			switch p, v := params[0], params[1]; {
			case p == "power" && v == "0", p == "shutdown" && v == "1":
				// An ACPI shutdown of a lab hypervisor is its power-off:
				// its guests get no more warning from a dying host.
				if _, err := Power(ctx, hv, "off"); err != nil {
					return err
				}
			case p == "power" && v == "1":
				if err := setPowered(hv, true); err != nil {
					return err
				}
				if err := bootDetached(hv); err != nil {
					return err
				}
			case p == "reset" && v == "1":
				if _, err := Power(ctx, hv, "off"); err != nil {
					return err
				}
				if err := setPowered(hv, true); err != nil {
					return err
				}
				if err := bootDetached(hv); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return fmt.Errorf("unknown operation %q", op)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// bootDetached runs this binary's switch as `boot` in a session of its
// own, logging next to the hypervisor's libvirtd.
func bootDetached(hv string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(HypervisorDir(hv), "power.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(self, "boot")
	cmd.Env = append(os.Environ(), powerEnv+"="+hv, stateEnv+"="+stateDir)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("boot %s: %w", hv, err)
	}
	return cmd.Process.Release()
}

// powerFile records a hypervisor's chassis power: "0" off; missing or
// "1" on.
func powerFile(hv string) string { return filepath.Join(HypervisorDir(hv), "power") }

func powered(hv string) (bool, error) {
	b, err := os.ReadFile(powerFile(hv))
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(b)) != "0", nil
}

func setPowered(hv string, on bool) error {
	return os.WriteFile(powerFile(hv), fmt.Appendf(nil, "%d\n", b2i(on)), 0o644)
}

// Power is the lab's power switch for hypervisor hv: "off" SIGKILLs every
// process of the hypervisor at once (its QEMUs, libvirtd, sshd) and takes
// its uplinks down; "on" boots it: uplinks up, libvirtd and sshd started,
// its autostart domains started; "status" only reads. It returns the
// power state after the action ("on" or "off").
func Power(ctx context.Context, hv, action string) (string, error) {
	st, err := loadState()
	if err != nil {
		return "", err
	}
	r := st.get()
	if !st.exists || r.Spec == nil {
		return "", fmt.Errorf("%w (%s): run lab up", ErrNoLab, stateFile())
	}
	var h *Hypervisor
	for _, x := range r.Spec.Hypervisors {
		if x.Name == hv {
			h = x
		}
	}
	if h == nil {
		return "", fmt.Errorf("no hypervisor %q in lab %s", hv, r.Topology)
	}
	mgmt := r.Mgmt
	if mgmt == "" {
		mgmt = MgmtNetns
	}
	switch action {
	case "status":
	case "off":
		if err := powerOff(r, h); err != nil {
			return "", err
		}
	case "on":
		l := &builder{topo: r.Spec, st: st, mgmt: mgmt}
		if err := l.powerOn(ctx, h); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("power action %q: want on, off or status", action)
	}
	on, err := powered(hv)
	if err != nil {
		return "", err
	}
	if on {
		return "on", nil
	}
	return "off", nil
}

// powerOff: the state says off first (a BMC asked at once answers off),
// then every process in the hypervisor's namespace gets SIGKILL in one
// sweep and its uplinks go down.
func powerOff(r record, h *Hypervisor) error {
	if err := setPowered(h.Name, false); err != nil {
		return err
	}
	ino := r.inode(h.Name)
	if ino == 0 {
		return fmt.Errorf("namespace %s: no inode recorded", h.Name)
	}
	if cur, err := nsutil.Inode(h.Name); err != nil || cur != ino {
		return fmt.Errorf("namespace %s is not the lab's (%v)", h.Name, err)
	}
	pids := labProcesses(map[uint64]bool{ino: true})
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	return setUplinks(h, false)
}

func setUplinks(h *Hypervisor, up bool) error {
	nh, err := nsutil.Handle(h.Name)
	if err != nil {
		return err
	}
	defer nh.Close()
	var errs []error
	for i := range h.Uplinks {
		link, err := nh.LinkByName(UplinkName(i))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s/%s: %w", h.Name, UplinkName(i), err))
			continue
		}
		if up {
			err = nh.LinkSetUp(link)
		} else {
			err = nh.LinkSetDown(link)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s/%s: %w", h.Name, UplinkName(i), err))
		}
	}
	return errors.Join(errs...)
}

// powerOn boots the hypervisor: the processes of a power-off are gone
// first (SIGKILL is not instant), then links, libvirtd, sshd, and the
// domains marked autostart.
func (l *builder) powerOn(ctx context.Context, h *Hypervisor) error {
	if err := setPowered(h.Name, true); err != nil {
		return err
	}
	ino := l.st.get().inode(h.Name)
	deadline := time.Now().Add(10 * time.Second)
	for len(labProcesses(map[uint64]bool{ino: true})) > 0 && pingLibvirt(h.Name) != nil {
		if time.Now().After(deadline) {
			break // something else runs there: libvirtd's start tells
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := setUplinks(h, true); err != nil {
		return err
	}
	if err := l.startLibvirtd(ctx, h.Name); err != nil {
		return err
	}
	if err := l.startSSHD(ctx, h.Name); err != nil {
		return err
	}
	return autostart(h.Name)
}

// autostart starts the hypervisor's inactive domains marked autostart,
// as libvirtd does when its host boots.
func autostart(hv string) error {
	c, err := libvirt.NewConnect(URI(hv))
	if err != nil {
		return fmt.Errorf("connect %s: %w", hv, err)
	}
	defer c.Close()
	doms, err := c.ListAllDomains(libvirt.CONNECT_LIST_DOMAINS_AUTOSTART | libvirt.CONNECT_LIST_DOMAINS_INACTIVE)
	if err != nil {
		return fmt.Errorf("list autostart domains of %s: %w", hv, err)
	}
	var errs []error
	for _, d := range doms {
		if err := d.Create(); err != nil {
			var lerr libvirt.Error
			if !errors.As(err, &lerr) || lerr.Code != libvirt.ERR_OPERATION_INVALID {
				errs = append(errs, err)
			}
		}
		d.Free()
	}
	return errors.Join(errs...)
}
