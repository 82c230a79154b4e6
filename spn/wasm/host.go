package wasm

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"math"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/farolnet/farol/spn/exec"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// Event is a log entry a contract emitted.
type Event struct {
	Contract Address
	Topic    []byte
	Data     []byte
}

// Message is a mesh message a contract sent: appended to the block's outbox (the mesh
// delivers it to DestSPN).
type Message struct {
	DestSPN   uint64
	Sender    Address // the sending contract
	Recipient Address
	Data      []byte
}

// MaxEventSize and MaxMessageSize bound one event (topic + data) and one mesh message.
const (
	MaxEventSize   = 4 << 10
	MaxMessageSize = 16 << 10
	maxReturnSize  = 64 << 10
)

// env is one transaction's (or query's) execution: shared by its nested calls.
type env struct {
	e      *Engine
	st     *txState
	block  *BlockInfo
	origin Address
	fatal  error // the view failed (ErrSuspended, storage): the whole execution stops

	cc    callCtx  // the context of every call of this execution
	top   frame    // the outermost call's frame (inner calls allocate theirs)
	cache envCache // modules and instances kept from transaction to transaction (a block's envs)
}

// newEnv returns an execution env whose calls run under ctx, which should carry the
// engine's memory allocator (callContext).
func newEnv(e *Engine, ctx context.Context, st *txState, block *BlockInfo, origin Address) *env {
	ev := &env{e: e, st: st, block: block, origin: origin}
	ev.cc.Context = ctx
	return ev
}

// callCtx carries the running frame to the host functions: one per env, its frame
// updated as calls nest and return, so that a call allocates no context. Everything
// else is its parent's.
type callCtx struct {
	context.Context
	f *frame
}

// Value implements context.Context.
func (c *callCtx) Value(key any) any {
	if _, ok := key.(frameKey); ok {
		return c.f
	}
	return c.Context.Value(key)
}

// frame is one contract call: one fresh instance.
type frame struct {
	env      *env
	caller   Address
	self     Address
	value    exec.U256
	input    []byte
	ret      []byte
	retData  []byte // return data of the last call this frame made
	reverted bool
	readOnly bool
	depth    int
	gas      api.MutableGlobal
	clock    uint64 // WASI clock readings so far
}

type frameKey struct{}

func frameOf(ctx context.Context) *frame {
	if c, ok := ctx.(*callCtx); ok {
		return c.f
	}
	return ctx.Value(frameKey{}).(*frame)
}

// trap stops the instance with err (wazero recovers the panic and returns it wrapped).
func trap(err error) { panic(err) }

func (f *frame) charge(n uint64) {
	left := int64(f.gas.Get())
	if n > math.MaxInt64 || left < int64(n) {
		f.gas.Set(uint64(1<<64 - 1)) // -1: out of gas
		trap(ErrOutOfGas)
	}
	f.gas.Set(uint64(left - int64(n)))
}

func (f *frame) gasLeft() uint64 {
	left := int64(f.gas.Get())
	if left < 0 {
		return 0
	}
	return uint64(left)
}

// fail records a view failure (speculative suspension, storage error) and stops.
func (f *frame) fail(err error) {
	if f.env.fatal == nil {
		f.env.fatal = err
	}
	trap(err)
}

func (f *frame) mutate() {
	if f.readOnly {
		trap(ErrReadOnly)
	}
}

func read(m api.Module, ptr, n uint32) []byte {
	b, ok := m.Memory().Read(ptr, n)
	if !ok {
		trap(errorf(ErrHostArgs, "read of %d bytes at %d out of memory", n, ptr))
	}
	return b
}

func write(m api.Module, ptr uint32, b []byte) {
	if !m.Memory().Write(ptr, b) {
		trap(errorf(ErrHostArgs, "write of %d bytes at %d out of memory", len(b), ptr))
	}
}

func readAddr(m api.Module, ptr uint32) Address {
	var a Address
	copy(a[:], read(m, ptr, 20))
	return a
}

func readU256(m api.Module, ptr uint32) exec.U256 {
	v, _ := exec.U256FromBytes(read(m, ptr, 32))
	return v
}

func writeU256(m api.Module, ptr uint32, v exec.U256) {
	var b [32]byte
	v.PutBytes32(b[:])
	write(m, ptr, b[:])
}

func (f *frame) get(key string) []byte {
	v, err := f.env.st.get(key)
	if err != nil {
		f.fail(err)
	}
	return v
}

func (f *frame) balance(a Address) exec.U256 {
	v, err := f.env.st.balance(a)
	if err != nil {
		f.fail(err)
	}
	return v
}

type hostFunc struct {
	name string
	fn   func(ctx context.Context, m api.Module, s []uint64)
}

func u32(x uint64) uint32 { return uint32(x) }

// abiFuncs implements host ABI v1. Stack slots: parameters in, results out.
var abiFuncs = []hostFunc{
	{"input_size", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(HostBaseGas)
		s[0] = uint64(len(f.input))
	}},
	{"input_copy", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(HostBaseGas + CopyGasPerByte*uint64(len(f.input)))
		write(m, u32(s[0]), f.input)
	}},
	{"set_return", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		n := u32(s[1])
		if n > maxReturnSize {
			trap(errorf(ErrHostArgs, "return data of %d bytes", n))
		}
		f.charge(HostBaseGas + CopyGasPerByte*uint64(n))
		f.ret = append([]byte(nil), read(m, u32(s[0]), n)...)
	}},
	{"revert", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		n := min(u32(s[1]), maxReturnSize)
		f.charge(HostBaseGas + CopyGasPerByte*uint64(n))
		f.ret = append([]byte(nil), read(m, u32(s[0]), n)...)
		f.reverted = true
		trap(ErrReverted)
	}},
	{"storage_read", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		kn := u32(s[1])
		if kn > MaxStorageKey {
			trap(errorf(ErrHostArgs, "storage key of %d bytes", kn))
		}
		f.charge(StorageReadGas + CopyGasPerByte*uint64(kn))
		v := f.get(f.env.st.storageKey(f.self, read(m, u32(s[0]), kn)))
		if v == nil {
			s[0] = uint64(math.MaxUint32) // -1: absent
			return
		}
		f.charge(CopyGasPerByte * uint64(len(v)))
		if c := u32(s[3]); uint32(len(v)) <= c {
			write(m, u32(s[2]), v)
		}
		s[0] = uint64(len(v))
	}},
	{"storage_write", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.mutate()
		kn, vn := u32(s[1]), u32(s[3])
		if kn > MaxStorageKey || vn > MaxStorageValue {
			trap(errorf(ErrHostArgs, "storage slot of %d+%d bytes", kn, vn))
		}
		f.charge(StorageWriteGas + StorageByteGas*uint64(kn+vn))
		k := f.env.st.storageKey(f.self, read(m, u32(s[0]), kn))
		f.env.st.set(k, append([]byte(nil), read(m, u32(s[2]), vn)...))
	}},
	{"storage_delete", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.mutate()
		kn := u32(s[1])
		if kn > MaxStorageKey {
			trap(errorf(ErrHostArgs, "storage key of %d bytes", kn))
		}
		f.charge(StorageDeleteGas)
		f.env.st.set(f.env.st.storageKey(f.self, read(m, u32(s[0]), kn)), nil)
	}},
	{"caller", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(HostBaseGas)
		write(m, u32(s[0]), f.caller[:])
	}},
	{"origin", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(HostBaseGas)
		write(m, u32(s[0]), f.env.origin[:])
	}},
	{"self", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(HostBaseGas)
		write(m, u32(s[0]), f.self[:])
	}},
	{"value", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(HostBaseGas)
		writeU256(m, u32(s[0]), f.value)
	}},
	{"balance", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(BalanceGas)
		writeU256(m, u32(s[1]), f.balance(readAddr(m, u32(s[0]))))
	}},
	{"transfer", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.mutate()
		f.charge(TransferGas)
		to, amount := readAddr(m, u32(s[0])), readU256(m, u32(s[1]))
		ok, err := f.env.st.move(f.self, to, amount)
		if err != nil {
			f.fail(err)
		}
		if ok {
			s[0] = 0
		} else {
			s[0] = 1
		}
	}},
	{"emit", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.mutate()
		tn, dn := u32(s[1]), u32(s[3])
		if uint64(tn)+uint64(dn) > MaxEventSize {
			trap(errorf(ErrHostArgs, "event of %d bytes", uint64(tn)+uint64(dn)))
		}
		f.charge(EventGas + EventByteGas*uint64(tn+dn))
		f.env.st.events = append(f.env.st.events, Event{
			Contract: f.self,
			Topic:    append([]byte(nil), read(m, u32(s[0]), tn)...),
			Data:     append([]byte(nil), read(m, u32(s[2]), dn)...),
		})
	}},
	{"call", hostCall},
	{"return_data_size", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(HostBaseGas)
		s[0] = uint64(len(f.retData))
	}},
	{"return_data_copy", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(HostBaseGas + CopyGasPerByte*uint64(len(f.retData)))
		write(m, u32(s[0]), f.retData)
	}},
	{"block_height", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(HostBaseGas)
		s[0] = f.env.block.Height
	}},
	{"block_time", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(HostBaseGas)
		s[0] = f.env.block.Time
	}},
	{"gas_left", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(HostBaseGas)
		s[0] = f.gasLeft()
	}},
	{"sha256", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		n := u32(s[1])
		f.charge(HashGas + CopyGasPerByte*uint64(n))
		h := sha256.Sum256(read(m, u32(s[0]), n))
		write(m, u32(s[2]), h[:])
	}},
	{"keccak256", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		n := u32(s[1])
		f.charge(HashGas + CopyGasPerByte*uint64(n))
		write(m, u32(s[2]), crypto.Keccak256(read(m, u32(s[0]), n)))
	}},
	{"secp256k1_recover", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(Secp256k1Gas)
		hash, sig := read(m, u32(s[0]), 32), read(m, u32(s[1]), 65)
		a, err := recoverAddress(hash, sig)
		if err != nil {
			s[0] = 1
			return
		}
		write(m, u32(s[2]), a[:])
		s[0] = 0
	}},
	{"ed25519_verify", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		n := u32(s[2])
		f.charge(Ed25519Gas + CopyGasPerByte*uint64(n))
		pub, msg, sg := read(m, u32(s[0]), 32), read(m, u32(s[1]), n), read(m, u32(s[3]), 64)
		if ed25519.Verify(ed25519.PublicKey(pub), msg, sg) {
			s[0] = 1
		} else {
			s[0] = 0
		}
	}},
	{"mesh_send", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.mutate()
		n := u32(s[3])
		if n > MaxMessageSize {
			trap(errorf(ErrHostArgs, "mesh message of %d bytes", n))
		}
		f.charge(MeshSendGas + MeshSendByteGas*uint64(n))
		msgs := &f.env.st.messages
		*msgs = append(*msgs, Message{
			DestSPN:   s[0],
			Sender:    f.self,
			Recipient: readAddr(m, u32(s[1])),
			Data:      append([]byte(nil), read(m, u32(s[2]), n)...),
		})
		s[0] = uint64(len(*msgs) - 1)
	}},
}

// Status codes the host "call" function returns (also Receipt.Status).
func hostCall(ctx context.Context, m api.Module, s []uint64) {
	f := frameOf(ctx)
	n := u32(s[3])
	f.charge(CallGas + CopyGasPerByte*uint64(n))
	to, value := readAddr(m, u32(s[0])), readU256(m, u32(s[1]))
	input := append([]byte(nil), read(m, u32(s[2]), n)...)
	if !value.IsZero() {
		f.mutate()
	}
	f.retData = nil
	if f.depth+1 >= f.env.e.maxDepth {
		s[0] = uint64(StatusCallDepth)
		return
	}
	left := f.gasLeft()
	avail := left - left/64 // the caller keeps 1/64 to handle the failure
	gas := s[4]
	if gas == 0 || gas > avail {
		gas = avail
	}
	st := f.env.st
	sn := st.snapshot()
	res := f.env.call(f.self, to, value, input, gas, f.depth+1, f.readOnly)
	if f.env.fatal != nil {
		trap(f.env.fatal)
	}
	f.charge(res.gasUsed)
	if res.status != StatusOK {
		st.revert(sn)
	}
	f.retData = res.ret
	s[0] = uint64(res.status)
}

// wasiFuncs is the deterministic WASI preview 1 subset for Go contracts: no arguments
// or environment, the clock is the block time, randomness is a fixed stream, output
// is discarded (and charged), exit traps.
var wasiFuncs = []hostFunc{
	{"args_sizes_get", wasiZeroPair},
	{"environ_sizes_get", wasiZeroPair},
	{"args_get", wasiNothing},
	{"environ_get", wasiNothing},
	{"clock_time_get", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		f.charge(HostBaseGas)
		// The block time plus one microsecond per reading: deterministic, never zero,
		// and monotonic as the Go runtime requires.
		f.clock++
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], (f.env.block.Time+1)*1e9+f.clock*1000)
		write(m, u32(s[2]), b[:])
		s[0] = 0
	}},
	{"fd_write", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		iovs, cnt := u32(s[1]), u32(s[2])
		if cnt > 1024 {
			trap(errorf(ErrHostArgs, "fd_write with %d buffers", cnt))
		}
		f.charge(HostBaseGas)
		var total uint64
		for i := uint32(0); i < cnt; i++ {
			iov := read(m, iovs+8*i, 8)
			total += uint64(binary.LittleEndian.Uint32(iov[4:]))
		}
		f.charge(CopyGasPerByte * total) // discarded, but paid as if written
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(min(total, math.MaxUint32)))
		write(m, u32(s[3]), b[:])
		s[0] = 0
	}},
	{"random_get", func(ctx context.Context, m api.Module, s []uint64) {
		f := frameOf(ctx)
		n := u32(s[1])
		f.charge(HostBaseGas + CopyGasPerByte*uint64(n))
		buf := read(m, u32(s[0]), n)
		for i := range buf { // deterministic: contracts must not rely on it for secrecy
			buf[i] = byte(i*131 + 7)
		}
		s[0] = 0
	}},
	{"proc_exit", func(ctx context.Context, m api.Module, s []uint64) {
		panic(sys.NewExitError(uint32(s[0])))
	}},
	{"poll_oneoff", func(ctx context.Context, m api.Module, s []uint64) {
		// Every subscription completes at once (a sleep does not wait).
		f := frameOf(ctx)
		in, out, n := u32(s[0]), u32(s[1]), u32(s[2])
		if n > 64 {
			trap(errorf(ErrHostArgs, "poll_oneoff with %d subscriptions", n))
		}
		f.charge(HostBaseGas * uint64(1+n))
		for i := uint32(0); i < n; i++ {
			sub := read(m, in+48*i, 48)
			var ev [32]byte
			copy(ev[:8], sub[:8]) // userdata
			ev[10] = sub[8]       // type = subscription tag
			write(m, out+32*i, ev[:])
		}
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], n)
		write(m, u32(s[3]), b[:])
		s[0] = 0
	}},
	{"sched_yield", func(ctx context.Context, m api.Module, s []uint64) {
		frameOf(ctx).charge(HostBaseGas)
		s[0] = 0
	}},
}

func wasiZeroPair(ctx context.Context, m api.Module, s []uint64) {
	frameOf(ctx).charge(HostBaseGas)
	write(m, u32(s[0]), []byte{0, 0, 0, 0})
	write(m, u32(s[1]), []byte{0, 0, 0, 0})
	s[0] = 0
}

func wasiNothing(ctx context.Context, m api.Module, s []uint64) {
	frameOf(ctx).charge(HostBaseGas)
	s[0] = 0
}

// valueTypes converts a signature to wazero's value types.
func valueTypes(b []byte) []api.ValueType {
	out := make([]api.ValueType, len(b))
	for i, t := range b {
		out[i] = api.ValueType(t)
	}
	return out
}

func registerHost(ctx context.Context, rt wazero.Runtime) error {
	for _, mod := range []struct {
		name  string
		funcs []hostFunc
		sigs  map[string]funcType
	}{{ABIModule, abiFuncs, abiV1}, {WASIModule, wasiFuncs, wasiV1}} {
		b := rt.NewHostModuleBuilder(mod.name)
		for _, h := range mod.funcs {
			t := mod.sigs[h.name]
			b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(h.fn), valueTypes(t.params), valueTypes(t.results)).Export(h.name)
		}
		if _, err := b.Instantiate(ctx); err != nil {
			return err
		}
	}
	return nil
}
