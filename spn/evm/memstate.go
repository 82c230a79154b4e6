package evm

// PROTOTYPE (branch exp/mpt-state): recent states kept as spn/mpt versions in
// memory instead of go-ethereum's hashdb dirty cache, to measure the gain end to end.

import (
	"fmt"
	"sync"

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

// MemState is a state database whose recent states are spn/mpt versions in memory;
// Persist writes a version's new nodes to go-ethereum's hash-scheme layout.
type MemState struct {
	state.Database
	mu       sync.Mutex
	versions map[common.Hash]*mpt.Trie
	nr       database.NodeReader
	codes    *lru.SizeConstrainedCache[common.Hash, []byte]
}

// NewMemState wraps db (hash scheme).
func NewMemState(db state.Database) *MemState {
	return &MemState{Database: db, versions: map[common.Hash]*mpt.Trie{}, codes: lru.NewSizeConstrainedCache[common.Hash, []byte](64 << 20)}
}

// Node implements mpt.NodeReader over the trie database (dirty cache, clean cache, disk).
func (m *MemState) Node(path []byte, hash common.Hash) ([]byte, error) {
	m.mu.Lock()
	nr := m.nr
	m.mu.Unlock()
	if nr == nil {
		return nil, fmt.Errorf("no node reader yet")
	}
	return nr.Node(common.Hash{}, path, hash)
}

func (m *MemState) version(root common.Hash) (*mpt.Trie, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v := m.versions[root]; v != nil {
		return v, nil
	}
	if m.nr == nil && root != types.EmptyRootHash {
		nr, err := m.Database.TrieDB().NodeReader(root)
		if err != nil {
			return nil, fmt.Errorf("%w: state %x: %w", ErrState, root, err)
		}
		m.nr = nr
	}
	v := mpt.New(root, m)
	m.versions[root] = v
	return v, nil
}

func (m *MemState) add(v *mpt.Trie) {
	m.mu.Lock()
	m.versions[v.Hash()] = v
	m.mu.Unlock()
}

// Release drops a version (keepRecent).
func (m *MemState) Release(root common.Hash) {
	m.mu.Lock()
	delete(m.versions, root)
	m.mu.Unlock()
}

// Reader implements state.Database.
func (m *MemState) Reader(root common.Hash) (state.Reader, error) {
	v, err := m.version(root)
	if err != nil {
		return nil, err
	}
	return &memReader{m: m, v: v}, nil
}

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

type memReader struct {
	m *MemState
	v *mpt.Trie
}

func (r *memReader) Account(addr common.Address) (*types.StateAccount, error) {
	return memAccount(r.v, addr)
}

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

func (r *memReader) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	a, err := memAccount(r.v, addr)
	if err != nil || a == nil {
		return common.Hash{}, err
	}
	return memSlot(r.v, r.m, addr, a.Root, slot)
}

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
		return common.Hash{}, err
	}
	return common.BytesToHash(content), nil
}

func (r *memReader) Code(_ common.Address, h common.Hash) ([]byte, error) { return r.m.code(h) }
func (r *memReader) CodeSize(_ common.Address, h common.Hash) (int, error) {
	c, err := r.m.code(h)
	return len(c), err
}

// persistMem writes the new nodes of root's version (if it is one) and then the
// states that went through the trie database.
func persistMem(m *MemState, root common.Hash) error {
	m.mu.Lock()
	v := m.versions[root]
	m.mu.Unlock()
	if v != nil {
		disk := m.Database.TrieDB().Disk()
		batch := disk.NewBatch()
		if err := v.Unflushed(func(h common.Hash, blob []byte) error {
			rawdb.WriteLegacyTrieNode(batch, h, blob)
			if batch.ValueSize() > 4<<20 {
				if err := batch.Write(); err != nil {
					return err
				}
				batch.Reset()
			}
			return nil
		}); err != nil {
			return fmt.Errorf("%w: flush: %w", ErrState, err)
		}
		if err := batch.Write(); err != nil {
			return fmt.Errorf("%w: flush: %w", ErrState, err)
		}
		v.MarkFlushed()
	}
	return nil
}

// commitMem is commitTries over spn/mpt versions.
func (e *Engine) commitMem(parent common.Hash, base *baseStorage, bw *blockWrites) (common.Hash, []AccountState, error) {
	m := e.mem
	pv, err := m.version(parent)
	if err != nil {
		return common.Hash{}, nil, err
	}
	finals := make([]finalAccount, len(bw.addrs))
	subs := make([]*mpt.Trie, len(bw.addrs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, addr := range bw.addrs {
		f := &finals[i]
		f.addr = addr
		p, err := base.account(addr)
		if err != nil {
			return common.Hash{}, nil, fmt.Errorf("%w: account %x: %w", ErrState, addr, err)
		}
		f.parent = p
		if err := finalState(f, bw.accounts[addr]); err != nil {
			return common.Hash{}, nil, err
		}
		if !f.exists {
			continue
		}
		root := types.EmptyRootHash
		if p != nil {
			root = p.Root
		}
		st, err := pv.Linked(crypto.Keccak256(addr[:]), root, m)
		if err != nil {
			return common.Hash{}, nil, err
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
					f.err = ed.Delete(key)
				} else {
					enc, _ := rlp.EncodeToBytes(common.TrimLeftZeroes(v[:]))
					f.err = ed.Update(key, enc, nil)
				}
				if f.err != nil {
					return
				}
			}
			subs[i], _ = ed.Commit()
			f.account.Root = subs[i].Hash()
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
					return common.Hash{}, nil, err
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
			return common.Hash{}, nil, err
		}
	}
	nv, _ := ed.Commit()
	if len(bw.codes) > 0 {
		batch := e.db.TrieDB().Disk().NewBatch()
		for h, code := range bw.codes {
			rawdb.WriteCode(batch, h, code)
		}
		if err := batch.Write(); err != nil {
			return common.Hash{}, nil, fmt.Errorf("%w: code: %w", ErrState, err)
		}
	}
	m.add(nv)
	accounts := make([]AccountState, len(finals))
	for i := range finals {
		f := &finals[i]
		accounts[i].Address = f.addr
		if f.exists {
			accounts[i].Nonce, accounts[i].Balance = f.account.Nonce, *f.account.Balance
		}
	}
	return nv.Hash(), accounts, nil
}
