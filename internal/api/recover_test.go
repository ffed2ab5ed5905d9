package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A handler that panics answers 500 in the API's error format, the log
// gets the panic and its stack, and the server keeps serving.
func TestRecover(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	mux := http.NewServeMux()
	mux.HandleFunc("/panic", func(http.ResponseWriter, *http.Request) { panic("index out of range [3] with length 2") })
	mux.HandleFunc("/half", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"partial":`))
		panic("midway")
	})
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	srv := httptest.NewServer(Recover(log, mux, func(w http.ResponseWriter, _ *http.Request) {
		writeErrorBody(w, http.StatusInternalServerError, internalMsg)
	}))
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/panic")
	if err != nil {
		t.Fatalf("GET /panic: %v; want a 500", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e ErrorBody
	if resp.StatusCode != http.StatusInternalServerError || json.Unmarshal(b, &e) != nil || e.Error.Code != 500 {
		t.Errorf("GET /panic: %d %s; want 500 with an error body", resp.StatusCode, b)
	}
	if got := logs.String(); !strings.Contains(got, "index out of range") || !strings.Contains(got, "recover_test.go") {
		t.Errorf("log %q; want the panic's value and its stack", got)
	}

	// Part of the answer out: the client must not take it for a whole one.
	if resp, err := http.Get(srv.URL + "/half"); err == nil {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Errorf("GET /half: read %q whole; want the connection cut", b)
		}
	}

	resp, err = http.Get(srv.URL + "/ok")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /ok after panics: %v %v; want 200", resp, err)
	}
	resp.Body.Close()
}

// /v1 recovers its own handlers' panics in its own error format: an API
// without a store panics on the first token lookup.
func TestV1RecoversInItsFormat(t *testing.T) {
	srv := httptest.NewServer(New(nil, nil))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/hosts", nil)
	req.Header.Set(TokenHeader, "anything")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /v1/hosts: %v; want a 500", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e ErrorBody
	if resp.StatusCode != http.StatusInternalServerError || json.Unmarshal(b, &e) != nil || e.Error.Code != 500 || e.Error.Message != internalMsg {
		t.Errorf("GET /v1/hosts: %d %s; want 500 with /v1's error body", resp.StatusCode, b)
	}
}
