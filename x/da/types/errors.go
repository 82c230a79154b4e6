package types

import errorsmod "cosmossdk.io/errors"

// Codespace of the da module's registered errors.
const Codespace = ModuleName

// Registered errors. Codes are part of the API: never renumber one.
var (
	ErrInvalidAddress   = errorsmod.Register(Codespace, 2, "invalid address")
	ErrInvalidBlobs     = errorsmod.Register(Codespace, 3, "invalid blobs")
	ErrInvalidNamespace = errorsmod.Register(Codespace, 4, "invalid or reserved namespace")
	ErrBlobTooLarge     = errorsmod.Register(Codespace, 5, "blob data exceeds max_blob_bytes")
	ErrWrongCommitment  = errorsmod.Register(Codespace, 6, "share commitment does not match the blob")
	ErrNoBlobTx         = errorsmod.Register(Codespace, 7, "MsgPayForBlobs outside a BlobTx")
	ErrMalformedBlobTx  = errorsmod.Register(Codespace, 8, "malformed BlobTx")
	ErrInvalidAuthority = errorsmod.Register(Codespace, 9, "signer is not the module authority")
	ErrInvalidParams    = errorsmod.Register(Codespace, 10, "invalid module parameters")
	ErrNotFound         = errorsmod.Register(Codespace, 11, "not found")
	ErrPruned           = errorsmod.Register(Codespace, 12, "height pruned or not yet stored")
	ErrInvalidSquare    = errorsmod.Register(Codespace, 13, "invalid data square")
	ErrInsufficientFee  = errorsmod.Register(Codespace, 14, "insufficient funds for the blob byte fee")
	ErrInvalidGenesis   = errorsmod.Register(Codespace, 15, "invalid genesis state")
	ErrInvalidRequest   = errorsmod.Register(Codespace, 16, "invalid request")
	ErrInsufficientGas  = errorsmod.Register(Codespace, 17, "BlobTx gas limit below what its size and blobs cost")
)
