package exec

import (
	"errors"
	"fmt"
)

var (
	// ErrSuspended is returned by View reads when the value depends on a lower
	// transaction that is being re-executed (the read hit an ESTIMATE marker). The VM
	// must stop executing the transaction and return; the executor runs it again once
	// the lower transaction has finished. Whatever the VM returns after this error is
	// discarded, so a VM that swallows it is still correct, only slower.
	ErrSuspended = errors.New("exec: transaction suspended on a lower transaction")

	// ErrNotNumeric reports a value that the NumericCodec cannot decode, met while
	// applying a delta or answering View.ReadNumeric.
	ErrNotNumeric = errors.New("exec: value is not numeric")

	// ErrPanic is matched (errors.Is) by the *PanicError a transaction fails with when
	// the VM panicked while executing it.
	ErrPanic = errors.New("exec: vm panicked")

	// ErrStorage wraps an error returned by the base Storage. It fails the whole block:
	// a storage failure is a property of the node, not of the transaction.
	ErrStorage = errors.New("exec: base storage failed")

	// ErrInvalidBlock is returned for arguments that cannot describe a block (a negative
	// transaction count, a nil VM or Storage).
	ErrInvalidBlock = errors.New("exec: invalid block")

	// ErrInternal reports a broken executor invariant. It is a bug in this package.
	ErrInternal = errors.New("exec: internal error")
)

// PanicError is the failure of a transaction whose execution panicked. Only a panic in
// an incarnation whose reads validated is reported: a panic caused by reading
// inconsistent speculative state is discarded together with that incarnation.
type PanicError struct {
	Tx    int    // index of the transaction in the block
	Value any    // the value passed to panic
	Stack []byte // the VM goroutine's stack when it panicked (for logs; not compared)
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("exec: tx %d: vm panicked: %v", e.Tx, e.Value)
}

// Is makes errors.Is(err, ErrPanic) hold.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

func notNumeric(key string) error { return fmt.Errorf("%w: key %x", ErrNotNumeric, key) }

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}
