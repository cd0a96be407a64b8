package netfault

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// qdiscSupport caches, per qdisc kind, whether this kernel has it.
var qdiscSupport sync.Map // kind -> error (nil = supported)

// qdiscKernelHas reports whether the running kernel can attach a qdisc of
// this kind. It asks the kernel itself rather than reading /proc/modules or
// /lib/modules (a kernel built without modules has neither): it creates an
// unnamed throwaway network namespace, attaches the qdisc built by mk to
// that namespace's lo, and throws the namespace away. "Unknown qdisc kind"
// (ENOENT) means the kernel lacks sch_<kind>; the answer is cached.
func qdiscKernelHas(ctx context.Context, kind string, mk func(linkIndex int) netlink.Qdisc) error {
	if v, ok := qdiscSupport.Load(kind); ok {
		err, _ := v.(error)
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := qdiscProbe(mk)
	switch {
	case err == nil:
		qdiscSupport.Store(kind, nil)
		return nil
	case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP):
		lack := fmt.Errorf("kernel lacks sch_%s (the kernel does not know qdisc kind %q): %w", kind, kind, faults.ErrNotSupported)
		qdiscSupport.Store(kind, lack)
		return lack
	}
	return fmt.Errorf("probe qdisc %s: %w", kind, err)
}

func qdiscProbe(mk func(linkIndex int) netlink.Qdisc) error {
	ns, err := qdiscThrowawayNetns()
	if err != nil {
		return err
	}
	defer ns.Close() // the last reference: the namespace goes with it
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return err
	}
	return h.QdiscAdd(mk(lo.Attrs().Index))
}

// qdiscThrowawayNetns makes an unnamed namespace on a locked thread and
// returns the thread to its own namespace before unlocking it.
func qdiscThrowawayNetns() (netns.NsHandle, error) {
	ns := netns.None()
	err := nsutil.OnThread(func() error {
		var err error
		ns, err = netns.New()
		return err
	})
	if err != nil {
		if ns.IsOpen() {
			ns.Close()
		}
		return netns.None(), fmt.Errorf("throwaway netns: %w", err)
	}
	return ns, nil
}
