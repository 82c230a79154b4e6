package exec

import (
	"context"
	"sync"
	"sync/atomic"
)

// txCounters are the TxStats of one transaction while workers update them. Per-
// transaction records are padded to a cache line: workers run neighbouring
// transactions at the same time, and false sharing between them costs more than the
// memory.
type txCounters struct {
	executions, suspensions, validations, aborts atomic.Uint32
}

// resultSlot holds a transaction's result during execution, padded like txCounters.
type resultSlot[R any] struct {
	TxResult[R]
}

// worker is the per-goroutine state: a reusable view, the arena read sets are recorded
// into, and counters for the chain detector (per worker, so that workers do not share
// a cache line on every execution).
type worker struct {
	view        view
	arena       arena
	executions  atomic.Int64
	suspensions atomic.Int64
	_           [64]byte
}

// parallel is one Block-STM execution of a block.
type parallel[R any] struct {
	vm       VM[R]
	n        int
	s        *scheduler
	mv       *mvMemory
	results  []TxResult[R]
	counters []txCounters

	workers         []worker
	tail            *seqState // the sequential tail after a chain fallback
	noChainFallback bool
	stopAfter       int64
	chain           atomic.Bool // the block was detected as a dependency chain
	cancelled       atomic.Bool

	fatalOnce sync.Once
	fatal     error
}

// Chain fallback (README.md, "Deviations"). When suspensions outnumber finished
// executions by chainRatio, almost every transaction waits on the one below it and
// Block-STM cannot beat one core: each finished transaction resumes all the others,
// which suspend again on the next one (quadratic work). The block then finishes on the
// sequential path. chainMinSuspensions keeps the first burst of suspensions of a block
// with a few hot keys from triggering it. Both constants were chosen from the counters
// of the hot-10, hot-30 and hot-100 workloads of `farol-bench exec` (docs/bench/exec.md).
const (
	chainRatio          = 2
	chainMinSuspensions = 64
)

func (p *parallel[R]) chainShaped() bool {
	var execs, susp int64
	for i := range p.workers {
		execs += p.workers[i].executions.Load()
		susp += p.workers[i].suspensions.Load()
	}
	if p.stopAfter > 0 {
		return execs >= p.stopAfter
	}
	return susp >= chainMinSuspensions && susp > chainRatio*execs
}

// checkChain stops the workers if the block looks like a dependency chain. It is
// called after each suspension (the detector's trigger) and, in tests that force the
// fallback, after each execution.
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
	w.view = view{codec: p.mv.codec, mv: p.mv, arena: &w.arena}
	p.s.run(func(t task) task {
		if t.kind == taskExecute {
			return p.tryExecute(w, t)
		}
		return p.needsReexecution(t)
	})
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
func (p *parallel[R]) needsReexecution(t task) task {
	c := &p.counters[t.tx]
	c.validations.Add(1)
	aborted := !p.mv.validate(t.tx) && p.s.tryValidationAbort(t.tx, t.inc)
	if aborted {
		c.aborts.Add(1)
		p.mv.convertWritesToEstimates(t.tx)
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
		workers:         make([]worker, workers),
		noChainFallback: cfg.NoChainFallback,
		stopAfter:       cfg.stopAfter,
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	stopWatch := context.AfterFunc(ctx, func() {
		p.cancelled.Store(true)
		p.s.stop.Store(true)
		p.s.wake()
	})
	var wg sync.WaitGroup
	for i := 1; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.work(&p.workers[i])
		}()
	}
	p.work(&p.workers[0])
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
	finals, err := p.mv.finals(n, workers, &view{codec: p.mv.codec})
	if err != nil {
		return nil, err
	}
	if p.tail != nil {
		top, err := p.tail.finals(&view{codec: p.mv.codec})
		if err != nil {
			return nil, err
		}
		finals = mergeFinals(finals, top)
	}
	if out.Writes, err = encodeFinals(p.mv.codec, finals); err != nil {
		return nil, err
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

// sequentialTail finishes a block after the chain fallback stopped the workers. The
// longest prefix of executed transactions whose read sets validate, checked in block
// order with no worker running, equals sequential execution of that prefix. The
// versions of every later transaction are removed, and those transactions run on the
// sequential path over the multi-version memory as it is after the prefix. It returns
// the first of them.
func (p *parallel[R]) sequentialTail(ctx context.Context) (int, error) {
	from := 0
	for from < p.n && p.s.txs[from].status == statusExecuted {
		p.counters[from].validations.Add(1)
		if !p.mv.validate(from) {
			break
		}
		from++
	}
	for i := from; i < p.n; i++ {
		p.mv.removeWrites(i)
	}
	p.tail = newSeqState(p.mv.base, p.mv.codec, p.n-from)
	p.tail.below = func(v *view, key string) (lowerValue, error) {
		k := p.mv.lookup(key, nil)
		if k == nil {
			val, err := v.storageGet(p.mv.base, key)
			return lowerValue{raw: val}, err
		}
		return p.mv.valueAt(v, k, from)
	}
	if err := runSequential(ctx, p.vm, from, p.n, p.tail, p.results); err != nil {
		return 0, err
	}
	for i := from; i < p.n; i++ {
		p.counters[i].executions.Add(1) // Stats are rebuilt from the counters
	}
	return from, nil
}
