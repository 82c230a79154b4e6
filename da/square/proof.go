package square

import (
	"crypto/sha256"
	"fmt"

	"github.com/celestiaorg/nmt"
	"github.com/celestiaorg/rsmt2d"
)

// RowProof proves that a run of shares is leaves [Start, End) of one row of
// the extended square, and that the row's root is in the data root.
type RowProof struct {
	// Row is the row index in the extended square.
	Row uint32
	// Start and End delimit the leaves proven (End exclusive).
	Start, End uint32
	// Nodes are the NMT range proof nodes.
	Nodes [][]byte
	// RowRoot is the NMT root of the row.
	RowRoot []byte
	// RootProof proves RowRoot is leaf Row of the data root.
	RootProof MerkleProof
}

// verify checks shares (all of one namespace ns) against root.
func (p RowProof) verify(dataRoot, ns []byte, shares [][]byte, extWidth int) error {
	if int(p.Row) >= extWidth || p.End <= p.Start || int(p.End) > extWidth || int(p.End-p.Start) != len(shares) {
		return fmt.Errorf("%w: row %d range [%d, %d) for %d shares", ErrInvalidProof, p.Row, p.Start, p.End, len(shares))
	}
	if p.RootProof.Index != p.Row || int(p.RootProof.Total) != 2*extWidth {
		return fmt.Errorf("%w: row root proof at %d of %d", ErrInvalidProof, p.RootProof.Index, p.RootProof.Total)
	}
	if len(p.RowRoot) != nmtRootSize || !p.RootProof.Verify(dataRoot, p.RowRoot) {
		return fmt.Errorf("%w: row %d root not in the data root", ErrInvalidProof, p.Row)
	}
	for _, s := range shares {
		if len(s) != ShareSize {
			return fmt.Errorf("%w: share of %d bytes", ErrInvalidProof, len(s))
		}
	}
	proof := nmt.NewInclusionProof(int(p.Start), int(p.End), p.Nodes, true)
	ok, err := safeVerify(proof, ns, shares, p.RowRoot)
	if err != nil || !ok {
		return fmt.Errorf("%w: shares not in row %d (%v)", ErrInvalidProof, p.Row, err)
	}
	return nil
}

func safeVerify(proof nmt.Proof, ns []byte, shares [][]byte, root []byte) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("panic: %v", r)
		}
	}()
	return proof.VerifyInclusion(sha256.New(), ns, shares, root), nil
}

// ShareProof proves that shares [Start, End) of the original square (indexes
// row-major in a square of width Width) are in a height's data square. All
// shares must be of one namespace, as a blob's are.
type ShareProof struct {
	Width      uint32
	Start, End uint32
	Rows       []RowProof
}

// NewShareProof proves original shares [start, end) of eds.
func NewShareProof(eds *rsmt2d.ExtendedDataSquare, start, end int) (ShareProof, error) {
	w := int(eds.Width() / 2)
	if start < 0 || end <= start || end > w*w {
		return ShareProof{}, fmt.Errorf("%w: share range [%d, %d) in a %d-wide square", ErrInvalidProof, start, end, w)
	}
	h, err := NewHeader(eds)
	if err != nil {
		return ShareProof{}, err
	}
	roots := h.roots()
	p := ShareProof{Width: uint32(w), Start: uint32(start), End: uint32(end)}
	for row := start / w; row <= (end-1)/w; row++ {
		from, to := max(start, row*w)-row*w, min(end, (row+1)*w)-row*w
		tree, err := rowTree(eds, row)
		if err != nil {
			return ShareProof{}, err
		}
		np, err := tree.ProveRange(from, to)
		if err != nil {
			return ShareProof{}, fmt.Errorf("%w: %v", ErrInvalidProof, err)
		}
		p.Rows = append(p.Rows, RowProof{
			Row: uint32(row), Start: uint32(from), End: uint32(to), Nodes: np.Nodes(),
			RowRoot: h.RowRoots[row], RootProof: NewMerkleProof(roots, row),
		})
	}
	return p, nil
}

// Verify checks that shares are the proven range under dataRoot.
func (p ShareProof) Verify(dataRoot []byte, shares [][]byte) error {
	w := int(p.Width)
	if w < 1 || w > MaxSquareSizeUpperBound || w&(w-1) != 0 {
		return fmt.Errorf("%w: width %d", ErrInvalidProof, w)
	}
	start, end := int(p.Start), int(p.End)
	if end <= start || end > w*w || len(shares) != end-start {
		return fmt.Errorf("%w: range [%d, %d) for %d shares", ErrInvalidProof, start, end, len(shares))
	}
	first, last := start/w, (end-1)/w
	if len(p.Rows) != last-first+1 {
		return fmt.Errorf("%w: %d row proofs for rows %d..%d", ErrInvalidProof, len(p.Rows), first, last)
	}
	if len(shares[0]) < NamespaceSize {
		return fmt.Errorf("%w: short share", ErrInvalidProof)
	}
	ns := shares[0][:NamespaceSize]
	done := 0
	for i, rp := range p.Rows {
		row := first + i
		from, to := max(start, row*w)-row*w, min(end, (row+1)*w)-row*w
		if int(rp.Row) != row || int(rp.Start) != from || int(rp.End) != to {
			return fmt.Errorf("%w: row proof %d does not cover row %d [%d, %d)", ErrInvalidProof, i, row, from, to)
		}
		if err := rp.verify(dataRoot, ns, shares[done:done+to-from], 2*w); err != nil {
			return err
		}
		done += to - from
	}
	return nil
}

// SampleProof proves one share of the extended square.
type SampleProof struct {
	// Width is the width of the extended square.
	Width uint32
	Col   uint32
	Share []byte
	Proof RowProof
}

// NewSampleProof proves the share at (row, col) of eds.
func NewSampleProof(eds *rsmt2d.ExtendedDataSquare, row, col int) (SampleProof, error) {
	ew := int(eds.Width())
	if row < 0 || col < 0 || row >= ew || col >= ew {
		return SampleProof{}, fmt.Errorf("%w: (%d, %d) outside a %d-wide square", ErrInvalidProof, row, col, ew)
	}
	h, err := NewHeader(eds)
	if err != nil {
		return SampleProof{}, err
	}
	tree, err := rowTree(eds, row)
	if err != nil {
		return SampleProof{}, err
	}
	np, err := tree.ProveRange(col, col+1)
	if err != nil {
		return SampleProof{}, fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	return SampleProof{
		Width: uint32(ew), Col: uint32(col),
		Share: append([]byte(nil), eds.GetCell(uint(row), uint(col))...),
		Proof: RowProof{
			Row: uint32(row), Start: uint32(col), End: uint32(col + 1), Nodes: np.Nodes(),
			RowRoot: h.RowRoots[row], RootProof: NewMerkleProof(h.roots(), row),
		},
	}, nil
}

// Verify checks that the sample is the share at (row, col) of the extended
// square of width extWidth committed to by dataRoot.
func (s SampleProof) Verify(dataRoot []byte, row, col, extWidth int) error {
	if int(s.Width) != extWidth || int(s.Proof.Row) != row || int(s.Col) != col || int(s.Proof.Start) != col {
		return fmt.Errorf("%w: sample is not (%d, %d) of a %d-wide square", ErrInvalidProof, row, col, extWidth)
	}
	if extWidth < 2 || extWidth&(extWidth-1) != 0 || len(s.Share) != ShareSize {
		return fmt.Errorf("%w: malformed sample", ErrInvalidProof)
	}
	ns := shareNamespace(s.Share, row, col, extWidth/2)
	return s.Proof.verify(dataRoot, ns, [][]byte{s.Share}, extWidth)
}
