package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"vfnet/internal/model"
	"vfnet/internal/store"
)

// RunIdentity is the identity suite (users, projects, role assignments and
// the tokens issued to users) on the store at dsn.
func RunIdentity(t *testing.T, dsn DSN) {
	t.Run("Refusals", func(t *testing.T) {
		t.Parallel()
		testIdentityRefusals(t, Open(t, dsn(t), store.Options{}))
	})
	t.Run("Lifecycle", func(t *testing.T) {
		t.Parallel()
		clock := NewClock()
		testIdentityLifecycle(t, Open(t, dsn(t), store.Options{Now: clock.Now}), clock)
	})
}

// testIdentityRefusals: each bad request is refused with its class and
// changes nothing.
func testIdentityRefusals(t *testing.T, s *store.Store) {
	ctx := context.Background()
	if _, err := s.CreateProject(ctx, store.ProjectSpec{Name: "p", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, store.UserSpec{Name: "u", Password: "secret", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	long := string(make([]byte, 73))
	for _, tc := range []struct {
		name string
		fn   func() error
		want model.Code
	}{
		{"project without name", func() error { _, err := s.CreateProject(ctx, store.ProjectSpec{Name: " "}); return err }, model.ErrInvalid},
		{"project name taken", func() error { _, err := s.CreateProject(ctx, store.ProjectSpec{Name: "p"}); return err }, model.ErrConflict},
		{"user name taken", func() error {
			_, err := s.CreateUser(ctx, store.UserSpec{Name: "u", Password: "x"})
			return err
		}, model.ErrConflict},
		{"user without password", func() error { _, err := s.CreateUser(ctx, store.UserSpec{Name: "v"}); return err }, model.ErrInvalid},
		{"password past bcrypt's 72 bytes", func() error {
			_, err := s.CreateUser(ctx, store.UserSpec{Name: "v", Password: long})
			return err
		}, model.ErrInvalid},
		{"unknown default project", func() error {
			_, err := s.CreateUser(ctx, store.UserSpec{Name: "v", Password: "x", DefaultProject: "nope"})
			return err
		}, model.ErrNotFound},
		{"unknown role", func() error { return s.AssignRole(ctx, "u", "p", "agent") }, model.ErrNotFound},
		{"unknown user", func() error { return s.AssignRole(ctx, "nobody", "p", "member") }, model.ErrNotFound},
		{"wrong password", func() error { _, err := s.CheckPassword(ctx, "u", "wrong"); return err }, model.ErrForbidden},
		{"unknown user's password", func() error { _, err := s.CheckPassword(ctx, "nobody", "secret"); return err }, model.ErrForbidden},
		{"token without a role on the project", func() error {
			u, _ := s.User(ctx, "u")
			p, _ := s.Project(ctx, "p")
			_, err := s.IssueUserToken(ctx, store.NewTokenSecret(), u.ID, p.ID, []string{"password"}, time.Hour)
			return err
		}, model.ErrForbidden},
		{"unassign what is not assigned", func() error { return s.UnassignRole(ctx, "u", "p", "member") }, model.ErrNotFound},
	} {
		if err := tc.fn(); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v (class %q), want class %q", tc.name, err, model.CodeOf(err), tc.want)
		}
	}
	if us, err := s.Users(ctx); err != nil || len(us) != 1 {
		t.Errorf("users after refusals: %v %v, want only u", us, err)
	}
	if ps, err := s.Projects(ctx); err != nil || len(ps) != 1 {
		t.Errorf("projects after refusals: %v %v, want only p", ps, err)
	}
}

// testIdentityLifecycle: a user logs in to a project it has roles on, the
// token expires, and deleting the user or project revokes its tokens.
func testIdentityLifecycle(t *testing.T, s *store.Store, clock *Clock) {
	ctx := context.Background()
	p, err := s.CreateProject(ctx, store.ProjectSpec{Name: "demo", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.ID) != 32 {
		t.Errorf("project id %q: want 32 hex digits, as Keystone's", p.ID)
	}
	u, err := s.CreateUser(ctx, store.UserSpec{Name: "alice", Password: "pw", DefaultProject: "demo", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if u.DefaultProject != p.ID {
		t.Errorf("default project %q, want %q", u.DefaultProject, p.ID)
	}
	for _, role := range []string{"member", "reader", "member"} { // again: no change
		if err := s.AssignRole(ctx, "alice", p.ID, role); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.CheckPassword(ctx, "alice", "pw"); err != nil || got.ID != u.ID {
		t.Fatalf("CheckPassword by name: %v %v", got, err)
	}
	if _, err := s.CheckPassword(ctx, u.ID, "pw"); err != nil {
		t.Fatalf("CheckPassword by id: %v", err)
	}
	secret := store.NewTokenSecret()
	tok, err := s.IssueUserToken(ctx, secret, u.ID, p.ID, []string{"password"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if got.User != u.ID || got.Project != p.ID || !slices.Equal(got.Roles, []string{"member", "reader"}) ||
		!slices.Equal(got.Methods, []string{"password"}) || got.ID != tok.ID {
		t.Errorf("authenticated token %+v, want user %s, project %s, roles [member reader], methods [password]", got, u.ID, p.ID)
	}
	clock.Advance(time.Hour)
	if _, err := s.Authenticate(ctx, secret); model.CodeOf(err) != model.ErrNotFound {
		t.Errorf("token an hour old: got %v, want not found (expired)", err)
	}

	// Revocation by DELETE, by user deletion, by project deletion and by
	// a new password.
	issue := func() string {
		secret := store.NewTokenSecret()
		if _, err := s.IssueUserToken(ctx, secret, u.ID, p.ID, []string{"password"}, time.Hour); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	gone := func(what, secret string) {
		t.Helper()
		if _, err := s.Authenticate(ctx, secret); model.CodeOf(err) != model.ErrNotFound {
			t.Errorf("%s: token still valid (%v)", what, err)
		}
	}
	a := issue()
	if err := s.RevokeToken(ctx, a); err != nil {
		t.Fatal(err)
	}
	gone("revoked", a)
	if err := s.RevokeToken(ctx, a); model.CodeOf(err) != model.ErrNotFound {
		t.Errorf("revoking twice: %v, want not found", err)
	}
	b := issue()
	if err := s.SetPassword(ctx, "alice", "pw2"); err != nil {
		t.Fatal(err)
	}
	gone("after a new password", b)
	c := issue()
	if err := s.UnassignRole(ctx, "alice", "demo", "reader"); err != nil {
		t.Fatal(err)
	}
	gone("after a role was taken away", c)
	d := issue()
	if err := s.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	gone("after the user was deleted", d)
	if as, err := s.RoleAssignments(ctx, u.ID, ""); err != nil || len(as) != 0 {
		t.Errorf("assignments of a deleted user: %v %v", as, err)
	}

	u2, err := s.CreateUser(ctx, store.UserSpec{Name: "bob", Password: "pw", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AssignRole(ctx, "bob", "demo", "member"); err != nil {
		t.Fatal(err)
	}
	e := store.NewTokenSecret()
	if _, err := s.IssueUserToken(ctx, e, u2.ID, p.ID, []string{"password"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProject(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	gone("after the project was deleted", e)
	if _, err := s.Project(ctx, p.ID); model.CodeOf(err) != model.ErrNotFound {
		t.Errorf("deleted project: %v, want not found", err)
	}
}
