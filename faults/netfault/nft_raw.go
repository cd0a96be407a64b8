package netfault

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/nsutil"
)

// The nftables library does not read or write a table's userdata (where
// nft keeps a table's comment), nor delete a table by handle. faultline
// needs both to tell its tables from anyone else's: it creates its tables
// with a comment marker, and deletes one only by the handle it was listed
// under, so a table replaced between the check and the delete is never hit.
// These few requests are made here on a raw nfnetlink socket.

const (
	nftaTableHandle   = 4 // NFTA_TABLE_HANDLE
	nftaTableUserdata = 6 // NFTA_TABLE_USERDATA
	nftUdataComment   = 0 // NFTNL_UDATA_TABLE_COMMENT
)

// nftRawTable is a table as the kernel lists it, with its comment.
type nftRawTable struct {
	Family  nftables.TableFamily
	Name    string
	Handle  uint64
	Comment string
}

// nftRawConn is an nfnetlink socket in a namespace.
type nftRawConn struct{ c *netlink.Conn }

func nftRawDial(ctx context.Context, netnsName string) (*nftRawConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ns, err := nsutil.Open(netnsName)
	if err != nil {
		return nil, nftWrapErr(err)
	}
	defer ns.Close()
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: int(ns)})
	if err != nil {
		return nil, fmt.Errorf("nfnetlink in netns %q: %w", netnsName, nftWrapErr(err))
	}
	// A kernel that never answers must not hang a revert.
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(5 * time.Second)
	}
	_ = c.SetDeadline(dl)
	return &nftRawConn{c: c}, nil
}

func (r *nftRawConn) Close() error { return r.c.Close() }

func nftGenHeader(family uint8, resID uint16) []byte {
	return []byte{family, unix.NFNETLINK_V0, byte(resID >> 8), byte(resID)}
}

// tables lists every table called name, in any family.
func (r *nftRawConn) tables(name string) ([]nftRawTable, error) {
	msgs, err := r.c.Execute(netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_GETTABLE),
			Flags: netlink.Request | netlink.Dump,
		},
		Data: nftGenHeader(unix.NFPROTO_UNSPEC, 0),
	})
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", nftWrapErr(err))
	}
	var out []nftRawTable
	for _, m := range msgs {
		if len(m.Data) < 4 {
			continue
		}
		t := nftRawTable{Family: nftables.TableFamily(m.Data[0])}
		ad, err := netlink.NewAttributeDecoder(m.Data[4:])
		if err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		for ad.Next() {
			switch ad.Type() {
			case unix.NFTA_TABLE_NAME:
				t.Name = ad.String()
			case nftaTableHandle:
				if b := ad.Bytes(); len(b) == 8 {
					t.Handle = binary.BigEndian.Uint64(b)
				}
			case nftaTableUserdata:
				t.Comment = nftUdataString(ad.Bytes(), nftUdataComment)
			}
		}
		if err := ad.Err(); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		if t.Name == name {
			out = append(out, t)
		}
	}
	return out, nil
}

// nftUdataString reads one string of a userdata TLV list; anything
// malformed (userdata is whatever the table's creator wrote) reads as "".
func nftUdataString(b []byte, typ byte) string {
	for len(b) >= 2 {
		t, n := b[0], int(b[1])
		if len(b) < 2+n {
			return ""
		}
		if t == typ {
			v := b[2 : 2+n]
			if len(v) > 0 && v[len(v)-1] == 0 {
				v = v[:len(v)-1]
			}
			return string(v)
		}
		b = b[2+n:]
	}
	return ""
}

// createMsg creates a table carrying comment; it fails with EEXIST when a
// table of that name and family exists, whoever made it.
func nftCreateMsg(fam nftables.TableFamily, name, comment string) netlink.Message {
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NFTA_TABLE_NAME, name)
	ae.Uint32(unix.NFTA_TABLE_FLAGS, 0)
	ud := append([]byte{nftUdataComment, byte(len(comment) + 1)}, comment...)
	ae.Bytes(nftaTableUserdata, append(ud, 0))
	data, _ := ae.Encode() // strings and fixed sizes only: cannot fail
	return netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_NEWTABLE),
			Flags: netlink.Request | netlink.Acknowledge | netlink.Create | netlink.Excl,
		},
		Data: append(nftGenHeader(uint8(fam), 0), data...),
	}
}

// nftDeleteMsg deletes the table with this handle and nothing else.
func nftDeleteMsg(t nftRawTable) netlink.Message {
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	ae.Uint64(nftaTableHandle, t.Handle)
	data, _ := ae.Encode()
	return netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_DELTABLE),
			Flags: netlink.Request | netlink.Acknowledge,
		},
		Data: append(nftGenHeader(uint8(t.Family), 0), data...),
	}
}

// batch sends msgs as one transaction: all of them apply, or none.
func (r *nftRawConn) batch(msgs []netlink.Message) error {
	all := make([]netlink.Message, 0, len(msgs)+2)
	all = append(all, netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_MSG_BATCH_BEGIN), Flags: netlink.Request},
		Data:   nftGenHeader(unix.NFPROTO_UNSPEC, unix.NFNL_SUBSYS_NFTABLES),
	})
	all = append(all, msgs...)
	all = append(all, netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_MSG_BATCH_END), Flags: netlink.Request},
		Data:   nftGenHeader(unix.NFPROTO_UNSPEC, unix.NFNL_SUBSYS_NFTABLES),
	})
	if _, err := r.c.SendMessages(all); err != nil {
		return fmt.Errorf("send: %w", nftWrapErr(err))
	}
	var errs []error
	for range msgs {
		if _, err := r.c.Receive(); err != nil {
			errs = append(errs, nftWrapErr(err))
			var op *netlink.OpError
			if !errors.As(err, &op) {
				break // the socket itself failed: nothing more will come
			}
		}
	}
	return errors.Join(errs...)
}
