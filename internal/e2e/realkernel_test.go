package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"vfnet/internal/agent"
	"vfnet/internal/api"
	"vfnet/internal/client"
	"vfnet/internal/kernel"
	"vfnet/internal/model"
)

// TestIGBAdminDownAndRenamedPF runs on the simulator what the lab found on
// the real igb (docs/real-kernel-workflow.md): an administratively down
// port is never bound to a VF of a NIC without VF link state (igb), and a
// PF whose netdev the kernel renames (a re-probe without udev: eth1 came
// back as eth5) keeps its port, interface and configuration, under the new
// name.
func TestIGBAdminDownAndRenamedPF(t *testing.T) {
	cl := newCloud(t)
	k := cl.addHost("compute-0", "igb:1@numa0", "x710:1@numa0")
	eventually(t, 30*time.Second, "compute-0 registered and converged", func() string { return cl.converged("compute-0") })
	ports, err := cl.c.Ports(context.Background(), "compute-0")
	if err != nil {
		t.Fatal(err)
	}
	var igb, x710 model.Port
	for _, p := range ports {
		switch p.Driver {
		case "igb":
			igb = p
		case "i40e":
			x710 = p
		}
	}
	if igb.Name == "" || x710.Name == "" {
		t.Fatalf("ports %+v: want an igb and an i40e PF with netdevs", ports)
	}
	cl.mustVfnet("host-if-modify", "compute-0", igb.Name, "-n", "sriov0", "-c", "pci-sriov", "-N", "4", "--vf-driver", "netdevice")
	cl.mustVfnet("host-if-modify", "compute-0", x710.Name, "-n", "sriov1", "-c", "pci-sriov", "-N", "1", "--vf-driver", "netdevice")
	cl.mustVfnet("datanetwork-add", "physnet0", "vlan", "--segment-range", "100-199")
	cl.mustVfnet("interface-datanetwork-assign", "compute-0", "sriov0", "physnet0")
	cl.mustVfnet("interface-datanetwork-assign", "compute-0", "sriov1", "physnet0")
	cl.unlock("compute-0")
	eventually(t, 30*time.Second, "compute-0 converged, igb's lack of VF link state reported", func() string {
		if s := cl.converged("compute-0"); s != "" {
			return s
		}
		v, err := cl.c.Applied(context.Background(), "compute-0")
		if err != nil || v.Report == nil {
			return fmt.Sprintf("applied %v %v", v, err)
		}
		for _, p := range v.Report.PFs {
			if p.PCIAddr == igb.PCIAddr && slices.Contains(p.Unsupported, agent.AttrLinkState) {
				return ""
			}
		}
		return fmt.Sprintf("PFs %+v: igb's link_state not reported unsupported", v.Report.PFs)
	})
	cl.mustVfnet("network", "create", "--provider-network-type", "vlan", "--provider-physical-network", "physnet0",
		"--provider-segment", "10", "net10")
	portID := func(args ...string) string {
		var p struct {
			ID string `json:"id"`
		}
		out := cl.mustVfnet(append([]string{"port", "create", "--network", "net10", "-o", "json"}, args...)...)
		if err := json.Unmarshal([]byte(out), &p); err != nil || p.ID == "" {
			t.Fatalf("port create %v: %v\n%s", args, err, out)
		}
		return p.ID
	}
	nicPF := func(vm string) string {
		in, err := cl.c.Instance(context.Background(), vm)
		if err != nil || len(in.NICs) != 1 {
			t.Fatalf("instance %s: %+v %v", vm, in, err)
		}
		return in.NICs[0].PFAddr
	}

	// The admin down port: not igb's VF (more free, spread would pick it)
	// but the x710's, whose link the agent can disable.
	cl.mustVfnet("instance", "create", "--nic", "port-id="+portID("--disable", "port-down"), "vm-down")
	if pf := nicPF("vm-down"); pf != x710.PCIAddr {
		t.Fatalf("vm-down's admin down port on a VF of %s, want one of %s (igb cannot disable a VF's link)", pf, x710.PCIAddr)
	}
	// Only igb VFs are left: a refusal that says why, 409 for instance
	// create, binding_failed with the reason in the events for an external
	// bind.
	down2 := portID("--disable", "port-down2")
	_, err = cl.c.CreateInstance(context.Background(), api.InstanceRequest{Name: "vm-down2", Ports: []string{down2}})
	if client.StatusOf(err) != http.StatusConflict || !strings.Contains(err.Error(), "(igb) cannot disable a VF's link") {
		t.Fatalf("instance create with an admin down port and only igb VFs free: %v (status %d); want a 409 saying igb cannot disable the VF's link",
			err, client.StatusOf(err))
	}
	var bound struct {
		VIFType string `json:"binding:vif_type"`
	}
	if err := json.Unmarshal([]byte(cl.mustVfnet("port", "set", "--host", "compute-0", down2, "-o", "json")), &bound); err != nil || bound.VIFType != "binding_failed" {
		t.Fatalf("external bind of an admin down port with only igb VFs free: vif_type %q (%v), want binding_failed", bound.VIFType, err)
	}
	if ev := cl.mustVfnet("event-list", "--host", "compute-0", "--kind", "error"); !strings.Contains(ev, "binding failed: port "+down2+" is admin_state_up false") {
		t.Fatalf("event-list after the failed bind:\n%s\nwant the reason", ev)
	}
	// An up port takes an igb VF.
	up := portID("port0")
	cl.mustVfnet("instance", "create", "--nic", "port-id="+up, "vm0")
	if pf := nicPF("vm0"); pf != igb.PCIAddr {
		t.Fatalf("vm0's port on a VF of %s, want igb's %s", pf, igb.PCIAddr)
	}
	eventually(t, 30*time.Second, "compute-0 converged with vm0", func() string { return cl.converged("compute-0") })

	// The kernel renames igb's netdev.
	before, err := cl.c.Interfaces(context.Background(), "compute-0")
	if err != nil {
		t.Fatal(err)
	}
	const renamed = "eth5"
	if err := k.RenamePFNetdev(context.Background(), igb.PCIAddr, renamed); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the port's new name reported", func() string {
		p, err := cl.c.Port(context.Background(), "compute-0", renamed)
		if err != nil {
			return err.Error()
		}
		if p.ID != igb.ID || p.PCIAddr != igb.PCIAddr {
			return fmt.Sprintf("port %s is %+v, want igb's port %s", renamed, p, igb.ID)
		}
		return ""
	})
	if _, err := cl.c.Port(context.Background(), "compute-0", igb.Name); err == nil {
		t.Errorf("host-port-show by the old name %s still answers", igb.Name)
	}
	after, err := cl.c.Interfaces(context.Background(), "compute-0")
	if err != nil {
		t.Fatal(err)
	}
	keep := func(is []model.Interface) []model.Interface {
		out := slices.Clone(is)
		for i := range out {
			out[i].SRIOVVFsPCIAddress = nil // reported state, not configuration
		}
		return out
	}
	if !jsonEqual(keep(before), keep(after)) {
		t.Fatalf("interfaces changed with the netdev's name:\nbefore %s\nafter  %s", mustJSON(t, before), mustJSON(t, after))
	}
	if out := cl.mustVfnet("host-if-list", "compute-0"); !strings.Contains(out, renamed) || strings.Contains(out, igb.Name) {
		t.Errorf("host-if-list after the rename: want sriov0's port shown as %s, not %s:\n%s", renamed, igb.Name, out)
	}
	if out := cl.mustVfnet("host-port-show", "compute-0", renamed); !strings.Contains(out, igb.PCIAddr) {
		t.Errorf("host-port-show compute-0 %s:\n%s", renamed, out)
	}

	// The configuration still applies under the new name: drift on vm0's
	// VF, made through eth5, is put back.
	in, err := cl.c.Instance(context.Background(), "vm0")
	if err != nil {
		t.Fatal(err)
	}
	vf := in.NICs[0].VFIndex
	if err := k.SetVF(context.Background(), renamed, vf, kernel.VFChange{VLAN: &kernel.VLAN{ID: 99}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "vm0's VF back on VLAN 10 under "+renamed, func() string {
		vfs, err := k.VFs(context.Background(), renamed)
		if err != nil {
			return err.Error()
		}
		if vfs[vf].VLAN != 10 || vfs[vf].MAC != in.NICs[0].MACAddress {
			return fmt.Sprintf("VF %d: %+v", vf, vfs[vf])
		}
		return ""
	})
	eventually(t, 30*time.Second, "compute-0 converged after the rename", func() string { return cl.converged("compute-0") })
	if ps, _ := cl.c.Ports(context.Background(), "compute-0"); len(ps) != len(ports) {
		t.Errorf("ports after the rename: %d, want %d (no new port)", len(ps), len(ports))
	}
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
