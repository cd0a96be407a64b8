package wire_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/probes"
	"github.com/faultline/faultline/internal/wire"
)

func frame(payload []byte) []byte {
	b := make([]byte, 4+len(payload))
	binary.BigEndian.PutUint32(b, uint32(len(payload)))
	copy(b[4:], payload)
	return b
}

var _ = Describe("frames", func() {
	It("carry every message type through a stream, in order, unchanged", func() {
		undo := faults.Undo{Kind: "link.down", Params: json.RawMessage(`{"netns":"x","links":[{"name":"eth0"}]}`)}
		msgs := []*wire.Message{
			{Type: wire.THello, Hello: &wire.Hello{Proto: wire.Version, Binary: "v1", Role: "controller", Run: "r-1", GuardTTL: int64(time.Second)}},
			{Type: wire.THeartbeat, Beat: &wire.Beat{Seq: 7, Sent: 123456789}},
			{Type: wire.TBeatAck, Beat: &wire.Beat{Seq: 7, Sent: 123456789, Agent: 987654321}},
			{Type: wire.TPrepare, ID: 3, Step: &wire.Step{Name: "cut", Kind: "link.down", Params: json.RawMessage(`{"link":"eth0"}`), Run: "r-1", Revert: "auto"}},
			{Type: wire.TReply, ID: 3, Reply: &wire.Reply{Desc: "link eth0 down", Targets: []faults.Target{{Kind: "link", ID: "host/eth0"}}, Undo: &undo}},
			{Type: wire.TInject, ID: 4, Step: &wire.Step{Name: "cut"}},
			{Type: wire.TReply, ID: 4, Reply: &wire.Reply{Start: 10, Done: 20}},
			{Type: wire.TRevert, ID: 5, Step: &wire.Step{Name: "cut"}},
			{Type: wire.TRunAction, ID: 6, Step: &wire.Step{Name: "w", Kind: "wait", Params: json.RawMessage(`{"for":"1s"}`)}},
			{Type: wire.TReply, ID: 6, Reply: &wire.Reply{Result: faults.Result{"waited": "1s"}}},
			{Type: wire.TStartProbe, ID: 7, Probe: &wire.Probe{Name: "web", Kind: "tcp", Params: json.RawMessage(`{"address":"198.18.0.1:80"}`), Every: int64(time.Millisecond)}},
			{Type: wire.TSamples, Batch: &wire.Batch{Probe: "web", Samples: []probes.Sample{{Start: 5, OK: true, Value: 1, Latency: 30}, {Start: 1000005, Detail: "refused"}}}},
			{Type: wire.TStopProbe, ID: 8, Probe: &wire.Probe{Name: "web"}},
			{Type: wire.TPreflight, ID: 9, Step: &wire.Step{Name: "cut", Kind: "link.down"}},
			{Type: wire.TRevertRec, ID: 10, Undo: &undo},
			{Type: wire.TReply, ID: 9, Reply: wire.ErrorReply(faults.ErrNotFound)},
			{Type: wire.TShutdown, ID: 11},
			{Type: wire.TError, Text: "bye"},
		}
		var buf bytes.Buffer
		w := wire.NewWriter(&buf)
		for _, m := range msgs {
			Expect(w.Write(m)).To(Succeed())
		}
		r := wire.NewReader(&buf)
		for _, want := range msgs {
			got, err := r.Read()
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(want))
		}
		_, err := r.Read()
		Expect(err).To(MatchError(io.EOF), "a clean end between frames is EOF")
	})

	It("keep a reply's sentinel error across the wire", func() {
		var buf bytes.Buffer
		Expect(wire.NewWriter(&buf).Write(&wire.Message{Type: wire.TReply, ID: 1, Reply: wire.ErrorReply(faults.ErrPermission)})).To(Succeed())
		m, err := wire.NewReader(&buf).Read()
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Reply.Err()).To(MatchError(faults.ErrPermission))
	})

	It("refuse an announced length beyond the maximum before reading it", func() {
		var hdr [4]byte
		binary.BigEndian.PutUint32(hdr[:], wire.MaxFrame+1)
		_, err := wire.NewReader(bytes.NewReader(hdr[:])).Read()
		Expect(err).To(MatchError(wire.ErrTooLarge))
	})

	It("refuse to write a message beyond the maximum", func() {
		big := make([]probes.Sample, 0, 100000)
		for i := 0; i < 100000; i++ {
			big = append(big, probes.Sample{Start: time.Duration(i), Detail: "connection refused by the peer"})
		}
		var buf bytes.Buffer
		err := wire.NewWriter(&buf).Write(&wire.Message{Type: wire.TSamples, Batch: &wire.Batch{Probe: "p", Samples: big}})
		Expect(err).To(MatchError(wire.ErrTooLarge))
		Expect(buf.Len()).To(BeZero(), "nothing half-written")
	})

	It("say what text where frames belong looks like (a login script printing)", func() {
		_, err := wire.NewReader(bytes.NewReader([]byte("Welcome to hv-a\n"))).Read()
		Expect(err).To(MatchError(wire.ErrTooLarge))
		Expect(err.Error()).To(ContainSubstring(`"Welc"`))
		Expect(err.Error()).To(ContainSubstring("stdout"))
	})

	It("refuse garbage: bad JSON, no type, an empty frame, a frame cut short", func() {
		for _, b := range [][]byte{frame([]byte("{not json")), frame([]byte(`{"id":1}`)), frame(nil)} {
			_, err := wire.NewReader(bytes.NewReader(b)).Read()
			Expect(err).To(MatchError(wire.ErrGarbage))
		}
		cut := frame([]byte(`{"type":"hello"}`))
		_, err := wire.NewReader(bytes.NewReader(cut[:10])).Read()
		Expect(err).To(MatchError(io.ErrUnexpectedEOF))
		Expect(err.Error()).To(ContainSubstring("inside a 16-byte frame"))
	})

	It("make a version mismatch a clear error naming both sides", func() {
		err := wire.CheckHello(&wire.Hello{Proto: wire.Version + 1, Binary: "v1", Role: "agent"}, "v1")
		Expect(err).To(MatchError(wire.ErrVersion))
		Expect(err.Error()).To(ContainSubstring("protocol 1 here, 2 on the agent"))
		err = wire.CheckHello(&wire.Hello{Proto: wire.Version, Binary: "v0.9", Role: "agent"}, "v1")
		Expect(err).To(MatchError(wire.ErrVersion))
		Expect(err.Error()).To(ContainSubstring("faultline v1 here, v0.9 on the agent"))
		Expect(wire.CheckHello(nil, "v1")).To(MatchError(wire.ErrVersion))
		Expect(wire.CheckHello(&wire.Hello{Proto: wire.Version, Binary: "v1"}, "v1")).To(Succeed())
	})
})

var _ = Describe("probe definitions", func() {
	It("round-trip through start-probe", func() {
		def := probes.Def{Name: "db", Kind: "tcp", Params: json.RawMessage(`{"address":"198.18.0.2:80","timeout":"50ms"}`),
			Every: time.Millisecond, Netns: "fl-x"}
		p, err := wire.ProbeOf(def)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Kind).To(Equal("tcp"))
		back, err := p.Def()
		Expect(err).NotTo(HaveOccurred())
		Expect(back).To(Equal(def))
	})

	It("refuse an unknown kind or an interval below 1ms", func() {
		_, err := (&wire.Probe{Name: "x", Kind: "smtp", Params: json.RawMessage(`{}`)}).Def()
		Expect(err).To(HaveOccurred())
		_, err = (&wire.Probe{Name: "x", Kind: "tcp", Params: json.RawMessage(`{"address":"1.2.3.4:5"}`), Every: int64(time.Microsecond)}).Def()
		Expect(err).To(MatchError(ContainSubstring("below 1ms")))
	})
})
