package kerneltest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"syscall"
	"testing"

	"vfnet/internal/kernel"
)

// noSuchDevice is a PCI address no test machine has.
const noSuchDevice = "0000:ff:1f.7"

// Run runs every case that applies to tg, each as a named subtest of t:
// numvfs/..., vfs/..., binding/..., rtnetlink/.... Every case starts from the
// PF driver bound, autoprobe on and 0 VFs, and leaves the device that way.
func Run(t *testing.T, tg Target) {
	t.Helper()
	s := &suite{tg: tg}
	s.reset(t)
	t.Cleanup(func() { s.reset(t) })

	pci := tg.PF != ""
	for _, c := range s.cases() {
		if c.pci && !pci || c.netdev && (tg.Ifname == "" || !tg.Expect.VFOps) || c.observed && !tg.Expect.Observed {
			continue // the rule does not apply to this device
		}
		t.Run(c.name, func(t *testing.T) {
			s.reset(t)
			c.run(t)
		})
	}
}

type testCase struct {
	name     string
	pci      bool // needs a PCI PF (PCI core files, driver model)
	netdev   bool // needs a PF netdev with VF operations
	observed bool // needs Observe to report the PF
	run      func(t *testing.T)
}

type suite struct {
	tg Target
}

func (s *suite) ctx(t *testing.T) context.Context { return t.Context() }

func (s *suite) write(t *testing.T, v string) error {
	if s.tg.WriteNumVFs != nil {
		return s.tg.WriteNumVFs(s.ctx(t), v)
	}
	return s.tg.Kernel.WriteNumVFs(s.ctx(t), s.tg.PF, v)
}

// reset brings the device to the start state: PF driver bound, autoprobe
// on, 0 VFs.
func (s *suite) reset(t *testing.T) {
	t.Helper()
	ctx := context.WithoutCancel(s.ctx(t))
	k := s.tg.Kernel
	if s.tg.PF != "" {
		if err := k.Bind(ctx, s.tg.PF, s.tg.Driver); err != nil && !errors.Is(err, syscall.EBUSY) {
			t.Fatalf("reset: bind PF %s to %s: %v", s.tg.PF, s.tg.Driver, err)
		}
		if err := k.SetAutoprobe(ctx, s.tg.PF, true); err != nil {
			t.Fatalf("reset: autoprobe on: %v", err)
		}
	}
	var err error
	if s.tg.WriteNumVFs != nil {
		err = s.tg.WriteNumVFs(ctx, "0\n")
	} else {
		err = k.WriteNumVFs(ctx, s.tg.PF, "0\n")
	}
	if err != nil {
		t.Fatalf("reset: write 0 to sriov_numvfs: %v", err)
	}
}

// expectErr checks err against want (0: success) with errors.Is, and that a
// failure is a *kernel.Error.
func expectErr(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if want == 0 {
		if err != nil {
			t.Fatalf("%s: got error %v, want success", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v (%s)", what, err, want, errnoName(want))
	}
	var kerr *kernel.Error
	if !errors.As(err, &kerr) {
		t.Fatalf("%s: error %v (%T) is not a *kernel.Error", what, err, err)
	}
}

func errnoName(e syscall.Errno) string {
	names := map[syscall.Errno]string{
		syscall.EINVAL: "EINVAL", syscall.ERANGE: "ERANGE", syscall.ENOENT: "ENOENT", syscall.EBUSY: "EBUSY",
		syscall.ENODEV: "ENODEV", syscall.EOPNOTSUPP: "EOPNOTSUPP", syscall.EPROTONOSUPPORT: "EPROTONOSUPPORT",
		syscall.ENOMEM: "ENOMEM",
	}
	if n, ok := names[e]; ok {
		return n
	}
	return fmt.Sprintf("errno %d", int(e))
}

// pf returns the PF as Observe reports it.
func (s *suite) pf(t *testing.T) *kernel.PF {
	t.Helper()
	h, err := s.tg.Kernel.Observe(s.ctx(t))
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	for i := range h.PFs {
		if h.PFs[i].PCIAddr == s.tg.PF {
			return &h.PFs[i]
		}
	}
	t.Fatalf("observe: PF %s is not reported", s.tg.PF)
	return nil
}

// total is sriov_totalvfs with the driver bound.
func (s *suite) total(t *testing.T) int {
	t.Helper()
	if s.tg.Expect.TotalVFs > 0 {
		return s.tg.Expect.TotalVFs
	}
	pf := s.pf(t)
	if pf.SRIOV == nil {
		t.Fatalf("observe: PF %s has no SR-IOV capability", s.tg.PF)
	}
	return pf.SRIOV.TotalVFs
}

// numVFs checks the VF count: from Observe when the PF is observed, else
// by the state machine's answers (the current value is a no-op success,
// any other non-zero count is EBUSY while VFs are enabled).
func (s *suite) expectNumVFs(t *testing.T, want int) {
	t.Helper()
	if s.tg.Expect.Observed {
		pf := s.pf(t)
		if pf.SRIOV == nil || pf.SRIOV.NumVFs != want || len(pf.SRIOV.VFs) != want {
			t.Fatalf("observe: PF %s SR-IOV %+v, want numvfs %d with %d VFs", s.tg.PF, pf.SRIOV, want, want)
		}
		return
	}
	if err := s.write(t, strconv.Itoa(want)+"\n"); err != nil {
		t.Fatalf("numvfs is not %d: writing %d gives %v, want the no-op success", want, want, err)
	}
	if want > 0 && s.total(t) > 1 {
		other := 1
		if want == 1 {
			other = 2
		}
		if err := s.write(t, strconv.Itoa(other)+"\n"); !errors.Is(err, syscall.EBUSY) {
			t.Fatalf("numvfs is not %d: writing %d gives %v, want EBUSY", want, other, err)
		}
	}
}

// vfAddr is VF i's address, from Observe's offset and stride when the PF
// is observed, else from Expect.
func (s *suite) vfAddr(t *testing.T, i int) string {
	t.Helper()
	off, stride := s.tg.Expect.Offset, s.tg.Expect.Stride
	if s.tg.Expect.Observed {
		pf := s.pf(t)
		if pf.SRIOV != nil {
			off, stride = pf.SRIOV.Offset, pf.SRIOV.Stride
		}
	}
	a, err := kernel.VFAddress(s.tg.PF, off, stride, i)
	if err != nil {
		t.Fatalf("VF %d address: %v", i, err)
	}
	return a
}

// vfDriver is the driver bound to VF i and its driver_override: from Observe
// when possible; else whether it is bound to candidate, told by unbinding
// (ENODEV unless bound to it) and binding back.
func (s *suite) expectVFDriver(t *testing.T, i int, want string) {
	t.Helper()
	if s.tg.Expect.Observed {
		pf := s.pf(t)
		if pf.SRIOV == nil || i >= len(pf.SRIOV.VFs) {
			t.Fatalf("observe: PF %s has no VF %d", s.tg.PF, i)
		}
		if got := pf.SRIOV.VFs[i].Driver; got != want {
			t.Fatalf("VF %d driver: got %q, want %q", i, got, want)
		}
		return
	}
	k, ctx, addr := s.tg.Kernel, s.ctx(t), s.vfAddr(t, i)
	probe := want
	if probe == "" {
		probe = s.tg.Expect.VFDriver
	}
	if probe == "" {
		probe = s.tg.OverrideDriver
	}
	err := k.Unbind(ctx, addr, probe)
	if want == "" {
		if !errors.Is(err, syscall.ENODEV) {
			t.Fatalf("VF %d: unbind from %s gives %v, want ENODEV (VF unbound)", i, probe, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("VF %d is not bound to %s: unbind gives %v", i, want, err)
	}
	if err := k.Probe(ctx, addr); err != nil {
		t.Fatalf("VF %d: probe after checking its driver: %v", i, err)
	}
}

func (s *suite) enable(t *testing.T, n int) {
	t.Helper()
	if err := s.write(t, strconv.Itoa(n)+"\n"); err != nil {
		t.Fatalf("enable %d VFs: %v", n, err)
	}
}

func (s *suite) unbindPF(t *testing.T) {
	t.Helper()
	if err := s.tg.Kernel.Unbind(s.ctx(t), s.tg.PF, s.tg.Driver); err != nil {
		t.Fatalf("unbind PF %s from %s: %v", s.tg.PF, s.tg.Driver, err)
	}
}

func (s *suite) bindPF(t *testing.T) {
	t.Helper()
	if err := s.tg.Kernel.Bind(s.ctx(t), s.tg.PF, s.tg.Driver); err != nil {
		t.Fatalf("bind PF %s to %s: %v", s.tg.PF, s.tg.Driver, err)
	}
}

// few is how many VFs the cases enable: 2, or 1 on a PF that has one.
func (s *suite) few(t *testing.T) int {
	return min(2, s.total(t))
}
