package netfault

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// nftTablePrefix starts the name of every table faultline creates, so that
// operators (and recover) can tell faultline's tables from anyone else's.
const nftTablePrefix = "faultline_"

// nftTableMaxLen is the kernel's NFT_NAME_MAXLEN minus the terminating NUL.
const nftTableMaxLen = 255

// TableName is the nftables table a run's step owns: faultline_<run>_<step>,
// with every character nftables would not accept in an unquoted name
// replaced by '_'. The engine passes it to traffic faults as the `table`
// parameter, so that a revert deletes exactly that table and nothing else.
func TableName(run, step string) string {
	return nftTableClamp(nftTablePrefix + nftSanitize(run) + "_" + nftSanitize(step))
}

// nftDefaultTableName derives a stable table name from the kind and its
// parameters when the engine did not set one.
func nftDefaultTableName(kind string, params []byte) string {
	sum := sha256.Sum256(append([]byte(kind+"\x00"), params...))
	return nftTablePrefix + nftSanitize(kind) + "_" + hex.EncodeToString(sum[:6])
}

func nftSanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func nftTableClamp(s string) string {
	if len(s) <= nftTableMaxLen {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return s[:nftTableMaxLen-13] + "_" + hex.EncodeToString(sum[:6])
}

// nftValidTableName accepts names that TableName or an operator could
// produce; it rejects names that would be ambiguous in nft's syntax.
func nftValidTableName(s string) error {
	if s == "" || len(s) > nftTableMaxLen {
		return fmt.Errorf("table %q: length must be 1..%d", s, nftTableMaxLen)
	}
	if nftSanitize(s) != s {
		return fmt.Errorf("table %q: only letters, digits and '_' are allowed", s)
	}
	if s[0] >= '0' && s[0] <= '9' {
		return fmt.Errorf("table %q: must not start with a digit", s)
	}
	return nil
}
