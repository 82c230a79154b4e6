package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/farolnet/farol/spn/node"
)

// syncBuffer is a bytes.Buffer safe for the node's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// editConfig rewrites home's spnd.json with f applied.
func editConfig(t *testing.T, home string, f func(*node.Config)) node.Config {
	t.Helper()
	c, err := node.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	f(&c)
	enc, _ := json.MarshalIndent(&c, "", "  ")
	if err := os.WriteFile(filepath.Join(home, "config", "spnd.json"), enc, 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// metricValue returns the value of the sample of name whose labels contain all of
// labels, and whether there is one.
func metricValue(body, name string, labels ...string) (float64, bool) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `(\{[^}]*\})? (\S+)$`)
next:
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		for _, l := range labels {
			if !strings.Contains(m[1], l) {
				continue next
			}
		}
		v, err := strconv.ParseFloat(m[2], 64)
		return v, err == nil
	}
	return 0, false
}

// TestMetricsAndBlockLogs: with prometheus_laddr set, CometBFT's instrumentation
// server serves the app's spn_* metrics next to CometBFT's (mempool size included),
// and every committed block is logged with its height, transactions, gas, times and
// speedup.
func TestMetricsAndBlockLogs(t *testing.T) {
	key, _ := crypto.GenerateKey()
	dev := crypto.PubkeyToAddress(key.PublicKey)
	home := initHome(t, dev)
	c := editConfig(t, home, func(c *node.Config) { c.PrometheusAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t)) })
	logs := &syncBuffer{}
	n, err := node.Start(home, cmtlog.NewFilter(cmtlog.NewTMLogger(cmtlog.NewSyncWriter(logs)), cmtlog.AllowInfo()))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if !n.Comet.Config().Instrumentation.Prometheus {
		t.Fatal("prometheus off")
	}
	ec := dialEth(t, n)
	defer ec.Close()
	ctx := context.Background()
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	var last common.Hash
	for i := 0; i < 3; i++ {
		last = send(t, ec, key, to, big.NewInt(1))
	}
	r := waitReceipt(t, ec, last)
	old := types.MustSignNewTx(key, types.LatestSignerForChainID(big.NewInt(4242)), &types.DynamicFeeTx{ChainID: big.NewInt(4242), Nonce: 0,
		GasTipCap: big.NewInt(gwei), GasFeeCap: big.NewInt(10 * gwei), Gas: 21_000, To: &to})
	if err := ec.SendTransaction(ctx, old); err == nil {
		t.Fatal("nonce too low accepted")
	}
	time.Sleep(300 * time.Millisecond) // a few more (empty) blocks

	resp, err := http.Get("http://" + c.PrometheusAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	chain := `chain_id="spn-test"`
	for _, m := range []struct {
		name   string
		labels []string
		min    float64
	}{
		{"spn_blocks_total", []string{chain, `vm="evm"`}, float64(r.BlockNumber.Uint64())},
		{"spn_block_height", []string{chain}, float64(r.BlockNumber.Uint64())},
		{"spn_txs_total", []string{chain}, 3},
		{"spn_gas_used_total", []string{chain}, 3 * 21_000},
		{"spn_block_exec_seconds_count", []string{chain}, 1},
		{"spn_block_store_seconds_count", []string{chain}, 1},
		{"spn_block_parallel_speedup", []string{chain}, 1},
		{"spn_executions_total", []string{chain}, 0},
		{"spn_aborts_total", []string{chain}, 0},
		{"spn_block_base_fee", []string{chain}, 1},
		{"spn_state_versions", []string{chain}, 1}, // the MemState holds the recent blocks' states
		{"spn_checktx_rejected_total", []string{chain, `reason="nonce_too_low"`, `type="new"`}, 1},
		{"cometbft_mempool_size", []string{chain}, 0},
		{"cometbft_consensus_height", []string{chain}, 1},
	} {
		v, ok := metricValue(text, m.name, m.labels...)
		if !ok || v < m.min {
			t.Errorf("%s%v = %v (present %v), want >= %v", m.name, m.labels, v, ok, m.min)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", text)
	}

	// One structured log line per committed block.
	line := ""
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "committed block") && strings.Contains(l, fmt.Sprintf("height=%d ", r.BlockNumber.Uint64())) {
			line = l
		}
	}
	for _, want := range []string{"module=spn", "txs=", "gas=", "base_fee=", "exec=", "store=", "speedup=", "mode="} {
		if !strings.Contains(line, want) {
			t.Fatalf("block log %q lacks %q", line, want)
		}
	}
}

// TestEstimateSpeedup checks the speedup estimate on its edge cases.
func TestEstimateSpeedup(t *testing.T) {
	for _, c := range []struct {
		txs, par, workers int
		execs             uint64
		want              float64
	}{
		{0, 0, 4, 0, 1},
		{100, 0, 4, 100, 1},        // sequential
		{100, 100, 1, 100, 1},      // one worker
		{100, 100, 4, 100, 4},      // no conflicts
		{100, 100, 4, 200, 2},      // every tx executed twice
		{2, 2, 4, 2, 2},            // fewer txs than workers
		{100, 50, 2, 100, 4.0 / 3}, // half parallel (no re-execution), half sequential
	} {
		if got := node.EstimateSpeedup(c.txs, c.par, c.workers, c.execs); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("EstimateSpeedup(%d, %d, %d, %d) = %v, want %v", c.txs, c.par, c.workers, c.execs, got, c.want)
		}
	}
	var m *node.Metrics // nil metrics record nothing
	m.ObserveBlock(node.BlockStats{Height: 1})
	m.ObserveCheckTxReject(node.RejectFunds, false)
}

func dialEth(t *testing.T, n *node.Node) *ethclient.Client {
	t.Helper()
	c, err := ethclient.Dial("http://" + n.EthAddr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
