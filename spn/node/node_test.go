package node_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/farolnet/farol/spn/node"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

var ether = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// testConfig is the node configuration of the tests: free local ports, an RPC on a
// port the system picks, 100 ms blocks, two workers.
func testConfig(t *testing.T) node.Config {
	cfg := node.DefaultConfig()
	cfg.P2PAddr = fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
	cfg.CometRPCAddr = fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
	cfg.EthRPCAddr = "127.0.0.1:0"
	cfg.BlockInterval = 100 * time.Millisecond
	cfg.Workers = 2
	return cfg
}

func initHome(t *testing.T, dev common.Address) string {
	t.Helper()
	home := t.TempDir()
	cfg := testConfig(t)
	g := node.DefaultGenesis(4242)
	g.Alloc[dev] = node.GenesisAlloc{Balance: (*hexutil.Big)(new(big.Int).Mul(ether, big.NewInt(1000)))}
	if err := node.Init(home, node.InitOptions{ChainID: "spn-test", Genesis: g, Config: cfg}); err != nil {
		t.Fatal(err)
	}
	return home
}

func start(t *testing.T, home string) (*node.Node, *ethclient.Client) {
	t.Helper()
	n, err := node.Start(home, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ethclient.Dial("http://" + n.EthAddr)
	if err != nil {
		n.Stop()
		t.Fatal(err)
	}
	return n, c
}

func waitReceipt(t *testing.T, c *ethclient.Client, h common.Hash) *types.Receipt {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		var r *types.Receipt
		if r, err = c.TransactionReceipt(context.Background(), h); err == nil {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no receipt for %s: %v", h, err)
	return nil
}

func send(t *testing.T, c *ethclient.Client, key *ecdsa.PrivateKey, to common.Address, value *big.Int) common.Hash {
	t.Helper()
	ctx := context.Background()
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := c.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tip, err := c.SuggestGasTipCap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx := types.MustSignNewTx(key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: new(big.Int).Mul(tip, big.NewInt(3)),
		Gas: 21_000, To: &to, Value: value,
	})
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	return tx.Hash()
}

// TestEthClientTransfersAndRestart runs an in-process spnd, sends ETH transfers with
// go-ethereum's ethclient, checks receipts and balances, restarts the node from the
// same home and checks that the chain continues with the balances kept.
func TestEthClientTransfersAndRestart(t *testing.T) {
	key, _ := crypto.GenerateKey()
	dev := crypto.PubkeyToAddress(key.PublicKey)
	home := initHome(t, dev)
	n, c := start(t, home)
	ctx := context.Background()

	if id, err := c.ChainID(ctx); err != nil || id.Uint64() != 4242 {
		t.Fatalf("chain id %v %v", id, err)
	}
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	var last common.Hash
	for i := 0; i < 5; i++ {
		last = send(t, c, key, to, big.NewInt(int64(1000+i)))
	}
	r := waitReceipt(t, c, last)
	if r.Status != types.ReceiptStatusSuccessful || r.GasUsed != 21_000 {
		t.Fatalf("receipt %+v", r)
	}
	bal, err := c.BalanceAt(ctx, to, nil)
	if err != nil || bal.Int64() != 1000+1001+1002+1003+1004 {
		t.Fatalf("balance %v %v", bal, err)
	}
	blk, err := c.BlockByNumber(ctx, r.BlockNumber)
	if err != nil {
		t.Fatal(err)
	}
	if blk.Hash() != r.BlockHash || blk.Transaction(last) == nil {
		t.Fatalf("block %d: hash %s, receipt's %s", r.BlockNumber, blk.Hash(), r.BlockHash)
	}
	if nonce, err := c.NonceAt(ctx, dev, nil); err != nil || nonce != 5 {
		t.Fatalf("nonce %d %v", nonce, err)
	}
	// Bad input: wrong chain id, nonce too low.
	bad := types.MustSignNewTx(key, types.LatestSignerForChainID(big.NewInt(1)), &types.LegacyTx{Nonce: 5, GasPrice: big.NewInt(2e9), Gas: 21_000, To: &to})
	if err := c.SendTransaction(ctx, bad); err == nil {
		t.Fatal("wrong chain id accepted")
	}
	old := types.MustSignNewTx(key, types.LatestSignerForChainID(big.NewInt(4242)), &types.LegacyTx{Nonce: 0, GasPrice: big.NewInt(2e9), Gas: 21_000, To: &to})
	if err := c.SendTransaction(ctx, old); err == nil {
		t.Fatal("nonce too low accepted")
	}
	height, _, root := n.App.Head()
	_ = root
	c.Close()
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}

	n, c = start(t, home)
	defer func() { c.Close(); n.Stop() }()
	if h, _, _ := n.App.Head(); h < height {
		t.Fatalf("restarted at height %d < %d", h, height)
	}
	if bal2, err := c.BalanceAt(ctx, to, nil); err != nil || bal2.Cmp(bal) != 0 {
		t.Fatalf("balance after restart %v %v", bal2, err)
	}
	r2 := waitReceipt(t, c, send(t, c, key, to, big.NewInt(1)))
	if r2.BlockNumber.Uint64() <= height || r2.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("after restart: receipt in block %v status %d", r2.BlockNumber, r2.Status)
	}
	if got, _ := c.BalanceAt(ctx, to, nil); got.Int64() != bal.Int64()+1 {
		t.Fatalf("balance %v", got)
	}
	if r0, err := c.TransactionReceipt(ctx, last); err != nil || r0.BlockHash != r.BlockHash {
		t.Fatalf("old receipt after restart: %v", err)
	}
}
