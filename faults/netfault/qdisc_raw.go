package netfault

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/nsutil"
)

// qdiscRecord is one qdisc or class as the kernel dumps it: kind, handle,
// parent and the TCA_OPTIONS payload byte for byte. Sending the same bytes
// back rebuilds it with every parameter, including ones the netlink
// library does not model.
type qdiscRecord struct {
	Kind    string `json:"kind"`
	Handle  uint32 `json:"handle"`
	Parent  uint32 `json:"parent"`
	Options []byte `json:"options,omitempty"`
}

func (r qdiscRecord) String() string {
	return fmt.Sprintf("%s %s parent %s", r.Kind, qdiscHandleStr(r.Handle), qdiscHandleStr(r.Parent))
}

func qdiscHandleStr(h uint32) string {
	switch h {
	case netlink.HANDLE_ROOT:
		return "root"
	case netlink.HANDLE_INGRESS:
		return "ingress"
	}
	return fmt.Sprintf("%x:%x", h>>16, h&0xffff)
}

// qdiscSock is a rtnetlink socket inside a namespace, for the raw tc
// requests the netlink library has no call for.
type qdiscSock struct {
	sh *nl.SocketHandle
}

func qdiscOpenSock(netnsName string) (*qdiscSock, error) {
	ns, err := nsutil.Open(netnsName)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	s, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("rtnetlink in netns %q: %w", netnsName, err)
	}
	return &qdiscSock{sh: &nl.SocketHandle{Socket: s}}, nil
}

func (s *qdiscSock) Close() { s.sh.Socket.Close() }

func (s *qdiscSock) request(msgType, flags int) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(msgType, flags)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: s.sh}
	return req
}

// dump lists the qdiscs (RTM_GETQDISC) or classes (RTM_GETTCLASS) of a link.
func (s *qdiscSock) dump(getType int, ifindex int) ([]qdiscRecord, error) {
	req := s.request(getType, unix.NLM_F_DUMP)
	req.AddData(&nl.TcMsg{Family: unix.AF_UNSPEC, Ifindex: int32(ifindex)})
	newType := uint16(unix.RTM_NEWQDISC)
	if getType == unix.RTM_GETTCLASS {
		newType = unix.RTM_NEWTCLASS
	}
	msgs, err := req.Execute(unix.NETLINK_ROUTE, newType)
	if err != nil {
		return nil, err
	}
	var out []qdiscRecord
	for _, m := range msgs {
		tm := nl.DeserializeTcMsg(m)
		if int(tm.Ifindex) != ifindex {
			continue
		}
		attrs, err := nl.ParseRouteAttr(m[tm.Len():])
		if err != nil {
			return nil, err
		}
		r := qdiscRecord{Handle: tm.Handle, Parent: tm.Parent}
		for _, a := range attrs {
			switch a.Attr.Type {
			case nl.TCA_KIND:
				r.Kind = string(bytes.TrimRight(a.Value, "\x00"))
			case nl.TCA_OPTIONS:
				r.Options = append([]byte(nil), a.Value...)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// put creates or replaces a qdisc (RTM_NEWQDISC) or class (RTM_NEWTCLASS)
// from a record.
func (s *qdiscSock) put(newType int, ifindex int, r qdiscRecord) error {
	req := s.request(newType, unix.NLM_F_CREATE|unix.NLM_F_REPLACE|unix.NLM_F_ACK)
	req.AddData(&nl.TcMsg{Family: unix.AF_UNSPEC, Ifindex: int32(ifindex), Handle: r.Handle, Parent: r.Parent})
	req.AddData(nl.NewRtAttr(nl.TCA_KIND, nl.ZeroTerminated(r.Kind)))
	if r.Options != nil {
		req.AddData(nl.NewRtAttr(nl.TCA_OPTIONS, qdiscConfigOptions(r)))
	}
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// delRoot deletes the root qdisc with the given handle; the kernel then
// attaches the device's default qdisc again.
func (s *qdiscSock) delRoot(ifindex int, handle uint32) error {
	req := s.request(unix.RTM_DELQDISC, unix.NLM_F_ACK)
	req.AddData(&nl.TcMsg{Family: unix.AF_UNSPEC, Ifindex: int32(ifindex), Handle: handle, Parent: netlink.HANDLE_ROOT})
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// root finds the root qdisc in a dump.
func qdiscRoot(qs []qdiscRecord) (qdiscRecord, bool) {
	for _, q := range qs {
		if q.Parent == netlink.HANDLE_ROOT {
			return q, true
		}
	}
	return qdiscRecord{}, false
}

// qdiscConfigOptions turns dumped options into ones the kernel accepts
// back. They are the same bytes except where a dump differs from the
// configuration format: htb dumps its full version (HTB_VER, 0x30011) in
// TCA_HTB_INIT but accepts only the major (3).
func qdiscConfigOptions(r qdiscRecord) []byte {
	if r.Kind != "htb" || r.Handle&0xffff != 0 {
		return r.Options
	}
	return qdiscEditHTBInit(r.Options, func(v []byte) {
		if len(v) >= 4 {
			if ver := binary.NativeEndian.Uint32(v[0:4]); ver > 0xffff {
				binary.NativeEndian.PutUint32(v[0:4], ver>>16)
			}
		}
	})
}

// qdiscEditHTBInit returns htb options with edit applied to a copy of the
// TCA_HTB_INIT attribute, the rest as it was; options that do not parse
// come back unchanged.
func qdiscEditHTBInit(options []byte, edit func(init []byte)) []byte {
	attrs, err := nl.ParseRouteAttr(options)
	if err != nil {
		return options
	}
	var out []byte
	for _, a := range attrs {
		v := append([]byte(nil), a.Value...)
		if a.Attr.Type == nl.TCA_HTB_INIT {
			edit(v)
		}
		out = append(out, nl.NewRtAttr(int(a.Attr.Type), v).Serialize()...)
	}
	return out
}
