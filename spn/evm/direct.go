package evm

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/farolnet/farol/spn/exec"
)

// errDirectPanic reports a panic on the direct path; the block is then re-executed on
// the executor's path, which confines a panic to its transaction.
var errDirectPanic = errors.New("evm: panic on the direct sequential path")

// useDirect tells whether a block runs on the direct sequential path: one go-ethereum
// StateDB for the whole block, transactions applied in order exactly as
// core.ApplyTransaction does (plus a snapshot per transaction so that an invalid one is
// dropped). It is taken where spn/exec would execute sequentially anyway (one worker,
// or fewer transactions than its MinParallel), because it avoids the per-transaction
// StateDB and versioned-view bookkeeping the parallel path needs.
func (e *Engine) useDirect(n, workers int) bool {
	cfg := e.opts.Exec
	if e.opts.NoDirect || cfg.ForceParallel || e.mem != nil { // a MemState commits only through commitMem
		return false
	}
	minPar := cfg.MinParallel
	if minPar == 0 {
		minPar = exec.DefaultMinParallel
	}
	return workers <= 1 || n < minPar
}

// executeDirect runs the block on the direct sequential path and commits it.
func (e *Engine) executeDirect(ctx context.Context, parent common.Hash, block *Block, msgs []*core.Message, msgErrs []error) (res *Result, err error) {
	h := block.Header
	sdb, err := state.New(parent, e.db)
	if err != nil {
		return nil, fmt.Errorf("%w: open %x: %w", ErrState, parent, err)
	}
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("%w: %v", errDirectPanic, p)
		}
	}()
	start := time.Now()
	blockCtx := e.blockContext(block)
	evm := vm.NewEVM(blockCtx, sdb, e.config, e.opts.VM)
	res = &Result{
		Receipts: make([]*types.Receipt, len(block.Txs)),
		TxErrors: make([]error, len(block.Txs)),
		Stats:    exec.Stats{Mode: exec.ModeSequential, Workers: 1},
	}
	number := h.Number.Uint64()
	for i, tx := range block.Txs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if msgErrs[i] != nil {
			res.TxErrors[i] = msgErrs[i]
			continue
		}
		msg := msgs[i]
		sdb.SetTxContext(tx.Hash(), i)
		snap := sdb.Snapshot()
		evm.SetTxContext(core.NewEVMTxContext(msg))
		gp := new(core.GasPool).AddGas(h.GasLimit)
		out, err := core.ApplyMessage(evm, msg, gp)
		if err != nil {
			sdb.RevertToSnapshot(snap)
			res.TxErrors[i] = fmt.Errorf("%w: %w", ErrInvalidTx, err)
			continue
		}
		if tx.Gas() > h.GasLimit-res.GasUsed {
			return nil, fmt.Errorf("%w: transaction %d needs %d gas, %d left", ErrBlockGasLimit, i, tx.Gas(), h.GasLimit-res.GasUsed)
		}
		sdb.Finalise(true)
		if err := sdb.Error(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrState, err)
		}
		res.GasUsed += out.UsedGas
		rc := &types.Receipt{
			Type:              tx.Type(),
			CumulativeGasUsed: res.GasUsed,
			TxHash:            tx.Hash(),
			GasUsed:           out.UsedGas,
			Logs:              sdb.GetLogs(tx.Hash(), number, block.Hash, h.Time),
			BlockHash:         block.Hash,
			BlockNumber:       new(big.Int).Set(h.Number),
			TransactionIndex:  uint(i),
			Status:            types.ReceiptStatusSuccessful,
		}
		if out.Failed() {
			rc.Status = types.ReceiptStatusFailed
		}
		if tx.To() == nil {
			rc.ContractAddress = crypto.CreateAddress(msg.From, tx.Nonce())
		}
		if rc.Logs == nil {
			rc.Logs = []*types.Log{}
		}
		rc.Bloom = types.CreateBloom(rc)
		res.Receipts[i] = rc
		res.Logs = append(res.Logs, rc.Logs...)
		res.Stats.Executions++
	}
	res.Timing.Execute = time.Since(start)
	start = time.Now()
	root, err := sdb.Commit(number, true, false)
	if err != nil {
		return nil, fmt.Errorf("%w: commit: %w", ErrState, err)
	}
	res.Root = root
	res.Timing.Commit = time.Since(start)
	return res, nil
}
