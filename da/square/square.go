package square

import (
	"bytes"
	"errors"
	"fmt"

	gosquare "github.com/celestiaorg/go-square/v3"
	"github.com/celestiaorg/go-square/v3/inclusion"
	"github.com/celestiaorg/go-square/v3/share"
	"github.com/celestiaorg/go-square/v3/tx"
)

const (
	// SubtreeRootThreshold bounds the number of subtree roots a share
	// commitment is built from; 64 is celestia-app's value, so commitments are
	// the ones a Celestia node computes for the same blob.
	SubtreeRootThreshold = 64
	// MaxSquareSizeUpperBound is the largest original square width go-square
	// supports.
	MaxSquareSizeUpperBound = 512
	// ShareSize is the size of one share in bytes.
	ShareSize = share.ShareSize
	// NamespaceSize is the size of a namespace (version byte + 28-byte id).
	NamespaceSize = share.NamespaceSize
	// CommitmentSize is the size of a share commitment.
	CommitmentSize = 32
)

// Sentinel errors. Every rejection wraps one of them.
var (
	ErrMalformedBlobTx  = errors.New("malformed BlobTx")
	ErrBlobMismatch     = errors.New("blobs do not match the MsgPayForBlobs")
	ErrInvalidNamespace = errors.New("invalid blob namespace")
	ErrWrongCommitment  = errors.New("share commitment does not match the blob")
	ErrBlobTooLarge     = errors.New("blob data exceeds the limit")
	ErrShareVersion     = errors.New("unsupported share version")
	ErrSquare           = errors.New("invalid data square")
	ErrInvalidProof     = errors.New("invalid proof")
	ErrNotFound         = errors.New("not found")
)

// PFB is what the square rules need of a MsgPayForBlobs, without SDK types.
type PFB struct {
	Signer           []byte
	Namespaces       [][]byte
	BlobSizes        []uint32
	ShareCommitments [][]byte
	ShareVersions    []uint32
}

// ValidateBasic checks a PFB on its own: at least one blob, equal lengths,
// blob namespaces usable, sizes non-zero and at most maxBlobBytes in total
// (0: no limit), commitments of the right size, share versions supported.
func (p PFB) ValidateBasic(maxBlobBytes uint64) error {
	n := len(p.Namespaces)
	if n == 0 {
		return fmt.Errorf("%w: no blobs", ErrBlobMismatch)
	}
	if len(p.BlobSizes) != n || len(p.ShareCommitments) != n || len(p.ShareVersions) != n {
		return fmt.Errorf("%w: %d namespaces, %d sizes, %d commitments, %d share versions",
			ErrBlobMismatch, n, len(p.BlobSizes), len(p.ShareCommitments), len(p.ShareVersions))
	}
	var total uint64
	for i := range n {
		if _, err := BlobNamespace(p.Namespaces[i]); err != nil {
			return fmt.Errorf("blob %d: %w", i, err)
		}
		if p.BlobSizes[i] == 0 {
			return fmt.Errorf("%w: blob %d is empty", ErrBlobMismatch, i)
		}
		total += uint64(p.BlobSizes[i])
		if len(p.ShareCommitments[i]) != CommitmentSize {
			return fmt.Errorf("%w: blob %d: commitment of %d bytes", ErrWrongCommitment, i, len(p.ShareCommitments[i]))
		}
		switch p.ShareVersions[i] {
		case uint32(share.ShareVersionZero):
		case uint32(share.ShareVersionOne):
			if len(p.Signer) != share.SignerSize {
				return fmt.Errorf("%w: blob %d: share version 1 needs a %d-byte signer", ErrShareVersion, i, share.SignerSize)
			}
		default:
			return fmt.Errorf("%w: blob %d: version %d", ErrShareVersion, i, p.ShareVersions[i])
		}
	}
	if maxBlobBytes > 0 && total > maxBlobBytes {
		return fmt.Errorf("%w: %d bytes > %d", ErrBlobTooLarge, total, maxBlobBytes)
	}
	return nil
}

// TotalBytes returns the sum of the blob sizes.
func (p PFB) TotalBytes() uint64 {
	var total uint64
	for _, s := range p.BlobSizes {
		total += uint64(s)
	}
	return total
}

// BlobNamespace parses a namespace a blob may use: version 0 with the
// 18-byte zero prefix, not reserved (neither primary nor secondary) and not
// the parity namespace.
func BlobNamespace(b []byte) (share.Namespace, error) {
	ns, err := share.NewNamespaceFromBytes(b)
	if err != nil {
		return share.Namespace{}, fmt.Errorf("%w: %v", ErrInvalidNamespace, err)
	}
	if err := ns.ValidateForBlob(); err != nil {
		return share.Namespace{}, fmt.Errorf("%w: %v", ErrInvalidNamespace, err)
	}
	return ns, nil
}

// Commitment returns the share commitment of a blob: the RFC 6962 root of
// the NMT roots of its subtrees (Celestia's blob share commitment rules).
func Commitment(b *share.Blob) ([]byte, error) {
	return inclusion.CreateCommitment(b, MerkleRoot, SubtreeRootThreshold)
}

// UnmarshalBlobTx decodes raw as a BlobTx. isBlobTx reports whether raw is
// meant as one (it carries the BLOB type id); err is set if it is one but is
// malformed. It never panics.
func UnmarshalBlobTx(raw []byte) (btx *tx.BlobTx, isBlobTx bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			btx, err = nil, fmt.Errorf("%w: %v", ErrMalformedBlobTx, r)
		}
	}()
	btx, isBlobTx, err = tx.UnmarshalBlobTx(raw)
	if !isBlobTx {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("%w: %v", ErrMalformedBlobTx, err)
	}
	if len(btx.Tx) == 0 {
		return nil, true, fmt.Errorf("%w: empty inner tx", ErrMalformedBlobTx)
	}
	return btx, true, nil
}

// ValidateBlobTx checks that the blobs of btx are exactly the ones pfb pays
// for: same count, and for each blob the namespace, size, share version,
// signer (share version 1) and share commitment.
func ValidateBlobTx(btx *tx.BlobTx, pfb PFB, maxBlobBytes uint64) error {
	if err := pfb.ValidateBasic(maxBlobBytes); err != nil {
		return err
	}
	if len(btx.Blobs) != len(pfb.Namespaces) {
		return fmt.Errorf("%w: %d blobs for %d paid", ErrBlobMismatch, len(btx.Blobs), len(pfb.Namespaces))
	}
	for i, b := range btx.Blobs {
		if b == nil || b.IsEmpty() {
			return fmt.Errorf("%w: blob %d is empty", ErrBlobMismatch, i)
		}
		if !bytes.Equal(b.Namespace().Bytes(), pfb.Namespaces[i]) {
			return fmt.Errorf("%w: blob %d: namespace %x, paid for %x", ErrBlobMismatch, i, b.Namespace().Bytes(), pfb.Namespaces[i])
		}
		if uint64(b.DataLen()) != uint64(pfb.BlobSizes[i]) {
			return fmt.Errorf("%w: blob %d: %d bytes, paid for %d", ErrBlobMismatch, i, b.DataLen(), pfb.BlobSizes[i])
		}
		if uint32(b.ShareVersion()) != pfb.ShareVersions[i] {
			return fmt.Errorf("%w: blob %d: share version %d, paid for %d", ErrBlobMismatch, i, b.ShareVersion(), pfb.ShareVersions[i])
		}
		if b.ShareVersion() == share.ShareVersionOne && !bytes.Equal(b.Signer(), pfb.Signer) {
			return fmt.Errorf("%w: blob %d: signer is not the PFB signer", ErrBlobMismatch, i)
		}
		c, err := Commitment(b)
		if err != nil {
			return fmt.Errorf("%w: blob %d: %v", ErrWrongCommitment, i, err)
		}
		if !bytes.Equal(c, pfb.ShareCommitments[i]) {
			return fmt.Errorf("%w: blob %d", ErrWrongCommitment, i)
		}
	}
	return nil
}

// Build lays out as many of txs (in priority order) as fit a square of at
// most maxSquareSize width, regular transactions first, and returns the
// square and the transactions in block order. Every BlobTx in txs must
// already be valid; malformed ones are an error.
func Build(txs [][]byte, maxSquareSize int) (gosquare.Square, [][]byte, error) {
	if err := checkMaxSquareSize(maxSquareSize); err != nil {
		return nil, nil, err
	}
	sq, kept, err := safeBuild(txs, maxSquareSize)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrSquare, err)
	}
	return sq, kept, nil
}

func safeBuild(txs [][]byte, maxSquareSize int) (sq gosquare.Square, kept [][]byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			sq, kept, err = nil, nil, fmt.Errorf("panic: %v", r)
		}
	}()
	return gosquare.Build(txs, maxSquareSize, SubtreeRootThreshold)
}

// Placement is where one blob sits in a square.
type Placement struct {
	// TxIndex is the index of the BlobTx in the block; BlobIndex of the blob
	// in it.
	TxIndex, BlobIndex int
	Blob               *share.Blob
	// Start is the index of the blob's first share in the original square
	// (row-major); Shares the number of shares it spans.
	Start, Shares int
	Commitment    []byte
}

// Layout is a block's square with the placement of every blob.
type Layout struct {
	Square     gosquare.Square
	Placements []Placement
}

// Construct rebuilds the square of a block from its transactions in block
// order. It fails if a BlobTx is malformed, a regular transaction follows a
// BlobTx, or the block does not fit a square of maxSquareSize width. It
// never panics.
func Construct(txs [][]byte, maxSquareSize int) (l Layout, err error) {
	if err := checkMaxSquareSize(maxSquareSize); err != nil {
		return Layout{}, err
	}
	defer func() {
		if r := recover(); r != nil {
			l, err = Layout{}, fmt.Errorf("%w: panic: %v", ErrSquare, r)
		}
	}()
	b, err := gosquare.NewBuilder(maxSquareSize, SubtreeRootThreshold, txs...)
	if err != nil {
		return Layout{}, fmt.Errorf("%w: %v", ErrSquare, err)
	}
	sq, err := b.Export()
	if err != nil {
		return Layout{}, fmt.Errorf("%w: %v", ErrSquare, err)
	}
	l.Square = sq
	for i, raw := range txs {
		btx, isBlob, err := UnmarshalBlobTx(raw)
		if !isBlob {
			continue
		}
		if err != nil {
			return Layout{}, err
		}
		for j, blob := range btx.Blobs {
			start, err := b.FindBlobStartingIndex(i, j)
			if err != nil {
				return Layout{}, fmt.Errorf("%w: %v", ErrSquare, err)
			}
			n, err := b.BlobShareLength(i, j)
			if err != nil {
				return Layout{}, fmt.Errorf("%w: %v", ErrSquare, err)
			}
			c, err := Commitment(blob)
			if err != nil {
				return Layout{}, fmt.Errorf("%w: %v", ErrWrongCommitment, err)
			}
			l.Placements = append(l.Placements, Placement{
				TxIndex: i, BlobIndex: j, Blob: blob, Start: start, Shares: n, Commitment: c,
			})
		}
	}
	return l, nil
}

func checkMaxSquareSize(n int) error {
	if n < 1 || n > MaxSquareSizeUpperBound || n&(n-1) != 0 {
		return fmt.Errorf("%w: max square size %d is not a power of two in [1, %d]", ErrSquare, n, MaxSquareSizeUpperBound)
	}
	return nil
}

// Width returns the width of a square.
func Width(sq gosquare.Square) int { return sq.Size() }

// BlobFromShares parses the one blob that shares hold (as cut out of a
// square by a Placement).
func BlobFromShares(shares [][]byte) (*share.Blob, error) {
	ss, err := share.FromBytes(shares)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSquare, err)
	}
	blobs, err := share.ParseBlobs(ss)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSquare, err)
	}
	if len(blobs) != 1 {
		return nil, fmt.Errorf("%w: %d blobs in range", ErrSquare, len(blobs))
	}
	return blobs[0], nil
}
