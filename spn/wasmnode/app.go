package wasmnode

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/ethereum/go-ethereum/common"

	"github.com/farolnet/farol/spn/ecrecover"
	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/txcache"
	"github.com/farolnet/farol/spn/wasm"
)

// Genesis is the Wasm SPN's part of the genesis.
type Genesis struct {
	ChainID       uint64    // chain id signed into every transaction
	BlockGasLimit uint64    // Σ gas limits of a block's transactions
	MinGasPrice   uint64    // CheckTx refuses a lower gas price (mempool policy)
	Alloc         []Account // initial accounts (any order; committed sorted)
}

// Account is a genesis account.
type Account struct {
	Address wasm.Address
	Balance exec.U256
	Nonce   uint64
}

// Validate checks a genesis.
func (g *Genesis) Validate() error {
	if g.ChainID == 0 {
		return errors.New("wasm genesis: chain id is zero")
	}
	if g.BlockGasLimit < wasm.TxBaseGas {
		return fmt.Errorf("wasm genesis: block gas limit %d below %d", g.BlockGasLimit, wasm.TxBaseGas)
	}
	seen := map[wasm.Address]bool{}
	for _, a := range g.Alloc {
		if seen[a.Address] {
			return fmt.Errorf("wasm genesis: account %x twice", a.Address)
		}
		seen[a.Address] = true
	}
	return nil
}

// writes returns the genesis state as sorted writes.
func (g *Genesis) writes() []exec.Write {
	var ws []exec.Write
	for _, a := range g.Alloc {
		if !a.Balance.IsZero() {
			ws = append(ws, exec.Write{Key: wasm.BalanceKey(a.Address), Value: wasm.EncodeBalance(a.Balance)})
		}
		if a.Nonce != 0 {
			ws = append(ws, exec.Write{Key: wasm.NonceKey(a.Address), Value: be8(a.Nonce)})
		}
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].Key < ws[j].Key })
	return ws
}

// CheckTx and FinalizeBlock result codes (ExecTxResult.Code). A transaction that
// executed but failed has code CodeFailed + its wasm.Status; it paid its fee.
const (
	CodeOK        uint32 = 0
	CodeDecode    uint32 = 1 // not a canonical transaction encoding
	CodeSignature uint32 = 2
	CodeChainID   uint32 = 3
	CodeGas       uint32 = 4 // gas limit above the block's or below the intrinsic gas; gas price too low
	CodeNonce     uint32 = 5
	CodeFunds     uint32 = 6
	CodeCode      uint32 = 7 // upload refused by validation; instantiate of unknown code
	CodeInternal  uint32 = 8
	CodeInvalid   uint32 = 9 // FinalizeBlock: not executed (wasm.StatusInvalidTx)
	CodeFailed    uint32 = 32
)

// Errors of CheckTx (the JSON-RPC returns their messages).
var (
	ErrChainID      = errors.New("wrong chain id")
	ErrNonceTooLow  = errors.New("nonce too low")
	ErrNonceTooHigh = errors.New("nonce too high")
	ErrKnownNonce   = errors.New("a transaction with this nonce is already pending")
	ErrUnderpriced  = errors.New("replacement transaction underpriced")
	ErrFunds        = errors.New("insufficient funds for gas * price + value")
	ErrGasLimit     = errors.New("gas limit exceeds the block gas limit")
	ErrIntrinsicGas = errors.New("gas limit below intrinsic gas")
	ErrGasPrice     = errors.New("gas price below the minimum")
	ErrUnknownCode  = errors.New("unknown code hash")
)

const statusInvalidTx = uint8(wasm.StatusInvalidTx)

// Config configures an App.
type Config struct {
	Workers int // execution workers (0: GOMAXPROCS)
}

// App is the ABCI++ application of a Wasm SPN. CometBFT's local client serializes
// the ABCI calls; mu guards what the JSON-RPC server reads concurrently.
type App struct {
	abci.BaseApplication

	gen  *Genesis
	st   *Store
	eng  *wasm.Engine // blocks: no watcher goroutine per call (gas bounds a block)
	rd   *wasm.Engine // queries and simulations: a deadline stops a running call
	cfg  Config
	sims chan struct{} // bounds concurrent simulations
	qs   chan struct{} // bounds concurrent queries

	mu      sync.RWMutex
	head    head
	pending *pendingBlock
	// Mempool bookkeeping (rebuilt by CometBFT's rechecks after each commit; never
	// reaches state): next nonce and the summed maximal cost of each sender's
	// pending transactions, the pending transaction of each (sender, nonce) (a
	// replacement takes its place), and the code hashes of pending uploads.
	nonces  map[wasm.Address]uint64
	spend   map[wasm.Address]exec.U256
	slots   map[slot]*pendingTx
	uploads map[[32]byte]int
	// pool is the accepted transactions by hash (wasm_getTx "pending"): bounded;
	// an entry leaves when its transaction is committed or replaced or fails a
	// recheck. It survives Commit (the rechecks confirm it); one that no recheck
	// confirmed after the previous commit (no longer in CometBFT's mempool) leaves
	// at the next.
	pool map[common.Hash]*pendingTx

	// senders are recovered senders by tx hash (sha256 of the whole encoded
	// transaction, signature included), so a transaction's signature is verified once
	// across CheckTx, PrepareProposal, ProcessProposal, FinalizeBlock (the engine's
	// wasm.Block.Senders hint) and the store. An entry only ever comes from Tx.Sender
	// on the decoded bytes of that hash; it is not consensus data.
	senders      *txcache.Cache[wasm.Address]
	feed         feed // wasm_subscribe subscribers
	noSenderHint bool // tests and benchmarks: let the engine recover every sender

	onCommit []func(BlockStats) // called after each commit (registered under mu, called outside)
	onReject func(code uint32, err error, recheck bool)
}

// OnCheckTxReject sets f to be called with every transaction CheckTx refuses (its
// code and error; recheck: a mempool transaction evicted after a block). Set it
// before the node starts; f must not block.
func (a *App) OnCheckTxReject(f func(code uint32, err error, recheck bool)) { a.onReject = f }

// BlockStats describes a committed block for metrics (OnCommit). Durations are
// wall-clock measurements, not consensus data.
type BlockStats struct {
	Height   uint64
	Txs      int
	Failed   int // executed, status not ok (fee paid)
	Invalid  int // not executed (StatusInvalidTx)
	GasUsed  uint64
	Exec     exec.Stats    // how spn/exec ran the block (mode, workers, re-executions)
	Timing   wasm.Timing   // sender recovery and execution
	Root     time.Duration // state trie update
	Commit   time.Duration // the store batch (synced)
	StateKey int           // state keys written
}

// OnCommit registers f to be called with every committed block (also while the
// node runs); f must not block.
func (a *App) OnCommit(f func(BlockStats)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.onCommit = append(a.onCommit, f)
}

// Open opens the store and the engine in dir (created if needed) and returns the app.
func Open(dir string, gen *Genesis, cfg Config) (*App, error) {
	if err := gen.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	st, err := OpenStore(filepath.Join(dir, "db"))
	if err != nil {
		return nil, err
	}
	// Two engines over one on-disk compilation cache (wazero keys its entries by the
	// interruption setting too): a contract compiles once for each.
	cache := filepath.Join(dir, "wazero")
	eng, err := wasm.New(context.Background(), wasm.Config{ChainID: gen.ChainID, CacheDir: cache})
	if err != nil {
		st.Close()
		return nil, err
	}
	rd, err := wasm.New(context.Background(), wasm.Config{ChainID: gen.ChainID, CacheDir: cache, CloseOnContextDone: true})
	if err != nil {
		eng.Close(context.Background())
		st.Close()
		return nil, err
	}
	a := &App{gen: gen, st: st, eng: eng, rd: rd, cfg: cfg, senders: txcache.New[wasm.Address](senderCacheSize), sims: make(chan struct{}, 1), qs: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
	a.resetMempool()
	h, ok, err := st.readHead()
	if err != nil {
		a.Close()
		return nil, err
	}
	if ok {
		a.head = h
	} else {
		a.head.Root = EmptyRoot
	}
	return a, nil
}

// Close closes the engines and the store.
func (a *App) Close() error {
	return errors.Join(a.eng.Close(context.Background()), a.rd.Close(context.Background()), a.st.Close())
}

// Genesis returns the app's genesis.
func (a *App) Genesis() *Genesis { return a.gen }

func (a *App) resetMempool() {
	a.nonces = map[wasm.Address]uint64{}
	a.spend = map[wasm.Address]exec.U256{}
	a.slots = map[slot]*pendingTx{}
	a.uploads = map[[32]byte]int{}
	if a.pool == nil {
		a.pool = map[common.Hash]*pendingTx{}
	}
}

// slot is a sender's nonce: the mempool holds one transaction per slot (the
// replacement rule picks which).
type slot struct {
	from  wasm.Address
	nonce uint64
}

// pendingTx is a transaction CheckTx accepted.
type pendingTx struct {
	raw    []byte
	hash   common.Hash
	from   wasm.Address
	price  uint64
	cost   exec.U256 // gas limit × gas price + value
	upload [32]byte  // code hash of an upload (zero otherwise)
	height uint64    // the committed height when it was (re)checked
}

// MaxPoolIndex bounds the hash index of pending transactions (wasm_getTx).
const MaxPoolIndex = 1 << 16

// ReplaceBump is the gas price increase, in percent, a transaction needs to replace
// a pending one of the same sender and nonce.
const ReplaceBump = 10

// outbids reports whether price is at least ReplaceBump percent above old.
func outbids(price, old uint64) bool {
	ph, pl := bits.Mul64(price, 100)
	oh, ol := bits.Mul64(old, 100+ReplaceBump)
	return ph > oh || (ph == oh && pl >= ol)
}

// Head returns the last committed height and state root.
func (a *App) Head() (uint64, common.Hash) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.head.Height, a.head.Root
}

// view returns a consistent view of the committed state and blocks; Close it.
func (a *App) view() *view {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return &view{snap: a.st.db.NewSnapshot(), head: a.head}
}

func (a *App) workers() int {
	if a.cfg.Workers > 0 {
		return a.cfg.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Info reports the last committed block so CometBFT's handshake replays the rest.
func (a *App) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	resp := &abci.ResponseInfo{Data: "farol-spn-wasm", Version: "0.1.0", LastBlockHeight: int64(a.head.Height)}
	if a.head.Height > 0 {
		resp.LastBlockAppHash = a.head.Root.Bytes()
	}
	return resp, nil
}

// InitChain commits the genesis accounts; the app hash is the genesis state root.
// The genesis is the one the app was opened with (spn/node parses CometBFT's
// app_state into it).
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	if h, _ := a.Head(); h > 0 {
		return nil, fmt.Errorf("init chain: the store already has %d blocks (CometBFT's data was reset without the app's)", h)
	}
	ws := a.gen.writes()
	root, nodes, err := a.st.stateRoot(a.st.db, EmptyRoot, ws)
	if err != nil {
		return nil, fmt.Errorf("init chain: %w", err)
	}
	h := head{Height: 0, Root: root, Time: uint64(req.Time.Unix())}
	if err := a.st.commit(&pendingBlock{head: h, writes: ws, nodes: nodes}); err != nil {
		return nil, fmt.Errorf("init chain: %w", err)
	}
	a.mu.Lock()
	a.head = h
	a.mu.Unlock()
	return &abci.ResponseInitChain{AppHash: root.Bytes()}, nil
}

// TxHash is a transaction's hash: sha256 of its encoding (CometBFT's tx hash).
func TxHash(raw []byte) common.Hash { return sha256.Sum256(raw) }

// decoded is a statelessly checked transaction.
type decoded struct {
	raw     []byte
	tx      *wasm.Tx
	sender  wasm.Address
	code    uint32
	err     error
	recover bool // decodeAll: the sender is in its shared recovery
}

// decode checks what does not depend on state: encoding, chain id, gas limit
// against the block's and the intrinsic gas, signature.
func (a *App) decode(raw []byte) decoded {
	d := a.decodeUnsigned(raw)
	if d.err != nil {
		return d
	}
	d.sender, d.err = a.sender(raw, d.tx)
	if d.err != nil {
		d.code = CodeSignature
	}
	return d
}

// decodeUnsigned is decode without the sender: every check but the signature's
// recovery (DecodeTx has checked its values).
func (a *App) decodeUnsigned(raw []byte) decoded {
	d := decoded{raw: raw}
	tx, err := wasm.DecodeTx(raw)
	if err != nil {
		d.code, d.err = CodeDecode, err
		if errors.Is(err, wasm.ErrSignature) {
			d.code = CodeSignature
		}
		return d
	}
	d.tx = tx
	switch {
	case tx.ChainID != a.gen.ChainID:
		d.code, d.err = CodeChainID, fmt.Errorf("%w: have %d, want %d", ErrChainID, tx.ChainID, a.gen.ChainID)
	case tx.GasLimit > a.gen.BlockGasLimit:
		d.code, d.err = CodeGas, fmt.Errorf("%w: %d > %d", ErrGasLimit, tx.GasLimit, a.gen.BlockGasLimit)
	case tx.GasLimit < wasm.IntrinsicGas(tx):
		d.code, d.err = CodeGas, fmt.Errorf("%w: %d < %d", ErrIntrinsicGas, tx.GasLimit, wasm.IntrinsicGas(tx))
	}
	return d
}

// decodeAll decodes txs on the app's workers. The senders missing from the cache
// are recovered together, in one cgo call per worker (ecrecover.Shared, as the
// engine recovers a block's): recovering them one call each, as CheckTx does,
// scaled about 1.2x on 2 workers (ADR 011). A signature that does not recover goes
// through Tx.Sender for its error. Each recovered sender is cached.
func (a *App) decodeAll(txs [][]byte) []decoded {
	out := make([]decoded, len(txs))
	hashes := make([]common.Hash, len(txs)) // the cache keys of the senders to recover
	w := min(a.workers(), len(txs))
	rec := ecrecover.GetShared(len(txs))
	defer ecrecover.PutShared(rec)
	var missing atomic.Int64
	exec.ForChunks(len(txs), decodeAllChunk, w, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			d := a.decodeUnsigned(txs[i])
			if d.err == nil {
				h := TxHash(txs[i])
				if from, ok := a.senders.Get(h); ok {
					d.sender = from
				} else {
					rec.Set(i, d.tx.SigningHash(), (*ecrecover.Sig)(&d.tx.Sig))
					d.recover, hashes[i] = true, h
					missing.Add(1)
				}
			}
			out[i] = d
		}
	})
	if missing.Load() == 0 {
		return out
	}
	rec.Run(w)
	exec.ForChunks(len(txs), decodeAllChunk, w, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			d := &out[i]
			if !d.recover {
				continue
			}
			if d.sender, d.err = d.tx.SharedSender(rec, i); d.err != nil {
				d.code = CodeSignature
				continue
			}
			a.senders.Put(hashes[i], d.sender)
		}
	})
	return out
}

// decodeAllChunk is how many transactions a worker of decodeAll takes at a time.
const decodeAllChunk = 32

func readNonce(s exec.Storage, addr wasm.Address) (uint64, error) {
	b, err := s.Get(wasm.NonceKey(addr))
	if err != nil || len(b) != 8 {
		return 0, err
	}
	return binary.BigEndian.Uint64(b), nil
}

func readBalance(s exec.Storage, addr wasm.Address) (exec.U256, error) {
	b, err := s.Get(wasm.BalanceKey(addr))
	if err != nil {
		return exec.U256{}, err
	}
	return exec.U256FromBytes(b)
}

// maxCost is gas limit × gas price + value, false on overflow.
func maxCost(tx *wasm.Tx) (exec.U256, bool) {
	fee := exec.U256FromBig(new(big.Int).Mul(new(big.Int).SetUint64(tx.GasLimit), new(big.Int).SetUint64(tx.GasPrice)))
	c := fee.Add(tx.Value)
	return c, c.Cmp(fee) >= 0
}

// checkTx is CheckTx's logic: stateless checks, the upload's module validation (not
// on recheck), known code for instantiate, nonce (state and pending), balance
// (covering all of the sender's pending transactions).
func (a *App) checkTx(raw []byte, recheck bool) (*decoded, error) {
	d := a.decode(raw)
	if d.err != nil {
		return &d, d.err
	}
	tx := d.tx
	if tx.GasPrice < a.gen.MinGasPrice {
		d.code = CodeGas
		return &d, fmt.Errorf("%w: %d < %d", ErrGasPrice, tx.GasPrice, a.gen.MinGasPrice)
	}
	var upload [32]byte
	if tx.Kind == wasm.TxUpload {
		if recheck {
			upload = sha256.Sum256(tx.Data)
		} else {
			info, err := wasm.Instrument(tx.Data, a.eng.Limits())
			if err != nil {
				d.code = CodeCode
				return &d, err
			}
			upload = info.Hash
		}
	}
	st := stateView{a.st.db} // CheckTx never runs concurrently with Commit
	a.mu.Lock()
	defer a.mu.Unlock()
	fail := func(code uint32, err error) (*decoded, error) { d.code = code; return &d, err }
	if tx.Kind == wasm.TxInstantiate && a.uploads[tx.CodeHash] == 0 {
		c, err := st.Get(wasm.CodeKey(tx.CodeHash))
		if err != nil {
			return fail(CodeInternal, err)
		}
		if c == nil {
			return fail(CodeCode, fmt.Errorf("%w: %x", ErrUnknownCode, tx.CodeHash))
		}
	}
	stateNonce, err := readNonce(st, d.sender)
	if err != nil {
		return fail(CodeInternal, err)
	}
	if tx.Nonce < stateNonce {
		return fail(CodeNonce, fmt.Errorf("%w: address %s, tx %d, state %d", ErrNonceTooLow, common.Address(d.sender), tx.Nonce, stateNonce))
	}
	next, ok := a.nonces[d.sender]
	if !ok || next < stateNonce {
		next = stateNonce
	}
	key := slot{d.sender, tx.Nonce}
	var old *pendingTx // the pending transaction this one replaces
	if tx.Nonce < next {
		if old = a.slots[key]; old == nil {
			return fail(CodeNonce, fmt.Errorf("%w: address %s, nonce %d", ErrKnownNonce, common.Address(d.sender), tx.Nonce))
		}
		if !outbids(tx.GasPrice, old.price) {
			return fail(CodeGas, fmt.Errorf("%w: address %s, nonce %d, gas price %d, pending %d (+%d%% needed)",
				ErrUnderpriced, common.Address(d.sender), tx.Nonce, tx.GasPrice, old.price, ReplaceBump))
		}
	}
	if tx.Nonce > next {
		return fail(CodeNonce, fmt.Errorf("%w: address %s, tx %d, next %d (nonce gap)", ErrNonceTooHigh, common.Address(d.sender), tx.Nonce, next))
	}
	bal, err := readBalance(st, d.sender)
	if err != nil {
		return fail(CodeInternal, err)
	}
	cost, ok := maxCost(tx)
	spent := a.spend[d.sender]
	if old != nil {
		spent = spent.Sub(old.cost) // the replaced transaction's cost was counted in spent
	}
	total := spent.Add(cost)
	if !ok || total.Cmp(cost) < 0 || bal.Cmp(total) < 0 {
		return fail(CodeFunds, fmt.Errorf("%w: address %s, have %v, want %v", ErrFunds, common.Address(d.sender), bal, total))
	}
	p := &pendingTx{raw: raw, hash: TxHash(raw), from: d.sender, price: tx.GasPrice, cost: cost, height: a.head.Height}
	if old != nil {
		a.dropPending(old)
	} else {
		a.nonces[d.sender] = next + 1
	}
	a.spend[d.sender] = total
	a.slots[key] = p
	if tx.Kind == wasm.TxUpload {
		p.upload = upload
		a.uploads[upload]++
	}
	if _, ok := a.pool[p.hash]; ok || len(a.pool) < MaxPoolIndex {
		a.pool[p.hash] = p
	}
	return &d, nil
}

// dropPending forgets a replaced transaction (under mu; the caller re-counts its slot).
func (a *App) dropPending(p *pendingTx) {
	delete(a.pool, p.hash)
	if p.upload != ([32]byte{}) {
		if a.uploads[p.upload]--; a.uploads[p.upload] <= 0 {
			delete(a.uploads, p.upload)
		}
	}
}

// CheckTx admits a transaction to the mempool.
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	recheck := req.Type == abci.CheckTxType_Recheck
	d, err := a.checkTx(req.Tx, recheck)
	if err != nil {
		if recheck { // evicted from the mempool
			a.mu.Lock()
			delete(a.pool, TxHash(req.Tx))
			a.mu.Unlock()
		}
		if a.onReject != nil {
			a.onReject(d.code, err, recheck)
		}
		return &abci.ResponseCheckTx{Code: d.code, Log: err.Error(), Codespace: "wasm"}, nil
	}
	return &abci.ResponseCheckTx{Code: CodeOK, GasWanted: int64(d.tx.GasLimit)}, nil
}

// PrepareProposal orders the mempool's transactions: invalid ones (stateless checks,
// nonce below the sender's state nonce) are left out, each sender's transactions go
// in nonce order without gaps (senders in order of first appearance), of several
// with the same nonce only the best (highest gas price, then lowest hash), and the
// block is filled up to the block gas limit and MaxTxBytes.
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	ds := a.decodeAll(req.Txs)
	bySender := map[wasm.Address][]*decoded{}
	var order []wasm.Address
	for i := range ds {
		d := &ds[i]
		if d.err != nil {
			continue
		}
		if _, ok := bySender[d.sender]; !ok {
			order = append(order, d.sender)
		}
		bySender[d.sender] = append(bySender[d.sender], d)
	}
	st := stateView{a.st.db}
	var out [][]byte
	var gas uint64
	var size int64
	for _, from := range order {
		items := bySender[from]
		sortCandidates(items)
		next, err := readNonce(st, from)
		if err != nil {
			return nil, fmt.Errorf("prepare proposal: %w", err)
		}
		for _, d := range items {
			if d.tx.Nonce < next {
				continue // stale, or outbid by a replacement with the same nonce
			}
			if d.tx.Nonce > next || gas+d.tx.GasLimit > a.gen.BlockGasLimit || size+int64(len(d.raw)) > req.MaxTxBytes {
				break // a gap; or later nonces of this sender would leave one
			}
			gas += d.tx.GasLimit
			size += int64(len(d.raw))
			next++
			out = append(out, d.raw)
		}
	}
	return &abci.ResponsePrepareProposal{Txs: out}, nil
}

// sortCandidates orders one sender's transactions by nonce and, for the same nonce
// (a replacement and the transaction it replaced), best first: higher gas price,
// then lower tx hash. PrepareProposal takes the first of each nonce.
func sortCandidates(items []*decoded) {
	hashes := make(map[*decoded]common.Hash, len(items))
	for _, d := range items {
		hashes[d] = TxHash(d.raw)
	}
	sort.Slice(items, func(i, j int) bool {
		x, y := items[i].tx, items[j].tx
		if x.Nonce != y.Nonce {
			return x.Nonce < y.Nonce
		}
		if x.GasPrice != y.GasPrice {
			return x.GasPrice > y.GasPrice
		}
		hx, hy := hashes[items[i]], hashes[items[j]]
		return bytes.Compare(hx[:], hy[:]) < 0
	})
}

// ProcessProposal rejects a block with a transaction that fails the stateless checks
// (encoding, chain id, signature, gas limit) or whose gas limits sum above the block
// gas limit. Nonces and balances are checked by execution (StatusInvalidTx).
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	reject := &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}
	var gas uint64
	for _, d := range a.decodeAll(req.Txs) {
		if d.err != nil {
			return reject, nil
		}
		gas += d.tx.GasLimit
		if gas > a.gen.BlockGasLimit {
			return reject, nil
		}
	}
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// FinalizeBlock executes the block on spn/wasm (in parallel) against the committed
// state and computes the new state root (the app hash) from the block's writes.
func (a *App) FinalizeBlock(ctx context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	a.mu.RLock()
	parent := a.head
	a.mu.RUnlock()
	if req.Height <= 0 || uint64(req.Height) != parent.Height+1 {
		return nil, fmt.Errorf("finalize block: height %d after %d", req.Height, parent.Height)
	}
	var proposer wasm.Address
	copy(proposer[:], req.ProposerAddress)
	info := wasm.BlockInfo{Height: uint64(req.Height), Time: uint64(req.Time.Unix()), Beneficiary: proposer}
	// senders: from the cache filled by CheckTx / ProcessProposal, else recovered here
	// once; handed to the engine as its hint (zero if the tx fails the stateless
	// checks: the engine then decides on its own)
	decStart := time.Now()
	ds := a.decodeAll(req.Txs)
	blk := &wasm.Block{BlockInfo: info, Txs: req.Txs}
	if !a.noSenderHint {
		blk.Senders = make([]wasm.Address, len(ds))
		for i := range ds {
			if ds[i].err == nil {
				blk.Senders[i] = ds[i].sender
			}
		}
	}
	decoding := time.Since(decStart)
	res, err := a.eng.ExecuteBlock(ctx, blk, stateView{a.st.db}, exec.Config{Workers: a.workers()})
	if err != nil {
		return nil, fmt.Errorf("finalize block %d: %w", req.Height, err)
	}
	res.Timing.Senders += decoding
	if len(res.Receipts) != len(req.Txs) {
		return nil, fmt.Errorf("finalize block %d: %d receipts for %d txs", req.Height, len(res.Receipts), len(req.Txs))
	}
	rootStart := time.Now()
	root, nodes, err := a.st.stateRoot(a.st.db, parent.Root, res.Writes)
	if err != nil {
		return nil, fmt.Errorf("finalize block %d: %w", req.Height, err)
	}
	stats := BlockStats{Height: info.Height, Txs: len(req.Txs), GasUsed: res.GasUsed, Exec: res.Stats,
		Timing: res.Timing, Root: time.Since(rootStart), StateKey: len(res.Writes)}
	hdr := &storedHeader{Height: info.Height, Time: info.Time, Hash: bytes.Clone(req.Hash), Proposer: proposer,
		ParentRoot: parent.Root, StateRoot: root, ReceiptsHash: wasm.ReceiptsHash(res.Receipts), GasUsed: res.GasUsed,
		TxHashes: make([]common.Hash, len(req.Txs))}
	txs := make([]storedTx, len(req.Txs))
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		rc := &res.Receipts[i]
		hdr.TxHashes[i] = TxHash(raw)
		st := storedTx{Raw: raw, Status: uint8(rc.Status), GasUsed: rc.GasUsed, Return: rc.Return,
			Contract: rc.Contract, CodeHash: rc.CodeHash}
		if rc.Err != nil {
			st.Err = rc.Err.Error()
		}
		var gasWanted uint64
		if d := &ds[i]; d.tx != nil {
			st.From, gasWanted = d.sender, d.tx.GasLimit
		}
		for _, e := range rc.Events {
			st.Events = append(st.Events, storedEvent{Contract: e.Contract, Topic: e.Topic, Data: e.Data})
		}
		for _, m := range rc.Messages {
			st.Messages = append(st.Messages, storedMessage{DestSPN: m.DestSPN, Sender: m.Sender, Recipient: m.Recipient, Data: m.Data})
		}
		txs[i] = st
		results[i] = execResult(&st, hdr.TxHashes[i], gasWanted)
		switch rc.Status {
		case wasm.StatusOK:
		case wasm.StatusInvalidTx:
			stats.Invalid++
		default:
			stats.Failed++
		}
	}
	p := &pendingBlock{head: head{Height: info.Height, Root: root, BlockHash: hdr.Hash, Time: info.Time},
		writes: res.Writes, nodes: nodes, header: hdr, txs: txs, stats: stats}
	a.mu.Lock()
	a.pending = p
	a.mu.Unlock()
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: root.Bytes()}, nil
}

// execResult is a transaction's ABCI result: code, return data, gas, and events
// (wasm.tx with hash, sender and status; one wasm.event per contract event) for
// CometBFT's tx indexer.
func execResult(st *storedTx, hash common.Hash, gasWanted uint64) *abci.ExecTxResult {
	r := &abci.ExecTxResult{Code: CodeOK, Data: st.Return, GasWanted: int64(gasWanted), GasUsed: int64(st.GasUsed),
		Log: st.Err, Info: wasm.Status(st.Status).String(), Codespace: "wasm"}
	switch st.Status {
	case uint8(wasm.StatusOK):
	case statusInvalidTx:
		r.Code = CodeInvalid
	default:
		r.Code = CodeFailed + uint32(st.Status)
	}
	r.Events = append(r.Events, abci.Event{Type: "wasm.tx", Attributes: []abci.EventAttribute{
		{Key: "hash", Value: hash.Hex(), Index: true},
		{Key: "from", Value: common.Address(st.From).Hex(), Index: true},
		{Key: "status", Value: wasm.Status(st.Status).String()},
	}})
	for _, e := range st.Events {
		r.Events = append(r.Events, abci.Event{Type: "wasm.event", Attributes: []abci.EventAttribute{
			{Key: "contract", Value: common.Address(e.Contract).Hex(), Index: true},
			{Key: "topic", Value: topicString(e.Topic), Index: true},
			{Key: "data", Value: "0x" + common.Bytes2Hex(e.Data)},
		}})
	}
	return r
}

// topicString is the topic as text if it is printable UTF-8, else 0x-hex.
func topicString(t []byte) string {
	if utf8.Valid(t) {
		ok := true
		for _, r := range string(t) {
			if r < 0x20 || r == 0x7f {
				ok = false
				break
			}
		}
		if ok {
			return string(t)
		}
	}
	return "0x" + common.Bytes2Hex(t)
}

// Commit persists the finalized block in one batch (state, trie nodes, block,
// receipts, indexes, head). A crash before the batch leaves the previous head and
// CometBFT replays the block; the batch is synced before Commit returns.
func (a *App) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	a.mu.RLock()
	p := a.pending
	a.mu.RUnlock()
	if p == nil {
		return nil, errors.New("commit: no finalized block")
	}
	start := time.Now()
	a.mu.Lock()
	if err := a.st.commit(p); err != nil {
		a.mu.Unlock()
		return nil, err
	}
	a.head = p.head
	a.pending = nil
	a.resetMempool()
	for _, h := range p.header.TxHashes {
		delete(a.pool, h)
	}
	for h, tx := range a.pool {
		if tx.height+1 < p.head.Height { // not rechecked after the previous commit
			delete(a.pool, h)
		}
	}
	subs := a.onCommit
	a.mu.Unlock()
	p.stats.Commit = time.Since(start)
	for _, f := range subs {
		f(p.stats)
	}
	a.publish(p)
	return &abci.ResponseCommit{}, nil
}

// senderCacheSize bounds each of the two generations of the sender cache.
const senderCacheSize = 1 << 16

// sender returns the sender of tx, the decoded raw, from the sender cache or by
// recovering it (and caching it).
func (a *App) sender(raw []byte, tx *wasm.Tx) (wasm.Address, error) {
	h := TxHash(raw)
	if from, ok := a.senders.Get(h); ok {
		return from, nil
	}
	from, err := tx.Sender()
	if err != nil {
		return from, err
	}
	a.senders.Put(h, from)
	return from, nil
}
