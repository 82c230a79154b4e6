#!/bin/sh
# Builds the example contracts into spn/wasm/wasmtest/testdata (committed, so `go test` needs
# neither node nor this script). Run from this directory after `npm ci`.
set -eu
OUT=../../wasmtest/testdata
mkdir -p "$OUT"
for c in counter token amm; do
  npx asc "assembly/examples/$c.ts" \
    --outFile "$OUT/as_$c.wasm" \
    --runtime stub --optimizeLevel 3 --shrinkLevel 0 --noAssert \
    --exportStart _initialize --use abort=assembly/farol/farolAbort
done
# Instance reuse test contract (spn/wasm/reuse_test.go).
npx asc assembly/tests/leak.ts --outFile ../../testdata/reuse/leak_as.wasm \
  --runtime stub --optimizeLevel 3 --shrinkLevel 0 --noAssert \
  --exportStart _initialize --use abort=assembly/farol/farolAbort
# Hostile test modules (text format, assembled with binaryen's wasm-as).
for w in ../../testdata/hostile/*.wat ../../testdata/abi/*.wat; do
  npx wasm-as "$w" -o "${w%.wat}.wasm" --enable-bulk-memory --enable-sign-ext --enable-simd --enable-threads
done
for w in ../../testdata/reuse/*.wat; do
  npx wasm-as "$w" -o "${w%.wat}.wasm" --enable-bulk-memory --enable-sign-ext --enable-reference-types
done
