package sshx_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/internal/sshtest"
	"github.com/faultline/faultline/internal/sshx"
)

var _ = Describe("installing and running a binary over the connection", Ordered, func() {
	var s *sshtest.Site
	var c *sshx.Client
	var dir, local, sum string
	ctx := context.Background()

	BeforeAll(func() {
		s = specSite()
		h := specHost(s, "hv-a", 41)
		var err error
		c, err = sshx.Dial(ctx, target(s, h))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(c.Close)
		// The host's files are this machine's: the install directory is a
		// temp dir, never /var/lib/faultline.
		dir = filepath.Join(GinkgoT().TempDir(), "var", "agent")
		local = filepath.Join(GinkgoT().TempDir(), "payload")
		b := make([]byte, 3<<20)
		_, _ = rand.Read(b)
		Expect(os.WriteFile(local, b, 0o755)).To(Succeed())
		h256 := sha256.Sum256(b)
		sum = hex.EncodeToString(h256[:])
	})

	It("copies content-addressed into root-only directories", func() {
		in, err := c.Install(ctx, local, dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(in.Copied).To(BeTrue())
		Expect(in.SHA256).To(Equal(sum))
		Expect(in.Path).To(Equal(filepath.Join(dir, sum, "faultline")))
		Expect(os.ReadFile(in.Path)).To(Equal(mustRead(local)))
		for _, p := range []string{dir, filepath.Dir(in.Path), in.Path} {
			fi, err := os.Lstat(p)
			Expect(err).NotTo(HaveOccurred())
			Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o700)), p)
		}
		Expect(filepath.Glob(filepath.Join(dir, sum, "*.part-*"))).To(BeEmpty(), "no partial file left")
	})

	It("skips the copy when the file is there and its hash verifies", func() {
		before, _ := os.Stat(filepath.Join(dir, sum, "faultline"))
		in, err := c.Install(ctx, local, dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(in.Copied).To(BeFalse())
		after, _ := os.Stat(in.Path)
		Expect(os.SameFile(before, after)).To(BeTrue(), "the same file, not rewritten")
	})

	It("detects a corrupted copy and replaces it", func() {
		p := filepath.Join(dir, sum, "faultline")
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		Expect(err).NotTo(HaveOccurred())
		_, err = f.WriteAt([]byte("tampered"), 1<<20)
		Expect(err).NotTo(HaveOccurred())
		f.Close()
		in, err := c.Install(ctx, local, dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(in.Copied).To(BeTrue())
		Expect(os.ReadFile(p)).To(Equal(mustRead(local)))
	})

	It("replaces a truncated copy and tightens loose modes", func() {
		p := filepath.Join(dir, sum, "faultline")
		Expect(os.Truncate(p, 100)).To(Succeed())
		Expect(os.Chmod(filepath.Join(dir, sum), 0o755)).To(Succeed())
		in, err := c.Install(ctx, local, dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(in.Copied).To(BeTrue())
		fi, _ := os.Stat(filepath.Join(dir, sum))
		Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o700)))
	})

	It("takes a present copy by its name, size, owner and mode without reading it back", func() {
		in, err := c.Install(ctx, local, dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(in.Verified).To(BeTrue())
		// Same size, other bytes: only a read-back would notice, and
		// InstallChecked leaves that to the binary's own check.
		f, err := os.OpenFile(in.Path, os.O_WRONLY, 0)
		Expect(err).NotTo(HaveOccurred())
		_, err = f.WriteAt([]byte("tampered"), 1<<20)
		Expect(err).NotTo(HaveOccurred())
		f.Close()
		chk, err := c.InstallChecked(ctx, local, dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(chk.Copied).To(BeFalse(), "not copied again")
		Expect(chk.Verified).To(BeFalse(), "not read back: the agent checks its own hash")
		Expect(chk.Size).To(Equal(int64(3 << 20)))

		again, err := c.Reinstall(ctx, local, dir, chk)
		Expect(err).NotTo(HaveOccurred())
		Expect(again.Copied && again.Verified).To(BeTrue())
		Expect(os.ReadFile(in.Path)).To(Equal(mustRead(local)))
	})

	It("replaces a present copy of the wrong size, mode or owner without reading it", func() {
		p := filepath.Join(dir, sum, "faultline")
		for _, spoil := range []func() error{
			func() error { return os.Truncate(p, 1<<20) },
			func() error { return os.Chmod(p, 0o755) },
			func() error { return os.Chown(p, 65534, 65534) },
		} {
			_, err := c.Install(ctx, local, dir)
			Expect(err).NotTo(HaveOccurred())
			Expect(spoil()).To(Succeed())
			in, err := c.InstallChecked(ctx, local, dir)
			Expect(err).NotTo(HaveOccurred())
			Expect(in.Copied).To(BeTrue())
			fi, err := os.Lstat(p)
			Expect(err).NotTo(HaveOccurred())
			Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o700)))
			Expect(fi.Sys().(*syscall.Stat_t).Uid).To(BeZero())
			Expect(os.ReadFile(p)).To(Equal(mustRead(local)))
		}
	})

	It("runs an installed binary on a session channel and exchanges bytes", func() {
		in, err := c.Install(ctx, "/bin/cat", dir)
		Expect(err).NotTo(HaveOccurred())
		p, err := c.Start(ctx, in.Path)
		Expect(err).NotTo(HaveOccurred())
		msg := make([]byte, 256<<10)
		_, _ = rand.Read(msg)
		go func() {
			defer GinkgoRecover()
			_, err := p.Write(msg)
			Expect(err).NotTo(HaveOccurred())
			Expect(p.Close()).To(Succeed())
		}()
		got, err := io.ReadAll(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal(msg))
		Expect(p.Wait(ctx)).To(Succeed())
	})

	It("reports a failing command with its exit status and stderr, naming the host", func() {
		p, err := c.Start(ctx, "/bin/sh", "-c", "echo broken >&2; exit 3")
		Expect(err).NotTo(HaveOccurred())
		err = p.Wait(ctx)
		Expect(err).To(MatchError(ContainSubstring("host hv-a: exit status 3: ")))
		Expect(err).To(MatchError(HaveSuffix("broken")))
	})

	It("passes arguments as words, never as shell text", func() {
		p, err := c.Start(ctx, "/bin/echo", "a b", "$(id)", "it's")
		Expect(err).NotTo(HaveOccurred())
		out, err := io.ReadAll(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(out)).To(Equal("a b $(id) it's\n"))
	})

	It("kills a running process that ends at the end of its input", func() {
		in, err := c.Install(ctx, "/bin/cat", filepath.Join(GinkgoT().TempDir(), "kill"))
		Expect(err).NotTo(HaveOccurred())
		p, err := c.Start(ctx, in.Path)
		Expect(err).NotTo(HaveOccurred())
		go io.Copy(io.Discard, p) // the controller always reads what the agent says
		_, err = p.Write([]byte("x"))
		Expect(err).NotTo(HaveOccurred())
		running := func() bool { return exec.Command("pgrep", "-f", in.Path).Run() == nil }
		Eventually(running, "2s", "20ms").Should(BeTrue())
		start := time.Now()
		_ = p.Kill(ctx) // sshd may not report the exit of an EOF'd child in time; the process is what counts
		Expect(time.Since(start)).To(BeNumerically("<", sshx.KillGrace+time.Second))
		Eventually(running, "3s", "20ms").Should(BeFalse())
		_, err = p.Write([]byte("y"))
		Expect(err).To(HaveOccurred(), "the channel is closed")
	})

	It("prunes other versions, keeping the one in use and anything not named by a hash", func() {
		other := filepath.Join(dir, "0000000000000000000000000000000000000000000000000000000000000000")
		Expect(os.MkdirAll(other, 0o700)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(other, "faultline"), []byte("old"), 0o700)).To(Succeed())
		Expect(os.MkdirAll(filepath.Join(dir, "notes"), 0o700)).To(Succeed())
		removed, err := c.Prune(ctx, dir, sum)
		Expect(err).NotTo(HaveOccurred())
		Expect(removed).To(ConsistOf(other, ContainSubstring(dir+"/")), "the old version and the cat copy")
		Expect(filepath.Join(dir, sum, "faultline")).To(BeAnExistingFile())
		Expect(filepath.Join(dir, "notes")).To(BeADirectory())
		Expect(other).NotTo(BeADirectory())
	})

	It("shares one connection per host in a pool, and reports every failure at once", func() {
		targets := map[string]*sshx.Target{"hv-a": target(s, s.Hosts()[0])}
		for _, n := range []string{"ghost-1", "ghost-2"} {
			t := target(s, s.Hosts()[0])
			t.Name, t.Address, t.Timeout = n, "198.19.0.25"+n[len(n)-1:], 500*time.Millisecond
			targets[n] = t
		}
		dials := 0
		pool := sshx.NewPool(func(name string) (*sshx.Target, error) {
			dials++
			return targets[name], nil
		})
		defer pool.Close()
		a1, err := pool.Client(ctx, "hv-a")
		Expect(err).NotTo(HaveOccurred())
		a2, err := pool.Client(ctx, "hv-a")
		Expect(err).NotTo(HaveOccurred())
		Expect(a2).To(BeIdenticalTo(a1))
		err = pool.DialAll(ctx, []string{"ghost-2", "hv-a", "ghost-1"})
		Expect(err).To(MatchError(ContainSubstring("host ghost-1")))
		Expect(err).To(MatchError(ContainSubstring("host ghost-2")))
		Expect(dials).To(Equal(3), "hv-a dialed once")
	})
})

func mustRead(p string) []byte {
	GinkgoHelper()
	b, err := os.ReadFile(p)
	Expect(err).NotTo(HaveOccurred())
	return b
}
