package keystoneapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"

	"vfnet/internal/cli"
	"vfnet/internal/store/storetest"
)

// cloud is a vfnet server as `vfnet server` runs it (its /v1, /v2.0 and
// /identity on one loopback address) over a fresh SQLite store whose clock
// the test moves, with a vlan data network for project networks, projects
// a and b and users alice (member of a) and bob (member of b).
type cloud struct {
	t        *testing.T
	url      string
	admin    string // the bootstrap admin token
	password string // the admin user's
	clock    *storetest.Clock
	projects map[string]string // name → id
}

const ttl = 2 * time.Hour

func newCloud(t *testing.T) *cloud {
	t.Helper()
	clock := storetest.NewClock()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := cli.StartServer(ctx, cli.ServerConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Now: clock.Now,
		Identity: cli.IdentityConfig{TokenTTL: ttl}})
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
	c := &cloud{t: t, url: srv.URL, admin: srv.AdminToken, password: srv.AdminPassword, clock: clock, projects: map[string]string{}}
	if c.password == "" {
		t.Fatal("the server made no admin password")
	}
	c.call(201, "POST", "/v1/datanetworks", c.admin, nil,
		`{"name":"physnet0","network_type":"vlan","segment_ranges":[{"min":100,"max":199}]}`)
	for _, p := range []struct{ project, user string }{{"a", "alice"}, {"b", "bob"}} {
		st, body := c.do("POST", "/identity/v3/projects", c.admin, nil, `{"project":{"name":"`+p.project+`","domain_id":"default"}}`)
		c.want(st, body, 201)
		c.projects[p.project] = body["project"].(map[string]any)["id"].(string)
		c.call(201, "POST", "/identity/v3/users", c.admin, nil, `{"user":{"name":"`+p.user+`","password":"pw-`+p.user+`","domain_id":"default"}}`)
		c.call(204, "PUT", "/identity/v3/projects/"+p.project+"/users/"+p.user+"/roles/member", c.admin, nil, "")
	}
	return c
}

// do sends one request with token ("" sends none) and the headers given
// as name, value pairs, and returns the status and decoded body.
func (c *cloud) do(method, path, token string, header []string, body string) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			c.t.Fatalf("%s %s: status %d, body not JSON: %s", method, path, resp.StatusCode, raw)
		}
	}
	if m != nil && resp.Header.Get("X-Subject-Token") != "" {
		m["X-Subject-Token"] = resp.Header.Get("X-Subject-Token")
	}
	return resp.StatusCode, m
}

// call is do that fails the test unless the status is want.
func (c *cloud) call(want int, method, path, token string, header []string, body string) map[string]any {
	c.t.Helper()
	status, m := c.do(method, path, token, header, body)
	c.want(status, m, want)
	return m
}

func (c *cloud) want(status int, body map[string]any, want int) {
	c.t.Helper()
	if status != want {
		c.t.Fatalf("status %d, want %d; body %v", status, want, body)
	}
}

// login issues a token by password scoped to project (a name) and returns
// its secret.
func (c *cloud) login(user, password, project string) (int, string, map[string]any) {
	c.t.Helper()
	body := fmt.Sprintf(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":%q,"domain":{"name":"Default"},"password":%q}}},
		"scope":{"project":{"name":%q,"domain":{"id":"default"}}}}}`, user, password, project)
	st, m := c.do("POST", "/identity/v3/auth/tokens", "", nil, body)
	secret, _ := m["X-Subject-Token"].(string)
	return st, secret, m
}

// wantUnauthorized checks Keystone's 401 body.
func wantUnauthorized(t *testing.T, what string, status int, body map[string]any) {
	t.Helper()
	e, _ := body["error"].(map[string]any)
	if status != 401 || e == nil || e["code"] != float64(401) || e["title"] != "Unauthorized" {
		t.Errorf("%s: status %d body %v, want 401 with Keystone's error body", what, status, body)
	}
}

// TestLoginAndRefusals: a password login gets Keystone's token body and
// catalog; a wrong password, an expired token and a revoked token get 401
// both from the identity and from /v2.0.
func TestLoginAndRefusals(t *testing.T) {
	c := newCloud(t)
	st, secret, body := c.login("alice", "pw-alice", "a")
	c.want(st, body, 201)
	tok := body["token"].(map[string]any)
	if tok["project"].(map[string]any)["id"] != c.projects["a"] || tok["user"].(map[string]any)["name"] != "alice" {
		t.Errorf("token %v: want alice in project a (%s)", tok, c.projects["a"])
	}
	if want := c.clock.Now().Add(ttl).Format("2006-01-02T15:04:05.000000Z"); tok["expires_at"] != want {
		t.Errorf("expires_at %v, want %s", tok["expires_at"], want)
	}
	cat, _ := json.Marshal(tok["catalog"])
	for _, want := range []string{`"type":"network"`, `"url":"` + c.url + `"`, `"type":"identity"`, `"url":"` + c.url + `/identity/v3"`,
		`"interface":"internal"`, `"interface":"admin"`, `"region_id":"RegionOne"`} {
		if !strings.Contains(string(cat), want) {
			t.Errorf("catalog %s lacks %s", cat, want)
		}
	}
	c.call(200, "GET", "/v2.0/networks", secret, nil, "")

	st, _, body = c.login("alice", "wrong", "a")
	wantUnauthorized(t, "wrong password", st, body)
	st, _, body = c.login("nobody", "pw-alice", "a")
	wantUnauthorized(t, "unknown user", st, body)
	st, _, body = c.login("alice", "pw-alice", "b")
	wantUnauthorized(t, "project without a role", st, body)

	// The token method, scoped by project id, then validation by the
	// user itself and by the admin token.
	st, body = c.do("POST", "/identity/v3/auth/tokens", "", nil,
		`{"auth":{"identity":{"methods":["token"],"token":{"id":"`+secret+`"}},"scope":{"project":{"id":"`+c.projects["a"]+`"}}}}`)
	c.want(st, body, 201)
	second := body["X-Subject-Token"].(string)
	for _, caller := range []string{second, c.admin} {
		st, body = c.do("GET", "/identity/v3/auth/tokens", caller, []string{"X-Subject-Token", second}, "")
		c.want(st, body, 200)
		if m := body["token"].(map[string]any)["methods"]; fmt.Sprint(m) != "[token password]" {
			t.Errorf("methods of an exchanged token: %v, want [token password]", m)
		}
	}
	if st, _ := c.do("HEAD", "/identity/v3/auth/tokens", c.admin, []string{"X-Subject-Token", second}, ""); st != 200 {
		t.Errorf("HEAD /v3/auth/tokens: %d, want 200", st)
	}
	// Another member may not validate it.
	_, bobs, _ := c.login("bob", "pw-bob", "b")
	c.call(403, "GET", "/identity/v3/auth/tokens", bobs, []string{"X-Subject-Token", second}, "")

	// Revoked: 401 on /v2.0, 404 when validated.
	c.call(204, "DELETE", "/identity/v3/auth/tokens", second, []string{"X-Subject-Token", second}, "")
	st, body = c.do("GET", "/v2.0/networks", second, nil, "")
	if st != 401 {
		t.Errorf("revoked token on /v2.0: %d %v, want 401", st, body)
	}
	c.call(404, "GET", "/identity/v3/auth/tokens", c.admin, []string{"X-Subject-Token", second}, "")
	st, body = c.do("GET", "/identity/v3/auth/tokens", second, []string{"X-Subject-Token", secret}, "")
	wantUnauthorized(t, "revoked token as the caller", st, body)

	// Expired: the clock moves past the lifetime.
	c.call(200, "GET", "/v2.0/networks", secret, nil, "")
	c.clock.Advance(ttl)
	st, body = c.do("GET", "/v2.0/networks", secret, nil, "")
	if st != 401 {
		t.Errorf("expired token on /v2.0: %d %v, want 401", st, body)
	}
	st, body = c.do("GET", "/identity/v3/auth/tokens", secret, []string{"X-Subject-Token", secret}, "")
	wantUnauthorized(t, "expired token", st, body)
	st, body = c.do("POST", "/identity/v3/auth/tokens", "", nil,
		`{"auth":{"identity":{"methods":["token"],"token":{"id":"`+secret+`"}},"scope":{"project":{"id":"`+c.projects["a"]+`"}}}}`)
	wantUnauthorized(t, "exchanging an expired token", st, body)
}

// TestProjectIsolation: a member token cannot reach another project's
// network: 404, and it is not listed.
func TestProjectIsolation(t *testing.T) {
	c := newCloud(t)
	_, alice, _ := c.login("alice", "pw-alice", "a")
	_, bob, _ := c.login("bob", "pw-bob", "b")
	st, body := c.do("POST", "/v2.0/networks", alice, nil, `{"network":{"name":"alices"}}`)
	c.want(st, body, 201)
	net := body["network"].(map[string]any)
	if net["project_id"] != c.projects["a"] {
		t.Errorf("network's project %v, want a's id %s", net["project_id"], c.projects["a"])
	}
	id := net["id"].(string)
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		body := ""
		if m == "PUT" {
			body = `{"network":{"name":"mine"}}`
		}
		if st, b := c.do(m, "/v2.0/networks/"+id, bob, nil, body); st != 404 {
			t.Errorf("%s of alice's network as bob: %d %v, want 404", m, st, b)
		}
	}
	_, b := c.do("GET", "/v2.0/networks", bob, nil, "")
	if nets := b["networks"].([]any); len(nets) != 0 {
		t.Errorf("bob lists %v, want nothing", nets)
	}
	// An external network of the admin's is visible to every project
	// (Neutron's rule:external); its subnets are not, as it is not shared.
	c.call(201, "POST", "/v1/datanetworks", c.admin, nil, `{"name":"ext","network_type":"flat"}`)
	b = c.call(201, "POST", "/v2.0/networks", c.admin, nil,
		`{"network":{"name":"public","router:external":true,"provider:network_type":"flat","provider:physical_network":"ext"}}`)
	pub := b["network"].(map[string]any)["id"].(string)
	c.call(201, "POST", "/v2.0/subnets", c.admin, nil, `{"subnet":{"network_id":"`+pub+`","cidr":"192.0.2.0/24","ip_version":4}}`)
	b = c.call(200, "GET", "/v2.0/networks?router:external=True", bob, nil, "")
	if nets := b["networks"].([]any); len(nets) != 1 || nets[0].(map[string]any)["id"] != pub {
		t.Errorf("bob's external networks: %v, want only %s", nets, pub)
	}
	b = c.call(200, "GET", "/v2.0/subnets?network_id="+pub, bob, nil, "")
	if subs := b["subnets"].([]any); len(subs) != 0 {
		t.Errorf("bob sees the public network's subnets %v, want none", subs)
	}
	// The identity's admin routes are the admin's.
	c.call(403, "POST", "/identity/v3/projects", bob, nil, `{"project":{"name":"c"}}`)
	c.call(403, "GET", "/identity/v3/users", bob, nil, "")
}

// TestTempestCredentials goes through what tempest's dynamic credentials
// do for a test class: look the domain and the roles up, create a project
// and a user, assign a role, log in, delete both; the token dies with them.
func TestTempestCredentials(t *testing.T) {
	c := newCloud(t)
	_, admin, _ := c.login("admin", c.password, "admin")
	st, body := c.do("GET", "/identity/v3/domains?name=Default", admin, nil, "")
	c.want(st, body, 200)
	if ds := body["domains"].([]any); len(ds) != 1 || ds[0].(map[string]any)["id"] != "default" {
		t.Fatalf("domains named Default: %v", ds)
	}
	st, body = c.do("GET", "/identity/v3/roles", admin, nil, "")
	c.want(st, body, 200)
	var roles []string
	for _, r := range body["roles"].([]any) {
		roles = append(roles, r.(map[string]any)["name"].(string))
	}
	if fmt.Sprint(roles) != "[admin member reader service]" {
		t.Errorf("roles %v", roles)
	}
	st, body = c.do("POST", "/identity/v3/projects", admin, nil, `{"project":{"name":"tempest-x","description":"d","domain_id":"default"}}`)
	c.want(st, body, 201)
	pid := body["project"].(map[string]any)["id"].(string)
	st, body = c.do("POST", "/identity/v3/users", admin, nil,
		`{"user":{"name":"tempest-u","password":"pw","project_id":"`+pid+`","email":"u@example.org","domain_id":"default"}}`)
	c.want(st, body, 201)
	uid := body["user"].(map[string]any)["id"].(string)
	c.call(409, "POST", "/identity/v3/users", admin, nil, `{"user":{"name":"tempest-u","password":"pw"}}`)
	c.call(204, "PUT", "/identity/v3/projects/"+pid+"/users/"+uid+"/roles/member", admin, nil, "")
	c.call(404, "PUT", "/identity/v3/projects/"+pid+"/users/"+uid+"/roles/nope", admin, nil, "")
	c.call(204, "HEAD", "/identity/v3/projects/"+pid+"/users/"+uid+"/roles/member", admin, nil, "")
	st, secret, body := c.login("tempest-u", "pw", "tempest-x")
	c.want(st, body, 201)
	c.call(200, "GET", "/v2.0/networks", secret, nil, "")
	c.call(204, "DELETE", "/identity/v3/users/"+uid, admin, nil, "")
	c.call(204, "DELETE", "/identity/v3/projects/"+pid, admin, nil, "")
	c.call(404, "DELETE", "/identity/v3/projects/"+pid, admin, nil, "")
	if st, _ := c.do("GET", "/v2.0/networks", secret, nil, ""); st != 401 {
		t.Errorf("token of a deleted user: %d, want 401", st)
	}
}

// TestDiscovery: the version documents at /identity and /identity/v3, and
// Neutron's still at /.
func TestDiscovery(t *testing.T) {
	c := newCloud(t)
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/identity", 300, `"values"`},
		{"/identity/", 300, `"href":"` + c.url + `/identity/v3/"`},
		{"/identity/v3", 200, `"id":"v3.14"`},
		{"/identity/v3/", 200, `"application/vnd.openstack.identity-v3+json"`},
		{"/", 200, `"v2.0"`},
	} {
		st, body := c.do("GET", tc.path, "", nil, "")
		b, _ := json.Marshal(body)
		if st != tc.status || !strings.Contains(string(b), tc.want) {
			t.Errorf("GET %s: %d %s, want %d with %s", tc.path, st, b, tc.status, tc.want)
		}
	}
}

// TestGophercloudFromEnv: a Go program's usual login, AuthOptionsFromEnv
// and AuthenticatedClient, then the network API through the catalog.
func TestGophercloudFromEnv(t *testing.T) {
	c := newCloud(t)
	for k, v := range map[string]string{
		"OS_AUTH_URL": c.url + "/identity/v3", "OS_USERNAME": "alice", "OS_PASSWORD": "pw-alice",
		"OS_PROJECT_NAME": "a", "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
		"OS_REGION_NAME": "RegionOne", "OS_PROJECT_ID": "", "OS_TENANT_ID": "", "OS_TENANT_NAME": "",
		"OS_USERID": "", "OS_DOMAIN_ID": "",
		// gophercloud reads no OS_*_DOMAIN_NAME: OS_DOMAIN_NAME is the
		// user's and the project's domain.
		"OS_DOMAIN_NAME": "Default", "OS_TOKEN": "", "OS_SYSTEM_SCOPE": "",
		"OS_APPLICATION_CREDENTIAL_ID": "", "OS_APPLICATION_CREDENTIAL_NAME": "", "OS_APPLICATION_CREDENTIAL_SECRET": "",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	opts, err := openstack.AuthOptionsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := openstack.AuthenticatedClient(ctx, opts)
	if err != nil {
		t.Fatalf("AuthenticatedClient: %v", err)
	}
	nc, err := openstack.NewNetworkV2(pc, gophercloud.EndpointOpts{Region: "RegionOne"})
	if err != nil {
		t.Fatalf("NewNetworkV2: %v", err)
	}
	if nc.Endpoint != c.url+"/" {
		t.Errorf("network endpoint %q, want %q", nc.Endpoint, c.url+"/")
	}
	created, err := networks.Create(ctx, nc, networks.CreateOpts{Name: "from-go"}).Extract()
	if err != nil {
		t.Fatalf("create network: %v", err)
	}
	pages, err := networks.List(nc, networks.ListOpts{}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := networks.ExtractNetworks(pages)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].ID != created.ID || all[0].ProjectID != c.projects["a"] {
		t.Errorf("networks %+v, want only %s in project a", all, created.ID)
	}

	opts.Password = "wrong"
	_, err = openstack.AuthenticatedClient(ctx, opts)
	if !gophercloud.ResponseCodeIs(err, http.StatusUnauthorized) {
		t.Errorf("wrong password: %v, want 401", err)
	}
}

// TestOpenstackCLI: the real openstack CLI with password clouds.yaml files
// (the versioned auth_url, as `vfnet dev` writes it, and the unversioned
// one keystoneauth discovers from) logs in and uses the network API and
// the identity's administration.
func TestOpenstackCLI(t *testing.T) {
	if _, err := exec.LookPath("openstack"); err != nil {
		t.Fatalf("the openstack CLI is missing: install Debian's python3-openstackclient (scripts/deps.sh does): %v", err)
	}
	c := newCloud(t)
	dir := t.TempDir()
	var y strings.Builder
	y.WriteString("clouds:\n")
	for _, cl := range []struct{ name, authURL, user, password, project string }{
		{"admin", c.url + "/identity/v3", "admin", c.password, "admin"},
		{"alice", c.url + "/identity", "alice", "pw-alice", "a"},
		{"bob", c.url + "/identity/v3", "bob", "pw-bob", "b"},
		{"wrong", c.url + "/identity/v3", "bob", "wrong", "b"},
	} {
		fmt.Fprintf(&y, "  %s:\n    auth_type: password\n    auth:\n      auth_url: %s\n      username: %s\n      password: %q\n"+
			"      project_name: %s\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n",
			cl.name, cl.authURL, cl.user, cl.password, cl.project)
	}
	if err := os.WriteFile(filepath.Join(dir, "clouds.yaml"), []byte(y.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"OS_CLIENT_CONFIG_FILE=" + filepath.Join(dir, "clouds.yaml"), "HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	run := func(cloud string, args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "openstack", append([]string{"--os-cloud", cloud}, args...)...)
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err != nil {
			err = fmt.Errorf("%w: %s", err, errb.String())
		}
		return out.String(), err
	}
	ok := func(cloud string, v any, args ...string) {
		t.Helper()
		out, err := run(cloud, append(args, "-f", "json")...)
		if err != nil {
			t.Fatalf("openstack --os-cloud %s %s: %v", cloud, strings.Join(args, " "), err)
		}
		if v != nil {
			if err := json.Unmarshal([]byte(out), v); err != nil {
				t.Fatalf("openstack %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
	}
	var net map[string]any
	ok("alice", &net, "network", "create", "alices")
	if net["project_id"] != c.projects["a"] {
		t.Errorf("alice's network belongs to %v, want project a (%s)", net["project_id"], c.projects["a"])
	}
	var list []map[string]any
	ok("alice", &list, "network", "list")
	if len(list) != 1 {
		t.Errorf("alice lists %v, want her network", list)
	}
	ok("bob", &list, "network", "list")
	if len(list) != 0 {
		t.Errorf("bob lists %v, want nothing", list)
	}
	if out, err := run("bob", "network", "show", net["id"].(string)); err == nil || !strings.Contains(err.Error(), "No Network found") {
		t.Errorf("bob shows alice's network: %v %s, want not found", err, out)
	}
	var tok map[string]any
	ok("alice", &tok, "token", "issue")
	if tok["project_id"] != c.projects["a"] {
		t.Errorf("token issue: %v", tok)
	}
	// Administration through the CLI's identity verbs.
	ok("admin", nil, "project", "create", "c")
	ok("admin", nil, "user", "create", "--password", "pw-carol", "--project", "c", "carol")
	if out, err := run("admin", "role", "add", "--user", "carol", "--project", "c", "reader"); err != nil {
		t.Fatalf("role add: %v %s", err, out)
	}
	var users []map[string]any
	ok("admin", &users, "user", "list")
	if len(users) != 4 {
		t.Errorf("user list: %v, want admin, alice, bob, carol", users)
	}
	ok("admin", &list, "network", "list")
	if len(list) != 1 {
		t.Errorf("the admin lists %v, want alice's network", list)
	}
	_, err := run("wrong", "network", "list")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("wrong password: %v, want a 401", err)
	}
}
