// Package gameday runs a suite of experiments as one game day: in order,
// with a cooldown between them, only inside an allowed time window, each
// behind a shared steady-state gate (requires), and writes one directory
// per experiment plus an index (index.html, summary.md, summary.json and one
// merged junit.xml). Every experiment runs as a session (internal/session):
// target locks, a guard, the halt watch, the same reports as `faultline
// run`; a halt skips the rest of the game day. Serve runs game days on a cron schedule, keeps their
// history, and exposes it over HTTP with Prometheus metrics.
package gameday
