package neutronapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vfnet/internal/api"
	"vfnet/internal/store"
	"vfnet/internal/store/storetest"
)

// osc drives the real openstack CLI (Debian's python3-openstackclient,
// installed by scripts/deps.sh) against a vfnet server on loopback: /v1 and
// /v2.0 on one address over a fresh SQLite store, a clouds.yaml with one
// cloud per identity using keystoneauth's admin_token plugin (a fixed token
// and endpoint, no identity service).
type osc struct {
	t      *testing.T
	url    string
	tokens map[string]string
	env    []string
}

func newOSC(t *testing.T) *osc {
	t.Helper()
	bin, err := exec.LookPath("openstack")
	if err != nil {
		t.Fatalf("the openstack CLI is missing: install Debian's python3-openstackclient (scripts/deps.sh does): %v", err)
	}
	ctx := context.Background()
	st := storetest.OpenSQLite(t, store.Options{})
	o := &osc{t: t, tokens: map[string]string{}}
	for id, spec := range map[string]store.TokenSpec{
		"admin":    {Project: "admin-project", Roles: []string{store.RoleAdmin}},
		"member-a": {Project: "project-a", Roles: []string{store.RoleMember}},
	} {
		secret := store.NewTokenSecret()
		if _, err := st.CreateToken(ctx, secret, spec); err != nil {
			t.Fatal(err)
		}
		o.tokens[id] = secret
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// /v1 beside / and /v2.0 on one address, as the server mounts them.
	mux := http.NewServeMux()
	mux.Handle("/v1/", api.New(st, nil))
	mux.Handle("/", New(Options{Store: st}))
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	o.url = "http://" + ln.Addr().String()

	// The data network comes through vfnet's own API, as an operator
	// creates it.
	dn := `{"name":"datanet-a","network_type":"vlan","mtu":9000,"segment_ranges":[{"min":100,"max":101}]}`
	req, err := http.NewRequest("POST", o.url+"/v1/datanetworks", strings.NewReader(dn))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(api.TokenHeader, o.tokens["admin"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/datanetworks: status %d, want 201", resp.StatusCode)
	}

	dir := t.TempDir()
	var clouds strings.Builder
	clouds.WriteString("clouds:\n")
	for id, tok := range o.tokens {
		fmt.Fprintf(&clouds, "  %s:\n    auth_type: admin_token\n    auth:\n      token: %q\n      endpoint: %q\n", id, tok, o.url)
	}
	if err := os.WriteFile(filepath.Join(dir, "clouds.yaml"), []byte(clouds.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	o.env = append(os.Environ(), "OS_CLIENT_CONFIG_FILE="+filepath.Join(dir, "clouds.yaml"), "HOME="+dir, "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
	// Leftover OS_* variables of the caller's shell would change what the
	// CLI sends.
	for i, kv := range o.env {
		if strings.HasPrefix(kv, "OS_") && !strings.HasPrefix(kv, "OS_CLIENT_CONFIG_FILE=") {
			o.env[i] = "VFNET_IGNORED_" + kv
		}
	}
	return o
}

// run runs openstack as identity and returns stdout, stderr and the exit
// code.
func (o *osc) run(identity string, args ...string) (string, string, int) {
	o.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openstack", append([]string{"--os-cloud", identity}, args...)...)
	cmd.Env = o.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &exit):
		return stdout.String(), stderr.String(), exit.ExitCode()
	}
	o.t.Fatalf("openstack %s: %v", strings.Join(args, " "), err)
	return "", "", 0
}

// ok runs a command that must succeed and decodes its -f json output.
func (o *osc) ok(identity string, out any, args ...string) {
	o.t.Helper()
	stdout, stderr, code := o.run(identity, append(args, "-f", "json")...)
	if code != 0 {
		o.t.Fatalf("openstack %s (as %s): exit %d, want 0\nstderr: %s", strings.Join(args, " "), identity, code, stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(stdout), out); err != nil {
			o.t.Fatalf("openstack %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout)
		}
	}
}

// fails runs a command that must fail, and checks that its error names the
// HTTP status (0: the CLI failed before a request could fail, e.g. a name
// it could not resolve) and says each of want.
func (o *osc) fails(identity string, status int, args []string, want ...string) {
	o.t.Helper()
	_, stderr, code := o.run(identity, args...)
	if code == 0 {
		o.t.Fatalf("openstack %s (as %s): succeeded, want HTTP %d", strings.Join(args, " "), identity, status)
	}
	if status != 0 && !strings.Contains(stderr, fmt.Sprint(status)) {
		o.t.Errorf("openstack %s: stderr does not name HTTP %d:\n%s", strings.Join(args, " "), status, stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			o.t.Errorf("openstack %s: stderr does not say %q:\n%s", strings.Join(args, " "), w, stderr)
		}
	}
}

// TestOpenstackCLI runs the seed's project steps and what a user would
// hit, with the real openstack CLI.
func TestOpenstackCLI(t *testing.T) {
	o := newOSC(t)
	var net, sub, port, out map[string]any
	var list []map[string]any

	// The seed's steps.
	o.ok("admin", &net, "network", "create", "--provider-network-type", "vlan", "--provider-physical-network", "datanet-a",
		"--provider-segment", "10", "net-a")
	want(t, "net-a", net, "provider:network_type", "vlan", "provider:physical_network", "datanet-a",
		"provider:segmentation_id", "10", "mtu", "9000", "status", "ACTIVE")
	o.ok("admin", &sub, "subnet", "create", "--network", "net-a", "--subnet-range", "192.0.2.0/24", "sub-a")
	want(t, "sub-a", sub, "cidr", "192.0.2.0/24", "gateway_ip", "192.0.2.1", "network_id", fmt.Sprint(net["id"]))
	o.ok("admin", &port, "port", "create", "--network", "net-a", "--vnic-type", "direct",
		"--fixed-ip", "subnet=sub-a,ip-address=192.0.2.10", "sriov-port")
	want(t, "sriov-port", port, "binding_vnic_type", "direct", "binding_vif_type", "unbound", "status", "DOWN")
	if ips := fmt.Sprint(port["fixed_ips"]); !strings.Contains(ips, "192.0.2.10") || !strings.Contains(ips, fmt.Sprint(sub["id"])) {
		t.Errorf("sriov-port fixed_ips: got %s, want 192.0.2.10 in sub-a", ips)
	}
	if mac := fmt.Sprint(port["mac_address"]); !strings.HasPrefix(mac, "fa:16:3e:") {
		t.Errorf("sriov-port mac_address: got %s, want fa:16:3e:..", mac)
	}
	o.ok("admin", &out, "port", "show", "sriov-port")
	want(t, "port show", out, "id", fmt.Sprint(port["id"]), "name", "sriov-port")

	o.ok("admin", &list, "port", "list", "--network", "net-a", "--fixed-ip", "ip-address=192.0.2.10")
	if len(list) != 1 || fmt.Sprint(list[0]["ID"]) != fmt.Sprint(port["id"]) {
		t.Errorf("port list --network net-a --fixed-ip ip-address=192.0.2.10: got %v, want sriov-port only", list)
	}
	o.ok("admin", &list, "port", "list", "--fixed-ip", "ip-substring=0.2.10")
	if len(list) != 1 || fmt.Sprint(list[0]["ID"]) != fmt.Sprint(port["id"]) {
		t.Errorf("port list --fixed-ip ip-substring=0.2.10: got %v, want sriov-port only", list)
	}
	o.ok("admin", &list, "port", "list", "--fixed-ip", "ip-address=192.0.2.99")
	if len(list) != 0 {
		t.Errorf("port list --fixed-ip ip-address=192.0.2.99: got %v, want none", list)
	}
	o.ok("admin", &list, "network", "list", "--provider-network-type", "vlan", "--provider-segment", "10")
	if len(list) != 1 || fmt.Sprint(list[0]["Name"]) != "net-a" {
		t.Errorf("network list --provider-segment 10: got %v, want net-a", list)
	}
	o.ok("admin", &list, "subnet", "list", "--network", "net-a")
	if len(list) != 1 || fmt.Sprint(list[0]["Name"]) != "sub-a" {
		t.Errorf("subnet list --network net-a: got %v, want sub-a", list)
	}

	if _, stderr, code := o.run("admin", "port", "set", "--name", "sriov-port-2", "--description", "seed", "--disable-port-security", "sriov-port"); code != 0 {
		t.Fatalf("port set: exit %d: %s", code, stderr)
	}
	o.ok("admin", &out, "port", "show", "sriov-port-2")
	want(t, "port after set", out, "description", "seed", "port_security_enabled", "false", "revision_number", "2")

	// An external compute service binding it: the host is stored; the
	// device claim comes with the binding engineer's BindFunc.
	if _, stderr, code := o.run("admin", "port", "set", "--host", "compute-0", "sriov-port-2"); code != 0 {
		t.Fatalf("port set --host: exit %d: %s", code, stderr)
	}
	o.ok("admin", &out, "port", "show", "sriov-port-2")
	want(t, "direct port given a host", out, "binding_host_id", "compute-0", "binding_vif_type", "unbound")

	// What a user would hit.
	o.fails("admin", 409, []string{"network", "create", "--provider-network-type", "vlan", "--provider-physical-network", "datanet-a",
		"--provider-segment", "10", "net-b"}, "Unable to create the network. The VLAN 10 on physical network datanet-a is in use.")
	o.fails("member-a", 403, []string{"network", "create", "--provider-network-type", "vlan", "--provider-physical-network", "datanet-a",
		"--provider-segment", "11", "net-m"}, "rule:create_network:provider:network_type", "is disallowed by policy")
	o.fails("admin", 404, []string{"port", "create", "--network", "net-a", "--vnic-type", "direct", "--security-group", "default", "p-sg"},
		"vfnet offers no security groups", "--no-security-group")
	o.fails("admin", 404, []string{"port", "create", "--network", "net-a", "--vnic-type", "direct", "--qos-policy", "gold", "p-qos"},
		"vfnet offers no QoS policies")
	o.fails("admin", 404, []string{"port", "set", "--qos-policy", "5f0d3f5e-7a3b-4c47-9f1e-2b1f0c2a9d11", "sriov-port-2"},
		"vfnet offers no QoS policies")

	o.ok("member-a", &out, "network", "create", "net-m")
	want(t, "member's network", out, "project_id", "project-a", "mtu", "9000")
	if _, ok := out["provider:segmentation_id"]; ok && out["provider:segmentation_id"] != nil {
		t.Errorf("member sees its network's VLAN: %v", out["provider:segmentation_id"])
	}
	o.ok("admin", &out, "network", "show", "net-m")
	want(t, "member's network as admin sees it", out, "provider:segmentation_id", "100")
	o.fails("member-a", 0, []string{"port", "show", "sriov-port-2"}, "No Port found for sriov-port-2")

	var small map[string]any
	o.ok("admin", &small, "subnet", "create", "--network", "net-a", "--subnet-range", "198.51.100.0/29",
		"--allocation-pool", "start=198.51.100.2,end=198.51.100.3", "sub-small")
	for _, name := range []string{"p-s1", "p-s2"} {
		o.ok("admin", nil, "port", "create", "--network", "net-a", "--vnic-type", "direct", "--fixed-ip", "subnet=sub-small", name)
	}
	o.fails("admin", 409, []string{"port", "create", "--network", "net-a", "--vnic-type", "direct", "--fixed-ip", "subnet=sub-small", "p-s3"},
		fmt.Sprintf("No more IP addresses available for subnet %s.", small["id"]))

	o.ok("admin", &out, "port", "create", "--network", "net-a", "--vnic-type", "normal", "p-normal")
	want(t, "normal port", out, "binding_vnic_type", "normal")
	if _, stderr, code := o.run("admin", "port", "set", "--host", "compute-0", "p-normal"); code != 0 {
		t.Fatalf("port set --host on a normal port: exit %d: %s", code, stderr)
	}
	o.ok("admin", &out, "port", "show", "p-normal")
	want(t, "normal port given a host", out, "binding_host_id", "compute-0", "binding_vif_type", "binding_failed")

	o.fails("admin", 409, []string{"subnet", "delete", "sub-small"}, "One or more ports have an IP allocation from this subnet")
	o.fails("admin", 409, []string{"network", "delete", "net-a"}, "There are one or more ports still in use on the network")

	// Delete.
	for _, p := range []string{"sriov-port-2", "p-s1", "p-s2", "p-normal"} {
		if _, stderr, code := o.run("admin", "port", "delete", p); code != 0 {
			t.Fatalf("port delete %s: exit %d: %s", p, code, stderr)
		}
	}
	for _, args := range [][]string{{"subnet", "delete", "sub-small"}, {"network", "delete", "net-a"}, {"network", "delete", "net-m"}} {
		if _, stderr, code := o.run("admin", args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	o.fails("admin", 0, []string{"network", "show", "net-a"}, "No Network found for net-a")
	o.fails("admin", 0, []string{"subnet", "show", "sub-a"}, "No Subnet found for sub-a")
}

// want checks attributes of a -f json object; values compare as text.
func want(t *testing.T, what string, obj map[string]any, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if got := fmt.Sprint(obj[kv[i]]); got != kv[i+1] {
			t.Errorf("%s: %s = %s, want %s", what, kv[i], got, kv[i+1])
		}
	}
}
