package model

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestErrorClasses(t *testing.T) {
	cause := fs.ErrNotExist
	tests := []struct {
		name     string
		err      error
		is       []error
		isNot    []error
		wantCode Code
		wantMsg  string
	}{
		{"invalid", invalid("x", "bad %d", 1), []error{ErrInvalid}, []error{ErrConflict, ErrNotFound}, ErrInvalid, "bad 1"},
		{"conflict wrapped by caller", fmt.Errorf("store: modify: %w", conflict("x", "busy")), []error{ErrConflict}, []error{ErrInvalid}, ErrConflict, "store: modify: busy"},
		{"with cause", &Error{Code: ErrConflict, Msg: "outer", Err: invalid("y", "inner")}, []error{ErrConflict, ErrInvalid}, []error{ErrNotFound}, ErrConflict, "outer: inner"},
		{"cause is reachable", &Error{Code: ErrNotFound, Msg: "gone", Err: cause}, []error{ErrNotFound, fs.ErrNotExist}, []error{ErrForbidden}, ErrNotFound, "gone: file does not exist"},
		{"bare code", ErrForbidden, []error{ErrForbidden}, []error{ErrInvalid}, ErrForbidden, "forbidden"},
		{"foreign error", errors.New("disk full"), nil, []error{ErrInvalid, ErrInternal}, ErrInternal, "disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.is {
				if !errors.Is(tt.err, w) {
					t.Errorf("errors.Is(%v, %v) = false, want true", tt.err, w)
				}
			}
			for _, w := range tt.isNot {
				if errors.Is(tt.err, w) {
					t.Errorf("errors.Is(%v, %v) = true, want false", tt.err, w)
				}
			}
			if got := CodeOf(tt.err); got != tt.wantCode {
				t.Errorf("CodeOf(%v) = %q, want %q", tt.err, got, tt.wantCode)
			}
			if got := tt.err.Error(); got != tt.wantMsg {
				t.Errorf("Error() = %q, want %q", got, tt.wantMsg)
			}
		})
	}
	if CodeOf(nil) != "" {
		t.Errorf("CodeOf(nil) = %q, want empty", CodeOf(nil))
	}
}
