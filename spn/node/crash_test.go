package node_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/farolnet/farol/spn/node"
)

// buildSpnd builds cmd/spnd into a temporary directory (or returns $SPND_BIN).
func buildSpnd(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("SPND_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "spnd")
	start := time.Now()
	out, err := exec.Command("go", "build", "-o", bin, "github.com/farolnet/farol/cmd/spnd").CombinedOutput()
	if err != nil {
		t.Fatalf("go build cmd/spnd: %v\n%s", err, out)
	}
	t.Logf("built spnd in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// chainRecord is what the test has seen of the chain: blocks and receipts read from
// the node's JSON-RPC before a kill, which must be unchanged after every restart.
type chainRecord struct {
	mu       sync.Mutex
	blocks   map[uint64]blockSeen
	receipts map[common.Hash]receiptSeen
	top      uint64 // highest recorded block
}

type blockSeen struct {
	hash, root common.Hash
	txs        int
}

type receiptSeen struct {
	block     uint64
	blockHash common.Hash
	index     uint
	status    uint64
	gasUsed   uint64
}

// poll records the blocks after the highest recorded one and their receipts.
func (r *chainRecord) poll(ctx context.Context, c *ethclient.Client) error {
	n, err := c.BlockNumber(ctx)
	if err != nil {
		return err
	}
	r.mu.Lock()
	from := r.top + 1
	r.mu.Unlock()
	for h := from; h <= n; h++ {
		b, err := c.BlockByNumber(ctx, new(big.Int).SetUint64(h))
		if err != nil {
			return err
		}
		rs := map[common.Hash]receiptSeen{}
		for _, tx := range b.Transactions() {
			rc, err := c.TransactionReceipt(ctx, tx.Hash())
			if err != nil {
				return err
			}
			rs[tx.Hash()] = receiptSeen{block: rc.BlockNumber.Uint64(), blockHash: rc.BlockHash, index: rc.TransactionIndex, status: rc.Status, gasUsed: rc.GasUsed}
		}
		r.mu.Lock()
		r.blocks[h] = blockSeen{hash: b.Hash(), root: b.Root(), txs: len(b.Transactions())}
		for k, v := range rs {
			r.receipts[k] = v
		}
		r.top = h
		r.mu.Unlock()
	}
	return nil
}

// verify checks every recorded block and receipt against the node.
func (r *chainRecord) verify(ctx context.Context, c *ethclient.Client) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for h, want := range r.blocks {
		b, err := c.BlockByNumber(ctx, new(big.Int).SetUint64(h))
		if err != nil {
			return fmt.Errorf("block %d: %w", h, err)
		}
		if b.Hash() != want.hash || b.Root() != want.root || len(b.Transactions()) != want.txs {
			return fmt.Errorf("block %d changed: hash %s root %s txs %d, was %s %s %d", h, b.Hash(), b.Root(), len(b.Transactions()), want.hash, want.root, want.txs)
		}
	}
	// Receipts in JSON-RPC batches of 200.
	hashes := make([]common.Hash, 0, len(r.receipts))
	for h := range r.receipts {
		hashes = append(hashes, h)
	}
	for len(hashes) > 0 {
		n := min(200, len(hashes))
		batch := make([]rpc.BatchElem, n)
		rcs := make([]*types.Receipt, n)
		for i, h := range hashes[:n] {
			batch[i] = rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{h}, Result: &rcs[i]}
		}
		if err := c.Client().BatchCallContext(ctx, batch); err != nil {
			return err
		}
		for i, h := range hashes[:n] {
			want := r.receipts[h]
			if batch[i].Error != nil || rcs[i] == nil {
				return fmt.Errorf("receipt of %s (block %d) lost: %v", h, want.block, batch[i].Error)
			}
			rc := rcs[i]
			got := receiptSeen{block: rc.BlockNumber.Uint64(), blockHash: rc.BlockHash, index: rc.TransactionIndex, status: rc.Status, gasUsed: rc.GasUsed}
			if got != want {
				return fmt.Errorf("receipt of %s changed: %+v, was %+v", h, got, want)
			}
		}
		hashes = hashes[n:]
	}
	return nil
}

// spndProc is one run of the spnd binary.
type spndProc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func startSpnd(t *testing.T, bin, home string, life int, env ...string) *spndProc {
	t.Helper()
	logPath := filepath.Join(home, fmt.Sprintf("spnd-%02d.log", life))
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "start", "--home", home, "--log-level", "info")
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &spndProc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); f.Close(); close(p.done) }()
	return p
}

func (p *spndProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *spndProc) tail() string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// handshake returns the heights CometBFT's handshake logged in a run's log (app,
// block store, state) and whether the run logged it.
func (p *spndProc) handshake() (app, store, state int, ok bool) {
	b, _ := os.ReadFile(p.log)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "ABCI Replay Blocks") {
			_, err := fmt.Sscanf(line[strings.Index(line, "appHeight="):], "appHeight=%d storeHeight=%d stateHeight=%d", &app, &store, &state)
			return app, store, state, err == nil
		}
	}
	return 0, 0, 0, false
}

// waitRPC waits until the node's JSON-RPC answers with a height of at least min.
func waitRPC(ctx context.Context, p *spndProc, url string, min uint64) (*ethclient.Client, error) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return nil, fmt.Errorf("spnd exited: %v", p.cmd.ProcessState)
		default:
		}
		if c, err := ethclient.Dial(url); err == nil {
			if n, err := c.BlockNumber(ctx); err == nil && n >= min {
				return c, nil
			}
			c.Close()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil, fmt.Errorf("no JSON-RPC at %s with height >= %d", url, min)
}

// sender sends transfers from keys to recipients until stop is closed.
func sender(ctx context.Context, c *ethclient.Client, keys []*ecdsa.PrivateKey, to []common.Address, stop <-chan struct{}, sent *atomic.Int64) {
	signer := types.LatestSignerForChainID(big.NewInt(4242))
	nonces := make([]uint64, len(keys))
	fresh := make([]bool, len(keys))
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for i := 0; ; i = (i + 1) % len(keys) {
		select {
		case <-stop:
			return
		default:
		}
		from := crypto.PubkeyToAddress(keys[i].PublicKey)
		if !fresh[i] {
			n, err := c.PendingNonceAt(ctx, from)
			if err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			nonces[i], fresh[i] = n, true
		}
		tx := types.MustSignNewTx(keys[i], signer, &types.DynamicFeeTx{ChainID: big.NewInt(4242), Nonce: nonces[i],
			GasTipCap: big.NewInt(gwei), GasFeeCap: big.NewInt(50 * gwei), Gas: 21_000,
			To: &to[rng.Intn(len(to))], Value: big.NewInt(1 + rng.Int63n(1_000_000))})
		if err := c.SendTransaction(ctx, tx); err != nil {
			fresh[i] = false // refetch the nonce (and back off if the node is gone)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		nonces[i]++
		sent.Add(1)
		time.Sleep(time.Millisecond)
	}
}

// TestCrashRecovery runs the spnd binary, sends transfers continuously, kills it
// with SIGKILL at random points (sometimes during its start-up and handshake replay)
// and restarts it, many times; three more runs kill themselves at fixed points of
// Commit (after the state step, after the block batch, after the sync); each life
// flushes the state at its own interval. After every restart each block and receipt seen
// before is unchanged; at the end the chain continues, CometBFT's app hashes match
// the blocks' state roots and the balances add up (initial supply = balances + burnt
// base fees). 5 kills; 25 with FAROL_LONG=1.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the spnd binary")
	}
	kills := 5
	if os.Getenv("FAROL_LONG") != "" {
		kills = 25
	}
	bin := buildSpnd(t)
	began := time.Now()
	dev, _ := crypto.GenerateKey()
	devAddr := crypto.PubkeyToAddress(dev.PublicKey)
	home := initHome(t, devAddr)
	cfg, err := node.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	cfg.EthRPCAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg.PrometheusAddr = ""
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewSource(seed))
	// Each life flushes the state every block, every few blocks or at the default
	// interval (ADR 010), so restarts replay from zero to many blocks.
	flushChoices := []uint64{1, 3, 8, 0}
	writeConfig := func(life int) {
		cfg.StateFlushBlocks = flushChoices[rng.Intn(len(flushChoices))]
		enc, _ := json.MarshalIndent(&cfg, "", "  ")
		if err := os.WriteFile(filepath.Join(home, "config", "spnd.json"), enc, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Logf("life %d: state_flush_blocks %d", life, cfg.StateFlushBlocks)
	}
	writeConfig(0)
	url := "http://" + cfg.EthRPCAddr
	ctx := context.Background()
	t.Logf("seed %d, %d kills", seed, kills)

	keys := []*ecdsa.PrivateKey{dev}
	for i := 0; i < 3; i++ {
		k, _ := crypto.GenerateKey()
		keys = append(keys, k)
	}
	var recipients []common.Address
	for i := 0; i < 8; i++ {
		recipients = append(recipients, common.BigToAddress(big.NewInt(int64(0xa000+i))))
	}
	rec := &chainRecord{blocks: map[uint64]blockSeen{}, receipts: map[common.Hash]receiptSeen{}}
	var sent atomic.Int64
	earlyKills, crashPoints := 0, 0
	appBehind, appAhead, maxBehind := 0, 0, 0 // handshakes that replayed blocks on the app / only on CometBFT's state

	// Life 0 funds the other senders.
	p := startSpnd(t, bin, home, 0)
	c, err := waitRPC(ctx, p, url, 0)
	if err != nil {
		p.kill()
		t.Fatalf("%v\n%s", err, p.tail())
	}
	var last common.Hash
	for _, k := range keys[1:] {
		last = send(t, c, dev, crypto.PubkeyToAddress(k.PublicKey), new(big.Int).Mul(ether, big.NewInt(100)))
	}
	waitReceipt(t, c, last)
	c.Close()

	// How each life ends: a SIGKILL at a random time ("") or the process killing
	// itself at a point of Commit (app.go's SPND_CRASH_AT).
	schedule := []string{"", "persist", "write", "sync"}
	for i := 1; i < kills; i++ {
		schedule = append(schedule, "")
	}
	rng.Shuffle(len(schedule)-1, func(i, j int) { schedule[i+1], schedule[j+1] = schedule[j+1], schedule[i+1] })
	lives := len(schedule)
	for life := 0; life <= lives; life++ {
		point := ""
		if life < lives {
			point = schedule[life]
		}
		if life > 0 {
			var env []string
			if point != "" {
				env = append(env, fmt.Sprintf("SPND_CRASH_AT=%s@+%d", point, 15+rng.Intn(10)))
			}
			writeConfig(life)
			p = startSpnd(t, bin, home, life, env...)
			if life < lives && point == "" && rng.Intn(4) == 0 {
				// Kill during start-up: CometBFT's handshake may be replaying blocks.
				time.Sleep(time.Duration(rng.Intn(1500)) * time.Millisecond)
				p.kill()
				earlyKills++
				continue
			}
		}
		rec.mu.Lock()
		top := rec.top
		rec.mu.Unlock()
		c, err := waitRPC(ctx, p, url, top)
		if err != nil {
			p.kill()
			t.Fatalf("life %d: %v\n%s", life, err, p.tail())
		}
		if err := rec.verify(ctx, c); err != nil {
			if point != "" {
				select {
				case <-p.done: // reached its crash point while being checked
					crashPoints++
					c.Close()
					continue
				case <-time.After(3 * time.Second):
				}
			}
			p.kill()
			t.Fatalf("life %d after restart: %v\n%s", life, err, p.tail())
		}
		if app, store, state, ok := p.handshake(); ok && life > 0 {
			switch {
			case app < store:
				appBehind++
				maxBehind = max(maxBehind, store-app)
			case state < store:
				appAhead++
			}
			t.Logf("life %d: handshake app %d, block store %d, state %d", life, app, store, state)
		}
		if life == lives {
			c.Close()
			break
		}
		stop := make(chan struct{})
		var pollErr atomic.Value
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); sender(ctx, c, keys, recipients, stop, &sent) }()
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(30 * time.Millisecond):
				}
				if err := rec.poll(ctx, c); err != nil { // fails once the node is killed
					pollErr.Store(err.Error())
				}
			}
		}()
		if point == "" {
			time.Sleep(time.Duration(300+rng.Intn(1700)) * time.Millisecond)
			p.kill()
		} else {
			select {
			case <-p.done:
				crashPoints++
			case <-time.After(60 * time.Second):
				p.kill()
				t.Fatalf("life %d: no crash at %s (recorded up to %d; last poll error %v)\n%s", life, point, rec.top, pollErr.Load(), p.tail())
			}
		}
		close(stop)
		wg.Wait()
		c.Close()
		rec.mu.Lock()
		if rec.top == top {
			t.Logf("life %d: no new block recorded (last poll error %v)", life, pollErr.Load())
		}
		rec.mu.Unlock()
	}

	// The chain continues after the last restart.
	c, err = waitRPC(ctx, p, url, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { c.Close(); p.kill() }()
	r := waitReceipt(t, c, send(t, c, dev, recipients[0], big.NewInt(7)))
	rec.mu.Lock()
	top, nReceipts := rec.top, len(rec.receipts)
	rec.mu.Unlock()
	if r.BlockNumber.Uint64() <= top {
		t.Fatalf("new tx in block %d, not after the recorded %d", r.BlockNumber, top)
	}
	final := r.BlockNumber

	// CometBFT's app hash of each height is the state root of the block before.
	cmt, err := rpchttp.New(cfg.CometRPCAddr, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	burnt := new(big.Int)
	var coinbases []common.Address
	seenCB := map[common.Address]bool{}
	for h := uint64(1); h <= final.Uint64(); h++ {
		hdr, err := c.HeaderByNumber(ctx, new(big.Int).SetUint64(h))
		if err != nil {
			t.Fatal(err)
		}
		burnt.Add(burnt, new(big.Int).Mul(hdr.BaseFee, new(big.Int).SetUint64(hdr.GasUsed)))
		if !seenCB[hdr.Coinbase] {
			seenCB[hdr.Coinbase] = true
			coinbases = append(coinbases, hdr.Coinbase)
		}
		ch := int64(h) + 1
		if ch > int64(final.Uint64()) {
			continue
		}
		cb, err := cmt.Block(ctx, &ch)
		if err != nil {
			t.Fatalf("cometbft block %d: %v", ch, err)
		}
		if !bytes.Equal(cb.Block.AppHash, hdr.Root.Bytes()) {
			t.Fatalf("height %d: cometbft app hash %X, block state root %s", ch, cb.Block.AppHash, hdr.Root)
		}
	}
	// Supply: the dev allocation = balances + burnt base fees.
	total := new(big.Int).Set(burnt)
	accounts := append([]common.Address{}, recipients...)
	for _, k := range keys {
		accounts = append(accounts, crypto.PubkeyToAddress(k.PublicKey))
	}
	accounts = append(accounts, coinbases...)
	for _, a := range accounts {
		bal, err := c.BalanceAt(ctx, a, final)
		if err != nil {
			t.Fatal(err)
		}
		total.Add(total, bal)
	}
	if want := new(big.Int).Mul(ether, big.NewInt(1000)); total.Cmp(want) != 0 {
		t.Fatalf("balances + burnt = %v, want %v", total, want)
	}
	t.Logf("%d kills (%d during start-up) and %d crashes at commit points, %d txs sent, %d receipts and %d blocks checked after every restart, final height %d, burnt %v wei, %v",
		kills, earlyKills, crashPoints, sent.Load(), nReceipts, top, final, burnt, time.Since(began).Round(time.Millisecond))
	t.Logf("restarts: %d replayed blocks on the app (up to %d blocks behind), %d had the app one block ahead of CometBFT's state", appBehind, maxBehind, appAhead)
}
