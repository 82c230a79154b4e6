package wasm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/farolnet/farol/spn/ecrecover"
	"github.com/farolnet/farol/spn/exec"
)

// BlockInfo is what contracts see of the block.
type BlockInfo struct {
	Height      uint64
	Time        uint64 // unix seconds
	Beneficiary Address
}

// Block is an ordered list of encoded transactions.
type Block struct {
	BlockInfo
	Txs [][]byte
	// Senders is an optional hint: nil, or one entry per transaction. A non-zero
	// entry is taken as the sender of that transaction instead of recovering it from
	// the signature; a zero entry is recovered as without the hint. The caller must
	// only put senders it recovered from exactly these bytes (e.g. a cache keyed by
	// the hash of the whole encoded transaction, filled by Tx.Sender): a wrong entry
	// would execute the transaction as that sender.
	Senders []Address
}

// Receipt is the outcome of one transaction. Everything but Err is consensus data
// (ReceiptsHash covers it).
type Receipt struct {
	Status   Status
	GasUsed  uint64
	Return   []byte    // return data of a call (or revert data)
	Events   []Event   // emitted by calls that did not revert
	Messages []Message // mesh messages (the block's outbox, in order)
	Contract Address   // TxInstantiate: the new contract
	CodeHash [32]byte  // TxUpload: the code hash
	Err      error     // why it failed (diagnostic only)
}

// BlockResult is the output of ExecuteBlock.
type BlockResult struct {
	Writes   []exec.Write // final writes, sorted by key (nil Value: delete)
	Receipts []Receipt    // one per transaction
	Outbox   []Message    // mesh messages of the block in order
	GasUsed  uint64
	Stats    exec.Stats
	Timing   Timing
}

// Timing splits a block's wall time into its phases (not consensus data).
type Timing struct {
	Senders time.Duration // decoding and parallel sender recovery
	Execute time.Duration // exec.Execute
}

type decodedTx struct {
	tx      Tx
	sender  Address
	err     error
	pending bool // the sender is in the block's shared recovery (senderJob.resolve)
}

// decodedPool recycles blocks' decoded transactions (about 250 bytes each).
var decodedPool sync.Pool

// keptDecoded bounds the decoded transactions a recycled buffer holds.
const keptDecoded = 1 << 13

func getDecoded(n int) []decodedTx {
	if p, _ := decodedPool.Get().(*[]decodedTx); p != nil && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]decodedTx, n)
}

func putDecoded(txs []decodedTx) {
	if cap(txs) > keptDecoded {
		return
	}
	clear(txs)
	txs = txs[:0]
	decodedPool.Put(&txs)
}

// blockVM is the exec.VM of one block.
type blockVM struct {
	e     *Engine
	ctx   context.Context // callContext
	block *BlockInfo
	txs   []decodedTx
	envs  sync.Pool // the block's envs, reused from transaction to transaction (newEnv)

	mu  sync.Mutex
	all []*env // every env of the block, to flush their caches when it ends
}

// env returns an env for a transaction of the block: a finished one if there is one.
// An env is only reused within its block: its context never changes, so a goroutine
// that wazero left watching an earlier call's context reads nothing that moves.
func (vm *blockVM) env(st *txState, origin Address) *env {
	ev, _ := vm.envs.Get().(*env)
	if ev == nil {
		ev = newEnv(vm.e, vm.ctx, st, vm.block, origin)
		ev.cache.keep = true
		vm.mu.Lock()
		vm.all = append(vm.all, ev)
		vm.mu.Unlock()
		return ev
	}
	ev.st, ev.origin = st, origin // Execute emptied it before putting it back
	return ev
}

// flush hands what the block's envs kept back to the engine (envCache). No
// transaction of the block runs.
func (vm *blockVM) flush() {
	for _, ev := range vm.all {
		ev.flush(vm.ctx)
	}
}

// ExecuteBlock decodes the block's transactions and recovers their senders (on
// cfg.Workers goroutines, as spn/exec's Config.PrepareWorker, which the engine sets;
// see Block.Senders for a hint), then executes them on spn/exec. The error is non-nil
// only if the block could not be executed (ctx cancelled, storage failure); a bad
// transaction gets a StatusInvalidTx receipt and changes nothing.
func (e *Engine) ExecuteBlock(ctx context.Context, b *Block, base exec.Storage, cfg exec.Config) (*BlockResult, error) {
	start := time.Now()
	if b.Senders != nil && len(b.Senders) != len(b.Txs) {
		return nil, fmt.Errorf("wasm: block hint has %d senders for %d transactions", len(b.Senders), len(b.Txs))
	}
	vm := &blockVM{e: e, ctx: e.callContext(ctx), block: &b.BlockInfo, txs: getDecoded(len(b.Txs))}
	// Nothing of the decoded transactions is in the result (receipts copy what they
	// keep), and exec.Execute returns only when no goroutine of the block runs.
	defer putDecoded(vm.txs)
	defer vm.flush()
	// Decoding and sender recovery, shared by the goroutines that then execute the
	// block (exec.Config.PrepareWorker); the phase ends when the last signature is
	// recovered.
	job := newSenderJob(b, vm.txs, cfg.Workers, start)
	defer job.release()
	cfg.Prepare, cfg.PrepareWorker = nil, job.work
	out, err := exec.Execute[Receipt](ctx, vm, len(b.Txs), base, cfg)
	if err != nil {
		return nil, err
	}
	snd := time.Duration(job.finished.Load())
	res := &BlockResult{Writes: out.Writes, Receipts: make([]Receipt, len(out.Results)), Stats: out.Stats,
		Timing: Timing{Senders: snd, Execute: time.Since(start) - snd}}
	for i, r := range out.Results {
		rc := r.Result
		if r.Err != nil {
			rc = Receipt{Status: StatusInvalidTx, Err: r.Err}
		}
		res.Receipts[i] = rc
		res.GasUsed += rc.GasUsed
		res.Outbox = append(res.Outbox, rc.Messages...)
	}
	return res, nil
}

// senderJob decodes a block's transactions and recovers their senders, on every
// goroutine that then executes the block (exec.Config.PrepareWorker), in three steps
// that each goroutine joins in turn, waiting for the others between them:
//  1. decode chunks of decodeChunk transactions; the block's hint gives a sender
//     where it has one (DecodeTx has already refused out-of-range signature values);
//  2. recover the other signatures in one call into libsecp256k1 per goroutine
//     (ecrecover.Shared);
//  3. take the addresses of the recovered keys (a keccak each; resolve) in chunks of
//     addrChunk.
type senderJob struct {
	b         *Block
	txs       []decodedTx
	rec       *ecrecover.Shared
	start     time.Time
	decode    *exec.Chunks // step 1
	addresses *exec.Chunks // step 3
	finished  atomic.Int64 // nanoseconds from start to the end of the job; 0 before
}

// decodeChunk is how many transactions a goroutine decodes at a time (about 50 µs),
// and addrChunk how many addresses it takes at a time (about 50 µs).
const (
	decodeChunk = 16
	addrChunk   = 32
)

func newSenderJob(b *Block, txs []decodedTx, workers int, start time.Time) *senderJob {
	j := &senderJob{b: b, txs: txs, rec: ecrecover.GetShared(len(txs)), start: start}
	j.decode = exec.NewChunks(len(txs), decodeChunk, workers, exec.Each(j.decodeTx))
	j.addresses = exec.NewChunks(len(txs), addrChunk, workers, exec.Each(j.resolve))
	return j
}

// release returns the job's recovery to its pool; no goroutine of the block runs.
func (j *senderJob) release() { ecrecover.PutShared(j.rec) }

// work is the job's exec.Config.PrepareWorker: it returns when every transaction is
// decoded and has its sender (or its error).
func (j *senderJob) work() {
	exec.RunSteps(j.decode, j.rec, j.addresses)
	j.finished.CompareAndSwap(0, int64(time.Since(j.start)))
}

func (j *senderJob) decodeTx(i int) {
	d := &j.txs[i]
	if d.err = decodeTx(j.b.Txs[i], &d.tx); d.err != nil {
		return
	}
	if j.b.Senders != nil && j.b.Senders[i] != (Address{}) {
		d.sender = j.b.Senders[i]
		return
	}
	// DecodeTx checked that the bytes before the signature are the canonical
	// unsigned encoding: the signing hash's input.
	j.rec.Set(i, signingHash(j.b.Txs[i][:len(j.b.Txs[i])-sigLen]), (*ecrecover.Sig)(&d.tx.Sig))
	d.pending = true
}

// resolve sets transaction i's sender from the recovered key, or, where recovery
// failed, its error from Tx.Sender.
func (j *senderJob) resolve(i int) {
	d := &j.txs[i]
	if !d.pending {
		return
	}
	d.pending = false
	d.sender, d.err = d.tx.SharedSender(j.rec, i)
}

// intrinsicGas is charged before any execution.
func intrinsicGas(tx *Tx) uint64 {
	g := uint64(TxBaseGas) + TxDataGasPerByte*uint64(len(tx.Data))
	if tx.Kind == TxUpload {
		g += UploadGasPerByte * uint64(len(tx.Data))
	}
	return g
}

// Execute implements exec.VM.
func (vm *blockVM) Execute(i int, v exec.View) (Receipt, error) {
	d := &vm.txs[i]
	if d.err != nil {
		return Receipt{}, d.err
	}
	tx := &d.tx
	if tx.ChainID != vm.e.cfg.ChainID {
		return Receipt{}, errorf(ErrChainID, "%d, want %d", tx.ChainID, vm.e.cfg.ChainID)
	}
	st := getTxState(v)
	defer st.release()
	nb, err := st.get(st.addrKey(prefixNonce, d.sender))
	if err != nil {
		return Receipt{}, err
	}
	var nonce uint64
	if len(nb) == 8 {
		nonce = binary.BigEndian.Uint64(nb)
	}
	if tx.Nonce != nonce {
		return Receipt{}, errorf(ErrNonce, "%d, want %d", tx.Nonce, nonce)
	}
	intrinsic := intrinsicGas(tx)
	if tx.GasLimit < intrinsic {
		return Receipt{}, errorf(ErrIntrinsicGas, "%d < %d", tx.GasLimit, intrinsic)
	}
	bal, err := st.balance(d.sender)
	if err != nil {
		return Receipt{}, err
	}
	maxFee := mul64(tx.GasLimit, tx.GasPrice)
	if need := maxFee.Add(tx.Value); need.Cmp(maxFee) < 0 || bal.Cmp(need) < 0 {
		return Receipt{}, errorf(ErrInsufficient, "balance %v", bal)
	}

	ev := vm.env(st, d.sender)
	rc := ev.apply(tx, d.sender, tx.GasLimit-intrinsic)
	fatal := ev.fatal
	ev.st, ev.fatal, ev.top = nil, nil, frame{}
	vm.envs.Put(ev)
	if fatal != nil {
		return Receipt{}, fatal
	}
	rc.GasUsed += intrinsic
	st.set(st.addrKey(prefixNonce, d.sender), encodeNonce(nonce+1))
	fee := mul64(rc.GasUsed, tx.GasPrice)
	if bal, err = st.balance(d.sender); err != nil {
		return Receipt{}, err
	}
	st.setBalance(d.sender, bal.Sub(fee)) // covered: value and fee were checked, failures revert value
	rc.Events, rc.Messages = st.events, st.messages
	st.flush()
	if !fee.IsZero() {
		if err := v.AddDelta(st.addrKey(prefixBalance, vm.block.Beneficiary), fee); err != nil {
			return Receipt{}, err
		}
	}
	return rc, nil
}

func mul64(a, b uint64) exec.U256 {
	hi, lo := bits.Mul64(a, b)
	return exec.U256{lo, hi}
}

// apply runs the transaction's action with gas after the intrinsic charge; it reverts
// the action's state changes if it fails.
func (ev *env) apply(tx *Tx, sender Address, gas uint64) Receipt {
	st := ev.st
	sn := st.snapshot()
	var rc Receipt
	var res callResult
	switch tx.Kind {
	case TxTransfer:
		ok, err := st.move(sender, tx.To, tx.Value)
		if err != nil {
			ev.fatal = err
		} else if !ok {
			res = callResult{status: StatusInsufficient, err: ErrInsufficient}
		}
	case TxUpload:
		rc.CodeHash, res = ev.upload(tx.Data)
	case TxInstantiate:
		rc.Contract, res = ev.instantiate(tx, sender, gas)
	case TxCall:
		res = ev.call(sender, tx.To, tx.Value, tx.Data, gas, 0, false)
	}
	if res.status != StatusOK {
		st.revert(sn)
		rc.Contract = Address{}
	}
	rc.Status, rc.GasUsed, rc.Return, rc.Err = res.status, res.gasUsed, res.ret, res.err
	return rc
}

func (ev *env) upload(code []byte) ([32]byte, callResult) {
	info, err := ev.e.Upload(code)
	if err != nil {
		return [32]byte{}, callResult{status: StatusInvalidCode, err: err}
	}
	key := CodeKey(info.Hash)
	old, err := ev.st.get(key)
	if err != nil {
		ev.fatal = err
		return info.Hash, callResult{}
	}
	if old == nil {
		ev.st.set(key, info.Code)
	}
	return info.Hash, callResult{}
}

func (ev *env) instantiate(tx *Tx, sender Address, gas uint64) (Address, callResult) {
	addr := ContractAddress(sender, tx.Nonce)
	c, err := ev.load(tx.CodeHash)
	if err != nil {
		if errors.Is(err, ErrUnknownCode) || errors.Is(err, ErrCompile) {
			return addr, callResult{status: StatusInvalidCode, err: err}
		}
		ev.fatal = err
		return addr, callResult{}
	}
	defer ev.release(c)
	old, err := ev.st.get(ContractKey(addr))
	if err != nil {
		ev.fatal = err
		return addr, callResult{}
	}
	if old != nil {
		return addr, callResult{status: StatusTrap, err: errorf(ErrTrap, "contract %x exists", addr)}
	}
	ev.st.set(ContractKey(addr), bytes.Clone(tx.CodeHash[:])) // tx is the block's, recycled after it
	if ok, err := ev.st.move(sender, addr, tx.Value); err != nil {
		ev.fatal = err
		return addr, callResult{}
	} else if !ok {
		return addr, callResult{status: StatusInsufficient, err: ErrInsufficient}
	}
	if !c.hasInit {
		return addr, callResult{}
	}
	return addr, ev.run(c, "instantiate", sender, addr, tx.Value, tx.Data, gas, 0, false)
}

// Query runs contract's "call" export read-only against base: any state change traps.
func (e *Engine) Query(ctx context.Context, base exec.Storage, block BlockInfo, caller, contract Address, input []byte, gas uint64) ([]byte, uint64, error) {
	st := getTxState(roView{base})
	defer st.release()
	ev := newEnv(e, e.callContext(ctx), st, &block, caller)
	res := ev.call(caller, contract, exec.U256{}, input, gas, 0, true)
	if ev.fatal != nil {
		return nil, res.gasUsed, ev.fatal
	}
	if res.status != StatusOK {
		if res.err == nil {
			res.err = errorf(ErrTrap, "%v", res.status)
		}
		return res.ret, res.gasUsed, res.err
	}
	return res.ret, res.gasUsed, nil
}

// roView is a read-only exec.View over a Storage (queries). Writes never reach it: a
// read-only call traps before changing state.
type roView struct{ s exec.Storage }

func (r roView) Read(key string) ([]byte, error) { return r.s.Get(key) }
func (r roView) ReadNumeric(key string) (exec.U256, error) {
	b, err := r.s.Get(key)
	if err != nil {
		return exec.U256{}, err
	}
	return exec.U256FromBytes(b)
}
func (roView) Write(string, []byte)             {}
func (roView) AddDelta(string, exec.U256) error { return nil }

// ReceiptsHash commits to the consensus fields of receipts.
func ReceiptsHash(rs []Receipt) [32]byte {
	h := sha256.New()
	var b []byte
	lv := func(x []byte) { b = binary.BigEndian.AppendUint32(b, uint32(len(x))); b = append(b, x...) }
	for _, r := range rs {
		b = append(b[:0], byte(r.Status))
		b = binary.BigEndian.AppendUint64(b, r.GasUsed)
		lv(r.Return)
		b = append(b, r.Contract[:]...)
		b = append(b, r.CodeHash[:]...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(r.Events)))
		for _, e := range r.Events {
			b = append(b, e.Contract[:]...)
			lv(e.Topic)
			lv(e.Data)
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(r.Messages)))
		for _, m := range r.Messages {
			b = binary.BigEndian.AppendUint64(b, m.DestSPN)
			b = append(b, m.Sender[:]...)
			b = append(b, m.Recipient[:]...)
			lv(m.Data)
		}
		h.Write(b)
	}
	return [32]byte(h.Sum(nil))
}

// Apply applies a block's writes to a map state.
func Apply(state exec.MapStorage, writes []exec.Write) {
	for _, w := range writes {
		if w.Value == nil {
			delete(state, w.Key)
		} else {
			state[w.Key] = w.Value
		}
	}
}

// StateHash is a flat commitment to a map state: sha256 over its entries in key order.
// (The SPN node's Merkle store gives the real state root; this is for tests and
// benchmarks.)
func StateHash(state exec.MapStorage) [32]byte {
	keys := make([]string, 0, len(state))
	for k := range state {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	var b []byte
	for _, k := range keys {
		b = binary.BigEndian.AppendUint32(b[:0], uint32(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(state[k])))
		b = append(b, state[k]...)
		h.Write(b)
	}
	return [32]byte(h.Sum(nil))
}
