package neutron

import (
	"encoding/json"
	"errors"
	"net/url"
	"testing"
)

// checkDecodeErr fails when a decoder returns something other than a
// client error: bad input must be a 4xx NeutronError, never a panic or an
// internal error.
func checkDecodeErr(t *testing.T, in []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Status < 400 || e.Status > 499 || e.Message == "" {
		t.Fatalf("decode %q: non-client error %v", in, err)
	}
	if _, mErr := json.Marshal(e); mErr != nil {
		t.Fatalf("decode %q: error body does not marshal: %v", in, mErr)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"network":{"name":"n","admin_state_up":true,"provider:segmentation_id":"10"}}`,
		`{"networks":[{"name":"a"},{"network":{"name":"b"}}]}`,
		`{"subnet":{"network_id":"` + netID + `","ip_version":4,"cidr":"192.0.2.0/24","allocation_pools":[{"start":"192.0.2.2","end":"192.0.2.9"}]}}`,
		`{"port":{"network_id":"` + netID + `","fixed_ips":[{"subnet_id":"s","ip_address":"1.2.3.4"}],"binding:profile":{"pci_slot":"x"},"mac_address":"fa:16:3e:00:00:01"}}`,
		`{"port":{"binding:host_id":null,"numa_affinity_policy":null,"tags":["a"]}}`,
		`{"tags":["a","b"]}`, `null`, `[]`, `{"port":null}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, update bool) {
		op := Create
		if update {
			op = Update
		}
		nets, err := DecodeNetworks(in, op)
		checkDecodeErr(t, in, err)
		for _, n := range nets {
			// Whatever decodes must be plannable without panicking.
			_, err := PlanNetwork(n, []DataNetwork{{Name: "datanet-a", Type: "vlan", MTU: 1500, Ranges: []VLANRange{{1, 3}}}}, nil)
			checkDecodeErr(t, in, err)
		}
		subs, err := DecodeSubnets(in, op)
		checkDecodeErr(t, in, err)
		for _, s := range subs {
			if op == Create {
				_, err := PlanSubnet(s, nil)
				checkDecodeErr(t, in, err)
			}
		}
		ps, err := DecodePorts(in, op)
		checkDecodeErr(t, in, err)
		for _, p := range ps {
			if op == Create {
				_, err := PlanFixedIPs(netID, PlanPort{MAC: "fa:16:3e:00:00:01"}, p.FixedIPs, []Subnet{{ID: "s", CIDR: "192.0.2.0/24", IPVersion: 4,
					AllocationPools: []AllocationPool{{"192.0.2.2", "192.0.2.3"}}}}, nil)
				checkDecodeErr(t, in, err)
			}
		}
		_, err = DecodeTags(in)
		checkDecodeErr(t, in, err)
	})
}

func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"name=a&name=b&status=ACTIVE&fields=id&limit=2&marker=id-1&sort_key=name&sort_dir=asc&page_reverse=True",
		"tags=a,b&tags-any=c&not-tags=d&not-tags-any=e", "admin_state_up=yes&mtu=1500", "fixed_ips=ip_address%3D1.2.3.4",
		"limit=-1", "sort_key=id", "foo=bar", "%zz",
	} {
		f.Add(s)
	}
	ports := []Port{{ID: "1", Name: "a", FixedIPs: []FixedIP{{"s", "1.2.3.4"}}}, {ID: "2", Name: "b"}}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for _, r := range []Resource{Networks, Subnets, Ports} {
			q, err := ParseQuery(r, v)
			checkDecodeErr(t, []byte(raw), err)
			if err != nil || r != Ports {
				continue
			}
			p, err := Apply(q, Caller{ProjectID: "p"}, ports, "http://h/v2.0/ports")
			checkDecodeErr(t, []byte(raw), err)
			if q.Limit > 0 && len(p.Items) > q.Limit {
				t.Fatalf("query %q: %d items over limit %d", raw, len(p.Items), q.Limit)
			}
		}
	})
}
