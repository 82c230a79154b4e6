package wasm

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/farolnet/farol/spn/exec"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// noReuseEngine is an engine that creates an instance for every call (the behaviour
// instance reuse must reproduce).
var noReuseEngine = lazyEngine(Config{ChainID: testChainID, NoInstanceReuse: true})

// TestReuseFreshState calls a module that changes an internal global, a heap byte, a
// data-segment byte and a byte far above the data, grows memory, traps, reverts, runs out of gas and calls itself:
// every call must find the state instantiation leaves, and every receipt must equal
// the one of an engine that creates an instance per call.
func TestReuseFreshState(t *testing.T) {
	fresh := []byte{7, 0, 'A', 1, 0}
	inputs := []string{"x", "x", "g", "x", "t", "x", "r", "x", "o", "x", "n", "x", "n", "x"}
	run := func(e *Engine) []Receipt {
		w := newWorld(t, 1)
		w.e = e
		addr := w.deploy(0, "reuse/state.wasm", nil)
		var out []Receipt
		for _, in := range inputs {
			r := w.runOne(w.signed(0, Tx{Kind: TxCall, To: addr, Data: []byte(in), GasLimit: 1_000_000}))
			r.Err = nil // not part of consensus (wazero's trap text)
			out = append(out, r)
			switch in {
			case "x", "g":
				if r.Status != StatusOK || !bytes.Equal(r.Return, fresh) {
					t.Fatalf("call %q: %v %v, want ok %v", in, r.Status, r.Return, fresh)
				}
			case "n":
				want := append(append(append([]byte(nil), fresh...), fresh...), 8, 1)
				if r.Status != StatusOK || !bytes.Equal(r.Return, want) {
					t.Fatalf("nested call: %v %v, want ok %v", r.Status, r.Return, want)
				}
			case "r":
				if r.Status != StatusReverted || !bytes.Equal(r.Return, fresh) {
					t.Fatalf("revert: %v %v", r.Status, r.Return)
				}
			case "t":
				if r.Status != StatusTrap {
					t.Fatalf("trap: %v", r.Status)
				}
			case "o":
				if r.Status != StatusOutOfGas {
					t.Fatalf("out of gas: %v", r.Status)
				}
			}
		}
		return out
	}
	e := sharedEngine(t)
	got := run(e)
	if n := e.Idle(); n == 0 {
		t.Fatal("no instance kept for reuse")
	}
	want := run(noReuseEngine(t))
	if !reflect.DeepEqual(got, want) {
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("call %d (%q): %+v with reuse, %+v without", i, inputs[i], got[i], want[i])
			}
		}
	}
}

// TestReuseSDKContracts: AssemblyScript and Go contracts whose module state (globals,
// heap, static data, Go's runtime) changes on every call find it fresh on the next.
func TestReuseSDKContracts(t *testing.T) {
	u32s := func(b []byte) []uint64 {
		var out []uint64
		for i := 0; i+4 <= len(b); i += 4 {
			out = append(out, uint64(binary.LittleEndian.Uint32(b[i:])))
		}
		return out
	}
	u64s := func(b []byte) []uint64 {
		var out []uint64
		for i := 0; i+8 <= len(b); i += 8 {
			out = append(out, binary.BigEndian.Uint64(b[i:]))
		}
		return out
	}
	for _, c := range []struct {
		file    string
		inputs  []string
		decode  func([]byte) []uint64
		want    []uint64
		created int64 // instances the calls may create
	}{
		// one for the first call, one after the grow, one after the revert
		{"reuse/leak_as.wasm", []string{"", "", "g", "", "r", "", ""}, u32s, []uint64{1, 1, 1, 1}, 3},
		// Go's runtime grows memory in _initialize on every call: never reused
		{"reuse/leak_go.wasm", []string{"", "", "r", "", ""}, u64s, []uint64{1, 1, 1}, 5},
	} {
		t.Run(c.file, func(t *testing.T) {
			w := newWorld(t, 1)
			addr := w.deploy(0, c.file, nil)
			var gas []uint64
			created := w.e.created.Load()
			for i, in := range c.inputs {
				r := w.call(0, addr, []byte(in))
				if in == "r" {
					if r.Status != StatusReverted {
						t.Fatalf("call %d: %v %v", i, r.Status, r.Err)
					}
					continue
				}
				if r.Status != StatusOK {
					t.Fatalf("call %d: %v %v", i, r.Status, r.Err)
				}
				if got := c.decode(r.Return); !reflect.DeepEqual(got, c.want) {
					t.Fatalf("call %d (%q): %v, want %v", i, in, got, c.want)
				}
				if in == "" {
					gas = append(gas, r.GasUsed)
				}
			}
			if n := w.e.created.Load() - created; n > c.created {
				t.Fatalf("%d instances created for %d calls, want at most %d", n, len(c.inputs), c.created)
			}
			for _, g := range gas[1:] {
				if g != gas[0] {
					t.Fatalf("gas per identical call %v, want all equal", gas)
				}
			}
			// the same via queries, each in one instance after the other
			for i := 0; i < 3; i++ {
				if got := c.decode(w.query(addr, nil)); !reflect.DeepEqual(got, c.want) {
					t.Fatalf("query %d: %v, want %v", i, got, c.want)
				}
			}
		})
	}
}

// TestReusePlan: modules that can change a table or drop a segment are not reused;
// the others get one export per mutable global.
func TestReusePlan(t *testing.T) {
	for _, c := range []struct {
		file    string
		reuse   bool
		globals int
	}{
		{"reuse/state.wasm", true, 4}, // $g, $h, gas, depth
		{"reuse/tables.wasm", false, 0},
		{"reuse/nomem.wasm", true, 3}, // $n, gas, depth
		{"reuse/datadrop.wasm", false, 0},
		{"hostile/write_then_trap.wasm", true, 2},
	} {
		info, err := Instrument(readTestdata(t, c.file), DefaultLimits())
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		_, p := prepare(info.Code)
		if (p != nil) != c.reuse {
			t.Fatalf("%s: reusable %v, want %v", c.file, p != nil, c.reuse)
		}
		if p != nil && len(p.globals) != c.globals {
			t.Fatalf("%s: %d global exports, want %d", c.file, len(p.globals), c.globals)
		}
		// both kinds still run, with the same results as fresh instances
		for _, e := range []*Engine{sharedEngine(t), noReuseEngine(t)} {
			w := newWorld(t, 1)
			w.e = e
			addr := w.deploy(0, c.file, nil)
			for i := 0; i < 2; i++ {
				if r := w.call(0, addr, []byte("x")); r.Status != StatusOK {
					t.Fatalf("%s call %d: %v %v", c.file, i, r.Status, r.Err)
				}
			}
		}
	}
	if _, p := prepare([]byte("\x00asm\x01\x00\x00\x00\x07\x05")); p != nil {
		t.Fatal("truncated module planned for reuse")
	}
}

// TestReuseMemoryBound: modules with more than 4 MiB of initial memory get a new
// instance per call.
func TestReuseMemoryBound(t *testing.T) {
	w := newWorld(t, 1)
	addr := w.deploy(0, "reuse/bigmem.wasm", nil)
	created := w.e.created.Load()
	for i := 0; i < 3; i++ {
		if r := w.call(0, addr, nil); r.Status != StatusOK {
			t.Fatalf("call %d: %v %v", i, r.Status, r.Err)
		}
	}
	if n := w.e.created.Load() - created; n != 3 {
		t.Fatalf("%d instances for 3 calls of a 65-page module", n)
	}
}

// TestReusePooledBound: idle instances are bounded per module and in bytes, and die
// with their compiled module when the LRU releases it.
func TestReusePooledBound(t *testing.T) {
	e, err := New(context.Background(), Config{ChainID: testChainID, MaxCompiled: 1, MaxPooledMemory: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	w := newWorld(t, 1)
	w.e = e
	addr := w.deploy(0, "as_counter.wasm", nil)
	w.call(0, addr, []byte{0})
	if n := e.Idle(); n != 0 {
		t.Fatalf("%d idle instances with a 1-byte bound", n)
	}

	e2, err := New(context.Background(), Config{ChainID: testChainID, MaxCompiled: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(context.Background())
	w.e = e2
	w.call(0, addr, []byte{0})
	if n := e2.Idle(); n != 1 {
		t.Fatalf("%d idle instances after one call, want 1", n)
	}
	// parallel calls never keep more than maxIdlePerCode
	var wg sync.WaitGroup
	for g := 0; g < 3*maxIdlePerCode; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if _, _, err := e2.Query(context.Background(), w.state, BlockInfo{}, Address{}, addr, []byte{1}, 1e8); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := e2.Idle(); n < 1 || n > maxIdlePerCode {
		t.Fatalf("%d idle instances, want 1..%d", n, maxIdlePerCode)
	}
	w.deploy(0, "as_token.wasm", u64(1)) // a second module: the counter's is released
	if n, c := e2.Idle(), e2.Compiled(); c != 1 || n > 1 {
		t.Fatalf("%d compiled modules and %d idle instances after eviction", c, n)
	}
	e2.mu.Lock()
	idleBytes := e2.idleBytes
	e2.mu.Unlock()
	if want := e2.Idle() * (64<<10 + instanceOverhead); idleBytes != want {
		t.Fatalf("idle bytes %d, want %d", idleBytes, want)
	}
}

// TestReuseEqualsFresh runs random blocks (the parallel test's mix: tokens in both
// SDKs, an AMM, reverts, traps, out of gas) on an engine that reuses instances, at 1
// and 2 workers, and on one that creates an instance per call: the writes, receipts
// (gas included) and block gas are equal.
func TestReuseEqualsFresh(t *testing.T) {
	w := newMixWorld(t, 16)
	fresh := noReuseEngine(t)
	for seed := uint64(0); seed < 4; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		b := w.block(w.randomBlock(rng, 60, []float64{0, 0.5}[seed%2], 2)...)
		want, err := fresh.ExecuteBlock(context.Background(), b, w.state, exec.Config{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, cfg := range []exec.Config{{Workers: 1}, {Workers: 2, ForceParallel: true, MinParallel: -1}} {
			got, err := w.e.ExecuteBlock(context.Background(), b, w.state, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(outcome(got), outcome(want)) || got.GasUsed != want.GasUsed {
				t.Fatalf("seed %d, %d workers: result with instance reuse differs", seed, cfg.Workers)
			}
		}
		Apply(w.state, want.Writes)
	}
	if w.e.Idle() == 0 {
		t.Fatal("no instance kept for reuse")
	}
}

// dataSection encodes active segments (offset, bytes) in memory 0.
func dataSection(segs ...any) []byte {
	b := appendU32(nil, uint32(len(segs)/2))
	for i := 0; i < len(segs); i += 2 {
		b = append(b, 0, opI32Const)
		b = appendS64(b, int64(int32(uint32(segs[i].(int)))))
		b = append(b, opEnd)
		d := []byte(segs[i+1].(string))
		b = appendU32(b, uint32(len(d)))
		b = append(b, d...)
	}
	return b
}

func TestMergeData(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    []byte
		count uint32 // 0: not merged
		want  []byte
	}{
		{"adjacent and near", dataSection(0, "ab", 2, "cd", 10, "e"), 1, dataSection(0, "abcd\x00\x00\x00\x00\x00\x00e")},
		{"far apart", dataSection(0, "ab", 2, "c", 2000, "d"), 2, dataSection(0, "abc", 2000, "d")},
		{"overlapping", dataSection(0, "abc", 2, "d"), 0, nil},
		{"out of order", dataSection(10, "a", 0, "b"), 1, dataSection(0, "b\x00\x00\x00\x00\x00\x00\x00\x00\x00a")},
		{"out of order, overlapping", dataSection(10, "a", 0, "bbbbbbbbbbb"), 0, nil},
		{"empty inside another", dataSection(0, "abc", 1, ""), 0, nil},
		{"one segment", dataSection(5, "a"), 0, nil},
		{"nothing to merge", dataSection(0, "a", 5000, "b"), 0, nil},
		{"high offset", dataSection(-16, "ab", -14, "cd"), 1, dataSection(-16, "abcd")},
		{"passive", []byte{2, 1, 1, 'a', 1, 1, 'b'}, 0, nil},
	} {
		got, n := mergeData(c.in)
		if n != c.count || !bytes.Equal(got, c.want) {
			t.Errorf("%s: %d segments %x, want %d %x", c.name, n, got, c.count, c.want)
		}
	}
	// 100,000 one-byte segments 1 KiB apart: at most the section's size plus 1 MiB of
	// zeros is inserted (not 100 MB)
	var segs []any
	for i := 0; i < 100_000; i++ {
		segs = append(segs, i*(maxDataGap+1), "x")
	}
	in := dataSection(segs...)
	got, n := mergeData(in)
	if n == 0 || len(got) > 2*len(in)+maxDataZeros+64*int(n) {
		t.Fatalf("%d segments of %d bytes merged into %d segments of %d bytes", 100_000, len(in), n, len(got))
	}
}

// TestPreparedModules: for every example and test contract, the module the engine
// compiles instantiates to the same memory and globals as the stored code, and Go's
// thousands of data segments are merged.
func TestPreparedModules(t *testing.T) {
	e := sharedEngine(t)
	ctx := context.Background()
	// wazero's interpreter instantiates as the compiler does and compiles in a fraction
	// of the time
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
	defer rt.Close(ctx)
	if err := registerHost(ctx, rt); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"as_counter.wasm", "as_token.wasm", "as_amm.wasm", "go_counter.wasm", "reuse/state.wasm", "reuse/nomem.wasm", "reuse/datadrop.wasm", "reuse/tables.wasm", "hostile/write_then_trap.wasm"} {
		info, err := Instrument(readTestdata(t, f), DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		exe, plan := prepare(info.Code)
		var mems [2][]byte
		var globals [2][]uint64
		for i, code := range [][]byte{info.Code, exe} {
			cm, err := rt.CompileModule(ctx, code)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			mod, err := rt.InstantiateModule(ctx, cm, e.modCfg)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if m := memoryOf(mod); m != nil {
				b, _ := m.Read(0, m.Size())
				mems[i] = append([]byte(nil), b...)
			}
			for _, name := range []string{gasGlobalExport, depthGlobalExport} {
				globals[i] = append(globals[i], mod.ExportedGlobal(name).Get())
			}
			mod.Close(ctx)
			cm.Close(ctx)
		}
		if !bytes.Equal(mems[0], mems[1]) || !reflect.DeepEqual(globals[0], globals[1]) {
			t.Fatalf("%s: prepared module instantiates differently", f)
		}
		if strings.HasPrefix(f, "go_") {
			segs := func(code []byte) uint32 {
				r := &reader{b: code, pos: 8}
				for r.pos < len(code) {
					id, _ := r.byte()
					size, _ := r.u32()
					body, _ := r.bytes(size)
					if id == secData {
						n, _ := (&reader{b: body}).u32()
						return n
					}
				}
				return 0
			}
			before, after := segs(info.Code), segs(exe)
			t.Logf("%s: %d data segments, %d after merging; %d → %d bytes", f, before, after, len(info.Code), len(exe))
			if after*10 > before {
				t.Fatalf("%s: %d data segments merged into %d", f, before, after)
			}
		}
		if (plan != nil) != (f != "reuse/datadrop.wasm" && f != "reuse/tables.wasm") {
			t.Fatalf("%s: reuse plan %v", f, plan != nil)
		}
	}
}

// TestEnvCache: a block's env loads a module once and keeps it acquired, takes back
// the instance its last call finished without going to the engine, and hands both
// back when the block ends; a query's env keeps nothing. A block of calls to two
// contracts on two workers then leaves no module acquired and its instances idle in
// the engine.
func TestEnvCache(t *testing.T) {
	ctx := context.Background()
	e, err := New(ctx, Config{ChainID: testChainID})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	w := newWorld(t, 8)
	w.e = e
	ctr := w.deploy(0, "as_counter.wasm", u64(1))
	tok := w.deploy(0, "as_token.wasm", u64(1000))
	refs := func() (n int) {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, c := range e.compiled {
			n += c.refs
		}
		return n
	}
	hashOf := func(a Address) [32]byte { return [32]byte(w.state[string(ContractKey(a))]) }

	st := newTxState(nil) // the modules are compiled: load reads no state
	vm := &blockVM{e: e, ctx: e.callContext(ctx)}
	ev := vm.env(st, w.addrs[0])
	c, err := ev.load(hashOf(ctr))
	if err != nil {
		t.Fatal(err)
	}
	if again, err := ev.load(hashOf(ctr)); err != nil || again != c {
		t.Fatalf("second load: %p %v, want the kept %p", again, err, c)
	}
	ev.release(c)
	ev.release(c)
	if n := refs(); n != 1 {
		t.Fatalf("%d acquisitions while the env keeps one module, want 1", n)
	}
	in, err := ev.instance(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	idle := e.Idle()
	ev.putInstance(ctx, c, in, true)
	if e.Idle() != idle {
		t.Fatal("the finished instance went to the engine, not the env")
	}
	if again, err := ev.instance(ctx, c); err != nil || again != in {
		t.Fatalf("next instance: %p %v, want the kept %p", again, err, in)
	} else {
		ev.putInstance(ctx, c, again, true)
	}
	// The env keeps envKeptInstances at most; the others go to the engine.
	var ins []*instance
	for range envKeptInstances + 1 {
		in, err := ev.instance(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, in)
	}
	idle = e.Idle()
	for _, in := range ins {
		ev.putInstance(ctx, c, in, true)
	}
	if len(ev.cache.idle) != envKeptInstances || e.Idle() != idle+1 || ev.cache.bytes != envKeptInstances*in.cost {
		t.Fatalf("env keeps %d instances (%d bytes), engine got %d; want %d (%d bytes) and 1",
			len(ev.cache.idle), ev.cache.bytes, e.Idle()-idle, envKeptInstances, envKeptInstances*in.cost)
	}
	// An instance that would take the env over envKeptBytes goes to the engine.
	big, err := ev.instance(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	big.cost = envKeptBytes
	idle = e.Idle()
	ev.putInstance(ctx, c, big, true)
	if e.Idle() != idle+1 {
		t.Fatal("the env kept an instance beyond its byte bound")
	}
	idle = e.Idle()
	vm.flush()
	if n := refs(); n != 0 {
		t.Fatalf("%d acquisitions after the block ended, want 0", n)
	}
	if len(ev.cache.codes)+len(ev.cache.idle) != 0 || ev.cache.bytes != 0 || e.Idle() != idle+envKeptInstances-1 {
		t.Fatalf("after the block: env keeps %d modules and %d instances, engine %d idle (was %d)",
			len(ev.cache.codes), len(ev.cache.idle), e.Idle(), idle)
	}

	q := newEnv(e, e.callContext(ctx), st, &BlockInfo{}, Address{})
	if c, err = q.load(hashOf(tok)); err != nil {
		t.Fatal(err)
	}
	if len(q.cache.codes) != 0 {
		t.Fatal("a query's env kept a module")
	}
	q.release(c)

	var txs [][]byte
	for i := 0; i < 40; i++ {
		if i%2 == 0 {
			txs = append(txs, w.callTx(i%8, ctr, []byte{0}))
		} else {
			txs = append(txs, w.callTx(0, tok, tokTransfer(w.addrs[1+i%7], 1)))
		}
	}
	res, err := e.ExecuteBlock(ctx, w.block(txs...), w.state, exec.Config{Workers: 2, ForceParallel: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.Receipts {
		if r.Status != StatusOK {
			t.Fatalf("tx %d: %v %v", i, r.Status, r.Err)
		}
	}
	if n := refs(); n != 0 {
		t.Fatalf("%d acquisitions after a 2-worker block, want 0", n)
	}
	if e.Idle() < 2 {
		t.Fatalf("%d idle instances after the block, want one per module at least", e.Idle())
	}
}
