package neutronapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gophercloud/gophercloud/v2"

	"vfnet/internal/model"
	"vfnet/internal/store"
	"vfnet/internal/store/storetest"
)

// env is a /v2.0 server on loopback over a SQLite store holding data
// networks datanet-a (vlan, MTU 9000, project VLANs 100-199) and datanet-f
// (flat), and a token per identity: admin, member-a and member-b (two
// projects), reader-a.
type env struct {
	srv    *httptest.Server
	store  *store.Store
	tokens map[string]string
}

func newEnv(t testing.TB, dsn string) *env {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, dsn, store.Options{})
	for _, d := range []model.DataNetwork{
		{Name: "datanet-a", NetworkType: model.NetworkTypeVLAN, MTU: 9000, SegmentRanges: []model.SegmentRange{{Min: 100, Max: 199}}},
		{Name: "datanet-f", NetworkType: model.NetworkTypeFlat, MTU: 1500},
	} {
		if _, err := st.CreateDataNetwork(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{store: st, tokens: map[string]string{}}
	for id, spec := range map[string]store.TokenSpec{
		"admin":    {Project: "admin-project", Roles: []string{store.RoleAdmin}},
		"member-a": {Project: "project-a", Roles: []string{store.RoleMember}},
		"member-b": {Project: "project-b", Roles: []string{store.RoleMember}},
		"reader-a": {Project: "project-a", Roles: []string{store.RoleReader}},
	} {
		secret := store.NewTokenSecret()
		if _, err := st.CreateToken(ctx, secret, spec); err != nil {
			t.Fatal(err)
		}
		e.tokens[id] = secret
	}
	e.srv = httptest.NewServer(New(Options{Store: st}))
	t.Cleanup(e.srv.Close)
	return e
}

// client is a gophercloud networking client for identity: no Keystone, the
// endpoint and a fixed token, as a Go program pointed at vfnet has them.
func (e *env) client(identity string) *gophercloud.ServiceClient {
	pc := &gophercloud.ProviderClient{}
	pc.SetToken(e.tokens[identity])
	return &gophercloud.ServiceClient{ProviderClient: pc, Endpoint: e.srv.URL + "/", ResourceBase: e.srv.URL + "/v2.0/", Type: "network"}
}

// do sends one raw request as identity ("" sends no token) and returns
// the status and decoded body (nil when empty).
func (e *env) do(t testing.TB, identity, method, path string, body any, header ...string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if identity != "" {
		req.Header.Set(TokenHeader, e.tokens[identity])
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	if len(raw) == 0 {
		return resp.StatusCode, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s %s: status %d, body is not a JSON object: %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, m
}

// neutronError returns the type and message of a NeutronError body.
func neutronError(t testing.TB, body map[string]any) (string, string) {
	t.Helper()
	ne, ok := body["NeutronError"].(map[string]any)
	if !ok {
		t.Fatalf("body %v has no NeutronError", body)
	}
	typ, _ := ne["type"].(string)
	msg, _ := ne["message"].(string)
	return typ, msg
}
