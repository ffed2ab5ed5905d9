package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/inventory"
	"vfnet/internal/model"
	"vfnet/internal/store"
)

// Run runs every store test on databases from dsn. Tests run in parallel,
// each on its own database.
func Run(t *testing.T, dsn DSN) {
	tests := []struct {
		name string
		fn   func(*testing.T, opener)
	}{
		{"RegisterHost", testRegisterHost},
		{"Inventory", testInventory},
		{"InventoryRefused", testInventoryRefused},
		{"InterfaceWorkflow", testInterfaceWorkflow},
		{"InterfaceRulesChangeNothing", testInterfaceRulesChangeNothing},
		{"VFSubInterface", testVFSubInterface},
		{"DataNetworks", testDataNetworks},
		{"Assignments", testAssignments},
		{"LockUnlock", testLockUnlock},
		{"Tokens", testTokens},
		{"ConcurrentAssign", testConcurrentAssign},
	}
	t.Run("Migrations", func(t *testing.T) {
		t.Parallel()
		testMigrations(t, dsn)
	})
	t.Run("ConcurrentCreate", func(t *testing.T) {
		t.Parallel()
		testConcurrentCreate(t, dsn)
	})
	t.Run("ConcurrentVFSplit", func(t *testing.T) {
		t.Parallel()
		testConcurrentVFSplit(t, dsn)
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, func(t testing.TB, opts store.Options) *store.Store { return Open(t, dsn(t), opts) })
		})
	}
}

// wantCode fails unless err is of class code (nil: no error).
func wantCode(t *testing.T, what string, err error, code model.Code) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("%s: got error %v, want success", what, err)
		}
		return
	}
	if !errors.Is(err, code) {
		t.Fatalf("%s: got error %v (class %q), want class %q", what, err, model.CodeOf(err), code)
	}
}

// host registers compute-0 and reports Inventory(numvfs) for it.
func host(t *testing.T, s *store.Store, numvfs int) model.Host {
	t.Helper()
	ctx := context.Background()
	if _, err := s.RegisterHost(ctx, "compute-0", ""); err != nil {
		t.Fatal(err)
	}
	h, err := s.ReportInventory(ctx, "compute-0", Inventory(numvfs))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func ptr[T any](v T) *T { return &v }

// opener opens a store on a fresh database.
type opener func(t testing.TB, opts store.Options) *store.Store

func testMigrations(t *testing.T, dsn DSN) {
	// Servers starting together on one database migrate it once; opening it
	// again applies nothing and keeps the data.
	ctx := context.Background()
	url := dsn(t)
	const n = 4
	stores := make([]*store.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = store.Open(ctx, url, store.Options{Now: NewClock().Now}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %d of %d opened together: %v", i, n, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	host(t, stores[0], 0)
	again := Open(t, url, store.Options{})
	hs, err := again.Hosts(ctx)
	if err != nil || len(hs) != 1 {
		t.Fatalf("after reopening: hosts %s, error %v; want compute-0", JSON(hs), err)
	}
	if d := again.Dialect(); d != "sqlite" && d != "postgres" {
		t.Errorf("Dialect() = %q", d)
	}
}

func testRegisterHost(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, store.Options{Now: NewClock().Now})
	h, err := s.RegisterHost(ctx, "compute-0", "")
	wantCode(t, "register", err, "")
	want := model.Host{ID: h.ID, Hostname: "compute-0", Personality: model.PersonalityWorker,
		Administrative: model.AdminLocked, Operational: model.OperDisabled, NUMANodes: []model.NUMANode{}}
	if d := cmp.Diff(want, h); d != "" {
		t.Errorf("RegisterHost (-want +got):\n%s", d)
	}
	again, err := s.RegisterHost(ctx, "compute-0", "")
	wantCode(t, "register again", err, "")
	if again.ID != h.ID {
		t.Errorf("registering again gave id %s, want the same host %s", again.ID, h.ID)
	}
	for _, ref := range []string{"compute-0", h.ID} {
		got, err := s.Host(ctx, ref)
		wantCode(t, "Host("+ref+")", err, "")
		if d := cmp.Diff(h, got); d != "" {
			t.Errorf("Host(%s) (-want +got):\n%s", ref, d)
		}
	}
	_, err = s.Host(ctx, "compute-9")
	wantCode(t, "unknown host", err, model.ErrNotFound)
	for _, bad := range []string{"", "-x", "a b", "a/b", "x'; DROP TABLE hosts; --"} {
		_, err := s.RegisterHost(ctx, bad, "")
		wantCode(t, fmt.Sprintf("RegisterHost(%q)", bad), err, model.ErrInvalid)
	}
	_, err = s.RegisterHost(ctx, "compute-1", "storage")
	wantCode(t, "personality storage", err, model.ErrInvalid)
	hs, err := s.Hosts(ctx)
	wantCode(t, "Hosts", err, "")
	if len(hs) != 1 {
		t.Errorf("Hosts() = %d hosts, want 1: %s", len(hs), JSON(hs))
	}
}

func testInventory(t *testing.T, open opener) {
	ctx := context.Background()
	clock := NewClock()
	s := open(t, store.Options{Now: clock.Now})
	h := host(t, s, 0)
	if h.Operational != model.OperEnabled || !h.LastReport.Equal(clock.Now()) {
		t.Errorf("after a report: operational %s, last report %v; want enabled at %v", h.Operational, h.LastReport, clock.Now())
	}
	ports, err := s.Ports(ctx, "compute-0")
	wantCode(t, "Ports", err, "")
	var addrs []string
	for _, p := range ports {
		addrs = append(addrs, p.PCIAddr)
	}
	if want := []string{"0000:00:03.0", "0000:3b:00.0", "0000:3b:00.1"}; !slices.Equal(addrs, want) {
		t.Fatalf("ports %v, want %v", addrs, want)
	}
	ifs, err := s.Interfaces(ctx, "compute-0")
	wantCode(t, "Interfaces", err, "")
	if len(ifs) != 3 {
		t.Fatalf("%d interfaces after the first report, want one per port: %s", len(ifs), JSON(ifs))
	}
	for _, i := range ifs {
		if i.Type != model.IfTypeEthernet || i.Class != model.IfClassNone || i.MTU != 1500 || i.PortID == "" {
			t.Errorf("interface %s: got %s/%s MTU %d port %q, want ethernet/none MTU 1500 with a port", i.Name, i.Type, i.Class, i.MTU, i.PortID)
		}
	}
	p0, err := s.Port(ctx, "compute-0", "enp59s0f0")
	wantCode(t, "Port by name", err, "")
	if p0.InterfaceID == "" {
		t.Errorf("port enp59s0f0 has no interface id")
	}
	for _, ref := range []string{p0.ID, p0.PCIAddr} {
		got, err := s.Port(ctx, "compute-0", ref)
		wantCode(t, "Port("+ref+")", err, "")
		if d := cmp.Diff(p0, got); d != "" {
			t.Errorf("Port(%s) (-want +got):\n%s", ref, d)
		}
	}
	_, err = s.Port(ctx, "compute-0", "eth9")
	wantCode(t, "unknown port", err, model.ErrNotFound)

	// A second report with 8 VFs and without the virtio NIC: ids stay, the
	// VFs show, the virtio port and its unconfigured interface go.
	clock.Advance(time.Minute)
	inv := Inventory(8)
	inv.Ports = inv.Ports[:2]
	_, err = s.ReportInventory(ctx, h.ID, inv)
	wantCode(t, "second report", err, "")
	again, err := s.Port(ctx, "compute-0", "0000:3b:00.0")
	wantCode(t, "Port", err, "")
	if again.ID != p0.ID || again.SRIOVNumVFs != 8 || len(again.SRIOVVFsPCIAddress) != 8 || again.SRIOVVFDriver != "iavf" {
		t.Errorf("after reporting 8 VFs: %s", JSON(again))
	}
	ifs2, _ := s.Interfaces(ctx, "compute-0")
	if len(ifs2) != 2 {
		t.Errorf("%d interfaces after the virtio port went, want 2: %s", len(ifs2), JSON(ifs2))
	}
	h2, _ := s.Host(ctx, "compute-0")
	if !h2.LastReport.Equal(clock.Now()) || len(h2.NUMANodes) != 2 {
		t.Errorf("host after second report: %s", JSON(h2))
	}
	_, err = s.ReportInventory(ctx, "compute-9", inv)
	wantCode(t, "report for an unknown host", err, model.ErrNotFound)
}

func testInventoryRefused(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, store.Options{Now: NewClock().Now})
	host(t, s, 0)
	before := Take(t, s)
	dup := Inventory(0)
	dup.Ports = append(dup.Ports, dup.Ports[0])
	noAddr := Inventory(0)
	noAddr.Ports[2].PCIAddr = ""
	mismatch := Inventory(4)
	mismatch.Ports[0].SRIOVVFsPCIAddress = mismatch.Ports[0].SRIOVVFsPCIAddress[:2]
	beyond := Inventory(0)
	beyond.Ports[1].SRIOVNumVFs = ptr(65)
	for name, inv := range map[string]inventory.Report{"duplicate": dup, "no pciaddr": noAddr, "mismatch": mismatch, "beyond total": beyond} {
		_, err := s.ReportInventory(ctx, "compute-0", inv)
		wantCode(t, name, err, model.ErrInvalid)
	}
	Unchanged(t, s, before, "refused reports")
}

func testInterfaceWorkflow(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, store.Options{Now: NewClock().Now})
	host(t, s, 0)
	c := model.IfClassPCISRIOV
	d := model.VFDriverNetdevice
	ifc, err := s.ModifyInterface(ctx, "compute-0", "enp59s0f0", model.InterfacePatch{
		Name: ptr("sriov0"), Class: &c, SRIOVNumVFs: ptr(8), SRIOVVFDriver: &d})
	wantCode(t, "host-if-modify -c pci-sriov -N 8", err, "")
	if ifc.Name != "sriov0" || ifc.Class != c || ifc.SRIOVNumVFs != 8 || ifc.SRIOVVFDriver != d {
		t.Errorf("modified interface: %s", JSON(ifc))
	}
	got, err := s.Interface(ctx, "compute-0", ifc.ID)
	wantCode(t, "Interface by id", err, "")
	if cmp.Diff(ifc, got) != "" {
		t.Errorf("Interface(id) = %s, want %s", JSON(got), JSON(ifc))
	}
	_, err = s.Interface(ctx, "compute-0", "enp59s0f0")
	wantCode(t, "old name", err, model.ErrNotFound)
	p, _ := s.Port(ctx, "compute-0", "enp59s0f0")
	if p.InterfaceID != ifc.ID {
		t.Errorf("port's interface id %q, want %q", p.InterfaceID, ifc.ID)
	}
	// A vlan on the virtio port's interface, then delete it.
	vlan, err := s.AddInterface(ctx, "compute-0", model.Interface{Name: "vlan10", Type: model.IfTypeVLAN,
		Class: model.IfClassPlatform, Uses: []string{"ens3"}, VLANID: 10})
	wantCode(t, "add vlan", err, "")
	if !slices.Equal(vlan.Uses, []string{"ens3"}) || vlan.MTU != 1500 {
		t.Errorf("vlan interface: %s", JSON(vlan))
	}
	lower, _ := s.Interface(ctx, "compute-0", "ens3")
	if !slices.Equal(lower.UsedBy, []string{"vlan10"}) {
		t.Errorf("ens3 used_by %v, want [vlan10]", lower.UsedBy)
	}
	err = s.DeleteInterface(ctx, "compute-0", "ens3")
	wantCode(t, "delete a used lower interface", err, model.ErrConflict)
	err = s.DeleteInterface(ctx, "compute-0", "vlan10")
	wantCode(t, "delete vlan", err, "")
	_, err = s.Interface(ctx, "compute-0", "vlan10")
	wantCode(t, "deleted vlan", err, model.ErrNotFound)
	err = s.DeleteInterface(ctx, "compute-0", "vlan10")
	wantCode(t, "delete again", err, model.ErrNotFound)
}

func testInterfaceRulesChangeNothing(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, store.Options{Now: NewClock().Now})
	host(t, s, 0)
	sriov := model.IfClassPCISRIOV
	tests := []struct {
		name  string
		patch model.InterfacePatch
		ifc   string
		want  model.Code
	}{
		{"numvfs above totalvfs", model.InterfacePatch{Class: &sriov, SRIOVNumVFs: ptr(65)}, "enp59s0f0", model.ErrInvalid},
		{"numvfs 0", model.InterfacePatch{Class: &sriov, SRIOVNumVFs: ptr(0)}, "enp59s0f0", model.ErrInvalid},
		{"no SR-IOV", model.InterfacePatch{Class: &sriov, SRIOVNumVFs: ptr(4)}, "ens3", model.ErrInvalid},
		{"numvfs without pci-sriov", model.InterfacePatch{SRIOVNumVFs: ptr(4)}, "enp59s0f0", model.ErrInvalid},
		{"MTU too large", model.InterfacePatch{MTU: ptr(9217)}, "enp59s0f0", model.ErrInvalid},
		{"rename onto another", model.InterfacePatch{Name: ptr("ens3")}, "enp59s0f0", model.ErrConflict},
		{"unknown interface", model.InterfacePatch{MTU: ptr(9000)}, "eth9", model.ErrNotFound},
	}
	for _, tc := range tests {
		before := Take(t, s)
		_, err := s.ModifyInterface(ctx, "compute-0", tc.ifc, tc.patch)
		wantCode(t, tc.name, err, tc.want)
		Unchanged(t, s, before, tc.name)
	}
	before := Take(t, s)
	_, err := s.AddInterface(ctx, "compute-0", model.Interface{Name: "bond0", Type: model.IfTypeAE, Class: sriov,
		Uses: []string{"enp59s0f0", "enp59s0f1"}})
	wantCode(t, "pci-sriov ae", err, model.ErrInvalid)
	_, err = s.AddInterface(ctx, "compute-9", model.Interface{Name: "x", Type: model.IfTypeVLAN, Uses: []string{"ens3"}, VLANID: 5})
	wantCode(t, "unknown host", err, model.ErrNotFound)
	Unchanged(t, s, before, "refused adds")

	// Unlocked: every change is refused.
	_, err = s.UnlockHost(ctx, "compute-0", false)
	wantCode(t, "unlock", err, "")
	before = Take(t, s)
	_, err = s.ModifyInterface(ctx, "compute-0", "enp59s0f0", model.InterfacePatch{MTU: ptr(9000)})
	wantCode(t, "modify while unlocked", err, model.ErrConflict)
	err = s.DeleteInterface(ctx, "compute-0", "ens3")
	wantCode(t, "delete while unlocked", err, model.ErrConflict)
	Unchanged(t, s, before, "changes while unlocked")
}

func testVFSubInterface(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, store.Options{Now: NewClock().Now})
	host(t, s, 8)
	sriov := model.IfClassPCISRIOV
	_, err := s.ModifyInterface(ctx, "compute-0", "enp59s0f0", model.InterfacePatch{Class: &sriov, SRIOVNumVFs: ptr(8)})
	wantCode(t, "pci-sriov", err, "")
	vfio := model.VFDriverVFIO
	_, err = s.AddInterface(ctx, "compute-0", model.Interface{Name: "dpdk0", Type: model.IfTypeVF, Uses: []string{"enp59s0f0"},
		SRIOVNumVFs: 8, SRIOVVFDriver: vfio})
	wantCode(t, "vf taking every VF", err, model.ErrInvalid)
	vf, err := s.AddInterface(ctx, "compute-0", model.Interface{Name: "dpdk0", Type: model.IfTypeVF, Uses: []string{"enp59s0f0"},
		SRIOVNumVFs: 2, SRIOVVFDriver: vfio})
	wantCode(t, "vf with 2 VFs", err, "")
	if vf.Class != sriov || len(vf.SRIOVVFsPCIAddress) != 2 || vf.SRIOVVFsPCIAddress[1] != "0000:3b:02.7" {
		t.Errorf("vf interface: %s", JSON(vf))
	}
	parent, _ := s.Interface(ctx, "compute-0", "enp59s0f0")
	if len(parent.SRIOVVFsPCIAddress) != 6 || !slices.Equal(parent.UsedBy, []string{"dpdk0"}) {
		t.Errorf("parent after split: %s", JSON(parent))
	}
	none := model.IfClassNone
	_, err = s.ModifyInterface(ctx, "compute-0", "enp59s0f0", model.InterfacePatch{Class: &none})
	wantCode(t, "leave pci-sriov with VF children", err, model.ErrConflict)
}

func testDataNetworks(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, store.Options{Now: NewClock().Now})
	dn, err := s.CreateDataNetwork(ctx, model.DataNetwork{Name: "physnet0", NetworkType: model.NetworkTypeVLAN,
		SegmentRanges: []model.SegmentRange{{Min: 10, Max: 99}}})
	wantCode(t, "create", err, "")
	want := model.DataNetwork{ID: dn.ID, Name: "physnet0", NetworkType: model.NetworkTypeVLAN, MTU: 1500,
		SegmentRanges: []model.SegmentRange{{Min: 10, Max: 99}}}
	if d := cmp.Diff(want, dn); d != "" {
		t.Errorf("created (-want +got):\n%s", d)
	}
	for _, ref := range []string{"physnet0", dn.ID} {
		got, err := s.DataNetwork(ctx, ref)
		wantCode(t, "DataNetwork("+ref+")", err, "")
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("DataNetwork(%s) (-want +got):\n%s", ref, d)
		}
	}
	before := Take(t, s)
	_, err = s.CreateDataNetwork(ctx, model.DataNetwork{Name: "physnet0", NetworkType: model.NetworkTypeFlat})
	wantCode(t, "duplicate", err, model.ErrConflict)
	_, err = s.CreateDataNetwork(ctx, model.DataNetwork{Name: "none", NetworkType: model.NetworkTypeFlat})
	wantCode(t, "name none", err, model.ErrInvalid)
	_, err = s.CreateDataNetwork(ctx, model.DataNetwork{Name: "x", NetworkType: "vxlan"})
	wantCode(t, "type vxlan", err, model.ErrInvalid)
	_, err = s.ModifyDataNetwork(ctx, "physnet0", model.DataNetworkPatch{NetworkType: ptr(model.NetworkTypeFlat)})
	wantCode(t, "change type", err, model.ErrInvalid)
	_, err = s.ModifyDataNetwork(ctx, "physnet9", model.DataNetworkPatch{MTU: ptr(9000)})
	wantCode(t, "modify unknown", err, model.ErrNotFound)
	Unchanged(t, s, before, "refused data network changes")

	mod, err := s.ModifyDataNetwork(ctx, dn.ID, model.DataNetworkPatch{MTU: ptr(9000), Description: ptr("fabric A")})
	wantCode(t, "modify", err, "")
	if mod.MTU != 9000 || mod.Description != "fabric A" {
		t.Errorf("modified: %s", JSON(mod))
	}
	err = s.DeleteDataNetwork(ctx, "physnet0")
	wantCode(t, "delete", err, "")
	err = s.DeleteDataNetwork(ctx, "physnet0")
	wantCode(t, "delete again", err, model.ErrNotFound)
	dns, _ := s.DataNetworks(ctx)
	if len(dns) != 0 {
		t.Errorf("data networks after delete: %s", JSON(dns))
	}
}

func testAssignments(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, store.Options{Now: NewClock().Now})
	host(t, s, 0)
	_, err := s.CreateDataNetwork(ctx, model.DataNetwork{Name: "physnet0", NetworkType: model.NetworkTypeVLAN})
	wantCode(t, "create", err, "")
	a, err := s.AssignDataNetwork(ctx, "compute-0", "enp59s0f1", "physnet0")
	wantCode(t, "assign", err, "")
	if a.Interface != "enp59s0f1" || a.DataNetwork != "physnet0" || a.Host != "compute-0" {
		t.Errorf("assignment: %s", JSON(a))
	}
	ifc, _ := s.Interface(ctx, "compute-0", "enp59s0f1")
	if ifc.Class != model.IfClassData || !slices.Equal(ifc.DataNetworks, []string{"physnet0"}) {
		t.Errorf("interface after assign: class %s datanetworks %v, want data [physnet0]", ifc.Class, ifc.DataNetworks)
	}
	before := Take(t, s)
	_, err = s.AssignDataNetwork(ctx, "compute-0", "enp59s0f1", "physnet0")
	wantCode(t, "assign twice", err, model.ErrConflict)
	_, err = s.AssignDataNetwork(ctx, "compute-0", "enp59s0f1", "physnet9")
	wantCode(t, "unknown data network", err, model.ErrNotFound)
	err = s.DeleteDataNetwork(ctx, "physnet0")
	wantCode(t, "delete while assigned", err, model.ErrConflict)
	_, err = s.ModifyDataNetwork(ctx, "physnet0", model.DataNetworkPatch{MTU: ptr(9000)})
	wantCode(t, "MTU above the interface's", err, model.ErrConflict)
	err = s.RemoveDataNetwork(ctx, "compute-0", "enp59s0f0", "physnet0")
	wantCode(t, "remove what is not assigned", err, model.ErrNotFound)
	Unchanged(t, s, before, "refused assignment changes")

	as, err := s.Assignments(ctx, "compute-0")
	wantCode(t, "list", err, "")
	if len(as) != 1 || as[0] != a {
		t.Errorf("Assignments = %s, want [%s]", JSON(as), JSON(a))
	}
	err = s.RemoveDataNetwork(ctx, "compute-0", "enp59s0f1", "physnet0")
	wantCode(t, "remove", err, "")
	as, _ = s.Assignments(ctx, "compute-0")
	if len(as) != 0 {
		t.Errorf("Assignments after remove = %s", JSON(as))
	}
	// Deleting an interface takes its assignments along.
	_, err = s.AssignDataNetwork(ctx, "compute-0", "ens3", "physnet0")
	wantCode(t, "assign ens3", err, "")
	_, err = s.AddInterface(ctx, "compute-0", model.Interface{Name: "v5", Type: model.IfTypeVLAN, Class: model.IfClassData,
		Uses: []string{"ens3"}, VLANID: 5})
	wantCode(t, "add vlan", err, "")
	_, err = s.AssignDataNetwork(ctx, "compute-0", "v5", "physnet0")
	wantCode(t, "assign v5", err, "")
	err = s.DeleteInterface(ctx, "compute-0", "v5")
	wantCode(t, "delete v5", err, "")
	as, _ = s.Assignments(ctx, "compute-0")
	if len(as) != 1 || as[0].Interface != "ens3" {
		t.Errorf("Assignments after deleting v5 = %s", JSON(as))
	}
}

func testLockUnlock(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, store.Options{Now: NewClock().Now})
	host(t, s, 0)
	sriov := model.IfClassPCISRIOV
	nd := model.VFDriverNetdevice
	_, err := s.ModifyInterface(ctx, "compute-0", "enp59s0f0", model.InterfacePatch{Name: ptr("sriov0"), Class: &sriov,
		SRIOVNumVFs: ptr(8), SRIOVVFDriver: &nd})
	wantCode(t, "configure", err, "")
	_, err = s.LockHost(ctx, "compute-0")
	wantCode(t, "lock a locked host", err, model.ErrConflict)
	before := Take(t, s)
	_, err = s.UnlockHost(ctx, "compute-0", false)
	wantCode(t, "unlock before the agent reports 8 VFs", err, model.ErrConflict)
	Unchanged(t, s, before, "refused unlock")
	locked, err := s.ReportInventory(ctx, "compute-0", Inventory(8))
	wantCode(t, "report 8 VFs", err, "")
	h, err := s.UnlockHost(ctx, "compute-0", false)
	wantCode(t, "unlock", err, "")
	// Unlocking publishes a new desired revision for the agent.
	if h.Administrative != model.AdminUnlocked || h.DesiredRevision <= locked.DesiredRevision {
		t.Errorf("after unlock: %s; want unlocked at a revision above %d", JSON(h), locked.DesiredRevision)
	}
	h, err = s.LockHost(ctx, "compute-0")
	wantCode(t, "lock", err, "")
	if h.Administrative != model.AdminLocked {
		t.Errorf("after lock: %s", JSON(h))
	}
	// force skips the agent's report, never the rules.
	_, err = s.ReportInventory(ctx, "compute-0", Inventory(0))
	wantCode(t, "report 0 VFs", err, "")
	rev := h.DesiredRevision
	h, err = s.UnlockHost(ctx, "compute-0", true)
	wantCode(t, "force unlock", err, "")
	if h.Administrative != model.AdminUnlocked || h.DesiredRevision <= rev {
		t.Errorf("after a forced unlock: %s; want unlocked at a revision above %d", JSON(h), rev)
	}
	got, _ := s.Host(ctx, "compute-0")
	if d := cmp.Diff(h, got); d != "" {
		t.Errorf("stored host differs from returned (-returned +stored):\n%s", d)
	}
}

func testTokens(t *testing.T, open opener) {
	ctx := context.Background()
	clock := NewClock()
	s := open(t, store.Options{Now: clock.Now})
	secret := store.NewTokenSecret()
	tok, err := s.CreateToken(ctx, secret, store.TokenSpec{Project: "admin", Roles: []string{store.RoleAdmin}, TTL: time.Hour})
	wantCode(t, "create", err, "")
	got, err := s.Authenticate(ctx, secret)
	wantCode(t, "authenticate", err, "")
	if d := cmp.Diff(tok, got); d != "" {
		t.Errorf("Authenticate (-created +got):\n%s", d)
	}
	_, err = s.Authenticate(ctx, secret+"x")
	wantCode(t, "wrong secret", err, model.ErrNotFound)
	clock.Advance(time.Hour)
	_, err = s.Authenticate(ctx, secret)
	wantCode(t, "expired", err, model.ErrNotFound)

	tests := []struct {
		name string
		spec store.TokenSpec
		want model.Code
	}{
		{"member", store.TokenSpec{Project: "p", Roles: []string{store.RoleMember}}, ""},
		{"agent", store.TokenSpec{Project: "p", Roles: []string{store.RoleAgent}, Host: "compute-0"}, ""},
		{"agent without host", store.TokenSpec{Project: "p", Roles: []string{store.RoleAgent}}, model.ErrInvalid},
		{"host without agent", store.TokenSpec{Project: "p", Roles: []string{store.RoleReader}, Host: "compute-0"}, model.ErrInvalid},
		{"no project", store.TokenSpec{Roles: []string{store.RoleReader}}, model.ErrInvalid},
		{"no role", store.TokenSpec{Project: "p"}, model.ErrInvalid},
		{"unknown role", store.TokenSpec{Project: "p", Roles: []string{"root"}}, model.ErrInvalid},
		{"negative lifetime", store.TokenSpec{Project: "p", Roles: []string{store.RoleReader}, TTL: -time.Second}, model.ErrInvalid},
	}
	for _, tc := range tests {
		_, err := s.CreateToken(ctx, store.NewTokenSecret(), tc.spec)
		wantCode(t, tc.name, err, tc.want)
	}
	_, err = s.CreateToken(ctx, secret, store.TokenSpec{Project: "p", Roles: []string{store.RoleReader}})
	wantCode(t, "same secret twice", err, model.ErrConflict)
	toks, err := s.Tokens(ctx)
	wantCode(t, "list", err, "")
	if len(toks) != 3 {
		t.Errorf("%d tokens, want 3: %s", len(toks), JSON(toks))
	}
}

// testConcurrentCreate: writers of two servers (two stores on one
// database) racing for one name; exactly one wins, the others get a
// conflict, never an internal error (PostgreSQL's serialization failures
// are retried inside the store).
func testConcurrentCreate(t *testing.T, dsn DSN) {
	ctx := context.Background()
	url := dsn(t)
	servers := []*store.Store{Open(t, url, store.Options{}), Open(t, url, store.Options{})}
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = servers[i%2].CreateDataNetwork(ctx, model.DataNetwork{Name: "physnet0", NetworkType: model.NetworkTypeFlat})
		})
	}
	wg.Wait()
	if wins := conflictRaceWins(t, "create", errs); wins != 1 {
		t.Errorf("%d racing creates of one name succeeded, want 1", wins)
	}
}

// conflictRaceWins counts the racing writes that succeeded and fails t for
// any that failed other than with a conflict.
func conflictRaceWins(t *testing.T, what string, errs []error) int {
	t.Helper()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, model.ErrConflict):
			t.Errorf("racing %s: %v (class %s), want success or conflict", what, err, model.CodeOf(err))
		}
	}
	return wins
}

// testConcurrentAssign: hosts configured in parallel, each assignment once.
func testConcurrentAssign(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, store.Options{Now: NewClock().Now})
	_, err := s.CreateDataNetwork(ctx, model.DataNetwork{Name: "physnet0", NetworkType: model.NetworkTypeFlat})
	wantCode(t, "create", err, "")
	const hosts = 4
	for i := range hosts {
		name := fmt.Sprintf("compute-%d", i)
		if _, err := s.RegisterHost(ctx, name, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReportInventory(ctx, name, Inventory(0)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, hosts*2)
	for i := range hosts * 2 {
		wg.Go(func() {
			_, errs[i] = s.AssignDataNetwork(ctx, fmt.Sprintf("compute-%d", i%hosts), "enp59s0f1", "physnet0")
		})
	}
	wg.Wait()
	if wins := conflictRaceWins(t, "assign", errs); wins != hosts {
		t.Errorf("%d racing assignments succeeded, want one per host (%d)", wins, hosts)
	}
	for i := range hosts {
		as, _ := s.Assignments(ctx, fmt.Sprintf("compute-%d", i))
		if len(as) != 1 {
			t.Errorf("compute-%d has %d assignments, want 1", i, len(as))
		}
	}
}

// testConcurrentVFSplit: two servers add VF sub-interfaces to one parent
// at once. Each add alone is valid; together they would leave the parent
// no VF. The rule reads the siblings and the add writes a new row, a write
// skew that only a serializable store refuses: exactly one add succeeds,
// the others are refused by the rule after their retry, never stored.
func testConcurrentVFSplit(t *testing.T, dsn DSN) {
	ctx := context.Background()
	url := dsn(t)
	servers := []*store.Store{Open(t, url, store.Options{}), Open(t, url, store.Options{})}
	host(t, servers[0], 8)
	sriov := model.IfClassPCISRIOV
	if _, err := servers[0].ModifyInterface(ctx, "compute-0", "enp59s0f0", model.InterfacePatch{Class: &sriov, SRIOVNumVFs: ptr(8)}); err != nil {
		t.Fatal(err)
	}
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = servers[i%2].AddInterface(ctx, "compute-0", model.Interface{Name: fmt.Sprintf("vf%d", i),
				Type: model.IfTypeVF, Uses: []string{"enp59s0f0"}, SRIOVNumVFs: 4})
		})
	}
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, model.ErrInvalid) && !errors.Is(err, model.ErrConflict):
			t.Errorf("racing add vf%d: %v (class %s), want success or a rule's refusal", i, err, model.CodeOf(err))
		}
	}
	if wins != 1 {
		t.Errorf("%d racing adds of 4 of 8 VFs succeeded, want 1", wins)
	}
	parent, err := servers[1].Interface(ctx, "compute-0", "enp59s0f0")
	if err != nil {
		t.Fatal(err)
	}
	if len(parent.UsedBy) != 1 {
		t.Errorf("the parent is used by %v, want one VF interface", parent.UsedBy)
	}
}
