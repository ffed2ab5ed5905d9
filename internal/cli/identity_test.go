package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vfnet/internal/store"
)

// TestIdentityVerbs: user, project and role verbs through the identity's
// routes; the user they make logs in to the project they gave it.
func TestIdentityVerbs(t *testing.T) {
	ctx := context.Background()
	srv := testServer(t)
	admin := srv.AdminToken
	for _, s := range []struct {
		args []string
		says []string
	}{
		{[]string{"project", "create", "demo", "--description", "the demo team"}, []string{"the demo team", "default"}},
		{[]string{"user", "create", "alice", "--password", "pw-alice", "--project", "demo"}, []string{"alice"}},
		{[]string{"user", "create", "bob"}, []string{"| password "}}, // made and shown once
		{[]string{"role", "add", "--user", "alice", "--project", "demo", "member"}, nil},
		{[]string{"role", "list", "-o", "json"}, []string{`"role": "member"`, `"role": "admin"`}},
		{[]string{"user", "list"}, []string{"admin", "alice", "bob"}},
		{[]string{"project", "list", "-o", "json"}, []string{`"name": "demo"`, `"name": "admin"`}},
	} {
		out := vfnet(t, srv, admin, s.args...)
		for _, want := range s.says {
			if !strings.Contains(out, want) {
				t.Errorf("vfnet %s: output lacks %q:\n%s", strings.Join(s.args, " "), want, out)
			}
		}
	}
	u, err := srv.Store.CheckPassword(ctx, "alice", "pw-alice")
	if err != nil {
		t.Fatal(err)
	}
	p, err := srv.Store.Project(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.IssueUserToken(ctx, store.NewTokenSecret(), u.ID, p.ID, []string{"password"}, 0); err != nil {
		t.Errorf("alice logs in to demo: %v", err)
	}
	if out, err := vfnetErr(t, srv, admin, "role", "add", "--user", "alice", "--project", "demo", "agent"); err == nil ||
		!strings.Contains(err.Error(), "the roles are admin, member, reader, service") {
		t.Errorf("role add agent: %v %s, want a refusal naming the roles", err, out)
	}
	if out, err := vfnetErr(t, srv, admin, "role", "add", "--user", "alice", "member"); err == nil || !strings.Contains(err.Error(), "--project") {
		t.Errorf("role add without --project: %v %s", err, out)
	}
	vfnet(t, srv, admin, "role", "remove", "--user", "alice", "--project", "demo", "member")
	vfnet(t, srv, admin, "user", "delete", "alice")
	vfnet(t, srv, admin, "project", "delete", "demo")
	if out := vfnet(t, srv, admin, "user", "list"); strings.Contains(out, "alice") {
		t.Errorf("alice still listed:\n%s", out)
	}
	if out, err := vfnetErr(t, srv, admin, "project", "delete", "demo"); err == nil || !strings.Contains(err.Error(), "Could not find project") {
		t.Errorf("deleting demo twice: %v %s", err, out)
	}
	// The bootstrap admin password is in the data directory, 0600.
	fi, err := os.Stat(filepath.Join(srv.dataDir, "admin-password"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin-password: %v %v, want a 0600 file", fi, err)
	}
	if _, err := srv.Store.CheckPassword(ctx, AdminUser, srv.AdminPassword); err != nil {
		t.Errorf("the admin password does not log in: %v", err)
	}
}
