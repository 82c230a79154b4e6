package node_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/farolnet/farol/spn/node"
)

// TestCometConfigToml: Init writes CometBFT's config.toml; Start reads it, and the
// fields spnd.json sets override it while the fields it leaves out come from it.
func TestCometConfigToml(t *testing.T) {
	key, _ := crypto.GenerateKey()
	home := initHome(t, crypto.PubkeyToAddress(key.PublicKey))
	tomlPath := filepath.Join(home, "config", "config.toml")
	b, err := os.ReadFile(tomlPath)
	if err != nil {
		t.Fatalf("init wrote no config.toml: %v", err)
	}
	c, err := node.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	toml := string(b)
	for _, want := range []string{`timeout_commit = "100ms"`, `laddr = "` + c.P2PAddr + `"`, `prometheus = true`, `prometheus_listen_addr = "` + node.DefaultPrometheusAddr + `"`} {
		if !strings.Contains(toml, want) {
			t.Fatalf("config.toml lacks %s", want)
		}
	}
	// An operator tunes CometBFT in config.toml: mempool size, timeout_commit (which
	// spnd.json no longer sets), a moniker spnd.json overrides.
	toml = strings.Replace(toml, fmt.Sprintf("size = %d", node.DefaultMempoolSize), "size = 1234", 1)
	toml = strings.Replace(toml, `timeout_commit = "100ms"`, `timeout_commit = "150ms"`, 1)
	toml = strings.Replace(toml, `moniker = "spnd"`, `moniker = "from-toml"`, 1)
	toml = strings.Replace(toml, "prometheus = true", "prometheus = false", 1)
	if err := os.WriteFile(tomlPath, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	raw, _ := os.ReadFile(filepath.Join(home, "config", "spnd.json"))
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	delete(fields, "block_interval")
	delete(fields, "prometheus_laddr")
	fields["moniker"] = "from-json"
	raw, _ = json.Marshal(fields)
	if err := os.WriteFile(filepath.Join(home, "config", "spnd.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}

	n, ec := start(t, home)
	cfg := n.Comet.Config()
	ec.Close()
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if cfg.Mempool.Size != 1234 || cfg.Consensus.TimeoutCommit != 150*time.Millisecond || cfg.Instrumentation.Prometheus {
		t.Fatalf("config.toml not applied: mempool size %d, timeout_commit %v, prometheus %v", cfg.Mempool.Size, cfg.Consensus.TimeoutCommit, cfg.Instrumentation.Prometheus)
	}
	if cfg.Moniker != "from-json" || cfg.P2P.ListenAddress != c.P2PAddr || cfg.RPC.ListenAddress != c.CometRPCAddr {
		t.Fatalf("spnd.json not applied: moniker %q p2p %q rpc %q", cfg.Moniker, cfg.P2P.ListenAddress, cfg.RPC.ListenAddress)
	}
	if cfg.RootDir != home || cfg.GenesisFile() != filepath.Join(home, "config", "genesis.json") {
		t.Fatalf("root %q genesis %q", cfg.RootDir, cfg.GenesisFile())
	}

	// A bad config.toml is an error, not a silent default; a home without one (made
	// before spnd wrote it) starts on the defaults.
	if err := os.WriteFile(tomlPath, []byte("[consensus\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := node.Start(home, testLogger()); err == nil {
		n.Stop()
		t.Fatal("started with a broken config.toml")
	}
	if err := os.Remove(tomlPath); err != nil {
		t.Fatal(err)
	}
	n, ec = start(t, home)
	cfg = n.Comet.Config()
	ec.Close()
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if cfg.Mempool.Size != node.DefaultMempoolSize || cfg.Moniker != "from-json" {
		t.Fatalf("defaults: mempool size %d moniker %q", cfg.Mempool.Size, cfg.Moniker)
	}
}
