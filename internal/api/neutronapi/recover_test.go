package neutronapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"vfnet/internal/api"
)

// /v2.0 answers its own handlers' panics as a NeutronError 500, not in
// another API's format: a handler without a store panics on first use.
func TestRecoversAsNeutronError(t *testing.T) {
	srv := httptest.NewServer(New(Options{}))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v2.0/networks", nil)
	req.Header.Set(api.TokenHeader, "anything")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /v2.0/networks: %v; want a 500", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var body struct {
		NeutronError struct{ Type, Message string }
	}
	if resp.StatusCode != http.StatusInternalServerError || json.Unmarshal(b, &body) != nil || body.NeutronError.Type != "HTTPInternalServerError" {
		t.Errorf("GET /v2.0/networks: %d %s; want 500 with a NeutronError HTTPInternalServerError", resp.StatusCode, b)
	}
}
