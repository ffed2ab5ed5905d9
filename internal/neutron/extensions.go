package neutron

import "strings"

// Extension is one entry of GET /v2.0/extensions, as Neutron lists it.
type Extension struct {
	Alias       string `json:"alias"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Updated     string `json:"updated"`
	Links       []Link `json:"links"`
}

// Extensions lists the extensions vfnet really implements, with the alias,
// name, description and updated timestamp Neutron gives them (neutron-lib
// api definitions and neutron/extensions). Clients decide what to send from
// this list, so nothing is listed that vfnet does not do: no security-group,
// qos, router, dhcp_agent_scheduler, subnet_allocation, availability zones.
func Extensions() []Extension {
	e := []Extension{
		{"binding", "Port Binding", "Expose port bindings of a virtual port to external application", "2014-02-03T10:00:00-00:00", nil},
		{"external-net", "Neutron external network", "Adds external network attribute to network resource.", "2013-01-14T10:00:00-00:00", nil},
		{"filter-validation", "Filter parameters validation", "Provides validation on filter parameters.", "2018-07-04T10:00:00-00:00", nil},
		{"ip-substring-filtering", "IP address substring filtering", "Provides IP address substring filtering when listing ports", "2017-11-28T09:00:00-00:00", nil},
		{"net-mtu", "Network MTU", "Provides MTU attribute for a network resource.", "2015-03-25T10:00:00-00:00", nil},
		{"net-mtu-writable", "Network MTU (writable)", "Provides a writable MTU attribute for a network resource.", "2017-07-12T00:00:00-00:00", nil},
		{"pagination", "Pagination support", "Extension that indicates that pagination is enabled.", "2016-06-12T00:00:00-00:00", nil},
		{"port-numa-affinity-policy", "Port NUMA affinity policy", "Expose the port NUMA affinity policy", "2020-07-08T10:00:00-00:00", nil},
		{"port-numa-affinity-policy-socket", `Port NUMA affinity policy "socket"`, `Adds "socket" to the supported port NUMA affinity policies`, "2024-02-09T10:00:00-00:00", nil},
		{"port-security", "Port Security", "Provides port security", "2012-07-23T10:00:00-00:00", nil},
		{"port-trusted-vif", "Port trusted vif", "Expose port 'trusted' attribute in the API", "2024-07-10T10:00:00-00:00", nil},
		{"project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled.", "2016-09-09T09:09:09-09:09", nil},
		{"provider", "Provider Network", "Expose mapping of virtual networks to physical networks", "2012-09-07T10:00:00-00:00", nil},
		{"revision-if-match", "If-Match constraints based on revision_number", "Extension indicating that If-Match based on revision_number is supported.", "2016-12-11T00:00:00-00:00", nil},
		{"sorting", "Sorting support", "Extension that indicates that sorting is enabled.", "2016-06-12T00:00:00-00:00", nil},
		{"standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard attributes", "2016-02-10T10:00:00-00:00", nil},
		{"standard-attr-revisions", "Resource revision numbers", "This extension will display the revision number of neutron resources.", "2016-04-11T10:00:00-00:00", nil},
		{"standard-attr-tag", "Tag support for resources with standard attribute: network, subnet, port", "Enables to set tag on resources with standard attribute.", "2017-01-01T00:00:00-00:00", nil},
		{"standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.", "2016-09-12T10:00:00-00:00", nil},
		{"tag-ports-during-bulk-creation", "Tag Ports During Bulk Creation", "Allow to tag ports during bulk creation", "2019-12-29T19:00:00-00:00", nil},
	}
	for i := range e {
		e[i].Links = []Link{}
	}
	return e
}

// FindExtension returns the extension with alias, or a 404.
func FindExtension(alias string) (Extension, error) {
	for _, e := range Extensions() {
		if e.Alias == alias {
			return e, nil
		}
	}
	return Extension{}, ExtensionNotFound(alias)
}

// Version is one entry of the version documents.
type Version struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Links  []Link `json:"links"`
}

// ResourceLink is one entry of GET /v2.0/'s resources list.
type ResourceLink struct {
	Name       string `json:"name"`
	Collection string `json:"collection"`
	Links      []Link `json:"links"`
}

// Versions is the body of GET /: base is the endpoint's root URL as the
// client reached it ("http://host:9696").
func Versions(base string) map[string]any {
	base = strings.TrimRight(base, "/")
	return map[string]any{"versions": []Version{v20(base)}}
}

func v20(base string) Version {
	return Version{ID: "v2.0", Status: "CURRENT", Links: []Link{{Href: base + "/v2.0/", Rel: "self"}}}
}

// V2Root is the body of GET /v2.0/: the resources list Neutron gives, plus
// the "version" member the openstack CLI's discovery reads when its
// endpoint is the /v2.0 URL itself.
func V2Root(base string) map[string]any {
	base = strings.TrimRight(base, "/")
	var res []ResourceLink
	for _, r := range []Resource{Subnets, Networks, Ports} {
		res = append(res, ResourceLink{Name: r.Member(), Collection: string(r),
			Links: []Link{{Href: base + "/v2.0/" + string(r), Rel: "self"}}})
	}
	return map[string]any{"resources": res, "version": v20(base)}
}
