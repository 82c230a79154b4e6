package mpt

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// FuzzDecode: a stored node either decodes or gives an error (never a panic), and a
// node that decodes encodes back to exactly the same bytes (the decoder accepts only
// the canonical form go-ethereum writes).
func FuzzDecode(f *testing.F) {
	// Seeds: a branch, an extension, leaves (odd and even keys), embedded children.
	ed := New(EmptyRoot, nil).Edit()
	for i := 0; i < 40; i++ {
		k := []byte{byte(i * 37), byte(i)}
		if err := ed.Update(k, []byte{byte(i), 1, 2}, nil); err != nil {
			f.Fatal(err)
		}
	}
	tr, _ := ed.Commit()
	if err := tr.Unflushed(func(_ common.Hash, blob []byte) error { f.Add(blob); return nil }); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{0xc2, 0x20, 0x01})
	f.Add([]byte{0xc0})
	f.Fuzz(func(t *testing.T, blob []byte) {
		n, err := decode(blob, common.Hash{1})
		if err != nil {
			return
		}
		enc, _ := n.encode(nil)
		if !bytes.Equal(enc, blob) {
			t.Fatalf("decoded %x, encodes back to %x", blob, enc)
		}
	})
}

// FuzzOps applies a fuzzed sequence of updates and deletes (2-byte keys, so that
// nodes embed) to go-ethereum's trie and to this one, committing every few
// operations, and compares roots and values.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{0x10, 0x00, 0x01, 0x10, 0x00, 0x02, 0x90, 0x00, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, ops []byte) {
		ref := newGethRef(t)
		cur := New(EmptyRoot, nil)
		ed := cur.Edit()
		for i := 0; i+3 <= len(ops) && i < 3*300; i += 3 {
			op, k := ops[i], []byte{ops[i+1] & 0x1f, ops[i+2]}
			var v []byte
			if op&0x80 == 0 { // update with a value of 1..16 bytes; else delete
				v = bytes.Repeat([]byte{op | 1}, 1+int(op&0x0f))
			}
			if err := ref.t.Update(k, v); err != nil {
				t.Fatal(err)
			}
			if err := ed.Update(k, v, nil); err != nil {
				t.Fatal(err)
			}
			if op&0x40 != 0 || i+6 > len(ops) {
				cur, _ = ed.Commit()
				root, _ := ref.commit(t)
				if cur.Hash() != root {
					t.Fatalf("after op %d: root %x, go-ethereum %x", i/3, cur.Hash(), root)
				}
				got, err := cur.Get(k)
				if err != nil || !bytes.Equal(got, v) {
					t.Fatalf("after op %d: key %x = %x (%v), want %x", i/3, k, got, err, v)
				}
				ed = cur.Edit()
			}
		}
	})
}
