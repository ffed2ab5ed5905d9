package keystoneapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The identity API answers its own handlers' panics with Keystone's error
// body: a handler without a store panics on first use.
func TestRecoversAsKeystoneError(t *testing.T) {
	srv := httptest.NewServer(New(Options{Prefix: "/identity"}))
	t.Cleanup(srv.Close)
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"x"}}}}}`
	resp, err := http.Post(srv.URL+"/identity/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST /identity/v3/auth/tokens: %v; want a 500", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e struct {
		Error struct {
			Code  int
			Title string
		}
	}
	if resp.StatusCode != http.StatusInternalServerError || json.Unmarshal(b, &e) != nil || e.Error.Code != 500 || e.Error.Title != "Internal Server Error" {
		t.Errorf("POST /identity/v3/auth/tokens: %d %s; want 500 with Keystone's error body", resp.StatusCode, b)
	}
}
