package exec

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hammer drives the real scheduler with a fake VM that suspends on random lower
// transactions, reports random wrote-new-location flags and fails random validations,
// and checks the scheduler's invariants.
type hammer struct {
	t       *testing.T
	s       *scheduler
	clock   atomic.Int64 // logical time
	running []atomic.Int32
	lastInc []atomic.Int64
	budget  []atomic.Int32 // suspensions + aborts a tx may still cause (termination)

	mu          sync.Mutex
	lastExecEnd []int64 // end of the last execution that wrote a new location
	lastAbort   []int64 // last failed validation
	finalValid  []int64 // start of the last successful validation of the current incarnation
	finalInc    []int
	executions  []int
}

func newHammer(t *testing.T, n int, budget int32) *hammer {
	h := &hammer{t: t, s: newScheduler(n), running: make([]atomic.Int32, n), lastInc: make([]atomic.Int64, n),
		budget: make([]atomic.Int32, n), lastExecEnd: make([]int64, n), lastAbort: make([]int64, n),
		finalValid: make([]int64, n), finalInc: make([]int, n), executions: make([]int, n)}
	for i := range h.budget {
		h.budget[i].Store(budget)
		h.lastInc[i].Store(-1)
	}
	return h
}

func (h *hammer) perform(r *rand.Rand, t task) task {
	if t.kind == taskValidate {
		start := h.clock.Add(1)
		fail := r.IntN(4) == 0 && h.budget[t.tx].Add(-1) >= 0
		aborted := fail && h.s.tryValidationAbort(t.tx, t.inc)
		h.mu.Lock()
		if aborted {
			h.lastAbort[t.tx] = h.clock.Add(1)
		} else if !fail && t.inc == h.finalInc[t.tx] {
			h.finalValid[t.tx] = max(h.finalValid[t.tx], start)
		}
		h.mu.Unlock()
		return h.s.finishValidation(t.tx, aborted)
	}
	if !h.running[t.tx].CompareAndSwap(0, 1) {
		h.t.Errorf("tx %d executed by two workers at once", t.tx)
	}
	if prev := h.lastInc[t.tx].Swap(int64(t.inc)); int64(t.inc) < prev {
		h.t.Errorf("tx %d: incarnation %d after %d", t.tx, t.inc, prev)
	}
	if r.IntN(3) == 0 {
		time.Sleep(time.Duration(r.IntN(20)) * time.Microsecond)
	}
	for t.tx > 0 && r.IntN(3) == 0 && h.budget[t.tx].Add(-1) >= 0 {
		blocker := r.IntN(t.tx)
		// Once the dependency is added, the blocker may finish and another worker
		// start the transaction's next incarnation before this one returns: the
		// transaction stops running here first (marking it after addDependency was a
		// false "executed by two workers" report, seen under load).
		h.running[t.tx].Store(0)
		if h.s.addDependency(t.tx, blocker) {
			return task{}
		}
		if !h.running[t.tx].CompareAndSwap(0, 1) {
			h.t.Errorf("tx %d executed by two workers at once", t.tx)
		}
	}
	wroteNew := r.IntN(3) == 0
	h.mu.Lock()
	h.executions[t.tx]++
	h.finalInc[t.tx] = t.inc
	h.finalValid[t.tx] = 0
	if wroteNew {
		h.lastExecEnd[t.tx] = h.clock.Add(1)
	}
	h.mu.Unlock()
	h.running[t.tx].Store(0)
	return h.s.finishExecution(t.tx, t.inc, wroteNew)
}

// TestSchedulerHammer runs the scheduler under many goroutines and checks: it
// terminates; no transaction runs twice at once; incarnations only grow; at the end
// every transaction is EXECUTED with no suspended dependents and no active task; and
// the last incarnation of every transaction was validated successfully after the last
// abort of, and the last new-location write by, every lower transaction.
func TestSchedulerHammer(t *testing.T) {
	rounds := 120
	if testing.Short() {
		rounds = 12
	}
	for round := 0; round < rounds; round++ {
		n := []int{1, 2, 3, 10, 100, 400}[round%6]
		workers := 1 + round%8
		h := newHammer(t, n, int32(round%5))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				h.s.run(func(t task) task { return h.perform(r, t) })
			}()
		}
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-time.After(60 * time.Second):
			t.Fatalf("round %d: scheduler did not terminate", round)
		}
		if !h.s.done.Load() || h.s.numActive.Load() != 0 {
			t.Fatalf("round %d: done=%v active=%d", round, h.s.done.Load(), h.s.numActive.Load())
		}
		var maxMark int64
		for i := 0; i < n; i++ {
			st := &h.s.txs[i]
			if st.status != statusExecuted || len(st.deps) != 0 || h.executions[i] == 0 {
				t.Fatalf("round %d: tx %d status %d deps %v executions %d", round, i, st.status, st.deps, h.executions[i])
			}
			if h.finalValid[i] == 0 || h.finalValid[i] < maxMark {
				t.Fatalf("round %d: tx %d last validated at %d, lower txs changed at %d", round, i, h.finalValid[i], maxMark)
			}
			maxMark = max(maxMark, h.lastExecEnd[i], h.lastAbort[i])
		}
	}
}
