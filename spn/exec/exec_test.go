package exec_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/exec/exectest"
)

var long = flag.Bool("long", os.Getenv("FAROL_LONG") != "", "run the long property tests (thousands of seeds); also FAROL_LONG=1")

// seeds returns the number of random blocks of a property test.
func seeds(short, long_ int) int {
	if *long {
		return long_
	}
	if testing.Short() {
		return short / 4
	}
	return short
}

// sameOutput fails t unless got equals want (writes, results and errors; not counters).
func sameOutput(t *testing.T, what string, want, got *exec.Output[exectest.Result]) {
	t.Helper()
	if len(want.Writes) != len(got.Writes) {
		t.Fatalf("%s: %d writes, want %d", what, len(got.Writes), len(want.Writes))
	}
	for i := range want.Writes {
		w, g := want.Writes[i], got.Writes[i]
		if w.Key != g.Key || !bytes.Equal(w.Value, g.Value) || (w.Value == nil) != (g.Value == nil) {
			t.Fatalf("%s: write %d = %q:%x, want %q:%x", what, i, g.Key, g.Value, w.Key, w.Value)
		}
	}
	if len(want.Results) != len(got.Results) {
		t.Fatalf("%s: %d results, want %d", what, len(got.Results), len(want.Results))
	}
	for i := range want.Results {
		w, g := want.Results[i], got.Results[i]
		if w.Result != g.Result || errString(w.Err) != errString(g.Err) {
			t.Fatalf("%s: tx %d = %+v, %v; want %+v, %v", what, i, g.Result, g.Err, w.Result, w.Err)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// check executes b sequentially, compares with the reference interpreter, then with
// parallel execution under each configuration.
func check(t *testing.T, name string, b *exectest.Block, cfgs ...exec.Config) {
	t.Helper()
	ctx := context.Background()
	vm := exectest.VM{B: b}
	seq, err := exec.ExecuteSequential(ctx, vm, len(b.Txs), b.Base, exec.Config{})
	refW, refR, refErr := exectest.Reference(b)
	if errString(err) != errString(refErr) {
		t.Fatalf("%s: sequential error %v, reference error %v", name, err, refErr)
	}
	if err == nil {
		sameOutput(t, name+": sequential vs reference", &exec.Output[exectest.Result]{Writes: refW, Results: refR}, seq)
	}
	for _, cfg := range cfgs {
		par, perr := exec.Execute(ctx, vm, len(b.Txs), b.Base, cfg)
		what := fmt.Sprintf("%s: workers=%d force=%v", name, cfg.Workers, cfg.ForceParallel)
		if errString(perr) != errString(err) {
			t.Fatalf("%s: error %v, sequential error %v", what, perr, err)
		}
		if perr != nil {
			continue
		}
		sameOutput(t, what, seq, par)
		checkStats(t, what, par)
	}
}

func checkStats(t *testing.T, what string, out *exec.Output[exectest.Result]) {
	t.Helper()
	for i, r := range out.Results {
		if r.Stats.Executions == 0 {
			t.Fatalf("%s: tx %d never executed", what, i)
		}
	}
}

func forced(workers int) exec.Config {
	return exec.Config{Workers: workers, ForceParallel: true, MinParallel: -1}
}

// TestPropertyParallelEqualsSequential runs random blocks (2 to 10,000 keys, 0-100%
// hot operations, reads, writes, deletes, deltas, failing and panicking transactions)
// with 1 to 8 workers and checks that the output equals sequential execution, which is
// itself checked against an independent reference interpreter.
func TestPropertyParallelEqualsSequential(t *testing.T) {
	n := seeds(300, 5000)
	start := time.Now()
	for seed := 0; seed < n; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 1))
		p := exectest.RandomParams(r, 200)
		b := exectest.Random(r, p)
		w := 1 + seed%8
		cfgs := []exec.Config{forced(w), {Workers: w}}
		if *long {
			cfgs = nil
			for w := 1; w <= 8; w++ {
				cfgs = append(cfgs, forced(w))
			}
			cfgs = append(cfgs, exec.Config{Workers: 2})
		}
		check(t, fmt.Sprintf("seed %d (%+v)", seed, p), b, cfgs...)
	}
	t.Logf("%d seeds in %v", n, time.Since(start))
}

// TestPropertyChainFallbackTail forces the switch to the sequential tail after a
// random number of executions, so the prefix/tail hand-over is checked at arbitrary
// points of random blocks.
func TestPropertyChainFallbackTail(t *testing.T) {
	n := seeds(150, 2000)
	for seed := 0; seed < n; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 2))
		p := exectest.RandomParams(r, 150)
		b := exectest.Random(r, p)
		cfg := exec.WithStopAfter(forced(2+seed%3), int64(1+r.IntN(len(b.Txs)+1)))
		check(t, fmt.Sprintf("seed %d", seed), b, cfg)
	}
}

func TestShapes(t *testing.T) {
	mk := func(txs int, op func(i int) []exectest.Op) *exectest.Block {
		b := &exectest.Block{Base: exec.MapStorage{}, Txs: make([]exectest.Tx, txs)}
		for i := 0; i < 2*txs+1; i++ {
			b.Keys = append(b.Keys, fmt.Sprintf("key%05d", i))
		}
		for i := range b.Txs {
			b.Txs[i].Ops = op(i)
		}
		return b
	}
	work := exectest.Op{Kind: exectest.OpWork, Work: 500}
	cases := []struct {
		name string
		b    *exectest.Block
	}{
		{"worst-case-one-key", mk(300, func(i int) []exectest.Op {
			return []exectest.Op{{Kind: exectest.OpRead, Key: 0}, work, {Kind: exectest.OpWrite, Key: 0}}
		})},
		{"no-conflict", mk(300, func(i int) []exectest.Op {
			k := int32(i + 1)
			return []exectest.Op{{Kind: exectest.OpRead, Key: k}, work, {Kind: exectest.OpWrite, Key: k}}
		})},
		{"dependency-chain", mk(300, func(i int) []exectest.Op { // tx i reads what tx i-1 wrote
			return []exectest.Op{{Kind: exectest.OpRead, Key: int32(i)}, work, {Kind: exectest.OpWrite, Key: int32(i + 1)}}
		})},
		{"deltas-only", mk(300, func(i int) []exectest.Op {
			return []exectest.Op{work, {Kind: exectest.OpDelta, Key: 0, Amount: uint64(i)}}
		})},
		{"deltas-and-readers", mk(300, func(i int) []exectest.Op {
			if i%25 == 24 {
				return []exectest.Op{{Kind: exectest.OpReadNumeric, Key: 0}, work, {Kind: exectest.OpWrite, Key: int32(i + 1)}}
			}
			return []exectest.Op{work, {Kind: exectest.OpDelta, Key: 0, Amount: uint64(i)}}
		})},
		{"all-failing", func() *exectest.Block {
			b := mk(200, func(i int) []exectest.Op {
				return []exectest.Op{{Kind: exectest.OpRead, Key: int32(i % 7)}, work, {Kind: exectest.OpWrite, Key: int32(i % 5)}}
			})
			for i := range b.Txs {
				b.Txs[i].FailMod = 1
			}
			return b
		}()},
		{"all-panicking", func() *exectest.Block {
			b := mk(200, func(i int) []exectest.Op {
				return []exectest.Op{{Kind: exectest.OpRead, Key: int32(i % 7)}, {Kind: exectest.OpWrite, Key: int32(i % 5)}}
			})
			for i := range b.Txs {
				b.Txs[i].PanicMod = 1
			}
			return b
		}()},
		{"empty", mk(0, nil)},
		{"one-tx", mk(1, func(i int) []exectest.Op { return []exectest.Op{{Kind: exectest.OpWrite, Key: 0}} })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cfgs []exec.Config
			for w := 1; w <= 8; w++ {
				cfgs = append(cfgs, forced(w))
				nf := forced(w)
				nf.NoChainFallback = true
				cfgs = append(cfgs, nf)
			}
			for i := 0; i < 5; i++ {
				check(t, c.name, c.b, cfgs...)
			}
		})
	}
}

func TestChainFallbackTriggers(t *testing.T) {
	b, err := exectest.Workload("hot-100", 500, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Execute(context.Background(), exectest.VM{B: b}, len(b.Txs), b.Base, exec.Config{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	// Timing decides whether the detector fires; the output must be right either way.
	t.Logf("mode %v, sequential from %d, stats %+v", out.Stats.Mode, out.Stats.SequentialFrom, out.Stats.TxStats)
	check(t, "hot-100", b, exec.Config{Workers: 4})
}

type failingStorage struct{}

func (failingStorage) Get(key string) ([]byte, error) { return nil, errors.New("disk on fire") }

func TestStorageErrorFailsBlock(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	b := exectest.Random(r, exectest.Params{Txs: 100, Keys: 10, OpsMin: 3, OpsMax: 3, WRead: 1, WWrite: 1})
	for _, cfg := range []exec.Config{{}, forced(1), forced(4)} {
		_, err := exec.Execute(context.Background(), exectest.VM{B: b}, len(b.Txs), failingStorage{}, cfg)
		if !errors.Is(err, exec.ErrStorage) {
			t.Fatalf("workers %d: err = %v, want ErrStorage", cfg.Workers, err)
		}
	}
}

func TestCancel(t *testing.T) {
	b, _ := exectest.Workload("no-conflict", 2000, 2000, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, cfg := range []exec.Config{{Workers: 1}, forced(2)} {
		if _, err := exec.Execute(ctx, exectest.VM{B: b}, len(b.Txs), b.Base, cfg); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if _, err := exec.Execute(ctx, exectest.VM{B: b}, len(b.Txs), b.Base, forced(2)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestInvalidBlock(t *testing.T) {
	vm := exectest.VM{B: &exectest.Block{}}
	for _, err := range []error{
		func() error {
			_, err := exec.Execute[exectest.Result](context.Background(), nil, 0, exec.MapStorage{}, exec.Config{})
			return err
		}(),
		func() error { _, err := exec.Execute(context.Background(), vm, 0, nil, exec.Config{}); return err }(),
		func() error {
			_, err := exec.Execute(context.Background(), vm, -1, exec.MapStorage{}, exec.Config{})
			return err
		}(),
	} {
		if !errors.Is(err, exec.ErrInvalidBlock) {
			t.Fatalf("err = %v, want ErrInvalidBlock", err)
		}
	}
}

// transferVM moves value between two accounts whose sum is constant; it panics if it
// ever sees a sum that is not, which only speculative (inconsistent) state can show.
type transferVM struct{ pairs [][2]string }

const total = 1000

func (vm transferVM) Execute(i int, v exec.View) (uint64, error) {
	p := vm.pairs[i]
	a, err := v.ReadNumeric(p[0])
	if err != nil {
		return 0, err
	}
	b, err := v.ReadNumeric(p[1])
	if err != nil {
		return 0, err
	}
	if a.Add(b) != exec.U256From64(total) {
		panic(fmt.Sprintf("inconsistent state: %v + %v", a, b))
	}
	amt := exec.U256From64(uint64(i % 3))
	if a[0] < amt[0] {
		return 0, errors.New("insufficient funds")
	}
	codec := exec.BigEndian32{}
	v.Write(p[0], codec.EncodeNumeric(a.Sub(amt)))
	v.Write(p[1], codec.EncodeNumeric(b.Add(amt)))
	return a[0], nil
}

// TestSpeculativePanicIsNotFinal: panics caused by inconsistent speculative reads
// must be discarded with their incarnation; only validated results are reported.
func TestSpeculativePanicIsNotFinal(t *testing.T) {
	base := exec.MapStorage{"a": exec.BigEndian32{}.EncodeNumeric(exec.U256From64(total))}
	r := rand.New(rand.NewPCG(3, 3))
	vm := transferVM{}
	for i := 0; i < 400; i++ {
		// all pairs are (a, b) or (b, a) so the sum a+b is invariant
		if r.IntN(2) == 0 {
			vm.pairs = append(vm.pairs, [2]string{"a", "b"})
		} else {
			vm.pairs = append(vm.pairs, [2]string{"b", "a"})
		}
	}
	for k := 0; k < 20; k++ {
		for _, cfg := range []exec.Config{forced(2), forced(4), {Workers: 8, NoChainFallback: true, ForceParallel: true}} {
			out, err := exec.Execute(context.Background(), vm, len(vm.pairs), base, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, res := range out.Results {
				if errors.Is(res.Err, exec.ErrPanic) {
					t.Fatalf("tx %d: speculative panic reported: %v", i, res.Err)
				}
			}
			seq, _ := exec.ExecuteSequential(context.Background(), vm, len(vm.pairs), base, exec.Config{})
			for i := range seq.Results {
				if seq.Results[i].Result != out.Results[i].Result || errString(seq.Results[i].Err) != errString(out.Results[i].Err) {
					t.Fatalf("tx %d differs", i)
				}
			}
		}
	}
}

// TestDeltaReaderSeesExactValue: a transaction reading a key that lower transactions
// only added to sees the base value plus every lower delta.
func TestDeltaReaderSeesExactValue(t *testing.T) {
	codec := exec.BigEndian32{}
	base := exec.MapStorage{"fees": codec.EncodeNumeric(exec.U256From64(1000))}
	const n = 500
	vm := exec.VMFunc[uint64](func(i int, v exec.View) (uint64, error) {
		if i%100 == 99 {
			x, err := v.ReadNumeric("fees")
			return x[0], err
		}
		return 0, v.AddDelta("fees", exec.U256From64(uint64(i)))
	})
	for _, cfg := range []exec.Config{forced(1), forced(2), forced(8)} {
		out, err := exec.Execute(context.Background(), vm, n, base, cfg)
		if err != nil {
			t.Fatal(err)
		}
		sum := uint64(1000)
		for i := 0; i < n; i++ {
			if i%100 == 99 {
				if got := out.Results[i].Result; got != sum {
					t.Fatalf("tx %d read %d, want %d", i, got, sum)
				}
				continue
			}
			sum += uint64(i)
		}
		want := codec.EncodeNumeric(exec.U256From64(sum))
		if len(out.Writes) != 1 || !bytes.Equal(out.Writes[0].Value, want) {
			t.Fatalf("writes = %v, want fees=%d", out.Writes, sum)
		}
	}
}

// prepVM fails a transaction executed before its Prepare chunk finished.
type prepVM struct {
	exectest.VM
	prepared []atomic.Bool
}

func (v *prepVM) Execute(tx int, view exec.View) (exectest.Result, error) {
	if !v.prepared[tx].Load() {
		return exectest.Result{}, fmt.Errorf("tx %d executed before it was prepared", tx)
	}
	return v.VM.Execute(tx, view)
}

// TestPrepare: Config.Prepare covers every transaction exactly once, in chunks of at
// most PrepareChunk, and finishes before any transaction executes, on the sequential
// path and on Block-STM (also when the chain fallback ends the block sequentially);
// the output is the one without Prepare.
func TestPrepare(t *testing.T) {
	ctx := context.Background()
	for _, shape := range []string{"no-conflict", "hot-100"} {
		b, err := exectest.Workload(shape, 500, 200, 3)
		if err != nil {
			t.Fatal(err)
		}
		want, err := exec.ExecuteSequential(ctx, exectest.VM{B: b}, len(b.Txs), b.Base, exec.Config{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cfg := range []exec.Config{{Workers: 1}, {Workers: 2}, forced(1), forced(2), forced(4)} {
			what := fmt.Sprintf("%s workers=%d force=%v", shape, cfg.Workers, cfg.ForceParallel)
			vm := &prepVM{VM: exectest.VM{B: b}, prepared: make([]atomic.Bool, len(b.Txs))}
			calls := make([]atomic.Int32, len(b.Txs))
			cfg.PrepareChunk = 7
			cfg.Prepare = func(lo, hi int) {
				if hi-lo > 7 || lo >= hi {
					t.Errorf("%s: chunk [%d, %d)", what, lo, hi)
				}
				time.Sleep(time.Duration(hi-lo) * time.Microsecond) // let the other goroutines get ahead
				for i := lo; i < hi; i++ {
					calls[i].Add(1)
					vm.prepared[i].Store(true)
				}
			}
			got, err := exec.Execute(ctx, vm, len(b.Txs), b.Base, cfg)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			for i := range calls {
				if c := calls[i].Load(); c != 1 {
					t.Fatalf("%s: tx %d prepared %d times", what, i, c)
				}
			}
			sameOutput(t, what, want, got)
		}
	}
}

// TestPrepareWorker: Config.PrepareWorker replaces Prepare; it is called once per
// executing goroutine (once on the sequential path), and nothing executes before the
// preparation it shares out is done; the output is the one without it.
func TestPrepareWorker(t *testing.T) {
	ctx := context.Background()
	b, err := exectest.Workload("no-conflict", 500, 200, 3)
	if err != nil {
		t.Fatal(err)
	}
	want, err := exec.ExecuteSequential(ctx, exectest.VM{B: b}, len(b.Txs), b.Base, exec.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []exec.Config{{Workers: 1}, {Workers: 2}, forced(1), forced(2), forced(4)} {
		what := fmt.Sprintf("workers=%d force=%v", cfg.Workers, cfg.ForceParallel)
		vm := &prepVM{VM: exectest.VM{B: b}, prepared: make([]atomic.Bool, len(b.Txs))}
		var next, done, calls atomic.Int64
		n := int64(len(b.Txs))
		cfg.Prepare = func(lo, hi int) { t.Errorf("%s: Prepare called with PrepareWorker set", what) }
		cfg.PrepareWorker = func() {
			calls.Add(1)
			for {
				i := next.Add(1) - 1
				if i >= n {
					break
				}
				time.Sleep(time.Microsecond) // let the other goroutines get ahead
				vm.prepared[i].Store(true)
				done.Add(1)
			}
			for done.Load() < n {
				runtime.Gosched()
			}
		}
		got, err := exec.Execute(ctx, vm, len(b.Txs), b.Base, cfg)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if c := calls.Load(); c < 1 || c > int64(max(cfg.Workers, 1)) {
			t.Fatalf("%s: PrepareWorker called %d times", what, c)
		}
		sameOutput(t, what, want, got)
	}
}
