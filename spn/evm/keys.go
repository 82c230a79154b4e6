package evm

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/farolnet/farol/spn/exec"
)

// State keys. One key per account field and per storage slot, so that transactions
// touching different fields or slots of one account do not conflict:
//
//	'b' | address              balance: 32-byte big-endian (exec.BigEndian32), absent = 0
//	'a' | address              account metadata: nonce (8 bytes BE) | code hash (32) | storage root (32)
//	'c' | code hash            contract code (content-addressed)
//	's' | address | slot       storage value: big-endian with leading zeros trimmed, absent = 0
//
// An account exists if its metadata key is present or its balance is not zero. An
// absent metadata key means nonce 0, no code and no storage. The storage root in the
// metadata is the root at the start of the block; it is only used for the EIP-7610
// create-collision check and is recomputed when the block is committed.
const (
	tagBalance = 'b'
	tagAccount = 'a'
	tagCode    = 'c'
	tagSlot    = 's'

	addrKeyLen = 1 + common.AddressLength
	codeKeyLen = 1 + common.HashLength
	slotKeyLen = 1 + common.AddressLength + common.HashLength
	metaLen    = 8 + 2*common.HashLength
)

func balanceKey(a common.Address) string {
	var k [addrKeyLen]byte
	k[0] = tagBalance
	copy(k[1:], a[:])
	return string(k[:])
}

func accountKey(a common.Address) string {
	var k [addrKeyLen]byte
	k[0] = tagAccount
	copy(k[1:], a[:])
	return string(k[:])
}

func codeKey(h common.Hash) string {
	var k [codeKeyLen]byte
	k[0] = tagCode
	copy(k[1:], h[:])
	return string(k[:])
}

func slotKey(a common.Address, slot common.Hash) string {
	var k [slotKeyLen]byte
	k[0] = tagSlot
	copy(k[1:], a[:])
	copy(k[1+common.AddressLength:], slot[:])
	return string(k[:])
}

// meta is the decoded account metadata.
type meta struct {
	nonce    uint64
	codeHash common.Hash
	root     common.Hash
}

func emptyMeta() meta { return meta{codeHash: types.EmptyCodeHash, root: types.EmptyRootHash} }

func encodeMeta(m meta) []byte {
	b := make([]byte, metaLen)
	binary.BigEndian.PutUint64(b, m.nonce)
	copy(b[8:], m.codeHash[:])
	copy(b[8+common.HashLength:], m.root[:])
	return b
}

func decodeMeta(b []byte) (meta, error) {
	if len(b) != metaLen {
		return meta{}, fmt.Errorf("%w: account metadata of %d bytes", ErrStateKey, len(b))
	}
	var m meta
	m.nonce = binary.BigEndian.Uint64(b)
	copy(m.codeHash[:], b[8:])
	copy(m.root[:], b[8+common.HashLength:])
	return m, nil
}

// encodeBalance returns the stored form of a balance (nil for zero).
func encodeBalance(u exec.U256) []byte {
	if u.IsZero() {
		return nil
	}
	b := make([]byte, 32)
	u.PutBytes32(b)
	return b
}

// encodeSlot returns the stored form of a storage value (nil for zero).
func encodeSlot(h common.Hash) []byte {
	i := 0
	for i < len(h) && h[i] == 0 {
		i++
	}
	if i == len(h) {
		return nil
	}
	return append([]byte(nil), h[i:]...)
}

func decodeSlot(b []byte) (common.Hash, error) {
	if len(b) > common.HashLength {
		return common.Hash{}, fmt.Errorf("%w: storage value of %d bytes", ErrStateKey, len(b))
	}
	var h common.Hash
	copy(h[common.HashLength-len(b):], b)
	return h, nil
}
