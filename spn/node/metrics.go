package node

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are an SPN app's Prometheus metrics. They do not depend on the VM: an app
// reports each committed block with ObserveBlock and each refused transaction with
// ObserveCheckTxReject. Metrics are registered on a prometheus.Registerer
// (spnd uses the default registry, which CometBFT's instrumentation server serves next
// to its own cometbft_* metrics, e.g. cometbft_mempool_size). A nil *Metrics is valid
// and records nothing.
type Metrics struct {
	height       prometheus.Gauge
	blocks       prometheus.Counter
	txs          prometheus.Counter
	dropped      prometheus.Counter
	gas          prometheus.Counter
	blockGas     prometheus.Gauge
	blockTxs     prometheus.Gauge
	execSeconds  prometheus.Histogram
	storeSeconds prometheus.Histogram
	speedup      prometheus.Gauge
	executions   prometheus.Counter
	aborts       prometheus.Counter
	blockExecs   prometheus.Gauge
	blockAborts  prometheus.Gauge
	baseFee      prometheus.Gauge
	flushes      prometheus.Counter
	flushSeconds prometheus.Histogram
	stateDirty   prometheus.Gauge
	stateVers    prometheus.Gauge
	rejected     *prometheus.CounterVec
}

// BlockStats describes one committed block for ObserveBlock.
type BlockStats struct {
	Height  uint64
	Txs     int    // transactions included (executed, with a receipt)
	Dropped int    // transactions of the block the VM refused (no state change)
	GasUsed uint64 // gas used by the block
	// Exec is the time the VM took to execute the block (including its state root);
	// Store the time to persist it (state, block, indexes).
	Exec, Store time.Duration
	// Finalize is the whole of FinalizeBlock (decoding, Exec, receipts, indexes).
	Finalize time.Duration
	// Mode is how the executor ran the block (e.g. "parallel", "sequential"), Workers
	// its goroutines, Executions the transaction executions it ran (re-executions
	// included) and Aborts the failed validations.
	Mode       string
	Workers    int
	Executions uint64
	Aborts     uint64
	// Speedup is the executor's estimated speedup over sequential execution (see
	// EstimateSpeedup); 1 for a sequential block.
	Speedup float64
	// BaseFee is the block's base fee per gas (0 if the VM has none).
	BaseFee float64
	// Flushed says the block's commit wrote the state to disk, which took Flush
	// (part of Store); StateDirty is the size in bytes of the state not yet written
	// after the commit (0 for a VM that writes every block's state).
	Flushed    bool
	Flush      time.Duration
	StateDirty int64
	// StateVersions is how many states the app holds in memory (evm.MemState
	// versions: the recent blocks'; 0 without a MemState).
	StateVersions int
}

// CheckTx rejection reasons (label "reason" of spn_checktx_rejected_total).
const (
	RejectDecode      = "decode"
	RejectTooLarge    = "too_large"
	RejectInvalid     = "invalid" // chain id, signature, gas limit, blob
	RejectFeeCap      = "fee_cap" // fee cap below the next base fee
	RejectNonceLow    = "nonce_too_low"
	RejectNonceHigh   = "nonce_too_high"
	RejectUnderpriced = "replacement_underpriced"
	RejectFunds       = "insufficient_funds"
	RejectInternal    = "internal"
)

// NewMetrics creates the metrics of chain chainID running vm and registers them on
// reg (nil: not registered). Registering twice for the same chain and vm (a node
// restarted in the same process) reuses the registered collectors.
func NewMetrics(reg prometheus.Registerer, chainID, vm string) (*Metrics, error) {
	labels := prometheus.Labels{"chain_id": chainID, "vm": vm}
	var err error
	gauge := func(name, help string) prometheus.Gauge {
		return register(reg, prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "spn", Name: name, Help: help, ConstLabels: labels}), &err)
	}
	counter := func(name, help string) prometheus.Counter {
		return register(reg, prometheus.NewCounter(prometheus.CounterOpts{Namespace: "spn", Name: name, Help: help, ConstLabels: labels}), &err)
	}
	hist := func(name, help string) prometheus.Histogram {
		return register(reg, prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "spn", Name: name, Help: help, ConstLabels: labels,
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}), &err) // 0.5 ms .. 16 s
	}
	m := &Metrics{
		height:       gauge("block_height", "Height of the last committed block."),
		blocks:       counter("blocks_total", "Blocks committed."),
		txs:          counter("txs_total", "Transactions committed (executed, with a receipt); rate() gives tx/s."),
		dropped:      counter("txs_dropped_total", "Transactions in committed blocks that the VM refused (no state change)."),
		gas:          counter("gas_used_total", "Gas used by committed blocks; rate() gives gas/s."),
		blockGas:     gauge("block_gas_used", "Gas used by the last committed block."),
		blockTxs:     gauge("block_txs", "Transactions executed in the last committed block."),
		execSeconds:  hist("block_exec_seconds", "Time to execute a block (including its state root)."),
		storeSeconds: hist("block_store_seconds", "Time to persist a block (state, block, receipts, indexes)."),
		speedup:      gauge("block_parallel_speedup", "Estimated speedup of the last block's execution over sequential execution."),
		executions:   counter("executions_total", "Transaction executions by the parallel executor (re-executions included)."),
		aborts:       counter("aborts_total", "Failed validations (each causes a re-execution)."),
		blockExecs:   gauge("block_executions", "Transaction executions of the last committed block."),
		blockAborts:  gauge("block_aborts", "Failed validations of the last committed block."),
		baseFee:      gauge("block_base_fee", "Base fee per gas of the last committed block."),
		flushes:      counter("state_flushes_total", "Commits that wrote the state trie to disk (the others keep it in memory; ADR 010)."),
		flushSeconds: hist("state_flush_seconds", "Time to write the state trie to disk, in the commits that did."),
		stateDirty:   gauge("state_dirty_bytes", "Size of the state trie node encodings committed since the last flush (not yet written to disk)."),
		stateVers:    gauge("state_versions", "States held in memory (the recent blocks' spn/mpt versions; ADR 014)."),
		rejected: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "spn", Name: "checktx_rejected_total",
			Help: "Transactions refused by CheckTx, by reason and check type (new or recheck).", ConstLabels: labels},
			[]string{"reason", "type"}), &err),
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c on reg (if not nil) and returns it, or the collector already
// registered under the same description. The first error is kept in *err.
func register[T prometheus.Collector](reg prometheus.Registerer, c T, err *error) T {
	if reg == nil || *err != nil {
		return c
	}
	if e := reg.Register(c); e != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(e, &are) {
			if old, ok := are.ExistingCollector.(T); ok {
				return old
			}
		}
		*err = e
	}
	return c
}

// ObserveBlock records a committed block.
func (m *Metrics) ObserveBlock(s BlockStats) {
	if m == nil {
		return
	}
	m.height.Set(float64(s.Height))
	m.blocks.Inc()
	m.txs.Add(float64(s.Txs))
	m.dropped.Add(float64(s.Dropped))
	m.gas.Add(float64(s.GasUsed))
	m.blockGas.Set(float64(s.GasUsed))
	m.blockTxs.Set(float64(s.Txs))
	m.execSeconds.Observe(s.Exec.Seconds())
	m.storeSeconds.Observe(s.Store.Seconds())
	m.speedup.Set(s.Speedup)
	m.executions.Add(float64(s.Executions))
	m.aborts.Add(float64(s.Aborts))
	m.blockExecs.Set(float64(s.Executions))
	m.blockAborts.Set(float64(s.Aborts))
	m.baseFee.Set(s.BaseFee)
	m.stateDirty.Set(float64(s.StateDirty))
	m.stateVers.Set(float64(s.StateVersions))
	if s.Flushed {
		m.flushes.Inc()
		m.flushSeconds.Observe(s.Flush.Seconds())
	}
}

// ObserveCheckTxReject records a transaction refused by CheckTx (recheck: a mempool
// transaction evicted when rechecked after a block).
func (m *Metrics) ObserveCheckTxReject(reason string, recheck bool) {
	if m == nil {
		return
	}
	kind := "new"
	if recheck {
		kind = "recheck"
	}
	m.rejected.WithLabelValues(reason, kind).Inc()
}

// EstimateSpeedup estimates the speedup of a block executed by spn/exec over
// sequential execution from its counters, assuming every execution costs the same
// and no worker idles: txs transactions, of which the first parallelTxs ran on
// Block-STM with workers goroutines and executions executions in all (re-executions
// included); the rest ran sequentially, one execution each. It is an upper bound of
// the real speedup (it ignores scheduling, validation and commit costs): 1 for a
// sequential block, workers for a conflict-free parallel block.
func EstimateSpeedup(txs, parallelTxs, workers int, executions uint64) float64 {
	if txs <= 0 || parallelTxs <= 0 || workers <= 1 {
		return 1
	}
	seq := txs - parallelTxs
	par := int64(executions) - int64(seq)
	if par < int64(parallelTxs) {
		par = int64(parallelTxs)
	}
	w := workers
	if w > parallelTxs {
		w = parallelTxs
	}
	cost := float64(par)/float64(w) + float64(seq)
	if cost <= 0 {
		return 1
	}
	return float64(txs) / cost
}
