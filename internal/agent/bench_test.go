package agent

import (
	"context"
	"testing"
	"time"

	"vfnet/internal/sim"
)

// benchHost is 4 x E810 at 256 VFs: two dual-port cards, 1,024 VFs.
var benchHost = sim.HostSpec{Hostname: "bench-0", NUMANodes: 2, NICs: []sim.NICSpec{
	{Model: "e810", Ports: 2, NUMANode: 0, Bus: 0x3b},
	{Model: "e810", Ports: 2, NUMANode: 1, Bus: 0x86},
}}

// benchDesired: ports 0 of each card keep the NIC's VF driver, ports 1 hand
// theirs to vfio-pci; 32 VFs of each PF are bound to ports.
func benchDesired() Desired {
	d := Desired{Revision: 1}
	for i, pf := range []string{"0000:3b:00.0", "0000:3b:00.1", "0000:86:00.0", "0000:86:00.1"} {
		p := DesiredPF{PCIAddr: pf, NumVFs: 256, Up: true, MTU: 9000}
		if i%2 == 1 {
			p.VFDriver = VFIO
		}
		d.PFs = append(d.PFs, p)
		for v := 0; v < 32; v++ {
			d.VFs = append(d.VFs, bind(pf, v*8, "port", 100+v))
		}
	}
	return d
}

// BenchmarkConvergeFromZero converges the host from a fresh boot (every PF
// at 0 VFs). agent-ms/op is Converge's own time (planning, bookkeeping),
// kernel-ms/op the simulated kernel's; writes are per Converge.
func BenchmarkConvergeFromZero(b *testing.B) {
	ctx := context.Background()
	d := benchDesired()
	var agent, kern time.Duration
	var r Report
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		k := newSim(b, benchHost)
		b.StartTimer()
		var err error
		r, err = Converge(ctx, k, d, nil)
		if err != nil {
			b.Fatal(err)
		}
		agent += r.Elapsed - r.KernelTime
		kern += r.KernelTime
	}
	report(b, r, agent, kern)
}

// BenchmarkConvergeConverged is the steady state: one observation, an empty
// plan, no write.
func BenchmarkConvergeConverged(b *testing.B) {
	ctx := context.Background()
	d := benchDesired()
	k := newSim(b, benchHost)
	c := NewConverger(k, nil)
	if _, err := c.Converge(ctx, d); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var agent, kern time.Duration
	var r Report
	for i := 0; i < b.N; i++ {
		var err error
		r, err = c.Converge(ctx, d)
		if err != nil {
			b.Fatal(err)
		}
		if r.Writes.Total() != 0 {
			b.Fatalf("converged host: %+v writes, want 0", r.Writes)
		}
		agent += r.Elapsed - r.KernelTime
		kern += r.KernelTime
	}
	report(b, r, agent, kern)
}

func report(b *testing.B, r Report, agent, kern time.Duration) {
	n := float64(b.N)
	b.ReportMetric(float64(agent.Microseconds())/1000/n, "agent-ms/op")
	b.ReportMetric(float64(kern.Microseconds())/1000/n, "kernel-ms/op")
	b.ReportMetric(float64(r.Writes.Sysfs), "sysfs-writes/op")
	b.ReportMetric(float64(r.Writes.Netlink), "netlink-writes/op")
	b.ReportMetric(float64(r.Passes), "passes/op")
	for i, p := range r.PerPass {
		b.Logf("pass %d: %d sysfs writes, %d netlink messages, agent %v, kernel %v",
			i+1, p.Sysfs, p.Netlink, (p.Elapsed - p.KernelTime).Round(time.Microsecond), p.KernelTime.Round(time.Millisecond))
	}
	if len(r.PerPass) == 0 {
		b.Logf("one observation, no writing pass: agent %v, kernel %v", (r.Elapsed - r.KernelTime).Round(time.Microsecond), r.KernelTime.Round(time.Microsecond))
	}
}
