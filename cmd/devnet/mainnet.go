package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
)

const (
	validatorKey = "validator"
	// keyringBackend "test" stores keys unencrypted: right for a devnet,
	// wrong for anything else.
	keyringBackend = "test"
	denom          = "ufrl"
	// Every development account starts with 10,000,000 FRL; the validator
	// bonds 1,000,000 FRL of its own.
	devBalance        = "10000000000000" + denom
	validatorSelfBond = "1000000000000" + denom
)

// mainnet is the devnet's single-validator Farol mainnet node.
type mainnet struct {
	opts options
	home string
	bin  string

	rpcPort, p2pPort, grpcPort, apiPort, metricsPort int

	nodeProcess
}

func newMainnet(opts options) *mainnet {
	return &mainnet{
		opts:     opts,
		home:     filepath.Join(opts.dataDir, "farold"),
		bin:      filepath.Join(opts.bin, "farold"),
		rpcPort:  26657 + opts.portOffset,
		p2pPort:  26656 + opts.portOffset,
		grpcPort: 9090 + opts.portOffset,
		apiPort:  1317 + opts.portOffset,

		metricsPort: 26660 + opts.portOffset,
	}
}

func (m *mainnet) Name() string { return "mainnet" }

// devAccount is a development key written to accounts.json.
type devAccount struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	Mnemonic string `json:"mnemonic"`
}

func (m *mainnet) Prepare(ctx context.Context, keep bool) error {
	if keep {
		if _, err := os.Stat(filepath.Join(m.home, "config", "genesis.json")); err != nil {
			return fmt.Errorf("-keep given but %s holds no node: %w", m.home, err)
		}
		logf("[mainnet] keeping the chain in %s", m.home)
		return nil
	}
	if err := os.RemoveAll(m.home); err != nil {
		return err
	}
	if _, err := m.farold(ctx, "init", "devnet-validator", "--chain-id", m.opts.chainID, "--default-denom", denom); err != nil {
		return err
	}

	names := []string{validatorKey}
	for i := 1; i <= m.opts.devKeys; i++ {
		names = append(names, fmt.Sprintf("dev%d", i))
	}
	var accounts []devAccount
	for _, name := range names {
		out, err := m.farold(ctx, "keys", "add", name, "--keyring-backend", keyringBackend, "--output", "json")
		if err != nil {
			return err
		}
		var acc devAccount
		if err := json.Unmarshal(lastJSON(out), &acc); err != nil {
			return fmt.Errorf("decode new key %s: %w", name, err)
		}
		accounts = append(accounts, acc)
		if _, err := m.farold(ctx, "genesis", "add-genesis-account", acc.Address, devBalance, "--keyring-backend", keyringBackend); err != nil {
			return err
		}
	}
	if _, err := m.farold(ctx, "genesis", "gentx", validatorKey, validatorSelfBond,
		"--chain-id", m.opts.chainID, "--keyring-backend", keyringBackend, "--moniker", "devnet-validator"); err != nil {
		return err
	}
	if _, err := m.farold(ctx, "genesis", "collect-gentxs"); err != nil {
		return err
	}
	if err := m.editGenesis(); err != nil {
		return err
	}
	if _, err := m.farold(ctx, "genesis", "validate"); err != nil {
		return err
	}
	if err := m.configure(ctx); err != nil {
		return err
	}

	accountsFile := filepath.Join(m.opts.dataDir, "accounts.json")
	bz, err := json.MarshalIndent(accounts, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(accountsFile, bz, 0o600); err != nil {
		return err
	}

	fmt.Println()
	fmt.Println("Development keys (DEV ONLY: these mnemonics are public, never use them for real funds)")
	fmt.Printf("keyring: --home %s --keyring-backend %s; also in %s\n", m.home, keyringBackend, accountsFile)
	for _, a := range accounts {
		fmt.Printf("  %-10s %s\n             %s\n", a.Name, a.Address, a.Mnemonic)
	}
	fmt.Println()
	return nil
}

// editGenesis makes governance quick enough to use on a devnet and lets new
// SPNs become active at registration (there is no restaking yet).
func (m *mainnet) editGenesis() error {
	path := filepath.Join(m.home, "config", "genesis.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("decode genesis: %w", err)
	}
	var appState map[string]json.RawMessage
	if err := json.Unmarshal(doc["app_state"], &appState); err != nil {
		return fmt.Errorf("decode app_state: %w", err)
	}
	edits := []struct {
		module string
		path   []string
		value  any
	}{
		{"gov", []string{"params", "voting_period"}, "60s"},
		{"gov", []string{"params", "expedited_voting_period"}, "30s"},
		{"gov", []string{"params", "max_deposit_period"}, "60s"},
		{"spn", []string{"params", "auto_activate"}, true},
	}
	for _, e := range edits {
		updated, err := setJSON(appState[e.module], e.path, e.value)
		if err != nil {
			return fmt.Errorf("genesis %s.%s: %w", e.module, strings.Join(e.path, "."), err)
		}
		appState[e.module] = updated
	}
	if doc["app_state"], err = json.Marshal(appState); err != nil {
		return err
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o600)
}

// setJSON sets path in the JSON object obj to value, keeping every other
// field (numbers stay exact).
func setJSON(obj json.RawMessage, path []string, value any) (json.RawMessage, error) {
	if len(path) == 0 {
		return json.Marshal(value)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(obj, &fields); err != nil {
		return nil, err
	}
	child, ok := fields[path[0]]
	if !ok && len(path) > 1 {
		return nil, fmt.Errorf("no field %q", path[0])
	}
	updated, err := setJSON(child, path[1:], value)
	if err != nil {
		return nil, err
	}
	fields[path[0]] = updated
	return json.Marshal(fields)
}

// configure sets ports, block time and enables the REST and gRPC servers.
func (m *mainnet) configure(context.Context) error {
	q := tomlString
	return setTOML(m.home, []tomlSetting{
		{"config", "rpc.laddr", q(fmt.Sprintf("tcp://127.0.0.1:%d", m.rpcPort))},
		{"config", "p2p.laddr", q(fmt.Sprintf("tcp://127.0.0.1:%d", m.p2pPort))},
		{"config", "rpc.pprof_laddr", q(fmt.Sprintf("127.0.0.1:%d", 6060+m.opts.portOffset))},
		{"config", "consensus.timeout_commit", q(m.opts.blockTime.String())},
		{"config", "rpc.cors_allowed_origins", `["*"]`},
		{"app", "api.enable", "true"},
		{"app", "api.address", q(fmt.Sprintf("tcp://127.0.0.1:%d", m.apiPort))},
		{"app", "api.enabled-unsafe-cors", "true"},
		{"app", "grpc.enable", "true"},
		{"app", "grpc.address", q(fmt.Sprintf("127.0.0.1:%d", m.grpcPort))},
		{"app", "minimum-gas-prices", q("0" + denom)},
		{"app", "telemetry.enabled", "true"},
		{"app", "telemetry.prometheus-retention-time", "600"},
		{"config", "instrumentation.prometheus", "true"},
		{"config", "instrumentation.prometheus_listen_addr", q(fmt.Sprintf("127.0.0.1:%d", m.metricsPort))},
		{"client", "chain-id", q(m.opts.chainID)},
		{"client", "keyring-backend", q(keyringBackend)},
		{"client", "node", q(fmt.Sprintf("tcp://127.0.0.1:%d", m.rpcPort))},
	})
}

func (m *mainnet) Start(ctx context.Context) error {
	logPath, err := m.start("mainnet", m.bin, m.home)
	if err != nil {
		return err
	}
	return m.waitServing(ctx, "mainnet", m.rpcAddr(), logPath)
}

func (m *mainnet) rpcAddr() string { return fmt.Sprintf("http://127.0.0.1:%d", m.rpcPort) }

func (m *mainnet) Endpoints() []endpoint {
	return []endpoint{
		{"CometBFT RPC", m.rpcAddr()},
		{"gRPC", fmt.Sprintf("127.0.0.1:%d", m.grpcPort)},
		{"REST", fmt.Sprintf("http://127.0.0.1:%d", m.apiPort)},
		{"app metrics", fmt.Sprintf("http://127.0.0.1:%d/metrics?format=prometheus", m.apiPort)},
		{"node metrics", fmt.Sprintf("http://127.0.0.1:%d/metrics", m.metricsPort)},
		{"chain id", m.opts.chainID},
		{"home", m.home},
		{"CLI", fmt.Sprintf("%s --home %s ...", m.bin, m.home)},
	}
}

// Watch prints one line per new block, from the node's event stream.
func (m *mainnet) Watch(ctx context.Context) {
	watchBlocks(ctx, "mainnet", m.rpcAddr(), func(b *cmttypes.Block) {
		fmt.Printf("%s  [mainnet] block %-6d txs=%-3d hash=%X app=%X proposer=%X\n",
			b.Time.Local().Format("15:04:05"), b.Height, len(b.Txs),
			short(b.Hash()), short(b.AppHash), short(b.ProposerAddress))
	})
}

// farold runs one farold command against the devnet home and returns its
// standard output.
func (m *mainnet) farold(ctx context.Context, args ...string) ([]byte, error) {
	args = append(args, "--home", m.home)
	cmd := exec.CommandContext(ctx, m.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("farold %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes(), nil
}

// waitTx waits until the mainnet has included the tx and checks it succeeded.
func (m *mainnet) waitTx(ctx context.Context, hash string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := m.farold(ctx, "query", "tx", hash, "--output", "json")
		if err == nil {
			var res struct {
				Code   int    `json:"code"`
				RawLog string `json:"raw_log"`
			}
			if err := decodeJSON(out, &res); err != nil {
				return fmt.Errorf("decode tx %s: %w", hash, err)
			}
			if res.Code != 0 {
				return fmt.Errorf("tx %s failed (code %d): %s", hash, res.Code, res.RawLog)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("tx %s not included within 30s", hash)
}

// decodeJSON decodes a command's JSON output: the whole output (indented
// JSON), else its last JSON line.
func decodeJSON(out []byte, v any) error {
	if err := json.Unmarshal(out, v); err == nil {
		return nil
	}
	return json.Unmarshal(lastJSON(out), v)
}

// lastJSON returns the last line of out that looks like a JSON object (some
// commands print notices before their JSON).
func lastJSON(out []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		if bytes.HasPrefix(bytes.TrimSpace(lines[i]), []byte("{")) {
			return lines[i]
		}
	}
	return out
}

func tail(path string, n int) string {
	bz, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(bz), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// short returns the first six bytes of a hash, enough to tell blocks apart.
func short(h []byte) []byte {
	if len(h) > 6 {
		return h[:6]
	}
	return h
}
