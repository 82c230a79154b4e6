// Package types holds the spn module's state and message types (generated from
// proto/farol/spn/v1), its registered errors, parameters, the stateless
// validation rules for names, chain ids and SPN parameters, genesis
// validation, and the DA namespace derivation.
//
// The rules are specified in x/spn/README.md; the functions here are their
// single implementation, shared by ValidateBasic, the keeper and genesis.
package types
