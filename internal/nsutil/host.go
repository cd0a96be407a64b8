package nsutil

import (
	"fmt"
	"os"
)

// HostSelfEnv, set to "self" in the environment, makes "host" mean the
// namespace a faultline process starts in (see HostIsSelf); `faultline
// agent` sets it so the host guard it starts agrees with it.
const HostSelfEnv = "FAULTLINE_HOST_NETNS"

// hostPath is the namespace file "host" names: PID 1's, unless HostIsSelf.
var (
	hostPath = "/proc/1/ns/net"
	hostFile *os.File // kept open for the life of the process
)

func init() {
	if os.Getenv(HostSelfEnv) == "self" {
		if err := HostIsSelf(); err != nil {
			hostPath = "" // never fall back to PID 1's namespace
		}
	}
}

// HostIsSelf makes "host" (an empty netns) mean the namespace this process
// runs in instead of PID 1's: on a remote host, a fault without `netns:`
// acts in the SSH server's namespace, never in another one. Call it at
// start, before any thread has switched namespace.
func HostIsSelf() error {
	f, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		hostPath = ""
		return fmt.Errorf("own netns: %w", err)
	}
	hostFile = f
	hostPath = fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	return nil
}
