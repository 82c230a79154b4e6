package node

import (
	"context"
	"math/big"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/consensus/misc/eip4844"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// Fee suggestion and eth_feeHistory limits.
const (
	// FeeHistoryMaxBlocks is the most blocks one eth_feeHistory answers for.
	FeeHistoryMaxBlocks = 1024
	// FeeHistoryMaxPercentiles is the most reward percentiles one eth_feeHistory takes.
	FeeHistoryMaxPercentiles = 100
	// tipBlocks is how many recent blocks the tip suggestion looks at, tipPerBlock
	// how many of each block's lowest tips it samples, tipPercentile the percentile
	// of the samples it suggests (go-ethereum's gas price oracle defaults).
	tipBlocks     = 20
	tipPerBlock   = 3
	tipPercentile = 60
	// tipIgnoreBelow: tips below it (wei) are not sampled.
	tipIgnoreBelow = 2
	// tipMax caps the suggested tip (500 gwei).
	tipMax = 500_000_000_000
)

// nextBaseFee is the base fee of the block after head, by the app's rule
// (App.baseFeeAfter: EIP-1559 from the parent header).
func (e *EthAPI) nextBaseFee(head *types.Header) *big.Int {
	if f := e.app.baseFeeAfter(head); f != nil {
		return f
	}
	return new(big.Int)
}

func (e *EthAPI) headHeader() (*types.Header, error) {
	n, _, _ := e.app.Head()
	return e.app.st.header(n)
}

// GasPrice returns a legacy gas price that gets a transaction in the next block:
// its base fee plus the suggested tip (eth_maxPriorityFeePerGas).
func (e *EthAPI) GasPrice() (*hexutil.Big, error) {
	h, err := e.headHeader()
	if err != nil {
		return nil, err
	}
	tip := e.suggestTip(h)
	return (*hexutil.Big)(tip.Add(tip, e.nextBaseFee(h))), nil
}

// MaxPriorityFeePerGas returns the suggested tip: the 60th percentile of the
// lowest tips paid in the last 20 blocks (DefaultTip when they have no
// transactions).
func (e *EthAPI) MaxPriorityFeePerGas() (*hexutil.Big, error) {
	h, err := e.headHeader()
	if err != nil {
		return nil, err
	}
	return (*hexutil.Big)(e.suggestTip(h)), nil
}

// BlobBaseFee returns the blob base fee of the next block (blob transactions are
// refused on an SPN; the value is what BLOBBASEFEE returns).
func (e *EthAPI) BlobBaseFee() (*hexutil.Big, error) {
	h, err := e.headHeader()
	if err != nil {
		return nil, err
	}
	if h.ExcessBlobGas == nil {
		return (*hexutil.Big)(new(big.Int)), nil
	}
	return (*hexutil.Big)(eip4844.CalcBlobFee(e.app.config, h)), nil
}

// tipCache remembers the last tip suggestion by head hash.
type tipCache struct {
	mu   sync.Mutex
	head common.Hash
	tip  *big.Int
}

func (e *EthAPI) suggestTip(head *types.Header) *big.Int {
	tc := &e.tips
	hash := head.Hash()
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.tip != nil && tc.head == hash {
		return new(big.Int).Set(tc.tip)
	}
	var samples []*big.Int
	n := head.Number.Uint64()
	for i := uint64(0); i < tipBlocks && i <= n; i++ {
		h := head
		if i > 0 {
			var err error
			if h, err = e.app.st.header(n - i); err != nil {
				break
			}
		}
		if h.GasUsed == 0 {
			continue
		}
		b, err := e.app.st.block(n - i)
		if err != nil {
			break
		}
		bt := blockTips(b)
		slices.SortFunc(bt, func(x, y txTip) int { return x.tip.Cmp(y.tip) })
		k := 0
		for _, t := range bt {
			if k == tipPerBlock {
				break
			}
			if t.tip.Cmp(big.NewInt(tipIgnoreBelow)) < 0 {
				continue
			}
			samples = append(samples, t.tip)
			k++
		}
	}
	tip := big.NewInt(DefaultTip)
	if len(samples) > 0 {
		slices.SortFunc(samples, func(x, y *big.Int) int { return x.Cmp(y) })
		tip = new(big.Int).Set(samples[(len(samples)-1)*tipPercentile/100])
	}
	if tip.Cmp(big.NewInt(tipMax)) > 0 {
		tip.SetInt64(tipMax)
	}
	tc.head, tc.tip = hash, tip
	return new(big.Int).Set(tip)
}

// txTip is the tip a transaction paid per gas and the gas it used.
type txTip struct {
	tip *big.Int
	gas uint64
}

// blockTips returns the effective tip (what the proposer got per gas) and gas used
// of each transaction of b.
func blockTips(b *Block) []txTip {
	out := make([]txTip, len(b.Txs))
	for i, tx := range b.Txs {
		tip, err := tx.EffectiveGasTip(b.Header.BaseFee)
		if err != nil || tip == nil {
			tip = new(big.Int)
		}
		out[i] = txTip{tip: tip, gas: b.Receipts[i].GasUsed}
	}
	return out
}

// FeeHistory is eth_feeHistory's answer.
type FeeHistory struct {
	OldestBlock      *hexutil.Big     `json:"oldestBlock"`
	Reward           [][]*hexutil.Big `json:"reward,omitempty"`
	BaseFee          []*hexutil.Big   `json:"baseFeePerGas,omitempty"`
	GasUsedRatio     []float64        `json:"gasUsedRatio"`
	BlobBaseFee      []*hexutil.Big   `json:"baseFeePerBlobGas,omitempty"`
	BlobGasUsedRatio []float64        `json:"blobGasUsedRatio,omitempty"`
}

// FeeHistory returns, for blockCount blocks up to newest, the base fees (and the
// next block's), gas used ratios and, per block, the tips at the given gas-weighted
// percentiles of its transactions (sorted by tip).
func (e *EthAPI) FeeHistory(ctx context.Context, blockCount math.HexOrDecimal64, newest rpc.BlockNumber, percentiles []float64) (*FeeHistory, error) {
	if len(percentiles) > FeeHistoryMaxPercentiles {
		return nil, invalidParams("over %d reward percentiles", FeeHistoryMaxPercentiles)
	}
	for i, p := range percentiles {
		if p < 0 || p > 100 {
			return nil, invalidParams("invalid reward percentile: %f", p)
		}
		if i > 0 && p <= percentiles[i-1] {
			return nil, invalidParams("invalid reward percentile: #%d:%f >= #%d:%f", i-1, percentiles[i-1], i, p)
		}
	}
	last, err := e.resolve(rpc.BlockNumberOrHashWithNumber(newest))
	if err != nil {
		return nil, err
	}
	count := uint64(blockCount)
	if count > FeeHistoryMaxBlocks {
		count = FeeHistoryMaxBlocks
	}
	if count > last+1 {
		count = last + 1
	}
	res := &FeeHistory{OldestBlock: (*hexutil.Big)(new(big.Int)), GasUsedRatio: []float64{}}
	if count == 0 {
		return res, nil
	}
	first := last + 1 - count
	res.OldestBlock = (*hexutil.Big)(new(big.Int).SetUint64(first))
	if len(percentiles) > 0 {
		res.Reward = make([][]*hexutil.Big, 0, count)
	}
	headN, _, _ := e.app.Head()
	for n := first; n <= last; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := e.app.st.header(n)
		if err != nil {
			return nil, errUnknownBlock
		}
		res.BaseFee = append(res.BaseFee, bigOrZero(h.BaseFee))
		res.BlobBaseFee = append(res.BlobBaseFee, (*hexutil.Big)(e.blobFee(h)))
		ratio := 0.0
		if h.GasLimit > 0 {
			ratio = float64(h.GasUsed) / float64(h.GasLimit)
		}
		res.GasUsedRatio = append(res.GasUsedRatio, ratio)
		res.BlobGasUsedRatio = append(res.BlobGasUsedRatio, 0)
		if len(percentiles) > 0 {
			r, err := e.rewards(h, n, percentiles)
			if err != nil {
				return nil, err
			}
			res.Reward = append(res.Reward, r)
		}
		if n == last {
			// The base fee of the block after the range.
			if last < headN {
				next, err := e.app.st.header(last + 1)
				if err != nil {
					return nil, errUnknownBlock
				}
				res.BaseFee = append(res.BaseFee, bigOrZero(next.BaseFee))
				res.BlobBaseFee = append(res.BlobBaseFee, (*hexutil.Big)(e.blobFee(next)))
			} else {
				res.BaseFee = append(res.BaseFee, (*hexutil.Big)(e.nextBaseFee(h)))
				res.BlobBaseFee = append(res.BlobBaseFee, (*hexutil.Big)(e.blobFee(h)))
			}
		}
	}
	return res, nil
}

func bigOrZero(v *big.Int) *hexutil.Big {
	if v == nil {
		return (*hexutil.Big)(new(big.Int))
	}
	return (*hexutil.Big)(new(big.Int).Set(v))
}

func (e *EthAPI) blobFee(h *types.Header) *big.Int {
	if h.ExcessBlobGas == nil {
		return new(big.Int)
	}
	return eip4844.CalcBlobFee(e.app.config, h)
}

// rewards returns the tips at the gas-weighted percentiles of block n's
// transactions (zeros for an empty block).
func (e *EthAPI) rewards(h *types.Header, n uint64, percentiles []float64) ([]*hexutil.Big, error) {
	out := make([]*hexutil.Big, len(percentiles))
	if h.GasUsed == 0 {
		for i := range out {
			out[i] = (*hexutil.Big)(new(big.Int))
		}
		return out, nil
	}
	b, err := e.app.st.block(n)
	if err != nil {
		return nil, errUnknownBlock
	}
	bt := blockTips(b)
	if len(bt) == 0 {
		for i := range out {
			out[i] = (*hexutil.Big)(new(big.Int))
		}
		return out, nil
	}
	slices.SortStableFunc(bt, func(x, y txTip) int { return x.tip.Cmp(y.tip) })
	var total uint64
	for _, t := range bt {
		total += t.gas
	}
	j, sum := 0, bt[0].gas
	for i, p := range percentiles {
		threshold := uint64(float64(total) * p / 100)
		for sum < threshold && j < len(bt)-1 {
			j++
			sum += bt[j].gas
		}
		out[i] = (*hexutil.Big)(new(big.Int).Set(bt[j].tip))
	}
	return out, nil
}
