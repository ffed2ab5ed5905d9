package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vfnet/internal/agent"
	"vfnet/internal/api"
	"vfnet/internal/model"
	"vfnet/internal/pciids"
	"vfnet/internal/sim"
)

// testServer starts a control plane on 127.0.0.1 with a SQLite store in a
// temporary directory, stopped when the test ends.
func testServer(t *testing.T) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	srv, err := StartServer(ctx, ServerConfig{Listen: "127.0.0.1:0", DataDir: dir,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		srv.Close()
	})
	return srv
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// vfnet runs the CLI in process against srv with token and returns its
// output, failing the test on error.
func vfnet(t *testing.T, srv *Server, token string, args ...string) string {
	t.Helper()
	out, err := vfnetErr(t, srv, token, args...)
	if err != nil {
		t.Fatalf("vfnet %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func vfnetErr(t *testing.T, srv *Server, token string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	args = append(args, "--url", srv.URL, "--token", token)
	err := Run(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), err
}

// runAgent runs compute-0's agent (the wiring of `vfnet agent`) until the
// returned stop is called; its passes arrive on the channel.
func runAgent(t *testing.T, cfg AgentConfig) (passes <-chan pass, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan pass)
	done := make(chan error, 1)
	go func() {
		done <- RunConverging(ctx, cfg, func(r agent.Report, err error) {
			select {
			case ch <- pass{r, err}:
			case <-ctx.Done():
			}
		})
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	}
	t.Cleanup(stop)
	return ch, stop
}

type pass struct {
	r   agent.Report
	err error
}

// waitConverged reads passes until one has converged revision rev or later.
func waitConverged(t *testing.T, passes <-chan pass, rev int64) agent.Report {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case p := <-passes:
			if p.err == nil && p.r.Converged && p.r.Revision >= rev {
				return p.r
			}
			if p.err != nil {
				t.Logf("agent pass: %v", p.err)
			}
		case <-deadline:
			t.Fatalf("the agent did not converge revision %d within a minute", rev)
		}
	}
}

// TestSeedWorkflow runs the seed document's operator steps from the CLI
// against a server on 127.0.0.1 and an agent on a simulated host.
func TestSeedWorkflow(t *testing.T) {
	ctx := context.Background()
	srv := testServer(t)
	admin := srv.AdminToken

	b, err := os.ReadFile(filepath.Join(srv.dataDir, "admin-token"))
	if err != nil || strings.TrimSpace(string(b)) != admin {
		t.Fatalf("admin-token file: %q, %v; want the admin token", b, err)
	}
	if fi, _ := os.Stat(filepath.Join(srv.dataDir, "admin-token")); fi.Mode().Perm() != 0o600 {
		t.Errorf("admin-token mode %v, want 0600", fi.Mode().Perm())
	}

	// A simulated host with an Intel X710 (2 ports) and its agent, with an
	// agent token the admin issues.
	simDir := t.TempDir()
	if err := sim.Create(simDir, sim.HostSpec{Hostname: "compute-0", NUMANodes: 2,
		NICs: []sim.NICSpec{{Model: "x710", Ports: 2, NUMANode: 0}}}); err != nil {
		t.Fatal(err)
	}
	k, err := sim.Open(simDir)
	if err != nil {
		t.Fatal(err)
	}
	var tok api.NewToken
	decodeJSON(t, vfnet(t, srv, admin, "token", "create", "--project", "admin", "--role", "agent", "--host", "compute-0", "-o", "json"), &tok)
	cfg := AgentConfig{Server: srv.URL, Token: tok.Secret, Host: "compute-0", Kernel: k,
		Names: pciids.Open(pciids.DefaultPath), Interval: time.Hour}
	passes, stop := runAgent(t, cfg)
	waitConverged(t, passes, 0) // registered, inventory reported
	// The agent stops, so that the host keeps reporting what it has now
	// while the operator configures it.
	stop()

	out := vfnet(t, srv, admin, "host-list")
	if !strings.Contains(out, "compute-0") || !strings.Contains(out, "locked") {
		t.Fatalf("host-list:\n%s", out)
	}
	var ports []model.Port
	decodeJSON(t, vfnet(t, srv, admin, "host-port-list", "compute-0", "-o", "json"), &ports)
	if len(ports) != 2 || ports[0].SRIOVTotalVFs == nil || *ports[0].SRIOVTotalVFs != 64 {
		t.Fatalf("host-port-list: %s", mustJSON(ports))
	}
	pf := ports[0]
	t.Log(vfnet(t, srv, admin, "host-port-list", "compute-0"))
	out = vfnet(t, srv, admin, "host-if-list", "compute-0")
	if !strings.Contains(out, pf.Name) || !strings.Contains(out, "none") {
		t.Fatalf("host-if-list: an interface of class none per port expected:\n%s", out)
	}

	// A new host starts locked; unlock it (nothing configured), then the
	// seed's steps from host-lock on.
	vfnet(t, srv, admin, "host-unlock", "compute-0")
	if _, err := vfnetErr(t, srv, admin, "host-if-modify", "compute-0", pf.Name, "-c", "pci-sriov", "-N", "8"); err == nil ||
		!strings.Contains(err.Error(), "must be locked") {
		t.Fatalf("host-if-modify on an unlocked host: %v, want 'must be locked'", err)
	}
	vfnet(t, srv, admin, "host-lock", "compute-0")
	out = vfnet(t, srv, admin, "host-if-modify", "compute-0", pf.Name, "-c", "pci-sriov", "-N", "8", "--vf-driver", "netdevice", "-n", "sriov0")
	if !strings.Contains(out, "sriov0") || !strings.Contains(out, "pci-sriov") {
		t.Fatalf("host-if-modify:\n%s", out)
	}
	vfnet(t, srv, admin, "datanetwork-add", "physnet0", "vlan", "--segment-range", "10-99")
	vfnet(t, srv, admin, "interface-datanetwork-assign", "compute-0", "sriov0", "physnet0")
	out = vfnet(t, srv, admin, "interface-datanetwork-list", "compute-0")
	if !strings.Contains(out, "sriov0") || !strings.Contains(out, "physnet0") {
		t.Fatalf("interface-datanetwork-list:\n%s", out)
	}

	// Unlock is refused until the host reports 8 VFs.
	_, err = vfnetErr(t, srv, admin, "host-unlock", "compute-0")
	if err == nil || !strings.Contains(err.Error(), "sriov_numvfs=8") || !strings.Contains(err.Error(), "reports 0") {
		t.Fatalf("host-unlock before the VFs exist: %v; want a refusal expecting sriov_numvfs=8", err)
	}
	// The agent comes back, creates the VFs, reports, and the unlock goes
	// through.
	h, err := srv.Store.Host(ctx, "compute-0")
	if err != nil {
		t.Fatal(err)
	}
	passes, _ = runAgent(t, cfg)
	waitConverged(t, passes, h.DesiredRevision)
	vfnet(t, srv, admin, "host-unlock", "compute-0")
	decodeJSON(t, vfnet(t, srv, admin, "host-show", "compute-0", "-o", "json"), &h)
	if h.Administrative != model.AdminUnlocked {
		t.Errorf("host-show after unlock: %s", mustJSON(h))
	}
	var ifc model.Interface
	decodeJSON(t, vfnet(t, srv, admin, "host-if-show", "compute-0", "sriov0", "-o", "json"), &ifc)
	if len(ifc.SRIOVVFsPCIAddress) != 8 || !equal(ifc.DataNetworks, []string{"physnet0"}) {
		t.Errorf("host-if-show sriov0: %s", mustJSON(ifc))
	}
	kh, err := k.Observe(ctx)
	if err != nil || kh.PFs[0].SRIOV == nil || kh.PFs[0].SRIOV.NumVFs != 8 {
		t.Errorf("the simulated host after unlock: %s, %v; want 8 VFs on %s", mustJSON(kh), err, pf.PCIAddr)
	}
	t.Log(vfnet(t, srv, admin, "host-if-list", "compute-0"))
}

func TestTokenCreateAndRoles(t *testing.T) {
	srv := testServer(t)
	var reader api.NewToken
	decodeJSON(t, vfnet(t, srv, srv.AdminToken, "token", "create", "--project", "demo", "--role", "reader", "-o", "json"), &reader)
	vfnet(t, srv, reader.Secret, "host-list")
	_, err := vfnetErr(t, srv, reader.Secret, "datanetwork-add", "physnet0", "flat")
	if err == nil || !strings.Contains(err.Error(), "admin") {
		t.Errorf("a reader adding a data network: %v, want a refusal naming the admin role", err)
	}
	_, err = vfnetErr(t, srv, "nonsense-token-0123456789", "host-list")
	if err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("an unknown token: %v, want a refusal naming the token", err)
	}
	out := vfnet(t, srv, srv.AdminToken, "token", "list")
	if !strings.Contains(out, "demo") || !strings.Contains(out, "reader") {
		t.Errorf("token list:\n%s", out)
	}
}

func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, s, err)
	}
}

func mustJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func equal(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }
