package gameday

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/faultline/faultline/internal/session"
)

// ServeOptions of the scheduler.
type ServeOptions struct {
	// HistoryDir keeps one directory per game-day run, named by its run id.
	HistoryDir string
	StateDir   string
	Version    string
	Logf       func(format string, args ...any)
	// Now is the clock the window is checked against (default time.Now).
	Now         func() time.Time
	SteadyGrace time.Duration
	// Notifier holds the retry settings for the webhook (its URL comes
	// from the game-day file).
	Notifier Notifier
}

// Server runs a game day on its schedule, never two at once, and serves
// its history and metrics.
type Server struct {
	gd      *GameDay
	opts    ServeOptions
	metrics *Metrics
	busy    sync.Mutex
	wg      sync.WaitGroup
}

// NewServer checks that the game day has a schedule and restores the last
// results from the history directory.
func NewServer(gd *GameDay, opts ServeOptions) (*Server, error) {
	if gd.Schedule == nil {
		return nil, fmt.Errorf("%s: no schedule: serve needs `schedule` (a cron spec)", gd.Path)
	}
	if opts.HistoryDir == "" {
		return nil, errors.New("serve: no history directory")
	}
	s := &Server{gd: gd, opts: opts, metrics: NewMetrics(gd.File.Name)}
	if runs, err := ListHistory(opts.HistoryDir); err == nil {
		for i := len(runs) - 1; i >= 0; i-- { // oldest first, so the newest wins
			if runs[i].Summary != nil && runs[i].Summary.GameDay == gd.File.Name {
				s.metrics.Restore(runs[i].Summary)
			}
		}
	}
	return s, nil
}

// Metrics of the server.
func (s *Server) Metrics() *Metrics { return s.metrics }

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// Serve runs the scheduler and the HTTP server on ln until ctx ends
// (SIGTERM). Then it stops the schedule, cancels a game day in progress
// (the engine reverts everything it injected), waits for it to finish
// writing its reports, and closes the listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.httpServer()
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()

	c := cron.New()
	c.Schedule(s.gd.Schedule, cron.FuncJob(func() {
		s.wg.Add(1)
		defer s.wg.Done()
		s.Trigger(ctx)
	}))
	c.Start()
	s.logf("serving game day %s on http://%s, schedule %q, window %s, history in %s",
		s.gd.File.Name, ln.Addr(), s.gd.File.Schedule, s.gd.Window, s.opts.HistoryDir)
	var err error
	select {
	case <-ctx.Done():
	case err = <-httpErr:
	}
	s.logf("stopping: no new game days; a game day in progress is being reverted")
	<-c.Stop().Done()
	s.wg.Wait()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	s.logf("stopped")
	return err
}

// httpServer has timeouts: a client that stalls must not hold a
// connection (or the shutdown) forever.
func (s *Server) httpServer() *http.Server {
	return &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
}

// Trigger runs the game day now unless one is running or the window is
// closed (both are logged and counted). It returns nil when nothing ran.
func (s *Server) Trigger(ctx context.Context) *Summary {
	if !s.busy.TryLock() {
		s.logf("game day %s: scheduled run skipped: the previous one is still running", s.gd.File.Name)
		s.metrics.Skipped("busy")
		return nil
	}
	defer s.busy.Unlock()
	now := time.Now()
	if s.opts.Now != nil {
		now = s.opts.Now()
	}
	if !s.gd.Window.Contains(now) {
		s.logf("game day %s: scheduled run skipped: %s is outside the window (%s)",
			s.gd.File.Name, now.In(s.gd.Window.Loc).Format("Mon 15:04 MST"), s.gd.Window)
		s.metrics.Skipped("window")
		return nil
	}
	if h := session.Halted(s.opts.StateDir); h != nil {
		s.logf("game day %s: scheduled run skipped: %s", s.gd.File.Name, h)
		s.metrics.Skipped("halted")
		s.metrics.SetHalted(true)
		return nil
	}
	s.metrics.SetHalted(false)
	if ctx.Err() != nil {
		return nil
	}
	runID := NewRunID(s.gd.File.Name)
	s.metrics.Running(true)
	sum := Run(ctx, s.gd, Options{OutDir: filepath.Join(s.opts.HistoryDir, runID), RunID: runID,
		StateDir: s.opts.StateDir, Version: s.opts.Version, Logf: s.opts.Logf, Now: s.opts.Now,
		SteadyGrace: s.opts.SteadyGrace})
	s.metrics.Record(sum)
	s.metrics.Running(false)
	s.logf("game day %s: %s", s.gd.File.Name, sum.Headline())
	n := s.opts.Notifier
	if n.Logf == nil {
		n.Logf = s.opts.Logf
	}
	nctx := context.WithoutCancel(ctx)
	if ctx.Err() != nil {
		n.Tries = 1 // shutting down: one try, do not hold up the exit
	}
	NotifySummary(nctx, s.gd, sum, n)
	return sum
}
