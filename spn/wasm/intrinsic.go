package wasm

// IntrinsicGas is the gas a transaction pays before it executes (TxBaseGas, its
// data, and UploadGasPerByte for an upload): its gas limit must be at least this.
func IntrinsicGas(tx *Tx) uint64 { return intrinsicGas(tx) }
