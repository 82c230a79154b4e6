package node

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"
)

// Store layout, in the same key-value store as the EVM state (keys prefixed "spn/"):
//
//	spn/head             -> RLP head{Height, Root, Hash}: the last committed block
//	spn/state            -> RLP head: the last block whose state trie is on disk
//	                        (absent in homes written before it: then spn/head)
//	spn/b/<height BE8>   -> RLP storedBlock{Header, Txs, Receipts}
//	spn/h/<block hash>   -> height BE8
//	spn/t/<tx hash>      -> height BE8 ++ index BE4
//	spn/H/<height BE8>   -> RLP header (a copy of the block's header, so header
//	                        readers — eth_getLogs' bloom scan, eth_feeHistory,
//	                        newHeads — need not read the block's transactions)
//
// A block's records and the head are written in one batch (atomic). The state trie
// nodes reach disk only every few blocks (App.Commit, ADR 010): when a block's state
// is flushed (evm.Persist, before the batch), the batch also moves spn/state to it.
var (
	headKey      = []byte("spn/head")
	stateKey     = []byte("spn/state")
	blockPrefix  = []byte("spn/b/")
	hashPrefix   = []byte("spn/h/")
	txPrefix     = []byte("spn/t/")
	headerPrefix = []byte("spn/H/")
	errNotFound  = errors.New("not found")
)

// head is the last committed block.
type head struct {
	Height uint64
	Root   common.Hash // state root = app hash
	Hash   common.Hash // Ethereum block hash (keccak of the RLP header)
}

// storedBlock is one block as stored: the Ethereum header, the included
// transactions (binary encoding) and their consensus receipts.
type storedBlock struct {
	Header   *types.Header
	Txs      [][]byte
	Receipts []*types.ReceiptForStorage
}

// Block is a decoded stored block with derived receipt fields.
type Block struct {
	Header   *types.Header
	Hash     common.Hash
	Txs      []*types.Transaction
	Receipts types.Receipts
}

func be8(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func key(prefix, suffix []byte) []byte { return append(append([]byte{}, prefix...), suffix...) }

type store struct {
	kv     ethdb.KeyValueStore
	config *params.ChainConfig

	// cache holds recently read blocks (blocks are immutable once committed;
	// readers must not modify them).
	cacheMu sync.Mutex
	cache   [blockCacheSize]*Block
}

// blockCacheSize is the number of decoded blocks kept (by height modulo the size).
const blockCacheSize = 32

func (s *store) head() (head, bool, error) {
	b, err := s.kv.Get(headKey)
	if err != nil || len(b) == 0 {
		return head{}, false, nil //nolint:nilerr // no head yet
	}
	var h head
	if err := rlp.DecodeBytes(b, &h); err != nil {
		return head{}, false, fmt.Errorf("store: head: %w", err)
	}
	return h, true, nil
}

// stateHead returns the last block whose state is on disk: spn/state, or the block
// head in a home that predates it (every state was flushed then).
func (s *store) stateHead() (head, bool, error) {
	b, err := s.kv.Get(stateKey)
	if err != nil || len(b) == 0 {
		return s.head() //nolint:nilerr // not written yet
	}
	var h head
	if err := rlp.DecodeBytes(b, &h); err != nil {
		return head{}, false, fmt.Errorf("store: state head: %w", err)
	}
	return h, true, nil
}

// writeStateHead records h as the last block whose state is on disk (after the
// state was flushed outside a block's batch: App.Close).
func (s *store) writeStateHead(h head) error {
	enc, err := rlp.EncodeToBytes(&h)
	if err != nil {
		return err
	}
	return s.kv.Put(stateKey, enc)
}

// writeBlock writes a block, its indexes and the new head in one atomic batch; with
// stateFlushed (its state trie is on disk) the batch also records it as the state head.
func (s *store) writeBlock(b *Block, root common.Hash, stateFlushed bool) error {
	sb := storedBlock{Header: b.Header, Txs: make([][]byte, len(b.Txs)), Receipts: make([]*types.ReceiptForStorage, len(b.Receipts))}
	batch := s.kv.NewBatch()
	n := b.Header.Number.Uint64()
	for i, tx := range b.Txs {
		enc, err := tx.MarshalBinary()
		if err != nil {
			return fmt.Errorf("store: tx: %w", err)
		}
		sb.Txs[i] = enc
		sb.Receipts[i] = (*types.ReceiptForStorage)(b.Receipts[i])
		h := tx.Hash()
		if err := batch.Put(key(txPrefix, h[:]), binary.BigEndian.AppendUint32(be8(n), uint32(i))); err != nil {
			return err
		}
	}
	enc, err := rlp.EncodeToBytes(&sb)
	if err != nil {
		return fmt.Errorf("store: block: %w", err)
	}
	hd, err := rlp.EncodeToBytes(&head{Height: n, Root: root, Hash: b.Hash})
	if err != nil {
		return err
	}
	hdr, err := rlp.EncodeToBytes(b.Header)
	if err != nil {
		return fmt.Errorf("store: header: %w", err)
	}
	for _, kv := range [][2][]byte{
		{key(blockPrefix, be8(n)), enc},
		{key(headerPrefix, be8(n)), hdr},
		{key(hashPrefix, b.Hash[:]), be8(n)},
		{headKey, hd},
	} {
		if err := batch.Put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if stateFlushed {
		if err := batch.Put(stateKey, hd); err != nil {
			return err
		}
	}
	if err := batch.Write(); err != nil {
		return err
	}
	s.cacheMu.Lock()
	if c := s.cache[n%blockCacheSize]; c != nil && c.Header.Number.Uint64() == n {
		s.cache[n%blockCacheSize] = nil // rewritten (replay): drop the old decoding
	}
	s.cacheMu.Unlock()
	return nil
}

// header reads the header of block n (from its own record, or from the block
// record of a block written before headers had one).
func (s *store) header(n uint64) (*types.Header, error) {
	s.cacheMu.Lock()
	if c := s.cache[n%blockCacheSize]; c != nil && c.Header.Number.Uint64() == n {
		s.cacheMu.Unlock()
		return c.Header, nil
	}
	s.cacheMu.Unlock()
	if enc, err := s.kv.Get(key(headerPrefix, be8(n))); err == nil && len(enc) > 0 {
		h := new(types.Header)
		if err := rlp.DecodeBytes(enc, h); err != nil {
			return nil, fmt.Errorf("store: header %d: %w", n, err)
		}
		return h, nil
	}
	enc, err := s.kv.Get(key(blockPrefix, be8(n)))
	if err != nil || len(enc) == 0 {
		return nil, errNotFound
	}
	st := rlp.NewStream(bytes.NewReader(enc), uint64(len(enc)))
	if _, err := st.List(); err != nil {
		return nil, fmt.Errorf("store: block %d: %w", n, err)
	}
	h := new(types.Header)
	if err := st.Decode(h); err != nil {
		return nil, fmt.Errorf("store: header %d: %w", n, err)
	}
	return h, nil
}

// block reads block n with derived receipt fields. The result may be shared with
// other readers: do not modify it.
func (s *store) block(n uint64) (*Block, error) {
	s.cacheMu.Lock()
	if c := s.cache[n%blockCacheSize]; c != nil && c.Header.Number.Uint64() == n {
		s.cacheMu.Unlock()
		return c, nil
	}
	s.cacheMu.Unlock()
	b, err := s.readBlock(n)
	if err != nil {
		return nil, err
	}
	s.cacheMu.Lock()
	s.cache[n%blockCacheSize] = b
	s.cacheMu.Unlock()
	return b, nil
}

func (s *store) readBlock(n uint64) (*Block, error) {
	enc, err := s.kv.Get(key(blockPrefix, be8(n)))
	if err != nil || len(enc) == 0 {
		return nil, errNotFound
	}
	var sb storedBlock
	if err := rlp.DecodeBytes(enc, &sb); err != nil {
		return nil, fmt.Errorf("store: block %d: %w", n, err)
	}
	b := &Block{Header: sb.Header, Hash: sb.Header.Hash(), Txs: make([]*types.Transaction, len(sb.Txs)), Receipts: make(types.Receipts, len(sb.Receipts))}
	for i, raw := range sb.Txs {
		tx := new(types.Transaction)
		if err := tx.UnmarshalBinary(raw); err != nil {
			return nil, fmt.Errorf("store: block %d tx %d: %w", n, i, err)
		}
		b.Txs[i] = tx
		b.Receipts[i] = (*types.Receipt)(sb.Receipts[i])
	}
	if err := b.Receipts.DeriveFields(s.config, b.Hash, n, b.Header.Time, b.Header.BaseFee, nil, b.Txs); err != nil {
		return nil, fmt.Errorf("store: block %d receipts: %w", n, err)
	}
	return b, nil
}

func (s *store) blockNumberByHash(h common.Hash) (uint64, error) {
	b, err := s.kv.Get(key(hashPrefix, h[:]))
	if err != nil || len(b) != 8 {
		return 0, errNotFound
	}
	return binary.BigEndian.Uint64(b), nil
}

func (s *store) txLocation(h common.Hash) (uint64, int, error) {
	b, err := s.kv.Get(key(txPrefix, h[:]))
	if err != nil || len(b) != 12 {
		return 0, 0, errNotFound
	}
	return binary.BigEndian.Uint64(b), int(binary.BigEndian.Uint32(b[8:])), nil
}
