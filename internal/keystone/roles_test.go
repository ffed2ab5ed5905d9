package keystone

import (
	"slices"
	"testing"
)

func TestMapRoles(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string
	}{
		{[]string{"admin", "member", "reader"}, []string{"admin", "member", "reader"}},
		{[]string{"_member_"}, []string{"member"}},
		{[]string{"service", "heat_stack_owner"}, []string{"service"}},
		{[]string{"Member"}, []string{"member"}},
		{[]string{"load-balancer_member", "agent"}, nil}, // agent is vfnet's own, never Keystone's
	} {
		var in []struct{ Name string }
		for _, n := range tc.in {
			in = append(in, struct{ Name string }{n})
		}
		if got := MapRoles(in); !slices.Equal(got, tc.want) {
			t.Errorf("MapRoles(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParseToken(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		wantErr    bool
		project    string
	}{
		{"project scoped", `{"token":{"expires_at":"2026-11-25T13:00:00.000000Z","issued_at":"2026-11-25T12:00:00.000000Z",
			"user":{"id":"u1"},"project":{"id":"p1"},"roles":[{"name":"member"}],"audit_ids":["a1"]}}`, false, "p1"},
		{"domain scoped", `{"token":{"expires_at":"2026-11-25T13:00:00.000000Z","user":{"id":"u1"},"domain":{"id":"default"}}}`, true, ""},
		{"bad expiry", `{"token":{"expires_at":"tomorrow","user":{"id":"u1"},"project":{"id":"p1"}}}`, true, ""},
		{"not JSON", `<html>`, true, ""},
	} {
		tok, err := parseToken([]byte(tc.body))
		if (err != nil) != tc.wantErr || tok.Project != tc.project {
			t.Errorf("%s: got %+v, %v; want project %q, error %v", tc.name, tok, err, tc.project, tc.wantErr)
		}
	}
}
