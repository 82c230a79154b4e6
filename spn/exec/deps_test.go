package exec_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStandardLibraryOnly keeps the executor free of dependencies (and of the Cosmos
// SDK in particular): spn/exec and spn/exec/exectest import only the standard library
// and each other.
func TestStandardLibraryOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		"github.com/farolnet/farol/spn/exec", "github.com/farolnet/farol/spn/exec/exectest").CombinedOutput()
	if err != nil {
		t.Skipf("go list unavailable: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if !strings.HasPrefix(dep, "github.com/farolnet/farol/spn/exec") {
			t.Errorf("spn/exec depends on %s; it must use only the standard library", dep)
		}
	}
}
