# Farol — make targets. `make help` lists them.
#
# Everything a target needs is installed by the target itself (Go modules,
# pinned protobuf tools into build/bin, npm packages from package-lock.json).

GO        ?= go
BUILD_DIR ?= build
# Extra flags for the devnet command, e.g. DEVNET_FLAGS="-dev-keys 5".
DEVNET_FLAGS ?=
# KEEP=1 keeps the existing devnet data folder and continues its chain.
KEEP ?=
# Packages whose tests run under the race detector in `make test`.
RACE_PKGS ?= ./spn/exec/... ./spn/mpt/...
# Timeout for the unit + integration suite.
TEST_TIMEOUT ?= 18m

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n\nTargets:\n"} /^[a-zA-Z0-9_-]+:.*##/ { printf "  %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

.PHONY: build
build: build-node ## Build farold, spnd, devnet and farol-bench into ./build
	$(GO) build -o $(BUILD_DIR)/farol-bench ./cmd/farol-bench

.PHONY: build-node
build-node: ## Build only what the devnet runs (farold, spnd, devnet)
	$(GO) build -o $(BUILD_DIR)/farold ./cmd/farold
	$(GO) build -o $(BUILD_DIR)/spnd ./cmd/spnd
	$(GO) build -o $(BUILD_DIR)/devnet ./cmd/devnet

.PHONY: install
install: ## Install farold into $GOBIN
	$(GO) install ./cmd/farold

.PHONY: devnet
devnet: build-node ## Build and run a local devnet (fresh data in ./data/devnet; KEEP=1 continues the existing chain)
	./$(BUILD_DIR)/devnet -bin $(BUILD_DIR) $(if $(KEEP),-keep,) $(DEVNET_FLAGS)

.PHONY: test
test: test-unit test-race ## Run the unit and integration tests (what CI runs)

.PHONY: test-unit
test-unit: ## Unit and integration tests of every package (in-process networks included)
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

.PHONY: test-short
test-short: ## Unit tests only: skips in-process networks and long property runs
	$(GO) test -short ./...

.PHONY: test-race
test-race: ## Concurrency-critical packages under the race detector
	$(GO) test -race -timeout 10m $(RACE_PKGS)

.PHONY: test-e2e
test-e2e: build-node ## End-to-end: devnet (mainnet + SPNs) + farold CLI + CosmJS + ethers/viem on the EVM SPN (needs node and npm)
	./scripts/e2e.sh

.PHONY: test-fuzz
test-fuzz: ## Run each fuzz target for FUZZTIME (default 30s)
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list 'Fuzz.*' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-30s} $$pkg || exit 1; \
		done; \
	done

.PHONY: test-long
test-long: ## Long property runs: thousands of seeds for spn/exec, spn/evm and spn/wasm (tens of minutes)
	FAROL_LONG=1 $(GO) test -race -timeout 60m ./spn/exec/...
	FAROL_LONG=1 $(GO) test -timeout 60m ./spn/evm/... ./spn/wasm/...

.PHONY: bench
bench: bench-exec bench-evm bench-wasm bench-da bench-spn ## Run every benchmark (results and commands in docs/bench/)

.PHONY: bench-exec
bench-exec: build ## Block-STM executor vs sequential (docs/bench/exec.md)
	./$(BUILD_DIR)/farol-bench exec

.PHONY: bench-evm
bench-evm: build ## spn/evm vs stock go-ethereum (docs/bench/evm.md)
	./$(BUILD_DIR)/farol-bench evm

.PHONY: bench-wasm
bench-wasm: build ## spn/wasm token transfers and AMM swaps (docs/bench/wasm.md)
	./$(BUILD_DIR)/farol-bench wasm

.PHONY: bench-da
bench-da: build ## DA square build, erasure extension and roots (docs/bench/da.md)
	./$(BUILD_DIR)/farol-bench da

.PHONY: bench-spn
bench-spn: build ## EVM SPN node: ERC-20 transfers over JSON-RPC, tx/s and latency (docs/bench/spn.md)
	./$(BUILD_DIR)/farol-bench spn

.PHONY: lint
lint: ## gofmt and go vet
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

.PHONY: proto-gen
proto-gen: ## Regenerate Go code from proto/ (installs pinned buf and plugins into build/bin)
	./scripts/proto-gen.sh

.PHONY: proto-lint
proto-lint: ## Lint the protobuf files with buf
	./scripts/proto-gen.sh lint

.PHONY: clean
clean: ## Remove build outputs and devnet data
	rm -rf $(BUILD_DIR) data
