package netfault

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// TablePrefix starts the name of every table faultline creates. A table
// without it is never created, changed or deleted by faultline, and an
// undo record naming one is not trusted.
const TablePrefix = "faultline-"

// nftTableMaxLen is the kernel's NFT_NAME_MAXLEN minus the terminating NUL.
const nftTableMaxLen = 255

// nftMarkerMaxLen keeps the marker comment inside the table's userdata
// (NFT_USERDATA_MAXLEN is 256, with a 2-byte TLV header and a NUL).
const nftMarkerMaxLen = 200

// TableName is the nftables table a run's step owns:
// faultline-<run>-<step>, with every character outside [A-Za-z0-9_-]
// replaced by '_'. When that replacement or the kernel's length limit
// changed something, a short hash of the exact run and step is added, so
// distinct steps never share a name.
func TableName(run, step string) string {
	name := TablePrefix + nftSanitize(run) + "-" + nftSanitize(step)
	if nftSanitize(run) != run || nftSanitize(step) != step {
		name += "-" + nftShortHash(run+"\x00"+step)
	}
	return nftClamp(name, nftTableMaxLen)
}

// nftDefaultTableName names the table of a fault the engine did not scope
// (built directly, as specs and `recover` do): stable for one kind and set
// of parameters.
func nftDefaultTableName(kind string, params []byte) string {
	return TablePrefix + nftSanitize(kind) + "-" + nftShortHash(kind+"\x00"+string(params))
}

// nftMarker is the comment faultline puts on every table it creates; a
// revert deletes a table only when this exact text is on it. It names
// the run and step for an operator reading `nft list ruleset`.
func nftMarker(run, step, table string) string {
	if run == "" {
		return nftClamp("faultline table="+table, nftMarkerMaxLen)
	}
	return nftClamp(fmt.Sprintf("faultline run=%s step=%s", run, step), nftMarkerMaxLen)
}

func nftShortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

func nftSanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// nftClamp cuts s to max bytes, ending in a hash of the whole, so that
// two long names that share a beginning stay distinct.
func nftClamp(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:max-13] + "-" + nftShortHash(s)
}

// nftValidTableName accepts only names faultline makes: the prefix, then
// letters, digits, '_' and '-'. field names the parameter in errors.
func nftValidTableName(field, s string) error {
	if !strings.HasPrefix(s, TablePrefix) {
		return fmt.Errorf("%s %q: must start with %q: faultline only creates and deletes tables of its own (omit %s to get %s<run>-<step>)",
			field, s, TablePrefix, field, TablePrefix)
	}
	if len(s) > nftTableMaxLen {
		return fmt.Errorf("%s %q: longer than %d bytes", field, s, nftTableMaxLen)
	}
	if nftSanitize(s) != s {
		return fmt.Errorf("%s %q: only letters, digits, '_' and '-' are allowed", field, s)
	}
	return nil
}
