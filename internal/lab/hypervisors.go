package lab

// isHypervisor reports whether node is one of the topology's hypervisors.
func (t *Topology) isHypervisor(node string) bool {
	for _, h := range t.Hypervisors {
		if h.Name == node {
			return true
		}
	}
	return false
}
