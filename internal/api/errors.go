package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"vfnet/internal/model"
)

// httpError is a refusal the API itself makes, outside the model's classes:
// a body it cannot decode, a missing or unknown token.
type httpError struct {
	status int
	msg    string
	cause  error // for the log only
}

func (e *httpError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

func (e *httpError) Unwrap() error { return e.cause }

func badRequest(cause error, format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...), cause: cause}
}

func unauthorized(format string, args ...any) error {
	return &httpError{status: http.StatusUnauthorized, msg: fmt.Sprintf(format, args...)}
}

func forbidden(format string, args ...any) error {
	return &model.Error{Code: model.ErrForbidden, Msg: fmt.Sprintf(format, args...)}
}

// ErrorBody is the body of every error response.
type ErrorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Title   string `json:"title"`
		Message string `json:"message"`
	} `json:"error"`
}

// internalMsg is what a client sees of a failure: the cause is for the log.
const internalMsg = "Internal error; the server log has the cause."

// statusOf maps an error to its HTTP status and the message the client
// sees: the one place where error classes become HTTP.
func statusOf(err error) (int, string) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, he.msg
	}
	var me *model.Error
	msg := internalMsg
	if errors.As(err, &me) {
		msg = me.Msg
	}
	switch model.CodeOf(err) {
	case model.ErrInvalid:
		return http.StatusBadRequest, msg
	case model.ErrForbidden:
		return http.StatusForbidden, msg
	case model.ErrNotFound:
		return http.StatusNotFound, msg
	case model.ErrConflict:
		return http.StatusConflict, msg
	}
	return http.StatusInternalServerError, internalMsg
}

// writeError answers r with err: the client gets the status and the
// message, the log gets the cause.
func writeError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	level := slog.LevelInfo
	if status >= 500 && status != http.StatusServiceUnavailable { // 503: the server is shutting down
		level = slog.LevelError
	}
	log.Log(r.Context(), level, "request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	writeErrorBody(w, status, msg)
}

// writeErrorBody writes the ErrorBody of status and msg: the one shape of
// every error response (writeError's and Recover's).
func writeErrorBody(w http.ResponseWriter, status int, msg string) {
	var body ErrorBody
	body.Error.Code = status
	body.Error.Title = http.StatusText(status)
	body.Error.Message = msg
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) // a client gone away is nothing to report
}

// maxBody bounds every request body.
const maxBody = 1 << 20

// decode reads r's body, one JSON object, strictly into v: unknown fields,
// wrong types, trailing data and bodies over 1 MiB are refused with a
// message that says which. optional allows an empty body.
func decode(r *http.Request, v any, optional bool) error {
	return decodeLimit(r, v, optional, maxBody)
}

// decodeLimit is decode with a body limit of its own, for the few bodies
// that are larger by nature (an agent's applied report).
func decodeLimit(r *http.Request, v any, optional bool, limit int64) error {
	body := http.MaxBytesReader(nil, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		if optional {
			return nil
		}
		return badRequest(err, "The request body is empty; send a JSON object")
	}
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			return badRequest(terr, "The request body has data after its JSON object; send exactly one object")
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &big):
		return badRequest(err, "The request body is larger than %d bytes (%d MiB); send less", limit, limit>>20)
	case errors.As(err, &syn):
		return badRequest(err, "The request body is not valid JSON (at byte %d): %s", syn.Offset, syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest(err, "The request body ends in the middle of its JSON object")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return badRequest(err, "The request body must be a JSON object, not %s", typ.Value)
		}
		return badRequest(err, "Field %q must be %s, not %s", field, jsonType(typ.Type.Kind().String()), typ.Value)
	}
	// What is left is an unknown field (encoding/json has no error type
	// for it, and its text names the field) or a value a type refuses.
	return badRequest(err, "The request body is invalid: %v", err)
}

func jsonType(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "slice", kind == "array":
		return "a list"
	case kind == "struct", kind == "map", kind == "ptr":
		return "an object"
	}
	return "a " + kind
}
