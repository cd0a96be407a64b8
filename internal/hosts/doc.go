// Package hosts is the inventory of machines an experiment reaches over
// SSH: the experiment's `inventory:`, `hostDefaults:` and `hosts:` fields,
// Ansible inventories (YAML and INI) with their groups and connection
// variables, inline hosts merged over them, and the `on:` selector that
// picks hosts by name, glob or group with a recorded seed.
//
// Nothing here dials a host; internal/sshx does.
package hosts
