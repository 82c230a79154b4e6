package node

import "errors"

// openWasm opens the Wasm SPN backend (not built yet: see README "Next").
func openWasm(n *Node, gen *Genesis, dataDir string, c Config) (*backend, error) {
	return nil, errors.New("wasm SPN: not implemented yet")
}
