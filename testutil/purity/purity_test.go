package purity_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/farolnet/farol/"

// sdkPrefixes are the import path prefixes pure packages must not reach.
var sdkPrefixes = []string{"github.com/cosmos/", "cosmossdk.io/", "github.com/cometbft/"}

func importsSDK(dep string) bool {
	for _, p := range sdkPrefixes {
		if strings.HasPrefix(dep, p) {
			return true
		}
	}
	return false
}

// rules lists every pure package tree and what its dependencies may be.
var rules = []struct {
	pkgs []string
	// allowed reports whether a non-standard-library dependency is allowed.
	allowed func(dep string) bool
	rule    string
}{
	{
		pkgs:    []string{module + "spn/exec/..."},
		allowed: func(dep string) bool { return strings.HasPrefix(dep, module+"spn/exec") },
		rule:    "the executor uses only the standard library",
	},
	{
		pkgs: []string{module + "spn/evm/..."},
		allowed: func(dep string) bool {
			if importsSDK(dep) {
				return false
			}
			if strings.HasPrefix(dep, module) {
				for _, p := range []string{"spn/exec", "spn/evm", "spn/ecrecover", "spn/mpt"} {
					if strings.HasPrefix(dep, module+p) {
						return true
					}
				}
				return false
			}
			return true
		},
		rule: "the EVM engine uses no Cosmos SDK or CometBFT, and of Farol only spn/exec, spn/ecrecover and spn/mpt",
	},
	{
		pkgs: []string{module + "spn/wasm/...", module + "spn/ecrecover/...", module + "spn/mpt/...",
			module + "da/...", module + "mesh/...", module + "zk/...", module + "tee/..."},
		allowed: func(dep string) bool { return !importsSDK(dep) },
		rule:    "pure consensus logic imports no Cosmos SDK or CometBFT",
	},
}

// TestPurePackagesStayPure runs `go list -deps` over every pure package tree.
func TestPurePackagesStayPure(t *testing.T) {
	statSources(t)
	for _, r := range rules {
		args := append([]string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}, r.pkgs...)
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %v: %v\n%s", r.pkgs, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 {
			t.Fatalf("go list %v listed nothing", r.pkgs)
		}
		for _, dep := range deps {
			if !r.allowed(dep) {
				t.Errorf("%v depends on %s: %s", r.pkgs, dep, r.rule)
			}
		}
	}
}

// statSources stats every Go file of the module. go test caches a passing result
// until the files the test itself opens or stats change; `go list` runs in another
// process, so without this an import added to a pure package would leave the cached
// "ok" standing (it did: spn/ecrecover and spn/mpt went unflagged until session 7).
func statSources(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s: %v", root, err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "build") && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
