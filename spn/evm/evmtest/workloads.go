package evmtest

import (
	"fmt"
	"math/big"
	"math/rand"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
)

// Workload is a benchmark block: a world and the transactions of block 1.
type Workload struct {
	Name  string
	World *World
	Txs   []*types.Transaction
}

// Workloads are the names accepted by NewWorkload.
func Workloads() []string {
	return []string{"transfers", "erc20", "swaps", "hot-0", "hot-10", "hot-30", "hot-100"}
}

// NewWorkload builds a named workload with about gas worth of transactions:
//
//	transfers  ETH transfers, distinct senders and receivers
//	erc20      ERC-20 transfers, distinct senders and receivers
//	swaps      Uniswap-V2-style swaps spread over many pairs, distinct senders
//	hot-N      ERC-20 transfers of which N% credit one hot account (one storage slot)
func NewWorkload(config *params.ChainConfig, name string, gas uint64, seed int64) (*Workload, error) {
	rng := rand.New(rand.NewSource(seed))
	amount := func() *big.Int { return big.NewInt(rng.Int63n(1e15) + 1) }
	var (
		per   uint64
		pairs = 1
	)
	switch name {
	case "transfers":
		per = 21_000
	case "erc20", "hot-0", "hot-10", "hot-30", "hot-100":
		per = 35_000
	case "swaps":
		per, pairs = 95_000, 64
	default:
		return nil, fmt.Errorf("unknown workload %q", name)
	}
	n := int(gas / per)
	w := NewWorld(config, 2*n, pairs)
	txs := make([]*types.Transaction, 0, n)
	hotPct := -1
	fmt.Sscanf(name, "hot-%d", &hotPct)
	for i := range n {
		from, to := i, n+i
		var tx *types.Transaction
		switch {
		case name == "transfers":
			tx = w.Tx(from, DynamicFee, addrPtr(w.Addrs[to]), amount(), nil, 21_000, nil)
		case name == "swaps":
			tx = w.Swap(from, w.ApprovedPair(from), big.NewInt(rng.Int63n(1e18)+1e12), rng.Intn(2) == 0, DynamicFee)
		case hotPct >= 0 && rng.Intn(100) < hotPct:
			tx = w.TokenTransfer(from, 0, w.Addrs[2*n-1], amount(), DynamicFee)
		default:
			tx = w.TokenTransfer(from, 0, w.Addrs[to], amount(), DynamicFee)
		}
		txs = append(txs, tx)
	}
	return &Workload{Name: name, World: w, Txs: txs}, nil
}
