package types_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/farolnet/farol/x/spn/types"
)

func TestValidateName(t *testing.T) {
	valid := []string{"abc", "a-b", "a1b", "rollup-1", "x99", strings.Repeat("a", 64), "a--b", "abc123"}
	for _, n := range valid {
		require.NoError(t, types.ValidateName(n, types.MaxNameLength), n)
	}
	invalid := []string{
		"", "a", "ab", strings.Repeat("a", 65), "Abc", "aBc", "1abc", "-abc", "abc-", "a_b", "a.b", "a b",
		"ab\x00", "ab\n", "abç", "ab\u200b", "ab/c", "ab:c",
	}
	for _, n := range invalid {
		err := types.ValidateName(n, types.MaxNameLength)
		require.ErrorIs(t, err, types.ErrInvalidName, "%q", n)
	}
	// The param lowers the bound; 0 or above 64 means 64.
	require.ErrorIs(t, types.ValidateName("abcdef", 5), types.ErrInvalidName)
	require.NoError(t, types.ValidateName("abcde", 5))
	require.NoError(t, types.ValidateName(strings.Repeat("a", 64), 0))
	require.ErrorIs(t, types.ValidateName(strings.Repeat("a", 65), 1000), types.ErrInvalidName)
}

func TestValidateChainID(t *testing.T) {
	for _, c := range []string{"a", "1", "farol_9000-1", "rollup.test-1", "0x1", strings.Repeat("c", 50)} {
		require.NoError(t, types.ValidateChainID(c), c)
	}
	for _, c := range []string{"", strings.Repeat("c", 51), "Rollup", "-a", ".a", "_a", "a b", "a/b", "a:b", "ä", "a\x7f"} {
		require.ErrorIs(t, types.ValidateChainID(c), types.ErrInvalidChainID, "%q", c)
	}
}

// The byte-level validators agree with the regular expressions the README
// gives for them.
var (
	nameRE    = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)
	chainIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
)

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"abc", "a-b", "-ab", "ab-", "ABC", "a\x00b", strings.Repeat("z", 64), strings.Repeat("z", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := types.ValidateName(s, types.MaxNameLength)
		want := len(s) >= types.MinNameLength && len(s) <= types.MaxNameLength && nameRE.MatchString(s)
		if want != (err == nil) {
			t.Fatalf("ValidateName(%q) = %v, want valid=%v", s, err, want)
		}
	})
}

func FuzzValidateChainID(f *testing.F) {
	for _, s := range []string{"a", "farol_1-1", ".a", "A", strings.Repeat("z", 51)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := types.ValidateChainID(s)
		want := len(s) >= 1 && len(s) <= types.MaxChainIDLength && chainIDRE.MatchString(s)
		if want != (err == nil) {
			t.Fatalf("ValidateChainID(%q) = %v, want valid=%v", s, err, want)
		}
	})
}

func TestEnums(t *testing.T) {
	require.NoError(t, types.VMKindEVM.Validate())
	require.NoError(t, types.VMKindWASM.Validate())
	require.ErrorIs(t, types.VMKindUnspecified.Validate(), types.ErrInvalidVMKind)
	require.ErrorIs(t, types.VMKind(3).Validate(), types.ErrInvalidVMKind)
	require.NoError(t, types.SettlementModeZK.Validate())
	require.NoError(t, types.SettlementModeTEE.Validate())
	require.ErrorIs(t, types.SettlementModeUnspecified.Validate(), types.ErrInvalidSettlementMode)
	require.ErrorIs(t, types.SettlementMode(-1).Validate(), types.ErrInvalidSettlementMode)
	require.False(t, types.StatusUnspecified.IsValid())
	require.False(t, types.SPNStatus(5).IsValid())
	require.True(t, types.StatusRetired.IsValid())
}

func TestSPNParamsValidate(t *testing.T) {
	require.NoError(t, types.DefaultSPNParams().Validate(types.DefaultMaxBatchBytesLimit))
	p := types.DefaultSPNParams()
	p.MaxBatchBytes = 1 << 40
	require.NoError(t, p.Validate(0), "no limit")
	require.ErrorIs(t, p.Validate(1<<39), types.ErrInvalidSPNParams)
	for name, mut := range map[string]func(*types.SPNParams){
		"zero interval":  func(p *types.SPNParams) { p.BatchIntervalBlocks = 0 },
		"zero bytes":     func(p *types.SPNParams) { p.MaxBatchBytes = 0 },
		"zero operators": func(p *types.SPNParams) { p.MinOperators = 0 },
		"nil stake":      func(p *types.SPNParams) { p.MinRestakedStake = math.Int{} },
		"negative stake": func(p *types.SPNParams) { p.MinRestakedStake = math.NewInt(-3) },
	} {
		p := types.DefaultSPNParams()
		mut(&p)
		require.ErrorIs(t, p.Validate(0), types.ErrInvalidSPNParams, name)
	}
	p = types.DefaultSPNParams()
	p.MinRestakedStake = math.ZeroInt()
	require.NoError(t, p.Validate(0))
}

func TestDefaultParams(t *testing.T) {
	p := types.DefaultParams()
	require.NoError(t, p.Validate())
	require.Equal(t, "1000000000ufrl", p.RegistrationDeposit.String())
	require.False(t, p.AutoActivate)
	require.Equal(t, uint32(64), p.MaxNameLength)
}
