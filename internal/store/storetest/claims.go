package storetest

import (
	"context"
	"fmt"
	"testing"

	"vfnet/internal/inventory"
	"vfnet/internal/kernel"
	"vfnet/internal/model"
	"vfnet/internal/neutron"
	"vfnet/internal/store"
)

// PF declares one SR-IOV port of a test host: Bus names it (PF
// 0000:<bus>:00.0, VF i at 0000:<bus>:<2+i/8>.<i%8>), VFs is how many the
// pci-sriov interface configures (0: a pci-passthrough interface), Node its
// NUMA node (-1: none), DataNetworks what its interface is assigned to.
type PF struct {
	Bus          string
	Node         int
	VFs          int
	DataNetworks []string
}

// PFAddr is the PF's PCI address.
func (p PF) PFAddr() string { return "0000:" + p.Bus + ":00.0" }

// VFAddr is VF i's PCI address.
func (p PF) VFAddr(i int) string { return fmt.Sprintf("0000:%s:%02x.%d", p.Bus, 2+i/8, i%8) }

// SRIOVInventory is the report of a host with the given PFs (Intel X710
// ports) and two NUMA nodes.
func SRIOVInventory(pfs ...PF) inventory.Report {
	r := inventory.Report{NUMANodes: []kernel.NUMANode{{ID: 0, CPUList: "0-7"}, {ID: 1, CPUList: "8-15"}}}
	for k, pf := range pfs {
		vfs := make([]string, pf.VFs)
		for i := range vfs {
			vfs[i] = pf.VFAddr(i)
		}
		p := x710Port("enp"+pf.Bus+"s0f0", pf.PFAddr(), pf.Node, fmt.Sprintf("3c:fd:fe:00:%02x:00", k), vfs)
		r.Ports = append(r.Ports, p)
	}
	return r
}

// SRIOVHost registers host name with the given PFs, makes each a pci-sriov
// (VFs > 0) or pci-passthrough interface assigned to its data networks
// (which must exist), unlocks it and reports the configuration applied: the
// host is unlocked, enabled and schedulable.
func SRIOVHost(t testing.TB, s *store.Store, name string, pfs ...PF) model.Host {
	t.Helper()
	ctx := context.Background()
	if _, err := s.RegisterHost(ctx, name, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReportInventory(ctx, name, SRIOVInventory(pfs...)); err != nil {
		t.Fatal(err)
	}
	for _, pf := range pfs {
		ifname := "enp" + pf.Bus + "s0f0"
		class := model.IfClassPCISRIOV
		patch := model.InterfacePatch{Class: &class}
		if pf.VFs > 0 {
			drv := model.VFDriverNetdevice
			patch.SRIOVNumVFs, patch.SRIOVVFDriver = ptr(pf.VFs), &drv
		} else {
			class = model.IfClassPCIPassthrough
		}
		if _, err := s.ModifyInterface(ctx, name, ifname, patch); err != nil {
			t.Fatalf("host %s interface %s: %v", name, ifname, err)
		}
		for _, dn := range pf.DataNetworks {
			if _, err := s.AssignDataNetwork(ctx, name, ifname, dn); err != nil {
				t.Fatalf("host %s assign %s to %s: %v", name, dn, ifname, err)
			}
		}
	}
	h, err := s.UnlockHost(ctx, name, false)
	if err != nil {
		t.Fatalf("unlock %s: %v", name, err)
	}
	if h, err = s.ReportApplied(ctx, name, store.Applied{Revision: h.DesiredRevision, Converged: true}); err != nil {
		t.Fatal(err)
	}
	if h.Operational != model.OperEnabled {
		t.Fatalf("host %s after unlock and applied report: %s, want enabled", name, JSON(h))
	}
	return h
}

// Admin is the caller tests create Neutron objects as.
var Admin = neutron.Caller{Admin: true, ProjectID: "admin"}

// Network creates a provider network on physnet: vlan with segmentation
// ID vlan, or flat when vlan is 0.
func Network(t testing.TB, s *store.Store, name, physnet string, vlan int) neutron.Network {
	t.Helper()
	body := fmt.Sprintf(`{"network":{"name":%q,"provider:network_type":"vlan","provider:physical_network":%q,"provider:segmentation_id":%d}}`, name, physnet, vlan)
	if vlan == 0 {
		body = fmt.Sprintf(`{"network":{"name":%q,"provider:network_type":"flat","provider:physical_network":%q}}`, name, physnet)
	}
	reqs, err := neutron.DecodeNetworks([]byte(body), neutron.Create)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := s.CreateNetworks(context.Background(), Admin, reqs)
	if err != nil {
		t.Fatalf("create network %s: %v", name, err)
	}
	return ns[0]
}

// NeutronPort creates a port on network net with the given vnic_type and
// extra attributes (JSON members, "" for none).
func NeutronPort(t testing.TB, s *store.Store, net, vnic, extra string) neutron.Port {
	t.Helper()
	if extra != "" {
		extra = "," + extra
	}
	body := fmt.Sprintf(`{"port":{"network_id":%q,"binding:vnic_type":%q%s}}`, net, vnic, extra)
	reqs, err := neutron.DecodePorts([]byte(body), neutron.Create)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.CreateNeutronPorts(context.Background(), Admin, reqs)
	if err != nil {
		t.Fatalf("create port: %v", err)
	}
	return ps[0]
}
