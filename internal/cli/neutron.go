package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"vfnet/internal/client"
	"vfnet/internal/neutron"
)

// The network, subnet and port verb groups are thin clients of /v2.0 with
// the openstack CLI's flags and tables; this file holds what the three
// share: finding an object by name or ID, the show, set and delete verbs,
// Field | Value and list tables of the attributes the server sent, paired
// --x/--no-x flags and tags.

// collection is what the verbs networks, subnets and ports share need to
// know of one of them: its name, its /v2.0 resource and the client calls
// and fields the shared code uses.
type collection[T any] struct {
	kind   string // network, subnet or port, as messages name it
	res    neutron.Resource
	get    func(*client.Client, context.Context, string) (client.Object[T], error)
	list   func(*client.Client, context.Context, url.Values) ([]client.Object[T], error)
	update func(*client.Client, context.Context, string, client.Attrs) (client.Object[T], error)
	del    func(*client.Client, context.Context, string) error
	id     func(T) string
	tags   func(T) []string
}

func networks() collection[neutron.Network] {
	return collection[neutron.Network]{kind: "network", res: neutron.Networks,
		get: (*client.Client).Network, list: (*client.Client).Networks,
		update: (*client.Client).UpdateNetwork, del: (*client.Client).DeleteNetwork,
		id: func(n neutron.Network) string { return n.ID }, tags: func(n neutron.Network) []string { return n.Tags }}
}

func subnets() collection[neutron.Subnet] {
	return collection[neutron.Subnet]{kind: "subnet", res: neutron.Subnets,
		get: (*client.Client).Subnet, list: (*client.Client).Subnets,
		update: (*client.Client).UpdateSubnet, del: (*client.Client).DeleteSubnet,
		id: func(s neutron.Subnet) string { return s.ID }, tags: func(s neutron.Subnet) []string { return s.Tags }}
}

func ports() collection[neutron.Port] {
	return collection[neutron.Port]{kind: "port", res: neutron.Ports,
		get: (*client.Client).NeutronPort, list: (*client.Client).NeutronPorts,
		update: (*client.Client).UpdateNeutronPort, del: (*client.Client).DeleteNeutronPort,
		id: func(p neutron.Port) string { return p.ID }, tags: func(p neutron.Port) []string { return p.Tags }}
}

// find names one object by ID or name, as the openstack CLI does: an ID
// first, then a name, which must match exactly one object the caller sees.
func (k collection[T]) find(ctx context.Context, c *client.Client, ref string) (client.Object[T], error) {
	var zero client.Object[T]
	if ref == "" {
		return zero, fmt.Errorf("no %s named: give its name or ID", k.kind)
	}
	o, err := k.get(c, ctx, ref)
	if err == nil || client.StatusOf(err) != http.StatusNotFound {
		return o, err
	}
	os, err := k.list(c, ctx, url.Values{"name": {ref}})
	if err != nil {
		return zero, fmt.Errorf("find %s %q by name: %w", k.kind, ref, err)
	}
	switch len(os) {
	case 0:
		return zero, fmt.Errorf("no %s found for %q: give the name or ID of a %s you can see (vfnet %s list)", k.kind, ref, k.kind, k.kind)
	case 1:
		return os[0], nil
	}
	ids := make([]string, len(os))
	for i, o := range os {
		ids[i] = attrString(o.Attrs, "id")
	}
	return zero, fmt.Errorf("more than one %s exists with the name %q (IDs %s): name it by ID", k.kind, ref, strings.Join(ids, ", "))
}

func attrString(attrs map[string]json.RawMessage, name string) string {
	var s string
	json.Unmarshal(attrs[name], &s) // absent or not a string: ""
	return s
}

// withTags replaces obj's tags through /tags when the flags ask for a
// change (networks and subnets take tags only there; a set verb's update
// body carries none) and returns obj as it then is.
func (k collection[T]) withTags(ctx context.Context, c *client.Client, obj client.Object[T], t tagFlags) (client.Object[T], error) {
	tags, ok := t.changed(k.tags(obj.Value))
	if !ok {
		return obj, nil
	}
	id := k.id(obj.Value)
	if _, err := c.ReplaceTags(ctx, k.res, id, tags); err != nil {
		return obj, fmt.Errorf("set the tags of %s %s: %w", k.res.Member(), id, err)
	}
	return k.get(c, ctx, id)
}

// newShowCmd is the show verb: one object, by name or ID.
func (k collection[T]) newShowCmd(use, short string) *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			obj, err := k.find(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return showAttrs(cmd.OutOrStdout(), &o, obj.Attrs)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

// runSet is the set verbs' body: find the object, send what attrs returns
// (the flags' attributes, and --name when given) if anything, set its tags
// and show it.
func (k collection[T]) runSet(cmd *cobra.Command, o *clientOptions, ref, name string, t tagFlags,
	attrs func(context.Context, *client.Client, client.Object[T]) (client.Attrs, error)) error {
	c, err := o.client()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	obj, err := k.find(ctx, c, ref)
	if err != nil {
		return err
	}
	a, err := attrs(ctx, c, obj)
	if err != nil {
		return err
	}
	if cmd.Flags().Changed("name") {
		a["name"] = name
	}
	if len(a) > 0 {
		if obj, err = k.update(c, ctx, k.id(obj.Value), a); err != nil {
			return err
		}
	}
	if obj, err = k.withTags(ctx, c, obj, t); err != nil {
		return err
	}
	return showAttrs(cmd.OutOrStdout(), o, obj.Attrs)
}

// newDeleteCmd is the delete verb: every object named, by name or ID.
func (k collection[T]) newDeleteCmd(use, short string) *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			return deleteEach(cmd, &o, k.kind, args, func(ctx context.Context, ref string) (deleted, error) {
				obj, err := k.find(ctx, c, ref)
				if err != nil {
					return deleted{}, err
				}
				d := deleted{ID: k.id(obj.Value), Name: attrString(obj.Attrs, "name")}
				return d, k.del(c, ctx, d.ID)
			})
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

// showAttrs prints one object: as the server sent it with -o json, else
// as the openstack CLI's Field | Value table (tenant_id, a copy of
// project_id, left out).
func showAttrs(w io.Writer, o *clientOptions, attrs map[string]json.RawMessage) error {
	if o.output == outputJSON {
		return printJSON(w, attrs)
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		if k != "tenant_id" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	rows := make([][]string, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, []string{k, formatAttr(k, attrs[k])})
	}
	return printTable(w, []string{"Field", "Value"}, rows)
}

// column is one column of a list table: its header and the attribute it
// shows.
type column struct{ header, attr string }

// listObjects prints objects: as the server sent them with -o json, else
// as a table of cols.
func listObjects[T any](w io.Writer, o *clientOptions, objs []client.Object[T], cols []column) error {
	if o.output == outputJSON {
		if objs == nil {
			objs = []client.Object[T]{}
		}
		return printJSON(w, objs)
	}
	headers := make([]string, len(cols))
	for i, c := range cols {
		headers[i] = c.header
	}
	rows := make([][]string, 0, len(objs))
	for _, obj := range objs {
		row := make([]string, len(cols))
		for i, c := range cols {
			if raw, ok := obj.Attrs[c.attr]; ok {
				row[i] = formatAttr(c.attr, raw)
			}
		}
		rows = append(rows, row)
	}
	return printTable(w, headers, rows)
}

// formatAttr renders an attribute's value as the openstack CLI does:
// admin_state_up as UP or DOWN, booleans as True or False, null as None,
// lists joined with ", ", allocation pools as start-end and other objects
// as key='value' pairs.
func formatAttr(name string, raw json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	if b, ok := v.(bool); ok && name == "admin_state_up" {
		if b {
			return "UP"
		}
		return "DOWN"
	}
	return formatValue(v)
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case json.Number:
		return x.String()
	case []any:
		parts := make([]string, len(x))
		sep := ", "
		for i, e := range x {
			parts[i] = formatValue(e)
			if _, ok := e.(map[string]any); ok {
				sep = "; " // a table cell is one line; objects have commas inside
			}
		}
		return strings.Join(parts, sep)
	case map[string]any:
		if len(x) == 2 && x["start"] != nil && x["end"] != nil {
			return formatValue(x["start"]) + "-" + formatValue(x["end"])
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "='" + formatValue(x[k]) + "'"
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// boolPair is an openstack-style pair of flags (--share/--no-share) for one
// boolean attribute: the attribute is sent only when one of them is given.
type boolPair struct{ on, off, attr string }

func addBoolPair(cmd *cobra.Command, on, off, attr, onHelp, offHelp string) boolPair {
	cmd.Flags().Bool(on, false, onHelp)
	cmd.Flags().Bool(off, false, offHelp)
	cmd.MarkFlagsMutuallyExclusive(on, off)
	return boolPair{on, off, attr}
}

// value reports the attribute's value and whether either flag was given.
func (p boolPair) value(cmd *cobra.Command) (bool, bool) {
	f := cmd.Flags()
	if f.Changed(p.on) {
		v, _ := f.GetBool(p.on)
		return v, true
	}
	if f.Changed(p.off) {
		v, _ := f.GetBool(p.off)
		return !v, true
	}
	return false, false
}

// set writes the attribute into a when either flag was given.
func (p boolPair) set(cmd *cobra.Command, a client.Attrs) {
	if v, ok := p.value(cmd); ok {
		a[p.attr] = v
	}
}

// query adds the attribute as a list filter when either flag was given.
func (p boolPair) query(cmd *cobra.Command, q url.Values) {
	if v, ok := p.value(cmd); ok {
		q.Set(p.attr, fmt.Sprint(v))
	}
}

// tagFlags are --tag (repeat) and --no-tag, as on openstack create and set.
type tagFlags struct {
	tags  []string
	noTag bool
}

func addTagFlags(cmd *cobra.Command, t *tagFlags, kind string) {
	cmd.Flags().StringArrayVar(&t.tags, "tag", nil, "tag to be added to the "+kind+" (repeat for more)")
	cmd.Flags().BoolVar(&t.noTag, "no-tag", false, "no tags on the "+kind+" (on set: remove the existing ones first)")
}

// changed reports whether the flags ask for a change of current's tags,
// and the tags the object then has.
func (t tagFlags) changed(current []string) ([]string, bool) {
	if !t.noTag && len(t.tags) == 0 {
		return nil, false
	}
	var out []string
	if !t.noTag {
		out = append(out, current...)
	}
	for _, tag := range t.tags {
		if !slices.Contains(out, tag) {
			out = append(out, tag)
		}
	}
	return out, !slices.Equal(out, current)
}

// listFlags are the filters every list verb has.
type listFlags struct {
	name, project                    string
	tags, anyTags, notTags, notAnyTg string
	long                             bool
}

func addListFlags(cmd *cobra.Command, l *listFlags, kind string) {
	f := cmd.Flags()
	f.StringVar(&l.name, "name", "", "list only "+kind+"s of this name")
	f.StringVar(&l.project, "project", "", "list only "+kind+"s of this project (ID)")
	f.StringVar(&l.tags, "tags", "", "list "+kind+"s which have all these tags (comma-separated)")
	f.StringVar(&l.anyTags, "any-tags", "", "list "+kind+"s which have any of these tags (comma-separated)")
	f.StringVar(&l.notTags, "not-tags", "", "exclude "+kind+"s which have all these tags (comma-separated)")
	f.StringVar(&l.notAnyTg, "not-any-tags", "", "exclude "+kind+"s which have any of these tags (comma-separated)")
	f.BoolVar(&l.long, "long", false, "list more columns")
}

func (l listFlags) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"name": l.name, "project_id": l.project, "tags": l.tags,
		"tags-any": l.anyTags, "not-tags": l.notTags, "not-tags-any": l.notAnyTg} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// keyValues parses an openstack-style key=value,key=value option (such as
// --fixed-ip subnet=sub-a,ip-address=192.0.2.5) with only the keys allowed.
func keyValues(flag, s string, allowed ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !slices.Contains(allowed, k) || v == "" {
			return nil, fmt.Errorf("--%s %q: give %s=VALUE pairs separated by commas", flag, s, strings.Join(allowed, "=VALUE,"))
		}
		out[k] = v
	}
	return out, nil
}

// inUseHint is what to do about Neutron's in-use refusals, whose messages
// (kept word for word for openstack CLI users) do not say.
func inUseHint(err error, ref string) string {
	var e *client.Error
	if !errors.As(err, &e) {
		return ""
	}
	switch neutron.ErrorType(e.Title) {
	case neutron.TypeNetworkInUse:
		return fmt.Sprintf(" Delete its ports first (vfnet port list --network %s).", ref)
	case neutron.TypeSubnetInUse:
		return fmt.Sprintf(" Delete the ports with an address on it first (vfnet port list --fixed-ip subnet=%s).", ref)
	}
	return ""
}
