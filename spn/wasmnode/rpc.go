package wasmnode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
)

// Namespace is the JSON-RPC namespace of the Wasm SPN API (methods wasm_*).
const Namespace = "wasm"

// Broadcaster submits a transaction to CometBFT's mempool (the node's local RPC
// client implements it).
type Broadcaster interface {
	BroadcastTxSync(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTx, error)
}

// NewRPCServer returns the JSON-RPC server of the wasm namespace of app (serve it
// with spn/jsonrpc for HTTP and WebSocket, where wasm_subscribe works); transactions
// go to CometBFT through bc.
func NewRPCServer(app *App, bc Broadcaster) (*rpc.Server, error) {
	srv := rpc.NewServer()
	srv.SetHTTPBodyLimit(2*wasm.MaxTxData + 1<<20) // a hex-encoded upload of the largest module
	if err := srv.RegisterName(Namespace, &API{app: app, bc: bc}); err != nil {
		return nil, err
	}
	return srv, nil
}

// Limits of the API.
const (
	DefaultQueryGas = 50_000_000 // gas of a query when the caller gives none
	// ReadTimeout bounds the time of one query or simulation: the running Wasm call
	// is stopped (wasm.Config.CloseOnContextDone) and the request fails; a client
	// that goes away stops it too. It is generous because the reads' engine compiles
	// a contract the first time a read reaches it (a Go contract: ~3–4 s here, once
	// per node; compilation itself is not interrupted), while gas bounds the call
	// itself (the block gas limit of 150 M at the Go token's ~2 ns per gas is 0.3 s;
	// ADR 015).
	ReadTimeout    = 30 * time.Second
	MaxEventBlocks = 10_000 // block range of one wasm_getEvents
	MaxEvents      = 10_000 // events returned by one wasm_getEvents
)

// Params are the chain's parameters (wasm_params).
type Params struct {
	ChainID       uint64 `json:"chainId"`
	BlockGasLimit uint64 `json:"blockGasLimit"`
	MinGasPrice   uint64 `json:"minGasPrice"`
}

// TxResult is a committed transaction and its receipt (wasm_getTx, wasm_simulate).
type TxResult struct {
	Hash        common.Hash     `json:"hash"`
	BlockNumber uint64          `json:"blockNumber"`
	Index       uint32          `json:"index"`
	From        common.Address  `json:"from"`
	Kind        string          `json:"kind"` // transfer, upload, instantiate, call
	Nonce       uint64          `json:"nonce"`
	GasLimit    uint64          `json:"gasLimit"`
	GasPrice    uint64          `json:"gasPrice"`
	To          *common.Address `json:"to,omitempty"`
	Value       string          `json:"value"` // decimal
	Status      uint8           `json:"status"`
	StatusName  string          `json:"statusName"` // ok, reverted, out of gas, trap, invalid code, ...
	GasUsed     uint64          `json:"gasUsed"`
	Return      hexutil.Bytes   `json:"return,omitempty"`
	Events      []Event         `json:"events,omitempty"`
	Messages    []Message       `json:"messages,omitempty"`
	Contract    *common.Address `json:"contract,omitempty"` // instantiate: the new contract
	CodeHash    *common.Hash    `json:"codeHash,omitempty"` // upload: the code hash; instantiate: its code
	Error       string          `json:"error,omitempty"`    // why it failed
	Pending     bool            `json:"pending,omitempty"`  // in the node's mempool: no block or receipt yet
}

// StatusPending is the Status (not a wasm.Status) of a transaction that is in the
// node's mempool (wasm_getTx, wasm_txStatus); StatusName is "pending".
const StatusPending uint8 = 255

// OK reports whether the transaction was committed and succeeded.
func (r *TxResult) OK() bool { return !r.Pending && r.Status == uint8(wasm.StatusOK) }

// Event is a contract event; the position fields are set by wasm_getEvents.
type Event struct {
	Contract    common.Address `json:"contract"`
	Topic       hexutil.Bytes  `json:"topic"`
	Data        hexutil.Bytes  `json:"data"`
	BlockNumber uint64         `json:"blockNumber,omitempty"`
	TxHash      *common.Hash   `json:"txHash,omitempty"`
	TxIndex     uint32         `json:"txIndex,omitempty"`
	Index       uint32         `json:"index,omitempty"` // in the transaction
}

// Message is a mesh message a transaction sent.
type Message struct {
	DestSPN   uint64         `json:"destSpn"`
	Sender    common.Address `json:"sender"`
	Recipient common.Address `json:"recipient"`
	Data      hexutil.Bytes  `json:"data"`
}

// TxStatus is the short form of a transaction's outcome (wasm_txStatus).
type TxStatus struct {
	Hash        common.Hash `json:"hash"`
	Found       bool        `json:"found"`             // committed (false: unknown or pending)
	Pending     bool        `json:"pending,omitempty"` // in the node's mempool (Status StatusPending)
	BlockNumber uint64      `json:"blockNumber,omitempty"`
	Status      uint8       `json:"status"`
	StatusName  string      `json:"statusName,omitempty"`
	GasUsed     uint64      `json:"gasUsed"`
	Error       string      `json:"error,omitempty"`
}

// Block is a committed block (wasm_getBlock).
type Block struct {
	Number       uint64         `json:"number"`
	Hash         hexutil.Bytes  `json:"hash"` // CometBFT block hash
	Time         uint64         `json:"time"` // unix seconds
	Proposer     common.Address `json:"proposer"`
	ParentRoot   common.Hash    `json:"parentRoot"`
	StateRoot    common.Hash    `json:"stateRoot"` // the app hash after the block
	ReceiptsHash common.Hash    `json:"receiptsHash"`
	GasUsed      uint64         `json:"gasUsed"`
	TxHashes     []common.Hash  `json:"transactions"`
	Txs          []*TxResult    `json:"transactionResults,omitempty"` // with full=true
}

// QueryResult is a read-only call's answer.
type QueryResult struct {
	Result  hexutil.Bytes `json:"result"`
	GasUsed uint64        `json:"gasUsed"`
}

// QueryOptions are the optional arguments of wasm_query.
type QueryOptions struct {
	Caller *common.Address `json:"caller,omitempty"` // default: the zero address
	Gas    uint64          `json:"gas,omitempty"`    // default DefaultQueryGas, at most the block gas limit
}

// ContractInfo is what wasm_getContract returns.
type ContractInfo struct {
	Address  common.Address `json:"address"`
	CodeHash common.Hash    `json:"codeHash"`
	Balance  string         `json:"balance"`
}

// CodeInfo is what wasm_codeInfo returns.
type CodeInfo struct {
	CodeHash common.Hash `json:"codeHash"`
	Size     uint64      `json:"size"` // bytes of the instrumented module
}

// EventFilter selects events (wasm_getEvents); zero fields match everything.
type EventFilter struct {
	FromBlock *BlockNumber    `json:"fromBlock,omitempty"` // default: latest
	ToBlock   *BlockNumber    `json:"toBlock,omitempty"`   // default: latest
	Contract  *common.Address `json:"contract,omitempty"`
	Topic     hexutil.Bytes   `json:"topic,omitempty"`
}

// BlockNumber is a block number in JSON: a number, a decimal or 0x-hex string,
// or "latest" (also "pending", "safe", "finalized": a committed block is final).
type BlockNumber int64

// Latest is the BlockNumber of the last committed block.
const Latest BlockNumber = -1

// UnmarshalJSON implements json.Unmarshaler.
func (b *BlockNumber) UnmarshalJSON(data []byte) error {
	s := strings.TrimSpace(string(data))
	if u, err := strconv.Unquote(s); err == nil {
		s = u
	}
	switch s {
	case "latest", "pending", "safe", "finalized", "":
		*b = Latest
		return nil
	case "earliest":
		*b = 0
		return nil
	}
	var n uint64
	var err error
	if strings.HasPrefix(s, "0x") {
		n, err = hexutil.DecodeUint64(s)
	} else {
		n, err = strconv.ParseUint(s, 10, 63)
	}
	if err != nil || n > 1<<62 {
		return fmt.Errorf("invalid block number %q", s)
	}
	*b = BlockNumber(n)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (b BlockNumber) MarshalJSON() ([]byte, error) {
	if b < 0 {
		return []byte(`"latest"`), nil
	}
	return json.Marshal(uint64(b))
}

func (b *BlockNumber) resolve(latest uint64) uint64 {
	if b == nil || *b < 0 || uint64(*b) > latest {
		return latest
	}
	return uint64(*b)
}

// rpcError is an API error with a JSON-RPC code and optional data (revert data).
type rpcError struct {
	code int
	msg  string
	data any
}

func (e *rpcError) Error() string  { return e.msg }
func (e *rpcError) ErrorCode() int { return e.code }
func (e *rpcError) ErrorData() any { return e.data }

// JSON-RPC error codes of the API (besides the JSON-RPC standard ones).
const (
	RPCErrTx       = -32000 // transaction refused (CheckTx); data: the ABCI code
	RPCErrReverted = 3      // query reverted; data: the revert data (hex)
	RPCErrQuery    = -32015 // query failed otherwise (trap, out of gas, no contract)
	RPCErrNotFound = -32001 // unknown block, contract or code
)

func notFound(format string, args ...any) error {
	return &rpcError{code: RPCErrNotFound, msg: fmt.Sprintf(format, args...)}
}

// API is the wasm namespace.
type API struct {
	app *App
	bc  Broadcaster
}

// ChainId returns the chain id transactions must carry.
func (s *API) ChainId() uint64 { return s.app.gen.ChainID } //nolint:revive // wasm_chainId

// Params returns the chain parameters.
func (s *API) Params() Params {
	g := s.app.gen
	return Params{ChainID: g.ChainID, BlockGasLimit: g.BlockGasLimit, MinGasPrice: g.MinGasPrice}
}

// BlockNumber returns the last committed height.
func (s *API) BlockNumber() uint64 {
	h, _ := s.app.Head()
	return h
}

// SendTx submits a signed, encoded transaction to the mempool and returns its hash.
// CheckTx's refusal is the error (nonce too low, insufficient funds, invalid
// signature, wrong chain id, forbidden import, ...).
func (s *API) SendTx(ctx context.Context, raw hexutil.Bytes) (common.Hash, error) {
	if d := s.app.decode(raw); d.err != nil { // clear errors without a mempool round trip
		return common.Hash{}, &rpcError{code: RPCErrTx, msg: d.err.Error(), data: d.code}
	}
	res, err := s.bc.BroadcastTxSync(ctx, cmttypes.Tx(raw))
	if err != nil {
		return common.Hash{}, &rpcError{code: RPCErrTx, msg: err.Error()}
	}
	if res.Code != CodeOK {
		return common.Hash{}, &rpcError{code: RPCErrTx, msg: res.Log, data: res.Code}
	}
	return TxHash(raw), nil
}

// Simulate executes a signed transaction on the latest state without committing it
// (gas estimation, dry runs) and returns its receipt.
func (s *API) Simulate(ctx context.Context, raw hexutil.Bytes) (*TxResult, error) {
	return s.app.Simulate(ctx, raw)
}

// Query runs contract's "call" read-only on the latest state. A revert is an error
// with code 3 and the revert data as its data.
func (s *API) Query(ctx context.Context, contract common.Address, input hexutil.Bytes, opts *QueryOptions) (*QueryResult, error) {
	var o QueryOptions
	if opts != nil {
		o = *opts
	}
	var caller wasm.Address
	if o.Caller != nil {
		caller = wasm.Address(*o.Caller)
	}
	out, gas, err := s.app.QueryContract(ctx, caller, wasm.Address(contract), input, o.Gas)
	if err != nil {
		if errors.Is(err, wasm.ErrReverted) {
			return nil, &rpcError{code: RPCErrReverted, msg: "execution reverted: " + revertReason(out), data: hexutil.Encode(out)}
		}
		return nil, &rpcError{code: RPCErrQuery, msg: err.Error()}
	}
	return &QueryResult{Result: out, GasUsed: gas}, nil
}

// revertReason is revert data as text if printable, else hex.
func revertReason(b []byte) string {
	if s := topicString(b); !strings.HasPrefix(s, "0x") || len(b) == 0 {
		return s
	}
	return hexutil.Encode(b)
}

// GetTx returns a committed transaction and its receipt; a transaction in this
// node's mempool with pending=true (status StatusPending, no receipt); null if
// unknown.
func (s *API) GetTx(hash common.Hash) (*TxResult, error) {
	r, err := s.app.Tx(hash)
	if errors.Is(err, ErrNotFound) {
		return s.app.PendingTx(hash), nil
	}
	return r, err
}

// TxStatus returns the short outcome of a transaction (pending if it is in this
// node's mempool).
func (s *API) TxStatus(hash common.Hash) (*TxStatus, error) {
	r, err := s.app.Tx(hash)
	if errors.Is(err, ErrNotFound) {
		if s.app.PendingTx(hash) != nil {
			return &TxStatus{Hash: hash, Pending: true, Status: StatusPending, StatusName: "pending"}, nil
		}
		return &TxStatus{Hash: hash}, nil
	}
	if err != nil {
		return nil, err
	}
	return &TxStatus{Hash: hash, Found: true, BlockNumber: r.BlockNumber, Status: r.Status, StatusName: r.StatusName, GasUsed: r.GasUsed, Error: r.Error}, nil
}

// GetBalance returns the native balance of addr (decimal) at the latest block.
func (s *API) GetBalance(addr common.Address) (string, error) {
	v := s.app.view()
	defer v.Close()
	b, err := readBalance(v.state(), wasm.Address(addr))
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

// GetNonce returns the next nonce of addr: of the latest state, or with
// tag "pending" counting the sender's transactions in the mempool.
func (s *API) GetNonce(addr common.Address, tag *string) (uint64, error) {
	return s.app.Nonce(wasm.Address(addr), tag != nil && *tag == "pending")
}

// GetContract returns the code hash and balance of the contract at addr.
func (s *API) GetContract(addr common.Address) (*ContractInfo, error) {
	v := s.app.view()
	defer v.Close()
	h, err := v.state().Get(wasm.ContractKey(wasm.Address(addr)))
	if err != nil {
		return nil, err
	}
	if len(h) != 32 {
		return nil, notFound("no contract at address %s", addr)
	}
	b, err := readBalance(v.state(), wasm.Address(addr))
	if err != nil {
		return nil, err
	}
	return &ContractInfo{Address: addr, CodeHash: common.Hash(h), Balance: b.String()}, nil
}

// GetCode returns the stored (instrumented) module of a code hash.
func (s *API) GetCode(hash common.Hash) (hexutil.Bytes, error) {
	v := s.app.view()
	defer v.Close()
	c, err := v.state().Get(wasm.CodeKey(hash))
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, notFound("%v: %s", ErrUnknownCode, hash)
	}
	return c, nil
}

// CodeInfo returns the size of the stored module of a code hash.
func (s *API) CodeInfo(hash common.Hash) (*CodeInfo, error) {
	c, err := s.GetCode(hash)
	if err != nil {
		return nil, err
	}
	return &CodeInfo{CodeHash: hash, Size: uint64(len(c))}, nil
}

// GetBlock returns block n ("latest" or a number) with its transaction hashes, and
// with full=true their results.
func (s *API) GetBlock(n BlockNumber, full *bool) (*Block, error) {
	return s.app.Block(n, full != nil && *full)
}

// GetBlockByHash returns the block of a CometBFT block hash.
func (s *API) GetBlockByHash(hash hexutil.Bytes, full *bool) (*Block, error) {
	v := s.app.view()
	n, err := heightByHash(v.snap, hash)
	v.Close()
	if errors.Is(err, ErrNotFound) {
		return nil, notFound("unknown block %s", hash)
	}
	if err != nil {
		return nil, err
	}
	return s.app.Block(BlockNumber(n), full != nil && *full)
}

// GetEvents returns the events of committed transactions that match f, in order,
// over at most MaxEventBlocks blocks and MaxEvents events.
func (s *API) GetEvents(f EventFilter) ([]Event, error) {
	return s.app.Events(f)
}

// GetProof returns the Merkle proof of a state key (see wasm.BalanceKey,
// wasm.StorageKey, ...) against the state root of block n (default latest).
func (s *API) GetProof(key hexutil.Bytes, n *BlockNumber) (*Proof, error) {
	bn := Latest
	if n != nil {
		bn = *n
	}
	return s.app.Proof(key, bn)
}

// ---- app reads ----

// QueryContract runs contract's "call" read-only against the latest committed state
// (at most 2 × GOMAXPROCS queries run at a time).
func (a *App) QueryContract(ctx context.Context, caller, contract wasm.Address, input []byte, gas uint64) ([]byte, uint64, error) {
	if gas == 0 {
		gas = DefaultQueryGas
	}
	gas = min(gas, a.gen.BlockGasLimit)
	select {
	case a.qs <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	defer func() { <-a.qs }()
	v := a.view()
	defer v.Close()
	info := wasm.BlockInfo{Height: v.head.Height, Time: v.head.Time}
	ctx, cancel := context.WithTimeout(ctx, ReadTimeout)
	defer cancel()
	return a.rd.Query(ctx, v.state(), info, caller, contract, input, gas)
}

// Simulate executes one transaction as the next block on the latest state and
// returns its receipt; nothing is committed. Uploads are compiled, so simulations
// run one at a time.
func (a *App) Simulate(ctx context.Context, raw []byte) (*TxResult, error) {
	d := a.decode(raw)
	if d.err != nil {
		return nil, &rpcError{code: RPCErrTx, msg: d.err.Error(), data: d.code}
	}
	select {
	case a.sims <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-a.sims }()
	v := a.view()
	defer v.Close()
	info := wasm.BlockInfo{Height: v.head.Height + 1, Time: v.head.Time}
	ctx, cancel := context.WithTimeout(ctx, ReadTimeout)
	defer cancel()
	res, err := a.rd.ExecuteBlock(ctx, &wasm.Block{BlockInfo: info, Txs: [][]byte{raw}}, v.state(), exec.Config{Workers: 1})
	if err != nil {
		return nil, err
	}
	rc := res.Receipts[0]
	st := storedTx{Raw: raw, From: d.sender, Status: uint8(rc.Status), GasUsed: rc.GasUsed, Return: rc.Return, Contract: rc.Contract, CodeHash: rc.CodeHash}
	if rc.Err != nil {
		st.Err = rc.Err.Error()
	}
	for _, e := range rc.Events {
		st.Events = append(st.Events, storedEvent{Contract: e.Contract, Topic: e.Topic, Data: e.Data})
	}
	return txResult(&st, TxHash(raw), 0, 0), nil
}

// Nonce returns the next nonce of addr (with pending: counting the mempool).
func (a *App) Nonce(addr wasm.Address, pending bool) (uint64, error) {
	v := a.view()
	defer v.Close()
	n, err := readNonce(v.state(), addr)
	if err != nil || !pending {
		return n, err
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	if p, ok := a.nonces[addr]; ok && p > n {
		n = p
	}
	return n, nil
}

// Tx returns a committed transaction by hash (ErrNotFound if unknown).
func (a *App) Tx(hash common.Hash) (*TxResult, error) {
	v := a.view()
	defer v.Close()
	n, i, err := txLocation(v.snap, hash)
	if err != nil {
		return nil, err
	}
	st, err := readTxAt(v.snap, pkey(be8(n), be4(i)))
	if err != nil {
		return nil, err
	}
	return txResult(st, hash, n, i), nil
}

// PendingTx returns a transaction this node's CheckTx accepted and that is not yet
// committed (nil if unknown): fields of the transaction, Pending true, Status
// StatusPending.
func (a *App) PendingTx(hash common.Hash) *TxResult {
	a.mu.RLock()
	p := a.pool[hash]
	a.mu.RUnlock()
	if p == nil {
		return nil
	}
	r := txResult(&storedTx{Raw: p.raw, From: p.from, Status: StatusPending}, hash, 0, 0)
	r.Pending, r.StatusName = true, "pending"
	return r
}

func be4(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

// Block returns a committed block.
func (a *App) Block(n BlockNumber, full bool) (*Block, error) {
	v := a.view()
	defer v.Close()
	height := n.resolve(v.head.Height)
	if n >= 0 && uint64(n) > v.head.Height {
		return nil, notFound("unknown block %d (latest %d)", n, v.head.Height)
	}
	if height == 0 {
		return &Block{Number: 0, Time: v.head.Time, StateRoot: a.genesisRoot(v), TxHashes: []common.Hash{}}, nil
	}
	h, err := readHeader(v.snap, height)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound("unknown block %d", height)
	}
	if err != nil {
		return nil, err
	}
	b := &Block{Number: h.Height, Hash: h.Hash, Time: h.Time, Proposer: h.Proposer, ParentRoot: h.ParentRoot,
		StateRoot: h.StateRoot, ReceiptsHash: h.ReceiptsHash, GasUsed: h.GasUsed, TxHashes: h.TxHashes}
	if b.TxHashes == nil {
		b.TxHashes = []common.Hash{}
	}
	if full {
		txs, err := blockTxs(v.snap, height)
		if err != nil {
			return nil, err
		}
		for i := range txs {
			b.Txs = append(b.Txs, txResult(&txs[i], h.TxHashes[i], height, uint32(i)))
		}
	}
	return b, nil
}

// genesisRoot is the state root after InitChain: the parent root of block 1, or the
// head's root if there is no block yet.
func (a *App) genesisRoot(v *view) common.Hash {
	if h, err := readHeader(v.snap, 1); err == nil {
		return h.ParentRoot
	}
	return v.head.Root
}

// Events returns the events matching f.
func (a *App) Events(f EventFilter) ([]Event, error) {
	v := a.view()
	defer v.Close()
	from, to := f.FromBlock.resolve(v.head.Height), f.ToBlock.resolve(v.head.Height)
	if from == 0 {
		from = 1
	}
	if to < from {
		return []Event{}, nil
	}
	if to-from >= MaxEventBlocks {
		return nil, fmt.Errorf("block range %d..%d longer than %d blocks", from, to, MaxEventBlocks)
	}
	out := []Event{}
	for n := from; n <= to; n++ {
		h, err := readHeader(v.snap, n)
		if err != nil {
			return nil, err
		}
		if len(h.TxHashes) == 0 {
			continue
		}
		txs, err := blockTxs(v.snap, n)
		if err != nil {
			return nil, err
		}
		for i := range txs {
			for j, e := range txs[i].Events {
				if f.Contract != nil && common.Address(e.Contract) != *f.Contract {
					continue
				}
				if len(f.Topic) > 0 && string(f.Topic) != string(e.Topic) {
					continue
				}
				if len(out) == MaxEvents {
					return nil, fmt.Errorf("more than %d events: narrow the filter", MaxEvents)
				}
				th := h.TxHashes[i]
				out = append(out, Event{Contract: e.Contract, Topic: e.Topic, Data: e.Data, BlockNumber: n, TxHash: &th, TxIndex: uint32(i), Index: uint32(j)})
			}
		}
	}
	return out, nil
}

var kindNames = map[wasm.TxKind]string{wasm.TxTransfer: "transfer", wasm.TxUpload: "upload", wasm.TxInstantiate: "instantiate", wasm.TxCall: "call"}

// txResult converts a stored transaction.
func txResult(st *storedTx, hash common.Hash, height uint64, index uint32) *TxResult {
	r := &TxResult{Hash: hash, BlockNumber: height, Index: index, From: st.From, Status: st.Status,
		StatusName: wasm.Status(st.Status).String(), GasUsed: st.GasUsed, Return: st.Return, Error: st.Err, Value: "0"}
	if tx, err := wasm.DecodeTx(st.Raw); err == nil {
		r.Kind, r.Nonce, r.GasLimit, r.GasPrice, r.Value = kindNames[tx.Kind], tx.Nonce, tx.GasLimit, tx.GasPrice, tx.Value.String()
		if tx.Kind == wasm.TxTransfer || tx.Kind == wasm.TxCall {
			to := common.Address(tx.To)
			r.To = &to
		}
		if tx.Kind == wasm.TxInstantiate {
			ch := common.Hash(tx.CodeHash)
			r.CodeHash = &ch
		}
	}
	if st.Contract != (wasm.Address{}) {
		c := common.Address(st.Contract)
		r.Contract = &c
	}
	if st.CodeHash != ([32]byte{}) {
		ch := common.Hash(st.CodeHash)
		r.CodeHash = &ch
	}
	for _, e := range st.Events {
		r.Events = append(r.Events, Event{Contract: e.Contract, Topic: e.Topic, Data: e.Data})
	}
	for _, m := range st.Messages {
		r.Messages = append(r.Messages, Message{DestSPN: m.DestSPN, Sender: m.Sender, Recipient: m.Recipient, Data: m.Data})
	}
	return r
}

// ParseAmount parses a decimal or 0x-hex amount of the native token.
func ParseAmount(s string) (exec.U256, error) {
	b, ok := new(big.Int).SetString(s, 0)
	if !ok || b.Sign() < 0 || b.BitLen() > 256 {
		return exec.U256{}, fmt.Errorf("invalid amount %q", s)
	}
	return exec.U256FromBig(b), nil
}
