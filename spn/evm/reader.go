package evm

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/exec"
)

// origAccount is an account as a transaction first read it.
type origAccount struct {
	exists      bool
	metaPresent bool
	balance     exec.U256
	meta        meta
}

type slotID struct {
	addr common.Address
	slot common.Hash
}

// viewReader is the state.Reader of one transaction's StateDB: it reads the
// transaction's exec.View field by field and remembers the first value it saw of every
// account and slot, so that the engine can write back exactly what changed.
type viewReader struct {
	v        exec.View
	accounts map[common.Address]*origAccount
	slots    map[slotID]common.Hash
	err      error // first View error (exec.ErrSuspended or a storage failure)
}

var _ state.Reader = (*viewReader)(nil)

func (r *viewReader) reset(v exec.View) {
	r.v = v
	clear(r.accounts)
	clear(r.slots)
	r.err = nil
}

func (r *viewReader) fail(err error) error {
	if r.err == nil {
		r.err = err
	}
	return err
}

// load reads the current value of an account's fields from the view.
func (r *viewReader) load(addr common.Address) (origAccount, error) {
	var o origAccount
	raw, err := r.v.Read(accountKey(addr))
	if err != nil {
		return o, r.fail(err)
	}
	bal, err := r.v.ReadNumeric(balanceKey(addr))
	if err != nil {
		return o, r.fail(err)
	}
	o.balance = bal
	if raw != nil {
		m, err := decodeMeta(raw)
		if err != nil {
			return o, r.fail(err)
		}
		o.meta, o.metaPresent, o.exists = m, true, true
	} else {
		o.meta = emptyMeta()
		o.exists = !bal.IsZero()
	}
	return o, nil
}

// Account implements state.StateReader.
func (r *viewReader) Account(addr common.Address) (*types.StateAccount, error) {
	o, err := r.load(addr)
	if err != nil {
		return nil, err
	}
	if _, seen := r.accounts[addr]; !seen {
		oc := o
		r.accounts[addr] = &oc
	}
	if !o.exists {
		return nil, nil
	}
	b := uint256.Int(o.balance)
	return &types.StateAccount{
		Nonce:    o.meta.nonce,
		Balance:  &b,
		Root:     o.meta.root,
		CodeHash: o.meta.codeHash.Bytes(),
	}, nil
}

// Storage implements state.StateReader.
func (r *viewReader) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	raw, err := r.v.Read(slotKey(addr, slot))
	if err != nil {
		return common.Hash{}, r.fail(err)
	}
	h, err := decodeSlot(raw)
	if err != nil {
		return common.Hash{}, r.fail(err)
	}
	id := slotID{addr, slot}
	if _, seen := r.slots[id]; !seen {
		r.slots[id] = h
	}
	return h, nil
}

// Code implements state.ContractCodeReader.
func (r *viewReader) Code(_ common.Address, codeHash common.Hash) ([]byte, error) {
	if codeHash == types.EmptyCodeHash || codeHash == (common.Hash{}) {
		return nil, nil
	}
	code, err := r.v.Read(codeKey(codeHash))
	if err != nil {
		return nil, r.fail(err)
	}
	return code, nil
}

// CodeSize implements state.ContractCodeReader.
func (r *viewReader) CodeSize(addr common.Address, codeHash common.Hash) (int, error) {
	code, err := r.Code(addr, codeHash)
	return len(code), err
}
