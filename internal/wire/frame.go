// Package wire is the protocol between a controller and `faultline agent
// --stdio` on a host: length-framed JSON messages over one byte stream (an
// SSH channel, a pipe). Each frame is a 4-byte big-endian length followed
// by that many bytes of one JSON Message. Both ends say hello first; a
// protocol version mismatch ends the session with an error naming both
// versions.
package wire

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Version is the protocol version; both ends must speak the same one.
const Version = 1

// MaxFrame bounds one frame's payload: a length beyond it is refused
// before anything is allocated (a corrupt or foreign stream).
const MaxFrame = 4 << 20

// Errors of the framing layer.
var (
	ErrTooLarge = errors.New("wire: frame too large")
	ErrGarbage  = errors.New("wire: not a faultline frame")
	ErrVersion  = errors.New("wire: version mismatch")
)

// Reader reads frames. It is not safe for concurrent use.
type Reader struct {
	r   *bufio.Reader
	buf []byte
}

// NewReader reads frames from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, 64<<10)} }

// Read returns the next message. io.EOF means the peer closed the stream
// cleanly between frames.
func (r *Reader) Read() (*Message, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r.r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("wire: stream cut inside a frame header: %w", err)
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 {
		return nil, fmt.Errorf("%w: empty frame", ErrGarbage)
	}
	if n > MaxFrame {
		// Text where frames belong (a login script printing to stdout)
		// reads as a huge length: say what it looks like.
		return nil, fmt.Errorf("%w: %d bytes announced, at most %d (stream starts %q: does something print on the agent's stdout?)",
			ErrTooLarge, n, MaxFrame, printable(hdr[:]))
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	b := r.buf[:n]
	if _, err := io.ReadFull(r.r, b); err != nil {
		return nil, fmt.Errorf("wire: stream cut inside a %d-byte frame: %w", n, err)
	}
	m := &Message{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGarbage, err)
	}
	if m.Type == "" {
		return nil, fmt.Errorf("%w: message without a type", ErrGarbage)
	}
	return m, nil
}

func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}

// Writer writes frames; it is safe for concurrent use (one frame at a time).
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter writes frames to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write sends one message as one frame.
func (w *Writer) Write(m *Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("wire: encode %s: %w", m.Type, err)
	}
	if len(b) > MaxFrame {
		return fmt.Errorf("%w: %s message of %d bytes", ErrTooLarge, m.Type, len(b))
	}
	frame := make([]byte, 4+len(b))
	binary.BigEndian.PutUint32(frame, uint32(len(b)))
	copy(frame[4:], b)
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.w.Write(frame); err != nil {
		return fmt.Errorf("wire: write %s: %w", m.Type, err)
	}
	return nil
}
