package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"vfnet/internal/api"
	"vfnet/internal/client"
	"vfnet/internal/keystone"
)

// fakeKeystone answers vfnet's service login and validates the tokens of
// subjects (secret to roles, each scoped to project "p-"+secret): the
// principal mapping without a real Keystone (TestExternalKeystone in
// internal/keystone runs it against one).
func fakeKeystone(t *testing.T, subjects map[string][]string) *httptest.Server {
	t.Helper()
	tokenBody := func(project string, roles []string) []byte {
		var rs []map[string]string
		for _, r := range roles {
			rs = append(rs, map[string]string{"name": r})
		}
		b, _ := json.Marshal(map[string]any{"token": map[string]any{
			"expires_at": time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z"),
			"user":       map[string]string{"id": "u-" + project}, "project": map[string]string{"id": project},
			"roles": rs, "methods": []string{"password"}, "audit_ids": []string{"a-" + project}}})
		return b
	}
	ks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "POST" && r.URL.Path == "/v3/auth/tokens":
			w.Header().Set("X-Subject-Token", "service-token")
			w.WriteHeader(http.StatusCreated)
			w.Write(tokenBody("service", []string{"service"}))
		case r.Method == "GET" && r.URL.Path == "/v3/auth/tokens" && r.Header.Get("X-Auth-Token") == "service-token":
			roles, ok := subjects[r.Header.Get("X-Subject-Token")]
			if !ok {
				http.Error(w, `{"error":{"code":404}}`, http.StatusNotFound)
				return
			}
			w.Write(tokenBody("p-"+r.Header.Get("X-Subject-Token"), roles))
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusBadRequest)
		}
	}))
	t.Cleanup(ks.Close)
	return ks
}

// With an external Keystone, its tokens work on /v1 with the roles they
// have on /v2.0: a Keystone admin configures hosts and makes agent tokens,
// a member reads; a Keystone role named agent is not vfnet's agent role.
func TestKeystoneTokensOnV1(t *testing.T) {
	ks := fakeKeystone(t, map[string][]string{
		"ks-admin": {"admin", "member"}, "ks-member": {"_member_"}, "ks-agent": {"agent"},
	})
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := StartServer(ctx, ServerConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir(),
		Keystone: keystone.Config{URL: ks.URL + "/v3", User: "vfnet", Password: "pw", Project: "service"}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		srv.Close()
	})
	do := func(token, method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(api.TokenHeader, token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		token, method, path, body string
		want                      int
	}{
		{"ks-admin", "POST", "/v1/datanetworks", `{"name":"physnet0","network_type":"vlan","segment_ranges":[{"min":100,"max":199}]}`, 201},
		{"ks-admin", "GET", "/v1/hosts", "", 200},
		{"ks-member", "GET", "/v1/datanetworks", "", 200},
		{"ks-member", "POST", "/v1/datanetworks", `{"name":"physnet1","network_type":"flat"}`, 403},
		{"ks-member", "GET", "/v1/tokens", "", 403},
		{"ks-agent", "POST", "/v1/hosts", `{"hostname":"compute-0"}`, 403},
		{"ks-agent", "GET", "/v1/hosts", "", 403},
		{"unknown", "GET", "/v1/hosts", "", 401},
		{"ks-member", "GET", "/v2.0/networks", "", 200},
	} {
		if got, body := do(tc.token, tc.method, tc.path, tc.body); got != tc.want {
			t.Errorf("%s %s with Keystone token %s: got %d %s, want %d", tc.method, tc.path, tc.token, got, body, tc.want)
		}
	}

	// The operator's way to an agent: a Keystone admin makes vfnet's own
	// agent token, which the agent then registers its host with.
	code, body := do("ks-admin", "POST", "/v1/tokens", `{"project":"admin","roles":["agent"],"host":"compute-0"}`)
	var tok api.NewToken
	if code != 201 || json.Unmarshal([]byte(body), &tok) != nil || tok.Secret == "" {
		t.Fatalf("Keystone admin creates an agent token: %d %s", code, body)
	}
	if _, err := client.New(srv.URL, tok.Secret, nil).RegisterHost(ctx, "compute-0", ""); err != nil {
		t.Errorf("agent token made by a Keystone admin registers its host: %v", err)
	}
}
