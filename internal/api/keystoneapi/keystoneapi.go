// Package keystoneapi serves vfnet's own identity: the part of OpenStack
// Identity (Keystone) v3 that clients log in with (version discovery,
// password and token authentication scoped to a project, token validation
// and revocation) and that tempest's dynamic credentials administer
// (projects, users, roles and their assignments), over the store's users,
// projects, role assignments and tokens.
//
// It is mounted under a prefix (/identity on the vfnet server, so that / stays
// Neutron's version list): the auth_url of a clouds.yaml is
// http://host:port/identity/v3, or http://host:port/identity for
// keystoneauth's discovery. There is one domain, Keystone's default
// ("Default"); docs/identity.md says what else differs from Keystone.
package keystoneapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"vfnet/internal/api"
	"vfnet/internal/model"
	"vfnet/internal/store"
)

// Store is what the identity API needs of the store; *store.Store is the
// one implementation.
type Store interface {
	Authenticate(ctx context.Context, secret string) (store.Token, error)
	RevokeToken(ctx context.Context, secret string) error
	CheckPassword(ctx context.Context, ref, password string) (store.User, error)
	IssueUserToken(ctx context.Context, secret, user, project string, methods []string, ttl time.Duration) (store.Token, error)

	Users(ctx context.Context) ([]store.User, error)
	User(ctx context.Context, ref string) (store.User, error)
	CreateUser(ctx context.Context, spec store.UserSpec) (store.User, error)
	DeleteUser(ctx context.Context, ref string) error

	Projects(ctx context.Context) ([]store.Project, error)
	Project(ctx context.Context, ref string) (store.Project, error)
	CreateProject(ctx context.Context, spec store.ProjectSpec) (store.Project, error)
	DeleteProject(ctx context.Context, ref string) error

	AssignRole(ctx context.Context, user, project, role string) error
	UnassignRole(ctx context.Context, user, project, role string) error
	RoleAssignments(ctx context.Context, user, project string) ([]store.RoleAssignment, error)
}

// Options configure a Handler.
type Options struct {
	Store Store
	// Log receives refusals (info) and failures (error). Default: discard.
	Log *slog.Logger
	// Prefix is the path the handler is mounted at, e.g. "/identity"; it
	// serves Prefix/ and Prefix/v3/...
	Prefix string
	// PublicURL is the server's root URL as clients reach it, for the
	// catalog and links (http://vfnet.example:6385). "": the scheme and
	// Host of each request.
	PublicURL string
	// Region of the catalog's endpoints. Default RegionOne.
	Region string
	// TokenTTL is the lifetime of issued tokens. Default DefaultTokenTTL.
	TokenTTL time.Duration
	// Now is the clock, the store's; nil is time.Now.
	Now func() time.Time
}

// DefaultTokenTTL is Keystone's default token lifetime... doubled: Keystone
// says 1 h, but tempest and long CLI sessions are happier with more, and a
// token is revocable.
const DefaultTokenTTL = 12 * time.Hour

// Handler serves the identity API.
type Handler struct {
	store  Store
	log    *slog.Logger
	prefix string
	public string
	region string
	ttl    time.Duration
	now    func() time.Time
	mux    *http.ServeMux
	// recovered is mux answering a panic with Keystone's 500.
	recovered http.Handler
}

// New returns the identity handler.
func New(opts Options) *Handler {
	h := &Handler{store: opts.Store, log: opts.Log, prefix: strings.TrimSuffix(opts.Prefix, "/"),
		public: strings.TrimSuffix(opts.PublicURL, "/"), region: opts.Region, ttl: opts.TokenTTL, now: opts.Now, mux: http.NewServeMux()}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.region == "" {
		h.region = "RegionOne"
	}
	if h.ttl <= 0 {
		h.ttl = DefaultTokenTTL
	}
	h.routes()
	h.recovered = api.Recover(h.log, h.mux, func(w http.ResponseWriter, r *http.Request) {
		writeErrorBody(w, r, asError(errors.New("handler panic")))
	})
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.recovered.ServeHTTP(w, r) }

// Route is one endpoint, listed for docs and tests.
type Route struct{ Method, Pattern string }

// handlerFunc serves one route; tok is the caller's token (zero on the
// routes that need none).
type handlerFunc func(w http.ResponseWriter, r *http.Request, tok store.Token) error

// access is who may call a route.
type access int

const (
	anyone  access = iota // no token: discovery and login
	tokened               // any valid token; the handler decides
	admins                // a token with the admin role
)

type route struct {
	Route
	access access
	fn     handlerFunc
}

func (h *Handler) table() []route {
	return []route{
		{Route{"GET", "/{$}"}, anyone, h.versions},
		{Route{"GET", "/v3"}, anyone, h.v3},
		{Route{"GET", "/v3/{$}"}, anyone, h.v3},
		{Route{"POST", "/v3/auth/tokens"}, anyone, h.issueToken},
		{Route{"GET", "/v3/auth/tokens"}, tokened, h.validateToken},
		{Route{"HEAD", "/v3/auth/tokens"}, tokened, h.validateToken},
		{Route{"DELETE", "/v3/auth/tokens"}, tokened, h.revokeToken},
		{Route{"GET", "/v3/auth/projects"}, tokened, h.authProjects},
		{Route{"GET", "/v3/domains"}, tokened, h.listDomains},
		{Route{"GET", "/v3/domains/{id}"}, tokened, h.showDomain},
		{Route{"GET", "/v3/projects"}, admins, h.listProjects},
		{Route{"POST", "/v3/projects"}, admins, h.createProject},
		{Route{"GET", "/v3/projects/{id}"}, tokened, h.showProject},
		{Route{"DELETE", "/v3/projects/{id}"}, admins, h.deleteProject},
		{Route{"GET", "/v3/users"}, admins, h.listUsers},
		{Route{"POST", "/v3/users"}, admins, h.createUser},
		{Route{"GET", "/v3/users/{id}"}, tokened, h.showUser},
		{Route{"DELETE", "/v3/users/{id}"}, admins, h.deleteUser},
		{Route{"GET", "/v3/roles"}, tokened, h.listRoles},
		{Route{"GET", "/v3/roles/{id}"}, tokened, h.showRole},
		{Route{"GET", "/v3/role_assignments"}, admins, h.listAssignments},
		{Route{"GET", "/v3/projects/{p}/users/{u}/roles"}, admins, h.userRolesOnProject},
		{Route{"PUT", "/v3/projects/{p}/users/{u}/roles/{r}"}, admins, h.assignRole},
		{Route{"HEAD", "/v3/projects/{p}/users/{u}/roles/{r}"}, admins, h.checkRole},
		{Route{"GET", "/v3/projects/{p}/users/{u}/roles/{r}"}, admins, h.checkRole},
		{Route{"DELETE", "/v3/projects/{p}/users/{u}/roles/{r}"}, admins, h.unassignRole},
	}
}

// Routes lists the endpoints, with the prefix.
func (h *Handler) Routes() []Route {
	var out []Route
	for _, rt := range h.table() {
		out = append(out, Route{rt.Method, h.prefix + rt.Pattern})
	}
	return out
}

func (h *Handler) routes() {
	for _, rt := range h.table() {
		h.mux.Handle(rt.Method+" "+h.prefix+rt.Pattern, h.handle(rt.access, rt.fn))
	}
	if h.prefix != "" {
		// The bare prefix is the version list too, as Keystone's root is.
		h.mux.Handle("GET "+h.prefix, h.handle(anyone, h.versions))
	}
	h.mux.HandleFunc(h.prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		h.writeError(w, r, &Error{Code: http.StatusNotFound,
			Message: fmt.Sprintf("vfnet's identity API has no route %s %s (docs/identity.md lists them)", r.Method, r.URL.Path)})
	})
}

// Disabled answers every identity request of a server that takes its
// tokens from an external Keystone (vfnet server --keystone-url) with a 404
// in Keystone's error format that says where to log in.
func Disabled(keystoneURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeErrorBody(w, r, &Error{Code: http.StatusNotFound,
			Message: "vfnet's own identity is off: this server takes tokens from Keystone at " + keystoneURL + "; log in there"})
	})
}

// TokenHeader and SubjectTokenHeader are Keystone's: the caller's token,
// and the token a response issues or a request validates.
const (
	TokenHeader        = api.TokenHeader
	SubjectTokenHeader = "X-Subject-Token"
)

func (h *Handler) handle(acc access, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var tok store.Token
		var err error
		if acc != anyone {
			tok, err = h.caller(r, acc)
		}
		if err == nil {
			err = fn(w, r, tok)
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		h.log.DebugContext(r.Context(), "identity request", "method", r.Method, "path", r.URL.Path,
			"duration", time.Since(start))
	})
}

func (h *Handler) caller(r *http.Request, acc access) (store.Token, error) {
	secret := r.Header.Get(TokenHeader)
	if secret == "" {
		return store.Token{}, unauthorized("The request you have made requires authentication: send a token in " + TokenHeader + ".")
	}
	tok, err := h.store.Authenticate(r.Context(), secret)
	if model.CodeOf(err) == model.ErrNotFound {
		return tok, unauthorized("The request you have made requires authentication: the token is unknown, expired or revoked.")
	}
	if err != nil {
		return tok, err
	}
	if acc == admins && !tok.HasRole(store.RoleAdmin) {
		return tok, forbidden(r)
	}
	return tok, nil
}

// Error is Keystone's error body: {"error": {"code", "title", "message"}}.
type Error struct {
	Code    int
	Message string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

func unauthorized(msg string) *Error { return &Error{Code: http.StatusUnauthorized, Message: msg} }

func forbidden(r *http.Request) *Error {
	return &Error{Code: http.StatusForbidden,
		Message: fmt.Sprintf("You are not authorized to perform the requested action: %s %s needs the admin role.", r.Method, r.URL.Path)}
}

func badRequest(format string, args ...any) *Error {
	return &Error{Code: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var me *model.Error
	msg := "An unexpected error prevented the server from fulfilling your request."
	if errors.As(err, &me) {
		msg = me.Msg
	}
	code := http.StatusInternalServerError
	switch model.CodeOf(err) {
	case model.ErrInvalid:
		code = http.StatusBadRequest
	case model.ErrConflict:
		code = http.StatusConflict
	case model.ErrNotFound:
		code = http.StatusNotFound
	case model.ErrForbidden:
		code = http.StatusForbidden
	}
	if code == http.StatusInternalServerError {
		msg = "An unexpected error prevented the server from fulfilling your request."
	}
	return &Error{Code: code, Message: msg, Cause: err}
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	level := slog.LevelInfo
	if e.Code >= 500 {
		level = slog.LevelError
	}
	h.log.Log(r.Context(), level, "identity request refused", "method", r.Method, "path", r.URL.Path, "status", e.Code, "err", err)
	if e.Code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("Keystone uri=%q", h.base(r)+h.prefix))
	}
	writeErrorBody(w, r, e)
}

// writeErrorBody writes e as Keystone's error body, the one shape of every
// identity error (writeError's and Disabled's).
func writeErrorBody(w http.ResponseWriter, r *http.Request, e *Error) {
	writeJSON(w, r, e.Code, map[string]any{"error": map[string]any{
		"code": e.Code, "title": http.StatusText(e.Code), "message": e.Message}})
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Vary", TokenHeader)
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	json.NewEncoder(w).Encode(v) // a client gone away is nothing to report
}

// maxBody bounds a request body: identity requests are small.
const maxBody = 64 << 10

func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return badRequest("Unable to read the request body (at most %d bytes): %v", maxBody, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("The request body is not valid JSON for this request: %v", err)
	}
	return nil
}

// base is the server's root URL as this request reached it.
func (h *Handler) base(r *http.Request) string {
	if h.public != "" {
		return h.public
	}
	return api.BaseURL(r)
}

// v3URL is the identity v3 endpoint: what the catalog and links name.
func (h *Handler) v3URL(r *http.Request) string { return h.base(r) + h.prefix + "/v3" }

// versionDoc is Keystone's description of its v3 API.
func (h *Handler) versionDoc(r *http.Request) map[string]any {
	return map[string]any{
		"id":      "v3.14",
		"status":  "stable",
		"updated": "2020-04-07T00:00:00Z",
		"links":   []map[string]string{{"rel": "self", "href": h.v3URL(r) + "/"}},
		"media-types": []map[string]string{{"base": "application/json",
			"type": "application/vnd.openstack.identity-v3+json"}},
	}
}

// versions answers the unversioned URL as Keystone does: 300 Multiple
// Choices with the one version.
func (h *Handler) versions(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	writeJSON(w, r, http.StatusMultipleChoices, map[string]any{"versions": map[string]any{"values": []any{h.versionDoc(r)}}})
	return nil
}

func (h *Handler) v3(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	writeJSON(w, r, http.StatusOK, map[string]any{"version": h.versionDoc(r)})
	return nil
}
