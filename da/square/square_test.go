package square_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/celestiaorg/go-square/v3/share"
	"github.com/celestiaorg/go-square/v3/tx"

	"github.com/farolnet/farol/da/square"
)

func namespace(id byte) share.Namespace {
	return share.MustNewV0Namespace(bytes.Repeat([]byte{id}, share.NamespaceVersionZeroIDSize))
}

// testPFB encodes a PFB as the "inner tx" of test BlobTxs: the square rules
// do not look inside it.
func testPFB(t testing.TB, blobs ...*share.Blob) square.PFB {
	t.Helper()
	p := square.PFB{Signer: bytes.Repeat([]byte{7}, 20)}
	for _, b := range blobs {
		c, err := square.Commitment(b)
		if err != nil {
			t.Fatal(err)
		}
		p.Namespaces = append(p.Namespaces, b.Namespace().Bytes())
		p.BlobSizes = append(p.BlobSizes, uint32(b.DataLen()))
		p.ShareCommitments = append(p.ShareCommitments, c)
		p.ShareVersions = append(p.ShareVersions, uint32(b.ShareVersion()))
	}
	return p
}

func blobTx(t testing.TB, inner []byte, blobs ...*share.Blob) []byte {
	t.Helper()
	raw, err := tx.MarshalBlobTx(inner, blobs...)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func randomBlob(t testing.TB, rng *rand.Rand, size int) *share.Blob {
	t.Helper()
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	b, err := share.NewV0Blob(namespace(byte(1+rng.IntN(200))), data)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randomTxs(t testing.TB, rng *rand.Rand, normal, blobTxs, maxBlob int) [][]byte {
	var txs [][]byte
	for i := range normal {
		b := make([]byte, 50+rng.IntN(600))
		binary.BigEndian.PutUint32(b, uint32(i))
		txs = append(txs, b)
	}
	for i := range blobTxs {
		var blobs []*share.Blob
		for range 1 + rng.IntN(3) {
			blobs = append(blobs, randomBlob(t, rng, 1+rng.IntN(maxBlob)))
		}
		txs = append(txs, blobTx(t, []byte{byte(i), 1, 2, 3}, blobs...))
	}
	rng.Shuffle(len(txs), func(i, j int) { txs[i], txs[j] = txs[j], txs[i] })
	return txs
}

// TestBuildThenConstruct: whatever Build keeps, Construct accepts and lays
// out identically; every blob can be cut back out of its placement and
// proven against the data root.
func TestBuildThenConstruct(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 20 {
		txs := randomTxs(t, rng, rng.IntN(10), rng.IntN(8), 3000)
		sq, kept, err := square.Build(txs, 16)
		if err != nil {
			t.Fatal(err)
		}
		l, err := square.Construct(kept, 16)
		if err != nil {
			t.Fatalf("iter %d: construct: %v", iter, err)
		}
		if !l.Square.Equals(sq) {
			t.Fatalf("iter %d: squares differ", iter)
		}
		eds, err := square.Extend(l.Square)
		if err != nil {
			t.Fatal(err)
		}
		h, err := square.NewHeader(eds)
		if err != nil {
			t.Fatal(err)
		}
		root := h.DataRoot()
		shares := share.ToBytes(l.Square)
		for _, p := range l.Placements {
			got, err := square.BlobFromShares(shares[p.Start : p.Start+p.Shares])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Data(), p.Blob.Data()) || !got.Namespace().Equals(p.Blob.Namespace()) {
				t.Fatalf("blob at %d differs", p.Start)
			}
			proof, err := square.NewShareProof(eds, p.Start, p.Start+p.Shares)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := square.UnmarshalShareProof(proof.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			bs, _ := p.Blob.ToShares()
			if err := dec.Verify(root, share.ToBytes(bs)); err != nil {
				t.Fatalf("iter %d: proof: %v", iter, err)
			}
			tampered := share.ToBytes(bs)
			tampered[len(tampered)-1] = append([]byte(nil), tampered[len(tampered)-1]...)
			tampered[len(tampered)-1][100] ^= 1
			if err := dec.Verify(root, tampered); !errors.Is(err, square.ErrInvalidProof) {
				t.Fatalf("tampered blob verified: %v", err)
			}
		}
	}
}

func TestConstructRejects(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	b := randomBlob(t, rng, 1000)
	bt := blobTx(t, []byte{1}, b)
	if _, err := square.Construct([][]byte{bt, []byte("normal tx")}, 16); !errors.Is(err, square.ErrSquare) {
		t.Errorf("normal tx after blob tx: %v", err)
	}
	big := randomBlob(t, rng, 600*1024)
	if _, err := square.Construct([][]byte{blobTx(t, []byte{1}, big)}, 16); !errors.Is(err, square.ErrSquare) {
		t.Errorf("oversize square: %v", err)
	}
	if _, err := square.Construct(nil, 3); !errors.Is(err, square.ErrSquare) {
		t.Errorf("max square size 3: %v", err)
	}
	malformed := append([]byte(nil), bt...)
	malformed = malformed[:len(malformed)-3] // truncated type id
	if _, _, err := square.UnmarshalBlobTx(malformed); err == nil {
		// not recognised as a blob tx is fine too; it must not panic
		t.Log("truncated blob tx is a plain tx")
	}
}

func TestValidateBlobTx(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	b1, b2 := randomBlob(t, rng, 700), randomBlob(t, rng, 2000)
	btx := &tx.BlobTx{Tx: []byte{1}, Blobs: []*share.Blob{b1, b2}}
	good := testPFB(t, b1, b2)
	if err := square.ValidateBlobTx(btx, good, 0); err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(p *square.PFB)) square.PFB {
		p := testPFB(t, b1, b2)
		f(&p)
		return p
	}
	reserved := share.PayForBlobNamespace.Bytes()
	cases := map[string]struct {
		pfb  square.PFB
		want error
	}{
		"wrong commitment": {mutate(func(p *square.PFB) { p.ShareCommitments[1][0] ^= 1 }), square.ErrWrongCommitment},
		"dropped blob": {mutate(func(p *square.PFB) {
			p.Namespaces, p.BlobSizes = p.Namespaces[:1], p.BlobSizes[:1]
			p.ShareCommitments, p.ShareVersions = p.ShareCommitments[:1], p.ShareVersions[:1]
		}), square.ErrBlobMismatch},
		"wrong size":         {mutate(func(p *square.PFB) { p.BlobSizes[0]++ }), square.ErrBlobMismatch},
		"reserved namespace": {mutate(func(p *square.PFB) { p.Namespaces[0] = reserved }), square.ErrInvalidNamespace},
		"other namespace":    {mutate(func(p *square.PFB) { p.Namespaces[0] = namespace(250).Bytes() }), square.ErrBlobMismatch},
		"share version":      {mutate(func(p *square.PFB) { p.ShareVersions[0] = 9 }), square.ErrShareVersion},
		"length mismatch":    {mutate(func(p *square.PFB) { p.BlobSizes = p.BlobSizes[:1] }), square.ErrBlobMismatch},
	}
	for name, c := range cases {
		if err := square.ValidateBlobTx(btx, c.pfb, 0); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
	if err := square.ValidateBlobTx(btx, good, 2000); !errors.Is(err, square.ErrBlobTooLarge) {
		t.Errorf("limit: %v", err)
	}
}

func TestSampleProofs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	sq, _, err := square.Build(randomTxs(t, rng, 5, 6, 4000), 16)
	if err != nil {
		t.Fatal(err)
	}
	eds, err := square.Extend(sq)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := square.NewHeader(eds)
	root := h.DataRoot()
	ew := int(eds.Width())
	for range 40 {
		r, c := rng.IntN(ew), rng.IntN(ew)
		s, err := square.NewSampleProof(eds, r, c)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := square.UnmarshalSampleProof(s.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		if err := dec.Verify(root, r, c, ew); err != nil {
			t.Fatalf("(%d,%d): %v", r, c, err)
		}
		if err := dec.Verify(root, r, (c+1)%ew, ew); err == nil {
			t.Fatal("sample verified at another column")
		}
		dec.Share[200] ^= 1
		if err := dec.Verify(root, r, c, ew); err == nil {
			t.Fatal("altered share verified")
		}
	}
	hb, err := square.UnmarshalHeader(h.Marshal())
	if err != nil || !bytes.Equal(hb.DataRoot(), root) {
		t.Fatalf("header round trip: %v", err)
	}
}

func TestEmptySquareDataRoot(t *testing.T) {
	sq, _, err := square.Build(nil, 64)
	if err != nil {
		t.Fatal(err)
	}
	h, root, err := square.DataRootOf(sq)
	if err != nil || len(h.RowRoots) != 2 || len(root) != 32 {
		t.Fatalf("empty square: %v %d", err, len(h.RowRoots))
	}
}

func TestMerkleProofs(t *testing.T) {
	for n := 1; n <= 17; n++ {
		items := make([][]byte, n)
		for i := range items {
			items[i] = []byte{byte(i), byte(n)}
		}
		root := square.MerkleRoot(items)
		for i := range items {
			p := square.NewMerkleProof(items, i)
			if !p.Verify(root, items[i]) {
				t.Fatalf("n=%d i=%d", n, i)
			}
			if n > 1 && p.Verify(root, items[(i+1)%n]) {
				t.Fatalf("n=%d i=%d: wrong leaf verified", n, i)
			}
		}
	}
}

func FuzzUnmarshalShareProof(f *testing.F) {
	rng := rand.New(rand.NewPCG(9, 10))
	sq, _, _ := square.Build(randomTxs(f, rng, 2, 2, 2000), 8)
	eds, _ := square.Extend(sq)
	p, _ := square.NewShareProof(eds, 0, 3)
	f.Add(p.Marshal())
	s, _ := square.NewSampleProof(eds, 1, 2)
	f.Add(s.Marshal())
	h, _ := square.NewHeader(eds)
	f.Add(h.Marshal())
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	root := h.DataRoot()
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := square.UnmarshalShareProof(b); err == nil {
			_ = p.Verify(root, [][]byte{make([]byte, square.ShareSize)})
			if _, err := square.UnmarshalShareProof(p.Marshal()); err != nil {
				t.Fatalf("re-encoding fails: %v", err)
			}
		}
		if s, err := square.UnmarshalSampleProof(b); err == nil {
			_ = s.Verify(root, int(s.Proof.Row), int(s.Col), int(s.Width))
		}
		_, _ = square.UnmarshalHeader(b)
	})
}

func FuzzUnmarshalBlobTx(f *testing.F) {
	rng := rand.New(rand.NewPCG(11, 12))
	b := randomBlob(f, rng, 600)
	f.Add(blobTx(f, []byte{1, 2}, b))
	f.Add([]byte("BLOB"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		btx, isBlob, err := square.UnmarshalBlobTx(raw)
		if !isBlob || err != nil {
			return
		}
		_ = square.ValidateBlobTx(btx, testPFB(t, btx.Blobs...), 0)
		_, _ = square.Construct([][]byte{raw}, 8)
	})
}
