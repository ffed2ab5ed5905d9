package client

import (
	"context"
)

// The identity's administration, over its Keystone v3 routes under
// /identity (the one path for users, projects and roles: the openstack CLI
// and tempest use the same routes).

// Project is a Keystone project as the identity returns it.
type Project struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	DomainID    string `json:"domain_id"`
	Enabled     bool   `json:"enabled"`
}

// User is a Keystone user as the identity returns it.
type User struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	DomainID         string `json:"domain_id"`
	DefaultProjectID string `json:"default_project_id,omitempty"`
	Email            string `json:"email,omitempty"`
	Enabled          bool   `json:"enabled"`
}

// RoleAssignment gives a user a role on a project.
type RoleAssignment struct {
	Role    string `json:"role"`
	User    string `json:"user_id"`
	Project string `json:"project_id"`
}

func kp(parts ...string) string { return escapedPath("/identity/v3", parts...) }

// Projects lists the identity's projects.
func (c *Client) Projects(ctx context.Context) ([]Project, error) {
	var out struct {
		Projects []Project `json:"projects"`
	}
	return out.Projects, c.do(ctx, "GET", kp("projects"), nil, &out)
}

// CreateProject creates a project in the default domain.
func (c *Client) CreateProject(ctx context.Context, name, description string) (Project, error) {
	in := map[string]any{"project": map[string]any{"name": name, "description": description, "domain_id": "default", "enabled": true}}
	var out struct {
		Project Project `json:"project"`
	}
	return out.Project, c.do(ctx, "POST", kp("projects"), in, &out)
}

// DeleteProject deletes a project by id or name.
func (c *Client) DeleteProject(ctx context.Context, ref string) error {
	return c.do(ctx, "DELETE", kp("projects", ref), nil, nil)
}

// Users lists the identity's users.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	var out struct {
		Users []User `json:"users"`
	}
	return out.Users, c.do(ctx, "GET", kp("users"), nil, &out)
}

// CreateUser creates a user in the default domain; project, when not "",
// is its default project (an id or a name).
func (c *Client) CreateUser(ctx context.Context, name, password, project, email string) (User, error) {
	u := map[string]any{"name": name, "password": password, "domain_id": "default", "enabled": true}
	if project != "" {
		u["default_project_id"] = project
	}
	if email != "" {
		u["email"] = email
	}
	var out struct {
		User User `json:"user"`
	}
	return out.User, c.do(ctx, "POST", kp("users"), map[string]any{"user": u}, &out)
}

// DeleteUser deletes a user by id or name.
func (c *Client) DeleteUser(ctx context.Context, ref string) error {
	return c.do(ctx, "DELETE", kp("users", ref), nil, nil)
}

// AddRole gives user (id or name) role on project (id or name).
func (c *Client) AddRole(ctx context.Context, user, project, role string) error {
	return c.do(ctx, "PUT", kp("projects", project, "users", user, "roles", role), nil, nil)
}

// RemoveRole takes role on project away from user.
func (c *Client) RemoveRole(ctx context.Context, user, project, role string) error {
	return c.do(ctx, "DELETE", kp("projects", project, "users", user, "roles", role), nil, nil)
}

// RoleAssignments lists every role assignment.
func (c *Client) RoleAssignments(ctx context.Context) ([]RoleAssignment, error) {
	var out struct {
		Assignments []struct {
			Role  struct{ ID string } `json:"role"`
			User  struct{ ID string } `json:"user"`
			Scope struct {
				Project struct{ ID string } `json:"project"`
			} `json:"scope"`
		} `json:"role_assignments"`
	}
	if err := c.do(ctx, "GET", kp("role_assignments"), nil, &out); err != nil {
		return nil, err
	}
	var as []RoleAssignment
	for _, a := range out.Assignments {
		as = append(as, RoleAssignment{Role: a.Role.ID, User: a.User.ID, Project: a.Scope.Project.ID})
	}
	return as, nil
}
