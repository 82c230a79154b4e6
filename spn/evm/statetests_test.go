package evm

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/exec"
)

// stateTestFork is the fork whose post-states are checked.
const stateTestFork = "Cancun"

type stEnv struct {
	Coinbase      common.UnprefixedAddress `json:"currentCoinbase"`
	Difficulty    *math.HexOrDecimal256    `json:"currentDifficulty"`
	Random        *math.HexOrDecimal256    `json:"currentRandom"`
	GasLimit      math.HexOrDecimal64      `json:"currentGasLimit"`
	Number        math.HexOrDecimal64      `json:"currentNumber"`
	Timestamp     math.HexOrDecimal64      `json:"currentTimestamp"`
	BaseFee       *math.HexOrDecimal256    `json:"currentBaseFee"`
	ExcessBlobGas *math.HexOrDecimal64     `json:"currentExcessBlobGas"`
}

type stPost struct {
	Root            common.UnprefixedHash `json:"hash"`
	Logs            common.UnprefixedHash `json:"logs"`
	TxBytes         hexutil.Bytes         `json:"txbytes"`
	ExpectException string                `json:"expectException"`
}

type stTest struct {
	Env  stEnv               `json:"env"`
	Pre  types.GenesisAlloc  `json:"pre"`
	Post map[string][]stPost `json:"post"`
}

// stateTestsDir is FAROL_STATETESTS_DIR or ../shared/testdata/ethereum-tests/GeneralStateTests
// relative to the module root.
func stateTestsDir(t testing.TB) string {
	if d := os.Getenv("FAROL_STATETESTS_DIR"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("module root not found")
		}
		dir = parent
	}
	return filepath.Join(dir, "..", "shared", "testdata", "ethereum-tests", "GeneralStateTests")
}

func vmTestBlockHash(n uint64) common.Hash {
	return common.BytesToHash(crypto.Keccak256([]byte(big.NewInt(int64(n)).String())))
}

// stateTestOutcome is "pass", "fail: ..." or "skip: reason".
type stateTestOutcome struct {
	name, result string
}

// runStateTest runs every Cancun post-state of one test as a one-transaction block
// through the parallel path, over a MemState (the node's state database: the block's
// state is an spn/mpt version, then written to disk by Persist) or, with trieDB, over
// go-ethereum's trie database.
func runStateTest(name string, st *stTest, trieDB bool) []stateTestOutcome {
	posts := st.Post[stateTestFork]
	if len(posts) == 0 {
		return nil
	}
	var out []stateTestOutcome
	config := CancunConfig(big.NewInt(1))
	db := NewMemoryDatabase()
	pre, err := state.New(types.EmptyRootHash, db)
	if err != nil {
		return []stateTestOutcome{{name, "fail: " + err.Error()}}
	}
	for addr, a := range st.Pre {
		pre.SetCode(addr, a.Code, tracing.CodeChangeUnspecified)
		pre.SetNonce(addr, a.Nonce, tracing.NonceChangeUnspecified)
		pre.SetBalance(addr, uint256.MustFromBig(a.Balance), tracing.BalanceChangeUnspecified)
		for k, v := range a.Storage {
			pre.SetState(addr, k, v)
		}
	}
	preRoot, err := pre.Commit(0, false, false)
	if err != nil {
		return []stateTestOutcome{{name, "fail: " + err.Error()}}
	}
	coinbase := common.Address(st.Env.Coinbase)
	header := &types.Header{
		Number:     new(big.Int).SetUint64(uint64(st.Env.Number)),
		Time:       uint64(st.Env.Timestamp),
		GasLimit:   uint64(st.Env.GasLimit),
		Coinbase:   coinbase,
		Difficulty: new(big.Int),
		BaseFee:    big.NewInt(0x0a),
	}
	if st.Env.Difficulty != nil {
		header.Difficulty = (*big.Int)(st.Env.Difficulty)
	}
	if st.Env.Random != nil {
		header.MixDigest = common.BigToHash((*big.Int)(st.Env.Random))
		header.Difficulty = new(big.Int)
	}
	if st.Env.BaseFee != nil {
		header.BaseFee = (*big.Int)(st.Env.BaseFee)
	}
	if st.Env.ExcessBlobGas != nil {
		header.ExcessBlobGas = (*uint64)(st.Env.ExcessBlobGas)
	}
	engDB := state.Database(db)
	if !trieDB {
		mem, err := NewMemState(db)
		if err != nil {
			return []stateTestOutcome{{name, "fail: " + err.Error()}}
		}
		engDB = mem
	}
	eng, _ := New(config, engDB, Options{Workers: 2, Exec: exec.Config{ForceParallel: true}})
	for i, post := range posts {
		id := fmt.Sprintf("%s/%s/%d", name, stateTestFork, i)
		var tx types.Transaction
		if err := tx.UnmarshalBinary(post.TxBytes); err != nil {
			if post.ExpectException != "" {
				out = append(out, stateTestOutcome{id, "pass"})
			} else {
				out = append(out, stateTestOutcome{id, "fail: decode tx: " + err.Error()})
			}
			continue
		}
		if tx.Type() == types.BlobTxType {
			out = append(out, stateTestOutcome{id, "skip: blob transaction (refused by spn/evm)"})
			continue
		}
		res, err := eng.ExecuteBlock(context.Background(), preRoot, &Block{
			Header: header, Txs: []*types.Transaction{&tx}, GetHash: vmTestBlockHash,
		})
		if err != nil {
			if post.ExpectException != "" {
				out = append(out, stateTestOutcome{id, "pass"})
			} else {
				out = append(out, stateTestOutcome{id, "fail: block: " + err.Error()})
			}
			continue
		}
		if txErr := res.TxErrors[0]; txErr != nil || post.ExpectException != "" {
			switch {
			case txErr != nil && post.ExpectException != "":
				out = append(out, stateTestOutcome{id, "pass"})
			case txErr != nil:
				out = append(out, stateTestOutcome{id, "fail: unexpected error: " + txErr.Error()})
			default:
				out = append(out, stateTestOutcome{id, "fail: expected exception " + post.ExpectException})
			}
			continue
		}
		// As go-ethereum's state test runner: touch the coinbase with a zero reward, in
		// a StateDB over go-ethereum's trie database (a MemState's version is written
		// to disk first).
		if !trieDB {
			if err := Persist(engDB, res.Root); err != nil {
				out = append(out, stateTestOutcome{id, "fail: persist: " + err.Error()})
				continue
			}
		}
		sdb, err := state.New(res.Root, db)
		if err != nil {
			out = append(out, stateTestOutcome{id, "fail: " + err.Error()})
			continue
		}
		sdb.AddBalance(coinbase, new(uint256.Int), tracing.BalanceChangeUnspecified)
		root, err := sdb.Commit(header.Number.Uint64(), true, true)
		if err != nil {
			out = append(out, stateTestOutcome{id, "fail: " + err.Error()})
			continue
		}
		enc, _ := rlp.EncodeToBytes(res.Logs)
		logsHash := crypto.Keccak256Hash(enc)
		switch {
		case root != common.Hash(post.Root):
			out = append(out, stateTestOutcome{id, fmt.Sprintf("fail: root %x, want %x", root, post.Root)})
		case logsHash != common.Hash(post.Logs):
			out = append(out, stateTestOutcome{id, fmt.Sprintf("fail: logs hash %x, want %x", logsHash, post.Logs)})
		default:
			out = append(out, stateTestOutcome{id, "pass"})
		}
	}
	return out
}

// TestGeneralStateTests prints the summary line of the node's configuration (over a
// MemState), and a second one, "GeneralStateTests (trie database)", over go-ethereum's
// trie database.
func TestGeneralStateTests(t *testing.T) {
	for _, trieDB := range []bool{false, true} {
		generalStateTests(t, trieDB)
	}
}

func generalStateTests(t *testing.T, trieDB bool) {
	dir := stateTestsDir(t)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("state tests not found at %s (set FAROL_STATETESTS_DIR)", dir)
	}
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var passed, failed, skipped int
	reasons := map[string]int{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tests map[string]*stTest
		if err := json.Unmarshal(raw, &tests); err != nil {
			t.Errorf("%s: %v", f, err)
			failed++
			continue
		}
		rel, _ := filepath.Rel(dir, f)
		names := make([]string, 0, len(tests))
		for n := range tests {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			for _, o := range runStateTest(rel+":"+n, tests[n], trieDB) {
				switch {
				case o.result == "pass":
					passed++
				case strings.HasPrefix(o.result, "skip: "):
					skipped++
					reasons[strings.TrimPrefix(o.result, "skip: ")]++
				default:
					failed++
					t.Errorf("%s: %s", o.name, o.result)
				}
			}
		}
	}
	label := "GeneralStateTests"
	if trieDB {
		label += " (trie database)"
	}
	line := fmt.Sprintf("%s: passed=%d failed=%d skipped=%d", label, passed, failed, skipped)
	for r, n := range reasons {
		line += fmt.Sprintf(" [skip %d: %s]", n, r)
	}
	fmt.Println(line)
	t.Log(line)
}
