package cli

import (
	"slices"
	"strings"
	"testing"

	"vfnet/internal/api"
)

// table parses printTable's output: the header row first, then each row's
// cells, trimmed.
func table(t *testing.T, out string) [][]string {
	t.Helper()
	var rows [][]string
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, cells)
	}
	if len(rows) == 0 {
		t.Fatalf("no table in:\n%s", out)
	}
	return rows
}

// fields reads a Field | Value table into a map.
func fields(t *testing.T, out string) map[string]string {
	t.Helper()
	rows := table(t, out)
	if !slices.Equal(rows[0], []string{"Field", "Value"}) {
		t.Fatalf("header %q, want Field | Value:\n%s", rows[0], out)
	}
	m := map[string]string{}
	for _, r := range rows[1:] {
		m[r[0]] = r[1]
	}
	return m
}

// wantFields checks some fields of a show table.
func wantFields(t *testing.T, what, out string, want map[string]string) {
	t.Helper()
	got := fields(t, out)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q\n%s", what, k, got[k], v, out)
		}
	}
}

// wantErr runs a verb that must fail with a message containing each of says.
func wantErr(t *testing.T, srv *Server, token string, says []string, args ...string) {
	t.Helper()
	out, err := vfnetErr(t, srv, token, args...)
	if err == nil {
		t.Errorf("vfnet %s: no error, want one saying %q:\n%s", strings.Join(args, " "), says, out)
		return
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("vfnet %s: error %q does not say %q", strings.Join(args, " "), err, s)
		}
	}
}

// TestNetworkSubnetPortVerbs runs every network, subnet and port verb
// against a server on 127.0.0.1 through /v2.0: the seed's project steps,
// tables and JSON, names and IDs, and the refusals a user meets, each with
// Neutron's message.
func TestNetworkSubnetPortVerbs(t *testing.T) {
	srv := testServer(t)
	admin := srv.AdminToken
	vfnet(t, srv, admin, "datanetwork-add", "datanet-a", "vlan", "-m", "9000", "--segment-range", "100-102")

	// The seed's steps.
	out := vfnet(t, srv, admin, "network", "create", "--provider-network-type", "vlan", "--provider-physical-network", "datanet-a",
		"--provider-segment", "10", "--mtu", "1500", "--description", "seed network", "--tag", "seed", "net-a")
	wantFields(t, "network create", out, map[string]string{"name": "net-a", "provider:network_type": "vlan",
		"provider:physical_network": "datanet-a", "provider:segmentation_id": "10", "mtu": "1500", "admin_state_up": "UP",
		"shared": "False", "port_security_enabled": "True", "description": "seed network", "tags": "seed", "status": "ACTIVE"})
	if _, ok := fields(t, out)["tenant_id"]; ok {
		t.Errorf("network create shows tenant_id, a copy of project_id the openstack CLI leaves out:\n%s", out)
	}
	netID := fields(t, out)["id"]

	out = vfnet(t, srv, admin, "subnet", "create", "--network", "net-a", "--subnet-range", "192.0.2.0/24",
		"--allocation-pool", "start=192.0.2.10,end=192.0.2.20", "--dns-nameserver", "192.0.2.53", "--no-dhcp", "sub-a")
	wantFields(t, "subnet create", out, map[string]string{"name": "sub-a", "network_id": netID, "cidr": "192.0.2.0/24",
		"gateway_ip": "192.0.2.1", "allocation_pools": "192.0.2.10-192.0.2.20", "dns_nameservers": "192.0.2.53",
		"enable_dhcp": "False", "ip_version": "4"})
	subID := fields(t, out)["id"]

	var port map[string]any
	decodeJSON(t, vfnet(t, srv, admin, "port", "create", "--network", "net-a", "--fixed-ip", "subnet=sub-a,ip-address=192.0.2.15",
		"--tag", "web", "--numa-policy-preferred", "sriov-port", "-o", "json"), &port)
	if port["binding:vnic_type"] != "direct" || port["numa_affinity_policy"] != "preferred" || port["network_id"] != netID ||
		!strings.HasPrefix(port["mac_address"].(string), "fa:16:3e:") || mustJSON(port["tags"]) != mustJSON([]string{"web"}) {
		t.Errorf("port create -o json: %s", mustJSON(port))
	}
	if ips := mustJSON(port["fixed_ips"]); ips != mustJSON([]map[string]string{{"subnet_id": subID, "ip_address": "192.0.2.15"}}) {
		t.Errorf("port create: fixed_ips %s, want 192.0.2.15 in sub-a", ips)
	}
	portID := port["id"].(string)
	out = vfnet(t, srv, admin, "port", "create", "--network", netID, "p2")
	wantFields(t, "port create p2", out, map[string]string{"binding:vnic_type": "direct", "binding:vif_type": "unbound",
		"fixed_ips": "ip_address='192.0.2.10', subnet_id='" + subID + "'"})

	// show by name and by ID.
	out = vfnet(t, srv, admin, "port", "show", "sriov-port")
	wantFields(t, "port show", out, map[string]string{"id": portID, "fixed_ips": "ip_address='192.0.2.15', subnet_id='" + subID + "'",
		"admin_state_up": "UP", "port_security_enabled": "True", "binding:profile": "", "qos_policy_id": "None"})
	wantFields(t, "port show by ID", vfnet(t, srv, admin, "port", "show", portID), map[string]string{"name": "sriov-port"})
	wantFields(t, "subnet show", vfnet(t, srv, admin, "subnet", "show", subID), map[string]string{"name": "sub-a"})
	wantFields(t, "network show", vfnet(t, srv, admin, "network", "show", "net-a"), map[string]string{"subnets": subID})

	// Lists, with the openstack CLI's columns.
	rows := table(t, vfnet(t, srv, admin, "network", "list"))
	if want := [][]string{{"ID", "Name", "Subnets"}, {netID, "net-a", subID}}; mustJSON(rows) != mustJSON(want) {
		t.Errorf("network list: %q, want %q", rows, want)
	}
	rows = table(t, vfnet(t, srv, admin, "network", "list", "--long", "--provider-segment", "10", "--tags", "seed"))
	if len(rows) != 2 || rows[0][3] != "Project" || rows[1][4] != "UP" || rows[1][7] != "vlan" || rows[1][9] != "10" {
		t.Errorf("network list --long: %q", rows)
	}
	if rows = table(t, vfnet(t, srv, admin, "network", "list", "--name", "nothing")); len(rows) != 1 {
		t.Errorf("network list --name nothing: %q, want the header alone", rows)
	}
	rows = table(t, vfnet(t, srv, admin, "subnet", "list", "--network", "net-a"))
	if want := [][]string{{"ID", "Name", "Network", "Subnet"}, {subID, "sub-a", netID, "192.0.2.0/24"}}; mustJSON(rows) != mustJSON(want) {
		t.Errorf("subnet list: %q, want %q", rows, want)
	}
	rows = table(t, vfnet(t, srv, admin, "port", "list", "--network", "net-a", "--name", "sriov-port"))
	if len(rows) != 2 || !slices.Equal(rows[0], []string{"ID", "Name", "MAC Address", "Fixed IP Addresses", "Status"}) ||
		rows[1][0] != portID || rows[1][3] != "ip_address='192.0.2.15', subnet_id='"+subID+"'" || rows[1][4] != "DOWN" {
		t.Errorf("port list --name sriov-port: %q", rows)
	}
	out = vfnet(t, srv, admin, "port", "list", "--fixed-ip", "ip-address=192.0.2.10", "--long")
	t.Log(out)
	rows = table(t, out)
	if len(rows) != 2 || rows[1][1] != "p2" || rows[1][5] != "direct" {
		t.Errorf("port list --fixed-ip ip-address=192.0.2.10 --long: %q", rows)
	}
	var ports []map[string]any
	decodeJSON(t, vfnet(t, srv, admin, "port", "list", "--tags", "web", "-o", "json"), &ports)
	if len(ports) != 1 || ports[0]["id"] != portID {
		t.Errorf("port list --tags web -o json: %s", mustJSON(ports))
	}

	// set.
	out = vfnet(t, srv, admin, "port", "set", "--name", "sriov-port-1", "--description", "db NIC", "--disable",
		"--disable-port-security", "--tag", "db", "sriov-port")
	wantFields(t, "port set", out, map[string]string{"name": "sriov-port-1", "description": "db NIC", "admin_state_up": "DOWN",
		"port_security_enabled": "False", "tags": "db, web"})
	wantFields(t, "port set --no-tag", vfnet(t, srv, admin, "port", "set", "--no-tag", "--tag", "x", "sriov-port-1"),
		map[string]string{"tags": "x"})
	wantFields(t, "network set", vfnet(t, srv, admin, "network", "set", "--name", "net-a2", "--share", "--no-tag", "net-a"),
		map[string]string{"name": "net-a2", "shared": "True", "tags": ""})
	wantFields(t, "subnet set", vfnet(t, srv, admin, "subnet", "set", "--gateway", "none", "--allocation-pool", "start=192.0.2.100,end=192.0.2.110",
		"--dns-nameserver", "192.0.2.54", "--tag", "t", "sub-a"), map[string]string{"gateway_ip": "None",
		"allocation_pools": "192.0.2.10-192.0.2.20; 192.0.2.100-192.0.2.110", "dns_nameservers": "192.0.2.53, 192.0.2.54", "tags": "t"})

	// A port vfnet cannot bind: accepted as an object, binding_failed once
	// given a host.
	vfnet(t, srv, admin, "port", "create", "--network", netID, "--vnic-type", "normal", "--no-fixed-ip", "normal-port")
	wantFields(t, "port set --host on a normal port", vfnet(t, srv, admin, "port", "set", "--host", "compute-0", "normal-port"),
		map[string]string{"binding:host_id": "compute-0", "binding:vif_type": "binding_failed", "fixed_ips": ""})

	// What a user meets, with Neutron's messages.
	wantErr(t, srv, admin, []string{"The VLAN 10 on physical network datanet-a is in use."},
		"network", "create", "--provider-network-type", "vlan", "--provider-physical-network", "datanet-a", "--provider-segment", "10", "net-b")
	var member api.NewToken
	decodeJSON(t, vfnet(t, srv, admin, "token", "create", "--project", "project-m", "--role", "member", "-o", "json"), &member)
	wantErr(t, srv, member.Secret, []string{"disallowed by policy", "provider:network_type"},
		"network", "create", "--provider-network-type", "vlan", "--provider-physical-network", "datanet-a", "net-m")
	// A shared network is everyone's to see; unshared, another project's
	// network is not found.
	wantFields(t, "a member's network show of a shared network", vfnet(t, srv, member.Secret, "network", "show", "net-a2"),
		map[string]string{"id": netID, "shared": "True"})
	vfnet(t, srv, admin, "network", "set", "--name", "net-a", "--no-share", netID)
	wantErr(t, srv, member.Secret, []string{`no network found for "net-a"`}, "network", "show", "net-a")
	wantErr(t, srv, member.Secret, []string{`no network found for "net-a"`}, "port", "create", "--network", "net-a", "p")
	var own map[string]any
	decodeJSON(t, vfnet(t, srv, member.Secret, "network", "create", "net-m", "-o", "json"), &own)
	if _, ok := own["provider:segmentation_id"]; ok || own["project_id"] != "project-m" {
		t.Errorf("a member's network create -o json: %s; want no provider attributes (admin's) and project-m", mustJSON(own))
	}
	rows = table(t, vfnet(t, srv, member.Secret, "network", "list", "--long"))
	if len(rows) != 2 || rows[1][1] != "net-m" || rows[1][7] != "" {
		t.Errorf("a member's network list --long: %q; want net-m alone, network type blank (hidden)", rows)
	}
	wantErr(t, srv, admin, []string{"IP address 192.0.2.15 already allocated in subnet " + subID},
		"port", "create", "--network", "net-a", "--fixed-ip", "ip-address=192.0.2.15", "p3")
	wantErr(t, srv, admin, []string{"--fixed-ip", "subnet=VALUE"}, "port", "create", "--network", "net-a", "--fixed-ip", "192.0.2.15", "p3")
	wantErr(t, srv, admin, []string{"if any flags in the group"}, "port", "create", "--network", "net-a",
		"--numa-policy-required", "--numa-policy-socket", "p3")
	vfnet(t, srv, admin, "network", "create", "--provider-network-type", "vlan", "--provider-physical-network", "datanet-a", "dup")
	vfnet(t, srv, admin, "network", "create", "--provider-network-type", "vlan", "--provider-physical-network", "datanet-a", "dup")
	wantErr(t, srv, admin, []string{`more than one network exists with the name "dup"`, "name it by ID"}, "network", "show", "dup")
	wantErr(t, srv, admin, []string{"No project network is available"},
		"network", "create", "--provider-network-type", "vlan", "--provider-physical-network", "datanet-a", "dup3")
	wantErr(t, srv, admin, []string{"One or more ports have an IP allocation from this subnet", "Delete the ports with an address on it first (vfnet port list --fixed-ip subnet=sub-a)."}, "subnet", "delete", "sub-a")
	wantErr(t, srv, admin, []string{"There are one or more ports still in use on the network", "Delete its ports first (vfnet port list --network net-a)."}, "network", "delete", "net-a")

	// delete, several at once; a failure does not stop the rest.
	out, err := vfnetErr(t, srv, admin, "port", "delete", "sriov-port-1", "no-such-port", "p2", "normal-port")
	if err == nil || !strings.Contains(err.Error(), `no port found for "no-such-port"`) ||
		strings.Count(out, "Deleted port") != 3 {
		t.Errorf("port delete with one unknown port: %v\n%s", err, out)
	}
	if out = vfnet(t, srv, admin, "subnet", "delete", "sub-a"); !strings.Contains(out, "Deleted subnet sub-a ("+subID+")") {
		t.Errorf("subnet delete: %s", out)
	}
	vfnet(t, srv, admin, "network", "delete", "net-a")
	if rows = table(t, vfnet(t, srv, admin, "network", "list", "--name", "net-a")); len(rows) != 1 {
		t.Errorf("network list after delete: %q", rows)
	}
}
