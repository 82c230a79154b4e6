package mpt

import (
	"bytes"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/ethereum/go-ethereum/trie/trienode"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/ethereum/go-ethereum/triedb/database"
)

// gethRef is the reference: go-ethereum's trie over its hash-scheme trie database.
type gethRef struct {
	db    *triedb.Database
	t     *trie.Trie
	root  common.Hash
	block uint64
}

func newGethRef(tb testing.TB) *gethRef {
	return &gethRef{db: triedb.NewDatabase(rawdb.NewMemoryDatabase(), triedb.HashDefaults), t: trie.NewEmpty(nil), root: EmptyRoot}
}

// commit commits the reference trie and returns its root and the nodes it stored.
func (g *gethRef) commit(tb testing.TB) (common.Hash, map[common.Hash][]byte) {
	tb.Helper()
	root, set := g.t.Commit(false)
	nodes := map[common.Hash][]byte{}
	if set != nil {
		set.ForEachWithOrder(func(_ string, n *trienode.Node) {
			if !n.IsDeleted() {
				nodes[n.Hash] = n.Blob
			}
		})
		g.block++
		if err := g.db.Update(root, g.root, g.block, trienode.NewWithNodeSet(set), nil); err != nil {
			tb.Fatal(err)
		}
	}
	g.root = root
	t, err := trie.New(trie.TrieID(root), g.db)
	if err != nil {
		tb.Fatal(err)
	}
	g.t = t
	return root, nodes
}

// reader reads the reference's stored nodes.
type reader struct {
	r     database.NodeReader
	mu    sync.Mutex
	reads int
}

func (g *gethRef) reader(tb testing.TB) *reader {
	r, err := g.db.NodeReader(g.root)
	if err != nil {
		tb.Fatal(err)
	}
	return &reader{r: r}
}

func (r *reader) Node(path []byte, hash common.Hash) ([]byte, error) {
	r.mu.Lock()
	r.reads++
	r.mu.Unlock()
	return r.r.Node(common.Hash{}, path, hash)
}

// keyGen makes keys of one length that share long prefixes, so that tries get deep
// paths, short leaf keys and embedded (small) nodes.
type keyGen struct {
	rng    *rand.Rand
	keyLen int
	pool   [][]byte
}

func (g *keyGen) key() []byte {
	if len(g.pool) > 0 && g.rng.IntN(3) > 0 {
		k := bytes.Clone(g.pool[g.rng.IntN(len(g.pool))])
		if g.rng.IntN(2) == 0 {
			return k // an existing key: update or delete
		}
		k[g.rng.IntN(len(k))] ^= byte(1 + g.rng.IntN(255)) // a near neighbour
		if g.rng.IntN(2) == 0 {
			k[len(k)-1] ^= 0x01
		}
		g.pool = append(g.pool, k)
		return k
	}
	k := randBytes(g.rng, g.keyLen)
	g.pool = append(g.pool, k)
	return k
}

func (g *keyGen) value() []byte {
	if g.rng.IntN(8) == 0 {
		return nil // delete
	}
	return randBytes(g.rng, 1+g.rng.IntN(40))
}

// randBytes is n random bytes.
func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return b
}

// TestDifferential applies random batches of updates and deletes to go-ethereum's
// trie and to this one and compares, after every batch: the root, the stored nodes
// (hash and blob, exactly the set go-ethereum's commit stores), and every key's value.
// It runs on one version in memory, and also reopened from the reference's store so
// that nodes are read, decoded and then edited.
func TestDifferential(t *testing.T) {
	for _, keyLen := range []int{1, 2, 4, 32} {
		for _, reopen := range []bool{false, true} {
			t.Run(fmt.Sprintf("key%d/reopen=%v", keyLen, reopen), func(t *testing.T) {
				for seed := uint64(1); seed <= 6; seed++ {
					differential(t, seed, keyLen, reopen)
				}
			})
		}
	}
}

func differential(t *testing.T, seed uint64, keyLen int, reopen bool) {
	rng := rand.New(rand.NewPCG(seed, uint64(keyLen)))
	kg := &keyGen{rng: rng, keyLen: keyLen}
	ref := newGethRef(t)
	ours := New(EmptyRoot, nil)
	want := map[string][]byte{}
	for batch := 0; batch < 30; batch++ {
		ed := ours.Edit()
		for i := 0; i < 1+rng.IntN(60); i++ {
			k, v := kg.key(), kg.value()
			if err := ref.t.Update(k, v); err != nil {
				t.Fatal(err)
			}
			if err := ed.Update(k, v, nil); err != nil {
				t.Fatalf("seed %d batch %d: %v", seed, batch, err)
			}
			if len(v) == 0 {
				delete(want, string(k))
			} else {
				want[string(k)] = v
			}
		}
		next, stats := ed.Commit()
		root, nodes := ref.commit(t)
		if got := next.Hash(); got != root {
			t.Fatalf("seed %d batch %d: root %x, go-ethereum %x", seed, batch, got, root)
		}
		got := map[common.Hash][]byte{}
		bytesOut := 0
		if err := next.Unflushed(func(h common.Hash, blob []byte) error {
			if _, dup := got[h]; dup {
				return fmt.Errorf("node %x twice", h)
			}
			got[h] = bytes.Clone(blob)
			bytesOut += len(blob)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(nodes) {
			t.Fatalf("seed %d batch %d: %d nodes to store, go-ethereum stores %d", seed, batch, len(got), len(nodes))
		}
		for h, b := range nodes {
			if !bytes.Equal(got[h], b) {
				t.Fatalf("seed %d batch %d: node %x: %x, go-ethereum %x", seed, batch, h, got[h], b)
			}
		}
		if stats.Bytes != bytesOut {
			t.Fatalf("seed %d batch %d: Stats.Bytes %d, flushed %d", seed, batch, stats.Bytes, bytesOut)
		}
		next.MarkFlushed()
		if reopen {
			next = New(root, ref.reader(t))
		}
		for k, v := range want {
			g, err := next.Get([]byte(k))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(g, v) {
				t.Fatalf("seed %d batch %d: key %x = %x, want %x", seed, batch, k, g, v)
			}
		}
		ours = next
	}
}

// TestOldVersionsUnchanged checks that editing never changes the version it starts
// from: every earlier version still has its root and its values.
func TestOldVersionsUnchanged(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	kg := &keyGen{rng: rng, keyLen: 32}
	type version struct {
		t    *Trie
		root common.Hash
		kv   map[string][]byte
	}
	var versions []version
	cur := New(EmptyRoot, nil)
	kv := map[string][]byte{}
	for b := 0; b < 20; b++ {
		ed := cur.Edit()
		for i := 0; i < 40; i++ {
			k, v := kg.key(), kg.value()
			if err := ed.Update(k, v, nil); err != nil {
				t.Fatal(err)
			}
			if len(v) == 0 {
				delete(kv, string(k))
			} else {
				kv[string(k)] = v
			}
		}
		cur, _ = ed.Commit()
		snap := map[string][]byte{}
		for k, v := range kv {
			snap[k] = v
		}
		versions = append(versions, version{cur, cur.Hash(), snap})
	}
	for i, v := range versions {
		ref := newGethRef(t)
		for k, val := range v.kv {
			if err := ref.t.Update([]byte(k), val); err != nil {
				t.Fatal(err)
			}
		}
		if got := ref.t.Hash(); got != v.root {
			t.Fatalf("version %d: root %x, go-ethereum over its keys %x", i, v.root, got)
		}
		if again, _ := v.t.Edit().Commit(); again.Hash() != v.root {
			t.Fatalf("version %d: root changed to %x", i, again.Hash())
		}
		for k, val := range v.kv {
			if g, _ := v.t.Get([]byte(k)); !bytes.Equal(g, val) {
				t.Fatalf("version %d: key %x = %x, want %x", i, k, g, val)
			}
		}
	}
}

// TestConcurrentReads reads one stored trie from many goroutines at once (run with
// -race): nodes are decoded and kept by whichever goroutine gets there first.
func TestConcurrentReads(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	ref := newGethRef(t)
	kv := map[string][]byte{}
	for i := 0; i < 3000; i++ {
		k := randBytes(rng, 32)
		v := []byte{byte(i), byte(i >> 8), 1}
		kv[string(k)] = v
		if err := ref.t.Update(k, v); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := ref.commit(t)
	r := ref.reader(t)
	tr := New(root, r)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k, v := range kv {
				got, err := tr.Get([]byte(k))
				if err != nil || !bytes.Equal(got, v) {
					errs <- fmt.Errorf("key %x: %x %v, want %x", k, got, err, v)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	first := r.reads
	for k := range kv {
		if _, err := tr.Get([]byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if r.reads != first {
		t.Fatalf("second pass read %d nodes from the store: decoded nodes are not kept", r.reads-first)
	}
}

// TestLinked links storage-like tries to leaves and checks that a flush writes them
// with the leaves, and that a stored leaf's trie opens by its root.
func TestLinked(t *testing.T) {
	ref := newGethRef(t)
	acct := New(EmptyRoot, nil)
	ed := acct.Edit()
	subs := map[string]*Trie{}
	for i := 0; i < 20; i++ {
		sub := New(EmptyRoot, nil).Edit()
		for j := 0; j < 1+i; j++ {
			if err := sub.Update(common.BytesToHash([]byte{byte(i), byte(j)}).Bytes(), []byte{byte(j + 1)}, nil); err != nil {
				t.Fatal(err)
			}
		}
		st, _ := sub.Commit()
		key := common.BytesToHash([]byte{0xaa, byte(i)}).Bytes()
		subs[string(key)] = st
		if err := ed.Update(key, st.Hash().Bytes(), st); err != nil {
			t.Fatal(err)
		}
	}
	acct, _ = ed.Commit()
	store := rawdb.NewMemoryDatabase()
	flushTo(t, store, acct)
	n := 0
	if err := acct.Unflushed(func(common.Hash, []byte) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("after MarkFlushed: %d unflushed nodes (%v)", n, err)
	}
	_ = ref
	// Reopen from the store alone: the account trie and every linked trie read back.
	rd := storeReader{store}
	again := New(acct.Hash(), rd)
	for k, st := range subs {
		v, err := again.Get([]byte(k))
		if err != nil {
			t.Fatal(err)
		}
		sub, err := again.Linked([]byte(k), common.BytesToHash(v), rd)
		if err != nil {
			t.Fatal(err)
		}
		if sub.Hash() != st.Hash() {
			t.Fatalf("linked root %x, want %x", sub.Hash(), st.Hash())
		}
		for j := 0; j < 32; j++ {
			key := common.BytesToHash([]byte{k[31], byte(j)}).Bytes()
			want, _ := st.Get(key)
			got, err := sub.Get(key)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("linked key %x: %x %v, want %x", key, got, err, want)
			}
		}
		if _, err := again.Linked([]byte(k), common.Hash{1}, rd); err == nil {
			t.Fatal("Linked with a different root than the linked trie's: no error")
		}
	}
}

type storeReader struct {
	db interface{ Get([]byte) ([]byte, error) }
}

func (s storeReader) Node(_ []byte, h common.Hash) ([]byte, error) {
	b, err := s.db.Get(h[:])
	if err != nil {
		return nil, nil
	}
	return b, nil
}

// TestMissingNode: a node the store lacks is an error, not a panic or a wrong value.
func TestMissingNode(t *testing.T) {
	ref := newGethRef(t)
	for i := 0; i < 100; i++ {
		if err := ref.t.Update(common.BytesToHash([]byte{byte(i)}).Bytes(), []byte{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := ref.commit(t)
	empty := storeReader{rawdb.NewMemoryDatabase()}
	tr := New(root, empty)
	if _, err := tr.Get(make([]byte, 32)); err == nil {
		t.Fatal("Get over a store without the nodes: no error")
	}
	if err := tr.Edit().Update(make([]byte, 32), []byte{1}, nil); err == nil {
		t.Fatal("Update over a store without the nodes: no error")
	}
}

// TestLinkReplaced: Update sets the leaf's link to exactly what it is given.
func TestLinkReplaced(t *testing.T) {
	sub1 := New(EmptyRoot, nil).Edit()
	if err := sub1.Update(make([]byte, 32), []byte{1}, nil); err != nil {
		t.Fatal(err)
	}
	s1, _ := sub1.Commit()
	key := common.Hash{9}.Bytes()
	ed := New(EmptyRoot, nil).Edit()
	if err := ed.Update(key, s1.Hash().Bytes(), s1); err != nil {
		t.Fatal(err)
	}
	v1, _ := ed.Commit()
	ed = v1.Edit()
	if err := ed.Update(key, EmptyRoot.Bytes(), nil); err != nil {
		t.Fatal(err)
	}
	v2, _ := ed.Commit()
	if got, err := v1.Linked(key, s1.Hash(), nil); err != nil || got.Hash() != s1.Hash() {
		t.Fatalf("v1 link: %v %v", got, err)
	}
	if got, err := v2.Linked(key, EmptyRoot, nil); err != nil || got.Hash() != EmptyRoot {
		t.Fatalf("v2 link: %v %v", got, err)
	}
	n := 0
	if err := v2.Unflushed(func(common.Hash, []byte) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("v2 flushes %d nodes (%v), want its one leaf-root without the dropped link", n, err)
	}
}

type proofList [][]byte

func (p *proofList) Put(_, v []byte) error { *p = append(*p, bytes.Clone(v)); return nil }
func (p *proofList) Delete([]byte) error   { return nil }

// TestProve compares proofs (present and absent keys, from memory and from the store)
// with go-ethereum's Trie.Prove.
func TestProve(t *testing.T) {
	for _, keyLen := range []int{2, 32} {
		rng := rand.New(rand.NewPCG(11, uint64(keyLen)))
		kg := &keyGen{rng: rng, keyLen: keyLen}
		ref := newGethRef(t)
		ed := New(EmptyRoot, nil).Edit()
		var keys [][]byte
		for i := 0; i < 400; i++ {
			k, v := kg.key(), kg.value()
			if len(v) == 0 {
				v = []byte{7}
			}
			keys = append(keys, k)
			if err := ref.t.Update(k, v); err != nil {
				t.Fatal(err)
			}
			if err := ed.Update(k, v, nil); err != nil {
				t.Fatal(err)
			}
		}
		mem, _ := ed.Commit()
		root, _ := ref.commit(t)
		stored := New(root, ref.reader(t))
		for i := 0; i < 100; i++ {
			keys = append(keys, kg.key()) // mostly absent
		}
		for _, k := range keys {
			var want proofList
			if err := ref.t.Prove(k, &want); err != nil {
				t.Fatal(err)
			}
			for name, tr := range map[string]*Trie{"memory": mem, "stored": stored} {
				var got [][]byte
				if err := tr.Prove(k, func(enc []byte) error { got = append(got, enc); return nil }); err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("%s key %x: %d proof nodes, go-ethereum %d", name, k, len(got), len(want))
				}
				for j := range got {
					if !bytes.Equal(got[j], want[j]) {
						t.Fatalf("%s key %x: proof node %d: %x, go-ethereum %x", name, k, j, got[j], want[j])
					}
				}
			}
		}
	}
}

// TestEvict: Evict drops flushed nodes below a depth (never unflushed ones), and the
// trie reads the same values back from the store; linked tries too.
func TestEvict(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	store := rawdb.NewMemoryDatabase()
	rd := &countingStore{db: store}
	kv := map[string][]byte{}
	ed := New(EmptyRoot, rd).Edit()
	sub := New(EmptyRoot, rd).Edit()
	for i := 0; i < 2000; i++ {
		k := randBytes(rng, 32)
		v := []byte{byte(i), byte(i >> 8), 9}
		kv[string(k)] = v
		if err := ed.Update(k, v, nil); err != nil {
			t.Fatal(err)
		}
		if err := sub.Update(k, v, nil); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := sub.Commit()
	linkKey := common.Hash{0xee}.Bytes()
	if err := ed.Update(linkKey, st.Hash().Bytes(), st); err != nil {
		t.Fatal(err)
	}
	tr, _ := ed.Commit()
	if n := tr.Evict(2); n != 0 {
		t.Fatalf("evicted %d subtrees of an unflushed trie", n)
	}
	flushTo(t, store, tr)
	n := tr.Evict(2)
	if n < 16 {
		t.Fatalf("evicted %d subtrees, want the flushed nodes below depth 2 of both tries", n)
	}
	if again := tr.Evict(2); again != 0 {
		t.Fatalf("a second Evict dropped %d more", again)
	}
	before := rd.reads
	linked, err := tr.Linked(linkKey, st.Hash(), rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range kv {
		for _, x := range []*Trie{tr, linked} {
			got, err := x.Get([]byte(k))
			if err != nil || !bytes.Equal(got, v) {
				t.Fatalf("key %x after Evict: %x %v, want %x", k, got, err, v)
			}
		}
	}
	if rd.reads == before {
		t.Fatal("reads after Evict did not go to the store")
	}
	if again, _ := tr.Edit().Commit(); again.Hash() != tr.Hash() {
		t.Fatal("root changed")
	}
}

type countingStore struct {
	db    interface{ Get([]byte) ([]byte, error) }
	mu    sync.Mutex
	reads int
}

func (c *countingStore) Node(_ []byte, h common.Hash) ([]byte, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	b, err := c.db.Get(h[:])
	if err != nil {
		return nil, nil
	}
	return b, nil
}

// TestReadsDuringEditsAndFlushes reads earlier versions from several goroutines while
// the next versions are edited, committed, flushed and partly evicted, as spnd's RPC
// reads while blocks commit (run with -race: make test does). Every read must see its
// version's values.
func TestReadsDuringEditsAndFlushes(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	store := rawdb.NewMemoryDatabase()
	rd := &countingStore{db: store}
	type version struct {
		t  *Trie
		kv map[string][]byte
	}
	key := func(i int) []byte { return common.BigToHash(big.NewInt(int64(i))).Bytes() }
	cur := New(EmptyRoot, rd)
	kv := map[string][]byte{}
	var mu sync.Mutex
	versions := []version{{cur, map[string][]byte{}}}
	done := make(chan struct{})
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 1))
			for {
				select {
				case <-done:
					return
				default:
				}
				mu.Lock()
				v := versions[r.IntN(len(versions))]
				mu.Unlock()
				for i := 0; i < 50; i++ {
					k := key(r.IntN(600))
					got, err := v.t.Get(k)
					if err != nil || !bytes.Equal(got, v.kv[string(k)]) {
						errs <- fmt.Errorf("key %x: %x %v, want %x", k, got, err, v.kv[string(k)])
						return
					}
				}
			}
		}(uint64(g))
	}
	for b := 0; b < 40; b++ {
		ed := cur.Edit()
		for i := 0; i < 30; i++ {
			k := key(rng.IntN(600))
			var v []byte
			if rng.IntN(5) > 0 {
				v = []byte{byte(b), byte(i), 7}
			}
			if err := ed.Update(k, v, nil); err != nil {
				t.Fatal(err)
			}
			if v == nil {
				delete(kv, string(k))
			} else {
				kv[string(k)] = v
			}
		}
		cur, _ = ed.Commit()
		snap := make(map[string][]byte, len(kv))
		for k, v := range kv {
			snap[k] = v
		}
		mu.Lock()
		versions = append(versions, version{cur, snap})
		mu.Unlock()
		if b%5 == 4 {
			flushTo(t, store, cur)
			cur.Evict(2)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// flushTo writes tr's unflushed nodes to store in the hash-scheme layout and marks
// them flushed, as a node's Persist does.
func flushTo(t *testing.T, store ethdb.KeyValueWriter, tr *Trie) {
	t.Helper()
	if err := tr.Unflushed(func(h common.Hash, blob []byte) error {
		rawdb.WriteLegacyTrieNode(store, h, blob)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tr.MarkFlushed()
}
