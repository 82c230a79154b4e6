package exec

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// txCounters are the TxStats of one transaction while workers update them.
// (Padding per-transaction records to cache lines against false sharing between
// neighbouring transactions was measured with farol-bench exec and made no difference
// above the noise, so they are not padded.)
type txCounters struct {
	executions, suspensions, validations, aborts atomic.Uint32
}

// worker is the per-goroutine state: a reusable view, the arena read sets are recorded
// into, and counters for the chain detector (per worker, so that workers do not share
// a cache line on every execution).
type worker struct {
	view        view
	arena       arena
	executions  atomic.Int64
	suspensions atomic.Int64
	aborts      atomic.Int64
	part        []Write // the worker's part of the write set (see mvMemory.sortedWrites)
	partOK      bool
	refs        []keyRef // sortedWrites' buffer
	_           [64]byte
}

// workerPool recycles workers, with their views and arenas, from block to block: a
// block of short transactions otherwise allocates most of its memory there, and the
// garbage collector's work then limits how well two workers scale.
var workerPool = sync.Pool{New: func() any { return new(worker) }}

// releaseWorkers empties the block's workers and returns them to the pool. It runs when
// no worker runs any more and the output no longer needs the multi-version memory.
func (p *parallel[R]) releaseWorkers() {
	for i, w := range p.workers {
		w.view.release()
		w.arena.release()
		w.executions.Store(0)
		w.suspensions.Store(0)
		w.aborts.Store(0)
		w.part, w.refs, w.partOK = emptySlice(w.part, keptWrites), emptySlice(w.refs, keptWrites), false
		workerPool.Put(w)
		p.workers[i] = nil
	}
}

// keptWrites bounds the write-set buffers a recycled worker keeps.
const keptWrites = 4096

// parallel is one Block-STM execution of a block.
type parallel[R any] struct {
	vm       VM[R]
	n        int
	s        *scheduler
	mv       *mvMemory
	results  []TxResult[R]
	counters []txCounters

	workers         []*worker
	tail            *seqState  // the sequential tail after a chain fallback
	prep            *dispenser // Config.Prepare's chunks, nil without
	prepWorker      func()     // Config.PrepareWorker
	noChainFallback bool
	stopAfter       int64
	chain           atomic.Bool // the block was detected as a dependency chain
	cancelled       atomic.Bool

	fatalOnce sync.Once
	fatal     error
}

// Chain fallback (README.md, "Deviations"). In a block where most transactions
// depend on the one before, Block-STM cannot beat one core: speculative executions
// read stale values and abort, and each finished transaction resumes the suspended
// ones, which suspend again on the next. The block then finishes on the sequential
// path. The detector looks at the block's running counters once chainMinExecutions
// incarnations finished:
//   - aborts above chainAbortPct percent of executions, or
//   - at least chainMinSuspensions suspensions, more than chainSuspensionRatio times
//     the executions.
//
// The constants come from `farol-bench exec -nochain` (docs/bench/exec.md): the abort
// rate is 8-9% on hot-30, 18-23% on hot-50, 31-35% on hot-70 and 37-44% on hot-100 at
// 5, 20 and 50 µs per transaction, while the suspension rate varies with the cost
// (hot-100: 1.2 per execution at 5 µs, 7.8 at 50 µs). Parallel execution still wins
// on hot-50 at 20 µs and above; it loses on hot-100 at every cost. These rates were
// measured with two workers (the machine of record has two cores). With more workers
// more speculation aborts while parallel execution still wins, so the abort criterion
// applies only up to chainAbortMaxWorkers until it is measured on bigger machines; the
// suspension criterion always applies.
const (
	chainAbortMaxWorkers = 2
	chainMinExecutions   = 32
	chainAbortPct        = 30
	chainMinSuspensions  = 64
	chainSuspensionRatio = 2
)

func (p *parallel[R]) chainShaped() bool {
	var execs, susp, aborts int64
	for i := range p.workers {
		execs += p.workers[i].executions.Load()
		susp += p.workers[i].suspensions.Load()
		aborts += p.workers[i].aborts.Load()
	}
	if p.stopAfter > 0 {
		return execs >= p.stopAfter
	}
	if execs < chainMinExecutions {
		return false
	}
	if len(p.workers) <= chainAbortMaxWorkers && 100*aborts > chainAbortPct*execs {
		return true
	}
	return susp >= chainMinSuspensions && susp > chainSuspensionRatio*execs
}

// checkChain stops the workers if the block looks like a dependency chain. It is
// called after each suspension and each abort (the detector's triggers) and, in tests
// that force the fallback, after each execution.
func (p *parallel[R]) checkChain() {
	if p.chainShaped() {
		p.chain.Store(true)
		p.s.stop.Store(true)
		p.s.wake()
	}
}

func (p *parallel[R]) fail(err error) {
	p.fatalOnce.Do(func() { p.fatal = err })
	p.s.stop.Store(true)
	p.s.wake()
}

func (p *parallel[R]) work(w *worker) {
	if p.prepWorker != nil {
		p.prepWorker() // returns when the whole preparation is done
	} else if p.prep != nil {
		// Config.Prepare: take chunks while there are any, then wait for the ones
		// other goroutines still run (at most about one item each: the chunks shrink
		// near the end), spinning rather than parking so as not to need a wake-up.
		p.prep.work()
		for !p.prep.finished() {
			if p.s.stop.Load() {
				return
			}
			runtime.Gosched()
		}
	}
	w.view.codec, w.view.mv, w.view.arena = p.mv.codec, p.mv, &w.arena // keeps a recycled view's buffers
	w.arena.setChunk(p.n, len(p.workers))
	p.s.run(func(t task) task {
		if t.kind == taskExecute {
			return p.tryExecute(w, t)
		}
		return p.needsReexecution(w, t)
	})
	// Each worker sorts and encodes the final writes of the keys it created as soon as
	// the block is done, in parallel and without waking another goroutine; the calling
	// goroutine merges the parts.
	if p.s.done.Load() && !p.s.stop.Load() {
		w.part, w.refs, w.partOK = p.mv.sortedWrites(w.arena.created, p.n, w.refs, w.part)
	}
}

// tryExecute runs an incarnation and records it (paper: try_execute). A read of an
// ESTIMATE suspends the transaction on the blocking one; the worker moves on.
func (p *parallel[R]) tryExecute(w *worker, t task) task {
	c := &p.counters[t.tx]
	v := &w.view
	for {
		v.reset(t.tx)
		res, err := run(p.vm, t.tx, v)
		if v.fatal != nil {
			p.fail(v.fatal)
			return task{}
		}
		if v.blockedOn >= 0 {
			c.suspensions.Add(1)
			w.suspensions.Add(1)
			if !p.noChainFallback {
				p.checkChain()
			}
			if p.s.addDependency(t.tx, v.blockedOn) {
				return task{}
			}
			continue // the blocking transaction finished meanwhile
		}
		c.executions.Add(1)
		w.executions.Add(1)
		if p.stopAfter > 0 {
			p.checkChain()
		}
		wroteNew := p.mv.record(t.tx, t.inc, v, err == nil, &w.arena)
		r := &p.results[t.tx]
		r.Result, r.Err = res, err
		return p.s.finishExecution(t.tx, t.inc, wroteNew)
	}
}

// needsReexecution validates an incarnation and aborts it if a read changed (paper:
// needs_reexecution).
func (p *parallel[R]) needsReexecution(w *worker, t task) task {
	c := &p.counters[t.tx]
	c.validations.Add(1)
	aborted := !p.mv.validate(t.tx) && p.s.tryValidationAbort(t.tx, t.inc)
	if aborted {
		c.aborts.Add(1)
		w.aborts.Add(1)
		p.mv.convertWritesToEstimates(t.tx)
		if !p.noChainFallback {
			p.checkChain()
		}
	}
	return p.s.finishValidation(t.tx, aborted)
}

func executeParallel[R any](ctx context.Context, vm VM[R], n int, base Storage, cfg Config, workers int) (*Output[R], error) {
	p := &parallel[R]{
		vm:              vm,
		n:               n,
		s:               newScheduler(n),
		mv:              newMVMemory(n, base, cfg.codec()),
		results:         make([]TxResult[R], n),
		counters:        make([]txCounters, n),
		workers:         make([]*worker, workers),
		noChainFallback: cfg.NoChainFallback,
		stopAfter:       cfg.stopAfter,
	}
	for i := range p.workers {
		p.workers[i] = workerPool.Get().(*worker)
	}
	p.prepWorker = cfg.PrepareWorker
	if cfg.Prepare != nil && cfg.PrepareWorker == nil && n > 0 {
		p.prep = newDispenser(n, cfg.prepareChunk(), workers, cfg.Prepare)
	}
	// Everything the workers built refers into their arenas and the multi-version
	// memory; nothing of it is in the output (writes carry keys and values, not
	// records), so it is recycled once the output is complete.
	defer p.mv.release()
	defer p.releaseWorkers()
	defer func() {
		if p.tail != nil {
			p.tail.release()
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	stopWatch := context.AfterFunc(ctx, func() {
		p.cancelled.Store(true)
		p.s.stop.Store(true)
		p.s.wake()
	})
	// A helper goroutine that has not started when the block is done is not waited
	// for: on a busy or virtualized machine waking it can take longer than a small
	// block. Each helper claims its slot when it starts (0 -> 1); the calling
	// goroutine abandons unclaimed slots (0 -> 2) and waits only for claimed ones.
	// Helpers that did start are awaited by spinning first, for the same reason.
	var wg sync.WaitGroup
	var running atomic.Int32
	claims := make([]atomic.Int32, workers)
	wg.Add(workers - 1)
	for i := 1; i < workers; i++ {
		go func() {
			if !claims[i].CompareAndSwap(0, 1) {
				return
			}
			running.Add(1)
			defer wg.Done()
			defer running.Add(-1)
			p.work(p.workers[i])
		}()
	}
	p.work(p.workers[0])
	for i := 1; i < workers; i++ {
		if claims[i].CompareAndSwap(0, 2) {
			wg.Done()
		}
	}
	for spin := 0; running.Load() > 0 && spin < idleSpins; spin++ {
		runtime.Gosched()
	}
	wg.Wait()
	stopWatch()

	if p.fatal != nil {
		return nil, p.fatal
	}
	if p.cancelled.Load() {
		return nil, ctx.Err()
	}
	out := &Output[R]{Results: p.results}
	out.Stats.Mode, out.Stats.Workers = ModeParallel, workers
	switch {
	case p.chain.Load():
		from, err := p.sequentialTail(ctx)
		if err != nil {
			return nil, err
		}
		out.Stats.Mode, out.Stats.SequentialFrom = ModeParallelThenSequential, from
	case !p.s.done.Load():
		return nil, errorf(ErrInternal, "workers stopped before the block was done")
	}
	var finals []final
	var err error
	switch ws, ok := p.workerWrites(); {
	case ok:
		out.Writes = ws
	case p.tail != nil: // the tail's state holds every key written in the block
		finals, err = p.tail.finals(&view{codec: p.mv.codec})
	default:
		finals, err = p.mv.finals(n, workers, &view{codec: p.mv.codec})
	}
	if err != nil {
		return nil, err
	}
	if out.Writes == nil {
		if out.Writes, err = encodeFinals(p.mv.codec, finals); err != nil {
			return nil, err
		}
	}
	for i := range out.Results {
		c := &p.counters[i]
		st := TxStats{
			Executions:  c.executions.Load(),
			Suspensions: c.suspensions.Load(),
			Validations: c.validations.Load(),
			Aborts:      c.aborts.Load(),
		}
		out.Results[i].Stats = st
		out.Stats.Executions += st.Executions
		out.Stats.Suspensions += st.Suspensions
		out.Stats.Validations += st.Validations
		out.Stats.Aborts += st.Aborts
	}
	return out, nil
}

// workerWrites merges the workers' parts of the write set, if every worker that
// created a key record built its part (the block ended with done, no tail, no value
// that needs the general path).
func (p *parallel[R]) workerWrites() ([]Write, bool) {
	if p.tail != nil || p.chain.Load() || !p.s.done.Load() {
		return nil, false
	}
	parts := make([][]Write, len(p.workers))
	for i := range p.workers {
		w := p.workers[i]
		if !w.partOK && len(w.arena.created) > 0 {
			return nil, false
		}
		parts[i] = w.part
	}
	out := mergeWrites(parts)
	for _, w := range p.workers {
		if len(out) > 0 && len(w.part) > 0 && &out[0] == &w.part[0] {
			w.part = nil // the output is this part: the worker must not reuse it
		}
	}
	return out, true
}

// sequentialTail finishes a block after the chain fallback stopped the workers. The
// longest prefix of executed transactions whose read sets validate, checked in block
// order with no worker running, equals sequential execution of that prefix. The
// sequential state after that prefix is built from the multi-version memory (each
// key's last full value below the first later transaction and the deltas added after
// it), and every later transaction runs on the sequential path over it. It returns the
// first of them.
func (p *parallel[R]) sequentialTail(ctx context.Context) (int, error) {
	from := 0
	for from < p.n && p.s.txs[from].status == statusExecuted {
		p.counters[from].validations.Add(1)
		if !p.mv.validate(from) {
			break
		}
		from++
	}
	p.tail = newSeqState(p.mv.base, p.mv.codec, p.n)
	if err := p.mv.seedSequential(p.tail, from); err != nil {
		return 0, err
	}
	if err := runSequential(ctx, p.vm, from, p.n, p.tail, p.results); err != nil {
		return 0, err
	}
	for i := from; i < p.n; i++ {
		p.counters[i].executions.Add(1) // Stats are rebuilt from the counters
	}
	return from, nil
}
