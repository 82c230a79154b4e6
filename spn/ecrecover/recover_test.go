package ecrecover

import (
	"bytes"
	"errors"
	"math/rand"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// signatures returns n signatures by a few keys over random hashes, then damaged
// copies: flipped bits, recovery ids 0..255, zero and out-of-range R and S.
func signatures(t testing.TB, rng *rand.Rand, n int) ([]common.Hash, []Sig) {
	var keys [][]byte
	for range 4 {
		k, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, crypto.FromECDSA(k))
	}
	hashes := make([]common.Hash, n)
	sigs := make([]Sig, n)
	order := crypto.S256().Params().N.FillBytes(make([]byte, 32))
	for i := range n {
		rng.Read(hashes[i][:])
		k, _ := crypto.ToECDSA(keys[rng.Intn(len(keys))])
		s, err := crypto.Sign(hashes[i][:], k)
		if err != nil {
			t.Fatal(err)
		}
		copy(sigs[i][:], s)
		switch i % 8 {
		case 0, 1, 2: // valid
		case 3:
			sigs[i][rng.Intn(64)] ^= 1 << rng.Intn(8)
		case 4:
			sigs[i][64] = byte(rng.Intn(256))
		case 5:
			clear(sigs[i][rng.Intn(2)*32:][:32])
		case 6:
			copy(sigs[i][rng.Intn(2)*32:], order) // R or S = the group order
		case 7:
			rng.Read(sigs[i][:64])
			sigs[i][64] = byte(rng.Intn(4))
		}
	}
	return hashes, sigs
}

// validSignatures returns n valid signatures, each by a key of its own, over hashes
// drawn from seed.
func validSignatures(tb testing.TB, seed int64, n int) ([]common.Hash, []Sig) {
	rng := rand.New(rand.NewSource(seed))
	hashes := make([]common.Hash, n)
	sigs := make([]Sig, n)
	for i := range sigs {
		k, err := crypto.GenerateKey()
		if err != nil {
			tb.Fatal(err)
		}
		rng.Read(hashes[i][:])
		s, err := crypto.Sign(hashes[i][:], k)
		if err != nil {
			tb.Fatal(err)
		}
		copy(sigs[i][:], s)
	}
	return hashes, sigs
}

// TestRecoverEqualsEcrecover compares Recover and Addresses with go-ethereum's
// crypto.Ecrecover on valid and damaged signatures, in batches of every size.
func TestRecoverEqualsEcrecover(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	hashes, sigs := signatures(t, rng, 2000)
	valid := 0
	for lo := 0; lo < len(hashes); {
		hi := min(len(hashes), lo+1+rng.Intn(64))
		pubs := make([]Pub, hi-lo)
		ok := make([]bool, hi-lo)
		Recover(hashes[lo:hi], sigs[lo:hi], pubs, ok)
		addrs := make([]common.Address, hi-lo)
		ok2 := make([]bool, hi-lo)
		Addresses(hashes[lo:hi], sigs[lo:hi], addrs, ok2)
		for j := range pubs {
			i := lo + j
			want, err := crypto.Ecrecover(hashes[i][:], sigs[i][:])
			if (err == nil) != ok[j] || ok[j] != ok2[j] {
				t.Fatalf("signature %d (%x): Ecrecover error %v, Recover ok %v, Addresses ok %v", i, sigs[i], err, ok[j], ok2[j])
			}
			if err != nil {
				if pubs[j] != (Pub{}) || addrs[j] != (common.Address{}) {
					t.Fatalf("signature %d: failed recovery left a key or address", i)
				}
				continue
			}
			valid++
			if !bytes.Equal(want, pubs[j][:]) {
				t.Fatalf("signature %d: key %x, Ecrecover %x", i, pubs[j], want)
			}
			if a := common.BytesToAddress(crypto.Keccak256(want[1:])[12:]); a != addrs[j] {
				t.Fatalf("signature %d: address %s, want %s", i, addrs[j], a)
			}
		}
		lo = hi
	}
	if valid < 700 {
		t.Fatalf("only %d valid signatures: the test lost its coverage", valid)
	}
	Recover(nil, nil, nil, nil) // empty batch
}

// TestRecoverConcurrent recovers from several goroutines at once (the context is
// shared, read-only).
func TestRecoverConcurrent(t *testing.T) {
	hashes, sigs := signatures(t, rand.New(rand.NewSource(2)), 256)
	want := make([]Pub, len(hashes))
	wantOK := make([]bool, len(hashes))
	Recover(hashes, sigs, want, wantOK)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range 20 {
				lo := (g*31 + r*17) % len(hashes)
				pubs := make([]Pub, len(hashes)-lo)
				ok := make([]bool, len(pubs))
				Recover(hashes[lo:], sigs[lo:], pubs, ok)
				for j := range pubs {
					if pubs[j] != want[lo+j] || ok[j] != wantOK[lo+j] {
						t.Errorf("goroutine %d: signature %d differs", g, lo+j)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// FuzzRecover compares Recover and a Shared recovery with crypto.Ecrecover on
// arbitrary inputs.
func FuzzRecover(f *testing.F) {
	hashes, sigs := signatures(f, rand.New(rand.NewSource(3)), 16)
	for i := range hashes {
		f.Add(hashes[i][:], sigs[i][:])
	}
	f.Fuzz(func(t *testing.T, hash, sig []byte) {
		if len(hash) != 32 || len(sig) != 65 {
			return
		}
		h, s := common.BytesToHash(hash), Sig(sig)
		pubs, ok := make([]Pub, 1), make([]bool, 1)
		Recover([]common.Hash{h}, []Sig{s}, pubs, ok)
		want, err := crypto.Ecrecover(hash, sig)
		if (err == nil) != ok[0] || (ok[0] && !bytes.Equal(want, pubs[0][:])) {
			t.Fatalf("Recover %v %x, Ecrecover %x %v", ok[0], pubs[0], want, err)
		}
		// the shared recovery, with the signature between two skipped indexes
		sh := GetShared(3)
		defer PutShared(sh)
		sh.Set(1, h, &s)
		sh.Run(2)
		addr, shOK := sh.Address(1)
		if shOK != ok[0] || (ok[0] && addr != common.BytesToAddress(crypto.Keccak256(want[1:])[12:])) {
			t.Fatalf("Shared %v %x, Ecrecover %x %v", shOK, addr, want, err)
		}
		if _, ok0 := sh.Address(0); ok0 {
			t.Fatal("Shared recovered an index never set")
		}
	})
}

// BenchmarkRecover compares, on GOMAXPROCS goroutines, one crypto.Ecrecover call
// per signature (the baseline, "ecrecover") with batches of 16 ("batch"), over 4,096
// distinct signatures; ns/sig is wall time per signature. Run with -cpu 1,2 to see
// how each scales.
func BenchmarkRecover(b *testing.B) {
	const n = 4096
	hashes, sigs := validSignatures(b, 4, n)
	b.Run("ecrecover", func(b *testing.B) {
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1) % n
				if _, err := crypto.Ecrecover(hashes[i][:], sigs[i][:]); err != nil {
					b.Error(err)
				}
			}
		})
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/sig")
	})
	b.Run("batch", func(b *testing.B) {
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			pubs, ok := make([]Pub, 16), make([]bool, 16)
			for pb.Next() {
				i := int(next.Add(16)-16) % n
				Recover(hashes[i:i+16], sigs[i:i+16], pubs, ok)
			}
		})
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*16), "ns/sig")
	})
}

// TestBatch checks Batch: capacity, tags and order, the same addresses as
// Addresses, and that Recover empties it.
func TestBatch(t *testing.T) {
	hashes, sigs := signatures(t, rand.New(rand.NewSource(5)), BatchSize+1)
	want := make([]common.Address, len(hashes))
	wantOK := make([]bool, len(hashes))
	Addresses(hashes, sigs, want, wantOK)
	var b Batch
	b.Recover(func(int, common.Address, bool) { t.Fatal("empty batch called f") })
	for round := range 2 {
		for i := range BatchSize {
			if !b.Add(100+i, hashes[i], &sigs[i]) {
				t.Fatalf("round %d: Add %d refused", round, i)
			}
		}
		if b.Add(0, hashes[BatchSize], &sigs[BatchSize]) {
			t.Fatal("a full batch accepted another signature")
		}
		next := 0
		b.Recover(func(tag int, addr common.Address, ok bool) {
			if tag != 100+next || addr != want[next] || ok != wantOK[next] {
				t.Fatalf("round %d: result %d: tag %d %s %v, want %d %s %v", round, next, tag, addr, ok, 100+next, want[next], wantOK[next])
			}
			next++
		})
		if next != BatchSize {
			t.Fatalf("round %d: %d results", round, next)
		}
	}
}

// TestBatchPool checks that a Batch given back with signatures still in it comes out
// of the pool empty.
func TestBatchPool(t *testing.T) {
	hashes, sigs := signatures(t, rand.New(rand.NewSource(6)), 2)
	b := GetBatch()
	b.Add(1, hashes[0], &sigs[0])
	b.Add(2, hashes[1], &sigs[1])
	PutBatch(b)
	if b.n != 0 {
		t.Fatalf("a batch given back holds %d signatures", b.n)
	}
	for range 4 {
		c := GetBatch()
		c.Recover(func(int, common.Address, bool) { t.Fatal("a batch from the pool was not empty") })
		PutBatch(c)
	}
}

// TestOnThreads checks the thread probe: valid signatures recover on 1 to 3 threads,
// one bad signature or a bad thread count is an error. Without cgo it only reports
// ErrNoThreads.
func TestOnThreads(t *testing.T) {
	const n = 12
	hashes, sigs := validSignatures(t, 6, n)
	if _, err := OnThreads(1, hashes, sigs); errors.Is(err, ErrNoThreads) {
		t.Skip("built without cgo")
	}
	for threads := 1; threads <= 3; threads++ {
		d, err := OnThreads(threads, hashes, sigs)
		if err != nil || d <= 0 {
			t.Fatalf("%d threads: %v, %v", threads, d, err)
		}
	}
	bad := slices.Clone(sigs)
	bad[n-1][64] = 7 // recovery id out of range: recovery fails
	if _, err := OnThreads(2, hashes, bad); err == nil {
		t.Fatal("a failed recovery was not reported")
	}
	for _, threads := range []int{0, 65, n + 1} {
		if _, err := OnThreads(threads, hashes, sigs); err == nil {
			t.Fatalf("%d threads for %d signatures accepted", threads, n)
		}
	}
	if _, err := OnThreads(1, hashes, sigs[:n-1]); err == nil {
		t.Fatal("slices of different lengths accepted")
	}
}
