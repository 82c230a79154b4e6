package evm

import (
	"context"
	"fmt"
	"math/big"
	"math/rand"
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/exec"
)

// TestTxStateEqualsStateDB drives txState and go-ethereum's StateDB with the same
// random sequences of vm.StateDB calls (balances, nonces, code, storage, transient
// storage, account creation, EIP-6780 and legacy self-destruct, refunds, logs, access
// lists, snapshots and reverts, the RIPEMD-160 touch) and compares the result of every
// call, then the state roots after Finalise and commit.
func TestTxStateEqualsStateDB(t *testing.T) {
	seeds := 300
	if os.Getenv("FAROL_LONG") == "1" {
		seeds = 20000
	}
	if testing.Short() {
		seeds = 50
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { txStateRun(t, int64(seed)) })
	}
}

func txStateRun(t *testing.T, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	addrs := []common.Address{ripemd}
	for i := range 7 {
		addrs = append(addrs, common.BigToAddress(big.NewInt(int64(0x100+i))))
	}
	coinbase := common.BigToAddress(big.NewInt(0xc0ffee))
	codes := [][]byte{nil, {0x60, 0x00}, {0x5f, 0x5f, 0xf3}}

	// Genesis: addrs[1..3] exist (one with code and storage), ripemd exists empty.
	newState := func() (state.Database, common.Hash) {
		db := NewMemoryDatabase()
		sdb, _ := state.New(types.EmptyRootHash, db)
		sdb.SetBalance(addrs[1], uint256.NewInt(500), tracing.BalanceChangeUnspecified)
		sdb.SetNonce(addrs[2], 3, tracing.NonceChangeUnspecified)
		sdb.SetBalance(addrs[2], uint256.NewInt(7), tracing.BalanceChangeUnspecified)
		sdb.SetNonce(addrs[3], 1, tracing.NonceChangeUnspecified)
		sdb.SetCode(addrs[3], codes[1], tracing.CodeChangeUnspecified)
		sdb.SetState(addrs[3], common.Hash{1}, common.Hash{9})
		sdb.CreateAccount(ripemd)
		root, err := sdb.Commit(0, false, false)
		if err != nil {
			t.Fatal(err)
		}
		return db, root
	}
	refDB, refRoot := newState()
	ref, _ := state.New(refRoot, refDB)
	ref.SetTxContext(common.Hash{0xaa}, 0)

	db, root := newState()
	e, _ := New(DefaultConfig(big.NewInt(1)), db, Options{Workers: 1})
	base, err := e.baseStorage(root, 1)
	if err != nil {
		t.Fatal(err)
	}
	rules := params.MergedTestChainConfig.Rules(big.NewInt(1), true, 1)

	var trace []string
	check := func(what string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("seed %d: %s: txState %v, StateDB %v\ntrace:\n%v", seed, what, got, want, trace)
		}
	}
	vmFn := exec.VMFunc[struct{}](func(_ int, v exec.View) (struct{}, error) {
		st := newTxState()
		st.reset(v, coinbase, common.Hash{0xaa}, 0)
		var dbs = []vm.StateDB{st, ref}
		both := func(f func(s vm.StateDB) any) (any, any) { return f(dbs[0]), f(dbs[1]) }
		st.Prepare(rules, addrs[1], coinbase, &addrs[3], nil, nil)
		ref.Prepare(rules, addrs[1], coinbase, &addrs[3], nil, nil)
		var snaps [][2]int
		for range 60 {
			a := addrs[rng.Intn(len(addrs))]
			key := common.Hash{byte(rng.Intn(3))}
			val := common.Hash{byte(rng.Intn(3))}
			amt := uint256.NewInt(uint64(rng.Intn(3)))
			op := rng.Intn(22)
			trace = append(trace, fmt.Sprintf("op %d on %x", op, a[18:]))
			var got, want any
			switch op {
			case 0:
				if !ref.Exist(a) {
					both(func(s vm.StateDB) any { s.CreateAccount(a); return nil })
				}
			case 1:
				if ref.Exist(a) {
					both(func(s vm.StateDB) any { s.CreateContract(a); return nil })
				}
			case 2:
				got, want = both(func(s vm.StateDB) any { return s.AddBalance(a, amt, tracing.BalanceChangeTransfer) })
			case 3:
				got, want = both(func(s vm.StateDB) any { return s.SubBalance(a, amt, tracing.BalanceChangeTransfer) })
			case 4:
				n := uint64(rng.Intn(3))
				both(func(s vm.StateDB) any { s.SetNonce(a, n, tracing.NonceChangeUnspecified); return nil })
			case 5:
				c := codes[rng.Intn(len(codes))]
				got, want = both(func(s vm.StateDB) any { return len(s.SetCode(a, c, tracing.CodeChangeUnspecified)) })
			case 6:
				got, want = both(func(s vm.StateDB) any { return s.SetState(a, key, val) })
			case 7:
				both(func(s vm.StateDB) any { s.SetTransientState(a, key, val); return nil })
			case 8:
				got, want = both(func(s vm.StateDB) any { r, ok := s.SelfDestruct6780(a); return fmt.Sprint(r, ok) })
			case 9:
				got, want = both(func(s vm.StateDB) any { r := s.SelfDestruct(a); return r })
			case 10:
				g := uint64(rng.Intn(5))
				both(func(s vm.StateDB) any { s.AddRefund(g); return nil })
			case 11:
				if g := uint64(rng.Intn(5)); g <= ref.GetRefund() {
					both(func(s vm.StateDB) any { s.SubRefund(g); return nil })
				}
			case 12:
				both(func(s vm.StateDB) any { s.AddLog(&types.Log{Address: a}); return nil })
			case 13:
				both(func(s vm.StateDB) any { s.AddAddressToAccessList(a); return nil })
			case 14:
				both(func(s vm.StateDB) any { s.AddSlotToAccessList(a, key); return nil })
			case 15:
				snaps = append(snaps, [2]int{st.Snapshot(), ref.Snapshot()})
			case 16:
				if len(snaps) > 0 {
					k := rng.Intn(len(snaps))
					st.RevertToSnapshot(snaps[k][0])
					ref.RevertToSnapshot(snaps[k][1])
					snaps = snaps[:k]
				}
			default: // reads
				got, want = both(func(s vm.StateDB) any {
					cur, orig := s.GetStateAndCommittedState(a, key)
					al, sl := s.SlotInAccessList(a, key)
					return fmt.Sprint(s.Exist(a), s.Empty(a), s.GetBalance(a), s.GetNonce(a), s.GetCodeHash(a),
						s.GetCodeSize(a), len(s.GetCode(a)), cur, orig, s.GetState(a, key), s.GetTransientState(a, key),
						s.HasSelfDestructed(a), s.GetRefund(), s.AddressInAccessList(a), al, sl, s.GetStorageRoot(a))
				})
			}
			check(fmt.Sprintf("op %d on %x", op, a), got, want)
		}
		// The fee credit, last as in core.ApplyMessage (a delta in txState).
		fee := uint256.NewInt(uint64(1 + rng.Intn(3)))
		st.AddBalance(coinbase, fee, tracing.BalanceIncreaseRewardTransactionFee)
		ref.AddBalance(coinbase, fee, tracing.BalanceIncreaseRewardTransactionFee)
		check("logs", len(st.logs), len(ref.GetLogs(common.Hash{0xaa}, 0, common.Hash{}, 0)))
		st.Finalise(true)
		ref.Finalise(true)
		return struct{}{}, st.writeBack()
	})
	out, err := exec.ExecuteSequential[struct{}](context.Background(), vmFn, 1, base, exec.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Results[0].Err; err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	got, _, err := e.commit(root, base, 1, out.Writes)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ref.Commit(1, true, false)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		dump := func(db state.Database, root common.Hash) string {
			sdb, _ := state.New(root, db)
			out := ""
			for _, a := range append(addrs, coinbase) {
				out += fmt.Sprintf("%x exist=%v bal=%v nonce=%d code=%x root=%x s0=%x s1=%x s2=%x\n", a[18:], sdb.Exist(a), sdb.GetBalance(a), sdb.GetNonce(a),
					sdb.GetCodeHash(a).Bytes()[:4], sdb.GetStorageRoot(a).Bytes()[:4], sdb.GetState(a, common.Hash{0}).Bytes()[31:], sdb.GetState(a, common.Hash{1}).Bytes()[31:], sdb.GetState(a, common.Hash{2}).Bytes()[31:])
			}
			return out
		}
		t.Fatalf("seed %d: root %x, StateDB %x\ntrace:\n%v\ntxState:\n%sStateDB:\n%s", seed, got, want, trace, dump(db, got), dump(refDB, want))
	}
}
