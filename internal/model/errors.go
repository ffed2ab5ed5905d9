package model

import (
	"errors"
	"fmt"
)

// Code classifies a rule's refusal. The API maps each code to an HTTP status
// in one place (invalid 400, forbidden 403, not_found 404, conflict 409,
// anything else 500). A Code is itself an error so that callers test the class
// with errors.Is(err, model.ErrConflict) without any package-level variable.
type Code string

const (
	// ErrInvalid: the request itself is wrong (a bad value, a field given
	// where it does not apply); retrying it unchanged fails again.
	ErrInvalid Code = "invalid"
	// ErrConflict: the request is well-formed but the current state refuses
	// it (host not locked, object in use, duplicate, agent not converged).
	ErrConflict Code = "conflict"
	// ErrNotFound: an object the request names does not exist.
	ErrNotFound Code = "not_found"
	// ErrForbidden: the caller may not do this (roles, read-only objects).
	ErrForbidden Code = "forbidden"
	// ErrInternal: anything unclassified; the client sees a generic message.
	ErrInternal Code = "internal"
)

func (c Code) Error() string { return string(c) }

// Error is a classed refusal. Msg is complete and meant for the operator: it
// names the object, the rule and what to do. Object ("interface compute-0/
// sriov0") is for logs and structured API bodies.
type Error struct {
	Code   Code
	Object string
	Msg    string
	// Err is an underlying cause, if any; it stays reachable with errors.Is
	// and errors.As.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap exposes both the class and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Code, e.Err}
	}
	return []error{e.Code}
}

// CodeOf returns the class of err: the Code of the first *Error in its chain,
// or a bare Code, or ErrInternal for anything else (nil gives "").
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var c Code
	if errors.As(err, &c) {
		return c
	}
	return ErrInternal
}

func newErr(code Code, object, format string, args ...any) *Error {
	return &Error{Code: code, Object: object, Msg: fmt.Sprintf(format, args...)}
}

func invalid(object, format string, args ...any) error {
	return newErr(ErrInvalid, object, format, args...)
}

func conflict(object, format string, args ...any) error {
	return newErr(ErrConflict, object, format, args...)
}

func notFound(object, format string, args ...any) error {
	return newErr(ErrNotFound, object, format, args...)
}
