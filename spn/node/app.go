package node

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/farolnet/farol/spn/evm"
)

// CheckTx / tx result codes.
const (
	CodeOK uint32 = iota
	CodeDecode
	CodeInvalid  // chain id, signature, gas limit, blob
	CodeNonce    // nonce too low / too high
	CodeFunds    // insufficient funds
	CodeDropped  // not applied by the engine (FinalizeBlock)
	CodeInternal // state read failure
	CodeTooLarge // oversize tx
)

// MaxTxSize is the largest accepted encoded transaction (go-ethereum's txpool limit).
const MaxTxSize = 128 * 1024

// Errors returned by CheckTx (their messages are what Ethereum clients expect).
var (
	ErrNonceTooLow  = errors.New("nonce too low")
	ErrNonceTooHigh = errors.New("nonce too high")
	ErrFunds        = errors.New("insufficient funds for gas * price + value")
	ErrChainID      = errors.New("invalid chain id for signer")
	ErrGasLimit     = errors.New("exceeds block gas limit")
	ErrTxSize       = errors.New("oversized data")
	ErrKnownTx      = errors.New("replacement transaction not supported yet")
)

// App is the ABCI++ application of an EVM SPN. CometBFT's local client serializes
// the ABCI calls; mu guards the fields the JSON-RPC server reads concurrently.
type App struct {
	abci.BaseApplication

	db     state.Database
	kv     ethdb.KeyValueStore
	st     *store
	config *params.ChainConfig
	gen    *Genesis
	eng    *evm.Engine
	signer types.Signer
	opts   evm.Options

	mu      sync.RWMutex
	head    head
	pending *pendingBlock
	// nonces are the next nonces of senders with transactions in the mempool
	// (rebuilt by CheckTx rechecks after each commit; never reaches state).
	nonces map[common.Address]uint64

	// onCommit are called, in order, after each block is committed (outside mu).
	onCommit []func(*Block)
}

// OnCommit registers f to be called with every block once it is committed (for
// subscriptions and metrics); f must not block. It may be called while the node
// runs (the JSON-RPC server registers after CometBFT has started).
func (a *App) OnCommit(f func(*Block)) {
	a.mu.Lock()
	a.onCommit = append(a.onCommit, f)
	a.mu.Unlock()
}

type pendingBlock struct {
	block *Block
	root  common.Hash
}

// NewApp opens an app over an EVM state database and its key-value store. The
// genesis must be the one of the chain (it is also delivered by InitChain).
func NewApp(gen *Genesis, db state.Database, kv ethdb.KeyValueStore, opts evm.Options) (*App, error) {
	if err := gen.Validate(); err != nil {
		return nil, err
	}
	config := evm.DefaultConfig(new(big.Int).SetUint64(gen.EVMChainID))
	eng, err := evm.New(config, db, opts)
	if err != nil {
		return nil, err
	}
	a := &App{db: db, kv: kv, config: config, gen: gen, eng: eng, opts: opts,
		signer: types.LatestSigner(config), nonces: map[common.Address]uint64{}}
	a.st = &store{kv: kv, config: config}
	h, ok, err := a.st.head()
	if err != nil {
		return nil, err
	}
	if ok {
		a.head = h
	}
	return a, nil
}

// ChainConfig returns the EVM chain rules.
func (a *App) ChainConfig() *params.ChainConfig { return a.config }

// Head returns the last committed height, state root and block hash.
func (a *App) Head() (uint64, common.Hash, common.Hash) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.head.Height, a.head.Root, a.head.Hash
}

// Info reports the last committed block so CometBFT's handshake replays the rest.
func (a *App) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	resp := &abci.ResponseInfo{Data: "farol-spn-evm", Version: "0.1.0", LastBlockHeight: int64(a.head.Height)}
	if a.head.Height > 0 {
		resp.LastBlockAppHash = a.head.Root.Bytes()
	}
	return resp, nil
}

// InitChain commits the genesis allocations; the app hash is the genesis state root.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	if len(req.AppStateBytes) > 0 {
		g, err := ParseGenesis(req.AppStateBytes)
		if err != nil {
			return nil, err
		}
		if g.EVMChainID != a.gen.EVMChainID {
			return nil, fmt.Errorf("init chain: evm chain id %d, node configured for %d", g.EVMChainID, a.gen.EVMChainID)
		}
		a.gen = g
	}
	root, err := a.gen.commitAlloc(a.db)
	if err != nil {
		return nil, fmt.Errorf("init chain: %w", err)
	}
	if err := evm.Persist(a.db, root); err != nil {
		return nil, err
	}
	h := &types.Header{
		Number: new(big.Int), Time: uint64(req.Time.Unix()), GasLimit: a.gen.BlockGasLimit,
		Difficulty: new(big.Int), BaseFee: a.gen.BaseFee.ToInt(), Root: root,
		TxHash: types.EmptyTxsHash, ReceiptHash: types.EmptyReceiptsHash, UncleHash: types.EmptyUncleHash,
	}
	pragueFields(h)
	b := &Block{Header: h, Hash: h.Hash()}
	if err := a.st.writeBlock(b, root); err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.head = head{Height: 0, Root: root, Hash: b.Hash}
	a.mu.Unlock()
	return &abci.ResponseInitChain{AppHash: root.Bytes()}, nil
}

// decodeTx decodes and statelessly checks a transaction; it returns the sender.
func (a *App) decodeTx(raw []byte) (*types.Transaction, common.Address, uint32, error) {
	if len(raw) > MaxTxSize {
		return nil, common.Address{}, CodeTooLarge, ErrTxSize
	}
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		return nil, common.Address{}, CodeDecode, fmt.Errorf("rlp: %w", err)
	}
	if tx.Type() == types.BlobTxType {
		return nil, common.Address{}, CodeInvalid, evm.ErrBlobTx
	}
	if tx.Protected() && tx.ChainId().Cmp(a.config.ChainID) != 0 {
		return nil, common.Address{}, CodeInvalid, fmt.Errorf("%w: have %v want %v", ErrChainID, tx.ChainId(), a.config.ChainID)
	}
	if tx.Gas() > a.gen.BlockGasLimit {
		return nil, common.Address{}, CodeInvalid, ErrGasLimit
	}
	from, err := types.Sender(a.signer, tx)
	if err != nil {
		return nil, common.Address{}, CodeInvalid, fmt.Errorf("invalid sender: %w", err)
	}
	return tx, from, CodeOK, nil
}

// checkTx is CheckTx's logic (also used by eth_sendRawTransaction for its errors).
func (a *App) checkTx(raw []byte, recheck bool) (*types.Transaction, uint32, error) {
	tx, from, code, err := a.decodeTx(raw)
	if err != nil {
		return nil, code, err
	}
	if tx.GasFeeCap().Cmp(a.gen.BaseFee.ToInt()) < 0 {
		return nil, CodeInvalid, fmt.Errorf("max fee per gas less than block base fee: maxFeePerGas: %v, baseFee: %v", tx.GasFeeCap(), a.gen.BaseFee.ToInt())
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	sdb, err := state.New(a.head.Root, a.db)
	if err != nil {
		return nil, CodeInternal, err
	}
	stateNonce := sdb.GetNonce(from)
	if tx.Nonce() < stateNonce {
		return nil, CodeNonce, fmt.Errorf("%w: address %s, tx: %d state: %d", ErrNonceTooLow, from, tx.Nonce(), stateNonce)
	}
	next, ok := a.nonces[from]
	if !ok || next < stateNonce {
		next = stateNonce
	}
	if tx.Nonce() < next {
		return nil, CodeNonce, ErrKnownTx
	}
	if tx.Nonce() > next {
		return nil, CodeNonce, fmt.Errorf("%w: address %s, tx: %d next: %d (nonce gap)", ErrNonceTooHigh, from, tx.Nonce(), next)
	}
	if sdb.GetBalance(from).ToBig().Cmp(tx.Cost()) < 0 {
		return nil, CodeFunds, fmt.Errorf("%w: address %s have %v want %v", ErrFunds, from, sdb.GetBalance(from), tx.Cost())
	}
	a.nonces[from] = next + 1
	_ = recheck
	return tx, CodeOK, nil
}

// CheckTx admits a transaction to the mempool.
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	tx, code, err := a.checkTx(req.Tx, req.Type == abci.CheckTxType_Recheck)
	if err != nil {
		return &abci.ResponseCheckTx{Code: code, Log: err.Error(), Codespace: "spn"}, nil
	}
	return &abci.ResponseCheckTx{Code: CodeOK, GasWanted: int64(tx.Gas())}, nil
}

// PrepareProposal orders the mempool's transactions: undecodable ones are left out,
// each sender's transactions go in nonce order (senders in order of first
// appearance), and the block is filled up to the block gas limit and MaxTxBytes.
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	type item struct {
		raw []byte
		tx  *types.Transaction
	}
	bySender := map[common.Address][]item{}
	var order []common.Address
	for _, raw := range req.Txs {
		tx, from, _, err := a.decodeTx(raw)
		if err != nil {
			continue
		}
		if _, ok := bySender[from]; !ok {
			order = append(order, from)
		}
		bySender[from] = append(bySender[from], item{raw, tx})
	}
	var out [][]byte
	var gas uint64
	var size int64
	for _, from := range order {
		items := bySender[from]
		sort.SliceStable(items, func(i, j int) bool { return items[i].tx.Nonce() < items[j].tx.Nonce() })
		for _, it := range items {
			if gas+it.tx.Gas() > a.gen.BlockGasLimit || size+int64(len(it.raw)) > req.MaxTxBytes {
				break // later nonces of this sender would leave a gap
			}
			gas += it.tx.Gas()
			size += int64(len(it.raw))
			out = append(out, it.raw)
		}
	}
	return &abci.ResponsePrepareProposal{Txs: out}, nil
}

// ProcessProposal rejects a block with an undecodable or invalid transaction or
// whose gas limits exceed the block gas limit.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	var gas uint64
	for _, raw := range req.Txs {
		tx, _, _, err := a.decodeTx(raw)
		if err != nil {
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
		gas += tx.Gas()
		if gas > a.gen.BlockGasLimit {
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
	}
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// FinalizeBlock executes the block on spn/evm (in parallel); the app hash is the
// post-state root. Transactions the engine drops get a non-zero code and are not
// part of the Ethereum block.
func (a *App) FinalizeBlock(ctx context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	a.mu.RLock()
	parent := a.head
	a.mu.RUnlock()
	if uint64(req.Height) != parent.Height+1 {
		return nil, fmt.Errorf("finalize block: height %d after %d", req.Height, parent.Height)
	}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	var txs []*types.Transaction
	var pos []int // index in req.Txs of each decoded tx
	for i, raw := range req.Txs {
		tx, _, code, err := a.decodeTx(raw)
		if err != nil {
			results[i] = &abci.ExecTxResult{Code: code, Log: err.Error(), Codespace: "spn"}
			continue
		}
		txs = append(txs, tx)
		pos = append(pos, i)
	}
	zero := uint64(0)
	h := &types.Header{
		ParentHash:    parent.Hash,
		UncleHash:     types.EmptyUncleHash,
		Coinbase:      common.BytesToAddress(req.ProposerAddress),
		Number:        new(big.Int).SetUint64(uint64(req.Height)),
		GasLimit:      a.gen.BlockGasLimit,
		Time:          uint64(req.Time.Unix()),
		Difficulty:    new(big.Int),
		MixDigest:     common.BytesToHash(req.Hash),
		BaseFee:       new(big.Int).Set(a.gen.BaseFee.ToInt()),
		ExcessBlobGas: &zero,
		BlobGasUsed:   &zero,
	}
	res, err := a.eng.ExecuteBlock(ctx, parent.Root, &evm.Block{Header: h, Txs: txs, GetHash: a.getHash})
	if err != nil {
		return nil, fmt.Errorf("finalize block %d: %w", req.Height, err)
	}
	var incl []*types.Transaction
	var receipts types.Receipts
	for j, tx := range txs {
		i := pos[j]
		r := res.Receipts[j]
		if r == nil {
			log := "dropped"
			if res.TxErrors[j] != nil {
				log = res.TxErrors[j].Error()
			}
			results[i] = &abci.ExecTxResult{Code: CodeDropped, Log: log, Codespace: "spn"}
			continue
		}
		results[i] = &abci.ExecTxResult{Code: CodeOK, GasWanted: int64(tx.Gas()), GasUsed: int64(r.GasUsed), Data: tx.Hash().Bytes()}
		incl = append(incl, tx)
		receipts = append(receipts, r)
	}
	h.Root = res.Root
	pragueFields(h)
	h.GasUsed = res.GasUsed
	h.TxHash = types.DeriveSha(types.Transactions(incl), trie.NewStackTrie(nil))
	h.ReceiptHash = types.DeriveSha(receipts, trie.NewStackTrie(nil))
	for _, r := range receipts {
		bl := types.CreateBloom(r)
		for k := range h.Bloom {
			h.Bloom[k] |= bl[k]
		}
	}
	b := &Block{Header: h, Hash: h.Hash(), Txs: incl, Receipts: receipts}
	a.mu.Lock()
	a.pending = &pendingBlock{block: b, root: res.Root}
	a.mu.Unlock()
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: res.Root.Bytes()}, nil
}

// getHash answers BLOCKHASH from the store.
func (a *App) getHash(n uint64) common.Hash {
	b, err := a.st.block(n)
	if err != nil {
		return common.Hash{}
	}
	return b.Hash
}

// Commit persists the finalized block: the state trie (evm.Persist), then the block,
// receipts, indexes and head in one batch. A crash in between leaves the previous
// head; CometBFT then replays the block, which recomputes the same state.
func (a *App) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	a.mu.RLock()
	p := a.pending
	a.mu.RUnlock()
	if p == nil {
		return nil, errors.New("commit: no finalized block")
	}
	if err := evm.Persist(a.db, p.root); err != nil {
		return nil, err
	}
	if err := a.st.writeBlock(p.block, p.root); err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.head = head{Height: p.block.Header.Number.Uint64(), Root: p.root, Hash: p.block.Hash}
	a.pending = nil
	a.nonces = map[common.Address]uint64{} // rebuilt by the mempool's rechecks
	hooks := a.onCommit
	a.mu.Unlock()
	for _, f := range hooks {
		f(p.block)
	}
	return &abci.ResponseCommit{}, nil
}

// pragueFields sets the optional header fields of a Prague block (an SPN has no
// withdrawals, beacon root or requests) so the header's RLP and hash are well formed.
func pragueFields(h *types.Header) {
	zero := uint64(0)
	wh, rh, beacon := types.EmptyWithdrawalsHash, types.EmptyRequestsHash, common.Hash{}
	h.WithdrawalsHash, h.RequestsHash, h.ParentBeaconRoot = &wh, &rh, &beacon
	if h.BlobGasUsed == nil {
		h.BlobGasUsed = &zero
	}
	if h.ExcessBlobGas == nil {
		h.ExcessBlobGas = &zero
	}
}
