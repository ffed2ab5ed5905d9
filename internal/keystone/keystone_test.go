package keystone_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vfnet/internal/cli"
	"vfnet/internal/keystone"
)

// clock is the validator's cache clock; it starts now (Keystone's tokens
// carry real expiry times) and moves only when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// ks is the real Keystone of $VFNET_TEST_KEYSTONE (scripts/keystone.sh
// starts one: http://admin:PASSWORD@127.0.0.1:PORT/v3), driven over HTTP as
// its admin for the test's setup.
type ks struct {
	t        *testing.T
	url      string // without credentials
	password string
	token    string
}

func openKeystone(t *testing.T) *ks {
	t.Helper()
	raw := os.Getenv("VFNET_TEST_KEYSTONE")
	if raw == "" {
		t.Fatal("VFNET_TEST_KEYSTONE is not set: the external-Keystone test needs a real Keystone; run scripts/test.sh, or export VFNET_TEST_KEYSTONE=$(scripts/keystone.sh)")
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		t.Fatalf("VFNET_TEST_KEYSTONE=%q: want http://admin:PASSWORD@HOST:PORT/v3 (%v)", raw, err)
	}
	password, _ := u.User.Password()
	u.User = nil
	k := &ks{t: t, url: strings.TrimSuffix(u.String(), "/"), password: password}
	st, hdr, body := k.do("POST", "/auth/tokens", "", login("admin", password, "admin"))
	if st != 201 {
		t.Fatalf("log in to Keystone at %s as admin: %d %v", k.url, st, body)
	}
	k.token = hdr.Get("X-Subject-Token")
	return k
}

func login(user, password, project string) string {
	return fmt.Sprintf(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":%q,"domain":{"id":"default"},"password":%q}}},
		"scope":{"project":{"name":%q,"domain":{"id":"default"}}}}}`, user, password, project)
}

func (k *ks) do(method, path, token, body string) (int, http.Header, map[string]any) {
	k.t.Helper()
	req, err := http.NewRequest(method, k.url+path, strings.NewReader(body))
	if err != nil {
		k.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		k.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(raw, &m)
	return resp.StatusCode, resp.Header, m
}

// admin does one admin request that must answer want.
func (k *ks) admin(want int, method, path, body string) map[string]any {
	k.t.Helper()
	st, _, m := k.do(method, path, k.token, body)
	if st != want {
		k.t.Fatalf("Keystone %s %s: %d %v, want %d", method, path, st, m, want)
	}
	return m
}

// roleID returns the id of role name, creating it if Keystone lacks it
// (bootstrap makes admin, member and reader; service is vfnet's to add).
func (k *ks) roleID(name string) string {
	m := k.admin(200, "GET", "/roles?name="+name, "")
	if rs := m["roles"].([]any); len(rs) > 0 {
		return rs[0].(map[string]any)["id"].(string)
	}
	return k.admin(201, "POST", "/roles", `{"role":{"name":"`+name+`"}}`)["role"].(map[string]any)["id"].(string)
}

// project creates a project and returns its id; the test deletes it.
func (k *ks) project(name string) string {
	id := k.admin(201, "POST", "/projects", `{"project":{"name":"`+name+`","domain_id":"default"}}`)["project"].(map[string]any)["id"].(string)
	k.t.Cleanup(func() { k.do("DELETE", "/projects/"+id, k.token, "") })
	return id
}

// user creates a user with role on project (an id); the test deletes it.
func (k *ks) user(name, password, project, role string) {
	id := k.admin(201, "POST", "/users", `{"user":{"name":"`+name+`","password":"`+password+`","domain_id":"default"}}`)["user"].(map[string]any)["id"].(string)
	k.t.Cleanup(func() { k.do("DELETE", "/users/"+id, k.token, "") })
	k.admin(204, "PUT", "/projects/"+project+"/users/"+id+"/roles/"+k.roleID(role), "")
}

func suffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// TestExternalKeystone: vfnet's server validating tokens at Debian's real
// Keystone, registered in its catalog as the network service the way
// docs/identity.md says, and used through the openstack CLI logged in at
// Keystone: each project sees its own networks, the admin all; a revoked
// token stops working once the cache entry lapses; vfnet's own identity is
// off.
func TestExternalKeystone(t *testing.T) {
	bin, err := exec.LookPath("openstack")
	if err != nil {
		t.Fatalf("the openstack CLI is missing: install Debian's python3-openstackclient (scripts/deps.sh does): %v", err)
	}
	k := openKeystone(t)
	s := suffix()

	// vfnet's service user: the service role on the service project is
	// what Keystone's policy asks of a token validator.
	service := k.project("service-" + s)
	k.user("vfnet-"+s, "pw-vfnet", service, "service")
	team := k.project("team-" + s)
	k.user("alice-"+s, "pw-alice", team, "member")
	other := k.project("other-" + s)
	k.user("bob-"+s, "pw-bob", other, "member")

	clk := &clock{t: time.Now()}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := cli.StartServer(ctx, cli.ServerConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Now: clk.Now,
		Keystone: keystone.Config{URL: k.url, User: "vfnet-" + s, Password: "pw-vfnet", Project: "service-" + s,
			CacheTTL: 30 * time.Second}})
	if err != nil {
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
	// The data network project networks take VLANs from, with vfnet's
	// own admin token on /v1.
	req, _ := http.NewRequest("POST", srv.URL+"/v1/datanetworks",
		strings.NewReader(`{"name":"physnet0","network_type":"vlan","segment_ranges":[{"min":100,"max":199}]}`))
	req.Header.Set("X-Auth-Token", srv.AdminToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("POST /v1/datanetworks: %v %v", resp, err)
	}

	dir := t.TempDir()
	var y strings.Builder
	y.WriteString("clouds:\n")
	for _, c := range []struct{ name, user, password, project string }{
		{"admin", "admin", k.password, "admin"}, {"alice", "alice-" + s, "pw-alice", "team-" + s}, {"bob", "bob-" + s, "pw-bob", "other-" + s},
	} {
		fmt.Fprintf(&y, "  %s:\n    auth_type: password\n    auth:\n      auth_url: %s\n      username: %s\n      password: %q\n"+
			"      project_name: %s\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n",
			c.name, k.url, c.user, c.password, c.project)
	}
	if err := os.WriteFile(filepath.Join(dir, "clouds.yaml"), []byte(y.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"OS_CLIENT_CONFIG_FILE=" + filepath.Join(dir, "clouds.yaml"), "HOME=" + dir, "PATH=" + filepath.Dir(bin) + ":/usr/bin:/bin"}
	run := func(cloud string, args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "openstack", append([]string{"--os-cloud", cloud}, args...)...)
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return out.String(), fmt.Errorf("openstack --os-cloud %s %s: %w: %s", cloud, strings.Join(args, " "), err, errb.String())
		}
		return out.String(), nil
	}
	ok := func(cloud string, v any, args ...string) {
		t.Helper()
		out, err := run(cloud, append(args, "-f", "json")...)
		if err != nil {
			t.Fatal(err)
		}
		if v != nil {
			if err := json.Unmarshal([]byte(out), v); err != nil {
				t.Fatalf("openstack %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
	}

	// Register vfnet as the network service (docs/identity.md). Network
	// services a killed run left behind would shadow this one.
	var services []map[string]any
	ok("admin", &services, "service", "list")
	for _, sv := range services {
		if sv["Type"] == "network" {
			ok("admin", nil, "service", "delete", sv["ID"].(string))
		}
	}
	var sv map[string]any
	ok("admin", &sv, "service", "create", "--name", "neutron", "--description", "vfnet", "network")
	t.Cleanup(func() { run("admin", "service", "delete", sv["id"].(string)) })
	for _, iface := range []string{"public", "internal", "admin"} {
		ok("admin", nil, "endpoint", "create", "--region", "RegionOne", "network", iface, srv.URL)
	}

	var net map[string]any
	ok("alice", &net, "network", "create", "team-net")
	if net["project_id"] != team {
		t.Errorf("alice's network belongs to %v, want her Keystone project %s", net["project_id"], team)
	}
	var list []map[string]any
	ok("alice", &list, "network", "list")
	if len(list) != 1 || list[0]["ID"] != net["id"] {
		t.Errorf("alice lists %v, want her network", list)
	}
	ok("bob", &list, "network", "list")
	if len(list) != 0 {
		t.Errorf("bob lists %v, want nothing", list)
	}
	if out, err := run("bob", "network", "show", net["id"].(string)); err == nil {
		t.Errorf("bob shows alice's network: %s", out)
	}
	ok("admin", &list, "network", "list")
	if len(list) != 1 {
		t.Errorf("Keystone's admin lists %v, want alice's network", list)
	}

	// Keystone's tokens on /v1, with the roles they have on /v2.0: the
	// admin configures hosts, a member reads.
	var adminTok map[string]any
	ok("admin", &adminTok, "token", "issue")
	var tok map[string]any
	ok("alice", &tok, "token", "issue")
	secret := tok["id"].(string)
	for _, tc := range []struct {
		token, method, path, body string
		want                      int
	}{
		{adminTok["id"].(string), "POST", "/v1/datanetworks", `{"name":"physnet1","network_type":"flat"}`, 201},
		{adminTok["id"].(string), "GET", "/v1/hosts", "", 200},
		{secret, "GET", "/v1/datanetworks", "", 200},
		{secret, "POST", "/v1/datanetworks", `{"name":"physnet2","network_type":"flat"}`, 403},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("X-Auth-Token", tc.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s with a Keystone token: %d %s, want %d", tc.method, tc.path, resp.StatusCode, b, tc.want)
		}
	}

	// Revocation: the token works until the cache entry lapses, then 401.
	get := func() int {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/v2.0/networks", nil)
		req.Header.Set("X-Auth-Token", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get(); st != 200 {
		t.Fatalf("alice's token on /v2.0: %d, want 200", st)
	}
	if out, err := run("admin", "token", "revoke", secret); err != nil {
		t.Fatalf("token revoke: %v %s", err, out)
	}
	if st := get(); st != 200 {
		t.Errorf("a revoked token within the cache time: %d, want 200 (cached)", st)
	}
	clk.Advance(31 * time.Second)
	if st := get(); st != 401 {
		t.Errorf("a revoked token after the cache time: %d, want 401", st)
	}
	resp, err := http.Get(srv.URL + "/identity/v3")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(b), k.url) {
		t.Errorf("vfnet's identity with an external Keystone: %d %s, want 404 naming %s", resp.StatusCode, b, k.url)
	}
}
