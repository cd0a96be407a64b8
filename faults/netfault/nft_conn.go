package netfault

import (
	"context"
	"fmt"

	"github.com/google/nftables"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/nsutil"
)

// nftWithConn runs fn with an nftables connection bound to the named
// namespace. The namespace fd stays open for as long as fn runs, because
// every Flush dials a fresh netlink socket through it.
func nftWithConn(ctx context.Context, netnsName string, fn func(c *nftables.Conn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ns, err := nsutil.Open(netnsName)
	if err != nil {
		return nftWrapErr(err)
	}
	defer ns.Close()
	c, err := nftables.New(nftables.WithNetNSFd(int(ns)))
	if err != nil {
		return fmt.Errorf("nftables in netns %q: %w", netnsName, nftWrapErr(err))
	}
	return fn(c)
}

// nftWrapErr maps kernel errors to the faults sentinels (faults.Classify).
func nftWrapErr(err error) error { return faults.Classify(err) }

// nftFamilyName is the nft keyword of a table family, for IDs and errors.
func nftFamilyName(f nftables.TableFamily) string {
	switch f {
	case nftables.TableFamilyINet:
		return "inet"
	case nftables.TableFamilyBridge:
		return "bridge"
	case nftables.TableFamilyIPv4:
		return "ip"
	case nftables.TableFamilyIPv6:
		return "ip6"
	}
	return fmt.Sprintf("family%d", f)
}
