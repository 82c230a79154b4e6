package da

import (
	"context"
	"errors"
	"fmt"

	"github.com/celestiaorg/go-square/v3/share"

	"github.com/farolnet/farol/da/square"
)

// Sentinel errors of every backend.
var (
	// ErrBlobNotFound: no blob with that namespace and commitment at that height.
	ErrBlobNotFound = errors.New("da: blob not found")
	// ErrInvalidBlob: a blob cannot be built (bad namespace, empty data).
	ErrInvalidBlob = errors.New("da: invalid blob")
	// ErrInvalidProof: a proof does not verify or cannot be decoded.
	ErrInvalidProof = errors.New("da: invalid proof")
	// ErrTimeout: a submitted blob was not retrievable in time.
	ErrTimeout = errors.New("da: timed out waiting for inclusion")
)

// Blob is a blob with its share commitment.
type Blob struct {
	// Namespace is 29 bytes: version 0 and a 28-byte id.
	Namespace []byte
	Data      []byte
	// ShareVersion is 0, or 1 with Signer set (20 bytes).
	ShareVersion uint8
	Signer       []byte
	// Commitment is the share commitment (32 bytes).
	Commitment []byte
	// Height and Index are set on blobs read back: the height and the first
	// share of the blob in that height's original square.
	Height uint64
	Index  int
}

// NewBlob builds a share-version-0 blob and computes its commitment.
func NewBlob(namespace, data []byte) (*Blob, error) {
	ns, err := square.BlobNamespace(namespace)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidBlob, err)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty data", ErrInvalidBlob)
	}
	sb, err := share.NewV0Blob(ns, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidBlob, err)
	}
	c, err := square.Commitment(sb)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidBlob, err)
	}
	return &Blob{Namespace: ns.Bytes(), Data: data, Commitment: c}, nil
}

// NamespaceFromID builds a version-0 namespace from up to 10 id bytes
// (left-padded with zeros), as Celestia users do.
func NamespaceFromID(id []byte) ([]byte, error) {
	if len(id) == 0 || len(id) > share.NamespaceVersionZeroIDSize {
		return nil, fmt.Errorf("%w: namespace id of %d bytes (1..%d)", ErrInvalidBlob, len(id), share.NamespaceVersionZeroIDSize)
	}
	sub := make([]byte, share.NamespaceVersionZeroIDSize)
	copy(sub[len(sub)-len(id):], id)
	ns, err := share.NewV0Namespace(sub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidBlob, err)
	}
	return ns.Bytes(), nil
}

// Shares returns the blob split into shares as it sits in a square.
func (b *Blob) Shares() ([][]byte, error) {
	sb, err := b.squareBlob()
	if err != nil {
		return nil, err
	}
	ss, err := sb.ToShares()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidBlob, err)
	}
	return share.ToBytes(ss), nil
}

// VerifyCommitment checks that Commitment is the blob's share commitment.
func (b *Blob) VerifyCommitment() error {
	sb, err := b.squareBlob()
	if err != nil {
		return err
	}
	c, err := square.Commitment(sb)
	if err != nil || string(c) != string(b.Commitment) {
		return fmt.Errorf("%w: commitment does not match the blob", ErrInvalidBlob)
	}
	return nil
}

func (b *Blob) squareBlob() (*share.Blob, error) {
	ns, err := share.NewNamespaceFromBytes(b.Namespace)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidBlob, err)
	}
	sb, err := share.NewBlob(ns, b.Data, b.ShareVersion, b.Signer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidBlob, err)
	}
	return sb, nil
}

// Proof is a backend's inclusion proof of a blob, opaque to callers: pass it
// back to the same backend's Included.
type Proof []byte

// Commitment identifies a published blob.
type Commitment struct {
	Height     uint64
	Namespace  []byte
	Commitment []byte
}

// Client publishes and fetches blobs. Its methods mirror celestia-node's
// blob module.
type Client interface {
	// Submit publishes blobs in one transaction and returns the height that
	// includes them, once they are retrievable.
	Submit(ctx context.Context, blobs []*Blob) (uint64, error)
	// Get returns the blob of namespace with commitment at height.
	Get(ctx context.Context, height uint64, namespace, commitment []byte) (*Blob, error)
	// GetAll returns every blob of the namespaces at height.
	GetAll(ctx context.Context, height uint64, namespaces [][]byte) ([]*Blob, error)
	// GetProof returns the inclusion proof of a blob.
	GetProof(ctx context.Context, height uint64, namespace, commitment []byte) (Proof, error)
	// Included reports whether proof proves the blob with commitment in
	// namespace at height.
	Included(ctx context.Context, height uint64, namespace []byte, proof Proof, commitment []byte) (bool, error)
}
