package storetest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"vfnet/internal/agent"
	"vfnet/internal/kernel"
	"vfnet/internal/model"
	"vfnet/internal/neutron"
	"vfnet/internal/sched"
	"vfnet/internal/store"
)

func TestClaimsSQLite(t *testing.T) { runClaims(t, SQLiteURL) }

func TestClaimsPostgres(t *testing.T) { runClaims(t, PostgresURL) }

func runClaims(t *testing.T, dsn DSN) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *store.Store)
	}{
		{"ExternalBindProgramsReleasesResets", testExternalBind},
		{"PCISlotNeverTwice", testPCISlotTwice},
		{"DirectPhysical", testDirectPhysical},
		{"InstancesAndLock", testInstancesAndLock},
		{"AdminDownBindSkipsNICWithoutLinkState", testAdminDownBind},
		{"Refusals", testClaimRefusals},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, Open(t, dsn(t), store.Options{Now: NewClock().Now}))
		})
	}
}

var pfA = PF{Bus: "3b", Node: 0, VFs: 1, DataNetworks: []string{"datanet-a"}}

func dataNetwork(t *testing.T, s *store.Store, name string, typ model.NetworkType) {
	t.Helper()
	d := model.DataNetwork{Name: name, NetworkType: typ, MTU: 1500}
	if typ == model.NetworkTypeVLAN {
		d.SegmentRanges = []model.SegmentRange{{Min: 100, Max: 199}}
	}
	if _, err := s.CreateDataNetwork(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

// bind binds port id to host as Nova does (binding:host_id, optional
// binding:profile.pci_slot) through the store's binding step.
func bind(t *testing.T, s *store.Store, id, host, slot string) neutron.Port {
	t.Helper()
	ctx := context.Background()
	body := `{"port":{"binding:host_id":"` + host + `"}}`
	if host == "" {
		body = `{"port":{"binding:host_id":null}}`
	}
	if slot != "" {
		body = `{"port":{"binding:host_id":"` + host + `","binding:profile":{"pci_slot":"` + slot + `"}}}`
	}
	reqs, err := neutron.DecodePorts([]byte(body), neutron.Update)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := s.UpdateNeutronPort(ctx, neutron.Caller{Admin: true, Service: true, ProjectID: "admin"}, id, reqs[0], nil)
	if err != nil {
		t.Fatalf("bind %s to %q: %v", id, host, err)
	}
	p, err = s.BindNeutronPort(ctx, p)
	if err != nil {
		t.Fatalf("bind %s to %q: %v", id, host, err)
	}
	return p
}

// report sends the agent's applied report of host: the desired state as
// the agent would leave it, with VF settings as given (bound VFs
// programmed, every other VF of the PFs reset) unless override says
// otherwise.
func report(t *testing.T, s *store.Store, host string, pfs []PF, override func(*agent.Report)) model.Host {
	t.Helper()
	ctx := context.Background()
	d, err := s.Desired(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	r := store.Applied{Revision: d.Revision, Converged: true}
	bound := map[string]agent.DesiredVF{}
	for _, v := range d.VFs {
		bound[v.PF+"/"+strconv.Itoa(v.Index)] = v
		if v.Index < 0 {
			r.PFs = append(r.PFs, agent.PFState{PCIAddr: v.PF, Driver: agent.VFIO})
		}
	}
	for _, pf := range pfs {
		for i := range pf.VFs {
			info := &kernel.VFInfo{VF: i, MAC: "00:00:00:00:00:00", SpoofChk: true, LinkState: kernel.LinkDisable}
			if v, ok := bound[pf.PFAddr()+"/"+strconv.Itoa(i)]; ok {
				info = &kernel.VFInfo{VF: i, MAC: v.MAC, VLAN: v.VLAN, SpoofChk: v.SpoofChk, Trust: v.Trust, LinkState: v.LinkState}
			}
			r.VFs = append(r.VFs, agent.VFState{PF: pf.PFAddr(), Index: i, PCIAddr: pf.VFAddr(i), Info: info})
		}
	}
	if override != nil {
		override(&r)
	}
	h, err := s.ReportApplied(ctx, host, r)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func port(t *testing.T, s *store.Store, id string) neutron.Port {
	t.Helper()
	p, err := s.NeutronPort(context.Background(), Admin, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testExternalBind(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetwork(t, s, "datanet-a", model.NetworkTypeVLAN)
	pfs := []PF{pfA}
	SRIOVHost(t, s, "compute-0", pfs...)
	net := Network(t, s, "net10", "datanet-a", 10)
	p1 := NeutronPort(t, s, net.ID, "direct", "")
	p2 := NeutronPort(t, s, net.ID, "direct", "")

	got := bind(t, s, p1.ID, "compute-0", "")
	if got.VIFType != neutron.VIFTypeHWVEB || got.VIFDetails["vlan"] != "10" || got.Profile["pci_slot"] != pfA.VFAddr(0) ||
		got.Profile["pci_vendor_info"] != "8086:154c" || got.Profile["physical_network"] != "datanet-a" || got.Status != neutron.PortStatusDown {
		t.Fatalf("bound port: %s; want hw_veb, vlan 10, pci_slot %s, 8086:154c, DOWN", JSON(got), pfA.VFAddr(0))
	}
	d, err := s.Desired(ctx, "compute-0")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.VFs) != 1 || d.VFs[0].MAC != p1.MACAddress || d.VFs[0].VLAN != 10 || d.VFs[0].Index != 0 || d.VFs[0].LinkState != kernel.LinkAuto {
		t.Fatalf("desired VFs after the bind: %s; want VF 0 with %s, VLAN 10, link auto", JSON(d.VFs), p1.MACAddress)
	}
	h, err := s.Host(ctx, "compute-0")
	if err != nil {
		t.Fatal(err)
	}
	if h.Operational != model.OperEnabled {
		t.Errorf("host after a claim: %s; want still enabled (a claim is not a configuration change)", h.Operational)
	}

	// A report that does not show the VF programmed leaves the port DOWN.
	report(t, s, "compute-0", pfs, func(r *agent.Report) { r.VFs[0].Info.VLAN = 0 })
	if st := port(t, s, p1.ID).Status; st != neutron.PortStatusDown {
		t.Fatalf("port whose VF is not programmed: %s, want DOWN", st)
	}
	report(t, s, "compute-0", pfs, nil)
	if st := port(t, s, p1.ID).Status; st != neutron.PortStatusActive {
		t.Fatalf("port whose VF the agent reports programmed: %s, want ACTIVE", st)
	}

	// admin_state_up false: the VF's link goes down, and so does the port.
	reqs, _ := neutron.DecodePorts([]byte(`{"port":{"admin_state_up":false}}`), neutron.Update)
	if _, _, err := s.UpdateNeutronPort(ctx, Admin, p1.ID, reqs[0], nil); err != nil {
		t.Fatal(err)
	}
	if d, _ = s.Desired(ctx, "compute-0"); len(d.VFs) != 1 || d.VFs[0].LinkState != kernel.LinkDisable {
		t.Fatalf("desired VFs of an admin-down port: %s; want link disable", JSON(d.VFs))
	}
	report(t, s, "compute-0", pfs, nil)
	if st := port(t, s, p1.ID).Status; st != neutron.PortStatusDown {
		t.Fatalf("admin-down port: %s, want DOWN", st)
	}

	// The only VF is taken: p2 fails to bind, with the reason in the
	// host's events.
	if got := bind(t, s, p2.ID, "compute-0", ""); got.VIFType != neutron.VIFTypeBindingFailed {
		t.Fatalf("second port on a host with one VF: %s, want binding_failed", got.VIFType)
	}
	evs, err := s.Events(ctx, store.EventFilter{Host: "compute-0"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(JSON(evs), "binding failed") || !strings.Contains(JSON(evs), "claimed") {
		t.Errorf("events after a failed bind: %s; want the reason", JSON(evs))
	}

	// Unbind: the VF is released but not free until the agent reports it
	// reset, so p2 still cannot have it.
	if got := bind(t, s, p1.ID, "", ""); got.VIFType != neutron.VIFTypeUnbound || got.HostID != "" {
		t.Fatalf("unbound port: %s", JSON(got))
	}
	if d, _ = s.Desired(ctx, "compute-0"); len(d.VFs) != 0 {
		t.Fatalf("desired VFs after the release: %s; want none (the agent resets the VF)", JSON(d.VFs))
	}
	cs, _ := s.Claims(ctx, "compute-0")
	if len(cs) != 1 || cs[0].State != store.ClaimReleasing {
		t.Fatalf("claims after the release: %s; want one releasing", JSON(cs))
	}
	if got := bind(t, s, p2.ID, "compute-0", ""); got.VIFType != neutron.VIFTypeBindingFailed {
		t.Fatalf("bind while the only VF is being reset: %s, want binding_failed", got.VIFType)
	}
	// A report still showing the old MAC does not free it.
	report(t, s, "compute-0", pfs, func(r *agent.Report) { r.VFs[0].Info.MAC = p1.MACAddress })
	if got := bind(t, s, p2.ID, "compute-0", ""); got.VIFType != neutron.VIFTypeBindingFailed {
		t.Fatalf("bind while the VF still holds the old MAC: %s, want binding_failed", got.VIFType)
	}
	report(t, s, "compute-0", pfs, nil)
	if got := bind(t, s, p2.ID, "compute-0", ""); got.VIFType != neutron.VIFTypeHWVEB || got.Profile["pci_slot"] != pfA.VFAddr(0) {
		t.Fatalf("bind after the agent reset the VF: %s", JSON(got))
	}
}

func testPCISlotTwice(t *testing.T, s *store.Store) {
	dataNetwork(t, s, "datanet-a", model.NetworkTypeVLAN)
	pf := PF{Bus: "3b", Node: 0, VFs: 4, DataNetworks: []string{"datanet-a"}}
	SRIOVHost(t, s, "compute-0", pf)
	net := Network(t, s, "net10", "datanet-a", 10)
	p1 := NeutronPort(t, s, net.ID, "direct", "")
	p2 := NeutronPort(t, s, net.ID, "direct", "")
	if got := bind(t, s, p1.ID, "compute-0", pf.VFAddr(2)); got.Profile["pci_slot"] != pf.VFAddr(2) || got.Profile["vf_num"] != float64(2) && got.Profile["vf_num"] != 2 {
		t.Fatalf("bind with pci_slot %s: %s", pf.VFAddr(2), JSON(got))
	}
	if got := bind(t, s, p2.ID, "compute-0", pf.VFAddr(2)); got.VIFType != neutron.VIFTypeBindingFailed {
		t.Fatalf("a second port asking for the same pci_slot: %s, want binding_failed", JSON(got))
	}
	cs, _ := s.Claims(context.Background(), "compute-0")
	if len(cs) != 1 || cs[0].PortID != p1.ID {
		t.Fatalf("claims: %s; want only p1's", JSON(cs))
	}
}

func testDirectPhysical(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetwork(t, s, "datanet-a", model.NetworkTypeVLAN)
	pfs := []PF{{Bus: "5e", Node: 1, VFs: 0, DataNetworks: []string{"datanet-a"}}}
	SRIOVHost(t, s, "compute-0", pfs...)
	net := Network(t, s, "net10", "datanet-a", 10)
	p := NeutronPort(t, s, net.ID, "direct-physical", "")
	in, err := s.CreateInstance(ctx, store.InstanceRequest{Name: "vm0", Project: "admin", Ports: []string{p.ID}})
	if err != nil {
		t.Fatal(err)
	}
	got := port(t, s, p.ID)
	if got.VIFType != neutron.VIFTypeHostdevPhy || got.MACAddress != "3c:fd:fe:00:00:00" || got.Profile["device_mac_address"] != "3c:fd:fe:00:00:00" ||
		in.NICs[0].PCIAddr != pfs[0].PFAddr() || got.DeviceID != in.ID {
		t.Fatalf("direct-physical port of vm0: %s; instance %s", JSON(got), JSON(in))
	}
	d, _ := s.Desired(ctx, "compute-0")
	if len(d.PFs) != 1 || !d.PFs[0].Passthrough || d.PFs[0].PortID != p.ID {
		t.Fatalf("desired PFs: %s; want the PF passed through to %s", JSON(d.PFs), p.ID)
	}
	report(t, s, "compute-0", pfs, nil)
	if st := port(t, s, p.ID).Status; st != neutron.PortStatusActive {
		t.Fatalf("passed-through port: %s, want ACTIVE", st)
	}
	if err := s.DeleteInstance(ctx, "vm0"); err != nil {
		t.Fatal(err)
	}
	got = port(t, s, p.ID)
	if got.MACAddress == "3c:fd:fe:00:00:00" || !strings.HasPrefix(got.MACAddress, neutron.MACPrefix) || got.DeviceID != "" || got.HostID != "" {
		t.Fatalf("port after the instance is deleted: %s; want a fresh fa:16:3e MAC, no device, no host", JSON(got))
	}
}

func testInstancesAndLock(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetwork(t, s, "datanet-a", model.NetworkTypeVLAN)
	pfs := []PF{{Bus: "3b", Node: 0, VFs: 2, DataNetworks: []string{"datanet-a"}}}
	SRIOVHost(t, s, "compute-0", pfs...)
	SRIOVHost(t, s, "compute-1", pfs...)
	net := Network(t, s, "net10", "datanet-a", 10)
	p1 := NeutronPort(t, s, net.ID, "direct", "")
	p2 := NeutronPort(t, s, net.ID, "direct", "")
	in, err := s.CreateInstance(ctx, store.InstanceRequest{Name: "vm0", Project: "admin", Ports: []string{p1.ID, p2.ID}, Host: "compute-0"})
	if err != nil {
		t.Fatal(err)
	}
	if in.Host != "compute-0" || len(in.NICs) != 2 || in.NICs[0].PCIAddr == in.NICs[1].PCIAddr || in.NICs[0].VLAN != 10 {
		t.Fatalf("instance: %s", JSON(in))
	}
	_, err = s.LockHost(ctx, "compute-0")
	if !errors.Is(err, model.ErrConflict) || !strings.Contains(err.Error(), "vm0") {
		t.Fatalf("lock with vm0 on the host: %v; want a conflict naming vm0", err)
	}
	// Cold migration: both ports move to compute-1; the old VFs are released.
	moved, err := s.MigrateInstance(ctx, "vm0", false, "")
	if err != nil {
		t.Fatal(err)
	}
	if moved.Host != "compute-1" || moved.NICs[0].PCIAddr == "" {
		t.Fatalf("migrated instance: %s; want on compute-1", JSON(moved))
	}
	cs, _ := s.Claims(ctx, "compute-0")
	if len(cs) != 2 || cs[0].State != store.ClaimReleasing || cs[1].State != store.ClaimReleasing {
		t.Fatalf("claims left on compute-0: %s; want two releasing", JSON(cs))
	}
	// Back to compute-0 before its agent reset the VFs vm0 left: only
	// compute-0's devices count, not vm0's own on compute-1.
	before := Take(t, s)
	_, err = s.MigrateInstance(ctx, "vm0", false, "")
	if want := "all 2 VFs on the hosts it may move to are claimed (2 released, free once their agents report them reset)"; !errors.Is(err, model.ErrConflict) || !strings.Contains(err.Error(), want) {
		t.Fatalf("migration back before the reset: %v; want a conflict saying %q", err, want)
	}
	Unchanged(t, s, before, "migration back before the reset")
	_, err = s.MigrateInstance(ctx, "vm0", true, "")
	if !errors.Is(err, model.ErrConflict) || !strings.Contains(err.Error(), "do not support live migration") {
		t.Fatalf("live migration: %v; want a conflict citing the limitation", err)
	}
	if _, err := s.LockHost(ctx, "compute-0"); err != nil {
		t.Fatalf("lock compute-0 once vm0 left: %v", err)
	}
	if err := s.DeleteInstance(ctx, "vm0"); err != nil {
		t.Fatal(err)
	}
	if got := port(t, s, p1.ID); got.Bound() || got.DeviceID != "" {
		t.Fatalf("port after the delete: %s", JSON(got))
	}
}

func testClaimRefusals(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetwork(t, s, "datanet-a", model.NetworkTypeVLAN)
	dataNetwork(t, s, "datanet-b", model.NetworkTypeFlat)
	SRIOVHost(t, s, "compute-0", pfA)
	net := Network(t, s, "net10", "datanet-a", 10)
	netB := Network(t, s, "flat", "datanet-b", 0)
	normal := NeutronPort(t, s, net.ID, "normal", "")
	onB := NeutronPort(t, s, netB.ID, "direct", "")
	tests := []struct {
		name  string
		req   store.InstanceRequest
		class model.Code
		cause error
		says  string
	}{
		{"normal vnic", store.InstanceRequest{Name: "a", Ports: []string{normal.ID}}, model.ErrConflict, sched.ReasonVNICType, "--vnic-type direct"},
		{"no device on the physnet", store.InstanceRequest{Name: "b", Ports: []string{onB.ID}}, model.ErrConflict, sched.ReasonNoDevice, "no host has a free VF on datanet-b"},
		{"unknown port", store.InstanceRequest{Name: "c", Ports: []string{"nosuch"}}, model.ErrNotFound, nil, "nosuch"},
		{"unknown host", store.InstanceRequest{Name: "d", Ports: []string{onB.ID}, Host: "nosuch"}, model.ErrConflict, sched.ReasonNoDevice, "nosuch"},
		{"bad name", store.InstanceRequest{Name: "", Ports: []string{onB.ID}}, model.ErrInvalid, nil, "name"},
	}
	for _, tc := range tests {
		before := Take(t, s)
		_, err := s.CreateInstance(ctx, tc.req)
		if !errors.Is(err, tc.class) || (tc.cause != nil && !errors.Is(err, tc.cause)) || err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: got %v; want class %s, cause %v, saying %q", tc.name, err, tc.class, tc.cause, tc.says)
		}
		Unchanged(t, s, before, tc.name)
		if ins, _ := s.Instances(ctx); len(ins) != 0 {
			t.Errorf("%s: instances %s left behind", tc.name, JSON(ins))
		}
	}
}
