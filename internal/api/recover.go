package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recover answers a request whose handler panics with a 500 that answer
// writes in the API's own error format (each API recovers its own routes:
// /v1's error body, a NeutronError, Keystone's error) and logs the panic
// with its stack, instead of net/http's dropped connection: a client sees
// an error it can report, and the log has the cause.
func Recover(log *slog.Logger, h http.Handler, answer func(w http.ResponseWriter, r *http.Request)) http.Handler {
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
			answer(w, r)
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
