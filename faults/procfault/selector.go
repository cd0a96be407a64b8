package procfault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
	"github.com/faultline/faultline/internal/pick"
)

// Selector is the `with` fields both process faults share: exactly one of
// Name (exact comm), Cmdline (a regexp over the command line, NULs as
// spaces), PidFile or Unit (a systemd unit's cgroup); Netns keeps only the
// processes in that named network namespace ("host": faultline's own); Count or
// Percent picks a random subset drawn with Seed (chosen and recorded when
// omitted), as for libvirt domains.
type Selector struct {
	Name    string  `json:"name,omitempty"`
	Cmdline string  `json:"cmdline,omitempty"`
	PidFile string  `json:"pidFile,omitempty"`
	Unit    string  `json:"unit,omitempty"`
	Netns   string  `json:"netns,omitempty"`
	Count   int     `json:"count,omitempty"`
	Percent float64 `json:"percent,omitempty"`
	Seed    *int64  `json:"seed,omitempty"`

	re *regexp.Regexp
}

// maxComm is the kernel's comm length (TASK_COMM_LEN - 1).
const maxComm = 15

func (s *Selector) validate() error {
	var errs []error
	var set []string
	for _, f := range []struct{ name, v string }{
		{"name", s.Name}, {"cmdline", s.Cmdline}, {"pidFile", s.PidFile}, {"unit", s.Unit},
	} {
		if f.v != "" {
			set = append(set, f.name)
		}
	}
	if len(set) != 1 {
		msg := "exactly one of name, cmdline, pidFile, unit is required"
		if len(set) > 1 {
			msg += " (got " + strings.Join(set, ", ") + ")"
		}
		errs = append(errs, errors.New(msg))
	}
	if len(s.Name) > maxComm {
		errs = append(errs, fmt.Errorf("name: %q is longer than a comm (%d characters); select by cmdline", s.Name, maxComm))
	}
	if s.Cmdline != "" {
		re, err := regexp.Compile(s.Cmdline)
		if err != nil {
			errs = append(errs, fmt.Errorf("cmdline: bad regexp: %w", err))
		}
		s.re = re
	}
	if s.Unit != "" {
		if err := validUnit(s.Unit); err != nil {
			errs = append(errs, err)
		}
	}
	if err := validNetns(s.Netns); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, pick.Check(s.Count, s.Percent)...)
	if s.Seed == nil && (s.Count != 0 || s.Percent != 0) {
		v := pick.NewSeed()
		s.Seed = &v
	}
	if len(errs) > 0 {
		return fmt.Errorf("with: %w", errors.Join(errs...))
	}
	return nil
}

// validNetns accepts the host and plain /run/netns names, nothing that
// climbs out (the check netfault applies to its namespaces).
func validNetns(name string) error {
	if nsutil.IsHost(name) {
		return nil
	}
	if name == "." || name == ".." || len(name) > 255 || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("netns: %q is not a namespace name", name)
	}
	return nil
}

// field is the selector as the experiment spells it: `name "sleep"`.
func (s *Selector) field() string {
	switch {
	case s.Name != "":
		return fmt.Sprintf("name %q", s.Name)
	case s.Cmdline != "":
		return fmt.Sprintf("cmdline %q", s.Cmdline)
	case s.PidFile != "":
		return fmt.Sprintf("pidFile %q", s.PidFile)
	}
	return fmt.Sprintf("unit %q", unitName(s.Unit))
}

func (s *Selector) String() string {
	str := s.field()
	if s.Netns != "" {
		str += " in netns " + s.Netns
	}
	switch {
	case s.Count > 0:
		str = fmt.Sprintf("%d of %s (seed %d)", s.Count, str, *s.Seed)
	case s.Percent > 0:
		str = fmt.Sprintf("%g%% of %s (seed %d)", s.Percent, str, *s.Seed)
	}
	return str
}

// nsPrefix prefixes a target ID with its namespace.
func (s *Selector) nsPrefix() string {
	if s.Netns == "" {
		return ""
	}
	return "netns:" + s.Netns + "/"
}

// selectorTarget is the target before the selection is resolved.
func (s *Selector) selectorTarget() faults.Target {
	id := s.field()
	id = strings.Replace(id, " ", ":", 1)
	return faults.Target{Kind: "process", ID: s.nsPrefix() + id}
}

// resolve finds the selected processes now, sorted by PID. An empty
// selection is an error naming the selector.
func (s *Selector) resolve(ctx context.Context) ([]procStat, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cands, err := s.candidates()
	if err != nil {
		return nil, err
	}
	nsIno, err := s.netnsInode()
	if err != nil {
		return nil, err
	}
	prot := protected()
	self, selfOK := exeOf(os.Getpid())
	var match []procStat
	for _, pid := range cands {
		st, err := readStat(pid)
		if err != nil || !eligible(st, prot) {
			continue
		}
		if s.Name != "" && st.Comm != s.Name {
			continue
		}
		if s.re != nil {
			cl, err := readCmdline(pid)
			if err != nil || !s.re.MatchString(cl) {
				continue
			}
		}
		if nsIno != 0 {
			if ino, err := netnsInode(pid); err != nil || ino != nsIno {
				continue
			}
		}
		if sameExe(pid, self, selfOK) {
			continue
		}
		match = append(match, st)
	}
	if len(match) == 0 {
		return nil, fmt.Errorf("no process matches %s: %w", s.String(), faults.ErrNotFound)
	}
	sort.Slice(match, func(i, j int) bool { return match[i].PID < match[j].PID })
	if n := pick.Size(len(match), s.Count, s.Percent); n < len(match) {
		pick.Shuffle(len(match), *s.Seed, func(i, j int) { match[i], match[j] = match[j], match[i] })
		match = match[:n]
		sort.Slice(match, func(i, j int) bool { return match[i].PID < match[j].PID })
	}
	return match, nil
}

// netnsInode is the inode of the namespace the selection is restricted
// to, 0 for none. "host" is the namespace faultline itself runs in (where
// an agent acts without netns), since PID 1's may be out of reach.
func (s *Selector) netnsInode() (uint64, error) {
	switch {
	case s.Netns == "":
		return 0, nil
	case nsutil.IsHost(s.Netns):
		return netnsInode(os.Getpid())
	}
	ino, err := nsutil.Inode(s.Netns)
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("netns %q: %w", s.Netns, faults.ErrNotFound)
	}
	return ino, err
}

// candidates lists the PIDs the selector field names, before filtering.
func (s *Selector) candidates() ([]int, error) {
	switch {
	case s.PidFile != "":
		b, err := os.ReadFile(s.PidFile)
		if err != nil {
			return nil, fmt.Errorf("pidFile %q: %w: %w", s.PidFile, err, faults.ErrNotFound)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("pidFile %q: does not hold a PID", s.PidFile)
		}
		return []int{pid}, nil
	case s.Unit != "":
		return unitPIDs(unitName(s.Unit))
	}
	return listPIDs()
}
