// Package keeper implements the da module: it stores each height's original
// data square, data availability header and data root (PreBlock), charges
// for blobs (MsgPayForBlobs), prunes squares older than the retention window
// and serves blobs, proofs and samples.
package keeper
