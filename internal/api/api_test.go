package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"vfnet/internal/model"
	"vfnet/internal/store"
	"vfnet/internal/store/storetest"
)

// fixture is an API over a SQLite store holding compute-0 and compute-1
// (each with storetest.Inventory's ports), data network physnet0, and a
// token per identity.
type fixture struct {
	srv    *httptest.Server
	store  *store.Store
	tokens map[string]string // identity -> secret
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.OpenSQLite(t, store.Options{Now: storetest.NewClock().Now})
	f := &fixture{store: st, tokens: map[string]string{}}
	for _, name := range []string{"compute-0", "compute-1"} {
		if _, err := st.RegisterHost(ctx, name, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ReportInventory(ctx, name, storetest.Inventory(0)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.CreateDataNetwork(ctx, model.DataNetwork{Name: "physnet0", NetworkType: model.NetworkTypeVLAN}); err != nil {
		t.Fatal(err)
	}
	for id, spec := range map[string]store.TokenSpec{
		"admin":       {Project: "admin", Roles: []string{store.RoleAdmin}},
		"member":      {Project: "p", Roles: []string{store.RoleMember}},
		"reader":      {Project: "p", Roles: []string{store.RoleReader}},
		"agent":       {Project: "admin", Roles: []string{store.RoleAgent}, Host: "compute-0"},
		"agent-other": {Project: "admin", Roles: []string{store.RoleAgent}, Host: "compute-1"},
	} {
		secret := store.NewTokenSecret()
		if _, err := st.CreateToken(ctx, secret, spec); err != nil {
			t.Fatal(err)
		}
		f.tokens[id] = secret
	}
	f.tokens["bad"] = store.NewTokenSecret()
	withInstance(t, st)
	f.srv = httptest.NewServer(New(st, nil))
	t.Cleanup(f.srv.Close)
	return f
}

// do sends one request as identity ("" sends no token) and returns the
// status and body.
func (f *fixture) do(t testing.TB, identity, method, path string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if identity != "" {
		req.Header.Set(TokenHeader, f.tokens[identity])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// errorMessage decodes an error body, failing the test when it is not one.
func errorMessage(t *testing.T, what string, status int, b []byte) string {
	t.Helper()
	var e ErrorBody
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code != status || e.Error.Message == "" ||
		e.Error.Title != http.StatusText(status) {
		t.Fatalf("%s: status %d with body %s; want an error body with code %d, its title and a message", what, status, b, status)
	}
	return e.Error.Message
}

// path fills a route pattern with objects of the fixture.
func path(pattern string) string {
	return strings.NewReplacer("{host}", "compute-0", "{port}", "enp59s0f0", "{if}", "enp59s0f1", "{dn}", "physnet0", "{instance}", "vm0").Replace(pattern)
}

// validBody is a well-formed body for each route that takes one.
func validBody(rt Route) string {
	switch rt.Method + " " + rt.Pattern {
	case "POST /v1/hosts":
		return `{"hostname":"compute-0"}`
	case "PUT /v1/hosts/{host}/inventory":
		b, _ := json.Marshal(storetest.Inventory(0))
		return string(b)
	case "POST /v1/hosts/{host}/interfaces":
		return `{"ifname":"vlan5","iftype":"vlan","ifclass":"data","uses":["ens3"],"vlan_id":5}`
	case "PATCH /v1/hosts/{host}/interfaces/{if}":
		return `{"imtu":9000}`
	case "POST /v1/hosts/{host}/interface-datanetworks":
		return `{"interface":"enp59s0f1","datanetwork":"physnet0"}`
	case "POST /v1/datanetworks":
		return `{"name":"physnet1","network_type":"flat"}`
	case "PATCH /v1/datanetworks/{dn}":
		return `{"description":"x"}`
	case "POST /v1/tokens":
		return `{"project":"p","roles":["reader"]}`
	case "POST /v1/hosts/{host}/unlock":
		return `{"force":true}`
	case "PUT /v1/hosts/{host}/applied":
		return `{"revision":0,"converged":true,"passes":0,"writes":{"sysfs":0,"netlink":0},"pfs":[],"vfs":[]}`
	case "POST /v1/instances":
		return `{"name":"vm1","ports":["port-b"]}`
	case "POST /v1/instances/{instance}/migrate":
		return `{}`
	}
	return ""
}

// takesBody reports whether a route decodes a JSON object.
func takesBody(rt Route) bool {
	return rt.Method == "POST" || rt.Method == "PUT" || rt.Method == "PATCH"
}

func TestAdminCanCallEveryRoute(t *testing.T) {
	// The matrices below check refusals; this checks that each request
	// they send is one an admin gets through, so a refusal means the
	// identity, not the request.
	for _, rt := range New(nil, nil).Routes() {
		f := newFixture(t)
		if rt.Pattern == "/v1/hosts/{host}/unlock" || rt.Pattern == "/v1/hosts/{host}/lock" {
			// compute-0 is locked: unlock works; lock needs it unlocked.
			if rt.Pattern == "/v1/hosts/{host}/lock" {
				if _, err := f.store.UnlockHost(context.Background(), "compute-0", true); err != nil {
					t.Fatal(err)
				}
			}
		}
		if rt.Pattern == "/v1/hosts/{host}/interfaces/{if}/datanetworks/{dn}" {
			if _, err := f.store.AssignDataNetwork(context.Background(), "compute-0", "enp59s0f1", "physnet0"); err != nil {
				t.Fatal(err)
			}
		}
		status, b := f.do(t, "admin", rt.Method, path(rt.Pattern), strings.NewReader(validBody(rt)))
		if status >= 300 {
			t.Errorf("admin %s %s: status %d, body %s", rt.Method, rt.Pattern, status, b)
		}
	}
}

func TestAuthMatrix(t *testing.T) {
	f := newFixture(t)
	routes := New(nil, nil).Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes", len(routes))
	}
	// want gives the status each identity gets on a route of each access.
	want := map[string]map[string]int{
		"":            {"read": 401, "admin": 401, "agent": 401},
		"bad":         {"read": 401, "admin": 401, "agent": 401},
		"reader":      {"read": 200, "admin": 403, "agent": 403},
		"member":      {"read": 200, "admin": 403, "agent": 403},
		"agent-other": {"read": 403, "admin": 403, "agent": 403},
		"agent":       {"read": 403, "admin": 403},
	}
	for identity, byAccess := range want {
		for _, rt := range routes {
			code, ok := byAccess[rt.Access]
			if !ok {
				continue
			}
			before := storetest.Take(t, f.store)
			what := "identity " + identity + ": " + rt.Method + " " + rt.Pattern
			status, b := f.do(t, identity, rt.Method, path(rt.Pattern), strings.NewReader(validBody(rt)))
			if status != code {
				t.Errorf("%s: status %d, want %d (body %s)", what, status, code, b)
				continue
			}
			if code >= 400 {
				msg := errorMessage(t, what, status, b)
				if code == 401 && !strings.Contains(msg, "token") {
					t.Errorf("%s: message %q does not mention the token", what, msg)
				}
				storetest.Unchanged(t, f.store, before, what)
			}
		}
	}
}

func TestAgentReportsForItsHostOnly(t *testing.T) {
	f := newFixture(t)
	inv, _ := json.Marshal(storetest.Inventory(4))
	status, b := f.do(t, "agent", "PUT", "/v1/hosts/compute-0/inventory", bytes.NewReader(inv))
	if status != 200 {
		t.Fatalf("agent reporting for its host: %d %s", status, b)
	}
	h, _ := f.store.Host(context.Background(), "compute-0")
	status, b = f.do(t, "agent", "PUT", "/v1/hosts/"+h.ID+"/inventory", bytes.NewReader(inv))
	if status != 200 {
		t.Fatalf("agent reporting for its host by uuid: %d %s", status, b)
	}
	before := storetest.Take(t, f.store)
	for _, p := range []string{"/v1/hosts/compute-1/inventory", "/v1/hosts/compute-9/inventory"} {
		status, b = f.do(t, "agent", "PUT", p, bytes.NewReader(inv))
		if status != 403 {
			t.Errorf("agent of compute-0: PUT %s: %d %s, want 403", p, status, b)
		}
	}
	status, b = f.do(t, "agent", "POST", "/v1/hosts", strings.NewReader(`{"hostname":"compute-7"}`))
	if status != 403 {
		t.Errorf("agent of compute-0 registering compute-7: %d %s, want 403", status, b)
	}
	storetest.Unchanged(t, f.store, before, "refused agent reports")
	status, b = f.do(t, "agent", "POST", "/v1/hosts/compute-0/heartbeat", nil)
	if status != 200 {
		t.Errorf("heartbeat: %d %s", status, b)
	}
}

func TestBadInput(t *testing.T) {
	f := newFixture(t)
	huge := `{"description":"` + strings.Repeat("x", maxBody) + `"}`
	bodies := []struct {
		name, body, want string
	}{
		{"unknown field", `{"nonsense":1}`, "nonsense"},
		{"not an object", `[1,2]`, "JSON object"},
		{"invalid JSON", `{"a":`, "ends in the middle"},
		{"garbage", `}{`, "not valid JSON"},
		{"trailing data", `{} {}`, "after its JSON object"},
		{"huge", huge, "1 MiB"},
	}
	// A field of each route's body with a value of the wrong type.
	wrongType := map[string]string{
		"POST /v1/hosts":                               `{"hostname":7}`,
		"POST /v1/hosts/{host}/lock":                   `"now"`,
		"POST /v1/hosts/{host}/unlock":                 `{"force":"yes"}`,
		"PUT /v1/hosts/{host}/inventory":               `{"ports":[{"pciaddr":"0000:00:03.0","mtu":"big"}]}`,
		"POST /v1/hosts/{host}/heartbeat":              `7`,
		"POST /v1/hosts/{host}/interfaces":             `{"ifname":"v","iftype":"vlan","vlan_id":"five"}`,
		"PATCH /v1/hosts/{host}/interfaces/{if}":       `{"sriov_numvfs":"8"}`,
		"POST /v1/hosts/{host}/interface-datanetworks": `{"interface":["enp59s0f1"],"datanetwork":"physnet0"}`,
		"POST /v1/datanetworks":                        `{"name":"x","network_type":"flat","mtu":1.5}`,
		"PATCH /v1/datanetworks/{dn}":                  `{"segment_ranges":{"min":1}}`,
		"POST /v1/tokens":                              `{"project":"p","roles":"reader"}`,
		"PUT /v1/hosts/{host}/applied":                 `{"revision":"one"}`,
		"POST /v1/instances":                           `{"name":7}`,
		"POST /v1/instances/{instance}/migrate":        `{"live":"yes"}`,
	}
	for _, rt := range New(nil, nil).Routes() {
		if !takesBody(rt) {
			continue
		}
		wt, ok := wrongType[rt.Method+" "+rt.Pattern]
		if !ok {
			t.Errorf("%s %s: no wrong-type body for this route; add one", rt.Method, rt.Pattern)
		}
		cases := append(bodies, struct{ name, body, want string }{"wrong type", wt, "must be"})
		if rt.Pattern == "/v1/hosts/{host}/applied" {
			// An agent's report of every VF of a host has a limit of its own.
			cases[len(bodies)-1] = struct{ name, body, want string }{"huge",
				`{"description":"` + strings.Repeat("x", maxAppliedBody) + `"}`, "16 MiB"}
		}
		for _, bc := range cases {
			before := storetest.Take(t, f.store)
			what := rt.Method + " " + rt.Pattern + " with " + bc.name
			status, b := f.do(t, "admin", rt.Method, path(rt.Pattern), strings.NewReader(bc.body))
			if status != 400 {
				t.Errorf("%s: status %d, want 400 (body %.300s)", what, status, b)
				continue
			}
			if msg := errorMessage(t, what, status, b); !strings.Contains(msg, bc.want) {
				t.Errorf("%s: message %q does not say %q", what, msg, bc.want)
			}
			storetest.Unchanged(t, f.store, before, what)
		}
	}
}

func TestUnknownObjects(t *testing.T) {
	f := newFixture(t)
	for _, rt := range New(nil, nil).Routes() {
		for _, param := range []string{"{host}", "{port}", "{if}", "{dn}", "{instance}"} {
			if !strings.Contains(rt.Pattern, param) {
				continue
			}
			p := strings.Replace(rt.Pattern, param, "nosuch", 1)
			before := storetest.Take(t, f.store)
			what := rt.Method + " " + p
			status, b := f.do(t, "admin", rt.Method, path(p), strings.NewReader(validBody(rt)))
			if status != 404 {
				t.Errorf("%s: status %d, want 404 (body %s)", what, status, b)
				continue
			}
			if msg := errorMessage(t, what, status, b); !strings.Contains(msg, "nosuch") {
				t.Errorf("%s: message %q does not name the missing object", what, msg)
			}
			storetest.Unchanged(t, f.store, before, what)
		}
	}
	// Unknown routes and methods answer in the same error format.
	status, b := f.do(t, "admin", "GET", "/v1/nothing", nil)
	errorMessage(t, "GET /v1/nothing", status, b)
	if status != 404 {
		t.Errorf("GET /v1/nothing: %d", status)
	}
	status, b = f.do(t, "admin", "DELETE", "/v1/hosts/compute-0", nil)
	if msg := errorMessage(t, "DELETE /v1/hosts/compute-0", status, b); status != 405 || !strings.Contains(msg, "GET") {
		t.Errorf("DELETE /v1/hosts/compute-0: %d %q, want 405 naming GET", status, msg)
	}
}

func TestRuleRefusalsAreClassed(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		method, path, body string
		want               int
		says               string
	}{
		{"PATCH", "/v1/hosts/compute-0/interfaces/enp59s0f0", `{"ifclass":"pci-sriov","sriov_numvfs":65}`, 400, "64"},
		{"PATCH", "/v1/hosts/compute-0/interfaces/ens3", `{"ifclass":"pci-sriov","sriov_numvfs":4}`, 400, "SR-IOV"},
		{"POST", "/v1/datanetworks", `{"name":"physnet0","network_type":"flat"}`, 409, "already exists"},
		{"POST", "/v1/hosts/compute-0/lock", ``, 409, "already locked"},
		{"POST", "/v1/tokens", `{"project":"p","roles":["root"]}`, 400, "role"},
		{"POST", "/v1/tokens", `{"project":"p","roles":["reader"],"expires_in":"soon"}`, 400, "duration"},
		{"POST", "/v1/hosts/compute-0/interface-datanetworks", `{"interface":"enp59s0f1"}`, 400, "data network"},
	}
	for _, tc := range tests {
		before := storetest.Take(t, f.store)
		what := tc.method + " " + tc.path + " " + tc.body
		status, b := f.do(t, "admin", tc.method, tc.path, strings.NewReader(tc.body))
		if status != tc.want {
			t.Errorf("%s: status %d, want %d (body %s)", what, status, tc.want, b)
			continue
		}
		if msg := errorMessage(t, what, status, b); !strings.Contains(msg, tc.says) {
			t.Errorf("%s: message %q does not say %q", what, msg, tc.says)
		}
		storetest.Unchanged(t, f.store, before, what)
	}
}
