package wasm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/farolnet/farol/spn/exec"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Config configures an Engine. ChainID and Limits are consensus parameters.
type Config struct {
	ChainID uint64
	// Limits bound uploaded modules; the zero value means DefaultLimits().
	Limits Limits
	// CacheDir, if set, holds wazero's on-disk compilation cache: a module is compiled
	// to machine code once per node, not once per process start.
	CacheDir string
	// MaxCallDepth bounds nested contract calls; 0 means DefaultCallDepth.
	MaxCallDepth int
	// MaxCompiled bounds the compiled modules kept in memory; 0 means
	// DefaultMaxCompiled. Beyond it the least recently used module no call is using is
	// released (and compiled again, from CacheDir if set, when next called). It changes
	// no result: compilation is not charged gas.
	MaxCompiled int
	// CloseOnContextDone makes running Wasm code stop when the call's context is done
	// (wazero's WithCloseOnContextDone): the call fails, and a block fails with the
	// context's error. It costs a goroutine per Wasm function call from the host, about
	// 2 µs of an AssemblyScript token transfer's 7–9 µs of execution (ADR 015). Without
	// it a cancelled block stops between transactions, and a running call ends where its
	// gas ends: metering bounds every call, and the node bounds the gas of a block.
	// Turn it on where a deadline must cut a call short: RPC queries and simulations.
	CloseOnContextDone bool
	// MaxPooledMemory bounds the bytes (linear memory plus a fixed overhead per
	// instance) of the finished instances kept for reuse; 0 means
	// DefaultMaxPooledMemory. Reuse changes no result (reuse.go).
	MaxPooledMemory int
	// NoInstanceReuse creates a new instance for every call instead of resetting a
	// finished one (for comparisons; the results are the same).
	NoInstanceReuse bool
}

// Engine executes blocks of Wasm SPN transactions. It is safe for concurrent use.
type Engine struct {
	cfg      Config
	lim      Limits
	maxDepth int
	rt       wazero.Runtime
	cache    wazero.CompilationCache
	modCfg   wazero.ModuleConfig

	mem *memPool

	mu        sync.Mutex
	compiled  map[[32]byte]*compiledCode
	maxComp   int
	tick      uint64 // use counter for the compiled modules' LRU order (under mu)
	idleBytes int    // cost of the idle instances (under mu)
	maxIdle   int
	noReuse   bool
	created   atomic.Int64 // instances created (tests)
}

// DefaultMaxCompiled is the default of Config.MaxCompiled.
const DefaultMaxCompiled = 64

type compiledCode struct {
	hash     [32]byte
	refs     int           // calls using mod (under Engine.mu); a module in use is never released
	used     uint64        // Engine.tick of the last acquire (under Engine.mu)
	done     chan struct{} // closed when mod and err are set
	mod      wazero.CompiledModule
	err      error
	hasInit  bool
	hasStart bool
	pages    uint32

	plan     *reusePlan  // nil: instances are never reused
	idle     []*instance // finished instances in their initial state (under Engine.mu)
	snapOnce sync.Once
	snapDone bool
	snap     []byte // linear memory of a fresh instance up to its last non-zero byte
	snapSize uint32 // its size in bytes
}

// New returns an Engine with wazero's compiler engine and the host modules registered.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	lim := cfg.Limits
	if lim == (Limits{}) {
		lim = DefaultLimits()
	}
	e := &Engine{cfg: cfg, lim: lim, maxDepth: cfg.MaxCallDepth, compiled: map[[32]byte]*compiledCode{}, mem: &memPool{}}
	if e.maxComp = cfg.MaxCompiled; e.maxComp <= 0 {
		e.maxComp = DefaultMaxCompiled
	}
	if e.maxIdle = cfg.MaxPooledMemory; e.maxIdle <= 0 {
		e.maxIdle = DefaultMaxPooledMemory
	}
	e.noReuse = cfg.NoInstanceReuse
	if e.maxDepth <= 0 {
		e.maxDepth = DefaultCallDepth
	}
	rc := wazero.NewRuntimeConfigCompiler().
		WithCoreFeatures(api.CoreFeaturesV2).
		WithMemoryLimitPages(lim.MaxMemoryPages).
		WithCloseOnContextDone(cfg.CloseOnContextDone). // deadlines for RPC reads, never the gas mechanism
		WithDebugInfoEnabled(false)
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasm: compilation cache: %w", err)
		}
		e.cache = c
		rc = rc.WithCompilationCache(c)
	}
	e.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	if err := registerHost(ctx, e.rt); err != nil {
		e.rt.Close(ctx)
		return nil, err
	}
	// Anonymous instances, no start functions (the host calls _initialize itself), and
	// no per-instance clock or random source setup: the WASI shim answers those from
	// the block, and wazero's defaults would seed a PRNG for every instance.
	e.modCfg = wazero.NewModuleConfig().WithName("").WithStartFunctions().
		WithRandSource(zeroReader{}).
		WithWalltime(func() (int64, int32) { return 0, 0 }, 1).
		WithNanotime(func() int64 { return 0 }, 1)
	return e, nil
}

// Close releases the runtime and compiled modules.
func (e *Engine) Close(ctx context.Context) error {
	err := e.rt.Close(ctx)
	if e.cache != nil {
		e.cache.Close(ctx)
	}
	return err
}

// Limits returns the engine's module limits.
func (e *Engine) Limits() Limits { return e.lim }

// compile returns the compiled module of an instrumented module, compiling it once per
// code hash however many goroutines ask at the same time. The module is acquired for
// the caller, who releases it when done.
func (e *Engine) compile(hash [32]byte, code []byte) (*compiledCode, error) {
	e.mu.Lock()
	c, ok := e.compiled[hash]
	if !ok {
		c = &compiledCode{hash: hash, done: make(chan struct{})}
		e.compiled[hash] = c
	}
	e.acquireLocked(c)
	e.mu.Unlock()
	if ok {
		<-c.done
		if c.err != nil {
			e.release(c)
		}
		return c, c.err
	}
	exe, plan := prepare(code)
	m, err := e.rt.CompileModule(context.Background(), exe)
	if err != nil && !bytes.Equal(exe, code) {
		// the verdict on the stored bytes is wazero's alone
		plan = nil
		m, err = e.rt.CompileModule(context.Background(), code)
	}
	c.plan = plan
	if err != nil {
		c.err = errorf(ErrCompile, "%v", err)
		// keep failures out of the cache: a later upload of the same hash fails again
		e.mu.Lock()
		delete(e.compiled, hash)
		c.refs--
		e.mu.Unlock()
	} else {
		c.mod = m
		fns := m.ExportedFunctions()
		_, c.hasInit = fns["instantiate"]
		_, c.hasStart = fns["_initialize"]
		for _, mem := range m.ExportedMemories() {
			c.pages = mem.Min()
		}
	}
	close(c.done)
	if err == nil {
		e.evict()
	}
	return c, c.err
}

func (e *Engine) acquireLocked(c *compiledCode) {
	e.tick++
	c.refs++
	c.used = e.tick
}

// release ends a use of c started by compile or load.
func (e *Engine) release(c *compiledCode) {
	e.mu.Lock()
	c.refs--
	e.mu.Unlock()
}

// evict releases the least recently used compiled modules that no call is using
// while more than maxComp are kept.
func (e *Engine) evict() {
	var drop []wazero.CompiledModule
	var idle []*instance
	e.mu.Lock()
	for len(e.compiled) > e.maxComp {
		var victim [32]byte
		var vc *compiledCode
		for h, c := range e.compiled {
			if c.refs == 0 && c.mod != nil && (vc == nil || c.used < vc.used) {
				victim, vc = h, c
			}
		}
		if vc == nil {
			break // every module is in use
		}
		delete(e.compiled, victim)
		drop = append(drop, vc.mod)
		for _, in := range vc.idle {
			e.idleBytes -= in.cost
		}
		idle = append(idle, vc.idle...)
		vc.idle = nil
	}
	e.mu.Unlock()
	for _, in := range idle {
		_ = in.mod.Close(context.Background())
	}
	for _, m := range drop {
		_ = m.Close(context.Background())
	}
}

// Compiled returns how many compiled modules the engine keeps in memory.
func (e *Engine) Compiled() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.compiled)
}

// load returns the compiled code of a code hash, reading the code from state on a miss.
// The module is acquired for the caller, who releases it when done.
func (e *Engine) load(st *txState, hash [32]byte) (*compiledCode, error) {
	e.mu.Lock()
	c, ok := e.compiled[hash]
	if ok {
		e.acquireLocked(c)
	}
	e.mu.Unlock()
	if ok {
		<-c.done
		if c.err == nil {
			return c, nil
		}
		e.release(c)
	}
	code, err := st.get(CodeKey(hash))
	if err != nil {
		return nil, err
	}
	if code == nil {
		return nil, errorf(ErrUnknownCode, "%x", hash)
	}
	return e.compile(hash, code)
}

// Upload validates, instruments and compiles code outside a transaction (genesis,
// tests) and returns its info; the caller stores Code under CodeKey(Hash).
func (e *Engine) Upload(code []byte) (*CodeInfo, error) {
	info, err := Instrument(code, e.lim)
	if err != nil {
		return nil, err
	}
	c, err := e.compile(info.Hash, info.Code)
	if err != nil {
		return nil, err
	}
	e.release(c)
	return info, nil
}

// Status is the outcome of a transaction or of a contract call.
type Status uint8

// Statuses. The host "call" function returns them to the calling contract too.
const (
	StatusOK           Status = 0
	StatusReverted     Status = 1 // the contract called revert
	StatusOutOfGas     Status = 2
	StatusTrap         Status = 3 // a Wasm trap, a host-call misuse, call depth, proc_exit
	StatusInvalidCode  Status = 4 // upload refused
	StatusNoContract   Status = 5
	StatusInsufficient Status = 6 // value transfer with too low a balance
	StatusCallDepth    Status = 7 // nested call refused: too deep
	StatusInvalidTx    Status = 8 // not executed: bad nonce, chain id, funds, gas (no state change)
)

var statusNames = [...]string{"ok", "reverted", "out of gas", "trap", "invalid code", "no contract", "insufficient balance", "call depth", "invalid transaction"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// callResult is what one contract call produced.
type callResult struct {
	status  Status
	gasUsed uint64
	ret     []byte
	err     error // why (not part of consensus)
}

// call runs contract `to`'s "call" export: value must already be moved by the caller
// (call moves it) and st reverted by the caller on failure.
func (ev *env) call(caller, to Address, value exec.U256, input []byte, gas uint64, depth int, readOnly bool) callResult {
	if ok, err := ev.st.move(caller, to, value); err != nil {
		ev.fatal = err
		return callResult{status: StatusTrap}
	} else if !ok {
		return callResult{status: StatusInsufficient, err: ErrInsufficient}
	}
	h, err := ev.st.get(ev.st.addrKey(prefixContract, to))
	if err != nil {
		ev.fatal = err
		return callResult{status: StatusTrap}
	}
	if len(h) != 32 {
		if value.IsZero() || len(input) > 0 {
			return callResult{status: StatusNoContract, err: errorf(ErrNoContract, "%x", to)}
		}
		return callResult{status: StatusOK} // plain value transfer to an account
	}
	c, err := ev.load([32]byte(h))
	if err != nil {
		if errors.Is(err, ErrUnknownCode) || errors.Is(err, ErrCompile) {
			return callResult{status: StatusTrap, err: err}
		}
		ev.fatal = err
		return callResult{status: StatusTrap}
	}
	defer ev.release(c)
	return ev.run(c, "call", caller, to, value, input, gas, depth, readOnly)
}

// callContext is the parent context of a block's or a query's calls: ctx with the
// engine's memory allocator for new instances.
func (e *Engine) callContext(ctx context.Context) context.Context {
	return experimental.WithMemoryAllocator(ctx, e.mem)
}

// run executes entry of c with gas, in an instance in its post-instantiation state.
func (ev *env) run(c *compiledCode, entry string, caller, self Address, value exec.U256, input []byte, gas uint64, depth int, readOnly bool) callResult {
	cost := uint64(InstanceGas) + uint64(InstancePageGas)*uint64(c.pages)
	if gas < cost {
		return callResult{status: StatusOutOfGas, gasUsed: gas, err: ErrOutOfGas}
	}
	outer := ev.cc.f
	f := &ev.top
	if outer != nil {
		f = new(frame)
	}
	*f = frame{env: ev, caller: caller, self: self, value: value, input: input, depth: depth, readOnly: readOnly}
	ev.cc.f = f
	defer func() { ev.cc.f = outer }()
	ctx := &ev.cc
	inst, err := ev.instance(ctx, c)
	if err != nil {
		if ctx.Err() != nil {
			ev.fatal = ctx.Err()
		}
		return callResult{status: StatusTrap, gasUsed: gas, err: errorf(ErrTrap, "instantiate: %v", err)}
	}
	f.gas = inst.gas
	f.gas.Set(gas - cost)
	_, err = inst.entry(c, entry).Call(ctx)
	// Only an instance whose call returned normally is kept (reset) for another call.
	defer ev.putInstance(ctx, c, inst, err == nil && ev.fatal == nil && ctx.Err() == nil)
	left := int64(f.gas.Get())
	res := callResult{gasUsed: gas, ret: f.ret}
	if left >= 0 {
		res.gasUsed = gas - uint64(left)
	}
	switch {
	case ev.fatal != nil:
		res.status = StatusTrap
	case err == nil:
		res.status = StatusOK
	case ctx.Err() != nil:
		ev.fatal = ctx.Err()
		res.status = StatusTrap
	case left < 0:
		res.status, res.err, res.gasUsed = StatusOutOfGas, ErrOutOfGas, gas
	case f.reverted:
		res.status, res.err = StatusReverted, ErrReverted
	default:
		res.status, res.err = StatusTrap, errorf(ErrTrap, "%v", firstLine(err))
		for _, s := range []error{ErrHostArgs, ErrReadOnly} {
			if errors.Is(err, s) {
				res.err = fmt.Errorf("%w: %w", ErrTrap, err)
			}
		}
		if d := inst.depth; d != nil && uint32(d.Get()) > ev.e.lim.MaxFrames {
			res.err = errorf(ErrCallDepth, "more than %d nested Wasm calls", ev.e.lim.MaxFrames)
		}
	}
	if res.status != StatusOK && res.status != StatusReverted {
		res.ret = nil
	}
	return res
}

func firstLine(err error) string {
	s := err.Error()
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

// zeroReader is the (unused) random source of instances.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
