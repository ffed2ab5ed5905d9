package neutron

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseQueryErrors(t *testing.T) {
	tests := []struct {
		query   string
		wantErr error
		wantMsg string
	}{
		{"foo=1&name=a", TypeHTTPBadRequest, "['foo'] is invalid attribute for filtering"},
		{"subnets=x", TypeHTTPBadRequest, "['subnets'] is invalid attribute for filtering"},
		{"sort_key=name", TypeHTTPBadRequest, "The number of sort_keys and sort_dirs must be same"},
		{"sort_key=mac&sort_dir=asc", TypeHTTPBadRequest, "['mac'] is invalid attribute for sort_keys"},
		{"sort_key=name&sort_dir=up", TypeHTTPBadRequest, "['up'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'"},
		{"limit=-1", TypeBadRequest, "Bad limit request: Limit must be an integer 0 or greater and not '-1'."},
		{"limit=x", TypeBadRequest, "Bad limit request: Limit must be an integer 0 or greater and not 'x'."},
		{"admin_state_up=maybe", TypeInvalidInput, "Invalid input for operation: 'maybe' cannot be converted to boolean."},
		{"mtu=big", TypeInvalidInput, "Invalid input for operation: 'big' is not an integer."},
	}
	for _, tt := range tests {
		v, _ := url.ParseQuery(tt.query)
		_, err := ParseQuery(Networks, v)
		var e *Error
		if !errors.Is(err, tt.wantErr) || !errors.As(err, &e) || e.Message != tt.wantMsg {
			t.Errorf("ParseQuery(%s) = %v, want %v %q", tt.query, err, tt.wantErr, tt.wantMsg)
		}
	}
}

func TestParseQuery(t *testing.T) {
	v, _ := url.ParseQuery("name=a&name=b&status=ACTIVE&fields=id&fields=name&limit=2&marker=m&sort_key=name&sort_dir=desc" +
		"&page_reverse=True&tags=x,y&tags-any=z&not-tags=w&not-tags-any=q&admin_state_up=True&tenant_id=p1&name=")
	q, err := ParseQuery(Networks, v)
	if err != nil {
		t.Fatal(err)
	}
	want := Query{
		Resource: Networks,
		Filters: []Filter{
			{Attr: "admin_state_up", Kind: KindBool, Values: []string{"true"}},
			{Attr: "name", Kind: KindString, Values: []string{"a", "b"}},
			{Attr: "status", Kind: KindString, Values: []string{"ACTIVE"}},
			{Attr: "project_id", Kind: KindString, Values: []string{"p1"}},
		},
		Tags:   TagFilter{All: []string{"x", "y"}, Any: []string{"z"}, NotAll: []string{"w"}, NotAny: []string{"q"}},
		Fields: []string{"id", "name"}, Sort: []SortKey{{"name", true}}, Limit: 2, Marker: "m", PageReverse: true,
	}
	if diff := cmp.Diff(want, q, cmp.AllowUnexported(Query{}), cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".params"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("ParseQuery (-want +got):\n%s", diff)
	}
}

func testNetworks() []Network {
	var ns []Network
	for i, name := range []string{"c", "a", "e", "b", "d"} {
		ns = append(ns, Network{ID: fmt.Sprintf("id-%d", i), Name: name, ProjectID: "p1", AdminStateUp: i%2 == 0,
			Status: StatusActive, Tags: []string{"t" + name}, MTU: 1500 - i})
	}
	ns[0].Tags = []string{"ta", "tb"}
	ns[4].ProjectID = "p2"
	return ns
}

func names(p Page) []string {
	var out []string
	for _, m := range p.Items {
		out = append(out, jsonString(m["name"]))
	}
	return out
}

func TestApply(t *testing.T) {
	admin := Caller{Admin: true}
	base := "http://h/v2.0/networks"
	tests := []struct {
		query     string
		want      []string
		wantLinks []Link
		wantErr   error
	}{
		{"", []string{"c", "a", "e", "b", "d"}, nil, nil},
		{"name=a&name=b", []string{"a", "b"}, nil, nil},
		{"name=a&name=b&admin_state_up=false", []string{"a", "b"}, nil, nil},
		{"name=a&name=c&admin_state_up=true", []string{"c"}, nil, nil},
		{"project_id=p2", []string{"d"}, nil, nil},
		{"mtu=1498", []string{"e"}, nil, nil},
		{"sort_key=name&sort_dir=asc", []string{"a", "b", "c", "d", "e"}, nil, nil},
		{"sort_key=admin_state_up&sort_dir=desc&sort_key=name&sort_dir=asc", []string{"c", "d", "e", "a", "b"}, nil, nil},
		{"tags=ta,tb", []string{"c"}, nil, nil},
		{"tags-any=ta,td", []string{"c", "a", "d"}, nil, nil},
		{"not-tags=ta,tb", []string{"a", "e", "b", "d"}, nil, nil},
		{"not-tags-any=ta,te", []string{"b", "d"}, nil, nil},
		{"sort_key=name&sort_dir=asc&limit=2", []string{"a", "b"}, []Link{
			{Rel: "next", Href: base + "?limit=2&marker=id-3&sort_dir=asc&sort_key=name"},
			{Rel: "previous", Href: base + "?limit=2&marker=id-1&page_reverse=True&sort_dir=asc&sort_key=name"},
		}, nil},
		{"sort_key=name&sort_dir=asc&limit=2&marker=id-3", []string{"c", "d"}, []Link{
			{Rel: "next", Href: base + "?limit=2&marker=id-4&sort_dir=asc&sort_key=name"},
			{Rel: "previous", Href: base + "?limit=2&marker=id-0&page_reverse=True&sort_dir=asc&sort_key=name"},
		}, nil},
		{"sort_key=name&sort_dir=asc&limit=2&marker=id-4", []string{"e"}, []Link{
			{Rel: "previous", Href: base + "?limit=2&marker=id-2&page_reverse=True&sort_dir=asc&sort_key=name"},
		}, nil},
		{"sort_key=name&sort_dir=asc&limit=2&marker=id-0&page_reverse=True", []string{"a", "b"}, []Link{
			{Rel: "next", Href: base + "?limit=2&marker=id-3&sort_dir=asc&sort_key=name"},
			{Rel: "previous", Href: base + "?limit=2&marker=id-1&page_reverse=True&sort_dir=asc&sort_key=name"},
		}, nil},
		{"sort_key=name&sort_dir=asc&limit=2&marker=id-3&page_reverse=True", []string{"a"}, []Link{
			{Rel: "next", Href: base + "?limit=2&marker=id-1&sort_dir=asc&sort_key=name"},
		}, nil},
		{"limit=2&marker=nope", nil, nil, TypeNetworkNotFound},
		{"limit=0", []string{"c", "a", "e", "b", "d"}, nil, nil},
	}
	for _, tt := range tests {
		v, _ := url.ParseQuery(tt.query)
		q, err := ParseQuery(Networks, v)
		if err != nil {
			t.Fatalf("ParseQuery(%s): %v", tt.query, err)
		}
		p, err := Apply(q, admin, testNetworks(), base)
		if !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
			t.Errorf("Apply(%s): err %v, want %v", tt.query, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, names(p)); diff != "" {
			t.Errorf("Apply(%s) names (-want +got):\n%s", tt.query, diff)
		}
		if diff := cmp.Diff(tt.wantLinks, p.Links); diff != "" {
			t.Errorf("Apply(%s) links (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestApplyFieldsAndHiddenFilters(t *testing.T) {
	ns := testNetworks()
	ns[1].NetworkType, ns[1].PhysicalNetwork, ns[1].SegmentationID = "vlan", "datanet-a", ptr(10)
	v, _ := url.ParseQuery("fields=id&fields=name&fields=nonexistent&provider:segmentation_id=10")
	q, err := ParseQuery(Networks, v)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Apply(q, Caller{Admin: true}, ns, "http://h/v2.0/networks")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(p.Body(Networks))
	if want := `{"networks":[{"id":"id-1","name":"a"}]}`; string(body) != want {
		t.Errorf("admin: got %s, want %s", body, want)
	}
	// A member cannot see provider attributes, so cannot filter by them.
	p, err = Apply(q, Caller{ProjectID: "p1"}, ns, "http://h/v2.0/networks")
	if err != nil || len(p.Items) != 0 {
		t.Errorf("member filter on hidden attribute: got %v, %v; want nothing", p.Items, err)
	}
}

func TestApplyPortFixedIPs(t *testing.T) {
	ports := []Port{
		{ID: "1", Name: "a", FixedIPs: []FixedIP{{"s1", "192.0.2.2"}, {"s2", "2001:db8::2"}}},
		{ID: "2", Name: "b", FixedIPs: []FixedIP{{"s1", "192.0.2.3"}}},
		{ID: "3", Name: "c", FixedIPs: []FixedIP{{"s3", "10.0.0.13"}}},
		{ID: "4", Name: "no addresses"},
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"fixed_ips=ip_address%3D192.0.2.3", []string{"b"}},
		{"fixed_ips=subnet_id%3Ds1", []string{"a", "b"}},
		{"fixed_ips=subnet_id%3Ds1&fixed_ips=ip_address%3D2001:db8::2", []string{"a"}},
		// ip-substring-filtering: any part of any of the port's addresses.
		{"fixed_ips=ip_address_substr%3D192.0.2", []string{"a", "b"}},
		{"fixed_ips=ip_address_substr%3D0.2.3", []string{"b"}},
		{"fixed_ips=ip_address_substr%3D.13", []string{"c"}},
		{"fixed_ips=ip_address_substr%3Ddb8::", []string{"a"}},
		{"fixed_ips=ip_address_substr%3D2001:DB8", []string{"a"}},
		{"fixed_ips=ip_address_substr%3D2", []string{"a", "b"}},
		{"fixed_ips=ip_address_substr%3D203.0.113", nil},
		// Values of one key are alternatives.
		{"fixed_ips=ip_address_substr%3D0.2.3&fixed_ips=ip_address_substr%3D10.0", []string{"b", "c"}},
		// Keys all hold, each on any of the port's addresses.
		{"fixed_ips=ip_address_substr%3D192.0&fixed_ips=subnet_id%3Ds2", []string{"a"}},
		{"fixed_ips=ip_address_substr%3D192.0&fixed_ips=ip_address%3D192.0.2.3", []string{"b"}},
		{"fixed_ips=ip_address_substr%3D10.0&fixed_ips=subnet_id%3Ds1", nil},
	}
	for _, tt := range tests {
		v, _ := url.ParseQuery(tt.query)
		q, err := ParseQuery(Ports, v)
		if err != nil {
			t.Fatalf("ParseQuery(%s): %v", tt.query, err)
		}
		p, err := Apply(q, Caller{Admin: true}, ports, "")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, names(p)); diff != "" {
			t.Errorf("Apply(%s) (-want +got):\n%s", tt.query, diff)
		}
	}
	for _, bad := range []string{"fixed_ips=192.0.2.3", "fixed_ips=ip_substr%3D192"} {
		v, _ := url.ParseQuery(bad)
		if _, err := ParseQuery(Ports, v); !errors.Is(err, TypeInvalidInput) {
			t.Errorf("ParseQuery(%s): got %v, want InvalidInput", bad, err)
		}
	}
}
