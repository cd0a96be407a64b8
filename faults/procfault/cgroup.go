package procfault

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/faultline/faultline/faults"
)

// cgroupRoots are the hierarchies where systemd keeps its units, in the
// order tried: the unified (v2) mount, the hybrid layout's v2 mount, and
// the hybrid layout's named v1 hierarchy.
var cgroupRoots = []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"}

// maxCgroupDepth bounds the walk that looks for a unit outside system.slice.
const maxCgroupDepth = 8

// unitName adds systemctl's default suffix to a bare name.
func unitName(u string) string {
	if strings.Contains(u, ".") {
		return u
	}
	return u + ".service"
}

// validUnit refuses what could climb out of a cgroup tree.
func validUnit(u string) error {
	if u == "." || u == ".." || strings.ContainsAny(u, "/\x00") || len(u) > 255 {
		return fmt.Errorf("unit: %q is not a unit name", u)
	}
	return nil
}

// unitDir finds a unit's cgroup directory: ROOT/system.slice/UNIT first,
// else the first directory named UNIT found walking ROOT.
func unitDir(unit string) (string, error) {
	for _, root := range cgroupRoots {
		if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
			continue // not a cgroup hierarchy (the hybrid layout's tmpfs)
		}
		d := filepath.Join(root, "system.slice", unit)
		if _, err := os.Stat(filepath.Join(d, "cgroup.procs")); err == nil {
			return d, nil
		}
		found := ""
		_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil || !e.IsDir() {
				return nil
			}
			if strings.Count(strings.TrimPrefix(p, root), "/") > maxCgroupDepth {
				return fs.SkipDir
			}
			if p != root && e.Name() == unit {
				found = p
				return fs.SkipAll
			}
			return nil
		})
		if found != "" {
			return found, nil
		}
	}
	return "", fmt.Errorf("unit %q: no cgroup under /sys/fs/cgroup: %w", unit, faults.ErrNotFound)
}

// unitPIDs reads cgroup.procs of a unit's cgroup and of every cgroup
// below it (a unit with delegation keeps processes in sub-cgroups).
func unitPIDs(unit string) ([]int, error) {
	dir, err := unitDir(unit)
	if err != nil {
		return nil, err
	}
	seen := map[int]bool{}
	var pids []int
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // a sub-cgroup removed while walking
			}
			return err
		}
		if e.IsDir() || e.Name() != "cgroup.procs" {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if pid, err := strconv.Atoi(strings.TrimSpace(sc.Text())); err == nil && pid > 0 && !seen[pid] {
				seen[pid] = true
				pids = append(pids, pid)
			}
		}
		return sc.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("unit %q: %w", unit, err)
	}
	return pids, nil
}
