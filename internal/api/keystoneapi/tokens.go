package keystoneapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"vfnet/internal/model"
	"vfnet/internal/store"
)

// timeFormat is Keystone's: microseconds and Z. tempest parses expires_at
// with exactly this layout.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// domainRef names a domain by id or name; only the default one exists.
type domainRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// isDefault reports whether d (nil: not given) is the default domain.
func (d *domainRef) isDefault() bool {
	if d == nil {
		return true
	}
	if d.ID != "" {
		return d.ID == store.DefaultDomainID
	}
	return d.Name == "" || strings.EqualFold(d.Name, store.DefaultDomainName)
}

type authRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User struct {
					ID       string     `json:"id"`
					Name     string     `json:"name"`
					Domain   *domainRef `json:"domain"`
					Password string     `json:"password"`
				} `json:"user"`
			} `json:"password"`
			Token *struct {
				ID string `json:"id"`
			} `json:"token"`
		} `json:"identity"`
		// Scope is an object, or the string "unscoped".
		Scope json.RawMessage `json:"scope"`
	} `json:"auth"`
}

type scope struct {
	Project *struct {
		ID     string     `json:"id"`
		Name   string     `json:"name"`
		Domain *domainRef `json:"domain"`
	} `json:"project"`
	Domain json.RawMessage `json:"domain"`
	System json.RawMessage `json:"system"`
}

// issueToken is POST /v3/auth/tokens: password or token method, scoped to
// a project. vfnet issues project-scoped tokens only, since every vfnet
// object belongs to a project; without a scope the token is scoped to the
// user's default project.
func (h *Handler) issueToken(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var req authRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	id := req.Auth.Identity
	ctx := r.Context()
	var user store.User
	methods := id.Methods
	var ttl time.Duration
	switch {
	case slices.Contains(id.Methods, "password") && id.Password != nil:
		pu := id.Password.User
		if !pu.Domain.isDefault() {
			return unauthorized("The request you have made requires authentication: vfnet has one domain, Default.")
		}
		ref := pu.ID
		if ref == "" {
			ref = pu.Name
		}
		if ref == "" {
			return badRequest("Expecting to find id or name in user - the server could not comply with the request since it is either malformed or otherwise incorrect.")
		}
		u, err := h.store.CheckPassword(ctx, ref, pu.Password)
		if model.CodeOf(err) == model.ErrForbidden {
			return unauthorized("The request you have made requires authentication.")
		}
		if err != nil {
			return err
		}
		user, methods, ttl = u, []string{"password"}, h.ttl
	case slices.Contains(id.Methods, "token") && id.Token != nil:
		old, err := h.store.Authenticate(ctx, id.Token.ID)
		if model.CodeOf(err) == model.ErrNotFound {
			return unauthorized("The request you have made requires authentication: the token is unknown, expired or revoked.")
		}
		if err != nil {
			return err
		}
		if old.User == "" {
			return unauthorized("The request you have made requires authentication: this token was not issued to a user (vfnet token create); log in with a password.")
		}
		if user, err = h.store.User(ctx, old.User); err != nil {
			return unauthorized("The request you have made requires authentication: the token's user is gone.")
		}
		// A token cannot outlive the one it was exchanged for.
		methods = old.Methods
		if !slices.Contains(methods, "token") {
			methods = append([]string{"token"}, methods...)
		}
		ttl = h.ttl
		if old.ExpiresAt != nil {
			ttl = min(ttl, old.ExpiresAt.Sub(h.now()))
		}
		if ttl <= 0 {
			return unauthorized("The request you have made requires authentication: the token has expired.")
		}
	default:
		return badRequest("vfnet's identity takes the password and token auth methods: give auth.identity.methods [\"password\"] with auth.identity.password, or [\"token\"] with auth.identity.token.")
	}
	project, err := h.scopeProject(r, req.Auth.Scope, user)
	if err != nil {
		return err
	}
	secret := store.NewTokenSecret()
	tok, err := h.store.IssueUserToken(ctx, secret, user.ID, project.ID, methods, ttl)
	if model.CodeOf(err) == model.ErrForbidden {
		return unauthorized("The request you have made requires authentication: " + err.Error() + ".")
	}
	if err != nil {
		return err
	}
	w.Header().Set(SubjectTokenHeader, secret)
	writeJSON(w, r, http.StatusCreated, h.tokenBody(r, tok, user, project))
	return nil
}

// scopeProject finds the project a new token is scoped to.
func (h *Handler) scopeProject(r *http.Request, raw json.RawMessage, user store.User) (store.Project, error) {
	var sc scope
	if len(raw) > 0 && string(raw) != "null" && string(raw) != `"unscoped"` {
		if err := json.Unmarshal(raw, &sc); err != nil {
			return store.Project{}, badRequest("auth.scope is not valid: %v", err)
		}
	}
	if sc.Domain != nil || sc.System != nil {
		return store.Project{}, badRequest("vfnet issues project-scoped tokens only: give auth.scope.project (by id, or by name and domain).")
	}
	ref := user.DefaultProject
	if p := sc.Project; p != nil {
		ref = p.ID
		if ref == "" {
			if !p.Domain.isDefault() {
				return store.Project{}, unauthorized("The request you have made requires authentication: vfnet has one domain, Default.")
			}
			ref = p.Name
		}
	}
	if ref == "" {
		return store.Project{}, badRequest("vfnet issues project-scoped tokens only, and user %s has no default project: give auth.scope.project (by id, or by name and domain).", user.Name)
	}
	p, err := h.store.Project(r.Context(), ref)
	if model.CodeOf(err) == model.ErrNotFound {
		return p, unauthorized("The request you have made requires authentication: no project " + ref + " that the user may use.")
	}
	return p, err
}

// validateToken is GET and HEAD /v3/auth/tokens: an admin or service
// token may validate any token, any token itself.
func (h *Handler) validateToken(w http.ResponseWriter, r *http.Request, caller store.Token) error {
	subject := r.Header.Get(SubjectTokenHeader)
	if subject == "" {
		return badRequest("Give the token to validate in the %s header.", SubjectTokenHeader)
	}
	if !caller.HasRole(store.RoleAdmin) && !caller.HasRole(store.RoleService) && subject != r.Header.Get(TokenHeader) {
		return forbidden(r)
	}
	tok, err := h.store.Authenticate(r.Context(), subject)
	if model.CodeOf(err) == model.ErrNotFound {
		return &Error{Code: http.StatusNotFound, Message: "Could not find token: the token is unknown, expired or revoked."}
	}
	if err != nil {
		return err
	}
	var user store.User
	if tok.User != "" {
		if user, err = h.store.User(r.Context(), tok.User); err != nil {
			return err
		}
	}
	project, err := h.store.Project(r.Context(), tok.Project)
	if model.CodeOf(err) == model.ErrNotFound {
		// A token of `vfnet token create` may name a project that the
		// identity does not hold.
		project = store.Project{ID: tok.Project, Name: tok.Project, Enabled: true}
	} else if err != nil {
		return err
	}
	body := h.tokenBody(r, tok, user, project)
	if _, ok := r.URL.Query()["nocatalog"]; ok {
		delete(body["token"].(map[string]any), "catalog")
	}
	w.Header().Set(SubjectTokenHeader, subject)
	writeJSON(w, r, http.StatusOK, body)
	return nil
}

// revokeToken is DELETE /v3/auth/tokens: the token stops working at once.
func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request, caller store.Token) error {
	subject := r.Header.Get(SubjectTokenHeader)
	if subject == "" {
		return badRequest("Give the token to revoke in the %s header.", SubjectTokenHeader)
	}
	if !caller.HasRole(store.RoleAdmin) && subject != r.Header.Get(TokenHeader) {
		return forbidden(r)
	}
	err := h.store.RevokeToken(r.Context(), subject)
	if model.CodeOf(err) == model.ErrNotFound {
		return &Error{Code: http.StatusNotFound, Message: "Could not find token: the token is unknown, expired or revoked."}
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// authProjects is GET /v3/auth/projects: the projects the caller's user
// has a role on.
func (h *Handler) authProjects(w http.ResponseWriter, r *http.Request, caller store.Token) error {
	var out []any
	if caller.User != "" {
		as, err := h.store.RoleAssignments(r.Context(), caller.User, "")
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, a := range as {
			if seen[a.Project] {
				continue
			}
			seen[a.Project] = true
			p, err := h.store.Project(r.Context(), a.Project)
			if err != nil {
				return err
			}
			out = append(out, h.projectJSON(r, p))
		}
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"projects": nonNil(out), "links": h.listLinks(r)})
	return nil
}

func defaultDomain() map[string]string {
	return map[string]string{"id": store.DefaultDomainID, "name": store.DefaultDomainName}
}

// tokenBody is Keystone's token: user, project, roles, times and the
// catalog.
func (h *Handler) tokenBody(r *http.Request, tok store.Token, user store.User, project store.Project) map[string]any {
	roles := []map[string]string{}
	for _, role := range tok.Roles {
		roles = append(roles, map[string]string{"id": role, "name": role})
	}
	methods := tok.Methods
	if len(methods) == 0 {
		methods = []string{"token"}
	}
	t := map[string]any{
		"methods":   methods,
		"audit_ids": []string{tok.ID},
		"issued_at": tok.CreatedAt.UTC().Format(timeFormat),
		"user": map[string]any{"id": user.ID, "name": user.Name, "domain": defaultDomain(),
			"password_expires_at": nil},
		"project":   map[string]any{"id": project.ID, "name": project.Name, "domain": defaultDomain()},
		"is_domain": false,
		"roles":     roles,
		"catalog":   h.catalog(r),
	}
	if tok.ExpiresAt != nil {
		t["expires_at"] = tok.ExpiresAt.UTC().Format(timeFormat)
	} else {
		// The bootstrap admin token never expires; Keystone has no such
		// token, and clients expect a time: a year on.
		t["expires_at"] = h.now().AddDate(1, 0, 0).UTC().Format(timeFormat)
	}
	return map[string]any{"token": t}
}

// catalog lists vfnet's two services, network (the server's root: clients
// append /v2.0) and identity, each at the public, internal and admin
// interfaces of the region.
func (h *Handler) catalog(r *http.Request) []any {
	service := func(typ, name, url string) map[string]any {
		var eps []map[string]string
		for _, iface := range []string{"public", "internal", "admin"} {
			eps = append(eps, map[string]string{"id": "vfnet-" + typ + "-" + iface, "interface": iface,
				"region": h.region, "region_id": h.region, "url": url})
		}
		return map[string]any{"id": "vfnet-" + typ, "type": typ, "name": name, "endpoints": eps}
	}
	return []any{
		service("network", "neutron", h.base(r)),
		service("identity", "keystone", h.v3URL(r)),
	}
}
