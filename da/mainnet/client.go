// Package mainnet is the da.Client backend for the mainnet's embedded DA
// (x/da): blobs are submitted as BlobTxs and read back, with proofs and
// samples, over farold's gRPC. It does not import the Cosmos SDK: the
// caller signs (a TxSigner, e.g. x/da/client.NewTxSigner) and messages are
// encoded by hand (wire.go).
package mainnet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/farolnet/farol/da"
	"github.com/farolnet/farol/da/sampling"
	"github.com/farolnet/farol/da/square"
)

// gRPC methods used.
const (
	methodBlob          = "/farol.da.v1.Query/Blob"
	methodBlobs         = "/farol.da.v1.Query/Blobs"
	methodBlobProof     = "/farol.da.v1.Query/BlobProof"
	methodDataRoot      = "/farol.da.v1.Query/DataRoot"
	methodSample        = "/farol.da.v1.Query/Sample"
	methodBroadcastTx   = "/cosmos.tx.v1beta1.Service/BroadcastTx"
	methodLatestBlock   = "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock"
	broadcastModeSync   = 2
	defaultSubmitWait   = time.Minute
	defaultPollInterval = 250 * time.Millisecond
)

// TxSigner builds the signed BlobTx that pays for blobs (an SDK transaction
// with one MsgPayForBlobs, wrapped with the blobs).
type TxSigner func(ctx context.Context, blobs []*da.Blob) ([]byte, error)

// Client is the mainnet backend. Build it with New.
type Client struct {
	conn   grpc.ClientConnInterface
	signer TxSigner
	wait   time.Duration
	poll   time.Duration
}

var (
	_ da.Client       = (*Client)(nil)
	_ sampling.Source = (*Client)(nil)
)

// Option configures a Client.
type Option func(*Client)

// WithSigner sets the signer Submit needs; without it the client only reads.
func WithSigner(s TxSigner) Option { return func(c *Client) { c.signer = s } }

// WithSubmitTimeout bounds how long Submit waits for the blobs to be
// retrievable (default one minute).
func WithSubmitTimeout(d time.Duration) Option { return func(c *Client) { c.wait = d } }

// New returns a client over a gRPC connection to farold.
func New(conn grpc.ClientConnInterface, opts ...Option) *Client {
	c := &Client{conn: conn, wait: defaultSubmitWait, poll: defaultPollInterval}
	for _, o := range opts {
		o(c)
	}
	return c
}

func (c *Client) call(ctx context.Context, method string, req enc) (fields, error) {
	out := &rawMsg{}
	if err := c.conn.Invoke(ctx, method, &rawMsg{b: req}, out, grpc.ForceCodec(rawCodec{})); err != nil {
		return fields{}, err
	}
	return parse(out.b)
}

func notFound(err error) bool {
	c := status.Code(err)
	return c == codes.NotFound || c == codes.OutOfRange
}

func decodeBlob(b []byte) (*da.Blob, error) {
	f, err := parse(b)
	if err != nil {
		return nil, err
	}
	return &da.Blob{
		Height: f.u(1), Namespace: f.b(2), Data: f.b(3), ShareVersion: uint8(f.u(4)),
		Signer: f.b(5), Commitment: f.b(6), Index: int(f.u(7)),
	}, nil
}

// Get returns a blob and checks it against its commitment.
func (c *Client) Get(ctx context.Context, height uint64, namespace, commitment []byte) (*da.Blob, error) {
	b, _, err := c.get(ctx, height, namespace, commitment)
	return b, err
}

// get returns a blob and whether its MsgPayForBlobs succeeded.
func (c *Client) get(ctx context.Context, height uint64, namespace, commitment []byte) (*da.Blob, bool, error) {
	f, err := c.call(ctx, methodBlob, enc(nil).varint(1, height).bytes(2, namespace).bytes(3, commitment))
	if notFound(err) {
		return nil, false, fmt.Errorf("%w: %v", da.ErrBlobNotFound, err)
	} else if err != nil {
		return nil, false, err
	}
	raw, err := f.sub(1)
	if err != nil {
		return nil, false, err
	}
	b, err := decodeBlob(f.b(1))
	if err != nil {
		return nil, false, err
	}
	b.Commitment = commitment
	if err := b.VerifyCommitment(); err != nil {
		return nil, false, err
	}
	return b, raw.u(8) != 0, nil
}

// GetAll returns the blobs of each namespace at height, namespace by
// namespace.
func (c *Client) GetAll(ctx context.Context, height uint64, namespaces [][]byte) ([]*da.Blob, error) {
	var out []*da.Blob
	for _, ns := range namespaces {
		f, err := c.call(ctx, methodBlobs, enc(nil).varint(1, height).bytes(2, ns))
		if err != nil {
			return nil, err
		}
		for _, raw := range f.bytes[1] {
			b, err := decodeBlob(raw)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// GetProof returns the blob's share proof (da/square encoding).
func (c *Client) GetProof(ctx context.Context, height uint64, namespace, commitment []byte) (da.Proof, error) {
	f, err := c.call(ctx, methodBlobProof, enc(nil).varint(1, height).bytes(2, namespace).bytes(3, commitment))
	if notFound(err) {
		return nil, fmt.Errorf("%w: %v", da.ErrBlobNotFound, err)
	} else if err != nil {
		return nil, err
	}
	return da.Proof(f.b(1)), nil
}

// DataRoot returns the data root of height and its original square width.
func (c *Client) DataRoot(ctx context.Context, height uint64) ([]byte, int, error) {
	f, err := c.call(ctx, methodDataRoot, enc(nil).varint(1, height))
	if err != nil {
		return nil, 0, err
	}
	dr, err := f.sub(1)
	if err != nil {
		return nil, 0, err
	}
	return dr.b(2), int(dr.u(3)), nil
}

// Included fetches the blob, checks it against commitment and verifies
// proof against the height's data root. The data root is read from the
// node; a light client would take it from a verified header.
func (c *Client) Included(ctx context.Context, height uint64, namespace []byte, proof da.Proof, commitment []byte) (bool, error) {
	b, err := c.Get(ctx, height, namespace, commitment)
	if err != nil {
		return false, err
	}
	root, _, err := c.DataRoot(ctx, height)
	if err != nil {
		return false, err
	}
	return Verify(root, b, proof) == nil, nil
}

// Verify checks a blob and its mainnet proof against a data root.
func Verify(dataRoot []byte, b *da.Blob, proof da.Proof) error {
	p, err := square.UnmarshalShareProof(proof)
	if err != nil {
		return fmt.Errorf("%w: %v", da.ErrInvalidProof, err)
	}
	shares, err := b.Shares()
	if err != nil {
		return err
	}
	if err := p.Verify(dataRoot, shares); err != nil {
		return fmt.Errorf("%w: %v", da.ErrInvalidProof, err)
	}
	return nil
}

// Sample implements sampling.Source.
func (c *Client) Sample(ctx context.Context, height int64, row, col int) (square.SampleProof, error) {
	f, err := c.call(ctx, methodSample, enc(nil).varint(1, uint64(height)).varint(2, uint64(row)).varint(3, uint64(col)))
	if err != nil {
		return square.SampleProof{}, err
	}
	return square.UnmarshalSampleProof(f.b(1))
}

// LatestHeight returns the node's latest block height.
func (c *Client) LatestHeight(ctx context.Context) (uint64, error) {
	f, err := c.call(ctx, methodLatestBlock, nil)
	if err != nil {
		return 0, err
	}
	block, err := f.sub(2)
	if err != nil {
		return 0, err
	}
	header, err := block.sub(1)
	if err != nil {
		return 0, err
	}
	return header.u(3), nil
}

// Submit errors.
var (
	// ErrRefused: the node refused the BlobTx at CheckTx.
	ErrRefused = errors.New("mainnet: transaction refused")
	// ErrUnpaid: the blobs are in the square but their MsgPayForBlobs
	// failed in execution (e.g. out of gas or funds).
	ErrUnpaid = errors.New("mainnet: blobs included but their transaction failed")
)

// Submit signs and broadcasts one BlobTx for blobs, then waits until the
// first blob is retrievable and returns its height. If the blobs are in the
// square but their transaction failed, it returns the height and ErrUnpaid.
func (c *Client) Submit(ctx context.Context, blobs []*da.Blob) (uint64, error) {
	if c.signer == nil {
		return 0, errors.New("mainnet: no signer configured")
	}
	if len(blobs) == 0 {
		return 0, fmt.Errorf("%w: no blobs", da.ErrInvalidBlob)
	}
	start, err := c.LatestHeight(ctx)
	if err != nil {
		return 0, err
	}
	txBytes, err := c.signer(ctx, blobs)
	if err != nil {
		return 0, err
	}
	f, err := c.call(ctx, methodBroadcastTx, enc(nil).bytes(1, txBytes).varint(2, broadcastModeSync))
	if err != nil {
		return 0, err
	}
	res, err := f.sub(1)
	if err != nil {
		return 0, err
	}
	if code := res.u(4); code != 0 {
		return 0, fmt.Errorf("%w: code %d (%s): %s", ErrRefused, code, res.b(3), res.b(6))
	}
	return c.WaitForBlob(ctx, start+1, blobs[0].Namespace, blobs[0].Commitment)
}

// WaitForBlob polls heights from `from` on until the blob is retrievable;
// see Submit for ErrUnpaid.
func (c *Client) WaitForBlob(ctx context.Context, from uint64, namespace, commitment []byte) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()
	h := from
	for {
		_, _, err := c.DataRoot(ctx, h)
		switch {
		case err == nil:
			if _, paid, err := c.get(ctx, h, namespace, commitment); err == nil {
				if !paid {
					return h, fmt.Errorf("%w: height %d", ErrUnpaid, h)
				}
				return h, nil
			} else if !errors.Is(err, da.ErrBlobNotFound) {
				return 0, err
			}
			h++
			continue
		case !notFound(err):
			if ctx.Err() != nil {
				return 0, fmt.Errorf("%w: %v", da.ErrTimeout, ctx.Err())
			}
			return 0, err
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%w: last height checked %d", da.ErrTimeout, h-1)
		case <-time.After(c.poll):
		}
	}
}
