package exectest

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/farolnet/farol/spn/exec"
)

// Reference executes b one transaction at a time on plain maps. It shares no code
// with package exec (other than the U256 and codec helpers), and is the oracle that
// exec.ExecuteSequential is checked against. The error is non-nil if the block as a
// whole fails (the final value of a key with deltas is not numeric).
func Reference(b *Block) ([]exec.Write, []exec.TxResult[Result], error) {
	codec := exec.BigEndian32{}
	state := map[string]refValue{}
	get := func(k string) refValue {
		if rv, ok := state[k]; ok {
			return rv
		}
		return refValue{val: norm(b.Base[k])}
	}
	written := map[string]bool{}
	results := make([]exec.TxResult[Result], len(b.Txs))
	for i := range b.Txs {
		rv := &refView{codec: codec, get: get, own: map[string]*refOwn{}}
		res, err := runRecover(b, i, rv)
		results[i] = exec.TxResult[Result]{Result: res, Err: err}
		if err != nil {
			continue
		}
		for _, k := range rv.order {
			o := rv.own[k]
			switch {
			case o.full:
				state[k] = refValue{val: o.val}
			case o.hasDelta:
				cur := get(k)
				n, derr := codec.DecodeNumeric(cur.val)
				if cur.bad || derr != nil {
					state[k] = refValue{bad: true}
				} else {
					state[k] = refValue{val: codec.EncodeNumeric(n.Add(o.delta))}
				}
			default:
				continue
			}
			written[k] = true
		}
	}
	keys := make([]string, 0, len(written))
	for k := range written {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare[string])
	ws := make([]exec.Write, len(keys))
	for i, k := range keys {
		rv := state[k]
		if rv.bad {
			return nil, nil, fmt.Errorf("%w: key %x", exec.ErrNotNumeric, k)
		}
		ws[i] = exec.Write{Key: k, Value: rv.val}
	}
	return ws, results, nil
}

func runRecover(b *Block, i int, v exec.View) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = Result{}, &exec.PanicError{Tx: i, Value: p}
		}
	}()
	return Run(b, i, v)
}

func norm(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// refValue is a committed value; bad means deltas were added to a non-numeric value.
type refValue struct {
	val []byte
	bad bool
}

type refOwn struct {
	full     bool
	val      []byte
	hasDelta bool
	delta    exec.U256
}

type refView struct {
	codec exec.NumericCodec
	get   func(string) refValue
	own   map[string]*refOwn
	order []string
}

func (v *refView) mine(k string) *refOwn {
	o := v.own[k]
	if o == nil {
		o = &refOwn{}
		v.own[k] = o
		v.order = append(v.order, k)
	}
	return o
}

func (v *refView) ReadNumeric(k string) (exec.U256, error) {
	if o := v.own[k]; o != nil && o.full {
		n, err := v.codec.DecodeNumeric(o.val)
		if err != nil {
			return exec.U256{}, fmt.Errorf("%w: key %x", exec.ErrNotNumeric, k)
		}
		return n, nil
	}
	cur := v.get(k)
	n, err := v.codec.DecodeNumeric(cur.val)
	if cur.bad || err != nil {
		return exec.U256{}, fmt.Errorf("%w: key %x", exec.ErrNotNumeric, k)
	}
	if o := v.own[k]; o != nil && o.hasDelta {
		n = n.Add(o.delta)
	}
	return n, nil
}

func (v *refView) Read(k string) ([]byte, error) {
	o := v.own[k]
	if o != nil && o.full {
		return o.val, nil
	}
	if o != nil && o.hasDelta {
		n, err := v.ReadNumeric(k)
		if err != nil {
			return nil, err
		}
		return v.codec.EncodeNumeric(n), nil
	}
	cur := v.get(k)
	if cur.bad {
		return nil, fmt.Errorf("%w: key %x", exec.ErrNotNumeric, k)
	}
	return cur.val, nil
}

func (v *refView) Write(k string, val []byte) {
	o := v.mine(k)
	*o = refOwn{full: true, val: norm(val)}
}

func (v *refView) AddDelta(k string, d exec.U256) error {
	o := v.mine(k)
	if o.full {
		n, err := v.codec.DecodeNumeric(o.val)
		if err != nil {
			return fmt.Errorf("%w: key %x", exec.ErrNotNumeric, k)
		}
		o.val = v.codec.EncodeNumeric(n.Add(d))
		return nil
	}
	o.hasDelta = true
	o.delta = o.delta.Add(d)
	return nil
}

var _ exec.View = (*refView)(nil)
