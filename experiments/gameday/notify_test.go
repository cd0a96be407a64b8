package gameday_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/experiments/gameday"
)

// hook is a webhook receiver that answers 500 to the first `fail` posts.
type hook struct {
	mu     sync.Mutex
	fail   int
	posts  int
	bodies [][]byte
	times  []time.Time
	ctype  string
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.posts++
	h.times = append(h.times, time.Now())
	h.ctype = r.Header.Get("Content-Type")
	if r.Method != http.MethodPost || h.posts <= h.fail {
		http.Error(w, "not now", http.StatusInternalServerError)
		return
	}
	h.bodies = append(h.bodies, body)
}

var _ = Describe("the webhook", func() {
	sum := &gameday.Summary{GameDay: "nightly", Run: "nightly-1", Status: gameday.StatusFailed, Exit: 1,
		Experiments: []gameday.ExperimentResult{{Name: "cut-nic", Status: gameday.StatusFailed, Exit: 1}}}

	It("receives the JSON summary, after a retry when the first post fails", func() {
		h := &hook{fail: 1}
		srv := httptest.NewServer(h)
		DeferCleanup(srv.Close)
		var logged []string
		n := gameday.Notifier{URL: srv.URL, Backoff: 100 * time.Millisecond,
			Logf: func(f string, a ...any) { logged = append(logged, f) }}
		Expect(n.Send(context.Background(), sum)).To(Succeed())
		h.mu.Lock()
		defer h.mu.Unlock()
		Expect(h.posts).To(Equal(2))
		Expect(h.times[1].Sub(h.times[0])).To(BeNumerically(">=", 100*time.Millisecond), "backoff before the retry")
		Expect(h.ctype).To(Equal("application/json"))
		Expect(h.bodies).To(HaveLen(1))
		var got gameday.Summary
		Expect(json.Unmarshal(h.bodies[0], &got)).To(Succeed())
		Expect(got.GameDay).To(Equal("nightly"))
		Expect(got.Exit).To(Equal(1))
		Expect(got.Experiments[0].Name).To(Equal("cut-nic"))
		Expect(logged).To(HaveLen(1), "the failed try is logged")
	})

	It("gives up after its tries, doubling the backoff, and the failure is only logged", func() {
		h := &hook{fail: 100}
		srv := httptest.NewServer(h)
		DeferCleanup(srv.Close)
		n := gameday.Notifier{URL: srv.URL, Tries: 3, Backoff: 50 * time.Millisecond}
		err := n.Send(context.Background(), sum)
		Expect(err).To(MatchError(ContainSubstring("gave up after 3 tries")))
		Expect(err).To(MatchError(ContainSubstring("500")))
		h.mu.Lock()
		Expect(h.posts).To(Equal(3))
		Expect(h.times[2].Sub(h.times[1])).To(BeNumerically(">=", 100*time.Millisecond))
		h.mu.Unlock()

		// Through the game day's notify setting: logged, never returned.
		gd := &gameday.GameDay{File: &gameday.File{Name: "nightly", Notify: &gameday.Notify{Webhook: srv.URL}}}
		var logged []string
		gameday.NotifySummary(context.Background(), gd, sum, gameday.Notifier{Tries: 1,
			Logf: func(f string, a ...any) { logged = append(logged, f) }})
		Expect(logged).NotTo(BeEmpty())
	})
})

var _ = Describe("the webhook's URL and redirects", func() {
	sum := &gameday.Summary{GameDay: "nightly", Run: "nightly-1", Status: gameday.StatusPassed}

	It("does not follow a redirect with the summary, and logs only the host, never the token", func() {
		target := &hook{}
		tsrv := httptest.NewServer(target)
		DeferCleanup(tsrv.Close)
		redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, tsrv.URL+"/elsewhere", http.StatusTemporaryRedirect)
		}))
		DeferCleanup(redir.Close)
		var logged []string
		n := gameday.Notifier{URL: redir.URL + "/hooks/T0KEN-s3cret?key=s3cret", Tries: 2, Backoff: 10 * time.Millisecond,
			Logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }}
		err := n.Send(context.Background(), sum)
		Expect(err).To(MatchError(ContainSubstring("redirects are not followed")))
		target.mu.Lock()
		Expect(target.posts).To(BeZero(), "the summary went where the redirect pointed")
		target.mu.Unlock()
		Expect(logged).To(HaveLen(2))
		for _, l := range append(logged, err.Error()) {
			Expect(l).NotTo(ContainSubstring("s3cret"))
			Expect(l).To(ContainSubstring(strings.TrimPrefix(redir.URL, "http://")))
		}

		// A connection error quotes no URL either.
		n = gameday.Notifier{URL: "http://127.0.0.1:1/hooks/T0KEN-s3cret", Tries: 1}
		err = n.Send(context.Background(), sum)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).NotTo(ContainSubstring("s3cret"))
	})
})
