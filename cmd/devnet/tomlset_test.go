package main

import (
	"strings"
	"testing"
)

func TestSetTOMLLines(t *testing.T) {
	doc := `# top comment
minimum-gas-prices = "0.0025ufrl"

[rpc]
# the address
laddr = "tcp://127.0.0.1:26657"
cors_allowed_origins = []

[grpc-web]
enable = true

[grpc]
enable = false # trailing
`
	out, err := setTOMLLines(doc, []tomlSetting{
		{"app", "minimum-gas-prices", tomlString("0ufrl")},
		{"app", "rpc.laddr", tomlString("tcp://127.0.0.1:1")},
		{"app", "rpc.cors_allowed_origins", `["*"]`},
		{"app", "grpc.enable", "true"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# top comment", `minimum-gas-prices = "0ufrl"`, "# the address",
		`laddr = "tcp://127.0.0.1:1"`, `cors_allowed_origins = ["*"]`, "[grpc-web]\nenable = true", "[grpc]\nenable = true\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := setTOMLLines(doc, []tomlSetting{{"app", "api.enable", "true"}}); err == nil {
		t.Fatal("a missing key was not reported")
	}
}
