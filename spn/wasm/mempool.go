package wasm

import (
	"math/bits"
	"sync"

	"github.com/tetratelabs/wazero/experimental"
)

// memPool recycles the linear memories of finished instances. Every call gets a fresh
// instance, so without it each call allocates (and the GC later scans and sweeps) at
// least a 64 KiB buffer: the pool turns that into clearing the bytes the call used.
// Buffers are zero when handed out, as Wasm requires of new memory.
type memPool struct {
	classes [33]sync.Pool // by capacity: class c holds buffers of cap 1<<c
}

func sizeClass(n uint64) int {
	if n <= 1<<16 {
		return 16
	}
	return bits.Len64(n - 1)
}

func (p *memPool) get(n uint64) []byte {
	c := sizeClass(n)
	if c >= len(p.classes) {
		return make([]byte, 0, n)
	}
	if b, ok := p.classes[c].Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, 1<<c)
}

// put takes back a buffer whose first used bytes may be dirty.
func (p *memPool) put(b []byte, used int) {
	c := bits.Len64(uint64(cap(b)) - 1)
	if cap(b) == 0 || uint64(cap(b)) != 1<<c || c >= len(p.classes) {
		return
	}
	clear(b[:used])
	b = b[:0]
	p.classes[c].Put(&b)
}

// Allocate implements experimental.MemoryAllocator.
func (p *memPool) Allocate(capacity, max uint64) experimental.LinearMemory {
	return &pooledMemory{pool: p, buf: p.get(capacity), max: max}
}

type pooledMemory struct {
	pool *memPool
	buf  []byte
	max  uint64
}

// Reallocate implements experimental.LinearMemory: grows to size bytes (zeroed).
func (m *pooledMemory) Reallocate(size uint64) []byte {
	if size > m.max {
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size] // beyond the old length the buffer is zero
		return m.buf
	}
	nb := m.pool.get(size)[:size]
	copy(nb, m.buf)
	m.pool.put(m.buf, len(m.buf))
	m.buf = nb
	return nb
}

// Free implements experimental.LinearMemory.
func (m *pooledMemory) Free() {
	m.pool.put(m.buf, len(m.buf))
	m.buf = nil
}
