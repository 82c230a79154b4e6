package evm

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// FuzzMeta: decodeMeta accepts exactly the encodings of encodeMeta and round-trips.
func FuzzMeta(f *testing.F) {
	f.Add(encodeMeta(emptyMeta()))
	f.Add(encodeMeta(meta{nonce: 7, codeHash: common.Hash{1}, root: common.Hash{2}}))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			if len(b) == metaLen {
				t.Fatalf("valid length refused: %v", err)
			}
			return
		}
		if !bytes.Equal(encodeMeta(m), b) {
			t.Fatal("round trip differs")
		}
	})
}

// FuzzSlot: storage values decode to the hash they encode, canonically.
func FuzzSlot(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1})
	f.Add(bytes.Repeat([]byte{0xff}, 33))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeSlot(b)
		if err != nil {
			if len(b) <= common.HashLength {
				t.Fatalf("valid value refused: %v", err)
			}
			return
		}
		if h != common.BytesToHash(b) {
			t.Fatal("value differs")
		}
		if enc := encodeSlot(h); !bytes.Equal(enc, bytes.TrimLeft(b, "\x00")) && !(len(enc) == 0 && len(bytes.TrimLeft(b, "\x00")) == 0) {
			t.Fatalf("encoding %x of %x not canonical", enc, b)
		}
	})
}

// FuzzStorageKey: the base storage answers every well-formed key and refuses the rest
// with ErrStateKey, without panicking.
func FuzzStorageKey(f *testing.F) {
	f.Add([]byte(balanceKey(common.Address{1})))
	f.Add([]byte(accountKey(common.Address{1})))
	f.Add([]byte(codeKey(types.EmptyCodeHash)))
	f.Add([]byte(slotKey(common.Address{1}, common.Hash{2})))
	f.Add([]byte("x"))
	e, err := New(DefaultConfig(common.Big1), NewMemoryDatabase(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	base, err := e.baseStorage(types.EmptyRootHash, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, k []byte) {
		v, err := base.Get(string(k))
		valid := len(k) == addrKeyLen && (k[0] == tagBalance || k[0] == tagAccount) ||
			len(k) == codeKeyLen && k[0] == tagCode || len(k) == slotKeyLen && k[0] == tagSlot
		if valid != (err == nil) {
			t.Fatalf("key %x: valid=%v err=%v", k, valid, err)
		}
		if err == nil && v != nil {
			t.Fatalf("empty state returned %x for %x", v, k)
		}
	})
}
