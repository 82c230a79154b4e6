package exec

import (
	"context"
	"runtime"
)

// VM executes one transaction of a block. It is the whole contract between the
// executor and a virtual machine (EVM, Wasm, a test machine).
//
// Execute runs transaction tx against v and returns its result. It must be a
// deterministic function of tx and of the values v returns: it may be called several
// times for the same tx (one call per incarnation), concurrently for different
// transactions, and some calls see speculative state that is later discarded. It must
// read state only through v and must not keep v after returning.
//
// A non-nil error is that transaction's failure: the transaction's writes are
// discarded, the error is reported in its TxResult, and the block goes on. A panic is
// recovered and reported the same way (as a *PanicError). When a read returns
// ErrSuspended the VM should return at once; its return values are then ignored.
type VM[R any] interface {
	Execute(tx int, v View) (R, error)
}

// VMFunc adapts a function to the VM interface.
type VMFunc[R any] func(tx int, v View) (R, error)

// Execute implements VM.
func (f VMFunc[R]) Execute(tx int, v View) (R, error) { return f(tx, v) }

// View is the state one transaction executes against: the pre-block state (Storage)
// with the writes of all lower transactions of the block applied, and the
// transaction's own earlier writes on top. Keys are opaque: each VM chooses its
// encoding (an account field, a storage slot). A nil or empty value means the key is
// absent; writing one deletes the key.
//
// Byte slices passed to Write belong to the executor afterwards and slices returned by
// Read must not be modified.
type View interface {
	// Read returns the value of key (nil if absent). If the key carries deltas of
	// lower transactions (or of this one) the result is the encoded sum.
	Read(key string) ([]byte, error)
	// ReadNumeric returns the value of key decoded by the block's NumericCodec, with
	// all deltas of lower transactions and of this one applied.
	ReadNumeric(key string) (U256, error)
	// Write sets key to value.
	Write(key string, value []byte)
	// AddDelta adds delta (mod 2^256) to the numeric value of key without reading it:
	// it creates no read dependency, so transactions that only add to the same key
	// (fees credited to the block's beneficiary, counters) do not conflict. It fails
	// only if this transaction earlier wrote a non-numeric value to key.
	AddDelta(key string, delta U256) error
}

// Storage is the pre-block state. Get returns nil for an absent key. Get is called
// concurrently from several goroutines and must not modify the returned slice later.
// An error fails the whole block with ErrStorage.
type Storage interface {
	Get(key string) ([]byte, error)
}

// MapStorage is a Storage backed by a map (tests, examples, benchmarks).
type MapStorage map[string][]byte

// Get implements Storage.
func (m MapStorage) Get(key string) ([]byte, error) { return m[key], nil }

// DefaultMinParallel is the block size below which Execute runs the sequential path.
// Measured with `farol-bench exec -sweep` on two cores (docs/bench/exec.md): a block
// of independent transactions gains from two workers from about 48 transactions of
// 5 µs, 8 of 20 µs and 4 of 50 µs: what matters is the block's total work against the
// fixed cost of waking a second worker and of the multi-version bookkeeping. 16 loses
// at most ~13% (tens of microseconds) on blocks of very short transactions and keeps
// the gain on the others.
const DefaultMinParallel = 16

// Config tunes Execute. The zero value is ready to use.
type Config struct {
	// Workers is the number of goroutines executing the block, the calling goroutine
	// included. 0 means runtime.GOMAXPROCS(0). With 1 worker the block runs on the
	// sequential path unless ForceParallel is set.
	Workers int
	// MinParallel is the block size below which the sequential path is used.
	// 0 means DefaultMinParallel; a negative value disables this fallback.
	MinParallel int
	// ForceParallel runs the Block-STM engine even with one worker or a small block
	// (tests and benchmarks of the engine itself).
	ForceParallel bool
	// NoChainFallback disables the switch to sequential execution when a block turns
	// out to be a dependency chain (see README.md).
	NoChainFallback bool
	// Codec decodes and encodes numeric values for deltas; nil means BigEndian32.
	Codec NumericCodec
	// Prepare, if set, is work before execution that splits by transaction (decoding,
	// sender recovery). Execute calls Prepare(lo, hi) for chunks [lo, hi) covering
	// [0, n), at most PrepareChunk long (0 means 16; the chunks shrink near the end, as
	// ForChunks'), on the goroutines that then execute the block, and executes nothing
	// before every chunk is done. On the parallel path the helpers thus start once
	// for both phases: waking a parked helper a second time took 0.6–1.2 ms on the
	// virtualized benchmark machine (session 8), a fifth of a 400-transfer block's
	// execution. Prepare must be safe to call concurrently for different chunks.
	Prepare      func(lo, hi int)
	PrepareChunk int
	// PrepareWorker, if set, replaces Prepare for work that shares itself out: Execute
	// calls it once on each goroutine that then executes the block (once on the
	// sequential path), and each call must return only when the whole preparation is
	// done, not only the caller's share. A helper goroutine that starts late may find
	// nothing left to do. spn/wasm uses it to recover senders in one cgo call per
	// goroutine (ecrecover.Shared).
	PrepareWorker func()

	// stopAfter (tests only) triggers the chain fallback after that many executions.
	stopAfter int64
}

func (c Config) workers() int {
	if c.Workers > 0 {
		return c.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func (c Config) codec() NumericCodec {
	if c.Codec == nil {
		return BigEndian32{}
	}
	return c.Codec
}

// Write is one entry of a block's final write set. A nil Value deletes Key.
type Write struct {
	Key   string
	Value []byte
}

// TxResult is what one transaction produced, as sequential execution would.
type TxResult[R any] struct {
	Result R     // the VM's result (as returned, also when Err != nil; zero after a panic)
	Err    error // the VM's error or a *PanicError; nil if the transaction succeeded
	Stats  TxStats
}

// TxStats counts the work the executor spent on one transaction. Unlike the rest of
// the output these counters depend on timing.
type TxStats struct {
	Executions  uint32 // incarnations run to the end (including re-executions)
	Suspensions uint32 // executions stopped on an ESTIMATE (waits on a lower transaction)
	Validations uint32 // read-set validations
	Aborts      uint32 // validations that failed and caused a re-execution
}

// Mode tells which path executed a block.
type Mode uint8

const (
	// ModeSequential: one transaction after another (small block, one worker, or
	// ExecuteSequential).
	ModeSequential Mode = iota
	// ModeParallel: Block-STM from start to end.
	ModeParallel
	// ModeParallelThenSequential: Block-STM until the block proved to be a dependency
	// chain, then sequential from the first transaction that was not yet final.
	ModeParallelThenSequential
)

func (m Mode) String() string {
	switch m {
	case ModeSequential:
		return "sequential"
	case ModeParallel:
		return "parallel"
	case ModeParallelThenSequential:
		return "parallel+sequential"
	}
	return "unknown"
}

// Stats sums TxStats over the block and tells how it ran.
type Stats struct {
	Mode    Mode
	Workers int
	// SequentialFrom is the first transaction executed sequentially after a chain
	// fallback (ModeParallelThenSequential), else 0.
	SequentialFrom int
	TxStats
}

// Output is the result of executing a block. Writes and Results are identical to
// those of ExecuteSequential for the same block, whatever the number of workers;
// only the counters differ.
type Output[R any] struct {
	Writes  []Write       // final value of every key written by the block, in key order
	Results []TxResult[R] // one per transaction, in block order
	Stats   Stats
}

// Execute executes transactions 0..n-1 of a block against base and returns the
// resulting writes and per-transaction results. It uses Block-STM (see the package
// documentation) and falls back to the sequential path for small blocks, one worker,
// and blocks that turn out to be dependency chains. The error is non-nil only if the
// block could not be executed at all: ctx was cancelled, the Storage failed, or the
// final value of a key carrying deltas is not numeric (ErrNotNumeric).
func Execute[R any](ctx context.Context, vm VM[R], n int, base Storage, cfg Config) (*Output[R], error) {
	if err := checkArgs(vm, n, base); err != nil {
		return nil, err
	}
	workers := cfg.workers()
	minPar := cfg.MinParallel
	if minPar == 0 {
		minPar = DefaultMinParallel
	}
	if !cfg.ForceParallel && (workers <= 1 || n < minPar) {
		cfg.prepareAll(n)
		return executeSequential(ctx, vm, n, base, cfg.codec())
	}
	return executeParallel(ctx, vm, n, base, cfg, workers)
}

// prepareAll runs cfg.PrepareWorker, or cfg.Prepare over [0, n), on the calling
// goroutine.
func (c Config) prepareAll(n int) {
	if c.PrepareWorker != nil {
		c.PrepareWorker()
		return
	}
	if c.Prepare != nil {
		ForChunks(n, c.prepareChunk(), 1, c.Prepare)
	}
}

func (c Config) prepareChunk() int {
	if c.PrepareChunk > 0 {
		return c.PrepareChunk
	}
	return 16
}

// ExecuteSequential executes the block one transaction after another in block order.
// It is the reference Execute is checked against, and Execute's fallback.
func ExecuteSequential[R any](ctx context.Context, vm VM[R], n int, base Storage, cfg Config) (*Output[R], error) {
	if err := checkArgs(vm, n, base); err != nil {
		return nil, err
	}
	cfg.prepareAll(n)
	return executeSequential(ctx, vm, n, base, cfg.codec())
}

func checkArgs[R any](vm VM[R], n int, base Storage) error {
	switch {
	case vm == nil:
		return errorf(ErrInvalidBlock, "nil VM")
	case base == nil:
		return errorf(ErrInvalidBlock, "nil Storage")
	case n < 0:
		return errorf(ErrInvalidBlock, "negative transaction count %d", n)
	case int64(n) > maxTxs:
		return errorf(ErrInvalidBlock, "%d transactions, at most %d", n, maxTxs)
	}
	return nil
}

// maxTxs bounds n so that transaction indices fit the int32 fields of versions.
const maxTxs = 1<<31 - 2
