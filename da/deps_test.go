package da_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoCosmosSDK keeps da/ free of the Cosmos SDK and CometBFT: the square
// rules, proofs, sampler and clients build with go-square, nmt, rsmt2d,
// gRPC and the standard library only.
func TestNoCosmosSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		"github.com/farolnet/farol/da/...").CombinedOutput()
	if err != nil {
		t.Skipf("go list unavailable: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/cosmos/", "cosmossdk.io/", "github.com/cometbft/"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("da/ depends on %s", dep)
			}
		}
	}
}
