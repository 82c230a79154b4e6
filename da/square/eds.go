package square

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	gosquare "github.com/celestiaorg/go-square/v3"
	"github.com/celestiaorg/go-square/v3/share"
	"github.com/celestiaorg/nmt"
	"github.com/celestiaorg/rsmt2d"
)

// ParityNamespace is the namespace of every share outside the original
// (top-left) quadrant of an extended square.
var ParityNamespace = share.ParitySharesNamespace.Bytes()

// erasuredTree is an NMT over one row or column of an extended square. A
// share in the original quadrant is pushed under its own namespace, any
// other under ParityNamespace.
type erasuredTree struct {
	tree  *nmt.NamespacedMerkleTree
	odsW  uint // width of the original square
	axis  uint // index of this row or column
	count uint // shares pushed so far
}

func newErasuredTree(odsWidth, axisIndex uint) *erasuredTree {
	return &erasuredTree{
		tree: nmt.New(sha256.New(), nmt.NamespaceIDSize(NamespaceSize), nmt.IgnoreMaxNamespace(true),
			nmt.InitialCapacity(int(2*odsWidth))),
		odsW: odsWidth,
		axis: axisIndex,
	}
}

// Push implements rsmt2d.Tree.
func (t *erasuredTree) Push(data []byte) error {
	if len(data) < NamespaceSize {
		return fmt.Errorf("%w: share of %d bytes", ErrSquare, len(data))
	}
	ns := ParityNamespace
	if t.axis < t.odsW && t.count < t.odsW {
		ns = data[:NamespaceSize]
	}
	t.count++
	leaf := make([]byte, 0, NamespaceSize+len(data))
	leaf = append(append(leaf, ns...), data...)
	return t.tree.Push(leaf)
}

// Root implements rsmt2d.Tree.
func (t *erasuredTree) Root() ([]byte, error) { return t.tree.Root() }

func treeConstructor(odsWidth uint) rsmt2d.TreeConstructorFn {
	return func(_ rsmt2d.Axis, index uint) rsmt2d.Tree { return newErasuredTree(odsWidth, index) }
}

// Extend erasure-codes an original square (Leopard Reed-Solomon, as
// Celestia) into a square of twice its width.
func Extend(sq gosquare.Square) (*rsmt2d.ExtendedDataSquare, error) {
	return ExtendShares(share.ToBytes(sq))
}

// ExtendShares is Extend over raw shares (row-major, a square number of them).
func ExtendShares(shares [][]byte) (eds *rsmt2d.ExtendedDataSquare, err error) {
	w := gosquare.Size(len(shares))
	if len(shares) == 0 || w*w != len(shares) {
		return nil, fmt.Errorf("%w: %d shares is not a square", ErrSquare, len(shares))
	}
	for i, s := range shares {
		if len(s) != ShareSize {
			return nil, fmt.Errorf("%w: share %d has %d bytes", ErrSquare, i, len(s))
		}
	}
	defer func() {
		if r := recover(); r != nil {
			eds, err = nil, fmt.Errorf("%w: extend: %v", ErrSquare, r)
		}
	}()
	eds, err = rsmt2d.ComputeExtendedDataSquare(shares, rsmt2d.NewLeoRSCodec(), treeConstructor(uint(w)))
	if err != nil {
		return nil, fmt.Errorf("%w: extend: %v", ErrSquare, err)
	}
	return eds, nil
}

// Header is the data availability header of a height: the NMT roots of the
// rows and columns of the extended square.
type Header struct {
	RowRoots    [][]byte
	ColumnRoots [][]byte
}

// NewHeader computes the header of an extended square.
func NewHeader(eds *rsmt2d.ExtendedDataSquare) (Header, error) {
	rows, err := eds.RowRoots()
	if err != nil {
		return Header{}, fmt.Errorf("%w: row roots: %v", ErrSquare, err)
	}
	cols, err := eds.ColRoots()
	if err != nil {
		return Header{}, fmt.Errorf("%w: column roots: %v", ErrSquare, err)
	}
	return Header{RowRoots: rows, ColumnRoots: cols}, nil
}

// DataRoot is the RFC 6962 root over the row roots followed by the column
// roots: the one hash a height commits its data square to.
func (h Header) DataRoot() []byte {
	return MerkleRoot(h.roots())
}

func (h Header) roots() [][]byte {
	return append(append(make([][]byte, 0, len(h.RowRoots)+len(h.ColumnRoots)), h.RowRoots...), h.ColumnRoots...)
}

// Validate checks the shape of a header: as many rows as columns, a power
// of two of each, at least 2, roots of the NMT node size.
func (h Header) Validate() error {
	n := len(h.RowRoots)
	if n < 2 || n != len(h.ColumnRoots) || n&(n-1) != 0 || n > 2*MaxSquareSizeUpperBound {
		return fmt.Errorf("%w: header with %d rows and %d columns", ErrSquare, n, len(h.ColumnRoots))
	}
	for _, r := range h.roots() {
		if len(r) != nmtRootSize {
			return fmt.Errorf("%w: root of %d bytes", ErrSquare, len(r))
		}
	}
	return nil
}

// nmtRootSize is min namespace || max namespace || sha256.
const nmtRootSize = 2*NamespaceSize + sha256.Size

// DataRootOf builds, extends and roots the square of a block: the data root
// a height stores.
func DataRootOf(sq gosquare.Square) (Header, []byte, error) {
	eds, err := Extend(sq)
	if err != nil {
		return Header{}, nil, err
	}
	h, err := NewHeader(eds)
	if err != nil {
		return Header{}, nil, err
	}
	return h, h.DataRoot(), nil
}

// rowTree rebuilds the NMT of row r of an extended square.
func rowTree(eds *rsmt2d.ExtendedDataSquare, r int) (*nmt.NamespacedMerkleTree, error) {
	w := eds.Width() / 2
	t := newErasuredTree(w, uint(r))
	for _, s := range eds.Row(uint(r)) {
		if err := t.Push(s); err != nil {
			return nil, err
		}
	}
	return t.tree, nil
}

// shareNamespace is the namespace a share at (row, col) of an extended
// square of original width w is committed under.
func shareNamespace(s []byte, row, col, w int) []byte {
	if row < w && col < w {
		return s[:NamespaceSize]
	}
	return ParityNamespace
}

func equal(a, b []byte) bool { return bytes.Equal(a, b) }
