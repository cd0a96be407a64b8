package gameday

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
	client := noRedirects(n.Client)
	host := webhookHost(n.URL)
	for i := 1; ; i++ {
		err = n.post(ctx, client, timeout, body)
		if err == nil {
			return nil
		}
		if n.Logf != nil {
			n.Logf("notify %s: try %d of %d: %v", host, i, tries, err)
		}
		if i >= tries || !sleepCtx(ctx, backoff) {
			return fmt.Errorf("notify %s: gave up after %d tries: %w", host, i, err)
		}
		backoff *= 2
	}
}

// noRedirects is the client (or the default one) that never follows a
// redirect: following it would send the summary to wherever the answer
// points. A redirect is a failed post.
func noRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// webhookHost is what logs and errors may say of the webhook: its host
// only. Paths, queries and user info often carry tokens.
func webhookHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(webhook)"
	}
	return u.Host
}

func (n *Notifier) post(ctx context.Context, client *http.Client, timeout time.Duration, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("bad webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "faultline-gameday")
	resp, err := client.Do(req)
	if err != nil {
		// A *url.Error quotes the whole URL: keep only what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return fmt.Errorf("webhook answered %s; redirects are not followed (set the final URL)", resp.Status)
	}
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
