package kerneltest

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"vfnet/internal/kernel"
)

func ptr[T any](v T) *T { return &v }

// cases lists the suite, in the order docs/conformance.md gives it.
func (s *suite) cases() []testCase {
	e := s.tg.Expect
	k := s.tg.Kernel
	cs := []testCase{
		// sriov_numvfs: kstrtou16 base 0, then > total, then same value,
		// then no driver, then 0, then non-zero to non-zero.
		{name: "numvfs/parse-einval", run: func(t *testing.T) {
			bad := []string{"abc", "-1", " 2", "\n", "2\n\n", "0x", "2 ", "1.0"}
			if s.tg.PF != "" {
				// kstrtou16: netdevsim parses with kstrtouint instead.
				bad = append(bad, "65536")
			}
			for _, v := range bad {
				expectErr(t, "write "+strconv.Quote(v), s.write(t, v), syscall.EINVAL)
			}
			s.expectNumVFs(t, 0)
		}},
		{name: "numvfs/zero-length-noop", run: func(t *testing.T) {
			n := s.few(t)
			s.enable(t, n)
			expectErr(t, `write ""`, s.write(t, ""), 0)
			s.expectNumVFs(t, n)
		}},
		{name: "numvfs/hex-and-newline", run: func(t *testing.T) {
			expectErr(t, `write "0x1"`, s.write(t, "0x1"), 0)
			s.expectNumVFs(t, 1)
			expectErr(t, `write "0\n"`, s.write(t, "0\n"), 0)
			expectErr(t, `write "1"`, s.write(t, "1"), 0)
			s.expectNumVFs(t, 1)
		}},
		{name: "numvfs/above-total", run: func(t *testing.T) {
			total := s.total(t)
			expectErr(t, "write total+1", s.write(t, strconv.Itoa(total+1)+"\n"), e.AboveTotal)
			expectErr(t, "write total", s.write(t, strconv.Itoa(total)+"\n"), 0)
			s.expectNumVFs(t, total)
		}},
		{name: "numvfs/above-total-before-busy", pci: true, run: func(t *testing.T) {
			// Enabled VFs do not hide ERANGE: the range check comes first.
			s.enable(t, 1)
			expectErr(t, "write total+1 with VFs enabled", s.write(t, strconv.Itoa(s.total(t)+1)+"\n"), e.AboveTotal)
		}},
		{name: "numvfs/same-value-noop", run: func(t *testing.T) {
			n := s.few(t)
			s.enable(t, n)
			expectErr(t, "write the current value", s.write(t, strconv.Itoa(n)+"\n"), 0)
			s.expectNumVFs(t, n)
		}},
		{name: "numvfs/busy", run: func(t *testing.T) {
			if s.total(t) < 2 {
				t.Fatalf("the PF needs 2 VFs for this case, it has %d", s.total(t))
			}
			s.enable(t, 1)
			expectErr(t, "write 2 with 1 VF enabled", s.write(t, "2\n"), syscall.EBUSY)
			s.expectNumVFs(t, 1)
		}},
		{name: "numvfs/zero-then-other", run: func(t *testing.T) {
			s.enable(t, 1)
			expectErr(t, "write 0", s.write(t, "0\n"), 0)
			s.expectNumVFs(t, 0)
			n := s.few(t)
			expectErr(t, "write "+strconv.Itoa(n), s.write(t, strconv.Itoa(n)+"\n"), 0)
			s.expectNumVFs(t, n)
		}},
		{name: "numvfs/no-driver-enoent", pci: true, run: func(t *testing.T) {
			s.unbindPF(t)
			defer s.reset(t)
			expectErr(t, "write 1 without a PF driver", s.write(t, "1\n"), syscall.ENOENT)
			expectErr(t, "write 0 (the current value) without a PF driver", s.write(t, "0\n"), 0)
			hw := max(e.HardwareTotalVFs, s.tg.Expect.TotalVFs)
			if hw == 0 {
				hw = s.total(t)
			}
			expectErr(t, "write hardware total+1 without a PF driver", s.write(t, strconv.Itoa(hw+1)+"\n"), syscall.ERANGE)
		}},
		{name: "numvfs/pf-unbind-with-vfs", pci: true, run: func(t *testing.T) {
			n := s.few(t)
			s.enable(t, n)
			s.unbindPF(t)
			if e.DisablesVFsOnUnbind {
				// The driver's remove disabled them.
				expectErr(t, "write 0 without a PF driver", s.write(t, "0\n"), 0)
			} else {
				// VFs stay; only the current value succeeds until a
				// driver binds again.
				expectErr(t, "write the current value without a PF driver", s.write(t, strconv.Itoa(n)+"\n"), 0)
				expectErr(t, "write 0 without a PF driver", s.write(t, "0\n"), syscall.ENOENT)
				if n > 1 {
					expectErr(t, "write 1 without a PF driver", s.write(t, "1\n"), syscall.ENOENT)
				}
			}
			s.bindPF(t)
			if e.DisablesVFsOnUnbind {
				s.expectNumVFs(t, 0)
			} else {
				s.expectNumVFs(t, n)
			}
		}},
		{name: "numvfs/totalvfs-after-driver-binds", pci: true, observed: true, run: func(t *testing.T) {
			total := s.total(t)
			s.unbindPF(t)
			defer s.reset(t)
			want := total
			if e.HardwareTotalVFs > 0 {
				want = e.HardwareTotalVFs
			}
			if got := s.pf(t).SRIOV.TotalVFs; got != want {
				t.Fatalf("sriov_totalvfs without a driver: got %d, want %d", got, want)
			}
			s.bindPF(t)
			if got := s.pf(t).SRIOV.TotalVFs; got != total {
				t.Fatalf("sriov_totalvfs with %s bound: got %d, want %d", s.tg.Driver, got, total)
			}
			if e.HardwareTotalVFs > total {
				expectErr(t, "write the hardware total with the driver's lower limit", s.write(t, strconv.Itoa(e.HardwareTotalVFs)+"\n"), syscall.ERANGE)
			}
		}},

		// VFs: addresses from offset and stride, links gone at 0.
		{name: "vfs/addresses", pci: true, observed: true, run: func(t *testing.T) {
			n := min(3, s.total(t))
			s.enable(t, n)
			pf := s.pf(t)
			for i := 0; i < n; i++ {
				want, err := kernel.VFAddress(pf.PCIAddr, pf.SRIOV.Offset, pf.SRIOV.Stride, i)
				if err != nil {
					t.Fatal(err)
				}
				if got := pf.SRIOV.VFs[i]; got.Index != i || got.PCIAddr != want {
					t.Fatalf("VF %d: got index %d at %s, want %s (offset %d stride %d)", i, got.Index, got.PCIAddr, want, pf.SRIOV.Offset, pf.SRIOV.Stride)
				}
			}
			if e.Offset > 0 && (pf.SRIOV.Offset != e.Offset || pf.SRIOV.Stride != e.Stride) {
				t.Fatalf("offset/stride: got %d/%d, want %d/%d", pf.SRIOV.Offset, pf.SRIOV.Stride, e.Offset, e.Stride)
			}
		}},
		{name: "vfs/removed-at-zero", pci: true, run: func(t *testing.T) {
			s.enable(t, s.few(t))
			expectErr(t, "write 0", s.write(t, "0\n"), 0)
			s.expectNumVFs(t, 0)
			expectErr(t, "probe a removed VF", k.Probe(s.ctx(t), s.vfAddr(t, 0)), syscall.ENODEV)
		}},

		// Binding: autoprobe, explicit bind/unbind, driver_override.
		{name: "binding/autoprobe-off-stays-unbound", pci: true, run: func(t *testing.T) {
			expectErr(t, "autoprobe off", k.SetAutoprobe(s.ctx(t), s.tg.PF, false), 0)
			s.enable(t, 1)
			vf := s.vfAddr(t, 0)
			s.expectVFDriver(t, 0, "")
			if e.VFDriver != "" {
				expectErr(t, "bind VF to "+e.VFDriver+" with autoprobe off", k.Bind(s.ctx(t), vf, e.VFDriver), syscall.ENODEV)
			}
			expectErr(t, "drivers_probe with autoprobe off", k.Probe(s.ctx(t), vf), 0)
			s.expectVFDriver(t, 0, "")
		}},
		{name: "binding/autoprobe-read-at-probe-time", pci: true, run: func(t *testing.T) {
			if e.VFDriver == "" {
				t.Fatalf("the target names no VF driver")
			}
			expectErr(t, "autoprobe off", k.SetAutoprobe(s.ctx(t), s.tg.PF, false), 0)
			s.enable(t, 1)
			expectErr(t, "autoprobe on", k.SetAutoprobe(s.ctx(t), s.tg.PF, true), 0)
			expectErr(t, "bind VF to "+e.VFDriver, k.Bind(s.ctx(t), s.vfAddr(t, 0), e.VFDriver), 0)
			s.expectVFDriver(t, 0, e.VFDriver)
		}},
		{name: "binding/autoprobe-on-binds-vf-driver", pci: true, run: func(t *testing.T) {
			if e.VFDriver == "" {
				t.Fatalf("the target names no VF driver")
			}
			s.enable(t, 1)
			s.expectVFDriver(t, 0, e.VFDriver)
			expectErr(t, "bind a bound VF", k.Bind(s.ctx(t), s.vfAddr(t, 0), e.VFDriver), syscall.EBUSY)
		}},
		{name: "binding/unbind-not-bound-enodev", pci: true, run: func(t *testing.T) {
			expectErr(t, "autoprobe off", k.SetAutoprobe(s.ctx(t), s.tg.PF, false), 0)
			s.enable(t, 1)
			drv := e.VFDriver
			if drv == "" {
				drv = s.tg.Driver
			}
			expectErr(t, "unbind an unbound VF from "+drv, k.Unbind(s.ctx(t), s.vfAddr(t, 0), drv), syscall.ENODEV)
			if s.tg.Driver != drv {
				expectErr(t, "unbind PF from "+drv, k.Unbind(s.ctx(t), s.tg.PF, drv), syscall.ENODEV)
			}
		}},
		{name: "binding/bind-missing-device-enodev", pci: true, run: func(t *testing.T) {
			expectErr(t, "bind "+noSuchDevice, k.Bind(s.ctx(t), noSuchDevice, s.tg.Driver), syscall.ENODEV)
			expectErr(t, "probe "+noSuchDevice, k.Probe(s.ctx(t), noSuchDevice), syscall.ENODEV)
		}},
	}
	if o := s.tg.OverrideDriver; o != "" {
		cs = append(cs,
			testCase{name: "binding/override-probe-binds", pci: true, run: func(t *testing.T) {
				expectErr(t, "autoprobe off", k.SetAutoprobe(s.ctx(t), s.tg.PF, false), 0)
				s.enable(t, 1)
				vf := s.vfAddr(t, 0)
				expectErr(t, "set driver_override", k.SetDriverOverride(s.ctx(t), vf, o), 0)
				s.expectVFDriver(t, 0, "") // the override binds nothing by itself
				expectErr(t, "drivers_probe", k.Probe(s.ctx(t), vf), 0)
				s.expectVFDriver(t, 0, o)
			}},
			testCase{name: "binding/override-replaces-vf-driver", pci: true, run: func(t *testing.T) {
				if e.VFDriver == "" {
					t.Fatalf("the target names no VF driver")
				}
				s.enable(t, 1)
				vf := s.vfAddr(t, 0)
				expectErr(t, "set driver_override", k.SetDriverOverride(s.ctx(t), vf, o), 0)
				expectErr(t, "unbind from "+e.VFDriver, k.Unbind(s.ctx(t), vf, e.VFDriver), 0)
				expectErr(t, "drivers_probe", k.Probe(s.ctx(t), vf), 0)
				s.expectVFDriver(t, 0, o)
			}},
			testCase{name: "binding/override-sticks-across-unbind", pci: true, run: func(t *testing.T) {
				expectErr(t, "autoprobe off", k.SetAutoprobe(s.ctx(t), s.tg.PF, false), 0)
				s.enable(t, 1)
				vf := s.vfAddr(t, 0)
				expectErr(t, "set driver_override", k.SetDriverOverride(s.ctx(t), vf, o), 0)
				expectErr(t, "drivers_probe", k.Probe(s.ctx(t), vf), 0)
				expectErr(t, "unbind from "+o, k.Unbind(s.ctx(t), vf, o), 0)
				expectErr(t, "drivers_probe again", k.Probe(s.ctx(t), vf), 0)
				s.expectVFDriver(t, 0, o)
			}},
			testCase{name: "binding/override-cleared-by-reenable", pci: true, run: func(t *testing.T) {
				expectErr(t, "autoprobe off", k.SetAutoprobe(s.ctx(t), s.tg.PF, false), 0)
				s.enable(t, 1)
				expectErr(t, "set driver_override", k.SetDriverOverride(s.ctx(t), s.vfAddr(t, 0), o), 0)
				expectErr(t, "write 0", s.write(t, "0\n"), 0)
				s.enable(t, 1)
				// A new VF has no override: with autoprobe off nothing binds.
				expectErr(t, "drivers_probe", k.Probe(s.ctx(t), s.vfAddr(t, 0)), 0)
				s.expectVFDriver(t, 0, "")
			}},
			testCase{name: "binding/override-missing-driver", pci: true, run: func(t *testing.T) {
				expectErr(t, "autoprobe off", k.SetAutoprobe(s.ctx(t), s.tg.PF, false), 0)
				s.enable(t, 1)
				vf := s.vfAddr(t, 0)
				expectErr(t, "set driver_override to a missing driver", k.SetDriverOverride(s.ctx(t), vf, "vfnet-no-such-driver"), 0)
				expectErr(t, "drivers_probe", k.Probe(s.ctx(t), vf), 0)
				s.expectVFDriver(t, 0, "")
				// The override names another driver: no match.
				expectErr(t, "bind to "+o+" while the override names another", k.Bind(s.ctx(t), vf, o), syscall.ENODEV)
				expectErr(t, "clear driver_override", k.SetDriverOverride(s.ctx(t), vf, ""), 0)
			}},
		)
	}
	cs = append(cs, s.netlinkCases()...)
	return cs
}

// vfs reads the PF's VFs over rtnetlink.
func (s *suite) vfs(t *testing.T) []kernel.VFInfo {
	t.Helper()
	infos, err := s.tg.Kernel.VFs(s.ctx(t), s.tg.Ifname)
	if err != nil {
		t.Fatalf("read VFs of %s: %v", s.tg.Ifname, err)
	}
	return infos
}

func (s *suite) vf(t *testing.T, i int) kernel.VFInfo {
	t.Helper()
	infos := s.vfs(t)
	if i >= len(infos) {
		t.Fatalf("%s reports %d VFs, want VF %d", s.tg.Ifname, len(infos), i)
	}
	return infos[i]
}

func (s *suite) setVF(t *testing.T, vf int, c kernel.VFChange) error {
	return s.tg.Kernel.SetVF(s.ctx(t), s.tg.Ifname, vf, c)
}

func (s *suite) netlinkCases() []testCase {
	e := s.tg.Expect
	mac := "02:00:00:00:00:33"
	cs := []testCase{
		{name: "rtnetlink/index-at-zero-vfs-einval", netdev: true, run: func(t *testing.T) {
			expectErr(t, "set MAC of VF 0 at 0 VFs", s.setVF(t, 0, kernel.VFChange{MAC: &mac}), syscall.EINVAL)
		}},
		{name: "rtnetlink/index-out-of-range-einval", netdev: true, run: func(t *testing.T) {
			n := s.few(t)
			s.enable(t, n)
			for _, vf := range []int{n, n + 7, -1} {
				expectErr(t, "set VLAN of VF "+strconv.Itoa(vf), s.setVF(t, vf, kernel.VFChange{VLAN: &kernel.VLAN{ID: 10}}), syscall.EINVAL)
			}
			if got := len(s.vfs(t)); got != n {
				t.Fatalf("%s reports %d VFs, want %d", s.tg.Ifname, got, n)
			}
		}},
		{name: "rtnetlink/mac", netdev: true, run: func(t *testing.T) {
			s.enable(t, 1)
			expectErr(t, "set MAC", s.setVF(t, 0, kernel.VFChange{MAC: ptr("02:00:00:00:00:AA")}), 0)
			if got := s.vf(t, 0).MAC; got != "02:00:00:00:00:aa" {
				t.Fatalf("VF 0 MAC: got %s, want 02:00:00:00:00:aa", got)
			}
			expectErr(t, "clear MAC", s.setVF(t, 0, kernel.VFChange{MAC: ptr("00:00:00:00:00:00")}), 0)
			if got := s.vf(t, 0).MAC; got != "00:00:00:00:00:00" {
				t.Fatalf("VF 0 MAC after clearing: got %s", got)
			}
		}},
		{name: "rtnetlink/mac-multicast-einval", netdev: true, run: func(t *testing.T) {
			s.enable(t, 1)
			for _, m := range []string{"01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff"} {
				expectErr(t, "set MAC "+m, s.setVF(t, 0, kernel.VFChange{MAC: ptr(m)}), syscall.EINVAL)
			}
		}},
		{name: "rtnetlink/vlan-qos", netdev: true, run: func(t *testing.T) {
			s.enable(t, 1)
			expectErr(t, "set VLAN 10 QoS 3", s.setVF(t, 0, kernel.VFChange{VLAN: &kernel.VLAN{ID: 10, QoS: 3}}), 0)
			if got := s.vf(t, 0); got.VLAN != 10 || got.QoS != 3 {
				t.Fatalf("VF 0: got VLAN %d QoS %d, want 10 and 3", got.VLAN, got.QoS)
			}
			expectErr(t, "set VLAN 0 QoS 0", s.setVF(t, 0, kernel.VFChange{VLAN: &kernel.VLAN{}}), 0)
			if got := s.vf(t, 0); got.VLAN != 0 || got.QoS != 0 {
				t.Fatalf("VF 0: got VLAN %d QoS %d, want none", got.VLAN, got.QoS)
			}
		}},
		{name: "rtnetlink/vlan-qos-range-einval", netdev: true, run: func(t *testing.T) {
			s.enable(t, 1)
			for _, v := range []kernel.VLAN{{ID: 4096}, {ID: 65537}, {ID: 10, QoS: 8}, {ID: 10, QoS: 256}, {ID: -1}} {
				expectErr(t, "set VLAN "+strconv.Itoa(v.ID)+" QoS "+strconv.Itoa(v.QoS), s.setVF(t, 0, kernel.VFChange{VLAN: &v}), syscall.EINVAL)
			}
			if got := s.vf(t, 0); got.VLAN != 0 || got.QoS != 0 {
				t.Fatalf("VF 0 after refused VLANs: got VLAN %d QoS %d, want none (nothing sent)", got.VLAN, got.QoS)
			}
		}},
		{name: "rtnetlink/vlan-8021ad", netdev: true, run: func(t *testing.T) {
			s.enable(t, 1)
			err := s.setVF(t, 0, kernel.VFChange{VLAN: &kernel.VLAN{ID: 20, Proto: kernel.Proto8021AD}})
			if !e.QinQ {
				expectErr(t, "set VLAN 20 proto 802.1ad", err, syscall.EPROTONOSUPPORT)
				return
			}
			expectErr(t, "set VLAN 20 proto 802.1ad", err, 0)
			if got := s.vf(t, 0); got.VLAN != 20 || got.Proto != kernel.Proto8021AD {
				t.Fatalf("VF 0: got VLAN %d proto %#x, want 20 and 0x88a8", got.VLAN, got.Proto)
			}
		}},
		{name: "rtnetlink/spoofchk", netdev: true, run: func(t *testing.T) {
			s.enable(t, 1)
			if got := s.vf(t, 0).SpoofChk; got != e.InitialSpoofChk {
				t.Fatalf("new VF spoof checking: got %v, want %v", got, e.InitialSpoofChk)
			}
			for _, on := range []bool{!e.InitialSpoofChk, e.InitialSpoofChk} {
				expectErr(t, "set spoofchk", s.setVF(t, 0, kernel.VFChange{SpoofChk: ptr(on)}), 0)
				if got := s.vf(t, 0).SpoofChk; got != on {
					t.Fatalf("VF 0 spoof checking: got %v, want %v", got, on)
				}
			}
		}},
		{name: "rtnetlink/trust", netdev: true, run: func(t *testing.T) {
			s.enable(t, 1)
			if s.vf(t, 0).Trust {
				t.Fatalf("new VF is trusted")
			}
			expectErr(t, "set trust on", s.setVF(t, 0, kernel.VFChange{Trust: ptr(true)}), 0)
			if !s.vf(t, 0).Trust {
				t.Fatalf("VF 0 trust: got off, want on")
			}
		}},
		{name: "rtnetlink/link-state", netdev: true, run: func(t *testing.T) {
			n := s.few(t)
			s.enable(t, n)
			err := s.setVF(t, 0, kernel.VFChange{LinkState: ptr(kernel.LinkDisable)})
			if !e.LinkState {
				expectErr(t, "set link state disable", err, syscall.EOPNOTSUPP)
				// The core answers before the driver would check the index.
				expectErr(t, "set link state of a VF out of range", s.setVF(t, n, kernel.VFChange{LinkState: ptr(kernel.LinkAuto)}), syscall.EOPNOTSUPP)
				return
			}
			expectErr(t, "set link state disable", err, 0)
			if got := s.vf(t, 0).LinkState; got != kernel.LinkDisable {
				t.Fatalf("VF 0 link state: got %v, want disable", got)
			}
		}},
		{name: "rtnetlink/rate", netdev: true, run: func(t *testing.T) {
			s.enable(t, 1)
			if e.RateNeedsLink {
				s.waitLinkUp(t)
			}
			expectErr(t, "set max_tx_rate 100", s.setVF(t, 0, kernel.VFChange{Rate: &kernel.Rate{Max: 100}}), 0)
			if got := s.vf(t, 0); got.MaxTxRate != 100 || got.MinTxRate != 0 {
				t.Fatalf("VF 0 rates: got min %d max %d, want 0 and 100", got.MinTxRate, got.MaxTxRate)
			}
			err := s.setVF(t, 0, kernel.VFChange{Rate: &kernel.Rate{Min: 10, Max: 100}})
			if !e.MinRate {
				expectErr(t, "set min_tx_rate 10", err, syscall.EINVAL)
			} else {
				expectErr(t, "set min_tx_rate 10", err, 0)
				if got := s.vf(t, 0).MinTxRate; got != 10 {
					t.Fatalf("VF 0 min_tx_rate: got %d, want 10", got)
				}
			}
			expectErr(t, "set max below min", s.setVF(t, 0, kernel.VFChange{Rate: &kernel.Rate{Min: 100, Max: 10}}), syscall.EINVAL)
		}},
		{name: "rtnetlink/settings-across-reenable", netdev: true, run: func(t *testing.T) {
			s.enable(t, 1)
			expectErr(t, "set MAC and VLAN", s.setVF(t, 0, kernel.VFChange{MAC: &mac, VLAN: &kernel.VLAN{ID: 10}, Trust: ptr(true)}), 0)
			expectErr(t, "write 0", s.write(t, "0\n"), 0)
			s.enable(t, 1)
			got := s.vf(t, 0)
			if e.KeepsVFSettings {
				if got.MAC != mac || got.VLAN != 10 || !got.Trust {
					t.Fatalf("VF 0 after N->0->N: got %+v, want MAC %s VLAN 10 trust on kept", got, mac)
				}
				return
			}
			if got.MAC != "00:00:00:00:00:00" || got.VLAN != 0 || got.Trust || got.SpoofChk != e.InitialSpoofChk {
				t.Fatalf("VF 0 after N->0->N: got %+v, want reset (zero MAC, no VLAN, trust off, spoofchk %v)", got, e.InitialSpoofChk)
			}
		}},
		{name: "rtnetlink/unknown-netdev-enodev", netdev: true, run: func(t *testing.T) {
			const name = "vfnetnosuch0"
			expectErr(t, "set VF of "+name, s.tg.Kernel.SetVF(s.ctx(t), name, 0, kernel.VFChange{Trust: ptr(true)}), syscall.ENODEV)
			_, err := s.tg.Kernel.VFs(s.ctx(t), name)
			expectErr(t, "read VFs of "+name, err, syscall.ENODEV)
		}},
	}
	if e.RateNeedsLink {
		cs = append(cs, testCase{name: "rtnetlink/rate-needs-link", netdev: true, run: func(t *testing.T) {
			s.enable(t, 1)
			s.setPFLink(t, false)
			// If the case stops half way, later ones get the PF back up.
			t.Cleanup(func() {
				if err := s.tg.Kernel.SetLink(context.WithoutCancel(s.ctx(t)), s.tg.Ifname, true, 0); err != nil {
					t.Errorf("bring %s back up: %v", s.tg.Ifname, err)
				}
			})
			rate := &kernel.Rate{Max: 100}
			expectErr(t, "set max_tx_rate 100 with the PF down", s.setVF(t, 0, kernel.VFChange{Rate: rate}), syscall.EINVAL)
			// The refusal is the driver's, in the kernel's attribute order:
			// the MAC before it stays applied, trust after it is not sent.
			err := s.setVF(t, 0, kernel.VFChange{MAC: &mac, Rate: rate, Trust: ptr(true)})
			expectErr(t, "set MAC, max_tx_rate 100 and trust with the PF down", err, syscall.EINVAL)
			got := s.vf(t, 0)
			if got.MAC != mac || got.MaxTxRate != 0 || got.Trust {
				t.Fatalf("VF 0 after the refused rate: got MAC %s max_tx_rate %d trust %v, want MAC %s applied (no rollback), no rate, trust off", got.MAC, got.MaxTxRate, got.Trust, mac)
			}
			s.waitLinkUp(t)
			expectErr(t, "set max_tx_rate 100 with the PF up", s.setVF(t, 0, kernel.VFChange{Rate: rate}), 0)
			if got := s.vf(t, 0).MaxTxRate; got != 100 {
				t.Fatalf("VF 0 max_tx_rate with the PF up: got %d, want 100", got)
			}
		}})
	}
	// Partial application needs an attribute that passes Validate and that
	// the driver refuses, after one it accepts.
	var bad *kernel.VFChange
	var badErr syscall.Errno
	switch {
	case !e.LinkState:
		bad, badErr = &kernel.VFChange{LinkState: ptr(kernel.LinkDisable)}, syscall.EOPNOTSUPP
	case !e.QinQ:
		bad, badErr = &kernel.VFChange{VLAN: &kernel.VLAN{ID: 20, Proto: kernel.Proto8021AD}}, syscall.EPROTONOSUPPORT
	case !e.MinRate:
		bad, badErr = &kernel.VFChange{Rate: &kernel.Rate{Min: 10, Max: 100}}, syscall.EINVAL
	}
	if bad != nil {
		cs = append(cs, testCase{name: "rtnetlink/partial-no-rollback", netdev: true, run: func(t *testing.T) {
			s.enable(t, 1)
			c := *bad
			c.MAC = &mac // applied first
			c.Trust = ptr(true)
			expectErr(t, "set MAC, a refused attribute and trust", s.setVF(t, 0, c), badErr)
			got := s.vf(t, 0)
			if got.MAC != mac {
				t.Fatalf("VF 0 MAC: got %s, want %s applied before the error (no rollback)", got.MAC, mac)
			}
			if got.Trust {
				t.Fatalf("VF 0 trust: on, but the kernel stops at the first error")
			}
		}})
	}
	if n := s.tg.NoSRIOVIfname; n != "" {
		cs = append(cs, testCase{name: "rtnetlink/no-sriov-eopnotsupp", run: func(t *testing.T) {
			expectErr(t, "set VF of "+n, s.tg.Kernel.SetVF(s.ctx(t), n, 0, kernel.VFChange{Trust: ptr(true)}), syscall.EOPNOTSUPP)
			infos, err := s.tg.Kernel.VFs(s.ctx(t), n)
			expectErr(t, "read VFs of "+n, err, 0)
			if len(infos) != 0 {
				t.Fatalf("%s reports %d VFs, want none", n, len(infos))
			}
		}})
	}
	return cs
}

// setPFLink sets the PF's netdev administratively up or down.
func (s *suite) setPFLink(t *testing.T, up bool) {
	t.Helper()
	if err := s.tg.Kernel.SetLink(s.ctx(t), s.tg.Ifname, up, 0); err != nil {
		t.Fatalf("set %s %s: %v", s.tg.Ifname, map[bool]string{true: "up", false: "down"}[up], err)
	}
}

// waitLinkUp brings the PF's netdev up and waits until Observe reports its
// link up: a driver that resets its PF when sriov_numvfs changes (igb) drops
// the link for about a second, and refuses VF rates meanwhile.
func (s *suite) waitLinkUp(t *testing.T) {
	t.Helper()
	// A PF driver rebound by an earlier case registers its netdev down.
	s.setPFLink(t, true)
	deadline := time.Now().Add(15 * time.Second)
	for {
		pf := s.pf(t)
		if pf.Oper == "up" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PF %s link still %q 15s after the VF change", s.tg.PF, pf.Oper)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
