package evm

import (
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/trie/trienode"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/exec"
)

// finalAccount is an account's state after the block.
type finalAccount struct {
	addr    common.Address
	exists  bool
	parent  *types.StateAccount // nil: absent from the parent state
	account types.StateAccount
	slots   []exec.Write
	// storage trie result (accounts with slot writes)
	root  common.Hash
	nodes *trienode.NodeSet
	err   error
}

// commitTries writes the block to the tries directly: the storage tries of the
// accounts with slot writes are updated, hashed and committed concurrently (one
// goroutine each, at most the engine's worker count at a time) while the calling
// goroutine applies the other accounts to the account trie; then the accounts with
// new storage roots, the account trie commit, the contract code and one trie
// database update. This is what go-ethereum's StateDB.Commit does with the same
// tries, minus its per-account objects, and with the account trie work overlapped
// with the storage tries instead of after them.
//
// The tries start from the ones the block's reads already resolved (baseStorage's
// trie sets), so the paths to the written keys are mostly in memory.
//
// ok is false (nothing written) when an account whose parent storage is not empty
// is deleted: wiping storage is left to go-ethereum's StateDB (commitStateDB).
func (e *Engine) commitTries(parent common.Hash, base *baseStorage, number uint64, bw *blockWrites) (common.Hash, []AccountState, bool, error) {
	finals := make([]finalAccount, len(bw.addrs))
	for i, addr := range bw.addrs {
		f := &finals[i]
		f.addr = addr
		p, err := base.account(addr)
		if err != nil {
			return common.Hash{}, nil, false, fmt.Errorf("%w: account %x: %w", ErrState, addr, err)
		}
		f.parent = p
		if err := finalState(f, bw.accounts[addr]); err != nil {
			return common.Hash{}, nil, false, err
		}
		if !f.exists && p != nil && p.Root != types.EmptyRootHash {
			return common.Hash{}, nil, false, nil
		}
	}

	sets := base.takeTries()
	var accTrie state.Trie
	if len(sets) > 0 {
		accTrie = sets[0].account
	} else {
		t, err := e.db.OpenTrie(parent)
		if err != nil {
			return common.Hash{}, nil, false, fmt.Errorf("%w: open %x: %w", ErrState, parent, err)
		}
		accTrie = t
	}
	storageTrie := func(f *finalAccount) (state.Trie, error) {
		for _, s := range sets {
			if t := s.storage[f.addr]; t != nil {
				return t, nil
			}
		}
		root := types.EmptyRootHash
		if f.parent != nil {
			root = f.parent.Root
		}
		return e.db.OpenStorageTrie(parent, f.addr, root, accTrie)
	}

	// Storage tries, concurrently.
	workers := e.opts.Workers
	if workers <= 0 {
		workers = defaultWorkers()
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // dispatcher, so that this goroutine starts on the account trie at once
		defer wg.Done()
		for i := range finals {
			f := &finals[i]
			if !f.exists || len(f.slots) == 0 {
				continue
			}
			tr, err := storageTrie(f)
			if err != nil {
				f.err = err
				continue
			}
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				f.root, f.nodes, f.err = updateStorage(tr, f.addr, f.slots)
			}()
		}
	}()
	// Meanwhile, the accounts whose storage does not change.
	var accErr error
	for i := range finals {
		f := &finals[i]
		if f.exists && len(f.slots) > 0 {
			continue
		}
		if err := applyAccount(accTrie, f); err != nil && accErr == nil {
			accErr = err
		}
	}
	wg.Wait()
	if accErr != nil {
		return common.Hash{}, nil, false, accErr
	}
	merged := trienode.NewMergedNodeSet()
	for i := range finals {
		f := &finals[i]
		if !f.exists || len(f.slots) == 0 {
			continue
		}
		if f.err != nil {
			return common.Hash{}, nil, false, fmt.Errorf("%w: storage of %x: %w", ErrState, f.addr, f.err)
		}
		f.account.Root = f.root
		if err := applyAccount(accTrie, f); err != nil {
			return common.Hash{}, nil, false, err
		}
		if f.nodes != nil {
			if err := merged.Merge(f.nodes); err != nil {
				return common.Hash{}, nil, false, fmt.Errorf("%w: %w", ErrState, err)
			}
		}
	}
	root, nodes := accTrie.Commit(true)
	if nodes != nil {
		if err := merged.Merge(nodes); err != nil {
			return common.Hash{}, nil, false, fmt.Errorf("%w: %w", ErrState, err)
		}
	}
	if err := e.writeCodes(bw.codes); err != nil {
		return common.Hash{}, nil, false, err
	}
	if root != parent {
		if err := e.db.TrieDB().Update(root, parent, number, merged, nil); err != nil {
			return common.Hash{}, nil, false, fmt.Errorf("%w: trie database update: %w", ErrState, err)
		}
	}
	return root, accountStates(finals), true, nil
}

// writeCodes writes a block's new contract code beside the trie nodes.
func (e *Engine) writeCodes(codes map[common.Hash][]byte) error {
	if len(codes) == 0 {
		return nil
	}
	batch := e.db.TrieDB().Disk().NewBatch()
	for h, code := range codes {
		rawdb.WriteCode(batch, h, code)
	}
	if err := batch.Write(); err != nil {
		return fmt.Errorf("%w: code: %w", ErrState, err)
	}
	return nil
}

// accountStates is the nonce and balance of every final account (zero if deleted).
func accountStates(finals []finalAccount) []AccountState {
	accounts := make([]AccountState, len(finals))
	for i := range finals {
		f := &finals[i]
		accounts[i].Address = f.addr
		if f.exists {
			accounts[i].Nonce, accounts[i].Balance = f.account.Nonce, *f.account.Balance
		}
	}
	return accounts
}

// finalState works out an account's state after the block from its writes and its
// parent state: written fields win, the rest is the parent's. A written account that
// ends empty (EIP-161: no nonce, balance or code) is deleted, as go-ethereum's
// StateDB.Commit(deleteEmptyObjects) deletes every mutated empty account. Blocks
// never produce such a write (each transaction's Finalise already deleted its empty
// accounts), but the rule keeps this commit equal to go-ethereum's on any write set.
func finalState(f *finalAccount, aw *accountWrites) error {
	p := f.parent
	var bal uint256.Int
	switch {
	case aw.hasBalance:
		u, err := exec.U256FromBytes(aw.balance)
		if err != nil {
			return fmt.Errorf("%w: balance of %x", ErrStateKey, f.addr)
		}
		bal = uint256.Int(u)
	case p != nil:
		bal = *p.Balance
	}
	m := emptyMeta()
	switch {
	case aw.hasMeta && aw.meta != nil:
		d, err := decodeMeta(aw.meta)
		if err != nil {
			return err
		}
		m = d
	case !aw.hasMeta && p != nil:
		m = meta{nonce: p.Nonce, codeHash: common.BytesToHash(p.CodeHash)}
	}
	f.exists = m.nonce != 0 || !bal.IsZero() || m.codeHash != types.EmptyCodeHash
	root := types.EmptyRootHash
	if p != nil {
		root = p.Root
	}
	f.account = types.StateAccount{Nonce: m.nonce, Balance: &bal, Root: root, CodeHash: m.codeHash.Bytes()}
	f.slots = aw.slots
	return nil
}

// applyAccount writes (or deletes) an account in the account trie.
func applyAccount(tr state.Trie, f *finalAccount) error {
	var err error
	if f.exists {
		err = tr.UpdateAccount(f.addr, &f.account, 0)
	} else if f.parent != nil {
		err = tr.DeleteAccount(f.addr)
	}
	if err != nil {
		return fmt.Errorf("%w: account %x: %w", ErrState, f.addr, err)
	}
	return nil
}

// updateStorage applies slot writes to a storage trie and commits it, as
// go-ethereum's stateObject.updateTrie and commit do.
func updateStorage(tr state.Trie, addr common.Address, slots []exec.Write) (common.Hash, *trienode.NodeSet, error) {
	for _, s := range slots {
		v, err := decodeSlot(s.Value)
		if err != nil {
			return common.Hash{}, nil, err
		}
		if v == (common.Hash{}) {
			err = tr.DeleteStorage(addr, []byte(s.Key))
		} else {
			err = tr.UpdateStorage(addr, []byte(s.Key), common.TrimLeftZeroes(v[:]))
		}
		if err != nil {
			return common.Hash{}, nil, err
		}
	}
	root, nodes := tr.Commit(false)
	return root, nodes, nil
}
