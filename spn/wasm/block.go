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

	"github.com/ethereum/go-ethereum/common"

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
	tx     Tx
	sender Address
	err    error
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
}

// env returns an env for a transaction of the block: a finished one if there is one.
// An env is only reused within its block: its context never changes, so a goroutine
// that wazero left watching an earlier call's context reads nothing that moves.
func (vm *blockVM) env(st *txState, origin Address) *env {
	ev, _ := vm.envs.Get().(*env)
	if ev == nil {
		return newEnv(vm.e, vm.ctx, st, vm.block, origin)
	}
	ev.st, ev.origin = st, origin // Execute emptied it before putting it back
	return ev
}

// ExecuteBlock decodes the block's transactions and recovers their senders (on
// cfg.Workers goroutines, as spn/exec's Config.Prepare, which the engine sets; see
// Block.Senders for a hint), then executes them on spn/exec. The error is non-nil only if
// the block could not be executed (ctx cancelled, storage failure); a bad transaction
// gets a StatusInvalidTx receipt and changes nothing.
func (e *Engine) ExecuteBlock(ctx context.Context, b *Block, base exec.Storage, cfg exec.Config) (*BlockResult, error) {
	start := time.Now()
	if b.Senders != nil && len(b.Senders) != len(b.Txs) {
		return nil, fmt.Errorf("wasm: block hint has %d senders for %d transactions", len(b.Senders), len(b.Txs))
	}
	vm := &blockVM{e: e, ctx: e.callContext(ctx), block: &b.BlockInfo, txs: getDecoded(len(b.Txs))}
	// Nothing of the decoded transactions is in the result (receipts copy what they
	// keep), and exec.Execute returns only when no goroutine of the block runs.
	defer putDecoded(vm.txs)
	// Decoding and sender recovery, in chunks, on the goroutines that then execute the
	// block (exec.Config.Prepare); the phase ends when the last chunk is done.
	var left atomic.Int64
	var senders atomic.Int64
	left.Store(int64(len(b.Txs)))
	cfg.Prepare = func(lo, hi int) {
		decodeChunk(b, vm.txs, lo, hi)
		if left.Add(int64(lo-hi)) == 0 {
			senders.Store(int64(time.Since(start)))
		}
	}
	cfg.PrepareChunk = senderChunk
	out, err := exec.Execute[Receipt](ctx, vm, len(b.Txs), base, cfg)
	if err != nil {
		return nil, err
	}
	snd := time.Duration(senders.Load())
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

// decodeChunk decodes b.Txs[lo:hi] into txs[lo:hi] and sets their senders: the
// block's hint where it has one, else recovered. The signatures of the chunk are
// recovered in one call into libsecp256k1 (spn/ecrecover), which scales across
// cores better than one call per signature (DecodeTx has already refused
// out-of-range values). A signature the batch cannot recover goes through Tx.Sender
// for its error.
func decodeChunk(b *Block, txs []decodedTx, lo, hi int) {
	batch := ecrecover.GetBatch()
	defer ecrecover.PutBatch(batch)
	for i := lo; i < hi; i++ {
		d := &txs[i]
		if d.err = decodeTx(b.Txs[i], &d.tx); d.err != nil {
			continue
		}
		switch {
		case b.Senders != nil && b.Senders[i] != (Address{}):
			d.sender = b.Senders[i]
		// DecodeTx checked the signature's values, and that the bytes before it are the
		// canonical unsigned encoding (the signing hash's input).
		case !batch.Add(i, signingHash(b.Txs[i][:len(b.Txs[i])-sigLen]), (*ecrecover.Sig)(&d.tx.Sig)):
			d.sender, d.err = d.tx.Sender()
		}
	}
	batch.Recover(func(i int, addr common.Address, ok bool) {
		d := &txs[i]
		if ok {
			d.sender = Address(addr)
		} else {
			d.sender, d.err = d.tx.Sender()
		}
	})
}

// senderChunk is how many transactions a sender-recovery worker takes at a time
// (about 1 ms of secp256k1 recovery): one batch of recoveries.
const senderChunk = ecrecover.BatchSize

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
	c, err := ev.e.load(ev.st, tx.CodeHash)
	if err != nil {
		if errors.Is(err, ErrUnknownCode) || errors.Is(err, ErrCompile) {
			return addr, callResult{status: StatusInvalidCode, err: err}
		}
		ev.fatal = err
		return addr, callResult{}
	}
	defer ev.e.release(c)
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
