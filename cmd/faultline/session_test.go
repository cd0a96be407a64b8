package main_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/internal/nettest"
	"github.com/faultline/faultline/internal/nsutil"
)

// fl runs the binary against a given state directory.
func fl(state string, args ...string) (string, int) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "FAULTLINE_STATE_DIR="+state)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	Expect(err).NotTo(HaveOccurred())
	return string(out), 0
}

// syncBuffer is a buffer a running process writes while a spec reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// bg is the binary running in the background.
type bg struct {
	cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{}
	code int
}

func startFL(state string, args ...string) *bg {
	b := &bg{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	b.cmd.Env = append(os.Environ(), "FAULTLINE_STATE_DIR="+state)
	b.cmd.Stdout, b.cmd.Stderr = &b.out, &b.out
	Expect(b.cmd.Start()).To(Succeed())
	go func() {
		err := b.cmd.Wait()
		b.code = 0
		if ee, ok := err.(*exec.ExitError); ok {
			b.code = ee.ExitCode()
		}
		close(b.done)
	}()
	DeferCleanup(func() {
		select {
		case <-b.done:
		default:
			_ = b.cmd.Process.Signal(syscall.SIGCONT)
			_ = b.cmd.Process.Signal(syscall.SIGTERM)
			<-b.done
		}
	})
	return b
}

// wait returns the exit code, failing after d.
func (b *bg) wait(d time.Duration) int {
	select {
	case <-b.done:
		return b.code
	case <-time.After(d):
		Fail(fmt.Sprintf("still running after %s:\n%s", d, b.out.String()))
	}
	return -1
}

func linkUp(ns, link string) bool {
	h, err := nsutil.Handle(ns)
	Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	l, err := h.LinkByName(link)
	Expect(err).NotTo(HaveOccurred())
	return l.Attrs().Flags&net.FlagUp != 0
}

// holdTemplate cuts the server's NIC for 30 s.
const holdTemplate = `version: 1
name: %[2]s
steps:
  - {name: cut, fault: link.down, with: {netns: %[1]s, link: eth0}, duration: 30s}
safety: {guardTTL: %[3]s}
`

// haltWritten is when the halt file was written: the moment of the halt,
// without the halt command's own start-up.
func haltWritten(state string) time.Time {
	st, err := os.Stat(filepath.Join(state, "halt"))
	Expect(err).NotTo(HaveOccurred())
	return st.ModTime()
}

// regularFiles lists the files (not directories) under dir.
func regularFiles(dir string) []string {
	var files []string
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return files
}

var _ = Describe("flags anywhere", func() {
	exp := `version: 1
name: flags
steps:
  - {name: w, action: wait, with: {duration: 10ms}}
`
	It("reads flags after the positional arguments, global flags after the command, and leaves what follows -- alone", func() {
		dir := GinkgoT().TempDir()
		state := GinkgoT().TempDir()
		p := writeFile(dir, "e.yaml", exp)
		out, code := fl(state, "run", p, "--out", filepath.Join(dir, "o"), "--no-progress")
		Expect(code).To(Equal(0), out)
		Expect(filepath.Join(dir, "o", "journal.jsonl")).To(BeARegularFile())
		out, code = fl(state, "run", p, "--out="+filepath.Join(dir, "o2"), "--state-dir", filepath.Join(dir, "st"))
		Expect(code).To(Equal(0), out)
		Expect(filepath.Join(dir, "st", "locks")).To(BeADirectory(), "--state-dir after the command reached the app")
		out, code = fl(state, "validate", p, "--", "-dash.yaml")
		Expect(code).To(Equal(2), out)
		Expect(out).To(ContainSubstring("-dash.yaml"))
		out, code = fl(state, "run", p, "--nosuch")
		Expect(code).To(Equal(2), out)
		Expect(out).To(ContainSubstring("flag provided but not defined: -nosuch"))
		out, code = fl(state, "report", filepath.Join(dir, "o", "journal.jsonl"), "--format", "json")
		Expect(code).To(Equal(0), out)
		Expect(out).To(ContainSubstring(`"status": "passed"`))
	})
})

var _ = Describe("shell completion", func() {
	It("prints bash and zsh scripts and completes commands", func() {
		out, code := fl(GinkgoT().TempDir(), "completion", "bash")
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("complete -o bashdefault -o default -F _faultline_complete faultline"))
		out, code = fl(GinkgoT().TempDir(), "completion", "zsh")
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("#compdef faultline"))
		out, code = fl(GinkgoT().TempDir(), "completion", "fish")
		Expect(code).To(Equal(2))
		Expect(out).To(ContainSubstring("bash or zsh"))
		out, code = fl(GinkgoT().TempDir(), "--generate-bash-completion")
		Expect(code).To(Equal(0))
		Expect(out).To(And(ContainSubstring("inject"), ContainSubstring("halt"), ContainSubstring("gameday")))
		out, _ = fl(GinkgoT().TempDir(), "inject", "--", "--generate-bash-completion")
		Expect(out).To(And(ContainSubstring("--with"), ContainSubstring("--for")))

		// The script itself, in bash, against the binary on the PATH.
		pathDir := GinkgoT().TempDir()
		Expect(os.Symlink(bin, filepath.Join(pathDir, "faultline"))).To(Succeed())
		sh := exec.Command("bash", "-c", `source <(faultline completion bash)
COMP_WORDS=(faultline ha); COMP_CWORD=1; _faultline_complete; echo "cmd: ${COMPREPLY[*]}"
COMP_WORDS=(faultline run x.yaml --o); COMP_CWORD=3; _faultline_complete; echo "flag: ${COMPREPLY[*]}"`)
		sh.Env = append(os.Environ(), "PATH="+pathDir+":"+os.Getenv("PATH"))
		b, err := sh.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(b))
		Expect(string(b)).To(And(ContainSubstring("cmd: halt\n"), ContainSubstring("flag: --out\n")))
	})
})

var _ = Describe("inject", Serial, func() {
	It("holds link.down for --for, journaled and guarded, and leaves nothing in the state directory", func() {
		t := nettest.New("fl-i", "198.18.140", false)
		dir, state := GinkgoT().TempDir(), GinkgoT().TempDir()
		out := filepath.Join(dir, "inj")
		before := t.Snapshot()
		b := startFL(state, "inject", "link.down", "--netns", t.Server, "--with", "link=eth0", "--for", "1s", "--out", out)
		Eventually(func() bool { return linkUp(t.Server, "eth0") }, "900ms", "5ms").Should(BeFalse(), "down during")
		Consistently(func() bool { return linkUp(t.Server, "eth0") }, "500ms", "20ms").Should(BeFalse())
		Expect(b.wait(5*time.Second)).To(Equal(0), b.out.String)
		Expect(linkUp(t.Server, "eth0")).To(BeTrue(), "up after")
		nettest.ExpectSameSnapshots(before, t.Snapshot())
		Expect(b.out.String()).To(ContainSubstring("faultline --state-dir " + state + " recover"))
		run, err := journal.ReadFile(filepath.Join(out, "journal.jsonl"))
		Expect(err).NotTo(HaveOccurred())
		Expect(run.End).NotTo(BeNil())
		Expect(run.End.Status).To(Equal("passed"))
		Expect(run.OpenUndos()).To(BeEmpty())
		Expect(filepath.Join(out, "guard.log")).To(BeARegularFile(), "it ran guarded")
		Expect(regularFiles(state)).To(BeEmpty())

		// Without --for it holds until Ctrl-C, then reverts.
		b = startFL(state, "inject", "link.down", "--netns", t.Server, "--with", "link=eth0", "--out", filepath.Join(dir, "held"))
		Eventually(func() bool { return linkUp(t.Server, "eth0") }, "900ms", "5ms").Should(BeFalse())
		Consistently(func() bool { return linkUp(t.Server, "eth0") }, "300ms", "20ms").Should(BeFalse())
		Expect(b.cmd.Process.Signal(os.Interrupt)).To(Succeed())
		Expect(b.wait(5*time.Second)).To(Equal(3), b.out.String)
		Expect(linkUp(t.Server, "eth0")).To(BeTrue(), "up after Ctrl-C")
		Expect(regularFiles(state)).To(BeEmpty())

		o, code := fl(state, "inject", "link.down", "--on", "hv-a", "--with", "link=eth0")
		Expect(code).To(Equal(2))
		Expect(o).To(ContainSubstring("inject: --on hv-a: name the hosts' --inventory"))
		o, code = fl(state, "inject", "--list")
		Expect(code).To(Equal(0))
		Expect(o).To(ContainSubstring("link.down"))
		Expect(o).To(MatchRegexp(`(?m)^network\.destroy \(fault\): .*\n(  .*\n)*  network +string, required`), "parameters from the registry")
		Expect(o).NotTo(ContainSubstring("domain.start"), "actions are no faults")
	})
})

var _ = Describe("halt", Serial, func() {
	It("reverts 3 live runs within 1 s, each aborted (exit 3), and refuses new runs until unhalt", func() {
		dir, state := GinkgoT().TempDir(), GinkgoT().TempDir()
		var topos []*nettest.Topo
		var runs []*bg
		for i := 0; i < 3; i++ {
			t := nettest.New("fl-h", fmt.Sprintf("198.18.%d", 141+i), false)
			topos = append(topos, t)
			p := writeFile(dir, fmt.Sprintf("h%d.yaml", i), fmt.Sprintf(holdTemplate, t.Server, fmt.Sprintf("hold-%d", i), "3s"))
			runs = append(runs, startFL(state, "run", p, "--out", filepath.Join(dir, fmt.Sprint(i)), "--no-progress"))
		}
		for _, t := range topos {
			Eventually(func() bool { return linkUp(t.Server, "eth0") }, "5s", "5ms").Should(BeFalse())
		}
		start := time.Now()
		out, code := fl(state, "halt", "--reason", "spec says stop")
		Expect(code).To(Equal(0), out)
		Expect(out).To(ContainSubstring("all 3 runs reverted and ended"))
		for _, t := range topos {
			Eventually(func() bool { return linkUp(t.Server, "eth0") }, "1s", "2ms").Should(BeTrue())
		}
		took, since := time.Since(start), time.Since(haltWritten(state))
		GinkgoWriter.Printf("halt says: %s\n", out)
		fmt.Printf("halt: 3 live runs reverted %s after the halt file was written (%s after `faultline halt` started)\n", since, took)
		Expect(since).To(BeNumerically("<", time.Second))
		for i, r := range runs {
			Expect(r.wait(2*time.Second)).To(Equal(3), r.out.String)
			run, err := journal.ReadFile(filepath.Join(dir, fmt.Sprint(i), "journal.jsonl"))
			Expect(err).NotTo(HaveOccurred())
			Expect(run.End.Status).To(Equal("aborted"))
			Expect(run.OpenUndos()).To(BeEmpty())
			Expect(run.Aborts).NotTo(BeEmpty())
			Expect(run.Aborts[0].Reason).To(ContainSubstring("spec says stop"))
		}
		st, err := os.Stat(filepath.Join(state, "halt"))
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))

		p := filepath.Join(dir, "h0.yaml")
		out, code = fl(state, "run", p, "--out", filepath.Join(dir, "refused"))
		Expect(code).To(Equal(3), out)
		Expect(out).To(And(ContainSubstring("spec says stop"), ContainSubstring("faultline unhalt"), ContainSubstring("nothing was injected")))
		Expect(linkUp(topos[0].Server, "eth0")).To(BeTrue())
		out, code = fl(state, "inject", "link.down", "--netns", topos[0].Server, "--with", "link=eth0", "--for", "1s")
		Expect(code).To(Equal(3), out)

		out, code = fl(state, "unhalt")
		Expect(code).To(Equal(0), out)
		out, code = fl(state, "inject", "link.down", "--netns", topos[0].Server, "--with", "link=eth0", "--for", "100ms",
			"--out", filepath.Join(dir, "after"))
		Expect(code).To(Equal(0), out)
	})

	It("lets the guard revert for a hung (SIGSTOPped) runner within 1 s", func() {
		dir, state := GinkgoT().TempDir(), GinkgoT().TempDir()
		t := nettest.New("fl-h", "198.18.144", false)
		p := writeFile(dir, "h.yaml", fmt.Sprintf(holdTemplate, t.Server, "hung", "30s"))
		r := startFL(state, "run", p, "--out", filepath.Join(dir, "o"), "--no-progress")
		Eventually(func() bool { return linkUp(t.Server, "eth0") }, "5s", "5ms").Should(BeFalse())
		Expect(r.cmd.Process.Signal(syscall.SIGSTOP)).To(Succeed())
		start := time.Now()
		_, code := fl(state, "halt", "--wait", "0s")
		Expect(code).To(Equal(0))
		Eventually(func() bool { return linkUp(t.Server, "eth0") }, "1s", "2ms").Should(BeTrue())
		took, since := time.Since(start), time.Since(haltWritten(state))
		fmt.Printf("halt: the guard of a stopped runner reverted %s after the halt file was written (%s after `faultline halt` started; guardTTL 30s)\n", since, took)
		if gl, err := os.ReadFile(filepath.Join(dir, "o", "guard.log")); err == nil {
			GinkgoWriter.Printf("halt at %s\n%s", start.Format("15:04:05.000000"), gl)
		}
		Expect(since).To(BeNumerically("<", time.Second))
		Expect(r.cmd.Process.Signal(syscall.SIGCONT)).To(Succeed())
		Expect(r.wait(5*time.Second)).To(Equal(3), r.out.String)
		guardLog, _ := os.ReadFile(filepath.Join(dir, "o", "guard.log"))
		Expect(string(guardLog)).To(ContainSubstring("did not stop within"))
	})
})

var _ = Describe("a game-day experiment runs in a session", Serial, func() {
	It("holds its targets against other runs, and its guard reverts a SIGKILLed game day within guardTTL", func() {
		dir, state := GinkgoT().TempDir(), GinkgoT().TempDir()
		t := nettest.New("fl-d", "198.18.145", false)
		writeFile(dir, "hold.yaml", fmt.Sprintf(holdTemplate, t.Server, "gd-hold", "1s"))
		gd := writeFile(dir, "gd.yaml", "version: 1\nname: guarded\nexperiments: [hold.yaml]\n")
		g := startFL(state, "gameday", "run", gd, "--out", filepath.Join(dir, "gd"), "--no-notify")
		Eventually(func() bool { return linkUp(t.Server, "eth0") }, "5s", "5ms").Should(BeFalse())

		other := writeFile(dir, "other.yaml", fmt.Sprintf(holdTemplate, t.Server, "other", "1s"))
		out, code := fl(state, "run", other, "--out", filepath.Join(dir, "other"))
		Expect(code).To(Equal(2), out)
		Expect(out).To(ContainSubstring("held by run gd-hold-"))

		Expect(g.cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
		start := time.Now()
		Eventually(func() bool { return linkUp(t.Server, "eth0") }, "1s", "2ms").Should(BeTrue())
		fmt.Printf("game day SIGKILLed: its guard reverted in %s (guardTTL 1s)\n", time.Since(start))
		g.wait(time.Second)

		_, code = fl(state, "halt")
		Expect(code).To(Equal(0))
		out, code = fl(state, "gameday", "run", gd, "--out", filepath.Join(dir, "gd2"), "--no-notify")
		Expect(code).To(Equal(3), out)
		Expect(out).To(ContainSubstring("halted"))
		Expect(linkUp(t.Server, "eth0")).To(BeTrue(), "nothing was injected")
	})
})
