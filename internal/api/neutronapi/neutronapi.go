// Package neutronapi serves vfnet's OpenStack Networking (Neutron) v2.0
// API: version discovery at / and /v2.0/, the extensions list, and
// networks, subnets and ports with their tags, so that the openstack CLI and
// gophercloud work against vfnet unchanged.
//
// The rules are internal/neutron's and the transactions the store's; this
// package authenticates the request, decodes it, calls the store, renders
// what the caller may see and writes every error, as a NeutronError body
// with Neutron's status, in one place (writeError).
package neutronapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"vfnet/internal/api"
	"vfnet/internal/model"
	"vfnet/internal/neutron"
	"vfnet/internal/store"
)

// BindFunc is the binding step: it runs after a port create or update left
// a port whose binding:host_id, binding:profile or binding:vnic_type
// changed, with p as stored (p.HostID "" means unbind: release the
// device). It claims or releases the VF or PF, writes the binding (see
// store.SetNeutronPortBinding and neutron.BindDirect) and returns the port
// as stored. It is also called, with HostID "", before a bound port is
// deleted. Ports whose vnic_type vfnet cannot bind never reach it: they get
// binding_failed here.
type BindFunc func(ctx context.Context, p neutron.Port) (neutron.Port, error)

// Store is what the API needs of the store; *store.Store is the one
// implementation, the interface says which methods the API depends on.
type Store interface {
	Authenticate(ctx context.Context, secret string) (store.Token, error)

	Networks(ctx context.Context, c neutron.Caller) ([]neutron.Network, error)
	Network(ctx context.Context, c neutron.Caller, id string) (neutron.Network, error)
	CreateNetworks(ctx context.Context, c neutron.Caller, reqs []neutron.NetworkRequest) ([]neutron.Network, error)
	UpdateNetwork(ctx context.Context, c neutron.Caller, id string, r neutron.NetworkRequest, ifMatch *int) (neutron.Network, error)
	DeleteNetwork(ctx context.Context, c neutron.Caller, id string, ifMatch *int) error

	Subnets(ctx context.Context, c neutron.Caller) ([]neutron.Subnet, error)
	Subnet(ctx context.Context, c neutron.Caller, id string) (neutron.Subnet, error)
	CreateSubnets(ctx context.Context, c neutron.Caller, reqs []neutron.SubnetRequest) ([]neutron.Subnet, error)
	UpdateSubnet(ctx context.Context, c neutron.Caller, id string, r neutron.SubnetRequest, ifMatch *int) (neutron.Subnet, error)
	DeleteSubnet(ctx context.Context, c neutron.Caller, id string, ifMatch *int) error

	NeutronPorts(ctx context.Context, c neutron.Caller) ([]neutron.Port, error)
	NeutronPort(ctx context.Context, c neutron.Caller, id string) (neutron.Port, error)
	CreateNeutronPorts(ctx context.Context, c neutron.Caller, reqs []neutron.PortRequest) ([]neutron.Port, error)
	UpdateNeutronPort(ctx context.Context, c neutron.Caller, id string, r neutron.PortRequest, ifMatch *int) (neutron.Port, bool, error)
	SetNeutronPortBinding(ctx context.Context, id string, b neutron.Binding) (neutron.Port, error)
	DeleteNeutronPort(ctx context.Context, c neutron.Caller, id string, ifMatch *int) error

	ReplaceTags(ctx context.Context, c neutron.Caller, r neutron.Resource, id string, tags []string, ifMatch *int) ([]string, error)
	AddTag(ctx context.Context, c neutron.Caller, r neutron.Resource, id, tag string, ifMatch *int) error
	RemoveTag(ctx context.Context, c neutron.Caller, r neutron.Resource, id, tag string, ifMatch *int) error
	RemoveTags(ctx context.Context, c neutron.Caller, r neutron.Resource, id string, ifMatch *int) error
}

// Options configure a Handler.
type Options struct {
	Store Store
	// Log receives refusals (info) and failures (error). Default: discard.
	Log *slog.Logger
	// Bind claims devices for ports given a host. Nil: ports keep the host
	// they were given and stay unbound (vif_type unbound) until a binder
	// is wired in.
	Bind BindFunc
}

// Handler serves / and /v2.0.
type Handler struct {
	store Store
	log   *slog.Logger
	bind  BindFunc
	mux   *http.ServeMux
	// recovered is mux answering a panic with a NeutronError 500.
	recovered http.Handler
}

// New returns the /v2.0 handler.
func New(opts Options) *Handler {
	h := &Handler{store: opts.Store, log: opts.Log, bind: opts.Bind, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.routes()
	h.recovered = api.Recover(h.log, h.mux, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusInternalServerError, neutron.InternalError(nil))
	})
	return h
}

// ServeHTTP accepts Neutron's optional .json suffix on every path.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p, ok := strings.CutSuffix(r.URL.Path, ".json"); ok {
		r2 := r.Clone(r.Context())
		r2.URL.Path = p
		r2.URL.RawPath = ""
		r = r2
	}
	h.recovered.ServeHTTP(w, r)
}

// Route is one endpoint, listed for docs and tests.
type Route struct{ Method, Pattern string }

type handlerFunc func(w http.ResponseWriter, r *http.Request, c neutron.Caller) error

func (h *Handler) table() []struct {
	Route
	auth bool
	fn   handlerFunc
} {
	type row = struct {
		Route
		auth bool
		fn   handlerFunc
	}
	return []row{
		{Route{"GET", "/{$}"}, false, h.versions},
		{Route{"GET", "/v2.0"}, false, h.v2root},
		{Route{"GET", "/v2.0/{$}"}, false, h.v2root},
		{Route{"GET", "/v2.0/extensions"}, true, h.extensions},
		{Route{"GET", "/v2.0/extensions/{alias}"}, true, h.extension},
		{Route{"GET", "/v2.0/{coll}"}, true, h.list},
		{Route{"POST", "/v2.0/{coll}"}, true, h.create},
		{Route{"GET", "/v2.0/{coll}/{id}"}, true, h.show},
		{Route{"PUT", "/v2.0/{coll}/{id}"}, true, h.update},
		{Route{"DELETE", "/v2.0/{coll}/{id}"}, true, h.delete},
		{Route{"GET", "/v2.0/{coll}/{id}/tags"}, true, h.listTags},
		{Route{"PUT", "/v2.0/{coll}/{id}/tags"}, true, h.replaceTags},
		{Route{"DELETE", "/v2.0/{coll}/{id}/tags"}, true, h.removeTags},
		{Route{"GET", "/v2.0/{coll}/{id}/tags/{tag}"}, true, h.showTag},
		{Route{"PUT", "/v2.0/{coll}/{id}/tags/{tag}"}, true, h.addTag},
		{Route{"DELETE", "/v2.0/{coll}/{id}/tags/{tag}"}, true, h.removeTag},
	}
}

// Routes lists the endpoints ({coll} is networks, subnets or ports).
func (h *Handler) Routes() []Route {
	var out []Route
	for _, rt := range h.table() {
		out = append(out, rt.Route)
	}
	return out
}

func (h *Handler) routes() {
	for _, rt := range h.table() {
		h.mux.Handle(rt.Method+" "+rt.Pattern, h.handle(rt.auth, rt.fn))
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.writeError(w, r, notOffered(r.URL.Path))
	})
}

// absent names the Neutron APIs clients look for that vfnet does not offer,
// with why: the openstack CLI resolves --security-group and --qos-policy
// through them before it sends a port, so this 404's message is what its
// user reads.
func absent() []struct{ prefix, why string } {
	return []struct{ prefix, why string }{
		{"/v2.0/security-groups", "vfnet offers no security groups: SR-IOV (direct) and PCI passthrough (direct-physical) " +
			"ports bypass the host's firewall, so no security group could be enforced on them. " +
			"Create the port with --no-security-group and filter in the guest or upstream"},
		{"/v2.0/security-group-rules", "vfnet offers no security groups: SR-IOV and PCI passthrough ports bypass the host's firewall"},
		{"/v2.0/qos/", "vfnet offers no QoS policies: it programs no rate limits on VFs (the qos extension is not offered). " +
			"Create the port without --qos-policy"},
	}
}

// notOffered is the 404 for a path vfnet does not serve.
func notOffered(path string) *neutron.Error {
	e := neutron.NotFound()
	for _, a := range absent() {
		if strings.HasPrefix(path, a.prefix) {
			e.Message = a.why + "."
		}
	}
	return e
}

func (h *Handler) handle(auth bool, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var c neutron.Caller
		var err error
		if auth {
			c, err = h.caller(r)
		}
		if err == nil {
			err = fn(w, r, c)
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		h.log.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path, "project", c.ProjectID,
			"duration", time.Since(start))
	})
}

// TokenHeader carries the token, as in every OpenStack API: /v1's.
const TokenHeader = api.TokenHeader

// service is the role an external compute service binds ports with.
const service = "service"

// caller authenticates the request and maps the token's roles to Neutron's
// view of them. An agent token is for the /v1 agent routes only.
func (h *Handler) caller(r *http.Request) (neutron.Caller, error) {
	secret := r.Header.Get(TokenHeader)
	if secret == "" {
		return neutron.Caller{}, neutron.NotAuthorized()
	}
	tok, err := h.store.Authenticate(r.Context(), secret)
	if model.CodeOf(err) == model.ErrNotFound {
		return neutron.Caller{}, neutron.NotAuthorized()
	}
	if err != nil {
		return neutron.Caller{}, err
	}
	c := neutron.Caller{
		ProjectID: tok.Project,
		Admin:     tok.HasRole(store.RoleAdmin),
		Service:   tok.HasRole(service),
	}
	member := tok.HasRole(store.RoleMember)
	c.Reader = tok.HasRole(store.RoleReader) && !member && !c.Admin && !c.Service
	if !c.Admin && !c.Service && !member && !c.Reader {
		return c, neutron.PolicyNotAuthorized("(rule:context_is_admin or role:member or role:reader)")
	}
	return c, nil
}

// writeError answers with err as a NeutronError: the client sees the type
// and the message, the log gets the cause.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asNeutronError(err)
	level := slog.LevelInfo
	if e.Status >= 500 {
		level = slog.LevelError
	}
	h.log.Log(r.Context(), level, "request refused", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err)
	writeJSON(w, e.Status, e)
}

func asNeutronError(err error) *neutron.Error {
	var e *neutron.Error
	if errors.As(err, &e) {
		return e
	}
	var me *model.Error
	msg := ""
	if errors.As(err, &me) {
		msg = me.Msg
	}
	switch model.CodeOf(err) {
	case model.ErrInvalid:
		return &neutron.Error{Status: http.StatusBadRequest, Type: neutron.TypeBadRequest, Message: msg, Cause: err}
	case model.ErrConflict:
		return &neutron.Error{Status: http.StatusConflict, Type: "Conflict", Message: msg, Cause: err}
	case model.ErrNotFound:
		return &neutron.Error{Status: http.StatusNotFound, Type: neutron.TypeHTTPNotFound, Message: msg, Cause: err}
	case model.ErrForbidden:
		return &neutron.Error{Status: http.StatusForbidden, Type: neutron.TypePolicyNotAuthorized, Message: msg, Cause: err}
	}
	return neutron.InternalError(err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // a client gone away is nothing to report
}

// maxBody bounds a request body; Neutron's default max_request_body_size.
const maxBody = 114688

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		return nil, neutron.BodyTooLarge(maxBody)
	}
	if err != nil {
		return nil, neutron.BadRequest("Unable to read the request body: %v", err)
	}
	return b, nil
}

func (h *Handler) versions(w http.ResponseWriter, r *http.Request, _ neutron.Caller) error {
	writeJSON(w, http.StatusOK, neutron.Versions(api.BaseURL(r)))
	return nil
}

func (h *Handler) v2root(w http.ResponseWriter, r *http.Request, _ neutron.Caller) error {
	writeJSON(w, http.StatusOK, neutron.V2Root(api.BaseURL(r)))
	return nil
}

func (h *Handler) extensions(w http.ResponseWriter, r *http.Request, _ neutron.Caller) error {
	writeJSON(w, http.StatusOK, map[string]any{"extensions": neutron.Extensions()})
	return nil
}

func (h *Handler) extension(w http.ResponseWriter, r *http.Request, _ neutron.Caller) error {
	e, err := neutron.FindExtension(r.PathValue("alias"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"extension": e})
	return nil
}
