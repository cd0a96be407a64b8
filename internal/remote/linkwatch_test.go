package remote_test

import (
	"runtime"
	"syscall"
	"time"

	. "github.com/onsi/gomega"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/nsutil"
)

// linkEvent is a kernel link notification, stamped on arrival.
type linkEvent struct {
	At   time.Duration
	Link netlink.Link
}

// watchLink is the spec's truth: the kernel's link notifications for ns,
// read by a real-time (SCHED_FIFO) thread and stamped as it wakes, so a
// loaded machine cannot hold the stamp back the way it holds back an
// ordinary goroutine. It reports every event for link until fn says done
// or stop is called.
func watchLink(ns, link string, base time.Time, fn func(linkEvent) (done bool)) (stop func()) {
	nsh, err := nsutil.Open(ns)
	Expect(err).NotTo(HaveOccurred())
	ready, finished := make(chan error, 1), make(chan struct{})
	quit := make(chan struct{})
	go func() {
		defer close(finished)
		// The thread keeps its real-time policy: never unlocked, it ends
		// with this goroutine.
		runtime.LockOSThread()
		defer nsh.Close()
		if err := unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 50}, 0); err != nil {
			ready <- err
			return
		}
		s, err := nl.SubscribeAt(nsh, netns.None(), unix.NETLINK_ROUTE, unix.RTNLGRP_LINK)
		if err != nil {
			ready <- err
			return
		}
		defer s.Close()
		if err := s.SetReceiveTimeout(&unix.Timeval{Usec: 50000}); err != nil {
			ready <- err
			return
		}
		ready <- nil
		for {
			msgs, _, err := s.Receive()
			at := time.Since(base)
			select {
			case <-quit:
				return
			default:
			}
			if err != nil {
				if err == unix.EAGAIN || err == unix.EINTR || err == syscall.EWOULDBLOCK {
					continue
				}
				return
			}
			for _, m := range msgs {
				if m.Header.Type != unix.RTM_NEWLINK {
					continue
				}
				l, err := netlink.LinkDeserialize(nil, m.Data)
				if err != nil || l.Attrs().Name != link {
					continue
				}
				if fn(linkEvent{At: at, Link: l}) {
					return
				}
			}
		}
	}()
	Expect(<-ready).To(Succeed())
	return func() {
		close(quit)
		<-finished
	}
}
