package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"vfnet/internal/model"
)

// vfnet's identity has Keystone's one default domain and nothing else
// (migration 0200): users and projects all live in it.
const (
	DefaultDomainID   = "default"
	DefaultDomainName = "Default"
)

// AssignableRoles are the roles a user can be given on a project: the
// token roles but agent, which only `vfnet token create --host` issues.
func AssignableRoles() []string {
	return []string{RoleAdmin, RoleMember, RoleReader, RoleService}
}

// Project is a Keystone project: tokens, networks, subnets and ports belong
// to one by its id.
type Project struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at"`
}

// ProjectSpec is a new project. ID "" makes one (32 hex digits, as
// Keystone's); the bootstrap admin project is given "admin".
type ProjectSpec struct {
	ID, Name, Description string
	Enabled               bool
}

// User is a Keystone user. The password's hash never leaves the store.
type User struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	DefaultProject string    `json:"default_project_id,omitempty"`
	Email          string    `json:"email,omitempty"`
	Enabled        bool      `json:"enabled"`
	CreatedAt      time.Time `json:"created_at"`
}

// UserSpec is a new user; DefaultProject is a project's id or name, or "".
type UserSpec struct {
	Name, Password, DefaultProject, Email string
	Enabled                               bool
}

// RoleAssignment gives a user a role on a project.
type RoleAssignment struct {
	User    string `json:"user_id"`
	Project string `json:"project_id"`
	Role    string `json:"role"`
}

// newKeystoneID is a Keystone-shaped id: a UUID as 32 hex digits.
func newKeystoneID() string { return strings.ReplaceAll(uuid.NewString(), "-", "") }

// maxPassword is bcrypt's limit: it ignores (x/crypto refuses) anything
// past 72 bytes.
const maxPassword = 72

// HashPassword returns the bcrypt hash of password, refusing what bcrypt
// cannot hash whole.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", invalid("user", "A user needs a password")
	}
	if len(password) > maxPassword {
		return "", invalid("user", "A password is at most %d bytes long (bcrypt's limit); this one has %d", maxPassword, len(password))
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when the user does not exist, so that a
// wrong user name takes as long as a wrong password.
const dummyHash = "$2a$10$AJJWqNSCfBe5b0abrSWPsOOaDIL6rTghmeU38jQsOyVt.vdSLSi6e"

func validName(object, name string) error {
	if strings.TrimSpace(name) == "" {
		return invalid(object, "A %s needs a name", object)
	}
	if len(name) > 255 {
		return invalid(object, "A %s name is at most 255 characters long", object)
	}
	return nil
}

const qProjectByRef = `SELECT id, name, description, enabled, created_at FROM projects WHERE id = ? OR name = ?`

func scanProject(row interface{ Scan(...any) error }) (Project, error) {
	var p Project
	var created int64
	err := row.Scan(&p.ID, &p.Name, &p.Description, &p.Enabled, &created)
	p.CreatedAt = fromNanos(created)
	return p, err
}

func projectByRef(ctx context.Context, t *tx, ref string) (Project, error) {
	p, err := scanProject(t.queryRow(ctx, qProjectByRef, ref, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound("project "+ref, "Could not find project: %s", ref)
	}
	if err != nil {
		return p, fmt.Errorf("project %s: %w", ref, err)
	}
	return p, nil
}

// CreateProject stores a new project; its name is unique.
func (s *Store) CreateProject(ctx context.Context, spec ProjectSpec) (Project, error) {
	if err := validName("project", spec.Name); err != nil {
		return Project{}, err
	}
	p := Project{ID: spec.ID, Name: spec.Name, Description: spec.Description, Enabled: spec.Enabled}
	if p.ID == "" {
		p.ID = newKeystoneID()
	}
	err := s.write(ctx, func(t *tx) error {
		p.CreatedAt = t.now
		_, err := t.exec(ctx, `INSERT INTO projects (id, name, description, enabled, created_at) VALUES (?, ?, ?, ?, ?)`,
			p.ID, p.Name, p.Description, p.Enabled, nanos(t.now))
		if isUnique(err) {
			return conflict("project "+p.Name, "Conflict occurred attempting to store project - a project named %s already exists in domain %s", p.Name, DefaultDomainName)
		}
		if err != nil {
			return fmt.Errorf("create project %s: %w", p.Name, err)
		}
		return nil
	})
	return p, err
}

// Projects returns every project in name order.
func (s *Store) Projects(ctx context.Context) ([]Project, error) {
	var out []Project
	err := s.read(ctx, func(t *tx) error {
		rows, err := t.query(ctx, `SELECT id, name, description, enabled, created_at FROM projects ORDER BY name`)
		if err != nil {
			return fmt.Errorf("list projects: %w", err)
		}
		for rows.Next() {
			p, err := scanProject(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("list projects: %w", err)
			}
			out = append(out, p)
		}
		return closeRows(rows)
	})
	return out, err
}

// Project returns the project whose id or name is ref.
func (s *Store) Project(ctx context.Context, ref string) (Project, error) {
	var p Project
	err := s.read(ctx, func(t *tx) error {
		var err error
		p, err = projectByRef(ctx, t, ref)
		return err
	})
	return p, err
}

// DeleteProject deletes a project, its role assignments and the tokens
// scoped to it. Networks, subnets and ports it owns stay, as in Neutron
// when Keystone deletes a project: an admin cleans them up.
func (s *Store) DeleteProject(ctx context.Context, ref string) error {
	return s.write(ctx, func(t *tx) error {
		p, err := projectByRef(ctx, t, ref)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, `DELETE FROM tokens WHERE project = ?`, p.ID); err != nil {
			return fmt.Errorf("delete project %s: tokens: %w", p.Name, err)
		}
		if _, err := t.exec(ctx, `DELETE FROM projects WHERE id = ?`, p.ID); err != nil {
			return fmt.Errorf("delete project %s: %w", p.Name, err)
		}
		return nil
	})
}

const qUserByRef = `SELECT id, name, password_hash, COALESCE(default_project_id, ''), email, enabled, created_at
	FROM users WHERE id = ? OR name = ?`

func userByRef(ctx context.Context, t *tx, ref string) (User, string, error) {
	var u User
	var hash string
	var created int64
	err := t.queryRow(ctx, qUserByRef, ref, ref).Scan(&u.ID, &u.Name, &hash, &u.DefaultProject, &u.Email, &u.Enabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return u, "", notFound("user "+ref, "Could not find user: %s", ref)
	}
	if err != nil {
		return u, "", fmt.Errorf("user %s: %w", ref, err)
	}
	u.CreatedAt = fromNanos(created)
	return u, hash, nil
}

// CreateUser stores a new user with the bcrypt hash of its password; its
// name is unique.
func (s *Store) CreateUser(ctx context.Context, spec UserSpec) (User, error) {
	if err := validName("user", spec.Name); err != nil {
		return User{}, err
	}
	// Hashed before the transaction: bcrypt takes tens of milliseconds,
	// which the single SQLite writer should not wait for.
	hash, err := HashPassword(spec.Password)
	if err != nil {
		return User{}, err
	}
	u := User{ID: newKeystoneID(), Name: spec.Name, Email: spec.Email, Enabled: spec.Enabled}
	err = s.write(ctx, func(t *tx) error {
		u.CreatedAt = t.now
		var def sql.NullString
		if spec.DefaultProject != "" {
			p, err := projectByRef(ctx, t, spec.DefaultProject)
			if err != nil {
				return err
			}
			u.DefaultProject = p.ID
			def = sql.NullString{String: p.ID, Valid: true}
		}
		_, err := t.exec(ctx, `INSERT INTO users (id, name, password_hash, default_project_id, email, enabled, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, u.ID, u.Name, hash, def, u.Email, u.Enabled, nanos(t.now))
		if isUnique(err) {
			return conflict("user "+u.Name, "Conflict occurred attempting to store user - a user named %s already exists in domain %s", u.Name, DefaultDomainName)
		}
		if err != nil {
			return fmt.Errorf("create user %s: %w", u.Name, err)
		}
		return nil
	})
	return u, err
}

// SetPassword replaces the password of the user whose id or name is ref
// and revokes the user's tokens, as Keystone does.
func (s *Store) SetPassword(ctx context.Context, ref, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		u, _, err := userByRef(ctx, t, ref)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, u.ID); err != nil {
			return fmt.Errorf("set password of user %s: %w", u.Name, err)
		}
		if _, err := t.exec(ctx, `DELETE FROM tokens WHERE user_id = ?`, u.ID); err != nil {
			return fmt.Errorf("set password of user %s: revoke tokens: %w", u.Name, err)
		}
		return nil
	})
}

// Users returns every user in name order.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	var out []User
	err := s.read(ctx, func(t *tx) error {
		rows, err := t.query(ctx, `SELECT id, name, COALESCE(default_project_id, ''), email, enabled, created_at FROM users ORDER BY name`)
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		for rows.Next() {
			var u User
			var created int64
			if err := rows.Scan(&u.ID, &u.Name, &u.DefaultProject, &u.Email, &u.Enabled, &created); err != nil {
				rows.Close()
				return fmt.Errorf("list users: %w", err)
			}
			u.CreatedAt = fromNanos(created)
			out = append(out, u)
		}
		return closeRows(rows)
	})
	return out, err
}

// User returns the user whose id or name is ref.
func (s *Store) User(ctx context.Context, ref string) (User, error) {
	var u User
	err := s.read(ctx, func(t *tx) error {
		var err error
		u, _, err = userByRef(ctx, t, ref)
		return err
	})
	return u, err
}

// DeleteUser deletes a user, its role assignments and its tokens.
func (s *Store) DeleteUser(ctx context.Context, ref string) error {
	return s.write(ctx, func(t *tx) error {
		u, _, err := userByRef(ctx, t, ref)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, `DELETE FROM tokens WHERE user_id = ?`, u.ID); err != nil {
			return fmt.Errorf("delete user %s: tokens: %w", u.Name, err)
		}
		if _, err := t.exec(ctx, `DELETE FROM users WHERE id = ?`, u.ID); err != nil {
			return fmt.Errorf("delete user %s: %w", u.Name, err)
		}
		return nil
	})
}

// CheckPassword returns the enabled user whose id or name is ref if
// password is its password. Anything else, an unknown user included, is
// one model.ErrForbidden error that does not say which part was wrong.
func (s *Store) CheckPassword(ctx context.Context, ref, password string) (User, error) {
	var u User
	var hash string
	err := s.read(ctx, func(t *tx) error {
		var err error
		u, hash, err = userByRef(ctx, t, ref)
		return err
	})
	refused := &model.Error{Code: model.ErrForbidden, Object: "user " + ref, Msg: "The request you have made requires authentication."}
	if model.CodeOf(err) == model.ErrNotFound {
		bcrypt.CompareHashAndPassword([]byte(dummyHash), []byte(password))
		return User{}, refused
	}
	if err != nil {
		return User{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || !u.Enabled {
		return User{}, refused
	}
	return u, nil
}

func checkRole(role string) error {
	if !slices.Contains(AssignableRoles(), role) {
		return notFound("role "+role, "Could not find role: %s (the roles are %s)", role, strings.Join(AssignableRoles(), ", "))
	}
	return nil
}

// writeAssignment runs fn in a write transaction on the user (id or name)
// and project (id or name) of a role assignment, once role is known.
func (s *Store) writeAssignment(ctx context.Context, user, project, role string, fn func(t *tx, u User, p Project) error) error {
	if err := checkRole(role); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		u, _, err := userByRef(ctx, t, user)
		if err != nil {
			return err
		}
		p, err := projectByRef(ctx, t, project)
		if err != nil {
			return err
		}
		return fn(t, u, p)
	})
}

// AssignRole gives the user (id or name) role on the project (id or name);
// giving it again changes nothing.
func (s *Store) AssignRole(ctx context.Context, user, project, role string) error {
	return s.writeAssignment(ctx, user, project, role, func(t *tx, u User, p Project) error {
		var n int
		if err := t.queryRow(ctx, `SELECT COUNT(*) FROM role_assignments WHERE user_id = ? AND project_id = ? AND role = ?`,
			u.ID, p.ID, role).Scan(&n); err != nil {
			return fmt.Errorf("assign role %s: %w", role, err)
		}
		if n > 0 {
			return nil
		}
		if _, err := t.exec(ctx, `INSERT INTO role_assignments (user_id, project_id, role) VALUES (?, ?, ?)`, u.ID, p.ID, role); err != nil {
			return fmt.Errorf("assign role %s to user %s on project %s: %w", role, u.Name, p.Name, err)
		}
		return nil
	})
}

// UnassignRole takes role away from the user on the project and revokes
// the user's tokens on that project, which carry the role.
func (s *Store) UnassignRole(ctx context.Context, user, project, role string) error {
	return s.writeAssignment(ctx, user, project, role, func(t *tx, u User, p Project) error {
		res, err := t.exec(ctx, `DELETE FROM role_assignments WHERE user_id = ? AND project_id = ? AND role = ?`, u.ID, p.ID, role)
		if err != nil {
			return fmt.Errorf("unassign role %s: %w", role, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("unassign role %s: %w", role, err)
		} else if n == 0 {
			return notFound("role assignment", "Could not find role assignment: user %s has no role %s on project %s", u.Name, role, p.Name)
		}
		if _, err := t.exec(ctx, `DELETE FROM tokens WHERE user_id = ? AND project = ?`, u.ID, p.ID); err != nil {
			return fmt.Errorf("unassign role %s: revoke tokens: %w", role, err)
		}
		return nil
	})
}

// RoleAssignments lists assignments, filtered by user and project ids
// when they are not "".
func (s *Store) RoleAssignments(ctx context.Context, user, project string) ([]RoleAssignment, error) {
	var out []RoleAssignment
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = roleAssignments(ctx, t, user, project)
		return err
	})
	return out, err
}

const qRoleAssignments = `SELECT user_id, project_id, role FROM role_assignments
	WHERE (? = '' OR user_id = ?) AND (? = '' OR project_id = ?) ORDER BY user_id, project_id, role`

func roleAssignments(ctx context.Context, t *tx, user, project string) ([]RoleAssignment, error) {
	rows, err := t.query(ctx, qRoleAssignments, user, user, project, project)
	if err != nil {
		return nil, fmt.Errorf("list role assignments: %w", err)
	}
	var out []RoleAssignment
	for rows.Next() {
		var a RoleAssignment
		if err := rows.Scan(&a.User, &a.Project, &a.Role); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list role assignments: %w", err)
		}
		out = append(out, a)
	}
	return out, closeRows(rows)
}

// IssueUserToken stores a token with secret for the user (an id) scoped to
// the project (an id), carrying the user's roles on it read in the same
// transaction. A disabled user or project, or no role on the project, is a
// model.ErrForbidden error.
func (s *Store) IssueUserToken(ctx context.Context, secret, user, project string, methods []string, ttl time.Duration) (Token, error) {
	if len(secret) < 16 {
		return Token{}, invalid("token", "A token secret must be at least 16 characters long")
	}
	var tok Token
	err := s.write(ctx, func(t *tx) error {
		u, _, err := userByRef(ctx, t, user)
		if err != nil {
			return err
		}
		p, err := projectByRef(ctx, t, project)
		if err != nil {
			return err
		}
		if !u.Enabled || !p.Enabled {
			return &model.Error{Code: model.ErrForbidden, Object: "user " + u.Name,
				Msg: fmt.Sprintf("User %s or project %s is disabled", u.ID, p.ID)}
		}
		as, err := roleAssignments(ctx, t, u.ID, p.ID)
		if err != nil {
			return err
		}
		if len(as) == 0 {
			return &model.Error{Code: model.ErrForbidden, Object: "user " + u.Name,
				Msg: fmt.Sprintf("User %s has no access to project %s", u.ID, p.ID)}
		}
		var roles []string
		for _, a := range as {
			roles = append(roles, a.Role)
		}
		tok, err = insertToken(ctx, t, secret, TokenSpec{Project: p.ID, Roles: roles, User: u.ID, Methods: methods, TTL: ttl})
		return err
	})
	return tok, err
}
