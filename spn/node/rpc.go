package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	mempl "github.com/cometbft/cometbft/mempool"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/txpool"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/farolnet/farol/spn/jsonrpc"
)

// ClientVersion is web3_clientVersion's answer.
const ClientVersion = "farol-spnd/v0.1.0"

// NewRPCServer returns a go-ethereum rpc server with the eth, net and web3 namespaces
// of app; transactions are broadcast through the CometBFT client bc. The eth
// namespace's subscriptions and polling filters are fed by app's commits.
func NewRPCServer(app *App, bc Broadcaster) (*rpc.Server, error) {
	srv, _, err := newRPCServer(app, bc)
	return srv, err
}

// NewRPCHandler returns the HTTP and WebSocket handler of NewRPCServer's server, with
// the fast path for HTTP batches of eth_sendRawTransaction (jsonrpc.BatchPath): one
// decoding of the batch, and the senders of its transactions recovered in batches
// (App.decodeTxs) before each call runs as SendRawTransaction. The answers are the
// server's.
func NewRPCHandler(app *App, bc Broadcaster) (*jsonrpc.Handler, error) {
	srv, eth, err := newRPCServer(app, bc)
	if err != nil {
		return nil, err
	}
	h := jsonrpc.NewHandler(srv)
	h.SetBatchPath(jsonrpc.BatchPath{Method: "eth_sendRawTransaction", Serve: eth.sendRawTransactions})
	return h, nil
}

func newRPCServer(app *App, bc Broadcaster) (*rpc.Server, *EthAPI, error) {
	srv := rpc.NewServer()
	ev := newChainEvents()
	app.OnCommit(ev.committed)
	eth := &EthAPI{app: app, bc: bc, events: ev, filters: newFilterStore()}
	for ns, api := range map[string]any{
		"eth":  eth,
		"net":  &NetAPI{app: app},
		"web3": &Web3API{},
	} {
		if err := srv.RegisterName(ns, api); err != nil {
			return nil, nil, err
		}
	}
	return srv, eth, nil
}

// Web3API is the web3 namespace.
type Web3API struct{}

// ClientVersion returns the node's version string.
func (*Web3API) ClientVersion() string { return ClientVersion }

// NetAPI is the net namespace.
type NetAPI struct{ app *App }

// Version returns the EVM chain id in decimal.
func (n *NetAPI) Version() string { return n.app.config.ChainID.String() }

// Listening reports that the node accepts connections.
func (n *NetAPI) Listening() bool { return true }

// Broadcaster submits a transaction to CometBFT's mempool (the node's local RPC
// client implements it).
type Broadcaster interface {
	BroadcastTxSync(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTx, error)
}

// EthAPI is the eth namespace.
type EthAPI struct {
	app     *App
	bc      Broadcaster
	events  *chainEvents
	filters *filterStore
	tips    tipCache
}

// rpcError is a JSON-RPC error with its code.
type rpcError struct {
	code int
	msg  string
}

func (e *rpcError) Error() string  { return e.msg }
func (e *rpcError) ErrorCode() int { return e.code }

// JSON-RPC error codes.
const (
	codeInvalidParams = -32602
	codeLimitExceeded = -32005 // a query over a server limit
)

func invalidParams(format string, args ...any) error {
	return &rpcError{code: codeInvalidParams, msg: fmt.Sprintf(format, args...)}
}

func limitExceeded(format string, args ...any) error {
	return &rpcError{code: codeLimitExceeded, msg: fmt.Sprintf(format, args...)}
}

// Errors for blocks that are not (yet) committed, as go-ethereum words them.
var (
	errUnknownBlock     = errors.New("header not found")
	errUnknownBlockHash = errors.New("header for hash not found")
)

// ChainId returns the EIP-155 chain id.
func (e *EthAPI) ChainId() *hexutil.Big { return (*hexutil.Big)(e.app.config.ChainID) } //nolint:revive // eth_chainId

// BlockNumber returns the last committed height.
func (e *EthAPI) BlockNumber() hexutil.Uint64 {
	h, _, _ := e.app.Head()
	return hexutil.Uint64(h)
}

// resolve maps a block tag, number or hash to a committed height.
func (e *EthAPI) resolve(bnh rpc.BlockNumberOrHash) (uint64, error) {
	latest, _, _ := e.app.Head()
	if h, ok := bnh.Hash(); ok {
		n, err := e.app.st.blockNumberByHash(h)
		if err != nil || n > latest {
			return 0, errUnknownBlockHash
		}
		return n, nil
	}
	n, ok := bnh.Number()
	if !ok {
		return latest, nil
	}
	switch n {
	case rpc.LatestBlockNumber, rpc.PendingBlockNumber, rpc.SafeBlockNumber, rpc.FinalizedBlockNumber:
		return latest, nil // CometBFT: a committed block is final
	case rpc.EarliestBlockNumber:
		return 0, nil
	}
	if n < 0 || uint64(n) > latest {
		return 0, errUnknownBlock
	}
	return uint64(n), nil
}

func (e *EthAPI) stateAt(bnh rpc.BlockNumberOrHash) (*state.StateDB, error) {
	n, err := e.resolve(bnh)
	if err != nil {
		return nil, err
	}
	h, err := e.app.st.header(n)
	if err != nil {
		return nil, errUnknownBlock
	}
	return e.app.stateOf(h)
}

// headerAt resolves a block tag, number or hash to a committed header.
func (e *EthAPI) headerAt(bnh rpc.BlockNumberOrHash) (*types.Header, error) {
	n, err := e.resolve(bnh)
	if err != nil {
		return nil, err
	}
	h, err := e.app.st.header(n)
	if err != nil {
		return nil, errUnknownBlock
	}
	return h, nil
}

// readAt reads from the state at bnh. A read the StateDB could not do (a trie node
// missing) is an error, not the zero value the StateDB returns for it.
func readAt[T any](e *EthAPI, bnh rpc.BlockNumberOrHash, read func(*state.StateDB) T) (T, error) {
	var zero T
	s, err := e.stateAt(bnh)
	if err != nil {
		return zero, err
	}
	v := read(s)
	if err := s.Error(); err != nil {
		return zero, err
	}
	return v, nil
}

// GetBalance returns an account's balance at a block.
func (e *EthAPI) GetBalance(addr common.Address, bnh rpc.BlockNumberOrHash) (*hexutil.Big, error) {
	return readAt(e, bnh, func(s *state.StateDB) *hexutil.Big { return (*hexutil.Big)(s.GetBalance(addr).ToBig()) })
}

// GetTransactionCount returns an account's nonce at a block; "pending" counts the
// transactions of the account in the mempool.
func (e *EthAPI) GetTransactionCount(addr common.Address, bnh rpc.BlockNumberOrHash) (hexutil.Uint64, error) {
	nonce, err := readAt(e, bnh, func(s *state.StateDB) uint64 { return s.GetNonce(addr) })
	if err != nil {
		return 0, err
	}
	if n, ok := bnh.Number(); ok && n == rpc.PendingBlockNumber {
		e.app.mu.RLock()
		if p, ok := e.app.nonces[addr]; ok && p > nonce {
			nonce = p
		}
		e.app.mu.RUnlock()
	}
	return hexutil.Uint64(nonce), nil
}

// GetCode returns an account's code at a block.
func (e *EthAPI) GetCode(addr common.Address, bnh rpc.BlockNumberOrHash) (hexutil.Bytes, error) {
	return readAt(e, bnh, func(s *state.StateDB) hexutil.Bytes { return s.GetCode(addr) })
}

// GetStorageAt returns a storage slot at a block.
func (e *EthAPI) GetStorageAt(addr common.Address, slot common.Hash, bnh rpc.BlockNumberOrHash) (hexutil.Bytes, error) {
	return readAt(e, bnh, func(s *state.StateDB) hexutil.Bytes { v := s.GetState(addr, slot); return v[:] })
}

// SendRawTransaction checks a signed transaction like CheckTx (for Ethereum-style
// errors) and broadcasts it through CometBFT's mempool.
func (e *EthAPI) SendRawTransaction(ctx context.Context, input hexutil.Bytes) (common.Hash, error) {
	tx, _, _, err := e.app.decodeTx(input)
	if err != nil {
		return common.Hash{}, err
	}
	res, err := e.bc.BroadcastTxSync(ctx, []byte(input))
	if errors.Is(err, mempl.ErrTxInCache) {
		// CometBFT's cache of recent transactions: go-ethereum's txpool answer.
		return common.Hash{}, txpool.ErrAlreadyKnown
	}
	if err != nil {
		return common.Hash{}, err
	}
	if res.Code != CodeOK {
		return common.Hash{}, errors.New(res.Log)
	}
	e.filters.addTx(tx.Hash())
	e.events.accepted(tx.Hash())
	return tx.Hash(), nil
}

// sendRawTransactions is SendRawTransaction for each of a batch's transactions, in
// order, after recovering their senders together (App.decodeTxs).
func (e *EthAPI) sendRawTransactions(ctx context.Context, raws [][]byte) []jsonrpc.Result {
	e.app.decodeTxs(raws)
	out := make([]jsonrpc.Result, len(raws))
	for i, raw := range raws {
		h, err := e.SendRawTransaction(ctx, raw)
		out[i] = jsonrpc.Result{Value: h, Err: err}
	}
	return out
}

// GetTransactionReceipt returns a committed transaction's receipt (nil if unknown).
func (e *EthAPI) GetTransactionReceipt(hash common.Hash) (map[string]any, error) {
	b, i, err := e.txAt(hash)
	if b == nil || err != nil {
		return nil, err
	}
	return e.marshalReceipt(b, i), nil
}

// txAt returns the block and index of a transaction of a committed block (nil if
// there is none). Records of the block being committed are written before the
// head moves to it: they are not visible until then, so a receipt is never ahead
// of "latest".
func (e *EthAPI) txAt(hash common.Hash) (*Block, int, error) {
	n, i, err := e.app.st.txLocation(hash)
	if err != nil {
		return nil, 0, nil
	}
	if head, _, _ := e.app.Head(); n > head {
		return nil, 0, nil
	}
	b, err := e.app.st.block(n)
	if err != nil || i >= len(b.Txs) {
		return nil, 0, fmt.Errorf("transaction %s in block %d: %w", hash, n, err)
	}
	return b, i, nil
}

// GetBlockReceipts returns the receipts of a block's transactions (nil if the
// block is unknown).
func (e *EthAPI) GetBlockReceipts(bnh rpc.BlockNumberOrHash) ([]map[string]any, error) {
	b, err := e.blockOf(bnh)
	if err != nil || b == nil {
		return nil, err
	}
	out := make([]map[string]any, len(b.Receipts))
	for i := range b.Receipts {
		out[i] = e.marshalReceipt(b, i)
	}
	return out, nil
}

// marshalReceipt is the JSON-RPC form of receipt i of b, as go-ethereum gives it.
func (e *EthAPI) marshalReceipt(b *Block, i int) map[string]any {
	r, tx := b.Receipts[i], b.Txs[i]
	from, _ := types.Sender(e.app.signer, tx)
	logs := r.Logs
	if logs == nil {
		logs = []*types.Log{}
	}
	m := map[string]any{
		"blockHash":         b.Hash,
		"blockNumber":       hexutil.Uint64(b.Header.Number.Uint64()),
		"transactionHash":   tx.Hash(),
		"transactionIndex":  hexutil.Uint64(i),
		"from":              from,
		"to":                tx.To(),
		"gasUsed":           hexutil.Uint64(r.GasUsed),
		"cumulativeGasUsed": hexutil.Uint64(r.CumulativeGasUsed),
		"contractAddress":   nil,
		"logs":              logs,
		"logsBloom":         r.Bloom,
		"type":              hexutil.Uint(tx.Type()),
		"effectiveGasPrice": (*hexutil.Big)(r.EffectiveGasPrice),
		"status":            hexutil.Uint64(r.Status),
	}
	if tx.To() == nil {
		m["contractAddress"] = r.ContractAddress
	}
	return m
}

// GetTransactionByHash returns a committed transaction (nil if unknown).
func (e *EthAPI) GetTransactionByHash(hash common.Hash) (map[string]any, error) {
	b, i, err := e.txAt(hash)
	if b == nil || err != nil {
		return nil, err
	}
	return e.marshalTx(b, i)
}

// GetTransactionByBlockNumberAndIndex returns transaction i of a block (nil if
// there is none).
func (e *EthAPI) GetTransactionByBlockNumberAndIndex(number rpc.BlockNumber, i hexutil.Uint) (map[string]any, error) {
	return e.txByIndex(rpc.BlockNumberOrHashWithNumber(number), i)
}

// GetTransactionByBlockHashAndIndex returns transaction i of a block (nil if there
// is none).
func (e *EthAPI) GetTransactionByBlockHashAndIndex(hash common.Hash, i hexutil.Uint) (map[string]any, error) {
	return e.txByIndex(rpc.BlockNumberOrHashWithHash(hash, false), i)
}

// GetRawTransactionByHash returns the binary encoding of a committed transaction
// (nil if unknown).
func (e *EthAPI) GetRawTransactionByHash(hash common.Hash) (hexutil.Bytes, error) {
	b, i, err := e.txAt(hash)
	if b == nil || err != nil {
		return nil, err
	}
	return b.Txs[i].MarshalBinary()
}

func (e *EthAPI) txByIndex(bnh rpc.BlockNumberOrHash, i hexutil.Uint) (map[string]any, error) {
	b, err := e.blockOf(bnh)
	if err != nil || b == nil || int(i) >= len(b.Txs) {
		return nil, nil //nolint:nilnil,nilerr // unknown: null
	}
	return e.marshalTx(b, int(i))
}

// GetBlockTransactionCountByNumber returns the number of transactions of a block
// (nil if the block is unknown).
func (e *EthAPI) GetBlockTransactionCountByNumber(number rpc.BlockNumber) *hexutil.Uint {
	return e.txCount(rpc.BlockNumberOrHashWithNumber(number))
}

// GetBlockTransactionCountByHash returns the number of transactions of a block
// (nil if the block is unknown).
func (e *EthAPI) GetBlockTransactionCountByHash(hash common.Hash) *hexutil.Uint {
	return e.txCount(rpc.BlockNumberOrHashWithHash(hash, false))
}

func (e *EthAPI) txCount(bnh rpc.BlockNumberOrHash) *hexutil.Uint {
	b, err := e.blockOf(bnh)
	if err != nil || b == nil {
		return nil
	}
	n := hexutil.Uint(len(b.Txs))
	return &n
}

// GetUncleCountByBlockNumber returns 0 for a known block (an SPN has no uncles).
func (e *EthAPI) GetUncleCountByBlockNumber(number rpc.BlockNumber) *hexutil.Uint {
	return e.uncleCount(rpc.BlockNumberOrHashWithNumber(number))
}

// GetUncleCountByBlockHash returns 0 for a known block (an SPN has no uncles).
func (e *EthAPI) GetUncleCountByBlockHash(hash common.Hash) *hexutil.Uint {
	return e.uncleCount(rpc.BlockNumberOrHashWithHash(hash, false))
}

func (e *EthAPI) uncleCount(bnh rpc.BlockNumberOrHash) *hexutil.Uint {
	if _, err := e.headerAt(bnh); err != nil {
		return nil
	}
	n := hexutil.Uint(0)
	return &n
}

// GetUncleByBlockNumberAndIndex returns null (an SPN has no uncles).
func (e *EthAPI) GetUncleByBlockNumberAndIndex(rpc.BlockNumber, hexutil.Uint) map[string]any {
	return nil
}

// GetUncleByBlockHashAndIndex returns null (an SPN has no uncles).
func (e *EthAPI) GetUncleByBlockHashAndIndex(common.Hash, hexutil.Uint) map[string]any {
	return nil
}

// Syncing returns false: the JSON-RPC server reads the node's committed state.
func (e *EthAPI) Syncing() bool { return false }

// Accounts returns no accounts: the node holds no user keys.
func (e *EthAPI) Accounts() []common.Address { return []common.Address{} }

// blockOf returns the committed block of a tag, number or hash; nil (no error) if
// there is none.
func (e *EthAPI) blockOf(bnh rpc.BlockNumberOrHash) (*Block, error) {
	n, err := e.resolve(bnh)
	if err != nil {
		return nil, nil //nolint:nilnil,nilerr // unknown block: null
	}
	b, err := e.app.st.block(n)
	if errors.Is(err, errNotFound) {
		return nil, nil //nolint:nilnil // unknown block: null
	}
	return b, err
}

func (e *EthAPI) marshalTx(b *Block, i int) (map[string]any, error) {
	tx := b.Txs[i]
	enc, err := json.Marshal(tx)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(enc, &m); err != nil {
		return nil, err
	}
	from, _ := types.Sender(e.app.signer, tx)
	m["from"] = from
	m["blockHash"] = b.Hash
	m["blockNumber"] = (*hexutil.Big)(b.Header.Number)
	m["transactionIndex"] = hexutil.Uint64(i)
	m["gasPrice"] = (*hexutil.Big)(b.Receipts[i].EffectiveGasPrice)
	return m, nil
}

// GetBlockByNumber returns a block (nil beyond the head).
func (e *EthAPI) GetBlockByNumber(number rpc.BlockNumber, full bool) (map[string]any, error) {
	b, err := e.blockOf(rpc.BlockNumberOrHashWithNumber(number))
	if err != nil || b == nil {
		return nil, err
	}
	return e.marshalBlock(b, full)
}

// GetBlockByHash returns a block (nil if unknown).
func (e *EthAPI) GetBlockByHash(hash common.Hash, full bool) (map[string]any, error) {
	b, err := e.blockOf(rpc.BlockNumberOrHashWithHash(hash, false))
	if err != nil || b == nil {
		return nil, err
	}
	return e.marshalBlock(b, full)
}

// marshalHeader is the JSON-RPC form of a header (its "hash" is keccak(RLP)).
func marshalHeader(h *types.Header) (map[string]any, error) {
	enc, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(enc, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func (e *EthAPI) marshalBlock(b *Block, full bool) (map[string]any, error) {
	m, err := marshalHeader(b.Header)
	if err != nil {
		return nil, err
	}
	txs := make([]any, len(b.Txs))
	for i, tx := range b.Txs {
		if full {
			if txs[i], err = e.marshalTx(b, i); err != nil {
				return nil, err
			}
		} else {
			txs[i] = tx.Hash()
		}
	}
	m["transactions"] = txs
	m["uncles"] = []common.Hash{}
	m["withdrawals"] = []*types.Withdrawal{}
	m["size"] = hexutil.Uint64(types.NewBlockWithHeader(b.Header).WithBody(types.Body{Transactions: b.Txs, Withdrawals: []*types.Withdrawal{}}).Size())
	return m, nil
}
