package node_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/farolnet/farol/spn/evm/evmtest"
	"github.com/farolnet/farol/spn/node"
)

var token = evmtest.Contracts["Token"]

// sendTx signs and sends a dynamic-fee transaction with the suggested tip and the
// next nonce; gas 0 asks eth_estimateGas.
func sendTx(t *testing.T, c *ethclient.Client, key *ecdsa.PrivateKey, to *common.Address, value *big.Int, data []byte, gas uint64) *types.Transaction {
	t.Helper()
	ctx := context.Background()
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := c.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	tip, err := c.SuggestGasTipCap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if value == nil {
		value = new(big.Int)
	}
	if gas == 0 {
		if gas, err = c.EstimateGas(ctx, ethereum.CallMsg{From: from, To: to, Value: value, Data: data}); err != nil {
			t.Fatalf("estimate gas: %v", err)
		}
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	tx := types.MustSignNewTx(key, types.LatestSignerForChainID(big.NewInt(4242)), &types.DynamicFeeTx{
		ChainID: big.NewInt(4242), Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap,
		Gas: gas, To: to, Value: value, Data: data,
	})
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatalf("send: %v", err)
	}
	return tx
}

// mustOK waits for tx's receipt and fails unless it succeeded.
func mustOK(t *testing.T, c *ethclient.Client, tx *types.Transaction) *types.Receipt {
	t.Helper()
	r := waitReceipt(t, c, tx.Hash())
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("tx %s failed: gas used %d of %d", tx.Hash(), r.GasUsed, tx.Gas())
	}
	return r
}

func pack(method string, args ...any) []byte { return evmtest.Pack("Token", method, args...) }

func balanceOf(t *testing.T, c *ethclient.Client, tok, who common.Address, block *big.Int) *big.Int {
	t.Helper()
	out, err := c.CallContract(context.Background(), ethereum.CallMsg{To: &tok, Data: pack("balanceOf", who)}, block)
	if err != nil {
		t.Fatalf("balanceOf: %v", err)
	}
	v, err := token.ABI.Unpack("balanceOf", out)
	if err != nil {
		t.Fatal(err)
	}
	return v[0].(*big.Int)
}

// stopNode closes c and stops n (Node.Stop waits for CometBFT's address book).
func stopNode(t *testing.T, n *node.Node, c *ethclient.Client) {
	t.Helper()
	c.Close()
	if err := n.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// dialWS connects an ethclient to the node's WebSocket endpoint (same address as HTTP).
func dialWS(t *testing.T, n *node.Node) *ethclient.Client {
	t.Helper()
	rc, err := rpc.DialWebsocket(context.Background(), "ws://"+n.EthAddr, "")
	if err != nil {
		t.Fatalf("websocket: %v", err)
	}
	return ethclient.NewClient(rc)
}

// TestERC20EthClient deploys the ERC-20 of spn/evm/evmtest with ethclient (gas from
// eth_estimateGas), mints and transfers, reads balanceOf with eth_call at the
// latest block, an older block (by number and hash) and every tag, reads the
// Transfer log from the receipt, from eth_getLogs (by range and by block hash) and
// from a WebSocket logs subscription, checks newHeads against the blocks' hashes,
// newPendingTransactions, a reverting call's error and data, eth_createAccessList
// with a state override, eth_getProof, eth_estimateGas, eth_feeHistory against the headers and
// the tips paid, eth_gasPrice, eth_getBlockReceipts and the block/index lookups.
func TestERC20EthClient(t *testing.T) {
	key, _ := crypto.GenerateKey()
	dev := crypto.PubkeyToAddress(key.PublicKey)
	home := initHome(t, dev)
	n, c := start(t, home)
	defer stopNode(t, n, c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Deploy (gas estimated for a contract creation).
	deploy := sendTx(t, c, key, nil, nil, token.Bytecode, 0)
	r := mustOK(t, c, deploy)
	tok := r.ContractAddress
	if tok != crypto.CreateAddress(dev, deploy.Nonce()) {
		t.Fatalf("contract address %s", tok)
	}
	if code, err := c.CodeAt(ctx, tok, nil); err != nil || len(code) == 0 {
		t.Fatalf("code: %d bytes, %v", len(code), err)
	}
	mustOK(t, c, sendTx(t, c, key, &tok, nil, pack("mint", dev, big.NewInt(1_000_000)), 0))
	before, err := c.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b := balanceOf(t, c, tok, dev, nil); b.Int64() != 1_000_000 {
		t.Fatalf("balance after mint %v", b)
	}

	// WebSocket subscriptions, made before the transfer.
	ws := dialWS(t, n)
	defer ws.Close()
	to := common.HexToAddress("0x00000000000000000000000000000000000000b0")
	transferSig := token.ABI.Events["Transfer"].ID
	logsCh := make(chan types.Log, 16)
	logSub, err := ws.SubscribeFilterLogs(ctx, ethereum.FilterQuery{
		Addresses: []common.Address{tok},
		Topics:    [][]common.Hash{{transferSig}, nil, {common.BytesToHash(to[:])}},
	}, logsCh)
	if err != nil {
		t.Fatalf("subscribe logs: %v", err)
	}
	defer logSub.Unsubscribe()
	heads := make(chan *types.Header, 64)
	headSub, err := ws.SubscribeNewHead(ctx, heads)
	if err != nil {
		t.Fatalf("subscribe heads: %v", err)
	}
	defer headSub.Unsubscribe()
	pending := make(chan common.Hash, 16)
	txSub, err := ws.Client().EthSubscribe(ctx, pending, "newPendingTransactions")
	if err != nil {
		t.Fatalf("subscribe pending: %v", err)
	}
	defer txSub.Unsubscribe()

	// Transfer with estimated gas.
	transfer := sendTx(t, c, key, &tok, nil, pack("transfer", to, big.NewInt(250)), 0)
	r = mustOK(t, c, transfer)
	if len(r.Logs) != 1 {
		t.Fatalf("receipt logs: %d", len(r.Logs))
	}
	rl := r.Logs[0]
	if rl.Address != tok || rl.Topics[0] != transferSig || common.BytesToAddress(rl.Topics[1][:]) != dev ||
		common.BytesToAddress(rl.Topics[2][:]) != to || new(big.Int).SetBytes(rl.Data).Int64() != 250 {
		t.Fatalf("receipt log %+v", rl)
	}
	if rl.BlockHash != r.BlockHash || rl.TxHash != transfer.Hash() || rl.BlockNumber != r.BlockNumber.Uint64() || rl.TxIndex != r.TransactionIndex {
		t.Fatalf("receipt log fields %+v", rl)
	}
	if b := balanceOf(t, c, tok, to, nil); b.Int64() != 250 {
		t.Fatalf("balanceOf(to) %v", b)
	}
	if b := balanceOf(t, c, tok, dev, new(big.Int).SetUint64(before)); b.Int64() != 1_000_000 {
		t.Fatalf("balanceOf(dev) at block %d: %v", before, b)
	}
	if b := balanceOf(t, c, tok, dev, nil); b.Int64() != 1_000_000-250 {
		t.Fatalf("balanceOf(dev) %v", b)
	}
	// eth_getProof: the balances, proven against the state roots.
	if v := checkProof(t, c, tok, evmtest.BalanceSlot(to), nil); v.Int64() != 250 {
		t.Fatalf("proven balance of to: %v", v)
	}
	if v := checkProof(t, c, tok, evmtest.BalanceSlot(to), new(big.Int).SetUint64(before)); v.Sign() != 0 {
		t.Fatalf("proven balance of to before the transfer: %v", v)
	}
	// eth_call at a block hash, and at the tags.
	old, err := c.HeaderByNumber(ctx, new(big.Int).SetUint64(before))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.CallContractAtHash(ctx, ethereum.CallMsg{To: &tok, Data: pack("balanceOf", dev)}, old.Hash())
	if err != nil || new(big.Int).SetBytes(out).Int64() != 1_000_000 {
		t.Fatalf("call at hash: %x %v", out, err)
	}
	for tag, want := range map[string]int64{"latest": 1_000_000 - 250, "pending": 1_000_000 - 250, "safe": 1_000_000 - 250, "finalized": 1_000_000 - 250, "earliest": 0} {
		var res hexutil.Bytes
		if err := c.Client().CallContext(ctx, &res, "eth_call", map[string]any{"to": tok, "input": hexutil.Bytes(pack("balanceOf", dev))}, tag); err != nil {
			t.Fatalf("call at %s: %v", tag, err)
		}
		if new(big.Int).SetBytes(res).Int64() != want {
			t.Fatalf("call at %s: %x", tag, res)
		}
	}

	// eth_getLogs by range (topics with a null and an OR-set), by block hash.
	q := ethereum.FilterQuery{
		FromBlock: big.NewInt(0), Addresses: []common.Address{tok, dev},
		Topics: [][]common.Hash{{transferSig, token.ABI.Events["Approval"].ID}, nil, {common.BytesToHash(to[:]), common.BytesToHash(dev[:])}},
	}
	logs, err := c.FilterLogs(ctx, q)
	if err != nil {
		t.Fatalf("getLogs: %v", err)
	}
	// The mint (to dev) and the transfer (to to).
	if len(logs) != 2 || logs[1].TxHash != transfer.Hash() || logs[1].Index != rl.Index || logs[1].BlockHash != r.BlockHash || logs[1].Removed {
		t.Fatalf("getLogs: %+v", logs)
	}
	bh := r.BlockHash
	logs, err = c.FilterLogs(ctx, ethereum.FilterQuery{BlockHash: &bh, Topics: [][]common.Hash{{transferSig}}})
	if err != nil || len(logs) != 1 || logs[0].TxHash != transfer.Hash() {
		t.Fatalf("getLogs by hash: %v %+v", err, logs)
	}
	if logs, err = c.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: big.NewInt(0), Addresses: []common.Address{to}}); err != nil || len(logs) != 0 {
		t.Fatalf("getLogs of an address without logs: %v %d", err, len(logs))
	}

	// The WebSocket log subscription delivered the transfer.
	select {
	case l := <-logsCh:
		if l.TxHash != transfer.Hash() || l.BlockHash != r.BlockHash || l.Index != rl.Index {
			t.Fatalf("subscribed log %+v", l)
		}
	case err := <-logSub.Err():
		t.Fatalf("log subscription: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no log from the subscription")
	}
	select {
	case h := <-pending:
		if h != transfer.Hash() {
			t.Fatalf("pending tx %s, sent %s", h, transfer.Hash())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no pending transaction")
	}
	// newHeads: consecutive, and each header's hash is the RPC block's hash.
	var prev *types.Header
	for i := 0; i < 3; i++ {
		select {
		case h := <-heads:
			b, err := c.BlockByNumber(ctx, h.Number)
			if err != nil {
				t.Fatal(err)
			}
			if h.Hash() != b.Hash() {
				t.Fatalf("head %d: hash %s, block %s", h.Number, h.Hash(), b.Hash())
			}
			if prev != nil && (h.Number.Uint64() != prev.Number.Uint64()+1 || h.ParentHash != prev.Hash()) {
				t.Fatalf("head %d after %d", h.Number, prev.Number)
			}
			prev = h
		case err := <-headSub.Err():
			t.Fatalf("head subscription: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("no head")
		}
	}

	// A reverting call: "execution reverted: balance", code 3, the revert data.
	poor := common.HexToAddress("0x00000000000000000000000000000000000000c0")
	_, err = c.CallContract(ctx, ethereum.CallMsg{From: poor, To: &tok, Data: pack("transfer", to, big.NewInt(1))}, nil)
	var de rpc.DataError
	if err == nil || !errors.As(err, &de) || err.Error() != "execution reverted: balance" {
		t.Fatalf("reverting call: %v", err)
	}
	var re rpc.Error
	if !errors.As(err, &re) || re.ErrorCode() != 3 {
		t.Fatalf("reverting call: code %v", err)
	}
	data, _ := de.ErrorData().(string)
	raw, _ := hexutil.Decode(data)
	if reason, uerr := abi.UnpackRevert(raw); uerr != nil || reason != "balance" {
		t.Fatalf("revert data %q: %q %v", data, reason, uerr)
	}
	if _, err := c.EstimateGas(ctx, ethereum.CallMsg{From: poor, To: &tok, Data: pack("transfer", to, big.NewInt(1))}); err == nil || !strings.HasPrefix(err.Error(), "execution reverted") {
		t.Fatalf("estimate of a reverting call: %v", err)
	}

	// eth_createAccessList (with a state override): code at probe reads tok's balance.
	probe := common.HexToAddress("0x00000000000000000000000000000000000000dd")
	code := append(append([]byte{0x73}, tok[:]...), 0x31, 0x50, 0x00) // PUSH20 tok BALANCE POP STOP
	var al struct {
		AccessList types.AccessList `json:"accessList"`
		GasUsed    hexutil.Uint64   `json:"gasUsed"`
		Error      string           `json:"error"`
	}
	if err := c.Client().CallContext(ctx, &al, "eth_createAccessList", map[string]any{"from": dev, "to": probe}, "latest",
		map[common.Address]map[string]any{probe: {"code": hexutil.Bytes(code)}}); err != nil {
		t.Fatalf("createAccessList: %v", err)
	}
	if len(al.AccessList) != 1 || al.AccessList[0].Address != tok || len(al.AccessList[0].StorageKeys) != 0 || al.Error != "" || al.GasUsed <= 21_000 {
		t.Fatalf("createAccessList: %+v", al)
	}

	// eth_estimateGas: a plain transfer is 21000; a token transfer sent with its
	// estimate succeeds (checked above for deploy, mint and transfer too).
	if g, err := c.EstimateGas(ctx, ethereum.CallMsg{From: dev, To: &to, Value: big.NewInt(1)}); err != nil || g != 21_000 {
		t.Fatalf("estimate transfer: %d %v", g, err)
	}
	g, err := c.EstimateGas(ctx, ethereum.CallMsg{From: dev, To: &tok, Data: pack("transfer", poor, big.NewInt(7))})
	if err != nil {
		t.Fatal(err)
	}
	r = mustOK(t, c, sendTx(t, c, key, &tok, nil, pack("transfer", poor, big.NewInt(7)), g))
	if r.GasUsed > g || g > r.GasUsed*11/10+5000 {
		t.Fatalf("estimate %d for a transfer using %d", g, r.GasUsed)
	}

	// eth_feeHistory agrees with the headers.
	head, err := c.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := c.FeeHistory(ctx, 4, new(big.Int).SetUint64(head), []float64{25, 75})
	if err != nil {
		t.Fatalf("feeHistory: %v", err)
	}
	if fh.OldestBlock.Uint64() != head-3 || len(fh.BaseFee) != 5 || len(fh.GasUsedRatio) != 4 || len(fh.Reward) != 4 || len(fh.Reward[0]) != 2 {
		t.Fatalf("feeHistory %+v", fh)
	}
	for i := uint64(0); i < 4; i++ {
		h, err := c.HeaderByNumber(ctx, new(big.Int).SetUint64(head-3+i))
		if err != nil {
			t.Fatal(err)
		}
		if fh.BaseFee[i].Cmp(h.BaseFee) != 0 || fh.GasUsedRatio[i] != float64(h.GasUsed)/float64(h.GasLimit) {
			t.Fatalf("feeHistory block %d: base fee %v / %v, ratio %v", h.Number, fh.BaseFee[i], h.BaseFee, fh.GasUsedRatio[i])
		}
	}
	// The rewards of the block of the last transfer (alone in its block): its tip.
	last := sendTx(t, c, key, &tok, nil, pack("transfer", poor, big.NewInt(1)), 0)
	lr := mustOK(t, c, last)
	fh1, err := c.FeeHistory(ctx, 1, lr.BlockNumber, []float64{0, 50, 100})
	if err != nil || len(fh1.Reward) != 1 {
		t.Fatalf("feeHistory of block %v: %v %+v", lr.BlockNumber, err, fh1)
	}
	for _, rw := range fh1.Reward[0] {
		if rw.Cmp(last.GasTipCap()) != 0 {
			t.Fatalf("reward %v, tip paid %v", fh1.Reward[0], last.GasTipCap())
		}
	}
	// eth_gasPrice = the next block's base fee (feeHistory's last entry) + the
	// suggested tip, read at one head (retried if a block came in between).
	for try := 0; ; try++ {
		h1, _, _ := n.App.Head()
		gp, err1 := c.SuggestGasPrice(ctx)
		tip, err2 := c.SuggestGasTipCap(ctx)
		fh, err3 := c.FeeHistory(ctx, 1, nil, nil)
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		if h2, _, _ := n.App.Head(); h1 != h2 || fh.OldestBlock.Uint64() != h1 {
			if try == 20 {
				t.Fatal("head keeps moving")
			}
			continue
		}
		if want := new(big.Int).Add(tip, fh.BaseFee[1]); gp.Cmp(want) != 0 {
			t.Fatalf("gasPrice %v, want next base fee %v + tip %v", gp, fh.BaseFee[1], tip)
		}
		break
	}

	// eth_getBlockReceipts and the transaction count of the transfer's block.
	var rs []*types.Receipt
	if err := c.Client().CallContext(ctx, &rs, "eth_getBlockReceipts", hexutil.EncodeBig(r.BlockNumber)); err != nil {
		t.Fatalf("getBlockReceipts: %v", err)
	}
	if len(rs) == 0 || rs[r.TransactionIndex].TxHash != r.TxHash {
		t.Fatalf("block receipts: %d", len(rs))
	}
	if cnt, err := c.TransactionCount(ctx, r.BlockHash); err != nil || int(cnt) != len(rs) {
		t.Fatalf("transaction count %d %v", cnt, err)
	}
	if tx, err := c.TransactionInBlock(ctx, r.BlockHash, r.TransactionIndex); err != nil || tx.Hash() != r.TxHash {
		t.Fatalf("transaction in block: %v", err)
	}
}
