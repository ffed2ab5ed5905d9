package neutronapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"vfnet/internal/api"
	"vfnet/internal/neutron"
)

// resource reads {coll}: networks, subnets or ports. Any other collection
// (security-groups, qos/policies, routers ...) is an extension vfnet does
// not offer, and a 404 as on a Neutron server without it.
func resource(r *http.Request) (neutron.Resource, error) {
	switch c := neutron.Resource(r.PathValue("coll")); c {
	case neutron.Networks, neutron.Subnets, neutron.Ports:
		return c, nil
	}
	return "", notOffered(r.URL.Path)
}

func ifMatch(r *http.Request) (*int, error) {
	return neutron.ParseIfMatch(r.Header.Get("If-Match"))
}

// get reads one object of res as c may see it.
func (h *Handler) get(ctx context.Context, c neutron.Caller, res neutron.Resource, id string) (any, []string, error) {
	switch res {
	case neutron.Networks:
		n, err := h.store.Network(ctx, c, id)
		return n, n.Tags, err
	case neutron.Subnets:
		s, err := h.store.Subnet(ctx, c, id)
		return s, s.Tags, err
	}
	p, err := h.store.NeutronPort(ctx, c, id)
	return p, p.Tags, err
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, c neutron.Caller) error {
	res, err := resource(r)
	if err != nil {
		return err
	}
	q, err := neutron.ParseQuery(res, r.URL.Query())
	if err != nil {
		return err
	}
	link := api.BaseURL(r) + "/v2.0/" + string(res)
	var page neutron.Page
	switch res {
	case neutron.Networks:
		page, err = listPage(r.Context(), c, q, link, h.store.Networks)
	case neutron.Subnets:
		page, err = listPage(r.Context(), c, q, link, h.store.Subnets)
	default:
		page, err = listPage(r.Context(), c, q, link, h.store.NeutronPorts)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page.Body(res))
	return nil
}

// listPage reads the objects c may see and applies q to them.
func listPage[T any](ctx context.Context, c neutron.Caller, q neutron.Query, link string,
	read func(context.Context, neutron.Caller) ([]T, error)) (neutron.Page, error) {
	objs, err := read(ctx, c)
	if err != nil {
		return neutron.Page{}, err
	}
	return neutron.Apply(q, c, objs, link)
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request, c neutron.Caller) error {
	res, err := resource(r)
	if err != nil {
		return err
	}
	obj, _, err := h.get(r.Context(), c, res, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeMember(w, http.StatusOK, c, res, obj, r.URL.Query()["fields"])
}

func writeMember(w http.ResponseWriter, status int, c neutron.Caller, res neutron.Resource, obj any, fields []string) error {
	m, err := neutron.Render(c, res, obj, fields)
	if err != nil {
		return err
	}
	writeJSON(w, status, map[string]any{res.Member(): m})
	return nil
}

// isBulk reports whether a create body carries the collection
// ({"ports":[...]}) rather than one member.
func isBulk(body []byte, res neutron.Resource) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return false
	}
	_, ok := top[string(res)]
	return ok
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request, c neutron.Caller) error {
	res, err := resource(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var objs []any
	switch res {
	case neutron.Networks:
		objs, err = createAll(ctx, c, body, neutron.DecodeNetworks, h.store.CreateNetworks, nil)
	case neutron.Subnets:
		objs, err = createAll(ctx, c, body, neutron.DecodeSubnets, h.store.CreateSubnets, nil)
	default:
		objs, err = createAll(ctx, c, body, neutron.DecodePorts, h.store.CreateNeutronPorts,
			func(ctx context.Context, p neutron.Port) (neutron.Port, error) {
				if p.HostID != "" {
					return h.bindPort(ctx, p)
				}
				return p, nil
			})
	}
	if err != nil {
		return err
	}
	if !isBulk(body, res) {
		return writeMember(w, http.StatusCreated, c, res, objs[0], nil)
	}
	out := make([]map[string]json.RawMessage, len(objs))
	for i, o := range objs {
		if out[i], err = neutron.Render(c, res, o, nil); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusCreated, map[string]any{string(res): out})
	return nil
}

// createAll decodes a create body (one member or a bulk collection),
// creates its objects and passes each through then, when given.
func createAll[R, T any](ctx context.Context, c neutron.Caller, body []byte,
	decode func([]byte, neutron.Op) ([]R, error),
	create func(context.Context, neutron.Caller, []R) ([]T, error),
	then func(context.Context, T) (T, error)) ([]any, error) {
	reqs, err := decode(body, neutron.Create)
	if err != nil {
		return nil, err
	}
	created, err := create(ctx, c, reqs)
	if err != nil {
		return nil, err
	}
	var objs []any
	for _, o := range created {
		if then != nil {
			if o, err = then(ctx, o); err != nil {
				return nil, err
			}
		}
		objs = append(objs, o)
	}
	return objs, nil
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request, c neutron.Caller) error {
	res, id, rev, err := h.target(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var obj any
	switch res {
	case neutron.Networks:
		if obj, err = updateOne(ctx, c, id, body, rev, neutron.DecodeNetworks, h.store.UpdateNetwork); err != nil {
			return err
		}
	case neutron.Subnets:
		if obj, err = updateOne(ctx, c, id, body, rev, neutron.DecodeSubnets, h.store.UpdateSubnet); err != nil {
			return err
		}
	default:
		reqs, err := neutron.DecodePorts(body, neutron.Update)
		if err != nil {
			return err
		}
		p, rebind, err := h.store.UpdateNeutronPort(ctx, c, id, reqs[0], rev)
		if err != nil {
			return err
		}
		if rebind {
			if p, err = h.bindPort(ctx, p); err != nil {
				return err
			}
		}
		obj = p
	}
	return writeMember(w, http.StatusOK, c, res, obj, nil)
}

// updateOne decodes an update body and applies it to object id.
func updateOne[R, T any](ctx context.Context, c neutron.Caller, id string, body []byte, rev *int,
	decode func([]byte, neutron.Op) ([]R, error),
	update func(context.Context, neutron.Caller, string, R, *int) (T, error)) (any, error) {
	reqs, err := decode(body, neutron.Update)
	if err != nil {
		return nil, err
	}
	return update(ctx, c, id, reqs[0], rev)
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request, c neutron.Caller) error {
	res, id, rev, err := h.target(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	switch res {
	case neutron.Networks:
		err = h.store.DeleteNetwork(ctx, c, id, rev)
	case neutron.Subnets:
		err = h.store.DeleteSubnet(ctx, c, id, rev)
	default:
		err = h.deletePort(ctx, c, id, rev)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deletePort releases a bound port's device through the binding step
// before the port goes.
func (h *Handler) deletePort(ctx context.Context, c neutron.Caller, id string, rev *int) error {
	if h.bind != nil {
		p, err := h.store.NeutronPort(ctx, c, id)
		if err != nil {
			return err
		}
		if p.Bound() {
			p.HostID = ""
			if _, err := h.bind(ctx, p); err != nil {
				return err
			}
		}
	}
	return h.store.DeleteNeutronPort(ctx, c, id, rev)
}

// bindPort is the one place where a port's binding is decided, after a
// create or an update changed binding:host_id, binding:profile or
// binding:vnic_type. A vnic_type vfnet cannot bind (normal, macvtap ...)
// gets binding_failed, as Neutron's ML2 records a binding no mechanism
// driver took; the rest goes to the BindFunc, which claims or releases a
// device. Without one the port keeps its host and stays unbound.
func (h *Handler) bindPort(ctx context.Context, p neutron.Port) (neutron.Port, error) {
	if p.HostID != "" {
		if err := neutron.BindableVNIC(p.VNICType); err != nil {
			h.log.InfoContext(ctx, "binding failed", "port", p.ID, "host", p.HostID, "vnic_type", p.VNICType, "reason", err)
			b := neutron.BindFailed(p.HostID)
			b.Profile = p.Profile
			return h.store.SetNeutronPortBinding(ctx, p.ID, b)
		}
	}
	if h.bind != nil {
		return h.bind(ctx, p)
	}
	if p.HostID == "" && p.VIFType != neutron.VIFTypeUnbound {
		b := neutron.Unbound()
		b.Profile = p.Profile
		return h.store.SetNeutronPortBinding(ctx, p.ID, b)
	}
	return p, nil
}

// target reads the member a request names: its collection, its id and the
// If-Match revision it is constrained to.
func (h *Handler) target(r *http.Request) (neutron.Resource, string, *int, error) {
	res, err := resource(r)
	if err != nil {
		return "", "", nil, err
	}
	rev, err := ifMatch(r)
	return res, r.PathValue("id"), rev, err
}

// Tags: the standard-attr-tag sub-resource.

func (h *Handler) listTags(w http.ResponseWriter, r *http.Request, c neutron.Caller) error {
	res, id, _, err := h.target(r)
	if err != nil {
		return err
	}
	_, tags, err := h.get(r.Context(), c, res, id)
	if err != nil {
		return err
	}
	if tags == nil {
		tags = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": tags})
	return nil
}

func (h *Handler) showTag(w http.ResponseWriter, r *http.Request, c neutron.Caller) error {
	res, id, _, err := h.target(r)
	if err != nil {
		return err
	}
	_, tags, err := h.get(r.Context(), c, res, id)
	if err != nil {
		return err
	}
	if tag := r.PathValue("tag"); !slices.Contains(tags, tag) {
		return neutron.TagNotFound(tag)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) replaceTags(w http.ResponseWriter, r *http.Request, c neutron.Caller) error {
	res, id, rev, err := h.target(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	tags, err := neutron.DecodeTags(body)
	if err != nil {
		return err
	}
	out, err := h.store.ReplaceTags(r.Context(), c, res, id, tags, rev)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": out})
	return nil
}

func (h *Handler) addTag(w http.ResponseWriter, r *http.Request, c neutron.Caller) error {
	return h.changeTags(w, r, http.StatusCreated, func(res neutron.Resource, id string, rev *int) error {
		tag := r.PathValue("tag")
		if err := neutron.ValidateTag(tag); err != nil {
			return err
		}
		return h.store.AddTag(r.Context(), c, res, id, tag, rev)
	})
}

func (h *Handler) removeTag(w http.ResponseWriter, r *http.Request, c neutron.Caller) error {
	return h.changeTags(w, r, http.StatusNoContent, func(res neutron.Resource, id string, rev *int) error {
		return h.store.RemoveTag(r.Context(), c, res, id, r.PathValue("tag"), rev)
	})
}

func (h *Handler) removeTags(w http.ResponseWriter, r *http.Request, c neutron.Caller) error {
	return h.changeTags(w, r, http.StatusNoContent, func(res neutron.Resource, id string, rev *int) error {
		return h.store.RemoveTags(r.Context(), c, res, id, rev)
	})
}

// changeTags is a tag change that answers with no body: change runs on the
// member the request names, under its If-Match revision, and success is
// status.
func (h *Handler) changeTags(w http.ResponseWriter, r *http.Request, status int, change func(res neutron.Resource, id string, rev *int) error) error {
	res, id, rev, err := h.target(r)
	if err != nil {
		return err
	}
	if err := change(res, id, rev); err != nil {
		return err
	}
	w.WriteHeader(status)
	return nil
}
