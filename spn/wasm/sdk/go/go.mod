module github.com/farolnet/farol/spn/wasm/sdk/go

go 1.26
