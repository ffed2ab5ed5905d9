package kerneltest_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"vfnet/internal/kernel"
	"vfnet/internal/kernel/kerneltest"
	"vfnet/internal/sim"
)

// mutantEnv makes the test binary run the suite against a deliberately
// wrong kernel instead of checking that it fails.
const mutantEnv = "VFNET_KERNELTEST_MUTANT"

// mutants are kernels that break one rule each, and the case that must
// catch it.
var mutants = map[string]struct {
	wrap     func(kernel.Kernel) kernel.Kernel
	mustFail string // subtest of TestSuiteBites that must fail; "" none
}{
	"none":          {wrap: func(k kernel.Kernel) kernel.Kernel { return k }},
	"erange-einval": {wrap: func(k kernel.Kernel) kernel.Kernel { return erangeAsEinval{k} }, mustFail: "numvfs/above-total"},
	"rollback":      {wrap: func(k kernel.Kernel) kernel.Kernel { return rollback{k} }, mustFail: "rtnetlink/partial-no-rollback"},
	"probe-ignores-autoprobe": {wrap: func(k kernel.Kernel) kernel.Kernel { return eagerProbe{k} },
		mustFail: "binding/autoprobe-off-stays-unbound"},
	"rate-without-link": {wrap: func(k kernel.Kernel) kernel.Kernel { return rateWithoutLink{k} },
		mustFail: "rtnetlink/rate-needs-link"},
}

// erangeAsEinval answers EINVAL where the kernel answers ERANGE.
type erangeAsEinval struct{ kernel.Kernel }

func (m erangeAsEinval) WriteNumVFs(ctx context.Context, pf, v string) error {
	err := m.Kernel.WriteNumVFs(ctx, pf, v)
	if errors.Is(err, syscall.ERANGE) {
		return &kernel.Error{Op: "write sriov_numvfs", Device: pf, Err: syscall.EINVAL}
	}
	return err
}

// rollback restores a VF's MAC when a later attribute fails, which the
// kernel does not do.
type rollback struct{ kernel.Kernel }

func (m rollback) SetVF(ctx context.Context, ifname string, vf int, c kernel.VFChange) error {
	before, _ := m.Kernel.VFs(ctx, ifname)
	err := m.Kernel.SetVF(ctx, ifname, vf, c)
	if err != nil && c.MAC != nil && vf >= 0 && vf < len(before) {
		old := before[vf].MAC
		_ = m.Kernel.SetVF(ctx, ifname, vf, kernel.VFChange{MAC: &old})
	}
	return err
}

// eagerProbe binds a VF to its ID's driver on drivers_probe even with
// autoprobe off.
type eagerProbe struct{ kernel.Kernel }

func (m eagerProbe) Probe(ctx context.Context, dev string) error {
	if err := m.Kernel.SetDriverOverride(ctx, dev, "igbvf"); err != nil {
		return err
	}
	err := m.Kernel.Probe(ctx, dev)
	if err2 := m.Kernel.SetDriverOverride(ctx, dev, ""); err == nil {
		err = err2
	}
	return err
}

// rateWithoutLink takes a VF rate whatever the PF's link, as a driver
// without igb's link check would: it brings the PF up before the rate.
type rateWithoutLink struct{ kernel.Kernel }

func (m rateWithoutLink) SetVF(ctx context.Context, ifname string, vf int, c kernel.VFChange) error {
	if c.Rate != nil {
		if err := m.Kernel.SetLink(ctx, ifname, true, 0); err != nil {
			return err
		}
	}
	return m.Kernel.SetVF(ctx, ifname, vf, c)
}

// TestSuiteBites shows that the suite fails on a kernel that breaks a rule,
// naming the case, and passes on the simulator as it is. It re-runs this
// test binary once per mutant; in that child it runs the suite.
func TestSuiteBites(t *testing.T) {
	if name := os.Getenv(mutantEnv); name != "" {
		m, ok := mutants[name]
		if !ok {
			t.Fatalf("unknown mutant %q", name)
		}
		runSuiteOnIGB(t, m.wrap)
		return
	}
	for name, m := range mutants {
		t.Run(name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSuiteBites$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), mutantEnv+"="+name)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			var exit *exec.ExitError
			switch {
			case m.mustFail == "" && err != nil:
				t.Fatalf("suite on the unmodified simulator: %v\n%s", err, out.String())
			case m.mustFail == "":
				if !strings.Contains(out.String(), "--- PASS: TestSuiteBites/numvfs/above-total") {
					t.Fatalf("suite on the unmodified simulator ran no numvfs/above-total case:\n%s", out.String())
				}
			case !errors.As(err, &exit):
				t.Fatalf("mutant %s: suite run ended with %v, want a test failure\n%s", name, err, out.String())
			case !strings.Contains(out.String(), "--- FAIL: TestSuiteBites/"+m.mustFail+" "):
				t.Fatalf("mutant %s: case %s did not fail:\n%s", name, m.mustFail, out.String())
			}
		})
	}
}

func runSuiteOnIGB(t *testing.T, wrap func(kernel.Kernel) kernel.Kernel) {
	dir := t.TempDir()
	err := sim.Create(dir, sim.HostSpec{Hostname: "bites", NICs: []sim.NICSpec{
		{Model: "igb", NUMANode: -1, Bus: 0x02}, {Model: "virtio", NUMANode: -1, Bus: 0x07},
	}})
	if err != nil {
		t.Fatal(err)
	}
	k, err := sim.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	kerneltest.Run(t, kerneltest.Target{
		Kernel: wrap(k), PF: "0000:02:00.0", Ifname: "enp2s0f0", Driver: "igb",
		Expect: kerneltest.Drivers()["igb"], OverrideDriver: "vfio-pci", NoSRIOVIfname: "enp7s0",
	})
}
