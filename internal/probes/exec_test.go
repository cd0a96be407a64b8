package probes_test

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/probes"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func execProbe(argv []string, expect *int, netns string) probes.Def {
	return def("exec", probes.ExecParams{Command: argv, ExpectExit: expect, Timeout: ms(2000)}, 0, netns)
}

func intp(i int) *int { return &i }

var _ = Describe("exec probe", func() {
	It("is ok on exit 0 and takes the first number on stdout as value", func() {
		s := newProber(execProbe([]string{"sh", "-c", "echo 'replicas: 42.5 of 7'"}, nil, "")).Check(context.Background())
		Expect(s.OK).To(BeTrue(), s.Detail)
		Expect(s.Value).To(Equal(42.5))
		Expect(s.Detail).To(BeEmpty())
	})

	It("has value 0 when stdout holds no number", func() {
		s := newProber(execProbe([]string{"true"}, nil, "")).Check(context.Background())
		Expect(s.OK).To(BeTrue(), s.Detail)
		Expect(s.Value).To(Equal(0.0))
	})

	It("fails on another exit status, with stderr as detail", func() {
		s := newProber(execProbe([]string{"sh", "-c", "echo 5; echo '  broken pipe  ' >&2; exit 3"}, nil, "")).Check(context.Background())
		Expect(s.OK).To(BeFalse())
		Expect(s.Value).To(Equal(5.0))
		Expect(s.Detail).To(Equal("exit status 3, want 0: broken pipe"))
	})

	It("uses stdout as detail when stderr is empty", func() {
		s := newProber(execProbe([]string{"sh", "-c", "echo unhealthy; exit 1"}, nil, "")).Check(context.Background())
		Expect(s.OK).To(BeFalse())
		Expect(s.Detail).To(Equal("exit status 1, want 0: unhealthy"))
	})

	It("is ok when the exit status equals expectExit", func() {
		s := newProber(execProbe([]string{"sh", "-c", "exit 3"}, intp(3), "")).Check(context.Background())
		Expect(s.OK).To(BeTrue(), s.Detail)
		s = newProber(execProbe([]string{"true"}, intp(3), "")).Check(context.Background())
		Expect(s.OK).To(BeFalse())
		Expect(s.Detail).To(ContainSubstring("exit status 0, want 3"))
	})

	It("passes argv as given, without a shell", func() {
		s := newProber(execProbe([]string{"echo", "$((6*7)) ; exit 9"}, nil, "")).Check(context.Background())
		Expect(s.OK).To(BeTrue(), s.Detail)
		Expect(s.Value).To(Equal(6.0))
	})

	It("kills the command at its timeout", func() {
		p := def("exec", probes.ExecParams{Command: []string{"sleep", "5"}, Timeout: ms(100)}, 0, "")
		start := time.Now()
		s := newProber(p).Check(context.Background())
		Expect(time.Since(start)).To(BeNumerically("<", 400*time.Millisecond))
		Expect(s.OK).To(BeFalse())
		Expect(s.Detail).To(ContainSubstring("timeout"))
	})

	It("kills what the command started when it times out", func() {
		// The grandchild holds stdout open; the whole group must die.
		p := def("exec", probes.ExecParams{Command: []string{"sh", "-c", "sleep 5 & sleep 5"}, Timeout: ms(100)}, 0, "")
		start := time.Now()
		s := newProber(p).Check(context.Background())
		Expect(time.Since(start)).To(BeNumerically("<", 400*time.Millisecond))
		Expect(s.OK).To(BeFalse())
	})

	It("refuses a command that is not installed at preflight, and no command at all when built", func() {
		p, err := probes.New(execProbe([]string{"fl-no-such-command"}, nil, ""))
		Expect(err).NotTo(HaveOccurred(), "a file naming a command is valid on a machine without it")
		Expect(p.(probes.Preflighter).Preflight(context.Background())).To(MatchError(ContainSubstring("fl-no-such-command")))
		_, err = probes.New(execProbe(nil, nil, ""))
		Expect(err).To(MatchError(ContainSubstring("command: missing")))
	})

	It("runs the command inside its namespace", func() {
		ns := newNetns()
		nsIno, err := nsutil.Inode(ns)
		Expect(err).NotTo(HaveOccurred())
		var own unix.Stat_t
		Expect(unix.Stat("/proc/self/ns/net", &own)).To(Succeed())
		Expect(own.Ino).NotTo(Equal(nsIno))

		// readlink prints net:[INODE]: the value is the namespace's inode.
		readNs := []string{"readlink", "/proc/self/ns/net"}
		s := newProber(execProbe(readNs, nil, ns)).Check(context.Background())
		Expect(s.OK).To(BeTrue(), s.Detail)
		Expect(s.Value).To(Equal(float64(nsIno)))

		s = newProber(execProbe(readNs, nil, "")).Check(context.Background())
		Expect(s.Value).To(Equal(float64(own.Ino)))

		// And the links it sees are the namespace's: only lo.
		s = newProber(execProbe([]string{"grep", "-c", ":", "/proc/net/dev"}, nil, ns)).Check(context.Background())
		Expect(s.OK).To(BeTrue(), s.Detail)
		Expect(s.Value).To(Equal(1.0))
	})

	It("leaves the caller's thread in its own namespace", func() {
		ns := newNetns()
		p := newProber(execProbe([]string{"true"}, nil, ns))
		for range 20 {
			Expect(p.Check(context.Background()).OK).To(BeTrue())
		}
		// Every thread of this process is still in the original namespace.
		var own unix.Stat_t
		Expect(unix.Stat("/proc/self/ns/net", &own)).To(Succeed())
		tasks, err := os.ReadDir("/proc/self/task")
		Expect(err).NotTo(HaveOccurred())
		for _, t := range tasks {
			var st unix.Stat_t
			if unix.Stat("/proc/self/task/"+t.Name()+"/ns/net", &st) == nil {
				Expect(st.Ino).To(Equal(own.Ino), "thread %s", t.Name())
			}
		}
	})
})
