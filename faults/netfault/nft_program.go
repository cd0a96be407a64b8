package netfault

import (
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// nftProgram is the whole content of one faultline table: named address
// sets and drop rules, written into base chains on the input, output and
// forward hooks of an inet table and, when bridged is set, the forward hook
// of a bridge table of the same name (frames a Linux bridge switches between
// its ports never reach the inet hooks unless br_netfilter hands them over).
type nftProgram struct {
	table   string
	sets    []nftSetSpec
	rules   []nftRuleSpec
	bridged bool
}

type nftSetSpec struct {
	name   string
	v6     bool
	ranges []nftRange
}

// nftRuleSpec drops packets whose source is in src and destination in dst
// (either may be empty = any). percent < 100 drops only that share, chosen
// per packet by `numgen random mod 100 < percent`. notLoopback skips
// packets that arrived on lo, so that local traffic is not judged twice.
type nftRuleSpec struct {
	v6          bool
	src, dst    string
	percent     int
	notLoopback bool
}

// nftFamilies is every table family a program may create, for reverts.
var nftFamilies = []nftables.TableFamily{nftables.TableFamilyINet, nftables.TableFamilyBridge}

func (p *nftProgram) families() []nftables.TableFamily {
	if p.bridged {
		return nftFamilies
	}
	return nftFamilies[:1]
}

// queue adds the program's sets, chains and rules to c's batch, one
// transaction, inside tables that already exist: the caller created them,
// empty and marked, and nothing outside them is named.
func (p *nftProgram) queue(c *nftables.Conn) error {
	var setID uint32
	for _, fam := range p.families() {
		t := &nftables.Table{Name: p.table, Family: fam}
		sets := map[string]*nftables.Set{}
		for _, s := range p.sets {
			setID++
			set := &nftables.Set{Table: t, Name: s.name, ID: setID, Interval: true, KeyType: nftables.TypeIPAddr}
			if s.v6 {
				set.KeyType = nftables.TypeIP6Addr
			}
			if err := c.AddSet(set, nftIntervalElements(s.ranges)); err != nil {
				return fmt.Errorf("set %s: %w", s.name, err)
			}
			sets[s.name] = set
		}
		for _, h := range nftHooks(fam) {
			ch := c.AddChain(&nftables.Chain{
				Name: h.name, Table: t, Type: nftables.ChainTypeFilter,
				Hooknum: h.hook, Priority: h.prio,
			})
			for _, r := range p.rules {
				if r.notLoopback && h.name != "input" {
					// Only the input hook sees loopback twice.
					r.notLoopback = false
				}
				c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: r.exprs(fam, sets)})
			}
		}
	}
	return nil
}

type nftHook struct {
	name string
	hook *nftables.ChainHook
	prio *nftables.ChainPriority
}

// nftHooks lists the base chains per family. The inet chains run at raw
// priority so that dropped packets never create conntrack entries.
func nftHooks(fam nftables.TableFamily) []nftHook {
	if fam == nftables.TableFamilyBridge {
		return []nftHook{{"forward", nftables.ChainHookForward, nftables.ChainPriorityFilter}}
	}
	return []nftHook{
		{"input", nftables.ChainHookInput, nftables.ChainPriorityRaw},
		{"output", nftables.ChainHookOutput, nftables.ChainPriorityRaw},
		{"forward", nftables.ChainHookForward, nftables.ChainPriorityRaw},
	}
}

func (r nftRuleSpec) exprs(fam nftables.TableFamily, sets map[string]*nftables.Set) []expr.Any {
	var ex []expr.Any
	if r.notLoopback {
		// lo is ifindex 1 in every namespace.
		ex = append(ex,
			&expr.Meta{Key: expr.MetaKeyIIF, Register: 1},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(1)},
		)
	}
	ex = append(ex, nftFamilyGuard(fam, r.v6)...)
	srcOff, dstOff, alen := uint32(12), uint32(16), uint32(4)
	if r.v6 {
		srcOff, dstOff, alen = 8, 24, 16
	}
	if r.src != "" {
		ex = append(ex, nftLookup(srcOff, alen, sets[r.src])...)
	}
	if r.dst != "" {
		ex = append(ex, nftLookup(dstOff, alen, sets[r.dst])...)
	}
	if r.percent > 0 && r.percent < 100 {
		// numgen yields host byte order; nft converts it before a
		// less-than comparison, and so do we.
		ex = append(ex,
			&expr.Numgen{Register: 1, Modulus: 100, Type: unix.NFT_NG_RANDOM},
			&expr.Byteorder{SourceRegister: 1, DestRegister: 1, Op: expr.ByteorderHton, Len: 4, Size: 4},
			&expr.Cmp{Op: expr.CmpOpLt, Register: 1, Data: binaryutil.BigEndian.PutUint32(uint32(r.percent))},
		)
	}
	return append(ex, &expr.Counter{}, &expr.Verdict{Kind: expr.VerdictDrop})
}

// nftFamilyGuard restricts a rule to IPv4 or IPv6 packets: by nfproto in
// an inet table, by ethertype in a bridge table.
func nftFamilyGuard(fam nftables.TableFamily, v6 bool) []expr.Any {
	if fam == nftables.TableFamilyBridge {
		ethType := uint16(unix.ETH_P_IP)
		if v6 {
			ethType = unix.ETH_P_IPV6
		}
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyPROTOCOL, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(ethType)},
		}
	}
	proto := byte(unix.NFPROTO_IPV4)
	if v6 {
		proto = unix.NFPROTO_IPV6
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
	}
}

func nftLookup(offset, length uint32, set *nftables.Set) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: length},
		&expr.Lookup{SourceRegister: 1, SetName: set.Name, SetID: set.ID},
	}
}

// nftAddSets adds one set per family present in s, named prefix4/prefix6,
// and returns which families it added.
func (p *nftProgram) addSets(prefix string, s nftAddrSet) (v4, v6 bool) {
	if len(s.v4) > 0 {
		p.sets = append(p.sets, nftSetSpec{name: prefix + "4", ranges: s.v4})
	}
	if len(s.v6) > 0 {
		p.sets = append(p.sets, nftSetSpec{name: prefix + "6", v6: true, ranges: s.v6})
	}
	return len(s.v4) > 0, len(s.v6) > 0
}
