#!/bin/sh
# Builds the Go example contracts into spn/wasm/wasmtest/testdata with the standard toolchain
# (committed, so `go test` does not need this script). Run from this directory.
set -eu
OUT=../../wasmtest/testdata
for c in counter token amm; do
  GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -ldflags=-s -o "$OUT/go_$c.wasm" "./examples/$c"
done
# Instance reuse test contract (spn/wasm/reuse_test.go).
GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -ldflags=-s -o ../../testdata/reuse/leak_go.wasm ./tests/leak
