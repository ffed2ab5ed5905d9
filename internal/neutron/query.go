package neutron

import (
	"bytes"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Filter is one list filter: the attribute equals one of Values (OR);
// the filters of a Query all hold (AND). Values are canonical for the
// attribute's Kind ("true"/"false", decimal integers) so the store can push
// them into SQL as they are.
type Filter struct {
	Attr   string
	Kind   Kind
	Values []string
}

// SortKey is one sort_key with its sort_dir.
type SortKey struct {
	Attr string
	Desc bool
}

// TagFilter is the standard-attr-tag filters: tags (all of), tags-any
// (any of), not-tags (not all of), not-tags-any (none of).
type TagFilter struct {
	All, Any, NotAll, NotAny []string
}

// Query is a parsed list request.
type Query struct {
	Resource    Resource
	Filters     []Filter // by attribute name
	Tags        TagFilter
	Fields      []string
	Sort        []SortKey
	Limit       int // 0: no pagination
	Marker      string
	PageReverse bool
	params      url.Values
}

// Link is a pagination link of <collection>_links.
type Link struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
}

// ParseQuery parses a list query string for resource r, validating filter
// names (the filter-validation extension), sort keys and directions, limit
// and filter values as Neutron does.
func ParseQuery(r Resource, params url.Values) (Query, error) {
	q := Query{Resource: r, params: params}
	var invalidKeys []string
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vals := nonEmpty(params[k])
		switch k {
		case "fields":
			q.Fields = vals
			continue
		case "sort_key", "sort_dir", "limit", "marker", "page_reverse":
			continue
		case "tags":
			q.Tags.All = splitTags(vals)
			continue
		case "tags-any":
			q.Tags.Any = splitTags(vals)
			continue
		case "not-tags":
			q.Tags.NotAll = splitTags(vals)
			continue
		case "not-tags-any":
			q.Tags.NotAny = splitTags(vals)
			continue
		}
		a, ok := Attr(r, k)
		if !ok || !a.Filter {
			invalidKeys = append(invalidKeys, k)
			continue
		}
		if len(vals) == 0 {
			continue
		}
		f := Filter{Attr: k, Kind: a.Kind}
		for _, v := range vals {
			c, err := canonicalFilterValue(a, v)
			if err != nil {
				return Query{}, err
			}
			f.Values = append(f.Values, c)
		}
		q.Filters = append(q.Filters, f)
	}
	if len(invalidKeys) > 0 {
		return Query{}, BadRequest("%s is invalid attribute for filtering", pyList(invalidKeys))
	}
	// project_id and tenant_id are one column.
	for i := range q.Filters {
		if q.Filters[i].Attr == "tenant_id" {
			q.Filters[i].Attr = "project_id"
		}
	}
	sortKeys, sortDirs := nonEmpty(params["sort_key"]), nonEmpty(params["sort_dir"])
	if len(sortKeys) != len(sortDirs) {
		return Query{}, BadRequest("The number of sort_keys and sort_dirs must be same")
	}
	var badKeys, badDirs []string
	for i, k := range sortKeys {
		if a, ok := Attr(r, k); !ok || !a.Sort {
			badKeys = append(badKeys, k)
		}
		switch sortDirs[i] {
		case "asc", "desc":
		default:
			badDirs = append(badDirs, sortDirs[i])
		}
		q.Sort = append(q.Sort, SortKey{Attr: k, Desc: sortDirs[i] == "desc"})
	}
	if len(badKeys) > 0 {
		return Query{}, BadRequest("%s is invalid attribute for sort_keys", pyList(badKeys))
	}
	if len(badDirs) > 0 {
		return Query{}, BadRequest("%s is invalid value for sort_dirs, valid value is 'asc' and 'desc'", pyList(badDirs))
	}
	if l := params.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return Query{}, BadResourceRequest("limit", "Limit must be an integer 0 or greater and not '"+l+"'")
		}
		q.Limit = n
	}
	q.Marker = params.Get("marker")
	q.PageReverse = strings.EqualFold(params.Get("page_reverse"), "true")
	return q, nil
}

func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func splitTags(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, t := range strings.Split(v, ",") {
			if t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

func canonicalFilterValue(a Attribute, v string) (string, error) {
	switch a.Kind {
	case KindBool:
		b, ok := boolString(v)
		if !ok {
			return "", InvalidInput("'%s' cannot be converted to boolean", v)
		}
		return strconv.FormatBool(b), nil
	case KindInt:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return "", InvalidInput("'%s' is not an integer", v)
		}
		return strconv.Itoa(n), nil
	case KindObject:
		if a.Name == "fixed_ips" {
			k, _, ok := strings.Cut(v, "=")
			if !ok || k != "ip_address" && k != "ip_address_substr" && k != "subnet_id" {
				return "", InvalidInput("fixed_ips filter '%s' must be ip_address=<address>, ip_address_substr=<part of an address> or subnet_id=<id>", v)
			}
		}
	}
	return v, nil
}

// Page is one page of a list: the rendered members and, when paginated,
// the links.
type Page struct {
	Items []map[string]json.RawMessage
	Links []Link
}

// Body is the list response body: {"ports":[...]} plus "ports_links" when
// there are links.
func (p Page) Body(r Resource) map[string]any {
	items := p.Items
	if items == nil {
		items = []map[string]json.RawMessage{}
	}
	b := map[string]any{string(r): items}
	if len(p.Links) > 0 {
		b[string(r)+"_links"] = p.Links
	}
	return b
}

// Apply runs the query over objects in memory: hide what c may not read,
// filter, sort (the id breaks ties, as in Neutron), page from the marker and
// project fields. baseURL is the collection's URL as the client reached it
// (e.g. "http://127.0.0.1:9696/v2.0/ports"); links reuse the query's own
// parameters. A marker that names no visible object is a 404 for it.
func Apply[T any](q Query, c Caller, objs []T, baseURL string) (Page, error) {
	all := make([]map[string]json.RawMessage, 0, len(objs))
	for _, o := range objs {
		m, err := Render(c, q.Resource, o, nil)
		if err != nil {
			return Page{}, err
		}
		all = append(all, m)
	}
	keys := q.Sort
	if len(keys) == 0 && (q.Limit > 0 || q.Marker != "") {
		keys = []SortKey{{Attr: "id"}}
	}
	hasID := false
	for _, k := range keys {
		hasID = hasID || k.Attr == "id"
	}
	if len(keys) > 0 && !hasID {
		keys = append(append([]SortKey(nil), keys...), SortKey{Attr: "id"})
	}
	var marker map[string]json.RawMessage
	if q.Marker != "" {
		for _, m := range all {
			if jsonString(m["id"]) == q.Marker {
				marker = m
				break
			}
		}
		if marker == nil {
			return Page{}, ResourceNotFound(q.Resource, q.Marker)
		}
	}
	var items []map[string]json.RawMessage
	for _, m := range all {
		if q.matches(m) {
			items = append(items, m)
		}
	}
	cmp := func(a, b map[string]json.RawMessage) int {
		for _, k := range keys {
			c := compareJSON(a[k.Attr], b[k.Attr])
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	}
	if len(keys) > 0 {
		sort.SliceStable(items, func(i, j int) bool { return cmp(items[i], items[j]) < 0 })
	}
	if marker != nil {
		var rest []map[string]json.RawMessage
		for _, m := range items {
			if c := cmp(m, marker); q.PageReverse && c < 0 || !q.PageReverse && c > 0 {
				rest = append(rest, m)
			}
		}
		items = rest
	}
	if q.Limit > 0 && len(items) > q.Limit {
		if q.PageReverse {
			items = items[len(items)-q.Limit:]
		} else {
			items = items[:q.Limit]
		}
	}
	p := Page{Items: make([]map[string]json.RawMessage, len(items))}
	for i, m := range items {
		p.Items[i] = project(m, q.Fields)
	}
	if q.Limit > 0 {
		// Neutron's rule: a next link unless a forward page came back short,
		// a previous link unless a reverse page came back short.
		short := len(items) < q.Limit
		if !(short && !q.PageReverse) {
			p.Links = append(p.Links, Link{Rel: "next", Href: q.link(baseURL, items, true)})
		}
		if !(short && q.PageReverse) {
			p.Links = append(p.Links, Link{Rel: "previous", Href: q.link(baseURL, items, false)})
		}
	}
	return p, nil
}

func (q Query) link(base string, items []map[string]json.RawMessage, next bool) string {
	v := url.Values{}
	for k, vs := range q.params {
		v[k] = append([]string(nil), vs...)
	}
	v.Del("marker")
	if next {
		if len(items) > 0 {
			v.Set("marker", jsonString(items[len(items)-1]["id"]))
		}
		v.Del("page_reverse")
	} else {
		if len(items) > 0 {
			v.Set("marker", jsonString(items[0]["id"]))
		}
		v.Set("page_reverse", "True")
	}
	return base + "?" + v.Encode()
}

func (q Query) matches(m map[string]json.RawMessage) bool {
	for _, f := range q.Filters {
		if !filterMatches(f, m[f.Attr]) {
			return false
		}
	}
	if t := q.Tags; len(t.All)+len(t.Any)+len(t.NotAll)+len(t.NotAny) > 0 {
		var tags []string
		_ = json.Unmarshal(m["tags"], &tags)
		has := make(map[string]bool, len(tags))
		for _, x := range tags {
			has[x] = true
		}
		count := func(l []string) int {
			n := 0
			for _, x := range l {
				if has[x] {
					n++
				}
			}
			return n
		}
		if len(t.All) > 0 && count(t.All) != len(t.All) ||
			len(t.Any) > 0 && count(t.Any) == 0 ||
			len(t.NotAll) > 0 && count(t.NotAll) == len(t.NotAll) ||
			len(t.NotAny) > 0 && count(t.NotAny) > 0 {
			return false
		}
	}
	return true
}

func filterMatches(f Filter, raw json.RawMessage) bool {
	if raw == nil || isNull(raw) {
		return false
	}
	switch f.Kind {
	case KindBool:
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return false
		}
		return contains(f.Values, strconv.FormatBool(b))
	case KindInt:
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return false
		}
		return contains(f.Values, n.String())
	case KindList:
		var l []string
		_ = json.Unmarshal(raw, &l)
		for _, x := range l {
			if contains(f.Values, x) {
				return true
			}
		}
		return false
	case KindObject:
		if f.Attr != "fixed_ips" {
			return false
		}
		var ips []FixedIP
		if json.Unmarshal(raw, &ips) != nil {
			return false
		}
		want := map[string][]string{}
		for _, v := range f.Values {
			k, val, _ := strings.Cut(v, "=")
			want[k] = append(want[k], val)
		}
		// As Neutron: each key holds when some fixed IP matches one of its
		// values, not necessarily the fixed IP another key matched.
		for k, vals := range want {
			ok := false
			for _, ip := range ips {
				ok = ok || fixedIPMatches(k, vals, ip)
			}
			if !ok {
				return false
			}
		}
		return true
	}
	return contains(f.Values, jsonString(raw))
}

// fixedIPMatches reports whether ip matches one of vals for fixed_ips
// filter key k. ip_address_substr is the ip-substring-filtering extension:
// the address contains the value (Neutron's LIKE '%value%', which its MySQL
// collation makes case-insensitive, so "2001:DB8" finds 2001:db8::5).
func fixedIPMatches(k string, vals []string, ip FixedIP) bool {
	switch k {
	case "subnet_id":
		return contains(vals, ip.SubnetID)
	case "ip_address_substr":
		addr := strings.ToLower(ip.IPAddress)
		for _, v := range vals {
			if strings.Contains(addr, strings.ToLower(v)) {
				return true
			}
		}
		return false
	}
	return contains(vals, ip.IPAddress)
}

func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// compareJSON orders two attribute values: absent/null first, then by
// type (booleans, numbers, strings), then by value.
func compareJSON(a, b json.RawMessage) int {
	rank := func(r json.RawMessage) (int, any) {
		if r == nil || isNull(r) {
			return 0, nil
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(r))
		d.UseNumber()
		if d.Decode(&v) != nil {
			return 4, string(r)
		}
		switch t := v.(type) {
		case bool:
			return 1, t
		case json.Number:
			f, _ := t.Float64()
			return 2, f
		case string:
			return 3, t
		}
		return 4, string(r)
	}
	ra, va := rank(a)
	rb, vb := rank(b)
	if ra != rb {
		return ra - rb
	}
	switch x := va.(type) {
	case bool:
		y := vb.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case float64:
		y := vb.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		return strings.Compare(x, vb.(string))
	}
	return 0
}
