package lab

import (
	"context"
	"fmt"
	"os"
	"time"
)

// The lab's supervisor plays systemd's Restart=on-failure for every
// hypervisor's libvirtd: a libvirtd that dies (killed by an experiment)
// is started again after restartSec, as on a real host; a powered-off
// hypervisor's is left dead. It runs in the management namespace, so Down
// ends it with the rest of the lab, and it ends itself when the lab's
// state file is gone.
const (
	superviseEnv  = "FAULTLINE_LAB_SUPERVISE" // the state directory
	restartSec    = 2 * time.Second
	superviseTick = 250 * time.Millisecond
)

func init() {
	dir := os.Getenv(superviseEnv)
	if dir == "" {
		return
	}
	os.Unsetenv(superviseEnv) // the libvirtds it starts supervise nothing
	stateDir = dir
	supervise(context.Background())
	os.Exit(0)
}

// startSupervisor starts the supervisor unless one runs.
func (l *builder) startSupervisor() error {
	for _, d := range l.st.get().Daemons {
		if d.Kind == "supervisor" && isDaemon(d) {
			return nil
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	pid, err := startDaemon(helperSpec{Netns: l.mgmt, Argv: []string{self}, Env: []string{superviseEnv + "=" + stateDir}},
		fmt.Sprintf("%s/supervisor.log", stateDir))
	if err != nil {
		return err
	}
	return l.st.addDaemon(Daemon{Kind: "supervisor", Name: "libvirtd", Netns: l.mgmt, Pid: pid})
}

// supervise restarts dead libvirtds until the lab is gone.
func supervise(ctx context.Context) {
	deadSince := map[string]time.Time{}
	for {
		st, err := loadState()
		if err != nil || !st.exists {
			return
		}
		r := st.get()
		if r.Spec == nil {
			return
		}
		for _, h := range r.Spec.Hypervisors {
			if !libvirtdDown(r, h.Name) {
				delete(deadSince, h.Name)
				continue
			}
			t, seen := deadSince[h.Name]
			if !seen {
				deadSince[h.Name] = time.Now()
				continue
			}
			if time.Since(t) < restartSec {
				continue
			}
			delete(deadSince, h.Name)
			l := &builder{topo: r.Spec, st: st, mgmt: r.Mgmt}
			if err := l.startLibvirtd(ctx, h.Name); err != nil {
				fmt.Fprintf(os.Stderr, "%s restart libvirtd of %s: %v\n", time.Now().Format(time.RFC3339Nano), h.Name, err)
			} else {
				fmt.Fprintf(os.Stderr, "%s restarted libvirtd of %s\n", time.Now().Format(time.RFC3339Nano), h.Name)
			}
		}
		time.Sleep(superviseTick)
	}
}

// libvirtdDown: the hypervisor is powered on, and its last recorded
// libvirtd is no longer running (a libvirtd being started by a boot is
// recorded before it answers, so it is not down).
func libvirtdDown(r record, hv string) bool {
	if on, err := powered(hv); err != nil || !on {
		return false
	}
	var last *Daemon
	for i := range r.Daemons {
		if r.Daemons[i].Kind == "libvirtd" && r.Daemons[i].Name == hv {
			last = &r.Daemons[i]
		}
	}
	if last == nil {
		return false // never started: Up's business
	}
	return !isDaemon(*last) && pingLibvirt(hv) != nil
}
