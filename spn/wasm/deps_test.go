package wasm

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoCosmosDependencies keeps the consensus-critical engine free of the Cosmos SDK.
func TestNoCosmosDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/cosmos/", "cosmossdk.io/", "github.com/cometbft/"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("spn/wasm depends on %s", dep)
			}
		}
	}
}
