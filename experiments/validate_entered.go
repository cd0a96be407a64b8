package experiments

// entered checks `entered: "<op> N"` and its `times: "<op> N"`: both
// compare plain numbers, and each needs the other.
func (v *validator) entered(p string, f Verify) {
	entered := v.written(p+".entered", f.Entered != "")
	times := v.written(p+".times", f.Times != "")
	switch {
	case entered && !times:
		v.errf(p+".entered", "missing times: how often the value may enter %q, e.g. times: \"== 1\"", f.Entered)
	case times && !entered:
		v.errf(p+".times", "only with entered")
	}
	for _, x := range []struct{ field, val, eg string }{{"entered", f.Entered, "== 0"}, {"times", f.Times, "== 1"}} {
		if !v.written(p+"."+x.field, x.val != "") {
			continue
		}
		if c, err := ParseComparison(x.val); err != nil {
			v.errf(p+"."+x.field, "want a comparison such as %q: %v", x.eg, err)
		} else if c.Unit != "" {
			v.errf(p+"."+x.field, "bad %s %q: compare with a plain number, e.g. %q", x.field, x.val, x.eg)
		}
	}
}
