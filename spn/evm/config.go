package evm

import (
	"math/big"

	"github.com/ethereum/go-ethereum/params"
)

func u64(v uint64) *uint64 { return &v }

// CancunConfig returns chain rules with every fork through Cancun active from genesis
// (the rules of the Ethereum Foundation state tests' "Cancun" post-states).
func CancunConfig(chainID *big.Int) *params.ChainConfig {
	return &params.ChainConfig{
		ChainID:                 new(big.Int).Set(chainID),
		HomesteadBlock:          big.NewInt(0),
		EIP150Block:             big.NewInt(0),
		EIP155Block:             big.NewInt(0),
		EIP158Block:             big.NewInt(0),
		ByzantiumBlock:          big.NewInt(0),
		ConstantinopleBlock:     big.NewInt(0),
		PetersburgBlock:         big.NewInt(0),
		IstanbulBlock:           big.NewInt(0),
		MuirGlacierBlock:        big.NewInt(0),
		BerlinBlock:             big.NewInt(0),
		LondonBlock:             big.NewInt(0),
		ArrowGlacierBlock:       big.NewInt(0),
		MergeNetsplitBlock:      big.NewInt(0),
		TerminalTotalDifficulty: big.NewInt(0),
		ShanghaiTime:            u64(0),
		CancunTime:              u64(0),
		BlobScheduleConfig: &params.BlobScheduleConfig{
			Cancun: params.DefaultCancunBlobConfig,
		},
	}
}

// DefaultConfig returns the chain rules of a new SPN: every fork through Prague active
// from genesis.
func DefaultConfig(chainID *big.Int) *params.ChainConfig {
	c := CancunConfig(chainID)
	c.PragueTime = u64(0)
	c.BlobScheduleConfig.Prague = params.DefaultPragueBlobConfig
	return c
}
