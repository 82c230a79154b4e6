package wasm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// FuzzDecodeTx: DecodeTx never panics, and what it accepts re-encodes to the same bytes
// (one canonical encoding).
func FuzzDecodeTx(f *testing.F) {
	w := newWorld(f, 2)
	f.Add(w.signed(0, Tx{Kind: TxTransfer, To: w.addrs[1]}))
	f.Add(w.signed(0, Tx{Kind: TxCall, To: w.addrs[1], Data: []byte{1, 2, 3}}))
	f.Add(w.signed(1, Tx{Kind: TxUpload, Data: []byte("\x00asm")}))
	f.Add(w.signed(1, Tx{Kind: TxInstantiate, CodeHash: [32]byte{1}, Data: []byte{9}}))
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 200))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= sigLen {
			if sig := b[len(b)-sigLen:]; sigValuesOK(sig) != sigValuesRef(sig) {
				t.Fatalf("sigValuesOK(%x) = %v, go-ethereum says otherwise", sig, sigValuesOK(sig))
			}
		}
		tx, err := DecodeTx(b)
		if err != nil {
			if !errors.Is(err, ErrTxEncoding) && !errors.Is(err, ErrSignature) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if enc := tx.Encode(); !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", enc, b)
		}
		if signingHash(b[:len(b)-sigLen]) != tx.SigningHash() { // what block decoding hashes
			t.Fatal("signing hash of the raw bytes differs from SigningHash")
		}
		_, _ = tx.Sender()
	})
}

var fuzzRuntime = wazero.NewRuntimeWithConfig(context.Background(),
	wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))

// FuzzInstrument: Instrument never panics; what it accepts is a valid module (wazero's
// validator accepts it) that keeps the gas and depth exports.
func FuzzInstrument(f *testing.F) {
	for _, name := range []string{"as_counter.wasm", "as_token.wasm", "as_amm.wasm"} {
		f.Add(readTestdata(f, name))
	}
	files, _ := filepath.Glob("testdata/hostile/*.wasm")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(tinyModule([]byte{0, opLoop, 0x40, opBr, 0, opEnd, opEnd}))
	f.Add(tinyModuleFloatExport())
	lim := DefaultLimits()
	lim.MaxCodeSize = 64 << 10
	f.Fuzz(func(t *testing.T, code []byte) {
		info, err := Instrument(code, lim)
		if err != nil {
			return
		}
		again, err := Instrument(code, lim)
		if err != nil || !bytes.Equal(again.Code, info.Code) {
			t.Fatal("instrumentation is not deterministic")
		}
		m, err := fuzzRuntime.CompileModule(context.Background(), info.Code)
		if err != nil {
			// The input itself may be invalid in ways only full validation finds (types
			// of instructions); then the original must be refused too.
			if _, err2 := fuzzRuntime.CompileModule(context.Background(), code); err2 == nil {
				t.Fatalf("valid module became invalid after instrumentation: %v", err)
			}
			return
		}
		defer m.Close(context.Background())
		if _, ok := m.ExportedFunctions()["call"]; !ok {
			t.Fatal("call export lost")
		}
	})
}
