package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/farolnet/farol/app"
	"github.com/farolnet/farol/testutil/network"
	spntypes "github.com/farolnet/farol/x/spn/types"
)

// TestNetworkSPNRegistry starts two in-process validators and drives the SPN
// registry with real signed transactions, reading results back over gRPC and
// REST the way clients do.
func TestNetworkSPNRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process network")
	}
	net := network.New(t, network.DefaultConfig(2))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	admin, other := net.Validators[0], net.Validators[1]
	grpcAddr, err := network.GRPCAddress(net)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(grpcAddr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(codec.NewProtoCodec(net.Config.InterfaceRegistry).GRPCCodec())),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	spnQuery := spntypes.NewQueryClient(conn)
	bankQuery := banktypes.NewQueryClient(conn)

	params, err := spnQuery.Params(ctx, &spntypes.QueryParamsRequest{})
	if err != nil {
		t.Fatalf("query params: %v", err)
	}
	deposit := params.Params.RegistrationDeposit
	balance := func(addr sdk.AccAddress) sdkmath.Int {
		t.Helper()
		res, err := bankQuery.Balance(ctx, &banktypes.QueryBalanceRequest{Address: addr.String(), Denom: app.BondDenom})
		if err != nil {
			t.Fatalf("query balance: %v", err)
		}
		return res.Balance.Amount
	}

	// A valid registration: the deposit moves to the module, the SPN is
	// readable by id, by name and in the list.
	before := balance(admin.Address)
	res, err := network.SendTx(ctx, net, admin, &spntypes.MsgRegister{
		Admin:          admin.Address.String(),
		Name:           "first-spn",
		VMKind:         spntypes.VMKindEVM,
		SettlementMode: spntypes.SettlementModeZK,
		ChainID:        "first-spn-1",
		MaxDeposit:     deposit,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 {
		t.Fatalf("register refused: code %d: %s", res.Code, res.RawLog)
	}
	byName, err := spnQuery.SPNByName(ctx, &spntypes.QuerySPNByNameRequest{Name: "first-spn"})
	if err != nil {
		t.Fatalf("query by name: %v", err)
	}
	spn := byName.SPN
	if spn.ID != 1 || spn.Admin != admin.Address.String() || spn.ChainID != "first-spn-1" ||
		spn.VMKind != spntypes.VMKindEVM || spn.Status != spntypes.StatusPending {
		t.Fatalf("unexpected SPN: %+v", spn)
	}
	if !spn.Deposit.Equal(deposit) {
		t.Fatalf("deposit %s, want %s", spn.Deposit, deposit)
	}
	byID, err := spnQuery.SPN(ctx, &spntypes.QuerySPNRequest{Id: spn.ID})
	if err != nil || byID.SPN.Name != spn.Name {
		t.Fatalf("query by id: %v %+v", err, byID)
	}
	// Fees are zero on the test network, so the balance drops by exactly
	// the deposit.
	if spent := before.Sub(balance(admin.Address)); !spent.Equal(deposit.Amount) {
		t.Fatalf("admin paid %s, want the deposit %s", spent, deposit.Amount)
	}

	// A registration offering less than the deposit is refused and changes
	// nothing.
	lowOffer := sdk.NewCoin(deposit.Denom, deposit.Amount.QuoRaw(2))
	before = balance(admin.Address)
	res, err = network.SendTx(ctx, net, admin, &spntypes.MsgRegister{
		Admin:          admin.Address.String(),
		Name:           "cheap-spn",
		VMKind:         spntypes.VMKindWASM,
		SettlementMode: spntypes.SettlementModeTEE,
		ChainID:        "cheap-spn-1",
		MaxDeposit:     lowOffer,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Code == 0 || res.Codespace != spntypes.ModuleName {
		t.Fatalf("low-deposit register: code %d codespace %q, want an spn error", res.Code, res.Codespace)
	}
	if _, err := spnQuery.SPNByName(ctx, &spntypes.QuerySPNByNameRequest{Name: "cheap-spn"}); err == nil {
		t.Fatal("refused SPN was stored")
	}
	if after := balance(admin.Address); !after.Equal(before) {
		t.Fatalf("refused register moved funds: %s -> %s", before, after)
	}

	// Only the admin may update.
	newParams := spn.Params
	newParams.BatchIntervalBlocks++
	res, err = network.SendTx(ctx, net, other, &spntypes.MsgUpdate{Admin: other.Address.String(), ID: spn.ID, Params: newParams})
	if err != nil {
		t.Fatal(err)
	}
	if res.Code == 0 {
		t.Fatal("update by a non-admin was accepted")
	}
	res, err = network.SendTx(ctx, net, admin, &spntypes.MsgUpdate{Admin: admin.Address.String(), ID: spn.ID, Params: newParams})
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 {
		t.Fatalf("admin update refused: code %d: %s", res.Code, res.RawLog)
	}

	// The REST gateway serves the same list.
	list := restGet(t, fmt.Sprintf("%s/farol/spn/v1/spns", admin.APIAddress))
	var listed struct {
		SPNs []struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Params struct {
				BatchIntervalBlocks string `json:"batch_interval_blocks"`
			} `json:"params"`
		} `json:"spns"`
	}
	if err := json.Unmarshal(list, &listed); err != nil {
		t.Fatalf("decode REST list %s: %v", list, err)
	}
	if len(listed.SPNs) != 1 || listed.SPNs[0].Name != "first-spn" ||
		listed.SPNs[0].Params.BatchIntervalBlocks != fmt.Sprint(newParams.BatchIntervalBlocks) {
		t.Fatalf("REST list: %s", list)
	}
}

func restGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url) //nolint:gosec // test URL
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, body)
	}
	return body
}
