package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	spnexec "github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasmnode"
	"github.com/farolnet/farol/spn/wasmnode/client"
)

// TestMain lets the tests run this binary as spnd (SPND_TEST_EXEC=1), so a node can
// be killed with SIGKILL.
func TestMain(m *testing.M) {
	if os.Getenv("SPND_TEST_EXEC") == "1" {
		if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "spnd:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// spndProcess is a `spnd start` subprocess.
type spndProcess struct {
	cmd *exec.Cmd
}

func startProcess(t *testing.T, home string) *spndProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "start", "--home", home, "--log-level", "error")
	cmd.Env = append(os.Environ(), "SPND_TEST_EXEC=1")
	logf, err := os.OpenFile(filepath.Join(home, "spnd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &spndProcess{cmd: cmd}
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *spndProcess) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill() // SIGKILL
		_ = p.cmd.Wait()
	}
}

func initWasmCLIHome(t *testing.T) (home, url string) {
	t.Helper()
	home = t.TempDir()
	rpcAddr := freeAddr(t)
	var out bytes.Buffer
	args := []string{"init", "--vm", "wasm", "--home", home, "--chain-id", "spn-w", "--wasm-chain-id", "77",
		"--eth-rpc", rpcAddr, "--comet-rpc", "tcp://" + freeAddr(t), "--p2p", "tcp://" + freeAddr(t),
		"--block-interval", "100ms", "--prometheus", ""}
	if err := run(args, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "initialized Wasm SPN spn-w (wasm chain id 77)") {
		t.Fatalf("init output %q", out.String())
	}
	return home, "http://" + rpcAddr
}

func waitRPC(t *testing.T, url string) *client.Client {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := client.Dial(ctx, url)
		if err == nil {
			if n, err := c.BlockNumber(ctx); err == nil && n > 0 {
				cancel()
				return c
			}
			c.Close()
		}
		cancel()
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("node at %s not ready", url)
	return nil
}

// cli runs spnd with args and decodes its JSON output into out (if not nil).
func cli(t *testing.T, out any, args ...string) {
	t.Helper()
	var buf bytes.Buffer
	if err := run(args, &buf, &buf); err != nil {
		t.Fatalf("spnd %s: %v\n%s", strings.Join(args, " "), err, buf.String())
	}
	if out != nil {
		if err := json.Unmarshal(buf.Bytes(), out); err != nil {
			t.Fatalf("spnd %s: output %q: %v", strings.Join(args, " "), buf.String(), err)
		}
	}
}

// TestWasmCLI runs a Wasm SPN as a subprocess and drives it with spnd tx wasm /
// spnd query wasm: upload, instantiate and call the counter and token, read the tx,
// code, balance, nonce, block and events; bad input gives an error.
func TestWasmCLI(t *testing.T) {
	home, url := initWasmCLIHome(t)
	startProcess(t, home)
	waitRPC(t, url).Close()
	counterWasm := filepath.Join("..", "..", "spn", "wasm", "wasmtest", "testdata", "as_counter.wasm")
	tokenWasm := filepath.Join("..", "..", "spn", "wasm", "wasmtest", "testdata", "as_token.wasm")

	var up, in, r wasmnode.TxResult
	cli(t, &up, "tx", "wasm", "upload", counterWasm, "--home", home)
	if !up.OK() || up.CodeHash == nil {
		t.Fatalf("upload %+v", up)
	}
	cli(t, &in, "tx", "wasm", "instantiate", up.CodeHash.Hex(), "0x0000000000000028", "--home", home)
	if !in.OK() || in.Contract == nil {
		t.Fatalf("instantiate %+v", in)
	}
	counter := in.Contract.Hex()
	key := filepath.Join(home, "config", "dev_key.hex")
	cli(t, &r, "tx", "wasm", "execute", "--node", url, "--key", key, counter, "00")
	if !r.OK() || hex.EncodeToString(r.Return) != "0000000000000029" {
		t.Fatalf("execute %+v", r)
	}
	var q wasmnode.QueryResult
	cli(t, &q, "query", "wasm", "contract", counter, "01", "--node", url)
	if binary.BigEndian.Uint64(q.Result) != 41 {
		t.Fatalf("query %+v", q)
	}
	var got wasmnode.TxResult
	cli(t, &got, "query", "wasm", "tx", r.Hash.Hex(), "--home", home)
	if got.BlockNumber != r.BlockNumber || got.Kind != "call" {
		t.Fatalf("query tx %+v", got)
	}
	var ci wasmnode.CodeInfo
	out := filepath.Join(t.TempDir(), "code.wasm")
	cli(t, &ci, "query", "wasm", "code", up.CodeHash.Hex(), "--out", out, "--home", home)
	if st, err := os.Stat(out); err != nil || ci.Size == 0 || st.Size() != int64(ci.Size) {
		t.Fatalf("code %+v %v", ci, err)
	}
	var bal, nonce map[string]any
	cli(t, &bal, "query", "wasm", "balance", up.From.Hex(), "--home", home)
	cli(t, &nonce, "query", "wasm", "nonce", up.From.Hex(), "--home", home)
	if bal["balance"] == "0" || nonce["nonce"] != float64(3) {
		t.Fatalf("balance %v nonce %v", bal, nonce)
	}

	// token transfer to a fresh address, then events and block
	var tup, tin, tr wasmnode.TxResult
	cli(t, &tup, "tx", "wasm", "upload", tokenWasm, "--home", home)
	cli(t, &tin, "tx", "wasm", "instantiate", tup.CodeHash.Hex(), "00000000000003e8", "--home", home)
	to := common.Address{0xaa}
	cli(t, &tr, "tx", "wasm", "execute", tin.Contract.Hex(), "01"+hex.EncodeToString(to[:])+"0000000000000007", "--home", home)
	if !tr.OK() || len(tr.Events) != 1 {
		t.Fatalf("token transfer %+v", tr)
	}
	var evs []wasmnode.Event
	cli(t, &evs, "query", "wasm", "events", "--from", "1", "--contract", tin.Contract.Hex(), "--topic", "Transfer", "--home", home)
	if len(evs) != 1 || *evs[0].TxHash != tr.Hash {
		t.Fatalf("events %+v", evs)
	}
	var blk wasmnode.Block
	cli(t, &blk, "query", "wasm", "block", fmt.Sprint(tr.BlockNumber), "--full", "--home", home)
	if len(blk.Txs) == 0 || blk.TxHashes[tr.Index] != tr.Hash {
		t.Fatalf("block %+v", blk)
	}
	var nt wasmnode.TxResult
	cli(t, &nt, "tx", "wasm", "transfer", to.Hex(), "1000", "--home", home)
	var tb map[string]any
	cli(t, &tb, "query", "wasm", "balance", to.Hex(), "--home", home)
	if tb["balance"] != "1000" {
		t.Fatalf("transfer: balance %v", tb)
	}

	// errors
	var buf bytes.Buffer
	for _, args := range [][]string{
		{"tx", "wasm", "execute", common.Address{1}.Hex(), "00", "--home", home}, // no contract
		{"tx", "wasm", "upload", "--home", home, filepath.Join("..", "..", "spn", "wasm", "testdata", "hostile", "forbidden_import.wasm"), "--gas", "1000000"},
		{"tx", "wasm", "instantiate", "0x01", "--home", home},           // bad hash
		{"query", "wasm", "contract", counter, "09", "--home", home},    // reverts
		{"query", "wasm", "code", common.Hash{1}.Hex(), "--home", home}, // unknown code
		{"tx", "wasm", "transfer", to.Hex(), "1", "--node", url},        // no key
	} {
		buf.Reset()
		if err := run(args, &buf, &buf); err == nil {
			t.Errorf("spnd %s succeeded: %s", strings.Join(args, " "), buf.String())
		}
	}
}

// TestWasmKill kills a Wasm SPN node (SIGKILL) at random moments while it commits
// blocks of transactions, restarts it, and checks that nothing committed is lost:
// every receipt seen before a kill is found again in the same block, block state
// roots are unchanged, and the counter never goes back.
func TestWasmKill(t *testing.T) {
	home, url := initWasmCLIHome(t)
	p := startProcess(t, home)
	c := waitRPC(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	key, err := loadKey(filepath.Join(home, "config", "dev_key.hex"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := client.NewSigner(ctx, c, key)
	if err != nil {
		t.Fatal(err)
	}
	code, err := os.ReadFile(filepath.Join("..", "..", "spn", "wasm", "wasmtest", "testdata", "as_counter.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	up, err := s.Upload(ctx, code)
	if err != nil || !up.OK() {
		t.Fatalf("upload %+v %v", up, err)
	}
	in, err := s.Instantiate(ctx, *up.CodeHash, make([]byte, 8), spnexec.U256{})
	if err != nil || !in.OK() {
		t.Fatalf("instantiate %+v %v", in, err)
	}
	counter := wasm.Address(*in.Contract)
	s.GasLimit = 200_000

	seen := map[common.Hash]*wasmnode.TxResult{} // committed receipts observed
	roots := map[uint64]common.Hash{}            // state root of committed blocks observed
	var count uint64                             // counter value observed
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 4; round++ {
		// keep sending increments until the kill
		var mu sync.Mutex
		var sent []common.Hash
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if h, err := s.Send(ctx, wasm.Tx{Kind: wasm.TxCall, To: counter, Data: []byte{0}}); err == nil {
					mu.Lock()
					sent = append(sent, h)
					mu.Unlock()
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
		time.Sleep(time.Duration(300+rng.IntN(700)) * time.Millisecond)
		// observe what is committed (while txs keep coming), then kill soon after
		mu.Lock()
		hs := append([]common.Hash(nil), sent...)
		mu.Unlock()
		for _, h := range hs {
			if r, err := c.Tx(ctx, h); err == nil {
				seen[h] = r
			}
		}
		if out, err := c.Query(ctx, counter, []byte{1}); err == nil {
			count = max(count, binary.BigEndian.Uint64(out))
		}
		if n, err := c.BlockNumber(ctx); err == nil {
			if b, err := c.Block(ctx, wasmnode.BlockNumber(n), false); err == nil {
				roots[n] = b.StateRoot
			}
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		p.kill()
		close(stop)
		<-done
		c.Close()

		p = startProcess(t, home)
		c = waitRPC(t, url)
		s.C = c
		for h, r := range seen {
			got, err := c.Tx(ctx, h)
			if err != nil || got.BlockNumber != r.BlockNumber || got.Index != r.Index || got.Status != r.Status {
				t.Fatalf("round %d: tx %s lost after kill: %+v %v (was %+v)", round, h, got, err, r)
			}
		}
		for n, root := range roots {
			b, err := c.Block(ctx, wasmnode.BlockNumber(n), false)
			if err != nil || b.StateRoot != root {
				t.Fatalf("round %d: block %d root %v %v, was %v", round, n, b, err, root)
			}
		}
		out, err := c.Query(ctx, counter, []byte{1})
		if err != nil || binary.BigEndian.Uint64(out) < count {
			t.Fatalf("round %d: counter %x %v after kill, was %d", round, out, err, count)
		}
		t.Logf("round %d: %d txs sent, %d committed seen, counter %d", round, len(hs), len(seen), binary.BigEndian.Uint64(out))
	}
	if len(seen) == 0 {
		t.Fatal("no transaction committed")
	}
	// the node still works
	s.GasLimit = 0
	if r, err := s.Execute(ctx, counter, []byte{0}, spnexec.U256{}); err != nil || !r.OK() {
		t.Fatalf("after kills: %+v %v", r, err)
	}
}
