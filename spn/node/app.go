package node

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip1559"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/txpool"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/farolnet/farol/spn/evm"
	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/txcache"
)

// CheckTx / tx result codes.
const (
	CodeOK uint32 = iota
	CodeDecode
	CodeInvalid     // chain id, signature, gas limit, blob
	CodeNonce       // nonce too low / too high
	CodeFunds       // insufficient funds
	CodeDropped     // not applied by the engine (FinalizeBlock)
	CodeInternal    // state read failure
	CodeTooLarge    // oversize tx
	CodeUnderpriced // replacement without the price bump
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
	// ErrUnderpriced refuses a transaction with the nonce of one in the mempool whose
	// tip and fee cap it does not both raise by PriceBump percent (go-ethereum's rule).
	ErrUnderpriced = errors.New("replacement transaction underpriced")
	ErrFeeCap      = errors.New("max fee per gas less than block base fee")
)

// PriceBump is the minimum increase, in percent, of both the tip and the fee cap of a
// transaction replacing a mempool transaction with the same sender and nonce.
const PriceBump = 10

// App is the ABCI++ application of an EVM SPN. CometBFT's local client serializes
// the ABCI calls; mu guards the fields the JSON-RPC server reads concurrently.
type App struct {
	abci.BaseApplication

	db     state.Database
	mem    *evm.MemState // db itself: the app's states are its versions
	kv     ethdb.KeyValueStore
	st     *store
	config *params.ChainConfig
	gen    *Genesis
	eng    *evm.Engine
	signer types.Signer
	opts   evm.Options

	mu   sync.RWMutex
	head head
	last *types.Header // header of the head block: the parent of the next block
	// next is what checkTx needs of the block after last, worked out once per head
	// (under mu's write lock): its base fee and the header go-ethereum's
	// transaction validation takes.
	next struct {
		parent  *types.Header
		baseFee *big.Int
		header  *types.Header
	}
	pending *pendingBlock
	// proposal timings of the current height, for the block log line
	prepareTime, processTime atomic.Int64
	// nonces are the next nonces of senders with transactions in the mempool and
	// pool the fees of the best transaction per sender and nonce (both rebuilt by
	// CheckTx rechecks after each commit; never reach state).
	nonces map[common.Address]uint64
	pool   map[senderNonce]poolTx
	// spends are the summed costs of each sender's mempool transactions (rebuilt
	// with nonces and pool), so a sender cannot queue more than its balance pays for.
	spends map[common.Address]*big.Int

	logger  cmtlog.Logger
	metrics *Metrics
	// txs are decoded transactions by the SHA-256 of their bytes (decodeTx):
	// decoding, the stateless checks and sender recovery depend on those bytes and
	// the chain's fixed rules only, so the cache changes no result.
	txs *txcache.Cache[decodedTx]

	// checkState is CheckTx's read-only view of the state at checkRoot (under mu).
	checkState *state.StateDB
	checkRoot  common.Hash
	// accounts caches nonces and balances at accountsRoot for CheckTx, its rechecks
	// and PrepareProposal (under mu): misses are read from checkState, and each
	// commit applies the block's changed accounts (evm.Result.Accounts) or, when the
	// engine did not report them, empties the cache.
	accounts     map[common.Address]cachedAccount
	accountsRoot common.Hash

	// onCommit are called, in order, after each block is committed (outside mu).
	onCommit []func(*Block)

	// State flushing (ADR 010): a block's trie nodes stay in go-ethereum's
	// hash-scheme cache of dirty nodes until a flush writes the head's trie to disk
	// (policy). stateHead is the last block whose state is on disk: a restarted node
	// resumes from it and CometBFT's handshake replays the blocks after it. recent
	// are the roots of the last RecentStates blocks, referenced in the cache so their
	// states stay readable (JSON-RPC at older blocks). Used by Commit only, except
	// stateHead (under mu).
	policy      StatePolicy
	stateHead   head
	storedBlock uint64 // the last block in the store when the app was opened
	recent      []common.Hash
	// flushes and flushNanos count the commits that flushed the state and their time
	// (StateFlushes).
	flushes, flushNanos atomic.Int64
}

// StateFlushes returns how many commits have written the state trie to disk since
// the app was opened, and how long those writes took in total (not counting Close).
func (a *App) StateFlushes() (int, time.Duration) {
	return int(a.flushes.Load()), time.Duration(a.flushNanos.Load())
}

// StatePolicy says when the app writes its state trie to disk.
type StatePolicy struct {
	// FlushBlocks flushes the state at least every FlushBlocks blocks. 1 flushes
	// every block, which also keeps every block's state on disk (an archive node);
	// 0 means DefaultStateFlushBlocks.
	FlushBlocks uint64
	// DirtyLimit flushes the state when the trie node encodings committed since the
	// last flush (evm.MemState.Dirty) reach this many bytes (0:
	// DefaultStateDirtyLimit).
	DirtyLimit int64
}

const (
	// DefaultStateFlushBlocks is the default StatePolicy.FlushBlocks: about 17
	// minutes of empty blocks at the default block interval, so a crash replays at
	// most that many blocks.
	DefaultStateFlushBlocks = 1000
	// DefaultStateDirtyLimit is the default StatePolicy.DirtyLimit (go-ethereum's
	// default dirty trie cache is the same size). Under a saturating ERC-20 load it
	// is reached every few blocks, which bounds the replay after a crash.
	DefaultStateDirtyLimit = 256 << 20
	// RecentStates is how many of the last blocks keep their state readable in
	// memory besides the flushed ones (go-ethereum keeps 128; the blocks of a busy
	// SPN are much larger than Ethereum's).
	RecentStates = 16
)

// SetStatePolicy sets when the state is flushed to disk (before the node starts).
func (a *App) SetStatePolicy(p StatePolicy) {
	if p.FlushBlocks == 0 {
		p.FlushBlocks = DefaultStateFlushBlocks
	}
	if p.DirtyLimit <= 0 {
		p.DirtyLimit = DefaultStateDirtyLimit
	}
	a.policy = p
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
	block    *Block
	root     common.Hash
	stats    BlockStats
	accounts []evm.AccountState // accounts the block changed (nil: unknown)
}

// cachedAccount is an account's nonce and balance at the head.
type cachedAccount struct {
	nonce   uint64
	balance uint256.Int
}

// maxCachedAccounts bounds App.accounts (about 30 MiB; it is emptied when full).
const maxCachedAccounts = 1 << 18

// senderNonce identifies a mempool slot: one transaction per sender and nonce.
type senderNonce struct {
	from  common.Address
	nonce uint64
}

// poolTx is the mempool transaction holding a slot.
type poolTx struct {
	hash        common.Hash
	tip, feeCap *big.Int
	cost        *big.Int // gas limit * fee cap + value
}

// SetLogger sets the logger of committed blocks (before the node starts).
func (a *App) SetLogger(l cmtlog.Logger) { a.logger = l }

// SetMetrics sets the metrics the app records (before the node starts).
func (a *App) SetMetrics(m *Metrics) { a.metrics = m }

// NewApp opens an app over an EVM state database and its key-value store. The
// genesis must be the one of the chain (it is also delivered by InitChain). The app
// keeps its states in an evm.MemState: db is one (evm.OpenDatabase), or a
// go-ethereum hash-scheme state database it is wrapped in.
func NewApp(gen *Genesis, db state.Database, kv ethdb.KeyValueStore, opts evm.Options) (*App, error) {
	if err := gen.Validate(); err != nil {
		return nil, err
	}
	mem, ok := db.(*evm.MemState)
	if !ok {
		var err error
		if mem, err = evm.NewMemState(db); err != nil {
			return nil, err
		}
	}
	config := evm.DefaultConfig(new(big.Int).SetUint64(gen.EVMChainID))
	eng, err := evm.New(config, mem, opts)
	if err != nil {
		return nil, err
	}
	a := &App{db: mem, mem: mem, kv: kv, config: config, gen: gen, eng: eng, opts: opts,
		signer: types.LatestSigner(config), nonces: map[common.Address]uint64{}, pool: map[senderNonce]poolTx{}, txs: txcache.New[decodedTx](txCacheSize),
		spends: map[common.Address]*big.Int{}, accounts: map[common.Address]cachedAccount{},
		logger: cmtlog.NewNopLogger()}
	a.SetStatePolicy(StatePolicy{})
	a.st = &store{kv: kv, config: config}
	if stored, ok, err := a.st.head(); err != nil {
		return nil, err
	} else if ok {
		a.storedBlock = stored.Height
	}
	// Resume from the last block whose state is on disk; CometBFT replays the
	// blocks after it (their records in the store are rewritten identically).
	h, ok, err := a.st.stateHead()
	if err != nil {
		return nil, err
	}
	if ok {
		hdr, err := a.st.header(h.Height)
		if err != nil {
			return nil, fmt.Errorf("open: state head block %d: %w", h.Height, err)
		}
		if hdr.Root != h.Root {
			return nil, fmt.Errorf("open: state head block %d has root %s, recorded %s", h.Height, hdr.Root, h.Root)
		}
		a.head, a.last, a.stateHead = h, hdr, h
	}
	if crashAt.after > 0 {
		crashAt.height = max(a.head.Height, a.storedBlock) + crashAt.after // after the handshake replay
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
	if a.storedBlock > a.head.Height {
		a.logger.Info("state on disk is older than the last stored block: CometBFT replays the blocks after it",
			"state_height", a.head.Height, "stored_height", a.storedBlock)
	}
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
	if err := a.st.writeBlock(b, root, true); err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.head, a.last = head{Height: 0, Root: root, Hash: b.Hash}, h
	a.stateHead = a.head
	a.mu.Unlock()
	return &abci.ResponseInitChain{AppHash: root.Bytes()}, nil
}

// decodeTx decodes and statelessly checks a transaction; it returns the sender.
// Transactions are remembered by the hash of their bytes (App.txs): a
// transaction is decoded and its signature recovered once, by the JSON-RPC handler or
// CheckTx, and PrepareProposal, ProcessProposal and FinalizeBlock get the same object,
// whose sender go-ethereum caches, so the engine does not recover it again either.
func (a *App) decodeTx(raw []byte) (*types.Transaction, common.Address, uint32, error) {
	if len(raw) > MaxTxSize {
		return nil, common.Address{}, CodeTooLarge, ErrTxSize
	}
	// The cache key is SHA-256 of the encoding (collision resistant like the keccak
	// transaction hash, and several times cheaper with the CPU's SHA extensions: a
	// transaction is looked up about seven times on its way into a block).
	key := sha256.Sum256(raw)
	if c, ok := a.txs.Get(key); ok {
		return c.tx, c.from, CodeOK, nil
	}
	tx, code, err := a.decodeUnsigned(raw)
	if err != nil {
		return nil, common.Address{}, code, err
	}
	return a.cacheSender(key, tx)
}

// decodeUnsigned is decodeTx's decoding and checks before the sender's recovery.
func (a *App) decodeUnsigned(raw []byte) (*types.Transaction, uint32, error) {
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		if strings.HasPrefix(err.Error(), "rlp:") {
			return nil, CodeDecode, err
		}
		return nil, CodeDecode, fmt.Errorf("rlp: %w", err)
	}
	if tx.Type() == types.BlobTxType {
		return nil, CodeInvalid, evm.ErrBlobTx
	}
	if tx.Protected() && tx.ChainId().Cmp(a.config.ChainID) != 0 {
		return nil, CodeInvalid, fmt.Errorf("%w: have %v want %v", ErrChainID, tx.ChainId(), a.config.ChainID)
	}
	if tx.Gas() > a.gen.BlockGasLimit {
		return nil, CodeInvalid, ErrGasLimit
	}
	return tx, CodeOK, nil
}

// cacheSender is decodeTx's last step: the sender (go-ethereum's types.Sender, which
// recovers it unless the transaction already holds it), then the cache entry.
func (a *App) cacheSender(key [sha256.Size]byte, tx *types.Transaction) (*types.Transaction, common.Address, uint32, error) {
	from, err := types.Sender(a.signer, tx)
	if err != nil {
		return nil, common.Address{}, CodeInvalid, fmt.Errorf("invalid sender: %w", err)
	}
	a.txs.Put(key, decodedTx{tx: tx, from: from})
	return tx, from, CodeOK, nil
}

// decodeTxs prepares many transactions for decodeTx at once (a JSON-RPC batch of
// eth_sendRawTransaction): those that are not cached yet and pass the checks before
// the sender have their senders recovered in batches (evm.CacheSenders: one call into
// libsecp256k1 per ecrecover.BatchSize signatures instead of one each) and are cached. It returns
// nothing: decodeTx then answers each one, with its error for the others.
func (a *App) decodeTxs(raws [][]byte) {
	keys := make([][sha256.Size]byte, 0, len(raws))
	txs := make([]*types.Transaction, 0, len(raws))
	for _, raw := range raws {
		if len(raw) > MaxTxSize {
			continue
		}
		key := sha256.Sum256(raw)
		if _, ok := a.txs.Get(key); ok {
			continue
		}
		if tx, _, err := a.decodeUnsigned(raw); err == nil {
			keys, txs = append(keys, key), append(txs, tx)
		}
	}
	evm.CacheSenders(a.signer, txs)
	for i, tx := range txs {
		_, _, _, _ = a.cacheSender(keys[i], tx)
	}
}

// txCacheSize bounds each of the two generations of the transaction cache: more than
// DefaultMempoolSize, so that rechecks and proposals find every mempool transaction
// decoded (sender included).
const txCacheSize = 1 << 15

// decodedTx is a transaction that passed decodeTx, with its sender.
type decodedTx struct {
	tx   *types.Transaction
	from common.Address
}

// baseFeeAfter returns the base fee of the block after parent: the genesis base fee
// for block 1, then go-ethereum's EIP-1559 rule (eip1559.CalcBaseFee: ±12.5% at most
// per block, towards a gas target of half the block gas limit).
func (a *App) baseFeeAfter(parent *types.Header) *big.Int {
	if parent == nil || parent.Number.Sign() == 0 || parent.BaseFee == nil {
		return new(big.Int).Set(a.gen.BaseFee.ToInt())
	}
	return eip1559.CalcBaseFee(a.config, parent)
}

// NextBaseFee returns the base fee per gas of the next block (what eth_gasPrice and
// CheckTx's fee cap check use).
func (a *App) NextBaseFee() *big.Int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.baseFeeAfter(a.last)
}

// PendingNonce returns the next nonce of from counting its mempool transactions, or
// false if it has none in the mempool.
func (a *App) PendingNonce(from common.Address) (uint64, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	n, ok := a.nonces[from]
	return n, ok
}

// checkTx is CheckTx's logic.
//
// The mempool holds one transaction per sender and nonce, the nonces of a sender
// without gaps from its state nonce. A transaction with the nonce of a mempool one
// replaces it if it raises both its tip and its fee cap by PriceBump percent;
// CometBFT's mempool then holds both, PrepareProposal proposes the better one and the
// recheck after the block that includes it evicts the other (nonce too low). The
// slots are rebuilt by the rechecks after each commit, in mempool order.
func (a *App) checkTx(raw []byte, recheck bool) (*types.Transaction, uint32, error) {
	tx, from, code, err := a.decodeTx(raw)
	if err != nil {
		return nil, code, err
	}
	if tx.GasTipCap().Cmp(tx.GasFeeCap()) > 0 {
		return nil, CodeInvalid, fmt.Errorf("%w: maxPriorityFeePerGas: %v, maxFeePerGas: %v", core.ErrTipAboveFeeCap, tx.GasTipCap(), tx.GasFeeCap())
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.validateLocked(tx); err != nil {
		return nil, CodeInvalid, err
	}
	// A recheck keeps a transaction whose fee cap fell below the base fee: it waits
	// for the base fee to fall (PrepareProposal leaves it out meanwhile).
	if base, _ := a.nextLocked(); !recheck && tx.GasFeeCapIntCmp(base) < 0 {
		return nil, CodeInvalid, fmt.Errorf("%w: maxFeePerGas: %v, baseFee: %v", ErrFeeCap, tx.GasFeeCap(), base)
	}
	acct, err := a.accountLocked(from)
	if err != nil {
		return nil, CodeInternal, err
	}
	stateNonce := acct.nonce
	if tx.Nonce() < stateNonce {
		return nil, CodeNonce, fmt.Errorf("%w: address %s, tx: %d state: %d", ErrNonceTooLow, from, tx.Nonce(), stateNonce)
	}
	next, ok := a.nonces[from]
	if !ok || next < stateNonce {
		next = stateNonce
	}
	slot := senderNonce{from, tx.Nonce()}
	old, replacing := a.pool[slot]
	replacing = replacing && tx.Nonce() < next
	switch {
	case replacing && old.hash == tx.Hash():
		return tx, CodeOK, nil // the same transaction again
	case replacing && !bumps(tx, old):
		return nil, CodeUnderpriced, fmt.Errorf("%w: tip %v fee cap %v, pending tip %v fee cap %v (+%d%% needed)",
			ErrUnderpriced, tx.GasTipCap(), tx.GasFeeCap(), old.tip, old.feeCap, PriceBump)
	case !replacing && tx.Nonce() < next:
		// Below the next nonce without a slot: cannot happen (slots and nonces are
		// kept together); refuse rather than guess.
		return nil, CodeInternal, fmt.Errorf("mempool: no slot for nonce %d of %s below next %d", tx.Nonce(), from, next)
	case tx.Nonce() > next:
		return nil, CodeNonce, fmt.Errorf("%w: address %s, tx: %d next: %d (nonce gap)", ErrNonceTooHigh, from, tx.Nonce(), next)
	}
	// The balance must pay for this transaction and the sender's other mempool ones
	// (a replaced transaction no longer counts).
	cost := tx.Cost()
	spend := new(big.Int).Add(cost, a.spendOfLocked(from))
	if replacing {
		spend.Sub(spend, old.cost)
	}
	if bal := acct.balance.ToBig(); bal.Cmp(spend) < 0 {
		if spend.Cmp(cost) == 0 {
			return nil, CodeFunds, fmt.Errorf("%w: address %s have %v want %v", ErrFunds, from, bal, cost)
		}
		return nil, CodeFunds, fmt.Errorf("%w: address %s have %v want %v (%v for its pending transactions)",
			ErrFunds, from, bal, spend, new(big.Int).Sub(spend, cost))
	}
	a.spends[from] = spend
	a.pool[slot] = poolTx{hash: tx.Hash(), tip: tx.GasTipCap(), feeCap: tx.GasFeeCap(), cost: cost}
	if !replacing {
		a.nonces[from] = next + 1
	}
	return tx, CodeOK, nil
}

// validateLocked applies go-ethereum's txpool.ValidateTransaction under the rules of
// the next block: the transaction kinds the rules allow, the init code size, the
// intrinsic gas and EIP-7623's floor data gas, the nonce limit, a set-code
// transaction's authorizations. A transaction failing one of them could never be
// included: left in the mempool it would hold its sender's later nonces back
// forever. (Size, block gas limit, signature and fee cap against tip are checked
// before, with spnd's own errors.)
func (a *App) validateLocked(tx *types.Transaction) error {
	_, next := a.nextLocked()
	return txpool.ValidateTransaction(tx, next, a.signer, &txpool.ValidationOptions{
		Config:  a.config,
		Accept:  1<<types.LegacyTxType | 1<<types.AccessListTxType | 1<<types.DynamicFeeTxType | 1<<types.SetCodeTxType,
		MaxSize: math.MaxUint64, // MaxTxSize was checked on the encoding
		MinTip:  new(big.Int),
	})
}

// nextLocked returns the next block's base fee and the header validateLocked
// checks against, from a.next when it was worked out for the current head (mu's
// write lock held; the values are shared: read them only).
func (a *App) nextLocked() (*big.Int, *types.Header) {
	if a.next.header == nil || a.next.parent != a.last {
		h := &types.Header{Difficulty: new(big.Int), GasLimit: a.gen.BlockGasLimit}
		if a.last != nil {
			h.Number, h.Time = new(big.Int).Add(a.last.Number, common.Big1), a.last.Time
		} else {
			h.Number = common.Big1
		}
		a.next.parent, a.next.baseFee, a.next.header = a.last, a.baseFeeAfter(a.last), h
	}
	return a.next.baseFee, a.next.header
}

// spendOfLocked returns the summed cost of from's mempool transactions (a.mu held).
func (a *App) spendOfLocked(from common.Address) *big.Int {
	if v := a.spends[from]; v != nil {
		return v
	}
	return new(big.Int)
}

// checkStateLocked returns the state CheckTx reads nonces and balances from: one
// StateDB per committed head, so accounts read by earlier checks are not read through
// the trie again. Only read, and only under a.mu's write lock.
func (a *App) checkStateLocked() (*state.StateDB, error) {
	if a.checkState != nil && a.checkRoot == a.head.Root {
		return a.checkState, nil
	}
	sdb, err := state.New(a.head.Root, a.db)
	if err != nil {
		return nil, err
	}
	a.checkState, a.checkRoot = sdb, a.head.Root
	return sdb, nil
}

// accountLocked returns addr's nonce and balance at the head, from the account cache
// or else read from checkState (a.mu's write lock held).
func (a *App) accountLocked(addr common.Address) (cachedAccount, error) {
	if a.accountsRoot != a.head.Root {
		clear(a.accounts)
		a.accountsRoot = a.head.Root
	}
	if c, ok := a.accounts[addr]; ok {
		return c, nil
	}
	sdb, err := a.checkStateLocked()
	if err != nil {
		return cachedAccount{}, err
	}
	c := cachedAccount{nonce: sdb.GetNonce(addr), balance: *sdb.GetBalance(addr)}
	if err := sdb.Error(); err != nil {
		a.checkState = nil // start afresh next time
		return cachedAccount{}, fmt.Errorf("state: %w", err)
	}
	if len(a.accounts) >= maxCachedAccounts {
		clear(a.accounts)
	}
	a.accounts[addr] = c
	return c, nil
}

// bumps tells whether tx raises both the tip and the fee cap of old by PriceBump percent.
func bumps(tx *types.Transaction, old poolTx) bool {
	min := func(v *big.Int) *big.Int { // ceil(v * (100 + PriceBump) / 100)
		m := new(big.Int).Mul(v, big.NewInt(100+PriceBump))
		m.Add(m, big.NewInt(99))
		return m.Div(m, big.NewInt(100))
	}
	return tx.GasTipCap().Cmp(min(old.tip)) >= 0 && tx.GasFeeCap().Cmp(min(old.feeCap)) >= 0
}

// rejectReason is the metrics label of a CheckTx error.
func rejectReason(code uint32, err error) string {
	switch {
	case errors.Is(err, ErrUnderpriced):
		return RejectUnderpriced
	case errors.Is(err, ErrFeeCap):
		return RejectFeeCap
	case errors.Is(err, ErrNonceTooLow):
		return RejectNonceLow
	case errors.Is(err, ErrNonceTooHigh):
		return RejectNonceHigh
	}
	switch code {
	case CodeDecode:
		return RejectDecode
	case CodeTooLarge:
		return RejectTooLarge
	case CodeFunds:
		return RejectFunds
	case CodeInternal:
		return RejectInternal
	}
	return RejectInvalid
}

// CheckTx admits a transaction to the mempool.
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	recheck := req.Type == abci.CheckTxType_Recheck
	tx, code, err := a.checkTx(req.Tx, recheck)
	if err != nil {
		a.metrics.ObserveCheckTxReject(rejectReason(code, err), recheck)
		return &abci.ResponseCheckTx{Code: code, Log: err.Error(), Codespace: "spn"}, nil
	}
	return &abci.ResponseCheckTx{Code: CodeOK, GasWanted: int64(tx.Gas())}, nil
}

// PrepareProposal builds the block from the mempool's transactions, as go-ethereum's
// miner does: per sender in nonce order from its state nonce (a gap, or a fee cap
// below the block's base fee, ends the sender's run), one transaction per sender and
// nonce (the highest effective tip; a replaced transaction is left out), and across
// senders by effective tip, highest first (ties: mempool order). A transaction that
// does not fit the block gas limit or MaxTxBytes ends its sender's run; the block is
// filled with the others. Undecodable transactions are left out.
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	defer func(start time.Time) { a.prepareTime.Store(int64(time.Since(start))) }(time.Now())
	a.mu.RLock()
	base := a.baseFeeAfter(a.last)
	a.mu.RUnlock()
	var runs []*senderRun // in mempool order of each sender's first transaction
	bySender := map[common.Address]*senderRun{}
	for i, raw := range req.Txs {
		tx, from, _, err := a.decodeTx(raw)
		if err != nil {
			continue
		}
		r := bySender[from]
		if r == nil {
			r = &senderRun{from: from}
			bySender[from] = r
			runs = append(runs, r)
		}
		r.txs = append(r.txs, candidate{raw: raw, tx: tx, tip: effectiveTip(tx, base), index: i})
	}
	// State nonces come from CheckTx's account cache of the same head: the mempool's
	// rechecks after the last commit have read most of these senders already.
	nonces := make([]uint64, len(runs))
	var err error
	a.mu.Lock()
	for i, r := range runs {
		var c cachedAccount
		if c, err = a.accountLocked(r.from); err != nil {
			break
		}
		nonces[i] = c.nonce
	}
	a.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("prepare proposal: state: %w", err)
	}
	h := make(runHeap, 0, len(runs))
	for i, r := range runs {
		r.prepare(nonces[i], base)
		if len(r.txs) > 0 {
			h = append(h, r)
		}
	}
	heap.Init(&h)
	var out [][]byte
	var gas uint64
	var size int64
	for h.Len() > 0 && a.gen.BlockGasLimit-gas >= params.TxGas {
		r := h[0]
		c := r.txs[0]
		n := protoSize(c.raw)
		if c.tx.Gas() > a.gen.BlockGasLimit-gas || size+n > req.MaxTxBytes {
			heap.Pop(&h) // later nonces of this sender would leave a gap
			continue
		}
		gas += c.tx.Gas()
		size += n
		out = append(out, c.raw)
		r.txs = r.txs[1:]
		if len(r.txs) == 0 {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
	}
	return &abci.ResponsePrepareProposal{Txs: out}, nil
}

// effectiveTip is min(tip cap, fee cap - base fee) (negative if the fee cap is below
// the base fee).
func effectiveTip(tx *types.Transaction, base *big.Int) *big.Int {
	t := new(big.Int).Sub(tx.GasFeeCap(), base)
	if tx.GasTipCap().Cmp(t) < 0 {
		t.Set(tx.GasTipCap())
	}
	return t
}

// protoSize is the size a transaction takes in a CometBFT block's data (what
// MaxTxBytes bounds): field tag, length and bytes.
func protoSize(raw []byte) int64 {
	return int64(1 + protowire.SizeVarint(uint64(len(raw))) + len(raw))
}

// candidate is a mempool transaction considered by PrepareProposal.
type candidate struct {
	raw   []byte
	tx    *types.Transaction
	tip   *big.Int // effective tip at the block's base fee (negative: fee cap below it)
	index int      // position in the mempool
}

// better orders two transactions with the same sender and nonce.
func (c candidate) better(d candidate) bool {
	if k := c.tip.Cmp(d.tip); k != 0 {
		return k > 0
	}
	if k := c.tx.GasFeeCap().Cmp(d.tx.GasFeeCap()); k != 0 {
		return k > 0
	}
	return c.index < d.index
}

// senderRun is one sender's executable transactions in nonce order.
type senderRun struct {
	from common.Address
	txs  []candidate
}

// prepare sorts the run by nonce, keeps the best transaction per nonce and cuts it
// to the nonces that follow the state nonce without a gap, up to the first whose
// fee cap is below the base fee.
func (r *senderRun) prepare(stateNonce uint64, base *big.Int) {
	sort.SliceStable(r.txs, func(i, j int) bool { return r.txs[i].tx.Nonce() < r.txs[j].tx.Nonce() })
	var out []candidate
	next := stateNonce
	for _, c := range r.txs {
		n := c.tx.Nonce()
		if n < stateNonce {
			continue // stale: already executed
		}
		if len(out) > 0 && n == next-1 { // same nonce as the last one kept
			if c.better(out[len(out)-1]) {
				out[len(out)-1] = c
			}
			continue
		}
		if n != next {
			break // gap
		}
		out = append(out, c)
		next++
	}
	for i, c := range out {
		if c.tx.GasFeeCap().Cmp(base) < 0 {
			out = out[:i]
			break
		}
	}
	r.txs = out
}

// runHeap orders senders by the effective tip of their next transaction (highest
// first; ties: the transaction earlier in the mempool).
type runHeap []*senderRun

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	a, b := h[i].txs[0], h[j].txs[0]
	if k := a.tip.Cmp(b.tip); k != 0 {
		return k > 0
	}
	return a.index < b.index
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*senderRun)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// ProcessProposal rejects a block with an undecodable or invalid transaction or
// whose gas limits exceed the block gas limit.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	defer func(start time.Time) { a.processTime.Store(int64(time.Since(start))) }(time.Now())
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
	finalizeStart := time.Now()
	a.mu.RLock()
	parent, baseFee := a.head, a.baseFeeAfter(a.last)
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
		BaseFee:       baseFee,
		ExcessBlobGas: &zero,
		BlobGasUsed:   &zero,
	}
	// The transactions root of the block, assuming the engine includes every
	// transaction (it drops one only when it cannot pay for its gas or is refused
	// before execution): computed beside the execution, on the core the engine's
	// sequential phases leave free, and recomputed below if one was dropped.
	allTxsRoot := make(chan common.Hash, 1)
	go func() { allTxsRoot <- types.DeriveSha(types.Transactions(txs), trie.NewStackTrie(nil)) }()
	start := time.Now()
	res, err := a.eng.ExecuteBlock(ctx, parent.Root, &evm.Block{Header: h, Txs: txs, GetHash: a.getHash, SendersCached: true})
	elapsed := time.Since(start)
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
	h.TxHash = <-allTxsRoot
	if len(incl) != len(txs) {
		h.TxHash = types.DeriveSha(types.Transactions(incl), trie.NewStackTrie(nil))
	}
	h.ReceiptHash, h.Bloom = res.ReceiptHash, res.Bloom // over the included transactions' receipts
	b := &Block{Header: h, Hash: h.Hash(), Txs: incl, Receipts: receipts}
	st := res.Stats
	parTxs := 0
	switch st.Mode {
	case exec.ModeParallel:
		parTxs = len(txs)
	case exec.ModeParallelThenSequential:
		parTxs = st.SequentialFrom
	}
	stats := BlockStats{
		Height: uint64(req.Height), Txs: len(incl), Dropped: len(req.Txs) - len(incl), GasUsed: res.GasUsed,
		Exec: elapsed, Mode: st.Mode.String(), Workers: st.Workers,
		Executions: uint64(st.Executions), Aborts: uint64(st.Aborts),
		Speedup: EstimateSpeedup(len(txs), parTxs, st.Workers, uint64(st.Executions)),
	}
	stats.BaseFee, _ = new(big.Float).SetInt(baseFee).Float64()
	a.mu.Lock()
	stats.Finalize = time.Since(finalizeStart)
	a.pending = &pendingBlock{block: b, root: res.Root, stats: stats, accounts: res.Accounts}
	a.mu.Unlock()
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: res.Root.Bytes()}, nil
}

// getHash answers BLOCKHASH from the store.
func (a *App) getHash(n uint64) common.Hash {
	h, err := a.st.header(n) // the header record, not the whole block with its receipts
	if err != nil {
		return common.Hash{}
	}
	return h.Hash()
}

// Commit persists the finalized block: its records (block, receipts, indexes, head)
// in one batch, then a sync of pebble's WAL. The block's state trie nodes stay in the
// trie cache until a flush (StatePolicy; ADR 010) writes the head's trie to disk
// before the batch, which then also moves the state head. After a crash the node
// resumes from the state head and CometBFT's handshake replays the later blocks from
// its block store, recomputing the same states; a crash before the batch reaches the
// WAL leaves the previous head, and the block is replayed the same way.
func (a *App) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	a.mu.RLock()
	p := a.pending
	a.mu.RUnlock()
	if p == nil {
		return nil, errors.New("commit: no finalized block")
	}
	start := time.Now()
	height := p.block.Header.Number.Uint64()
	flush := height >= a.stateHead.Height+a.policy.FlushBlocks || a.mem.Dirty() >= a.policy.DirtyLimit
	var flushTime time.Duration
	if flush {
		if err := evm.Persist(a.db, p.root); err != nil {
			return nil, err
		}
		flushTime = time.Since(start)
		a.flushes.Add(1)
		a.flushNanos.Add(int64(flushTime))
	}
	crashPoint("persist", height)
	if err := a.st.writeBlock(p.block, p.root, flush); err != nil {
		return nil, err
	}
	crashPoint("write", height)
	// Pebble (go-ethereum's settings) writes without sync: a write is first buffered
	// in the process, so a killed process would lose its last blocks (CometBFT would
	// replay them). One WAL sync per block makes the block durable before CometBFT
	// records it as committed.
	if err := a.kv.SyncKeyValue(); err != nil {
		return nil, fmt.Errorf("commit: sync: %w", err)
	}
	crashPoint("sync", height)
	a.mu.Lock()
	if p.accounts != nil && a.accountsRoot == a.head.Root {
		for _, c := range p.accounts {
			if len(a.accounts) >= maxCachedAccounts {
				clear(a.accounts)
			}
			a.accounts[c.Address] = cachedAccount{nonce: c.Nonce, balance: c.Balance}
		}
	} else {
		clear(a.accounts)
	}
	a.accountsRoot = p.root
	a.head = head{Height: p.block.Header.Number.Uint64(), Root: p.root, Hash: p.block.Hash}
	if flush {
		a.stateHead = a.head
	}
	a.last = p.block.Header
	a.pending = nil
	// Rebuilt by the mempool's rechecks; cleared, not remade, so that the maps keep
	// their room and the rechecks of every block do not grow them again.
	clear(a.nonces)
	clear(a.pool)
	clear(a.spends)
	hooks := a.onCommit
	a.mu.Unlock()
	a.keepRecent(p.root)
	dirty := common.StorageSize(a.mem.Dirty())
	s := p.stats
	s.Store = time.Since(start)
	s.Flushed, s.Flush, s.StateDirty, s.StateVersions = flush, flushTime, int64(dirty), a.mem.Versions()
	a.metrics.ObserveBlock(s)
	a.logger.Info("committed block", "height", s.Height, "txs", s.Txs, "dropped", s.Dropped, "gas", s.GasUsed,
		"base_fee", p.block.Header.BaseFee, "exec", s.Exec.Round(time.Microsecond), "finalize", s.Finalize.Round(time.Microsecond), "store", s.Store.Round(time.Microsecond),
		"prepare", time.Duration(a.prepareTime.Swap(0)).Round(time.Microsecond), "process", time.Duration(a.processTime.Swap(0)).Round(time.Microsecond),
		"mode", s.Mode, "speedup", fmt.Sprintf("%.2f", s.Speedup), "executions", s.Executions, "aborts", s.Aborts,
		"state_flushed", flush, "flush", flushTime.Round(time.Microsecond), "state_dirty", common.StorageSize(dirty),
		"root", p.root, "hash", p.block.Hash)
	for _, f := range hooks {
		f(p.block)
	}
	return &abci.ResponseCommit{}, nil
}

// keepRecent keeps root's state in memory for the next RecentStates blocks and
// releases the oldest kept one (MemState versions share their nodes, so what a
// release frees is the nodes later blocks replaced: at most RecentStates blocks'
// worth, which the block gas limit bounds).
func (a *App) keepRecent(root common.Hash) {
	a.recent = append(a.recent, root)
	a.mem.Keep(root)
	if len(a.recent) > RecentStates {
		a.mem.Release(a.recent[0])
		a.recent = append(a.recent[:0], a.recent[1:]...)
	}
}

// stateOf opens the state after block h for reading. A state that is neither on disk
// nor among the recent ones in memory gives go-ethereum's "historical state … is not
// available" error, with what this node keeps.
func (a *App) stateOf(h *types.Header) (*state.StateDB, error) {
	s, err := state.New(h.Root, a.db)
	if err != nil {
		return nil, fmt.Errorf("historical state %s of block %d is not available: this node keeps the states of its last %d blocks and of the blocks it flushed to disk (state_flush_blocks = 1 keeps all): %w",
			h.Root, h.Number, RecentStates, err)
	}
	return s, nil
}

// Close writes the head's state to disk if the last flush was of an older block, so
// a restart resumes at the head without replaying blocks. Call it after CometBFT
// has stopped and before closing the database.
func (a *App) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stateHead == a.head {
		return nil
	}
	if err := evm.Persist(a.db, a.head.Root); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if err := a.st.writeStateHead(a.head); err != nil {
		return fmt.Errorf("close: state head: %w", err)
	}
	if err := a.kv.SyncKeyValue(); err != nil {
		return fmt.Errorf("close: sync: %w", err)
	}
	a.stateHead = a.head
	a.logger.Info("flushed the state at close", "height", a.head.Height, "root", a.head.Root)
	return nil
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

// crashAt is the crash point of a crash test: SPND_CRASH_AT=<point>@+<n> makes the
// process kill itself (SIGKILL) at that point of the Commit of the n-th block after
// the one it started at: "persist" (state trie flushed, block not written), "write"
// (block written, not synced) or "sync" (durable, before CometBFT records the block
// as committed). "persist" comes after the state step whether or not the block
// flushed the state.
var crashAt struct {
	point  string
	after  uint64 // n
	height uint64 // the height to crash at, once the app knows its head
}

func init() {
	if v := os.Getenv("SPND_CRASH_AT"); v != "" {
		point, n, ok := strings.Cut(v, "@+")
		if after, err := strconv.ParseUint(n, 10, 64); ok && err == nil && after > 0 {
			crashAt.point, crashAt.after = point, after
		}
	}
}

func crashPoint(point string, height uint64) {
	if crashAt.point != point || crashAt.height != height {
		return
	}
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Kill()
		select {} // until the signal lands
	}
}
