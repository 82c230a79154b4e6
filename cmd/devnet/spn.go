package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// spnNode is one single-operator SPN of the devnet: an `spnd` subprocess with
// its home under the data folder, registered in x/spn on the devnet mainnet.
type spnNode struct {
	opts    options
	mainnet *mainnet
	bin     string
	home    string

	vm         string // "evm" or "wasm" (spnd init --vm)
	name       string // component name, e.g. "spn-evm"
	regName    string // name in the mainnet's SPN registry
	settlement string // settlement mode given at registration
	chainID    string // the SPN's CometBFT chain id
	chainNum   uint64 // EIP-155 chain id (EVM) or chain id of Wasm transactions

	rpcPort, cometRPCPort, p2pPort, metricsPort int

	// unsupported says why this spnd cannot run the SPN (empty when it can);
	// the component then starts nothing and says so.
	unsupported string

	spnID  string // id in the mainnet registry, once registered
	status string // status in the mainnet registry, once registered

	nodeProcess
}

// Default ports of the devnet SPNs (before -port-offset). They sit away from
// the mainnet's ports so that devnets offset by multiples of 100 do not meet.
const (
	evmSPNRPCPort   = 8545
	evmSPNCometPort = 36657
	evmSPNP2PPort   = 36656
	evmSPNMetrics   = 36660

	wasmSPNRPCPort   = 8555
	wasmSPNCometPort = 36667
	wasmSPNP2PPort   = 36666
	wasmSPNMetrics   = 36670
)

// newEVMSPN is the devnet's EVM SPN.
func newEVMSPN(opts options, m *mainnet) *spnNode {
	return newSPN(opts, m, "evm", 4242, evmSPNRPCPort, evmSPNCometPort, evmSPNP2PPort, evmSPNMetrics)
}

// newWasmSPN is the devnet's Wasm SPN.
func newWasmSPN(opts options, m *mainnet) *spnNode {
	return newSPN(opts, m, "wasm", 4243, wasmSPNRPCPort, wasmSPNCometPort, wasmSPNP2PPort, wasmSPNMetrics)
}

// newSPN is a devnet SPN of vm: home spn-<vm>, registered as devnet-<vm> with zk
// settlement, CometBFT chain farol-spn-<vm>-1, its ports shifted by -port-offset.
func newSPN(opts options, m *mainnet, vm string, chainNum uint64, rpc, comet, p2p, metrics int) *spnNode {
	return &spnNode{
		opts: opts, mainnet: m,
		bin:  filepath.Join(opts.bin, "spnd"),
		home: filepath.Join(opts.dataDir, "spn-"+vm),
		vm:   vm, name: "spn-" + vm, regName: "devnet-" + vm, settlement: "zk",
		chainID: "farol-spn-" + vm + "-1", chainNum: chainNum,
		rpcPort:      rpc + opts.portOffset,
		cometRPCPort: comet + opts.portOffset,
		p2pPort:      p2p + opts.portOffset,
		metricsPort:  metrics + opts.portOffset,
	}
}

func (s *spnNode) Name() string { return s.name }

// spnDevKey is the private key funded on every devnet SPN. It is derived from
// a public string: anyone can spend from it, so it is for development only.
func spnDevKey() *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("farol-devnet-spn-dev-key")))
	if err != nil {
		panic(err) // a fixed seed: cannot happen
	}
	return k
}

// spnInfo is written to <data>/<component>.json for scripts (the e2e test).
type spnInfo struct {
	VM          string `json:"vm"`
	ChainID     string `json:"chain_id"`
	EVMChainID  uint64 `json:"evm_chain_id,omitempty"`
	WasmChainID uint64 `json:"wasm_chain_id,omitempty"`
	RPC         string `json:"rpc"`
	WS          string `json:"ws,omitempty"`
	CometRPC    string `json:"comet_rpc"`
	Home        string `json:"home"`
	DevAddress  string `json:"dev_address"`
	DevKey      string `json:"dev_private_key"`
	Registry    string `json:"registry_name"`
	Unsupported string `json:"unsupported,omitempty"`
}

func (s *spnNode) infoFile() string { return filepath.Join(s.opts.dataDir, s.name+".json") }

func (s *spnNode) Prepare(ctx context.Context, keep bool) error {
	genesis := filepath.Join(s.home, "config", "genesis.json")
	if keep {
		if _, err := os.Stat(genesis); err == nil {
			logf("[%s] keeping the chain in %s", s.name, s.home)
			return s.writeInfo()
		}
		logf("[%s] no chain in %s yet: creating one", s.name, s.home)
	}
	if err := os.RemoveAll(s.home); err != nil {
		return err
	}
	key := spnDevKey()
	args := []string{"init", "--vm", s.vm, "--chain-id", s.chainID,
		"--eth-rpc", fmt.Sprintf("127.0.0.1:%d", s.rpcPort),
		"--comet-rpc", fmt.Sprintf("tcp://127.0.0.1:%d", s.cometRPCPort),
		"--p2p", fmt.Sprintf("tcp://127.0.0.1:%d", s.p2pPort),
		"--prometheus", fmt.Sprintf("127.0.0.1:%d", s.metricsPort),
		"--block-interval", s.opts.blockTime.String(),
		"--dev-key", hex.EncodeToString(crypto.FromECDSA(key)),
		"--home", s.home}
	args = append(args, "--"+s.vm+"-chain-id", strconv.FormatUint(s.chainNum, 10))
	out, err := s.spnd(ctx, args...)
	if err != nil {
		if s.vm != "evm" && notImplemented(err.Error()) {
			s.unsupported = fmt.Sprintf("this spnd cannot run a %s SPN yet (spnd init --vm %s: %s)", s.vm, s.vm, firstLine(err))
			logf("[%s] skipped: %s", s.name, s.unsupported)
			_ = os.RemoveAll(s.home)
			return s.writeInfo()
		}
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		logf("[%s] %s", s.name, line)
	}
	return s.writeInfo()
}

// notImplemented tells an spnd that does not know a VM from other init errors.
func notImplemented(msg string) bool {
	for _, s := range []string{"only evm", "not implemented", "not yet", "not supported", "flag provided but not defined"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func firstLine(err error) string {
	msg := strings.TrimSpace(err.Error())
	if i := strings.LastIndex(msg, "spnd: "); i >= 0 {
		msg = msg[i+len("spnd: "):]
	}
	line, _, _ := strings.Cut(msg, "\n")
	return line
}

func (s *spnNode) writeInfo() error {
	key := spnDevKey()
	info := spnInfo{
		VM: s.vm, ChainID: s.chainID,
		RPC: s.rpcAddr(), CometRPC: s.cometAddr(), Home: s.home,
		DevAddress:  crypto.PubkeyToAddress(key.PublicKey).Hex(),
		DevKey:      "0x" + hex.EncodeToString(crypto.FromECDSA(key)),
		Registry:    s.regName,
		Unsupported: s.unsupported,
	}
	if s.vm == "evm" {
		info.EVMChainID = s.chainNum
		info.WS = s.wsAddr()
	} else {
		info.WasmChainID = s.chainNum
	}
	bz, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(s.infoFile(), bz, 0o600)
}

// printSPNDevKey prints the SPNs' development key, once for all SPNs.
func printSPNDevKey(infoFiles []string) {
	key := spnDevKey()
	fmt.Println()
	fmt.Println("SPN development key (DEV ONLY: this private key is public, never use it for real funds)")
	fmt.Printf("  funded on every devnet SPN; also in %s\n", strings.Join(infoFiles, ", "))
	fmt.Printf("  address     %s\n", crypto.PubkeyToAddress(key.PublicKey).Hex())
	fmt.Printf("  private key 0x%s\n", hex.EncodeToString(crypto.FromECDSA(key)))
	fmt.Println()
}

func (s *spnNode) rpcAddr() string   { return fmt.Sprintf("http://127.0.0.1:%d", s.rpcPort) }
func (s *spnNode) wsAddr() string    { return fmt.Sprintf("ws://127.0.0.1:%d", s.rpcPort) }
func (s *spnNode) cometAddr() string { return fmt.Sprintf("http://127.0.0.1:%d", s.cometRPCPort) }

func (s *spnNode) Start(ctx context.Context) error {
	if s.unsupported != "" {
		return nil
	}
	logPath, err := s.start(s.name, s.bin, s.home)
	if err != nil {
		return err
	}
	if err := s.waitServing(ctx, s.name, s.cometAddr(), logPath); err != nil {
		return err
	}
	if s.vm == "evm" {
		if err := s.checkEthRPC(ctx); err != nil {
			return err
		}
	}
	return s.register(ctx)
}

// checkEthRPC asks the EVM SPN's JSON-RPC for its chain id.
func (s *spnNode) checkEthRPC(ctx context.Context) error {
	var res string
	if err := ethCall(ctx, s.rpcAddr(), "eth_chainId", &res); err != nil {
		return fmt.Errorf("eth JSON-RPC %s: %w", s.rpcAddr(), err)
	}
	id, err := strconv.ParseUint(strings.TrimPrefix(res, "0x"), 16, 64)
	if err != nil || id != s.chainNum {
		return fmt.Errorf("eth_chainId answered %q, want %d", res, s.chainNum)
	}
	return nil
}

// register registers the SPN in the mainnet's x/spn registry (from the
// validator's key, so the dev keys' sequences stay free for users), unless a
// kept devnet registered it already. The devnet genesis sets auto_activate,
// so the SPN is ACTIVE at once.
func (s *spnNode) register(ctx context.Context) error {
	if found, err := s.lookup(ctx); err != nil {
		return err
	} else if found {
		logf("[%s] already registered on the mainnet as SPN #%s %s (%s)", s.name, s.spnID, s.regName, s.status)
		return nil
	}
	out, err := s.mainnet.farold(ctx, "tx", "spn", "register", s.regName, s.vm, s.settlement, s.chainID,
		"1000000000"+denom, "--from", validatorKey, "-y", "--output", "json")
	if err != nil {
		return fmt.Errorf("register on the mainnet: %w", err)
	}
	var res struct {
		Code   int    `json:"code"`
		TxHash string `json:"txhash"`
		RawLog string `json:"raw_log"`
	}
	if err := decodeJSON(out, &res); err != nil {
		return fmt.Errorf("register on the mainnet: decode %q: %w", out, err)
	}
	if res.Code != 0 {
		return fmt.Errorf("register on the mainnet refused (code %d): %s", res.Code, res.RawLog)
	}
	if err := s.mainnet.waitTx(ctx, res.TxHash); err != nil {
		return fmt.Errorf("register on the mainnet: %w", err)
	}
	found, err := s.lookup(ctx)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("register tx %s included but SPN %s not found", res.TxHash, s.regName)
	}
	logf("[%s] registered on the mainnet as SPN #%s %s (%s), tx %s", s.name, s.spnID, s.regName, s.status, res.TxHash)
	return nil
}

// lookup reads the SPN's record from the mainnet registry.
func (s *spnNode) lookup(ctx context.Context) (bool, error) {
	out, err := s.mainnet.farold(ctx, "query", "spn", "by-name", s.regName, "--output", "json")
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "not found") {
			return false, nil
		}
		return false, err
	}
	var res struct {
		SPN struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"spn"`
	}
	if err := decodeJSON(out, &res); err != nil {
		return false, fmt.Errorf("decode SPN record: %w", err)
	}
	s.spnID = res.SPN.ID
	s.status = strings.TrimPrefix(res.SPN.Status, "SPN_STATUS_")
	return true, nil
}

func (s *spnNode) Endpoints() []endpoint {
	if s.unsupported != "" {
		return []endpoint{{"not started", s.unsupported}}
	}
	var eps []endpoint
	if s.vm == "evm" {
		eps = append(eps,
			endpoint{"eth JSON-RPC", s.rpcAddr()},
			endpoint{"eth WebSocket", s.wsAddr()},
			endpoint{"chain id", s.chainID},
			endpoint{"evm chain id", strconv.FormatUint(s.chainNum, 10)})
	} else {
		eps = append(eps,
			endpoint{s.vm + " JSON-RPC", s.rpcAddr()},
			endpoint{"chain id", s.chainID},
			endpoint{s.vm + " chain id", strconv.FormatUint(s.chainNum, 10)},
			endpoint{"CLI", fmt.Sprintf("%s query %s balance %s --node %s", s.bin, s.vm,
				crypto.PubkeyToAddress(spnDevKey().PublicKey).Hex(), s.rpcAddr())})
	}
	eps = append(eps,
		endpoint{"CometBFT RPC", s.cometAddr()},
		endpoint{"metrics", fmt.Sprintf("http://127.0.0.1:%d/metrics", s.metricsPort)},
		endpoint{"mainnet SPN", fmt.Sprintf("#%s %s (%s)", s.spnID, s.regName, s.status)},
		endpoint{"home", s.home})
	return eps
}

// Watch prints one line per SPN block that carries transactions (empty
// blocks would drown the mainnet's lines).
func (s *spnNode) Watch(ctx context.Context) {
	if s.unsupported != "" {
		return
	}
	watchBlocks(ctx, s.name, s.cometAddr(), func(b *cmttypes.Block) {
		if len(b.Txs) > 0 {
			fmt.Printf("%s  [%s] block %-6d txs=%-4d app=%X\n",
				b.Time.Local().Format("15:04:05"), s.name, b.Height, len(b.Txs), short(b.AppHash))
		}
	})
}

// spnd runs one spnd command and returns its standard output.
func (s *spnNode) spnd(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, s.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("spnd %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes(), nil
}

// ethCall makes one JSON-RPC call without parameters and decodes its result.
func ethCall(ctx context.Context, url, method string, result any) error {
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":%q,"params":[]}`, method)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var msg struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&msg); err != nil {
		return fmt.Errorf("%s: %s: %w", method, resp.Status, err)
	}
	if msg.Error != nil {
		return fmt.Errorf("%s: %s (code %d)", method, msg.Error.Message, msg.Error.Code)
	}
	return json.Unmarshal(msg.Result, result)
}
