#!/usr/bin/env bash
# Regenerates spn/evm/evmtest/contracts.json (embedded by package evmtest) from contracts/*.sol with the pinned solc
# (package.json / package-lock.json). Tests read only that file; they never need node.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund >/dev/null
node compile.js > ../evmtest/contracts.json
echo "wrote $(cd ../evmtest && pwd)/contracts.json"
