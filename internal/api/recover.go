package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recover answers a request whose handler panics with a 500 in the API's
// error format and logs the panic with its stack, instead of net/http's
// dropped connection: a client sees an error it can report, and the log has
// the cause. The server wraps all its APIs (/v1, Neutron, identity) in it.
func Recover(log *slog.Logger, h http.Handler) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &headerWatch{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // a handler's deliberate abort: net/http drops the connection quietly
			}
			log.ErrorContext(r.Context(), "handler panic", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if rw.wrote {
				// Part of an answer is out: cut the connection so that the
				// client does not take it for a whole one.
				panic(http.ErrAbortHandler)
			}
			writeErrorBody(w, http.StatusInternalServerError, internalMsg)
		}()
		h.ServeHTTP(rw, r)
	})
}

// headerWatch notes whether the handler has started its answer.
type headerWatch struct {
	http.ResponseWriter
	wrote bool
}

func (w *headerWatch) WriteHeader(status int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *headerWatch) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *headerWatch) Unwrap() http.ResponseWriter { return w.ResponseWriter }
