package neutron

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAuthorizeAttributes(t *testing.T) {
	member := Caller{ProjectID: "p1"}
	admin := Caller{ProjectID: "adm", Admin: true}
	service := Caller{ProjectID: "svc", Service: true}
	tests := []struct {
		name     string
		c        Caller
		op       Op
		r        Resource
		present  []string
		netOwner bool
		wantErr  error
		wantMsg  string
	}{
		{"member plain network", member, Create, Networks, []string{"name", "admin_state_up"}, false, nil, ""},
		{"member provider", member, Create, Networks, []string{"name", "provider:network_type", "provider:segmentation_id"}, false, TypePolicyNotAuthorized,
			"(rule:create_network and rule:create_network:provider:network_type and rule:create_network:provider:segmentation_id) is disallowed by policy"},
		{"admin provider", admin, Create, Networks, []string{"provider:network_type", "shared"}, false, nil, ""},
		{"member shared update", member, Update, Networks, []string{"shared"}, false, TypePolicyNotAuthorized,
			"(rule:update_network and rule:update_network:shared) is disallowed by policy"},
		{"member port security on own network", member, Create, Ports, []string{"port_security_enabled", "mac_address"}, true, nil, ""},
		{"member mac on shared network", member, Create, Ports, []string{"mac_address"}, false, TypePolicyNotAuthorized, ""},
		{"member trusted", member, Create, Ports, []string{"trusted"}, true, TypePolicyNotAuthorized, ""},
		{"member host", member, Update, Ports, []string{"binding:host_id"}, true, TypePolicyNotAuthorized, ""},
		{"service binds", service, Update, Ports, []string{"binding:host_id", "binding:profile", "device_id", "device_owner"}, false, nil, ""},
		{"admin profile", admin, Update, Ports, []string{"binding:profile"}, false, TypePolicyNotAuthorized, ""},
		{"member vnic", member, Create, Ports, []string{"binding:vnic_type", "numa_affinity_policy"}, false, nil, ""},
	}
	for _, tt := range tests {
		err := AuthorizeAttributes(tt.c, tt.op, tt.r, tt.present, tt.netOwner)
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		var e *Error
		if errors.As(err, &e) && (e.Status != 403 || tt.wantMsg != "" && e.Message != tt.wantMsg) {
			t.Errorf("%s: got %d %q, want 403 %q", tt.name, e.Status, e.Message, tt.wantMsg)
		}
	}
}

func TestVisibility(t *testing.T) {
	member := Caller{ProjectID: "p1"}
	reader := Caller{ProjectID: "p1", Reader: true}
	admin := Caller{ProjectID: "adm", Admin: true}
	tests := []struct {
		name     string
		c        Caller
		r        Resource
		owner    string
		shared   bool
		external bool
		see      bool
		wantErr  error
		wantMsg  string
	}{
		{"own", member, Ports, "p1", false, false, true, nil, ""},
		{"other", member, Ports, "p2", false, false, false, TypePortNotFound, ""},
		{"other shared", member, Networks, "p2", true, false, true, TypePolicyNotAuthorized, "rule:update_network is disallowed by policy"},
		{"other external", member, Networks, "p2", false, true, true, TypePolicyNotAuthorized, "rule:update_network is disallowed by policy"},
		{"other shared external", member, Networks, "p2", true, true, true, TypePolicyNotAuthorized, ""},
		{"own external", member, Networks, "p1", false, true, true, nil, ""},
		{"reader own", reader, Ports, "p1", false, false, true, TypePolicyNotAuthorized, "rule:update_port is disallowed by policy"},
		{"reader other external", reader, Networks, "p2", false, true, true, TypePolicyNotAuthorized, ""},
		{"admin other", admin, Ports, "p2", false, false, true, nil, ""},
		{"admin other external", admin, Networks, "p2", false, true, true, nil, ""},
	}
	for _, tt := range tests {
		if got := CanSee(tt.c, tt.owner, tt.shared, tt.external); got != tt.see {
			t.Errorf("%s: CanSee = %v, want %v", tt.name, got, tt.see)
		}
		err := CanChange(tt.c, "update", tt.r, tt.owner, tt.shared, tt.external, ResourceNotFound(tt.r, "x"))
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("%s: CanChange = %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		var e *Error
		if errors.As(err, &e) && tt.wantErr == TypePolicyNotAuthorized && (e.Status != 403 || tt.wantMsg != "" && e.Message != tt.wantMsg) {
			t.Errorf("%s: CanChange = %d %q, want 403 %q", tt.name, e.Status, e.Message, tt.wantMsg)
		}
	}
}

func TestOwnerProject(t *testing.T) {
	tests := []struct {
		c       Caller
		given   Field[string]
		want    string
		wantErr error
	}{
		{Caller{ProjectID: "p1"}, Field[string]{}, "p1", nil},
		{Caller{ProjectID: "p1"}, Val("p1"), "p1", nil},
		{Caller{ProjectID: "p1"}, Val("p2"), "", TypeHTTPBadRequest},
		{Caller{ProjectID: "adm", Admin: true}, Val("p2"), "p2", nil},
	}
	for _, tt := range tests {
		got, err := OwnerProject(tt.c, tt.given)
		if got != tt.want || !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("OwnerProject(%+v, %+v) = %q, %v; want %q, %v", tt.c, tt.given, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestRenderHides(t *testing.T) {
	p := Port{ID: "p", HostID: "h1", VIFType: VIFTypeHWVEB, Trusted: ptr(true), VNICType: VNICDirect}
	n := Network{ID: "n", NetworkType: "vlan", PhysicalNetwork: "datanet-a", SegmentationID: ptr(10)}
	keys := func(c Caller, r Resource, o any) []string {
		m, err := Render(c, r, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ks []string
		for _, a := range []string{"binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details", "trusted",
			"binding:vnic_type", "provider:network_type", "provider:physical_network", "provider:segmentation_id"} {
			if _, ok := m[a]; ok {
				ks = append(ks, a)
			}
		}
		return ks
	}
	tests := []struct {
		name string
		c    Caller
		r    Resource
		o    any
		want []string
	}{
		{"member port", Caller{ProjectID: "p"}, Ports, p, []string{"binding:vnic_type"}},
		{"service port", Caller{Service: true}, Ports, p, []string{"binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details", "binding:vnic_type"}},
		{"admin port", Caller{Admin: true}, Ports, p, []string{"binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details", "trusted", "binding:vnic_type"}},
		{"member network", Caller{ProjectID: "p"}, Networks, n, nil},
		{"admin network", Caller{Admin: true}, Networks, n, []string{"provider:network_type", "provider:physical_network", "provider:segmentation_id"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, keys(tt.c, tt.r, tt.o)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
