package exec

// WithStopAfter returns c with the chain fallback forced after n executions, so that
// tests reach the sequential tail at arbitrary points of a block.
func WithStopAfter(c Config, n int64) Config {
	c.stopAfter = n
	return c
}
