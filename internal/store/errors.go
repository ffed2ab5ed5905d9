package store

import (
	"fmt"

	"vfnet/internal/model"
)

// The store refuses with the model's error classes, so that the API maps
// every refusal, a rule's or the store's, in one place.

func notFound(object, format string, args ...any) error {
	return &model.Error{Code: model.ErrNotFound, Object: object, Msg: fmt.Sprintf(format, args...)}
}

func conflict(object, format string, args ...any) error {
	return &model.Error{Code: model.ErrConflict, Object: object, Msg: fmt.Sprintf(format, args...)}
}

func invalid(object, format string, args ...any) error {
	return &model.Error{Code: model.ErrInvalid, Object: object, Msg: fmt.Sprintf(format, args...)}
}
