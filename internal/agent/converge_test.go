package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/kernel"
	"vfnet/internal/sim"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from what the tests produce")

// The simulated host of the convergence tests: four SR-IOV PFs of three
// drivers, a fifth nobody asks for, and an nvme function (not a NIC: the
// agent never sees it).
const (
	x0   = "0000:3b:00.0" // x710 port 0, enp59s0f0, VFs on iavf
	x1   = "0000:3b:00.1" // x710 port 1, enp59s0f1, VFs on vfio-pci
	igb  = "0000:5e:00.0" // igb, enp94s0f0: no VF link state
	e810 = "0000:86:00.0" // e810, enp134s0f0, VFs 2-3 a vfio-pci pool
	igb1 = "0000:5e:00.1" // igb port 1, no interface asks for it
)

var testHost = sim.HostSpec{Hostname: "compute-0", NUMANodes: 2, NICs: []sim.NICSpec{
	{Model: "x710", Ports: 2, NUMANode: 0, Bus: 0x3b},
	{Model: "igb", Ports: 2, NUMANode: 1, Bus: 0x5e},
	{Model: "e810", Ports: 1, NUMANode: 1, Bus: 0x86},
	{Model: "nvme", NUMANode: -1, Bus: 0xaf},
}}

func newSim(t testing.TB, spec sim.HostSpec) *sim.Kernel {
	t.Helper()
	dir := t.TempDir()
	if err := sim.Create(dir, spec); err != nil {
		t.Fatalf("sim.Create: %v", err)
	}
	k, err := sim.Open(dir)
	if err != nil {
		t.Fatalf("sim.Open: %v", err)
	}
	return k
}

// partWay is the sim with one VF's next message failing the way the kernel
// fails: its MAC applied, then EIO on the VLAN, nothing rolled back.
type partWay struct {
	kernel.Kernel
	ifname string
	vf     int
	armed  int
	seen   []kernel.VFChange // every change sent to that VF
}

func (p *partWay) SetVF(ctx context.Context, ifname string, vf int, c kernel.VFChange) error {
	if ifname != p.ifname || vf != p.vf {
		return p.Kernel.SetVF(ctx, ifname, vf, c)
	}
	p.seen = append(p.seen, c)
	if p.armed == 0 || c.VLAN == nil {
		return p.Kernel.SetVF(ctx, ifname, vf, c)
	}
	p.armed--
	if c.MAC != nil {
		if err := p.Kernel.SetVF(ctx, ifname, vf, kernel.VFChange{MAC: c.MAC}); err != nil {
			return err
		}
	}
	return &kernel.Error{Op: fmt.Sprintf("VF %d VLAN", vf), Device: ifname, Err: syscall.EIO}
}

func bind(pf string, i int, port string, vlan int) DesiredVF {
	return DesiredVF{PF: pf, Index: i, PortID: port, MAC: fmt.Sprintf("fa:16:3e:00:%02x:%02x", vlan>>8, vlan&0xff),
		VLAN: vlan, SpoofChk: true, LinkState: kernel.LinkAuto}
}

func revision(rev int64, x0VFs, x1VFs int, vfs ...DesiredVF) Desired {
	return Desired{Revision: rev, VFs: vfs, PFs: []DesiredPF{
		{PCIAddr: x0, NumVFs: x0VFs, Up: true, MTU: 9000},
		{PCIAddr: x1, NumVFs: x1VFs, VFDriver: VFIO, Up: true},
		{PCIAddr: igb, NumVFs: 4, Up: true},
		{PCIAddr: e810, NumVFs: 4, Up: true, Pools: []VFPool{{First: 2, Count: 2, Driver: VFIO, MaxTxRate: 1000}}},
	}}
}

// TestConvergeStates applies a sequence of desired states (and out-of-band
// changes) to one simulated host and compares, after each, the host's text
// dump and the report with testdata/converge.golden. Each step also checks
// the facts it is about in code, so that -update cannot bless a regression
// of those.
func TestConvergeStates(t *testing.T) {
	ctx := context.Background()
	s := newSim(t, testHost)
	k := &partWay{Kernel: s, ifname: "enp59s0f0", vf: 2}
	conv := NewConverger(k, nil)
	portA := bind(x0, 1, "port-a", 100)
	portA.Trust = true
	portB := bind(e810, 2, "port-b", 200)
	portB.QoS, portB.SpoofChk = 3, false
	portC := bind(igb, 0, "port-c", 300)
	bound := []DesiredVF{portA, portB, portC}
	three := []DesiredVF{portB, portC, bind(x0, 0, "port-d", 400), bind(x0, 1, "port-e", 500), bind(x0, 2, "port-f", 600)}

	var last Report
	var dumps []string
	steps := []struct {
		name    string
		before  func(t *testing.T)
		desired func() Desired
		restart bool // a new Converger: the agent process restarted
		check   func(t *testing.T, r Report)
	}{{
		name: "from zero: 4 PFs with VFs on three drivers; VFs of a PF nobody asks for removed",
		before: func(t *testing.T) {
			must(t, s.WriteNumVFs(ctx, igb1, "2\n"))
		},
		desired: func() Desired { return revision(1, 4, 2) },
		check: func(t *testing.T, r Report) {
			want := []Unsupported{{PF: igb, Driver: "igb", Attr: AttrLinkState, Errno: "EOPNOTSUPP"}}
			if diff := cmp.Diff(want, r.Unsupported); diff != "" {
				t.Errorf("unsupported (-want +got):\n%s", diff)
			}
			if len(r.Errors) != 0 {
				t.Errorf("errors %v, want none: a lacking driver is not an error", r.Errors)
			}
			// One failed message teaches the agent; the igb VFs' other
			// attributes are then sent without link state.
			if got := r.Writes.ByKind[OpSetVF]; got != 4+1+4+2 {
				t.Errorf("%d VF messages, want 11 (x710 port 0: 4, igb: 4+1, e810: 2)", got)
			}
		},
	}, {
		name:    "converged: a second pass makes zero writes",
		desired: func() Desired { return revision(1, 4, 2) },
		check:   zeroWrites,
	}, {
		name:    "bind three ports: one message per VF with only what differs",
		desired: func() Desired { return revision(2, 4, 2, bound...) },
		check: func(t *testing.T, r Report) {
			if r.Writes.Netlink != 3 || r.Writes.Sysfs != 0 {
				t.Errorf("writes %+v, want 3 netlink messages and no sysfs write", r.Writes)
			}
		},
	}, {
		name: "drift: VLAN 99 and a MAC out of band, a vfio-pci VF unbound; put back with events",
		before: func(t *testing.T) {
			v := kernel.VLAN{ID: 99}
			must(t, s.SetVF(ctx, "enp59s0f0", 1, kernel.VFChange{VLAN: &v}))
			mac, on := "02:00:00:00:00:33", true
			must(t, s.SetVF(ctx, "enp59s0f0", 3, kernel.VFChange{MAC: &mac, Trust: &on}))
			h, err := s.Observe(ctx)
			must(t, err)
			must(t, s.Unbind(ctx, vfOf(t, h, x1, 0).PCIAddr, VFIO))
		},
		desired: func() Desired { return revision(2, 4, 2, bound...) },
		check: func(t *testing.T, r Report) {
			if len(r.Events) != 4 {
				t.Errorf("%d events, want 4 (vlan, mac, trust, driver)", len(r.Events))
			}
			for _, e := range r.Events {
				if !e.Drift || !e.Restored {
					t.Errorf("event %s: drift=%v restored=%v, want both", e, e.Drift, e.Restored)
				}
			}
		},
	}, {
		name:    "count change on x710 port 1: 2 -> 6 through 0",
		desired: func() Desired { return revision(3, 4, 6, bound...) },
		check: func(t *testing.T, r Report) {
			if r.Writes.ByKind[OpNumVFs] != 2 {
				t.Errorf("%d sriov_numvfs writes, want 2 (0, then 6)", r.Writes.ByKind[OpNumVFs])
			}
		},
	}, {
		name:    "refused: lowering x710 port 0 to 2 VFs would remove port-a's VF 1",
		desired: func() Desired { return revision(4, 2, 6, bound...) },
		check: func(t *testing.T, r Report) {
			if len(r.Problems) != 1 || !errors.Is(r.Problems[0], ErrRefused) {
				t.Errorf("problems %v, want one refusal", r.Problems)
			}
			if r.Writes.Total() != 0 || numVFs(r, x0) != 4 {
				t.Errorf("writes %+v, x710 port 0 at %d VFs; want nothing touched at 4", r.Writes, numVFs(r, x0))
			}
		},
	}, {
		name:    "release port-a: its VF is reset",
		desired: func() Desired { return revision(5, 4, 6, portB, portC) },
		check: func(t *testing.T, r Report) {
			info := vfState(t, r, x0, 1).Info
			if info.MAC != zeroMAC || info.VLAN != 0 || info.Trust || !info.SpoofChk || info.LinkState != kernel.LinkDisable {
				t.Errorf("released VF holds %+v, want it reset", *info)
			}
		},
	}, {
		name: "faults: EIO on the first VF message, and VF 2's VLAN after its MAC applied; next pass converges",
		before: func(t *testing.T) {
			must(t, s.InjectFault(ctx, sim.Fault{Op: sim.OpSetVF, Device: "enp59s0f0", Errno: syscall.EIO, Times: 1}))
			k.armed, k.seen = 1, nil
		},
		desired: func() Desired { return revision(6, 4, 6, three...) },
		check: func(t *testing.T, r Report) {
			if len(r.Errors) != 2 || r.Errors[0].Errno != "EIO" || r.Errors[1].Errno != "EIO" || r.Passes != 2 {
				t.Errorf("errors %v in %d passes, want 2 EIO then a clean pass", r.Errors, r.Passes)
			}
			// The second message to VF 2 carries the VLAN alone: the MAC
			// stuck, and the agent re-read instead of assuming.
			if len(k.seen) != 2 || k.seen[1].MAC != nil || k.seen[1].VLAN == nil {
				t.Errorf("VF 2 messages %v, want MAC+VLAN then VLAN alone", changes(k.seen))
			}
		},
	}, {
		name:    "reboot: every PF back to 0 VFs; a restarted agent restores it all",
		before:  func(t *testing.T) { reboot(t, s) },
		restart: true,
		desired: func() Desired { d := revision(6, 4, 6, three...); d.Unsupported = last.Unsupported; return d },
		check: func(t *testing.T, r Report) {
			if !r.Converged || r.Passes != 2 {
				t.Errorf("converged %v in %d passes, want 2", r.Converged, r.Passes)
			}
		},
	}, {
		name:    "agent restart on the converged host: zero writes",
		restart: true,
		desired: func() Desired { d := revision(6, 4, 6, three...); d.Unsupported = last.Unsupported; return d },
		check:   zeroWrites,
	}}

	var out strings.Builder
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.before != nil {
				st.before(t)
			}
			must(t, s.ResetWrites(ctx))
			if st.restart {
				conv = NewConverger(k, nil)
			}
			r, err := conv.Converge(ctx, st.desired())
			if err != nil {
				t.Fatalf("Converge: %v\n%s", err, r.Remaining)
			}
			simWrites, err := s.TotalWrites(ctx)
			must(t, err)
			if simWrites != r.Writes.Total() {
				t.Errorf("report counts %d writes, the sim saw %d", r.Writes.Total(), simWrites)
			}
			st.check(t, r)
			last = r
			h, err := s.Observe(ctx)
			must(t, err)
			dumps = append(dumps, dumpHost(h))
			fmt.Fprintf(&out, "== %d. %s\n%s%s\n", i+1, st.name, dumpReport(r), dumps[len(dumps)-1])
		})
	}
	// The reboot step restored exactly what was there before it.
	if n := len(dumps); n == len(steps) {
		if diff := cmp.Diff(dumps[n-3], dumps[n-2]); diff != "" {
			t.Errorf("host after reboot and restore differs from before (-before +after):\n%s", diff)
		}
	}
	golden(t, "testdata/converge.golden", out.String())
}

// Without what earlier reports said igb lacks, a restarted agent spends one
// failed message to learn it again, and no more.
func TestConvergeRestartRelearns(t *testing.T) {
	ctx := context.Background()
	s := newSim(t, testHost)
	d := revision(1, 4, 2)
	if _, err := Converge(ctx, s, d, nil); err != nil {
		t.Fatal(err)
	}
	must(t, s.ResetWrites(ctx))
	r, err := Converge(ctx, s, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Writes.Total() != 1 || r.Writes.Netlink != 1 || len(r.Unsupported) != 1 {
		t.Errorf("writes %+v unsupported %v, want exactly one VF message that finds link state unsupported", r.Writes, r.Unsupported)
	}
	d.Unsupported = r.Unsupported
	must(t, s.ResetWrites(ctx))
	if r, err := Converge(ctx, s, d, nil); err != nil || r.Writes.Total() != 0 {
		t.Errorf("with the unsupported list handed back: writes %+v err %v, want 0", r.Writes, err)
	}
}

// A fault that never clears leaves the host unconverged after the passes,
// says so, and still converges everything else.
func TestConvergeGivesUp(t *testing.T) {
	ctx := context.Background()
	s := newSim(t, testHost)
	must(t, s.InjectFault(ctx, sim.Fault{Op: sim.OpNumVFs, Device: x1, Errno: syscall.EIO, Times: 100}))
	r, err := Converge(ctx, s, revision(1, 4, 2), nil)
	if !errors.Is(err, ErrNotConverged) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("err = %v, want ErrNotConverged wrapping EIO", err)
	}
	if r.Converged || len(r.Remaining) == 0 || r.Passes != DefaultMaxPasses {
		t.Errorf("report %s remaining %v, want not converged after %d passes", r, r.Remaining, DefaultMaxPasses)
	}
	if numVFs(r, x0) != 4 || numVFs(r, e810) != 4 || numVFs(r, x1) != 0 {
		t.Errorf("numvfs x0 %d e810 %d x1 %d, want 4 4 0", numVFs(r, x0), numVFs(r, e810), numVFs(r, x1))
	}
}

func zeroWrites(t *testing.T, r Report) {
	if r.Writes.Total() != 0 || r.Passes != 0 || len(r.Events) != 0 {
		t.Errorf("writes %+v passes %d events %v, want none on a converged host", r.Writes, r.Passes, r.Events)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func changes(cs []kernel.VFChange) []string {
	var out []string
	for _, c := range cs {
		out = append(out, changeString(c))
	}
	return out
}

func vfOf(t *testing.T, h *kernel.Host, pf string, i int) kernel.VF {
	t.Helper()
	for _, p := range h.PFs {
		if p.PCIAddr == pf && p.SRIOV != nil && i < len(p.SRIOV.VFs) {
			return p.SRIOV.VFs[i]
		}
	}
	t.Fatalf("no VF %d of %s", i, pf)
	return kernel.VF{}
}

func vfState(t *testing.T, r Report, pf string, i int) VFState {
	t.Helper()
	for _, v := range r.VFs {
		if v.PF == pf && v.Index == i && v.Info != nil {
			return v
		}
	}
	t.Fatalf("report has no programmable VF %d of %s", i, pf)
	return VFState{}
}

func numVFs(r Report, pf string) int {
	for _, p := range r.PFs {
		if p.PCIAddr == pf {
			return p.NumVFs
		}
	}
	return -1
}

// reboot puts the host where a boot leaves it: every PF at 0 VFs, autoprobe
// on, the links of the PFs vfnet manages down at MTU 1500 (the host's own
// network configuration brings up the others: igb port 1 stays up).
func reboot(t *testing.T, k *sim.Kernel) {
	ctx := context.Background()
	h, err := k.Observe(ctx)
	must(t, err)
	for _, pf := range h.PFs {
		if pf.SRIOV != nil && pf.SRIOV.NumVFs > 0 {
			must(t, k.WriteNumVFs(ctx, pf.PCIAddr, "0\n"))
		}
		if pf.SRIOV != nil && !pf.SRIOV.Autoprobe {
			must(t, k.SetAutoprobe(ctx, pf.PCIAddr, true))
		}
		if pf.Ifname != "" && pf.PCIAddr != igb1 {
			must(t, k.SetLink(ctx, pf.Ifname, false, 1500))
		}
	}
}

// dumpHost prints what the kernel holds, one line per PF and per VF.
func dumpHost(h *kernel.Host) string {
	var b strings.Builder
	for _, pf := range h.PFs {
		fmt.Fprintf(&b, "%s %s", pf.PCIAddr, orDash(pf.Driver))
		if pf.Ifname != "" {
			fmt.Fprintf(&b, " %s %s mtu %d", pf.Ifname, pf.Oper, pf.MTU)
		}
		if s := pf.SRIOV; s != nil {
			fmt.Fprintf(&b, " numvfs %d/%d autoprobe %d", s.NumVFs, s.TotalVFs, b2i(s.Autoprobe))
		}
		b.WriteString("\n")
		if pf.SRIOV == nil {
			continue
		}
		for _, vf := range pf.SRIOV.VFs {
			fmt.Fprintf(&b, "  vf %d %s %s", vf.Index, vf.PCIAddr, orDash(vf.Driver))
			if vf.DriverOverride != "" {
				fmt.Fprintf(&b, " override %s", vf.DriverOverride)
			}
			if i := vf.Info; i != nil {
				fmt.Fprintf(&b, " | mac %s %s rate %d/%d spoofchk %s state %s trust %s", i.MAC,
					vlanString(kernel.VLAN{ID: i.VLAN, QoS: i.QoS, Proto: i.Proto}), i.MinTxRate, i.MaxTxRate,
					onOff(i.SpoofChk), i.LinkState, onOff(i.Trust))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// dumpReport prints a report without its timings.
func dumpReport(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "report: revision %d converged %v passes %d writes sysfs %d netlink %d", r.Revision, r.Converged, r.Passes, r.Writes.Sysfs, r.Writes.Netlink)
	var kinds []string
	for k, n := range r.Writes.ByKind {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(kinds)
	if len(kinds) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(kinds, " "))
	}
	b.WriteString("\n")
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "error pass %d: %s: %s: %v\n", e.Pass, e.Op, e.Errno, e.Err)
	}
	for _, u := range r.Unsupported {
		fmt.Fprintf(&b, "unsupported: %s (%s) %s %s\n", u.PF, u.Driver, u.Attr, u.Errno)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "problem: %v\n", p)
	}
	for _, e := range r.Events {
		kind := "event"
		if e.Drift {
			kind = "drift"
		}
		fmt.Fprintf(&b, "%s: %s\n", kind, e)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		must(t, os.MkdirAll(filepath.Dir(path), 0o755))
		must(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/agent -run %s -update to create it)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); if the change is right, rerun with -update:\n%s", path, diff)
	}
}
