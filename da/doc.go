// Package da is Farol's data-availability client: SPN batchers publish
// batch data as blobs under their namespace and get back a commitment
// (height, share commitment); anyone fetches a blob with a proof that it is
// in that height's data square (DESIGN.md, "Data flow of one batch", step 4).
//
// Client is the interface; backends are da/mainnet (the mainnet's embedded
// DA, x/da, over gRPC) and da/celestia (a celestia-node over its JSON-RPC
// blob API). The consensus rules of squares, data roots and proofs are in
// da/square, light sampling in da/sampling. Nothing under da/ imports the
// Cosmos SDK (deps_test.go).
package da
