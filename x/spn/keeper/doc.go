// Package keeper implements the spn module's state (typed collections), its
// Msg and Query servers, genesis import/export, and the keeper methods other
// modules use (GetSPN, GetParams, Activate, SetStatus).
//
// Every message handler follows one order: authorize, then validate, then
// write. Nothing is written before every check has passed, so a failed
// message leaves state and balances unchanged.
package keeper
