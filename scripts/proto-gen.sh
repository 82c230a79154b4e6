#!/usr/bin/env bash
# Generates the Go code for proto/farol/** (gogoproto types, gRPC services and
# grpc-gateway handlers) and puts it next to the module code, e.g.
# proto/farol/spn/v1/*.proto -> x/spn/types/*.pb.go, *.pb.gw.go.
#
# Usage (from anywhere; works on the repo root):  ./scripts/proto-gen.sh [lint]
#   lint   also run `buf lint` first.
#
# Tools are pinned and installed with `go install` into ./build/bin (nothing
# is fetched from the buf registry; third-party protos are vendored under
# proto/third_party). Idempotent: running it twice gives the same tree.
set -euo pipefail

BUF_VERSION=v1.73.0
GOGOPROTO_VERSION=v1.7.2
GRPC_GATEWAY_VERSION=v1.16.0

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BIN="$ROOT/build/bin"
OUT="$ROOT/build/proto-gen"
MODULE="github.com/farolnet/farol"
mkdir -p "$BIN"
export PATH="$BIN:$PATH"

# install_tool NAME PACKAGE VERSION: go install PACKAGE@VERSION into $BIN
# unless $BIN/NAME is already that version (recorded in $BIN/NAME.version).
install_tool() {
  local name="$1" pkg="$2" version="$3"
  local stamp="$BIN/$name.version"
  if [[ -x "$BIN/$name" && -f "$stamp" && "$(cat "$stamp")" == "$pkg@$version" ]]; then
    return
  fi
  echo "installing $pkg@$version"
  GOBIN="$BIN" go install "$pkg@$version"
  echo "$pkg@$version" >"$stamp"
}

install_tool buf github.com/bufbuild/buf/cmd/buf "$BUF_VERSION"
install_tool protoc-gen-gocosmos github.com/cosmos/gogoproto/protoc-gen-gocosmos "$GOGOPROTO_VERSION"
install_tool protoc-gen-grpc-gateway github.com/grpc-ecosystem/grpc-gateway/protoc-gen-grpc-gateway "$GRPC_GATEWAY_VERSION"

if [[ "${1:-}" == "lint" ]]; then
  echo "buf lint"
  buf lint
fi

echo "buf generate (proto/farol)"
rm -rf "$OUT"
buf generate --template buf.gen.gogo.yaml --path proto/farol

# Move generated files to their Go package directories.
if [[ ! -d "$OUT/$MODULE" ]]; then
  echo "no generated files under $OUT/$MODULE" >&2
  exit 1
fi
(
  cd "$OUT/$MODULE"
  find . -type f -name '*.go' | while read -r f; do
    mkdir -p "$ROOT/$(dirname "$f")"
    cp "$f" "$ROOT/$f"
    echo "  $f"
  done
)
rm -rf "$OUT"
echo "done"
