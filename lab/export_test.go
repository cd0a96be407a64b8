package lab

// SetStateDir points the lab at another state directory (specs use a
// temporary one) and returns the function that restores it.
func SetStateDir(dir string) (restore func()) {
	old := stateDir
	stateDir = dir
	return func() { stateDir = old }
}

// StartTime exposes startTime to the specs.
var StartTime = startTime
