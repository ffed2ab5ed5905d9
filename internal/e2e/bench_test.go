package e2e

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"vfnet/internal/agent"
	"vfnet/internal/cli"
	"vfnet/internal/client"
	"vfnet/internal/inventory"
	"vfnet/internal/model"
	"vfnet/internal/sim"
)

// BenchmarkConvergeEndToEnd is a host of 4 x 256 VFs (two dual-port E810s)
// converged from zero through the whole protocol, in one process on
// loopback: the agent starts, registers, reports its inventory, long-polls
// the desired state (4 pci-sriov interfaces, two with the NIC's VF driver,
// two with vfio), converges the simulated kernel and reports; the clock
// stops when the server shows the revision applied. agent-ms/op is the
// Converge's own time, kernel-ms/op the simulated kernel's; then
// converged-writes/op is what the agent's next pass wrote (0 expected).
func BenchmarkConvergeEndToEnd(b *testing.B) {
	var agentTime, kernTime time.Duration
	converged := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		a, k, w := benchOnce(b)
		agentTime += a
		kernTime += k
		converged += w
	}
	b.ReportMetric(float64(agentTime.Microseconds())/1000/float64(b.N), "agent-ms/op")
	b.ReportMetric(float64(kernTime.Microseconds())/1000/float64(b.N), "kernel-ms/op")
	b.ReportMetric(float64(converged)/float64(b.N), "converged-writes/op")
}

func benchOnce(b *testing.B) (agentTime, kernTime time.Duration, convergedWrites int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := b.TempDir()
	srv, err := cli.StartServer(ctx, cli.ServerConfig{Listen: "127.0.0.1:0", DataDir: filepath.Join(dir, "server")})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	go srv.Run(ctx)
	hostDir := filepath.Join(dir, "bench-0")
	spec := sim.HostSpec{Hostname: "bench-0", NUMANodes: 2, NICs: []sim.NICSpec{
		{Model: "e810", Ports: 2, NUMANode: 0}, {Model: "e810", Ports: 2, NUMANode: 1}}}
	if err := sim.Create(hostDir, spec); err != nil {
		b.Fatal(err)
	}
	k, err := sim.Open(hostDir)
	if err != nil {
		b.Fatal(err)
	}
	c := client.New(srv.URL, srv.AdminToken, nil)
	// The host's ports, as its agent would report them, and its
	// configuration, before the agent whose time is measured starts.
	h, err := k.Observe(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.RegisterHost(ctx, "bench-0", ""); err != nil {
		b.Fatal(err)
	}
	if _, err := c.ReportInventory(ctx, "bench-0", inventory.Build(h, nil)); err != nil {
		b.Fatal(err)
	}
	ports, err := c.Ports(ctx, "bench-0")
	if err != nil || len(ports) != 4 {
		b.Fatalf("ports %v, %v", ports, err)
	}
	for n, p := range ports {
		class, num, drv := model.IfClassPCISRIOV, 256, model.VFDriverNetdevice
		if n%2 == 1 {
			drv = model.VFDriverVFIO
		}
		if _, err := c.ModifyInterface(ctx, "bench-0", p.Name, model.InterfacePatch{Class: &class, SRIOVNumVFs: &num, SRIOVVFDriver: &drv}); err != nil {
			b.Fatal(err)
		}
	}
	want, err := c.Host(ctx, "bench-0")
	if err != nil {
		b.Fatal(err)
	}

	var mu sync.Mutex
	var reports []agent.Report
	cfg := cli.AgentConfig{Server: srv.URL, Token: srv.AdminToken, Host: "bench-0", Kernel: k, Interval: 200 * time.Millisecond}
	done := make(chan struct{})
	b.StartTimer()
	go func() {
		defer close(done)
		cli.RunConverging(ctx, cfg, func(r agent.Report, _ error) {
			mu.Lock()
			reports = append(reports, r)
			mu.Unlock()
		})
	}()
	for {
		got, err := c.Host(ctx, "bench-0")
		if err == nil && got.AppliedRevision == want.DesiredRevision && got.Operational == model.OperEnabled {
			break
		}
		time.Sleep(time.Millisecond) // polling interval of the measurement
	}
	b.StopTimer()
	// The next pass, on the converged host.
	for {
		mu.Lock()
		n := len(reports)
		mu.Unlock()
		if n >= 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	first, next := reports[0], reports[1]
	if !first.Converged || next.Passes != 0 {
		b.Fatalf("first pass %s; next %s", first, next)
	}
	return first.Elapsed - first.KernelTime, first.KernelTime, next.Writes.Total()
}
