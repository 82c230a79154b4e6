package wasm

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGoContractsReproducible rebuilds the Go example contracts with the local
// toolchain and checks they equal the committed modules (set FAROL_WASM_REBUILD=1; it
// takes about 20 s). The AssemblyScript ones need node: sdk/assemblyscript/build.sh.
func TestGoContractsReproducible(t *testing.T) {
	if os.Getenv("FAROL_WASM_REBUILD") == "" {
		t.Skip("set FAROL_WASM_REBUILD=1 to rebuild the Go example contracts")
	}
	dir := t.TempDir()
	for _, c := range []string{"counter", "token", "amm"} {
		out := filepath.Join(dir, c+".wasm")
		cmd := exec.Command("go", "build", "-trimpath", "-buildmode=c-shared", "-ldflags=-s", "-o", out, "./examples/"+c)
		cmd.Dir = filepath.Join("sdk", "go")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", c, err, b)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, readTestdata(t, "go_"+c+".wasm")) {
			t.Errorf("%s: rebuilt module differs from wasmtest/testdata/go_%s.wasm: run sdk/go/build.sh", c, c)
		}
	}
}
