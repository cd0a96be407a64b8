package hosts

import (
	"path/filepath"
)

// Load builds an experiment's host set: the inventory (a path relative to
// dir, the experiment file's directory; "" for none), hostDefaults and
// inline hosts, whose relative key and known_hosts paths are made
// relative to dir too.
func Load(dir, inventory string, defaults Spec, inline map[string]Spec) (*Set, error) {
	var inv *Inventory
	if inventory != "" {
		p := inventory
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		var err error
		if inv, err = LoadInventory(p); err != nil {
			return nil, err
		}
	}
	defaults.ResolvePaths(dir)
	resolved := make(map[string]Spec, len(inline))
	for name, s := range inline {
		s.ResolvePaths(dir)
		resolved[name] = s
	}
	return NewSet(inv, defaults, resolved)
}
