package neutronapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/attributestags"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/external"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/mtu"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/portsbinding"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/portsecurity"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/portstrustedvif"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/provider"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
	"github.com/gophercloud/gophercloud/v2/pagination"

	"vfnet/internal/neutron"
	"vfnet/internal/store/storetest"
)

// providerNetwork is a network create with single-segment provider
// attributes: gophercloud's provider package only builds multi-segment
// bodies, so a program sets the three attributes on the map, as here.
type providerNetwork struct {
	networks.CreateOpts
	Type, PhysNet string
	VLAN          int
}

func (o providerNetwork) ToNetworkCreateMap() (map[string]any, error) {
	m, err := o.CreateOpts.ToNetworkCreateMap()
	if err != nil {
		return nil, err
	}
	n := m["network"].(map[string]any)
	n["provider:network_type"], n["provider:physical_network"] = o.Type, o.PhysNet
	if o.VLAN != 0 {
		n["provider:segmentation_id"] = o.VLAN
	}
	return m, nil
}

type fullNetwork struct {
	networks.Network
	provider.NetworkProviderExt
	external.NetworkExternalExt
	mtu.NetworkMTUExt
	portsecurity.PortSecurityExt
}

type fullPort struct {
	ports.Port
	portsbinding.PortsBindingExt
	portsecurity.PortSecurityExt
	portstrustedvif.PortTrustedVIFExt
}

// wantStatus fails unless err is gophercloud's error for an HTTP status.
func wantStatus(t *testing.T, what string, err error, status int) {
	t.Helper()
	if !gophercloud.ResponseCodeIs(err, status) {
		t.Fatalf("%s: got %v, want HTTP %d", what, err, status)
	}
}

func TestGophercloud(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.SQLiteURL(t))
	admin, memberA, memberB := e.client("admin"), e.client("member-a"), e.client("member-b")

	// Networks with provider attributes.
	var net fullNetwork
	err := networks.Create(ctx, admin, providerNetwork{CreateOpts: networks.CreateOpts{Name: "net-a", Shared: ptr(true)},
		Type: "vlan", PhysNet: "datanet-a", VLAN: 10}).ExtractInto(&net)
	if err != nil {
		t.Fatalf("create provider network: %v", err)
	}
	if net.NetworkType != "vlan" || net.PhysicalNetwork != "datanet-a" || net.SegmentationID != "10" || net.MTU != 9000 ||
		!net.PortSecurityEnabled || net.External || !net.Shared || net.RevisionNumber != 1 || net.CreatedAt.IsZero() {
		t.Fatalf("provider network: got %+v", net)
	}
	_, err = networks.Create(ctx, admin, providerNetwork{Type: "vlan", PhysNet: "datanet-a", VLAN: 10}).Extract()
	wantStatus(t, "VLAN 10 twice", err, http.StatusConflict)
	_, err = networks.Create(ctx, memberA, providerNetwork{Type: "vlan", PhysNet: "datanet-a", VLAN: 11}).Extract()
	wantStatus(t, "member sets provider attributes", err, http.StatusForbidden)

	var own fullNetwork
	if err := networks.Create(ctx, memberA, networks.CreateOpts{Name: "own"}).ExtractInto(&own); err != nil {
		t.Fatalf("member creates a project network: %v", err)
	}
	if own.NetworkType != "" || own.ProjectID != "project-a" {
		t.Fatalf("member's view of its network: got provider type %q project %q, want hidden and project-a", own.NetworkType, own.ProjectID)
	}
	var seen fullNetwork
	if err := networks.Get(ctx, admin, own.ID).ExtractInto(&seen); err != nil {
		t.Fatal(err)
	}
	if seen.SegmentationID != "100" {
		t.Fatalf("project network VLAN as admin sees it: got %q, want 100 (first of the range)", seen.SegmentationID)
	}
	_, err = networks.Get(ctx, memberB, own.ID).Extract()
	wantStatus(t, "another project's network", err, http.StatusNotFound)
	pages, err := networks.List(memberB, networks.ListOpts{}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bnets, _ := networks.ExtractNetworks(pages)
	if len(bnets) != 1 || bnets[0].ID != net.ID {
		t.Fatalf("member-b's networks: got %v, want only the shared net-a", bnets)
	}
	upd, err := networks.Update(ctx, memberA, own.ID, networks.UpdateOpts{Name: ptr("own2"), RevisionNumber: ptr(1)}).Extract()
	if err != nil || upd.Name != "own2" || upd.RevisionNumber != 2 {
		t.Fatalf("update at revision 1: got %+v, %v", upd, err)
	}
	_, err = networks.Update(ctx, memberA, own.ID, networks.UpdateOpts{Name: ptr("x"), RevisionNumber: ptr(1)}).Extract()
	wantStatus(t, "update at a stale revision", err, http.StatusPreconditionFailed)

	// Subnets and ports.
	sub, err := subnets.Create(ctx, admin, subnets.CreateOpts{NetworkID: net.ID, Name: "sub-a", CIDR: "192.0.2.0/24", IPVersion: gophercloud.IPv4,
		AllocationPools: []subnets.AllocationPool{{Start: "192.0.2.10", End: "192.0.2.20"}}}).Extract()
	if err != nil {
		t.Fatalf("create subnet: %v", err)
	}
	if sub.GatewayIP != "192.0.2.1" || len(sub.AllocationPools) != 1 || !sub.EnableDHCP {
		t.Fatalf("subnet: got %+v", sub)
	}
	var port fullPort
	err = ports.Create(ctx, memberA, portsbinding.CreateOptsExt{CreateOptsBuilder: ports.CreateOpts{NetworkID: net.ID, Name: "sriov-port",
		FixedIPs: []ports.IP{{SubnetID: sub.ID, IPAddress: "192.0.2.15"}}}, VNICType: "direct"}).ExtractInto(&port)
	if err != nil {
		t.Fatalf("member creates a direct port on the shared network: %v", err)
	}
	if port.ProjectID != "project-a" || port.Status != "DOWN" || port.FixedIPs[0].IPAddress != "192.0.2.15" || !port.PortSecurityEnabled ||
		port.VNICType != "direct" || port.VIFType != "" || port.HostID != "" || port.MACAddress[:8] != "fa:16:3e" {
		t.Fatalf("member's direct port: got %+v", port)
	}
	_, err = ports.Create(ctx, memberA, portsecurity.PortCreateOptsExt{CreateOptsBuilder: ports.CreateOpts{NetworkID: net.ID},
		PortSecurityEnabled: ptr(false)}).Extract()
	wantStatus(t, "member disables port security on another project's network", err, http.StatusForbidden)
	var unsecured fullPort
	err = ports.Create(ctx, memberA, portsecurity.PortCreateOptsExt{CreateOptsBuilder: ports.CreateOpts{NetworkID: own.ID},
		PortSecurityEnabled: ptr(false)}).ExtractInto(&unsecured)
	if err != nil || unsecured.PortSecurityEnabled {
		t.Fatalf("member disables port security on its own network: got %v, %v", unsecured.PortSecurityEnabled, err)
	}
	_, err = ports.Create(ctx, memberA, portstrustedvif.PortCreateOptsExt{CreateOptsBuilder: ports.CreateOpts{NetworkID: net.ID},
		PortTrustedVIF: ptr(true)}).Extract()
	wantStatus(t, "member sets trusted", err, http.StatusForbidden)
	_, err = ports.Create(ctx, memberA, ports.CreateOpts{NetworkID: net.ID, SecurityGroups: &[]string{"default"}, AllowedAddressPairs: nil,
		FixedIPs: []ports.IP{{SubnetID: sub.ID}}}).Extract()
	if err != nil {
		t.Fatalf("normal port with a security group: %v", err)
	}
	_, err = ports.Create(ctx, memberA, portsbinding.CreateOptsExt{CreateOptsBuilder: ports.CreateOpts{NetworkID: net.ID,
		SecurityGroups: &[]string{"default"}}, VNICType: "direct"}).Extract()
	wantStatus(t, "security group on a direct port", err, http.StatusBadRequest)

	var asAdmin fullPort
	if err := ports.Get(ctx, admin, port.ID).ExtractInto(&asAdmin); err != nil {
		t.Fatal(err)
	}
	if asAdmin.VIFType != "unbound" || asAdmin.VNICType != "direct" || asAdmin.Profile == nil || asAdmin.VIFDetails == nil {
		t.Fatalf("binding as admin sees it: got %+v", asAdmin.PortsBindingExt)
	}
	var bound fullPort
	err = ports.Update(ctx, admin, port.ID, portsbinding.UpdateOptsExt{UpdateOptsBuilder: ports.UpdateOpts{}, HostID: ptr("compute-0")}).ExtractInto(&bound)
	if err != nil || bound.HostID != "compute-0" || bound.VIFType != "unbound" {
		t.Fatalf("admin sets binding:host_id: got %+v, %v; want host compute-0, unbound until a device is claimed", bound.PortsBindingExt, err)
	}
	trusted, err := ports.Update(ctx, admin, port.ID, portstrustedvif.PortUpdateOptsExt{UpdateOptsBuilder: ports.UpdateOpts{}, PortTrustedVIF: ptr(true)}).Extract()
	if err != nil {
		t.Fatal(err)
	}
	var tv fullPort
	if err := ports.Get(ctx, admin, trusted.ID).ExtractInto(&tv); err != nil || tv.PortTrustedVIF == nil || !*tv.PortTrustedVIF {
		t.Fatalf("trusted as admin sees it: got %v, %v", tv.PortTrustedVIF, err)
	}
	var normal fullPort
	err = ports.Create(ctx, admin, portsbinding.CreateOptsExt{CreateOptsBuilder: ports.CreateOpts{NetworkID: net.ID}, VNICType: "normal",
		HostID: "compute-0"}).ExtractInto(&normal)
	if err != nil || normal.VIFType != "binding_failed" {
		t.Fatalf("normal port bound to a host: got vif_type %q, %v; want binding_failed", normal.VIFType, err)
	}

	// Tags.
	if _, err := attributestags.ReplaceAll(ctx, memberA, "ports", port.ID, attributestags.ReplaceAllOpts{Tags: []string{"b", "a"}}).Extract(); err != nil {
		t.Fatal(err)
	}
	if err := attributestags.Add(ctx, memberA, "ports", port.ID, "c").ExtractErr(); err != nil {
		t.Fatal(err)
	}
	if ok, err := attributestags.Confirm(ctx, memberA, "ports", port.ID, "c").Extract(); err != nil || !ok {
		t.Fatalf("confirm tag c: %v %v", ok, err)
	}
	if ok, _ := attributestags.Confirm(ctx, memberA, "ports", port.ID, "zz").Extract(); ok {
		t.Fatal("confirm absent tag zz: true")
	}
	if err := attributestags.Delete(ctx, memberA, "ports", port.ID, "a").ExtractErr(); err != nil {
		t.Fatal(err)
	}
	tags, err := attributestags.List(ctx, memberA, "ports", port.ID).Extract()
	if err != nil || !slices.Equal(tags, []string{"b", "c"}) {
		t.Fatalf("tags: got %v, %v, want [b c]", tags, err)
	}
	pages, err = ports.List(memberA, ports.ListOpts{Tags: "b,c"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ps, _ := ports.ExtractPorts(pages); len(ps) != 1 || ps[0].ID != port.ID {
		t.Fatalf("ports tagged b and c: got %v", ps)
	}
	pages, err = ports.List(memberA, ports.ListOpts{FixedIPs: []ports.FixedIPOpts{{IPAddressSubstr: "2.15"}}}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ps, _ := ports.ExtractPorts(pages); len(ps) != 1 || ps[0].ID != port.ID {
		t.Fatalf("ports with an address containing 2.15: got %v, want sriov-port (192.0.2.15) only", ps)
	}
	if err := attributestags.DeleteAll(ctx, memberA, "networks", own.ID).ExtractErr(); err != nil {
		t.Fatal(err)
	}

	// Deletes.
	wantStatus(t, "delete a subnet in use", subnets.Delete(ctx, admin, sub.ID).ExtractErr(), http.StatusConflict)
	wantStatus(t, "delete a network with ports", networks.Delete(ctx, admin, net.ID).ExtractErr(), http.StatusConflict)
	wantStatus(t, "another project deletes the port", ports.Delete(ctx, memberB, port.ID).ExtractErr(), http.StatusNotFound)
	if err := ports.Delete(ctx, memberA, port.ID).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "show deleted port", ports.Get(ctx, memberA, port.ID).Err, http.StatusNotFound)
}

// TestExternalNetworkWrites: another project's external network is visible
// to a member (get_network's rule:external), so changing it is Neutron's 403
// PolicyNotAuthorized, not the 404 that hides a private network; its
// subnets stay hidden.
func TestExternalNetworkWrites(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.SQLiteURL(t))
	admin, memberB := e.client("admin"), e.client("member-b")
	var ext fullNetwork
	if err := networks.Create(ctx, admin, external.CreateOptsExt{CreateOptsBuilder: networks.CreateOpts{Name: "public"},
		External: ptr(true)}).ExtractInto(&ext); err != nil {
		t.Fatalf("create external network: %v", err)
	}
	sub, err := subnets.Create(ctx, admin, subnets.CreateOpts{NetworkID: ext.ID, CIDR: "203.0.113.0/24", IPVersion: gophercloud.IPv4}).Extract()
	if err != nil {
		t.Fatalf("create subnet: %v", err)
	}
	var seen fullNetwork
	if err := networks.Get(ctx, memberB, ext.ID).ExtractInto(&seen); err != nil || !seen.External {
		t.Fatalf("member shows another project's external network: got %+v, %v", seen, err)
	}
	_, err = networks.Update(ctx, memberB, ext.ID, networks.UpdateOpts{Name: ptr("mine")}).Extract()
	wantStatus(t, "member renames another project's external network", err, http.StatusForbidden)
	wantStatus(t, "member deletes another project's external network", networks.Delete(ctx, memberB, ext.ID).ExtractErr(), http.StatusForbidden)
	wantStatus(t, "member deletes a subnet of another project's external network", subnets.Delete(ctx, memberB, sub.ID).ExtractErr(), http.StatusNotFound)

	// The body, as Neutron writes it.
	for _, tc := range []struct{ method, body, msg string }{
		{"PUT", `{"network":{"name":"mine"}}`, "rule:update_network is disallowed by policy"},
		{"DELETE", "", "rule:delete_network is disallowed by policy"},
	} {
		var body any
		if tc.body != "" {
			body = tc.body
		}
		code, got := e.do(t, "member-b", tc.method, "/v2.0/networks/"+ext.ID, body)
		if typ, msg := neutronError(t, got); code != http.StatusForbidden || typ != string(neutron.TypePolicyNotAuthorized) || msg != tc.msg {
			t.Errorf("%s another project's external network: got %d %s %q, want 403 PolicyNotAuthorized %q", tc.method, code, typ, msg, tc.msg)
		}
	}
	if err := networks.Get(ctx, admin, ext.ID).ExtractInto(&seen); err != nil || seen.Name != "public" {
		t.Fatalf("external network after refused writes: got %+v, %v, want it unchanged", seen, err)
	}
}

func TestGophercloudPagination(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.SQLiteURL(t))
	c := e.client("member-a")
	net, err := networks.Create(ctx, c, networks.CreateOpts{Name: "n"}).Extract()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 7 {
		p, err := ports.Create(ctx, c, ports.CreateOpts{NetworkID: net.ID, Name: fmt.Sprintf("p%d", i)}).Extract()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, p.Name)
	}
	var got []string
	pageCount := 0
	err = ports.List(c, ports.ListOpts{Limit: 3, SortKey: "name", SortDir: "desc"}).EachPage(ctx, func(_ context.Context, page pagination.Page) (bool, error) {
		ps, err := ports.ExtractPorts(page)
		if err != nil {
			return false, err
		}
		pageCount++
		for _, p := range ps {
			got = append(got, p.Name)
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(want)
	if !slices.Equal(got, want) || pageCount < 3 {
		t.Fatalf("paged ports by name desc: got %v in %d pages, want %v in at least 3", got, pageCount, want)
	}
}

func ptr[T any](v T) *T { return &v }
