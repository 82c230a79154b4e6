package wasm

// Gas schedule of host ABI v1 (README.md, "Gas schedule"). Wasm instructions cost
// gasPerInstruction each (instrument.go); these are the costs outside the module.
const (
	TxBaseGas        = 5000 // every transaction
	TxDataGasPerByte = 16   // per byte of Data
	UploadGasPerByte = 10   // per byte of uploaded code (validation, instrumentation, compilation)
	InstanceGas      = 5000 // a fresh instance for one call (plus InstancePageGas per initial page)
	InstancePageGas  = 100  // per initial 64 KiB page of the instance's memory
	HostBaseGas      = 20   // any host function
	CopyGasPerByte   = 1    // bytes copied between the host and linear memory
	StorageReadGas   = 300
	StorageWriteGas  = 2000
	StorageByteGas   = 10 // per byte written (key + value)
	StorageDeleteGas = 1000
	BalanceGas       = 300
	TransferGas      = 1500
	EventGas         = 200
	EventByteGas     = 5
	CallGas          = 2000
	HashGas          = 60 // sha256, keccak256: plus CopyGasPerByte per input byte
	Secp256k1Gas     = 3000
	Ed25519Gas       = 2500
	MeshSendGas      = 5000
	MeshSendByteGas  = 10
	DefaultCallDepth = 16 // nested contract calls (host "call"), the transaction's call included
)
