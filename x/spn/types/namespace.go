package types

import (
	"encoding/binary"

	"github.com/celestiaorg/go-square/v3/share"
)

// namespaceTag is the first two bytes of the 10-byte version-0 namespace ID of
// every SPN ("FR"). Without it a bare big-endian id would fall into Celestia's
// primary reserved namespaces for ids 1..255 (id 1 would be the tx namespace),
// and blobs cannot be published there.
var namespaceTag = [2]byte{'F', 'R'}

// DeriveNamespace returns the DA namespace of SPN id: a Celestia version-0
// namespace of share.NamespaceSize (29) bytes, that is version 0x00, 18 zero
// bytes, then the 10-byte sub-ID "FR" || uint64 big-endian id. It is pure and
// injective, and the result is valid for blobs (never reserved).
func DeriveNamespace(id uint64) share.Namespace {
	var subID [share.NamespaceVersionZeroIDSize]byte
	copy(subID[:2], namespaceTag[:])
	binary.BigEndian.PutUint64(subID[2:], id)
	return share.MustNewV0Namespace(subID[:])
}
