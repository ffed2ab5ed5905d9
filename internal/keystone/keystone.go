// Package keystone validates tokens at an external OpenStack Keystone, as
// keystonemiddleware does for the OpenStack services: GET /v3/auth/tokens
// with the service's own token in X-Auth-Token and the user's in
// X-Subject-Token, the answer cached for a short time. It maps the token's
// project and roles onto a store.Token, so that vfnet's /v2.0 API treats a
// Keystone user as one of its own.
package keystone

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"vfnet/internal/model"
	"vfnet/internal/store"
)

// Config is where Keystone is and how vfnet logs in to it.
type Config struct {
	// URL is Keystone's v3 endpoint, e.g. http://keystone:5000/v3.
	URL string
	// User, Password and Project are the service credentials vfnet
	// validates tokens with (a user with the admin or service role, as
	// keystonemiddleware's); UserDomain and ProjectDomain default to
	// Default.
	User, Password, Project   string
	UserDomain, ProjectDomain string
	// CacheTTL is how long a validated token is trusted without asking
	// again: a revoked token keeps working at most that long. Default
	// DefaultCacheTTL.
	CacheTTL time.Duration
	HTTP     *http.Client
	Log      *slog.Logger
	// Now is the cache's clock; nil is time.Now.
	Now func() time.Time
}

// DefaultCacheTTL is how long a validation is cached.
const DefaultCacheTTL = 30 * time.Second

// maxCached bounds the cache; past it, expired entries go, then everything.
const maxCached = 10000

// Validator validates tokens at Keystone. It is safe for concurrent use.
type Validator struct {
	cfg Config

	mu      sync.Mutex
	service string    // the service token
	until   time.Time // when to log in again
	cache   map[[32]byte]cached
}

type cached struct {
	tok   store.Token
	until time.Time
}

// New returns a validator; it logs in to Keystone at its first use.
func New(cfg Config) (*Validator, error) {
	if cfg.URL == "" || cfg.User == "" || cfg.Password == "" || cfg.Project == "" {
		return nil, errors.New("keystone: give its v3 URL and vfnet's service credentials (--keystone-url, --keystone-user, --keystone-password, --keystone-project)")
	}
	cfg.URL = strings.TrimSuffix(cfg.URL, "/")
	if cfg.UserDomain == "" {
		cfg.UserDomain = "Default"
	}
	if cfg.ProjectDomain == "" {
		cfg.ProjectDomain = "Default"
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Validator{cfg: cfg, cache: map[[32]byte]cached{}}, nil
}

// URL is Keystone's v3 endpoint.
func (v *Validator) URL() string { return v.cfg.URL }

// Validate returns the token whose secret is subject as vfnet sees it: the
// Keystone project's id, the roles vfnet knows (admin, member, reader,
// service; Keystone's legacy _member_ is member), the user's id. A token
// Keystone does not know, or that has expired or been revoked, is a
// model.ErrNotFound error.
func (v *Validator) Validate(ctx context.Context, subject string) (store.Token, error) {
	key := sha256.Sum256([]byte(subject))
	now := v.cfg.Now()
	v.mu.Lock()
	c, ok := v.cache[key]
	v.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.tok, nil
	}
	tok, err := v.validate(ctx, subject)
	if err != nil {
		return tok, err
	}
	until := now.Add(v.cfg.CacheTTL)
	if tok.ExpiresAt != nil && tok.ExpiresAt.Before(until) {
		until = *tok.ExpiresAt
	}
	v.mu.Lock()
	if len(v.cache) >= maxCached {
		for k, c := range v.cache {
			if !now.Before(c.until) {
				delete(v.cache, k)
			}
		}
		if len(v.cache) >= maxCached {
			clear(v.cache)
		}
	}
	v.cache[key] = cached{tok: tok, until: until}
	v.mu.Unlock()
	return tok, nil
}

func (v *Validator) validate(ctx context.Context, subject string) (store.Token, error) {
	for attempt := 0; ; attempt++ {
		service, err := v.serviceToken(ctx, attempt > 0)
		if err != nil {
			return store.Token{}, err
		}
		req, err := http.NewRequestWithContext(ctx, "GET", v.cfg.URL+"/auth/tokens?nocatalog", nil)
		if err != nil {
			return store.Token{}, fmt.Errorf("keystone: validate token: %w", err)
		}
		req.Header.Set("X-Auth-Token", service)
		req.Header.Set("X-Subject-Token", subject)
		resp, err := v.cfg.HTTP.Do(req)
		if err != nil {
			return store.Token{}, fmt.Errorf("keystone: validate token at %s: %w", v.cfg.URL, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return store.Token{}, fmt.Errorf("keystone: validate token: %w", err)
		}
		switch {
		case resp.StatusCode == http.StatusOK:
			return parseToken(body)
		case resp.StatusCode == http.StatusNotFound:
			return store.Token{}, &model.Error{Code: model.ErrNotFound, Object: "token", Msg: "Keystone does not know the token, or it has expired or been revoked"}
		case resp.StatusCode == http.StatusUnauthorized && attempt == 0:
			// The service token expired or was revoked: log in again, once.
			continue
		}
		return store.Token{}, fmt.Errorf("keystone: validate token at %s: %s: %.300s", v.cfg.URL, resp.Status, body)
	}
}

// tokenBody is the part of Keystone's token that vfnet reads.
type tokenBody struct {
	Token struct {
		ExpiresAt string `json:"expires_at"`
		IssuedAt  string `json:"issued_at"`
		Methods   []string
		User      struct{ ID string }     `json:"user"`
		Project   *struct{ ID string }    `json:"project"`
		Roles     []struct{ Name string } `json:"roles"`
		AuditIDs  []string                `json:"audit_ids"`
	} `json:"token"`
}

// parseToken maps Keystone's token onto vfnet's.
func parseToken(body []byte) (store.Token, error) {
	var b tokenBody
	if err := json.Unmarshal(body, &b); err != nil {
		return store.Token{}, fmt.Errorf("keystone: token body: %w", err)
	}
	t := b.Token
	if t.Project == nil || t.Project.ID == "" {
		// Domain- and system-scoped tokens own no networks.
		return store.Token{}, &model.Error{Code: model.ErrNotFound, Object: "token",
			Msg: "The token is not scoped to a project: vfnet needs a project-scoped token"}
	}
	tok := store.Token{Project: t.Project.ID, User: t.User.ID, Methods: t.Methods, Roles: MapRoles(t.Roles)}
	if len(t.AuditIDs) > 0 {
		tok.ID = t.AuditIDs[0]
	}
	if issued, err := parseTime(t.IssuedAt); err == nil {
		tok.CreatedAt = issued
	}
	if exp, err := parseTime(t.ExpiresAt); err == nil {
		tok.ExpiresAt = &exp
	} else if t.ExpiresAt != "" {
		return store.Token{}, fmt.Errorf("keystone: token expires_at %q: %w", t.ExpiresAt, err)
	}
	return tok, nil
}

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// MapRoles keeps the role names vfnet knows; Keystone's legacy _member_ is
// member. A token with none of them gets a 403 from /v2.0.
func MapRoles(roles []struct{ Name string }) []string {
	var out []string
	for _, r := range roles {
		name := strings.ToLower(r.Name)
		if name == "_member_" {
			name = store.RoleMember
		}
		switch name {
		case store.RoleAdmin, store.RoleMember, store.RoleReader, store.RoleService:
			out = append(out, name)
		}
	}
	return out
}

// serviceToken returns vfnet's own token at Keystone, logging in when it
// has none, when it is about to expire, or when renew says Keystone
// refused it.
func (v *Validator) serviceToken(ctx context.Context, renew bool) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !renew && v.service != "" && v.cfg.Now().Before(v.until) {
		return v.service, nil
	}
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": v.cfg.User, "password": v.cfg.Password, "domain": map[string]string{"name": v.cfg.UserDomain}}}},
		"scope": map[string]any{"project": map[string]any{"name": v.cfg.Project, "domain": map[string]string{"name": v.cfg.ProjectDomain}}},
	}})
	req, err := http.NewRequestWithContext(ctx, "POST", v.cfg.URL+"/auth/tokens?nocatalog", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("keystone: log in: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := v.cfg.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("keystone: log in to %s as %s: %w", v.cfg.URL, v.cfg.User, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("keystone: log in to %s as %s in project %s: %s: %.300s (check --keystone-user, --keystone-password, --keystone-project)",
			v.cfg.URL, v.cfg.User, v.cfg.Project, resp.Status, raw)
	}
	tok, err := parseToken(raw)
	if err != nil {
		return "", err
	}
	v.service = resp.Header.Get("X-Subject-Token")
	// Log in again a minute before it expires, or in an hour at most.
	v.until = v.cfg.Now().Add(time.Hour)
	if tok.ExpiresAt != nil && tok.ExpiresAt.Add(-time.Minute).Before(v.until) {
		v.until = tok.ExpiresAt.Add(-time.Minute)
	}
	v.cfg.Log.InfoContext(ctx, "keystone: logged in", "url", v.cfg.URL, "user", v.cfg.User, "project", v.cfg.Project)
	return v.service, nil
}
