package netfault

import (
	"bytes"
	"fmt"
	"net/netip"
	"sort"

	"github.com/google/nftables"
)

// nftAddrSet is a validated list of addresses and prefixes, split by family
// and merged into disjoint inclusive ranges, ready for interval sets.
type nftAddrSet struct {
	v4, v6 []nftRange
}

type nftRange struct{ first, last netip.Addr }

// nftParseAddrs accepts addresses ("198.18.0.1", "2001:db8::1") and CIDR
// prefixes ("198.18.0.0/24"); field names the parameter in errors.
func nftParseAddrs(field string, in []string) (nftAddrSet, error) {
	var s nftAddrSet
	if len(in) == 0 {
		return s, fmt.Errorf("%s: at least one address or CIDR is required", field)
	}
	for _, raw := range in {
		p, err := nftParsePrefix(raw)
		if err != nil {
			return s, fmt.Errorf("%s: %w", field, err)
		}
		r := nftRange{first: p.Masked().Addr(), last: nftLastAddr(p)}
		if p.Addr().Is4() {
			s.v4 = append(s.v4, r)
		} else {
			s.v6 = append(s.v6, r)
		}
	}
	s.v4 = nftMergeRanges(s.v4)
	s.v6 = nftMergeRanges(s.v6)
	return s, nil
}

func nftParsePrefix(raw string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(raw); err == nil {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-nftMappedBits(p.Addr())), nil
	}
	a, err := netip.ParseAddr(raw)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither an address nor a CIDR", raw)
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q: zoned addresses are not supported", raw)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// nftMappedBits is how many prefix bits an IPv4-mapped IPv6 prefix loses
// when unmapped.
func nftMappedBits(a netip.Addr) int {
	if a.Is4In6() {
		return 96
	}
	return 0
}

func nftLastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func nftMergeRanges(rs []nftRange) []nftRange {
	if len(rs) == 0 {
		return nil
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].first.Less(rs[j].first) })
	out := []nftRange{rs[0]}
	for _, r := range rs[1:] {
		cur := &out[len(out)-1]
		// Overlapping or adjacent ranges become one.
		if !cur.last.IsValid() || r.first.Compare(cur.last) <= 0 || (cur.last.Next().IsValid() && r.first == cur.last.Next()) {
			if r.last.Compare(cur.last) > 0 {
				cur.last = r.last
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// nftIntervalElements encodes ranges the way nft does for an interval set:
// a closing element at the zero address when the first range does not
// start there, then each range's start and the address after its end.
func nftIntervalElements(rs []nftRange) []nftables.SetElement {
	var els []nftables.SetElement
	if len(rs) == 0 {
		return els
	}
	zero := make([]byte, rs[0].first.BitLen()/8)
	if !bytes.Equal(rs[0].first.AsSlice(), zero) {
		els = append(els, nftables.SetElement{Key: zero, IntervalEnd: true})
	}
	for _, r := range rs {
		els = append(els, nftables.SetElement{Key: r.first.AsSlice()})
		if next := r.last.Next(); next.IsValid() {
			els = append(els, nftables.SetElement{Key: next.AsSlice(), IntervalEnd: true})
		}
	}
	return els
}
