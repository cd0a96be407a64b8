package nsutil_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"

	"github.com/faultline/faultline/internal/nsutil"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func threadNetns() uint64 {
	var st unix.Stat_t
	Expect(unix.Stat("/proc/thread-self/ns/net", &st)).To(Succeed())
	return st.Ino
}

var _ = Describe("OnThread, the one namespace switch", func() {
	var name string
	BeforeEach(func() {
		name = fmt.Sprintf("fl-th-%08x", rand.Uint32())
		Expect(nsutil.Create(name)).To(Succeed())
		DeferCleanup(nsutil.Delete, name)
	})

	It("hands back threads in the namespace they started in, whatever fn did", func() {
		self, err := nsutil.SelfInode()
		Expect(err).NotTo(HaveOccurred())
		target, err := nsutil.Inode(name)
		Expect(err).NotTo(HaveOccurred())
		Expect(target).NotTo(Equal(self))

		boom := errors.New("boom")
		for range 20 {
			var inside uint64
			err := nsutil.OnThread(func() error {
				h, err := nsutil.Open(name)
				if err != nil {
					return err
				}
				defer h.Close()
				if err := netns.Set(h); err != nil {
					return err
				}
				inside = threadNetns()
				return boom
			})
			Expect(err).To(MatchError(boom))
			Expect(inside).To(Equal(target))
		}
		// Every thread the scheduler may use is back in this process's namespace.
		var wg sync.WaitGroup
		seen := make(chan uint64, 200)
		for range 200 {
			wg.Go(func() {
				_, _ = os.Stat("/") // a blocking call spreads goroutines over threads
				seen <- threadNetns()
			})
		}
		wg.Wait()
		close(seen)
		for ino := range seen {
			Expect(ino).To(Equal(self))
		}
	})

	It("enters a namespace for Do and a socket of Dialer keeps it", func() {
		target, err := nsutil.Inode(name)
		Expect(err).NotTo(HaveOccurred())
		var inside uint64
		Expect(nsutil.Do(name, func() error { inside = threadNetns(); return nil })).To(Succeed())
		Expect(inside).To(Equal(target))
		// Nothing listens in the fresh namespace, whose lo is up: refused at once.
		_, err = nsutil.Dialer(name)(context.Background(), "tcp", "127.0.0.1:9")
		Expect(err).To(MatchError(unix.ECONNREFUSED))
	})
})
