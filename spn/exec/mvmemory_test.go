package exec

import (
	"fmt"
	"hash/maphash"
	"sync"
	"testing"
)

// TestKeyTableConcurrentCreate has goroutines create and look up overlapping keys at
// once in a table far smaller than the keys (long bucket lists, many lost
// compare-and-swaps) and checks: every goroutine gets the same record for a key; each
// record is in exactly one arena's created list, and those lists together hold every
// key once; lookups find every record; the table walk (all) visits each key once.
func TestKeyTableConcurrentCreate(t *testing.T) {
	const goroutines, keys = 8, 2000
	for round := 0; round < 20; round++ {
		mv := newMVMemory(1, MapStorage{}, BigEndian32{})
		mv.buckets, mv.mask = mv.buckets[:4], 3 // 500 keys a bucket
		arenas := make([]arena, goroutines)
		got := make([][]*mvKey, goroutines)
		var wg sync.WaitGroup
		for g := range goroutines {
			arenas[g].setChunk(keys, goroutines)
			got[g] = make([]*mvKey, keys)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range keys {
					j := (i*7 + g*131 + round) % keys // each goroutine in its own order
					key := fmt.Sprintf("k%04d", j)
					if g%2 == 0 {
						got[g][j] = mv.key(key, &arenas[g])
					} else {
						h := maphash.String(mv.seed, key)
						got[g][j] = mv.create(key, h, []byte{byte(j)}, true, &arenas[g])
					}
				}
			}()
		}
		wg.Wait()
		owners := map[*mvKey]int{}
		for g := range arenas {
			for _, k := range arenas[g].created {
				owners[k]++
			}
		}
		if len(owners) != keys {
			t.Fatalf("round %d: %d records created, want %d", round, len(owners), keys)
		}
		for j := range keys {
			key := fmt.Sprintf("k%04d", j)
			k := got[0][j]
			if k == nil || k.key != key || owners[k] != 1 {
				t.Fatalf("round %d: key %s: record %v, in %d created lists", round, key, k, owners[k])
			}
			for g := 1; g < goroutines; g++ {
				if got[g][j] != k {
					t.Fatalf("round %d: key %s: goroutines 0 and %d got different records", round, key, g)
				}
			}
			if mv.lookup(key, nil) != k {
				t.Fatalf("round %d: lookup of %s does not find its record", round, key)
			}
		}
		seen := map[string]int{}
		mv.all(0, len(mv.buckets), func(k *mvKey) { seen[k.key]++ })
		if len(seen) != keys {
			t.Fatalf("round %d: the table walk saw %d keys, want %d", round, len(seen), keys)
		}
		for key, c := range seen {
			if c != 1 {
				t.Fatalf("round %d: the table walk saw %s %d times", round, key, c)
			}
		}
	}
}

// TestKeyTableSize checks the bucket count: 16 a transaction, a power of two, within
// its bounds, and a recycled memory's array reused when large enough.
func TestKeyTableSize(t *testing.T) {
	for _, c := range []struct{ n, want int }{{0, minBuckets}, {1, minBuckets}, {16, minBuckets}, {17, 512}, {400, 8192}, {1 << 20, maxBuckets}} {
		mv := &mvMemory{}
		mv.sizeBuckets(c.n)
		if len(mv.buckets) != c.want || mv.mask != uint64(c.want-1) {
			t.Errorf("n=%d: %d buckets, mask %#x; want %d", c.n, len(mv.buckets), mv.mask, c.want)
		}
	}
	mv := &mvMemory{}
	mv.sizeBuckets(400)
	first := &mv.buckets[0]
	mv.sizeBuckets(10)
	if &mv.buckets[0] != first || len(mv.buckets) != minBuckets {
		t.Errorf("a smaller block did not reuse the array (len %d)", len(mv.buckets))
	}
}
