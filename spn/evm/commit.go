package evm

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/pebble"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/ethereum/go-ethereum/triedb/hashdb"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/exec"
)

// accountWrites collects a block's final writes to one account.
type accountWrites struct {
	balance    []byte
	hasBalance bool
	meta       []byte
	hasMeta    bool
	slots      []exec.Write // key = slot hash bytes
}

// blockWrites is a block's final write set grouped by account.
type blockWrites struct {
	accounts map[common.Address]*accountWrites
	codes    map[common.Hash][]byte
	addrs    []common.Address // sorted
}

func groupWrites(writes []exec.Write) (*blockWrites, error) {
	bw := &blockWrites{accounts: make(map[common.Address]*accountWrites), codes: make(map[common.Hash][]byte)}
	get := func(a common.Address) *accountWrites {
		w := bw.accounts[a]
		if w == nil {
			w = &accountWrites{}
			bw.accounts[a] = w
		}
		return w
	}
	for _, w := range writes {
		k := w.Key
		switch {
		case len(k) == addrKeyLen && k[0] == tagBalance:
			aw := get(common.BytesToAddress([]byte(k[1:])))
			aw.balance, aw.hasBalance = w.Value, true
		case len(k) == addrKeyLen && k[0] == tagAccount:
			aw := get(common.BytesToAddress([]byte(k[1:])))
			aw.meta, aw.hasMeta = w.Value, true
		case len(k) == codeKeyLen && k[0] == tagCode:
			bw.codes[common.BytesToHash([]byte(k[1:]))] = w.Value
		case len(k) == slotKeyLen && k[0] == tagSlot:
			aw := get(common.BytesToAddress([]byte(k[1:addrKeyLen])))
			aw.slots = append(aw.slots, exec.Write{Key: k[addrKeyLen:], Value: w.Value})
		default:
			return nil, fmt.Errorf("%w: key %x", ErrStateKey, k)
		}
	}
	bw.addrs = make([]common.Address, 0, len(bw.accounts))
	for a := range bw.accounts {
		bw.addrs = append(bw.addrs, a)
	}
	sort.Slice(bw.addrs, func(i, j int) bool { return bytes.Compare(bw.addrs[i][:], bw.addrs[j][:]) < 0 })
	return bw, nil
}

// commit applies a block's final write set to the state at parent and commits it to
// the trie database; it returns the new state root. With go-ethereum's hash-based
// trie database it updates the tries directly (commitTries); otherwise, or when an
// account with storage is deleted (storage wiping, only reachable by pre-Cancun
// leftovers such as an empty account with storage), it goes through a go-ethereum
// StateDB (commitStateDB).
//
// It also returns the final nonce and balance of every written account when it
// committed directly (nil after a StateDB commit).
func (e *Engine) commit(parent common.Hash, base *baseStorage, number uint64, writes []exec.Write) (common.Hash, []AccountState, error) {
	bw, err := groupWrites(writes)
	if err != nil {
		return common.Hash{}, nil, err
	}
	if e.mem != nil {
		return e.commitMem(base, bw)
	}
	if e.db.TrieDB().Scheme() == rawdb.HashScheme {
		root, accounts, ok, err := e.commitTries(parent, base, number, bw)
		if err != nil || ok {
			return root, accounts, err
		}
	}
	root, err := e.commitStateDB(parent, base, number, bw)
	return root, nil, err
}

// commitStateDB applies the write set through a go-ethereum StateDB at parent.
func (e *Engine) commitStateDB(parent common.Hash, base *baseStorage, number uint64, bw *blockWrites) (common.Hash, error) {
	sdb, err := state.NewWithReader(parent, e.db, base)
	if err != nil {
		return common.Hash{}, fmt.Errorf("%w: open %x: %w", ErrState, parent, err)
	}
	accounts, codes, addrs := bw.accounts, bw.codes, bw.addrs
	for _, addr := range addrs {
		aw := accounts[addr]
		// Final balance and metadata: written values, else the parent's.
		var bal uint256.Int
		if aw.hasBalance {
			u, err := exec.U256FromBytes(aw.balance)
			if err != nil {
				return common.Hash{}, fmt.Errorf("%w: balance of %x", ErrStateKey, addr)
			}
			bal = uint256.Int(u)
		} else {
			bal = *sdb.GetBalance(addr)
		}
		var m meta
		metaPresent := false
		if aw.hasMeta {
			if aw.meta != nil {
				if m, err = decodeMeta(aw.meta); err != nil {
					return common.Hash{}, err
				}
				metaPresent = true
			}
		} else if sdb.Exist(addr) {
			m = meta{nonce: sdb.GetNonce(addr), codeHash: sdb.GetCodeHash(addr)}
			metaPresent = m.nonce != 0 || m.codeHash != types.EmptyCodeHash || bal.IsZero()
		}
		if !metaPresent && bal.IsZero() {
			if sdb.Exist(addr) {
				sdb.SelfDestruct(addr)
			}
			continue
		}
		if !metaPresent {
			m = emptyMeta()
		}
		if !sdb.Exist(addr) {
			sdb.CreateAccount(addr)
		}
		sdb.SetBalance(addr, &bal, tracing.BalanceChangeUnspecified)
		if sdb.GetNonce(addr) != m.nonce {
			sdb.SetNonce(addr, m.nonce, tracing.NonceChangeUnspecified)
		}
		if sdb.GetCodeHash(addr) != m.codeHash {
			code, ok := codes[m.codeHash]
			if !ok && m.codeHash != types.EmptyCodeHash {
				code = rawdb.ReadCode(e.db.TrieDB().Disk(), m.codeHash)
				if code == nil {
					return common.Hash{}, fmt.Errorf("%w: missing code %x of %x", ErrState, m.codeHash, addr)
				}
			}
			sdb.SetCode(addr, code, tracing.CodeChangeUnspecified)
		}
		for _, s := range aw.slots {
			v, err := decodeSlot(s.Value)
			if err != nil {
				return common.Hash{}, err
			}
			sdb.SetState(addr, common.BytesToHash([]byte(s.Key)), v)
		}
	}
	root, err := sdb.Commit(number, true, false)
	if err != nil {
		return common.Hash{}, fmt.Errorf("%w: commit: %w", ErrState, err)
	}
	return root, nil
}

// NewMemoryDatabase returns a state database over an in-memory key-value store with
// go-ethereum's hash-based trie database (tests and benchmarks).
func NewMemoryDatabase() state.Database {
	return state.NewDatabase(triedb.NewDatabase(rawdb.NewMemoryDatabase(), triedb.HashDefaults), nil)
}

// TrieCleanCache is the size in bytes of the cache of clean trie nodes of a database
// opened by OpenDatabase (go-ethereum's hash-scheme clean cache; without it every
// trie node read, e.g. each account or slot lookup, goes to pebble).
const TrieCleanCache = 128 << 20

// DatabaseCache is the pebble cache, in MiB, of a database opened by OpenDatabase.
// go-ethereum's pebble wrapper sizes the memtables from it (a quarter of half the
// cache each, so 64 MiB here). With the earlier 64 MiB cache the 8 MiB memtables
// filled within one block and pebble compacted the hash-keyed trie nodes almost
// continuously: 11 % of spnd's CPU under load, against 2–3 % at 512 MiB
// (docs/bench/spn.md, session 4). Both the block cache and the memtables are
// allocated as they fill, outside the Go heap.
const DatabaseCache = 512

// OpenDatabase opens (or creates) a persistent state database on pebble in dir: a
// MemState over go-ethereum's hash-scheme trie database. Close the returned
// ethdb.Database when done.
func OpenDatabase(dir string) (state.Database, ethdb.Database, error) {
	kv, err := pebble.New(dir, DatabaseCache, 64, "farol/evm/", false)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: open pebble %s: %w", ErrState, dir, err)
	}
	disk := rawdb.NewDatabase(kv)
	cfg := &triedb.Config{HashDB: &hashdb.Config{CleanCacheSize: TrieCleanCache}}
	m, err := NewMemState(state.NewDatabase(triedb.NewDatabase(disk, cfg), nil))
	if err != nil {
		disk.Close()
		return nil, nil, err
	}
	return m, disk, nil
}

// headKey stores the root of the last committed block in the key-value store.
var headKey = []byte("farol-evm-head")

// Persist flushes the trie nodes of root to disk and then records root as the head in
// one write: a crash before the head write leaves the previous head (and unreferenced
// nodes), so a block's state commits atomically.
func Persist(db state.Database, root common.Hash) error {
	if m, ok := db.(*MemState); ok { // a version's nodes; the trie database's below
		if err := persistMem(m, root); err != nil {
			return err
		}
	}
	if err := db.TrieDB().Commit(root, false); err != nil {
		return fmt.Errorf("%w: trie commit: %w", ErrState, err)
	}
	if err := db.TrieDB().Disk().Put(headKey, root[:]); err != nil {
		return fmt.Errorf("%w: head: %w", ErrState, err)
	}
	return nil
}

// Head returns the root recorded by the last Persist (the empty root if none).
func Head(db state.Database) (common.Hash, error) {
	b, err := db.TrieDB().Disk().Get(headKey)
	if err != nil || len(b) != common.HashLength {
		return types.EmptyRootHash, nil //nolint:nilerr // no head yet
	}
	return common.BytesToHash(b), nil
}
