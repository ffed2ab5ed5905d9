package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"vfnet/internal/agent"
	"vfnet/internal/model"
	"vfnet/internal/neutron"
	"vfnet/internal/sched"
	"vfnet/internal/store"
)

// lacksLinkState makes an applied report say that the driver (igb) of the
// given PFs lacks VF link state, as every report of an agent that learnt it
// does (PFState.Unsupported).
func lacksLinkState(pfs ...PF) func(*agent.Report) {
	return func(r *agent.Report) {
		for _, pf := range pfs {
			r.PFs = append(r.PFs, agent.PFState{PCIAddr: pf.PFAddr(), Driver: "igb", Unsupported: []string{agent.AttrLinkState}})
		}
	}
}

// testAdminDownBind: a port that is admin_state_up false when it is bound
// never gets a VF whose PF driver cannot disable a VF's link (the agent
// could not stop its traffic): the one claim path skips those VFs, and when
// none is left refuses with the reason, whichever way the port is bound
// (instance create, external bind, cold migration). An administratively up
// port still takes them.
func testAdminDownBind(t *testing.T, s *store.Store) {
	ctx := context.Background()
	dataNetwork(t, s, "datanet-a", model.NetworkTypeVLAN)
	igb := PF{Bus: "3b", Node: 0, VFs: 4, DataNetworks: []string{"datanet-a"}}
	x710 := PF{Bus: "3c", Node: 0, VFs: 1, DataNetworks: []string{"datanet-a"}}
	SRIOVHost(t, s, "compute-0", igb, x710)
	SRIOVHost(t, s, "compute-1", igb)
	report(t, s, "compute-0", []PF{igb, x710}, lacksLinkState(igb))
	report(t, s, "compute-1", []PF{igb}, lacksLinkState(igb))
	net := Network(t, s, "net10", "datanet-a", 10)
	up := NeutronPort(t, s, net.ID, "direct", "")
	down := NeutronPort(t, s, net.ID, "direct", `"admin_state_up":false`)
	down2 := NeutronPort(t, s, net.ID, "direct", `"admin_state_up":false`)

	// Spread puts an up port on the PF with the most free VFs: igb's.
	vmUp, err := s.CreateInstance(ctx, store.InstanceRequest{Name: "vm-up", Project: "admin", Ports: []string{up.ID}, Host: "compute-0"})
	if err != nil {
		t.Fatal(err)
	}
	if vmUp.NICs[0].PFAddr != igb.PFAddr() {
		t.Fatalf("admin up port: %s; want a VF of %s (igb: link state does not matter to it)", JSON(vmUp.NICs), igb.PFAddr())
	}
	// The down port goes where its link can be disabled, whatever spread says.
	vmDown, err := s.CreateInstance(ctx, store.InstanceRequest{Name: "vm-down", Project: "admin", Ports: []string{down.ID}})
	if err != nil {
		t.Fatalf("instance with an admin down port while a NIC with link state has a free VF: %v", err)
	}
	if vmDown.Host != "compute-0" || vmDown.NICs[0].PFAddr != x710.PFAddr() {
		t.Fatalf("admin down port: %s on %s; want the VF of %s on compute-0, the only one whose link can be disabled",
			JSON(vmDown.NICs), vmDown.Host, x710.PFAddr())
	}

	linkStateRefusal := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, model.ErrConflict) || !errors.Is(err, sched.ReasonLinkState) ||
			!strings.Contains(err.Error(), "admin_state_up false") || !strings.Contains(err.Error(), "(igb) cannot disable a VF's link") {
			t.Fatalf("%s: %v; want a conflict (%s) saying that igb cannot disable the VF's link", what, err, sched.ReasonLinkState)
		}
	}
	// Only igb VFs are left: instance create is a 409 with the reason.
	before := Take(t, s)
	_, err = s.CreateInstance(ctx, store.InstanceRequest{Name: "vm-down2", Project: "admin", Ports: []string{down2.ID}})
	linkStateRefusal("instance create with only igb VFs free", err)
	_, err = s.CreateInstance(ctx, store.InstanceRequest{Name: "vm-down2", Project: "admin", Ports: []string{down2.ID}, Host: "compute-1"})
	linkStateRefusal("instance create on compute-1 (igb only)", err)
	Unchanged(t, s, before, "refused instance creates")

	// Cold migration of the down port's instance: compute-1 has only igb.
	before = Take(t, s)
	_, err = s.MigrateInstance(ctx, "vm-down", false, "")
	linkStateRefusal("cold migration to an igb-only host", err)
	Unchanged(t, s, before, "refused migration")

	// An external bind (Nova's PUT binding:host_id): binding_failed, and the
	// reason in the host's events.
	got := bind(t, s, down2.ID, "compute-1", "")
	if got.VIFType != neutron.VIFTypeBindingFailed {
		t.Fatalf("external bind of an admin down port to compute-1 (igb only): %s; want binding_failed", JSON(got))
	}
	evs, err := s.Events(ctx, store.EventFilter{Host: "compute-1", Kind: store.EventError})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		found = found || (e.Object == "port "+down2.ID && strings.Contains(e.Message, "(igb) cannot disable a VF's link"))
	}
	if !found {
		t.Fatalf("events of compute-1 after the failed bind: %s; want the reason for port %s", JSON(evs), down2.ID)
	}
	// A pci_slot naming an igb VF: the same answer, for that device.
	got = bind(t, s, down2.ID, "compute-0", igb.VFAddr(3))
	if got.VIFType != neutron.VIFTypeBindingFailed {
		t.Fatalf("external bind of an admin down port to igb VF %s: %s; want binding_failed", igb.VFAddr(3), JSON(got))
	}

	// Once the port is up (and its pci_slot dropped), igb's VFs serve it.
	enable, err := neutron.DecodePorts([]byte(`{"port":{"admin_state_up":true,"binding:profile":{}}}`), neutron.Update)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.UpdateNeutronPort(ctx, neutron.Caller{Admin: true, Service: true, ProjectID: "admin"}, down2.ID, enable[0], nil); err != nil {
		t.Fatal(err)
	}
	if got = bind(t, s, down2.ID, "compute-1", ""); got.VIFType != neutron.VIFTypeHWVEB {
		t.Fatalf("external bind of the port once up: %s; want hw_veb on an igb VF", JSON(got))
	}
}
