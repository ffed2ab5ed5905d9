package neutron

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Caller is who makes a request, as the token says.
type Caller struct {
	ProjectID string
	Admin     bool
	Service   bool // the service role an external compute service binds ports with
	Reader    bool // reader only: may look, may not change
}

func (c Caller) may(r Role, netOwner bool) bool {
	switch r {
	case AdminOnly:
		return c.Admin
	case AdminOrService:
		return c.Admin || c.Service
	case ServiceOnly:
		return c.Service
	case AdminOrNetOwner:
		return c.Admin || c.Service || netOwner
	}
	return true
}

// CanSee is Neutron's get policy for networks, subnets and ports: admin sees
// everything; others see their project's objects, shared networks (and
// subnets of shared networks, which the caller passes as shared), and
// external networks (rule:external of get_network; not their subnets, so a
// subnet's caller passes external false).
func CanSee(c Caller, ownerProject string, shared, external bool) bool {
	return c.Admin || ownerProject == c.ProjectID || shared || external
}

// CanChange decides a write (update, delete) on an object: nil; Neutron's
// 403 when the caller can see the object but not change it (a shared or
// external network of another project, or a reader), as Neutron answers
// once its get policy passes; or notFound when the caller must not learn
// the object exists.
func CanChange(c Caller, op string, r Resource, ownerProject string, shared, external bool, notFound *Error) error {
	if !CanSee(c, ownerProject, shared, external) {
		return notFound
	}
	if c.Admin || ownerProject == c.ProjectID && !c.Reader {
		return nil
	}
	return PolicyNotAuthorized(fmt.Sprintf("rule:%s_%s", op, r.Member()))
}

// OwnerProject decides the project a new object belongs to: the caller's,
// or, for an admin, the one the body names. Neutron refuses a member naming
// another project with a 400, not a 403.
func OwnerProject(c Caller, given Field[string]) (string, error) {
	if !given.Has() || given.V == c.ProjectID {
		return c.ProjectID, nil
	}
	if !c.Admin {
		return "", BadRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges")
	}
	return given.V, nil
}

// AuthorizeAttributes applies the attribute policies of r to the attributes
// a request carries: a member setting provider attributes, shared,
// router:external, trusted, binding:host_id or binding:profile gets
// Neutron's 403 PolicyNotAuthorized naming every guarded rule involved.
// netOwner says whether the caller's project owns the port's network (the
// default policy lets it set mac_address, port_security_enabled and
// allowed_address_pairs).
func AuthorizeAttributes(c Caller, op Op, r Resource, present []string, netOwner bool) error {
	action := "create_" + r.Member()
	if op == Update {
		action = "update_" + r.Member()
	}
	var rules []string
	denied := false
	for _, name := range present {
		a, ok := Attr(r, name)
		if !ok || a.Write == Anyone {
			continue
		}
		rules = append(rules, "rule:"+action+":"+name)
		if !c.may(a.Write, netOwner) {
			denied = true
		}
	}
	if !denied {
		return nil
	}
	return PolicyNotAuthorized("(rule:" + action + " and " + strings.Join(rules, " and ") + ")")
}

// Render turns an object (Network, Subnet or Port) into the member a
// response carries: attributes c may not read are dropped (provider:* for
// non-admins, binding details for non-admin non-service callers, trusted for
// non-admins), and when fields is not empty only those attributes are kept.
func Render(c Caller, r Resource, obj any, fields []string) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", r.Member(), err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("render %s: %w", r.Member(), err)
	}
	hide(c, r, m)
	return project(m, fields), nil
}

func hide(c Caller, r Resource, m map[string]json.RawMessage) {
	for _, a := range Attributes(r) {
		if !c.may(a.Read, false) {
			delete(m, a.Name)
		}
	}
}

func project(m map[string]json.RawMessage, fields []string) map[string]json.RawMessage {
	if len(fields) == 0 {
		return m
	}
	out := make(map[string]json.RawMessage, len(fields))
	for _, f := range fields {
		if v, ok := m[f]; ok {
			out[f] = v
		}
	}
	return out
}
