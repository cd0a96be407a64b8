package verify

// Passed reports whether every verdict held (true for none).
func Passed(verdicts []Verdict) bool {
	for i := range verdicts {
		if !verdicts[i].Passed {
			return false
		}
	}
	return true
}
