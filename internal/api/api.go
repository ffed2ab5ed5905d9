// Package api is vfnet's /v1 REST API: hosts, host ports, interfaces, data
// networks and their assignments, tokens, and the agent's registration,
// inventory report and heartbeat.
//
// Every request carries X-Auth-Token. Handlers return errors; writeError
// turns them into a status and a JSON body in one place.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"vfnet/internal/model"
	"vfnet/internal/store"
)

// API serves /v1 from a store.
type API struct {
	store *store.Store
	log   *slog.Logger
	mux   *http.ServeMux
	// recovered is mux answering a panic with /v1's 500 (Recover).
	recovered http.Handler
	hub       revisionHub // the agents' long-polls (protocol.go)
	// metrics counts claims and applied reports; nil counts nothing.
	metrics Metrics
	// tokens turns a request's token into its principal: the store, or
	// with an external Keystone the store, then Keystone.
	tokens Authenticator
}

// Authenticator returns the token whose secret a request carries; an
// unknown, expired or revoked token is a model.ErrNotFound error.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (store.Token, error)
}

// SetAuthenticator makes the API take its tokens from au rather than the
// store alone: the server calls it before serving, with an external
// Keystone, so that a Keystone admin configures hosts as vfnet's own admin
// does. au never yields an agent token vfnet did not make.
func (a *API) SetAuthenticator(au Authenticator) { a.tokens = au }

// Metrics is what the API counts beyond its requests (the server's
// /metrics): claims of VFs, by their outcome, and the agents' applied
// reports.
type Metrics interface {
	// Claim sees the outcome of one claim (op names it: instance_create,
	// instance_migrate); err nil is a success.
	Claim(op string, err error)
	// AppliedReport sees one applied report the store accepted.
	AppliedReport(converged bool)
}

// SetMetrics makes the API count into m; the server calls it before
// serving.
func (a *API) SetMetrics(m Metrics) { a.metrics = m }

// New returns the /v1 handler over st, logging refusals and failures to log.
func New(st *store.Store, log *slog.Logger) *API {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &API{store: st, log: log, mux: http.NewServeMux(), tokens: st}
	a.routes()
	a.recovered = Recover(log, a.mux, func(w http.ResponseWriter, _ *http.Request) {
		writeErrorBody(w, http.StatusInternalServerError, internalMsg)
	})
	return a
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.recovered.ServeHTTP(w, r) }

// access is who may call a route.
type access int

const (
	readers access = iota // admin, member, reader
	admins                // admin only
	agents                // admin, or the agent of the route's {host}
)

// Route is one /v1 endpoint, listed for tests that go through every one.
type Route struct {
	Method, Pattern string
	Access          string // "read", "admin" or "agent"
}

func (a *API) routes() {
	for _, rt := range a.table() {
		a.mux.Handle(rt.method+" "+rt.pattern, a.handle(rt.access, rt.fn))
	}
	a.mux.HandleFunc("/", a.noRoute)
}

// noRoute answers what no route matches, in the API's error format: 405
// with Allow when the path exists with other methods, 404 otherwise.
func (a *API) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.mux.Handler(probe); pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(a.log, w, r, &httpError{status: http.StatusMethodNotAllowed,
			msg: r.URL.Path + " takes " + strings.Join(allow, ", ") + ", not " + r.Method})
		return
	}
	writeError(a.log, w, r, &httpError{status: http.StatusNotFound,
		msg: "No API route " + r.Method + " " + r.URL.Path + "; the routes are under /v1 (see docs/control-plane.md)"})
}

type route struct {
	method, pattern string
	access          access
	fn              handlerFunc
}

func (a *API) table() []route {
	return append([]route{
		{"GET", "/v1/hosts", readers, a.listHosts},
		{"POST", "/v1/hosts", agents, a.registerHost},
		{"GET", "/v1/hosts/{host}", readers, a.showHost},
		{"POST", "/v1/hosts/{host}/lock", admins, a.lockHost},
		{"POST", "/v1/hosts/{host}/unlock", admins, a.unlockHost},
		{"PUT", "/v1/hosts/{host}/inventory", agents, a.reportInventory},
		{"POST", "/v1/hosts/{host}/heartbeat", agents, a.heartbeat},
		{"GET", "/v1/hosts/{host}/ports", readers, a.listPorts},
		{"GET", "/v1/hosts/{host}/ports/{port}", readers, a.showPort},
		{"GET", "/v1/hosts/{host}/interfaces", readers, a.listInterfaces},
		{"POST", "/v1/hosts/{host}/interfaces", admins, a.addInterface},
		{"GET", "/v1/hosts/{host}/interfaces/{if}", readers, a.showInterface},
		{"PATCH", "/v1/hosts/{host}/interfaces/{if}", admins, a.modifyInterface},
		{"DELETE", "/v1/hosts/{host}/interfaces/{if}", admins, a.deleteInterface},
		{"GET", "/v1/hosts/{host}/interface-datanetworks", readers, a.listAssignments},
		{"POST", "/v1/hosts/{host}/interface-datanetworks", admins, a.assign},
		{"DELETE", "/v1/hosts/{host}/interfaces/{if}/datanetworks/{dn}", admins, a.unassign},
		{"GET", "/v1/datanetworks", readers, a.listDataNetworks},
		{"POST", "/v1/datanetworks", admins, a.createDataNetwork},
		{"GET", "/v1/datanetworks/{dn}", readers, a.showDataNetwork},
		{"PATCH", "/v1/datanetworks/{dn}", admins, a.modifyDataNetwork},
		{"DELETE", "/v1/datanetworks/{dn}", admins, a.deleteDataNetwork},
		{"GET", "/v1/tokens", admins, a.listTokens},
		{"POST", "/v1/tokens", admins, a.createToken},
	}, append(a.protocolRoutes(), a.instanceRoutes()...)...)
}

// Routes lists every endpoint with who may call it.
func (a *API) Routes() []Route {
	var out []Route
	for _, rt := range a.table() {
		out = append(out, Route{Method: rt.method, Pattern: rt.pattern, Access: [...]string{"read", "admin", "agent"}[rt.access]})
	}
	return out
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, tok store.Token) error

// handle authenticates the request, checks its access and runs fn.
func (a *API) handle(acc access, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		tok, err := a.authorize(r, acc)
		if err == nil {
			err = fn(w, r, tok)
		}
		if err != nil {
			writeError(a.log, w, r, err)
			return
		}
		a.log.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path, "token", tok.ID,
			"duration", time.Since(start))
	})
}

// TokenHeader is the header every request authenticates with, as in
// OpenStack.
const TokenHeader = "X-Auth-Token"

func (a *API) authorize(r *http.Request, acc access) (store.Token, error) {
	secret := r.Header.Get(TokenHeader)
	if secret == "" {
		return store.Token{}, unauthorized("This request needs a token: send it in the %s header (vfnet reads VFNET_TOKEN)", TokenHeader)
	}
	tok, err := a.tokens.Authenticate(r.Context(), secret)
	if model.CodeOf(err) == model.ErrNotFound {
		return tok, unauthorized("The token is unknown or has expired; ask an admin for a new one (vfnet token create)")
	}
	if err != nil {
		return tok, err
	}
	if tok.HasRole(store.RoleAdmin) {
		return tok, nil
	}
	switch acc {
	case readers:
		if tok.HasRole(store.RoleMember) || tok.HasRole(store.RoleReader) {
			return tok, nil
		}
		return tok, forbidden("This request needs the admin, member or reader role; the token has %v", tok.Roles)
	case agents:
		if !tok.HasRole(store.RoleAgent) {
			return tok, forbidden("Only the host's agent or an admin may do this; the token has %v", tok.Roles)
		}
		// A registration names its host in the body: registerHost checks.
		if ref := r.PathValue("host"); ref != "" {
			return tok, a.agentOwns(r.Context(), tok, ref)
		}
		return tok, nil
	}
	return tok, forbidden("Host configuration is admin-only; the token has %v", tok.Roles)
}

// agentOwns checks that the agent token tok is the one of host ref (a name
// or a uuid). An unknown host is a 403 too, so that an agent learns nothing
// of other hosts.
func (a *API) agentOwns(ctx context.Context, tok store.Token, ref string) error {
	if ref == tok.Host {
		return nil
	}
	h, err := a.store.Host(ctx, ref)
	if err != nil && model.CodeOf(err) != model.ErrNotFound {
		return err
	}
	if err != nil || h.Hostname != tok.Host {
		return forbidden("This agent token is for host %s; it may not act for host %s", tok.Host, ref)
	}
	return nil
}
