package sshx

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sync"
	"syscall"

	"github.com/pkg/sftp"
)

// DefaultAgentDir is where faultline keeps its binaries on a host, one
// directory per SHA-256. Root-only: the directories are 0700, the file
// 0700.
const DefaultAgentDir = "/var/lib/faultline/agent"

// BinaryName is the file name of the copied binary in its directory.
const BinaryName = "faultline"

// Installed is a binary on a host.
type Installed struct {
	Path   string // dir/<sha256>/faultline
	SHA256 string
	Size   int64
	Copied bool // false: it was there already
	// Verified: its bytes were read back and hashed over SFTP. When
	// false (InstallChecked found it present), only its name, size,
	// owner and modes were checked, and whoever runs it must have it
	// check its own hash (the agent's --sha256).
	Verified bool
}

// Install copies the local file to dir/<sha256>/faultline on the host
// over SFTP (dir "" = DefaultAgentDir), unless a file with that hash is
// there already. Either way the remote file is read back and its hash
// verified before Install returns it, so what runs is what was meant to.
// A file whose hash is wrong (corrupted, truncated, tampered) is replaced.
func (c *Client) Install(ctx context.Context, local, dir string) (*Installed, error) {
	return c.install(ctx, local, dir, true)
}

// InstallChecked is Install without reading back a copy that is already
// there: a file named by the right SHA-256, regular, of the right size,
// mode 0700 and owned by root in root-only directories is taken as it
// is, and a fresh copy is not read back either. Reading 30 MB back over
// SFTP on every run dominated connecting many hosts. What runs must then
// check itself: `faultline agent --sha256` hashes its own executable
// (the inode it runs from, not a path looked at earlier) before it does
// anything, and exits with ExitBadBinary on a mismatch (see
// StartAgent, which then replaces the copy).
func (c *Client) InstallChecked(ctx context.Context, local, dir string) (*Installed, error) {
	return c.install(ctx, local, dir, false)
}

func (c *Client) install(ctx context.Context, local, dir string, readBack bool) (*Installed, error) {
	if dir == "" {
		dir = DefaultAgentDir
	}
	sum, size, err := localSum(local)
	if err != nil {
		return nil, err
	}
	sc, err := sftp.NewClient(c.conn)
	if err != nil {
		return nil, fmt.Errorf("host %s: sftp: %w", c.Target.Name, err)
	}
	defer sc.Close()
	stop := context.AfterFunc(ctx, func() { sc.Close() })
	defer stop()
	in := &Installed{Path: path.Join(dir, sum, BinaryName), SHA256: sum, Size: size}
	fail := func(what string, err error) (*Installed, error) {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("host %s: install %s: %s: %w", c.Target.Name, in.Path, what, err)
	}
	sumDir := path.Join(dir, sum)
	if err := rootOnlyDirs(sc, dir, sumDir); err != nil {
		return fail("directory", err)
	}
	if fi, err := sc.Lstat(in.Path); err == nil {
		if readBack {
			if fi.Mode().IsRegular() {
				if got, err := hashRemote(sc, in.Path); err == nil && got == sum {
					if fi.Mode().Perm() != 0o700 {
						if err := sc.Chmod(in.Path, 0o700); err != nil {
							return fail("chmod", err)
						}
					}
					in.Verified = true
					return in, nil
				}
			}
		} else if present(fi, size) {
			return in, nil
		}
		if err := sc.Remove(in.Path); err != nil {
			return fail("remove the bad copy", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fail("stat", err)
	}
	if err := upload(ctx, sc, local, in.Path); err != nil {
		return fail("copy", err)
	}
	in.Copied = true
	if !readBack {
		fi, err := sc.Lstat(in.Path)
		if err != nil {
			return fail("stat the copy", err)
		}
		if !present(fi, size) {
			return fail("verify", fmt.Errorf("after copying: %s, %d bytes, want 0700 and %d bytes", fi.Mode(), fi.Size(), size))
		}
		return in, nil
	}
	got, err := hashRemote(sc, in.Path)
	if err != nil {
		return fail("read back", err)
	}
	if got != sum {
		return fail("verify", fmt.Errorf("SHA-256 %s after copying, want %s", got, sum))
	}
	in.Verified = true
	return in, nil
}

// present says whether a file found at the binary's name may be run
// without reading it back: a regular file (not a link), of the right
// size, mode 0700 and owned by root. The directories above it were made
// root-only by rootOnlyDirs, so only root could have put it there.
func present(fi os.FileInfo, size int64) bool {
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o700 || fi.Size() != size {
		return false
	}
	st, ok := fi.Sys().(*sftp.FileStat)
	return ok && st.UID == 0
}

// Reinstall removes the copy at in.Path and installs local again, read
// back and verified: after the binary refused to run (its hash did not
// match), the copy on the host is bad.
func (c *Client) Reinstall(ctx context.Context, local, dir string, in *Installed) (*Installed, error) {
	sc, err := sftp.NewClient(c.conn)
	if err != nil {
		return nil, fmt.Errorf("host %s: sftp: %w", c.Target.Name, err)
	}
	err = sc.Remove(in.Path)
	sc.Close()
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("host %s: remove the bad copy %s: %w", c.Target.Name, in.Path, err)
	}
	return c.Install(ctx, local, dir)
}

// rootOnlyDirs makes each directory (and dir's parents) and leaves the
// given ones mode 0700 and not symbolic links.
func rootOnlyDirs(sc *sftp.Client, dirs ...string) error {
	for _, d := range dirs {
		if err := sc.MkdirAll(d); err != nil {
			return err
		}
		fi, err := sc.Lstat(d)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory (%s)", d, fi.Mode())
		}
		if fi.Mode().Perm() != 0o700 {
			if err := sc.Chmod(d, 0o700); err != nil {
				return err
			}
		}
	}
	return nil
}

// CopySlots bounds how many copies run at once from this process: each
// copy's encryption costs this machine's CPU, and a hundred at once only
// make every one of them late.
const CopySlots = 4

var copySlots = make(chan struct{}, CopySlots)

func upload(ctx context.Context, sc *sftp.Client, local, remote string) error {
	select {
	case copySlots <- struct{}{}:
		defer func() { <-copySlots }()
	case <-ctx.Done():
		return ctx.Err()
	}
	src, err := os.Open(local)
	if err != nil {
		return err
	}
	defer src.Close()
	var r [6]byte
	_, _ = rand.Read(r[:])
	tmp := remote + ".part-" + hex.EncodeToString(r[:])
	dst, err := sc.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			dst.Close()
			sc.Remove(tmp)
		}
	}()
	if err := dst.Chmod(0o700); err != nil {
		return err
	}
	if _, err := dst.ReadFrom(src); err != nil {
		return err
	}
	// fsync@openssh.com where the server has it.
	if err := dst.Sync(); err != nil && !errors.Is(err, sftp.ErrSSHFxOpUnsupported) {
		var se *sftp.StatusError
		if !errors.As(err, &se) || se.FxCode() != sftp.ErrSSHFxOpUnsupported {
			return err
		}
	}
	if err := dst.Close(); err != nil {
		return err
	}
	ok = true
	if err := sc.PosixRename(tmp, remote); err != nil {
		sc.Remove(tmp)
		return err
	}
	return nil
}

// localSums remembers the SHA-256 of local files by path, size, mtime
// and inode: a run over a hundred hosts hashes its own binary once.
var localSums sync.Map // path -> localSumEntry

type localSumEntry struct {
	size, mtime int64
	ino         uint64
	sum         string
}

func localSum(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, fmt.Errorf("install: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", 0, fmt.Errorf("install: %w", err)
	}
	key := localSumEntry{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		key.ino = st.Ino
	}
	if v, ok := localSums.Load(p); ok {
		if e := v.(localSumEntry); e.size == key.size && e.mtime == key.mtime && e.ino == key.ino {
			return e.sum, e.size, nil
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", 0, fmt.Errorf("install: hash %s: %w", p, err)
	}
	key.sum = hex.EncodeToString(h.Sum(nil))
	localSums.Store(p, key)
	return key.sum, key.size, nil
}

func hashRemote(sc *sftp.Client, p string) (string, error) {
	f, err := sc.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := f.WriteTo(h); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Prune removes the other versions under dir ("" = DefaultAgentDir),
// keeping the directory named keep (a SHA-256). It removes only entries
// named like a SHA-256, and returns what it removed.
func (c *Client) Prune(ctx context.Context, dir, keep string) ([]string, error) {
	if dir == "" {
		dir = DefaultAgentDir
	}
	sc, err := sftp.NewClient(c.conn)
	if err != nil {
		return nil, fmt.Errorf("host %s: sftp: %w", c.Target.Name, err)
	}
	defer sc.Close()
	stop := context.AfterFunc(ctx, func() { sc.Close() })
	defer stop()
	entries, err := sc.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("host %s: prune %s: %w", c.Target.Name, dir, err)
	}
	var removed []string
	for _, e := range entries {
		if e.Name() == keep || !isSHA256(e.Name()) {
			continue
		}
		p := path.Join(dir, e.Name())
		if err := sc.RemoveAll(p); err != nil {
			return removed, fmt.Errorf("host %s: prune %s: %w", c.Target.Name, p, err)
		}
		removed = append(removed, p)
	}
	return removed, nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
