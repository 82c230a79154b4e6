package purity_test

import (
	"os/exec"
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
				return strings.HasPrefix(dep, module+"spn/exec") || strings.HasPrefix(dep, module+"spn/evm")
			}
			return true
		},
		rule: "the EVM engine uses no Cosmos SDK or CometBFT, and of Farol only spn/exec",
	},
	{
		pkgs:    []string{module + "spn/wasm/...", module + "da/...", module + "mesh/...", module + "zk/...", module + "tee/..."},
		allowed: func(dep string) bool { return !importsSDK(dep) },
		rule:    "pure consensus logic imports no Cosmos SDK or CometBFT",
	},
}

// TestPurePackagesStayPure runs `go list -deps` over every pure package tree.
func TestPurePackagesStayPure(t *testing.T) {
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
