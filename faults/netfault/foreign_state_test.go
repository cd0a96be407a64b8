package netfault_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os/exec"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/faults/netfault"
)

// The foreign-state specs: a hypervisor namespace holds what an operator
// and libvirt put there (an `inet filter` table with the SSH accept rule,
// libvirt's tables, a bridge filter table, qdisc trees, routes in another
// table). Whatever faults run, revert, crash and are recovered, all of it
// must read back byte-identical.

// ffForeignRuleset is the nftables state that is not faultline's.
const ffForeignRuleset = `table inet filter {
	set trusted { type ipv4_addr; flags interval; elements = { 198.18.60.0/24, 198.19.0.0/24 } }
	chain input { type filter hook input priority filter; policy accept;
		ct state established,related accept
		tcp dport 22 accept comment "ssh from anywhere"
		ip saddr @trusted tcp dport 9100 accept
	}
	chain forward { type filter hook forward priority filter; policy accept;
		iifname "eth9" drop
	}
}
table ip libvirt_network {
	chain forward { type filter hook forward priority filter; policy accept;
		counter jump guest_cross
		jump guest_input
		jump guest_output
	}
	chain guest_output {
		ip saddr 198.18.62.0/24 iif "virbr0" accept
		iif "virbr0" reject
	}
	chain guest_input {
		oif "virbr0" ip daddr 198.18.62.0/24 ct state established,related accept
		oif "virbr0" reject
	}
	chain guest_cross {
		iif "virbr0" oif "virbr0" accept
	}
}
table inet libvirt {
	chain postrouting { type filter hook postrouting priority srcnat; policy accept;
		ip saddr 198.18.62.0/24 ip daddr 224.0.0.0/24 return
	}
}
table bridge filter {
	chain forward { type filter hook forward priority filter; policy accept;
		ether type arp accept
	}
}
`

// ffHost is the hypervisor namespace h and its peer p, joined by eth0
// (198.18.60.0/24) and eth1 (198.18.61.0/24).
type ffHost struct{ h, p string }

func ffBuild() ffHost {
	GinkgoHelper()
	f := ffHost{h: testNetns("h"), p: testNetns("p")}
	testVeth(f.h, "eth0", "198.18.60.1/24", f.p, "eth0", "198.18.60.2/24")
	testVeth(f.h, "eth1", "198.18.61.1/24", f.p, "eth1", "198.18.61.2/24")
	// libvirt's default network: its bridge, and its tables below.
	testRun("ip", "-n", f.h, "link", "add", "virbr0", "type", "bridge")
	testRun("ip", "-n", f.h, "addr", "add", "198.18.62.1/24", "dev", "virbr0")
	testRun("ip", "-n", f.h, "link", "set", "virbr0", "up")
	cmd := exec.Command("ip", "netns", "exec", f.h, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ffForeignRuleset)
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "nft -f: %s", out)
	// An operator's qdiscs: a tbf root on eth0, an htb tree and ingress on eth1.
	testRun("ip", "netns", "exec", f.h, "tc", "qdisc", "add", "dev", "eth0", "root", "handle", "10:", "tbf", "rate", "900mbit", "burst", "64kb", "latency", "40ms")
	testRun("ip", "netns", "exec", f.h, "tc", "qdisc", "add", "dev", "eth1", "root", "handle", "20:", "htb", "default", "20")
	testRun("ip", "netns", "exec", f.h, "tc", "class", "add", "dev", "eth1", "parent", "20:", "classid", "20:1", "htb", "rate", "500mbit")
	testRun("ip", "netns", "exec", f.h, "tc", "class", "add", "dev", "eth1", "parent", "20:1", "classid", "20:20", "htb", "rate", "100mbit", "ceil", "500mbit")
	testRun("ip", "netns", "exec", f.h, "tc", "qdisc", "add", "dev", "eth1", "parent", "20:20", "handle", "21:", "pfifo", "limit", "300")
	testRun("ip", "netns", "exec", f.h, "tc", "qdisc", "add", "dev", "eth1", "ingress")
	// Routes in another table, one through each link and one over both.
	testRun("ip", "-n", f.h, "route", "add", "198.18.70.0/24", "via", "198.18.60.2", "table", "100")
	testRun("ip", "-n", f.h, "route", "add", "198.18.71.0/24", "via", "198.18.61.2", "table", "100", "metric", "5")
	testRun("ip", "-n", f.h, "route", "add", "198.18.72.0/24", "table", "100",
		"nexthop", "via", "198.18.60.2", "weight", "1", "nexthop", "via", "198.18.61.2", "weight", "3")
	return f
}

// ffCounters are the statistics `tc qdisc show` prints without -s (htb's
// count of unclassified packets): traffic, not configuration.
var ffCounters = regexp.MustCompile(`(direct_packets_stat) \d+`)

// ffState is everything foreign in h, as the CLIs print it, counters aside.
type ffState struct{ nft, qdisc, classes, routes string }

func ffRead(ns string) ffState {
	GinkgoHelper()
	return ffState{
		nft:     testRun("ip", "netns", "exec", ns, "nft", "list", "ruleset"),
		qdisc:   ffCounters.ReplaceAllString(testRun("ip", "netns", "exec", ns, "tc", "qdisc", "show"), "$1 N"),
		classes: testRun("ip", "netns", "exec", ns, "tc", "class", "show", "dev", "eth1"),
		routes:  testRun("ip", "-n", ns, "route", "show", "table", "100"),
	}
}

func ffExpectSame(ns string, before ffState, what string) {
	GinkgoHelper()
	after := ffRead(ns)
	Expect(after.nft).To(Equal(before.nft), "nft list ruleset after %s", what)
	Expect(after.qdisc).To(Equal(before.qdisc), "tc qdisc show after %s", what)
	Expect(after.classes).To(Equal(before.classes), "tc class show after %s", what)
	Expect(after.routes).To(Equal(before.routes), "ip route show table 100 after %s", what)
}

// ffFault is one fault of the mix, prepared as the engine does.
type ffFault struct {
	name string
	f    faults.Fault
	undo faults.Undo
}

// ffFaults builds, scopes and prepares one of each kind against h.
func ffFaults(ctx context.Context, x ffHost, run string) []*ffFault {
	GinkgoHelper()
	specs := []struct {
		name, kind string
		with       map[string]any
	}{
		{"split", "net.partition", map[string]any{"netns": x.h, "a": []string{"198.18.60.2"}, "b": []string{"198.18.61.2"}}},
		{"lossy", "net.loss", map[string]any{"netns": x.h, "to": []string{"198.18.60.2"}, "percent": 50}},
		{"fence", "san.fence", map[string]any{"netns": []string{x.h}, "addresses": []string{"198.18.61.2", "198.18.72.0/24"}}},
		{"slow", "net.bandwidth", map[string]any{"netns": x.h, "link": "eth1", "rate": "10mbit"}},
		{"cut", "link.down", map[string]any{"netns": x.h, "link": "eth0"}},
	}
	var out []*ffFault
	for _, s := range specs {
		f := testFault(s.kind, s.with)
		if sc, ok := f.(faults.Scoped); ok {
			sc.SetScope(run, s.name)
		}
		if pf, ok := f.(faults.Preflighter); ok {
			Expect(pf.Preflight(ctx)).To(Succeed(), s.name)
		}
		u, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred(), s.name)
		Expect(faults.TrustUndo(u)).To(Succeed(), "%s: its own undo record is trusted", s.name)
		ff := &ffFault{name: s.name, f: f, undo: u}
		DeferCleanup(func() { _ = faults.RevertUndo(ctx, ff.undo) })
		out = append(out, ff)
	}
	return out
}

func ffInject(ctx context.Context, fs []*ffFault) {
	GinkgoHelper()
	for _, f := range fs {
		Expect(f.f.Inject(ctx)).To(Succeed(), "inject %s", f.name)
	}
}

// ffCrash reverts every fault from its undo record alone, through the
// registry, as recover and the guard do in a fresh process.
func ffCrash(ctx context.Context, fs []*ffFault) {
	GinkgoHelper()
	for _, f := range fs {
		Expect(faults.TrustUndo(f.undo)).To(Succeed(), f.name)
		Expect(faults.RevertUndo(ctx, f.undo)).To(Succeed(), "recover %s", f.name)
	}
}

func ffRevert(ctx context.Context, fs []*ffFault) {
	GinkgoHelper()
	for _, f := range fs {
		Expect(f.f.Revert(ctx)).To(Succeed(), "revert %s", f.name)
	}
}

func ffReversed(fs []*ffFault) []*ffFault {
	out := make([]*ffFault, len(fs))
	for i, f := range fs {
		out[len(fs)-1-i] = f
	}
	return out
}

var _ = Describe("foreign state", Label("traffic"), func() {
	ctx := context.Background()

	DescribeTable("survives byte-identical",
		func(seq func(x ffHost, fs []*ffFault, before ffState)) {
			x := ffBuild()
			before := ffRead(x.h)
			Expect(before.nft).To(ContainSubstring(`tcp dport 22 accept comment "ssh from anywhere"`))
			Expect(before.routes).To(ContainSubstring("198.18.72.0/24"))
			fs := ffFaults(ctx, x, "spec-run")
			ffExpectSame(x.h, before, "prepare")
			seq(x, fs, before)
			ffExpectSame(x.h, before, "the sequence")
		},
		Entry("each fault injected and reverted in turn", func(x ffHost, fs []*ffFault, before ffState) {
			for _, f := range fs {
				Expect(f.f.Inject(ctx)).To(Succeed(), f.name)
				Expect(f.f.Revert(ctx)).To(Succeed(), f.name)
				ffExpectSame(x.h, before, f.name)
			}
		}),
		Entry("all faults held together, reverted in reverse order", func(x ffHost, fs []*ffFault, _ ffState) {
			ffInject(ctx, fs)
			out := testRun("ip", "netns", "exec", x.h, "nft", "list", "ruleset")
			Expect(out).To(ContainSubstring("table inet faultline-spec-run-split"))
			Expect(out).To(ContainSubstring(`comment "faultline run=spec-run step=split"`))
			Expect(out).To(ContainSubstring("table inet filter"))
			ffRevert(ctx, ffReversed(fs))
		}),
		Entry("all faults held together, reverted in injection order", func(_ ffHost, fs []*ffFault, _ ffState) {
			ffInject(ctx, fs)
			ffRevert(ctx, fs)
		}),
		Entry("all faults held, then a crash: recovered from the undo records", func(_ ffHost, fs []*ffFault, _ ffState) {
			ffInject(ctx, fs)
			ffCrash(ctx, fs)
		}),
		Entry("a crash, recover twice, then the dead run's own reverts", func(_ ffHost, fs []*ffFault, _ ffState) {
			ffInject(ctx, fs)
			ffCrash(ctx, ffReversed(fs))
			ffCrash(ctx, fs)
			ffRevert(ctx, fs)
		}),
		Entry("double reverts, then recover", func(_ ffHost, fs []*ffFault, _ ffState) {
			ffInject(ctx, fs)
			ffRevert(ctx, fs)
			ffRevert(ctx, fs)
			ffCrash(ctx, fs)
		}),
		Entry("a crash before anything was injected", func(_ ffHost, fs []*ffFault, _ ffState) {
			ffCrash(ctx, fs)
			ffRevert(ctx, fs)
		}),
		Entry("injected twice (a retried step), reverted once", func(_ ffHost, fs []*ffFault, _ ffState) {
			ffInject(ctx, fs)
			ffInject(ctx, fs)
			ffRevert(ctx, ffReversed(fs))
		}),
		Entry("random sequences of inject, revert and recover", func(x ffHost, fs []*ffFault, before ffState) {
			seed := GinkgoRandomSeed()
			rng := rand.New(rand.NewSource(seed))
			for round := 0; round < 4; round++ {
				var log []string
				for i := 0; i < 25; i++ {
					f := fs[rng.Intn(len(fs))]
					switch rng.Intn(3) {
					case 0:
						log = append(log, "inject "+f.name)
						Expect(f.f.Inject(ctx)).To(Succeed(), "seed %d: %v", seed, log)
					case 1:
						log = append(log, "revert "+f.name)
						Expect(f.f.Revert(ctx)).To(Succeed(), "seed %d: %v", seed, log)
					default:
						log = append(log, "recover "+f.name)
						Expect(faults.RevertUndo(ctx, f.undo)).To(Succeed(), "seed %d: %v", seed, log)
					}
				}
				if rng.Intn(2) == 0 {
					ffCrash(ctx, fs)
				} else {
					ffRevert(ctx, fs)
				}
				ffExpectSame(x.h, before, fmt.Sprintf("seed %d round %d: %v", seed, round, log))
			}
		}),
	)

	It("refuses with: {table: filter} when the fault is built, so the operator's table is never touched", func() {
		for kind, with := range map[string]map[string]any{
			"net.partition": {"a": []string{"198.18.60.2"}, "b": []string{"198.18.61.2"}},
			"net.loss":      {"to": []string{"198.18.60.2"}, "percent": 100},
			"san.fence":     {"addresses": []string{"198.18.61.2"}},
		} {
			with["table"] = "filter"
			k, _ := faults.Lookup(kind)
			raw, _ := json.Marshal(with)
			_, err := k.NewFault(raw)
			Expect(err).To(MatchError(ContainSubstring(`with.table "filter": must start with "faultline-"`)), kind)
		}
	})

	It("refuses to replace a root qdisc tree that has tc filters, which a revert could not rebuild", func() {
		x := ffBuild()
		testRun("ip", "netns", "exec", x.h, "tc", "filter", "add", "dev", "eth1", "parent", "20:", "protocol", "ip",
			"prio", "1", "u32", "match", "ip", "dst", "198.18.71.0/24", "flowid", "20:20")
		filters := func() string { return testRun("ip", "netns", "exec", x.h, "tc", "filter", "show", "dev", "eth1") }
		before, beforeFilters := ffRead(x.h), filters()
		Expect(beforeFilters).To(ContainSubstring("flowid 20:20"))
		f := testFault("net.bandwidth", map[string]any{"netns": x.h, "link": "eth1", "rate": "10mbit"})
		Expect(f.(faults.Preflighter).Preflight(ctx)).To(MatchError(ContainSubstring("has tc filters under 20:")))
		_, err := f.Prepare(ctx)
		Expect(err).To(MatchError(ContainSubstring("has tc filters under 20:")))
		Expect(f.Inject(ctx)).NotTo(Succeed(), "never prepared, never injected")
		Expect(f.Revert(ctx)).To(Succeed())
		ffExpectSame(x.h, before, "a refused bandwidth fault")
		Expect(filters()).To(Equal(beforeFilters))

		// A filter on a class counts as well.
		testRun("ip", "netns", "exec", x.h, "tc", "filter", "del", "dev", "eth1", "parent", "20:", "prio", "1")
		testRun("ip", "netns", "exec", x.h, "tc", "filter", "add", "dev", "eth1", "parent", "20:1", "protocol", "ip",
			"prio", "2", "u32", "match", "ip", "dst", "198.18.72.0/24", "flowid", "20:20")
		Expect(f.(faults.Preflighter).Preflight(ctx)).To(MatchError(ContainSubstring("has tc filters under 20:1")))
	})

	It("never deletes a table named in a tampered undo record that is not faultline's", func() {
		x := ffBuild()
		before := ffRead(x.h)
		ino := testRun("stat", "-L", "-c", "%i", "/run/netns/"+x.h)
		rec := fmt.Sprintf(`{"table":"filter","marker":"faultline run=r step=s","families":["inet"],"netns":[{"name":%q,"inode":%s}]}`,
			x.h, strings.TrimSpace(ino))
		u := faults.Undo{Kind: "net.partition", Params: json.RawMessage(rec)}
		Expect(faults.TrustUndo(u)).To(MatchError(faults.ErrUntrusted))
		Expect(faults.RevertUndo(ctx, u)).To(MatchError(ContainSubstring(`must start with "faultline-"`)))
		ffExpectSame(x.h, before, "a revert of a record naming inet filter")
	})

	Describe("a table that already has faultline's computed name", func() {
		// Someone else's table (no marker), or another run's (other marker).
		for _, comment := range []string{"", "faultline run=other-run step=split"} {
			comment := comment
			It(fmt.Sprintf("fails preflight and is left alone by inject and revert (comment %q)", comment), func() {
				x := ffBuild()
				name := netfault.TableName("spec-run", "split")
				body := "chain input { type filter hook input priority filter; policy accept; tcp dport 22 accept; };"
				if comment != "" {
					body = fmt.Sprintf("comment %q; %s", comment, body)
				}
				testRun("ip", "netns", "exec", x.h, "nft", "add table inet "+name+" { "+body+" }")
				before := ffRead(x.h)
				Expect(before.nft).To(ContainSubstring("table inet " + name))

				f := testFault("net.partition", map[string]any{"netns": x.h, "a": []string{"198.18.60.2"}, "b": []string{"198.18.61.2"}})
				f.(faults.Scoped).SetScope("spec-run", "split")
				err := f.(faults.Preflighter).Preflight(ctx)
				Expect(err).To(MatchError(ContainSubstring("table inet " + name + " already exists in netns:" + x.h)))

				// A run that went ahead anyway (or a table made after preflight).
				u, err := f.Prepare(ctx)
				Expect(err).NotTo(HaveOccurred())
				Expect(f.Inject(ctx)).To(MatchError(faults.ErrUntrusted))
				ffExpectSame(x.h, before, "a refused inject")
				Expect(f.Revert(ctx)).To(MatchError(faults.ErrUntrusted))
				Expect(faults.RevertUndo(ctx, u)).To(MatchError(ContainSubstring("does not carry this fault's marker")))
				ffExpectSame(x.h, before, "refused reverts")
			})
		}

		It("fails preflight when only the bridge family holds it", func() {
			x := ffBuild()
			name := netfault.TableName("spec-run", "fence")
			testRun("ip", "netns", "exec", x.h, "nft", "add", "table", "bridge", name)
			f := testFault("san.fence", map[string]any{"netns": []string{x.h}, "addresses": []string{"198.18.61.2"}})
			f.(faults.Scoped).SetScope("spec-run", "fence")
			Expect(f.(faults.Preflighter).Preflight(ctx)).To(MatchError(ContainSubstring("table bridge " + name + " already exists")))
		})
	})

	It("trusts only undo records that name a faultline table, its marker and recorded namespaces", func() {
		x := ffBuild()
		f := testFault("net.loss", map[string]any{"netns": x.h, "to": []string{"198.18.60.2"}, "percent": 5})
		f.(faults.Scoped).SetScope("spec-run", "lossy")
		u, err := f.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(faults.TrustUndo(u)).To(Succeed())
		var good map[string]any
		Expect(json.Unmarshal(u.Params, &good)).To(Succeed())
		Expect(good["marker"]).To(Equal("faultline run=spec-run step=lossy"))
		tamper := func(key string, v any) faults.Undo {
			m := map[string]any{}
			for k, val := range good {
				m[k] = val
			}
			m[key] = v
			raw, _ := json.Marshal(m)
			return faults.Undo{Kind: "net.loss", Params: raw}
		}
		for what, bad := range map[string]faults.Undo{
			"another table":    tamper("table", "filter"),
			"the old prefix":   tamper("table", "faultline_x"),
			"no marker":        tamper("marker", ""),
			"a foreign family": tamper("families", []string{"ip"}),
			"inode 0":          tamper("netns", []map[string]any{{"name": x.h, "inode": 0}}),
			"a path for netns": tamper("netns", []map[string]any{{"name": "../../proc/self/ns/net", "inode": 1}}),
			"an unknown field": tamper("extra", 1),
			"no namespaces":    tamper("netns", []map[string]any{}),
		} {
			Expect(faults.TrustUndo(bad)).To(MatchError(faults.ErrUntrusted), what)
		}
		// san.fence wraps both modes' records; each is checked.
		links := testFault("san.fence", map[string]any{"netns": x.h, "mode": "links", "links": []string{"eth1"}})
		lu, err := links.Prepare(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(faults.TrustUndo(lu)).To(Succeed())
		var rec map[string]any
		Expect(json.Unmarshal(lu.Params, &rec)).To(Succeed())
		rec["link"].(map[string]any)["inode"] = 0
		raw, _ := json.Marshal(rec)
		Expect(faults.TrustUndo(faults.Undo{Kind: "san.fence", Params: raw})).To(MatchError(faults.ErrUntrusted))
	})
})
