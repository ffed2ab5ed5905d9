package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/kernel"
)

const (
	pfA = "0000:3b:00.0" // enp59s0f0, 8 VFs at most
	pfB = "0000:3b:00.1" // enp59s0f1
)

// testPF is an ice-like PF with n VFs on iavf, each free and reset, link up
// at MTU 1500, autoprobe on: what a converged PF with free VFs looks like.
func testPF(addr, ifname string, n int) kernel.PF {
	pf := kernel.PF{
		PCIAddr: addr, Driver: "ice", Ifname: ifname, MTU: 1500, Oper: "up", AdminUp: true,
		SRIOV: &kernel.SRIOV{TotalVFs: 8, NumVFs: n, Offset: 16, Stride: 1, Autoprobe: true},
	}
	for i := 0; i < n; i++ {
		a, err := kernel.VFAddress(addr, 16, 1, i)
		if err != nil {
			panic(err)
		}
		pf.SRIOV.VFs = append(pf.SRIOV.VFs, kernel.VF{
			Index: i, PCIAddr: a, Driver: "iavf",
			Info: &kernel.VFInfo{VF: i, MAC: zeroMAC, Proto: kernel.Proto8021Q, SpoofChk: true, LinkState: kernel.LinkDisable},
		})
	}
	return pf
}

func host(pfs ...kernel.PF) *kernel.Host { return &kernel.Host{PFs: pfs} }

// with applies f to a copy of pf (its VFs deep-copied).
func with(pf kernel.PF, f func(pf *kernel.PF)) kernel.PF {
	if pf.SRIOV != nil {
		s := *pf.SRIOV
		s.VFs = append([]kernel.VF(nil), s.VFs...)
		for i := range s.VFs {
			if s.VFs[i].Info != nil {
				info := *s.VFs[i].Info
				s.VFs[i].Info = &info
			}
		}
		pf.SRIOV = &s
	}
	f(&pf)
	return pf
}

var port7 = DesiredVF{PF: pfA, Index: 2, PortID: "port-7", MAC: "FA:16:3E:00:00:07", VLAN: 10, SpoofChk: true, LinkState: kernel.LinkAuto}

// programmed is VF 2 of pfA as port7 wants it.
func programmed(pf *kernel.PF) {
	pf.SRIOV.VFs[2].Info = &kernel.VFInfo{VF: 2, MAC: "fa:16:3e:00:00:07", VLAN: 10, Proto: kernel.Proto8021Q, SpoofChk: true, LinkState: kernel.LinkAuto}
}

func TestPlan(t *testing.T) {
	sriov4 := DesiredPF{PCIAddr: pfA, NumVFs: 4, Up: true, MTU: 1500}
	vfio4 := DesiredPF{PCIAddr: pfA, NumVFs: 4, VFDriver: VFIO, Up: true}
	tests := []struct {
		name     string
		desired  Desired
		observed *kernel.Host
		want     []string
		problems []error // classes, in order
	}{{
		name:     "converged: free VFs reset, bound VF programmed, unmanaged PF at 0",
		desired:  Desired{PFs: []DesiredPF{sriov4}, VFs: []DesiredVF{port7}},
		observed: host(with(testPF(pfA, "enp59s0f0", 4), programmed), testPF(pfB, "enp59s0f1", 0)),
	}, {
		name:    "converged: vfio-pci VFs with autoprobe off",
		desired: Desired{PFs: []DesiredPF{vfio4}},
		observed: host(with(testPF(pfA, "enp59s0f0", 4), func(pf *kernel.PF) {
			pf.SRIOV.Autoprobe = false
			for i := range pf.SRIOV.VFs {
				pf.SRIOV.VFs[i].Driver, pf.SRIOV.VFs[i].DriverOverride = VFIO, VFIO
			}
		})),
	}, {
		name:     "from zero: link, then the count; VFs wait for the next observation",
		desired:  Desired{PFs: []DesiredPF{{PCIAddr: pfA, NumVFs: 4, Up: true, MTU: 9000}}},
		observed: host(with(testPF(pfA, "enp59s0f0", 0), func(pf *kernel.PF) { pf.Oper, pf.AdminUp = "down", false })),
		want:     []string{"enp59s0f0: set link up mtu 9000", `0000:3b:00.0: write sriov_numvfs "4\n"`},
	}, {
		name:    "converged: admin up without a cable (operstate down) needs no link change",
		desired: Desired{PFs: []DesiredPF{sriov4}},
		observed: host(with(testPF(pfA, "enp59s0f0", 4), func(pf *kernel.PF) {
			pf.Oper, pf.Speed = "down", -1
		})),
	}, {
		name:    "admin down with the carrier's operstate still up: set link up",
		desired: Desired{PFs: []DesiredPF{sriov4}},
		observed: host(with(testPF(pfA, "enp59s0f0", 4), func(pf *kernel.PF) {
			pf.AdminUp = false
		})),
		want: []string{"enp59s0f0: set link up mtu 1500"},
	}, {
		name:    "wanted down, admin up without a cable: set link down",
		desired: Desired{PFs: []DesiredPF{{PCIAddr: pfA, NumVFs: 4, MTU: 1500}}},
		observed: host(with(testPF(pfA, "enp59s0f0", 4), func(pf *kernel.PF) {
			pf.Oper, pf.Speed = "down", -1
		})),
		want: []string{"enp59s0f0: set link down mtu 1500"},
	}, {
		name:     "from zero with vfio-pci VFs: autoprobe off before the VFs exist",
		desired:  Desired{PFs: []DesiredPF{vfio4}},
		observed: host(testPF(pfA, "enp59s0f0", 0)),
		want:     []string{"0000:3b:00.0: write sriov_drivers_autoprobe 0", `0000:3b:00.0: write sriov_numvfs "4\n"`},
	}, {
		name:     "count change 4 -> 8 goes through 0",
		desired:  Desired{PFs: []DesiredPF{{PCIAddr: pfA, NumVFs: 8, Up: true}}},
		observed: host(testPF(pfA, "enp59s0f0", 4)),
		want:     []string{`0000:3b:00.0: write sriov_numvfs "0\n"`, `0000:3b:00.0: write sriov_numvfs "8\n"`},
	}, {
		name:     "count change refused under a bound VF; the VF stays programmed",
		desired:  Desired{PFs: []DesiredPF{{PCIAddr: pfA, NumVFs: 8, Up: true}}, VFs: []DesiredVF{port7}},
		observed: host(with(testPF(pfA, "enp59s0f0", 4), func(pf *kernel.PF) { pf.SRIOV.VFs[2].Info.VLAN = 99 })),
		want:     []string{"enp59s0f0 vf 2: set mac fa:16:3e:00:00:07 vlan 10 qos 0 state auto"},
		problems: []error{ErrRefused},
	}, {
		name:     "lowering the count is refused when the bound VF is beyond the new count",
		desired:  Desired{PFs: []DesiredPF{{PCIAddr: pfA, NumVFs: 2, Up: true}}, VFs: []DesiredVF{port7}},
		observed: host(with(testPF(pfA, "enp59s0f0", 4), programmed)),
		problems: []error{ErrInvalid, ErrRefused},
	}, {
		name:     "after a reboot a bound VF does not exist: the count is written",
		desired:  Desired{PFs: []DesiredPF{sriov4}, VFs: []DesiredVF{port7}},
		observed: host(testPF(pfA, "enp59s0f0", 0)),
		want:     []string{`0000:3b:00.0: write sriov_numvfs "4\n"`},
	}, {
		name:     "unmanaged PF with VFs goes back to 0",
		desired:  Desired{PFs: []DesiredPF{sriov4}},
		observed: host(testPF(pfA, "enp59s0f0", 4), testPF(pfB, "enp59s0f1", 3)),
		want:     []string{`0000:3b:00.1: write sriov_numvfs "0\n"`},
	}, {
		name:     "unmanaged PF with a bound VF keeps its VFs; only the bound one is programmed",
		desired:  Desired{VFs: []DesiredVF{{PF: pfB, Index: 1, PortID: "p1", MAC: "fa:16:3e:00:00:01", VLAN: 5, SpoofChk: true}}},
		observed: host(with(testPF(pfB, "enp59s0f1", 3), func(pf *kernel.PF) { pf.SRIOV.VFs[0].Info.VLAN = 42 })),
		want:     []string{"enp59s0f1 vf 1: set mac fa:16:3e:00:00:01 vlan 5 qos 0 state auto"},
		problems: []error{ErrRefused},
	}, {
		name:    "VFs move to vfio-pci: override, unbind, probe",
		desired: Desired{PFs: []DesiredPF{{PCIAddr: pfA, NumVFs: 2, VFDriver: VFIO, Up: true}}},
		observed: host(with(testPF(pfA, "enp59s0f0", 2), func(pf *kernel.PF) {
			pf.SRIOV.Autoprobe = false
			pf.SRIOV.VFs[1].Driver, pf.SRIOV.VFs[1].DriverOverride = VFIO, VFIO
		})),
		want: []string{
			`0000:3b:02.0: write driver_override "vfio-pci"`, "0000:3b:02.0: unbind from iavf", "0000:3b:02.0: drivers_probe",
		},
	}, {
		name:    "VFs back to the NIC's driver: clear the override, unbind vfio-pci, probe",
		desired: Desired{PFs: []DesiredPF{{PCIAddr: pfA, NumVFs: 2, Up: true}}},
		observed: host(with(testPF(pfA, "enp59s0f0", 2), func(pf *kernel.PF) {
			pf.SRIOV.VFs[0].Driver, pf.SRIOV.VFs[0].DriverOverride = VFIO, VFIO
			pf.SRIOV.VFs[1].Driver = ""
		})),
		want: []string{
			`0000:3b:02.0: write driver_override ""`, "0000:3b:02.0: unbind from vfio-pci", "0000:3b:02.0: drivers_probe",
			"0000:3b:02.1: drivers_probe",
		},
	}, {
		name: "a pool takes VFs 2-3 to vfio-pci with a rate",
		desired: Desired{PFs: []DesiredPF{{PCIAddr: pfA, NumVFs: 4, Up: true,
			Pools: []VFPool{{First: 2, Count: 2, Driver: VFIO, MaxTxRate: 1000}}}}},
		observed: host(with(testPF(pfA, "enp59s0f0", 4), func(pf *kernel.PF) {
			pf.SRIOV.VFs[3].Driver, pf.SRIOV.VFs[3].DriverOverride = VFIO, VFIO
			pf.SRIOV.VFs[3].Info.MaxTxRate = 1000
		})),
		want: []string{
			`0000:3b:02.2: write driver_override "vfio-pci"`, "0000:3b:02.2: unbind from iavf", "0000:3b:02.2: drivers_probe",
			"enp59s0f0 vf 2: set min_tx_rate 0 max_tx_rate 1000",
		},
	}, {
		name:     "only the attribute that differs is sent: VLAN drift on a bound VF",
		desired:  Desired{PFs: []DesiredPF{sriov4}, VFs: []DesiredVF{port7}},
		observed: host(with(testPF(pfA, "enp59s0f0", 4), func(pf *kernel.PF) { programmed(pf); pf.SRIOV.VFs[2].Info.VLAN = 99 })),
		want:     []string{"enp59s0f0 vf 2: set vlan 10 qos 0"},
	}, {
		name:    "released VF is reset: MAC, VLAN, QoS, spoofchk, state, trust",
		desired: Desired{PFs: []DesiredPF{sriov4}},
		observed: host(with(testPF(pfA, "enp59s0f0", 4), func(pf *kernel.PF) {
			programmed(pf)
			pf.SRIOV.VFs[2].Info.QoS, pf.SRIOV.VFs[2].Info.Trust, pf.SRIOV.VFs[2].Info.SpoofChk = 3, true, false
		})),
		want: []string{"enp59s0f0 vf 2: set mac 00:00:00:00:00:00 vlan 0 qos 0 spoofchk on state disable trust off"},
	}, {
		name:     "pci-passthrough bound: VFs go, then the PF moves to vfio-pci",
		desired:  Desired{PFs: []DesiredPF{{PCIAddr: pfA, Passthrough: true, PortID: "pt-1"}}},
		observed: host(testPF(pfA, "enp59s0f0", 2)),
		want: []string{
			`0000:3b:00.0: write sriov_numvfs "0\n"`,
			`0000:3b:00.0: write driver_override "vfio-pci"`, "0000:3b:00.0: unbind from ice", "0000:3b:00.0: drivers_probe",
		},
	}, {
		name:    "pci-passthrough converged on vfio-pci",
		desired: Desired{PFs: []DesiredPF{{PCIAddr: pfA, Passthrough: true, PortID: "pt-1"}}},
		observed: host(with(testPF(pfA, "", 0), func(pf *kernel.PF) {
			pf.Driver, pf.DriverOverride, pf.MTU, pf.Oper = VFIO, VFIO, 0, ""
		})),
	}, {
		name:    "released passthrough PF goes back to its driver before anything else",
		desired: Desired{PFs: []DesiredPF{sriov4}},
		observed: host(with(testPF(pfA, "", 0), func(pf *kernel.PF) {
			pf.Driver, pf.DriverOverride, pf.MTU, pf.Oper = VFIO, VFIO, 0, ""
		})),
		want: []string{`0000:3b:00.0: write driver_override ""`, "0000:3b:00.0: unbind from vfio-pci", "0000:3b:00.0: drivers_probe"},
	}, {
		name: "bad entries are problems and change nothing",
		desired: Desired{
			PFs: []DesiredPF{{PCIAddr: pfA, NumVFs: 9, Up: true}, {PCIAddr: "0000:99:00.0", NumVFs: 1}},
			VFs: []DesiredVF{{PF: pfA, Index: 0, PortID: "p", MAC: "01:00:5e:00:00:01"}, {PF: pfA, Index: 1, PortID: "q", MAC: "fa:16:3e:00:00:01", VLAN: 4096}},
		},
		observed: host(testPF(pfA, "enp59s0f0", 0)),
		problems: []error{ErrInvalid, ErrNotFound, ErrInvalid, ErrInvalid},
	}, {
		name:     "a PF without a netdev cannot program its bound VF",
		desired:  Desired{PFs: []DesiredPF{{PCIAddr: pfA, NumVFs: 2}}, VFs: []DesiredVF{{PF: pfA, Index: 0, PortID: "p", MAC: "fa:16:3e:00:00:01"}}},
		observed: host(with(testPF(pfA, "", 2), func(pf *kernel.PF) { pf.SRIOV.VFs[0].Info, pf.SRIOV.VFs[1].Info = nil, nil })),
		problems: []error{ErrUnsupported},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, problems := Plan(tt.desired, tt.observed)
			var got []string
			for _, o := range ops {
				got = append(got, o.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Plan(%+v) ops (-want +got):\n%s", tt.desired, diff)
			}
			if len(problems) != len(tt.problems) {
				t.Fatalf("Plan(%+v) problems = %v, want %d of classes %v", tt.desired, problems, len(tt.problems), tt.problems)
			}
			for i, p := range problems {
				if !errors.Is(p, tt.problems[i]) {
					t.Errorf("problem %d = %v, want class %v", i, p, tt.problems[i])
				}
			}
		})
	}
}

// A VFChange carries only the differing attributes, and each is reported as
// a Diff with what was found.
func TestPlanDiffs(t *testing.T) {
	observed := host(with(testPF(pfA, "enp59s0f0", 4), func(pf *kernel.PF) { pf.SRIOV.VFs[3].Info.VLAN = 99 }))
	ops, _ := Plan(Desired{PFs: []DesiredPF{{PCIAddr: pfA, NumVFs: 4, Up: true}}}, observed)
	if len(ops) != 1 {
		t.Fatalf("got %d ops %v, want 1", len(ops), ops)
	}
	want := []Diff{{Attr: AttrVLAN, Found: "vlan 99 qos 0", Want: "vlan 0 qos 0"}}
	if diff := cmp.Diff(want, ops[0].Diffs); diff != "" {
		t.Errorf("diffs (-want +got):\n%s", diff)
	}
	c := ops[0].Change
	if c.MAC != nil || c.SpoofChk != nil || c.LinkState != nil || c.Trust != nil || c.Rate != nil || c.VLAN == nil {
		t.Errorf("change = %s, want the VLAN alone", changeString(c))
	}
}

// Plan over a big converged host stays at zero writes; a quick guard that the
// comparison has no false differences (e.g. MAC case, proto 0 vs 802.1Q).
func TestPlanConvergedNormalises(t *testing.T) {
	pf := with(testPF(pfA, "enp59s0f0", 4), func(pf *kernel.PF) {
		programmed(pf)
		pf.SRIOV.VFs[2].Info.Proto = 0
		pf.SRIOV.VFs[2].Info.MAC = "FA:16:3E:00:00:07"
	})
	ops, problems := Plan(Desired{PFs: []DesiredPF{{PCIAddr: pfA, NumVFs: 4, Up: true}}, VFs: []DesiredVF{port7}}, host(pf))
	if len(ops) != 0 || len(problems) != 0 {
		t.Errorf("ops %v problems %v, want none", fmt.Sprint(ops), problems)
	}
}

// A Report crosses the wire to the server: problems keep their class and
// message, op errors their errno and message.
func TestReportJSONRoundTrip(t *testing.T) {
	in := Report{
		Revision: 7,
		Problems: []Problem{problem(pfA, 2, "port-7", ErrRefused, "numvfs 4 -> 2 removes every VF")},
		Errors:   []OpError{{Pass: 1, Op: "enp59s0f0 vf 2: set vlan 10 qos 0", PF: pfA, VF: 2, Errno: "EIO", Err: &kernel.Error{Op: "VF 2 VLAN", Device: "enp59s0f0", Err: syscall.EIO}}},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Report
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	p := out.Problems[0]
	if !errors.Is(p, ErrRefused) || p.Error() != in.Problems[0].Error() {
		t.Errorf("problem after JSON = %q (refused %v), want %q", p, errors.Is(p, ErrRefused), in.Problems[0])
	}
	e := out.Errors[0]
	if e.Errno != "EIO" || e.Err.Error() != in.Errors[0].Err.Error() {
		t.Errorf("op error after JSON = %s %v, want EIO %v", e.Errno, e.Err, in.Errors[0].Err)
	}
}
