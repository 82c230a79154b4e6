package mpt

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// kind is what a node is.
type kind uint8

const (
	kindStub   kind = iota // not loaded yet: only its hash is known
	kindBranch             // 16 children, no value (keys have one length)
	kindExt                // shared key nibbles, then one child (a branch)
	kindLeaf               // the rest of a key, and its value
)

// node is a trie node. Once a node is reachable from a version that others may read,
// only two things about it change: a child slot (or a leaf's link) that held a stub
// may be swapped, atomically, for the decoded node; and Flush sets flushed and drops
// blob. Neither changes what the node encodes.
type node struct {
	kind kind
	key  []byte // ext and leaf: nibbles (0..15), without a terminator
	val  []byte // leaf: the value

	children *[16]atomic.Pointer[node] // branch
	child    atomic.Pointer[node]      // ext: the child; leaf: the linked trie's root

	// Set by hashing (or decoding) and constant after it:
	hashed bool        // hash and enc are set
	hash   common.Hash // keccak256 of the encoding: set if it has 32 bytes or more, or for a root
	enc    []byte      // the encoding, if shorter than 32 bytes (a parent embeds it)

	blob    []byte // the encoding of a hashed node not yet flushed
	flushed bool   // stored (or loaded from the store): nothing under it needs writing

	gen uint64 // the Editor that made it, which may change it in place until it commits
}

// ErrMissingNode is returned when the store does not have a node a read needs.
var ErrMissingNode = errors.New("mpt: missing trie node")

// ErrCorrupt is returned for a stored node that does not decode.
var ErrCorrupt = errors.New("mpt: corrupt trie node")

func stub(h common.Hash) *node {
	return &node{kind: kindStub, hash: h, hashed: true, flushed: true}
}

// large reports whether a parent references the node by hash (its encoding has 32
// bytes or more). Only for hashed nodes.
func (n *node) large() bool { return n.enc == nil }

// ---- hex-prefix keys ----

// compactKey appends the hex-prefix encoding of the nibbles to dst.
func compactKey(dst []byte, nib []byte, leaf bool) []byte {
	var flag byte
	if leaf {
		flag = 2
	}
	if len(nib)%2 == 1 {
		dst = append(dst, (flag+1)<<4|nib[0])
		nib = nib[1:]
	} else {
		dst = append(dst, flag<<4)
	}
	for i := 0; i < len(nib); i += 2 {
		dst = append(dst, nib[i]<<4|nib[i+1])
	}
	return dst
}

// nibblesOfCompact decodes a hex-prefix key.
func nibblesOfCompact(c []byte) (nib []byte, leaf bool, err error) {
	if len(c) == 0 {
		return nil, false, fmt.Errorf("%w: empty key", ErrCorrupt)
	}
	flag := c[0] >> 4
	if flag > 3 {
		return nil, false, fmt.Errorf("%w: key flag %d", ErrCorrupt, flag)
	}
	leaf = flag&2 != 0
	odd := flag&1 != 0
	if !odd && c[0]&0x0f != 0 {
		return nil, false, fmt.Errorf("%w: even key with a non-zero pad nibble", ErrCorrupt)
	}
	nib = make([]byte, 0, 2*len(c))
	if odd {
		nib = append(nib, c[0]&0x0f)
	}
	for _, b := range c[1:] {
		nib = append(nib, b>>4, b&0x0f)
	}
	return nib, leaf, nil
}

func keyNibbles(key []byte) []byte {
	nib := make([]byte, 2*len(key))
	for i, b := range key {
		nib[2*i] = b >> 4
		nib[2*i+1] = b & 0x0f
	}
	return nib
}

// ---- RLP writing ----

func putLen(dst []byte, base byte, n int) []byte {
	if n < 56 {
		return append(dst, base+byte(n))
	}
	var buf [8]byte
	i := 8
	for v := n; v > 0; v >>= 8 {
		i--
		buf[i] = byte(v)
	}
	dst = append(dst, base+55+byte(8-i))
	return append(dst, buf[i:]...)
}

func putString(dst, s []byte) []byte {
	if len(s) == 1 && s[0] < 0x80 {
		return append(dst, s[0])
	}
	return append(putLen(dst, 0x80, len(s)), s...)
}

// list returns the payload wrapped in a list header, in a new slice.
func list(payload []byte) []byte {
	out := putLen(make([]byte, 0, len(payload)+9), 0xc0, len(payload))
	return append(out, payload...)
}

// putRef appends a hashed child's reference: its hash, or its encoding if that is
// shorter than 32 bytes.
func putRef(dst []byte, c *node) []byte {
	if c == nil {
		return append(dst, 0x80)
	}
	if c.large() {
		dst = append(dst, 0xa0)
		return append(dst, c.hash[:]...)
	}
	return append(dst, c.enc...)
}

// encode returns the node's RLP encoding (a new slice) and scratch back for reuse;
// its children must be hashed.
func (n *node) encode(scratch []byte) (enc, _ []byte) {
	p := scratch[:0]
	switch n.kind {
	case kindLeaf:
		var kb [40]byte
		p = putString(p, compactKey(kb[:0], n.key, true))
		p = putString(p, n.val)
	case kindExt:
		var kb [40]byte
		p = putString(p, compactKey(kb[:0], n.key, false))
		p = putRef(p, n.child.Load())
	case kindBranch:
		for i := range n.children {
			p = putRef(p, n.children[i].Load())
		}
		p = append(p, 0x80) // no value
	}
	return list(p), p
}

// ---- decoding ----

// decode decodes a stored node. h is its hash (zero for an embedded node).
func decode(blob []byte, h common.Hash) (*node, error) {
	elems, rest, err := rlp.SplitList(blob)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(rest))
	}
	count, err := rlp.CountValues(elems)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	// A parent embeds a node shorter than 32 bytes and references the others by hash.
	// A stored node has its hash (a root is stored by hash even if small).
	n := &node{hashed: true, flushed: true, hash: h}
	if len(blob) < 32 {
		n.enc = blob
	}
	switch count {
	case 2:
		kbuf, rest, err := rlp.SplitString(elems)
		if err != nil {
			return nil, fmt.Errorf("%w: key: %v", ErrCorrupt, err)
		}
		nib, leaf, err := nibblesOfCompact(kbuf)
		if err != nil {
			return nil, err
		}
		n.key = nib
		if leaf {
			val, _, err := rlp.SplitString(rest)
			if err != nil {
				return nil, fmt.Errorf("%w: value: %v", ErrCorrupt, err)
			}
			n.kind = kindLeaf
			n.val = val
			return n, nil
		}
		if len(nib) == 0 {
			return nil, fmt.Errorf("%w: extension with an empty key", ErrCorrupt)
		}
		c, _, err := decodeRef(rest)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, fmt.Errorf("%w: extension without a child", ErrCorrupt)
		}
		n.kind = kindExt
		n.child.Store(c)
		return n, nil
	case 17:
		n.kind = kindBranch
		n.children = new([16]atomic.Pointer[node])
		buf := elems
		for i := 0; i < 16; i++ {
			c, rest, err := decodeRef(buf)
			if err != nil {
				return nil, err
			}
			if c != nil {
				n.children[i].Store(c)
			}
			buf = rest
		}
		val, _, err := rlp.SplitString(buf)
		if err != nil {
			return nil, fmt.Errorf("%w: branch value: %v", ErrCorrupt, err)
		}
		if len(val) != 0 {
			return nil, fmt.Errorf("%w: value in a branch node", ErrCorrupt)
		}
		return n, nil
	}
	return nil, fmt.Errorf("%w: %d list items", ErrCorrupt, count)
}

// decodeRef decodes a child reference: empty, a 32-byte hash, or an embedded node.
func decodeRef(buf []byte) (*node, []byte, error) {
	k, content, rest, err := rlp.Split(buf)
	if err != nil {
		return nil, buf, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	switch {
	case k == rlp.List:
		size := len(buf) - len(rest)
		if size >= 32 {
			return nil, buf, fmt.Errorf("%w: embedded node of %d bytes", ErrCorrupt, size)
		}
		n, err := decode(buf[:size], common.Hash{})
		return n, rest, err
	case k == rlp.String && len(content) == 0:
		return nil, rest, nil
	case k == rlp.String && len(content) == 32:
		return stub(common.BytesToHash(content)), rest, nil
	}
	return nil, buf, fmt.Errorf("%w: child reference of kind %v and %d bytes", ErrCorrupt, k, len(content))
}
