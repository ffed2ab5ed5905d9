package store_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/agent"
	"vfnet/internal/model"
	"vfnet/internal/store"
	"vfnet/internal/store/storetest"
)

// TestDesiredAndOperational follows one host through the protocol on the
// store: each configuration change bumps the revision and disables the
// host until its agent reports it applied; the desired state has the PFs,
// pools and drivers the interfaces ask for; a report with kernel errors, or
// silence beyond AgentTimeout by the store's clock, disables it; events
// record drift, errors and revisions.
func TestDesiredAndOperational(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock()
	st := storetest.OpenSQLite(t, store.Options{Now: clock.Now})
	if _, err := st.RegisterHost(ctx, "compute-0", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReportInventory(ctx, "compute-0", storetest.Inventory(0)); err != nil {
		t.Fatal(err)
	}
	oper := func(want model.OperState, rev int64, when string) {
		t.Helper()
		h, err := st.Host(ctx, "compute-0")
		if err != nil {
			t.Fatal(err)
		}
		if h.Operational != want || h.DesiredRevision != rev {
			t.Errorf("%s: operational %s revision %d, want %s %d", when, h.Operational, h.DesiredRevision, want, rev)
		}
	}
	oper(model.OperEnabled, 0, "registered, nothing desired")

	sriov, vfio, netdev, n8, n2 := model.IfClassPCISRIOV, model.VFDriverVFIO, model.VFDriverNetdevice, 8, 2
	if _, err := st.ModifyInterface(ctx, "compute-0", "enp59s0f0", model.InterfacePatch{Class: &sriov, SRIOVNumVFs: &n8, SRIOVVFDriver: &netdev}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddInterface(ctx, "compute-0", model.Interface{Name: "dpdk0", Type: model.IfTypeVF, Class: sriov,
		Uses: []string{"enp59s0f0"}, SRIOVNumVFs: n2, SRIOVVFDriver: vfio}); err != nil {
		t.Fatal(err)
	}
	oper(model.OperDisabled, 2, "after two changes")

	d, err := st.Desired(ctx, "compute-0")
	if err != nil {
		t.Fatal(err)
	}
	want := agent.Desired{Revision: 2, VFs: []agent.DesiredVF{}, PFs: []agent.DesiredPF{{
		PCIAddr: "0000:3b:00.0", NumVFs: 8, MTU: 1500, Up: true,
		// Sub-interfaces take their VFs from the end of the parent's list.
		Pools: []agent.VFPool{{First: 6, Count: 2, Driver: agent.VFIO}},
	}}}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("desired state (-want +got):\n%s", diff)
	}

	clock.Advance(time.Second)
	if _, err := st.ReportApplied(ctx, "compute-0", agent.Report{Revision: 2, Converged: true}); err != nil {
		t.Fatal(err)
	}
	oper(model.OperEnabled, 2, "revision 2 applied")

	clock.Advance(store.AgentTimeout + time.Second)
	oper(model.OperDisabled, 2, "agent silent beyond the timeout")

	drift := agent.Event{PF: "0000:3b:00.0", VF: 3, Attr: agent.AttrVLAN, Found: "vlan 99 qos 0", Want: "vlan 0 qos 0", Restored: true, Drift: true}
	failed := agent.Report{Revision: 2, Converged: false, Events: []agent.Event{drift},
		Errors: []agent.OpError{{Op: "setvf", PF: "0000:3b:00.0", VF: 4, Errno: "EIO", Err: syscall.EIO}}}
	if _, err := st.ReportApplied(ctx, "compute-0", failed); err != nil {
		t.Fatal(err)
	}
	oper(model.OperDisabled, 2, "a report with kernel errors")
	if _, err := st.ReportApplied(ctx, "compute-0", agent.Report{Revision: 3, Converged: true}); model.CodeOf(err) != model.ErrInvalid {
		t.Errorf("report of an unpublished revision: %v, want invalid", err)
	}

	evs, err := st.Events(ctx, store.EventFilter{Host: "compute-0"})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []store.EventKind
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	wantKinds := []store.EventKind{store.EventInfo, store.EventDrift, store.EventError}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("event kinds (-want +got):\n%s\nevents: %+v", diff, evs)
	}
	if _, err := st.Events(ctx, store.EventFilter{Kind: "bogus"}); model.CodeOf(err) != model.ErrInvalid {
		t.Errorf("events of an unknown kind: %v, want invalid", err)
	}
}

// Unlock changes no configuration: a host whose agent has applied its
// interfaces stays enabled (schedulable) through the unlock, instead of
// being disabled until the agent acknowledges a revision that changes
// nothing on it.
func TestUnlockKeepsConvergedHostEnabled(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock()
	st := storetest.OpenSQLite(t, store.Options{Now: clock.Now})
	if _, err := st.RegisterHost(ctx, "compute-0", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReportInventory(ctx, "compute-0", storetest.Inventory(0)); err != nil {
		t.Fatal(err)
	}
	sriov, netdev, n8 := model.IfClassPCISRIOV, model.VFDriverNetdevice, 8
	if _, err := st.ModifyInterface(ctx, "compute-0", "enp59s0f0", model.InterfacePatch{Class: &sriov, SRIOVNumVFs: &n8, SRIOVVFDriver: &netdev}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReportApplied(ctx, "compute-0", agent.Report{Revision: 1, Converged: true}); err != nil {
		t.Fatal(err)
	}
	// force: this test is about the operational state, not the VF count check.
	h, err := st.UnlockHost(ctx, "compute-0", true)
	if err != nil {
		t.Fatal(err)
	}
	if h.Administrative != model.AdminUnlocked || h.Operational != model.OperEnabled {
		t.Errorf("after unlock: %s %s, want unlocked enabled", h.Administrative, h.Operational)
	}
	if h, err = st.Host(ctx, "compute-0"); err != nil || h.Operational != model.OperEnabled {
		t.Errorf("host read after unlock: %v %v, want enabled", h.Operational, err)
	}
}

// A VF reset is one event per PF naming the VFs and every attribute put
// back, not one per attribute; drift stays one event per attribute.
func TestResetEventPerPF(t *testing.T) {
	ctx := context.Background()
	st := storetest.OpenSQLite(t, store.Options{})
	if _, err := st.RegisterHost(ctx, "compute-0", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReportInventory(ctx, "compute-0", storetest.Inventory(8)); err != nil {
		t.Fatal(err)
	}
	const pf0, pf1 = "0000:3b:00.0", "0000:3b:00.1"
	reset := func(pf string, vf int, attr string) agent.Event {
		return agent.Event{PF: pf, VF: vf, Attr: attr, Found: "x", Want: "y", Restored: true}
	}
	r := agent.Report{Revision: 0, Converged: true, Events: []agent.Event{
		reset(pf0, 3, agent.AttrMAC), reset(pf0, 3, agent.AttrVLAN),
		reset(pf1, 0, agent.AttrMAC), reset(pf1, 1, agent.AttrMAC), reset(pf1, 2, agent.AttrTrust), reset(pf1, 5, agent.AttrMAC),
		// A bound VF's programming is neither a reset nor drift.
		{PF: pf0, VF: 4, Port: "port-a", Attr: agent.AttrMAC, Found: "x", Want: "y", Restored: true},
		{PF: pf0, VF: 1, Attr: agent.AttrVLAN, Found: "vlan 99 qos 0", Want: "vlan 0 qos 0", Restored: true, Drift: true},
		{PF: pf0, VF: 1, Attr: agent.AttrMAC, Found: "02:00:00:00:00:01", Want: "00:00:00:00:00:00", Restored: true, Drift: true},
	}}
	if _, err := st.ReportApplied(ctx, "compute-0", r); err != nil {
		t.Fatal(err)
	}
	type ev struct{ Object, Message string }
	got := func(kind store.EventKind) []ev {
		t.Helper()
		evs, err := st.Events(ctx, store.EventFilter{Host: "compute-0", Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		var out []ev
		for _, e := range evs {
			out = append(out, ev{e.Object, e.Message})
		}
		return out
	}
	wantResets := []ev{
		{"PF " + pf0 + " VF 3", "VF 3 of PF " + pf0 + " reset: mac, vlan"},
		{"PF " + pf1, "VFs 0-2, 5 of PF " + pf1 + " reset: mac, trust"},
	}
	if diff := cmp.Diff(wantResets, got(store.EventReset)); diff != "" {
		t.Errorf("reset events (-want +got):\n%s", diff)
	}
	wantDrift := []ev{
		{"PF " + pf0 + " VF 1", "PF " + pf0 + " VF 1 vlan: found vlan 99 qos 0, want vlan 0 qos 0, put back"},
		{"PF " + pf0 + " VF 1", "PF " + pf0 + " VF 1 mac: found 02:00:00:00:00:01, want 00:00:00:00:00:00, put back"},
	}
	if diff := cmp.Diff(wantDrift, got(store.EventDrift)); diff != "" {
		t.Errorf("drift events (-want +got):\n%s", diff)
	}
}
