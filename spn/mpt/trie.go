package mpt

import (
	"bytes"
	"fmt"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// EmptyRoot is the root hash of an empty trie (keccak256 of the RLP empty string).
var EmptyRoot = common.HexToHash("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")

// NodeReader reads stored nodes by hash. path is the node's position (the key
// nibbles from the trie's root), for stores that want it; the hash-scheme layout
// ignores it. A node the store does not have is a nil blob and a nil error.
type NodeReader interface {
	Node(path []byte, hash common.Hash) ([]byte, error)
}

// Trie is one version of a trie. It does not change; Edit derives the next version.
// Its methods are safe for concurrent use.
type Trie struct {
	slot   *atomic.Pointer[node] // the root (nil: empty); a stub until first read
	reader NodeReader
}

// New opens the stored trie with this root (EmptyRoot or zero: an empty trie). Nodes
// are read through r when first needed.
func New(root common.Hash, r NodeReader) *Trie {
	t := &Trie{slot: new(atomic.Pointer[node]), reader: r}
	if root != EmptyRoot && root != (common.Hash{}) {
		t.slot.Store(stub(root))
	}
	return t
}

// Hash is the trie's root hash.
func (t *Trie) Hash() common.Hash { return rootHash(t.slot.Load()) }

// rootHash is the hash of a (hashed) root node: a root is referenced by its hash
// even if its encoding is shorter than 32 bytes.
func rootHash(n *node) common.Hash {
	switch {
	case n == nil:
		return EmptyRoot
	case n.large():
		return n.hash
	}
	return crypto.Keccak256Hash(n.enc)
}

// resolve returns the node in slot, reading and decoding it if it is a stub, and
// keeps the decoded node in slot for later reads.
func (t *Trie) resolve(slot *atomic.Pointer[node], path []byte) (*node, error) {
	n := slot.Load()
	if n == nil || n.kind != kindStub {
		return n, nil
	}
	if t.reader == nil {
		return nil, fmt.Errorf("%w: %x (path %x): no reader", ErrMissingNode, n.hash, path)
	}
	blob, err := t.reader.Node(path, n.hash)
	if err != nil {
		return nil, fmt.Errorf("mpt: reading node %x (path %x): %w", n.hash, path, err)
	}
	if len(blob) == 0 {
		return nil, fmt.Errorf("%w: %x (path %x)", ErrMissingNode, n.hash, path)
	}
	d, err := decode(blob, n.hash)
	if err != nil {
		return nil, fmt.Errorf("node %x (path %x): %w", n.hash, path, err)
	}
	if slot.CompareAndSwap(n, d) {
		return d, nil
	}
	return slot.Load(), nil // another reader decoded it first: share that one
}

// keyBuf holds the nibbles of a key without allocating for keys up to 64 bytes.
type keyBuf [128]byte

func (b *keyBuf) nibbles(key []byte) []byte {
	if 2*len(key) > len(b) {
		return keyNibbles(key)
	}
	nib := b[:2*len(key)]
	for i, c := range key {
		nib[2*i] = c >> 4
		nib[2*i+1] = c & 0x0f
	}
	return nib
}

// leaf finds the leaf of key (nil if the trie has none).
func (t *Trie) leaf(key []byte) (*node, error) {
	var kb keyBuf
	nib := kb.nibbles(key)
	slot, pos := t.slot, 0
	for {
		n, err := t.resolve(slot, nib[:pos])
		if err != nil || n == nil {
			return nil, err
		}
		switch n.kind {
		case kindLeaf:
			if bytes.Equal(n.key, nib[pos:]) {
				return n, nil
			}
			return nil, nil
		case kindExt:
			if !bytes.HasPrefix(nib[pos:], n.key) {
				return nil, nil
			}
			pos += len(n.key)
			slot = &n.child
		case kindBranch:
			if pos >= len(nib) {
				return nil, fmt.Errorf("mpt: key of %d bytes ends at a branch: keys must have one length", len(key))
			}
			slot = &n.children[nib[pos]]
			pos++
		}
	}
}

// Get returns the value of key (nil if absent). The caller must not modify it.
func (t *Trie) Get(key []byte) ([]byte, error) {
	n, err := t.leaf(key)
	if err != nil || n == nil {
		return nil, err
	}
	return n.val, nil
}

// Linked returns the trie linked to the leaf of key (Editor.Update's sub). A leaf
// loaded from the store has no link yet: Linked then links the stored trie with this
// root (read through r), so its nodes too are kept once read. A missing key, or an
// empty root, gives an empty trie.
func (t *Trie) Linked(key []byte, root common.Hash, r NodeReader) (*Trie, error) {
	n, err := t.leaf(key)
	if err != nil {
		return nil, err
	}
	if n == nil || root == EmptyRoot || root == (common.Hash{}) {
		return New(EmptyRoot, r), nil
	}
	if n.child.Load() == nil {
		n.child.CompareAndSwap(nil, stub(root))
	}
	if got := rootHash(n.child.Load()); got != root {
		return nil, fmt.Errorf("mpt: the trie linked at %x has root %x, not %x", key, got, root)
	}
	return &Trie{slot: &n.child, reader: r}, nil
}

// gens numbers editors: a node records the editor that made it, which may change it
// in place until it commits.
var gens atomic.Uint64

// Editor builds the next version of a trie. It is not safe for concurrent use, and
// nothing it builds is visible to others until Commit.
type Editor struct {
	t    *Trie
	gen  uint64
	root *node
	done bool

	kb keyBuf
}

// Edit starts the next version of t. t itself does not change.
func (t *Trie) Edit() *Editor {
	return &Editor{t: t, gen: gens.Add(1), root: t.slot.Load()}
}

func (e *Editor) newLeaf(key, val []byte, sub *node) *node {
	n := &node{kind: kindLeaf, key: bytes.Clone(key), val: val, gen: e.gen}
	if sub != nil {
		n.child.Store(sub)
	}
	return n
}

func (e *Editor) newExt(key []byte, child *node) *node {
	n := &node{kind: kindExt, key: bytes.Clone(key), gen: e.gen}
	n.child.Store(child)
	return n
}

func (e *Editor) newBranch() *node {
	return &node{kind: kindBranch, children: new([16]atomic.Pointer[node]), gen: e.gen}
}

func (e *Editor) copyBranch(n *node) *node {
	b := e.newBranch()
	for i := range n.children {
		if c := n.children[i].Load(); c != nil {
			b.children[i].Store(c)
		}
	}
	return b
}

func (e *Editor) owns(n *node) bool { return n.gen == e.gen }

// Update sets key to val (an empty val deletes the key, as in go-ethereum's trie).
// The leaf's link becomes sub (see Trie.Linked), nil for none: to keep a leaf's
// linked trie, pass it again. sub must be committed, and val should commit to its
// root: a linked trie that is not flushed is reachable only through its link. The
// trie keeps val itself: the caller must not change it afterwards.
func (e *Editor) Update(key, val []byte, sub *Trie) error {
	if e.done {
		return fmt.Errorf("mpt: editor used after Commit")
	}
	if len(val) == 0 {
		return e.Delete(key)
	}
	var s *node
	if sub != nil {
		if s = sub.slot.Load(); s != nil && !s.hashed {
			return fmt.Errorf("mpt: linked trie is not committed")
		}
	}
	nib := e.kb.nibbles(key)
	slot := new(atomic.Pointer[node])
	slot.Store(e.root)
	n, err := e.insert(slot, nib, 0, val, s)
	if err != nil {
		return err
	}
	e.root = n
	return nil
}

// insert returns the node that replaces the one in slot once key nib[pos:] is set.
func (e *Editor) insert(slot *atomic.Pointer[node], nib []byte, pos int, val []byte, sub *node) (*node, error) {
	n, err := e.t.resolve(slot, nib[:pos])
	if err != nil {
		return nil, err
	}
	rest := nib[pos:]
	if n == nil {
		return e.newLeaf(rest, val, sub), nil
	}
	switch n.kind {
	case kindLeaf:
		if bytes.Equal(n.key, rest) {
			if bytes.Equal(n.val, val) && n.child.Load() == sub {
				return n, nil
			}
			if e.owns(n) {
				n.val = val
				n.child.Store(sub)
				return n, nil
			}
			return e.newLeaf(n.key, val, sub), nil
		}
		if len(rest) != len(n.key) {
			return nil, fmt.Errorf("mpt: keys of different lengths in one trie")
		}
		p := prefixLen(n.key, rest)
		b := e.newBranch()
		b.children[n.key[p]].Store(e.newLeaf(n.key[p+1:], n.val, n.child.Load()))
		b.children[rest[p]].Store(e.newLeaf(rest[p+1:], val, sub))
		if p > 0 {
			return e.newExt(rest[:p], b), nil
		}
		return b, nil
	case kindExt:
		p := prefixLen(n.key, rest)
		if p == len(n.key) {
			old := n.child.Load()
			c, err := e.insert(&n.child, nib, pos+p, val, sub)
			if err != nil {
				return nil, err
			}
			if c == old {
				return n, nil
			}
			if e.owns(n) {
				n.child.Store(c)
				return n, nil
			}
			return e.newExt(n.key, c), nil
		}
		if p == len(rest) {
			return nil, fmt.Errorf("mpt: keys of different lengths in one trie")
		}
		b := e.newBranch()
		if p+1 < len(n.key) {
			b.children[n.key[p]].Store(e.newExt(n.key[p+1:], n.child.Load()))
		} else {
			b.children[n.key[p]].Store(n.child.Load())
		}
		b.children[rest[p]].Store(e.newLeaf(rest[p+1:], val, sub))
		if p > 0 {
			return e.newExt(rest[:p], b), nil
		}
		return b, nil
	case kindBranch:
		if len(rest) == 0 {
			return nil, fmt.Errorf("mpt: keys of different lengths in one trie")
		}
		i := rest[0]
		old := n.children[i].Load()
		c, err := e.insert(&n.children[i], nib, pos+1, val, sub)
		if err != nil {
			return nil, err
		}
		if c == old {
			return n, nil
		}
		if !e.owns(n) {
			n = e.copyBranch(n)
		}
		n.children[i].Store(c)
		return n, nil
	}
	return nil, fmt.Errorf("mpt: node of kind %d", n.kind)
}

// Delete removes key (nothing if it is absent).
func (e *Editor) Delete(key []byte) error {
	if e.done {
		return fmt.Errorf("mpt: editor used after Commit")
	}
	nib := e.kb.nibbles(key)
	slot := new(atomic.Pointer[node])
	slot.Store(e.root)
	n, _, err := e.remove(slot, nib, 0)
	if err != nil {
		return err
	}
	e.root = n
	return nil
}

// remove returns the node that replaces the one in slot once key nib[pos:] is
// deleted, and whether anything changed.
func (e *Editor) remove(slot *atomic.Pointer[node], nib []byte, pos int) (*node, bool, error) {
	n, err := e.t.resolve(slot, nib[:pos])
	if err != nil || n == nil {
		return n, false, err
	}
	rest := nib[pos:]
	switch n.kind {
	case kindLeaf:
		if bytes.Equal(n.key, rest) {
			return nil, true, nil
		}
		return n, false, nil
	case kindExt:
		if !bytes.HasPrefix(rest, n.key) {
			return n, false, nil
		}
		c, changed, err := e.remove(&n.child, nib, pos+len(n.key))
		if err != nil || !changed {
			return n, false, err
		}
		return e.extOver(n.key, c), true, nil
	case kindBranch:
		if len(rest) == 0 {
			return nil, false, fmt.Errorf("mpt: keys of different lengths in one trie")
		}
		i := rest[0]
		c, changed, err := e.remove(&n.children[i], nib, pos+1)
		if err != nil || !changed {
			return n, false, err
		}
		if c != nil {
			if !e.owns(n) {
				n = e.copyBranch(n)
			}
			n.children[i].Store(c)
			return n, true, nil
		}
		only, count := -1, 0
		for j := range n.children {
			if j != int(i) && n.children[j].Load() != nil {
				only, count = j, count+1
			}
		}
		if count >= 2 {
			if !e.owns(n) {
				n = e.copyBranch(n)
			}
			n.children[i].Store(nil)
			return n, true, nil
		}
		if count == 0 { // a branch always has two children or more; be safe anyway
			return nil, true, nil
		}
		// One child left: the branch gives way to a node with the child's nibble
		// prepended to its key.
		path := append(bytes.Clone(nib[:pos]), byte(only))
		last, err := e.t.resolve(&n.children[only], path)
		if err != nil {
			return nil, false, err
		}
		return e.extOver([]byte{byte(only)}, last), true, nil
	}
	return nil, false, fmt.Errorf("mpt: node of kind %d", n.kind)
}

// extOver is the node for key nibbles followed by c: c's key extended if c is a leaf
// or an extension, an extension over c if it is a branch (or a stub of one).
func (e *Editor) extOver(key []byte, c *node) *node {
	switch {
	case c == nil:
		return nil
	case c.kind == kindLeaf:
		return e.newLeaf(concat(key, c.key), c.val, c.child.Load())
	case c.kind == kindExt:
		return e.newExt(concat(key, c.key), c.child.Load())
	}
	return e.newExt(key, c)
}

func concat(a, b []byte) []byte {
	out := make([]byte, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

func prefixLen(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// Stats says what a Commit hashed.
type Stats struct {
	Nodes int // nodes hashed
	Bytes int // bytes of their encodings that a flush will write
}

// Commit hashes the new nodes and returns the new version. The editor cannot be used
// after it.
func (e *Editor) Commit() (*Trie, Stats) {
	e.done = true
	h := hasher{keccak: crypto.NewKeccakState()}
	t := &Trie{slot: new(atomic.Pointer[node]), reader: e.t.reader}
	if e.root == nil {
		return t, h.stats
	}
	h.hash(e.root)
	if !e.root.large() && !e.root.flushed { // a small root is stored all the same
		h.stats.Bytes += len(e.root.enc)
	}
	t.slot.Store(e.root)
	return t, h.stats
}

type hasher struct {
	keccak  crypto.KeccakState
	scratch []byte
	stats   Stats
}

func (h *hasher) sum(b []byte) (out common.Hash) {
	h.keccak.Reset()
	h.keccak.Write(b)
	h.keccak.Read(out[:])
	return out
}

// hash sets the hash (or the embedded encoding) of n and of every unhashed node under
// it.
func (h *hasher) hash(n *node) {
	if n.hashed {
		return
	}
	switch n.kind {
	case kindExt:
		h.hash(n.child.Load())
	case kindBranch:
		for i := range n.children {
			if c := n.children[i].Load(); c != nil {
				h.hash(c)
			}
		}
	}
	var enc []byte
	enc, h.scratch = n.encode(h.scratch)
	h.stats.Nodes++
	if len(enc) < 32 {
		n.enc = enc
	} else {
		n.blob = enc
		n.hash = h.sum(enc)
		h.stats.Bytes += len(enc)
	}
	n.hashed = true
}

// Unflushed calls fn, children first, with the hash and encoding of every node of t
// (and of the tries linked to its leaves) that no flush has written. The nodes stay
// unflushed until MarkFlushed: write them, and mark them once the write is durable.
// fn must not keep blob beyond the write.
func (t *Trie) Unflushed(fn func(hash common.Hash, blob []byte) error) error {
	return walkUnflushed(t.slot.Load(), true, fn)
}

func walkUnflushed(n *node, root bool, fn func(common.Hash, []byte) error) error {
	if n == nil || n.flushed {
		return nil
	}
	if !n.hashed {
		return fmt.Errorf("mpt: flushing a trie that is not committed")
	}
	switch n.kind {
	case kindExt:
		if err := walkUnflushed(n.child.Load(), false, fn); err != nil {
			return err
		}
	case kindBranch:
		for i := range n.children {
			if err := walkUnflushed(n.children[i].Load(), false, fn); err != nil {
				return err
			}
		}
	case kindLeaf:
		if err := walkUnflushed(n.child.Load(), true, fn); err != nil {
			return err
		}
	}
	switch {
	case n.large():
		return fn(n.hash, n.blob)
	case root:
		return fn(rootHash(n), n.enc)
	}
	return nil
}

// MarkFlushed records that Unflushed's nodes are stored: later flushes skip them, and
// their encodings are released.
func (t *Trie) MarkFlushed() { markFlushed(t.slot.Load()) }

func markFlushed(n *node) {
	if n == nil || n.flushed || !n.hashed {
		return
	}
	switch n.kind {
	case kindExt:
		markFlushed(n.child.Load())
	case kindBranch:
		for i := range n.children {
			markFlushed(n.children[i].Load())
		}
	case kindLeaf:
		markFlushed(n.child.Load())
	}
	n.blob = nil
	n.flushed = true
}

// Prove calls fn with the encodings of the nodes on the path to key, root first, as
// go-ethereum's Trie.Prove collects them (EIP-1186): the root and every node its
// parent references by hash; embedded nodes are inside their parents. The key need
// not be in the trie (a proof of absence).
func (t *Trie) Prove(key []byte, fn func(enc []byte) error) error {
	var kb keyBuf
	nib := kb.nibbles(key)
	slot, pos := t.slot, 0
	for first := true; ; first = false {
		n, err := t.resolve(slot, nib[:pos])
		if err != nil || n == nil {
			return err
		}
		if first || n.large() {
			enc, _ := n.encode(nil) // not n.blob: a flush may be releasing it
			if err := fn(enc); err != nil {
				return err
			}
		}
		switch n.kind {
		case kindLeaf:
			return nil
		case kindExt:
			if !bytes.HasPrefix(nib[pos:], n.key) {
				return nil
			}
			pos += len(n.key)
			slot = &n.child
		case kindBranch:
			if pos >= len(nib) {
				return fmt.Errorf("mpt: key of %d bytes ends at a branch: keys must have one length", len(key))
			}
			slot = &n.children[nib[pos]]
			pos++
		}
	}
}

// Evict drops from memory the flushed nodes of t that are depth or more nodes below
// the root (in t and in the tries linked to its leaves, each counted from its own
// root): their parents' slots get hash-only stubs again, which later reads decode from
// the store. It returns how many subtrees it dropped. Nodes no flush has written are
// never dropped, and a stub reads back the same node, so no version changes; other
// versions that share the parents see the stubs too. Evict must not run concurrently
// with Unflushed or MarkFlushed.
func (t *Trie) Evict(depth int) int {
	return evictSlot(t.slot, 0, depth)
}

func evictSlot(slot *atomic.Pointer[node], d, depth int) int {
	n := slot.Load()
	if n == nil || n.kind == kindStub {
		return 0
	}
	if d >= depth && n.flushed && n.large() && d > 0 {
		if slot.CompareAndSwap(n, stub(n.hash)) {
			return 1
		}
		return 0
	}
	count := 0
	switch n.kind {
	case kindExt:
		count += evictSlot(&n.child, d+1, depth)
	case kindBranch:
		for i := range n.children {
			count += evictSlot(&n.children[i], d+1, depth)
		}
	case kindLeaf:
		count += evictSlot(&n.child, 0, depth) // a linked trie: its own depth
	}
	return count
}
