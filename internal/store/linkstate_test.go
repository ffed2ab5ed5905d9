package store_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/agent"
	"vfnet/internal/model"
	"vfnet/internal/neutron"
	"vfnet/internal/store"
	"vfnet/internal/store/storetest"
)

// igbReport is an applied report of host's current revision in which PF
// pf's driver (igb) lacks VF link state: learnt in this pass (learnt true:
// Report.Unsupported) or earlier (only PFState.Unsupported, as every later
// report of the same agent has it).
func igbReport(t *testing.T, st *store.Store, host, pf string, learnt bool) {
	t.Helper()
	ctx := context.Background()
	d, err := st.Desired(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	r := store.Applied{Revision: d.Revision, Converged: true,
		PFs: []agent.PFState{{PCIAddr: pf, Driver: "igb", Unsupported: []string{agent.AttrLinkState}}}}
	if learnt {
		r.Unsupported = []agent.Unsupported{{PF: pf, Driver: "igb", Attr: agent.AttrLinkState, Errno: "EOPNOTSUPP"}}
	}
	if _, err := st.ReportApplied(ctx, host, r); err != nil {
		t.Fatal(err)
	}
}

// TestUnsupportedKeptAcrossReports: what a driver lacks is handed back in
// the desired state after every report, not only after the one that learnt
// it; otherwise a restarted agent sends igb's link state again (one failed
// netlink write per PF on a converged host, seen in the lab).
func TestUnsupportedKeptAcrossReports(t *testing.T) {
	ctx := context.Background()
	st := storetest.OpenSQLite(t, store.Options{})
	pf := storetest.PF{Bus: "3b", VFs: 4}
	storetest.SRIOVHost(t, st, "compute-0", pf)
	want := []agent.Unsupported{{PF: pf.PFAddr(), Driver: "igb", Attr: agent.AttrLinkState, Errno: "EOPNOTSUPP"}}
	for _, learnt := range []bool{true, false, false} {
		igbReport(t, st, "compute-0", pf.PFAddr(), learnt)
		d, err := st.Desired(ctx, "compute-0")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, d.Unsupported); diff != "" {
			t.Errorf("desired unsupported after a report (learnt in it: %v) (-want +got):\n%s", learnt, diff)
		}
	}
}

// TestDisableOnNICWithoutLinkState: admin_state_up false on a port bound to
// a VF whose PF's driver lacks VF link state is a 409 that says so, and
// changes nothing; on a NIC that has it, or on an unbound port, it is
// accepted.
func TestDisableOnNICWithoutLinkState(t *testing.T) {
	ctx := context.Background()
	st := storetest.OpenSQLite(t, store.Options{})
	if _, err := st.CreateDataNetwork(ctx, model.DataNetwork{Name: "physnet0", NetworkType: model.NetworkTypeVLAN, MTU: 1500,
		SegmentRanges: []model.SegmentRange{{Min: 100, Max: 199}}}); err != nil {
		t.Fatal(err)
	}
	pf := storetest.PF{Bus: "3b", VFs: 4, DataNetworks: []string{"physnet0"}}
	storetest.SRIOVHost(t, st, "compute-0", pf)
	net := storetest.Network(t, st, "net10", "physnet0", 10)
	bound := storetest.NeutronPort(t, st, net.ID, "direct", "")
	free := storetest.NeutronPort(t, st, net.ID, "direct", "")
	if _, err := st.CreateInstance(ctx, store.InstanceRequest{Name: "vm0", Project: "admin", Ports: []string{bound.ID}}); err != nil {
		t.Fatal(err)
	}
	disable := func(id string) error {
		reqs, err := neutron.DecodePorts([]byte(`{"port":{"admin_state_up":false}}`), neutron.Update)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = st.UpdateNeutronPort(ctx, storetest.Admin, id, reqs[0], nil)
		return err
	}

	// Before the agent reports igb's lack, nothing is known: accepted.
	if err := disable(bound.ID); err != nil {
		t.Fatalf("disable before any report of the driver's lack: %v", err)
	}
	enable, err := neutron.DecodePorts([]byte(`{"port":{"admin_state_up":true}}`), neutron.Update)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.UpdateNeutronPort(ctx, storetest.Admin, bound.ID, enable[0], nil); err != nil {
		t.Fatal(err)
	}

	igbReport(t, st, "compute-0", pf.PFAddr(), true)
	igbReport(t, st, "compute-0", pf.PFAddr(), false)
	err = disable(bound.ID)
	var e *neutron.Error
	if !errors.As(err, &e) || !errors.Is(err, neutron.TypeVFLinkStateUnsupported) || e.Status != http.StatusConflict {
		t.Fatalf("disable a port bound to a VF of igb: %v, want 409 %s", err, neutron.TypeVFLinkStateUnsupported)
	}
	if p, err := st.NeutronPort(ctx, storetest.Admin, bound.ID); err != nil || !p.AdminStateUp {
		t.Errorf("after the refused update: admin_state_up %v (%v), want true", p.AdminStateUp, err)
	}
	if err := disable(free.ID); err != nil {
		t.Errorf("disable an unbound port: %v, want accepted", err)
	}
}
