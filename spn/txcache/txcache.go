// Package txcache holds a bounded, concurrency-safe map from a transaction's hash to
// what a node derived from it once (a decoded transaction, a recovered sender), so
// CheckTx, the proposal handlers and block execution do not derive it again. What it
// holds must be a function of the hashed bytes alone: the cache then changes no
// result, only how often the work is done.
package txcache

import "sync"

// Cache keeps up to 2×size entries in two generations: when the current one is full
// it becomes the previous one and the oldest generation is dropped, so recently put
// entries survive a turnover.
type Cache[V any] struct {
	size      int
	mu        sync.Mutex
	cur, prev map[[32]byte]V
}

// New returns a cache with generations of size entries.
func New[V any](size int) *Cache[V] { return &Cache[V]{size: size} }

// Get returns the value put under h, if it is still held.
func (c *Cache[V]) Get(h [32]byte) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cur[h]; ok {
		return v, true
	}
	v, ok := c.prev[h]
	return v, ok
}

// Put stores v under h.
func (c *Cache[V]) Put(h [32]byte, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil || len(c.cur) >= c.size {
		c.prev, c.cur = c.cur, make(map[[32]byte]V, min(c.size, 1024))
	}
	c.cur[h] = v
}
