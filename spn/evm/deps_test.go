package evm_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoCosmosDependencies keeps the EVM engine pure: spn/evm and spn/evm/evmtest do
// not import the Cosmos SDK, CometBFT or any other Farol package than spn/exec.
func TestNoCosmosDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		"github.com/farolnet/farol/spn/evm", "github.com/farolnet/farol/spn/evm/evmtest").CombinedOutput()
	if err != nil {
		t.Skipf("go list unavailable: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(dep, "github.com/cosmos/"), strings.HasPrefix(dep, "cosmossdk.io/"),
			strings.HasPrefix(dep, "github.com/cometbft/"):
			t.Errorf("spn/evm depends on %s", dep)
		case strings.HasPrefix(dep, "github.com/farolnet/farol/") &&
			!strings.HasPrefix(dep, "github.com/farolnet/farol/spn/exec") &&
			!strings.HasPrefix(dep, "github.com/farolnet/farol/spn/evm"):
			t.Errorf("spn/evm depends on %s", dep)
		}
	}
}
