package gameday

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Notifier posts a game day's JSON summary to a webhook.
type Notifier struct {
	URL string
	// Tries in all (default 3); Backoff before the second try, doubling
	// after each failure (default 2s); Timeout per try (default 10s).
	Tries   int
	Backoff time.Duration
	Timeout time.Duration
	Client  *http.Client
	Logf    func(format string, args ...any)
}

// Send posts the summary, retrying on errors and non-2xx answers. It
// returns the last error after the final try; callers log it and go on.
func (n *Notifier) Send(ctx context.Context, s *Summary) error {
	body, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	tries, backoff, timeout := n.Tries, n.Backoff, n.Timeout
	if tries <= 0 {
		tries = 3
	}
	if backoff <= 0 {
		backoff = 2 * time.Second
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	client := n.Client
	if client == nil {
		client = http.DefaultClient
	}
	for i := 1; ; i++ {
		err = n.post(ctx, client, timeout, body)
		if err == nil {
			return nil
		}
		if n.Logf != nil {
			n.Logf("notify: try %d of %d: %v", i, tries, err)
		}
		if i >= tries || !sleepCtx(ctx, backoff) {
			return fmt.Errorf("notify %s: gave up after %d tries: %w", n.URL, i, err)
		}
		backoff *= 2
	}
}

func (n *Notifier) post(ctx context.Context, client *http.Client, timeout time.Duration, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "faultline-gameday")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// NotifySummary sends the summary to the game day's webhook if it has one,
// logging (never returning) a failure.
func NotifySummary(ctx context.Context, gd *GameDay, s *Summary, n Notifier) {
	if gd.File.Notify == nil || gd.File.Notify.Webhook == "" {
		return
	}
	n.URL = gd.File.Notify.Webhook
	if err := n.Send(ctx, s); err != nil && n.Logf != nil {
		n.Logf("%v", err)
	}
}
