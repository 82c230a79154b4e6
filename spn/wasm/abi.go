package wasm

// Host ABI v1: the functions a contract may import. The import module name carries the
// version ("farol_v1"); a later ABI adds a module, it never changes these signatures.
// README.md documents each function.

const (
	// ABIModule is the import module of host ABI v1.
	ABIModule = "farol_v1"
	// WASIModule is the WASI preview 1 module, of which a deterministic subset is
	// provided for contracts built with the Go toolchain (GOOS=wasip1).
	WASIModule = "wasi_snapshot_preview1"
)

func sig(params, results string) funcType {
	conv := func(s string) []byte {
		b := make([]byte, len(s))
		for i, c := range s {
			if c == 'i' {
				b[i] = valI32
			} else {
				b[i] = valI64
			}
		}
		return b
	}
	return funcType{params: conv(params), results: conv(results)}
}

// abiV1 lists the signature of every host function ('i' = i32, 'I' = i64).
var abiV1 = map[string]funcType{
	"input_size":        sig("", "i"),
	"input_copy":        sig("i", ""),
	"set_return":        sig("ii", ""),
	"revert":            sig("ii", ""),
	"storage_read":      sig("iiii", "i"),
	"storage_write":     sig("iiii", ""),
	"storage_delete":    sig("ii", ""),
	"caller":            sig("i", ""),
	"origin":            sig("i", ""),
	"self":              sig("i", ""),
	"value":             sig("i", ""),
	"balance":           sig("ii", ""),
	"transfer":          sig("ii", "i"),
	"emit":              sig("iiii", ""),
	"call":              sig("iiiiI", "i"),
	"return_data_size":  sig("", "i"),
	"return_data_copy":  sig("i", ""),
	"block_height":      sig("", "I"),
	"block_time":        sig("", "I"),
	"gas_left":          sig("", "I"),
	"sha256":            sig("iii", ""),
	"keccak256":         sig("iii", ""),
	"secp256k1_recover": sig("iii", "i"),
	"ed25519_verify":    sig("iiii", "i"),
	"mesh_send":         sig("Iiii", "i"), // dest SPN, recipient (20 bytes), data, len
}

// wasiV1 is the deterministic WASI subset (README.md, "WASI for Go contracts").
var wasiV1 = map[string]funcType{
	"args_get":          sig("ii", "i"),
	"args_sizes_get":    sig("ii", "i"),
	"environ_get":       sig("ii", "i"),
	"environ_sizes_get": sig("ii", "i"),
	"clock_time_get":    sig("iIi", "i"),
	"fd_write":          sig("iiii", "i"),
	"random_get":        sig("ii", "i"),
	"proc_exit":         sig("i", ""),
	"poll_oneoff":       sig("iiii", "i"),
	"sched_yield":       sig("", "i"),
}

func hostSignature(module, name string) (funcType, bool) {
	var t funcType
	var ok bool
	switch module {
	case ABIModule:
		t, ok = abiV1[name]
	case WASIModule:
		t, ok = wasiV1[name]
	}
	return t, ok
}
