package evm

import (
	"fmt"
	"runtime/metrics"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/lru"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/triedb/database"

	"github.com/farolnet/farol/spn/mpt"
)

// MemState is the engine's state database for a node (ADR 014): the states of recent
// blocks are spn/mpt versions in memory, whose decoded trie nodes are shared from one
// block to the next, and Persist writes a version's new nodes to disk in
// go-ethereum's hash-scheme layout. Flushed states are read back from there, by
// spn/mpt or by go-ethereum's tries alike.
//
// It is a state.Database: Reader serves the recent versions (so go-ethereum's StateDB
// reads them, as the RPC and CheckTx do), and the embedded go-ethereum database,
// over the same trie database and disk, serves the rest: flushed states, contract
// code and StateDB commits (a genesis). A StateDB over a MemState can read any state
// but can commit only on top of states in the trie database (flushed, or committed
// through it), not on top of a version.
//
// A version stays until Release: Keep and Release count references, and a version
// nobody kept stays too (tests, benchmarks). Releasing an unflushed version that a
// later one does not build on loses that state (a node replays it after a restart).
type MemState struct {
	state.Database

	mu       sync.Mutex
	versions map[common.Hash]*memVersion
	nr       database.NodeReader // the trie database's node reader (any hash)

	codes     *lru.SizeConstrainedCache[common.Hash, []byte]
	dirty     atomic.Int64
	keepDepth int
	budget    uint64       // live Go heap above which a flush drops nodes (0: never)
	evicted   atomic.Int64 // subtrees dropped by flushes
}

type memVersion struct {
	t    *mpt.Trie
	refs int
}

// MemStateCodeCache is the size in bytes of MemState's contract code cache.
const MemStateCodeCache = 64 << 20

// DefaultKeepDepth is how many levels of each trie (the account trie and every
// storage trie) a MemState keeps decoded after a flush; 0 keeps every node. With a
// depth, the flushed nodes below it are dropped back to hash-only stubs (spn/mpt's
// Evict) and decoded again from disk when next read.
//
// It is 0 because dropping at depth 4 after every flush did not pay in session 7
// (docs/bench/spn.md). At 500,000 transfers with a flush every 64 MiB, throughput
// fell from 5,182 to 4,296 tx/s, as every later block decoded its paths from pebble
// again. Peak RSS did not fall either: 7.16 GiB against 6.54. Memory therefore grows
// with the touched state (ADR 014, "Left open").
const DefaultKeepDepth = 0

// NewMemState returns a MemState over db, a go-ethereum state database with a
// hash-scheme trie database (OpenDatabase, NewMemoryDatabase).
func NewMemState(db state.Database) (*MemState, error) {
	if s := db.TrieDB().Scheme(); s != rawdb.HashScheme {
		return nil, fmt.Errorf("%w: MemState needs a hash-scheme trie database, not %s", ErrState, s)
	}
	return &MemState{Database: db, versions: map[common.Hash]*memVersion{},
		codes: lru.NewSizeConstrainedCache[common.Hash, []byte](MemStateCodeCache), keepDepth: DefaultKeepDepth,
		budget: DefaultMemoryBudget}, nil
}

// SetKeepDepth sets how many levels of each trie stay decoded after a flush
// (DefaultKeepDepth: 0, every node); 0 or less keeps every node. Set it before use.
func (m *MemState) SetKeepDepth(levels int) { m.keepDepth = levels }

// DefaultMemoryBudget is the live Go heap (as of the last collection) above which a
// flush drops the flushed nodes below BudgetKeepDepth levels of each trie, whatever
// SetKeepDepth says. It is a safety valve for a node whose touched state outgrows its
// memory, not a tuning: dropping costs throughput (DefaultKeepDepth), and at 500,000
// transfers `farol-bench spn` ends with a live heap of about 1.3 GiB, well below it.
const DefaultMemoryBudget = 8 << 30

// BudgetKeepDepth is the depth kept when the memory budget is exceeded.
const BudgetKeepDepth = 4

// SetMemoryBudget sets the live-heap budget in bytes (DefaultMemoryBudget; 0: none).
// Set it before use.
func (m *MemState) SetMemoryBudget(bytes uint64) { m.budget = bytes }

// Evicted is how many subtrees flushes have dropped from memory so far.
func (m *MemState) Evicted() int64 { return m.evicted.Load() }

// liveHeap is the Go heap that was live at the end of the last garbage collection.
func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

// Node implements mpt.NodeReader: a node from the trie database (its dirty cache,
// clean cache or disk). Before the MemState has opened any stored state (a chain
// built in memory from the empty state), only flushed nodes exist to be read, and
// they are read from disk.
func (m *MemState) Node(path []byte, hash common.Hash) ([]byte, error) {
	m.mu.Lock()
	nr := m.nr
	m.mu.Unlock()
	if nr == nil {
		return rawdb.ReadLegacyTrieNode(m.Database.TrieDB().Disk(), hash), nil
	}
	return nr.Node(common.Hash{}, path, hash)
}

// version returns the version with root: a kept one, else the state as the trie
// database has it (not kept: the caller's reads decode into it alone).
func (m *MemState) version(root common.Hash) (*mpt.Trie, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v := m.versions[root]; v != nil {
		return v.t, nil
	}
	if root == types.EmptyRootHash || root == (common.Hash{}) {
		return mpt.New(types.EmptyRootHash, m), nil
	}
	// go-ethereum's reader of the hash scheme answers any node hash, whatever the
	// root it was asked for; asking for this root checks that the state exists.
	tdb := m.Database.TrieDB()
	nr, err := tdb.NodeReader(root)
	if err != nil {
		return nil, fmt.Errorf("%w: state %x is neither in memory nor in the trie database: %w", ErrState, root, err)
	}
	// spn/mpt takes every node it reads for written (flushed), so a state still in
	// the trie database's dirty cache (a genesis just committed through a StateDB) is
	// written to disk first: versions built on it would otherwise never write it.
	if !rawdb.HasLegacyTrieNode(tdb.Disk(), root) {
		if err := tdb.Commit(root, false); err != nil {
			return nil, fmt.Errorf("%w: writing state %x: %w", ErrState, root, err)
		}
	}
	if m.nr == nil {
		m.nr = nr
	}
	return mpt.New(root, m), nil
}

// add records a committed version (not kept).
func (m *MemState) add(t *mpt.Trie, st mpt.Stats) {
	m.dirty.Add(int64(st.Bytes))
	m.mu.Lock()
	defer m.mu.Unlock()
	if v := m.versions[t.Hash()]; v != nil {
		return // the same state again (e.g. an empty block): keep the first one's nodes
	}
	m.versions[t.Hash()] = &memVersion{t: t}
}

// Keep adds a reference to the version with root (one Release each).
func (m *MemState) Keep(root common.Hash) {
	m.mu.Lock()
	if v := m.versions[root]; v != nil {
		v.refs++
	}
	m.mu.Unlock()
}

// Release drops a reference to the version with root; the last one frees it.
func (m *MemState) Release(root common.Hash) {
	m.mu.Lock()
	if v := m.versions[root]; v != nil {
		if v.refs--; v.refs <= 0 {
			delete(m.versions, root)
		}
	}
	m.mu.Unlock()
}

// Versions is the number of versions held.
func (m *MemState) Versions() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.versions)
}

// Dirty is the size in bytes of the node encodings committed since the last
// Persist: an upper bound on what the next one writes (nodes a later block replaced
// are never written).
func (m *MemState) Dirty() int64 { return m.dirty.Load() }

// Reader implements state.Database.
func (m *MemState) Reader(root common.Hash) (state.Reader, error) {
	v, err := m.version(root)
	if err != nil {
		return nil, err
	}
	return &memReader{m: m, v: v}, nil
}

// code returns contract code by hash (go-ethereum stores it beside the trie nodes).
func (m *MemState) code(h common.Hash) ([]byte, error) {
	if h == types.EmptyCodeHash || h == (common.Hash{}) {
		return nil, nil
	}
	if c, ok := m.codes.Get(h); ok {
		return c, nil
	}
	c := rawdb.ReadCode(m.Database.TrieDB().Disk(), h)
	if c == nil {
		return nil, fmt.Errorf("%w: missing code %x", ErrState, h)
	}
	m.codes.Add(h, c)
	return c, nil
}

// Proof returns the EIP-1186 proofs of an account and of storage slots at root (the
// node encodings, root first), as go-ethereum's Trie.Prove gives them.
func (m *MemState) Proof(root common.Hash, addr common.Address, slots []common.Hash) (account [][]byte, storage [][][]byte, err error) {
	v, err := m.version(root)
	if err != nil {
		return nil, nil, err
	}
	collect := func(dst *[][]byte) func([]byte) error {
		return func(enc []byte) error { *dst = append(*dst, enc); return nil }
	}
	akey := crypto.Keccak256(addr[:])
	if err := v.Prove(akey, collect(&account)); err != nil {
		return nil, nil, err
	}
	a, err := memAccount(v, addr)
	if err != nil {
		return nil, nil, err
	}
	storage = make([][][]byte, len(slots))
	if a == nil || a.Root == types.EmptyRootHash {
		return account, storage, nil
	}
	st, err := v.Linked(akey, a.Root, m)
	if err != nil {
		return nil, nil, err
	}
	for i, s := range slots {
		if err := st.Prove(crypto.Keccak256(s[:]), collect(&storage[i])); err != nil {
			return nil, nil, err
		}
	}
	return account, storage, nil
}

// memReader is a state.Reader over one version.
type memReader struct {
	m *MemState
	v *mpt.Trie
}

func (r *memReader) Account(addr common.Address) (*types.StateAccount, error) {
	return memAccount(r.v, addr)
}

func (r *memReader) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	a, err := memAccount(r.v, addr)
	if err != nil || a == nil {
		return common.Hash{}, err
	}
	return memSlot(r.v, r.m, addr, a.Root, slot)
}

func (r *memReader) Code(_ common.Address, h common.Hash) ([]byte, error) { return r.m.code(h) }

func (r *memReader) CodeSize(_ common.Address, h common.Hash) (int, error) {
	c, err := r.m.code(h)
	return len(c), err
}

// memAccount reads an account from a version's account trie (nil if absent).
func memAccount(v *mpt.Trie, addr common.Address) (*types.StateAccount, error) {
	enc, err := v.Get(crypto.Keccak256(addr[:]))
	if err != nil || enc == nil {
		return nil, err
	}
	a := new(types.StateAccount)
	if err := rlp.DecodeBytes(enc, a); err != nil {
		return nil, fmt.Errorf("%w: account %x: %w", ErrState, addr, err)
	}
	return a, nil
}

// memSlot reads a slot from the storage trie (root) linked to addr's leaf.
func memSlot(v *mpt.Trie, nr mpt.NodeReader, addr common.Address, root common.Hash, slot common.Hash) (common.Hash, error) {
	if root == types.EmptyRootHash {
		return common.Hash{}, nil
	}
	st, err := v.Linked(crypto.Keccak256(addr[:]), root, nr)
	if err != nil {
		return common.Hash{}, err
	}
	enc, err := st.Get(crypto.Keccak256(slot[:]))
	if err != nil || enc == nil {
		return common.Hash{}, err
	}
	_, content, _, err := rlp.Split(enc)
	if err != nil {
		return common.Hash{}, fmt.Errorf("%w: slot %x of %x: %w", ErrState, slot, addr, err)
	}
	return common.BytesToHash(content), nil
}

// persistMem writes the nodes of root's version that no flush has written, in
// batches (a crash between them leaves only unreferenced nodes), then marks them
// written and drops the flushed nodes below the kept depth from memory. A root that is not a version has nothing here (go-ethereum's trie database
// writes it).
func persistMem(m *MemState, root common.Hash) error {
	m.mu.Lock()
	v := m.versions[root]
	m.mu.Unlock()
	if v == nil {
		return nil
	}
	batch := m.Database.TrieDB().Disk().NewBatch()
	err := v.t.Unflushed(func(h common.Hash, blob []byte) error {
		rawdb.WriteLegacyTrieNode(batch, h, blob)
		if batch.ValueSize() < persistBatch {
			return nil
		}
		if err := batch.Write(); err != nil {
			return err
		}
		batch.Reset()
		return nil
	})
	if err == nil {
		err = batch.Write()
	}
	if err != nil {
		return fmt.Errorf("%w: writing the trie nodes of %x: %w", ErrState, root, err)
	}
	v.t.MarkFlushed()
	m.dirty.Store(0)
	depth := m.keepDepth
	if m.budget > 0 && liveHeap() > m.budget && (depth <= 0 || depth > BudgetKeepDepth) {
		depth = BudgetKeepDepth
	}
	if depth > 0 {
		m.evicted.Add(int64(v.t.Evict(depth)))
	}
	return nil
}

// persistBatch is the size at which persistMem writes a batch.
const persistBatch = 4 << 20

// commitMem is commitTries over MemState versions: the storage tries of the accounts
// with slot writes are edited and hashed concurrently (at most the engine's worker
// count at a time), then the account trie, each account leaf linked to its storage
// trie. Deleting an account drops its leaf and with it the link, which is storage
// wiping under the hash scheme.
func (e *Engine) commitMem(base *baseStorage, bw *blockWrites) (common.Hash, []AccountState, error) {
	m := e.mem
	pv := base.ver
	finals := make([]finalAccount, len(bw.addrs))
	subs := make([]*mpt.Trie, len(bw.addrs))
	workers := e.opts.Workers
	if workers <= 0 {
		workers = defaultWorkers()
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	var stats [2]atomic.Int64 // nodes, bytes
	for i, addr := range bw.addrs {
		f := &finals[i]
		f.addr = addr
		p, err := base.account(addr)
		if err != nil {
			wg.Wait()
			return common.Hash{}, nil, fmt.Errorf("%w: account %x: %w", ErrState, addr, err)
		}
		f.parent = p
		if err := finalState(f, bw.accounts[addr]); err != nil {
			wg.Wait()
			return common.Hash{}, nil, err
		}
		if !f.exists || f.account.Root == types.EmptyRootHash && len(f.slots) == 0 {
			continue
		}
		st, err := pv.Linked(crypto.Keccak256(addr[:]), f.account.Root, m)
		if err != nil {
			wg.Wait()
			return common.Hash{}, nil, fmt.Errorf("%w: storage of %x: %w", ErrState, addr, err)
		}
		subs[i] = st
		if len(f.slots) == 0 {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ed := st.Edit()
			for _, s := range f.slots {
				v, err := decodeSlot(s.Value)
				if err != nil {
					f.err = err
					return
				}
				key := crypto.Keccak256([]byte(s.Key))
				if v == (common.Hash{}) {
					err = ed.Delete(key)
				} else {
					var enc []byte
					if enc, err = rlp.EncodeToBytes(common.TrimLeftZeroes(v[:])); err == nil {
						err = ed.Update(key, enc, nil)
					}
				}
				if err != nil {
					f.err = err
					return
				}
			}
			nt, s := ed.Commit()
			subs[i] = nt
			f.account.Root = nt.Hash()
			stats[0].Add(int64(s.Nodes))
			stats[1].Add(int64(s.Bytes))
		}()
	}
	wg.Wait()
	ed := pv.Edit()
	for i := range finals {
		f := &finals[i]
		if f.err != nil {
			return common.Hash{}, nil, fmt.Errorf("%w: storage of %x: %w", ErrState, f.addr, f.err)
		}
		key := crypto.Keccak256(f.addr[:])
		if !f.exists {
			if f.parent != nil {
				if err := ed.Delete(key); err != nil {
					return common.Hash{}, nil, fmt.Errorf("%w: account %x: %w", ErrState, f.addr, err)
				}
			}
			continue
		}
		enc, err := rlp.EncodeToBytes(&f.account)
		if err != nil {
			return common.Hash{}, nil, err
		}
		sub := subs[i]
		if sub != nil && sub.Hash() == types.EmptyRootHash {
			sub = nil
		}
		if err := ed.Update(key, enc, sub); err != nil {
			return common.Hash{}, nil, fmt.Errorf("%w: account %x: %w", ErrState, f.addr, err)
		}
	}
	nv, st := ed.Commit()
	st.Nodes += int(stats[0].Load())
	st.Bytes += int(stats[1].Load())
	if err := e.writeCodes(bw.codes); err != nil {
		return common.Hash{}, nil, err
	}
	m.add(nv, st)
	return nv.Hash(), accountStates(finals), nil
}
