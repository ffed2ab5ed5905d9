package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"vfnet/internal/model"
	"vfnet/internal/store"
	"vfnet/internal/store/storetest"
)

// withInstance adds to the fixture's store what the instance routes act
// on: compute-2 and compute-3, unlocked with 4 VFs on physnet-vf each; a
// network on VLAN 10; port-a, a NIC of instance vm0 on compute-2; and
// port-b, free.
func withInstance(t testing.TB, st *store.Store) {
	t.Helper()
	pf := storetest.PF{Bus: "3b", Node: 0, VFs: 4, DataNetworks: []string{"physnet-vf"}}
	if _, err := st.CreateDataNetwork(context.Background(), model.DataNetwork{Name: "physnet-vf", NetworkType: model.NetworkTypeVLAN}); err != nil {
		t.Fatal(err)
	}
	storetest.SRIOVHost(t, st, "compute-2", pf)
	storetest.SRIOVHost(t, st, "compute-3", pf)
	net := storetest.Network(t, st, "net10", "physnet-vf", 10)
	a := storetest.NeutronPort(t, st, net.ID, "direct", `"name":"port-a"`)
	storetest.NeutronPort(t, st, net.ID, "direct", `"name":"port-b"`)
	if _, err := st.CreateInstance(context.Background(), store.InstanceRequest{Name: "vm0", Project: "admin", Ports: []string{a.ID}, Host: "compute-2"}); err != nil {
		t.Fatal(err)
	}
}

// instanceEnv is an API on its own store with hosts made by SRIOVHost.
type instanceEnv struct {
	t   *testing.T
	st  *store.Store
	url string
	tok string
}

func newInstanceEnv(t *testing.T, st *store.Store) *instanceEnv {
	t.Helper()
	tok := store.NewTokenSecret()
	if _, err := st.CreateToken(context.Background(), tok, store.TokenSpec{Project: "admin", Roles: []string{store.RoleAdmin}}); err != nil &&
		model.CodeOf(err) != model.ErrConflict {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(st, nil))
	t.Cleanup(srv.Close)
	return &instanceEnv{t: t, st: st, url: srv.URL, tok: tok}
}

// create POSTs an instance and returns the status, the instance (on 201)
// and the error message (otherwise).
func (e *instanceEnv) create(body string) (int, InstanceView, string) {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.url+"/v1/instances", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set(TokenHeader, e.tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v InstanceView
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(b, &v); err != nil {
			e.t.Fatalf("POST /v1/instances %s: %v in %s", body, err, b)
		}
		return resp.StatusCode, v, ""
	}
	var eb ErrorBody
	json.Unmarshal(b, &eb)
	return resp.StatusCode, v, eb.Error.Message
}

func instanceBody(name, port, policy string, node *int) string {
	m := map[string]any{"name": name, "ports": []string{port}}
	if policy != "" {
		m["numa_affinity_policy"] = policy
	}
	if node != nil {
		m["numa_node"] = *node
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// TestNUMAPolicies places one-port instances under each policy on a host
// with 2 VFs on NUMA node 0 (PF 3b), 2 on node 1 (PF af) and 2 on a PF
// without NUMA information (5e); earlier instances use some up first. The
// host reports no sockets, so socket means the same node.
func TestNUMAPolicies(t *testing.T) {
	type pre struct {
		policy string
		node   int
	}
	n := func(i int) *int { return &i }
	tests := []struct {
		name    string
		before  []pre
		policy  string
		node    *int
		wantBus string // "" when refused
		says    string
	}{
		{name: "required node 1", policy: "required", node: n(1), wantBus: "af"},
		{name: "required node 1 full", before: []pre{{"required", 1}, {"required", 1}}, policy: "required", node: n(1),
			says: "NUMA policy required: node 1 of compute-0 has no free VF on physnet-n"},
		{name: "required unpinned skips the PF without NUMA", before: []pre{{"required", 0}, {"required", 0}, {"required", 1}, {"required", 1}},
			policy: "required", says: "NUMA policy required"},
		{name: "legacy node 1", policy: "legacy", node: n(1), wantBus: "af"},
		{name: "legacy node 1 full falls back to no NUMA", before: []pre{{"required", 1}, {"required", 1}}, policy: "legacy", node: n(1), wantBus: "5e"},
		{name: "legacy never another node", before: []pre{{"required", 1}, {"required", 1}, {"legacy", 1}, {"legacy", 1}}, policy: "legacy", node: n(1),
			says: "NUMA policy legacy"},
		{name: "preferred node 1", policy: "preferred", node: n(1), wantBus: "af"},
		{name: "preferred node 1 full takes any", before: []pre{{"required", 1}, {"required", 1}}, policy: "preferred", node: n(1), wantBus: "3b"},
		{name: "socket node 0", policy: "socket", node: n(0), wantBus: "3b"},
		{name: "socket node 0 full, socket unknown", before: []pre{{"required", 0}, {"required", 0}}, policy: "socket", node: n(0), says: "NUMA policy socket"},
		{name: "default is legacy", wantBus: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.OpenSQLite(t, store.Options{Now: storetest.NewClock().Now})
			if _, err := st.CreateDataNetwork(context.Background(), model.DataNetwork{Name: "physnet-n", NetworkType: model.NetworkTypeVLAN}); err != nil {
				t.Fatal(err)
			}
			dns := []string{"physnet-n"}
			storetest.SRIOVHost(t, st, "compute-0", storetest.PF{Bus: "3b", Node: 0, VFs: 2, DataNetworks: dns},
				storetest.PF{Bus: "af", Node: 1, VFs: 2, DataNetworks: dns}, storetest.PF{Bus: "5e", Node: -1, VFs: 2, DataNetworks: dns})
			net := storetest.Network(t, st, "net10", "physnet-n", 10)
			e := newInstanceEnv(t, st)
			for i, p := range tc.before {
				port := storetest.NeutronPort(t, st, net.ID, "direct", "")
				if status, _, msg := e.create(instanceBody(fmt.Sprintf("pre%d", i), port.ID, p.policy, &p.node)); status != http.StatusCreated {
					t.Fatalf("instance %d before (%s node %d): %d %s", i, p.policy, p.node, status, msg)
				}
			}
			port := storetest.NeutronPort(t, st, net.ID, "direct", "")
			status, in, msg := e.create(instanceBody("vm", port.ID, tc.policy, tc.node))
			if tc.says != "" {
				if status != http.StatusConflict || !strings.Contains(msg, tc.says) {
					t.Fatalf("got %d %q (%+v); want 409 saying %q", status, msg, in, tc.says)
				}
				return
			}
			if status != http.StatusCreated {
				t.Fatalf("got %d %q; want 201", status, msg)
			}
			nic := in.NICs[0]
			if tc.wantBus != "" && !strings.HasPrefix(nic.PCIAddr, "0000:"+tc.wantBus+":") {
				t.Errorf("got VF %s; want one of PF %s", nic.PCIAddr, tc.wantBus)
			}
			if tc.node != nil && in.NUMANode != *tc.node {
				t.Errorf("instance NUMA node %d; want %d", in.NUMANode, *tc.node)
			}
			validateXML(t, nic.LibvirtXML)
			if !strings.Contains(nic.LibvirtXML, "<tag id=\"10\"></tag>") || !strings.Contains(nic.LibvirtXML, nic.MACAddress) {
				t.Errorf("libvirt XML %s; want the port's MAC and VLAN 10", nic.LibvirtXML)
			}
		})
	}
}

// validateXML checks a NIC's libvirt XML with virt-xml-validate inside a
// minimal domain.
func validateXML(t *testing.T, fragment string) {
	t.Helper()
	tool, err := exec.LookPath("virt-xml-validate")
	if err != nil {
		t.Fatalf("virt-xml-validate is missing (Debian package libvirt-clients): run scripts/deps.sh: %v", err)
	}
	doc := "<domain type='kvm'><name>vfnet-test</name><memory unit='MiB'>512</memory><os><type arch='x86_64'>hvm</type></os><devices>\n" +
		fragment + "\n</devices></domain>\n"
	path := filepath.Join(t.TempDir(), "domain.xml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, path, "domain").CombinedOutput(); err != nil {
		t.Errorf("virt-xml-validate: %v\n%s\n%s", err, out, doc)
	}
}

// TestConcurrentCreatesTwoServers: more simultaneous instance creates than
// free VFs, half through each of two servers on one PostgreSQL database:
// exactly as many succeed as there are VFs, no PCI address is claimed
// twice, and the rest get a 409 that says why. Twenty rounds.
func TestConcurrentCreatesTwoServers(t *testing.T) {
	const vfs, creates, rounds = 4, 10, 20
	for round := range rounds {
		dsn := storetest.PostgresURL(t)
		st1 := storetest.Open(t, dsn, store.Options{})
		st2 := storetest.Open(t, dsn, store.Options{})
		if _, err := st1.CreateDataNetwork(context.Background(), model.DataNetwork{Name: "physnet-c", NetworkType: model.NetworkTypeVLAN}); err != nil {
			t.Fatal(err)
		}
		storetest.SRIOVHost(t, st1, "compute-0", storetest.PF{Bus: "3b", Node: 0, VFs: vfs, DataNetworks: []string{"physnet-c"}})
		net := storetest.Network(t, st1, "net10", "physnet-c", 10)
		envs := []*instanceEnv{newInstanceEnv(t, st1), newInstanceEnv(t, st2)}
		var ports []string
		for range creates {
			ports = append(ports, storetest.NeutronPort(t, st1, net.ID, "direct", "").ID)
		}
		type result struct {
			status int
			in     InstanceView
			msg    string
		}
		results := make([]result, creates)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range creates {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				st, in, msg := envs[i%2].create(instanceBody(fmt.Sprintf("vm%d", i), ports[i], "", nil))
				results[i] = result{st, in, msg}
			}()
		}
		close(start)
		wg.Wait()
		ok, seen := 0, map[string]string{}
		for i, r := range results {
			switch r.status {
			case http.StatusCreated:
				ok++
				a := r.in.NICs[0].PCIAddr
				if prev, dup := seen[a]; dup {
					t.Fatalf("round %d: %s claimed by %s and vm%d", round, a, prev, i)
				}
				seen[a] = fmt.Sprintf("vm%d", i)
			case http.StatusConflict:
				if !strings.Contains(r.msg, "no host has a free VF on physnet-c") {
					t.Errorf("round %d: vm%d refused with %q; want why", round, i, r.msg)
				}
			default:
				t.Fatalf("round %d: vm%d: status %d %q", round, i, r.status, r.msg)
			}
		}
		if ok != vfs {
			t.Fatalf("round %d: %d creates succeeded; want %d (one per VF)", round, ok, vfs)
		}
		cs, err := st2.Claims(context.Background(), "compute-0")
		if err != nil || len(cs) != vfs {
			t.Fatalf("round %d: claims %v %v; want %d", round, cs, err, vfs)
		}
	}
}
