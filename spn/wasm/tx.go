package wasm

import (
	"bytes"
	"encoding/binary"
	"sync"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/farolnet/farol/spn/ecrecover"
	"github.com/farolnet/farol/spn/exec"
)

// Address is an account or contract address: the last 20 bytes of the keccak256 of
// the uncompressed secp256k1 public key (as in Ethereum), or of a contract's creation
// data (ContractAddress).
type Address [20]byte

// TxKind is what a transaction does.
type TxKind uint8

// Transaction kinds.
const (
	TxTransfer    TxKind = 1 // move Value of the native token to To
	TxUpload      TxKind = 2 // upload Data as contract code; its code hash is sha256(Data)
	TxInstantiate TxKind = 3 // create a contract of CodeHash, run "instantiate" with Data
	TxCall        TxKind = 4 // run "call" of contract To with input Data and Value attached
)

// TxVersion is the first byte of every encoded transaction.
const TxVersion = 1

// MaxTxData bounds a transaction's Data (and so an uploaded module).
const MaxTxData = 4 << 20

const txFixedLen = 1 + 1 + 4*8 + 20 + 32 + 32 + 4 // up to and including the data length
const sigLen = 65

// Tx is a signed transaction. Its canonical encoding (Encode, DecodeTx) is
//
//	version(1)=1 | kind(1) | chain id(8) | nonce(8) | gas limit(8) | gas price(8) |
//	to(20) | value(32) | code hash(32) | len(data)(4) | data | signature(65)
//
// integers big-endian; the signature is r(32) | s(32) | v(1) over
// SigningHash. Fields a kind does not use must be zero.
type Tx struct {
	Kind     TxKind
	ChainID  uint64
	Nonce    uint64
	GasLimit uint64
	GasPrice uint64 // fee per unit of gas, in the native token's smallest unit
	To       Address
	Value    exec.U256
	CodeHash [32]byte
	Data     []byte
	Sig      [sigLen]byte
}

// Encode returns the canonical encoding of tx.
func (tx *Tx) Encode() []byte {
	b := make([]byte, 0, txFixedLen+len(tx.Data)+sigLen)
	b = tx.appendUnsigned(b)
	return append(b, tx.Sig[:]...)
}

func (tx *Tx) appendUnsigned(b []byte) []byte {
	b = append(b, TxVersion, byte(tx.Kind))
	b = binary.BigEndian.AppendUint64(b, tx.ChainID)
	b = binary.BigEndian.AppendUint64(b, tx.Nonce)
	b = binary.BigEndian.AppendUint64(b, tx.GasLimit)
	b = binary.BigEndian.AppendUint64(b, tx.GasPrice)
	b = append(b, tx.To[:]...)
	var v [32]byte
	tx.Value.PutBytes32(v[:])
	b = append(b, v[:]...)
	b = append(b, tx.CodeHash[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(tx.Data)))
	return append(b, tx.Data...)
}

var txDomain = []byte("farol/wasm/tx/v1")

// SigningHash is keccak256("farol/wasm/tx/v1" | encoding without the signature).
func (tx *Tx) SigningHash() [32]byte {
	return signingHash(tx.appendUnsigned(make([]byte, 0, txFixedLen+len(tx.Data))))
}

// signingHash hashes the domain and an encoding without the signature. A decoded
// transaction's raw bytes up to the signature are that encoding (DecodeTx accepts
// only the canonical one), so decoding hashes them in place.
func signingHash(unsigned []byte) (h [32]byte) {
	k := keccakStates.Get().(crypto.KeccakState)
	k.Reset()
	k.Write(txDomain)
	k.Write(unsigned)
	k.Read(h[:])
	keccakStates.Put(k)
	return h
}

var keccakStates = sync.Pool{New: func() any { return crypto.NewKeccakState() }}

// Sign sets tx.Sig with key.
func (tx *Tx) Sign(key []byte) error {
	k, err := crypto.ToECDSA(key)
	if err != nil {
		return errorf(ErrSignature, "%v", err)
	}
	h := tx.SigningHash()
	s, err := crypto.Sign(h[:], k)
	if err != nil {
		return errorf(ErrSignature, "%v", err)
	}
	copy(tx.Sig[:], s)
	return nil
}

// Sender recovers the signer's address.
func (tx *Tx) Sender() (Address, error) {
	h := tx.SigningHash()
	return recoverAddress(h[:], tx.Sig[:])
}

// SharedSender is Sender for a transaction whose signature is index i of a finished
// shared recovery (rec.Set with tx's signing hash and signature): the recovered
// address, or, where recovery failed, Sender's own error.
func (tx *Tx) SharedSender(rec *ecrecover.Shared, i int) (Address, error) {
	if addr, ok := rec.Address(i); ok {
		return Address(addr), nil
	}
	return tx.Sender()
}

// sigValuesOK says whether sig's R, S and recovery id are in the ranges
// go-ethereum accepts for a transaction (crypto.ValidateSignatureValues with the
// Homestead rule: S in the lower half; recovery id 0 or 1).
func sigValuesOK(sig []byte) bool {
	r, s := sig[:32], sig[32:64]
	return sig[64] <= 1 && !isZero32(r) && !isZero32(s) &&
		bytes.Compare(r, secp256k1N[:]) < 0 && bytes.Compare(s, secp256k1HalfN[:]) <= 0
}

// The order of secp256k1 and half of it (rounded down), big endian.
var (
	secp256k1N     = [32]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41}
	secp256k1HalfN = [32]byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0}
)

func isZero32(b []byte) bool { return [32]byte(b) == [32]byte{} }

func recoverAddress(hash, sig []byte) (Address, error) {
	var a Address
	if !sigValuesOK(sig) {
		return a, errorf(ErrSignature, "signature values out of range")
	}
	pub, err := crypto.Ecrecover(hash, sig)
	if err != nil {
		return a, errorf(ErrSignature, "%v", err)
	}
	copy(a[:], crypto.Keccak256(pub[1:])[12:])
	return a, nil
}

// AddressOf returns the address of a secp256k1 private key.
func AddressOf(key []byte) (Address, error) {
	k, err := crypto.ToECDSA(key)
	if err != nil {
		return Address{}, errorf(ErrSignature, "%v", err)
	}
	var a Address
	copy(a[:], crypto.PubkeyToAddress(k.PublicKey).Bytes())
	return a, nil
}

// DecodeTx decodes the canonical encoding strictly: exact length, known version and
// kind, unused fields zero, signature values in range (low s, v in {0,1}). It does
// not recover the sender.
func DecodeTx(b []byte) (*Tx, error) {
	tx := new(Tx)
	if err := decodeTx(b, tx); err != nil {
		return nil, err
	}
	return tx, nil
}

// decodeTx is DecodeTx into *tx, which it overwrites whole (also on error).
func decodeTx(b []byte, tx *Tx) error {
	*tx = Tx{}
	if len(b) < txFixedLen+sigLen {
		return errorf(ErrTxEncoding, "%d bytes, at least %d", len(b), txFixedLen+sigLen)
	}
	if b[0] != TxVersion {
		return errorf(ErrTxEncoding, "version %d", b[0])
	}
	tx.Kind = TxKind(b[1])
	p := 2
	u64 := func() uint64 { v := binary.BigEndian.Uint64(b[p:]); p += 8; return v }
	tx.ChainID, tx.Nonce, tx.GasLimit, tx.GasPrice = u64(), u64(), u64(), u64()
	p += copy(tx.To[:], b[p:])
	v, _ := exec.U256FromBytes(b[p : p+32])
	tx.Value = v
	p += 32
	p += copy(tx.CodeHash[:], b[p:])
	n := binary.BigEndian.Uint32(b[p:])
	p += 4
	if n > MaxTxData {
		return errorf(ErrTxEncoding, "data of %d bytes, at most %d", n, MaxTxData)
	}
	if uint64(len(b)) != uint64(p)+uint64(n)+sigLen {
		return errorf(ErrTxEncoding, "length %d, want %d", len(b), uint64(p)+uint64(n)+sigLen)
	}
	if n > 0 {
		tx.Data = append([]byte(nil), b[p:p+int(n)]...)
	}
	p += int(n)
	copy(tx.Sig[:], b[p:])
	var zeroA Address
	var zeroH [32]byte
	switch tx.Kind {
	case TxTransfer:
		if tx.CodeHash != zeroH || len(tx.Data) != 0 {
			return errorf(ErrTxEncoding, "transfer with code hash or data")
		}
	case TxUpload:
		if tx.To != zeroA || !tx.Value.IsZero() || tx.CodeHash != zeroH || len(tx.Data) == 0 {
			return errorf(ErrTxEncoding, "upload carries only data")
		}
	case TxInstantiate:
		if tx.To != zeroA || tx.CodeHash == zeroH {
			return errorf(ErrTxEncoding, "instantiate needs a code hash and no recipient")
		}
	case TxCall:
		if tx.CodeHash != zeroH {
			return errorf(ErrTxEncoding, "call with a code hash")
		}
	default:
		return errorf(ErrTxEncoding, "kind %d", tx.Kind)
	}
	if !sigValuesOK(tx.Sig[:]) {
		return errorf(ErrSignature, "signature values out of range")
	}
	return nil
}

// ContractAddress is the address of the contract that sender creates with a
// transaction of this nonce: keccak256("farol/wasm/contract" | sender | nonce)[12:].
func ContractAddress(sender Address, nonce uint64) Address {
	var a Address
	copy(a[:], crypto.Keccak256([]byte("farol/wasm/contract"), sender[:], binary.BigEndian.AppendUint64(nil, nonce))[12:])
	return a
}
