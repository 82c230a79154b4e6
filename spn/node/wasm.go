package node

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/jsonrpc"
	"github.com/farolnet/farol/spn/wasmnode"
)

// openWasm opens the Wasm SPN app (spn/wasmnode) with its store under
// dataDir/spn-wasm; the node's RPC address serves the wasm_ JSON-RPC namespace.
// The app reports blocks and CheckTx refusals to the node's metrics.
func openWasm(n *Node, gen *Genesis, dataDir string, c Config) (*backend, error) {
	app, err := wasmnode.Open(filepath.Join(dataDir, "spn-wasm"), gen.wasmGenesis(), wasmnode.Config{Workers: c.Workers})
	if err != nil {
		return nil, err
	}
	if n.logger != nil {
		log := n.logger.With("module", "spn")
		app.OnCommit(func(s wasmnode.BlockStats) {
			b := wasmBlockStats(s)
			log.Info("committed block", "height", s.Height, "txs", b.Txs, "failed", s.Failed, "dropped", s.Invalid, "gas", s.GasUsed,
				"exec", b.Exec.Round(time.Microsecond), "root", s.Root.Round(time.Microsecond), "store", s.Commit.Round(time.Microsecond),
				"mode", b.Mode, "speedup", fmt.Sprintf("%.2f", b.Speedup), "executions", b.Executions, "aborts", b.Aborts)
		})
	}
	if m := n.metrics; m != nil {
		app.OnCommit(func(s wasmnode.BlockStats) { m.ObserveBlock(wasmBlockStats(s)) })
		app.OnCheckTxReject(func(code uint32, err error, recheck bool) {
			m.ObserveCheckTxReject(wasmRejectReason(code, err), recheck)
		})
	}
	return &backend{
		app: app,
		handler: func(bc Broadcaster) (*jsonrpc.Handler, error) {
			srv, err := wasmnode.NewRPCServer(app, bc)
			if err != nil {
				return nil, err
			}
			return jsonrpc.NewHandler(srv), nil
		},
		close: app.Close,
	}, nil
}

// WasmApp returns the app of a Wasm SPN node (nil on an EVM SPN): for OnCommit
// subscribers and in-process tools.
func (n *Node) WasmApp() *wasmnode.App {
	if n.backend == nil {
		return nil
	}
	a, _ := n.backend.app.(*wasmnode.App)
	return a
}

// wasmBlockStats converts a Wasm block's stats for Metrics.ObserveBlock.
func wasmBlockStats(s wasmnode.BlockStats) BlockStats {
	parallel := 0
	switch s.Exec.Mode {
	case exec.ModeParallel:
		parallel = s.Txs
	case exec.ModeParallelThenSequential:
		parallel = s.Exec.SequentialFrom
	}
	return BlockStats{Height: s.Height, Txs: s.Txs - s.Invalid, Dropped: s.Invalid, GasUsed: s.GasUsed,
		Exec: s.Timing.Senders + s.Timing.Execute + s.Root, Store: s.Commit,
		Mode: s.Exec.Mode.String(), Workers: s.Exec.Workers, Executions: uint64(s.Exec.Executions), Aborts: uint64(s.Exec.Aborts),
		Speedup: EstimateSpeedup(s.Txs, parallel, s.Exec.Workers, uint64(s.Exec.Executions))}
}

// wasmRejectReason maps a Wasm CheckTx refusal to a metrics reason.
func wasmRejectReason(code uint32, err error) string {
	switch {
	case code == wasmnode.CodeDecode:
		return RejectDecode
	case errors.Is(err, wasmnode.ErrNonceTooLow), errors.Is(err, wasmnode.ErrKnownNonce):
		return RejectNonceLow
	case errors.Is(err, wasmnode.ErrNonceTooHigh):
		return RejectNonceHigh
	case errors.Is(err, wasmnode.ErrUnderpriced):
		return RejectUnderpriced
	case errors.Is(err, wasmnode.ErrGasPrice):
		return RejectFeeCap
	case code == wasmnode.CodeFunds:
		return RejectFunds
	case code == wasmnode.CodeInternal:
		return RejectInternal
	}
	return RejectInvalid
}
