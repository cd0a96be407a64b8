package experiments

import _ "embed"

//go:embed schema.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of the format, version 1.
// It checks structure only: kinds and their `with` parameters, probe and
// step references are checked by Parse.
func Schema() []byte {
	out := make([]byte, len(schema))
	copy(out, schema)
	return out
}
