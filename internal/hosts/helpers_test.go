package hosts_test

import (
	"math/rand/v2"
	"sort"
)

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// virtfaultPick is faults/virtfault's draw written out, to pin that `on:`
// picks exactly as domain targets do.
func virtfaultPick(names []string, n int, seed int64) []string {
	m := sortedCopy(names)
	r := rand.New(rand.NewPCG(uint64(seed), 0x66617574))
	r.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
	return sortedCopy(m[:n])
}
