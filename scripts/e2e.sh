#!/usr/bin/env bash
# End-to-end test of the devnet as a user meets it: starts the devnet from
# the built binaries in a temporary data folder (ports shifted so it can run
# beside `make devnet`), then
#   - checks that the devnet's EVM SPN (and Wasm SPN, when this spnd runs
#     Wasm) is registered and ACTIVE in x/spn and produces blocks,
#   - registers, updates and lists an SPN with the farold CLI,
#   - checks that a bad registration is refused with a clear message,
#   - publishes a blob to the embedded DA, fetches it with its proof, samples,
#   - runs the CosmJS real-client test (balance query and token send),
#   - runs the ethers v6 + viem real-client test against the EVM SPN
#     (compile an ERC-20 with solc, deploy, transfer, receipts, logs,
#     eth_call, new heads over WebSocket),
#   - stops the devnet with SIGINT and checks it stopped cleanly,
#   - exports the stopped chain's state with `farold export`.
# Needs: build/farold, build/spnd and build/devnet (make build-node), node and npm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OFFSET="${E2E_PORT_OFFSET:-200}"
DATA="$(mktemp -d -t farol-e2e-XXXXXX)"
LOG="$DATA/devnet.out"
RPC_PORT=$((26657 + OFFSET))
FAROLD="$ROOT/build/farold"
HOME_DIR="$DATA/farold"
F=("$FAROLD" --home "$HOME_DIR")
DEVNET_PID=""

cleanup() {
  if [[ -n "$DEVNET_PID" ]] && kill -0 "$DEVNET_PID" 2>/dev/null; then
    kill -INT "$DEVNET_PID" 2>/dev/null || true
    wait "$DEVNET_PID" 2>/dev/null || true
  fi
  if [[ "${E2E_KEEP_DATA:-}" == "" ]]; then rm -rf "$DATA"; else echo "e2e data kept in $DATA"; fi
}
trap cleanup EXIT

fail() {
  echo "e2e FAIL: $*" >&2
  echo "--- devnet output (tail) ---" >&2
  tail -n 40 "$LOG" >&2 || true
  exit 1
}

step() { echo; echo "== $*"; }

step "start devnet in $DATA (port offset $OFFSET)"
./build/devnet -data "$DATA" -port-offset "$OFFSET" -bin build >"$LOG" 2>&1 &
DEVNET_PID=$!
for _ in $(seq 1 120); do
  grep -q "Farol devnet is running" "$LOG" && break
  kill -0 "$DEVNET_PID" 2>/dev/null || fail "devnet exited during start-up"
  sleep 1
done
grep -q "Farol devnet is running" "$LOG" || fail "devnet did not start within 120s"
# Wait for a couple of blocks past start-up.
for _ in $(seq 1 30); do
  [[ "$(grep -c '\[mainnet\] block' "$LOG")" -ge 2 ]] && break
  sleep 1
done
[[ "$(grep -c '\[mainnet\] block' "$LOG")" -ge 2 ]] || fail "no block lines printed"
echo "devnet up; $(grep -c '\[mainnet\] block' "$LOG") block lines so far"

# wait_tx HASH: wait until the tx is in a block and print its result code.
wait_tx() {
  local hash="$1" out
  for _ in $(seq 1 30); do
    if out="$("${F[@]}" query tx "$hash" --output json 2>/dev/null)"; then
      echo "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(r.code+" "+(r.raw_log||""))})'
      return 0
    fi
    sleep 1
  done
  return 1
}

# json_field JSON PATH: print a field of a JSON document (dot path).
json_field() {
  node -e 'const o=JSON.parse(process.argv[1]);let v=o;for(const k of process.argv[2].split("."))v=v?.[k];console.log(typeof v==="object"?JSON.stringify(v):v)' "$1" "$2"
}

# spn_count: the number of SPNs in the registry.
spn_count() { json_field "$("${F[@]}" query spn list --output json)" pagination.total; }

# comet_height URL: the latest block height of a CometBFT RPC.
comet_height() {
  node -e 'fetch(process.argv[1]+"/status").then(r=>r.json()).then(j=>console.log(j.result.sync_info.latest_block_height)).catch(e=>{console.error(e.message);process.exit(1)})' "$1"
}

step "the devnet's SPNs are registered, ACTIVE and producing blocks"
SPN_NAMES=(spn-evm)
if [[ "$(json_field "$(cat "$DATA/spn-wasm.json")" unsupported)" == "undefined" ]]; then
  SPN_NAMES+=(spn-wasm)
else
  echo "Wasm SPN not started by this spnd: $(json_field "$(cat "$DATA/spn-wasm.json")" unsupported)"
fi
for c in "${SPN_NAMES[@]}"; do
  INFO="$(cat "$DATA/$c.json")"
  REG="$(json_field "$INFO" registry_name)"
  REC="$("${F[@]}" query spn by-name "$REG" --output json)" || fail "$REG not registered"
  [[ "$(json_field "$REC" spn.status)" == "SPN_STATUS_ACTIVE" ]] || fail "$REG not active: $REC"
  [[ "$(json_field "$REC" spn.chain_id)" == "$(json_field "$INFO" chain_id)" ]] || fail "$REG has the wrong chain id: $REC"
  H1="$(comet_height "$(json_field "$INFO" comet_rpc)")" || fail "$c CometBFT RPC not answering"
  sleep 2
  H2="$(comet_height "$(json_field "$INFO" comet_rpc)")" || fail "$c CometBFT RPC not answering"
  [[ "$H2" -gt "$H1" ]] || fail "$c not producing blocks ($H1 -> $H2)"
  echo "$c: SPN #$(json_field "$REC" spn.id) $REG ACTIVE, chain $(json_field "$INFO" chain_id) at height $H2, RPC $(json_field "$INFO" rpc)"
  if [[ "$c" == "spn-wasm" ]]; then
    BAL="$(./build/spnd query wasm balance "$(json_field "$INFO" dev_address)" --node "$(json_field "$INFO" rpc)")" || fail "spnd query wasm balance failed"
    [[ "$(json_field "$BAL" balance)" =~ ^[1-9][0-9]*$ ]] || fail "Wasm SPN dev account not funded: $BAL"
    echo "$c: dev account $(json_field "$INFO" dev_address) holds $(json_field "$BAL" balance) (spnd query wasm balance)"
  fi
done
SPNS_BEFORE="$(spn_count)"

step "register an SPN with the CLI"
OUT="$("${F[@]}" tx spn register e2e-rollup evm zk e2e-rollup-1 1000000000ufrl --from dev1 -y --output json)"
HASH="$(json_field "$OUT" txhash)"
RESULT="$(wait_tx "$HASH")" || fail "register tx $HASH not included"
[[ "${RESULT%% *}" == "0" ]] || fail "register failed: $RESULT"
LIST="$("${F[@]}" query spn list --output json)"
[[ "$(json_field "$LIST" pagination.total)" == "$((SPNS_BEFORE + 1))" ]] || fail "SPN not listed: $LIST"
REC="$("${F[@]}" query spn by-name e2e-rollup --output json)" || fail "SPN not found by name: $LIST"
E2E_ID="$(json_field "$REC" spn.id)"
echo "listed: $(json_field "$REC" spn.name) id=$E2E_ID status=$(json_field "$REC" spn.status)"

step "update the SPN's parameters with the CLI"
OUT="$("${F[@]}" tx spn update "$E2E_ID" '{"batch_interval_blocks":"20","max_batch_bytes":"2097152","min_operators":1,"min_restaked_stake":"0"}' --from dev1 -y --output json)"
RESULT="$(wait_tx "$(json_field "$OUT" txhash)")" || fail "update tx not included"
[[ "${RESULT%% *}" == "0" ]] || fail "update failed: $RESULT"
SHOW="$("${F[@]}" query spn show "$E2E_ID" --output json)"
[[ "$(json_field "$SHOW" spn.params.batch_interval_blocks)" == "20" ]] || fail "update not applied: $SHOW"
echo "updated: batch_interval_blocks=$(json_field "$SHOW" spn.params.batch_interval_blocks)"

step "a bad registration is refused with a clear message"
set +e
BAD="$("${F[@]}" tx spn register "Bad Name" evm zk bad-1 1000000000ufrl --from dev1 -y --output json 2>&1)"
set -e
echo "$BAD" | grep -q "invalid SPN name" || fail "bad name not refused clearly: $BAD"
echo "refused: $(json_field "$BAD" raw_log 2>/dev/null || echo "$BAD")"
set +e
OUT="$("${F[@]}" tx spn register e2e-rollup wasm tee other-1 1000000000ufrl --from dev2 -y --output json 2>&1)"
set -e
if [[ "$(json_field "$OUT" code 2>/dev/null)" == "0" ]]; then
  RESULT="$(wait_tx "$(json_field "$OUT" txhash)")" || fail "duplicate tx not included"
else
  RESULT="$(json_field "$OUT" code) $(json_field "$OUT" raw_log)"
fi
[[ "${RESULT%% *}" != "0" ]] || fail "duplicate name accepted"
echo "refused duplicate: ${RESULT#* }"
[[ "$(spn_count)" == "$((SPNS_BEFORE + 1))" ]] || fail "a refused registration changed the list"

step "publish a blob to the embedded DA, fetch it with its proof, sample the square"
GRPC="127.0.0.1:$((9090 + OFFSET))"
head -c 20000 /dev/urandom >"$DATA/blob.in"
OUT="$("${F[@]}" da submit "$DATA/blob.in" --namespace 0e2e --from dev2 --fees 500000ufrl --da-grpc "$GRPC")" || fail "da submit failed: $OUT"
DA_HEIGHT="$(json_field "$OUT" height)"
DA_COMMIT="$(json_field "$OUT" commitment)"
echo "blob at height $DA_HEIGHT, commitment $DA_COMMIT"
"${F[@]}" da get "$DA_HEIGHT" "$DA_COMMIT" --namespace 0e2e --out "$DATA/blob.out" --da-grpc "$GRPC" || fail "da get failed"
cmp -s "$DATA/blob.in" "$DATA/blob.out" || fail "fetched blob differs from the submitted one"
SAMPLE="$("${F[@]}" da sample "$DA_HEIGHT" --da-grpc "$GRPC")" || fail "da sample failed"
[[ "$(json_field "$SAMPLE" failed)" == "[]" ]] || fail "sampling an honest node failed: $SAMPLE"
echo "fetched blob identical, proof verified; sampled $(json_field "$SAMPLE" checked) shares"

step "CosmJS real-client test"
(
  cd e2e/cosmjs
  [[ -d node_modules ]] || npm ci --no-audit --no-fund
  FAROL_RPC="http://127.0.0.1:$RPC_PORT" FAROL_ACCOUNTS="$DATA/accounts.json" node bank.test.mjs
) || fail "CosmJS test failed"

step "ethers v6 + viem real-client test on the EVM SPN"
(
  cd e2e/ethers
  [[ -d node_modules ]] || npm ci --no-audit --no-fund
  SPN_INFO="$DATA/spn-evm.json" node spn.test.mjs
) || fail "ethers/viem test failed"

step "stop the devnet with Ctrl-C (SIGINT)"
kill -INT "$DEVNET_PID"
for _ in $(seq 1 30); do kill -0 "$DEVNET_PID" 2>/dev/null || break; sleep 1; done
kill -0 "$DEVNET_PID" 2>/dev/null && fail "devnet still running 30s after SIGINT"
wait "$DEVNET_PID" || fail "devnet exited with an error after SIGINT"
DEVNET_PID=""
grep -q "\[mainnet\] stopped" "$LOG" || fail "mainnet did not report a clean stop"
for c in "${SPN_NAMES[@]}"; do
  grep -q "\[$c\] stopped" "$LOG" || fail "$c did not report a clean stop"
done
echo "stopped cleanly"

step "export the stopped chain"
EXPORT="$("$FAROLD" export --home "$HOME_DIR" 2>/dev/null)"
echo "$EXPORT" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const g=JSON.parse(s);const spns=g.app_state.spn.spns;if(spns.length!==Number(process.argv[1])||!spns.some(x=>x.name==="e2e-rollup")){console.error("export lost an SPN");process.exit(1)}console.log("exported height "+g.initial_height+", spns: "+spns.map(x=>x.name).join(","))})' "$((SPNS_BEFORE + 1))" || fail "export check failed"

echo
echo "e2e: all checks passed"
