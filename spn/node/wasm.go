package node

import (
	"net/http"
	"path/filepath"

	"github.com/farolnet/farol/spn/wasmnode"
)

// openWasm opens the Wasm SPN app (spn/wasmnode) with its store under
// dataDir/spn-wasm; the node's RPC address serves the wasm_ JSON-RPC namespace.
func openWasm(_ *Node, gen *Genesis, dataDir string, c Config) (*backend, error) {
	app, err := wasmnode.Open(filepath.Join(dataDir, "spn-wasm"), gen.wasmGenesis(), wasmnode.Config{Workers: c.Workers})
	if err != nil {
		return nil, err
	}
	return &backend{
		app: app,
		handler: func(bc Broadcaster) (http.Handler, error) {
			return wasmnode.NewRPCServer(app, bc)
		},
		close: app.Close,
	}, nil
}

// WasmApp returns the app of a Wasm SPN node (nil on an EVM SPN): for OnCommit
// subscribers (metrics) and in-process tools.
func (n *Node) WasmApp() *wasmnode.App {
	if n.backend == nil {
		return nil
	}
	a, _ := n.backend.app.(*wasmnode.App)
	return a
}
