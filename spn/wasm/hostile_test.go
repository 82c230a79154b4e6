package wasm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/farolnet/farol/spn/exec"
)

// tinyModule assembles a module with one function "call" of type [] -> [] whose body is
// body (locals declarations included).
func tinyModule(body []byte) []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	sec := func(id byte, c []byte) { b = append(b, id); b = appendU32(b, uint32(len(c))); b = append(b, c...) }
	sec(secType, []byte{1, 0x60, 0, 0})
	sec(secFunction, []byte{1, 0})
	sec(secExport, []byte{1, 4, 'c', 'a', 'l', 'l', 0, 0})
	code := appendU32([]byte{1}, uint32(len(body)))
	sec(secCode, append(code, body...))
	return b
}

func TestUploadRefused(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxInstrumentedSize = 1 << 20                                    // the bomb below is 120 KB and would grow to ~2 MB
	manyLocals := tinyModule([]byte{1, 0xa0, 0x8d, 0x06, valI32, opEnd}) // 100000 locals
	deepBlocks := append([]byte{0}, bytes.Repeat([]byte{opBlock, 0x40}, 10)...)
	cases := []struct {
		name string
		code []byte
		want error
	}{
		{"forbidden import", readTestdata(t, "hostile/forbidden_import.wasm"), ErrForbiddenImport},
		{"wrong import signature", readTestdata(t, "hostile/wrong_signature.wasm"), ErrForbiddenImport},
		{"imported memory", readTestdata(t, "hostile/imported_memory.wasm"), ErrForbiddenImport},
		{"start section", readTestdata(t, "hostile/start.wasm"), ErrForbiddenFeature},
		{"no call export", readTestdata(t, "hostile/no_call.wasm"), ErrMissingExport},
		{"simd", readTestdata(t, "hostile/simd.wasm"), ErrForbiddenFeature},
		{"threads", readTestdata(t, "hostile/atomics.wasm"), ErrForbiddenFeature},
		{"too many locals", manyLocals, ErrLimit},
		{"body without end", tinyModule(deepBlocks), ErrMalformed},
		{"bad magic", []byte("\x00wasm\x01\x00\x00\x00"), ErrMalformed},
		{"truncated", readTestdata(t, "as_token.wasm")[:1000], ErrMalformed},
		{"oversized", make([]byte, lim.MaxCodeSize+1), ErrCodeTooLarge},
		{"float call export", tinyModuleFloatExport(), ErrMissingExport},
		{"instrumentation bomb", tinyModule(append(append([]byte{0}, bytes.Repeat([]byte{opBlock, 0x40, opEnd}, 40000)...), opEnd)), ErrLimit},
		{"compilation bomb", compileBomb(), ErrLimit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Instrument(c.code, lim)
			if !errors.Is(err, c.want) {
				t.Fatalf("Instrument: %v, want %v", err, c.want)
			}
			if len(c.code) > MaxTxData {
				return
			}
			w := newWorld(t, 1)
			before := snapshotState(w)
			r := w.runOne(w.signed(0, Tx{Kind: TxUpload, Data: c.code, GasLimit: 100_000_000}))
			if r.Status != StatusInvalidCode || !errors.Is(r.Err, c.want) {
				t.Fatalf("upload tx: %v %v", r.Status, r.Err)
			}
			checkOnlyFeeAndNonce(t, w, before)
		})
	}
}

// compileBomb has 16 functions of 900 blocks each: under MaxBlocks, over MaxBlockWork
// (wazero would need seconds to compile it).
func compileBomb() []byte {
	body := append(append([]byte{0}, bytes.Repeat([]byte{opBlock, 0x40, opEnd}, 900)...), opEnd)
	b := []byte("\x00asm\x01\x00\x00\x00")
	sec := func(id byte, c []byte) { b = append(b, id); b = appendU32(b, uint32(len(c))); b = append(b, c...) }
	sec(secType, []byte{1, 0x60, 0, 0})
	sec(secFunction, append([]byte{16}, make([]byte, 16)...))
	sec(secExport, []byte{1, 4, 'c', 'a', 'l', 'l', 0, 0})
	code := []byte{16}
	for i := 0; i < 16; i++ {
		code = appendU32(code, uint32(len(body)))
		code = append(code, body...)
	}
	sec(secCode, code)
	return b
}

// tinyModuleFloatExport exports "call" of type [] -> [f64].
func tinyModuleFloatExport() []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	sec := func(id byte, c []byte) { b = append(b, id); b = appendU32(b, uint32(len(c))); b = append(b, c...) }
	sec(secType, []byte{1, 0x60, 0, 1, valF64})
	sec(secFunction, []byte{1, 0})
	sec(secExport, []byte{1, 4, 'c', 'a', 'l', 'l', 0, 0})
	body := append([]byte{0, opF64Const}, make([]byte, 8)...)
	body = append(body, opEnd)
	sec(secCode, append(appendU32([]byte{1}, uint32(len(body))), body...))
	return b
}

func snapshotState(w *world) map[string]string {
	m := map[string]string{}
	for k, v := range w.state {
		m[k] = string(v)
	}
	return m
}

// checkOnlyFeeAndNonce checks that only balances (fees) and nonces changed.
func checkOnlyFeeAndNonce(t *testing.T, w *world, before map[string]string) {
	t.Helper()
	for k, v := range w.state {
		if k[0] == prefixBalance || k[0] == prefixNonce {
			continue
		}
		if before[k] != string(v) {
			t.Fatalf("key %q changed", k)
		}
	}
	for k := range before {
		if _, ok := w.state[k]; !ok {
			t.Fatalf("key %q deleted", k)
		}
	}
}

func TestHostileCalls(t *testing.T) {
	const gas = 20_000_000
	cases := []struct {
		file   string
		input  string
		status Status
		err    error
	}{
		{"loop", "", StatusOutOfGas, ErrOutOfGas},
		{"bigalloc", "", StatusOutOfGas, ErrOutOfGas},
		{"storage_spam", "", StatusOutOfGas, ErrOutOfGas},
		{"recursion", "", StatusTrap, ErrCallDepth},
		{"bad_pointer", "", StatusTrap, ErrHostArgs},
		{"write_then_trap", "t", StatusTrap, ErrTrap},
		{"write_then_trap", "r", StatusReverted, ErrReverted},
	}
	for _, c := range cases {
		t.Run(c.file+c.input, func(t *testing.T) {
			w := newWorld(t, 1)
			addr := w.deploy(0, "hostile/"+c.file+".wasm", nil)
			before := snapshotState(w)
			bal := w.state[BalanceKey(w.addrs[0])]
			r := w.runOne(w.signed(0, Tx{Kind: TxCall, To: addr, Data: []byte(c.input), GasLimit: gas}))
			if r.Status != c.status || !errors.Is(r.Err, c.err) {
				t.Fatalf("status %v err %v, want %v %v", r.Status, r.Err, c.status, c.err)
			}
			if c.status == StatusOutOfGas && r.GasUsed != gas {
				t.Fatalf("out of gas used %d, want the limit %d", r.GasUsed, gas)
			}
			checkOnlyFeeAndNonce(t, w, before)
			// the fee was paid
			paid := be32(bal) - be32(w.state[BalanceKey(w.addrs[0])])
			if paid != r.GasUsed {
				t.Fatalf("paid %d for %d gas", paid, r.GasUsed)
			}
		})
	}
}

func be32(b []byte) uint64 { return binary.BigEndian.Uint64(b[24:]) }

func TestMemoryCap(t *testing.T) {
	w := newWorld(t, 1)
	addr := w.deploy(0, "hostile/membomb.wasm", nil)
	r := w.call(0, addr, nil)
	if r.Status != StatusOK {
		t.Fatalf("%v %v", r.Status, r.Err)
	}
	got := binary.LittleEndian.Uint32(w.state[StorageKey(addr, []byte{0})])
	// 1 initial page + 64 per successful grow, at most MaxMemoryPages (512)
	if got != 449 {
		t.Fatalf("memory grew to %d pages, want 449", got)
	}
}

func TestSuccessfulWriteKept(t *testing.T) {
	w := newWorld(t, 1)
	addr := w.deploy(0, "hostile/write_then_trap.wasm", nil)
	if r := w.call(0, addr, []byte("x")); r.Status != StatusOK {
		t.Fatal(r.Status, r.Err)
	}
	if v := w.state[StorageKey(addr, []byte("k"))]; string(v) != "v" {
		t.Fatalf("slot %q", v)
	}
}

func TestCrossContractRevert(t *testing.T) {
	w := newWorld(t, 1)
	callee := w.deploy(0, "hostile/write_then_trap.wasm", nil)
	proxy := w.deploy(0, "hostile/proxy.wasm", nil)
	for _, c := range []struct {
		input  string
		status byte
		kept   bool
	}{{"r", byte(StatusReverted), false}, {"t", byte(StatusTrap), false}, {"x", byte(StatusOK), true}} {
		r := w.call(0, proxy, cat(callee[:], []byte(c.input)))
		if r.Status != StatusOK {
			t.Fatalf("%s: proxy %v %v", c.input, r.Status, r.Err)
		}
		if got := w.state[StorageKey(proxy, []byte("p"))]; len(got) != 1 || got[0] != c.status {
			t.Fatalf("%s: proxy saw status %v, want %d", c.input, got, c.status)
		}
		_, kept := w.state[StorageKey(callee, []byte("k"))]
		if kept != c.kept {
			t.Fatalf("%s: callee write kept=%v", c.input, kept)
		}
		if c.input == "r" && string(r.Return) != "kv" {
			t.Fatalf("revert data %q", r.Return)
		}
	}
}

func TestNaNCanonical(t *testing.T) {
	w := newWorld(t, 1)
	addr := w.deploy(0, "hostile/float_nan.wasm", nil)
	if r := w.call(0, addr, nil); r.Status != StatusOK {
		t.Fatal(r.Status, r.Err)
	}
	v := w.state[StorageKey(addr, []byte{0})]
	if a, b := binary.LittleEndian.Uint64(v), binary.LittleEndian.Uint64(v[16:]); a != canonF64 || b != canonF64 {
		t.Fatalf("NaN bits %x %x, want %x", a, b, canonF64)
	}
}

func TestReadOnlyQuery(t *testing.T) {
	w := newWorld(t, 1)
	addr := w.deploy(0, "as_counter.wasm", nil)
	_, _, err := w.e.Query(t.Context(), w.state, BlockInfo{}, Address{}, addr, []byte{0}, 10_000_000)
	if !errors.Is(err, ErrTrap) || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("query that writes: %v", err)
	}
}

// TestContextStopsCall: with CloseOnContextDone, a deadline stops an endless loop that
// has all the gas in the world, and the call fails with the context's error. Without it,
// the call ends where its gas ends and still reports the context's error (a block then
// fails as a whole, ADR 015).
func TestContextStopsCall(t *testing.T) {
	w := newWorld(t, 1)
	addr := w.deploy(0, "hostile/loop.wasm", nil)

	rd, err := New(t.Context(), Config{ChainID: testChainID, CloseOnContextDone: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close(t.Context())
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	const lots = 10_000_000_000 // tens of seconds of looping
	if _, used, err := rd.Query(ctx, w.state, BlockInfo{}, Address{}, addr, nil, lots); !errors.Is(err, context.DeadlineExceeded) || used >= lots {
		t.Fatalf("endless query under a deadline: err %v, gas used %d of %d", err, used, lots)
	}

	done, cancel2 := context.WithCancel(t.Context())
	cancel2()
	_, used, err := w.e.Query(done, w.state, BlockInfo{}, Address{}, addr, nil, 1_000_000)
	if !errors.Is(err, context.Canceled) || used != 1_000_000 {
		t.Fatalf("query with a cancelled context, no watcher: err %v, gas used %d", err, used)
	}
	if res, err := w.e.ExecuteBlock(done, &Block{Txs: [][]byte{w.callTx(0, addr, nil)}}, w.state, exec.Config{Workers: 1}); !errors.Is(err, context.Canceled) || res != nil {
		t.Fatalf("block with a cancelled context: %v", err)
	}
}
