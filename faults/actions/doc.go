// Package actions holds the generic runbook actions: `exec` (a command,
// no shell, optionally inside a named network namespace) and `wait`.
package actions
