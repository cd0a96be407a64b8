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
	Copied bool // false: it was there already and its hash verified
}

// Install copies the local file to dir/<sha256>/faultline on the host
// over SFTP (dir "" = DefaultAgentDir), unless a file with that hash is
// there already. Either way the remote file is read back and its hash
// verified before Install returns it, so what runs is what was meant to.
// A file whose hash is wrong (corrupted, truncated, tampered) is replaced.
func (c *Client) Install(ctx context.Context, local, dir string) (*Installed, error) {
	if dir == "" {
		dir = DefaultAgentDir
	}
	sum, err := hashLocal(local)
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
	in := &Installed{Path: path.Join(dir, sum, BinaryName), SHA256: sum}
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
		if fi.Mode().IsRegular() {
			if got, err := hashRemote(sc, in.Path); err == nil && got == sum {
				if fi.Mode().Perm() != 0o700 {
					if err := sc.Chmod(in.Path, 0o700); err != nil {
						return fail("chmod", err)
					}
				}
				return in, nil
			}
		}
		if err := sc.Remove(in.Path); err != nil {
			return fail("remove the bad copy", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fail("stat", err)
	}
	if err := upload(sc, local, in.Path); err != nil {
		return fail("copy", err)
	}
	in.Copied = true
	got, err := hashRemote(sc, in.Path)
	if err != nil {
		return fail("read back", err)
	}
	if got != sum {
		return fail("verify", fmt.Errorf("SHA-256 %s after copying, want %s", got, sum))
	}
	return in, nil
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

func upload(sc *sftp.Client, local, remote string) error {
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

func hashLocal(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("install: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("install: hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
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
