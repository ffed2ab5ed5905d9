package keystoneapi

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"vfnet/internal/model"
	"vfnet/internal/store"
)

// The administration routes tempest's dynamic credentials use, and the
// openstack CLI's user, project and role verbs: one domain, the fixed roles
// of the store.

func nonNil(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func (h *Handler) listLinks(r *http.Request) map[string]any {
	u := h.base(r) + r.URL.Path
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return map[string]any{"self": u, "previous": nil, "next": nil}
}

func (h *Handler) self(r *http.Request, coll, id string) map[string]string {
	return map[string]string{"self": h.v3URL(r) + "/" + coll + "/" + url.PathEscape(id)}
}

// matches applies Keystone's list filters that clients send: name and
// domain_id (only the default domain holds anything) and enabled.
func matches(q url.Values, name string, enabled bool) bool {
	if n, ok := q["name"]; ok && !slices.Contains(n, name) {
		return false
	}
	if d := q.Get("domain_id"); d != "" && d != store.DefaultDomainID {
		return false
	}
	if e := q.Get("enabled"); e != "" && (strings.EqualFold(e, "true") || e == "1") != enabled {
		return false
	}
	return true
}

func (h *Handler) domainJSON(r *http.Request) map[string]any {
	return map[string]any{"id": store.DefaultDomainID, "name": store.DefaultDomainName,
		"description": "The default domain: vfnet's identity has no other", "enabled": true,
		"tags": []string{}, "options": map[string]any{}, "links": h.self(r, "domains", store.DefaultDomainID)}
}

func (h *Handler) listDomains(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var out []any
	if matches(r.URL.Query(), store.DefaultDomainName, true) {
		out = append(out, h.domainJSON(r))
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"domains": nonNil(out), "links": h.listLinks(r)})
	return nil
}

func (h *Handler) showDomain(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	if id := r.PathValue("id"); id != store.DefaultDomainID {
		return &Error{Code: http.StatusNotFound, Message: "Could not find domain: " + id + " (vfnet has one domain, default)"}
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"domain": h.domainJSON(r)})
	return nil
}

func (h *Handler) projectJSON(r *http.Request, p store.Project) map[string]any {
	return map[string]any{"id": p.ID, "name": p.Name, "description": p.Description, "enabled": p.Enabled,
		"domain_id": store.DefaultDomainID, "parent_id": store.DefaultDomainID, "is_domain": false,
		"tags": []string{}, "options": map[string]any{}, "links": h.self(r, "projects", p.ID)}
}

func (h *Handler) listProjects(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	ps, err := h.store.Projects(r.Context())
	if err != nil {
		return err
	}
	var out []any
	for _, p := range ps {
		if matches(r.URL.Query(), p.Name, p.Enabled) {
			out = append(out, h.projectJSON(r, p))
		}
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"projects": nonNil(out), "links": h.listLinks(r)})
	return nil
}

func (h *Handler) showProject(w http.ResponseWriter, r *http.Request, caller store.Token) error {
	id := r.PathValue("id")
	if !caller.HasRole(store.RoleAdmin) && id != caller.Project {
		return forbidden(r)
	}
	p, err := h.store.Project(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"project": h.projectJSON(r, p)})
	return nil
}

func (h *Handler) createProject(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var req struct {
		Project struct {
			Name        string `json:"name"`
			Description string `json:"description"`
			DomainID    string `json:"domain_id"`
			Enabled     *bool  `json:"enabled"`
			IsDomain    bool   `json:"is_domain"`
			ParentID    string `json:"parent_id"`
		} `json:"project"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	p := req.Project
	if p.DomainID != "" && p.DomainID != store.DefaultDomainID || p.ParentID != "" && p.ParentID != store.DefaultDomainID {
		return badRequest("vfnet has one domain, default, and no project hierarchy: drop domain_id and parent_id or give %q.", store.DefaultDomainID)
	}
	if p.IsDomain {
		return badRequest("vfnet has one domain, default: it cannot create another (is_domain).")
	}
	created, err := h.store.CreateProject(r.Context(), store.ProjectSpec{Name: p.Name, Description: p.Description,
		Enabled: p.Enabled == nil || *p.Enabled})
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusCreated, map[string]any{"project": h.projectJSON(r, created)})
	return nil
}

func (h *Handler) deleteProject(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	return deleteByID(w, r, h.store.DeleteProject)
}

// deleteByID is Keystone's DELETE of a project or user: the {id} of the
// route goes to del, and success is 204 with no body.
func deleteByID(w http.ResponseWriter, r *http.Request, del func(context.Context, string) error) error {
	if err := del(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) userJSON(r *http.Request, u store.User) map[string]any {
	m := map[string]any{"id": u.ID, "name": u.Name, "domain_id": store.DefaultDomainID, "enabled": u.Enabled,
		"password_expires_at": nil, "options": map[string]any{}, "links": h.self(r, "users", u.ID)}
	if u.DefaultProject != "" {
		m["default_project_id"] = u.DefaultProject
	}
	if u.Email != "" {
		m["email"] = u.Email
	}
	return m
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	us, err := h.store.Users(r.Context())
	if err != nil {
		return err
	}
	var out []any
	for _, u := range us {
		if matches(r.URL.Query(), u.Name, u.Enabled) {
			out = append(out, h.userJSON(r, u))
		}
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"users": nonNil(out), "links": h.listLinks(r)})
	return nil
}

func (h *Handler) showUser(w http.ResponseWriter, r *http.Request, caller store.Token) error {
	id := r.PathValue("id")
	if !caller.HasRole(store.RoleAdmin) && (caller.User == "" || id != caller.User) {
		return forbidden(r)
	}
	u, err := h.store.User(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"user": h.userJSON(r, u)})
	return nil
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var req struct {
		User struct {
			Name             string `json:"name"`
			Password         string `json:"password"`
			DomainID         string `json:"domain_id"`
			DefaultProjectID string `json:"default_project_id"`
			// tempest's v3 client sends project_id.
			ProjectID string `json:"project_id"`
			Email     string `json:"email"`
			Enabled   *bool  `json:"enabled"`
		} `json:"user"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	u := req.User
	if u.DomainID != "" && u.DomainID != store.DefaultDomainID {
		return badRequest("vfnet has one domain, default: drop domain_id or give %q.", store.DefaultDomainID)
	}
	def := u.DefaultProjectID
	if def == "" {
		def = u.ProjectID
	}
	created, err := h.store.CreateUser(r.Context(), store.UserSpec{Name: u.Name, Password: u.Password,
		DefaultProject: def, Email: u.Email, Enabled: u.Enabled == nil || *u.Enabled})
	if model.CodeOf(err) == model.ErrNotFound {
		return badRequest("%s", err.Error())
	}
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusCreated, map[string]any{"user": h.userJSON(r, created)})
	return nil
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	return deleteByID(w, r, h.store.DeleteUser)
}

// Roles are the store's fixed set; a role's id is its name.

func (h *Handler) roleJSON(r *http.Request, role string) map[string]any {
	return map[string]any{"id": role, "name": role, "domain_id": nil, "description": roleDescription(role),
		"options": map[string]any{}, "links": h.self(r, "roles", role)}
}

func roleDescription(role string) string {
	switch role {
	case store.RoleAdmin:
		return "Everything, in every project"
	case store.RoleMember:
		return "Networks, subnets and ports of the project"
	case store.RoleReader:
		return "Reads the project's objects"
	case store.RoleService:
		return "An external compute service: binds ports to hosts"
	}
	return ""
}

func (h *Handler) listRoles(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var out []any
	for _, role := range store.AssignableRoles() {
		if matches(r.URL.Query(), role, true) {
			out = append(out, h.roleJSON(r, role))
		}
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"roles": nonNil(out), "links": h.listLinks(r)})
	return nil
}

func (h *Handler) showRole(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	id := r.PathValue("id")
	if !slices.Contains(store.AssignableRoles(), id) {
		return &Error{Code: http.StatusNotFound, Message: "Could not find role: " + id}
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"role": h.roleJSON(r, id)})
	return nil
}

func (h *Handler) listAssignments(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	q := r.URL.Query()
	as, err := h.store.RoleAssignments(r.Context(), q.Get("user.id"), q.Get("scope.project.id"))
	if err != nil {
		return err
	}
	var out []any
	for _, a := range as {
		if role := q.Get("role.id"); role != "" && role != a.Role {
			continue
		}
		out = append(out, map[string]any{
			"role":  map[string]string{"id": a.Role},
			"user":  map[string]string{"id": a.User},
			"scope": map[string]any{"project": map[string]string{"id": a.Project}},
			"links": map[string]string{"assignment": h.v3URL(r) + "/projects/" + a.Project + "/users/" + a.User + "/roles/" + a.Role},
		})
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"role_assignments": nonNil(out), "links": h.listLinks(r)})
	return nil
}

// assignments resolves the {p} and {u} of a role route and reads the
// roles u holds on p.
func (h *Handler) assignments(r *http.Request) (store.Project, store.User, []store.RoleAssignment, error) {
	p, err := h.store.Project(r.Context(), r.PathValue("p"))
	if err != nil {
		return p, store.User{}, nil, err
	}
	u, err := h.store.User(r.Context(), r.PathValue("u"))
	if err != nil {
		return p, u, nil, err
	}
	as, err := h.store.RoleAssignments(r.Context(), u.ID, p.ID)
	return p, u, as, err
}

func (h *Handler) userRolesOnProject(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	_, _, as, err := h.assignments(r)
	if err != nil {
		return err
	}
	var out []any
	for _, a := range as {
		out = append(out, h.roleJSON(r, a.Role))
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"roles": nonNil(out), "links": h.listLinks(r)})
	return nil
}

func (h *Handler) assignRole(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	if err := h.store.AssignRole(r.Context(), r.PathValue("u"), r.PathValue("p"), r.PathValue("r")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) checkRole(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	p, u, as, err := h.assignments(r)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.Role == r.PathValue("r") {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	return &Error{Code: http.StatusNotFound, Message: "Could not find role assignment: user " + u.Name +
		" has no role " + r.PathValue("r") + " on project " + p.Name}
}

func (h *Handler) unassignRole(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	if err := h.store.UnassignRole(r.Context(), r.PathValue("u"), r.PathValue("p"), r.PathValue("r")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
