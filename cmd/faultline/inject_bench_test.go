package main_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/nettest"
	"github.com/faultline/faultline/internal/nsutil"
)

// BenchmarkInjectionPath measures, over FL_BENCH_RUNS interleaved rounds
// (default 200), how fast a link.down lands, as a netlink subscriber in
// the target namespace sees it:
//
//   - command start → link down: `faultline inject link.down` and
//     `faultline run` of a step `at: 0s`, the built binary exec'd;
//   - scheduled moment → link down inside `faultline run`, for a step
//     `at: 0s` and one `at: 100ms` (the moment: the journal's method start
//     plus the step's offset);
//   - revert → link up (the moment the run began its revert);
//   - beside them, in the same rounds: forking `ip link set DEV down`, and
//     one netlink call from this process (the floor of what the
//     subscriber can see).
//
// Every round asserts that the link came back and that the state directory
// is empty once the process has exited.
//
// The subscriber reads at a real-time priority above the engine's, so on a
// busy machine it still stamps the change when the kernel makes it.
//
//	go test -run '^$' -bench InjectionPath -benchtime 1x ./cmd/faultline/
//
// FL_BENCH_BASE=/path/to/faultline adds an earlier build, run in the same
// rounds, for a before/after table under the same load.
func BenchmarkInjectionPath(b *testing.B) {
	runs := 200
	if v, err := strconv.Atoi(os.Getenv("FL_BENCH_RUNS")); err == nil && v > 0 {
		runs = v
	}
	dir := b.TempDir()
	exe := filepath.Join(dir, "faultline")
	if out, err := exec.Command("go", "build", "-tags", "libvirt_dlopen", "-o", exe, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v: %s", err, out)
	}
	ns := "fl-ib" + nettest.RandSuffix()
	if err := nsutil.Create(ns); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = nsutil.Delete(ns) })
	ip := func(args ...string) {
		if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
			b.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	ip("link", "add", "v0", "type", "veth", "peer", "name", "v1")
	ip("link", "set", "v0", "up")
	ip("link", "set", "v1", "up")
	ip("addr", "add", "198.18.4.1/24", "dev", "v0")
	ip("route", "add", "198.18.120.0/24", "via", "198.18.4.2", "dev", "v0")
	h, err := nsutil.Handle(ns)
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	link, err := h.LinkByName("v0")
	if err != nil {
		b.Fatal(err)
	}
	sub, err := subscribeLink(ns, link.Attrs().Index)
	if err != nil {
		b.Fatal(err)
	}
	defer sub.close()

	exps := map[string]string{}
	for _, at := range []string{"0s", "100ms"} {
		p := filepath.Join(dir, "at-"+at+".yaml")
		exps[at] = p
		doc := fmt.Sprintf("version: 1\nname: bench-at-%s\nsteps:\n  - {name: cut, fault: link.down, at: %s, duration: 20ms, with: {netns: %s, link: v0}}\n",
			strings.TrimSuffix(at, "s"), at, ns)
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	state := filepath.Join(dir, "state")
	fig := map[string][]time.Duration{}
	add := func(name string, d time.Duration) { fig[name] = append(fig[name], d) }

	// binary runs faultline with args (plus --out), and returns when the
	// link went down (by the subscriber), the journal and the end of the
	// link's outage.
	round := 0
	binary := func(exe string, args ...string) (start, down, up time.Time, j *journal.Run) {
		round++
		out := filepath.Join(dir, fmt.Sprintf("out-%d", round))
		cmd := exec.Command(exe, append(args, "--out", out, "--no-progress")...)
		cmd.Env = append(os.Environ(), "FAULTLINE_STATE_DIR="+state)
		var log strings.Builder
		cmd.Stdout, cmd.Stderr = &log, &log
		sub.drain()
		start = time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var ok bool
		if down, ok = sub.next(exited, false); ok {
			up, ok = sub.next(exited, true)
		}
		if err := <-exited; err != nil || !ok {
			b.Fatalf("%s %v: the link went down %v and up %v; %v\n%s", exe, args, !down.IsZero(), !up.IsZero(), err, log.String())
		}
		if left := regularFiles(state); len(left) > 0 {
			b.Fatalf("faultline %v left %v in the state directory", args, left)
		}
		if j, err = journal.ReadFile(filepath.Join(out, "journal.jsonl")); err != nil {
			b.Fatal(err)
		}
		_ = os.RemoveAll(out)
		return start, down, up, j
	}
	// moment is a journal offset as a wall-clock time.
	moment := func(j *journal.Run, at time.Duration) time.Time { return j.Header.Wall.Add(at) }
	revertedAt := func(j *journal.Run) time.Duration {
		for _, s := range j.Steps {
			if s.Ev == journal.EvReverted {
				return s.At
			}
		}
		b.Fatal("no revert in the journal")
		return 0
	}

	// FL_BENCH_BASE names another faultline binary (an earlier build) to
	// run in the same rounds, interleaved, its rows marked "before".
	type variant struct{ exe, prefix string }
	variants := []variant{{exe, ""}}
	if base := os.Getenv("FL_BENCH_BASE"); base != "" {
		variants = append(variants, variant{base, "before: "})
	}

	must := func(at time.Time, ok bool) time.Time {
		if !ok {
			b.Fatal("the link did not change within a minute")
		}
		return at
	}
	injected := func(j *journal.Run) journal.StepRec {
		for _, s := range j.Steps {
			if s.Ev == journal.EvInjected {
				return s
			}
		}
		b.Fatal("no inject in the journal")
		return journal.StepRec{}
	}

	b.ResetTimer()
	for i := 0; i < runs; i++ {
		// A forked ip, the reference.
		sub.drain()
		t0 := time.Now()
		ip("link", "set", "dev", "v0", "down")
		down := must(sub.next(nil, false))
		add("ip link set down: command start → down", down.Sub(t0))
		ip("link", "set", "dev", "v0", "up")
		ip("route", "replace", "198.18.120.0/24", "via", "198.18.4.2", "dev", "v0")
		must(sub.next(nil, true))

		// One netlink call from here: what the subscriber adds.
		sub.drain()
		t0 = time.Now()
		if err := h.LinkSetDown(link); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		down = must(sub.next(nil, false))
		add("netlink call → down (floor)", down.Sub(t0))
		add("netlink call → returned", t1.Sub(t0))
		// Where the kernel emits the notification within its call: the
		// subscriber's stamp minus the call's return (negative: before).
		add("netlink call: down seen − returned", down.Sub(t1))
		if err := h.LinkSetUp(link); err != nil {
			b.Fatal(err)
		}
		ip("route", "replace", "198.18.120.0/24", "via", "198.18.4.2", "dev", "v0")
		must(sub.next(nil, true))

		for _, v := range variants {
			// The process start alone: what every command pays before it
			// can do anything (the run pays it twice: runner and guard).
			t0 := time.Now()
			if out, err := exec.Command(v.exe, "--version").CombinedOutput(); err != nil {
				b.Fatalf("%s --version: %v: %s", v.exe, err, out)
			}
			add(v.prefix+"faultline --version: start → exit", time.Since(t0))

			start, down, up, j := binary(v.exe, "inject", "link.down", "--netns", ns, "--with", "link=v0", "--for", "20ms")
			add(v.prefix+"inject: command start → down", down.Sub(start))
			add(v.prefix+"revert → up", up.Sub(moment(j, revertedAt(j))))

			start, down, up, j = binary(v.exe, "run", exps["0s"])
			add(v.prefix+"run at 0s: command start → down", down.Sub(start))
			add(v.prefix+"run at 0s: scheduled → down", down.Sub(moment(j, j.Phases[journal.PhaseMethod])))
			add(v.prefix+"revert → up", up.Sub(moment(j, revertedAt(j))))

			_, down, up, j = binary(v.exe, "run", exps["100ms"])
			due := j.Phases[journal.PhaseMethod] + 100*time.Millisecond
			add(v.prefix+"run at 100ms: scheduled → down", down.Sub(moment(j, due)))
			in := injected(j)
			add(v.prefix+"run at 100ms: scheduled → inject call", in.At-due)
			add(v.prefix+"run at 100ms: inject call → returned", in.Done-in.At)
			// The kernel's part inside the run: from the engine's call to
			// the subscriber's stamp (compare the floor below).
			add(v.prefix+"run at 100ms: inject call → down", down.Sub(moment(j, in.At)))
			add(v.prefix+"revert → up", up.Sub(moment(j, revertedAt(j))))
		}
	}
	b.StopTimer()

	order := []string{
		"run at 100ms: scheduled → down", "run at 100ms: scheduled → inject call", "run at 100ms: inject call → down",
		"run at 100ms: inject call → returned", "run at 0s: scheduled → down", "inject: command start → down", "run at 0s: command start → down", "revert → up",
		"faultline --version: start → exit",
	}
	if len(variants) > 1 {
		for _, name := range order[:9] {
			order = append(order, "before: "+name)
		}
	}
	order = append(order, "ip link set down: command start → down", "netlink call → down (floor)",
		"netlink call → returned", "netlink call: down seen − returned")
	fmt.Printf("\ninjection path, %d rounds (link state seen by a netlink subscriber in the target namespace)\n", runs)
	fmt.Printf("%-50s %10s %10s %10s\n", "", "p50", "p99", "max")
	for _, name := range order {
		ds := fig[name]
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		p50, p99, mx := ds[len(ds)/2], ds[min(len(ds)-1, len(ds)*99/100)], ds[len(ds)-1]
		fmt.Printf("%-50s %10s %10s %10s\n", name, fmtDur(p50), fmtDur(p99), fmtDur(mx))
	}
	for name, unit := range map[string]string{
		"run at 100ms: scheduled → down":         "sched-us/p50",
		"inject: command start → down":           "inject-ms/p50",
		"run at 0s: command start → down":        "run-ms/p50",
		"ip link set down: command start → down": "ip-ms/p50",
	} {
		ds := fig[name]
		v := float64(ds[len(ds)/2].Nanoseconds()) / 1e6
		if strings.HasPrefix(unit, "sched") {
			v *= 1000
		}
		b.ReportMetric(v, unit)
	}
}

func fmtDur(d time.Duration) string {
	if d < 0 {
		return "-" + fmtDur(-d)
	}
	if d < time.Millisecond {
		return fmt.Sprintf("%d µs", d.Microseconds())
	}
	return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
}

// linkSub is a netlink subscriber to one link's state in a namespace. It
// reads with a blocking recvfrom on a thread of its own and stamps each
// message as the call returns, so its own delay is one thread wake-up.
type linkSub struct {
	fd     int
	events chan linkEvent
	stop   chan struct{}
}

type linkEvent struct {
	at time.Time
	up bool
}

func subscribeLink(ns string, index int) (*linkSub, error) {
	s := &linkSub{events: make(chan linkEvent, 1024), stop: make(chan struct{})}
	err := nsutil.Do(ns, func() error {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
		if err != nil {
			return err
		}
		s.fd = fd
		return unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK})
	})
	if err != nil {
		return nil, err
	}
	tv := unix.NsecToTimeval(int64(100 * time.Millisecond))
	if err := unix.SetsockoptTimeval(s.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return nil, err
	}
	go s.read(index)
	return s, nil
}

func (s *linkSub) read(index int) {
	// Blocking reads on a thread of their own, at a real-time priority:
	// no poller and no wait for a CPU between the kernel's message and
	// the stamp, even on a busy machine.
	runtime.LockOSThread()
	rt := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 2}
	_ = unix.SchedSetAttr(0, &rt, 0)
	buf := make([]byte, 1<<16)
	last := true
	for {
		n, _, err := unix.Recvfrom(s.fd, buf, 0)
		at := time.Now()
		select {
		case <-s.stop:
			return
		default:
		}
		if err != nil || n < unix.NLMSG_HDRLEN {
			continue
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			continue
		}
		for _, m := range msgs {
			if m.Header.Type != unix.RTM_NEWLINK || len(m.Data) < unix.SizeofIfInfomsg {
				continue
			}
			ifi := nl.DeserializeIfInfomsg(m.Data)
			if int(ifi.Index) != index {
				continue
			}
			up := ifi.Flags&unix.IFF_UP != 0
			if up != last {
				last = up
				s.events <- linkEvent{at: at, up: up}
			}
		}
	}
}

// drain forgets events seen so far.
func (s *linkSub) drain() {
	for {
		select {
		case <-s.events:
		default:
			return
		}
	}
}

// next waits for the link to go up (or down) and returns when; false
// when the process ended first (exited receives its end, and is given it
// back) or after a minute.
func (s *linkSub) next(exited chan error, up bool) (time.Time, bool) {
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	for {
		select {
		case e := <-s.events:
			if e.up == up {
				return e.at, true
			}
		case err := <-exited:
			// A last look: the event may have come with the exit.
			exited <- err
			select {
			case e := <-s.events:
				if e.up == up {
					return e.at, true
				}
			case <-time.After(100 * time.Millisecond):
			}
			return time.Time{}, false
		case <-t.C:
			return time.Time{}, false
		}
	}
}

func (s *linkSub) close() {
	close(s.stop)
	_ = unix.Close(s.fd)
}
