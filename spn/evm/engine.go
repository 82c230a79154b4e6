package evm

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip4844"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/exec"
)

// Options tunes an Engine. The zero value is ready to use.
type Options struct {
	// Workers is the number of goroutines that execute a block (and recover senders);
	// 0 means GOMAXPROCS.
	Workers int
	// Exec is passed to exec.Execute (its Workers field is overridden by Workers).
	Exec exec.Config
	// VM configures the interpreter (tracers are not supported: they would see
	// speculative executions).
	VM vm.Config
	// NoDirect always runs blocks through spn/exec, also where it executes them
	// sequentially (tests of that path); see useDirect.
	NoDirect bool
}

// Engine executes blocks against a go-ethereum state database. It is safe for
// concurrent use by several goroutines, but blocks built on each other must be
// executed in order.
type Engine struct {
	config *params.ChainConfig
	db     state.Database
	opts   Options
	mem    *MemState
}

// New returns an engine for the chain rules config over db (see NewMemoryDatabase and
// OpenDatabase).
func New(config *params.ChainConfig, db state.Database, opts Options) (*Engine, error) {
	if config == nil || config.ChainID == nil {
		return nil, fmt.Errorf("%w: nil chain config or chain id", ErrBadBlock)
	}
	if db == nil {
		return nil, fmt.Errorf("%w: nil state database", ErrBadBlock)
	}
	e := &Engine{config: config, db: db, opts: opts}
	e.mem, _ = db.(*MemState)
	return e, nil
}

// Config returns the engine's chain rules.
func (e *Engine) Config() *params.ChainConfig { return e.config }

// Database returns the engine's state database.
func (e *Engine) Database() state.Database { return e.db }

// Block is one block to execute.
type Block struct {
	Header *types.Header // Number, Time, GasLimit, Coinbase, BaseFee, Difficulty, MixDigest, ExcessBlobGas
	Hash   common.Hash   // block hash stamped on receipts and logs (optional)
	Txs    []*types.Transaction
	// GetHash answers the BLOCKHASH opcode; nil answers the zero hash.
	GetHash vm.GetHashFunc
	// SendersCached says the transactions already carry their senders
	// (types.Sender was called on them with this chain's signer, as spnd does when
	// it admits a transaction), so the engine reads them instead of recovering them
	// in batches. It only chooses how senders are obtained: a transaction without a
	// cached sender is still recovered.
	SendersCached bool
}

// Result is the outcome of a block.
type Result struct {
	Root common.Hash // post-state root (committed to the engine's trie database)
	// Receipts has one entry per transaction in block order; nil for a dropped
	// (invalid) transaction, whose error is in TxErrors.
	Receipts []*types.Receipt
	TxErrors []error
	GasUsed  uint64
	Logs     []*types.Log // all logs of the block in order
	Stats    exec.Stats
	Timing   Timing
	// ReceiptHash and Bloom are the block header's receipts root and logs bloom:
	// go-ethereum's DeriveSha and the union of the blooms over the receipts of the
	// included transactions (the non-nil Receipts, in order). The parallel path
	// computes them while it commits the state.
	ReceiptHash common.Hash
	Bloom       types.Bloom
	// Accounts is the post-block nonce and balance of every account the block
	// changed, in address order, when the engine knows them (the parallel path's
	// direct trie commit); nil otherwise. A node can keep a flat account cache with
	// it.
	Accounts []AccountState
}

// AccountState is an account's nonce and balance after a block (zero for an account
// the block deleted).
type AccountState struct {
	Address common.Address
	Nonce   uint64
	Balance uint256.Int
}

// Timing splits a block's wall time into its phases.
type Timing struct {
	Senders time.Duration // parallel sender recovery
	Execute time.Duration // exec.Execute and receipts
	Commit  time.Duration // applying the write set and computing the state root
}

// txOutcome is what one transaction returns to the executor.
type txOutcome struct {
	failed   bool
	gasUsed  uint64
	logs     []*types.Log
	bloom    types.Bloom // of logs, computed by the worker
	contract common.Address
}

// blockRun is the state shared by the executions of one block's transactions.
type blockRun struct {
	e        *Engine
	block    *Block
	blockCtx vm.BlockContext
	msgs     []*core.Message
	msgErrs  []error
	workers  sync.Pool // *worker
}

// worker holds what one goroutine reuses from transaction to transaction.
type worker struct {
	evm *vm.EVM
	st  *txState
}

func (b *blockRun) getWorker() *worker {
	if w, ok := b.workers.Get().(*worker); ok {
		return w
	}
	return &worker{evm: vm.NewEVM(b.blockCtx, nil, b.e.config, b.e.opts.VM), st: newTxState()}
}

// blockContext mirrors core.NewEVMBlockContext for an explicit beneficiary.
func (e *Engine) blockContext(b *Block) vm.BlockContext {
	h := b.Header
	ctx := vm.BlockContext{
		CanTransfer: core.CanTransfer,
		Transfer:    core.Transfer,
		GetHash:     b.GetHash,
		Coinbase:    h.Coinbase,
		BlockNumber: new(big.Int).Set(h.Number),
		Time:        h.Time,
		Difficulty:  new(big.Int),
		GasLimit:    h.GasLimit,
	}
	if ctx.GetHash == nil {
		ctx.GetHash = func(uint64) common.Hash { return common.Hash{} }
	}
	if h.Difficulty != nil {
		ctx.Difficulty.Set(h.Difficulty)
	}
	if h.BaseFee != nil {
		ctx.BaseFee = new(big.Int).Set(h.BaseFee)
	}
	if h.ExcessBlobGas != nil {
		ctx.BlobBaseFee = eip4844.CalcBlobFee(e.config, h)
	}
	if ctx.Difficulty.Sign() == 0 {
		mix := h.MixDigest
		ctx.Random = &mix
	}
	return ctx
}

// Execute implements exec.VM for one transaction of the block.
func (b *blockRun) Execute(i int, v exec.View) (txOutcome, error) {
	if err := b.msgErrs[i]; err != nil {
		return txOutcome{}, err
	}
	w := b.getWorker()
	defer b.workers.Put(w)
	tx := b.block.Txs[i]
	msg := b.msgs[i]
	st := w.st
	st.reset(v, b.blockCtx.Coinbase, tx.Hash(), i)
	defer st.reset(nil, common.Address{}, common.Hash{}, 0)

	evm := w.evm
	evm.StateDB = st
	evm.SetTxContext(core.NewEVMTxContext(msg))
	gp := new(core.GasPool).AddGas(b.blockCtx.GasLimit)
	res, err := core.ApplyMessage(evm, msg, gp)
	evm.StateDB = nil
	if st.err != nil {
		return txOutcome{}, st.err
	}
	if err != nil {
		return txOutcome{}, fmt.Errorf("%w: %w", ErrInvalidTx, err)
	}
	st.Finalise(true)
	if err := st.writeBack(); err != nil {
		return txOutcome{}, err
	}
	out := txOutcome{
		failed:  res.Failed(),
		gasUsed: res.UsedGas,
		logs:    st.logsFor(b.blockCtx.BlockNumber.Uint64(), b.block.Hash, b.blockCtx.Time),
	}
	out.bloom = types.CreateBloom(&types.Receipt{Logs: out.logs})
	if tx.To() == nil {
		out.contract = crypto.CreateAddress(msg.From, tx.Nonce())
	}
	return out, nil
}

// ExecuteBlock executes block on the state with root parent, commits the post-state
// to the engine's trie database and returns the receipts and the new root. A
// transaction that cannot be applied is dropped (Result.TxErrors); the block fails
// only for malformed arguments, a state database failure, the block gas limit or a
// cancelled ctx (then nothing is committed).
func (e *Engine) ExecuteBlock(ctx context.Context, parent common.Hash, block *Block) (*Result, error) {
	if err := e.checkBlock(block); err != nil {
		return nil, err
	}
	workers := e.opts.Workers
	if workers <= 0 {
		workers = defaultWorkers()
	}
	if e.useDirect(len(block.Txs), workers) {
		start := time.Now()
		msgs, msgErrs := e.recoverSenders(block, 1)
		senders := time.Since(start)
		res, err := e.executeDirect(ctx, parent, block, msgs, msgErrs)
		if !errors.Is(err, errDirectPanic) {
			if res != nil {
				res.Timing.Senders = senders
				res.ReceiptHash, res.Bloom = receiptsRoot(res.Receipts)
			}
			return res, err
		}
	}
	res, writes, base, err := e.execute(ctx, parent, block)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	// The receipts root beside the commit: the commit's last steps run on one
	// goroutine, so a core is free for it.
	receipts := make(chan struct{})
	go func() {
		defer close(receipts)
		res.ReceiptHash, res.Bloom = receiptsRoot(res.Receipts)
	}()
	root, accounts, err := e.commit(parent, base, block.Header.Number.Uint64(), writes)
	<-receipts
	if err != nil {
		return nil, err
	}
	res.Root, res.Accounts = root, accounts
	res.Timing.Commit = time.Since(start)
	return res, nil
}

// receiptsRoot returns the receipts root and the logs bloom of the non-nil receipts.
func receiptsRoot(all []*types.Receipt) (common.Hash, types.Bloom) {
	receipts := make(types.Receipts, 0, len(all))
	for _, r := range all {
		if r != nil {
			receipts = append(receipts, r)
		}
	}
	return types.DeriveSha(receipts, trie.NewStackTrie(nil)), types.MergeBloom(receipts)
}

func (e *Engine) execute(ctx context.Context, parent common.Hash, block *Block) (*Result, []exec.Write, *baseStorage, error) {
	h := block.Header
	run := &blockRun{e: e, block: block}
	run.blockCtx = e.blockContext(block)
	workers := e.opts.Workers
	cfg := e.opts.Exec
	cfg.Workers = workers
	start := time.Now()
	// Sender recovery runs inside exec.Execute (Config.PrepareWorker), on the
	// goroutines that then execute the block, so Block-STM's helper starts once; the
	// phase ends when the last message is built.
	job := e.newSenderJob(block, workers, start)
	defer job.release()
	run.msgs, run.msgErrs = job.msgs, job.errs
	cfg.Prepare, cfg.PrepareWorker = nil, job.work

	base, err := e.baseStorage(parent, len(block.Txs))
	if err != nil {
		return nil, nil, nil, err
	}
	out, err := exec.Execute[txOutcome](ctx, run, len(block.Txs), base, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, nil, ctx.Err()
		}
		return nil, nil, nil, fmt.Errorf("%w: %w", ErrState, err)
	}
	res := &Result{
		Receipts: make([]*types.Receipt, len(block.Txs)),
		TxErrors: make([]error, len(block.Txs)),
		Stats:    out.Stats,
	}
	senders := time.Duration(job.finished.Load())
	defer func() { res.Timing.Senders, res.Timing.Execute = senders, time.Since(start)-senders }()
	var logIndex uint
	for i, tr := range out.Results {
		tx := block.Txs[i]
		if tr.Err != nil {
			if errors.Is(tr.Err, exec.ErrPanic) {
				tr.Err = fmt.Errorf("%w: %w", ErrInvalidTx, tr.Err)
			}
			res.TxErrors[i] = tr.Err
			continue
		}
		if tx.Gas() > h.GasLimit-res.GasUsed {
			return nil, nil, nil, fmt.Errorf("%w: transaction %d needs %d gas, %d left", ErrBlockGasLimit, i, tx.Gas(), h.GasLimit-res.GasUsed)
		}
		o := tr.Result
		res.GasUsed += o.gasUsed
		rc := &types.Receipt{
			Type:              tx.Type(),
			CumulativeGasUsed: res.GasUsed,
			TxHash:            tx.Hash(),
			GasUsed:           o.gasUsed,
			ContractAddress:   o.contract,
			Logs:              o.logs,
			BlockHash:         block.Hash,
			BlockNumber:       new(big.Int).Set(h.Number),
			TransactionIndex:  uint(i),
			Status:            types.ReceiptStatusSuccessful,
		}
		if o.failed {
			rc.Status = types.ReceiptStatusFailed
		}
		if rc.Logs == nil {
			rc.Logs = []*types.Log{}
		}
		for _, l := range rc.Logs {
			l.Index = logIndex
			logIndex++
		}
		rc.Bloom = o.bloom
		res.Receipts[i] = rc
		res.Logs = append(res.Logs, rc.Logs...)
	}
	return res, out.Writes, base, nil
}

// checkBlock refuses malformed blocks and rules the engine does not implement.
func (e *Engine) checkBlock(block *Block) error {
	if block == nil || block.Header == nil || block.Header.Number == nil {
		return fmt.Errorf("%w: nil block, header or number", ErrBadBlock)
	}
	h := block.Header
	if !e.config.IsCancun(h.Number, h.Time) {
		return ErrUnsupportedFork
	}
	if e.config.IsLondon(h.Number) && h.BaseFee == nil {
		return fmt.Errorf("%w: no base fee after London", ErrBadBlock)
	}
	return nil
}
