package lab

import "context"

// SetStateDir points the lab at another state directory (specs use a
// temporary one) and returns the function that restores it.
func SetStateDir(dir string) (restore func()) {
	old := stateDir
	stateDir = dir
	return func() { stateDir = old }
}

// StartTime exposes startTime to the specs.
var StartTime = startTime

// UpNetwork builds what Up builds before any daemon but sshd: the
// topology's namespaces, links and bridges, the management network in
// namespace mgmt and an sshd per node.
func UpNetwork(ctx context.Context, topo *Topology, mgmt string) error {
	st, err := loadState()
	if err != nil {
		return err
	}
	if err := st.add(func(s *record) { s.Topology = topo.Name; s.Spec = topo; s.Mgmt = mgmt }); err != nil {
		return err
	}
	l := &builder{topo: topo, st: st, mgmt: mgmt}
	if err := l.buildNetwork(ctx); err != nil {
		return err
	}
	if err := l.buildMgmt(); err != nil {
		return err
	}
	return l.startSSHDs(ctx)
}

// StartBMCs starts a BMC per hypervisor of the lab UpNetwork built.
func StartBMCs(ctx context.Context) error {
	st, err := loadState()
	if err != nil {
		return err
	}
	r := st.get()
	l := &builder{topo: r.Spec, st: st, mgmt: r.Mgmt}
	return l.startBMCs(ctx)
}
