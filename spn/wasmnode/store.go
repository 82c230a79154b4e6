package wasmnode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/cockroachdb/pebble"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/ethereum/go-ethereum/trie/trienode"
	"github.com/ethereum/go-ethereum/triedb/database"

	"github.com/farolnet/farol/spn/exec"
)

// Store layout (one pebble database, README.md "Store"):
//
//	s/<state key>                 flat state: spn/wasm key -> value (what execution reads)
//	t/<node hash>                 state trie node (hash scheme; never deleted: no pruning)
//	m/head                        RLP head: the last committed block
//	m/b/<height BE8>              RLP storedHeader
//	m/r/<height BE8><index BE4>   RLP storedTx: raw tx, sender, receipt
//	m/x/<tx hash>                 height BE8 ++ index BE4
//	m/h/<block hash>              height BE8
//
// A block's state writes, trie nodes, header, receipts, indexes and the head are
// written in one synced pebble batch.
var (
	statePrefix   = []byte("s/")
	nodePrefix    = []byte("t/")
	headKey       = []byte("m/head")
	headerPrefix  = []byte("m/b/")
	receiptPrefix = []byte("m/r/")
	txIndexPrefix = []byte("m/x/")
	hashPrefix    = []byte("m/h/")
)

// ErrNotFound is returned for an unknown block, transaction, contract or code.
var ErrNotFound = errors.New("not found")

// ErrStore wraps failures of the underlying database.
var ErrStore = errors.New("wasmnode: store")

func be8(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func pkey(prefix []byte, parts ...[]byte) []byte {
	n := len(prefix)
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	k = append(k, prefix...)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

// head is the last committed block: Info reports it to CometBFT.
type head struct {
	Height    uint64
	Root      common.Hash // state root = app hash
	BlockHash []byte      // CometBFT block hash (empty at genesis)
	Time      uint64      // block time, unix seconds
}

// storedHeader is a block as stored.
type storedHeader struct {
	Height       uint64
	Time         uint64
	Hash         []byte // CometBFT block hash
	Proposer     [20]byte
	ParentRoot   common.Hash
	StateRoot    common.Hash
	ReceiptsHash common.Hash // wasm.ReceiptsHash of the block's receipts
	GasUsed      uint64
	TxHashes     []common.Hash
}

// storedTx is one transaction of a block with its receipt.
type storedTx struct {
	Raw      []byte
	From     [20]byte // zero if the transaction did not decode
	Status   uint8
	GasUsed  uint64
	Return   []byte
	Events   []storedEvent
	Messages []storedMessage
	Contract [20]byte
	CodeHash [32]byte
	Err      string
}

type storedEvent struct {
	Contract [20]byte
	Topic    []byte
	Data     []byte
}

type storedMessage struct {
	DestSPN   uint64
	Sender    [20]byte
	Recipient [20]byte
	Data      []byte
}

// Store is the Wasm SPN's pebble database.
type Store struct {
	db    *pebble.DB
	cache nodeCache
}

// OpenStore opens (or creates) the store in dir.
func OpenStore(dir string) (*Store, error) {
	db, err := pebble.Open(dir, &pebble.Options{Cache: pebble.NewCache(64 << 20), Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %w", ErrStore, dir, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...)) // pebble's contract: Fatalf does not return
}

// getter is what the database and its snapshots share.
type getter interface {
	Get(key []byte) ([]byte, io.Closer, error)
}

// get returns a copy of the value of key, nil if absent.
func get(g getter, key []byte) ([]byte, error) {
	v, c, err := g.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	out := bytes.Clone(v)
	if out == nil {
		out = []byte{}
	}
	return out, c.Close()
}

// stateView is an exec.Storage over the flat state of a committed view.
type stateView struct{ g getter }

// Get implements exec.Storage.
func (v stateView) Get(key string) ([]byte, error) {
	b := make([]byte, 0, len(statePrefix)+len(key))
	b = append(append(b, statePrefix...), key...)
	val, err := get(v.g, b)
	if len(val) == 0 {
		return nil, err
	}
	return val, err
}

var _ exec.Storage = stateView{}

// view is a consistent read-only view of the committed store.
type view struct {
	snap *pebble.Snapshot
	head head
}

func (v *view) state() stateView { return stateView{v.snap} }
func (v *view) Close()           { _ = v.snap.Close() }

// nodeDB serves trie nodes by hash (hash scheme: nodes are content-addressed, so any
// root's reader is the same) through the store's node cache.
type nodeDB struct {
	g     getter
	cache *nodeCache
}

func (s *Store) nodes(g getter) nodeDB { return nodeDB{g: g, cache: &s.cache} }

func (n nodeDB) NodeReader(common.Hash) (database.NodeReader, error) { return n, nil }

// Node implements database.NodeReader; a missing node is (nil, nil).
func (n nodeDB) Node(_ common.Hash, _ []byte, hash common.Hash) ([]byte, error) {
	if b := n.cache.get(hash); b != nil {
		return b, nil
	}
	b, err := get(n.g, pkey(nodePrefix, hash[:]))
	if len(b) > 0 {
		n.cache.add(hash, b)
	}
	return b, err
}

// nodeCache keeps recently read and written trie nodes (the upper levels are
// touched by every block). Nodes are immutable, so the cache is never stale; when
// full it is dropped and refilled.
type nodeCache struct {
	mu   sync.Mutex
	m    map[common.Hash][]byte
	size int
}

const nodeCacheBytes = 128 << 20

func (c *nodeCache) get(h common.Hash) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[h]
}

func (c *nodeCache) add(h common.Hash, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.size+len(b) > nodeCacheBytes {
		c.m, c.size = make(map[common.Hash][]byte, 1<<14), 0
	}
	if _, ok := c.m[h]; !ok {
		c.m[h] = b
		c.size += len(b) + 64
	}
}

// stateRoot applies writes (sorted by key) to the trie of parent and returns the
// new root and the trie nodes to persist. Trie key = keccak256(state key), trie
// value = keccak256(value); a deleted key is removed.
func (s *Store) stateRoot(g getter, parent common.Hash, writes []exec.Write) (common.Hash, *trienode.NodeSet, error) {
	t, err := trie.New(trie.TrieID(parent), s.nodes(g))
	if err != nil {
		return common.Hash{}, nil, fmt.Errorf("%w: state trie %x: %w", ErrStore, parent, err)
	}
	for _, w := range writes {
		k := crypto.Keccak256([]byte(w.Key))
		if len(w.Value) == 0 {
			err = t.Delete(k)
		} else {
			err = t.Update(k, crypto.Keccak256(w.Value))
		}
		if err != nil {
			return common.Hash{}, nil, fmt.Errorf("%w: state trie: %w", ErrStore, err)
		}
	}
	root, nodes := t.Commit(false)
	return root, nodes, nil
}

// EmptyRoot is the state root of an empty state.
var EmptyRoot = types.EmptyRootHash

// pendingBlock is a finalized, not yet committed block.
type pendingBlock struct {
	head   head
	writes []exec.Write
	nodes  *trienode.NodeSet
	header *storedHeader // nil at genesis
	txs    []storedTx
	stats  BlockStats
}

// commit writes a block in one synced batch: flat state, trie nodes, header,
// transactions and receipts, indexes and the head. The tx index points at the
// last valid inclusion of a hash; an invalid inclusion (e.g. replayed bytes) is
// indexed only if the hash is not indexed yet.
func (s *Store) commit(p *pendingBlock) error {
	b := s.db.NewBatch()
	defer b.Close()
	for _, w := range p.writes {
		k := pkey(statePrefix, []byte(w.Key))
		var err error
		if len(w.Value) == 0 {
			err = b.Delete(k, nil)
		} else {
			err = b.Set(k, w.Value, nil)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrStore, err)
		}
	}
	var written []*trienode.Node
	if p.nodes != nil {
		var err error
		p.nodes.ForEachWithOrder(func(_ string, n *trienode.Node) {
			if len(n.Blob) == 0 || err != nil {
				return // deleted from this trie; older roots may still reference it
			}
			err = b.Set(pkey(nodePrefix, n.Hash[:]), n.Blob, nil)
			written = append(written, n)
		})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrStore, err)
		}
	}
	if h := p.header; h != nil {
		enc, err := rlp.EncodeToBytes(h)
		if err != nil {
			return fmt.Errorf("%w: header: %w", ErrStore, err)
		}
		hk := be8(h.Height)
		if err := b.Set(pkey(headerPrefix, hk), enc, nil); err != nil {
			return err
		}
		if len(h.Hash) > 0 {
			if err := b.Set(pkey(hashPrefix, h.Hash), hk, nil); err != nil {
				return err
			}
		}
		indexed := map[common.Hash]bool{} // hash -> indexed by a valid tx of this block
		for i := range p.txs {
			tx := &p.txs[i]
			loc := binary.BigEndian.AppendUint32(be8(h.Height), uint32(i))
			enc, err := rlp.EncodeToBytes(tx)
			if err != nil {
				return fmt.Errorf("%w: tx: %w", ErrStore, err)
			}
			if err := b.Set(pkey(receiptPrefix, loc), enc, nil); err != nil {
				return err
			}
			th := h.TxHashes[i]
			valid := tx.Status != statusInvalidTx
			if v, ok := indexed[th]; ok {
				if v || !valid {
					continue
				}
			} else if !valid {
				old, err := get(s.db, pkey(txIndexPrefix, th[:]))
				if err != nil {
					return err
				}
				if old != nil {
					continue
				}
			}
			indexed[th] = valid
			if err := b.Set(pkey(txIndexPrefix, th[:]), loc, nil); err != nil {
				return err
			}
		}
	}
	hd, err := rlp.EncodeToBytes(&p.head)
	if err != nil {
		return fmt.Errorf("%w: head: %w", ErrStore, err)
	}
	if err := b.Set(headKey, hd, nil); err != nil {
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("%w: commit: %w", ErrStore, err)
	}
	for _, n := range written {
		s.cache.add(n.Hash, n.Blob)
	}
	return nil
}

// head reads the last committed head.
func (s *Store) readHead() (head, bool, error) {
	b, err := get(s.db, headKey)
	if err != nil || b == nil {
		return head{}, false, err
	}
	var h head
	if err := rlp.DecodeBytes(b, &h); err != nil {
		return head{}, false, fmt.Errorf("%w: head: %w", ErrStore, err)
	}
	return h, true, nil
}

func readHeader(g getter, n uint64) (*storedHeader, error) {
	b, err := get(g, pkey(headerPrefix, be8(n)))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, ErrNotFound
	}
	var h storedHeader
	if err := rlp.DecodeBytes(b, &h); err != nil {
		return nil, fmt.Errorf("%w: block %d: %w", ErrStore, n, err)
	}
	return &h, nil
}

func readTxAt(g getter, loc []byte) (*storedTx, error) {
	b, err := get(g, pkey(receiptPrefix, loc))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, ErrNotFound
	}
	var t storedTx
	if err := rlp.DecodeBytes(b, &t); err != nil {
		return nil, fmt.Errorf("%w: tx: %w", ErrStore, err)
	}
	return &t, nil
}

// txLocation returns the height and index of a transaction hash.
func txLocation(g getter, h common.Hash) (uint64, uint32, error) {
	b, err := get(g, pkey(txIndexPrefix, h[:]))
	if err != nil {
		return 0, 0, err
	}
	if len(b) != 12 {
		return 0, 0, ErrNotFound
	}
	return binary.BigEndian.Uint64(b), binary.BigEndian.Uint32(b[8:]), nil
}

func heightByHash(g getter, h []byte) (uint64, error) {
	b, err := get(g, pkey(hashPrefix, h))
	if err != nil {
		return 0, err
	}
	if len(b) != 8 {
		return 0, ErrNotFound
	}
	return binary.BigEndian.Uint64(b), nil
}

// blockTxs reads the transactions of block n in order.
func blockTxs(snap *pebble.Snapshot, n uint64) ([]storedTx, error) {
	lo := pkey(receiptPrefix, be8(n))
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: pkey(receiptPrefix, be8(n+1))})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	defer it.Close()
	var out []storedTx
	for it.First(); it.Valid(); it.Next() {
		var t storedTx
		if err := rlp.DecodeBytes(it.Value(), &t); err != nil {
			return nil, fmt.Errorf("%w: block %d tx: %w", ErrStore, n, err)
		}
		out = append(out, t)
	}
	return out, it.Error()
}
