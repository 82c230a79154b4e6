// Package celestia is the da.Client backend for a Celestia network: it
// speaks celestia-node's JSON-RPC blob API (blob.Submit, blob.Get,
// blob.GetAll, blob.GetProof, blob.Included) over HTTP, authenticated with
// the node's auth token (`celestia <type> auth write`). Blob commitments are
// the same as the mainnet's (da/square uses Celestia's rules), so a batch
// commitment means the same thing whichever layer holds it.
package celestia

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/farolnet/farol/da"
)

// Client is a celestia-node JSON-RPC client. Build it with New.
type Client struct {
	url      string
	token    string
	http     *http.Client
	gasPrice float64
	id       atomic.Uint64
}

var _ da.Client = (*Client)(nil)

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default http.DefaultClient).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithGasPrice sets the gas price Submit asks for (default: the node's).
func WithGasPrice(p float64) Option { return func(c *Client) { c.gasPrice = p } }

// New returns a client of the node at url (e.g. http://localhost:26658)
// sending token as a bearer token (empty: none, for nodes run with
// --rpc.skip-auth).
func New(url, token string, opts ...Option) *Client {
	c := &Client{url: url, token: token, http: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// RPCError is an error the node returned.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string {
	return fmt.Sprintf("celestia: rpc error %d: %s", e.Code, e.Message)
}

type request struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type response struct {
	ID     uint64          `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *RPCError       `json:"error"`
}

func (c *Client) call(ctx context.Context, method string, out any, params ...any) error {
	body, err := json.Marshal(request{JSONRPC: "2.0", ID: c.id.Add(1), Method: method, Params: params})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("celestia: %s: %w", method, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("celestia: %s: %w", method, err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("celestia: %s: HTTP %d: %s", method, res.StatusCode, strings.TrimSpace(string(raw)))
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("celestia: %s: bad response: %w", method, err)
	}
	if r.Error != nil {
		if strings.Contains(r.Error.Message, "not found") {
			return fmt.Errorf("%w: %v", da.ErrBlobNotFound, r.Error)
		}
		return r.Error
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		return fmt.Errorf("celestia: %s: bad result: %w", method, err)
	}
	return nil
}

// jsonBlob is celestia-node's JSON form of a blob; []byte fields are base64.
type jsonBlob struct {
	Namespace    []byte `json:"namespace"`
	Data         []byte `json:"data"`
	ShareVersion uint8  `json:"share_version"`
	Commitment   []byte `json:"commitment"`
	Signer       []byte `json:"signer,omitempty"`
	Index        int    `json:"index"`
}

func toJSON(b *da.Blob) jsonBlob {
	return jsonBlob{Namespace: b.Namespace, Data: b.Data, ShareVersion: b.ShareVersion, Commitment: b.Commitment, Signer: b.Signer, Index: -1}
}

func fromJSON(j jsonBlob, height uint64) *da.Blob {
	return &da.Blob{Namespace: j.Namespace, Data: j.Data, ShareVersion: j.ShareVersion, Commitment: j.Commitment,
		Signer: j.Signer, Height: height, Index: j.Index}
}

// submitOptions is celestia-node's TxConfig; zero fields are the node's
// defaults.
type submitOptions struct {
	GasPrice      float64 `json:"gas_price,omitempty"`
	IsGasPriceSet bool    `json:"is_gas_price_set,omitempty"`
}

// Submit calls blob.Submit and returns the height that includes the blobs.
func (c *Client) Submit(ctx context.Context, blobs []*da.Blob) (uint64, error) {
	if len(blobs) == 0 {
		return 0, fmt.Errorf("%w: no blobs", da.ErrInvalidBlob)
	}
	js := make([]jsonBlob, len(blobs))
	for i, b := range blobs {
		js[i] = toJSON(b)
	}
	opts := submitOptions{GasPrice: c.gasPrice, IsGasPriceSet: c.gasPrice > 0}
	var height uint64
	if err := c.call(ctx, "blob.Submit", &height, js, opts); err != nil {
		return 0, err
	}
	return height, nil
}

// Get calls blob.Get and checks the blob against commitment.
func (c *Client) Get(ctx context.Context, height uint64, namespace, commitment []byte) (*da.Blob, error) {
	var j jsonBlob
	if err := c.call(ctx, "blob.Get", &j, height, namespace, commitment); err != nil {
		return nil, err
	}
	b := fromJSON(j, height)
	if !bytes.Equal(b.Commitment, commitment) {
		return nil, fmt.Errorf("%w: node returned another commitment", da.ErrInvalidBlob)
	}
	if err := b.VerifyCommitment(); err != nil {
		return nil, err
	}
	return b, nil
}

// GetAll calls blob.GetAll.
func (c *Client) GetAll(ctx context.Context, height uint64, namespaces [][]byte) ([]*da.Blob, error) {
	var js []jsonBlob
	if err := c.call(ctx, "blob.GetAll", &js, height, namespaces); err != nil {
		if errors.Is(err, da.ErrBlobNotFound) {
			return nil, nil
		}
		return nil, err
	}
	out := make([]*da.Blob, len(js))
	for i, j := range js {
		out[i] = fromJSON(j, height)
	}
	return out, nil
}

// GetProof calls blob.GetProof; the proof (a JSON list of NMT proofs) is
// kept as the node sent it, for Included.
func (c *Client) GetProof(ctx context.Context, height uint64, namespace, commitment []byte) (da.Proof, error) {
	var raw json.RawMessage
	if err := c.call(ctx, "blob.GetProof", &raw, height, namespace, commitment); err != nil {
		return nil, err
	}
	if !json.Valid(raw) || len(raw) == 0 || raw[0] != '[' {
		return nil, fmt.Errorf("%w: proof is not a JSON list", da.ErrInvalidProof)
	}
	return da.Proof(raw), nil
}

// Included calls blob.Included.
func (c *Client) Included(ctx context.Context, height uint64, namespace []byte, proof da.Proof, commitment []byte) (bool, error) {
	if !json.Valid(proof) {
		return false, fmt.Errorf("%w: proof is not JSON", da.ErrInvalidProof)
	}
	var ok bool
	if err := c.call(ctx, "blob.Included", &ok, height, namespace, json.RawMessage(proof), commitment); err != nil {
		return false, err
	}
	return ok, nil
}
