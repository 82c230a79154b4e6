package evm

import (
	"math/big"
	"math/rand"
	"sort"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/exec"
)

// commitGenesis builds a parent state with plain accounts, contracts with code and
// storage, and one empty account with storage (the storage-wiping case).
func commitGenesis(t *testing.T, db state.Database, addrs []common.Address, codes [][]byte) common.Hash {
	t.Helper()
	sdb, err := state.New(types.EmptyRootHash, db)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range addrs[:12] {
		sdb.SetBalance(a, uint256.NewInt(uint64(1000+i)), tracing.BalanceChangeUnspecified)
		if i%3 == 0 {
			sdb.SetNonce(a, uint64(i+1), tracing.NonceChangeUnspecified)
		}
		if i%4 == 1 {
			sdb.SetCode(a, codes[i%len(codes)], tracing.CodeChangeUnspecified)
			for s := range 6 {
				sdb.SetState(a, common.BigToHash(big.NewInt(int64(s))), common.BigToHash(big.NewInt(int64(100*i+s+1))))
			}
		}
	}
	// addrs[12]: empty account with storage.
	sdb.SetNonce(addrs[12], 1, tracing.NonceChangeUnspecified)
	sdb.SetState(addrs[12], common.Hash{1}, common.Hash{2})
	root, err := sdb.Commit(0, false, false)
	if err != nil {
		t.Fatal(err)
	}
	sdb, _ = state.New(root, db)
	sdb.SetNonce(addrs[12], 0, tracing.NonceChangeUnspecified)
	root, err = sdb.Commit(0, false, false)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// randomWrites returns a random final write set over addrs, sorted by key as
// spn/exec returns it.
func randomWrites(rng *rand.Rand, addrs []common.Address, codes [][]byte, wipe bool) []exec.Write {
	ws := map[string][]byte{}
	for i, a := range addrs[:len(addrs)-1] {
		if rng.Intn(3) == 0 || i == 12 {
			continue
		}
		hasStorage := i < 12 && i%4 == 1
		if rng.Intn(2) == 0 {
			if rng.Intn(5) == 0 {
				ws[balanceKey(a)] = nil
			} else {
				ws[balanceKey(a)] = encodeBalance(exec.U256(*uint256.NewInt(uint64(rng.Intn(1 << 20)))))
			}
		}
		switch rng.Intn(5) {
		case 0:
			if !hasStorage { // deleting an account with storage needs wiping
				ws[accountKey(a)] = nil
			}
		case 1, 2:
			m := emptyMeta()
			m.nonce = uint64(rng.Intn(10))
			if rng.Intn(2) == 0 {
				code := codes[rng.Intn(len(codes))]
				m.codeHash = crypto.Keccak256Hash(code)
				ws[codeKey(m.codeHash)] = code
			}
			ws[accountKey(a)] = encodeMeta(m)
		}
		for range rng.Intn(4) {
			slot := common.BigToHash(big.NewInt(int64(rng.Intn(10))))
			if rng.Intn(4) == 0 {
				ws[slotKey(a, slot)] = nil
			} else {
				ws[slotKey(a, slot)] = encodeSlot(common.BigToHash(big.NewInt(int64(rng.Intn(1000) + 1))))
			}
		}
	}
	if wipe { // delete the empty account that has storage
		ws[accountKey(addrs[12])] = nil
	}
	out := make([]exec.Write, 0, len(ws))
	for k, v := range ws {
		out = append(out, exec.Write{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// TestCommitTriesEqualsStateDB checks the direct trie commit against the commit
// through go-ethereum's StateDB on random write sets (new, updated and deleted
// accounts, code, storage writes and deletes), and that it declines the
// storage-wiping case, which the StateDB path handles.
func TestCommitTriesEqualsStateDB(t *testing.T) {
	addrs := make([]common.Address, 20)
	for i := range addrs {
		addrs[i] = common.BigToAddress(big.NewInt(int64(0x1000 + i)))
	}
	codes := [][]byte{{0x60, 0x00}, {0x60, 0x01, 0x60, 0x02}, {0x5f, 0x5f, 0xf3}}
	direct := 0
	for seed := range 200 {
		rng := rand.New(rand.NewSource(int64(seed)))
		wipe := seed%10 == 9
		writes := randomWrites(rng, addrs, codes, wipe)
		roots := make([]common.Hash, 2)
		var sizes [2][2]common.StorageSize
		for path := range 2 {
			db := NewMemoryDatabase()
			parent := commitGenesis(t, db, addrs, codes)
			e, err := New(DefaultConfig(big.NewInt(1)), db, Options{Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			base, err := e.baseStorage(parent, 8)
			if err != nil {
				t.Fatal(err)
			}
			// Warm some tries through reads, as a block does.
			for _, a := range addrs[:8] {
				if _, err := base.Get(slotKey(a, common.Hash{})); err != nil {
					t.Fatal(err)
				}
			}
			bw, err := groupWrites(writes)
			if err != nil {
				t.Fatal(err)
			}
			var root common.Hash
			var accounts []AccountState
			if path == 0 {
				var ok bool
				root, accounts, ok, err = e.commitTries(parent, base, 1, bw)
				if ok && wipe {
					t.Fatalf("seed %d: commitTries wrote a block that deletes an account with storage", seed)
				}
				if ok {
					direct++
				} else {
					root, err = e.commitStateDB(parent, base, 1, bw)
				}
			} else {
				root, err = e.commitStateDB(parent, base, 1, bw)
			}
			if err != nil {
				t.Fatalf("seed %d path %d: %v", seed, path, err)
			}
			// The committed state is readable from the trie database.
			sdb, err := state.New(root, db)
			if err != nil {
				t.Fatalf("seed %d path %d: reopen: %v", seed, path, err)
			}
			for _, a := range addrs {
				_ = sdb.GetBalance(a)
				_ = sdb.GetCode(a)
				_ = sdb.GetState(a, common.Hash{})
			}
			if err := sdb.Error(); err != nil {
				t.Fatalf("seed %d path %d: read back: %v", seed, path, err)
			}
			// The reported accounts are the written ones, with their committed state.
			if accounts != nil && len(accounts) != len(bw.addrs) {
				t.Fatalf("seed %d: %d accounts reported, %d written", seed, len(accounts), len(bw.addrs))
			}
			for _, a := range accounts {
				if a.Nonce != sdb.GetNonce(a.Address) || a.Balance != *sdb.GetBalance(a.Address) {
					t.Fatalf("seed %d: account %x reported nonce %d balance %v, committed %d %v", seed, a.Address,
						a.Nonce, &a.Balance, sdb.GetNonce(a.Address), sdb.GetBalance(a.Address))
				}
			}
			roots[path] = root
			// The trie database's bookkeeping is the same: releasing the new state
			// frees every node it alone holds, storage tries included (hashdb
			// links them through the account trie's leaves, so it needs their nodes
			// inserted first).
			tdb := db.TrieDB()
			_, sizes[path][0], _ = tdb.Size()
			if root != parent {
				if err := tdb.Dereference(root); err != nil {
					t.Fatal(err)
				}
			}
			_, sizes[path][1], _ = tdb.Size()
		}
		if roots[0] != roots[1] {
			t.Fatalf("seed %d: direct commit root %x, StateDB commit root %x", seed, roots[0], roots[1])
		}
		if sizes[0] != sizes[1] {
			t.Fatalf("seed %d: trie database's dirty size after the commit, and after releasing its state: direct %v, StateDB %v", seed, sizes[0], sizes[1])
		}
	}
	// Storage-wiping blocks (every tenth seed, and random ones that empty an account
	// with storage) go to the StateDB path; the rest must have been committed directly.
	if direct < 150 {
		t.Fatalf("only %d of 200 write sets committed directly", direct)
	}
	t.Logf("%d of 200 write sets committed directly, all roots equal", direct)
}
