package neutronapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"vfnet/internal/neutron"
	"vfnet/internal/store/storetest"
)

// TestWire checks what clients parse beyond gophercloud's reach: version
// documents, extensions, the .json suffix, NeutronError bodies and
// statuses, bulk bodies, fields, links, If-Match and what each role sees.
func TestWire(t *testing.T) {
	e := newEnv(t, storetest.SQLiteURL(t))
	base := e.srv.URL

	code, body := e.do(t, "", "GET", "/", nil)
	if code != 200 || fmt.Sprint(body["versions"]) != fmt.Sprintf("[map[id:v2.0 links:[map[href:%s/v2.0/ rel:self]] status:CURRENT]]", base) {
		t.Fatalf("GET /: %d %v", code, body)
	}
	code, body = e.do(t, "", "GET", "/v2.0/", nil)
	if code != 200 || body["version"] == nil || len(body["resources"].([]any)) != 3 {
		t.Fatalf("GET /v2.0/: %d %v", code, body)
	}
	code, body = e.do(t, "member-a", "GET", "/v2.0/extensions.json", nil)
	if code != 200 || !strings.Contains(fmt.Sprint(body), "alias:binding") || strings.Contains(fmt.Sprint(body), "alias:security-group") {
		t.Fatalf("GET /v2.0/extensions.json: %d %v", code, body)
	}
	for _, tc := range []struct {
		who, method, path string
		body              any
		header            []string
		status            int
		typ               neutron.ErrorType
		msg               string
	}{
		{"", "GET", "/v2.0/networks", nil, nil, 401, neutron.TypeNotAuthorized, "Authentication required"},
		{"admin", "GET", "/v2.0/extensions/security-group", nil, nil, 404, neutron.TypeHTTPNotFound, "Extension with alias security-group does not exist"},
		{"admin", "GET", "/v2.0/security-groups", nil, nil, 404, neutron.TypeHTTPNotFound, "vfnet offers no security groups"},
		{"admin", "GET", "/v2.0/routers", nil, nil, 404, neutron.TypeHTTPNotFound, "The resource could not be found."},
		{"admin", "GET", "/v2.0/networks?bogus=1", nil, nil, 400, neutron.TypeHTTPBadRequest, "['bogus'] is invalid attribute for filtering"},
		{"admin", "POST", "/v2.0/networks", "{", nil, 400, neutron.TypeMalformedRequestBody, "Malformed request body"},
		{"admin", "POST", "/v2.0/networks", `{"network":{"color":"red"}}`, nil, 400, neutron.TypeHTTPBadRequest, "Unrecognized attribute(s) 'color'"},
		{"reader-a", "POST", "/v2.0/networks", `{"network":{}}`, nil, 403, neutron.TypePolicyNotAuthorized, "create_network is disallowed by policy"},
		{"admin", "GET", "/v2.0/ports/nope", nil, nil, 404, neutron.TypePortNotFound, "Port nope could not be found."},
		{"admin", "PUT", "/v2.0/networks/nope", `{"network":{"name":"x"}}`, []string{"If-Match", "etag"}, 400, neutron.TypeHTTPBadRequest, "If-Match"},
	} {
		code, body := e.do(t, tc.who, tc.method, tc.path, tc.body, tc.header...)
		typ, msg := neutronError(t, body)
		if code != tc.status || typ != string(tc.typ) || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s %s as %q: got %d %s %q, want %d %s containing %q", tc.method, tc.path, tc.who, code, typ, msg, tc.status, tc.typ, tc.msg)
		}
	}

	code, body = e.do(t, "admin", "POST", "/v2.0/networks", `{"network":{"name":"n","shared":true,"provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":10}}`)
	if code != 201 {
		t.Fatalf("create network: %d %v", code, body)
	}
	netID := body["network"].(map[string]any)["id"].(string)
	code, body = e.do(t, "admin", "POST", "/v2.0/subnets", `{"subnet":{"network_id":"`+netID+`","ip_version":4,"cidr":"192.0.2.0/24"}}`)
	if code != 201 {
		t.Fatalf("create subnet: %d %v", code, body)
	}
	code, body = e.do(t, "member-a", "POST", "/v2.0/ports", `{"ports":[{"network_id":"`+netID+`","name":"a","binding:vnic_type":"direct"},{"network_id":"`+netID+`","name":"b"}]}`)
	if code != 201 || len(body["ports"].([]any)) != 2 {
		t.Fatalf("bulk create: %d %v", code, body)
	}
	portID := body["ports"].([]any)[0].(map[string]any)["id"].(string)
	if _, ok := body["ports"].([]any)[0].(map[string]any)["binding:host_id"]; ok {
		t.Errorf("member sees binding:host_id: %v", body)
	}
	_, body = e.do(t, "admin", "GET", "/v2.0/ports/"+portID+".json", nil)
	if _, ok := body["port"].(map[string]any)["binding:host_id"]; !ok {
		t.Errorf("admin does not see binding:host_id: %v", body)
	}
	for _, bad := range []string{`{"port":{"qos_policy_id":"5f0d3f5e-7a3b-4c47-9f1e-2b1f0c2a9d11"}}`, `{"port":{"security_groups":["sg"]}}`,
		`{"port":{"allowed_address_pairs":[{"ip_address":"192.0.2.200"}]}}`} {
		code, body = e.do(t, "admin", "PUT", "/v2.0/ports/"+portID, bad)
		if typ, msg := neutronError(t, body); code != 400 || typ != string(neutron.TypeSRIOVUnsupported) || !strings.Contains(msg, "SR-IOV") {
			t.Errorf("PUT %s on a direct port: got %d %s %q, want 400 SRIOVUnsupported", bad, code, typ, msg)
		}
	}
	code, body = e.do(t, "member-a", "PUT", "/v2.0/ports/"+portID, `{"port":{"name":"a2"}}`, "If-Match", "revision_number=7")
	if typ, _ := neutronError(t, body); code != 412 || typ != string(neutron.TypeRevisionNumberConstraintFailed) {
		t.Errorf("stale If-Match: got %d %v", code, body)
	}
	code, body = e.do(t, "member-a", "PUT", "/v2.0/ports/"+portID, `{"port":{"name":"a2"}}`, "If-Match", "revision_number=1")
	if code != 200 || body["port"].(map[string]any)["revision_number"] != 2.0 {
		t.Errorf("If-Match on the current revision: got %d %v", code, body)
	}
	code, body = e.do(t, "member-a", "GET", "/v2.0/ports?fields=id&fields=name&limit=1&sort_key=name&sort_dir=asc", nil)
	if code != 200 || fmt.Sprint(body["ports"]) != fmt.Sprintf("[map[id:%s name:a2]]", portID) || body["ports_links"] == nil {
		t.Errorf("fields, sort, limit: got %d %v", code, body)
	}
	if code, _ := e.do(t, "member-a", "PUT", "/v2.0/ports/"+portID+"/tags/blue", nil); code != 201 {
		t.Errorf("PUT tag: %d, want 201", code)
	}
	if code, _ := e.do(t, "member-a", "GET", "/v2.0/ports/"+portID+"/tags/blue", nil); code != 204 {
		t.Errorf("GET present tag: %d, want 204", code)
	}
	if code, body := e.do(t, "member-a", "GET", "/v2.0/ports/"+portID+"/tags/red", nil); code != 404 {
		t.Errorf("GET absent tag: %d %v, want 404", code, body)
	}
	if code, body := e.do(t, "member-a", "DELETE", "/v2.0/ports/"+portID, nil); code != 204 || body != nil {
		t.Errorf("DELETE: %d %v, want 204 and no body", code, body)
	}
}

// snapshot is everything the store holds of /v2.0, as admin sees it.
func snapshot(t testing.TB, e *env) string {
	t.Helper()
	ctx := context.Background()
	c := neutron.Caller{Admin: true}
	ns, err1 := e.store.Networks(ctx, c)
	ss, err2 := e.store.Subnets(ctx, c)
	ps, err3 := e.store.NeutronPorts(ctx, c)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.Marshal([]any{ns, ss, ps})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzHandlers sends arbitrary bodies, queries and headers to every route:
// the server never fails with a 5xx, always answers a NeutronError when it
// refuses, and a refused request changes nothing in the store.
func FuzzHandlers(f *testing.F) {
	for _, s := range []string{`{"network":{"name":"n"}}`, `{"networks":[{"name":"a"},{"name":"b","mtu":99999}]}`,
		`{"port":{"network_id":"x","fixed_ips":[{"ip_address":"192.0.2.300"}]}}`, `{"subnet":{"ip_version":4,"cidr":"10.0.0.0/33"}}`,
		`{"tags":["a",1]}`, `null`, `{"port":{"binding:profile":"x"}}`, ``} {
		for route := range 6 {
			f.Add(uint8(route), s, "limit=2&sort_key=name&sort_dir=asc", "revision_number=1")
		}
	}
	f.Add(uint8(1), `{}`, "fields=id&marker=zz&limit=-1", "revision_number=x")
	e := newEnv(f, storetest.SQLiteURL(f))
	code, body := e.do(f, "admin", "POST", "/v2.0/networks", `{"network":{"name":"seed"}}`)
	if code != 201 {
		f.Fatalf("seed network: %d %v", code, body)
	}
	netID := body["network"].(map[string]any)["id"].(string)
	f.Fuzz(func(t *testing.T, route uint8, reqBody, query, ifMatch string) {
		routes := []struct{ method, path string }{
			{"POST", "/v2.0/networks"}, {"GET", "/v2.0/ports"}, {"PUT", "/v2.0/networks/" + netID},
			{"POST", "/v2.0/ports"}, {"POST", "/v2.0/subnets"}, {"PUT", "/v2.0/networks/" + netID + "/tags"},
		}
		rt := routes[int(route)%len(routes)]
		// What an HTTP client can send: an encoded query, a header value
		// without control characters.
		q, _ := url.ParseQuery(query)
		ifMatch = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f || r > 0x7e {
				return -1
			}
			return r
		}, ifMatch)
		before := snapshot(t, e)
		code, body := e.do(t, "member-a", rt.method, rt.path+"?"+q.Encode(), reqBody, "If-Match", ifMatch)
		if code >= 500 {
			t.Fatalf("%s %s?%s %q: status %d %v", rt.method, rt.path, query, reqBody, code, body)
		}
		if code >= 400 {
			neutronError(t, body)
			if after := snapshot(t, e); after != before {
				t.Fatalf("%s %s %q refused with %d but changed the store", rt.method, rt.path, reqBody, code)
			}
		}
	})
}
