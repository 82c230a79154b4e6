package node

import (
	"encoding/hex"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// MaxProofKeys is the most storage keys one eth_getProof proves.
const MaxProofKeys = 1024

// AccountProof is eth_getProof's answer (EIP-1186): an account with the Merkle
// proof of its leaf in the state trie of the block's state root, and storage
// slots with their proofs in the account's storage trie.
type AccountProof struct {
	Address      common.Address `json:"address"`
	AccountProof []string       `json:"accountProof"`
	Balance      *hexutil.Big   `json:"balance"`
	CodeHash     common.Hash    `json:"codeHash"`
	Nonce        hexutil.Uint64 `json:"nonce"`
	StorageHash  common.Hash    `json:"storageHash"`
	StorageProof []StorageProof `json:"storageProof"`
}

// StorageProof is one storage slot of an AccountProof.
type StorageProof struct {
	Key   string       `json:"key"`
	Value *hexutil.Big `json:"value"`
	Proof []string     `json:"proof"`
}

// hexNodes is a proof's node encodings in hex, in order.
func hexNodes(nodes [][]byte) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = hexutil.Encode(n)
	}
	return out
}

// proofKey is a storage key as eth_getProof returns it: a 32-byte word if given as
// one, else a quantity (go-ethereum's convention).
func proofKey(slot common.Hash, full bool) string {
	if full {
		return hexutil.Encode(slot[:])
	}
	return hexutil.EncodeBig(slot.Big())
}

// parseSlot decodes a storage key of up to 32 bytes (hex, 0x optional, odd length
// allowed) and reports whether it was given as a full 32-byte word.
func parseSlot(s string) (common.Hash, bool, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(s)%2 == 1 {
		s = "0" + s
	}
	if len(s) > 64 {
		return common.Hash{}, false, invalidParams("storage key too long: want at most 32 bytes")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return common.Hash{}, false, invalidParams("storage key is not hex")
	}
	return common.BytesToHash(b), len(b) == 32, nil
}

// GetProof returns an account and storage slots at a block with their Merkle
// proofs against the block's state root (EIP-1186). Keys given as 32-byte words
// come back as such, shorter ones as quantities (go-ethereum's convention).
func (e *EthAPI) GetProof(addr common.Address, keys []string, bnh rpc.BlockNumberOrHash) (*AccountProof, error) {
	if len(keys) > MaxProofKeys {
		return nil, limitExceeded("too many storage keys: %d, at most %d", len(keys), MaxProofKeys)
	}
	slots := make([]common.Hash, len(keys))
	full := make([]bool, len(keys))
	for i, k := range keys {
		var err error
		if slots[i], full[i], err = parseSlot(k); err != nil {
			return nil, err
		}
	}
	h, err := e.headerAt(bnh)
	if err != nil {
		return nil, err
	}
	s, err := e.app.stateOf(h)
	if err != nil {
		return nil, err
	}
	storageRoot := s.GetStorageRoot(addr)
	res := &AccountProof{
		Address: addr, Balance: (*hexutil.Big)(s.GetBalance(addr).ToBig()), CodeHash: s.GetCodeHash(addr),
		Nonce: hexutil.Uint64(s.GetNonce(addr)), StorageHash: storageRoot,
		StorageProof: make([]StorageProof, len(keys)),
	}
	if storageRoot == (common.Hash{}) {
		res.StorageHash = types.EmptyRootHash
	}
	acctProof, slotProofs, err := e.proofs(h.Root, addr, slots)
	if err != nil {
		return nil, err
	}
	res.AccountProof = acctProof
	for i, slot := range slots {
		res.StorageProof[i] = StorageProof{Key: proofKey(slot, full[i]), Value: (*hexutil.Big)(s.GetState(addr, slot).Big()), Proof: slotProofs[i]}
	}
	return res, s.Error()
}

// proofs returns the Merkle proofs of an account and of its storage slots at root
// (node encodings in hex, root first), from the app's MemState.
func (e *EthAPI) proofs(root common.Hash, addr common.Address, slots []common.Hash) ([]string, [][]string, error) {
	acct, stor, err := e.app.mem.Proof(root, addr, slots)
	if err != nil {
		return nil, nil, err
	}
	slotProofs := make([][]string, len(slots))
	for i := range slots {
		slotProofs[i] = hexNodes(stor[i])
	}
	return hexNodes(acct), slotProofs, nil
}
