package txcache_test

import (
	"testing"

	"github.com/farolnet/farol/spn/txcache"
)

func key(i int) [32]byte { return [32]byte{byte(i), byte(i >> 8)} }

func TestGenerations(t *testing.T) {
	c := txcache.New[int](4)
	for i := range 4 {
		c.Put(key(i), i)
	}
	c.Put(key(4), 4) // turnover: 0..3 become the previous generation
	for i := range 5 {
		if v, ok := c.Get(key(i)); !ok || v != i {
			t.Fatalf("key %d: %v %v", i, v, ok)
		}
	}
	for i := 5; i < 9; i++ { // fills the current generation, then turns over again
		c.Put(key(i), i)
	}
	for i := range 4 {
		if _, ok := c.Get(key(i)); ok {
			t.Fatalf("key %d survived two turnovers", i)
		}
	}
	for i := 4; i < 9; i++ {
		if v, ok := c.Get(key(i)); !ok || v != i {
			t.Fatalf("key %d lost: %v %v", i, v, ok)
		}
	}
}
