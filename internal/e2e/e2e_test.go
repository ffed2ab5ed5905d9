// Package e2e runs vfnet as users run it: the binary, built once, as a
// server process and agent processes over simulated hosts on loopback,
// killed with SIGKILL and restarted.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vfnet/internal/client"
	"vfnet/internal/kernel"
	"vfnet/internal/model"
	"vfnet/internal/sim"
)

// vfnetBin is the binary under test, built by TestMain.
var vfnetBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vfnet-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vfnetBin = filepath.Join(dir, "vfnet")
	cmd := exec.Command("go", "build", "-o", vfnetBin, "vfnet/cmd/vfnet")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build vfnet:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a vfnet child process; its output goes to a buffer shown when
// the test fails.
type proc struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func start(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(vfnetBin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("--- output of %s:\n%s", name, tail(p.output(), 60))
		}
	})
	return p
}

// kill sends SIGKILL, as a crash or `kill -9` would, and waits for the end.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// eventually retries check until it returns "" (the condition holds) or
// the deadline passes; then the test fails with the last state check gave.
func eventually(t *testing.T, d time.Duration, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		state := check()
		if state == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not so after %v; last state: %s", what, d, state)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

const adminToken = "e2e-admin-token-0123456789"

// cloud is a server process, its data and the simulated hosts' agents.
type cloud struct {
	t       *testing.T
	dir     string
	addr    string
	url     string
	server  *proc
	c       *client.Client
	agents  map[string]*proc
	simDirs map[string]string
}

func newCloud(t *testing.T) *cloud {
	t.Helper()
	addr := freeAddr(t)
	cl := &cloud{t: t, dir: t.TempDir(), addr: addr, url: "http://" + addr, agents: map[string]*proc{}, simDirs: map[string]string{}}
	cl.c = client.New(cl.url, adminToken, nil)
	cl.startServer()
	return cl
}

func (cl *cloud) startServer() {
	t := cl.t
	t.Helper()
	cl.server = start(t, "server", []string{"VFNET_BOOTSTRAP_TOKEN=" + adminToken},
		"server", "--listen", cl.addr, "--data", filepath.Join(cl.dir, "server"))
	eventually(t, 30*time.Second, "server answers", func() string {
		if _, err := cl.c.Hosts(context.Background()); err != nil {
			return err.Error()
		}
		return ""
	})
}

// addHost creates a simulated host and starts its agent.
func (cl *cloud) addHost(name string, nics ...string) *sim.Kernel {
	t := cl.t
	t.Helper()
	dir := filepath.Join(cl.dir, name)
	spec := sim.HostSpec{Hostname: name, NUMANodes: 2}
	for _, s := range nics {
		n, err := sim.ParseNIC(s)
		if err != nil {
			t.Fatal(err)
		}
		spec.NICs = append(spec.NICs, n)
	}
	if err := sim.Create(dir, spec); err != nil {
		t.Fatal(err)
	}
	cl.simDirs[name] = dir
	k, err := sim.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cl.startAgent(name)
	return k
}

func (cl *cloud) startAgent(name string) {
	cl.agents[name] = start(cl.t, "agent "+name, nil, "agent", "--server", cl.url, "--token", adminToken,
		"--sim", cl.simDirs[name], "--interval", "1s")
}

// vfnet runs one CLI command against the cloud and returns its output.
func (cl *cloud) vfnet(args ...string) (string, error) {
	cmd := exec.Command(vfnetBin, args...)
	cmd.Env = append(os.Environ(), "VFNET_URL="+cl.url, "VFNET_TOKEN="+adminToken)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (cl *cloud) mustVfnet(args ...string) string {
	cl.t.Helper()
	out, err := cl.vfnet(args...)
	if err != nil {
		cl.t.Fatalf("vfnet %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// converged is "" when host has applied its desired revision without
// error and is enabled; otherwise what it is.
func (cl *cloud) converged(host string) string {
	h, err := cl.c.Host(context.Background(), host)
	if err != nil {
		return err.Error()
	}
	if h.AppliedRevision != h.DesiredRevision || h.Operational != model.OperEnabled {
		return fmt.Sprintf("host %s: applied %d desired %d operational %s", host, h.AppliedRevision, h.DesiredRevision, h.Operational)
	}
	return ""
}

// unlock retries host-unlock until the agent has reported what it needs.
func (cl *cloud) unlock(host string) {
	cl.t.Helper()
	eventually(cl.t, 30*time.Second, "unlock "+host, func() string {
		_, err := cl.c.UnlockHost(context.Background(), host, false)
		if err != nil && client.StatusOf(err) != http.StatusConflict {
			cl.t.Fatalf("unlock %s: %v", host, err)
		}
		if err != nil {
			return err.Error()
		}
		return ""
	})
}

// vfState is "" when every PF of k has its wanted VF count and every VF
// the wanted driver; otherwise the first difference.
func vfState(k *sim.Kernel, want map[string]struct {
	n      int
	driver string
}) string {
	h, err := k.Observe(context.Background())
	if err != nil {
		return err.Error()
	}
	for _, pf := range h.PFs {
		w, ok := want[pf.PCIAddr]
		if !ok || pf.SRIOV == nil {
			continue
		}
		if pf.SRIOV.NumVFs != w.n {
			return fmt.Sprintf("PF %s has %d VFs, want %d", pf.PCIAddr, pf.SRIOV.NumVFs, w.n)
		}
		for _, vf := range pf.SRIOV.VFs {
			if vf.Driver != w.driver {
				return fmt.Sprintf("PF %s VF %d bound to %q, want %q", pf.PCIAddr, vf.Index, vf.Driver, w.driver)
			}
		}
	}
	return ""
}

type want = map[string]struct {
	n      int
	driver string
}

// configure makes enp59s0f0 pci-sriov with 8 netdevice VFs on physnet0 and
// enp59s0f1 pci-sriov with 4 vfio VFs, then unlocks host.
func (cl *cloud) configure(host string) {
	cl.t.Helper()
	ctx := context.Background()
	cl.mustVfnet("host-if-modify", host, "enp59s0f0", "-n", "sriov0", "-c", "pci-sriov", "-N", "8", "--vf-driver", "netdevice")
	cl.mustVfnet("host-if-modify", host, "enp59s0f1", "-n", "sriov1", "-c", "pci-sriov", "-N", "4", "--vf-driver", "vfio")
	if _, err := cl.c.DataNetwork(ctx, "physnet0"); client.StatusOf(err) == http.StatusNotFound {
		cl.mustVfnet("datanetwork-add", "physnet0", "vlan", "--segment-range", "100-199")
	}
	cl.mustVfnet("interface-datanetwork-assign", host, "sriov0", "physnet0")
	cl.unlock(host)
}

var x710Want = want{"0000:3b:00.0": {8, "iavf"}, "0000:3b:00.1": {4, "vfio-pci"}}

func TestConfigureUnlockKillAgentRebootDrift(t *testing.T) {
	cl := newCloud(t)
	k := cl.addHost("compute-0", "x710:2@numa0", "cx5:1@numa1")
	eventually(t, 30*time.Second, "compute-0 registered and converged", func() string { return cl.converged("compute-0") })

	// Unlock is refused until the agent has applied the configuration,
	// which it does while the host is locked.
	cl.configure("compute-0")
	eventually(t, 30*time.Second, "VFs with their drivers", func() string { return vfState(k, x710Want) })
	eventually(t, 30*time.Second, "compute-0 converged", func() string { return cl.converged("compute-0") })

	t.Run("agent restart on a converged host writes nothing", func(t *testing.T) {
		ctx := context.Background()
		cl.agents["compute-0"].kill()
		if err := k.ResetWrites(ctx); err != nil {
			t.Fatal(err)
		}
		before := lastApplied(t, cl, "compute-0")
		cl.startAgent("compute-0")
		eventually(t, 30*time.Second, "a report from the new agent", func() string {
			if at := lastApplied(t, cl, "compute-0"); !at.After(before) {
				return "last applied report at " + at.String()
			}
			return ""
		})
		w, err := k.Writes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := sum(w); n != 0 {
			t.Errorf("restarted agent on a converged host: %d kernel writes %v, want 0", n, w)
		}
	})

	t.Run("kill -9 while applying, restart, converges", func(t *testing.T) {
		ctx := context.Background()
		// Every VF setting write fails for a while: the agent's passes stop
		// part way and it reports the errors.
		cl.agents["compute-0"].kill()
		if err := k.InjectFault(ctx, sim.Fault{Op: sim.OpSetVF, Errno: syscall.EIO, Times: 24}); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.c.LockHost(ctx, "compute-0"); err != nil {
			t.Fatal(err)
		}
		cl.mustVfnet("host-if-modify", "compute-0", "sriov0", "-N", "16")
		cl.startAgent("compute-0")
		eventually(t, 30*time.Second, "a report of a partial pass", func() string {
			v, err := cl.c.Applied(ctx, "compute-0")
			if err != nil {
				return err.Error()
			}
			if v.Report == nil || len(v.Report.Errors) == 0 {
				return fmt.Sprintf("report %+v", v.Report)
			}
			return ""
		})
		cl.agents["compute-0"].kill()
		cl.startAgent("compute-0")
		x := want{"0000:3b:00.0": {16, "iavf"}, "0000:3b:00.1": {4, "vfio-pci"}}
		eventually(t, 30*time.Second, "16 VFs after the restart", func() string { return vfState(k, x) })
		eventually(t, 30*time.Second, "converged after the restart", func() string { return cl.converged("compute-0") })
		cl.unlock("compute-0")
		eventually(t, 30*time.Second, "enabled after unlock", func() string { return cl.converged("compute-0") })
		out := cl.mustVfnet("event-list", "--host", "compute-0", "--kind", "error")
		if !strings.Contains(out, "EIO") && !strings.Contains(out, "input/output error") {
			t.Errorf("event-list --kind error does not show the kernel's EIO:\n%s", out)
		}
	})

	t.Run("reboot: every PF back to 0 VFs is restored", func(t *testing.T) {
		ctx := context.Background()
		for _, pf := range []string{"0000:3b:00.0", "0000:3b:00.1"} {
			if err := k.WriteNumVFs(ctx, pf, "0\n"); err != nil {
				t.Fatal(err)
			}
		}
		x := want{"0000:3b:00.0": {16, "iavf"}, "0000:3b:00.1": {4, "vfio-pci"}}
		eventually(t, 30*time.Second, "VFs restored after the reboot", func() string { return vfState(k, x) })
		eventually(t, 30*time.Second, "drift event of the reboot", func() string {
			out, _ := cl.vfnet("event-list", "--host", "compute-0", "--kind", "drift")
			if !strings.Contains(out, "numvfs") {
				return out
			}
			return ""
		})
	})

	t.Run("drift: an out-of-band VLAN is put back and listed", func(t *testing.T) {
		ctx := context.Background()
		vlan := kernel.VLAN{ID: 99}
		if err := k.SetVF(ctx, "enp59s0f0", 3, kernel.VFChange{VLAN: &vlan}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "VF 3 back on VLAN 0", func() string {
			infos, err := k.VFs(ctx, "enp59s0f0")
			if err != nil {
				return err.Error()
			}
			if infos[3].VLAN != 0 {
				return fmt.Sprintf("VF 3 on VLAN %d", infos[3].VLAN)
			}
			return ""
		})
		eventually(t, 30*time.Second, "the drift in event-list", func() string {
			out, _ := cl.vfnet("event-list", "--host", "compute-0", "-o", "json")
			if !strings.Contains(out, `"kind": "drift"`) || !strings.Contains(out, "VF 3 vlan: found vlan 99 qos 0, want vlan 0 qos 0, put back") {
				return out
			}
			return ""
		})
	})

	t.Run("kill -9 the server, restart it: agents reconnect, nothing lost", func(t *testing.T) {
		ctx := context.Background()
		cl.server.kill()
		// While the server is away the agent changes nothing, not even a
		// drift: it converges only to what the server says now.
		agentLog := cl.agents["compute-0"]
		failedBefore := strings.Count(agentLog.output(), "fetching the desired state failed")
		vlan := kernel.VLAN{ID: 99}
		if err := k.SetVF(ctx, "enp59s0f0", 5, kernel.VFChange{VLAN: &vlan}); err != nil {
			t.Fatal(err)
		}
		if err := k.ResetWrites(ctx); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "the agent retries twice", func() string {
			if n := strings.Count(agentLog.output(), "fetching the desired state failed") - failedBefore; n < 2 {
				return fmt.Sprintf("%d failed attempts", n)
			}
			return ""
		})
		if w, err := k.Writes(ctx); err != nil || sum(w) != 0 {
			t.Errorf("with the server away the agent wrote %v (%v), want nothing", w, err)
		}
		cl.startServer()
		eventually(t, 30*time.Second, "VF 5's drift put back once the server is back", func() string {
			infos, err := k.VFs(ctx, "enp59s0f0")
			if err != nil {
				return err.Error()
			}
			if infos[5].VLAN != 0 {
				return fmt.Sprintf("VF 5 on VLAN %d", infos[5].VLAN)
			}
			return ""
		})
		h, err := cl.c.Host(ctx, "compute-0")
		if err != nil {
			t.Fatal(err)
		}
		if h.Administrative != model.AdminUnlocked {
			t.Errorf("after the restart compute-0 is %s, want unlocked", h.Administrative)
		}
		ifc, err := cl.c.Interface(ctx, "compute-0", "sriov0")
		if err != nil || ifc.SRIOVNumVFs != 16 || ifc.Class != model.IfClassPCISRIOV {
			t.Errorf("after the restart sriov0 is %+v, %v; want pci-sriov with 16 VFs", ifc, err)
		}
		// A change after the restart reaches the agent.
		if _, err := cl.c.LockHost(ctx, "compute-0"); err != nil {
			t.Fatal(err)
		}
		cl.mustVfnet("host-if-modify", "compute-0", "sriov1", "-N", "2")
		x := want{"0000:3b:00.0": {16, "iavf"}, "0000:3b:00.1": {2, "vfio-pci"}}
		eventually(t, 60*time.Second, "the change after the server restart applied", func() string { return vfState(k, x) })
		cl.unlock("compute-0")
		eventually(t, 30*time.Second, "converged", func() string { return cl.converged("compute-0") })
	})
}

func lastApplied(t *testing.T, cl *cloud, host string) time.Time {
	t.Helper()
	v, err := cl.c.Applied(context.Background(), host)
	if err != nil {
		t.Fatal(err)
	}
	if v.ReportedAt == nil {
		return time.Time{}
	}
	return *v.ReportedAt
}

func sum(w map[sim.Op]int) int {
	n := 0
	for _, v := range w {
		n += v
	}
	return n
}

// TestDev starts `vfnet dev` and follows the README's operator steps to an
// unlocked, configured SR-IOV host.
func TestDev(t *testing.T) {
	data := t.TempDir()
	dev := start(t, "vfnet dev", nil, "dev", "--hosts", "2", "--data", data, "--listen", "127.0.0.1:0")
	var url string
	eventually(t, 60*time.Second, "vfnet dev prints its URL", func() string {
		sc := bufio.NewScanner(strings.NewReader(dev.output()))
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "server on "); ok {
				url, _, _ = strings.Cut(rest, " ")
				return ""
			}
		}
		return "no URL printed yet: " + dev.output()
	})
	tok, err := os.ReadFile(filepath.Join(data, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	clouds, err := os.ReadFile(filepath.Join(data, "clouds.yaml"))
	if err != nil || !strings.Contains(string(clouds), "auth_url: "+url+"/identity/v3") {
		t.Errorf("clouds.yaml: %v\n%s", err, clouds)
	}
	env := []string{"VFNET_URL=" + url, "VFNET_TOKEN=" + strings.TrimSpace(string(tok))}
	run := func(args ...string) (string, error) {
		cmd := exec.Command(vfnetBin, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	eventually(t, 60*time.Second, "both hosts report", func() string {
		out, err := run("host-list")
		if err != nil || !strings.Contains(out, "compute-0") || !strings.Contains(out, "compute-1") {
			return fmt.Sprint(err, out)
		}
		return ""
	})
	for _, step := range readmeSteps(t) {
		args := strings.Fields(step)[1:]
		if args[0] == "host-unlock" {
			eventually(t, 60*time.Second, step, func() string {
				out, err := run(args...)
				if err != nil {
					return out
				}
				return ""
			})
			continue
		}
		if out, err := run(args...); err != nil {
			t.Fatalf("README step %q: %v\n%s", step, err, out)
		}
	}
	out, err := run("host-show", "compute-0", "-o", "json")
	if err != nil || !strings.Contains(out, `"administrative": "unlocked"`) {
		t.Fatalf("compute-0 after the README's steps: %v\n%s", err, out)
	}
	k, err := sim.Open(filepath.Join(data, "hosts", "compute-0"))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "compute-0's VFs", func() string {
		return vfState(k, want{"0000:3b:00.0": {8, "iavf"}})
	})

	// vfnet dev again on the same directory keeps everything.
	dev.kill()
	dev2 := start(t, "vfnet dev again", nil, "dev", "--hosts", "2", "--data", data, "--listen", strings.TrimPrefix(url, "http://"))
	eventually(t, 60*time.Second, "the second vfnet dev serves compute-0 unlocked", func() string {
		out, err := run("host-show", "compute-0", "-o", "json")
		if err != nil || !strings.Contains(out, `"administrative": "unlocked"`) || !strings.Contains(out, `"operational": "enabled"`) {
			return fmt.Sprint(err, out, tail(dev2.output(), 5))
		}
		return ""
	})
}

// readmeSteps are the `vfnet` commands of the README's dev walkthrough
// (between its dev-steps markers), so that the README stays true.
func readmeSteps(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- dev-steps -->")
	body, _, ok2 := strings.Cut(rest, "<!-- /dev-steps -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no <!-- dev-steps --> ... <!-- /dev-steps --> section")
	}
	var steps []string
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "vfnet ") && !strings.HasPrefix(line, "vfnet sim ") {
			steps = append(steps, line)
		}
	}
	if len(steps) == 0 {
		t.Fatal("README.md's dev steps have no vfnet command")
	}
	return steps
}
