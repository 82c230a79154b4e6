package keeper_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/farolnet/farol/x/spn/types"
)

var (
	alice = addr("alice")
	bob   = addr("bob")
	carol = addr("carol")
)

const (
	evEventRegistered  = "farol.spn.v1.EventRegistered"
	evUpdated          = "farol.spn.v1.EventUpdated"
	evAdminTransferred = "farol.spn.v1.EventAdminTransferred"
	evStatusChanged    = "farol.spn.v1.EventStatusChanged"
	evRetired          = "farol.spn.v1.EventRetired"
	evParamsUpdated    = "farol.spn.v1.EventParamsUpdated"
)

func TestRegister(t *testing.T) {
	f := newFixture(t)
	f.fund(alice, frl(5000))

	msg := registerMsg(alice, "rollup-one")
	msg.MaxDeposit = frl(2000) // offered more: exactly the param is charged
	var res *types.MsgRegisterResponse
	evs := f.events(func(ctx sdk.Context) (err error) {
		res, err = f.msg.Register(ctx, msg)
		return err
	})
	require.Equal(t, []string{evEventRegistered}, evs)
	require.Equal(t, uint64(1), res.ID)

	got := f.get(1)
	require.Equal(t, types.SPN{
		ID:             1,
		Name:           "rollup-one",
		VMKind:         types.VMKindEVM,
		SettlementMode: types.SettlementModeZK,
		ChainID:        "rollup-one-1",
		Admin:          alice,
		DANamespace:    types.DeriveNamespace(1).Bytes(),
		Status:         types.StatusPending,
		Params:         types.DefaultSPNParams(),
		Deposit:        types.DefaultRegistrationDeposit,
		CreatedHeight:  7,
	}, got)
	require.Equal(t, frl(4000).Amount, f.balance(alice))
	require.Equal(t, frl(1000).Amount, f.moduleBalance())

	// Ids are sequential; explicit params are stored as given.
	p := types.SPNParams{BatchIntervalBlocks: 3, MaxBatchBytes: 4096, MinOperators: 2, MinRestakedStake: math.ZeroInt()}
	msg2 := registerMsg(alice, "wasm-two")
	msg2.VMKind, msg2.SettlementMode, msg2.Params = types.VMKindWASM, types.SettlementModeTEE, &p
	require.Equal(t, uint64(2), f.register(msg2))
	got2 := f.get(2)
	require.Equal(t, p, got2.Params)
	require.Equal(t, types.VMKindWASM, got2.VMKind)
	require.Equal(t, types.SettlementModeTEE, got2.SettlementMode)
	require.Equal(t, frl(3000).Amount, f.balance(alice))
	require.Equal(t, frl(2000).Amount, f.moduleBalance())

	byName, err := f.k.GetSPNByName(f.ctx, "wasm-two")
	require.NoError(t, err)
	require.Equal(t, got2, byName)
}

func TestRegisterAutoActivate(t *testing.T) {
	f := newFixture(t)
	f.fund(alice, frl(1000))
	p := types.DefaultParams()
	p.AutoActivate = true
	require.NoError(t, f.k.SetParams(f.ctx, p))

	evs := f.events(func(ctx sdk.Context) error {
		_, err := f.msg.Register(ctx, registerMsg(alice, "auto"))
		return err
	})
	require.Equal(t, []string{evEventRegistered, evStatusChanged}, evs)
	require.Equal(t, types.StatusActive, f.get(1).Status)
	require.True(t, f.balance(alice).IsZero())
}

func TestRegisterZeroDeposit(t *testing.T) {
	f := newFixture(t)
	p := types.DefaultParams()
	p.RegistrationDeposit = sdk.NewCoin(denom, math.ZeroInt())
	require.NoError(t, f.k.SetParams(f.ctx, p))
	msg := registerMsg(carol, "free") // carol has no account and no funds
	msg.MaxDeposit = sdk.NewCoin(denom, math.ZeroInt())
	f.register(msg)
	require.Equal(t, p.RegistrationDeposit, f.get(1).Deposit)
}

func TestRegisterFailures(t *testing.T) {
	f := newFixture(t)
	f.fund(alice, frl(5000))
	f.fund(bob, frl(10))
	f.register(registerMsg(alice, "taken"))
	p := types.DefaultParams()
	p.MaxNameLength = 10
	require.NoError(t, f.k.SetParams(f.ctx, p))

	params := func(mut func(*types.SPNParams)) *types.SPNParams {
		sp := types.DefaultSPNParams()
		mut(&sp)
		return &sp
	}
	cases := []struct {
		name string
		mut  func(m *types.MsgRegister)
		want error
	}{
		{"empty admin", func(m *types.MsgRegister) { m.Admin = "" }, types.ErrInvalidAddress},
		{"bad admin", func(m *types.MsgRegister) { m.Admin = "cosmos1notanaddress" }, types.ErrInvalidAddress},
		{"admin wrong prefix", func(m *types.MsgRegister) { m.Admin = farolPrefixed(alice) }, types.ErrInvalidAddress},
		{"empty name", func(m *types.MsgRegister) { m.Name = "" }, types.ErrInvalidName},
		{"short name", func(m *types.MsgRegister) { m.Name = "ab" }, types.ErrInvalidName},
		{"name over param max", func(m *types.MsgRegister) { m.Name = "abcdefghijk" }, types.ErrInvalidName},
		{"name over hard max", func(m *types.MsgRegister) { m.Name = strings.Repeat("a", 65) }, types.ErrInvalidName},
		{"uppercase name", func(m *types.MsgRegister) { m.Name = "Rollup" }, types.ErrInvalidName},
		{"name starts with digit", func(m *types.MsgRegister) { m.Name = "1rollup" }, types.ErrInvalidName},
		{"name starts with dash", func(m *types.MsgRegister) { m.Name = "-rollup" }, types.ErrInvalidName},
		{"name ends with dash", func(m *types.MsgRegister) { m.Name = "rollup-" }, types.ErrInvalidName},
		{"non-printable name", func(m *types.MsgRegister) { m.Name = "roll\x00up" }, types.ErrInvalidName},
		{"unicode name", func(m *types.MsgRegister) { m.Name = "rollüp" }, types.ErrInvalidName},
		{"space in name", func(m *types.MsgRegister) { m.Name = "roll up" }, types.ErrInvalidName},
		{"duplicate name", func(m *types.MsgRegister) { m.Name = "taken"; m.ChainID = "other-1" }, types.ErrNameTaken},
		{"unspecified vm", func(m *types.MsgRegister) { m.VMKind = types.VMKindUnspecified }, types.ErrInvalidVMKind},
		{"unknown vm", func(m *types.MsgRegister) { m.VMKind = 99 }, types.ErrInvalidVMKind},
		{"unspecified mode", func(m *types.MsgRegister) { m.SettlementMode = types.SettlementModeUnspecified }, types.ErrInvalidSettlementMode},
		{"unknown mode", func(m *types.MsgRegister) { m.SettlementMode = 7 }, types.ErrInvalidSettlementMode},
		{"empty chain id", func(m *types.MsgRegister) { m.ChainID = "" }, types.ErrInvalidChainID},
		{"long chain id", func(m *types.MsgRegister) { m.ChainID = strings.Repeat("c", 51) }, types.ErrInvalidChainID},
		{"uppercase chain id", func(m *types.MsgRegister) { m.ChainID = "Rollup-1" }, types.ErrInvalidChainID},
		{"chain id starts with dot", func(m *types.MsgRegister) { m.ChainID = ".rollup" }, types.ErrInvalidChainID},
		{"chain id with space", func(m *types.MsgRegister) { m.ChainID = "rollup 1" }, types.ErrInvalidChainID},
		{"mainnet chain id", func(m *types.MsgRegister) { m.ChainID = mainnetChainID }, types.ErrInvalidChainID},
		{"duplicate chain id", func(m *types.MsgRegister) { m.ChainID = "taken-1" }, types.ErrChainIDTaken},
		{"zero batch interval", func(m *types.MsgRegister) {
			m.Params = params(func(p *types.SPNParams) { p.BatchIntervalBlocks = 0 })
		}, types.ErrInvalidSPNParams},
		{"zero max batch bytes", func(m *types.MsgRegister) {
			m.Params = params(func(p *types.SPNParams) { p.MaxBatchBytes = 0 })
		}, types.ErrInvalidSPNParams},
		{"max batch bytes above limit", func(m *types.MsgRegister) {
			m.Params = params(func(p *types.SPNParams) { p.MaxBatchBytes = types.DefaultMaxBatchBytesLimit + 1 })
		}, types.ErrInvalidSPNParams},
		{"zero min operators", func(m *types.MsgRegister) {
			m.Params = params(func(p *types.SPNParams) { p.MinOperators = 0 })
		}, types.ErrInvalidSPNParams},
		{"negative min stake", func(m *types.MsgRegister) {
			m.Params = params(func(p *types.SPNParams) { p.MinRestakedStake = math.NewInt(-1) })
		}, types.ErrInvalidSPNParams},
		{"nil min stake", func(m *types.MsgRegister) {
			m.Params = params(func(p *types.SPNParams) { p.MinRestakedStake = math.Int{} })
		}, types.ErrInvalidSPNParams},
		{"deposit below param", func(m *types.MsgRegister) { m.MaxDeposit = frl(999) }, types.ErrDepositTooLow},
		{"deposit one below param", func(m *types.MsgRegister) {
			m.MaxDeposit = sdk.NewCoin(denom, types.DefaultRegistrationDeposit.Amount.SubRaw(1))
		}, types.ErrDepositTooLow},
		{"deposit wrong denom", func(m *types.MsgRegister) { m.MaxDeposit = sdk.NewInt64Coin("uatom", 2_000_000_000) }, types.ErrInvalidDeposit},
		{"deposit negative", func(m *types.MsgRegister) { m.MaxDeposit = sdk.Coin{Denom: denom, Amount: math.NewInt(-5)} }, types.ErrInvalidDeposit},
		{"deposit unset", func(m *types.MsgRegister) { m.MaxDeposit = sdk.Coin{} }, types.ErrInvalidDeposit},
		{"deposit bad denom", func(m *types.MsgRegister) { m.MaxDeposit = sdk.Coin{Denom: "!", Amount: math.NewInt(5)} }, types.ErrInvalidDeposit},
		{"insufficient funds", func(m *types.MsgRegister) { m.Admin = bob }, types.ErrInsufficientFunds},
		{"no account", func(m *types.MsgRegister) { m.Admin = carol }, types.ErrInsufficientFunds},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := registerMsg(alice, "fresh")
			tc.mut(msg)
			f.requireFailsCleanly(tc.want, func(ctx sdk.Context) error {
				_, err := f.msg.Register(ctx, msg)
				return err
			})
		})
	}
	// The stateless part agrees with ValidateBasic for every case it can see.
	m := registerMsg(alice, "fresh")
	require.NoError(t, m.ValidateBasic())
	// And the valid message still goes through afterwards.
	require.Equal(t, uint64(2), f.register(registerMsg(alice, "fresh")))
}

// farolPrefixed re-encodes a cosmos1... address with the "farol" prefix: a
// well-formed address that the keeper's codec must refuse.
func farolPrefixed(a string) string {
	s, err := addresscodec.NewBech32Codec("farol").BytesToString(accAddr(a))
	if err != nil {
		panic(err)
	}
	return s
}

// setup returns a fixture with alice funded and SPN 1 ("one", PENDING, admin
// alice) registered.
func setup(t *testing.T) *fixture {
	f := newFixture(t)
	f.fund(alice, frl(10_000))
	f.fund(bob, frl(10_000))
	require.Equal(t, uint64(1), f.register(registerMsg(alice, "one")))
	return f
}

func (f *fixture) activate(id uint64) {
	f.t.Helper()
	_, err := f.msg.Activate(f.ctx, &types.MsgActivate{Authority: f.authority, ID: id})
	require.NoError(f.t, err)
}

func (f *fixture) retire(id uint64) {
	f.t.Helper()
	_, err := f.msg.Retire(f.ctx, &types.MsgRetire{Admin: f.get(id).Admin, ID: id})
	require.NoError(f.t, err)
}

func TestUpdate(t *testing.T) {
	f := setup(t)
	p := types.SPNParams{BatchIntervalBlocks: 20, MaxBatchBytes: 2 << 20, MinOperators: 3, MinRestakedStake: math.NewInt(5)}
	evs := f.events(func(ctx sdk.Context) error {
		_, err := f.msg.Update(ctx, &types.MsgUpdate{Admin: alice, ID: 1, Params: p})
		return err
	})
	require.Equal(t, []string{evUpdated}, evs)
	got := f.get(1)
	require.Equal(t, p, got.Params)
	require.Equal(t, types.VMKindEVM, got.VMKind)
	require.Equal(t, types.SettlementModeZK, got.SettlementMode)

	// Update is allowed while ACTIVE and PAUSED too.
	f.activate(1)
	_, err := f.msg.Update(f.ctx, &types.MsgUpdate{Admin: alice, ID: 1, Params: types.DefaultSPNParams()})
	require.NoError(t, err)
	_, err = f.msg.Pause(f.ctx, &types.MsgPause{Admin: alice, ID: 1})
	require.NoError(t, err)
	_, err = f.msg.Update(f.ctx, &types.MsgUpdate{Admin: alice, ID: 1, Params: p})
	require.NoError(t, err)
}

func TestUpdateFailures(t *testing.T) {
	f := setup(t)
	require.Equal(t, uint64(2), f.register(registerMsg(alice, "two")))
	f.retire(2)

	good := types.DefaultSPNParams()
	bad := func(mut func(*types.SPNParams)) types.SPNParams {
		p := types.DefaultSPNParams()
		mut(&p)
		return p
	}
	cases := []struct {
		name string
		msg  types.MsgUpdate
		want error
	}{
		{"bad signer", types.MsgUpdate{Admin: "nope", ID: 1, Params: good}, types.ErrInvalidAddress},
		{"zero id", types.MsgUpdate{Admin: alice, ID: 0, Params: good}, types.ErrInvalidID},
		{"unknown id", types.MsgUpdate{Admin: alice, ID: 9, Params: good}, types.ErrSPNNotFound},
		{"not admin", types.MsgUpdate{Admin: bob, ID: 1, Params: good}, types.ErrUnauthorized},
		{"not admin, bad params", types.MsgUpdate{Admin: bob, ID: 1, Params: types.SPNParams{}}, types.ErrUnauthorized},
		{"retired", types.MsgUpdate{Admin: alice, ID: 2, Params: good}, types.ErrSPNRetired},
		{"zero batch interval", types.MsgUpdate{Admin: alice, ID: 1, Params: bad(func(p *types.SPNParams) { p.BatchIntervalBlocks = 0 })}, types.ErrInvalidSPNParams},
		{"zero max batch bytes", types.MsgUpdate{Admin: alice, ID: 1, Params: bad(func(p *types.SPNParams) { p.MaxBatchBytes = 0 })}, types.ErrInvalidSPNParams},
		{"max batch bytes above limit", types.MsgUpdate{Admin: alice, ID: 1, Params: bad(func(p *types.SPNParams) { p.MaxBatchBytes = 1 << 40 })}, types.ErrInvalidSPNParams},
		{"zero min operators", types.MsgUpdate{Admin: alice, ID: 1, Params: bad(func(p *types.SPNParams) { p.MinOperators = 0 })}, types.ErrInvalidSPNParams},
		{"negative stake", types.MsgUpdate{Admin: alice, ID: 1, Params: bad(func(p *types.SPNParams) { p.MinRestakedStake = math.NewInt(-1) })}, types.ErrInvalidSPNParams},
		{"nil stake", types.MsgUpdate{Admin: alice, ID: 1, Params: bad(func(p *types.SPNParams) { p.MinRestakedStake = math.Int{} })}, types.ErrInvalidSPNParams},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.requireFailsCleanly(tc.want, func(ctx sdk.Context) error {
				_, err := f.msg.Update(ctx, &tc.msg)
				return err
			})
		})
	}
}

func TestTransferAdmin(t *testing.T) {
	f := setup(t)
	evs := f.events(func(ctx sdk.Context) error {
		_, err := f.msg.TransferAdmin(ctx, &types.MsgTransferAdmin{Admin: alice, ID: 1, NewAdmin: bob})
		return err
	})
	require.Equal(t, []string{evAdminTransferred}, evs)
	require.Equal(t, bob, f.get(1).Admin)

	// The old admin has lost every right; the new one has them.
	_, err := f.msg.Pause(f.ctx, &types.MsgPause{Admin: alice, ID: 1})
	require.ErrorIs(t, err, types.ErrUnauthorized)
	_, err = f.msg.Update(f.ctx, &types.MsgUpdate{Admin: bob, ID: 1, Params: types.DefaultSPNParams()})
	require.NoError(t, err)

	// The refund on retirement goes to the current admin.
	aliceBefore, bobBefore := f.balance(alice), f.balance(bob)
	_, err = f.msg.Retire(f.ctx, &types.MsgRetire{Admin: bob, ID: 1})
	require.NoError(t, err)
	require.Equal(t, aliceBefore, f.balance(alice))
	require.Equal(t, bobBefore.Add(types.DefaultRegistrationDeposit.Amount), f.balance(bob))
}

func TestTransferAdminFailures(t *testing.T) {
	f := setup(t)
	require.Equal(t, uint64(2), f.register(registerMsg(alice, "two")))
	f.retire(2)
	cases := []struct {
		name string
		msg  types.MsgTransferAdmin
		want error
	}{
		{"bad signer", types.MsgTransferAdmin{Admin: "x", ID: 1, NewAdmin: bob}, types.ErrInvalidAddress},
		{"zero id", types.MsgTransferAdmin{Admin: alice, ID: 0, NewAdmin: bob}, types.ErrInvalidID},
		{"unknown id", types.MsgTransferAdmin{Admin: alice, ID: 3, NewAdmin: bob}, types.ErrSPNNotFound},
		{"not admin", types.MsgTransferAdmin{Admin: bob, ID: 1, NewAdmin: bob}, types.ErrUnauthorized},
		{"retired", types.MsgTransferAdmin{Admin: alice, ID: 2, NewAdmin: bob}, types.ErrSPNRetired},
		{"empty new admin", types.MsgTransferAdmin{Admin: alice, ID: 1, NewAdmin: ""}, types.ErrInvalidAddress},
		{"bad new admin", types.MsgTransferAdmin{Admin: alice, ID: 1, NewAdmin: "cosmos1zzz"}, types.ErrInvalidAddress},
		{"same admin", types.MsgTransferAdmin{Admin: alice, ID: 1, NewAdmin: alice}, types.ErrSameAdmin},
		{"same admin other case", types.MsgTransferAdmin{Admin: alice, ID: 1, NewAdmin: strings.ToUpper(alice)}, types.ErrSameAdmin},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.requireFailsCleanly(tc.want, func(ctx sdk.Context) error {
				_, err := f.msg.TransferAdmin(ctx, &tc.msg)
				return err
			})
		})
	}
}

func TestPauseResume(t *testing.T) {
	f := setup(t)
	f.activate(1)
	evs := f.events(func(ctx sdk.Context) error {
		_, err := f.msg.Pause(ctx, &types.MsgPause{Admin: alice, ID: 1})
		return err
	})
	require.Equal(t, []string{evStatusChanged}, evs)
	require.Equal(t, types.StatusPaused, f.get(1).Status)
	evs = f.events(func(ctx sdk.Context) error {
		_, err := f.msg.Resume(ctx, &types.MsgResume{Admin: alice, ID: 1})
		return err
	})
	require.Equal(t, []string{evStatusChanged}, evs)
	require.Equal(t, types.StatusActive, f.get(1).Status)
}

func TestPauseResumeFailures(t *testing.T) {
	f := setup(t) // 1: PENDING
	for _, name := range []string{"two", "three", "four"} {
		f.register(registerMsg(alice, name))
	}
	f.activate(2) // 2: ACTIVE
	f.activate(3)
	_, err := f.msg.Pause(f.ctx, &types.MsgPause{Admin: alice, ID: 3})
	require.NoError(t, err) // 3: PAUSED
	f.retire(4)             // 4: RETIRED

	pause := func(admin string, id uint64) func(sdk.Context) error {
		return func(ctx sdk.Context) error {
			_, err := f.msg.Pause(ctx, &types.MsgPause{Admin: admin, ID: id})
			return err
		}
	}
	resume := func(admin string, id uint64) func(sdk.Context) error {
		return func(ctx sdk.Context) error {
			_, err := f.msg.Resume(ctx, &types.MsgResume{Admin: admin, ID: id})
			return err
		}
	}
	cases := []struct {
		name string
		fn   func(sdk.Context) error
		want error
	}{
		{"pause bad signer", pause("", 2), types.ErrInvalidAddress},
		{"pause zero id", pause(alice, 0), types.ErrInvalidID},
		{"pause unknown", pause(alice, 99), types.ErrSPNNotFound},
		{"pause not admin", pause(bob, 2), types.ErrUnauthorized},
		{"pause pending", pause(alice, 1), types.ErrInvalidStatus},
		{"pause paused", pause(alice, 3), types.ErrInvalidStatus},
		{"pause retired", pause(alice, 4), types.ErrSPNRetired},
		{"resume bad signer", resume("bad", 3), types.ErrInvalidAddress},
		{"resume zero id", resume(alice, 0), types.ErrInvalidID},
		{"resume unknown", resume(alice, 99), types.ErrSPNNotFound},
		{"resume not admin", resume(bob, 3), types.ErrUnauthorized},
		{"resume pending", resume(alice, 1), types.ErrInvalidStatus},
		{"resume active", resume(alice, 2), types.ErrInvalidStatus},
		{"resume retired", resume(alice, 4), types.ErrSPNRetired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { f.requireFailsCleanly(tc.want, tc.fn) })
	}
}

func TestRetire(t *testing.T) {
	for _, from := range []types.SPNStatus{types.StatusPending, types.StatusActive, types.StatusPaused} {
		t.Run(from.String(), func(t *testing.T) {
			f := setup(t)
			if from != types.StatusPending {
				require.NoError(t, f.k.SetStatus(f.ctx, 1, from))
			}
			before := f.balance(alice)
			var res *types.MsgRetireResponse
			evs := f.events(func(ctx sdk.Context) (err error) {
				res, err = f.msg.Retire(ctx, &types.MsgRetire{Admin: alice, ID: 1})
				return err
			})
			require.Equal(t, []string{evStatusChanged, evRetired}, evs)
			require.Equal(t, types.DefaultRegistrationDeposit, res.Refund)
			require.Equal(t, before.Add(res.Refund.Amount), f.balance(alice))
			require.True(t, f.moduleBalance().IsZero())
			got := f.get(1)
			require.Equal(t, types.StatusRetired, got.Status)
			require.Equal(t, types.DefaultRegistrationDeposit, got.Deposit, "the record keeps the paid amount")

			// Name and chain id stay reserved.
			_, err := f.msg.Register(f.ctx, registerMsg(alice, "one"))
			require.ErrorIs(t, err, types.ErrNameTaken)
			m := registerMsg(alice, "uno")
			m.ChainID = "one-1"
			_, err = f.msg.Register(f.ctx, m)
			require.ErrorIs(t, err, types.ErrChainIDTaken)
		})
	}
}

func TestRetireFailures(t *testing.T) {
	f := setup(t)
	f.register(registerMsg(alice, "two"))
	f.retire(2)
	retire := func(admin string, id uint64) func(sdk.Context) error {
		return func(ctx sdk.Context) error {
			_, err := f.msg.Retire(ctx, &types.MsgRetire{Admin: admin, ID: id})
			return err
		}
	}
	cases := []struct {
		name string
		fn   func(sdk.Context) error
		want error
	}{
		{"bad signer", retire("cosmos1", 1), types.ErrInvalidAddress},
		{"zero id", retire(alice, 0), types.ErrInvalidID},
		{"unknown", retire(alice, 3), types.ErrSPNNotFound},
		{"not admin", retire(bob, 1), types.ErrUnauthorized},
		{"already retired", retire(alice, 2), types.ErrSPNRetired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { f.requireFailsCleanly(tc.want, tc.fn) })
	}
}

// TestRetiredRefusesEverything: every message on a retired SPN fails with
// ErrSPNRetired and changes nothing (MsgActivate and the keeper methods too).
func TestRetiredRefusesEverything(t *testing.T) {
	f := setup(t)
	f.retire(1)
	fns := map[string]func(sdk.Context) error{
		"update": func(ctx sdk.Context) error {
			_, err := f.msg.Update(ctx, &types.MsgUpdate{Admin: alice, ID: 1, Params: types.DefaultSPNParams()})
			return err
		},
		"transfer": func(ctx sdk.Context) error {
			_, err := f.msg.TransferAdmin(ctx, &types.MsgTransferAdmin{Admin: alice, ID: 1, NewAdmin: bob})
			return err
		},
		"pause": func(ctx sdk.Context) error {
			_, err := f.msg.Pause(ctx, &types.MsgPause{Admin: alice, ID: 1})
			return err
		},
		"resume": func(ctx sdk.Context) error {
			_, err := f.msg.Resume(ctx, &types.MsgResume{Admin: alice, ID: 1})
			return err
		},
		"retire": func(ctx sdk.Context) error {
			_, err := f.msg.Retire(ctx, &types.MsgRetire{Admin: alice, ID: 1})
			return err
		},
		"activate": func(ctx sdk.Context) error {
			_, err := f.msg.Activate(ctx, &types.MsgActivate{Authority: f.authority, ID: 1})
			return err
		},
		"keeper.Activate":  func(ctx sdk.Context) error { return f.k.Activate(ctx, 1) },
		"keeper.SetStatus": func(ctx sdk.Context) error { return f.k.SetStatus(ctx, 1, types.StatusActive) },
	}
	for name, fn := range fns {
		t.Run(name, func(t *testing.T) { f.requireFailsCleanly(types.ErrSPNRetired, fn) })
	}
}

func TestUpdateParams(t *testing.T) {
	f := setup(t)
	p := types.DefaultParams()
	p.RegistrationDeposit = frl(5)
	p.AutoActivate = true
	p.MaxNameLength = 12
	evs := f.events(func(ctx sdk.Context) error {
		_, err := f.msg.UpdateParams(ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
		return err
	})
	require.Equal(t, []string{evParamsUpdated}, evs)
	got, err := f.k.GetParams(f.ctx)
	require.NoError(t, err)
	require.Equal(t, p, got)

	// The new deposit and auto_activate apply to the next registration.
	before := f.balance(bob)
	msg := registerMsg(bob, "cheap")
	msg.MaxDeposit = frl(5)
	id := f.register(msg)
	require.Equal(t, before.Sub(frl(5).Amount), f.balance(bob))
	require.Equal(t, types.StatusActive, f.get(id).Status)
}

func TestUpdateParamsFailures(t *testing.T) {
	f := setup(t)
	bad := func(mut func(*types.Params)) types.Params {
		p := types.DefaultParams()
		mut(&p)
		return p
	}
	cases := []struct {
		name string
		msg  types.MsgUpdateParams
		want error
	}{
		{"not authority", types.MsgUpdateParams{Authority: alice, Params: types.DefaultParams()}, types.ErrInvalidAuthority},
		{"not authority, bad params", types.MsgUpdateParams{Authority: alice, Params: types.Params{}}, types.ErrInvalidAuthority},
		{"bad authority", types.MsgUpdateParams{Authority: "gov", Params: types.DefaultParams()}, types.ErrInvalidAddress},
		{"empty params", types.MsgUpdateParams{Authority: f.authority}, types.ErrInvalidParams},
		{"negative deposit", types.MsgUpdateParams{Authority: f.authority, Params: bad(func(p *types.Params) {
			p.RegistrationDeposit = sdk.Coin{Denom: denom, Amount: math.NewInt(-1)}
		})}, types.ErrInvalidParams},
		{"bad deposit denom", types.MsgUpdateParams{Authority: f.authority, Params: bad(func(p *types.Params) {
			p.RegistrationDeposit = sdk.Coin{Denom: "1x", Amount: math.NewInt(1)}
		})}, types.ErrInvalidParams},
		{"name length too small", types.MsgUpdateParams{Authority: f.authority, Params: bad(func(p *types.Params) { p.MaxNameLength = 2 })}, types.ErrInvalidParams},
		{"name length too big", types.MsgUpdateParams{Authority: f.authority, Params: bad(func(p *types.Params) { p.MaxNameLength = 65 })}, types.ErrInvalidParams},
		{"zero batch limit", types.MsgUpdateParams{Authority: f.authority, Params: bad(func(p *types.Params) { p.MaxBatchBytesLimit = 0 })}, types.ErrInvalidParams},
		{"default params above limit", types.MsgUpdateParams{Authority: f.authority, Params: bad(func(p *types.Params) { p.MaxBatchBytesLimit = 1000 })}, types.ErrInvalidParams},
		{"bad default params", types.MsgUpdateParams{Authority: f.authority, Params: bad(func(p *types.Params) { p.DefaultSPNParams.MinOperators = 0 })}, types.ErrInvalidParams},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.requireFailsCleanly(tc.want, func(ctx sdk.Context) error {
				_, err := f.msg.UpdateParams(ctx, &tc.msg)
				return err
			})
		})
	}
}

func TestActivate(t *testing.T) {
	f := setup(t)
	evs := f.events(func(ctx sdk.Context) error {
		_, err := f.msg.Activate(ctx, &types.MsgActivate{Authority: f.authority, ID: 1})
		return err
	})
	require.Equal(t, []string{evStatusChanged}, evs)
	require.Equal(t, types.StatusActive, f.get(1).Status)
	ok, err := f.k.IsActive(f.ctx, 1)
	require.NoError(t, err)
	require.True(t, ok)
}

func TestActivateFailures(t *testing.T) {
	f := setup(t)
	f.register(registerMsg(alice, "two"))
	f.register(registerMsg(alice, "three"))
	f.activate(2)
	require.NoError(t, f.k.SetStatus(f.ctx, 3, types.StatusPaused))
	act := func(authority string, id uint64) func(sdk.Context) error {
		return func(ctx sdk.Context) error {
			_, err := f.msg.Activate(ctx, &types.MsgActivate{Authority: authority, ID: id})
			return err
		}
	}
	cases := []struct {
		name string
		fn   func(sdk.Context) error
		want error
	}{
		{"admin is not authority", act(alice, 1), types.ErrInvalidAuthority},
		{"bad authority", act("", 1), types.ErrInvalidAddress},
		{"zero id", act(f.authority, 0), types.ErrInvalidID},
		{"unknown", act(f.authority, 42), types.ErrSPNNotFound},
		{"already active", act(f.authority, 2), types.ErrInvalidStatus},
		{"paused", act(f.authority, 3), types.ErrInvalidStatus},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { f.requireFailsCleanly(tc.want, tc.fn) })
	}
}

func TestKeeperSetStatus(t *testing.T) {
	f := setup(t)
	// Any of PENDING/ACTIVE/PAUSED to any other of them.
	for _, to := range []types.SPNStatus{types.StatusActive, types.StatusPaused, types.StatusPending, types.StatusPaused, types.StatusActive, types.StatusPending} {
		evs := f.events(func(ctx sdk.Context) error { return f.k.SetStatus(ctx, 1, to) })
		require.Equal(t, []string{evStatusChanged}, evs)
		require.Equal(t, to, f.get(1).Status)
	}
	fails := []struct {
		name string
		fn   func(sdk.Context) error
		want error
	}{
		{"same status", func(ctx sdk.Context) error { return f.k.SetStatus(ctx, 1, types.StatusPending) }, types.ErrInvalidStatus},
		{"to retired", func(ctx sdk.Context) error { return f.k.SetStatus(ctx, 1, types.StatusRetired) }, types.ErrInvalidStatus},
		{"to unspecified", func(ctx sdk.Context) error { return f.k.SetStatus(ctx, 1, types.StatusUnspecified) }, types.ErrInvalidStatus},
		{"to unknown", func(ctx sdk.Context) error { return f.k.SetStatus(ctx, 1, 17) }, types.ErrInvalidStatus},
		{"unknown spn", func(ctx sdk.Context) error { return f.k.SetStatus(ctx, 5, types.StatusActive) }, types.ErrSPNNotFound},
		{"activate unknown", func(ctx sdk.Context) error { return f.k.Activate(ctx, 5) }, types.ErrSPNNotFound},
	}
	for _, tc := range fails {
		t.Run(tc.name, func(t *testing.T) { f.requireFailsCleanly(tc.want, tc.fn) })
	}
	_, err := f.k.GetSPN(f.ctx, 5)
	require.ErrorIs(t, err, types.ErrSPNNotFound)
	_, err = f.k.GetSPNByName(f.ctx, "nope")
	require.ErrorIs(t, err, types.ErrSPNNotFound)
	ok, err := f.k.IsActive(f.ctx, 5)
	require.NoError(t, err)
	require.False(t, ok)
}
