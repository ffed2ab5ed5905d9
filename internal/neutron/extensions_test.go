package neutron

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestExtensions(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Extensions() {
		if seen[e.Alias] || e.Name == "" || e.Description == "" || e.Updated == "" || e.Links == nil {
			t.Errorf("extension %+v: duplicate or incomplete", e)
		}
		seen[e.Alias] = true
	}
	for _, a := range []string{"provider", "binding", "port-security", "project-id", "pagination", "sorting",
		"standard-attr-revisions", "standard-attr-timestamp", "filter-validation", "port-trusted-vif", "port-numa-affinity-policy", "ip-substring-filtering"} {
		if !seen[a] {
			t.Errorf("extension %s missing", a)
		}
	}
	for _, a := range []string{"security-group", "qos", "router", "dhcp_agent_scheduler", "subnet_allocation"} {
		if seen[a] {
			t.Errorf("extension %s listed but vfnet does not implement it", a)
		}
	}
	if _, err := FindExtension("qos"); !errors.Is(err, TypeHTTPNotFound) {
		t.Errorf("FindExtension(qos) = %v, want 404", err)
	}
	if e, err := FindExtension("binding"); err != nil || e.Name != "Port Binding" {
		t.Errorf("FindExtension(binding) = %+v, %v", e, err)
	}
}

func TestVersionDocuments(t *testing.T) {
	b, _ := json.Marshal(Versions("http://h:9696/"))
	if want := `{"versions":[{"id":"v2.0","status":"CURRENT","links":[{"href":"http://h:9696/v2.0/","rel":"self"}]}]}`; string(b) != want {
		t.Errorf("Versions = %s, want %s", b, want)
	}
	b, _ = json.Marshal(V2Root("http://h:9696"))
	want := `{"resources":[{"name":"subnet","collection":"subnets","links":[{"href":"http://h:9696/v2.0/subnets","rel":"self"}]},` +
		`{"name":"network","collection":"networks","links":[{"href":"http://h:9696/v2.0/networks","rel":"self"}]},` +
		`{"name":"port","collection":"ports","links":[{"href":"http://h:9696/v2.0/ports","rel":"self"}]}],` +
		`"version":{"id":"v2.0","status":"CURRENT","links":[{"href":"http://h:9696/v2.0/","rel":"self"}]}}`
	if string(b) != want {
		t.Errorf("V2Root = %s, want %s", b, want)
	}
}

func TestTimestampFormat(t *testing.T) {
	b, _ := json.Marshal(Timestamp{when.Add(500_000_000)})
	if string(b) != `"2026-11-25T12:00:00Z"` {
		t.Errorf("Timestamp = %s", b)
	}
	var ts Timestamp
	if err := json.Unmarshal(b, &ts); err != nil || !ts.Equal(when) {
		t.Errorf("Unmarshal %s = %v, %v", b, ts, err)
	}
}
