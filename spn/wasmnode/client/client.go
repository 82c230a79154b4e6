// Package client is the Go client of a Wasm SPN node's JSON-RPC API (the wasm_
// namespace of spn/wasmnode): reads, queries, and a Signer that builds, signs,
// sends and waits for upload, instantiate, execute and transfer transactions.
//
//	c, _ := client.Dial(ctx, "http://127.0.0.1:8545")
//	s, _ := client.NewSigner(ctx, c, key)
//	up, _ := s.Upload(ctx, module)                      // waits for the receipt
//	in, _ := s.Instantiate(ctx, *up.CodeHash, initArgs, exec.U256{})
//	res, _ := s.Execute(ctx, *in.Contract, input, exec.U256{})
//	out, _ := c.Query(ctx, *in.Contract, query)
package client

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasmnode"
)

// Client talks to one node.
type Client struct {
	rpc *rpc.Client
}

// Dial connects to a node's JSON-RPC URL (http://host:port; ws://host:port for
// subscriptions).
func Dial(ctx context.Context, url string) (*Client, error) {
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, err
	}
	return &Client{rpc: c}, nil
}

// Close closes the connection.
func (c *Client) Close() { c.rpc.Close() }

func (c *Client) call(ctx context.Context, out any, method string, args ...any) error {
	return c.rpc.CallContext(ctx, out, wasmnode.Namespace+"_"+method, args...)
}

// Params returns the chain id, block gas limit and minimum gas price.
func (c *Client) Params(ctx context.Context) (wasmnode.Params, error) {
	var p wasmnode.Params
	return p, c.call(ctx, &p, "params")
}

// BlockNumber returns the last committed height.
func (c *Client) BlockNumber(ctx context.Context) (uint64, error) {
	var n uint64
	return n, c.call(ctx, &n, "blockNumber")
}

// Balance returns the native balance of addr.
func (c *Client) Balance(ctx context.Context, addr wasm.Address) (exec.U256, error) {
	var s string
	if err := c.call(ctx, &s, "getBalance", common.Address(addr)); err != nil {
		return exec.U256{}, err
	}
	return wasmnode.ParseAmount(s)
}

// Nonce returns the next nonce of addr; pending counts its transactions in the mempool.
func (c *Client) Nonce(ctx context.Context, addr wasm.Address, pending bool) (uint64, error) {
	tag := "latest"
	if pending {
		tag = "pending"
	}
	var n uint64
	return n, c.call(ctx, &n, "getNonce", common.Address(addr), tag)
}

// SendTx submits an encoded signed transaction and returns its hash. The node's
// refusal (CheckTx) is the error.
func (c *Client) SendTx(ctx context.Context, raw []byte) (common.Hash, error) {
	var h common.Hash
	return h, c.call(ctx, &h, "sendTx", hexutil.Bytes(raw))
}

// Simulate executes an encoded signed transaction on the latest state without
// committing it.
func (c *Client) Simulate(ctx context.Context, raw []byte) (*wasmnode.TxResult, error) {
	var r wasmnode.TxResult
	return &r, c.call(ctx, &r, "simulate", hexutil.Bytes(raw))
}

// ErrNotFound is returned for an unknown transaction.
var ErrNotFound = errors.New("not found")

// ErrPending is returned with a transaction that is in the node's mempool.
var ErrPending = errors.New("pending")

// Tx returns a committed transaction and its receipt: ErrNotFound if unknown;
// ErrPending, with the transaction's fields (Pending set, no receipt), if it is in
// the node's mempool.
func (c *Client) Tx(ctx context.Context, hash common.Hash) (*wasmnode.TxResult, error) {
	var r *wasmnode.TxResult
	if err := c.call(ctx, &r, "getTx", hash); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, ErrNotFound
	}
	if r.Pending {
		return r, ErrPending
	}
	return r, nil
}

// TxStatus returns the short outcome of a transaction.
func (c *Client) TxStatus(ctx context.Context, hash common.Hash) (*wasmnode.TxStatus, error) {
	var r wasmnode.TxStatus
	return &r, c.call(ctx, &r, "txStatus", hash)
}

// WaitTx polls until the transaction is committed (or ctx ends) and returns it.
func (c *Client) WaitTx(ctx context.Context, hash common.Hash) (*wasmnode.TxResult, error) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		r, err := c.Tx(ctx, hash)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrPending) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for tx %s: %w", hash, ctx.Err())
		case <-t.C:
		}
	}
}

// SubscribeBlocks sends each block the node commits to ch (wasm_subscribe
// "newBlocks"; the client must be dialed with a ws:// URL). Unsubscribe, or read
// Err, to end it.
func (c *Client) SubscribeBlocks(ctx context.Context, ch chan<- *wasmnode.Block) (*rpc.ClientSubscription, error) {
	return c.rpc.Subscribe(ctx, wasmnode.Namespace, ch, "newBlocks")
}

// SubscribeEvents sends to ch the events of committed transactions that match f's
// contract and topic (wasm_subscribe "events"; ws:// URL).
func (c *Client) SubscribeEvents(ctx context.Context, f wasmnode.EventFilter, ch chan<- wasmnode.Event) (*rpc.ClientSubscription, error) {
	return c.rpc.Subscribe(ctx, wasmnode.Namespace, ch, "events", f)
}

// RevertError is a query that reverted, with the contract's revert data.
type RevertError struct {
	Msg  string
	Data []byte
}

func (e *RevertError) Error() string { return e.Msg }

// Query runs contract's "call" read-only on the latest state and returns its return
// data. A revert is a *RevertError.
func (c *Client) Query(ctx context.Context, contract wasm.Address, input []byte) ([]byte, error) {
	r, err := c.QueryWith(ctx, contract, input, nil)
	if err != nil {
		return nil, err
	}
	return r.Result, nil
}

// QueryWith is Query with a caller and a gas limit; it also returns the gas used.
func (c *Client) QueryWith(ctx context.Context, contract wasm.Address, input []byte, opts *wasmnode.QueryOptions) (*wasmnode.QueryResult, error) {
	var r wasmnode.QueryResult
	err := c.call(ctx, &r, "query", common.Address(contract), hexutil.Bytes(input), opts)
	var de rpc.DataError
	var ce rpc.Error
	if errors.As(err, &ce) && ce.ErrorCode() == wasmnode.RPCErrReverted && errors.As(err, &de) {
		re := &RevertError{Msg: err.Error()}
		if s, ok := de.ErrorData().(string); ok {
			re.Data, _ = hexutil.Decode(s)
		}
		return nil, re
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Contract returns the code hash and balance of the contract at addr.
func (c *Client) Contract(ctx context.Context, addr wasm.Address) (*wasmnode.ContractInfo, error) {
	var r wasmnode.ContractInfo
	return &r, c.call(ctx, &r, "getContract", common.Address(addr))
}

// Code returns the stored (instrumented) module of a code hash.
func (c *Client) Code(ctx context.Context, hash [32]byte) ([]byte, error) {
	var b hexutil.Bytes
	return b, c.call(ctx, &b, "getCode", common.Hash(hash))
}

// CodeInfo returns the size of the stored module of a code hash.
func (c *Client) CodeInfo(ctx context.Context, hash [32]byte) (*wasmnode.CodeInfo, error) {
	var r wasmnode.CodeInfo
	return &r, c.call(ctx, &r, "codeInfo", common.Hash(hash))
}

// Block returns block n (wasmnode.Latest for the last one); full adds the
// transactions' results.
func (c *Client) Block(ctx context.Context, n wasmnode.BlockNumber, full bool) (*wasmnode.Block, error) {
	var r wasmnode.Block
	return &r, c.call(ctx, &r, "getBlock", n, full)
}

// Events returns committed events matching f.
func (c *Client) Events(ctx context.Context, f wasmnode.EventFilter) ([]wasmnode.Event, error) {
	var r []wasmnode.Event
	return r, c.call(ctx, &r, "getEvents", f)
}

// Proof returns the Merkle proof of a spn/wasm state key at block n (wasmnode.Latest
// for the last one); check it with wasmnode.VerifyProof.
func (c *Client) Proof(ctx context.Context, key []byte, n wasmnode.BlockNumber) (*wasmnode.Proof, error) {
	var p wasmnode.Proof
	return &p, c.call(ctx, &p, "getProof", hexutil.Bytes(key), n)
}

// Signer builds, signs and sends transactions of one account. Its methods are safe
// for concurrent use (they take nonces in order).
type Signer struct {
	C       *Client
	Address wasm.Address
	// GasPrice of the transactions (default: the chain's minimum).
	GasPrice uint64
	// GasLimit of the transactions; 0 estimates each one by simulating it
	// (gas used × 1.25 + 20,000, at most the block gas limit).
	GasLimit uint64

	key    []byte
	params wasmnode.Params
	mu     sync.Mutex
}

// NewSigner returns a signer for the secp256k1 private key (32 bytes).
func NewSigner(ctx context.Context, c *Client, key []byte) (*Signer, error) {
	addr, err := wasm.AddressOf(key)
	if err != nil {
		return nil, err
	}
	p, err := c.Params(ctx)
	if err != nil {
		return nil, err
	}
	return &Signer{C: c, Address: addr, GasPrice: p.MinGasPrice, key: key, params: p}, nil
}

// Sign fills in the chain id, the next pending nonce, gas price and gas limit (unless
// set in tx) and returns the signed encoding.
func (s *Signer) Sign(ctx context.Context, tx wasm.Tx) ([]byte, error) {
	nonce, err := s.C.Nonce(ctx, s.Address, true)
	if err != nil {
		return nil, err
	}
	tx.ChainID, tx.Nonce = s.params.ChainID, nonce
	if tx.GasPrice == 0 {
		tx.GasPrice = s.GasPrice
	}
	if tx.GasLimit == 0 {
		tx.GasLimit = s.GasLimit
	}
	if tx.GasLimit == 0 {
		if tx.GasLimit, err = s.estimate(ctx, tx); err != nil {
			return nil, err
		}
	}
	if err := tx.Sign(s.key); err != nil {
		return nil, err
	}
	return tx.Encode(), nil
}

// estimate simulates tx with the largest gas limit the signer can pay, on the latest
// state (with the latest nonce, so that transactions still pending do not matter).
func (s *Signer) estimate(ctx context.Context, tx wasm.Tx) (uint64, error) {
	tx.GasLimit = s.params.BlockGasLimit
	n, err := s.C.Nonce(ctx, s.Address, false)
	if err != nil {
		return 0, err
	}
	tx.Nonce = n
	if tx.GasPrice > 0 {
		bal, err := s.C.Balance(ctx, s.Address)
		if err != nil {
			return 0, err
		}
		avail := bal.Sub(tx.Value)
		if bal.Cmp(tx.Value) < 0 {
			avail = exec.U256{}
		}
		if max := new(big.Int).Div(avail.Big(), new(big.Int).SetUint64(tx.GasPrice)); max.IsUint64() && max.Uint64() < tx.GasLimit {
			tx.GasLimit = max.Uint64()
		}
	}
	if err := tx.Sign(s.key); err != nil {
		return 0, err
	}
	r, err := s.C.Simulate(ctx, tx.Encode())
	if err != nil {
		return 0, fmt.Errorf("gas estimation: %w", err)
	}
	if !r.OK() {
		return 0, fmt.Errorf("gas estimation: transaction would fail: %s: %s%s", r.StatusName, r.Error, revertSuffix(r.Return))
	}
	return min(r.GasUsed+r.GasUsed/4+20_000, s.params.BlockGasLimit), nil
}

func revertSuffix(ret []byte) string {
	if len(ret) == 0 {
		return ""
	}
	return fmt.Sprintf(" (return %q)", ret)
}

// Send signs and sends tx and returns its hash (it does not wait).
func (s *Signer) Send(ctx context.Context, tx wasm.Tx) (common.Hash, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, err := s.Sign(ctx, tx)
	if err != nil {
		return common.Hash{}, err
	}
	return s.C.SendTx(ctx, raw)
}

// SendAndWait sends tx and waits for its receipt. A transaction that was committed
// but failed (reverted, out of gas, ...) is returned with a nil error: check OK().
func (s *Signer) SendAndWait(ctx context.Context, tx wasm.Tx) (*wasmnode.TxResult, error) {
	h, err := s.Send(ctx, tx)
	if err != nil {
		return nil, err
	}
	return s.C.WaitTx(ctx, h)
}

// Upload uploads a module; the receipt's CodeHash is its code hash.
func (s *Signer) Upload(ctx context.Context, module []byte) (*wasmnode.TxResult, error) {
	return s.SendAndWait(ctx, wasm.Tx{Kind: wasm.TxUpload, Data: module})
}

// Instantiate creates a contract of codeHash with init args and value; the receipt's
// Contract is its address.
func (s *Signer) Instantiate(ctx context.Context, codeHash [32]byte, args []byte, value exec.U256) (*wasmnode.TxResult, error) {
	return s.SendAndWait(ctx, wasm.Tx{Kind: wasm.TxInstantiate, CodeHash: codeHash, Data: args, Value: value})
}

// Execute calls contract with input and value; the receipt's Return is its answer.
func (s *Signer) Execute(ctx context.Context, contract wasm.Address, input []byte, value exec.U256) (*wasmnode.TxResult, error) {
	return s.SendAndWait(ctx, wasm.Tx{Kind: wasm.TxCall, To: contract, Data: input, Value: value})
}

// Transfer sends value of the native token to to.
func (s *Signer) Transfer(ctx context.Context, to wasm.Address, value exec.U256) (*wasmnode.TxResult, error) {
	return s.SendAndWait(ctx, wasm.Tx{Kind: wasm.TxTransfer, To: to, Value: value})
}
