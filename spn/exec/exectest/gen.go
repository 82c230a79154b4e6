package exectest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/farolnet/farol/spn/exec"
)

// Params shapes a random block.
type Params struct {
	Txs      int
	Keys     int     // number of distinct keys, >= 2
	HotKeys  int     // the first HotKeys keys are hot
	HotRatio float64 // probability that an operation targets a hot key
	OpsMin   int
	OpsMax   int
	// relative weights of the operation kinds
	WRead, WReadNumeric, WWrite, WDelete, WDelta, WWork int
	WWriteRaw                                           int // non-numeric writes
	FailMod, PanicMod                                   uint64
	FailRatio, PanicRatio                               float64 // share of txs with FailMod / PanicMod set
	Work                                                uint32  // rounds per OpWork
}

// RandomParams draws block parameters covering the shapes the property tests need:
// 2 to 10,000 keys, 0 to 100% hot operations, failing and panicking transactions.
func RandomParams(r *rand.Rand, maxTxs int) Params {
	keysChoices := []int{2, 3, 5, 10, 50, 200, 1000, 10000}
	p := Params{
		Txs:          1 + r.IntN(maxTxs),
		Keys:         keysChoices[r.IntN(len(keysChoices))],
		HotRatio:     []float64{0, 0, 0.1, 0.3, 0.5, 1}[r.IntN(6)],
		OpsMin:       1,
		OpsMax:       1 + r.IntN(10),
		WRead:        1 + r.IntN(6),
		WReadNumeric: r.IntN(3),
		WWrite:       1 + r.IntN(4),
		WDelete:      r.IntN(2),
		WDelta:       r.IntN(4),
		WWork:        r.IntN(2),
		Work:         uint32(r.IntN(200)),
	}
	p.HotKeys = 1 + r.IntN(min(3, p.Keys))
	if r.IntN(20) == 0 {
		p.WWriteRaw = 1
	}
	if r.IntN(3) == 0 {
		p.FailMod, p.FailRatio = uint64(1+r.IntN(4)), r.Float64()
	}
	if r.IntN(4) == 0 {
		p.PanicMod, p.PanicRatio = uint64(1+r.IntN(6)), r.Float64()/2
	}
	if r.IntN(30) == 0 { // all-failing blocks
		p.FailMod, p.FailRatio = 1, 1
	}
	return p
}

// Random builds a block from p.
func Random(r *rand.Rand, p Params) *Block {
	b := &Block{Keys: make([]string, p.Keys), Base: exec.MapStorage{}, Txs: make([]Tx, p.Txs)}
	for i := range b.Keys {
		b.Keys[i] = "k" + strconv.Itoa(i)
		switch r.IntN(4) {
		case 0: // absent
		case 1:
			b.Base[b.Keys[i]] = []byte{byte(r.IntN(256))}
		default:
			v := make([]byte, 32)
			binary.BigEndian.PutUint64(v[24:], r.Uint64())
			b.Base[b.Keys[i]] = v
		}
	}
	kinds := []struct {
		k OpKind
		w int
	}{{OpRead, p.WRead}, {OpReadNumeric, p.WReadNumeric}, {OpWrite, p.WWrite}, {OpDelete, p.WDelete},
		{OpDelta, p.WDelta}, {OpWork, p.WWork}, {OpWriteRaw, p.WWriteRaw}}
	total := 0
	for _, k := range kinds {
		total += k.w
	}
	for i := range b.Txs {
		n := p.OpsMin
		if p.OpsMax > p.OpsMin {
			n += r.IntN(p.OpsMax - p.OpsMin + 1)
		}
		ops := make([]Op, n)
		for j := range ops {
			x := r.IntN(total)
			kind := OpRead
			for _, k := range kinds {
				if x < k.w {
					kind = k.k
					break
				}
				x -= k.w
			}
			key := int32(r.IntN(p.Keys))
			if p.HotKeys > 0 && r.Float64() < p.HotRatio {
				key = int32(r.IntN(p.HotKeys))
			}
			ops[j] = Op{Kind: kind, Key: key, Amount: uint64(r.IntN(1000)), Work: p.Work}
		}
		b.Txs[i].Ops = ops
		if p.FailMod != 0 && r.Float64() < p.FailRatio {
			b.Txs[i].FailMod = p.FailMod
		}
		if p.PanicMod != 0 && r.Float64() < p.PanicRatio {
			b.Txs[i].PanicMod = p.PanicMod
		}
	}
	return b
}

// Workloads returns the benchmark workloads of `farol-bench exec` (Workload accepts
// any hot-P with P from 0 to 100 as well).
func Workloads() []string {
	return []string{"no-conflict", "hot-10", "hot-30", "hot-100", "random-10000-keys"}
}

// Workload builds a benchmark block of txs transactions in which each transaction reads
// its inputs, burns work rounds of CPU, then writes its outputs and credits a fee to
// the block's beneficiary as a commutative delta:
//
//   - no-conflict: each transaction reads and writes two keys of its own (a balance
//     and a nonce).
//   - hot-P: like no-conflict, and P% of the transactions (chosen at random) also read
//     and write one shared key (a popular contract's counter); hot-100 is a chain.
//   - random-10000-keys: each transaction reads and writes two keys drawn uniformly
//     from 10,000.
func Workload(name string, txs int, work uint32, seed uint64) (*Block, error) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	b := &Block{Base: exec.MapStorage{}, Txs: make([]Tx, txs)}
	addKey := func(k string) int32 {
		b.Keys = append(b.Keys, k)
		v := make([]byte, 32)
		binary.BigEndian.PutUint64(v[24:], 1_000_000)
		b.Base[k] = v
		return int32(len(b.Keys) - 1)
	}
	beneficiary := addKey("beneficiary")
	hot := addKey("hot")
	fee := Op{Kind: OpDelta, Key: beneficiary, Amount: 21}
	work1 := Op{Kind: OpWork, Work: work}
	switch {
	case name == "no-conflict" || strings.HasPrefix(name, "hot-"):
		pct := 0
		if name != "no-conflict" {
			var err error
			pct, err = strconv.Atoi(strings.TrimPrefix(name, "hot-"))
			if err != nil || pct < 0 || pct > 100 {
				return nil, fmt.Errorf("exectest: unknown workload %q", name)
			}
		}
		for i := range b.Txs {
			bal := addKey("bal/" + strconv.Itoa(i))
			nonce := addKey("nonce/" + strconv.Itoa(i))
			ops := []Op{{Kind: OpRead, Key: bal}, {Kind: OpRead, Key: nonce}}
			isHot := r.IntN(100) < pct
			if isHot {
				ops = append(ops, Op{Kind: OpRead, Key: hot})
			}
			ops = append(ops, work1, Op{Kind: OpWrite, Key: bal}, Op{Kind: OpWrite, Key: nonce})
			if isHot {
				ops = append(ops, Op{Kind: OpWrite, Key: hot})
			}
			b.Txs[i].Ops = append(ops, fee)
		}
	case name == "random-10000-keys":
		first := int32(len(b.Keys))
		for i := 0; i < 10000; i++ {
			addKey("acct/" + strconv.Itoa(i))
		}
		for i := range b.Txs {
			k1, k2 := first+int32(r.IntN(10000)), first+int32(r.IntN(10000))
			b.Txs[i].Ops = []Op{{Kind: OpRead, Key: k1}, {Kind: OpRead, Key: k2}, work1,
				{Kind: OpWrite, Key: k1}, {Kind: OpWrite, Key: k2}, fee}
		}
	default:
		return nil, fmt.Errorf("exectest: unknown workload %q", name)
	}
	return b, nil
}

// Calibrate returns the number of Spin rounds that take about d on this machine,
// timed on the fastest of several probes (the least disturbed by other load).
func Calibrate(d time.Duration) uint32 {
	const probe = 1 << 20
	best := time.Duration(1 << 62)
	var sink uint64
	for i := 0; i < 7; i++ {
		start := time.Now()
		sink += Spin(probe, uint64(i))
		if el := time.Since(start); el < best {
			best = el
		}
	}
	_ = sink
	rounds := float64(probe) * float64(d) / float64(best)
	return uint32(rounds + 0.5)
}
