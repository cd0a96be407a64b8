// Package sshx reaches a host over SSH (golang.org/x/crypto/ssh, never a
// forked ssh): host keys checked against known_hosts, keys from files or
// the SSH agent, ~/.ssh/config honoured, an optional jump host and an
// optional namespace the TCP connection is made from. Over that one
// connection it copies faultline's own binary to the host by SFTP,
// content-addressed by SHA-256 (a copy already there is taken by name,
// size, owner and mode, and the agent hashes its own executable before it
// does anything), and starts it on a session channel whose stdin/stdout
// carry the wire protocol.
package sshx
