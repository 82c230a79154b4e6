package exec

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Transaction status (paper, Alg. 4: txn_status).
const (
	statusReady     uint8 = iota // READY_TO_EXECUTE
	statusExecuting              // EXECUTING
	statusExecuted               // EXECUTED
	statusAborting               // ABORTING (failed validation, or suspended on a dependency)
)

type taskKind uint8

const (
	taskNone taskKind = iota
	taskExecute
	taskValidate
)

// task is a version (transaction, incarnation) to execute or validate.
type task struct {
	kind taskKind
	tx   int
	inc  int
}

// schedTx is a transaction's status and the transactions suspended on it. The paper
// guards status and dependencies with two locks; one lock per transaction does both,
// and add_dependency, which needs two transactions, locks the lower one first.
type schedTx struct {
	mu     sync.Mutex
	inc    int
	status uint8
	deps   []int32 // transactions suspended on this one (paper: txn_dependency)

}

// scheduler is the collaborative scheduler of the paper (Alg. 4 and 5): there is no
// dedicated thread, each worker asks it for the lowest pending task.
type scheduler struct {
	n             int
	executionIdx  atomic.Int64
	validationIdx atomic.Int64
	decreaseCnt   atomic.Uint64
	numActive     atomic.Int64
	done          atomic.Bool
	stop          atomic.Bool // workers leave at once (chain fallback, cancellation, fatal error)
	txs           []schedTx

	// idle workers park here until an index decreases or the block is done
	wakeMu   sync.Mutex
	wakeCond *sync.Cond
	sleepers atomic.Int32
}

func newScheduler(n int) *scheduler {
	s := &scheduler{n: n, txs: make([]schedTx, n)}
	s.wakeCond = sync.NewCond(&s.wakeMu)
	return s
}

func (s *scheduler) finished() bool { return s.done.Load() || s.stop.Load() }

// wake releases parked workers: new work may exist, or the block is done.
func (s *scheduler) wake() {
	if s.sleepers.Load() > 0 {
		s.wakeMu.Lock()
		s.wakeCond.Broadcast()
		s.wakeMu.Unlock()
	}
}

// park blocks until decreaseCnt moves past seen or the block is done. The sleepers
// counter and decreaseCnt are both sequentially consistent, so either the waker sees
// the sleeper or the sleeper sees the new count (no lost wake-up).
func (s *scheduler) park(seen uint64) {
	s.wakeMu.Lock()
	s.sleepers.Add(1)
	for s.decreaseCnt.Load() == seen && !s.finished() {
		s.wakeCond.Wait()
	}
	s.sleepers.Add(-1)
	s.wakeMu.Unlock()
}

// atomicMin lowers a to v and reports whether it changed a.
func atomicMin(a *atomic.Int64, v int64) bool {
	for {
		cur := a.Load()
		if cur <= v {
			return false
		}
		if a.CompareAndSwap(cur, v) {
			return true
		}
	}
}

func (s *scheduler) decreaseExecutionIdx(target int) {
	atomicMin(&s.executionIdx, int64(target))
	s.decreaseCnt.Add(1)
	s.wake()
}

func (s *scheduler) decreaseValidationIdx(target int) {
	atomicMin(&s.validationIdx, int64(target))
	s.decreaseCnt.Add(1)
	s.wake()
}

// checkDone sets done when no task is pending or running. Reading decreaseCnt before
// and after the other checks detects an index decreased in between (paper: check_done).
func (s *scheduler) checkDone() {
	observed := s.decreaseCnt.Load()
	n := int64(s.n)
	if s.executionIdx.Load() >= n && s.validationIdx.Load() >= n && s.numActive.Load() == 0 &&
		observed == s.decreaseCnt.Load() {
		s.done.Store(true)
		s.wake()
	}
}

// tryIncarnate moves tx from READY to EXECUTING and returns the incarnation to run.
// Unlike the paper it leaves num_active_tasks to the caller.
func (s *scheduler) tryIncarnate(tx int) (int, bool) {
	if tx >= s.n {
		return 0, false
	}
	t := &s.txs[tx]
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status == statusReady {
		t.status = statusExecuting
		return t.inc, true
	}
	return 0, false
}

func (s *scheduler) nextVersionToExecute() task {
	if s.executionIdx.Load() >= int64(s.n) {
		s.checkDone()
		return task{}
	}
	s.numActive.Add(1)
	idx := int(s.executionIdx.Add(1) - 1)
	if inc, ok := s.tryIncarnate(idx); ok {
		return task{kind: taskExecute, tx: idx, inc: inc}
	}
	s.numActive.Add(-1)
	return task{}
}

func (s *scheduler) nextVersionToValidate() task {
	if s.validationIdx.Load() >= int64(s.n) {
		s.checkDone()
		return task{}
	}
	s.numActive.Add(1)
	idx := int(s.validationIdx.Add(1) - 1)
	if idx < s.n {
		t := &s.txs[idx]
		t.mu.Lock()
		inc, status := t.inc, t.status
		t.mu.Unlock()
		if status == statusExecuted {
			return task{kind: taskValidate, tx: idx, inc: inc}
		}
	}
	s.numActive.Add(-1)
	return task{}
}

// nextTask returns the lowest pending task: a validation if the validation index is
// behind the execution index, else an execution (paper: next_task).
func (s *scheduler) nextTask() task {
	if s.validationIdx.Load() < s.executionIdx.Load() {
		return s.nextVersionToValidate()
	}
	return s.nextVersionToExecute()
}

// addDependency suspends tx on blocker, whose ESTIMATE tx read. It returns false if
// blocker finished executing in the meantime (tx should then simply re-execute).
func (s *scheduler) addDependency(tx, blocker int) bool {
	b := &s.txs[blocker]
	b.mu.Lock()
	if b.status == statusExecuted {
		b.mu.Unlock()
		return false
	}
	t := &s.txs[tx] // blocker < tx: locks are always taken lower first
	t.mu.Lock()
	t.status = statusAborting
	t.mu.Unlock()
	b.deps = append(b.deps, int32(tx))
	b.mu.Unlock()
	s.numActive.Add(-1)
	return true
}

// setReadyStatus starts the next incarnation of an ABORTING transaction.
func (s *scheduler) setReadyStatus(tx int) {
	t := &s.txs[tx]
	t.mu.Lock()
	t.inc++
	t.status = statusReady
	t.mu.Unlock()
}

func (s *scheduler) resumeDependencies(deps []int32) {
	if len(deps) == 0 {
		return
	}
	lowest := s.n
	for _, d := range deps {
		s.setReadyStatus(int(d))
		lowest = min(lowest, int(d))
	}
	s.decreaseExecutionIdx(lowest)
}

// finishExecution marks tx executed, resumes the transactions suspended on it, and
// returns its validation task when only tx itself needs validating.
func (s *scheduler) finishExecution(tx, inc int, wroteNew bool) task {
	t := &s.txs[tx]
	t.mu.Lock()
	t.status = statusExecuted
	deps := t.deps
	t.deps = nil
	t.mu.Unlock()
	s.resumeDependencies(deps)
	if s.validationIdx.Load() > int64(tx) {
		if wroteNew {
			// Validate every higher transaction again. The paper decreases the index to
			// tx and lets some worker take tx's validation; this worker takes it at once
			// (the index goes to tx+1), which saves a round on the shared index. A
			// decrease is counted only if the index moved.
			if atomicMin(&s.validationIdx, int64(tx)+1) {
				s.decreaseCnt.Add(1)
				s.wake()
			}
		}
		return task{kind: taskValidate, tx: tx, inc: inc} // keeps the active count
	}
	s.numActive.Add(-1)
	return task{}
}

// tryValidationAbort moves (tx, inc) from EXECUTED to ABORTING; only one failed
// validation of an incarnation wins.
func (s *scheduler) tryValidationAbort(tx, inc int) bool {
	t := &s.txs[tx]
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.inc == inc && t.status == statusExecuted {
		t.status = statusAborting
		return true
	}
	return false
}

// finishValidation ends a validation task; after an abort it schedules validation of
// the higher transactions and returns the re-execution of tx if it can take it.
func (s *scheduler) finishValidation(tx int, aborted bool) task {
	if aborted {
		s.setReadyStatus(tx)
		s.decreaseValidationIdx(tx + 1)
		if s.executionIdx.Load() > int64(tx) {
			if inc, ok := s.tryIncarnate(tx); ok {
				return task{kind: taskExecute, tx: tx, inc: inc} // keeps the active count
			}
		}
	}
	s.numActive.Add(-1)
	return task{}
}

// idleSpins is how many times an idle worker asks for a task (yielding in between)
// before it parks until an index decreases: about 50-100 µs. Waking a parked
// goroutine's thread costs tens of microseconds on a virtual machine (measured with
// `farol-bench exec -sweep`), more than a short transaction, so a worker only parks
// when the wait looks long (the paper's workers never park).
const idleSpins = 512

// run is the worker loop (paper, Alg. 1: run): perform the task in hand, which may
// hand back a follow-up task, else take the lowest pending task. perform executes or
// validates a version and returns the follow-up task (or taskNone). A worker with
// nothing to do yields, then parks until new work appears; it never runs a task
// blindly.
func (s *scheduler) run(perform func(task) task) {
	var t task
	spins := 0
	for !s.finished() {
		if t.kind != taskNone {
			t = perform(t)
			continue
		}
		seen := s.decreaseCnt.Load()
		if t = s.nextTask(); t.kind != taskNone {
			spins = 0
			continue
		}
		n := int64(s.n)
		if s.executionIdx.Load() < n || s.validationIdx.Load() < n {
			continue // the indices still point at work
		}
		if s.finished() {
			break // nextTask's check found the block done: no yield (it wakes a thread)
		}
		if spins++; spins < idleSpins {
			runtime.Gosched()
			continue
		}
		spins = 0
		s.park(seen)
	}
}
