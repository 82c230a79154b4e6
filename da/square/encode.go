package square

import (
	"encoding/binary"
	"fmt"
)

// Binary encoding of proofs, used on the wire by the mainnet's queries. All
// integers are unsigned varints; byte strings are a varint length then the
// bytes. Decoders check every length against the bounds below before
// allocating, and never panic.
const (
	proofVersion = 1
	// maxNodes bounds the nodes of one NMT or Merkle proof (a tree of 2048
	// leaves needs at most 2*11).
	maxNodes = 64
	// maxRows bounds the rows a share proof may span.
	maxRows  = MaxSquareSizeUpperBound
	maxBytes = ShareSize
)

type writer struct{ b []byte }

func (w *writer) uint(v uint64)  { w.b = binary.AppendUvarint(w.b, v) }
func (w *writer) bytes(v []byte) { w.uint(uint64(len(v))); w.b = append(w.b, v...) }
func (w *writer) list(v [][]byte) {
	w.uint(uint64(len(v)))
	for _, x := range v {
		w.bytes(x)
	}
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrInvalidProof}, args...)...)
	}
}

func (r *reader) uint(limit uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	if v > limit {
		r.fail("value %d above %d", v, limit)
		return 0
	}
	return v
}

func (r *reader) u32() uint32 { return uint32(r.uint(1<<32 - 1)) }

func (r *reader) bytes() []byte {
	n := r.uint(maxBytes)
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.fail("truncated")
		return nil
	}
	v := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return v
}

func (r *reader) list() [][]byte {
	n := r.uint(maxNodes)
	if r.err != nil || n == 0 {
		return nil
	}
	out := make([][]byte, 0, n)
	for range n {
		out = append(out, r.bytes())
	}
	return out
}

func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}

func (p RowProof) encode(w *writer) {
	w.uint(uint64(p.Row))
	w.uint(uint64(p.Start))
	w.uint(uint64(p.End))
	w.list(p.Nodes)
	w.bytes(p.RowRoot)
	w.uint(uint64(p.RootProof.Index))
	w.uint(uint64(p.RootProof.Total))
	w.list(p.RootProof.Aunts)
}

func (p *RowProof) decode(r *reader) {
	p.Row, p.Start, p.End = r.u32(), r.u32(), r.u32()
	p.Nodes = r.list()
	p.RowRoot = r.bytes()
	p.RootProof.Index, p.RootProof.Total = r.u32(), r.u32()
	p.RootProof.Aunts = r.list()
}

// Marshal encodes the proof.
func (p ShareProof) Marshal() []byte {
	w := &writer{}
	w.uint(proofVersion)
	w.uint(uint64(p.Width))
	w.uint(uint64(p.Start))
	w.uint(uint64(p.End))
	w.uint(uint64(len(p.Rows)))
	for _, rp := range p.Rows {
		rp.encode(w)
	}
	return w.b
}

// UnmarshalShareProof decodes a ShareProof. A decoded proof is only
// well-formed; Verify decides whether it proves anything.
func UnmarshalShareProof(b []byte) (ShareProof, error) {
	r := &reader{b: b}
	if v := r.uint(proofVersion); r.err == nil && v != proofVersion {
		r.fail("version %d", v)
	}
	var p ShareProof
	p.Width, p.Start, p.End = r.u32(), r.u32(), r.u32()
	n := r.uint(maxRows)
	if r.err == nil && n > 0 {
		p.Rows = make([]RowProof, n)
		for i := range p.Rows {
			p.Rows[i].decode(r)
		}
	}
	if err := r.done(); err != nil {
		return ShareProof{}, err
	}
	return p, nil
}

// Marshal encodes the sample.
func (s SampleProof) Marshal() []byte {
	w := &writer{}
	w.uint(proofVersion)
	w.uint(uint64(s.Width))
	w.uint(uint64(s.Col))
	w.bytes(s.Share)
	s.Proof.encode(w)
	return w.b
}

// UnmarshalSampleProof decodes a SampleProof.
func UnmarshalSampleProof(b []byte) (SampleProof, error) {
	r := &reader{b: b}
	if v := r.uint(proofVersion); r.err == nil && v != proofVersion {
		r.fail("version %d", v)
	}
	var s SampleProof
	s.Width, s.Col = r.u32(), r.u32()
	s.Share = r.bytes()
	s.Proof.decode(r)
	if err := r.done(); err != nil {
		return SampleProof{}, err
	}
	return s, nil
}

// MarshalHeader encodes a header (row roots then column roots).
func (h Header) Marshal() []byte {
	w := &writer{}
	w.uint(proofVersion)
	w.uint(uint64(len(h.RowRoots)))
	for _, x := range h.RowRoots {
		w.bytes(x)
	}
	w.uint(uint64(len(h.ColumnRoots)))
	for _, x := range h.ColumnRoots {
		w.bytes(x)
	}
	return w.b
}

// UnmarshalHeader decodes and validates a header.
func UnmarshalHeader(b []byte) (Header, error) {
	r := &reader{b: b}
	if v := r.uint(proofVersion); r.err == nil && v != proofVersion {
		r.fail("version %d", v)
	}
	var h Header
	for _, dst := range []*[][]byte{&h.RowRoots, &h.ColumnRoots} {
		n := r.uint(2 * MaxSquareSizeUpperBound)
		for i := uint64(0); i < n && r.err == nil; i++ {
			*dst = append(*dst, r.bytes())
		}
	}
	if err := r.done(); err != nil {
		return Header{}, err
	}
	if err := h.Validate(); err != nil {
		return Header{}, err
	}
	return h, nil
}
